/* SPDX-License-Identifier: MIT */
/*
 * Text to items: dnsmasq's grammar. Config files line by line (comments,
 * the byte order mark, NUL bytes, over-long lines), conf-file= includes with
 * their loop and depth limits, the command line (long and short options,
 * the same directives as the file), and splitting a value into fields
 * (double quotes, escapes, typographic quotes and non-breaking spaces
 * pasted from documents). Also the names the grammar knows besides the
 * directive table: dnsmasq's directives bootstorm ignores, and the closest
 * directive for a misspelt one.
 *
 * Separate from config.c because this is the part that reads untrusted
 * text byte by byte and knows nothing of what a directive means: it
 * produces struct cfg_item (name, value, file, line) and struct cfg_field;
 * the handlers (config_directives.c, config_options.c) never see raw lines.
 */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

#define CMDLINE "command line"

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
		cfg_read_file(c, value, true, file, lineno);
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
int cfg_read_file(struct cfg_ctx *c, const char *path, bool must_exist, const char *from,
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
	if (c->cfg->nconf_files < BS_MAX_CONF_FILES && strlen(real) < sizeof(c->cfg->conf_files[0]))
		memcpy(c->cfg->conf_files[c->cfg->nconf_files++], real, strlen(real) + 1);
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

/* ---- fields ---------------------------------------------------------- */

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
int cfg_split_fields(struct cfg_ctx *c, char *s, struct cfg_field *f)
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

/* ---- names besides the directive table ------------------------------ */

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

/* ---- command line ----------------------------------------------------- */

void cfg_usage(FILE *f)
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

/*
 * The command line (argv[0] skipped) into c->items, in order. -C/--conf-file,
 * --test, --help and --version are not directives: they land in *a and
 * c->cfg->test_only. Errors become diagnostics; the caller goes on so that
 * it reports everything in one run.
 */
void cfg_read_argv(struct cfg_ctx *c, int argc, char **argv, struct cfg_argv *a)
{
	*a = (struct cfg_argv){0};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		c->file = CMDLINE;
		c->line = 0;
		c->dname = NULL;
		if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
			const char *val = strchr(arg + 2, '=');
			size_t nl = val ? (size_t)(val - (arg + 2)) : strlen(arg + 2);
			const struct cfg_directive *d;
			char name[64];

			if (nl >= sizeof(name)) {
				cfg_err(c, "unknown option %.64s...", arg);
				continue;
			}
			memcpy(name, arg + 2, nl);
			name[nl] = '\0';
			if (val)
				val++;
			if (strcmp(name, "conf-file") == 0) {
				const char *v = opt_value(c, val, argc, argv, &i, arg);

				if (v)
					a->conf = v;
			} else if (strcmp(name, "test") == 0 || strcmp(name, "help") == 0 ||
				   strcmp(name, "version") == 0) {
				if (val)
					cfg_err(c, "option --%s takes no value", name);
				c->cfg->test_only |= name[0] == 't';
				a->help |= name[0] == 'h';
				a->version |= name[0] == 'v';
			} else {
				d = cfg_directive_find(name);
				if (d && d->arg == CFG_ARG_REQ && !val) {
					val = opt_value(c, val, argc, argv, &i, arg);
					if (!val)
						continue;
				}
				if (add_item(c, CMDLINE, 0, name, val))
					break;
			}
			continue;
		}
		if (arg[0] == '-' && arg[1] && arg[1] != '-') {
			/* Clusters of short flags ("-dk"); a letter with a value
			   takes the rest of the word or the next argument. */
			for (const char *p = arg + 1; *p; p++) {
				const struct cfg_directive *d;
				char opt[3] = {'-', *p, 0};
				const char *v;

				if (*p == 'h' || *p == 'v') {
					a->help |= *p == 'h';
					a->version |= *p == 'v';
					continue;
				}
				if (*p == 'C') {
					v = opt_value(c, p[1] ? p + 1 : NULL, argc, argv, &i, opt);
					if (v)
						a->conf = v;
					break;
				}
				d = cfg_directive_by_short(*p);
				if (!d) {
					cfg_err(c, "unknown option -%c (see --help)", *p);
					continue;
				}
				if (d->arg == CFG_ARG_NONE) {
					add_item(c, CMDLINE, 0, d->name, NULL);
					continue;
				}
				v = opt_value(c, p[1] ? p + 1 : NULL, argc, argv, &i, opt);
				if (v)
					add_item(c, CMDLINE, 0, d->name, v);
				break;
			}
			continue;
		}
		cfg_err(c,
			"unexpected argument \"%s\": options start with - or --; "
			"directives are written --name=value",
			arg);
	}
}
