/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend: the worker's frames through rte_ethdev, for NICs bound
 * to DPDK (vfio-pci) and, in CI, for a net_af_packet / net_af_xdp vdev on a
 * veth. docs/dpdk.md is the operator's side of this file; EAL, the ports
 * and their exception taps are set up in dpdk_eal.c.
 *
 * RX: rte_eth_rx_burst into mbufs, parsed with pkt/ (checksums verified
 * in software). Ours: UDP to the ports we serve (67, 4011, 69, the
 * transfer range), to one of the kernel interface's addresses or a
 * broadcast, to the port's MAC or broadcast. Everything else (ARP, TCP for
 * HTTP and SSH, ICMP, VLAN tags, other UDP) goes to the exception tap when
 * there is one and is freed otherwise: on af_packet the kernel has its own
 * copy of every frame. The mbufs are held until rx_release().
 *
 * The socket backend runs inside, as in the AF_XDP backend: its bound
 * sockets keep the kernel from answering our ports (no ICMP port
 * unreachable for a TFTP transfer port; no second DHCP server on the
 * host), and carry routed replies to neighbours we never heard from (the
 * kernel ARPs and routes, through the kernel interface). What those
 * sockets receive on an af_packet interface is a copy of a frame DPDK
 * delivered already: read and dropped (dpdk_kernel_drained), never
 * answered twice. What reaches them through an exception tap DPDK did not
 * take, and is served (dpdk_kernel_served).
 *
 * TX: alloc() hands out an mbuf's data at BS_PKT_UDP_HEADROOM (TFTP copies
 * file bytes straight into it); commit() resolves the MAC (broadcast, the
 * client's, or the neighbour table's for routed replies), builds the
 * headers with pkt/ (both checksums in software) and queues the mbuf on
 * the port; tx_flush() calls rte_eth_tx_burst.
 *
 * Workers: one per queue of every port (dpdk_eal.c), as with AF_XDP:
 * worker k owns queue k of each port and tap, its neighbour table, its
 * pending tx and counters (struct dp_worker); worker 0 also the socket
 * backend's queues and staging. The others send what DPDK cannot carry
 * through the kernel at once (bs_io_sock_send_routed). docs/architecture.md,
 * "Workers".
 *
 * DPDK has no fd to wait on: the queues are reported with fd -1 and the
 * worker polls them (worker.c, "polled queues").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dpdk_int.h"

static const char *const ds_names[DS_COUNT] = {
    [DS_RX_NOT_OURS] = "dpdk_rx_not_ours",
    [DS_RX_TO_KERNEL] = "dpdk_rx_to_kernel",
    [DS_RX_SEGMENTED] = "dpdk_rx_segmented",
    [DS_KERNEL_DRAINED] = "dpdk_kernel_drained",
    [DS_KERNEL_SERVED] = "dpdk_kernel_served",
    [DS_EXC_TX] = "dpdk_exception_tx",
    [DS_EXC_DROPS] = "dpdk_exception_drops",
    [DS_TX_KERNEL] = "dpdk_tx_kernel",
    [DS_TX_KERNEL_ERRORS] = "dpdk_tx_kernel_errors",
    [DS_TX_NEIGH_MISS] = "dpdk_tx_neigh_miss",
    [DS_TX_NO_MBUF] = "dpdk_tx_no_mbuf",
    [DS_TX_COPIED] = "dpdk_tx_copied",
    [DS_TX_RING_FULL] = "dpdk_tx_ring_full",
    [DS_TX_BAD_COMMIT] = "dpdk_tx_bad_commit",
    [DS_TX_DISCARDED] = "dpdk_tx_discarded",
    [DS_NEIGH_LEARNED] = "dpdk_neigh_learned",
    [DS_NEIGH_HITS] = "dpdk_neigh_hits",
};

static struct dp_worker *to_w(struct bs_io *io)
{
	return (struct dp_worker *)io;
}

static struct dp_worker *tx_to_w(struct bs_tx *tx)
{
	return (struct dp_worker *)((uint8_t *)tx - offsetof(struct dp_worker, tx));
}

static struct bs_iface *iface_by_name(struct bs_iftable *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ifs[i].ifindex && strcmp(t->ifs[i].name, name) == 0)
			return &t->ifs[i];
	return NULL;
}

/* The ports' kernel interfaces, from the worker's interface table. */
static void twins_sync(struct dp_worker *w)
{
	for (unsigned i = 0; i < w->d->nports; i++) {
		const struct bs_iface *e = iface_by_name(w->ift, w->d->ports[i].kif);

		w->ifindex[i] = e ? e->ifindex : 0;
	}
}

/* They follow the table (a tap appears, an interface is re-created). */
static void refresh(struct dp_worker *w, uint64_t now_ms)
{
	if (bs_iftable_maybe_refresh(w->ift, now_ms))
		twins_sync(w);
}

/* ---- rx ---- */

static bool our_udp_port(const struct dp_worker *w, uint16_t port)
{
	if (w->d->cfg.dhcp && (port == 67 || port == 4011))
		return true;
	return w->d->cfg.tftp &&
	       (port == 69 || (w->io.tftp_port_lo <= w->io.tftp_port_hi &&
			       port >= w->io.tftp_port_lo && port <= w->io.tftp_port_hi));
}

static bool our_addr(const struct bs_iface *e, uint32_t ip)
{
	if (ip == 0xffffffffu || (e->mask && ip == (e->addr | ~e->mask)))
		return true;
	for (unsigned i = 0; i < e->naddrs; i++)
		if (e->addrs[i] == ip)
			return true;
	return false;
}

/* Parse errors of frames that are somebody else's business, not hostile. */
static bool kernel_business(enum bs_pkt_verdict v)
{
	return v == BS_PKT_NOT_IPV4 || v == BS_PKT_NOT_UDP || v == BS_PKT_FRAGMENT;
}

/* Is frame u ours to serve, on port p (kernel interface e)? */
static bool ours(struct dp_worker *w, const struct dport *p, struct bs_iface *e,
		 enum bs_pkt_verdict v, const struct bs_pkt_udp *u)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	/* Tagged frames are the kernel's VLAN device's (as with AF_XDP). */
	if (v == BS_PKT_OK && u->vlan < 0 && e && e->serve && our_udp_port(w, u->dst_port) &&
	    our_addr(e, u->dst_ip) &&
	    (memcmp(u->dst_mac, p->mac, 6) == 0 || memcmp(u->dst_mac, bcast, 6) == 0))
		return true;
	/* An unknown interface, or our port on an address we do not know (yet:
	   the tap got it after start): look again, at most once a second. */
	if (!e || (v == BS_PKT_OK && our_udp_port(w, u->dst_port)))
		w->ift->refresh_wanted = true;
	return false;
}

/* Hand frames to queue q of another port now; what it does not take is
   freed. */
static void forward(struct dp_worker *w, uint16_t to, struct rte_mbuf **m, unsigned n,
		    enum dp_stat ok)
{
	uint16_t sent = n ? rte_eth_tx_burst(to, (uint16_t)w->id, m, (uint16_t)n) : 0;

	w->st[ok] += sent;
	if (sent < n) {
		w->st[DS_EXC_DROPS] += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

static unsigned port_rx(struct dp_worker *w, unsigned pi, struct bs_rx_pkt *pkts, unsigned max)
{
	struct dport *p = &w->d->ports[pi];
	struct dq *q = &w->q[pi];
	struct rte_mbuf *m[DP_BURST], *exc[DP_BURST];
	struct bs_iface *e = w->ifindex[pi] ? bs_iftable_by_index(w->ift, w->ifindex[pi]) : NULL;
	unsigned n = 0, nexc = 0;
	uint16_t got;

	if (q->nheld)
		return 0; /* the worker releases a burst before the next */
	if (max > DP_BURST)
		max = DP_BURST;
	got = rte_eth_rx_burst(p->port, (uint16_t)w->id, m, (uint16_t)max);
	q->rx_pkts += got;
	for (uint16_t i = 0; i < got; i++) {
		struct bs_pkt_udp u;
		enum bs_pkt_verdict v = BS_PKT_TRUNC_ETH;

		if (m[i]->nb_segs != 1)
			w->st[DS_RX_SEGMENTED]++;
		else
			v = bs_pkt_parse_eth(rte_pktmbuf_mtod(m[i], const uint8_t *),
					     m[i]->data_len, &u);
		if (m[i]->nb_segs == 1 && v != BS_PKT_OK && !kernel_business(v)) {
			q->drops[v < BS_PKT_VERDICT_COUNT ? v : BS_PKT_NOT_IPV4]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		if (m[i]->nb_segs != 1 || !ours(w, p, e, v, &u)) {
			w->st[DS_RX_NOT_OURS]++;
			if (p->exc >= 0)
				exc[nexc++] = m[i];
			else
				rte_pktmbuf_free(m[i]);
			continue;
		}
		bs_l2_learn(w->neigh, p, e, u.src_ip, u.src_mac, w->now_ms,
			    &w->st[DS_NEIGH_LEARNED]);
		q->held[q->nheld++] = m[i];
		bs_l2_rx_pkt(&pkts[n++], e, &u);
	}
	if (p->exc >= 0)
		forward(w, (uint16_t)p->exc, exc, nexc, DS_RX_TO_KERNEL);
	return n;
}

/* What the kernel sends through the exception tap goes out on the port. */
static void exc_rx(struct dp_worker *w, const struct dport *p)
{
	struct rte_mbuf *m[DP_BURST];
	uint16_t got = rte_eth_rx_burst((uint16_t)p->exc, (uint16_t)w->id, m, DP_BURST);

	forward(w, p->port, m, got, DS_EXC_TX);
}

/* Did the kernel see this interface's frames beside DPDK (af_packet)? */
static bool kernel_sees_port(const struct dp_worker *w, uint32_t ifindex)
{
	for (unsigned i = 0; i < w->d->nports; i++)
		if (w->ifindex[i] == ifindex && w->d->ports[i].exc < 0)
			return true;
	return false;
}

/*
 * The socket backend's datagrams (worker 0). On an interface the kernel
 * sees beside DPDK (af_packet) they are copies of frames DPDK had:
 * dropped, never answered twice. What came through an exception tap (DPDK
 * did not take it: an address it did not know yet) or on an interface DPDK
 * does not drive is served, as the AF_XDP backend serves what XDP passes.
 */
static unsigned kernel_rx(struct dp_worker *w, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			  uint64_t now_ms)
{
	struct bs_io *sock = w->d->sock;
	unsigned n = sock->ops->rx_burst(sock, queue, pkts, max, now_ms), kept = 0;

	for (unsigned i = 0; i < n; i++) {
		if (kernel_sees_port(w, pkts[i].meta.ifindex))
			w->st[DS_KERNEL_DRAINED]++;
		else
			pkts[kept++] = pkts[i];
	}
	w->st[DS_KERNEL_SERVED] += kept;
	return kept;
}

/*
 * A worker's queues: 0 .. nports-1 its queue of each port, then its queue
 * of each exception tap, then (worker 0) the socket backend's.
 */
static unsigned dp_rx_burst(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			    uint64_t now_ms)
{
	struct dp_worker *w = to_w(io);
	const struct dpdk_io *d = w->d;

	w->now_ms = now_ms;
	refresh(w, now_ms);
	w->cur = -1;
	if (queue < d->nports) {
		w->cur = (int)queue;
		return port_rx(w, queue, pkts, max);
	}
	queue -= d->nports;
	if (queue < d->ntaps) {
		exc_rx(w, &d->ports[queue]);
		return 0;
	}
	return kernel_rx(w, queue - d->ntaps, pkts, max, now_ms);
}

static void dp_rx_release(struct bs_io *io, uint32_t queue)
{
	struct dp_worker *w = to_w(io);
	struct dq *q;

	w->cur = -1;
	if (queue >= w->d->nports)
		return;
	q = &w->q[queue];
	rte_pktmbuf_free_bulk(q->held, q->nheld);
	q->nheld = 0;
}

/* ---- tx ---- */

static void drop_pending(struct dp_worker *w)
{
	rte_pktmbuf_free(w->pend); /* NULL is fine */
	w->pend = NULL;
	w->pend_buf = NULL;
}

static uint8_t *dp_tx_alloc(struct bs_tx *tx, size_t max)
{
	struct dp_worker *w = tx_to_w(tx);

	drop_pending(w);
	w->pend_max = max;
	if (max <= DP_PAYLOAD_MAX && (w->pend = rte_pktmbuf_alloc(w->d->pool)))
		return rte_pktmbuf_mtod_offset(w->pend, uint8_t *, BS_PKT_UDP_HEADROOM);
	/* Too big for an mbuf, or none left: the kernel's way. */
	if (max <= DP_PAYLOAD_MAX)
		w->st[DS_TX_NO_MBUF]++;
	w->pend_buf = bs_l2_stage(&w->k, max);
	return w->pend_buf;
}

struct route {
	int pi; /* port index */
	const struct bs_iface *e;
	struct bs_l2_dst d;
};

static int port_of(const struct dp_worker *w, uint32_t ifindex, int hint)
{
	if (hint >= 0 && w->ifindex[hint] == ifindex)
		return hint;
	for (unsigned i = 0; i < w->d->nports; i++)
		if (w->ifindex[i] == ifindex)
			return (int)i;
	return -1;
}

/* Where a datagram goes; false: the kernel takes it. */
static bool route(struct dp_worker *w, const struct bs_tx_addr *to, size_t len, struct route *r)
{
	int hint = w->cur;

	if (!bs_l2_dst(&r->d, to, len, DP_PAYLOAD_MAX, w->neigh, w->now_ms,
		       &w->st[DS_TX_NEIGH_MISS], &w->st[DS_NEIGH_HITS]))
		return false;
	if (r->d.via)
		hint = (int)((const struct dport *)r->d.via - w->d->ports);
	r->e = bs_iftable_by_index(w->ift, r->d.ifindex);
	r->pi = r->e ? port_of(w, r->d.ifindex, hint) : -1;
	return r->pi >= 0 && w->q[r->pi].ntx < DP_TXQ_MAX;
}

/* Through the kernel (l2.h), counted. */
static void commit_kernel(struct dp_worker *w, uint8_t *buf, size_t len,
			  const struct bs_tx_addr *to)
{
	static const uint8_t stat[] = {
	    [BS_L2_KERNEL_OK] = DS_TX_KERNEL,
	    [BS_L2_KERNEL_ERROR] = DS_TX_KERNEL_ERRORS,
	    [BS_L2_KERNEL_NO_BUFFER] = DS_TX_NO_MBUF,
	};

	w->st[stat[bs_l2_to_kernel(&w->k, buf, len, w->pend_buf != NULL, to)]]++;
}

static void dp_tx_commit(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	struct dp_worker *w = tx_to_w(tx);
	struct rte_mbuf *m = w->pend;
	struct route r;
	struct dq *q;
	size_t flen;

	if (!bs_l2_pending_ok(m ? rte_pktmbuf_mtod_offset(m, uint8_t *, BS_PKT_UDP_HEADROOM) : NULL,
			      w->pend_buf, w->pend_max, buf, len)) {
		w->st[DS_TX_BAD_COMMIT]++;
		return;
	}
	if (!route(w, to, len, &r)) {
		commit_kernel(w, buf, len, to);
		drop_pending(w);
		return;
	}
	if (!m) {
		/* Staged (no mbuf then): try again. */
		m = rte_pktmbuf_alloc(w->d->pool);
		if (!m) {
			commit_kernel(w, buf, len, to);
			w->pend_buf = NULL;
			return;
		}
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, BS_PKT_UDP_HEADROOM), buf, len);
		w->st[DS_TX_COPIED]++;
	}
	w->pend = NULL;
	w->pend_buf = NULL; /* a staged buffer is reclaimed by its owner */
	flen = bs_l2_build(rte_pktmbuf_mtod(m, uint8_t *), w->d->ports[r.pi].mac, &r.d, r.e, to,
			   w->ip_id++, len);
	if (!flen) {
		rte_pktmbuf_free(m);
		w->st[DS_TX_BAD_COMMIT]++;
		return;
	}
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	q = &w->q[r.pi];
	q->txq[q->ntx++] = m;
}

static unsigned queue_flush(struct dp_worker *w, unsigned pi)
{
	struct dq *q = &w->q[pi];
	uint16_t port = w->d->ports[pi].port;
	unsigned sent = 0;

	for (int tries = 0; sent < q->ntx && tries < DP_TX_TRIES; tries++)
		sent += rte_eth_tx_burst(port, (uint16_t)w->id, q->txq + sent,
					 (uint16_t)(q->ntx - sent));
	if (sent < q->ntx) {
		w->st[DS_TX_RING_FULL] += q->ntx - sent;
		rte_pktmbuf_free_bulk(q->txq + sent, q->ntx - sent);
	}
	q->tx_pkts += sent;
	q->ntx = 0;
	return sent;
}

static unsigned dp_tx_flush(struct bs_io *io, uint64_t now_ms)
{
	struct dp_worker *w = to_w(io);
	unsigned sent = 0;

	w->now_ms = now_ms;
	drop_pending(w);
	for (unsigned i = 0; i < w->d->nports; i++)
		sent += queue_flush(w, i);
	if (w->id == 0)
		sent += w->d->sock->ops->tx_flush(w->d->sock, now_ms);
	return sent;
}

static void dp_tx_discard(struct bs_io *io)
{
	struct dp_worker *w = to_w(io);

	drop_pending(w);
	for (unsigned i = 0; i < w->d->nports; i++) {
		struct dq *q = &w->q[i];

		w->st[DS_TX_DISCARDED] += q->ntx;
		rte_pktmbuf_free_bulk(q->txq, q->ntx);
		q->ntx = 0;
	}
	if (w->id == 0)
		w->d->sock->ops->tx_discard(w->d->sock);
}

/* A datagram another worker received: its sender is a neighbour here too. */
static void dp_learn(struct bs_io *io, const struct bs_udp_meta *m, uint64_t now_ms)
{
	struct dp_worker *w = to_w(io);
	const struct bs_iface *e = bs_iftable_by_index(w->ift, m->ifindex);
	int pi = port_of(w, m->ifindex, -1);

	w->now_ms = now_ms;
	if (e && pi >= 0)
		bs_l2_learn(w->neigh, &w->d->ports[pi], e, m->src_ip, m->src_mac, now_ms,
			    &w->st[DS_NEIGH_LEARNED]);
}

/* ---- lifecycle ---- */

static size_t dp_queues(struct bs_io *io, struct bs_io_queue *out, size_t max)
{
	struct dp_worker *w = to_w(io);
	struct bs_io *sock = w->d->sock;
	size_t n = 0, npolled = w->d->nports + w->d->ntaps;

	if (!out)
		return npolled + (w->id == 0 ? w->d->nsockq : 0);
	/* No fd to wait on: fd -1, the worker polls them. */
	for (; n < npolled && n < max; n++) {
		out[n].fd = -1;
		out[n].queue = (uint32_t)n;
	}
	if (w->id != 0)
		return n;
	return n + bs_l2_sock_queues(sock, out + n, max - n, (uint32_t)npolled);
}

static void dp_maintain(struct bs_io *io, uint64_t now_ms)
{
	struct dp_worker *w = to_w(io);

	w->now_ms = now_ms;
	refresh(w, now_ms);
	if (w->id == 0)
		w->d->sock->ops->maintain(w->d->sock, now_ms);
}

/* A counter another worker's thread writes: single writer, read whole. */
static uint64_t peek(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void port_stats(const struct dpdk_io *d, unsigned pi, bs_stat_fn fn, void *arg)
{
	const char *kif = d->ports[pi].kif;
	uint64_t rx = 0, tx = 0, drops[BS_PKT_VERDICT_COUNT] = {0};
	char name[96];

	for (unsigned k = 0; k < d->nq; k++) {
		const struct dq *q = &d->w[k].q[pi];

		rx += peek(&q->rx_pkts);
		tx += peek(&q->tx_pkts);
		for (int v = 1; v < BS_PKT_VERDICT_COUNT; v++)
			drops[v] += peek(&q->drops[v]);
	}
	snprintf(name, sizeof(name), "dpdk_%s_rx_pkts", kif);
	fn(arg, name, rx);
	snprintf(name, sizeof(name), "dpdk_%s_tx_pkts", kif);
	fn(arg, name, tx);
	for (int v = 1; v < BS_PKT_VERDICT_COUNT; v++) {
		snprintf(name, sizeof(name), "dpdk_%s_rx_drop_%s", kif,
			 bs_pkt_verdict_name((enum bs_pkt_verdict)v));
		fn(arg, name, drops[v]);
	}
	dp_port_eth_stats(&d->ports[pi], fn, arg);
}

/*
 * Worker 0's view reports the whole backend: the dpdk_* counters summed
 * over the workers (a sample may be a burst old), every port, the socket
 * backend. Another worker's view reports its own dpdk_* counters.
 */
static void dp_stats_foreach(const struct bs_io *io, bs_stat_fn fn, void *arg)
{
	const struct dp_worker *w = (const struct dp_worker *)io;
	const struct dpdk_io *d = w->d;

	bs_l2_stats_sum(w->st, sizeof(*w), w->id == 0 ? d->nq : 1, ds_names, DS_COUNT, fn, arg);
	if (w->id != 0)
		return;
	for (unsigned i = 0; i < d->nports; i++)
		port_stats(d, i, fn, arg);
	d->sock->ops->stats_foreach(d->sock, fn, arg);
}

static unsigned dp_workers(struct bs_io *io)
{
	return to_w(io)->d->nq;
}

static struct bs_io *dp_worker_io(struct bs_io *io, unsigned k)
{
	struct dpdk_io *d = to_w(io)->d;

	return k < d->nq ? &d->w[k].io : NULL;
}

static void dp_free(struct dpdk_io *d)
{
	for (unsigned k = 0; d->w && k < d->nq; k++) {
		struct dp_worker *w = &d->w[k];

		drop_pending(w);
		for (unsigned i = 0; i < d->nports; i++) {
			rte_pktmbuf_free_bulk(w->q[i].held, w->q[i].nheld);
			if (w->q[i].txq)
				rte_pktmbuf_free_bulk(w->q[i].txq, w->q[i].ntx);
			free(w->q[i].txq);
		}
		if (k)
			bs_iftable_free(w->ift);
		free(w->neigh);
		free(w->k.kbuf);
	}
	free(d->w);
	dp_eal_stop(d);
	if (d->sock)
		d->sock->ops->close(d->sock);
	bs_iftable_free(d->ift);
	free(d);
}

static void dp_close(struct bs_io *io)
{
	dp_free(to_w(io)->d);
}

static int worker_init(struct dpdk_io *d, unsigned k, uint32_t mtu)
{
	struct dp_worker *w = &d->w[k];

	w->d = d;
	w->id = k;
	w->cur = -1;
	w->io.ops = &bs_io_dpdk_ops;
	w->io.tx = &w->tx;
	w->io.tftp_port_lo = d->sock->tftp_port_lo;
	w->io.tftp_port_hi = d->sock->tftp_port_hi;
	w->io.min_mtu = mtu;
	w->tx.alloc = dp_tx_alloc;
	w->tx.commit = dp_tx_commit;
	w->ift = k ? bs_iftable_new(&d->cfg) : d->ift;
	w->neigh = bs_neigh_new();
	w->k.sock = d->sock;
	w->k.worker = k;
	w->k.kbuf = k ? malloc(DP_MBUF_DATA) : NULL;
	w->k.kbuf_len = DP_MBUF_DATA;
	if (!w->ift || !w->neigh || (k && !w->k.kbuf))
		return -ENOMEM;
	for (unsigned i = 0; i < d->nports; i++)
		if (!(w->q[i].txq = calloc(DP_TXQ_MAX, sizeof(*w->q[i].txq))))
			return -ENOMEM;
	twins_sync(w);
	return 0;
}

/* Smallest MTU of the served interfaces and ports; a TFTP block must fit
   one mbuf. */
static uint32_t min_mtu(const struct dpdk_io *d)
{
	uint32_t mtu = d->sock->min_mtu;

	for (unsigned i = 0; i < d->nports; i++) {
		uint16_t pm;

		if (rte_eth_dev_get_mtu(d->ports[i].port, &pm) == 0 && pm && (!mtu || pm < mtu))
			mtu = pm;
	}
	return !mtu || mtu > DP_MBUF_DATA - BS_ETH_HLEN ? DP_MBUF_DATA - BS_ETH_HLEN : mtu;
}

static int dp_open(const struct bs_io_config *cfg, struct bs_io **out)
{
	struct dpdk_io *d;
	uint32_t mtu;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->ift = bs_iftable_new(cfg);
	if (!d->ift) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = dp_eal_start(d)) < 0 || (err = dp_ports_open(d)) < 0)
		goto fail;
	/*
	 * The kernel sockets last (AF_XDP binds them first): once a port is
	 * bound, DPDK serves it, so "port 67 bound" means ready to whoever
	 * waits for it (tests, the bench), and the exception taps exist by
	 * now for the socket backend's interface selection.
	 */
	err = bs_io_sock_ops.open(cfg, &d->sock);
	if (err) {
		d->sock = NULL;
		goto fail;
	}
	d->nsockq = d->sock->ops->queues(d->sock, NULL, 0);
	bs_iftable_refresh(d->ift);
	mtu = min_mtu(d);
	d->w = calloc(d->nq, sizeof(*d->w));
	if (!d->w) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned k = 0; k < d->nq; k++)
		if ((err = worker_init(d, k, mtu)) < 0)
			goto fail;
	if (d->nq > 1)
		bs_logf(cfg->log, LOG_INFO, "dpdk: %u workers, one per queue", d->nq);
	*out = &d->w[0].io;
	return 0;

fail:
	dp_free(d);
	return err < 0 ? err : -EIO;
}

const struct bs_io_ops bs_io_dpdk_ops = {
    .name = "dpdk",
    .open = dp_open,
    .close = dp_close,
    .queues = dp_queues,
    .rx_burst = dp_rx_burst,
    .rx_release = dp_rx_release,
    .tx_flush = dp_tx_flush,
    .tx_discard = dp_tx_discard,
    .maintain = dp_maintain,
    .stats_foreach = dp_stats_foreach,
    .workers = dp_workers,
    .worker_io = dp_worker_io,
    .learn = dp_learn,
};
