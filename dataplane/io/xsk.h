/* SPDX-License-Identifier: MIT */
/*
 * One AF_XDP socket with its own UMEM: the mechanics (registration, the
 * four mmapped rings, frame bookkeeping, kicks), raw syscalls, no libxdp.
 * Knows nothing of interfaces, routing or protocols: the AF_XDP backend
 * (afxdp.c) decides what goes where.
 *
 *   UMEM  2 * ring chunks of XSK_FRAME bytes, private to the socket:
 *         chunks [0, ring) circulate fill -> rx -> caller -> fill,
 *         chunks [ring, 2 * ring) are TX frames:
 *         free list -> take -> queue -> tx ring -> completion -> free list.
 *   fill / rx / tx / completion rings of `ring` entries each.
 *
 * A socket has exactly one user thread: every field below is that
 * thread's (the counters are read by others for stats only).
 */
#ifndef BS_IO_XSK_H
#define BS_IO_XSK_H

#include <linux/if_xdp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "pkt/pkt.h"

#define XSK_FRAME	4096u /* a page: any frame up to MTU ~3800 fits (copy mode adds 256) */
#define XSK_BURST	64u
#define XSK_PAYLOAD_MAX (XSK_FRAME - BS_PKT_UDP_HEADROOM)

/* Per socket counters. */
enum xq_stat {
	XQ_RX_PKTS,
	XQ_RX_BYTES,
	XQ_RX_VLAN, /* tagged: the classifier is told to pass those */
	XQ_RX_FILTERED,
	XQ_TX_PKTS,
	XQ_TX_BYTES,
	XQ_TX_NO_FRAME,
	XQ_TX_RING_FULL,
	XQ_TX_KICKS,
	XQ_TX_KICK_ERRORS,
	XQ_TX_STALLED, /* kicked, the kernel took nothing: left on the ring */
	XQ_TX_COMPLETED,
	XQ_FILL_WAKEUPS,
	XQ_COUNT
};

/* One mmapped ring. Producer rings (fill, tx): we own *prod; consumer
   rings (rx, completion): we own *cons. */
struct xsk_ring {
	uint32_t *prod, *cons, *flags;
	void *descs;
	void *map;
	size_t map_len;
};

struct xsk {
	int fd;
	uint32_t ifindex, queue;
	char ifname[BS_IO_IFNAMSIZ];
	uint8_t *umem;
	struct xsk_ring fq, cq, rx, tx;
	bool zerocopy, need_wakeup, dead;
	uint32_t ring; /* entries per ring; power of two */
	size_t umem_len;

	uint64_t *tx_free; /* ring entries */
	uint32_t ntx_free;
	struct xdp_desc *pend; /* ring entries: queued, not flushed */
	uint32_t npend;
	uint64_t held[XSK_BURST]; /* rx frames of the current burst */
	uint32_t nheld;

	uint64_t st[XQ_COUNT];
	uint64_t drops[BS_PKT_VERDICT_COUNT];
};

/*
 * A socket on (ifindex, queue) with its own UMEM, every RX chunk on the
 * fill ring. bind_flags: XDP_COPY or XDP_ZEROCOPY (XDP_USE_NEED_WAKEUP is
 * added). 0 and *out, or -errno.
 */
int xsk_open(uint32_t ifindex, const char *ifname, uint32_t queue, uint16_t bind_flags,
	     uint32_t ring, struct xsk **out);
void xsk_close(struct xsk *x);

/*
 * RX: up to max descriptors waiting on the rx ring (max <= XSK_BURST and
 * nothing held from an earlier burst). The caller reads them with
 * xsk_rx_desc(x, i), holds each frame with xsk_rx_hold(), then consumes
 * them all with xsk_rx_consume(x, n).
 */
uint32_t xsk_rx_peek(struct xsk *x, uint32_t max);
const struct xdp_desc *xsk_rx_desc(const struct xsk *x, uint32_t i);
void xsk_rx_hold(struct xsk *x, uint64_t addr);
void xsk_rx_consume(struct xsk *x, uint32_t n);
/* The held frames back to the fill ring; wakes the kernel if it asks. */
void xsk_rx_release(struct xsk *x);

/* TX: a free frame (its address in the UMEM); false, counted, when none. */
bool xsk_take_frame(struct xsk *x, uint64_t *addr);
void xsk_put_frame(struct xsk *x, uint64_t addr);
/* Queue a built frame of len bytes for the next flush (false: no room,
   counted, the frame is back on the free list). */
bool xsk_queue(struct xsk *x, uint64_t addr, uint32_t len);
/* Drop what is queued; returns how many. */
uint32_t xsk_discard(struct xsk *x);
/*
 * Queued frames onto the tx ring, kick the kernel, reap completions.
 * Returns how many went on the ring. *kick_errno: 0, or the errno of a
 * failed kick (x->dead is set when the device is gone).
 */
unsigned xsk_flush(struct xsk *x, int *kick_errno);

/* rx/tx counters, drops by verdict, ring levels, the kernel's
   XDP_STATISTICS (as k_*), unprefixed. */
void xsk_stats(const struct xsk *x, bs_stat_fn fn, void *arg);

#endif
