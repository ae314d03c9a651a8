/* SPDX-License-Identifier: MIT */
/*
 * The directives: one handler each, compiling a directive's fields into the
 * policy or the daemon settings. Every handler checks every field and says
 * what it expected; after an error it drops the directive (the config is
 * refused anyway) unless a best-effort value lets the cross-directive checks
 * find more mistakes in the same run.
 */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "util/bytes.h"

/* ---- shared field parsers (each reports its own error) ---------------- */

static int ip_field(struct cfg_ctx *c, const char *s, const char *what, uint32_t *out)
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

static int num_field(struct cfg_ctx *c, const char *s, const char *what, uint64_t min, uint64_t max,
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

static int lease_field(struct cfg_ctx *c, const char *s, uint32_t *out)
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

static int str_field(struct cfg_ctx *c, const char *s, const char *what, char *dst, size_t size)
{
	size_t len = strlen(s);

	if (len >= size) {
		cfg_err(c, "%s is %zu bytes long, more than the limit of %zu", what, len, size - 1);
		return -1;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

static bool is_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int ascii_text(struct cfg_ctx *c, const char *s, const char *what)
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

static int tag_name(struct cfg_ctx *c, const char *field, const char *name)
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
static int parse_tags(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct bs_tagexpr *match,
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
		t = tag_name(c, s, s + 4 + neg);
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

/* ---- listening -------------------------------------------------------- */

static void d_interface(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_config *cfg = c->cfg;

	for (size_t i = 0; i < n; i++) {
		const char *s = f[i].s;

		if (!*s || strlen(s) >= sizeof(cfg->ifaces[0]) || strpbrk(s, "/: \t*")) {
			cfg_err(c,
				"\"%s\" is not an interface name (expected e.g. eth0: at most 15 "
				"characters, no / : * or spaces%s)",
				s, strchr(s, '*') ? "; wildcards are not supported" : "");
			continue;
		}
		bool dup = false;

		for (unsigned j = 0; j < cfg->nifaces; j++)
			dup |= strcmp(cfg->ifaces[j], s) == 0;
		if (dup) {
			cfg_warn(c, "interface %s is listed twice", s);
			continue;
		}
		if (cfg->nifaces == BS_MAX_IFACES) {
			cfg_err(c, "more than %d interfaces", BS_MAX_IFACES);
			return;
		}
		snprintf(cfg->ifaces[cfg->nifaces], sizeof(cfg->ifaces[0]), "%s", s);
		cfg->iface_origin[cfg->nifaces] = (struct bs_origin){c->file, c->line};
		cfg->nifaces++;
		/* dnsmasq sets a tag named after the receiving interface */
		cfg_tag_intern(c, s);
	}
}

static void d_listen(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_config *cfg = c->cfg;

	for (size_t i = 0; i < n; i++) {
		uint32_t ip;

		if (ip_field(c, f[i].s, "address", &ip))
			continue;
		if (cfg->nlisten == BS_MAX_LISTEN) {
			cfg_err(c, "more than %d listen addresses", BS_MAX_LISTEN);
			return;
		}
		if ((ip >> 24) == 127)
			cfg_note(c,
				 "%s is a loopback address: no DHCP client can reach it (dnsmasq "
				 "listens there for DNS, which bootstorm does not serve)",
				 f[i].s);
		cfg->listen_origin[cfg->nlisten] = (struct bs_origin){c->file, c->line};
		cfg->listen[cfg->nlisten++] = ip;
	}
}

static void d_port(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (n != 1) {
		cfg_err(c, "expected one number: port=0");
		return;
	}
	if (num_field(c, f[0].s, "port", 0, 65535, &v))
		return;
	if (v != 0)
		cfg_err(c,
			"bootstorm runs no DNS server: only port=0 (DNS off) is accepted, not "
			"port=%s; remove the line",
			f[0].s);
}

/* ---- dhcp-range ------------------------------------------------------- */

/* "255,255,255,0": a netmask split by commas into four fields. */
static bool comma_split_mask(struct cfg_field *f, size_t n, uint32_t *mask)
{
	uint32_t m = 0;
	uint64_t b;

	if (n < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (f[i].quoted || cfg_parse_u64(f[i].s, 0, 255, &b))
			return false;
		m = m << 8 | (uint32_t)b;
	}
	if (!cfg_is_netmask(m))
		return false;
	*mask = m;
	return true;
}

static void d_range(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_range r = {.origin = {c->file, c->line}, .lease_secs = 3600};
	const char *syntax = cfg_directive_find("dhcp-range")->syntax;
	char a[16], b[16];
	int i = parse_tags(c, f, n, &r.match, &r.set);
	struct bs_range *slot;

	if (i < 0)
		return;
	if (n - (size_t)i < 2) {
		cfg_err(c, "expected %s", syntax);
		return;
	}
	if (ip_field(c, f[i].s, "start address", &r.start))
		return;
	i++;
	if (strcasecmp(f[i].s, "proxy") == 0) {
		r.proxy = true;
		r.end = r.start;
	} else if (strcasecmp(f[i].s, "static") == 0) {
		cfg_err(c, "static ranges (addresses from dhcp-host only) are not supported");
		return;
	} else if (ip_field(c, f[i].s, "end address", &r.end)) {
		return;
	}
	i++;
	if ((size_t)i < n && comma_split_mask(&f[i], n - (size_t)i, &r.netmask)) {
		cfg_err(c,
			"netmask \"%s\" is not a dotted quad (expected e.g. 255.255.255.0; was "
			"it written with commas: \"%s,%s,%s,%s\"?)",
			f[i].s, f[i].s, f[i + 1].s, f[i + 2].s, f[i + 3].s);
		i += 4; /* keep the mask: the subnet checks still run */
	} else if ((size_t)i < n && (strchr(f[i].s, '.') || r.proxy)) {
		int rc = cfg_parse_netmask(f[i].s, &r.netmask);

		if (rc == -EINVAL) {
			cfg_err(c,
				"netmask \"%s\" is not a dotted quad (expected e.g. "
				"255.255.255.0)",
				f[i].s);
			return;
		}
		if (rc) {
			cfg_err(c,
				"netmask %s is not a run of ones followed by zeros (expected e.g. "
				"255.255.255.0)",
				f[i].s);
			return;
		}
		i++;
		/* dnsmasq allows a broadcast address after the netmask */
		if ((size_t)i < n && strchr(f[i].s, '.')) {
			uint32_t bc;

			if (ip_field(c, f[i].s, "broadcast address", &bc))
				return;
			cfg_note(c,
				 "broadcast address %s is ignored: bootstorm derives it from the "
				 "netmask",
				 f[i].s);
			i++;
		}
	}
	if ((size_t)i < n && !r.proxy) {
		if (lease_field(c, f[i].s, &r.lease_secs))
			return;
		i++;
	} else if ((size_t)i < n && r.proxy && (size_t)i + 1 == n &&
		   cfg_parse_lease(f[i].s, &r.lease_secs) == 0) {
		cfg_warn(c,
			 "a proxy range hands out no addresses, so its lease time %s has no "
			 "effect",
			 f[i].s);
		i++;
	}
	if ((size_t)i < n) {
		cfg_err(c, "unexpected field \"%s\" (expected %s)", f[i].s, syntax);
		return;
	}
	if (!r.proxy && r.start > r.end) {
		cfg_err(c, "start %s is after end %s", cfg_ip_str(r.start, a),
			cfg_ip_str(r.end, b));
		return;
	}
	if (r.netmask && (r.start & r.netmask) != (r.end & r.netmask)) {
		cfg_err(c, "%s and %s are not in one subnet under netmask %s",
			cfg_ip_str(r.start, a), cfg_ip_str(r.end, b), cfg_ip_str(r.netmask, b));
		return;
	}
	slot = cfg_push(c, (void **)&p->ranges, &p->nranges, &c->cap_ranges, sizeof(r));
	if (slot)
		*slot = r;
}

/* ---- boot ------------------------------------------------------------- */

/* Loaders whose real file name ends in the PXE layer suffix ".0". */
static const char *const layer0_loaders[] = {"pxelinux", "gpxelinux", "lpxelinux"};

static void d_boot(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_boot b = {.origin = {c->file, c->line}};
	int i = parse_tags(c, f, n, &b.match, NULL);
	struct bs_boot *slot;
	const char *base;

	if (i < 0)
		return;
	if ((size_t)i >= n || !*f[i].s) {
		cfg_err(c, "expected a boot file name (%s)",
			cfg_directive_find("dhcp-boot")->syntax);
		return;
	}
	if (n - (size_t)i > 3) {
		cfg_err(c, "unexpected field \"%s\" (expected %s)", f[i + 3].s,
			cfg_directive_find("dhcp-boot")->syntax);
		return;
	}
	if (str_field(c, f[i].s, "boot file name", b.file, sizeof(b.file)))
		return;
	if ((size_t)i + 1 < n && str_field(c, f[i + 1].s, "server name", b.sname, sizeof(b.sname)))
		return;
	if ((size_t)i + 2 < n && ip_field(c, f[i + 2].s, "server address", &b.server_ip))
		return;
	base = strrchr(b.file, '/');
	base = base ? base + 1 : b.file;
	if (!strstr(b.file, "://") && !strchr(base, '.')) {
		bool known = false;

		for (size_t k = 0; k < BS_ARRAY_SIZE(layer0_loaders); k++)
			known |= strcmp(base, layer0_loaders[k]) == 0;
		if (known)
			cfg_err(
			    c,
			    "boot file \"%s\" lacks the \".0\" suffix: %s's loader is %s.0, and "
			    "dhcp-boot sends the name verbatim (only pxe-service appends the "
			    "PXE layer suffix .0); write %s.0",
			    b.file, base, base, b.file);
		else
			cfg_note(c,
				 "boot file \"%s\" has no extension: dhcp-boot sends it verbatim "
				 "(unlike pxe-service, which appends .0); is that the exact file "
				 "name?",
				 b.file);
	}
	slot = cfg_push(c, (void **)&p->boots, &p->nboots, &c->cap_boots, sizeof(b));
	if (slot)
		*slot = b;
}

static const struct {
	const char *name;
	uint16_t csa;
} csa_names[] = {
    {"x86PC", 0},      {"PC98", 1},	  {"IA64_EFI", 2},
    {"Alpha", 3},      {"Arc_x86", 4},	  {"Intel_Lean_Client", 5},
    {"IA32_EFI", 6},   {"BC_EFI", 7},	  {"Xscale_EFI", 8},
    {"X86-64_EFI", 9}, {"ARM32_EFI", 10}, {"ARM64_EFI", 11},
};

/* Compare ignoring case and the -/_ difference (for "did you mean"). */
static bool loose_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (char)tolower((unsigned char)*a), y = (char)tolower((unsigned char)*b);

		if (x == '-')
			x = '_';
		if (y == '-')
			y = '_';
		if (x != y)
			return false;
	}
	return *a == *b;
}

static int csa_field(struct cfg_ctx *c, const char *s, uint16_t *out)
{
	uint64_t v;

	for (size_t k = 0; k < BS_ARRAY_SIZE(csa_names); k++)
		if (strcasecmp(s, csa_names[k].name) == 0) {
			*out = csa_names[k].csa;
			return 0;
		}
	if (is_digits(s))
		return num_field(c, s, "client system architecture", 0, 65535, &v)
			   ? -1
			   : (*out = (uint16_t)v, 0);
	for (size_t k = 0; k < BS_ARRAY_SIZE(csa_names); k++)
		if (loose_eq(s, csa_names[k].name)) {
			cfg_err(c, "unknown client system architecture \"%s\" (did you mean %s?)",
				s, csa_names[k].name);
			return -1;
		}
	cfg_err(c,
		"unknown client system architecture \"%s\" (expected x86PC, PC98, IA64_EFI, "
		"Alpha, Arc_x86, Intel_Lean_Client, IA32_EFI, BC_EFI, Xscale_EFI, X86-64_EFI, "
		"ARM32_EFI, ARM64_EFI or a number)",
		s);
	return -1;
}

static void d_pxe_service(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_pxe_service s = {.origin = {c->file, c->line}};
	const char *syntax = cfg_directive_find("pxe-service")->syntax;
	int i = parse_tags(c, f, n, &s.match, NULL);
	struct bs_pxe_service *slot;
	uint64_t v;

	if (i < 0)
		return;
	if (n - (size_t)i < 2 || n - (size_t)i > 4) {
		cfg_err(c, "expected %s", syntax);
		return;
	}
	if (csa_field(c, f[i].s, &s.csa))
		return;
	if (!*f[i + 1].s) {
		cfg_err(c, "menu text is empty (expected %s)", syntax);
		return;
	}
	if (str_field(c, f[i + 1].s, "menu text", s.menu, sizeof(s.menu)) ||
	    ascii_text(c, s.menu, "menu text"))
		return;
	if ((size_t)i + 2 < n) {
		const char *t = f[i + 2].s;

		if (!f[i + 2].quoted && is_digits(t)) {
			if (num_field(c, t, "boot server type", 0, 65535, &v))
				return;
			s.type = (uint16_t)v;
		} else if (str_field(c, t, "basename", s.basename, sizeof(s.basename))) {
			return;
		}
	}
	if ((size_t)i + 3 < n && ip_field(c, f[i + 3].s, "server address", &s.server_ip))
		return;
	slot = cfg_push(c, (void **)&p->services, &p->nservices, &c->cap_services, sizeof(s));
	if (slot)
		*slot = s;
}

static void d_pxe_prompt(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_pxe_prompt pr = {.origin = {c->file, c->line}, .timeout = 255};
	int i = parse_tags(c, f, n, &pr.match, NULL);
	struct bs_pxe_prompt *slot;
	uint64_t v;

	if (i < 0)
		return;
	if ((size_t)i >= n || n - (size_t)i > 2 || !*f[i].s) {
		cfg_err(c, "expected %s", cfg_directive_find("pxe-prompt")->syntax);
		return;
	}
	if (str_field(c, f[i].s, "prompt", pr.text, sizeof(pr.text)) ||
	    ascii_text(c, pr.text, "prompt"))
		return;
	if ((size_t)i + 1 < n) {
		if (num_field(c, f[i + 1].s, "timeout", 0, 255, &v))
			return;
		pr.timeout = (uint8_t)v;
	}
	slot = cfg_push(c, (void **)&p->prompts, &p->nprompts, &c->cap_prompts, sizeof(pr));
	if (slot)
		*slot = pr;
}

/* ---- matching --------------------------------------------------------- */

enum opt_type {
	OT_UNKNOWN, /* dnsmasq's guess from the value's shape */
	OT_IPS,	    /* one or more IPv4 addresses */
	OT_STR,	    /* text, commas included */
	OT_U8,
	OT_U16,
	OT_U32,
	OT_NAMES, /* RFC 1035 names (domain-search, RFC 3397) */
	OT_CSR,	  /* classless static routes, RFC 3442 */
};

struct opt_def {
	const char *name;
	uint8_t code;
	uint8_t type;
};

/* dnsmasq's option names (dhcp-common.c), with the types bootstorm encodes. */
static const struct opt_def opt_defs[] = {
    {"netmask", 1, OT_IPS},
    {"time-offset", 2, OT_U32},
    {"router", 3, OT_IPS},
    {"dns-server", 6, OT_IPS},
    {"log-server", 7, OT_IPS},
    {"lpr-server", 9, OT_IPS},
    {"hostname", 12, OT_STR},
    {"boot-file-size", 13, OT_U16},
    {"domain-name", 15, OT_STR},
    {"swap-server", 16, OT_IPS},
    {"root-path", 17, OT_STR},
    {"extension-path", 18, OT_STR},
    {"ip-forward-enable", 19, OT_U8},
    {"non-local-source-routing", 20, OT_U8},
    {"policy-filter", 21, OT_IPS},
    {"max-datagram-reassembly", 22, OT_U16},
    {"default-ttl", 23, OT_U8},
    {"mtu", 26, OT_U16},
    {"all-subnets-local", 27, OT_U8},
    {"broadcast", 28, OT_IPS},
    {"router-discovery", 31, OT_U8},
    {"router-solicitation", 32, OT_IPS},
    {"static-route", 33, OT_IPS},
    {"trailer-encapsulation", 34, OT_U8},
    {"arp-timeout", 35, OT_U32},
    {"ethernet-encap", 36, OT_U8},
    {"tcp-ttl", 37, OT_U8},
    {"tcp-keepalive", 38, OT_U32},
    {"nis-domain", 40, OT_STR},
    {"nis-server", 41, OT_IPS},
    {"ntp-server", 42, OT_IPS},
    {"vendor-encap", 43, OT_UNKNOWN},
    {"netbios-ns", 44, OT_IPS},
    {"netbios-dd", 45, OT_IPS},
    {"netbios-nodetype", 46, OT_U8},
    {"netbios-scope", 47, OT_STR},
    {"x-windows-fs", 48, OT_IPS},
    {"x-windows-dm", 49, OT_IPS},
    {"lease-time", 51, OT_U32},
    {"message", 56, OT_STR},
    {"max-message-size", 57, OT_U16},
    {"T1", 58, OT_U32},
    {"T2", 59, OT_U32},
    {"vendor-class", 60, OT_STR},
    {"client-id", 61, OT_UNKNOWN},
    {"nis+-domain", 64, OT_STR},
    {"nis+-server", 65, OT_IPS},
    {"tftp-server", 66, OT_STR},
    {"bootfile-name", 67, OT_STR},
    {"mobile-ip-home", 68, OT_IPS},
    {"smtp-server", 69, OT_IPS},
    {"pop3-server", 70, OT_IPS},
    {"nntp-server", 71, OT_IPS},
    {"irc-server", 74, OT_IPS},
    {"user-class", 77, OT_UNKNOWN},
    {"client-arch", 93, OT_U16},
    {"client-interface-id", 94, OT_UNKNOWN},
    {"client-machine-id", 97, OT_UNKNOWN},
    {"posix-timezone", 100, OT_STR},
    {"tzdb-timezone", 101, OT_STR},
    {"domain-search", 119, OT_NAMES},
    {"sip-server", 120, OT_UNKNOWN},
    {"classless-static-route", 121, OT_CSR},
    {"tftp-server-address", 150, OT_IPS},
};

static const struct opt_def *opt_by_name(const char *name)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(opt_defs); i++)
		if (strcasecmp(opt_defs[i].name, name) == 0)
			return &opt_defs[i];
	return NULL;
}

static const struct opt_def *opt_by_code(uint8_t code)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(opt_defs); i++)
		if (opt_defs[i].code == code)
			return &opt_defs[i];
	return NULL;
}

static int option_code_field(struct cfg_ctx *c, const char *s, uint8_t *code, int *type)
{
	uint64_t v;

	*type = OT_UNKNOWN;
	if (strncmp(s, "option:", 7) == 0) {
		const struct opt_def *o = opt_by_name(s + 7);

		if (!o) {
			cfg_err(c,
				"unknown option name \"%s\" (expected e.g. option:router, or the "
				"option's number)",
				s + 7);
			return -1;
		}
		*code = o->code;
		*type = o->type;
		return 0;
	}
	if (strncmp(s, "option6:", 8) == 0 || strncmp(s, "vi-encap:", 9) == 0) {
		cfg_err(c, "%s: DHCPv6 and vendor-identifying options are not supported", s);
		return -1;
	}
	if (num_field(c, s, "option", 1, 254, &v))
		return -1;
	*code = (uint8_t)v;
	const struct opt_def *o = opt_by_code(*code);

	if (o)
		*type = o->type;
	return 0;
}

static void d_match(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_match m = {.origin = {c->file, c->line}};
	int i = parse_tags(c, f, n, NULL, &m.set), type;
	struct bs_match *slot;
	uint64_t v;

	if (i < 0)
		return;
	if (!m.set || (size_t)i >= n || n - (size_t)i > 2) {
		cfg_err(c, "expected %s", cfg_directive_find("dhcp-match")->syntax);
		return;
	}
	if (option_code_field(c, f[i].s, &m.option, &type))
		return;
	if ((size_t)i + 1 == n) {
		m.kind = BS_MATCH_EXISTS;
	} else if (!f[i + 1].quoted && is_digits(f[i + 1].s)) {
		if (num_field(c, f[i + 1].s, "value", 0, UINT32_MAX, &v))
			return;
		m.kind = BS_MATCH_NUMBER;
		m.number = (uint32_t)v;
		if (m.option == 93 && v > 65535) {
			cfg_err(c, "client-arch values are 16-bit (0 to 65535), not %s",
				f[i + 1].s);
			return;
		}
	} else if (m.option == 93) {
		cfg_err(c, "client-arch is matched by number (e.g. 7 for x86-64 UEFI), not \"%s\"",
			f[i + 1].s);
		return;
	} else {
		size_t len = strlen(f[i + 1].s);

		if (len == 0 || len > sizeof(m.bytes)) {
			cfg_err(c, "value must be 1 to %zu bytes", sizeof(m.bytes));
			return;
		}
		m.kind = BS_MATCH_BYTES;
		m.len = (uint8_t)len;
		memcpy(m.bytes, f[i + 1].s, len);
	}
	slot = cfg_push(c, (void **)&p->matches, &p->nmatches, &c->cap_matches, sizeof(m));
	if (slot)
		*slot = m;
}

static void class_match(struct cfg_ctx *c, struct cfg_field *f, size_t n, uint8_t option)
{
	struct bs_policy *p = c->pol;
	struct bs_match m = {
	    .origin = {c->file, c->line}, .option = option, .kind = BS_MATCH_BYTES};
	int i = parse_tags(c, f, n, NULL, &m.set);
	struct bs_match *slot;
	size_t len;

	if (i < 0)
		return;
	if (!m.set || (size_t)i + 1 != n) {
		cfg_err(c, "expected set:TAG,STRING");
		return;
	}
	if (strncmp(f[i].s, "enterprise:", 11) == 0) {
		cfg_err(c, "enterprise: (RFC 3925 vendor classes) is not supported");
		return;
	}
	len = strlen(f[i].s);
	if (len == 0 || len > sizeof(m.bytes)) {
		cfg_err(c, "class string must be 1 to %zu bytes", sizeof(m.bytes));
		return;
	}
	m.len = (uint8_t)len;
	memcpy(m.bytes, f[i].s, len);
	slot = cfg_push(c, (void **)&p->matches, &p->nmatches, &c->cap_matches, sizeof(m));
	if (slot)
		*slot = m;
}

static void d_userclass(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	class_match(c, f, n, 77);
}

static void d_vendorclass(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	class_match(c, f, n, 60);
}

static void d_tag_if(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_tag_if t = {.origin = {c->file, c->line}};
	int i = parse_tags(c, f, n, &t.match, &t.set);
	struct bs_tag_if *slot;

	if (i < 0)
		return;
	if (!t.set || (size_t)i != n) {
		cfg_err(c, "expected %s%s%s%s", cfg_directive_find("tag-if")->syntax,
			(size_t)i < n ? " (got \"" : "", (size_t)i < n ? f[i].s : "",
			(size_t)i < n ? "\")" : "");
		return;
	}
	slot = cfg_push(c, (void **)&p->tag_ifs, &p->ntag_ifs, &c->cap_tag_ifs, sizeof(t));
	if (slot)
		*slot = t;
}

/* ---- dhcp-host -------------------------------------------------------- */

static bool valid_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 63 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	return true;
}

/*
 * dnsmasq recognises dhcp-host fields by their shape, in any order: a MAC,
 * set:tag, an address, "ignore", a lease time, else a hostname.
 */
static void d_host(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_host h = {.origin = {c->file, c->line}};
	uint8_t macs[8][6];
	size_t nmac = 0;
	bool have_ip = false, have_lease = false;

	for (size_t i = 0; i < n; i++) {
		const char *s = f[i].s;
		uint8_t mac[6];

		if (!*s) {
			cfg_err(c, "field %zu is empty (expected %s)", i + 1,
				cfg_directive_find("dhcp-host")->syntax);
			return;
		}
		if (!f[i].quoted && (strncmp(s, "set:", 4) == 0 || strncmp(s, "net:", 4) == 0)) {
			int t = tag_name(c, s, s + 4);

			if (t < 0)
				return;
			h.set |= 1ull << t;
		} else if (strncmp(s, "tag:", 4) == 0) {
			cfg_err(c,
				"%s: tag conditions on dhcp-host are not supported (to tag the "
				"host, write set:%s)",
				s, s + 4);
			return;
		} else if (strncmp(s, "id:", 3) == 0) {
			cfg_err(c,
				"%s: client-id matching is not supported; bootstorm matches "
				"dhcp-host by MAC address",
				s);
			return;
		} else if (cfg_parse_mac(s, mac) == 0) {
			if (nmac == BS_ARRAY_SIZE(macs)) {
				cfg_err(c, "more than %zu MAC addresses on one line",
					BS_ARRAY_SIZE(macs));
				return;
			}
			memcpy(macs[nmac++], mac, 6);
		} else if (strchr(s, ':') || strchr(s, '*')) {
			cfg_err(c,
				"\"%s\" is not a MAC address (expected six hex pairs like "
				"52:54:00:12:34:56%s)",
				s, strchr(s, '*') ? "; wildcards are not supported" : "");
			return;
		} else if (strcasecmp(s, "ignore") == 0) {
			h.ignore = true;
		} else if (isdigit((unsigned char)s[0]) && strchr(s, '.')) {
			if (have_ip) {
				cfg_err(c, "two addresses (%s is the second); a host gets one", s);
				return;
			}
			if (ip_field(c, s, "address", &h.ip))
				return;
			have_ip = true;
		} else if (strcasecmp(s, "infinite") == 0 ||
			   (isdigit((unsigned char)s[0]) &&
			    cfg_parse_lease(s, &h.lease_secs) != -EINVAL)) {
			if (have_lease) {
				cfg_err(c, "two lease times (%s is the second)", s);
				return;
			}
			if (lease_field(c, s, &h.lease_secs))
				return;
			have_lease = true;
		} else if (valid_hostname(s)) {
			if (h.hostname[0]) {
				cfg_err(c,
					"two hostnames (\"%s\" and \"%s\"), or a field of unknown "
					"shape (expected %s)",
					h.hostname, s, cfg_directive_find("dhcp-host")->syntax);
				return;
			}
			snprintf(h.hostname, sizeof(h.hostname), "%s", s);
		} else {
			cfg_err(c,
				"field \"%s\" is neither a MAC, set:TAG, address, lease time, "
				"\"ignore\" nor a hostname (letters, digits, - and ., at most 63)",
				s);
			return;
		}
	}
	if (nmac == 0) {
		cfg_err(c, "no MAC address (expected %s; bootstorm matches hosts by MAC only)",
			cfg_directive_find("dhcp-host")->syntax);
		return;
	}
	for (size_t k = 0; k < nmac; k++) {
		struct bs_host *slot =
		    cfg_push(c, (void **)&p->hosts, &p->nhosts, &c->cap_hosts, sizeof(h));

		if (!slot)
			return;
		*slot = h;
		memcpy(slot->mac, macs[k], 6);
	}
}

/* ---- dhcp-option ------------------------------------------------------ */

struct optbuf {
	uint8_t data[255];
	size_t len;
};

static int put(struct cfg_ctx *c, struct optbuf *o, const void *src, size_t n)
{
	if (o->len + n > sizeof(o->data)) {
		cfg_err(c, "value encodes to more than 255 bytes, the most one DHCP option holds");
		return -1;
	}
	memcpy(o->data + o->len, src, n);
	o->len += n;
	return 0;
}

static int enc_ips(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct optbuf *o)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[4];
		uint32_t ip;

		if (ip_field(c, f[i].s, "address", &ip))
			return -1;
		/* dnsmasq substitutes its own address for 0.0.0.0 */
		if (ip == 0)
			cfg_warn(c,
				 "0.0.0.0 is sent as written: bootstorm does not replace it with "
				 "its own address as dnsmasq does; write the address");
		put_be32(b, ip);
		if (put(c, o, b, 4))
			return -1;
	}
	return 0;
}

/* Text options take the whole value, commas included, as dnsmasq does. */
static int enc_str(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct optbuf *o)
{
	for (size_t i = 0; i < n; i++)
		if ((i && put(c, o, ",", 1)) || put(c, o, f[i].s, strlen(f[i].s)))
			return -1;
	return 0;
}

static int enc_uint(struct cfg_ctx *c, const char *s, unsigned size, struct optbuf *o)
{
	uint64_t v, max = size == 4 ? UINT32_MAX : (1ull << (size * 8)) - 1;
	uint8_t b[4];

	if (num_field(c, s, "value", 0, max, &v))
		return -1;
	for (unsigned k = 0; k < size; k++)
		b[k] = (uint8_t)(v >> (8 * (size - 1 - k)));
	return put(c, o, b, size);
}

static int enc_names(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct optbuf *o)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = f[i].s;

		while (*s) {
			size_t l = strcspn(s, ".");
			uint8_t lb = (uint8_t)l;

			if (l == 0 || l > 63) {
				cfg_err(c,
					"\"%s\" is not a domain name (labels of 1 to 63 characters "
					"between dots)",
					f[i].s);
				return -1;
			}
			if (put(c, o, &lb, 1) || put(c, o, s, l))
				return -1;
			s += l;
			if (*s == '.')
				s++;
		}
		if (put(c, o, "", 1))
			return -1;
	}
	return 0;
}

/* RFC 3442: width, the significant octets of the destination, router. */
static int enc_csr(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct optbuf *o)
{
	if (n == 0 || n % 2) {
		cfg_err(c, "expected pairs of NETWORK/PREFIX,ROUTER (e.g. 10.0.0.0/8,192.168.1.1)");
		return -1;
	}
	for (size_t i = 0; i < n; i += 2) {
		char net[32];
		const char *slash = strchr(f[i].s, '/');
		uint32_t dst, gw;
		uint64_t plen;
		uint8_t b[9];

		if (!slash || (size_t)(slash - f[i].s) >= sizeof(net)) {
			cfg_err(c, "\"%s\" is not NETWORK/PREFIX (e.g. 10.0.0.0/8)", f[i].s);
			return -1;
		}
		snprintf(net, sizeof(net), "%.*s", (int)(slash - f[i].s), f[i].s);
		if (ip_field(c, net, "route destination", &dst) ||
		    num_field(c, slash + 1, "prefix length", 0, 32, &plen) ||
		    ip_field(c, f[i + 1].s, "router", &gw))
			return -1;
		if (plen < 32 && (dst & (0xffffffffu >> plen))) {
			cfg_err(c, "%s has host bits set beyond the /%u prefix", f[i].s,
				(unsigned)plen);
			return -1;
		}
		size_t sig = (size_t)(plen + 7) / 8;

		b[0] = (uint8_t)plen;
		put_be32(b + 1, dst);
		put_be32(b + 1 + sig, gw);
		if (put(c, o, b, 1 + sig + 4))
			return -1;
	}
	return 0;
}

static bool is_hex_bytes(const char *s)
{
	size_t groups = 0;

	while (*s) {
		size_t l = strspn(s, "0123456789abcdefABCDEF");

		if (l == 0 || l > 2)
			return false;
		groups++;
		s += l;
		if (*s == ':')
			s++;
		else if (*s)
			return false;
	}
	return groups >= 2;
}

/*
 * An option bootstorm has no type for: dnsmasq's rules by the value's shape.
 * One integer: the smallest of 1, 2 or 4 bytes that holds it, or the size a
 * b/s/i suffix names; dotted quads: addresses; 01:02:..: bytes; else text.
 */
static int enc_guess(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct optbuf *o)
{
	bool all_ips = n > 0, quoted = false;
	uint32_t ip;

	for (size_t i = 0; i < n; i++) {
		quoted |= f[i].quoted;
		all_ips &= !f[i].quoted && strchr(f[i].s, '.') && cfg_parse_ip(f[i].s, &ip) == 0;
	}
	if (n == 1 && !quoted) {
		char num[24];
		const char *s = f[0].s;
		size_t len = strlen(s);
		unsigned size = 0;
		uint64_t v;

		if (len > 1 && len < sizeof(num) && strchr("bsi", s[len - 1]) &&
		    is_digits((snprintf(num, sizeof(num), "%.*s", (int)len - 1, s), num))) {
			size = s[len - 1] == 'b' ? 1 : s[len - 1] == 's' ? 2 : 4;
			return enc_uint(c, num, size, o);
		}
		if (is_digits(s)) {
			if (num_field(c, s, "value", 0, UINT32_MAX, &v))
				return -1;
			size = v > 0xffff ? 4 : v > 0xff ? 2 : 1;
			return enc_uint(c, s, size, o);
		}
		if (is_hex_bytes(s)) {
			while (*s) {
				uint8_t b = (uint8_t)strtoul(s, NULL, 16);

				if (put(c, o, &b, 1))
					return -1;
				s += strspn(s, "0123456789abcdefABCDEF");
				if (*s == ':')
					s++;
			}
			return 0;
		}
	}
	if (all_ips)
		return enc_ips(c, f, n, o);
	if (!quoted && n > 1 && is_digits(f[0].s)) {
		cfg_err(c, "ambiguous value for an option of unknown type: write integers as hex "
			   "bytes (01:02:03) or quote the text");
		return -1;
	}
	return enc_str(c, f, n, o);
}

static void option_common(struct cfg_ctx *c, struct cfg_field *f, size_t n, bool force)
{
	struct bs_policy *p = c->pol;
	struct bs_dhcp_option opt = {.origin = {c->file, c->line}, .force = force};
	const char *syntax = cfg_directive_find("dhcp-option")->syntax;
	int i = parse_tags(c, f, n, &opt.match, NULL), type, rc;
	struct bs_dhcp_option *slot;
	struct optbuf o = {.len = 0};
	uint64_t v;

	if (i < 0)
		return;
	for (; (size_t)i < n && !f[i].quoted; i++) {
		if (strncmp(f[i].s, "encap:", 6) == 0) {
			if (num_field(c, f[i].s + 6, "encap", 1, 254, &v))
				return;
			if (v != 43) {
				cfg_err(c,
					"encap:%s: only encap:43 (PXE/vendor sub-options) is "
					"supported",
					f[i].s + 6);
				return;
			}
			opt.encap = 43;
		} else if (strncmp(f[i].s, "vendor:", 7) == 0) {
			cfg_err(c,
				"%s: options by vendor class are not supported; match the class "
				"with dhcp-vendorclass=set:TAG,... and write tag:TAG,encap:43,...",
				f[i].s);
			return;
		} else {
			break;
		}
	}
	if ((size_t)i >= n) {
		cfg_err(c, "expected %s", syntax);
		return;
	}
	if (option_code_field(c, f[i].s, &opt.code, &type))
		return;
	if (opt.encap)
		type = OT_UNKNOWN; /* sub-option codes are not top-level codes */
	else if (opt.code == 52 || opt.code == 53 || opt.code == 55) {
		cfg_err(c, "option %u is part of the DHCP protocol; bootstorm sets it itself",
			opt.code);
		return;
	}
	i++;
	n -= (size_t)i;
	f += i;
	if (n == 0 || (n == 1 && !*f[0].s && !f[0].quoted)) {
		/* dnsmasq: "dhcp-option=3" means "send no router option", not
		   even the default; the policy carries it as len 0 */
		rc = 0;
	} else {
		switch (type) {
		case OT_IPS:
			rc = enc_ips(c, f, n, &o);
			break;
		case OT_STR:
			rc = enc_str(c, f, n, &o);
			break;
		case OT_U8:
		case OT_U16:
		case OT_U32:
			if (n != 1) {
				cfg_err(c, "option %u takes one number, not %zu values", opt.code,
					n);
				return;
			}
			rc = enc_uint(c, f[0].s, type == OT_U8 ? 1 : type == OT_U16 ? 2 : 4, &o);
			break;
		case OT_NAMES:
			rc = enc_names(c, f, n, &o);
			break;
		case OT_CSR:
			rc = enc_csr(c, f, n, &o);
			break;
		default:
			rc = enc_guess(c, f, n, &o);
		}
	}
	if (rc)
		return;
	opt.len = (uint8_t)o.len;
	memcpy(opt.data, o.data, o.len);
	slot = cfg_push(c, (void **)&p->options, &p->noptions, &c->cap_options, sizeof(opt));
	if (slot)
		*slot = opt;
}

static void d_option(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	option_common(c, f, n, false);
}

static void d_option_force(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	option_common(c, f, n, true);
}

/* ---- flags and settings ----------------------------------------------- */

static void d_no_override(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f, (void)n;
	c->pol->no_override = true;
}

static void d_authoritative(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f, (void)n;
	c->pol->authoritative = true;
}

static void d_log_dhcp(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f, (void)n;
	c->pol->log_dhcp = true;
}

static void d_no_daemon(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f, (void)n;
	c->cfg->no_daemon = true;
}

static void d_keep_fg(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f, (void)n;
	c->cfg->keep_foreground = true;
}

static void d_enable_tftp(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	(void)f;
	if (n) {
		cfg_err(c, "per-interface TFTP (enable-tftp=INTERFACE) is not supported; write "
			   "enable-tftp (TFTP is served where DHCP is)");
		return;
	}
	c->cfg->tftp_enabled = true;
	c->pol->tftp_enabled = true;
}

static int one_path(struct cfg_ctx *c, struct cfg_field *f, size_t n, char *dst, size_t size)
{
	if (n != 1) {
		cfg_err(c, "expected one path, got %zu comma-separated fields", n);
		return -1;
	}
	return str_field(c, f[0].s, "path", dst, size);
}

static void d_tftp_root(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (one_path(c, f, n, c->cfg->tftp_root, sizeof(c->cfg->tftp_root)))
		return;
	c->cfg->tftp_root_origin = (struct bs_origin){c->file, c->line};
	if (c->cfg->tftp_root[0] != '/')
		cfg_warn(c,
			 "\"%s\" is a relative path: it depends on the directory bootstorm is "
			 "started from; write an absolute path",
			 c->cfg->tftp_root);
}

static void d_leasefile(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	one_path(c, f, n, c->cfg->lease_file, sizeof(c->cfg->lease_file));
}

static void d_pid_file(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	/* dnsmasq: pid-file with no value means no pid file */
	if (n == 0)
		c->cfg->pid_file[0] = '\0';
	else
		one_path(c, f, n, c->cfg->pid_file, sizeof(c->cfg->pid_file));
}

static void d_lease_max(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (n == 1 && num_field(c, f[0].s, "dhcp-lease-max", 1, 10000000, &v) == 0)
		c->pol->lease_max = (uint32_t)v;
	else if (n != 1)
		cfg_err(c, "expected one number");
}

static void d_tftp_max(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (n == 1 && num_field(c, f[0].s, "tftp-max", 1, 65535, &v) == 0)
		c->cfg->tftp.max_transfers = (uint32_t)v;
	else if (n != 1)
		cfg_err(c, "expected one number");
}

static void d_tftp_port_range(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	static const uint16_t reserved[] = {67, 68, 69, 4011};
	uint64_t lo, hi;

	if (n != 2) {
		cfg_err(c, "expected LOW,HIGH (e.g. 50000,50063)");
		return;
	}
	if (num_field(c, f[0].s, "low port", 1, 65535, &lo) ||
	    num_field(c, f[1].s, "high port", 1, 65535, &hi))
		return;
	if (lo > hi) {
		cfg_err(c, "low port %s is above high port %s", f[0].s, f[1].s);
		return;
	}
	for (size_t k = 0; k < BS_ARRAY_SIZE(reserved); k++)
		if (reserved[k] >= lo && reserved[k] <= hi) {
			cfg_err(c, "range %s-%s contains port %u, which DHCP/TFTP/PXE listen on",
				f[0].s, f[1].s, reserved[k]);
			return;
		}
	c->cfg->tftp.port_lo = (uint16_t)lo;
	c->cfg->tftp.port_hi = (uint16_t)hi;
}

static const struct {
	const char *name;
	int fac;
} facilities[] = {
    {"kern", LOG_KERN},	    {"user", LOG_USER},		{"mail", LOG_MAIL},
    {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},		{"syslog", LOG_SYSLOG},
    {"lpr", LOG_LPR},	    {"news", LOG_NEWS},		{"uucp", LOG_UUCP},
    {"cron", LOG_CRON},	    {"authpriv", LOG_AUTHPRIV}, {"ftp", LOG_FTP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},	{"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},	{"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

static void d_log_facility(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (n != 1) {
		cfg_err(c, "expected a syslog facility name or a file path");
		return;
	}
	/* dnsmasq: a value with a '/' is a log file, "-" is stderr */
	if (strchr(f[0].s, '/') || strcmp(f[0].s, "-") == 0) {
		str_field(c, f[0].s, "path", c->cfg->log_file, sizeof(c->cfg->log_file));
		return;
	}
	for (size_t k = 0; k < BS_ARRAY_SIZE(facilities); k++)
		if (strcasecmp(f[0].s, facilities[k].name) == 0) {
			c->cfg->log_facility = facilities[k].fac;
			c->cfg->log_file[0] = '\0';
			return;
		}
	cfg_err(c,
		"\"%s\" is neither a syslog facility (daemon, local0..local7, ...) nor a "
		"file path (which contains a /)",
		f[0].s);
}

/* ---- the table -------------------------------------------------------- */

#define TAGS "[tag:T,..]"

const struct cfg_directive cfg_directives[] = {
    {"interface", CFG_ARG_REQ, d_interface, "NAME[,NAME..]", 'i'},
    {"listen-address", CFG_ARG_REQ, d_listen, "ADDRESS[,ADDRESS..]", 'a'},
    {"port", CFG_ARG_REQ, d_port, "0", 'p'},
    {"dhcp-range", CFG_ARG_REQ, d_range,
     "[tag:T,][set:T,]START,END[,NETMASK][,LEASETIME] or [tag:T,]ADDRESS,proxy[,NETMASK]", 'F'},
    {"dhcp-host", CFG_ARG_REQ, d_host, "MAC[,set:TAG][,ADDRESS][,HOSTNAME][,LEASETIME][,ignore]",
     'G'},
    {"dhcp-boot", CFG_ARG_REQ, d_boot, TAGS "FILE[,SNAME[,SERVER-ADDRESS]]", 'M'},
    {"pxe-service", CFG_ARG_REQ, d_pxe_service,
     TAGS "CSA,\"MENU TEXT\"[,BASENAME|TYPE][,SERVER-ADDRESS]", 0},
    {"pxe-prompt", CFG_ARG_REQ, d_pxe_prompt, TAGS "\"PROMPT\"[,TIMEOUT]", 0},
    {"dhcp-match", CFG_ARG_REQ, d_match, "set:TAG,CODE|option:NAME[,VALUE]", 0},
    {"dhcp-userclass", CFG_ARG_REQ, d_userclass, "set:TAG,STRING", 'j'},
    {"dhcp-vendorclass", CFG_ARG_REQ, d_vendorclass, "set:TAG,STRING", 'U'},
    {"tag-if", CFG_ARG_REQ, d_tag_if, "set:TAG[,set:TAG..][,tag:TAG|tag:!TAG..]", 0},
    {"dhcp-option", CFG_ARG_REQ, d_option, TAGS "[encap:43,]CODE|option:NAME[,VALUE..]", 'O'},
    {"dhcp-option-force", CFG_ARG_REQ, d_option_force, TAGS "[encap:43,]CODE|option:NAME[,VALUE..]",
     0},
    {"dhcp-no-override", CFG_ARG_NONE, d_no_override, NULL, 0},
    {"dhcp-authoritative", CFG_ARG_NONE, d_authoritative, NULL, 'K'},
    {"dhcp-lease-max", CFG_ARG_REQ, d_lease_max, "NUMBER", 'X'},
    {"dhcp-leasefile", CFG_ARG_REQ, d_leasefile, "PATH", 'l'},
    {"enable-tftp", CFG_ARG_OPT, d_enable_tftp, NULL, 0},
    {"tftp-root", CFG_ARG_REQ, d_tftp_root, "DIRECTORY", 0},
    {"tftp-max", CFG_ARG_REQ, d_tftp_max, "NUMBER", 0},
    {"tftp-port-range", CFG_ARG_REQ, d_tftp_port_range, "LOW,HIGH", 0},
    {"log-dhcp", CFG_ARG_NONE, d_log_dhcp, NULL, 0},
    {"log-facility", CFG_ARG_REQ, d_log_facility, "FACILITY|PATH", '8'},
    {"pid-file", CFG_ARG_OPT, d_pid_file, "PATH", 'x'},
    {"no-daemon", CFG_ARG_NONE, d_no_daemon, NULL, 'd'},
    {"keep-in-foreground", CFG_ARG_NONE, d_keep_fg, NULL, 'k'},
};

const size_t cfg_ndirectives = BS_ARRAY_SIZE(cfg_directives);

const struct cfg_directive *cfg_directive_find(const char *name)
{
	for (size_t i = 0; i < cfg_ndirectives; i++)
		if (strcmp(cfg_directives[i].name, name) == 0)
			return &cfg_directives[i];
	return NULL;
}

const struct cfg_directive *cfg_directive_by_short(char opt)
{
	for (size_t i = 0; i < cfg_ndirectives; i++)
		if (cfg_directives[i].shortopt == opt)
			return &cfg_directives[i];
	return NULL;
}
