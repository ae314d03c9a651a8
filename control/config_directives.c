/* SPDX-License-Identifier: MIT */
/*
 * The directives: one handler each, compiling a directive's fields into the
 * policy or the daemon settings. Every handler checks every field and says
 * what it expected; after an error it drops the directive (the config is
 * refused anyway) unless a best-effort value lets the cross-directive checks
 * find more mistakes in the same run.
 *
 * The dhcp-option family and the option-matching directives live in
 * config_options.c; the field checks and tag parsing all handlers share
 * live in config.c. The directive table below lists them all.
 */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "util/bytes.h"
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

		if (cfg_ip_field(c, f[i].s, "address", &ip))
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
	if (cfg_num_field(c, f[0].s, "port", 0, 65535, &v))
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
	int i = cfg_parse_tags(c, f, n, &r.match, &r.set);
	struct bs_range *slot;

	if (i < 0)
		return;
	if (n - (size_t)i < 2) {
		cfg_err(c, "expected %s", syntax);
		return;
	}
	if (cfg_ip_field(c, f[i].s, "start address", &r.start))
		return;
	i++;
	if (strcasecmp(f[i].s, "proxy") == 0) {
		r.proxy = true;
		r.end = r.start;
	} else if (strcasecmp(f[i].s, "static") == 0) {
		cfg_err(c, "static ranges (addresses from dhcp-host only) are not supported");
		return;
	} else if (cfg_ip_field(c, f[i].s, "end address", &r.end)) {
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

			if (cfg_ip_field(c, f[i].s, "broadcast address", &bc))
				return;
			cfg_note(c,
				 "broadcast address %s is ignored: bootstorm derives it from the "
				 "netmask",
				 f[i].s);
			i++;
		}
	}
	if ((size_t)i < n && !r.proxy) {
		if (cfg_lease_field(c, f[i].s, &r.lease_secs))
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
	int i = cfg_parse_tags(c, f, n, &b.match, NULL);
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
	if (cfg_str_field(c, f[i].s, "boot file name", b.file, sizeof(b.file)))
		return;
	if ((size_t)i + 1 < n &&
	    cfg_str_field(c, f[i + 1].s, "server name", b.sname, sizeof(b.sname)))
		return;
	if ((size_t)i + 2 < n && cfg_ip_field(c, f[i + 2].s, "server address", &b.server_ip))
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
	if (cfg_is_digits(s))
		return cfg_num_field(c, s, "client system architecture", 0, 65535, &v)
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
	int i = cfg_parse_tags(c, f, n, &s.match, NULL);
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
	if (cfg_str_field(c, f[i + 1].s, "menu text", s.menu, sizeof(s.menu)) ||
	    cfg_ascii_text(c, s.menu, "menu text"))
		return;
	if ((size_t)i + 2 < n) {
		const char *t = f[i + 2].s;

		if (!f[i + 2].quoted && cfg_is_digits(t)) {
			if (cfg_num_field(c, t, "boot server type", 0, 65535, &v))
				return;
			s.type = (uint16_t)v;
		} else if (cfg_str_field(c, t, "basename", s.basename, sizeof(s.basename))) {
			return;
		}
	}
	if ((size_t)i + 3 < n && cfg_ip_field(c, f[i + 3].s, "server address", &s.server_ip))
		return;
	slot = cfg_push(c, (void **)&p->services, &p->nservices, &c->cap_services, sizeof(s));
	if (slot)
		*slot = s;
}

static void d_pxe_prompt(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_pxe_prompt pr = {.origin = {c->file, c->line}, .timeout = 255};
	int i = cfg_parse_tags(c, f, n, &pr.match, NULL);
	struct bs_pxe_prompt *slot;
	uint64_t v;

	if (i < 0)
		return;
	if ((size_t)i >= n || n - (size_t)i > 2 || !*f[i].s) {
		cfg_err(c, "expected %s", cfg_directive_find("pxe-prompt")->syntax);
		return;
	}
	if (cfg_str_field(c, f[i].s, "prompt", pr.text, sizeof(pr.text)) ||
	    cfg_ascii_text(c, pr.text, "prompt"))
		return;
	if ((size_t)i + 1 < n) {
		if (cfg_num_field(c, f[i + 1].s, "timeout", 0, 255, &v))
			return;
		pr.timeout = (uint8_t)v;
	}
	slot = cfg_push(c, (void **)&p->prompts, &p->nprompts, &c->cap_prompts, sizeof(pr));
	if (slot)
		*slot = pr;
}

/* ---- tags --------------------------------------------------------------- */

static void d_tag_if(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_tag_if t = {.origin = {c->file, c->line}};
	int i = cfg_parse_tags(c, f, n, &t.match, &t.set);
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
			int t = cfg_tag_name(c, s, s + 4);

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
			if (cfg_ip_field(c, s, "address", &h.ip))
				return;
			have_ip = true;
		} else if (strcasecmp(s, "infinite") == 0 ||
			   (isdigit((unsigned char)s[0]) &&
			    cfg_parse_lease(s, &h.lease_secs) != -EINVAL)) {
			if (have_lease) {
				cfg_err(c, "two lease times (%s is the second)", s);
				return;
			}
			if (cfg_lease_field(c, s, &h.lease_secs))
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
	return cfg_str_field(c, f[0].s, "path", dst, size);
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

static void d_host_state(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	one_path(c, f, n, c->cfg->host_state, sizeof(c->cfg->host_state));
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

	if (n == 1 && cfg_num_field(c, f[0].s, "dhcp-lease-max", 1, 10000000, &v) == 0)
		c->pol->lease_max = (uint32_t)v;
	else if (n != 1)
		cfg_err(c, "expected one number");
}

static void d_tftp_max(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (n == 1 && cfg_num_field(c, f[0].s, "tftp-max", 1, 65535, &v) == 0)
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
	if (cfg_num_field(c, f[0].s, "low port", 1, 65535, &lo) ||
	    cfg_num_field(c, f[1].s, "high port", 1, 65535, &hi))
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
		cfg_str_field(c, f[0].s, "path", c->cfg->log_file, sizeof(c->cfg->log_file));
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

/* Not in dnsmasq: which packet I/O backend the dataplane uses. Checked here
   so that main only ever sees one of the names it knows. */
static void d_backend(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	static const char *const names[] = {"auto", "afxdp", "socket", "dpdk"};

	if (n != 1) {
		cfg_err(c, "expected one of auto, afxdp, socket, dpdk");
		return;
	}
	for (size_t k = 0; k < BS_ARRAY_SIZE(names); k++)
		if (strcmp(f[0].s, names[k]) == 0) {
			snprintf(c->cfg->backend, sizeof(c->cfg->backend), "%s", names[k]);
			return;
		}
	cfg_err(c, "\"%s\" is not a backend; expected one of auto, afxdp, socket, dpdk", f[0].s);
}

/* DPDK's EAL arguments (backend=dpdk, docs/dpdk.md): one string, split at
   white space by the backend. Device arguments contain commas
   (--vdev=net_af_packet0,iface=eth0), so the fields are joined again. */
static void d_dpdk_args(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	char *dst = c->cfg->dpdk_args;
	size_t size = sizeof(c->cfg->dpdk_args), len = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(dst + len, size - len, "%s%s", i ? "," : "", f[i].s);

		if (w < 0 || (size_t)w >= size - len) {
			cfg_err(c, "longer than the limit of %zu bytes", size - 1);
			dst[0] = '\0';
			return;
		}
		len += (size_t)w;
	}
}

/* ---- HTTP (not in dnsmasq) --------------------------------------------- */

static int one_number(struct cfg_ctx *c, struct cfg_field *f, size_t n, const char *what,
		      uint64_t min, uint64_t max, uint64_t *v)
{
	if (n != 1) {
		cfg_err(c, "expected one number (%llu to %llu)", (unsigned long long)min,
			(unsigned long long)max);
		return -1;
	}
	return cfg_num_field(c, f[0].s, what, min, max, v);
}

static void d_http_port(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	static const uint16_t udp_ports[] = {67, 68, 69, 4011};
	uint64_t v;

	if (one_number(c, f, n, "http-port", 0, 65535, &v))
		return;
	/* HTTP is TCP, so 67/69 would bind; it is still a typo. */
	for (size_t k = 0; k < BS_ARRAY_SIZE(udp_ports); k++)
		if (v == udp_ports[k])
			cfg_warn(c,
				 "http-port=%s is a DHCP/TFTP/PXE port number: typo? (80 or "
				 "8080 are usual)",
				 f[0].s);
	c->cfg->http_port = (uint16_t)v;
}

static void d_http_address(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct http_bind b;

	if (n != 1) {
		cfg_err(c, "expected one IPv4 or IPv6 address (none = all, IPv4 and IPv6)");
		return;
	}
	if (cfg_bind_field(c, f[0].s, "address", &b))
		return;
	c->cfg->http_addr = b;
}

static void d_http_root(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (one_path(c, f, n, c->cfg->http_root, sizeof(c->cfg->http_root)))
		return;
	if (c->cfg->http_root[0] != '/')
		cfg_warn(c,
			 "\"%s\" is a relative path: it depends on the directory bootstorm is "
			 "started from; write an absolute path",
			 c->cfg->http_root);
}

static void d_http_max_conns(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (one_number(c, f, n, "http-max-conns", 1, 1000000, &v) == 0)
		c->cfg->http_max_conns = (uint32_t)v;
}

static void d_http_timeout(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (one_number(c, f, n, "http-timeout", 1, 3600, &v) == 0)
		c->cfg->http_timeout = (uint32_t)v;
}

static void d_metrics_address(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	char buf[64], *colon;
	struct http_bind b;
	uint64_t port;

	if (n != 1 || strlen(f[0].s) >= sizeof(buf) || !strchr(f[0].s, ':')) {
		cfg_err(c, "expected ADDRESS:PORT (0.0.0.0:PORT = all IPv4 addresses, "
			   "[::]:PORT = all IPv6 ones, [fd00::1]:PORT for an IPv6 address)");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", f[0].s);
	colon = strrchr(buf, ':');
	/* fd00::1:9100 could be fd00::1 port 9100 or fd00::1:9100 with none */
	if (buf[0] != '[' && strchr(buf, ':') != colon) {
		cfg_err(c, "\"%s\": an IPv6 address with a port needs brackets: [fd00::1]:9100",
			f[0].s);
		return;
	}
	if (buf[0] == '[' && colon[-1] != ']') {
		cfg_err(c, "\"%s\": expected [IPv6-ADDRESS]:PORT", f[0].s);
		return;
	}
	*colon = '\0';
	if (cfg_bind_field(c, buf, "metrics address", &b) ||
	    cfg_num_field(c, colon + 1, "metrics port", 1, 65535, &port))
		return;
	c->cfg->metrics_addr = b;
	c->cfg->metrics_port = (uint16_t)port;
}

static void d_ipxe_boot(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	const char *syntax = cfg_directive_find("ipxe-boot")->syntax;
	struct ipxe_boot b = {.origin = {c->file, c->line}, .kind = IPXE_BOOT_KERNEL};
	int i = cfg_parse_tags(c, f, n, &b.match, NULL);
	bool kernel = false;

	if (i < 0)
		return;
	if ((size_t)i >= n) {
		cfg_err(c, "expected %s", syntax);
		return;
	}
	if (c->cfg->nipxe_boots >= BS_MAX_IPXE_BOOTS) {
		cfg_err(c, "more than %d ipxe-boot lines", BS_MAX_IPXE_BOOTS);
		return;
	}
	if (strcmp(f[i].s, "local") == 0 || strncmp(f[i].s, "chain=", 6) == 0) {
		if ((size_t)i + 1 != n) {
			cfg_err(c, "unexpected field \"%s\" after \"%s\" (expected %s)", f[i + 1].s,
				f[i].s, syntax);
			return;
		}
		if (f[i].s[0] == 'l') {
			b.kind = IPXE_BOOT_LOCAL;
		} else {
			b.kind = IPXE_BOOT_CHAIN;
			if (!f[i].s[6]) {
				cfg_err(c, "chain= needs a URL or path");
				return;
			}
			if (cfg_str_field(c, f[i].s + 6, "chain URL", b.kernel, sizeof(b.kernel)))
				return;
		}
		goto store;
	}
	for (; (size_t)i < n; i++) {
		const char *v = f[i].s;

		if (strncmp(v, "kernel=", 7) == 0 && v[7]) {
			if (kernel) {
				cfg_err(c, "two kernel= fields");
				return;
			}
			kernel = true;
			if (cfg_str_field(c, v + 7, "kernel", b.kernel, sizeof(b.kernel)))
				return;
		} else if (strncmp(v, "initrd=", 7) == 0 && v[7]) {
			if (b.ninitrd == IPXE_MAX_INITRDS) {
				cfg_err(c, "more than %d initrd= fields", IPXE_MAX_INITRDS);
				return;
			}
			if (cfg_str_field(c, v + 7, "initrd", b.initrd[b.ninitrd++],
					  sizeof(b.initrd[0])))
				return;
		} else if (strncmp(v, "cmdline=", 8) == 0) {
			/* spaces need no quotes; a comma does: "cmdline=a,b" */
			if (cfg_str_field(c, v + 8, "cmdline", b.cmdline, sizeof(b.cmdline)))
				return;
		} else {
			cfg_err(c, "unexpected field \"%s\" (expected %s)", v, syntax);
			return;
		}
	}
	if (!kernel) {
		cfg_err(c, "no kernel= field (expected %s)", syntax);
		return;
	}
store:
	c->cfg->ipxe_boots[c->cfg->nipxe_boots++] = b;
}

/* ---- image cache (not in dnsmasq) -------------------------------------- */

static void d_cache_warm(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_config *cfg = c->cfg;

	if (cfg->ncache_warm >= BS_MAX_CACHE_WARM) {
		cfg_err(c, "too many cache-warm files (at most %d)", BS_MAX_CACHE_WARM);
		return;
	}
	if (one_path(c, f, n, cfg->cache_warm[cfg->ncache_warm], sizeof(cfg->cache_warm[0])))
		return;
	cfg->ncache_warm++;
}

/* SIZE: bytes, or with a K, M, G or T suffix (powers of 1024), from min
   to max bytes; eg is an example for the message. 0, or -1 after the error. */
static int one_size(struct cfg_ctx *c, struct cfg_field *f, size_t n, uint64_t min,
		    uint64_t max, const char *eg, uint64_t *out)
{
	static const char units[] = "KMGT";
	char num[32];
	const char *u;
	size_t len = n == 1 ? strlen(f[0].s) : 0;
	unsigned shift = 0;
	uint64_t v;

	if (n != 1 || len == 0 || len >= sizeof(num)) {
		cfg_err(c, "expected one size (e.g. %s)", eg);
		return -1;
	}
	memcpy(num, f[0].s, len + 1);
	u = strchr(units, num[len - 1] & ~0x20);
	if (num[len - 1] && u && len > 1) {
		shift = 10 * (unsigned)(u - units + 1);
		num[len - 1] = '\0';
	}
	if (cfg_parse_u64(num, 1, UINT64_MAX >> shift, &v)) {
		cfg_err(c, "\"%s\" is not a size (expected e.g. %s)", f[0].s, eg);
		return -1;
	}
	v <<= shift;
	if (v < min || v > max) {
		cfg_err(c, "%s is out of range (expected %llu to %llu bytes)", f[0].s,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static void d_cache_size(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (one_size(c, f, n, 1, UINT64_MAX, "512M, 4G", &v) == 0)
		c->cfg->cache_size = v;
}

/* auto, kernel or a SO_SNDBUF size (dataplane/http_server.h send_buffer) */
static void d_http_send_buffer(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	uint64_t v;

	if (n == 1 && strcmp(f[0].s, "auto") == 0)
		c->cfg->http_send_buffer = 0;
	else if (n == 1 && strcmp(f[0].s, "kernel") == 0)
		c->cfg->http_send_buffer = UINT32_MAX;
	else if (n == 1 && !(f[0].s[0] >= '0' && f[0].s[0] <= '9'))
		cfg_err(c, "\"%s\": expected auto, kernel or a size (e.g. 256K)", f[0].s);
	else if (one_size(c, f, n, 4096, 64u << 20, "auto, kernel, 256K", &v) == 0)
		c->cfg->http_send_buffer = (uint32_t)v;
}

/* ---- control socket (not in dnsmasq) ----------------------------------- */

static void d_control_socket(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (one_path(c, f, n, c->cfg->control_socket, sizeof(c->cfg->control_socket)))
		return;
	if (c->cfg->control_socket[0] != '/')
		cfg_err(c, "\"%s\" is not an absolute path (expected e.g. %s)",
			c->cfg->control_socket, BS_CONTROL_SOCKET_DEFAULT);
}

/* One user or group name (letters, digits, _ . -) into out: 0 or -1. */
static int name_field(struct cfg_ctx *c, struct cfg_field *f, size_t n, const char *what,
		      char *out, size_t cap)
{
	const char *s = n == 1 ? f[0].s : "";

	if (n != 1 || !*s ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") != strlen(s)) {
		cfg_err(c, "expected one %s (letters, digits, _ . -)", what);
		return -1;
	}
	cfg_str_field(c, s, what, out, cap);
	return 0;
}

static void d_control_group(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	name_field(c, f, n, "group name", c->cfg->control_group, sizeof(c->cfg->control_group));
}

/* ---- privileges (dnsmasq's user=, group=) -------------------------------- */

static void d_user(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (name_field(c, f, n, "user name", c->cfg->run_user, sizeof(c->cfg->run_user)) == 0)
		c->cfg->run_user_origin = (struct bs_origin){c->file, c->line};
}

static void d_group(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	if (name_field(c, f, n, "group name", c->cfg->run_group, sizeof(c->cfg->run_group)) == 0)
		c->cfg->run_group_origin = (struct bs_origin){c->file, c->line};
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
    {"dhcp-match", CFG_ARG_REQ, cfg_d_match, "set:TAG,CODE|option:NAME[,VALUE]", 0},
    {"dhcp-userclass", CFG_ARG_REQ, cfg_d_userclass, "set:TAG,STRING", 'j'},
    {"dhcp-vendorclass", CFG_ARG_REQ, cfg_d_vendorclass, "set:TAG,STRING", 'U'},
    {"tag-if", CFG_ARG_REQ, d_tag_if, "set:TAG[,set:TAG..][,tag:TAG|tag:!TAG..]", 0},
    {"dhcp-option", CFG_ARG_REQ, cfg_d_option, TAGS "[encap:43,]CODE|option:NAME[,VALUE..]", 'O'},
    {"dhcp-option-force", CFG_ARG_REQ, cfg_d_option_force,
     TAGS "[encap:43,]CODE|option:NAME[,VALUE..]", 0},
    {"dhcp-no-override", CFG_ARG_NONE, d_no_override, NULL, 0},
    {"dhcp-authoritative", CFG_ARG_NONE, d_authoritative, NULL, 'K'},
    {"dhcp-lease-max", CFG_ARG_REQ, d_lease_max, "NUMBER", 'X'},
    {"dhcp-leasefile", CFG_ARG_REQ, d_leasefile, "PATH", 'l'},
    {"host-state", CFG_ARG_REQ, d_host_state, "PATH", 0},
    {"enable-tftp", CFG_ARG_OPT, d_enable_tftp, NULL, 0},
    {"tftp-root", CFG_ARG_REQ, d_tftp_root, "DIRECTORY", 0},
    {"tftp-max", CFG_ARG_REQ, d_tftp_max, "NUMBER", 0},
    {"tftp-port-range", CFG_ARG_REQ, d_tftp_port_range, "LOW,HIGH", 0},
    {"log-dhcp", CFG_ARG_NONE, d_log_dhcp, NULL, 0},
    {"log-facility", CFG_ARG_REQ, d_log_facility, "FACILITY|PATH", '8'},
    {"pid-file", CFG_ARG_OPT, d_pid_file, "PATH", 'x'},
    {"no-daemon", CFG_ARG_NONE, d_no_daemon, NULL, 'd'},
    {"keep-in-foreground", CFG_ARG_NONE, d_keep_fg, NULL, 'k'},
    {"backend", CFG_ARG_REQ, d_backend, "auto|afxdp|socket|dpdk", 0},
    {"dpdk-args", CFG_ARG_REQ, d_dpdk_args, "EAL-ARGUMENTS", 0},
    {"http-port", CFG_ARG_REQ, d_http_port, "PORT", 0},
    {"http-address", CFG_ARG_REQ, d_http_address, "ADDRESS", 0},
    {"http-root", CFG_ARG_REQ, d_http_root, "DIRECTORY", 0},
    {"http-max-conns", CFG_ARG_REQ, d_http_max_conns, "NUMBER", 0},
    {"http-timeout", CFG_ARG_REQ, d_http_timeout, "SECONDS", 0},
    {"http-send-buffer", CFG_ARG_REQ, d_http_send_buffer, "auto|kernel|SIZE", 0},
    {"cache-warm", CFG_ARG_REQ, d_cache_warm, "PATH", 0},
    {"cache-size", CFG_ARG_REQ, d_cache_size, "SIZE", 0},
    {"control-socket", CFG_ARG_REQ, d_control_socket, "PATH", 0},
    {"control-group", CFG_ARG_REQ, d_control_group, "GROUP", 0},
    {"user", CFG_ARG_REQ, d_user, "USER", 'u'},
    {"group", CFG_ARG_REQ, d_group, "GROUP", 'g'},
    {"metrics-address", CFG_ARG_REQ, d_metrics_address, "ADDRESS:PORT", 0},
    {"ipxe-boot", CFG_ARG_REQ, d_ipxe_boot,
     TAGS "kernel=PATH[,initrd=PATH..][,cmdline=TEXT] or " TAGS "local or " TAGS "chain=URL", 0},
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
