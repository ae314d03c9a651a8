/* SPDX-License-Identifier: MIT */
/* DHCP server, proxyDHCP, PXE boot server: table-driven exchanges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dhcp.h"
#include "proto/dhcp_pxe.h"
#include "proto/dhcp_wire.h"
#include "proto/hostact.h"
#include "proto/lease.h"
#include "unit.h"
#include "util/bytes.h"
#include "util/events.h"
#include "util/tagmem.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NET(d)		IP4(10, 0, 0, d)
#define SERVER		NET(1)
#define ANY_IN_RANGE	1u /* expected yiaddr: any address of the range */
#define NOW		1000000

/* Extra tag indexes after the builtins. */
enum { TAG_ETH0 = BS_TAG_BUILTIN_COUNT, TAG_EFI, TAG_LAB, TAG_COUNT };
#define T(x) (1ull << (x))

/* ---- policy builder ---- */

struct tpol {
	struct bs_policy p;
	struct bs_range ranges[4];
	struct bs_host hosts[8];
	struct bs_boot boots[8];
	struct bs_pxe_service svcs[8];
	struct bs_pxe_prompt prompts[2];
	struct bs_match matches[4];
	struct bs_tag_if tagifs[4];
	struct bs_dhcp_option opts[40];
};

static void tpol_init(struct tpol *t)
{
	static const char *const names[] = {"known", "ipxe", "httpclient", "pxeclient",
					    "eth0",  "efi",  "lab"};

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < TAG_COUNT; i++)
		t->p.tag_names[i] = names[i];
	t->p.ntags = TAG_COUNT;
	t->p.ranges = t->ranges;
	t->p.hosts = t->hosts;
	t->p.boots = t->boots;
	t->p.services = t->svcs;
	t->p.prompts = t->prompts;
	t->p.matches = t->matches;
	t->p.tag_ifs = t->tagifs;
	t->p.options = t->opts;
	t->p.lease_max = 1000;
}

static struct bs_range *add_range(struct tpol *t, uint32_t start, uint32_t end, bool proxy)
{
	struct bs_range *r = &t->ranges[t->p.nranges++];

	r->start = start;
	r->end = end;
	r->proxy = proxy;
	r->lease_secs = 3600;
	return r;
}

static void mac_of(unsigned id, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	put_be32(mac + 2, id);
}

static struct bs_host *add_host(struct tpol *t, unsigned macid, uint32_t ip, const char *name)
{
	struct bs_host *h = &t->hosts[t->p.nhosts++];

	mac_of(macid, h->mac);
	h->ip = ip;
	snprintf(h->hostname, sizeof(h->hostname), "%s", name);
	return h;
}

static struct bs_boot *add_boot(struct tpol *t, const char *file, bs_tagset need)
{
	struct bs_boot *b = &t->boots[t->p.nboots++];

	snprintf(b->file, sizeof(b->file), "%s", file);
	b->match.need = need;
	return b;
}

static struct bs_pxe_service *add_svc(struct tpol *t, uint16_t csa, const char *menu,
				      const char *basename, uint16_t type)
{
	struct bs_pxe_service *s = &t->svcs[t->p.nservices++];

	s->csa = csa;
	snprintf(s->menu, sizeof(s->menu), "%s", menu);
	snprintf(s->basename, sizeof(s->basename), "%s", basename);
	s->type = type;
	return s;
}

static struct bs_dhcp_option *add_opt(struct tpol *t, uint8_t code, const void *d, uint8_t len,
				      bool force)
{
	struct bs_dhcp_option *o = &t->opts[t->p.noptions++];

	o->code = code;
	o->len = len;
	memcpy(o->data, d, len);
	o->force = force;
	return o;
}

/* ---- request builder ---- */

struct req {
	uint8_t b[1500];
	size_t len;
};

static void req_init(struct req *r, uint8_t type, unsigned macid, uint32_t xid)
{
	memset(r, 0, sizeof(*r));
	r->b[DHCP_OFF_OP] = BOOTREQUEST;
	r->b[DHCP_OFF_HTYPE] = 1;
	r->b[DHCP_OFF_HLEN] = 6;
	put_be32(r->b + DHCP_OFF_XID, xid);
	mac_of(macid, r->b + DHCP_OFF_CHADDR);
	put_be32(r->b + DHCP_OFF_COOKIE, DHCP_MAGIC);
	r->len = DHCP_OFF_OPTIONS;
	r->b[r->len++] = DHO_MSG_TYPE;
	r->b[r->len++] = 1;
	r->b[r->len++] = type;
}

static void req_opt(struct req *r, uint8_t code, const void *d, size_t l)
{
	r->b[r->len++] = code;
	r->b[r->len++] = (uint8_t)l;
	memcpy(r->b + r->len, d, l);
	r->len += l;
}

static void req_ip(struct req *r, uint8_t code, uint32_t ip)
{
	uint8_t b[4];

	put_be32(b, ip);
	req_opt(r, code, b, 4);
}

static void req_str(struct req *r, uint8_t code, const char *s)
{
	req_opt(r, code, s, strlen(s));
}

static void req_arch(struct req *r, uint16_t arch)
{
	uint8_t b[2];

	put_be16(b, arch);
	req_opt(r, DHO_CLIENT_ARCH, b, 2);
}

static void req_end(struct req *r)
{
	r->b[r->len++] = DHO_END;
}

/* ---- fixture ---- */

struct env {
	struct tpol pol;
	struct lease_table *lt;
	struct dhcp_server *srv;
	struct txcap cap;
	struct bs_udp_meta meta;
	struct dhcp_msg reply; /* last reply, decoded */
	char logbuf[8192];
	struct bs_log log;
};

static void log_capture(void *arg, int prio, const char *msg)
{
	struct env *e = arg;
	size_t n = strlen(e->logbuf);

	(void)prio;
	snprintf(e->logbuf + n, sizeof(e->logbuf) - n, "%s\n", msg);
}

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	tpol_init(&e->pol);
	txcap_init(&e->cap);
	e->meta.ifindex = 2;
	e->meta.src_ip = 0;
	e->meta.dst_ip = 0xffffffffu;
	e->meta.src_port = DHCP_CLIENT_PORT;
	e->meta.dst_port = DHCP_SERVER_PORT;
	e->meta.if_addr = SERVER;
	e->meta.if_mask = IP4(255, 255, 255, 0);
	e->meta.ifname = "eth0";
	e->log.fn = log_capture;
	e->log.arg = e;
	e->log.max_prio = LOG_DEBUG;
	return e;
}

/* Start the server once the policy is filled in. */
static void env_start(struct env *e)
{
	e->lt = lease_table_new(e->pol.p.lease_max);
	e->srv = dhcp_server_new(&e->pol.p, e->lt, &e->log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->srv);
}

static void env_free(struct env *e)
{
	dhcp_server_free(e->srv);
	lease_table_free(e->lt);
	txcap_free(&e->cap);
	free(e);
}

/* Send r; on a reply, decode it into e->reply. */
static enum dhcp_verdict env_send(struct env *e, const struct req *r, time_t now)
{
	enum dhcp_verdict v;

	txcap_reset(&e->cap);
	v = dhcp_input(e->srv, &e->meta, r->b, r->len, now, (uint64_t)now * 1000, &e->cap.tx);
	CU_ASSERT_EQUAL(e->cap.n, v == DHCP_REPLIED ? 1u : 0u);
	if (v == DHCP_REPLIED && e->cap.n == 1) {
		static uint8_t copy[1500];
		struct txcap_pkt *p = &e->cap.pkts[0];

		CU_ASSERT_FATAL(p->len >= DHCP_MIN_REPLY && p->len <= 1472);
		CU_ASSERT_EQUAL(p->data[DHCP_OFF_OP], BOOTREPLY);
		memcpy(copy, p->data, p->len);
		copy[DHCP_OFF_OP] = BOOTREQUEST;
		CU_ASSERT_EQUAL_FATAL(dhcp_msg_decode(&e->reply, copy, p->len), 0);
	}
	return v;
}

static const struct txcap_pkt *last(struct env *e)
{
	return &e->cap.pkts[0];
}

static const char *reply_file(struct env *e)
{
	static char f[DHCP_FILE_LEN + 1];

	memcpy(f, last(e)->data + DHCP_OFF_FILE, DHCP_FILE_LEN);
	f[DHCP_FILE_LEN] = '\0';
	return f;
}

static uint32_t reply_siaddr(struct env *e)
{
	return get_be32(last(e)->data + DHCP_OFF_SIADDR);
}

/* A sub-option of the reply's option 43; NULL if absent. */
static const uint8_t *subopt(struct env *e, uint8_t code, size_t *len)
{
	size_t l, i = 0;
	const uint8_t *d = dhcp_opt_get(&e->reply, DHO_VENDOR_ENCAP, &l);

	while (d && i + 2 <= l && d[i] != DHO_END) {
		if (d[i] == code && i + 2 + d[i + 1] <= l) {
			*len = d[i + 1];
			return d + i + 2;
		}
		i += 2 + d[i + 1];
	}
	*len = 0;
	return NULL;
}

/* Full DORA for one client; returns the ACKed address or 0. */
static uint32_t dora(struct env *e, unsigned macid, time_t now)
{
	struct req r;
	uint32_t ip;

	req_init(&r, DHCPDISCOVER, macid, macid);
	req_end(&r);
	if (env_send(e, &r, now) != DHCP_REPLIED || e->reply.msgtype != DHCPOFFER)
		return 0;
	ip = e->reply.yiaddr;
	req_init(&r, DHCPREQUEST, macid, macid);
	req_ip(&r, DHO_REQUESTED_ADDR, ip);
	req_ip(&r, DHO_SERVER_ID, SERVER);
	req_end(&r);
	if (env_send(e, &r, now) != DHCP_REPLIED || e->reply.msgtype != DHCPACK)
		return 0;
	CU_ASSERT_EQUAL(e->reply.yiaddr, ip);
	return ip;
}

/* ---- full mode: one exchange per row ---- */

struct fcase {
	const char *desc;
	bool auth;
	uint8_t type;
	unsigned mac;
	uint32_t ciaddr, req, sid;
	bool bcast;
	uint32_t meta_dst; /* 0: broadcast */
	enum dhcp_verdict v;
	uint8_t rtype;
	uint32_t yiaddr; /* ANY_IN_RANGE: any free one */
	uint32_t not_yiaddr;
	uint8_t l2;
	uint32_t to_ip;
	bool lease_opt;
};

/*
 * Fixture: range .100-.199; dhcp-host mac 9 -> .50 "pc9", mac 8 ignored;
 * mac 2 bound to .120, mac 3 offered .130, .140 declined.
 */
static struct env *full_env(bool auth)
{
	struct env *e = env_new();
	uint8_t mac[6];

	add_range(&e->pol, NET(100), NET(199), false);
	add_host(&e->pol, 9, NET(50), "pc9");
	add_host(&e->pol, 8, 0, "")->ignore = true;
	e->pol.p.authoritative = auth;
	env_start(e);
	mac_of(2, mac);
	lease_set(e->lt, NET(120), mac, LEASE_BOUND, NOW + 3600, NULL, NOW);
	mac_of(3, mac);
	lease_set(e->lt, NET(130), mac, LEASE_OFFERED, NOW + 60, NULL, NOW);
	lease_decline(e->lt, NET(140), NOW + 600);
	return e;
}

static const struct fcase fcases[] = {
    {"DISCOVER new client", 0, DHCPDISCOVER, 1, 0, 0, 0, 0, 0, DHCP_REPLIED, DHCPOFFER,
     ANY_IN_RANGE, 0, BS_TX_L2_UNICAST, ANY_IN_RANGE, true},
    {"DISCOVER broadcast flag", 0, DHCPDISCOVER, 1, 0, 0, 0, 1, 0, DHCP_REPLIED, DHCPOFFER,
     ANY_IN_RANGE, 0, BS_TX_L2_BROADCAST, 0xffffffffu, true},
    {"DISCOVER existing lease", 0, DHCPDISCOVER, 2, 0, 0, 0, 0, 0, DHCP_REPLIED, DHCPOFFER,
     NET(120), 0, BS_TX_L2_UNICAST, NET(120), true},
    {"DISCOVER requested free", 0, DHCPDISCOVER, 1, 0, NET(150), 0, 0, 0, DHCP_REPLIED, DHCPOFFER,
     NET(150), 0, BS_TX_L2_UNICAST, NET(150), true},
    {"DISCOVER requested taken", 0, DHCPDISCOVER, 1, 0, NET(120), 0, 0, 0, DHCP_REPLIED, DHCPOFFER,
     ANY_IN_RANGE, NET(120), BS_TX_L2_UNICAST, ANY_IN_RANGE, true},
    {"DISCOVER requested declined", 0, DHCPDISCOVER, 1, 0, NET(140), 0, 0, 0, DHCP_REPLIED,
     DHCPOFFER, ANY_IN_RANGE, NET(140), BS_TX_L2_UNICAST, ANY_IN_RANGE, true},
    {"DISCOVER requested out of range", 0, DHCPDISCOVER, 1, 0, NET(20), 0, 0, 0, DHCP_REPLIED,
     DHCPOFFER, ANY_IN_RANGE, NET(20), BS_TX_L2_UNICAST, ANY_IN_RANGE, true},
    {"DISCOVER reserved host", 0, DHCPDISCOVER, 9, 0, 0, 0, 0, 0, DHCP_REPLIED, DHCPOFFER, NET(50),
     0, BS_TX_L2_UNICAST, NET(50), true},
    {"DISCOVER asks for another's reservation", 0, DHCPDISCOVER, 1, 0, NET(50), 0, 0, 0,
     DHCP_REPLIED, DHCPOFFER, ANY_IN_RANGE, NET(50), BS_TX_L2_UNICAST, ANY_IN_RANGE, true},
    {"DISCOVER ignored host", 0, DHCPDISCOVER, 8, 0, 0, 0, 0, 0, DHCP_NO_REPLY},
    {"REQUEST selecting our offer", 0, DHCPREQUEST, 3, 0, NET(130), SERVER, 0, 0, DHCP_REPLIED,
     DHCPACK, NET(130), 0, BS_TX_L2_UNICAST, NET(130), true},
    {"REQUEST selecting other server", 0, DHCPREQUEST, 3, 0, NET(130), NET(2), 0, 0, DHCP_NO_REPLY},
    {"REQUEST selecting someone's address", 0, DHCPREQUEST, 1, 0, NET(120), SERVER, 0, 0,
     DHCP_REPLIED, DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"REQUEST selecting without address", 0, DHCPREQUEST, 1, 0, 0, SERVER, 0, 0, DHCP_REPLIED,
     DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"INIT-REBOOT own lease", 0, DHCPREQUEST, 2, 0, NET(120), 0, 0, 0, DHCP_REPLIED, DHCPACK,
     NET(120), 0, BS_TX_L2_UNICAST, NET(120), true},
    {"INIT-REBOOT someone else's", 0, DHCPREQUEST, 1, 0, NET(120), 0, 0, 0, DHCP_REPLIED, DHCPNAK,
     0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"INIT-REBOOT reserved for another", 0, DHCPREQUEST, 1, 0, NET(50), 0, 0, 0, DHCP_REPLIED,
     DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"INIT-REBOOT unknown, not authoritative", 0, DHCPREQUEST, 1, 0, NET(160), 0, 0, 0,
     DHCP_NO_REPLY},
    {"INIT-REBOOT wrong net, not authoritative", 0, DHCPREQUEST, 1, 0, IP4(192, 168, 1, 5), 0, 0, 0,
     DHCP_NO_REPLY},
    {"RENEWING own lease", 0, DHCPREQUEST, 2, NET(120), 0, 0, 0, SERVER, DHCP_REPLIED, DHCPACK,
     NET(120), 0, BS_TX_ROUTED, NET(120), true},
    {"REBINDING own lease", 0, DHCPREQUEST, 2, NET(120), 0, 0, 0, 0, DHCP_REPLIED, DHCPACK,
     NET(120), 0, BS_TX_ROUTED, NET(120), true},
    {"RENEWING unknown, not authoritative", 0, DHCPREQUEST, 1, NET(160), 0, 0, 0, SERVER,
     DHCP_NO_REPLY},
    {"RELEASE", 0, DHCPRELEASE, 2, NET(120), 0, SERVER, 0, SERVER, DHCP_NO_REPLY},
    {"DECLINE", 0, DHCPDECLINE, 3, 0, NET(130), SERVER, 0, 0, DHCP_NO_REPLY},
    {"INFORM", 0, DHCPINFORM, 1, NET(170), 0, 0, 0, SERVER, DHCP_REPLIED, DHCPACK, 0, 0,
     BS_TX_ROUTED, NET(170), false},
    {"client sends OFFER", 0, DHCPOFFER, 1, 0, 0, 0, 0, 0, DHCP_DROP_UNSUPPORTED},
    {"auth: INIT-REBOOT unknown free", 1, DHCPREQUEST, 1, 0, NET(160), 0, 0, 0, DHCP_REPLIED,
     DHCPACK, NET(160), 0, BS_TX_L2_UNICAST, NET(160), true},
    {"auth: INIT-REBOOT wrong net", 1, DHCPREQUEST, 1, 0, IP4(192, 168, 1, 5), 0, 0, 0,
     DHCP_REPLIED, DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"auth: INIT-REBOOT someone else's", 1, DHCPREQUEST, 1, 0, NET(120), 0, 0, 0, DHCP_REPLIED,
     DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
    {"auth: RENEWING unknown free", 1, DHCPREQUEST, 1, NET(160), 0, 0, 0, SERVER, DHCP_REPLIED,
     DHCPACK, NET(160), 0, BS_TX_ROUTED, NET(160), true},
    {"auth: INIT-REBOOT declined address", 1, DHCPREQUEST, 1, 0, NET(140), 0, 0, 0, DHCP_REPLIED,
     DHCPNAK, 0, 0, BS_TX_L2_BROADCAST, 0xffffffffu, false},
};

static void test_full_table(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(fcases); i++) {
		const struct fcase *t = &fcases[i];
		struct env *e = full_env(t->auth);
		struct req r;
		enum dhcp_verdict v;

		req_init(&r, t->type, t->mac, 0x1000 + (uint32_t)i);
		put_be32(r.b + DHCP_OFF_CIADDR, t->ciaddr);
		if (t->bcast)
			put_be16(r.b + DHCP_OFF_FLAGS, DHCP_FLAG_BROADCAST);
		if (t->req)
			req_ip(&r, DHO_REQUESTED_ADDR, t->req);
		if (t->sid)
			req_ip(&r, DHO_SERVER_ID, t->sid);
		req_end(&r);
		e->meta.src_ip = t->ciaddr;
		e->meta.dst_ip = t->meta_dst ? t->meta_dst : 0xffffffffu;
		v = env_send(e, &r, NOW);
		if (v != t->v)
			fprintf(stderr, "case '%s': verdict %s\n", t->desc, dhcp_verdict_name(v));
		CU_ASSERT_EQUAL(v, t->v);
		if (v == DHCP_REPLIED && t->v == DHCP_REPLIED) {
			const struct dhcp_msg *m = &e->reply;
			const struct bs_tx_addr *to = &last(e)->to;
			uint32_t y = m->yiaddr;

			CU_ASSERT_EQUAL(m->msgtype, t->rtype);
			CU_ASSERT_EQUAL(m->xid, 0x1000 + (uint32_t)i);
			CU_ASSERT_EQUAL(dhcp_opt_ip(m, DHO_SERVER_ID), SERVER);
			if (t->yiaddr == ANY_IN_RANGE) {
				CU_ASSERT(y >= NET(100) && y <= NET(199));
			} else {
				CU_ASSERT_EQUAL(y, t->yiaddr);
			}
			if (t->not_yiaddr)
				CU_ASSERT_NOT_EQUAL(y, t->not_yiaddr);
			CU_ASSERT_EQUAL(to->l2, t->l2);
			CU_ASSERT_EQUAL(to->dst_ip, t->to_ip == ANY_IN_RANGE ? y : t->to_ip);
			CU_ASSERT_EQUAL(to->dst_port, DHCP_CLIENT_PORT);
			CU_ASSERT_EQUAL(to->src_port, DHCP_SERVER_PORT);
			CU_ASSERT_EQUAL(to->src_ip, SERVER);
			if (to->l2 == BS_TX_L2_UNICAST)
				CU_ASSERT(memcmp(to->dst_mac, m->chaddr, 6) == 0);
			CU_ASSERT_EQUAL(dhcp_opt_has(m, DHO_LEASE_TIME), t->lease_opt);
			if (t->lease_opt) {
				CU_ASSERT_EQUAL(dhcp_opt_ip(m, DHO_LEASE_TIME), 3600);
				CU_ASSERT_EQUAL(dhcp_opt_ip(m, DHO_T1), 1800);
				CU_ASSERT_EQUAL(dhcp_opt_ip(m, DHO_T2), 3150);
				CU_ASSERT_EQUAL(dhcp_opt_ip(m, DHO_SUBNET_MASK),
						IP4(255, 255, 255, 0));
			}
			/* RFC 2131 table 3: ciaddr echoed in ACK only. */
			CU_ASSERT_EQUAL(get_be32(last(e)->data + DHCP_OFF_CIADDR),
					t->rtype == DHCPACK ? t->ciaddr : 0);
		}
		env_free(e);
	}
}

/* Side effects on the lease table of the rows above. */
static void test_lease_effects(void)
{
	struct env *e = full_env(false);
	struct req r;
	uint8_t mac[6];
	const struct lease *l;

	/* Another server's offer taken: ours is released. */
	req_init(&r, DHCPREQUEST, 3, 1);
	req_ip(&r, DHO_REQUESTED_ADDR, NET(2));
	req_ip(&r, DHO_SERVER_ID, NET(2));
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_NO_REPLY);
	CU_ASSERT_PTR_NULL(lease_find_ip(e->lt, NET(130)));

	/* RELEASE frees; a RELEASE for someone else's address does not. */
	req_init(&r, DHCPRELEASE, 1, 2);
	put_be32(r.b + DHCP_OFF_CIADDR, NET(120));
	req_end(&r);
	env_send(e, &r, NOW);
	CU_ASSERT_PTR_NOT_NULL(lease_find_ip(e->lt, NET(120)));
	req_init(&r, DHCPRELEASE, 2, 3);
	put_be32(r.b + DHCP_OFF_CIADDR, NET(120));
	req_end(&r);
	env_send(e, &r, NOW);
	CU_ASSERT_PTR_NULL(lease_find_ip(e->lt, NET(120)));

	/* INFORM changes no lease. */
	size_t before = lease_count(e->lt);

	req_init(&r, DHCPINFORM, 5, 4);
	put_be32(r.b + DHCP_OFF_CIADDR, NET(177));
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT_EQUAL(lease_count(e->lt), before);

	/* The client's hostname is recorded in its lease. */
	req_init(&r, DHCPDISCOVER, 6, 5);
	req_str(&r, DHO_HOST_NAME, "node-6.example");
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_REPLIED);
	mac_of(6, mac);
	l = lease_find_mac(e->lt, mac);
	CU_ASSERT(l && strcmp(l->hostname, "node-6") == 0);
	env_free(e);
}

static void test_retransmit_and_decline(void)
{
	struct env *e = full_env(false);
	struct req r;
	uint32_t a, b, c;

	req_init(&r, DHCPDISCOVER, 20, 77);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_REPLIED);
	a = e->reply.yiaddr;
	put_be16(r.b + DHCP_OFF_SECS, 4); /* retransmission */
	CU_ASSERT_EQUAL(env_send(e, &r, NOW + 4), DHCP_REPLIED);
	CU_ASSERT_EQUAL(e->reply.yiaddr, a);

	b = dora(e, 20, NOW + 5);
	CU_ASSERT_EQUAL(b, a);
	CU_ASSERT_EQUAL(dora(e, 20, NOW + 6), a); /* repeated REQUEST: same ACK */

	/* DECLINE: quarantined, the next DISCOVER gets another address. */
	req_init(&r, DHCPDECLINE, 20, 78);
	req_ip(&r, DHO_REQUESTED_ADDR, a);
	req_ip(&r, DHO_SERVER_ID, SERVER);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW + 7), DHCP_NO_REPLY);
	CU_ASSERT_EQUAL(lease_find_ip(e->lt, a)->state, LEASE_DECLINED);
	c = dora(e, 20, NOW + 8);
	CU_ASSERT(c != 0 && c != a);
	/* Nobody gets it during the quarantine; after 10 minutes it is free. */
	req_init(&r, DHCPDISCOVER, 21, 79);
	req_ip(&r, DHO_REQUESTED_ADDR, a);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW + 300), DHCP_REPLIED);
	CU_ASSERT_NOT_EQUAL(e->reply.yiaddr, a);
	req_init(&r, DHCPDISCOVER, 22, 80);
	req_ip(&r, DHO_REQUESTED_ADDR, a);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW + 700), DHCP_REPLIED);
	CU_ASSERT_EQUAL(e->reply.yiaddr, a);
	env_free(e);
}

struct pool_case {
	const char *desc;
	uint32_t start, end, lease_max;
	unsigned clients, served;
};

static const struct pool_case pool_cases[] = {
    {"5-address pool", NET(100), NET(104), 1000, 7, 5},
    {"lease-max 3", NET(100), NET(199), 3, 5, 3},
    {"pool with our own address inside", NET(1), NET(3), 1000, 4, 2},
};

static void test_pool_exhaustion(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(pool_cases); i++) {
		const struct pool_case *t = &pool_cases[i];
		struct env *e = env_new();
		unsigned served = 0;
		struct req r;

		add_range(&e->pol, t->start, t->end, false);
		e->pol.p.lease_max = t->lease_max;
		env_start(e);
		for (unsigned c = 1; c <= t->clients; c++)
			if (dora(e, c, NOW))
				served++;
		CU_ASSERT_EQUAL(served, t->served);
		req_init(&r, DHCPDISCOVER, 999, 1);
		req_end(&r);
		CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_DROP_POOL_FULL);
		/* Once the leases expire the pool serves again. */
		CU_ASSERT_EQUAL(env_send(e, &r, NOW + 4000), DHCP_REPLIED);
		env_free(e);
	}
}

/* Thousands of random clients: never one address for two MACs. */
static void test_no_duplicates(void)
{
	enum { CLIENTS = 3000, POOL = 3500 };
	struct env *e = env_new();
	static uint32_t owner[POOL + 1];
	unsigned seed = 4242, acked = 0;
	struct req r;

	add_range(&e->pol, NET(0) + 256, NET(0) + 255 + POOL, false);
	e->pol.ranges[0].netmask = IP4(255, 255, 0, 0);
	add_host(&e->pol, 100000, NET(0) + 300, "reserved");
	e->pol.p.lease_max = 5000;
	env_start(e);
	memset(owner, 0, sizeof(owner));
	for (unsigned n = 0; n < CLIENTS * 3; n++) {
		unsigned mac = 1 + (unsigned)rand_r(&seed) % CLIENTS;
		uint32_t ip;

		if (rand_r(&seed) % 10 == 0) { /* some clients leave */
			uint8_t m[6];
			const struct lease *l;

			mac_of(mac, m);
			l = lease_find_mac(e->lt, m);
			if (l) {
				req_init(&r, DHCPRELEASE, mac, n);
				put_be32(r.b + DHCP_OFF_CIADDR, l->ip);
				req_end(&r);
				env_send(e, &r, NOW);
				owner[l->ip - NET(0) - 256] = 0;
			}
			continue;
		}
		ip = dora(e, mac, NOW);
		CU_ASSERT_FATAL(ip >= NET(0) + 256 && ip <= NET(0) + 255 + POOL);
		CU_ASSERT_NOT_EQUAL(ip, NET(0) + 300);
		acked++;
		/* Any earlier owner of ip must have given it up. */
		if (owner[ip - NET(0) - 256] && owner[ip - NET(0) - 256] != mac) {
			uint8_t m[6];
			const struct lease *l;

			mac_of(owner[ip - NET(0) - 256], m);
			l = lease_find_mac(e->lt, m);
			CU_ASSERT(!l || l->ip != ip);
		}
		owner[ip - NET(0) - 256] = mac;
	}
	CU_ASSERT(acked > CLIENTS);
	/* Table-wide: every bound address belongs to exactly one MAC. */
	for (uint32_t i = 0; i < POOL; i++) {
		const struct lease *l = lease_find_ip(e->lt, NET(0) + 256 + i);

		if (l && l->state == LEASE_BOUND) {
			const struct lease *m = lease_find_mac(e->lt, l->mac);

			CU_ASSERT(m && m->ip == l->ip);
		}
	}
	/* The reserved host still gets its address. */
	CU_ASSERT_EQUAL(dora(e, 100000, NOW), NET(0) + 300);
	env_free(e);
}

/* ---- options ---- */

struct opt_case {
	const char *desc;
	uint8_t prl[8];
	size_t nprl;
	uint8_t code;
	int expect; /* -1 absent, else first data byte */
};

static const struct opt_case opt_cases[] = {
    {"requested router", {3}, 1, 3, 10},
    {"unrequested router", {6}, 1, 3, -1},
    {"forced option always", {0}, 0, 66, 't'},
    {"tagged beats untagged", {6}, 1, 6, 8},
    {"tagged for other tag ignored", {42}, 1, 42, 1},
    {"hostname from dhcp-host", {12}, 1, 12, 'p'},
    {"hostname not requested", {3}, 1, 12, -1},
    {"internal option not overridable", {51}, 1, 51, 0},
};

static void test_options(void)
{
	static const uint8_t router[4] = {10, 0, 0, 1}, dns1[4] = {9, 9, 9, 9},
			     dns2[4] = {8, 8, 8, 8}, ntp1[4] = {1, 1, 1, 1}, ntp2[4] = {2, 2, 2, 2},
			     lt[4] = {0xff, 0, 0, 0};

	for (size_t i = 0; i < BS_ARRAY_SIZE(opt_cases); i++) {
		const struct opt_case *t = &opt_cases[i];
		struct env *e = env_new();
		struct req r;
		size_t l;
		const uint8_t *d;

		add_range(&e->pol, NET(100), NET(199), false);
		add_host(&e->pol, 1, 0, "pc1");
		add_opt(&e->pol, 3, router, 4, false);
		add_opt(&e->pol, 6, dns1, 4, false);
		add_opt(&e->pol, 6, dns2, 4, false)->match.need = T(BS_TAG_KNOWN);
		add_opt(&e->pol, 42, ntp1, 4, false);
		add_opt(&e->pol, 42, ntp2, 4, false)->match.need = T(TAG_LAB);
		add_opt(&e->pol, 66, "tftp", 4, true);
		add_opt(&e->pol, 51, lt, 4, true);
		env_start(e);
		req_init(&r, DHCPDISCOVER, 1, 1);
		if (t->nprl)
			req_opt(&r, DHO_PARAM_REQ, t->prl, t->nprl);
		req_end(&r);
		CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
		d = dhcp_opt_get(&e->reply, t->code, &l);
		if (t->expect < 0) {
			CU_ASSERT_PTR_NULL(d);
		} else {
			CU_ASSERT_FATAL(d && l > 0);
			CU_ASSERT_EQUAL(d[0], t->expect);
		}
		env_free(e);
	}
}

/* Replies bigger than the client's limit spill into file/sname. */
static void test_overload(void)
{
	for (int no_override = 0; no_override < 2; no_override++) {
		struct env *e = env_new();
		uint8_t big[200];
		struct req r;

		memset(big, 'x', sizeof(big));
		add_range(&e->pol, NET(100), NET(199), false);
		/* 33 bytes of our own options, then these: two fill the
		   options field, one fits only the file field (127), one
		   only what is left: sname. */
		add_opt(&e->pol, 224, big, 120, true);
		add_opt(&e->pol, 225, big, 120, true);
		add_opt(&e->pol, 226, big, 100, true);
		add_opt(&e->pol, 227, big, 50, true);
		e->pol.p.no_override = no_override;
		env_start(e);
		req_init(&r, DHCPDISCOVER, 1, 1);
		req_end(&r);
		CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
		CU_ASSERT(last(e)->len <= 548);
		if (!no_override) {
			CU_ASSERT_EQUAL(e->reply.overload, 3);
			CU_ASSERT(dhcp_opt_has(&e->reply, 224) && dhcp_opt_has(&e->reply, 225) &&
				  dhcp_opt_has(&e->reply, 226) && dhcp_opt_has(&e->reply, 227));
		} else {
			CU_ASSERT_EQUAL(e->reply.overload, 0);
			CU_ASSERT(!(dhcp_opt_has(&e->reply, 224) && dhcp_opt_has(&e->reply, 225) &&
				    dhcp_opt_has(&e->reply, 226) && dhcp_opt_has(&e->reply, 227)));
		}
		env_free(e);
	}
}

/* ---- relay ---- */

static void test_relay(void)
{
	static const uint8_t o82[] = {1, 4, 'p', 'o', 'r', 't', 2, 3, 's', 'w', '1'};
	struct env *e = env_new();
	struct req r;
	size_t l;
	const uint8_t *d;

	add_range(&e->pol, NET(100), NET(199), false);
	add_range(&e->pol, IP4(10, 1, 0, 100), IP4(10, 1, 0, 200), false)->netmask =
	    IP4(255, 255, 255, 0);
	env_start(e);
	e->meta.src_ip = IP4(10, 1, 0, 1);
	e->meta.src_port = DHCP_SERVER_PORT;
	e->meta.dst_ip = SERVER;

	req_init(&r, DHCPDISCOVER, 1, 1);
	put_be32(r.b + DHCP_OFF_GIADDR, IP4(10, 1, 0, 1));
	req_opt(&r, DHO_RELAY_AGENT, o82, sizeof(o82));
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT(e->reply.yiaddr >= IP4(10, 1, 0, 100) && e->reply.yiaddr <= IP4(10, 1, 0, 200));
	CU_ASSERT_EQUAL(last(e)->to.dst_ip, IP4(10, 1, 0, 1));
	CU_ASSERT_EQUAL(last(e)->to.dst_port, DHCP_SERVER_PORT);
	CU_ASSERT_EQUAL(last(e)->to.l2, BS_TX_ROUTED);
	CU_ASSERT_EQUAL(get_be32(last(e)->data + DHCP_OFF_GIADDR), IP4(10, 1, 0, 1));
	d = dhcp_opt_get(&e->reply, DHO_RELAY_AGENT, &l);
	CU_ASSERT(d && l == sizeof(o82) && memcmp(d, o82, l) == 0);

	/* A NAK through a relay: to the relay, broadcast bit set. */
	req_init(&r, DHCPREQUEST, 2, 2);
	put_be32(r.b + DHCP_OFF_GIADDR, IP4(10, 1, 0, 1));
	req_ip(&r, DHO_REQUESTED_ADDR, NET(150));
	req_ip(&r, DHO_SERVER_ID, SERVER);
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT_EQUAL(e->reply.msgtype, DHCPNAK);
	CU_ASSERT_EQUAL(last(e)->to.dst_ip, IP4(10, 1, 0, 1));
	CU_ASSERT(e->reply.flags & DHCP_FLAG_BROADCAST);

	/* Option 82 from a snooping switch (giaddr 0) comes back too. */
	e->meta.src_ip = 0;
	e->meta.dst_ip = 0xffffffffu;
	req_init(&r, DHCPDISCOVER, 4, 4);
	req_opt(&r, DHO_RELAY_AGENT, o82, sizeof(o82));
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT(e->reply.yiaddr >= NET(100) && e->reply.yiaddr <= NET(199));
	d = dhcp_opt_get(&e->reply, DHO_RELAY_AGENT, &l);
	CU_ASSERT(d && l == sizeof(o82) && memcmp(d, o82, l) == 0);

	/* A relay on a subnet we do not serve. */
	req_init(&r, DHCPDISCOVER, 3, 3);
	put_be32(r.b + DHCP_OFF_GIADDR, IP4(10, 9, 0, 1));
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_DROP_NO_RANGE);
	env_free(e);
}

/* ---- PXE, proxy, boot server, iPXE, HTTP ---- */

static const uint8_t uuid[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void pxe_req(struct req *r, uint8_t type, unsigned mac, const char *vendor, int arch)
{
	req_init(r, type, mac, 0x5000 + mac);
	if (vendor)
		req_str(r, DHO_VENDOR_CLASS, vendor);
	if (arch >= 0)
		req_arch(r, (uint16_t)arch);
	req_opt(r, DHO_CLIENT_UUID, uuid, sizeof(uuid));
}

/* Policy shared by the PXE rows: BIOS menu, EFI dhcp-boot, iPXE script. */
static struct env *pxe_env(bool proxy)
{
	struct env *e = env_new();
	struct bs_match *m;

	if (proxy)
		add_range(&e->pol, NET(0), NET(0), true);
	else
		add_range(&e->pol, NET(100), NET(199), false);
	add_svc(&e->pol, 0, "Install Linux", "pxelinux", 0);
	add_svc(&e->pol, 0, "Boot from disk", "", 0);
	add_svc(&e->pol, 6, "EFI32 grub", "grub.efi", 0);
	add_boot(&e->pol, "http://10.0.0.1/boot.ipxe", T(BS_TAG_IPXE));
	add_boot(&e->pol, "ipxe.efi", T(TAG_EFI));
	add_boot(&e->pol, "undionly.kpxe", 0);
	add_boot(&e->pol, "http://10.0.0.1/efi/ipxe.efi", T(BS_TAG_HTTPCLIENT));
	m = &e->pol.matches[e->pol.p.nmatches++];
	m->option = DHO_CLIENT_ARCH;
	m->kind = BS_MATCH_NUMBER;
	m->number = 7;
	m->set = T(TAG_EFI);
	env_start(e);
	return e;
}

struct pxe_case {
	const char *desc;
	bool proxy;
	uint8_t type;
	const char *vendor;
	int arch;
	bool ipxe;
	uint16_t port; /* dst port */
	uint16_t item; /* boot item type for 4011, 0 = none */
	enum dhcp_verdict v;
	const char *vendor_out; /* option 60 expected, NULL = absent */
	const char *file;
	unsigned menu_items; /* sub-option 9 entries, 0 = no menu */
	uint8_t disc;	     /* sub-option 6, 0 = absent */
	bool yiaddr;
};

static const struct pxe_case pxe_cases[] = {
    {"full: BIOS PXE gets menu", false, DHCPDISCOVER, "PXEClient:Arch:00000:UNDI:002001", 0, false,
     67, 0, DHCP_REPLIED, "PXEClient", "", 2, 3, true},
    {"full: EFI PXE without menu gets dhcp-boot", false, DHCPDISCOVER,
     "PXEClient:Arch:00007:UNDI:003016", 7, false, 67, 0, DHCP_REPLIED, "PXEClient", "ipxe.efi", 0,
     8, true},
    {"full: plain client gets dhcp-boot", false, DHCPDISCOVER, NULL, -1, false, 67, 0, DHCP_REPLIED,
     NULL, "undionly.kpxe", 0, 0, true},
    {"full: iPXE gets its script", false, DHCPDISCOVER, "PXEClient:Arch:00007", 7, true, 67, 0,
     DHCP_REPLIED, "PXEClient", "http://10.0.0.1/boot.ipxe", 0, 8, true},
    {"proxy: iPXE gets its script", true, DHCPDISCOVER, "PXEClient:Arch:00007", 7, true, 67, 0,
     DHCP_REPLIED, "PXEClient", "http://10.0.0.1/boot.ipxe", 0, 8, false},
    {"full: HTTP boot URL", false, DHCPDISCOVER, "HTTPClient:Arch:00016", 16, false, 67, 0,
     DHCP_REPLIED, "HTTPClient", "http://10.0.0.1/efi/ipxe.efi", 0, 0, true},
    {"proxy: BIOS PXE offer, no address", true, DHCPDISCOVER, "PXEClient:Arch:00000", 0, false, 67,
     0, DHCP_REPLIED, "PXEClient", "", 2, 3, false},
    {"proxy: EFI offer with file", true, DHCPDISCOVER, "PXEClient:Arch:00007", 7, false, 67, 0,
     DHCP_REPLIED, "PXEClient", "ipxe.efi", 0, 8, false},
    {"proxy: non-PXE ignored", true, DHCPDISCOVER, "MSFT 5.0", -1, false, 67, 0, DHCP_NO_REPLY},
    {"proxy: REQUEST to us on 67", true, DHCPREQUEST, "PXEClient:Arch:00007", 7, false, 67, 0,
     DHCP_REPLIED, "PXEClient", "ipxe.efi", 0, 8, false},
    {"proxy: REQUEST on 67 with boot item", true, DHCPREQUEST, "PXEClient:Arch:00000", 0, false, 67,
     0x8000, DHCP_REPLIED, "PXEClient", "pxelinux.0", 0, 0, false},
    {"4011: boot server, layer suffix", false, DHCPREQUEST, "PXEClient:Arch:00000", 0, false, 4011,
     0x8000, DHCP_REPLIED, "PXEClient", "pxelinux.0", 0, 0, false},
    {"4011: basename with dot kept", true, DHCPREQUEST, "PXEClient:Arch:00006", 6, false, 4011,
     0x8002, DHCP_REPLIED, "PXEClient", "grub.efi", 0, 0, false},
    {"4011: local boot item", false, DHCPREQUEST, "PXEClient:Arch:00000", 0, false, 4011, 0,
     DHCP_NO_REPLY},
    {"4011: wrong arch for item", false, DHCPREQUEST, "PXEClient:Arch:00007", 7, false, 4011,
     0x8000, DHCP_NO_REPLY},
    {"4011: unknown item", false, DHCPREQUEST, "PXEClient:Arch:00000", 0, false, 4011, 0x8009,
     DHCP_NO_REPLY},
    {"4011: not a PXE client", false, DHCPREQUEST, NULL, -1, false, 4011, 0x8000, DHCP_NO_REPLY},
};

static void test_pxe_table(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(pxe_cases); i++) {
		const struct pxe_case *t = &pxe_cases[i];
		struct env *e = pxe_env(t->proxy);
		size_t before = lease_count(e->lt), l;
		const uint8_t *d;
		enum dhcp_verdict v;
		struct req r;

		pxe_req(&r, t->type, 30 + (unsigned)i, t->vendor, t->arch);
		if (t->ipxe)
			req_opt(&r, DHO_IPXE_ENCAP, "\x13\x01\x01", 3);
		if (t->item || t->port == 4011) {
			uint8_t o43[7] = {PXE_BOOT_ITEM, 4, 0, 0, 0, 0, 255};

			put_be16(o43 + 2, t->item);
			req_opt(&r, DHO_VENDOR_ENCAP, o43, sizeof(o43));
		}
		if (t->type == DHCPREQUEST && t->port == 67)
			req_ip(&r, DHO_SERVER_ID, SERVER);
		req_end(&r);
		e->meta.dst_port = t->port;
		if (t->port == 4011) {
			put_be32(r.b + DHCP_OFF_CIADDR, NET(123));
			e->meta.src_ip = NET(123);
			e->meta.dst_ip = SERVER;
			e->meta.src_port = 4011;
		}
		v = env_send(e, &r, NOW);
		if (v != t->v)
			fprintf(stderr, "case '%s': verdict %s\n", t->desc, dhcp_verdict_name(v));
		CU_ASSERT_EQUAL(v, t->v);
		if (t->proxy)
			CU_ASSERT_EQUAL(lease_count(e->lt), before);
		if (v != DHCP_REPLIED || t->v != DHCP_REPLIED) {
			env_free(e);
			continue;
		}
		if (strcmp(reply_file(e), t->file))
			fprintf(stderr, "case '%s': file '%s'\n", t->desc, reply_file(e));
		CU_ASSERT_STRING_EQUAL(reply_file(e), t->file);
		d = dhcp_opt_get(&e->reply, DHO_VENDOR_CLASS, &l);
		if (t->vendor_out) {
			CU_ASSERT(d && l == strlen(t->vendor_out) && !memcmp(d, t->vendor_out, l));
		} else {
			CU_ASSERT_PTR_NULL(d);
		}
		if (t->yiaddr) {
			CU_ASSERT(e->reply.yiaddr >= NET(100) && e->reply.yiaddr <= NET(199));
		} else {
			CU_ASSERT_EQUAL(e->reply.yiaddr, 0);
		}
		if (!t->yiaddr)
			CU_ASSERT(!dhcp_opt_has(&e->reply, DHO_LEASE_TIME));
		if (t->file[0] && strncmp(t->file, "http", 4))
			CU_ASSERT_EQUAL(reply_siaddr(e), SERVER);
		if (t->vendor_out && !strcmp(t->vendor_out, "PXEClient")) {
			d = dhcp_opt_get(&e->reply, DHO_CLIENT_UUID, &l);
			CU_ASSERT(d && l == 17 && !memcmp(d, uuid, 17));
		}
		d = subopt(e, PXE_DISCOVERY_CONTROL, &l);
		if (t->disc)
			CU_ASSERT(d && l == 1 && d[0] == t->disc);
		d = subopt(e, PXE_BOOT_MENU, &l);
		if (t->menu_items) {
			unsigned items = 0;

			for (size_t k = 0; d && k + 3 <= l; k += 3 + d[k + 2])
				items++;
			CU_ASSERT_EQUAL(items, t->menu_items);
			CU_ASSERT(d && get_be16(d) == 0x8000 && d[2] == strlen("Install Linux") &&
				  !memcmp(d + 3, "Install Linux", d[2]));
			/* Our service is on our 4011; local boot lists no server. */
			d = subopt(e, PXE_BOOT_SERVERS, &l);
			CU_ASSERT(d && l == 7 && get_be16(d) == 0x8000 && d[2] == 1 &&
				  get_be32(d + 3) == SERVER);
			d = subopt(e, PXE_MENU_PROMPT, &l);
			CU_ASSERT(d && l == 4 && d[0] == 255 && !memcmp(d + 1, "PXE", 3));
		} else {
			CU_ASSERT_PTR_NULL(d);
		}
		if (t->item) {
			d = subopt(e, PXE_BOOT_ITEM, &l);
			CU_ASSERT(d && l == 4 && get_be16(d) == t->item && get_be16(d + 2) == 0);
		}
		if (t->port == 4011) {
			CU_ASSERT_EQUAL(last(e)->to.dst_ip, NET(123));
			CU_ASSERT_EQUAL(last(e)->to.dst_port, 4011);
			CU_ASSERT_EQUAL(last(e)->to.src_port, PXE_BOOT_SERVER_PORT);
		} else if (!t->yiaddr) {
			CU_ASSERT_EQUAL(last(e)->to.l2, BS_TX_L2_BROADCAST);
		}
		env_free(e);
	}
}

/* pxe-prompt, foreign boot server types, encapsulated config options. */
static void test_pxe_menu_details(void)
{
	struct env *e = env_new();
	struct bs_pxe_prompt *pr;
	struct bs_pxe_service *s;
	struct bs_dhcp_option *o;
	struct req r;
	size_t l;
	const uint8_t *d;

	add_range(&e->pol, NET(100), NET(199), false);
	add_svc(&e->pol, 0, "Linux", "pxelinux", 0);
	s = add_svc(&e->pol, 0, "WDS", "", 5);
	s->server_ip = NET(9);
	add_svc(&e->pol, 0, "Elsewhere", "", 7);
	add_svc(&e->pol, 0, "Lab only", "lab", 0)->match.need = T(TAG_LAB);
	pr = &e->pol.prompts[e->pol.p.nprompts++];
	snprintf(pr->text, sizeof(pr->text), "Press F8");
	pr->timeout = 10;
	o = add_opt(&e->pol, 1, "\xe0\x01\x01\x01", 4, false);
	o->encap = DHO_VENDOR_ENCAP;
	env_start(e);
	pxe_req(&r, DHCPDISCOVER, 1, "PXEClient:Arch:00000", 0);
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	/* Type 7 has no known server: broadcast discovery stays allowed. */
	d = subopt(e, PXE_DISCOVERY_CONTROL, &l);
	CU_ASSERT(d && l == 1 && d[0] == PXE_DISC_NO_MULTICAST);
	d = subopt(e, PXE_BOOT_SERVERS, &l);
	CU_ASSERT_FATAL(d && l == 14);
	CU_ASSERT(get_be16(d) == 0x8000 && get_be32(d + 3) == SERVER);
	CU_ASSERT(get_be16(d + 7) == 5 && d[9] == 1 && get_be32(d + 10) == NET(9));
	d = subopt(e, PXE_BOOT_MENU, &l);
	CU_ASSERT_EQUAL(l, 3 * 3 + 5 + 3 + 9); /* the lab item is filtered out */
	CU_ASSERT(d && get_be16(d + 8) == 5 && get_be16(d + 14) == 7);
	d = subopt(e, PXE_MENU_PROMPT, &l);
	CU_ASSERT(d && l == 9 && d[0] == 10 && !memcmp(d + 1, "Press F8", 8));
	d = subopt(e, 1, &l);
	CU_ASSERT(d && l == 4 && d[0] == 0xe0);
	env_free(e);
}

/* UEFI HTTP boot without a URL configured: no boot info, a log line. */
static void test_http_without_url(void)
{
	for (int proxy = 0; proxy < 2; proxy++) {
		struct env *e = env_new();
		struct req r;
		size_t l;
		const uint8_t *d;

		if (proxy)
			add_range(&e->pol, NET(0), NET(0), true);
		else
			add_range(&e->pol, NET(100), NET(199), false);
		add_boot(&e->pol, "pxelinux.0", 0);
		env_start(e);
		req_init(&r, DHCPDISCOVER, 1, 1);
		req_str(&r, DHO_VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001");
		req_arch(&r, 16);
		req_end(&r);
		if (proxy) {
			CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_NO_REPLY);
		} else {
			CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
			CU_ASSERT_STRING_EQUAL(reply_file(e), "");
			d = dhcp_opt_get(&e->reply, DHO_VENDOR_CLASS, &l);
			CU_ASSERT(d && l == 10 && !memcmp(d, "HTTPClient", 10));
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, "no dhcp-boot with an http:// URL"));
		env_free(e);
	}
}

/* log-dhcp: one line per transaction with address, MAC, arch, tags, file. */
static void test_log_line(void)
{
	struct env *e = pxe_env(false);
	struct req r;

	e->pol.p.log_dhcp = true;
	pxe_req(&r, DHCPDISCOVER, 0x42, "PXEClient:Arch:00007", 7);
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, "DHCPOFFER(eth0) 10.0.0."));
	CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, " 52:54:00:00:00:42 PXE arch 7 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, "tags pxeclient,eth0,efi file ipxe.efi"));
	env_free(e);
}

/* Tags steer the boot file: builtins, matches, tag-if, interface tag. */
struct tag_case {
	const char *desc;
	const char *vendor;
	const char *userclass;
	int arch;
	const char *ifname;
	const char *file;
};

static const struct tag_case tag_cases[] = {
    {"default", NULL, NULL, -1, "eth0", "default.0"},
    {"user class iPXE", NULL, "iPXE", -1, "eth0", "script.ipxe"},
    {"iPXE loop: binary withheld", NULL, "iPXE", -1, "eth1", ""},
    {"arch match + tag-if", "PXEClient:Arch:00007", NULL, 7, "eth0", "lab.efi"},
    {"interface tag", NULL, NULL, -1, "eth1", "undionly.kpxe"},
};

static void test_tags(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(tag_cases); i++) {
		const struct tag_case *t = &tag_cases[i];
		struct env *e = env_new();
		struct bs_match *m;
		struct bs_tag_if *ti;
		struct req r;

		add_range(&e->pol, NET(100), NET(199), false);
		add_boot(&e->pol, "script.ipxe", T(BS_TAG_IPXE) | T(TAG_ETH0));
		add_boot(&e->pol, "lab.efi", T(TAG_LAB));
		add_boot(&e->pol, "undionly.kpxe", 0)->match.forbid = T(TAG_ETH0);
		add_boot(&e->pol, "default.0", T(TAG_ETH0));
		m = &e->pol.matches[e->pol.p.nmatches++];
		m->option = DHO_CLIENT_ARCH;
		m->kind = BS_MATCH_NUMBER;
		m->number = 7;
		m->set = T(TAG_EFI);
		ti = &e->pol.tagifs[e->pol.p.ntag_ifs++];
		ti->match.need = T(TAG_EFI) | T(BS_TAG_PXECLIENT);
		ti->set = T(TAG_LAB);
		env_start(e);
		e->meta.ifname = t->ifname;
		e->meta.ifindex = strcmp(t->ifname, "eth0") ? 3 : 2;
		req_init(&r, DHCPDISCOVER, 1, 1);
		if (t->vendor)
			req_str(&r, DHO_VENDOR_CLASS, t->vendor);
		if (t->userclass)
			req_str(&r, DHO_USER_CLASS, t->userclass);
		if (t->arch >= 0)
			req_arch(&r, (uint16_t)t->arch);
		req_end(&r);
		CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
		if (strcmp(reply_file(e), t->file))
			fprintf(stderr, "case '%s': file '%s'\n", t->desc, reply_file(e));
		CU_ASSERT_STRING_EQUAL(reply_file(e), t->file);
		env_free(e);
	}
}

struct ipxe_name_case {
	const char *file;
	bool ipxe;
};

static const struct ipxe_name_case ipxe_names[] = {
    {"undionly.kpxe", true},
    {"undionly.kkpxe", true},
    {"ipxe.pxe", true},
    {"ipxe.efi", true},
    {"snponly.efi", true},
    {"efi/x64/IPXE.EFI", true},
    {"bios/custom-ipxe.lkrn", true},
    {"pxelinux.0", false},
    {"boot.ipxe", false},
    {"http://h/boot.ipxe", false},
    {"grubx64.efi", false},
    {"", false},
};

static void test_ipxe_names(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(ipxe_names); i++)
		CU_ASSERT_EQUAL(dhcp_is_ipxe_binary(ipxe_names[i].file), ipxe_names[i].ipxe);
}

/* ---- hostile input through dhcp_input ---- */

static void stat_sum(void *arg, const char *name, uint64_t v)
{
	if (!strcmp(name, "dhcp_drop_malformed"))
		((uint64_t *)arg)[0] = v;
	if (!strcmp(name, "dhcp_rx_discover"))
		((uint64_t *)arg)[1] = v;
	if (!strcmp(name, "dhcp_tx_offer"))
		((uint64_t *)arg)[2] = v;
}

static void stat_ignored(void *arg, const char *name, uint64_t v)
{
	if (!strcmp(name, "dhcp_host_ignored"))
		*(uint64_t *)arg = v;
}

static void test_hostile(void)
{
	struct env *e = pxe_env(false);
	struct req r;
	unsigned seed = 99;
	uint64_t st[3] = {0, 0, 0};

	e->pol.p.log_dhcp = true;
	pxe_req(&r, DHCPDISCOVER, 1, "PXEClient:Arch:00000", 0);
	req_opt(&r, DHO_PARAM_REQ, "\x01\x03\x06\x2b\x3c", 5);
	req_end(&r);
	for (size_t len = 0; len <= r.len; len++) {
		uint8_t *p = malloc(len ? len : 1);
		enum dhcp_verdict v;

		memcpy(p, r.b, len);
		txcap_reset(&e->cap);
		v = dhcp_input(e->srv, &e->meta, p, len, NOW, 0, &e->cap.tx);
		CU_ASSERT_EQUAL(v, len == r.len ? DHCP_REPLIED : DHCP_DROP_MALFORMED);
		free(p);
	}
	/* Random mutations of a valid packet. */
	for (int iter = 0; iter < 5000; iter++) {
		struct req m = r;
		enum dhcp_verdict v;

		for (int k = 0; k < 4; k++)
			m.b[DHCP_OFF_OPTIONS + (size_t)rand_r(&seed) % (r.len - DHCP_OFF_OPTIONS)] =
			    (uint8_t)rand_r(&seed);
		if (iter % 7 == 0)
			m.b[DHCP_OFF_HLEN] = (uint8_t)rand_r(&seed);
		txcap_reset(&e->cap);
		v = dhcp_input(e->srv, &e->meta, m.b, m.len, NOW, (uint64_t)iter, &e->cap.tx);
		CU_ASSERT((unsigned)v < DHCP_VERDICT_COUNT);
	}
	dhcp_stats_foreach(e->srv, stat_sum, st);
	CU_ASSERT(st[0] >= r.len);
	CU_ASSERT(st[1] >= 1);
	CU_ASSERT(st[2] >= 1);
	/* Transactions logged like dnsmasq; malformed input logged, rate-limited. */
	CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, "DHCPOFFER(eth0) 10.0.0."));
	CU_ASSERT_PTR_NOT_NULL(strstr(e->logbuf, "malformed DHCP packet"));
	CU_ASSERT_EQUAL(dhcp_verdict_name(DHCP_DROP_POOL_FULL)[0], 'd');

	/* Out of TX buffers: counted, no reply. */
	e->cap.fail_after = 1;
	e->cap.allocs = 0;
	txcap_reset(&e->cap);
	CU_ASSERT_EQUAL(dhcp_input(e->srv, &e->meta, r.b, r.len, NOW, 0, &e->cap.tx),
			DHCP_DROP_NO_BUFFER);
	env_free(e);
}

/* Hostile packets in every mode: proxy, boot server port, full. */
static void test_hostile_modes(void)
{
	static const uint16_t ports[] = {DHCP_SERVER_PORT, PXE_BOOT_SERVER_PORT};
	unsigned seed = 7;

	for (int proxy = 0; proxy < 2; proxy++) {
		for (size_t pi = 0; pi < BS_ARRAY_SIZE(ports); pi++) {
			struct env *e = pxe_env(proxy);
			struct req r;
			uint8_t o43[7] = {PXE_BOOT_ITEM, 4, 0x80, 0, 0, 0, 255};

			e->meta.dst_port = ports[pi];
			pxe_req(&r, DHCPREQUEST, 1, "PXEClient:Arch:00000", 0);
			req_opt(&r, DHO_VENDOR_ENCAP, o43, sizeof(o43));
			req_ip(&r, DHO_SERVER_ID, SERVER);
			req_end(&r);
			CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_REPLIED);
			for (int iter = 0; iter < 3000; iter++) {
				struct req m = r;
				size_t len = (size_t)rand_r(&seed) % (r.len + 1);
				uint8_t *p;
				enum dhcp_verdict v;

				for (int k = 0; k < 3; k++)
					m.b[(size_t)rand_r(&seed) % r.len] = (uint8_t)rand_r(&seed);
				p = malloc(len ? len : 1);
				memcpy(p, m.b, len);
				txcap_reset(&e->cap);
				v = dhcp_input(e->srv, &e->meta, p, len, NOW, (uint64_t)iter,
					       &e->cap.tx);
				CU_ASSERT((unsigned)v < DHCP_VERDICT_COUNT);
				CU_ASSERT_EQUAL(e->cap.n, v == DHCP_REPLIED ? 1u : 0u);
				free(p);
			}
			if (proxy)
				CU_ASSERT_EQUAL(lease_count(e->lt), 0);
			env_free(e);
		}
	}
}

struct stat_seen {
	unsigned n;
	bool names[8];
};

static void stat_names(void *arg, const char *name, uint64_t v)
{
	static const char *const want[] = {
	    "dhcp_rx_discover", "dhcp_rx_request", "dhcp_tx_offer", "dhcp_tx_ack",
	    "dhcp_tx_nak",	"dhcp_replied",	   "dhcp_no_reply", "dhcp_drop_pool_full"};
	struct stat_seen *s = arg;

	(void)v;
	s->n++;
	for (size_t i = 0; i < BS_ARRAY_SIZE(want); i++)
		if (!strcmp(name, want[i]))
			s->names[i] = true;
}

static void test_stats(void)
{
	struct env *e = full_env(false);
	struct stat_seen s = {0};
	uint64_t st[3] = {0, 0, 0};

	dora(e, 1, NOW);
	dhcp_stats_foreach(e->srv, stat_names, &s);
	CU_ASSERT(s.n >= 8 + 3 + 1 + DHCP_VERDICT_COUNT);
	for (size_t i = 0; i < BS_ARRAY_SIZE(s.names); i++)
		CU_ASSERT(s.names[i]);
	dhcp_stats_foreach(e->srv, stat_sum, st);
	CU_ASSERT_EQUAL(st[0], 0);
	CU_ASSERT_EQUAL(st[1], 1);
	CU_ASSERT_EQUAL(st[2], 1);
	env_free(e);
}

/* Reload: new reservations apply from the next packet; leases stay. */
static void test_reload(void)
{
	struct env *e = full_env(false);
	struct tpol *p2 = calloc(1, sizeof(*p2));
	struct req r;

	tpol_init(p2);
	add_range(p2, NET(100), NET(199), false);
	add_host(p2, 7, NET(60), "pc7");
	dhcp_server_set_policy(e->srv, &p2->p);
	req_init(&r, DHCPDISCOVER, 7, 1);
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT_EQUAL(e->reply.yiaddr, NET(60));
	req_init(&r, DHCPDISCOVER, 2, 2);
	req_end(&r);
	CU_ASSERT_EQUAL_FATAL(env_send(e, &r, NOW), DHCP_REPLIED);
	CU_ASSERT_EQUAL(e->reply.yiaddr, NET(120));
	/* The old dhcp-host "ignore" is gone with the old policy. */
	req_init(&r, DHCPDISCOVER, 8, 3);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, NOW), DHCP_REPLIED);
	env_free(e);
	free(p2);
}

/* Client events: what the client sent and each reply, with its MAC, the
   address, the boot file, arch (only when sent) and the proxy flag. */
static void test_events(void)
{
	static const struct {
		bool proxy;
		uint8_t types[4];
		const char *file;
		uint16_t arch;
		uint8_t flags;
	} cases[] = {
	    {false,
	     {BS_EV_DHCP_DISCOVER, BS_EV_DHCP_OFFER, BS_EV_DHCP_REQUEST, BS_EV_DHCP_ACK},
	     "ipxe.efi",
	     7,
	     0},
	    {true, {BS_EV_DHCP_DISCOVER, BS_EV_DHCP_OFFER}, "ipxe.efi", 7, BS_EV_F_PROXY},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct env *e = pxe_env(cases[i].proxy);
		struct bs_ev_ring *ring = bs_ev_ring_new(16);
		uint64_t cur = 0, missed = 0;
		struct bs_event ev;
		uint8_t mac[6];
		struct req r;
		size_t n = 0;

		dhcp_server_set_events(e->srv, ring);
		mac_of(5, mac);
		pxe_req(&r, DHCPDISCOVER, 5, "PXEClient:Arch:00007:UNDI:003016", 7);
		req_end(&r);
		CU_ASSERT_EQUAL(env_send(e, &r, 1000), DHCP_REPLIED);
		if (!cases[i].proxy) {
			pxe_req(&r, DHCPREQUEST, 5, "PXEClient:Arch:00007:UNDI:003016", 7);
			req_ip(&r, DHO_REQUESTED_ADDR, e->reply.yiaddr);
			req_ip(&r, DHO_SERVER_ID, SERVER);
			req_end(&r);
			CU_ASSERT_EQUAL(env_send(e, &r, 1001), DHCP_REPLIED);
		}
		while (bs_ev_read(ring, &cur, &ev, &missed) == 1 && n < 4) {
			bool reply = ev.type == BS_EV_DHCP_OFFER || ev.type == BS_EV_DHCP_ACK;

			CU_ASSERT_EQUAL(ev.type, cases[i].types[n]);
			CU_ASSERT_EQUAL(memcmp(ev.mac, mac, 6), 0);
			CU_ASSERT_EQUAL(ev.arch, cases[i].arch);
			CU_ASSERT_EQUAL(ev.flags, cases[i].flags);
			/* the requested address is the offered one; proxy: none */
			CU_ASSERT_EQUAL(ev.ip,
					ev.type == BS_EV_DHCP_DISCOVER ? 0 : e->reply.yiaddr);
			CU_ASSERT_STRING_EQUAL(ev.file, reply ? cases[i].file : "");
			n++;
		}
		CU_ASSERT_EQUAL(n, cases[i].proxy ? 2u : 4u);
		CU_ASSERT_EQUAL(missed, 0);
		free(ring);
		env_free(e);
	}
}

/* The tag memory for HTTP (util/tagmem.h): each reply's tags under the
   client's MAC, full and proxy; no reply, no entry; the latest reply wins. */
static void test_tagmem(void)
{
	static const struct {
		const char *desc;
		bool proxy;
		unsigned mac;
		const char *vendor;
		int arch;
		bool found;
		bs_tagset tags;
	} cases[] = {
	    {"full: EFI", false, 5, "PXEClient:Arch:00007:UNDI:003016", 7, true,
	     T(BS_TAG_PXECLIENT) | T(TAG_ETH0) | T(TAG_EFI)},
	    {"full: BIOS", false, 6, "PXEClient:Arch:00000:UNDI:002001", 0, true,
	     T(BS_TAG_PXECLIENT) | T(TAG_ETH0)},
	    {"full: no option 60", false, 7, NULL, -1, true, T(TAG_ETH0)},
	    {"proxy: EFI", true, 5, "PXEClient:Arch:00007:UNDI:003016", 7, true,
	     T(BS_TAG_PXECLIENT) | T(TAG_ETH0) | T(TAG_EFI)},
	    {"proxy: not PXE, no reply", true, 7, "MSFT 5.0", -1, false, 0},
	};

	for (size_t i = 0; i < BS_ARRAY_SIZE(cases); i++) {
		struct env *e = pxe_env(cases[i].proxy);
		struct bs_tagmem *m = bs_tagmem_new(64);
		uint64_t got = 0;
		uint8_t mac[6];
		struct req r;

		dhcp_server_set_tagmem(e->srv, m);
		mac_of(cases[i].mac, mac);
		pxe_req(&r, DHCPDISCOVER, cases[i].mac, cases[i].vendor, cases[i].arch);
		req_end(&r);
		env_send(e, &r, 2000);
		CHECK(cases[i].desc, bs_tagmem_get(m, mac, 2000 * 1000, 0, &got) == cases[i].found);
		CHECK(cases[i].desc, got == cases[i].tags);
		bs_tagmem_free(m);
		env_free(e);
	}
}

/* A later reply replaces the tags (the client rebooted into another
   firmware); a malformed packet changes nothing. */
static void test_tagmem_latest(void)
{
	struct env *e = pxe_env(false);
	struct bs_tagmem *m = bs_tagmem_new(64);
	static const uint8_t junk[20] = {1};
	uint64_t got = 0;
	uint8_t mac[6];
	struct req r;

	dhcp_server_set_tagmem(e->srv, m);
	mac_of(9, mac);
	pxe_req(&r, DHCPDISCOVER, 9, "PXEClient:Arch:00007:UNDI:003016", 7);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, 3000), DHCP_REPLIED);
	pxe_req(&r, DHCPDISCOVER, 9, "PXEClient:Arch:00000:UNDI:002001", 0);
	req_end(&r);
	CU_ASSERT_EQUAL(env_send(e, &r, 3001), DHCP_REPLIED);
	CU_ASSERT_EQUAL(dhcp_input(e->srv, &e->meta, junk, sizeof(junk), 3002, 3002000, &e->cap.tx),
			DHCP_DROP_MALFORMED);
	CU_ASSERT_TRUE(bs_tagmem_get(m, mac, 3002000, 1000, &got));
	CU_ASSERT_EQUAL(got, T(BS_TAG_PXECLIENT) | T(TAG_ETH0));
	/* stamped with dhcp_input's now_ms */
	CU_ASSERT_FALSE(bs_tagmem_get(m, mac, 3002000, 999, &got));
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).inserts, 1);
	bs_tagmem_free(m);
	env_free(e);
}

/* ---- host actions (hostact.h) through a host snapshot ---- */

struct act_case {
	const char *desc;
	bool proxy;
	uint8_t kind;	  /* enum hostact_kind */
	const char *file; /* install file= ("" none: kernel= instead) */
	const char *vendor;
	int arch;
	bool ipxe;
	enum dhcp_verdict v;
	const char *want_file;
	int menu; /* -1: no option 43, 0: no menu, 1: the local-boot menu, 2: config menu */
};

static const struct act_case act_cases[] = {
    {"ignore: silence", false, HOSTACT_IGNORE, NULL, "PXEClient:Arch:00000", 0, false,
     DHCP_NO_REPLY},
    {"install file: BIOS PXE boots it, no menu", false, HOSTACT_INSTALL, "inst.0",
     "PXEClient:Arch:00000", 0, false, DHCP_REPLIED, "inst.0", 0},
    {"install file: plain client", false, HOSTACT_INSTALL, "inst.0", NULL, -1, false, DHCP_REPLIED,
     "inst.0", -1},
    {"install file: EFI PXE", false, HOSTACT_INSTALL, "inst.efi", "PXEClient:Arch:00007", 7, false,
     DHCP_REPLIED, "inst.efi", 0},
    {"install file: iPXE binary to iPXE (loop breaker)", false, HOSTACT_INSTALL, "undionly.kpxe",
     "PXEClient:Arch:00000", 0, true, DHCP_REPLIED, "", 0},
    {"install kernel: the config's menu", false, HOSTACT_INSTALL, "", "PXEClient:Arch:00000", 0,
     false, DHCP_REPLIED, "", 2},
    {"install kernel: iPXE gets its script", false, HOSTACT_INSTALL, "", "PXEClient:Arch:00007", 7,
     true, DHCP_REPLIED, "http://10.0.0.1/boot.ipxe", 0},
    {"local: BIOS PXE gets the local-boot menu", false, HOSTACT_LOCAL, NULL, "PXEClient:Arch:00000",
     0, false, DHCP_REPLIED, "", 1},
    {"local: iPXE gets the script (it says exit)", false, HOSTACT_LOCAL, NULL,
     "PXEClient:Arch:00000", 0, true, DHCP_REPLIED, "http://10.0.0.1/boot.ipxe", -1},
    {"local: EFI PXE gets no boot file", false, HOSTACT_LOCAL, NULL, "PXEClient:Arch:00007", 7,
     false, DHCP_REPLIED, "", -1},
    {"local: plain client, address only", false, HOSTACT_LOCAL, NULL, NULL, -1, false, DHCP_REPLIED,
     "", -1},
    {"default: the config decides", false, HOSTACT_DEFAULT, NULL, "PXEClient:Arch:00000", 0, false,
     DHCP_REPLIED, "", 2},
    {"proxy local: BIOS PXE gets the local-boot menu", true, HOSTACT_LOCAL, NULL,
     "PXEClient:Arch:00000", 0, false, DHCP_REPLIED, "", 1},
    {"proxy local: EFI PXE, nothing to say", true, HOSTACT_LOCAL, NULL, "PXEClient:Arch:00007", 7,
     false, DHCP_NO_REPLY},
    {"proxy install file", true, HOSTACT_INSTALL, "inst.0", "PXEClient:Arch:00000", 0, false,
     DHCP_REPLIED, "inst.0", 0},
};

static uint64_t ignored_count(struct env *e)
{
	uint64_t v = 0;

	dhcp_stats_foreach(e->srv, stat_ignored, &v);
	return v;
}

static void test_host_actions(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(act_cases); i++) {
		const struct act_case *c = &act_cases[i];
		struct env *e = pxe_env(c->proxy);
		struct bs_hostsnap *snap = calloc(1, sizeof(*snap) + sizeof(snap->e[0]));
		struct req r;
		enum dhcp_verdict v;
		size_t l;
		const uint8_t *menu;

		snap->n = 1;
		snap->generation = 7;
		mac_of(41, snap->e[0].host.mac);
		snap->e[0].host.ip = c->proxy ? 0 : NET(150);
		snap->e[0].act.kind = c->kind;
		if (c->kind == HOSTACT_INSTALL && c->file[0])
			snprintf(snap->e[0].act.file, sizeof(snap->e[0].act.file), "%s", c->file);
		else if (c->kind == HOSTACT_INSTALL)
			snprintf(snap->e[0].act.kernel, sizeof(snap->e[0].act.kernel), "vmlinuz");
		snap->e[0].host.ignore = c->kind == HOSTACT_IGNORE;
		dhcp_server_set_hosts(e->srv, snap);
		pxe_req(&r, DHCPDISCOVER, 41, c->vendor, c->arch);
		if (c->ipxe)
			req_str(&r, DHO_USER_CLASS, "iPXE");
		req_end(&r);
		v = env_send(e, &r, NOW);
		CHECK(c->desc, v == c->v);
		if (c->kind == HOSTACT_IGNORE)
			CHECK(c->desc, ignored_count(e) == 1);
		if (v != DHCP_REPLIED || c->v != DHCP_REPLIED) {
			dhcp_server_set_hosts(e->srv, NULL);
			free(snap);
			env_free(e);
			continue;
		}
		CHECK(c->desc, strcmp(reply_file(e), c->want_file) == 0);
		if (!c->proxy)
			CHECK(c->desc, e->reply.yiaddr == NET(150)); /* the snapshot's address */
		menu = subopt(e, PXE_BOOT_MENU, &l);
		if (c->menu == -1)
			CHECK(c->desc, !dhcp_opt_has(&e->reply, DHO_VENDOR_ENCAP));
		else if (c->menu == 0)
			CHECK(c->desc, menu == NULL);
		else if (c->menu == 1)
			CHECK(c->desc, menu && l == 13 && menu[0] == 0 && menu[1] == 0 &&
					   !memcmp(menu + 3, "Local boot", 10) &&
					   subopt(e, PXE_MENU_PROMPT, &l) &&
					   subopt(e, PXE_MENU_PROMPT, &l)[0] == 0);
		else
			CHECK(c->desc, menu && l > 13);
		/* back to the policy's hosts: the same client gets the config */
		dhcp_server_set_hosts(e->srv, NULL);
		free(snap);
		env_free(e);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"full mode table", test_full_table},
	    {"lease effects", test_lease_effects},
	    {"retransmit and decline", test_retransmit_and_decline},
	    {"pool exhaustion", test_pool_exhaustion},
	    {"no duplicate addresses", test_no_duplicates},
	    {"options", test_options},
	    {"overload", test_overload},
	    {"relay", test_relay},
	    {"pxe/proxy/bootsrv table", test_pxe_table},
	    {"pxe menu details", test_pxe_menu_details},
	    {"http boot without url", test_http_without_url},
	    {"log line", test_log_line},
	    {"tags", test_tags},
	    {"ipxe binary names", test_ipxe_names},
	    {"hostile input", test_hostile},
	    {"hostile input, all modes", test_hostile_modes},
	    {"stats", test_stats},
	    {"reload", test_reload},
	    {"client events", test_events},
	    {"tag memory", test_tagmem},
	    {"tag memory: latest reply", test_tagmem_latest},
	    {"host actions", test_host_actions},
	    {0},
	};
	return unit_run("dhcp", tests);
}
