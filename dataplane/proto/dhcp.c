/* SPDX-License-Identifier: MIT */
/*
 * DHCP server: the RFC 2131 state rules against the lease table, address
 * choice, and reply addressing (RFC 2131 4.1). Tags, range choice, option
 * selection and what to boot are policy evaluation, in dhcp_pxe.c; the wire
 * format is dhcp_wire.c.
 */
#include "dhcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/bytes.h"
#include "../util/events.h"
#include "../util/tagmem.h"
#include "dhcp_pxe.h"
#include "dhcp_wire.h"
#include "hostact.h"
#include "lease.h"

/* How long an offered address is held for the client's REQUEST. */
#define OFFER_HOLD_SECS 60
/* DHCPDECLINE quarantine (RFC 2131 3.1.5 leaves it to the server). */
#define DECLINE_SECS 600
#define IFTAG_CACHE  16
#define BROADCAST_IP 0xffffffffu

struct iftag {
	uint32_t ifindex;
	bs_tagset tags;
};

struct dhcp_server {
	const struct bs_policy *pol;
	struct lease_table *leases;
	const struct bs_log *log;
	struct bs_ev_ring *ev; /* the worker's event ring; NULL: none */
	struct bs_tagmem *tagmem; /* each reply's tags, for HTTP; NULL: none */
	struct bs_ratelimit rl_bad, rl_info;

	uint64_t rx[DHCP_MSGTYPE_MAX + 1], tx[DHCP_MSGTYPE_MAX + 1];
	uint64_t rx_bootsrv, verdicts[DHCP_VERDICT_COUNT];

	/* Reservations: the host registry's snapshot when one is set, else
	   the policy's dhcp-host lines (host_at). Open addressing, host
	   index + 1 (0 = empty slot). */
	const struct bs_hostsnap *snap;
	uint64_t host_ignored;
	uint32_t *host_mac, *host_ip, host_mask;
	struct dhcp_opt_index opts;
	uint32_t *cursor; /* per range: where the free-address scan resumes */
	struct iftag iftags[IFTAG_CACHE];
	unsigned niftags;

	/* Per-packet scratch (a server belongs to one worker). */
	struct dhcp_msg msg;
	struct dhcp_reply reply;
};

static const char *const msg_names[DHCP_MSGTYPE_MAX + 1] = {
    "bootp", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
};

static const char *const verdict_names[DHCP_VERDICT_COUNT] = {
    "replied",	     "no_reply",       "drop_malformed", "drop_unsupported",
    "drop_no_range", "drop_pool_full", "drop_no_buffer",
};

const char *dhcp_verdict_name(enum dhcp_verdict v)
{
	return (unsigned)v < DHCP_VERDICT_COUNT ? verdict_names[v] : "?";
}

static uint32_t mac_hash(const uint8_t m[6])
{
	uint64_t k = (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
		     (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];

	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32);
}

static uint32_t ip_hash(uint32_t ip)
{
	return (uint32_t)(((uint64_t)ip * 0x9e3779b97f4a7c15ull) >> 32);
}

/* ---- policy indexes ---- */

static size_t host_count(const struct dhcp_server *srv)
{
	return srv->snap ? srv->snap->n : srv->pol->nhosts;
}

static const struct bs_host *host_at(const struct dhcp_server *srv, size_t i)
{
	return srv->snap ? &srv->snap->e[i].host : &srv->pol->hosts[i];
}

static void index_free(struct dhcp_server *srv)
{
	free(srv->host_mac);
	free(srv->host_ip);
	free(srv->opts.next);
	free(srv->cursor);
	srv->host_mac = srv->host_ip = srv->opts.next = srv->cursor = NULL;
}

/* Build lookup tables. On allocation failure lookups fall back to scans. */
static void index_build(struct dhcp_server *srv)
{
	const struct bs_policy *p = srv->pol;
	size_t nhosts = host_count(srv);
	uint32_t size = 16;

	index_free(srv);
	srv->niftags = 0;
	while (size < 2 * nhosts && size < (1u << 30))
		size <<= 1;
	srv->host_mac = calloc(size, sizeof(uint32_t));
	srv->host_ip = calloc(size, sizeof(uint32_t));
	srv->host_mask = size - 1;
	if (!srv->host_mac || !srv->host_ip) {
		free(srv->host_mac);
		free(srv->host_ip);
		srv->host_mac = srv->host_ip = NULL;
	}
	for (size_t i = 0; srv->host_mac && i < nhosts; i++) {
		const struct bs_host *h = host_at(srv, i);
		uint32_t s;

		/* The first entry for a MAC or an address wins. */
		for (s = mac_hash(h->mac) & srv->host_mask; srv->host_mac[s];
		     s = (s + 1) & srv->host_mask)
			if (!memcmp(host_at(srv, srv->host_mac[s] - 1)->mac, h->mac, 6))
				break;
		if (!srv->host_mac[s])
			srv->host_mac[s] = (uint32_t)i + 1;
		if (!h->ip)
			continue;
		for (s = ip_hash(h->ip) & srv->host_mask; srv->host_ip[s];
		     s = (s + 1) & srv->host_mask)
			if (host_at(srv, srv->host_ip[s] - 1)->ip == h->ip)
				break;
		if (!srv->host_ip[s])
			srv->host_ip[s] = (uint32_t)i + 1;
	}

	memset(srv->opts.head, 0, sizeof(srv->opts.head));
	srv->opts.next = calloc(p->noptions + 1, sizeof(uint32_t));
	for (size_t i = p->noptions; srv->opts.next && i-- > 0;) {
		const struct bs_dhcp_option *o = &p->options[i];

		if (o->encap)
			continue;
		srv->opts.next[i] = srv->opts.head[o->code];
		srv->opts.head[o->code] = (uint32_t)i + 1;
	}
	srv->cursor = calloc(p->nranges + 1, sizeof(uint32_t));
}

static const struct bs_host *host_by_mac(const struct dhcp_server *srv, const uint8_t mac[6])
{
	if (!srv->host_mac) {
		for (size_t i = 0; i < host_count(srv); i++)
			if (!memcmp(host_at(srv, i)->mac, mac, 6))
				return host_at(srv, i);
		return NULL;
	}
	for (uint32_t s = mac_hash(mac) & srv->host_mask; srv->host_mac[s];
	     s = (s + 1) & srv->host_mask)
		if (!memcmp(host_at(srv, srv->host_mac[s] - 1)->mac, mac, 6))
			return host_at(srv, srv->host_mac[s] - 1);
	return NULL;
}

static const struct bs_host *host_by_ip(const struct dhcp_server *srv, uint32_t ip)
{
	if (!srv->host_ip) {
		for (size_t i = 0; i < host_count(srv); i++)
			if (host_at(srv, i)->ip == ip)
				return host_at(srv, i);
		return NULL;
	}
	for (uint32_t s = ip_hash(ip) & srv->host_mask; srv->host_ip[s];
	     s = (s + 1) & srv->host_mask)
		if (host_at(srv, srv->host_ip[s] - 1)->ip == ip)
			return host_at(srv, srv->host_ip[s] - 1);
	return NULL;
}

/* The boot action of a host found by host_by_mac (NULL: none). */
static const struct hostact *host_act(const struct dhcp_server *srv, const struct bs_host *h)
{
	if (!srv->snap || !h)
		return NULL;
	return &((const struct bs_hostsnap_entry *)((const char *)h -
						    offsetof(struct bs_hostsnap_entry, host)))
		    ->act;
}

struct dhcp_server *dhcp_server_new(const struct bs_policy *policy, struct lease_table *leases,
				    const struct bs_log *log)
{
	struct dhcp_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->pol = policy;
	srv->leases = leases;
	srv->log = log;
	index_build(srv);
	return srv;
}

void dhcp_server_free(struct dhcp_server *srv)
{
	if (!srv)
		return;
	index_free(srv);
	free(srv);
}

void dhcp_server_set_policy(struct dhcp_server *srv, const struct bs_policy *policy)
{
	srv->pol = policy;
	index_build(srv);
}

void dhcp_server_set_events(struct dhcp_server *srv, struct bs_ev_ring *ring)
{
	srv->ev = ring;
}

void dhcp_server_set_tagmem(struct dhcp_server *srv, struct bs_tagmem *m)
{
	srv->tagmem = m;
}

/* One event record: a struct copy into the ring, nothing formatted. */
static void emit(const struct dhcp_server *srv, const struct dhcp_ctx *c, uint8_t type, uint32_t ip,
		 const char *file)
{
	struct bs_event e = {.mono_ms = c->now_ms, .ip = ip, .type = type};

	if (!srv->ev)
		return;
	e.arch = dhcp_opt_has(c->msg, DHO_CLIENT_ARCH) ? c->arch : BS_EV_ARCH_NONE;
	e.flags = (c->range && c->range->proxy ? BS_EV_F_PROXY : 0) |
		  (c->meta->dst_port == PXE_BOOT_SERVER_PORT ? BS_EV_F_BOOTSRV : 0);
	memcpy(e.mac, c->msg->chaddr, 6);
	if (file)
		bs_ev_set_file(&e, file, strnlen(file, DHCP_FILE_LEN));
	bs_ev_emit(srv->ev, &e);
}

/* What the client sent, as an event (server-to-client types are not). */
static void emit_rx(const struct dhcp_server *srv, const struct dhcp_ctx *c)
{
	static const uint8_t ev_type[DHCP_MSGTYPE_MAX + 1] = {
	    [DHCPDISCOVER] = BS_EV_DHCP_DISCOVER, [DHCPREQUEST] = BS_EV_DHCP_REQUEST,
	    [DHCPDECLINE] = BS_EV_DHCP_DECLINE,	  [DHCPRELEASE] = BS_EV_DHCP_RELEASE,
	    [DHCPINFORM] = BS_EV_DHCP_INFORM,
	};
	const struct dhcp_msg *m = c->msg;
	uint32_t ip =
	    dhcp_opt_has(m, DHO_REQUESTED_ADDR) ? dhcp_opt_ip(m, DHO_REQUESTED_ADDR) : m->ciaddr;

	if (srv->ev && ev_type[m->msgtype])
		emit(srv, c, ev_type[m->msgtype], ip, NULL);
}

void dhcp_server_set_hosts(struct dhcp_server *srv, const struct bs_hostsnap *snap)
{
	srv->snap = snap;
	index_build(srv);
}

void dhcp_stats_foreach(const struct dhcp_server *srv, bs_stat_fn fn, void *arg)
{
	char name[64];

	for (unsigned t = 1; t <= DHCP_MSGTYPE_MAX; t++) {
		snprintf(name, sizeof(name), "dhcp_rx_%s", msg_names[t]);
		fn(arg, name, srv->rx[t]);
	}
	for (unsigned t = 1; t <= DHCP_MSGTYPE_MAX; t++) {
		if (t != DHCPOFFER && t != DHCPACK && t != DHCPNAK)
			continue;
		snprintf(name, sizeof(name), "dhcp_tx_%s", msg_names[t]);
		fn(arg, name, srv->tx[t]);
	}
	fn(arg, "dhcp_rx_bootsrv", srv->rx_bootsrv);
	fn(arg, "dhcp_host_ignored", srv->host_ignored);
	for (unsigned v = 0; v < DHCP_VERDICT_COUNT; v++) {
		snprintf(name, sizeof(name), "dhcp_%s", verdict_names[v]);
		fn(arg, name, srv->verdicts[v]);
	}
}

/* ---- logging ---- */

static void fmt_ip(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void fmt_mac(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_tags(const struct bs_policy *p, bs_tagset t, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < p->ntags && i < BS_TAG_MAX && n < cap; i++) {
		if (!(t >> i & 1) || !p->tag_names[i])
			continue;
		int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", p->tag_names[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static const char *ifname(const struct dhcp_ctx *c)
{
	return c->meta->ifname ? c->meta->ifname : "?";
}

/* One line per transaction, like dnsmasq's log-dhcp. */
static void log_txn(const struct dhcp_server *srv, const struct dhcp_ctx *c, const char *what,
		    uint32_t ip, const char *detail)
{
	char ips[16], mac[18], tags[256];

	if (!srv->pol->log_dhcp)
		return;
	fmt_ip(ip, ips);
	fmt_mac(c->msg->chaddr, mac);
	fmt_tags(srv->pol, c->tags, tags, sizeof(tags));
	bs_logf(srv->log, LOG_INFO, "%s(%s) %s%s%s%s arch %u tags %s%s%s", what, ifname(c),
		ip ? ips : "", ip ? " " : "", mac,
		c->pxe	  ? " PXE"
		: c->http ? " HTTP"
			  : "",
		c->arch, tags[0] ? tags : "-", detail && detail[0] ? " " : "",
		detail ? detail : "");
}

static void ratelog(struct dhcp_server *srv, uint64_t now_ms, int prio, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void ratelog(struct dhcp_server *srv, uint64_t now_ms, int prio, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!srv->log || !srv->log->fn || prio > srv->log->max_prio)
		return;
	if (!bs_ratelimit_ok(&srv->rl_info, now_ms, 20))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bs_logf(srv->log, prio, "%s", buf);
}

/* ---- classification ---- */

static bs_tagset iface_tags(struct dhcp_server *srv, const struct bs_udp_meta *meta)
{
	bs_tagset t = 0;
	int idx;

	if (!meta->ifname)
		return 0;
	for (unsigned i = 0; i < srv->niftags; i++)
		if (srv->iftags[i].ifindex == meta->ifindex)
			return srv->iftags[i].tags;
	idx = bs_policy_tag_index(srv->pol, meta->ifname);
	if (idx >= 0 && idx < BS_TAG_MAX)
		t = 1ull << idx;
	if (srv->niftags < IFTAG_CACHE) {
		srv->iftags[srv->niftags].ifindex = meta->ifindex;
		srv->iftags[srv->niftags++].tags = t;
	}
	return t;
}

/* ---- replies ---- */

static void reply_init(struct dhcp_ctx *c, struct dhcp_reply *r, uint8_t type)
{
	r->type = type;
	r->yiaddr = r->siaddr = 0;
	memset(r->file, 0, sizeof(r->file));
	memset(r->sname, 0, sizeof(r->sname));
	dhcp_opts_init(&r->opts);
	dhcp_opts_add_u8(&r->opts, DHO_MSG_TYPE, type);
	dhcp_opts_add_u32(&r->opts, DHO_SERVER_ID, c->server_ip);
}

static void log_reply(const struct dhcp_server *srv, const struct dhcp_ctx *c,
		      const struct dhcp_reply *r, bool bootsrv)
{
	char detail[200];
	const char *what = bootsrv		  ? "PXE-BOOTSRV"
			   : r->type == DHCPOFFER ? "DHCPOFFER"
			   : r->type == DHCPNAK	  ? "DHCPNAK"
						  : "DHCPACK";

	snprintf(detail, sizeof(detail), "%s%s", r->file[0] ? "file " : "", r->file);
	log_txn(srv, c, what, r->yiaddr, detail);
}

static void reply_addr(const struct dhcp_ctx *c, const struct dhcp_reply *r, bool bootsrv,
		       struct bs_tx_addr *to)
{
	const struct dhcp_msg *m = c->msg;
	const struct bs_udp_meta *meta = c->meta;

	memset(to, 0, sizeof(*to));
	to->ifindex = meta->ifindex;
	to->src_ip = c->server_ip;
	to->src_port = bootsrv ? PXE_BOOT_SERVER_PORT : DHCP_SERVER_PORT;
	to->l2 = BS_TX_ROUTED;
	if (bootsrv) {
		/* PXE 2.1: the boot server answers where the request came from. */
		to->dst_ip = meta->src_ip ? meta->src_ip : BROADCAST_IP;
		to->dst_port = meta->src_port;
		if (!meta->src_ip)
			to->l2 = BS_TX_L2_BROADCAST;
	} else if (m->giaddr) {
		to->dst_ip = m->giaddr;
		to->dst_port = DHCP_SERVER_PORT;
		to->ifindex = 0; /* the relay may be routed elsewhere */
	} else if (r->type == DHCPNAK) {
		to->dst_ip = BROADCAST_IP;
		to->dst_port = DHCP_CLIENT_PORT;
		to->l2 = BS_TX_L2_BROADCAST;
	} else if (m->ciaddr) {
		to->dst_ip = m->ciaddr;
		to->dst_port = DHCP_CLIENT_PORT;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || !r->yiaddr) {
		to->dst_ip = BROADCAST_IP;
		to->dst_port = DHCP_CLIENT_PORT;
		to->l2 = BS_TX_L2_BROADCAST;
	} else {
		to->dst_ip = r->yiaddr;
		to->dst_port = DHCP_CLIENT_PORT;
		to->l2 = BS_TX_L2_UNICAST;
		memcpy(to->dst_mac, m->chaddr, 6);
	}
}

static enum dhcp_verdict send_reply(struct dhcp_server *srv, struct dhcp_ctx *c,
				    struct dhcp_reply *r, struct bs_tx *tx, bool bootsrv)
{
	const struct dhcp_msg *m = c->msg;
	size_t cap = dhcp_reply_max(m), l82;
	const uint8_t *o82 = dhcp_opt_get(m, DHO_RELAY_AGENT, &l82);
	struct bs_tx_addr to;
	unsigned dropped;
	uint16_t flags = m->flags & DHCP_FLAG_BROADCAST;
	uint8_t *b;
	int n;
	bool ovl = !srv->pol->no_override;

	/* RFC 3046 2.2: echo the relay agent information, last. Also without
	   giaddr: switches doing DHCP snooping insert it with giaddr 0. */
	if (o82 && !bootsrv)
		dhcp_opts_add(&r->opts, DHO_RELAY_AGENT, o82, l82);
	/* RFC 2131 4.3.2: a NAK through a relay asks it to broadcast. */
	if (r->type == DHCPNAK && m->giaddr)
		flags |= DHCP_FLAG_BROADCAST;
	b = bs_tx_alloc(tx, cap);
	if (!b)
		return DHCP_DROP_NO_BUFFER;
	memset(b, 0, DHCP_OFF_OPTIONS);
	b[DHCP_OFF_OP] = BOOTREPLY;
	b[DHCP_OFF_HTYPE] = 1;
	b[DHCP_OFF_HLEN] = 6;
	put_be32(b + DHCP_OFF_XID, m->xid);
	put_be16(b + DHCP_OFF_FLAGS, flags);
	/* RFC 2131 table 3: ciaddr is echoed in ACKs, zero otherwise. */
	if (r->type == DHCPACK)
		put_be32(b + DHCP_OFF_CIADDR, m->ciaddr);
	put_be32(b + DHCP_OFF_YIADDR, r->yiaddr);
	put_be32(b + DHCP_OFF_SIADDR, r->siaddr);
	put_be32(b + DHCP_OFF_GIADDR, m->giaddr);
	memcpy(b + DHCP_OFF_CHADDR, m->chaddr, 6);
	memcpy(b + DHCP_OFF_SNAME, r->sname, DHCP_SNAME_LEN);
	memcpy(b + DHCP_OFF_FILE, r->file, DHCP_FILE_LEN);
	put_be32(b + DHCP_OFF_COOKIE, DHCP_MAGIC);
	n = dhcp_opts_finish(&r->opts, b, cap, ovl, !r->file[0], !r->sname[0], &dropped);
	if (n < 0)
		return DHCP_DROP_NO_BUFFER; /* the buffer is reclaimed with the batch */
	if (dropped || r->opts.overflow) {
		char mac[18];

		fmt_mac(m->chaddr, mac);
		ratelog(srv, c->now_ms, LOG_WARNING,
			"reply to %s: %u option(s) left out, client accepts %zu bytes", mac,
			dropped, cap);
	}
	reply_addr(c, r, bootsrv, &to);
	bs_tx_commit(tx, b, (size_t)n, &to);
	srv->tx[r->type]++;
	emit(srv, c,
	     r->type == DHCPOFFER ? BS_EV_DHCP_OFFER
	     : r->type == DHCPNAK ? BS_EV_DHCP_NAK
				  : BS_EV_DHCP_ACK,
	     r->yiaddr, (const char *)r->file);
	if (srv->tagmem)
		bs_tagmem_put(srv->tagmem, m->chaddr, c->tags, c->now_ms);
	if (srv->pol->log_dhcp)
		log_reply(srv, c, r, bootsrv);
	return DHCP_REPLIED;
}

static enum dhcp_verdict send_nak(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx,
				  const char *why)
{
	struct dhcp_reply *r = &srv->reply;

	reply_init(c, r, DHCPNAK);
	dhcp_opts_add(&r->opts, DHO_MESSAGE, why, strlen(why));
	return send_reply(srv, c, r, tx, false);
}

/* ---- addresses ---- */

static uint32_t lease_secs(const struct dhcp_ctx *c)
{
	if (c->host && c->host->lease_secs)
		return c->host->lease_secs;
	return c->range->lease_secs ? c->range->lease_secs : 3600;
}

static bool in_range(const struct bs_range *r, uint32_t ip)
{
	return ip >= r->start && ip <= r->end;
}

static bool on_subnet(const struct dhcp_ctx *c, uint32_t ip)
{
	uint32_t mask = dhcp_range_mask(c->range, c->meta);

	return (ip & mask) == (c->range->start & mask);
}

/* May ip go to this client? (reservations, other leases, quarantine) */
static bool addr_usable(const struct dhcp_server *srv, const struct dhcp_ctx *c, uint32_t ip,
			bool need_range)
{
	uint32_t mask = dhcp_range_mask(c->range, c->meta);
	const struct bs_host *h;
	const struct lease *l;

	if (need_range && !in_range(c->range, ip))
		return false;
	if (!on_subnet(c, ip) || ip == c->server_ip || ip == 0)
		return false;
	if (mask != 0xffffffffu && ((ip & ~mask) == 0 || (ip & ~mask) == ~mask))
		return false;
	h = host_by_ip(srv, ip);
	if (h && h != c->host)
		return false;
	l = lease_find_ip(srv->leases, ip);
	if (lease_live(l, c->now) &&
	    (l->state == LEASE_DECLINED || memcmp(l->mac, c->msg->chaddr, 6)))
		return false;
	return true;
}

/*
 * dhcp-host reservation, then the client's current lease, then the address
 * it asks for, then a free one: first at a slot picked by a hash of the MAC
 * (so a storm of clients does not contend for the same next address), then
 * by a per-range scan cursor, which makes sequential allocation amortised
 * O(1) instead of rescanning the taken prefix of the pool each time.
 */
static int pick_address(struct dhcp_server *srv, struct dhcp_ctx *c, uint32_t *out)
{
	const struct bs_range *r = c->range;
	const uint8_t *mac = c->msg->chaddr;
	const struct lease *l = lease_find_mac(srv->leases, mac);
	uint32_t req = dhcp_opt_ip(c->msg, DHO_REQUESTED_ADDR), size, *cur, ip;
	size_t ri = (size_t)(r - srv->pol->ranges);

	if (c->host && c->host->ip) {
		if (addr_usable(srv, c, c->host->ip, false)) {
			*out = c->host->ip;
			return 0;
		}
		char ips[16], ms[18];

		fmt_ip(c->host->ip, ips);
		fmt_mac(mac, ms);
		ratelog(srv, c->now_ms, LOG_WARNING,
			"not using reserved address %s for %s: in use or not on this subnet", ips,
			ms);
	}
	if (l && in_range(r, l->ip) && addr_usable(srv, c, l->ip, true)) {
		*out = l->ip;
		return 0;
	}
	if (req && addr_usable(srv, c, req, true)) {
		*out = req;
		return 0;
	}
	if (r->end < r->start)
		return -ENOSPC;
	/* A full table would make the scan below walk the whole pool. */
	if (lease_active_count(srv->leases) >= lease_max(srv->leases) &&
	    !lease_expire(srv->leases, c->now, 4096))
		return -ENOSPC;
	size = r->end - r->start + 1;
	ip = r->start + (size ? mac_hash(mac) % size : 0);
	if (addr_usable(srv, c, ip, true)) {
		*out = ip;
		return 0;
	}
	cur = srv->cursor ? &srv->cursor[ri] : &(uint32_t){0};
	for (uint64_t k = 0; k < (size ? size : 1ull << 32); k++) {
		uint32_t off = (uint32_t)((*cur + k) % (size ? size : 1ull << 32));

		if (addr_usable(srv, c, r->start + off, true)) {
			*cur = off + 1;
			*out = r->start + off;
			return 0;
		}
	}
	return -ENOSPC;
}

static int bind_lease(struct dhcp_server *srv, struct dhcp_ctx *c, uint32_t ip, enum lease_state st,
		      uint32_t secs)
{
	char name[64];
	time_t exp;
	int err;

	/* The configured name wins over what the client calls itself. */
	if (c->host && c->host->hostname[0])
		snprintf(name, sizeof(name), "%s", c->host->hostname);
	else
		dhcp_client_hostname(c->msg, name);
	if (st == LEASE_OFFERED)
		exp = c->now + OFFER_HOLD_SECS;
	else
		exp = secs == BS_LEASE_INFINITE ? 0 : c->now + (time_t)secs;
	err = lease_set(srv->leases, ip, c->msg->chaddr, st, exp, name[0] ? name : NULL, c->now);
	if (err == -ENOSPC && lease_expire(srv->leases, c->now, 4096))
		err = lease_set(srv->leases, ip, c->msg->chaddr, st, exp, name[0] ? name : NULL,
				c->now);
	return err;
}

/* ---- message handlers (full mode) ---- */

static enum dhcp_verdict pool_full(struct dhcp_server *srv, struct dhcp_ctx *c)
{
	char ms[18];

	fmt_mac(c->msg->chaddr, ms);
	ratelog(srv, c->now_ms, LOG_WARNING, "DHCPDISCOVER(%s) %s: no address available", ifname(c),
		ms);
	return DHCP_DROP_POOL_FULL;
}

static enum dhcp_verdict do_discover(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx)
{
	struct dhcp_reply *r = &srv->reply;
	const struct lease *l;
	uint32_t ip;

	if (pick_address(srv, c, &ip) < 0)
		return pool_full(srv, c);
	l = lease_find_ip(srv->leases, ip);
	/* A bound client rebooting keeps its binding; only new ones are held. */
	if (!(l && l->state == LEASE_BOUND && !memcmp(l->mac, c->msg->chaddr, 6)) &&
	    bind_lease(srv, c, ip, LEASE_OFFERED, 0) < 0)
		return pool_full(srv, c);
	reply_init(c, r, DHCPOFFER);
	r->yiaddr = ip;
	dhcp_add_options(&srv->opts, c, r, true, lease_secs(c));
	dhcp_pxe_fill(c, r);
	return send_reply(srv, c, r, tx, false);
}

static enum dhcp_verdict ack(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx,
			     uint32_t ip)
{
	struct dhcp_reply *r = &srv->reply;
	uint32_t secs = lease_secs(c);

	if (bind_lease(srv, c, ip, LEASE_BOUND, secs) < 0)
		return send_nak(srv, c, tx, "address not available");
	reply_init(c, r, DHCPACK);
	r->yiaddr = ip;
	dhcp_add_options(&srv->opts, c, r, true, secs);
	dhcp_pxe_fill(c, r);
	return send_reply(srv, c, r, tx, false);
}

/* INIT-REBOOT, RENEWING, REBINDING: the client names an address it had. */
static enum dhcp_verdict verify(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx,
				uint32_t ip)
{
	const struct lease *l = lease_find_ip(srv->leases, ip);
	const struct bs_host *h = host_by_ip(srv, ip);
	bool auth = srv->pol->authoritative;

	if (!on_subnet(c, ip))
		return auth ? send_nak(srv, c, tx, "wrong network") : DHCP_NO_REPLY;
	if (c->host && c->host->ip && c->host->ip != ip)
		return send_nak(srv, c, tx, "address reserved elsewhere for this client");
	if ((h && h != c->host) || (lease_live(l, c->now) && (l->state == LEASE_DECLINED ||
							      memcmp(l->mac, c->msg->chaddr, 6))))
		return send_nak(srv, c, tx, "address in use");
	if (l && l->state != LEASE_DECLINED && !memcmp(l->mac, c->msg->chaddr, 6))
		return ack(srv, c, tx, ip);
	if (c->host && c->host->ip == ip)
		return ack(srv, c, tx, ip);
	/* RFC 2131 4.3.2: with no record of the client, stay silent, unless
	   we are the only server here (dhcp-authoritative). */
	if (!auth)
		return DHCP_NO_REPLY;
	if (addr_usable(srv, c, ip, true))
		return ack(srv, c, tx, ip);
	return send_nak(srv, c, tx, "address not available");
}

static enum dhcp_verdict do_request(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx)
{
	const struct dhcp_msg *m = c->msg;
	uint32_t req = dhcp_opt_ip(m, DHO_REQUESTED_ADDR), ip;
	const struct lease *l;

	if (dhcp_opt_has(m, DHO_SERVER_ID)) {
		/* SELECTING. */
		if (dhcp_opt_ip(m, DHO_SERVER_ID) != c->server_ip) {
			/* The client took another server's offer: free ours. */
			l = lease_find_mac(srv->leases, m->chaddr);
			if (l && l->state == LEASE_OFFERED)
				lease_release(srv->leases, l->ip);
			return DHCP_NO_REPLY;
		}
		ip = req ? req : m->ciaddr;
		if (!ip)
			return send_nak(srv, c, tx, "no address requested");
		l = lease_find_ip(srv->leases, ip);
		if (c->host && c->host->ip && c->host->ip != ip)
			return send_nak(srv, c, tx, "address reserved elsewhere for this client");
		if ((l && l->state != LEASE_DECLINED && !memcmp(l->mac, m->chaddr, 6) &&
		     addr_usable(srv, c, ip, false)) ||
		    addr_usable(srv, c, ip, !(c->host && c->host->ip == ip)))
			return ack(srv, c, tx, ip);
		return send_nak(srv, c, tx, "address not available");
	}
	if (req && !m->ciaddr)
		return verify(srv, c, tx, req); /* INIT-REBOOT */
	if (m->ciaddr)
		return verify(srv, c, tx, m->ciaddr); /* RENEWING / REBINDING */
	return DHCP_NO_REPLY;
}

static bool sid_ok(const struct dhcp_ctx *c)
{
	return !dhcp_opt_has(c->msg, DHO_SERVER_ID) ||
	       dhcp_opt_ip(c->msg, DHO_SERVER_ID) == c->server_ip;
}

static enum dhcp_verdict do_decline(struct dhcp_server *srv, struct dhcp_ctx *c)
{
	uint32_t ip = dhcp_opt_ip(c->msg, DHO_REQUESTED_ADDR);
	const struct lease *l = lease_find_ip(srv->leases, ip);

	if (sid_ok(c) && l && l->state != LEASE_DECLINED && !memcmp(l->mac, c->msg->chaddr, 6)) {
		lease_decline(srv->leases, ip, c->now + DECLINE_SECS);
		log_txn(srv, c, "DHCPDECLINE", ip, "quarantined");
	}
	return DHCP_NO_REPLY;
}

static enum dhcp_verdict do_release(struct dhcp_server *srv, struct dhcp_ctx *c)
{
	uint32_t ip = c->msg->ciaddr;
	const struct lease *l = lease_find_ip(srv->leases, ip);

	if (sid_ok(c) && l && l->state != LEASE_DECLINED && !memcmp(l->mac, c->msg->chaddr, 6)) {
		lease_release(srv->leases, ip);
		log_txn(srv, c, "DHCPRELEASE", ip, NULL);
	}
	return DHCP_NO_REPLY;
}

static enum dhcp_verdict do_inform(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx)
{
	struct dhcp_reply *r = &srv->reply;

	/* RFC 2131 3.4: options only, no address, no lease time. */
	reply_init(c, r, DHCPACK);
	dhcp_add_options(&srv->opts, c, r, false, 0);
	dhcp_pxe_fill(c, r);
	return send_reply(srv, c, r, tx, false);
}

/* ---- proxyDHCP and the boot server ---- */

static bool has_boot_item(const struct dhcp_msg *m)
{
	size_t l;
	const uint8_t *d = dhcp_opt_get(m, DHO_VENDOR_ENCAP, &l);

	return d && memchr(d, 71, l); /* cheap pre-check; dhcp_pxe parses it */
}

static enum dhcp_verdict do_bootsrv(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx,
				    bool via67)
{
	struct dhcp_reply *r = &srv->reply;
	enum dhcp_verdict v;

	if (c->msg->msgtype != DHCPREQUEST && c->msg->msgtype != DHCPINFORM)
		return DHCP_NO_REPLY;
	srv->rx_bootsrv++;
	reply_init(c, r, DHCPACK);
	v = dhcp_pxe_bootsrv(c, r);
	if (v != DHCP_REPLIED)
		return v;
	return send_reply(srv, c, r, tx, !via67);
}

static enum dhcp_verdict do_proxy(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx)
{
	struct dhcp_reply *r = &srv->reply;
	uint8_t type;

	if (!c->pxe && !c->http)
		return DHCP_NO_REPLY;
	switch (c->msg->msgtype) {
	case DHCPDISCOVER:
		type = DHCPOFFER;
		break;
	case DHCPREQUEST:
		/* Some firmware asks the proxy on port 67 instead of 4011. */
		if (dhcp_opt_ip(c->msg, DHO_SERVER_ID) != c->server_ip)
			return DHCP_NO_REPLY;
		if (has_boot_item(c->msg))
			return do_bootsrv(srv, c, tx, true);
		type = DHCPACK;
		break;
	default:
		return DHCP_NO_REPLY;
	}
	reply_init(c, r, type);
	if (!dhcp_pxe_fill(c, r))
		return DHCP_NO_REPLY;
	return send_reply(srv, c, r, tx, false);
}

/* ---- entry ---- */

static enum dhcp_verdict dispatch(struct dhcp_server *srv, struct dhcp_ctx *c, struct bs_tx *tx)
{
	if (c->meta->dst_port == PXE_BOOT_SERVER_PORT)
		return do_bootsrv(srv, c, tx, false);
	if (!c->range) {
		char ips[16];

		fmt_ip(c->msg->giaddr ? c->msg->giaddr : c->meta->if_addr, ips);
		ratelog(srv, c->now_ms, LOG_NOTICE, "no dhcp-range for %s %s (received on %s)",
			c->msg->giaddr ? "relay" : "address", ips, ifname(c));
		return DHCP_DROP_NO_RANGE;
	}
	if (c->range->proxy)
		return do_proxy(srv, c, tx);
	if (!srv->leases)
		return DHCP_DROP_NO_RANGE;
	switch (c->msg->msgtype) {
	case DHCPDISCOVER:
		return do_discover(srv, c, tx);
	case DHCPREQUEST:
		return do_request(srv, c, tx);
	case DHCPDECLINE:
		return do_decline(srv, c);
	case DHCPRELEASE:
		return do_release(srv, c);
	case DHCPINFORM:
		return do_inform(srv, c, tx);
	default:
		return DHCP_DROP_UNSUPPORTED; /* server-to-client types */
	}
}

enum dhcp_verdict dhcp_input(struct dhcp_server *srv, const struct bs_udp_meta *meta,
			     const uint8_t *payload, size_t len, time_t now, uint64_t now_ms,
			     struct bs_tx *tx)
{
	struct dhcp_msg *m = &srv->msg;
	struct dhcp_ctx c;
	enum dhcp_verdict v;
	int err = dhcp_msg_decode(m, payload, len);

	if (err || !m->msgtype) {
		v = err == -EBADMSG ? DHCP_DROP_MALFORMED : DHCP_DROP_UNSUPPORTED;
		if (srv->log && bs_ratelimit_ok(&srv->rl_bad, now_ms, 10)) {
			char ips[16];

			fmt_ip(meta->src_ip, ips);
			bs_logf(srv->log, LOG_NOTICE,
				"%s DHCP packet (%zu bytes) from %s:%u on %s dropped",
				v == DHCP_DROP_MALFORMED ? "malformed" : "unsupported", len, ips,
				meta->src_port, meta->ifname ? meta->ifname : "?");
		}
		srv->verdicts[v]++;
		return v;
	}
	srv->rx[m->msgtype]++;

	memset(&c, 0, sizeof(c));
	c.pol = srv->pol;
	c.meta = meta;
	c.msg = m;
	c.log = srv->log;
	c.rl = &srv->rl_info;
	c.now = now;
	c.now_ms = now_ms;
	/* Answer from the address the client or relay reached us on. */
	if (meta->dst_ip && meta->dst_ip != BROADCAST_IP && (meta->dst_ip >> 28) != 14)
		c.server_ip = meta->dst_ip;
	else
		c.server_ip = meta->if_addr;
	c.host = host_by_mac(srv, m->chaddr);
	c.act = host_act(srv, c.host);
	if (c.host && c.host->ignore) {
		srv->host_ignored++;
		srv->verdicts[DHCP_NO_REPLY]++;
		return DHCP_NO_REPLY;
	}
	if (srv->leases)
		lease_expire(srv->leases, now, 4); /* reclaim a little each packet */
	dhcp_classify(&c, iface_tags(srv, meta));
	emit_rx(srv, &c);
	v = dispatch(srv, &c, tx);
	srv->verdicts[v]++;
	return v;
}
