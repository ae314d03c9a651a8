/* SPDX-License-Identifier: MIT */
/*
 * Configuration core: diagnostics, the string pool, the config's life
 * cycle, the value parsers and field checks every directive handler shares,
 * tag names, and the two entry points (bs_config_from_file/_from_argv) that
 * run the phases.
 *
 * Reading is split from compiling: every directive of the command line and
 * of the files (includes expanded in place) is first collected as an item
 * (config_lex.c), then compiled by its handler (config_directives.c,
 * config_options.c). That way interface= names get the tag indexes right
 * after the builtins wherever they are written, and the checks across
 * directives (config_check.c) see the whole configuration.
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/bytes.h"

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
	snprintf(cfg->backend, sizeof(cfg->backend), "auto");
	cfg->tftp = (struct tftp_config){
	    .max_transfers = 1024,
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

/* ---- field checks (each reports its own error) ------------------------ */

int cfg_ip_field(struct cfg_ctx *c, const char *s, const char *what, uint32_t *out)
{
	if (cfg_parse_ip(s, out) == 0)
		return 0;
	if (!*s)
		cfg_err(c, "%s is empty (expected an IPv4 address like 192.168.1.10)", what);
	else if (strchr(s, ':'))
		cfg_err(c,
			"%s \"%s\" looks like IPv6: bootstorm serves DHCPv4 only (expected an "
			"IPv4 address like 192.168.1.10)",
			what, s);
	else
		cfg_err(c,
			"%s \"%s\" is not an IPv4 address (expected a dotted quad like "
			"192.168.1.10)",
			what, s);
	return -1;
}

int cfg_bind_field(struct cfg_ctx *c, const char *s, const char *what, struct http_bind *out)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(s);

	if (!strchr(s, ':')) {
		*out = (struct http_bind){.kind = HTTP_BIND_V4};
		return cfg_ip_field(c, s, what, &out->v4);
	}
	/* the bracketed form is what a URL has; accept it here too */
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		snprintf(buf, sizeof(buf), "%.*s", (int)(len - 2), s + 1);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	*out = (struct http_bind){.kind = HTTP_BIND_V6};
	if (len < sizeof(buf) && inet_pton(AF_INET6, buf, out->v6) == 1)
		return 0;
	cfg_err(c, "%s \"%s\" is not an IPv6 address (expected one like fd00::1 or [fd00::1])",
		what, s);
	return -1;
}

int cfg_num_field(struct cfg_ctx *c, const char *s, const char *what, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	int rc = cfg_parse_u64(s, min, max, out);

	if (rc == -EINVAL)
		cfg_err(c, "%s \"%s\" is not a number (expected %llu to %llu)", what, s,
			(unsigned long long)min, (unsigned long long)max);
	else if (rc)
		cfg_err(c, "%s %s is out of range (expected %llu to %llu)", what, s,
			(unsigned long long)min, (unsigned long long)max);
	return rc;
}

#define LEASE_MIN 120

int cfg_lease_field(struct cfg_ctx *c, const char *s, uint32_t *out)
{
	int rc = cfg_parse_lease(s, out);

	if (rc == -EINVAL) {
		cfg_err(c,
			"lease time \"%s\" is not a number with an optional unit (expected "
			"e.g. 45m, 12h, 1d, 1w, infinite, or seconds)",
			s);
		return rc;
	}
	if (rc) {
		cfg_err(c, "lease time %s is too long (at most 136 years; or write infinite)", s);
		return rc;
	}
	/* dnsmasq raises short leases silently; say so instead. */
	if (*out < LEASE_MIN) {
		cfg_warn(c, "lease time %s is below the minimum of 2 minutes: using 120 seconds",
			 s);
		*out = LEASE_MIN;
	}
	return 0;
}

int cfg_str_field(struct cfg_ctx *c, const char *s, const char *what, char *dst, size_t size)
{
	size_t len = strlen(s);

	if (len >= size) {
		cfg_err(c, "%s is %zu bytes long, more than the limit of %zu", what, len, size - 1);
		return -1;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

bool cfg_is_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int cfg_ascii_text(struct cfg_ctx *c, const char *s, const char *what)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			cfg_err(c,
				"%s \"%s\" is not plain ASCII (byte 0x%02x at offset %zu): PXE "
				"ROMs show raw bytes, not UTF-8",
				what, s, *p, (size_t)(p - (const unsigned char *)s));
			return -1;
		}
		if (*p < 0x20 || *p == 0x7f) {
			cfg_err(c, "%s contains a control character (0x%02x)", what, *p);
			return -1;
		}
	}
	return 0;
}

/* ---- tags ------------------------------------------------------------- */

int cfg_tag_intern(struct cfg_ctx *c, const char *name)
{
	struct bs_policy *p = c->pol;
	int i = bs_policy_tag_index(p, name);
	const char *s;

	if (i >= 0)
		return i;
	if (p->ntags >= BS_TAG_MAX) {
		if (!c->tag_overflow_reported)
			cfg_err(c,
				"too many tags: \"%s\" would be tag number %d, and bootstorm "
				"supports %d tag names (4 builtins, one per interface, the rest "
				"yours)",
				name, BS_TAG_MAX + 1, BS_TAG_MAX);
		c->tag_overflow_reported = true;
		return -1;
	}
	s = cfg_intern(c, name);
	if (!s)
		return -1;
	p->tag_names[p->ntags] = s;
	return (int)p->ntags++;
}

int cfg_tag_name(struct cfg_ctx *c, const char *field, const char *name)
{
	if (!*name || strpbrk(name, " \t!:")) {
		cfg_err(c, "%s: \"%s\" is not a tag name (expected letters, digits, - or _)", field,
			name);
		return -1;
	}
	return cfg_tag_intern(c, name);
}

/*
 * Leading tag:X / tag:!X / set:X fields (net:X is dnsmasq's old spelling of
 * either). match or set NULL: that kind is not allowed here. Returns the
 * index of the first other field, or -1 after a diagnostic.
 */
int cfg_parse_tags(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct bs_tagexpr *match,
		   bs_tagset *set)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = f[i].s;
		bool is_tag = strncmp(s, "tag:", 4) == 0, is_set = strncmp(s, "set:", 4) == 0;
		bool neg;
		int t;

		if (f[i].quoted)
			break;
		if (strncmp(s, "net:", 4) == 0) {
			is_set = set != NULL;
			is_tag = !is_set;
		}
		if (!is_tag && !is_set)
			break;
		if ((is_tag && !match) || (is_set && !set)) {
			cfg_err(c, "%s: %s here (expected %s)", s,
				is_tag ? "tag conditions are not supported"
				       : "this directive sets no tags",
				cfg_directive_find(c->dname)->syntax);
			return -1;
		}
		neg = is_tag && s[4] == '!';
		t = cfg_tag_name(c, s, s + 4 + neg);
		if (t < 0)
			return -1;
		if (is_set)
			*set |= 1ull << t;
		else if (neg)
			match->forbid |= 1ull << t;
		else
			match->need |= 1ull << t;
	}
	if (match && (match->need & match->forbid)) {
		cfg_err(c, "a tag is both required and forbidden (tag:X and tag:!X): this line "
			   "can never match");
		return -1;
	}
	return (int)i;
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
	cfg_read_file(&c, path, true, NULL, 0);
	compile_all(&c);
	return finish(&c, errors_before, diags_before, out);
}

/* ---- compiling one item ---------------------------------------------- */

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
		n = cfg_split_fields(c, buf, f);
		if (n < 0)
			return;
	}
	d->fn(c, f, (size_t)n);
}

/* ---- command line ----------------------------------------------------- */

int bs_config_from_argv(int argc, char **argv, FILE *help_out, struct bs_config **out,
			struct bs_diags *diags)
{
	size_t errors_before = diags->errors, diags_before = diags->n;
	struct bs_config *cfg = cfg_new();
	struct cfg_argv a;
	struct cfg_ctx c;

	*out = NULL;
	if (!cfg) {
		diags->errors++;
		return -1;
	}
	ctx_init(&c, cfg, diags);
	cfg_read_argv(&c, argc, argv, &a);
	if (a.help || a.version) {
		if (a.version)
			fprintf(help_out, "bootstorm 0.1.0\n");
		if (a.help)
			cfg_usage(help_out);
		ctx_fini(&c);
		bs_config_free(cfg);
		return 1;
	}
	c.strict = cfg->test_only;
	if (a.conf)
		snprintf(cfg->conf_file, sizeof(cfg->conf_file), "%s", a.conf);
	/* dnsmasq: an empty --conf-file= means "read no file at all". */
	if (cfg->conf_file[0])
		cfg_read_file(&c, cfg->conf_file, a.conf != NULL, NULL, 0);
	compile_all(&c);
	return finish(&c, errors_before, diags_before, out);
}
