/* SPDX-License-Identifier: MIT */
/*
 * What the frame backends (AF_XDP: afxdp.c, DPDK: dpdk.c) do alike, apart
 * from where their frames live (UMEM chunk, mbuf): a parsed frame into a
 * bs_rx_pkt, the L2 destination of a reply, its headers, the way through
 * the socket backend inside them, the counter walk over their workers.
 * Static inline: most of it runs per packet, and the backends' own parts
 * (which queue, which buffer) stay in the caller, not behind callbacks.
 */
#ifndef BS_IO_L2_H
#define BS_IO_L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "iftable.h"
#include "io.h"
#include "neigh.h"
#include "pkt/pkt.h"

/* Frame u, received on interface e, as the worker sees it. */
static inline void bs_l2_rx_pkt(struct bs_rx_pkt *r, const struct bs_iface *e,
				const struct bs_pkt_udp *u)
{
	memset(&r->meta, 0, sizeof(r->meta));
	r->meta.ifindex = e->ifindex;
	r->meta.src_ip = u->src_ip;
	r->meta.dst_ip = u->dst_ip;
	r->meta.src_port = u->src_port;
	r->meta.dst_port = u->dst_port;
	memcpy(r->meta.src_mac, u->src_mac, 6);
	r->meta.if_addr = e->addr;
	r->meta.if_mask = e->mask;
	r->meta.ifname = e->name;
	r->data = u->payload;
	r->len = u->payload_len;
}

/* Learn the sender (neigh.h); counts a new entry in *learned. */
static inline void bs_l2_learn(struct bs_neigh *t, void *via, const struct bs_iface *e, uint32_t ip,
			       const uint8_t *mac, uint64_t now_ms, uint64_t *learned)
{
	if (bs_neigh_maybe_learn(t, via, e, ip, mac, now_ms))
		(*learned)++;
}

/*
 * Is buf (len bytes) what alloc() handed out last and nobody committed:
 * the frame's payload (frame_payload, NULL: no frame) or the staging
 * buffer pend_buf, at most pend_max bytes?
 */
static inline bool bs_l2_pending_ok(const uint8_t *frame_payload, const uint8_t *pend_buf,
				    size_t pend_max, const uint8_t *buf, size_t len)
{
	return (frame_payload || pend_buf) && len <= pend_max &&
	       (!frame_payload || buf == frame_payload) && (!pend_buf || buf == pend_buf);
}

/* Where a reply goes on the wire. */
struct bs_l2_dst {
	uint32_t ifindex;
	uint8_t mac[6];
	void *via; /* routed: the neighbour's queue/port (neigh.h), else NULL */
};

/*
 * The L2 destination of a datagram of len bytes; false: the kernel's to
 * carry (a bad address, too big for one frame (payload_max), a routed
 * destination never heard from or heard on another interface: counted in
 * *neigh_miss; a hit in *neigh_hits).
 */
static inline bool bs_l2_dst(struct bs_l2_dst *d, const struct bs_tx_addr *to, size_t len,
			     size_t payload_max, const struct bs_neigh *neigh, uint64_t now_ms,
			     uint64_t *neigh_miss, uint64_t *neigh_hits)
{
	/* Bad addresses are the socket backend's to count. */
	if (to->l2 > BS_TX_L2_UNICAST || to->dst_ip == 0 || to->dst_port == 0 || len > payload_max)
		return false;
	d->ifindex = to->ifindex;
	d->via = NULL;
	if (to->l2 == BS_TX_ROUTED) {
		const struct bs_neigh *n = bs_neigh_find(neigh, to->dst_ip, now_ms);

		if (!n || (d->ifindex && d->ifindex != n->ifindex)) {
			(*neigh_miss)++;
			return false;
		}
		(*neigh_hits)++;
		d->ifindex = n->ifindex;
		d->via = n->via;
		memcpy(d->mac, n->mac, 6);
	} else if (to->l2 == BS_TX_L2_UNICAST) {
		memcpy(d->mac, to->dst_mac, 6);
	} else {
		memset(d->mac, 0xff, 6);
	}
	return true;
}

/* Ethernet + IPv4 + UDP in front of the len bytes of payload at
   frame + BS_PKT_UDP_HEADROOM, from src_mac on e; the frame's length or 0. */
static inline size_t bs_l2_build(uint8_t *frame, const uint8_t *src_mac, const struct bs_l2_dst *d,
				 const struct bs_iface *e, const struct bs_tx_addr *to,
				 uint16_t ip_id, size_t len)
{
	struct bs_pkt_hdr h = {0};

	memcpy(h.src_mac, src_mac, 6);
	memcpy(h.dst_mac, d->mac, 6);
	h.src_ip = to->src_ip ? to->src_ip : e->addr;
	h.dst_ip = to->dst_ip;
	h.src_port = to->src_port;
	h.dst_port = to->dst_port;
	h.ip_id = ip_id;
	return bs_pkt_build_udp(frame, &h, len);
}

/*
 * The way through the kernel: the socket backend inside a frame backend,
 * and what a worker stages for it.
 */
struct bs_l2_kernel {
	struct bs_io *sock; /* the socket backend; only worker 0 touches its queues */
	unsigned worker;    /* this worker's id */
	uint8_t *kbuf;	    /* workers >= 1: one datagram of kbuf_len bytes */
	size_t kbuf_len;
};

/* Staging for a datagram of max bytes the kernel may carry: worker 0 the
   socket backend's (flushed with the burst), the others kbuf. */
static inline uint8_t *bs_l2_stage(const struct bs_l2_kernel *k, size_t max)
{
	if (k->worker)
		return max <= k->kbuf_len ? k->kbuf : NULL;
	return bs_tx_alloc(k->sock->tx, max);
}

enum bs_l2_kernel_result {
	BS_L2_KERNEL_OK,
	BS_L2_KERNEL_ERROR,	/* workers >= 1: the direct send failed */
	BS_L2_KERNEL_NO_BUFFER, /* worker 0: no staging left */
};

/*
 * Hand a committed datagram to the kernel. Worker 0: the socket backend's
 * staging, flushed with the burst (copied there unless staged, i.e. buf
 * came from bs_l2_stage()). Workers >= 1: sent now through the socket
 * backend's socket for the source port (only TFTP runs there: routed
 * replies, the slow path of a neighbour not heard from).
 */
static inline enum bs_l2_kernel_result bs_l2_to_kernel(const struct bs_l2_kernel *k, uint8_t *buf,
						       size_t len, bool staged,
						       const struct bs_tx_addr *to)
{
	uint8_t *b = buf;

	if (k->worker)
		return bs_io_sock_send_routed(k->sock, buf, len, to) == 0 ? BS_L2_KERNEL_OK
									  : BS_L2_KERNEL_ERROR;
	if (!staged) {
		b = bs_tx_alloc(k->sock->tx, len);
		if (!b)
			return BS_L2_KERNEL_NO_BUFFER;
		memcpy(b, buf, len);
	}
	bs_tx_commit(k->sock->tx, b, len, to);
	return BS_L2_KERNEL_OK;
}

/*
 * The socket backend's queues after a worker's own first ones: listed into
 * out (at most max), renumbered from first on. Their count.
 */
static inline size_t bs_l2_sock_queues(struct bs_io *sock, struct bs_io_queue *out, size_t max,
				       uint32_t first)
{
	size_t n = sock->ops->queues(sock, out, max);

	for (size_t i = 0; i < n; i++)
		out[i].queue += first;
	return n;
}

/*
 * A backend's counters (names[0 .. count-1]), of one worker (st) or, with
 * nw > 1, summed over nw workers whose st arrays lie stride bytes apart
 * from st on (read while they run: single-writer 64-bit counters, a sample
 * may be a burst old).
 */
static inline void bs_l2_stats_sum(const uint64_t *st, size_t stride, unsigned nw,
				   const char *const *names, unsigned count, bs_stat_fn fn,
				   void *arg)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t v = st[i];

		for (unsigned k = 1; k < nw; k++) {
			const uint64_t *o = (const uint64_t *)((const uint8_t *)st + k * stride);

			v += __atomic_load_n(&o[i], __ATOMIC_RELAXED);
		}
		fn(arg, names[i], v);
	}
}

#endif
