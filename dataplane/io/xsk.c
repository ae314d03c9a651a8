/* SPDX-License-Identifier: MIT */
/*
 * One AF_XDP socket: UMEM registration, four setsockopts for the ring
 * sizes, four mmaps, bind (as tests/bpf/xsk_min.c does, plus TX and
 * completion), and the ring accessors. See xsk.h for the frame cycles.
 */
#include "xsk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

static const char *const xq_names[XQ_COUNT] = {
    [XQ_RX_PKTS] = "rx_pkts",	      [XQ_RX_BYTES] = "rx_bytes",
    [XQ_RX_VLAN] = "rx_drop_vlan",    [XQ_RX_FILTERED] = "rx_drop_filtered",
    [XQ_TX_PKTS] = "tx_pkts",	      [XQ_TX_BYTES] = "tx_bytes",
    [XQ_TX_NO_FRAME] = "tx_no_frame", [XQ_TX_RING_FULL] = "tx_ring_full",
    [XQ_TX_KICKS] = "tx_kicks",	      [XQ_TX_KICK_ERRORS] = "tx_kick_errors",
    [XQ_TX_STALLED] = "tx_stalled",   [XQ_TX_COMPLETED] = "cq_completed",
    [XQ_FILL_WAKEUPS] = "fq_wakeups",
};

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint64_t *fq_slot(struct xsk *x, uint32_t i)
{
	return (uint64_t *)x->fq.descs + (i & (x->ring - 1));
}

static void fq_put(struct xsk *x, const uint64_t *addrs, uint32_t n)
{
	uint32_t prod = *x->fq.prod;

	/* The fill ring has room for every RX chunk: never full. */
	for (uint32_t i = 0; i < n; i++)
		*fq_slot(x, prod + i) = addrs[i];
	store_rel(x->fq.prod, prod + n);
}

/* Completed TX frames back to the free list. */
static void cq_reap(struct xsk *x)
{
	uint32_t cons = *x->cq.cons, prod = load_acq(x->cq.prod);
	const uint64_t *d = x->cq.descs;

	if (cons == prod)
		return;
	for (; cons != prod; cons++)
		if (x->ntx_free < x->ring)
			x->tx_free[x->ntx_free++] =
			    d[cons & (x->ring - 1)] & ~(uint64_t)(XSK_FRAME - 1);
	x->st[XQ_TX_COMPLETED] += prod - *x->cq.cons;
	store_rel(x->cq.cons, prod);
}

static int ring_map(struct xsk *x, struct xsk_ring *r, const struct xdp_ring_offset *o,
		    size_t desc_size, off_t pgoff)
{
	r->map_len = o->desc + x->ring * desc_size;
	r->map =
	    mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	r->prod = (uint32_t *)((uint8_t *)r->map + o->producer);
	r->cons = (uint32_t *)((uint8_t *)r->map + o->consumer);
	r->flags = (uint32_t *)((uint8_t *)r->map + o->flags);
	r->descs = (uint8_t *)r->map + o->desc;
	return 0;
}

void xsk_close(struct xsk *x)
{
	if (!x)
		return;
	struct xsk_ring *rings[] = {&x->fq, &x->cq, &x->rx, &x->tx};

	for (size_t i = 0; i < 4; i++)
		if (rings[i]->map)
			munmap(rings[i]->map, rings[i]->map_len);
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, x->umem_len);
	free(x->tx_free);
	free(x->pend);
	free(x);
}

int xsk_open(uint32_t ifindex, const char *ifname, uint32_t queue, uint16_t bind_flags,
	     uint32_t ring, struct xsk **out)
{
	struct xdp_umem_reg mr = {.len = (uint64_t)2 * ring * XSK_FRAME, .chunk_size = XSK_FRAME};
	struct sockaddr_xdp sxdp = {.sxdp_family = AF_XDP,
				    .sxdp_ifindex = ifindex,
				    .sxdp_queue_id = queue,
				    .sxdp_flags = bind_flags};
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	int err;
	struct xsk *x;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = -1;
	x->ifindex = ifindex;
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->queue = queue;
	x->ring = ring;
	x->umem_len = (size_t)mr.len;
	x->tx_free = calloc(ring, sizeof(*x->tx_free));
	x->pend = calloc(ring, sizeof(*x->pend));
	if (!x->tx_free || !x->pend) {
		errno = ENOMEM;
		goto fail;
	}
	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		goto fail;
	x->umem = mmap(NULL, mr.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		goto fail;
	}
	mr.addr = (uintptr_t)x->umem;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &ring, sizeof(ring)) ||
	    getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen))
		goto fail;
	if ((err = ring_map(x, &x->fq, &off.fr, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING)) ||
	    (err =
		 ring_map(x, &x->cq, &off.cr, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING)) ||
	    (err = ring_map(x, &x->rx, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING)) ||
	    (err = ring_map(x, &x->tx, &off.tx, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING))) {
		errno = -err;
		goto fail;
	}
	for (uint32_t i = 0; i < ring; i++)
		*fq_slot(x, i) = (uint64_t)i * XSK_FRAME;
	store_rel(x->fq.prod, ring);
	for (uint32_t i = ring; i < 2 * ring; i++)
		x->tx_free[x->ntx_free++] = (uint64_t)i * XSK_FRAME;
	sxdp.sxdp_flags |= XDP_USE_NEED_WAKEUP;
	if (bind(x->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)))
		goto fail;
	x->zerocopy = (bind_flags & XDP_ZEROCOPY) != 0;
	x->need_wakeup = true;
	*out = x;
	return 0;

fail:
	err = -errno;
	xsk_close(x);
	return err ? err : -EIO;
}

/* ---- rx ---- */

uint32_t xsk_rx_peek(struct xsk *x, uint32_t max)
{
	uint32_t avail = load_acq(x->rx.prod) - *x->rx.cons;

	if (max > XSK_BURST - x->nheld)
		max = XSK_BURST - x->nheld;
	return avail < max ? avail : max;
}

const struct xdp_desc *xsk_rx_desc(const struct xsk *x, uint32_t i)
{
	const struct xdp_desc *descs = x->rx.descs;

	return &descs[(*x->rx.cons + i) & (x->ring - 1)];
}

void xsk_rx_hold(struct xsk *x, uint64_t addr)
{
	x->held[x->nheld++] = addr & ~(uint64_t)(XSK_FRAME - 1);
}

void xsk_rx_consume(struct xsk *x, uint32_t n)
{
	store_rel(x->rx.cons, *x->rx.cons + n);
}

void xsk_rx_release(struct xsk *x)
{
	if (!x->nheld)
		return;
	fq_put(x, x->held, x->nheld);
	x->nheld = 0;
	if (x->need_wakeup && (load_acq(x->fq.flags) & XDP_RING_NEED_WAKEUP)) {
		x->st[XQ_FILL_WAKEUPS]++;
		(void)recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

/* ---- tx ---- */

bool xsk_take_frame(struct xsk *x, uint64_t *addr)
{
	if (!x->ntx_free)
		cq_reap(x);
	if (!x->ntx_free) {
		x->st[XQ_TX_NO_FRAME]++;
		return false;
	}
	*addr = x->tx_free[--x->ntx_free];
	return true;
}

void xsk_put_frame(struct xsk *x, uint64_t addr)
{
	x->tx_free[x->ntx_free++] = addr;
}

bool xsk_queue(struct xsk *x, uint64_t addr, uint32_t len)
{
	if (x->npend >= x->ring) {
		x->st[XQ_TX_RING_FULL]++;
		xsk_put_frame(x, addr);
		return false;
	}
	x->pend[x->npend].addr = addr;
	x->pend[x->npend].len = len;
	x->pend[x->npend].options = 0;
	x->npend++;
	return true;
}

uint32_t xsk_discard(struct xsk *x)
{
	uint32_t n = x->npend;

	for (uint32_t k = 0; k < x->npend; k++)
		xsk_put_frame(x, x->pend[k].addr);
	x->npend = 0;
	return n;
}

unsigned xsk_flush(struct xsk *x, int *kick_errno)
{
	struct xdp_desc *ring = x->tx.descs;
	uint32_t prod = *x->tx.prod, room, n;

	*kick_errno = 0;
	cq_reap(x);
	if (!x->npend && load_acq(x->tx.cons) == prod)
		return 0;
	room = x->ring - (prod - load_acq(x->tx.cons));
	n = x->npend < room ? x->npend : room;
	for (uint32_t i = 0; i < n; i++) {
		ring[(prod + i) & (x->ring - 1)] = x->pend[i];
		x->st[XQ_TX_BYTES] += x->pend[i].len;
	}
	for (uint32_t i = n; i < x->npend; i++) {
		x->st[XQ_TX_RING_FULL]++;
		xsk_put_frame(x, x->pend[i].addr);
	}
	x->npend = 0;
	prod += n;
	store_rel(x->tx.prod, prod);
	x->st[XQ_TX_PKTS] += n;

	/* Copy mode sends at most 32 frames per sendto(): loop while it
	   makes progress. Zero-copy: one kick, the driver does the rest. */
	for (int tries = 0; tries < 256; tries++) {
		uint32_t before = load_acq(x->tx.cons);

		if (before == prod)
			break;
		if (x->need_wakeup && !(load_acq(x->tx.flags) & XDP_RING_NEED_WAKEUP))
			break;
		x->st[XQ_TX_KICKS]++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS && errno != EINTR) {
			x->st[XQ_TX_KICK_ERRORS]++;
			*kick_errno = errno;
			if (errno == ENXIO || errno == ENETDOWN || errno == ENODEV)
				x->dead = true;
			break;
		}
		if (x->zerocopy)
			break;
		if (load_acq(x->tx.cons) == before) {
			x->st[XQ_TX_STALLED]++;
			break;
		}
	}
	cq_reap(x);
	return n;
}

void xsk_stats(const struct xsk *x, bs_stat_fn fn, void *arg)
{
	struct xdp_statistics ks;
	socklen_t len = sizeof(ks);
	char name[96];

	for (int i = 0; i < XQ_COUNT; i++)
		fn(arg, xq_names[i], x->st[i]);
	for (int v = 1; v < BS_PKT_VERDICT_COUNT; v++) {
		snprintf(name, sizeof(name), "rx_drop_%s",
			 bs_pkt_verdict_name((enum bs_pkt_verdict)v));
		fn(arg, name, x->drops[v]);
	}
	fn(arg, "fq_level", *x->fq.prod - load_acq(x->fq.cons));
	fn(arg, "tx_free_frames", x->ntx_free);
	memset(&ks, 0, sizeof(ks));
	if (x->fd >= 0 && getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &ks, &len) == 0) {
		fn(arg, "k_rx_dropped", ks.rx_dropped);
		fn(arg, "k_rx_invalid_descs", ks.rx_invalid_descs);
		fn(arg, "k_tx_invalid_descs", ks.tx_invalid_descs);
		fn(arg, "k_rx_ring_full", ks.rx_ring_full);
		fn(arg, "k_fq_empty_descs", ks.rx_fill_ring_empty_descs);
		fn(arg, "k_tx_ring_empty_descs", ks.tx_ring_empty_descs);
	}
}
