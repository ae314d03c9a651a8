/* SPDX-License-Identifier: MIT */
/*
 * Configuration core: diagnostics, the lexer (dnsmasq's grammar), config
 * files and their includes, the command line, and the value parsers the
 * directive handlers share.
 *
 * Reading is split from compiling: every directive of the command line and
 * of the files (includes expanded in place) is first collected as an item,
 * then compiled. That way interface= names get the tag indexes right after
 * the builtins wherever they are written, and the checks across directives
 * (config_check.c) see the whole configuration.
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "util/bytes.h"

#define CMDLINE "command line"

/* ---- diagnostics ------------------------------------------------------ */

void cfg_vdiag(struct bs_diags *d, int level, const char *file, int line, const char *fmt,
	       va_list ap)
{
	struct bs_diag *e;

	if (level == BS_DIAG_ERROR)
		d->errors++;
	else if (level == BS_DIAG_WARNING)
		d->warnings++;
	if (d->n >= BS_DIAGS_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct bs_diag *v = realloc(d->v, cap * sizeof(*v));

		/* The counts above still tell the caller there was a problem. */
		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n++];
	e->level = level;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void cfg_diag_at(struct cfg_ctx *c, int level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag(c->diags, level, file, line, fmt, ap);
	va_end(ap);
}

static void cfg_vdiag_here(struct cfg_ctx *c, int level, const char *fmt, va_list ap)
{
	char msg[480];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->dname)
		cfg_diag_at(c, level, c->file, c->line, "%s: %s", c->dname, msg);
	else
		cfg_diag_at(c, level, c->file, c->line, "%s", msg);
}

void cfg_err(struct cfg_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag_here(c, BS_DIAG_ERROR, fmt, ap);
	va_end(ap);
}

void cfg_warn(struct cfg_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag_here(c, BS_DIAG_WARNING, fmt, ap);
	va_end(ap);
}

void cfg_note(struct cfg_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag_here(c, BS_DIAG_NOTE, fmt, ap);
	va_end(ap);
}

static const char *level_name(int level)
{
	switch (level) {
	case BS_DIAG_ERROR:
		return "error";
	case BS_DIAG_WARNING:
		return "warning";
	default:
		return "note";
	}
}

void bs_diags_print(const struct bs_diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct bs_diag *e = &d->v[i];

		if (e->file[0] && e->line > 0)
			fprintf(f, "%s:%d: %s: %s\n", e->file, e->line, level_name(e->level),
				e->msg);
		else
			fprintf(f, "%s: %s: %s\n", e->file[0] ? e->file : "bootstorm",
				level_name(e->level), e->msg);
	}
	if (d->dropped)
		fprintf(f, "bootstorm: note: %zu more diagnostics not shown\n", d->dropped);
}

void bs_diags_free(struct bs_diags *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- memory ----------------------------------------------------------- */

const char *cfg_intern(struct cfg_ctx *c, const char *s)
{
	struct cfg_pool *p = c->pool;
	char *dup;

	/* Few strings (file and tag names): a linear search keeps one copy. */
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], s) == 0)
			return p->v[i];
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		p->v = v;
		p->cap = cap;
	}
	dup = strdup(s);
	if (!dup)
		goto oom;
	p->v[p->n++] = dup;
	return dup;
oom:
	c->oom = true;
	return NULL;
}

void *cfg_push(struct cfg_ctx *c, void **arr, size_t *n, size_t *cap, size_t sz)
{
	char *base;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *v = realloc(*arr, ncap * sz);

		if (!v) {
			c->oom = true;
			return NULL;
		}
		*arr = v;
		*cap = ncap;
	}
	base = *arr;
	memset(base + *n * sz, 0, sz);
	return base + (*n)++ * sz;
}

void bs_policy_free(struct bs_policy *p)
{
	struct cfg_policy_box *box = (struct cfg_policy_box *)p;

	if (!p)
		return;
	free(p->ranges);
	free(p->hosts);
	free(p->boots);
	free(p->services);
	free(p->prompts);
	free(p->matches);
	free(p->tag_ifs);
	free(p->options);
	for (size_t i = 0; i < box->pool.n; i++)
		free(box->pool.v[i]);
	free(box->pool.v);
	free(box);
}

void bs_config_free(struct bs_config *cfg)
{
	if (!cfg)
		return;
	bs_policy_free(cfg->policy);
	free(cfg);
}

static struct bs_config *cfg_new(void)
{
	struct bs_config *cfg = calloc(1, sizeof(*cfg));
	struct cfg_policy_box *box = calloc(1, sizeof(*box));

	if (!cfg || !box) {
		free(cfg);
		free(box);
		return NULL;
	}
	cfg->policy = &box->pol;
	snprintf(cfg->conf_file, sizeof(cfg->conf_file), "/etc/bootstorm/bootstorm.conf");
	cfg->log_facility = LOG_DAEMON;
	snprintf(cfg->lease_file, sizeof(cfg->lease_file), "/var/lib/bootstorm/leases");
	snprintf(cfg->tftp_root, sizeof(cfg->tftp_root), "/var/lib/tftpboot");
	cfg->tftp = (struct tftp_config){
	    .max_transfers = 50,
	    .port_lo = 50000,
	    .port_hi = 50063,
	    .timeout_ms = 1000,
	    .max_retries = 5,
	    .max_blksize = 65464,
	    .max_windowsize = 64,
	};
	box->pol.lease_max = 1000;
	return cfg;
}

static void ctx_init(struct cfg_ctx *c, struct bs_config *cfg, struct bs_diags *diags)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->pol = cfg->policy;
	c->pool = &((struct cfg_policy_box *)cfg->policy)->pool;
	c->diags = diags;
}

static void ctx_fini(struct cfg_ctx *c)
{
	for (size_t i = 0; i < c->nitems; i++) {
		free(c->items[i].name);
		free(c->items[i].value);
	}
	free(c->items);
	for (unsigned i = 0; i < c->nincl; i++)
		free(c->incl[i]);
}

/* ---- value parsers ---------------------------------------------------- */

/* strtonum(3) without its sign and its loss of the reason. */
int cfg_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cfg_parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	/* inet_pton, not inet_aton: "10.1" or "010.0.0.1" are typos here. */
	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

bool cfg_is_netmask(uint32_t m)
{
	/* contiguous ones from the top: ~m + 1 is a power of two */
	return m != 0 && ((~m + 1) & ~m) == 0;
}

int cfg_parse_netmask(const char *s, uint32_t *out)
{
	uint32_t m;

	if (cfg_parse_ip(s, &m))
		return -EINVAL;
	if (!cfg_is_netmask(m))
		return -ERANGE;
	*out = m;
	return 0;
}

int cfg_parse_lease(const char *s, uint32_t *out)
{
	char digits[24];
	size_t len = strlen(s);
	uint64_t v, mult = 1;

	if (strcasecmp(s, "infinite") == 0) {
		*out = BS_LEASE_INFINITE;
		return 0;
	}
	if (len == 0 || len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, len + 1);
	switch (tolower((unsigned char)digits[len - 1])) {
	case 'w':
		mult = 7 * 86400;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'm':
		mult = 60;
		break;
	case 's':
		break;
	default:
		len++; /* no unit: seconds */
	}
	digits[len - 1] = '\0';
	if (cfg_parse_u64(digits, 0, UINT32_MAX, &v))
		return cfg_parse_u64(digits, 0, UINT64_MAX / 2, &v) ? -EINVAL : -ERANGE;
	if (v * mult >= BS_LEASE_INFINITE)
		return -ERANGE;
	*out = (uint32_t)(v * mult);
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int cfg_parse_mac(const char *s, uint8_t mac[6])
{
	char sep;

	if (strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != sep))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

const char *cfg_ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	return buf;
}

/* ---- lexer and files -------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* dnsmasq's rule: '#' starts a comment at the start of a line or after
   whitespace, never inside double quotes ("a#b" stays a value). */
static void strip_comment(char *s)
{
	bool white = true, inq = false;

	for (char *p = s; *p; p++) {
		if (inq) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				inq = false;
		} else if (*p == '"') {
			inq = true;
			white = false;
		} else if (isspace((unsigned char)*p)) {
			white = true;
		} else if (*p == '#' && white) {
			*p = '\0';
			return;
		} else {
			white = false;
		}
	}
}

static int add_item(struct cfg_ctx *c, const char *file, int line, const char *name,
		    const char *value)
{
	struct cfg_item *it =
	    cfg_push(c, (void **)&c->items, &c->nitems, &c->capitems, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->file = file;
	it->line = line;
	it->name = strdup(name);
	it->value = value ? strdup(value) : NULL;
	if (!it->name || (value && !it->value)) {
		c->oom = true;
		return -ENOMEM;
	}
	return 0;
}

static int read_file(struct cfg_ctx *c, const char *path, bool must_exist, const char *from,
		     int from_line);

/* One line of a config file, comments already gone. */
static void lex_line(struct cfg_ctx *c, const char *file, int lineno, char *s)
{
	char *eq, *name, *value = NULL, *sp;

	s = trim(s);
	if (!*s)
		return;
	eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		value = trim(eq + 1);
	}
	name = trim(s);
	c->file = file;
	c->line = lineno;
	c->dname = NULL;
	if (!*name) {
		cfg_err(c, "line starts with '=': expected a directive name before it "
			   "(name=value)");
		return;
	}
	sp = name + strcspn(name, " \t");
	if (*sp) {
		/* "dhcp-range 10.0.0.1,..." or "dhcp-range: ...": a missing '=' */
		char word[64];
		size_t wl = (size_t)(sp - name);

		snprintf(word, sizeof(word), "%.*s", (int)wl, name);
		if (wl && word[wl - 1] == ':')
			word[wl - 1] = '\0';
		if (cfg_directive_find(word) || cfg_ignored_reason(word, NULL)) {
			const struct cfg_directive *d = cfg_directive_find(word);

			cfg_err(c,
				"%s: missing '=' between the directive and its value "
				"(expected %s=%s)",
				word, word, d && d->syntax ? d->syntax : "value");
		} else {
			cfg_err(c,
				"\"%s\" is not a directive: expected name or name=value "
				"(a directive name has no spaces)",
				name);
		}
		return;
	}
	if (strcmp(name, "conf-file") == 0) {
		if (!value || !*value) {
			cfg_err(c, "conf-file: expected conf-file=PATH");
			return;
		}
		/* a path with spaces may be quoted, as any field */
		size_t vl = strlen(value);

		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		read_file(c, value, true, file, lineno);
		return;
	}
	add_item(c, file, lineno, name, value);
}

static bool in_include_stack(struct cfg_ctx *c, const char *real)
{
	for (unsigned i = 0; i < c->nincl; i++)
		if (strcmp(c->incl[i], real) == 0)
			return true;
	return false;
}

/*
 * Read one file's directives into c->items. from/from_line: the conf-file=
 * line that included it (NULL for the top file). 0 or -errno.
 */
static int read_file(struct cfg_ctx *c, const char *path, bool must_exist, const char *from,
		     int from_line)
{
	char real[PATH_MAX], *buf = NULL;
	size_t bufcap = 0;
	const char *file;
	ssize_t len;
	int lineno = 0, rc = 0;
	FILE *f;

	if (c->nincl >= CFG_MAX_INCLUDE_DEPTH) {
		cfg_diag_at(c, BS_DIAG_ERROR, from, from_line,
			    "conf-file: includes nested more than %d deep (is there a loop?)",
			    CFG_MAX_INCLUDE_DEPTH);
		return -ELOOP;
	}
	if (!realpath(path, real)) {
		rc = -errno;
		if (rc == -ENOENT && !must_exist)
			return 0;
		cfg_diag_at(c, BS_DIAG_ERROR, from ? from : path, from ? from_line : 0,
			    "%scannot read config file %s: %s", from ? "conf-file: " : "", path,
			    strerror(-rc));
		return rc;
	}
	if (in_include_stack(c, real)) {
		cfg_diag_at(c, BS_DIAG_ERROR, from, from_line,
			    "conf-file: %s includes itself (an include loop through %s); "
			    "remove one of the conf-file lines",
			    path, c->incl[c->nincl - 1]);
		return -ELOOP;
	}
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		cfg_diag_at(c, BS_DIAG_ERROR, from ? from : path, from ? from_line : 0,
			    "%scannot open config file %s: %s", from ? "conf-file: " : "", path,
			    strerror(-rc));
		return rc;
	}
	file = cfg_intern(c, path);
	c->incl[c->nincl] = strdup(real);
	if (!file || !c->incl[c->nincl]) {
		free(c->incl[c->nincl]);
		fclose(f);
		c->oom = true;
		return -ENOMEM;
	}
	c->nincl++;
	while ((len = getline(&buf, &bufcap, f)) >= 0) {
		char *s = buf;

		lineno++;
		c->file = file;
		c->line = lineno;
		c->dname = NULL;
		if ((size_t)len > CFG_MAX_LINE) {
			cfg_err(c, "line is %zd bytes long, more than the limit of %d", len,
				CFG_MAX_LINE);
			continue;
		}
		if (strlen(buf) != (size_t)len) {
			cfg_err(c, "line contains a NUL byte: is this a text file?");
			continue;
		}
		/* Editors on Windows save UTF-8 with a byte order mark. */
		if (lineno == 1 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		strip_comment(s);
		lex_line(c, file, lineno, s);
	}
	free(buf);
	if (ferror(f)) {
		cfg_diag_at(c, BS_DIAG_ERROR, file, 0, "read error: %s", strerror(errno));
		rc = -EIO;
	}
	fclose(f);
	free(c->incl[--c->nincl]);
	return rc;
}

static void compile_all(struct cfg_ctx *c)
{
	static const char *const builtins[BS_TAG_BUILTIN_COUNT] = {
	    [BS_TAG_KNOWN] = "known",
	    [BS_TAG_IPXE] = "ipxe",
	    [BS_TAG_HTTPCLIENT] = "httpclient",
	    [BS_TAG_PXECLIENT] = "pxeclient",
	};

	for (int i = 0; i < BS_TAG_BUILTIN_COUNT; i++)
		cfg_tag_intern(c, builtins[i]);
	/* interface= first: their tags come right after the builtins. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nitems; i++)
			if ((strcmp(c->items[i].name, "interface") == 0) == (pass == 0))
				cfg_compile_item(c, &c->items[i]);
	c->dname = NULL;
	cfg_check_policy(c);
	if (c->oom)
		cfg_diag_at(c, BS_DIAG_ERROR, NULL, 0, "out of memory while reading the config");
}

struct diag_key {
	size_t rank; /* order of the file's first diagnostic */
	int line;
	size_t idx;
};

static int diag_key_cmp(const void *pa, const void *pb)
{
	const struct diag_key *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Diagnostics come from two passes (directives, then checks across them);
 * the operator reads them best in file order. Stable: files keep the order
 * they first appear in, lines ascend within a file. Without memory they
 * simply stay in the order they were found.
 */
static void sort_diags(struct bs_diags *d, size_t from)
{
	size_t n = d->n - from, nfirst = 0;
	struct diag_key *k = NULL;
	struct bs_diag *tmp = NULL;
	size_t *first = NULL; /* index of each distinct file's first diagnostic */

	if (d->n < from + 2)
		return;
	k = malloc(n * sizeof(*k));
	tmp = malloc(n * sizeof(*tmp));
	first = malloc(n * sizeof(*first));
	if (!k || !tmp || !first)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *file = d->v[from + i].file;
		size_t r = 0;

		if (i && strcmp(file, d->v[from + i - 1].file) == 0) {
			r = k[i - 1].rank;
		} else {
			while (r < nfirst && strcmp(d->v[from + first[r]].file, file) != 0)
				r++;
			if (r == nfirst)
				first[nfirst++] = i;
		}
		k[i] = (struct diag_key){r, d->v[from + i].line, i};
	}
	qsort(k, n, sizeof(*k), diag_key_cmp);
	for (size_t i = 0; i < n; i++)
		tmp[i] = d->v[from + k[i].idx];
	memcpy(d->v + from, tmp, n * sizeof(*tmp));
out:
	free(k);
	free(tmp);
	free(first);
}

static int finish(struct cfg_ctx *c, size_t errors_before, size_t diags_before,
		  struct bs_config **out)
{
	struct bs_config *cfg = c->cfg;

	ctx_fini(c);
	sort_diags(c->diags, diags_before);
	if (c->diags->errors > errors_before || c->oom) {
		bs_config_free(cfg);
		*out = NULL;
		return -1;
	}
	*out = cfg;
	return 0;
}

int bs_config_from_file(const char *path, bool strict, struct bs_config **out,
			struct bs_diags *diags)
{
	size_t errors_before = diags->errors, diags_before = diags->n;
	struct bs_config *cfg = cfg_new();
	struct cfg_ctx c;

	*out = NULL;
	if (!cfg) {
		diags->errors++;
		return -1;
	}
	ctx_init(&c, cfg, diags);
	c.strict = strict;
	cfg->test_only = strict;
	snprintf(cfg->conf_file, sizeof(cfg->conf_file), "%s", path);
	read_file(&c, path, true, NULL, 0);
	compile_all(&c);
	return finish(&c, errors_before, diags_before, out);
}

/* ---- directives: fields, lookup, compile ---------------------------- */

struct tquote {
	const char *utf8, *cp, *name;
};

/* Word processors and wikis turn "..." into these; dnsmasq keeps them as
   text, so the menu would show them and the field would not be quoted. */
static const struct tquote tquotes[] = {
    {"\xe2\x80\x9e", "U+201E", "DOUBLE LOW-9 QUOTATION MARK"},
    {"\xe2\x80\x9c", "U+201C", "LEFT DOUBLE QUOTATION MARK"},
    {"\xe2\x80\x9d", "U+201D", "RIGHT DOUBLE QUOTATION MARK"},
    {"\xe2\x80\x9f", "U+201F", "DOUBLE HIGH-REVERSED-9 QUOTATION MARK"},
    {"\xe2\x80\x9a", "U+201A", "SINGLE LOW-9 QUOTATION MARK"},
    {"\xe2\x80\x98", "U+2018", "LEFT SINGLE QUOTATION MARK"},
    {"\xe2\x80\x99", "U+2019", "RIGHT SINGLE QUOTATION MARK"},
    {"\xc2\xab", "U+00AB", "LEFT-POINTING DOUBLE ANGLE QUOTATION MARK"},
    {"\xc2\xbb", "U+00BB", "RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK"},
};

static const struct tquote *tquote_prefix(const char *s)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(tquotes); i++)
		if (strncmp(s, tquotes[i].utf8, strlen(tquotes[i].utf8)) == 0)
			return &tquotes[i];
	return NULL;
}

static const struct tquote *tquote_suffix(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < BS_ARRAY_SIZE(tquotes); i++) {
		size_t ql = strlen(tquotes[i].utf8);

		if (len >= ql && memcmp(s + len - ql, tquotes[i].utf8, ql) == 0)
			return &tquotes[i];
	}
	return NULL;
}

/* A field wrapped in typographic quotes: report, then take the text inside
   as if it had been quoted properly, so later checks still see it. */
static void check_typographic(struct cfg_ctx *c, struct cfg_field *f, size_t idx)
{
	const struct tquote *open = tquote_prefix(f->s), *close = tquote_suffix(f->s);
	size_t len = strlen(f->s);
	char inner[256];

	if (!open && !close)
		return;
	if (open && close && len > strlen(open->utf8) + strlen(close->utf8)) {
		size_t il = len - strlen(open->utf8) - strlen(close->utf8);

		snprintf(inner, sizeof(inner), "%.*s", (int)il, f->s + strlen(open->utf8));
		cfg_err(c,
			"field %zu %s is wrapped in typographic quotes %s (%s %s) and %s (%s %s), "
			"which are text, not quotes; use ASCII double quotes (U+0022): \"%s\"",
			idx + 1, f->s, open->utf8, open->cp, open->name, close->utf8, close->cp,
			close->name, inner);
		memmove(f->s, f->s + strlen(open->utf8), il);
		f->s[il] = '\0';
		f->quoted = true;
		return;
	}
	open = open ? open : close;
	cfg_err(c,
		"field %zu %s has a typographic quote %s (%s %s), which is text, not a "
		"quote; use ASCII double quotes (U+0022) around the whole field",
		idx + 1, f->s, open->utf8, open->cp, open->name);
	/* drop it, so the text is not reported again as non-ASCII */
	if (tquote_prefix(f->s) == open)
		memmove(f->s, f->s + strlen(open->utf8), len - strlen(open->utf8) + 1);
	else
		f->s[len - strlen(open->utf8)] = '\0';
	f->quoted = true;
}

/*
 * Split a value at commas outside double quotes; fields are trimmed, a
 * quoted field is taken literally (\" and \\ escape). Returns the number of
 * fields or -1 after a diagnostic.
 */
static int split_fields(struct cfg_ctx *c, char *s, struct cfg_field *f)
{
	size_t n = 0;

	for (;;) {
		char *p = s, *comma, *e;

		while (isspace((unsigned char)*p))
			p++;
		if (n == CFG_MAX_FIELDS) {
			cfg_err(c, "more than %d comma-separated fields", CFG_MAX_FIELDS);
			return -1;
		}
		if (*p == '"') {
			char *dst = p, *src = p + 1;

			f[n].s = p;
			f[n].quoted = true;
			for (;;) {
				if (!*src) {
					cfg_err(c,
						"field %zu: double quote without its closing "
						"quote (expected \"...\")",
						n + 1);
					return -1;
				}
				if (*src == '\\' && src[1]) {
					src++;
					*dst++ = *src++;
					continue;
				}
				if (*src == '"')
					break;
				*dst++ = *src++;
			}
			src++;
			/* dst trails src by two at least: safe to terminate */
			*dst = '\0';
			while (isspace((unsigned char)*src))
				src++;
			n++;
			if (!*src)
				break;
			if (*src != ',') {
				cfg_err(c,
					"field %zu: text after the closing quote: \"%.32s\" "
					"(expected a comma)",
					n, src);
				return -1;
			}
			s = src + 1;
			continue;
		}
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
		f[n].s = p;
		f[n].quoted = false;
		if (strchr(p, '"')) {
			cfg_err(c,
				"field %zu: stray double quote in %s (quote the whole field: "
				"\"...\")",
				n + 1, p);
			return -1;
		}
		if (strstr(p, "\xc2\xa0")) {
			cfg_err(c,
				"field %zu: %s contains a non-breaking space (U+00A0), usually "
				"pasted from a web page; use a plain space or none",
				n + 1, p);
			return -1;
		}
		check_typographic(c, &f[n], n);
		n++;
		if (!comma)
			break;
		s = comma + 1;
	}
	return (int)n;
}

/* dnsmasq's DNS directives: harmless here, since there is no DNS server. */
static const char *const dns_directives[] = {
    "domain-needed",
    "bogus-priv",
    "server",
    "local",
    "domain",
    "expand-hosts",
    "no-resolv",
    "no-hosts",
    "bind-interfaces",
    "bind-dynamic",
    "except-interface",
    "no-dhcp-interface",
    "cache-size",
    "resolv-file",
    "addn-hosts",
    "address",
    "cname",
    "mx-host",
    "srv-host",
    "txt-record",
    "ptr-record",
    "host-record",
    "all-servers",
    "strict-order",
    "stop-dns-rebind",
    "rebind-localhost-ok",
    "rebind-domain-ok",
    "dns-forward-max",
    "neg-ttl",
    "local-ttl",
    "max-ttl",
    "max-cache-ttl",
    "auth-server",
    "auth-zone",
    "dnssec",
    "trust-anchor",
    "log-queries",
    "no-negcache",
    "filterwin2k",
    "localise-queries",
    "edns-packet-max",
    "query-port",
    "min-port",
    "max-port",
    "interface-name",
    "local-service",
    "no-poll",
    "clear-on-reload",
    "mx-target",
    "selfmx",
    "localmx",
    "dns-rr",
    "ipset",
    "nftset",
    "conntrack",
    "dns-loop-detect",
};

/* dnsmasq directives that change DHCP/TFTP behaviour but are not built. */
static const char *const unimplemented[] = {
    "conf-dir",
    "dhcp-ignore",
    "dhcp-script",
    "dhcp-hostsfile",
    "dhcp-optsfile",
    "dhcp-hostsdir",
    "dhcp-optsdir",
    "dhcp-relay",
    "dhcp-proxy",
    "dhcp-generate-names",
    "dhcp-broadcast",
    "dhcp-sequential-ip",
    "dhcp-ignore-names",
    "dhcp-fqdn",
    "bootp-dynamic",
    "no-ping",
    "leasefile-ro",
    "dhcp-rapid-commit",
    "user",
    "group",
    "enable-ra",
    "dhcp-circuitid",
    "dhcp-remoteid",
    "dhcp-subscrid",
    "dhcp-mac",
    "dhcp-name-match",
    "tftp-mtu",
    "tftp-secure",
    "tftp-unique-root",
    "tftp-lowercase",
    "tftp-no-blocksize",
    "tftp-single-port",
    "tftp-no-fail",
    "quiet-dhcp",
    "log-async",
    "dhcp-reply-delay",
    "shared-network",
    "dhcp-luascript",
    "dhcp-scriptuser",
    "script-arp",
    "dhcp-client-update",
    "dhcp-ignore-clid",
    "pxe-service6",
};

const char *cfg_ignored_reason(const char *name, bool *dns)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(dns_directives); i++)
		if (strcmp(name, dns_directives[i]) == 0) {
			if (dns)
				*dns = true;
			return "no DNS server";
		}
	for (size_t i = 0; i < BS_ARRAY_SIZE(unimplemented); i++)
		if (strcmp(name, unimplemented[i]) == 0) {
			if (dns)
				*dns = false;
			return "not implemented";
		}
	return NULL;
}

static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[64], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (unsigned j = 1; j <= lb; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *cfg_directive_suggest(const char *name)
{
	const char *best = NULL;
	unsigned bestd = 3;

	for (size_t i = 0; i < cfg_ndirectives; i++) {
		unsigned d = edit_distance(name, cfg_directives[i].name);

		if (d < bestd) {
			bestd = d;
			best = cfg_directives[i].name;
		}
	}
	return best;
}

void cfg_compile_item(struct cfg_ctx *c, const struct cfg_item *it)
{
	const struct cfg_directive *d = cfg_directive_find(it->name);
	struct cfg_field f[CFG_MAX_FIELDS];
	char buf[CFG_MAX_LINE + 1];
	int n = 0;

	c->file = it->file;
	c->line = it->line;
	c->dname = NULL;
	if (!d) {
		bool dns = false;
		const char *why = cfg_ignored_reason(it->name, &dns);
		const char *sugg = why ? NULL : cfg_directive_suggest(it->name);

		if (dns)
			cfg_warn(c,
				 "dnsmasq directive %s has no effect in bootstorm (no DNS server)",
				 it->name);
		else if (why)
			cfg_diag_at(c, c->strict ? BS_DIAG_ERROR : BS_DIAG_WARNING, c->file,
				    c->line,
				    "dnsmasq directive %s is not implemented by bootstorm%s",
				    it->name, c->strict ? "" : "; ignored");
		else
			cfg_diag_at(c, c->strict ? BS_DIAG_ERROR : BS_DIAG_WARNING, c->file,
				    c->line, "unknown directive \"%s\"%s%s%s%s", it->name,
				    sugg ? " (did you mean " : "", sugg ? sugg : "",
				    sugg ? "?)" : "", c->strict ? "" : "; ignored");
		return;
	}
	c->dname = d->name;
	if (d->arg == CFG_ARG_NONE && it->value) {
		cfg_err(c, "takes no value (write just %s)", d->name);
		return;
	}
	if (d->arg == CFG_ARG_REQ && (!it->value || !*it->value)) {
		cfg_err(c, "needs a value (expected %s=%s)", d->name, d->syntax);
		return;
	}
	if (it->value && *it->value) {
		if (strlen(it->value) >= sizeof(buf)) {
			cfg_err(c, "value longer than %d bytes", CFG_MAX_LINE);
			return;
		}
		strcpy(buf, it->value);
		n = split_fields(c, buf, f);
		if (n < 0)
			return;
	}
	d->fn(c, f, (size_t)n);
}

/* ---- command line ----------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: bootstorm [options]\n\n"
		   "  -C, --conf-file=FILE       config file (default "
		   "/etc/bootstorm/bootstorm.conf; \"\" = none)\n"
		   "      --test                 check the configuration strictly and exit\n"
		   "  -d, --no-daemon            stay in the foreground, log to stderr\n"
		   "  -k, --keep-in-foreground   stay in the foreground, log to syslog\n"
		   "      --log-dhcp             log every DHCP transaction\n"
		   "  -h, --help                 this text\n"
		   "  -v, --version              print the version\n\n"
		   "Every config file directive is also a long option, --name[=value]:\n");
	for (size_t i = 0; i < cfg_ndirectives; i++) {
		const struct cfg_directive *d = &cfg_directives[i];

		if (d->shortopt)
			fprintf(f, "  -%c, ", d->shortopt);
		else
			fprintf(f, "      ");
		fprintf(f, "--%s%s%s%s%s\n", d->name, d->arg == CFG_ARG_OPT ? "[" : "",
			d->arg != CFG_ARG_NONE ? "=" : "", d->syntax ? d->syntax : "",
			d->arg == CFG_ARG_OPT ? "]" : "");
	}
	fprintf(f, "\nSee docs/config.md for what each directive means.\n");
}

/* The value of an option that needs one: after '=', or the next argument. */
static const char *opt_value(struct cfg_ctx *c, const char *inline_val, int argc, char **argv,
			     int *i, const char *opt)
{
	if (inline_val)
		return inline_val;
	if (*i + 1 < argc)
		return argv[++*i];
	cfg_err(c, "option %s needs a value", opt);
	return NULL;
}

int bs_config_from_argv(int argc, char **argv, FILE *help_out, struct bs_config **out,
			struct bs_diags *diags)
{
	size_t errors_before = diags->errors, diags_before = diags->n;
	struct bs_config *cfg = cfg_new();
	const char *conf = NULL;
	bool help = false, version = false;
	struct cfg_ctx c;

	*out = NULL;
	if (!cfg) {
		diags->errors++;
		return -1;
	}
	ctx_init(&c, cfg, diags);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		c.file = CMDLINE;
		c.line = 0;
		c.dname = NULL;
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			const char *val = strchr(a + 2, '=');
			size_t nl = val ? (size_t)(val - (a + 2)) : strlen(a + 2);
			const struct cfg_directive *d;
			char name[64];

			if (nl >= sizeof(name)) {
				cfg_err(&c, "unknown option %.64s...", a);
				continue;
			}
			memcpy(name, a + 2, nl);
			name[nl] = '\0';
			if (val)
				val++;
			if (strcmp(name, "conf-file") == 0) {
				const char *v = opt_value(&c, val, argc, argv, &i, a);

				if (v)
					conf = v;
			} else if (strcmp(name, "test") == 0 || strcmp(name, "help") == 0 ||
				   strcmp(name, "version") == 0) {
				if (val)
					cfg_err(&c, "option --%s takes no value", name);
				cfg->test_only |= name[0] == 't';
				help |= name[0] == 'h';
				version |= name[0] == 'v';
			} else {
				d = cfg_directive_find(name);
				if (d && d->arg == CFG_ARG_REQ && !val) {
					val = opt_value(&c, val, argc, argv, &i, a);
					if (!val)
						continue;
				}
				if (add_item(&c, CMDLINE, 0, name, val))
					break;
			}
			continue;
		}
		if (a[0] == '-' && a[1] && a[1] != '-') {
			/* Clusters of short flags ("-dk"); a letter with a value
			   takes the rest of the word or the next argument. */
			for (const char *p = a + 1; *p; p++) {
				const struct cfg_directive *d;
				char opt[3] = {'-', *p, 0};
				const char *v;

				if (*p == 'h' || *p == 'v') {
					help |= *p == 'h';
					version |= *p == 'v';
					continue;
				}
				if (*p == 'C') {
					v = opt_value(&c, p[1] ? p + 1 : NULL, argc, argv, &i, opt);
					if (v)
						conf = v;
					break;
				}
				d = cfg_directive_by_short(*p);
				if (!d) {
					cfg_err(&c, "unknown option -%c (see --help)", *p);
					continue;
				}
				if (d->arg == CFG_ARG_NONE) {
					add_item(&c, CMDLINE, 0, d->name, NULL);
					continue;
				}
				v = opt_value(&c, p[1] ? p + 1 : NULL, argc, argv, &i, opt);
				if (v)
					add_item(&c, CMDLINE, 0, d->name, v);
				break;
			}
			continue;
		}
		cfg_err(&c,
			"unexpected argument \"%s\": options start with - or --; "
			"directives are written --name=value",
			a);
	}
	if (help || version) {
		if (version)
			fprintf(help_out, "bootstorm 0.1.0\n");
		if (help)
			usage(help_out);
		ctx_fini(&c);
		bs_config_free(cfg);
		return 1;
	}
	c.strict = cfg->test_only;
	if (conf)
		snprintf(cfg->conf_file, sizeof(cfg->conf_file), "%s", conf);
	/* dnsmasq: an empty --conf-file= means "read no file at all". */
	if (cfg->conf_file[0])
		read_file(&c, cfg->conf_file, conf != NULL, NULL, 0);
	compile_all(&c);
	return finish(&c, errors_before, diags_before, out);
}
