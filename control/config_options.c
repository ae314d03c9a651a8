/* SPDX-License-Identifier: MIT */
/*
 * DHCP options by name and number: dnsmasq's option names with the type
 * bootstorm encodes for each, the value encoders behind dhcp-option and
 * dhcp-option-force (addresses, text, integers, RFC 1035 names, RFC 3442
 * routes, and dnsmasq's guess from a value's shape for options without a
 * type), and the directives that match a client by an option it sends
 * (dhcp-match, dhcp-userclass, dhcp-vendorclass).
 *
 * Separate from config_directives.c because it is a table plus wire
 * encoding, grown by adding rows: a new option name or type touches this
 * file only, and the encoders can be read against the RFCs in one place.
 */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/bytes.h"

/* ---- option names and types ------------------------------------------ */

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

int cfg_option_code_field(struct cfg_ctx *c, const char *s, uint8_t *code, int *type)
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
	if (cfg_num_field(c, s, "option", 1, 254, &v))
		return -1;
	*code = (uint8_t)v;
	const struct opt_def *o = opt_by_code(*code);

	if (o)
		*type = o->type;
	return 0;
}

/* ---- matching on a client's options ----------------------------------- */

void cfg_d_match(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	struct bs_policy *p = c->pol;
	struct bs_match m = {.origin = {c->file, c->line}};
	int i = cfg_parse_tags(c, f, n, NULL, &m.set), type;
	struct bs_match *slot;
	uint64_t v;

	if (i < 0)
		return;
	if (!m.set || (size_t)i >= n || n - (size_t)i > 2) {
		cfg_err(c, "expected %s", cfg_directive_find("dhcp-match")->syntax);
		return;
	}
	if (cfg_option_code_field(c, f[i].s, &m.option, &type))
		return;
	if ((size_t)i + 1 == n) {
		m.kind = BS_MATCH_EXISTS;
	} else if (!f[i + 1].quoted && cfg_is_digits(f[i + 1].s)) {
		if (cfg_num_field(c, f[i + 1].s, "value", 0, UINT32_MAX, &v))
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
	int i = cfg_parse_tags(c, f, n, NULL, &m.set);
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

void cfg_d_userclass(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	class_match(c, f, n, 77);
}

void cfg_d_vendorclass(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	class_match(c, f, n, 60);
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

		if (cfg_ip_field(c, f[i].s, "address", &ip))
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

	if (cfg_num_field(c, s, "value", 0, max, &v))
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
		if (cfg_ip_field(c, net, "route destination", &dst) ||
		    cfg_num_field(c, slash + 1, "prefix length", 0, 32, &plen) ||
		    cfg_ip_field(c, f[i + 1].s, "router", &gw))
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
		    cfg_is_digits((snprintf(num, sizeof(num), "%.*s", (int)len - 1, s), num))) {
			size = s[len - 1] == 'b' ? 1 : s[len - 1] == 's' ? 2 : 4;
			return enc_uint(c, num, size, o);
		}
		if (cfg_is_digits(s)) {
			if (cfg_num_field(c, s, "value", 0, UINT32_MAX, &v))
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
	if (!quoted && n > 1 && cfg_is_digits(f[0].s)) {
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
	int i = cfg_parse_tags(c, f, n, &opt.match, NULL), type, rc;
	struct bs_dhcp_option *slot;
	struct optbuf o = {.len = 0};
	uint64_t v;

	if (i < 0)
		return;
	for (; (size_t)i < n && !f[i].quoted; i++) {
		if (strncmp(f[i].s, "encap:", 6) == 0) {
			if (cfg_num_field(c, f[i].s + 6, "encap", 1, 254, &v))
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
	if (cfg_option_code_field(c, f[i].s, &opt.code, &type))
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

void cfg_d_option(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	option_common(c, f, n, false);
}

void cfg_d_option_force(struct cfg_ctx *c, struct cfg_field *f, size_t n)
{
	option_common(c, f, n, true);
}
