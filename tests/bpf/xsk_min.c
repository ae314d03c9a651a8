/* SPDX-License-Identifier: MIT */
#include "xsk_min.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

int xsk_min_open(struct xsk_min *x, int ifindex, uint32_t queue)
{
	size_t umem_len = (size_t)XSK_MIN_FRAMES * XSK_MIN_FRAME_SIZE;
	int ring = XSK_MIN_FRAMES, err;
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	struct sockaddr_xdp sxdp;
	struct xdp_umem_reg mr;
	uint32_t *fill_prod;
	uint64_t *fill_addrs;

	memset(x, 0, sizeof(*x));
	x->fd = socket(AF_XDP, SOCK_RAW, 0);
	if (x->fd < 0)
		return -errno;
	x->umem = mmap(NULL, umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		goto fail;
	}
	memset(&mr, 0, sizeof(mr));
	mr.addr = (uintptr_t)x->umem;
	mr.len = umem_len;
	mr.chunk_size = XSK_MIN_FRAME_SIZE;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) ||
	    getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen))
		goto fail;

	x->fill_map_len = off.fr.desc + XSK_MIN_FRAMES * sizeof(uint64_t);
	x->fill_map = mmap(NULL, x->fill_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			   x->fd, XDP_UMEM_PGOFF_FILL_RING);
	if (x->fill_map == MAP_FAILED) {
		x->fill_map = NULL;
		goto fail;
	}
	x->rx_map_len = off.rx.desc + XSK_MIN_FRAMES * sizeof(struct xdp_desc);
	x->rx_map = mmap(NULL, x->rx_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 x->fd, XDP_PGOFF_RX_RING);
	if (x->rx_map == MAP_FAILED) {
		x->rx_map = NULL;
		goto fail;
	}
	x->rx_prod = (uint32_t *)((uint8_t *)x->rx_map + off.rx.producer);
	x->rx_cons = (uint32_t *)((uint8_t *)x->rx_map + off.rx.consumer);
	x->rx_descs = (uint8_t *)x->rx_map + off.rx.desc;

	/* Hand every frame to the kernel once. */
	fill_prod = (uint32_t *)((uint8_t *)x->fill_map + off.fr.producer);
	fill_addrs = (uint64_t *)((uint8_t *)x->fill_map + off.fr.desc);
	for (uint32_t i = 0; i < XSK_MIN_FRAMES; i++)
		fill_addrs[i] = (uint64_t)i * XSK_MIN_FRAME_SIZE;
	__atomic_store_n(fill_prod, XSK_MIN_FRAMES, __ATOMIC_RELEASE);

	memset(&sxdp, 0, sizeof(sxdp));
	sxdp.sxdp_family = AF_XDP;
	sxdp.sxdp_ifindex = (uint32_t)ifindex;
	sxdp.sxdp_queue_id = queue;
	sxdp.sxdp_flags = XDP_COPY;
	if (bind(x->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)))
		goto fail;
	return 0;

fail:
	err = -errno;
	xsk_min_close(x);
	return err;
}

const uint8_t *xsk_min_rx(struct xsk_min *x, uint32_t *len)
{
	uint32_t prod = __atomic_load_n(x->rx_prod, __ATOMIC_ACQUIRE);
	uint32_t cons = *x->rx_cons;
	struct xdp_desc *d;

	if (prod == cons)
		return NULL;
	d = (struct xdp_desc *)x->rx_descs + (cons & (XSK_MIN_FRAMES - 1));
	*len = d->len;
	__atomic_store_n(x->rx_cons, cons + 1, __ATOMIC_RELEASE);
	/* the frame is not given back to the fill ring: fine for a few frames */
	return x->umem + d->addr;
}

void xsk_min_close(struct xsk_min *x)
{
	if (x->rx_map)
		munmap(x->rx_map, x->rx_map_len);
	if (x->fill_map)
		munmap(x->fill_map, x->fill_map_len);
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, (size_t)XSK_MIN_FRAMES * XSK_MIN_FRAME_SIZE);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}
