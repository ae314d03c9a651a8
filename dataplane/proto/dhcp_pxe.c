/* SPDX-License-Identifier: MIT */
#include "dhcp_pxe.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/bytes.h"

/* A PXE sub-option's payload is at most 255 bytes; dnsmasq keeps menus
   under 253 so the whole of option 43 stays one instance. We do the same. */
#define PXE_SUBOPT_MAX 253

static void ratelog(struct dhcp_ctx *c, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ratelog(struct dhcp_ctx *c, int prio, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!c->log || !c->log->fn || prio > c->log->max_prio)
		return;
	if (!bs_ratelimit_ok(c->rl, c->now_ms, 10))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bs_logf(c->log, prio, "%s", buf);
}

static bool svc_match(const struct dhcp_ctx *c, const struct bs_pxe_service *s)
{
	return s->csa == c->arch && bs_tagexpr_match(&s->match, c->tags);
}

static uint16_t svc_type(const struct bs_policy *p, size_t i)
{
	return p->services[i].basename[0] ? (uint16_t)(PXE_TYPE_OURS + i) : p->services[i].type;
}

static bool tagged(const struct bs_tagexpr *e)
{
	return e->need || e->forbid;
}

static bool is_url(const char *f)
{
	return strncmp(f, "http://", 7) == 0 || strncmp(f, "https://", 8) == 0;
}

/*
 * dnsmasq's find_boot(): the first entry whose tags match and that has
 * tags wins over the first untagged one, so "dhcp-boot=tag:ipxe,..." works
 * wherever it is written.
 */
static const struct bs_boot *find_boot(const struct dhcp_ctx *c, bool want_url)
{
	const struct bs_boot *untagged = NULL;

	for (size_t i = 0; i < c->pol->nboots; i++) {
		const struct bs_boot *b = &c->pol->boots[i];

		if (want_url && !is_url(b->file))
			continue;
		if (!bs_tagexpr_match(&b->match, c->tags))
			continue;
		if (tagged(&b->match))
			return b;
		if (!untagged)
			untagged = b;
	}
	return untagged;
}

bool dhcp_is_ipxe_binary(const char *file)
{
	static const char *const exact_prefix[] = {"undionly.", "snponly.", "ipxe.", "snp.",
						   "undi."};
	static const char *const ext[] = {".pxe", ".kpxe", ".kkpxe", ".kkkpxe", ".efi", ".lkrn"};
	char b[DHCP_FILE_LEN];
	const char *slash = strrchr(file, '/');
	size_t n;

	file = slash ? slash + 1 : file;
	for (n = 0; file[n] && n < sizeof(b) - 1; n++)
		b[n] = (char)tolower((unsigned char)file[n]);
	b[n] = '\0';
	for (size_t i = 0; i < BS_ARRAY_SIZE(exact_prefix); i++)
		if (strncmp(b, exact_prefix[i], strlen(exact_prefix[i])) == 0)
			return true;
	if (!strstr(b, "ipxe"))
		return false;
	for (size_t i = 0; i < BS_ARRAY_SIZE(ext); i++) {
		size_t el = strlen(ext[i]);

		if (n > el && strcmp(b + n - el, ext[i]) == 0)
			return true;
	}
	return false;
}

static void mac_str(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void pxe_common(struct dhcp_ctx *c, struct dhcp_reply *r, const char *vendor)
{
	size_t ul;
	const uint8_t *uuid = dhcp_opt_get(c->msg, DHO_CLIENT_UUID, &ul);

	dhcp_opts_add(&r->opts, DHO_VENDOR_CLASS, vendor, strlen(vendor));
	/* PXE spec 2.1: the client's UUID (type 0 + 16 bytes) comes back. */
	if (uuid && ul == 17)
		dhcp_opts_add(&r->opts, DHO_CLIENT_UUID, uuid, ul);
}

/* Append one sub-option; false when it does not fit. */
static bool sub_put(uint8_t *buf, size_t *n, size_t cap, uint8_t code, const uint8_t *d, size_t l)
{
	if (l > 255 || *n + 2 + l > cap)
		return false;
	buf[(*n)++] = code;
	buf[(*n)++] = (uint8_t)l;
	memcpy(buf + *n, d, l);
	*n += l;
	return true;
}

/* dhcp-option=encap:43,... entries for this client, after ours. */
static void put_config_subopts(const struct dhcp_ctx *c, uint8_t *buf, size_t *n, size_t cap)
{
	for (size_t i = 0; i < c->pol->noptions; i++) {
		const struct bs_dhcp_option *o = &c->pol->options[i];

		if (o->encap != DHO_VENDOR_ENCAP || !bs_tagexpr_match(&o->match, c->tags))
			continue;
		if (o->code == PXE_DISCOVERY_CONTROL || o->code == PXE_BOOT_SERVERS ||
		    o->code == PXE_BOOT_MENU || o->code == PXE_MENU_PROMPT ||
		    o->code == PXE_BOOT_ITEM || o->code == DHO_PAD || o->code == DHO_END)
			continue;
		sub_put(buf, n, cap, o->code, o->data, o->len);
	}
}

/* Option 43 with a boot menu. Returns false when no service matches. */
static bool pxe_menu(struct dhcp_ctx *c, struct dhcp_reply *r)
{
	uint8_t menu[PXE_SUBOPT_MAX], servers[PXE_SUBOPT_MAX], prompt[1 + 128];
	uint8_t o43[600];
	size_t mn = 0, sn = 0, pn = 0, n = 0;
	unsigned items = 0;
	uint8_t disc = PXE_DISC_NO_BROADCAST | PXE_DISC_NO_MULTICAST;
	const struct bs_pxe_prompt *pr = NULL;

	for (size_t i = 0; i < c->pol->nservices; i++) {
		const struct bs_pxe_service *s = &c->pol->services[i];
		size_t tl = strnlen(s->menu, sizeof(s->menu));
		uint16_t type = svc_type(c->pol, i);
		uint32_t server;

		if (!svc_match(c, s))
			continue;
		if (mn + 3 + tl > sizeof(menu) || (s->basename[0] && i > 0x7fff)) {
			ratelog(c, LOG_WARNING,
				"PXE menu for arch %u too large, items from %s:%d on left out",
				c->arch, s->origin.file ? s->origin.file : "?", s->origin.line);
			break;
		}
		put_be16(menu + mn, type);
		menu[mn + 2] = (uint8_t)tl;
		memcpy(menu + mn + 3, s->menu, tl);
		mn += 3 + tl;
		items++;
		/* Our own services are discovered on our port 4011. */
		server = s->basename[0] ? c->server_ip : s->server_ip;
		if (server && sn + 7 <= sizeof(servers)) {
			put_be16(servers + sn, type);
			servers[sn + 2] = 1;
			put_be32(servers + sn + 3, server);
			sn += 7;
		} else if (type != 0) {
			/* Unknown server for a foreign type: let the client
			   broadcast for it. */
			disc &= (uint8_t)~PXE_DISC_NO_BROADCAST;
		}
	}
	if (!items)
		return false;

	for (size_t i = 0; i < c->pol->nprompts && !pr; i++)
		if (bs_tagexpr_match(&c->pol->prompts[i].match, c->tags))
			pr = &c->pol->prompts[i];
	if (pr) {
		size_t tl = strnlen(pr->text, sizeof(pr->text));

		prompt[0] = pr->timeout;
		memcpy(prompt + 1, pr->text, tl);
		pn = 1 + tl;
	} else {
		/* dnsmasq's default: wait for a choice only if there is one. */
		prompt[0] = items > 1 ? 255 : 0;
		memcpy(prompt + 1, "PXE", 3);
		pn = 4;
	}

	sub_put(o43, &n, sizeof(o43), PXE_DISCOVERY_CONTROL, &disc, 1);
	if (sn)
		sub_put(o43, &n, sizeof(o43), PXE_BOOT_SERVERS, servers, sn);
	sub_put(o43, &n, sizeof(o43), PXE_BOOT_MENU, menu, mn);
	sub_put(o43, &n, sizeof(o43), PXE_MENU_PROMPT, prompt, pn);
	put_config_subopts(c, o43, &n, sizeof(o43) - 1);
	o43[n++] = DHO_END;
	if (n > 255)
		/* Sent split (RFC 3396); PXE ROMs predating it may not join it. */
		ratelog(c, LOG_WARNING, "PXE option 43 for arch %u is %zu bytes (> 255)", c->arch,
			n);
	pxe_common(c, r, "PXEClient");
	dhcp_opts_add(&r->opts, DHO_VENDOR_ENCAP, o43, n);
	return true;
}

/* Put b's file/sname/server into r, unless that would loop iPXE. */
static bool set_boot(struct dhcp_ctx *c, struct dhcp_reply *r, const struct bs_boot *b)
{
	size_t fl = strnlen(b->file, sizeof(b->file));

	if (c->ipxe && dhcp_is_ipxe_binary(b->file)) {
		char mac[18];

		mac_str(c->msg->chaddr, mac);
		ratelog(c, LOG_WARNING,
			"%s runs iPXE already; not sending %s again (chainload loop). "
			"Fix: dhcp-boot=tag:ipxe,<script or URL> (%s:%d)",
			mac, b->file, b->origin.file ? b->origin.file : "?", b->origin.line);
		return false;
	}
	if (fl < sizeof(r->file)) {
		memcpy(r->file, b->file, fl + 1);
	} else {
		/* Only URLs get this long: RFC 2132 option 67 carries them. */
		dhcp_opts_add(&r->opts, 67, b->file, fl);
	}
	if (b->sname[0])
		snprintf(r->sname, sizeof(r->sname), "%s", b->sname);
	r->siaddr = b->server_ip ? b->server_ip : c->server_ip;
	return true;
}

/*
 * Host action local (hostact.h): a PXE BIOS ROM gets a menu of one item,
 * type 0 "local boot", chosen at once (prompt timeout 0): the ROM returns
 * to the BIOS, which boots the next device (dnsmasq's pxe-service=x86PC,..
 * without a basename does the same). iPXE whose dhcp-boot is our
 * /boot.ipxe script gets the script, which says exit (dhcp_pxe_fill).
 * Everyone else gets no boot file: iPXE says so and returns to the
 * firmware, UEFI finds no boot offer; both go on to the next boot option
 * (docs/client-quirks.md). Returns whether r now says something to boot.
 */
static bool local_boot(struct dhcp_ctx *c, struct dhcp_reply *r)
{
	static const uint8_t menu[] = {0, 0, 10, 'L', 'o', 'c', 'a', 'l', ' ', 'b', 'o', 'o', 't'};
	static const uint8_t prompt[] = {0, 'P', 'X', 'E'};
	uint8_t disc = PXE_DISC_NO_BROADCAST | PXE_DISC_NO_MULTICAST;
	uint8_t o43[64];
	size_t n = 0;

	if (!c->pxe || c->ipxe || c->http || c->arch != 0)
		return false;
	sub_put(o43, &n, sizeof(o43), PXE_DISCOVERY_CONTROL, &disc, 1);
	sub_put(o43, &n, sizeof(o43), PXE_BOOT_MENU, menu, sizeof(menu));
	sub_put(o43, &n, sizeof(o43), PXE_MENU_PROMPT, prompt, sizeof(prompt));
	o43[n++] = DHO_END;
	pxe_common(c, r, "PXEClient");
	dhcp_opts_add(&r->opts, DHO_VENDOR_ENCAP, o43, n);
	return true;
}

/* Host action install with file=: that file instead of dhcp-boot's. */
static const struct bs_boot *act_boot(const struct dhcp_ctx *c, struct bs_boot *b)
{
	if (!c->act || c->act->kind != HOSTACT_INSTALL || !c->act->file[0])
		return NULL;
	memset(b, 0, sizeof(*b));
	snprintf(b->file, sizeof(b->file), "%s", c->act->file);
	return b;
}

bool dhcp_pxe_fill(struct dhcp_ctx *c, struct dhcp_reply *r)
{
	struct bs_boot ab;
	const struct bs_boot *forced = act_boot(c, &ab), *b;
	bool booted;

	if (c->act && c->act->kind == HOSTACT_LOCAL) {
		/* iPXE pointed at our script asks it: the script says exit */
		b = c->ipxe ? find_boot(c, false) : NULL;
		if (b && strstr(b->file, "/boot.ipxe"))
			return set_boot(c, r, b);
		return local_boot(c, r);
	}
	if (c->http) {
		/* UEFI HTTP boot (UEFI 2.5+ spec 24.7): the vendor class must
		   come back or the firmware ignores the offer. */
		pxe_common(c, r, "HTTPClient");
		b = forced && is_url(forced->file) ? forced : find_boot(c, true);
		if (!b) {
			ratelog(c, LOG_WARNING,
				"HTTP boot client (arch %u) but no dhcp-boot with an http:// URL "
				"matches it",
				c->arch);
			return false;
		}
		return set_boot(c, r, b);
	}
	if (c->pxe && !forced && pxe_menu(c, r))
		return true;

	b = forced ? forced : find_boot(c, false);
	booted = b && set_boot(c, r, b);
	if (c->pxe) {
		/* No menu: discovery control "boot the file in this offer".
		   PXE ROMs ignore PXEClient offers without option 43. */
		uint8_t o43[255];
		uint8_t disc = PXE_DISC_USE_FILE;
		size_t n = 0;

		sub_put(o43, &n, sizeof(o43), PXE_DISCOVERY_CONTROL, &disc, 1);
		put_config_subopts(c, o43, &n, sizeof(o43) - 1);
		o43[n++] = DHO_END;
		pxe_common(c, r, "PXEClient");
		dhcp_opts_add(&r->opts, DHO_VENDOR_ENCAP, o43, n);
	}
	return booted;
}

/* ---- classification ---- */

static bool match_rule(const struct dhcp_msg *m, const struct bs_match *r)
{
	size_t l;
	const uint8_t *d = dhcp_opt_get(m, r->option, &l);

	if (!d)
		return false;
	switch (r->kind) {
	case BS_MATCH_EXISTS:
		return true;
	case BS_MATCH_NUMBER:
		if (r->option == DHO_CLIENT_ARCH) {
			for (size_t i = 0; i + 2 <= l; i += 2)
				if (get_be16(d + i) == r->number)
					return true;
			return false;
		}
		if (l < 1 || l > 4)
			return false;
		uint32_t v = 0;

		for (size_t i = 0; i < l; i++)
			v = v << 8 | d[i];
		return v == r->number;
	case BS_MATCH_BYTES:
		return dhcp_opt_contains(m, r->option, r->bytes, r->len);
	}
	return false;
}

uint32_t dhcp_range_mask(const struct bs_range *r, const struct bs_udp_meta *meta)
{
	if (r->netmask)
		return r->netmask;
	return meta->if_mask ? meta->if_mask : 0xffffff00u;
}

/*
 * Range rule: a request belongs to the first dhcp-range whose tags match
 * and whose subnet contains giaddr (relayed) or our address on the
 * receiving interface (direct). The subnet is the range's netmask, else
 * the receiving interface's netmask (policy.h), else /24: a relayed range
 * should give its netmask, since the interface's describes another net.
 */
static const struct bs_range *find_range(const struct dhcp_ctx *c)
{
	uint32_t net = c->msg->giaddr ? c->msg->giaddr : c->meta->if_addr;

	if (!net)
		return NULL;
	for (size_t i = 0; i < c->pol->nranges; i++) {
		const struct bs_range *r = &c->pol->ranges[i];
		uint32_t mask = dhcp_range_mask(r, c->meta);

		if ((net & mask) == (r->start & mask) && bs_tagexpr_match(&r->match, c->tags))
			return r;
	}
	return NULL;
}

void dhcp_classify(struct dhcp_ctx *c, bs_tagset iface)
{
	const struct dhcp_msg *m = c->msg;
	const struct bs_policy *p = c->pol;
	size_t l;
	const uint8_t *d;

	c->tags = iface;
	if (c->host)
		c->tags |= 1ull << BS_TAG_KNOWN | c->host->set;
	c->ipxe = dhcp_opt_has(m, DHO_IPXE_ENCAP) ||
		  dhcp_opt_contains(m, DHO_USER_CLASS, (const uint8_t *)"iPXE", 4);
	c->pxe = dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "PXEClient");
	c->http = dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "HTTPClient");
	if (c->ipxe)
		c->tags |= 1ull << BS_TAG_IPXE;
	if (c->pxe)
		c->tags |= 1ull << BS_TAG_PXECLIENT;
	if (c->http)
		c->tags |= 1ull << BS_TAG_HTTPCLIENT;
	d = dhcp_opt_get(m, DHO_CLIENT_ARCH, &l);
	c->arch = d && l >= 2 ? get_be16(d) : 0;
	for (size_t i = 0; i < p->nmatches; i++)
		if (match_rule(m, &p->matches[i]))
			c->tags |= p->matches[i].set;
	c->range = find_range(c);
	if (c->range)
		c->tags |= c->range->set;
	for (size_t i = 0; i < p->ntag_ifs; i++)
		if (bs_tagexpr_match(&p->tag_ifs[i].match, c->tags))
			c->tags |= p->tag_ifs[i].set;
}

/* The client's own name (option 12, else 81), reduced to a safe label. */
void dhcp_client_hostname(const struct dhcp_msg *m, char out[64])
{
	size_t l, n = 0;
	const uint8_t *d = dhcp_opt_get(m, DHO_HOST_NAME, &l);

	if (!d) {
		d = dhcp_opt_get(m, DHO_FQDN, &l);
		if (d && l > 3) {
			bool wire = d[0] & 0x04; /* RFC 4702: E bit, DNS wire format */

			d += 3;
			l -= 3;
			if (wire) {
				size_t ll = d[0];

				d++;
				l = ll < l - 1 ? ll : l - 1;
			}
		} else {
			d = NULL;
		}
	}
	for (size_t i = 0; d && i < l && n < 63; i++) {
		char ch = (char)d[i];

		if (ch == '.' || ch == '\0')
			break;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')
			out[n++] = ch;
	}
	out[n] = '\0';
}

/* ---- options ---- */

/* A matching tagged dhcp-option beats an untagged one (policy.h). */
static const struct bs_dhcp_option *best_option(const struct dhcp_opt_index *ix,
						const struct dhcp_ctx *c, uint8_t code)
{
	const struct bs_dhcp_option *untagged = NULL;
	const struct bs_policy *p = c->pol;

	if (!ix->next)
		return NULL;
	for (uint32_t i = ix->head[code]; i; i = ix->next[i - 1]) {
		const struct bs_dhcp_option *o = &p->options[i - 1];

		if (!bs_tagexpr_match(&o->match, c->tags))
			continue;
		if (tagged(&o->match))
			return o;
		if (!untagged)
			untagged = o;
	}
	return untagged;
}

static bool internal_code(uint8_t code)
{
	switch (code) {
	case DHO_PAD:
	case DHO_END:
	case DHO_OVERLOAD:
	case DHO_MSG_TYPE:
	case DHO_SERVER_ID:
	case DHO_LEASE_TIME:
	case DHO_T1:
	case DHO_T2:
	case DHO_RELAY_AGENT:
	case DHO_MAX_MSG_SIZE:
	case DHO_PARAM_REQ:
	case DHO_REQUESTED_ADDR:
	case DHO_FQDN:
		return true;
	}
	return false;
}

static void add_config_option(const struct dhcp_opt_index *ix, struct dhcp_ctx *c,
			      struct dhcp_reply *r, uint8_t code, bool forced_only)
{
	const struct bs_dhcp_option *o;

	if (internal_code(code) || (forced_only && dhcp_opts_has(&r->opts, code)))
		return;
	o = best_option(ix, c, code);
	if (o && (!forced_only || o->force))
		dhcp_opts_add(&r->opts, code, o->data, o->len);
}

void dhcp_add_options(const struct dhcp_opt_index *ix, struct dhcp_ctx *c, struct dhcp_reply *r,
		      bool lease, uint32_t secs)
{
	const struct bs_policy *p = c->pol;
	size_t l;
	const uint8_t *prl = dhcp_opt_get(c->msg, DHO_PARAM_REQ, &l);

	if (lease) {
		dhcp_opts_add_u32(&r->opts, DHO_LEASE_TIME, secs);
		if (secs != BS_LEASE_INFINITE) {
			dhcp_opts_add_u32(&r->opts, DHO_T1, secs / 2);
			dhcp_opts_add_u32(&r->opts, DHO_T2, (uint32_t)((uint64_t)secs * 7 / 8));
		}
	}
	dhcp_opts_add_u32(&r->opts, DHO_SUBNET_MASK, dhcp_range_mask(c->range, c->meta));
	if (c->host && c->host->hostname[0] && prl && memchr(prl, DHO_HOST_NAME, l))
		dhcp_opts_add(&r->opts, DHO_HOST_NAME, c->host->hostname,
			      strnlen(c->host->hostname, sizeof(c->host->hostname)));
	for (size_t i = 0; prl && i < l; i++)
		add_config_option(ix, c, r, prl[i], false);
	for (size_t i = 0; i < p->noptions; i++)
		if (p->options[i].force && !p->options[i].encap)
			add_config_option(ix, c, r, p->options[i].code, true);
}

/* ---- boot server ---- */

/* Find sub-option 71 in the client's option 43; false if absent or bad. */
static bool boot_item(const struct dhcp_msg *m, uint16_t *type, uint16_t *layer)
{
	size_t l, i = 0;
	const uint8_t *d = dhcp_opt_get(m, DHO_VENDOR_ENCAP, &l);

	while (d && i < l) {
		uint8_t code = d[i];
		size_t sl;

		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (code == DHO_END || l - i < 2)
			break;
		sl = d[i + 1];
		if (sl > l - i - 2)
			break;
		if (code == PXE_BOOT_ITEM && sl == 4) {
			*type = get_be16(d + i + 2);
			*layer = get_be16(d + i + 4);
			return true;
		}
		i += 2 + sl;
	}
	return false;
}

enum dhcp_verdict dhcp_pxe_bootsrv(struct dhcp_ctx *c, struct dhcp_reply *r)
{
	const struct bs_pxe_service *s;
	uint16_t type, layer;
	uint8_t o43[7];
	size_t idx, bl;
	int n;

	if (!c->pxe || !boot_item(c->msg, &type, &layer))
		return DHCP_NO_REPLY;
	/* Type 0 is "boot from local disk", other types below 0x8000 belong
	   to other boot servers (WDS, ...): not ours to answer. */
	if (type < PXE_TYPE_OURS)
		return DHCP_NO_REPLY;
	idx = type - PXE_TYPE_OURS;
	if (idx >= c->pol->nservices)
		return DHCP_NO_REPLY;
	s = &c->pol->services[idx];
	if (!s->basename[0] || !svc_match(c, s))
		return DHCP_NO_REPLY;

	r->type = DHCPACK;
	r->siaddr = s->server_ip ? s->server_ip : c->server_ip;
	bl = strnlen(s->basename, sizeof(s->basename));
	/* Bit 15 of the layer asks for credentials, which we do not have. */
	if (memchr(s->basename, '.', bl))
		n = snprintf(r->file, sizeof(r->file), "%s", s->basename);
	else
		n = snprintf(r->file, sizeof(r->file), "%s.%u", s->basename, layer & 0x7fffu);
	if (n < 0 || (size_t)n >= sizeof(r->file))
		return DHCP_NO_REPLY;
	if (c->ipxe && dhcp_is_ipxe_binary(r->file)) {
		r->file[0] = '\0';
		return DHCP_NO_REPLY;
	}
	o43[0] = PXE_BOOT_ITEM;
	o43[1] = 4;
	put_be16(o43 + 2, type);
	put_be16(o43 + 4, layer);
	o43[6] = DHO_END;
	pxe_common(c, r, "PXEClient");
	dhcp_opts_add(&r->opts, DHO_VENDOR_ENCAP, o43, sizeof(o43));
	return DHCP_REPLIED;
}
