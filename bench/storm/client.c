/* SPDX-License-Identifier: MIT */
/*
 * The emulated PXE client: DHCP DORA, then TFTP of the loader named in the
 * ACK (or OFFER), then of kernel and initrd, as firmware does it:
 *
 *   DISCOVER (broadcast, option 93/94/97/60) --timeout 4,8,16,32 s--> retry
 *   first OFFER wins -> REQUEST (server id, requested IP), same schedule
 *   ACK -> RRQ loader (blksize, tsize, windowsize) -> ACK every window
 *   -> RRQ kernel -> RRQ initrd -> done
 *
 * Each client is found from a received frame without a search: the MAC
 * encodes the client's index (02:b5:<index + base>), DHCP replies carry it
 * in chaddr, TFTP arrives at it. ARP requests for leased addresses are
 * answered from a small hash of IP -> client.
 *
 * Timers: one binary heap of (deadline, client). A client re-arms by
 * writing its deadline; the heap entry is only moved when it expires (lazy
 * re-arm), so a TFTP DATA frame costs no heap operation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/bytes.h"
#include "storm.h"

const char *const storm_fail_name[FAIL_MAX] = {
    [FAIL_NONE] = "none",
    [FAIL_DHCP_NO_OFFER] = "dhcp_no_offer",
    [FAIL_DHCP_NO_ACK] = "dhcp_no_ack",
    [FAIL_DHCP_NAK] = "dhcp_nak",
    [FAIL_NO_BOOTFILE] = "no_bootfile",
    [FAIL_TFTP_ERROR] = "tftp_error",
    [FAIL_TFTP_TIMEOUT] = "tftp_timeout",
    [FAIL_TFTP_SIZE] = "tftp_size_mismatch",
    [FAIL_TFTP_PROTO] = "tftp_protocol",
    [FAIL_DURATION] = "duration_expired",
    [FAIL_HTTP_CONNECT] = "http_connect",
    [FAIL_HTTP_STATUS] = "http_status",
    [FAIL_HTTP_TIMEOUT] = "http_timeout",
    [FAIL_HTTP_SHORT] = "http_short",
    [FAIL_HTTP_PROTO] = "http_protocol",
    [FAIL_HTTP_URL] = "http_url",
    [FAIL_IPXE_SCRIPT] = "ipxe_script",
    [FAIL_PROXY_NO_OFFER] = "proxy_no_offer",
    [FAIL_PROXY_NO_ACK] = "proxy_no_ack",
};

const char *const storm_kind_name[KIND_MAX] = {
    [KIND_PXE_BIOS] = "pxe_bios",
    [KIND_PXE_UEFI] = "pxe_uefi",
    [KIND_UEFI_HTTP] = "uefi_http",
    [KIND_IPXE] = "ipxe",
};

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- timer heap ---------------------------------------------------------- */

struct heap_ent {
	uint64_t key;
	uint32_t idx;
};
static struct heap_ent *heap;
static uint32_t heap_len, heap_cap;
/* per client: key of its live heap entry (0: none) */
static uint64_t *queued_key;

static void heap_push(uint64_t key, uint32_t idx)
{
	uint32_t i;

	if (heap_len == heap_cap) {
		uint32_t ncap = heap_cap ? heap_cap * 2 : 1024;
		struct heap_ent *n = realloc(heap, ncap * sizeof(*n));

		if (!n)
			abort();
		heap = n;
		heap_cap = ncap;
	}
	i = heap_len++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (heap[p].key <= key)
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = (struct heap_ent){key, idx};
}

static struct heap_ent heap_pop(void)
{
	struct heap_ent top = heap[0], last = heap[--heap_len];
	uint32_t i = 0;

	for (;;) {
		uint32_t l = 2 * i + 1, m;

		if (l >= heap_len)
			break;
		m = (l + 1 < heap_len && heap[l + 1].key < heap[l].key) ? l + 1 : l;
		if (heap[m].key >= last.key)
			break;
		heap[i] = heap[m];
		i = m;
	}
	if (heap_len)
		heap[i] = last;
	return top;
}

static void timer_set(struct storm_client *c, uint64_t when);

void storm_timer_set(struct storm *s, struct storm_client *c, uint64_t when)
{
	(void)s;
	timer_set(c, when);
}

static void timer_set(struct storm_client *c, uint64_t when)
{
	c->deadline = when;
	if (!queued_key[c->idx] || when < queued_key[c->idx]) {
		heap_push(when, c->idx);
		queued_key[c->idx] = when;
	}
}

/* ---- helpers -------------------------------------------------------------- */

static uint64_t dhcp_timeout(const struct storm *s, unsigned tries)
{
	/* 4, 8, 16, 32 s (PXE spec), scaled */
	double t = 4.0 * (double)(1u << (tries > 8 ? 8 : tries)) * s->cfg.time_scale;

	return (uint64_t)(t * (double)NS_PER_S);
}

/* --tftp-timeout, doubled on each retransmission up to 8x (as iPXE backs
 * off): a server that, rightly, ignores duplicate ACKs resends only on its
 * own timer, which may itself back off */
static uint64_t tftp_timeout(const struct storm *s, unsigned tries)
{
	return (uint64_t)(s->cfg.tftp_timeout_s * (double)NS_PER_S) << (tries < 3 ? tries : 3);
}

static void ipmap_put(struct storm *s, uint32_t ip, uint32_t idx)
{
	uint32_t h = (ip * 2654435761u) & s->ipmap_mask;

	while (s->ipmap[2 * h] && s->ipmap[2 * h] != ip)
		h = (h + 1) & s->ipmap_mask;
	s->ipmap[2 * h] = ip;
	s->ipmap[2 * h + 1] = idx;
}

static struct storm_client *ipmap_get(struct storm *s, uint32_t ip)
{
	uint32_t h = (ip * 2654435761u) & s->ipmap_mask;

	if (!ip)
		return NULL;
	while (s->ipmap[2 * h]) {
		if (s->ipmap[2 * h] == ip)
			return &s->c[s->ipmap[2 * h + 1]];
		h = (h + 1) & s->ipmap_mask;
	}
	return NULL;
}

static struct storm_client *client_by_mac(struct storm *s, const uint8_t *mac)
{
	uint32_t i;

	if (mac[0] != 0x02 || mac[1] != 0xb5)
		return NULL;
	i = get_be32(mac + 2) - s->cfg.mac_base;
	return i < s->cfg.clients ? &s->c[i] : NULL;
}

static uint32_t rnd(struct storm *s)
{
	/* xorshift32: reproducible per --seed */
	static uint32_t x;

	if (!x)
		x = s->cfg.seed ? s->cfg.seed : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

int storm_clients_init(struct storm *s)
{
	unsigned n = s->cfg.clients, sz = 1024;

	s->c = calloc(n ? n : 1, sizeof(*s->c));
	queued_key = calloc(n ? n : 1, sizeof(*queued_key));
	while (sz < 2 * n)
		sz *= 2;
	s->ipmap = calloc(2 * (size_t)sz, sizeof(uint32_t));
	s->ipmap_mask = sz - 1;
	if (!s->c || !queued_key || !s->ipmap)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct storm_client *c = &s->c[i];
		unsigned w = rnd(s) % s->arch_total, k;

		c->idx = i;
		c->mac[0] = 0x02;
		c->mac[1] = 0xb5;
		put_be32(c->mac + 2, i + s->cfg.mac_base);
		for (k = 0; k < 16; k += 4)
			put_be32(c->uuid + k, rnd(s));
		c->uuid[6] = (uint8_t)((c->uuid[6] & 0x0f) | 0x40); /* v4 */
		c->uuid[8] = (uint8_t)((c->uuid[8] & 0x3f) | 0x80);
		for (k = 0; k < s->cfg.narch; k++) {
			if (w < s->cfg.arch[k].weight)
				break;
			w -= s->cfg.arch[k].weight;
		}
		c->arch = s->cfg.arch[k < s->cfg.narch ? k : 0].arch;
		c->xid = rnd(s);
		if (storm_arch_is_http(c->arch))
			c->kind = KIND_UEFI_HTTP;
		else if (s->cfg.ipxe_pct && rnd(s) % 100 < s->cfg.ipxe_pct)
			c->kind = KIND_IPXE;
		else
			c->kind = c->arch == 0 ? KIND_PXE_BIOS : KIND_PXE_UEFI;
	}
	return 0;
}

static void fail(struct storm *s, struct storm_client *c, enum storm_fail why, uint64_t now)
{
	(void)now;
	if (c->http)
		storm_http_abort(s, c);
	c->phase = PH_FAILED;
	c->fail = (uint8_t)why;
	c->deadline = 0;
	s->st.fail[why]++;
	s->st.failed++;
	if (s->cfg.verbose)
		fprintf(stderr, "client %u failed: %s\n", c->idx, storm_fail_name[why]);
}

void storm_client_fail(struct storm *s, struct storm_client *c, enum storm_fail why, uint64_t now)
{
	fail(s, c, why, now);
}

/* ---- transmit ------------------------------------------------------------- */

static void send_dhcp(struct storm *s, struct storm_client *c, uint8_t type, uint64_t now)
{
	uint8_t *f = storm_io_tx_slot(s->io);
	size_t plen = storm_dhcp_build(f + STORM_UDP_HDRS, STORM_FRAME_MAX - STORM_UDP_HDRS, c,
				       type, (uint16_t)((now - c->t_start) / NS_PER_S));
	size_t len =
	    storm_build_udp(f, bcast_mac, c->mac, 0, 0xffffffffu, 68, 67, plen, s->ip_id++);

	storm_io_tx_commit(s->io, len);
	if (s->pcap_dhcp && c->tries == 0)
		storm_pcap_write(s->pcap_dhcp, f, len, now - s->t0);
}

static void send_tftp(struct storm *s, struct storm_client *c, const uint8_t *payload, size_t plen,
		      uint16_t dport)
{
	uint8_t *f = storm_io_tx_slot(s->io);

	memcpy(f + STORM_UDP_HDRS, payload, plen);
	storm_io_tx_commit(s->io, storm_build_udp(f, c->server_mac, c->mac, c->ip, c->tftp_ip,
						  c->cport, dport, plen, s->ip_id++));
}

static const char *file_name(const struct storm *s, const struct storm_client *c)
{
	return c->file == 0 ? c->bootfile : s->cfg.files[c->file];
}

static void send_rrq(struct storm *s, struct storm_client *c, uint64_t now)
{
	uint8_t *f = storm_io_tx_slot(s->io);
	size_t plen = storm_tftp_rrq(f + STORM_UDP_HDRS, 512, file_name(s, c), s->cfg.blksize,
				     s->cfg.windowsize, s->cfg.tsize || c->probing);
	size_t len = storm_build_udp(f, c->server_mac, c->mac, c->ip, c->tftp_ip, c->cport, 69,
				     plen, s->ip_id++);

	storm_io_tx_commit(s->io, len);
	s->st.tftp_rrq_tx++;
	if (s->pcap_tftp && c->tries == 0)
		storm_pcap_write(s->pcap_tftp, f, len, now - s->t0);
}

static void send_ack(struct storm *s, struct storm_client *c, uint16_t block)
{
	uint8_t p[4];

	send_tftp(s, c, p, storm_tftp_ack(p, block), c->sport);
	s->st.tftp_ack_tx++;
}

/* ---- state machine -------------------------------------------------------- */

static void tftp_start(struct storm *s, struct storm_client *c, uint64_t now)
{
	c->phase = PH_TFTP;
	c->tries = 0;
	c->got_first = false;
	/* a new TID per file, and another one for the real download after
	 * the tsize probe */
	c->cport = (uint16_t)(2000 + c->file + (c->probing ? 100 : 0));
	c->sport = 0;
	c->next_block = 1;
	c->in_window = 0;
	c->blksize = 512;
	c->windowsize = 1;
	c->bytes = 0;
	c->tsize = 0;
	c->has_tsize = false;
	send_rrq(s, c, now);
	timer_set(c, now + tftp_timeout(s, c->tries));
}

void storm_client_start(struct storm *s, struct storm_client *c, uint64_t now)
{
	c->phase = PH_DISCOVER;
	c->tries = 0;
	c->t_start = now;
	s->st.started++;
	send_dhcp(s, c, DHCPDISCOVER, now);
	s->st.dhcp_discover_tx++;
	timer_set(c, now + dhcp_timeout(s, 0));
}

static void client_done(struct storm *s, struct storm_client *c, uint64_t now)
{
	c->phase = PH_DONE;
	c->deadline = 0;
	c->t_done = now;
	s->st.done++;
	storm_bucket_add(s, now, 0, 1);
}

/* --http: kernel and initrd from URLBASE. 0, or the client failed */
static int queue_files(struct storm *s, struct storm_client *c, uint64_t now)
{
	char url[STORM_URL_MAX];

	for (unsigned i = 1; i < s->cfg.nfiles; i++) {
		snprintf(url, sizeof(url), "%s%s", s->cfg.http_base, s->cfg.files[i]);
		if (storm_http_queue(s, c, url, 0) < 0) {
			fail(s, c, FAIL_HTTP_URL, now);
			return -1;
		}
	}
	return 0;
}

/* the client's queue of URLs is filled: its address becomes the kernel's */
static void http_begin(struct storm *s, struct storm_client *c, uint64_t now)
{
	int err = storm_net_local(s->net, c->ip);

	if (err) {
		if (s->cfg.verbose)
			fprintf(stderr, "client %u: local route: %s\n", c->idx, strerror(-err));
		fail(s, c, FAIL_HTTP_CONNECT, now);
		return;
	}
	storm_http_start(s, c, now);
}

void storm_client_http_done(struct storm *s, struct storm_client *c, uint64_t now)
{
	if (!c->t_loader)
		c->t_loader = now;
	client_done(s, c, now);
}

int storm_ipxe_script(struct storm *s, struct storm_client *c, const char *url, const char *body,
		      size_t len, bool truncated)
{
	struct storm_ipxe x;

	if (len < 6 || memcmp(body, "#!ipxe", 6))
		return 0; /* chained to a loader, not a script: it boots */
	if (truncated || storm_ipxe_parse(body, len, url, c->mac, &x) < 0)
		return FAIL_IPXE_SCRIPT;
	for (unsigned i = 0; i < x.nfiles; i++)
		if (storm_http_queue(s, c, x.files[i], 0) < 0)
			return FAIL_IPXE_SCRIPT;
	if (!x.nfiles && x.has_chain && !c->chained) {
		c->chained = true;
		if (storm_http_queue(s, c, x.chain, STORM_HTTP_SCRIPT) < 0)
			return FAIL_IPXE_SCRIPT;
		return 0;
	}
	/* `exit`, or a script that names nothing to boot: no boot */
	return x.nfiles ? 0 : FAIL_IPXE_SCRIPT;
}

/* ---- servers' MACs -------------------------------------------------------- */

static void host_learn(struct storm *s, uint32_t ip, const uint8_t *mac, uint64_t now)
{
	unsigned i;

	if (!ip || (mac[0] & 1))
		return;
	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].ip == ip)
			break;
	if (i == s->nhosts) {
		if (s->nhosts == BS_ARRAY_SIZE(s->hosts))
			return;
		s->nhosts++;
		s->hosts[i].ip = ip;
	} else if (s->hosts[i].ready || !memcmp(s->hosts[i].mac, mac, 6)) {
		return;
	}
	memcpy(s->hosts[i].mac, mac, 6);
	if (!s->hosts[i].resolving)
		return;
	/* clients waited for this one: on to their connections */
	s->hosts[i].resolving = false;
	for (uint32_t k = 0; k < s->cfg.clients; k++)
		if (s->c[k].phase == PH_HTTP)
			storm_http_host_ready(s, &s->c[k], now);
}

bool storm_host_ready(struct storm *s, struct storm_client *c, uint32_t ip, uint64_t now)
{
	static const uint8_t zero[6];
	unsigned i;
	uint8_t *f;

	(void)now;
	if (!s->cfg.netsetup)
		return true; /* the kernel ARPs, as the operator set it up */
	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].ip == ip)
			break;
	if (i < s->nhosts && s->hosts[i].ready)
		return true;
	if (i < s->nhosts && memcmp(s->hosts[i].mac, zero, 6)) {
		int err = storm_net_host(s->net, ip, s->hosts[i].mac);

		if (err && s->cfg.verbose)
			fprintf(stderr, "server route/neighbour: %s\n", strerror(-err));
		s->hosts[i].ready = !err;
		return !err;
	}
	if (i == s->nhosts) {
		if (s->nhosts == BS_ARRAY_SIZE(s->hosts))
			return false;
		memset(&s->hosts[i], 0, sizeof(s->hosts[i]));
		s->hosts[i].ip = ip;
		s->nhosts++;
	}
	/* unknown server: the client asks who has it, as firmware would */
	s->hosts[i].resolving = true;
	f = storm_io_tx_slot(s->io);
	storm_io_tx_commit(s->io, storm_build_arp(f, 1, c->mac, c->ip, zero, ip));
	s->st.arp_resolve_tx++;
	return false;
}

static void file_done(struct storm *s, struct storm_client *c, uint64_t now)
{
	if (c->has_tsize && c->bytes != c->tsize) {
		fail(s, c, FAIL_TFTP_SIZE, now);
		return;
	}
	if (c->file == 0)
		c->t_loader = now;
	c->file++;
	if (c->file < s->cfg.nfiles)
		c->files_phase = true;
	if (c->file < s->cfg.nfiles && s->cfg.http_base) {
		if (queue_files(s, c, now) == 0)
			http_begin(s, c, now);
		return;
	}
	if (c->file < s->cfg.nfiles) {
		tftp_start(s, c, now);
		return;
	}
	client_done(s, c, now);
}

static bool is_url(const char *f)
{
	return !strncasecmp(f, "http://", 7);
}

/* after the ACK: the loader, over HTTP (UEFI HTTP boot; iPXE given a
 * URL, its script) or TFTP */
static void boot_begin(struct storm *s, struct storm_client *c, uint64_t now)
{
	char url[STORM_URL_MAX];

	if (!c->bootfile[0] || (c->kind == KIND_UEFI_HTTP && !is_url(c->bootfile))) {
		fail(s, c, FAIL_NO_BOOTFILE, now);
		return;
	}
	if (c->kind == KIND_UEFI_HTTP) {
		/* EDK2 asks HEAD first (the size), then GET */
		if (storm_http_queue(s, c, c->bootfile, STORM_HTTP_HEAD) < 0 ||
		    (s->cfg.http_base && queue_files(s, c, now) < 0)) {
			if (c->phase != PH_FAILED)
				fail(s, c, FAIL_HTTP_URL, now);
			return;
		}
		http_begin(s, c, now);
		return;
	}
	if (c->kind == KIND_IPXE && is_url(c->bootfile)) {
		/* iPXE expands ${net0/mac} in the file name itself */
		if (storm_url_resolve(c->bootfile, c->bootfile, strlen(c->bootfile), c->mac, url) <
			0 ||
		    storm_http_queue(s, c, url, STORM_HTTP_SCRIPT) < 0) {
			fail(s, c, FAIL_HTTP_URL, now);
			return;
		}
		http_begin(s, c, now);
		return;
	}
	c->file = 0;
	c->probing = s->cfg.tsize_probe;
	tftp_start(s, c, now);
}

/* an address OFFER: where the address and (without a proxy) the boot
 * file come from */
static void take_offer(struct storm_client *c, const struct storm_rx *rx,
		       const struct storm_dhcp_opts *o)
{
	c->ip = o->yiaddr;
	c->server_id = o->server_id ? o->server_id : rx->saddr;
	c->tftp_ip = o->siaddr ? o->siaddr : c->server_id;
	memcpy(c->server_mac, rx->src_mac, 6);
	if (!c->has_proxy_offer)
		snprintf(c->bootfile, sizeof(c->bootfile), "%s", o->file);
}

static void send_request(struct storm *s, struct storm_client *c, uint64_t now)
{
	c->phase = PH_REQUEST;
	c->tries = 0;
	send_dhcp(s, c, DHCPREQUEST, now);
	s->st.dhcp_request_tx++;
	timer_set(c, now + dhcp_timeout(s, 0));
}

/* PXE boot server discovery: 4 tries, 1, 2, 3 and 4 s (x --time-scale) */
#define BOOTSRV_TRIES 4

static void send_bootsrv(struct storm *s, struct storm_client *c, uint64_t now)
{
	uint8_t *f = storm_io_tx_slot(s->io);
	size_t plen = storm_dhcp_build_bootsrv(f + STORM_UDP_HDRS, STORM_FRAME_MAX - STORM_UDP_HDRS,
					       c, (uint16_t)((now - c->t_start) / NS_PER_S));
	size_t len = storm_build_udp(f, c->proxy_mac, c->mac, c->ip, c->proxy_ip, 68, 4011, plen,
				     s->ip_id++);

	storm_io_tx_commit(s->io, len);
	if (s->pcap_dhcp && c->tries == 0)
		storm_pcap_write(s->pcap_dhcp, f, len, now - s->t0);
	s->st.bootsrv_tx++;
	timer_set(c,
		  now + (uint64_t)((double)(c->tries + 1) * s->cfg.time_scale * (double)NS_PER_S));
}

/* --proxy: collect the address OFFER and the proxy's (yiaddr 0, option 60
 * PXEClient) as PXE firmware does; REQUEST once both are in */
static void rx_proxy_offer(struct storm *s, struct storm_client *c, const struct storm_rx *rx,
			   const struct storm_dhcp_opts *o, uint64_t now)
{
	if (o->yiaddr) {
		if (c->has_addr_offer)
			return;
		c->has_addr_offer = true;
		take_offer(c, rx, o);
	} else if (!c->has_proxy_offer &&
		   !strncmp(o->vendor_class, c->kind == KIND_UEFI_HTTP ? "HTTPClient" : "PXEClient",
			    9)) {
		s->st.proxy_offer_rx++;
		c->has_proxy_offer = true;
		c->proxy_ip = o->server_id ? o->server_id : rx->saddr;
		c->proxy_siaddr = o->siaddr ? o->siaddr : c->proxy_ip;
		memcpy(c->proxy_mac, rx->src_mac, 6);
		/* a menu: ask port 4011 for its first item; none (discovery
		 * control 8, "use the file"): boot the file in this offer */
		c->proxy_type = o->has_menu && c->kind != KIND_UEFI_HTTP ? o->menu_type : 0;
		snprintf(c->bootfile, sizeof(c->bootfile), "%s", c->proxy_type ? "" : o->file);
	} else {
		s->st.offer_ignored++;
		return;
	}
	if (!c->has_addr_offer || !c->has_proxy_offer)
		return;
	if (!c->proxy_type) { /* TFTP from the proxy's next-server */
		c->tftp_ip = c->proxy_siaddr;
		memcpy(c->server_mac, c->proxy_mac, 6);
	}
	send_request(s, c, now);
}

static void rx_bootsrv_ack(struct storm *s, struct storm_client *c, const struct storm_rx *rx,
			   const struct storm_dhcp_opts *o, uint64_t now)
{
	if (rx->sport != 4011 || rx->saddr != c->proxy_ip)
		return;
	s->st.bootsrv_ack_rx++;
	snprintf(c->bootfile, sizeof(c->bootfile), "%s", o->file);
	c->tftp_ip = o->siaddr ? o->siaddr : c->proxy_ip;
	memcpy(c->server_mac, rx->src_mac, 6); /* TFTP goes to the boot server */
	boot_begin(s, c, now);
}

static void rx_dhcp(struct storm *s, const struct storm_rx *rx, uint64_t now)
{
	struct storm_dhcp_opts o;
	struct storm_client *c;

	if (storm_dhcp_parse(rx->payload, rx->plen, &o) < 0)
		return;
	host_learn(s, rx->saddr, rx->src_mac, now);
	c = client_by_mac(s, o.chaddr);
	if (!c || o.xid != c->xid) {
		s->st.rx_unknown++;
		return;
	}
	if (o.type == DHCPOFFER) {
		s->st.dhcp_offer_rx++;
		if (c->phase != PH_DISCOVER)
			return; /* a later OFFER: the first one won */
		if (s->cfg.proxy) {
			rx_proxy_offer(s, c, rx, &o, now);
			return;
		}
		if (!o.yiaddr)
			return;
		if (c->kind == KIND_UEFI_HTTP && strncmp(o.vendor_class, "HTTPClient", 10)) {
			/* EDK2 takes only offers that echo HTTPClient */
			s->st.offer_ignored++;
			return;
		}
		take_offer(c, rx, &o);
		send_request(s, c, now);
	} else if (o.type == DHCPACK) {
		s->st.dhcp_ack_rx++;
		if (c->phase == PH_BOOTSRV) {
			rx_bootsrv_ack(s, c, rx, &o, now);
			return;
		}
		/* in proxy mode the proxy may answer a REQUEST on port 67 too:
		 * the address comes from the server the REQUEST named */
		if (c->phase != PH_REQUEST ||
		    (s->cfg.proxy && (!o.yiaddr || (o.server_id && o.server_id != c->server_id))))
			return;
		if (o.yiaddr)
			c->ip = o.yiaddr;
		if (o.siaddr && !s->cfg.proxy)
			c->tftp_ip = o.siaddr;
		if (o.file[0] && !s->cfg.proxy)
			snprintf(c->bootfile, sizeof(c->bootfile), "%s", o.file);
		c->t_dhcp = now;
		ipmap_put(s, c->ip, c->idx);
		if (s->cfg.dhcp_only) {
			c->t_loader = now;
			client_done(s, c, now);
			return;
		}
		if (s->cfg.proxy && c->proxy_type) {
			/* boot server discovery: ask the proxy's port 4011 */
			c->phase = PH_BOOTSRV;
			c->tries = 0;
			send_bootsrv(s, c, now);
			return;
		}
		boot_begin(s, c, now);
	} else if (o.type == DHCPNAK) {
		s->st.dhcp_nak_rx++;
		if (c->phase != PH_REQUEST)
			return;
		if (++c->nak > 3) {
			fail(s, c, FAIL_DHCP_NAK, now);
			return;
		}
		/* back to INIT with a new transaction */
		c->xid = rnd(s);
		c->has_addr_offer = c->has_proxy_offer = false;
		c->phase = PH_DISCOVER;
		c->tries = 0;
		send_dhcp(s, c, DHCPDISCOVER, now);
		s->st.dhcp_discover_tx++;
		timer_set(c, now + dhcp_timeout(s, 0));
	}
}

static void rx_tftp(struct storm *s, struct storm_client *c, const struct storm_rx *rx,
		    uint64_t now)
{
	const uint8_t *p = rx->payload;
	uint16_t op, block;

	if (rx->plen < 4 || rx->saddr != c->tftp_ip) {
		s->st.rx_unknown++;
		return;
	}
	if (c->sport && rx->sport != c->sport) {
		s->st.rx_unknown++; /* RFC 1350: not our TID */
		return;
	}
	op = get_be16(p);
	switch (op) {
	case TFTP_OACK: {
		struct storm_oack o;

		if (c->got_first) { /* our ACK 0 was lost: say it again */
			if (c->next_block == 1)
				send_ack(s, c, 0);
			return;
		}
		if (storm_tftp_parse_oack(p, rx->plen, &o) < 0 ||
		    (o.blksize && (o.blksize < 8 || o.blksize > s->cfg.blksize)) ||
		    (o.windowsize && o.windowsize > s->cfg.windowsize)) {
			fail(s, c, FAIL_TFTP_PROTO, now);
			return;
		}
		if (c->probing) {
			/* OVMF: the size is all it wanted; abort with ERROR 8
			 * (RFC 2347), then ask again from a new port */
			uint8_t e[64];

			send_tftp(s, c, e,
				  storm_tftp_error(e, sizeof(e), 8, "User aborted the transfer"),
				  rx->sport);
			s->st.tftp_probes++;
			c->probing = false;
			tftp_start(s, c, now);
			return;
		}
		c->blksize = (uint16_t)(o.blksize ? o.blksize : 512);
		c->windowsize = (uint16_t)(o.windowsize ? o.windowsize : 1);
		c->tsize = o.tsize;
		c->has_tsize = o.has_tsize;
		c->sport = rx->sport;
		c->got_first = true;
		c->tries = 0;
		send_ack(s, c, 0);
		timer_set(c, now + tftp_timeout(s, c->tries));
		return;
	}
	case TFTP_DATA:
		break;
	case TFTP_ERROR: {
		uint16_t code = get_be16(p + 2);

		s->st.tftp_err_code[code < 8 ? code : 8]++;
		if (s->cfg.verbose)
			fprintf(
			    stderr, "client %u: TFTP ERROR %u \"%.*s\" for %s\n", c->idx, code,
			    (int)(rx->plen > 4 ? strnlen((const char *)p + 4, rx->plen - 4) : 0),
			    (const char *)p + 4, file_name(s, c));
		fail(s, c, FAIL_TFTP_ERROR, now);
		return;
	}
	default:
		fail(s, c, FAIL_TFTP_PROTO, now);
		return;
	}
	if (!c->got_first) { /* options ignored: plain RFC 1350 */
		c->sport = rx->sport;
		c->got_first = true;
		c->probing = false; /* no OACK, nothing to probe: download */
	}
	block = get_be16(p + 2);
	s->st.tftp_data_rx++;
	if (block != c->next_block) {
		uint16_t behind = (uint16_t)(c->next_block - block);

		if (behind && behind < 0x8000) {
			s->st.tftp_data_dup++;
			/* lock-step: the server repeats because our ACK was lost */
			if (c->windowsize == 1 && behind == 1)
				send_ack(s, c, block);
		} else {
			/* a gap: ACK the last block in order, once per gap
			 * (RFC 7440 4: the server restarts from there) */
			s->st.tftp_data_ooo++;
			if (c->in_window != 0xffff) {
				send_ack(s, c, (uint16_t)(c->next_block - 1));
				c->in_window = 0xffff;
			}
		}
		return;
	}
	size_t dlen = rx->plen - 4;

	c->bytes += dlen;
	s->st.tftp_bytes += dlen;
	storm_bucket_add(s, now, dlen, 0);
	c->tries = 0;
	if (c->in_window == 0xffff)
		c->in_window = 0;
	if (dlen < c->blksize) {
		send_ack(s, c, block);
		file_done(s, c, now);
		return;
	}
	c->next_block++;
	if (++c->in_window >= c->windowsize) {
		send_ack(s, c, block);
		c->in_window = 0;
	}
	c->deadline = now + tftp_timeout(s, 0);
}

static void rx_arp(struct storm *s, const struct storm_rx *rx, uint64_t now)
{
	struct storm_client *c;
	uint8_t *f;

	if (rx->arp_op == 2 && client_by_mac(s, rx->dst_mac))
		host_learn(s, rx->arp_sip, rx->arp_sha, now);
	if (rx->arp_op != 1)
		return;
	s->st.arp_req_rx++;
	c = ipmap_get(s, rx->arp_tip);
	if (!c || c->ip != rx->arp_tip)
		return;
	f = storm_io_tx_slot(s->io);
	storm_io_tx_commit(s->io, storm_build_arp(f, 2, c->mac, c->ip, rx->arp_sha, rx->arp_sip));
	s->st.arp_reply_tx++;
}

void storm_rx_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct storm *s = ctx;
	struct storm_rx rx;
	struct storm_client *c;
	uint64_t now = storm_now_ns();

	if (s->cfg.rx_loss > 0) {
		/* --loss: a lossy wire, to exercise every retransmission path
		 * (its own generator: the clients' draw stays reproducible) */
		static uint32_t x = 0x2545f491u;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if ((double)x < s->cfg.rx_loss * 4294967296.0) {
			s->st.rx_dropped++;
			return;
		}
	}
	if (storm_parse(frame, len, &rx) < 0)
		return;
	if (rx.ethertype == 0x0806) {
		rx_arp(s, &rx, now);
		return;
	}
	if ((rx.sport == 67 || rx.sport == 4011) && rx.dport == 68) {
		rx_dhcp(s, &rx, now);
		return;
	}
	c = client_by_mac(s, rx.dst_mac);
	if (!c) {
		/* TFTP to a client IP sent to another MAC (e.g. broadcast) */
		c = ipmap_get(s, rx.daddr);
	}
	if (c && c->phase == PH_TFTP && rx.daddr == c->ip && rx.dport == c->cport)
		rx_tftp(s, c, &rx, now);
	else
		s->st.rx_unknown++;
}

static void expire(struct storm *s, struct storm_client *c, uint64_t now)
{
	switch (c->phase) {
	case PH_DISCOVER:
		if (++c->tries >= s->cfg.dhcp_tries) {
			/* --proxy: an address but no boot information */
			fail(s, c, c->has_addr_offer ? FAIL_PROXY_NO_OFFER : FAIL_DHCP_NO_OFFER,
			     now);
			return;
		}
		send_dhcp(s, c, DHCPDISCOVER, now);
		s->st.dhcp_discover_tx++;
		s->st.dhcp_discover_retx++;
		timer_set(c, now + dhcp_timeout(s, c->tries));
		break;
	case PH_REQUEST:
		if (++c->tries >= s->cfg.dhcp_tries) {
			fail(s, c, FAIL_DHCP_NO_ACK, now);
			return;
		}
		send_dhcp(s, c, DHCPREQUEST, now);
		s->st.dhcp_request_tx++;
		s->st.dhcp_request_retx++;
		timer_set(c, now + dhcp_timeout(s, c->tries));
		break;
	case PH_HTTP:
		storm_http_expire(s, c, now);
		break;
	case PH_BOOTSRV:
		if (++c->tries >= BOOTSRV_TRIES) {
			fail(s, c, FAIL_PROXY_NO_ACK, now);
			return;
		}
		s->st.bootsrv_retx++;
		send_bootsrv(s, c, now);
		break;
	case PH_TFTP:
		if (++c->tries > s->cfg.tftp_retries) {
			fail(s, c, FAIL_TFTP_TIMEOUT, now);
			return;
		}
		if (!c->got_first) {
			send_rrq(s, c, now);
			s->st.tftp_rrq_retx++;
		} else {
			send_ack(s, c, (uint16_t)(c->next_block - 1));
			s->st.tftp_ack_retx++;
			c->in_window = 0;
		}
		timer_set(c, now + tftp_timeout(s, c->tries));
		break;
	default:
		break;
	}
}

uint64_t storm_timers_run(struct storm *s, uint64_t now)
{
	while (heap_len && heap[0].key <= now) {
		struct heap_ent e = heap_pop();
		struct storm_client *c = &s->c[e.idx];

		if (e.key != queued_key[e.idx])
			continue; /* superseded by an earlier entry */
		queued_key[e.idx] = 0;
		if (!c->deadline || c->phase == PH_DONE || c->phase == PH_FAILED)
			continue;
		if (c->deadline > now) { /* re-armed since: lazy move */
			heap_push(c->deadline, e.idx);
			queued_key[e.idx] = c->deadline;
			continue;
		}
		c->deadline = 0;
		expire(s, c, now);
	}
	return heap_len ? heap[0].key : UINT64_MAX;
}

void storm_fail_remaining(struct storm *s, uint64_t now)
{
	for (uint32_t i = 0; i < s->cfg.clients; i++) {
		struct storm_client *c = &s->c[i];

		if (c->phase != PH_DONE && c->phase != PH_FAILED)
			fail(s, c, FAIL_DURATION, now);
	}
}
