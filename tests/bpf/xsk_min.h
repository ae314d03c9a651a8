/* SPDX-License-Identifier: MIT */
/*
 * A minimal AF_XDP socket for the BPF tests, over the raw kernel API (no
 * libxdp): UMEM, fill ring filled once, RX ring, copy mode. Enough to
 * register in the XSKMAP and to see which frames the classifier redirected.
 * Not the AF_XDP backend: no TX, no refill, no wakeups.
 */
#ifndef BS_TEST_XSK_MIN_H
#define BS_TEST_XSK_MIN_H

#include <stddef.h>
#include <stdint.h>

#define XSK_MIN_FRAMES	   64
#define XSK_MIN_FRAME_SIZE 4096

struct xsk_min {
	int fd;
	uint8_t *umem;
	void *fill_map, *rx_map;
	size_t fill_map_len, rx_map_len;
	uint32_t *rx_prod, *rx_cons;
	void *rx_descs; /* struct xdp_desc[XSK_MIN_FRAMES] */
};

/* Bind to queue of ifindex in copy mode. 0 or a negative errno. */
int xsk_min_open(struct xsk_min *x, int ifindex, uint32_t queue);

/* Next received frame (pointer into the UMEM) or NULL; *len set. */
const uint8_t *xsk_min_rx(struct xsk_min *x, uint32_t *len);

void xsk_min_close(struct xsk_min *x);

#endif
