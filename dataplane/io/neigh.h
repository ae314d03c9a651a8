/* SPDX-License-Identifier: MIT */
/*
 * The neighbour table of the frame backends (AF_XDP, DPDK): who sent us
 * a frame from which IPv4 address, MAC and port. A routed reply (TFTP
 * data, a renewal's ACK) goes back to the MAC its request came from
 * without asking the kernel to ARP. One table per worker, no locking;
 * open addressing (8-way probing), entries live 120 s, the oldest of a
 * full probe window is replaced.
 */
#ifndef BS_IO_NEIGH_H
#define BS_IO_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "iftable.h"

#define BS_NEIGH_SIZE	4096u /* power of two */
#define BS_NEIGH_PROBE	8
#define BS_NEIGH_TTL_MS (120u * 1000)

struct bs_neigh {
	uint32_t ip; /* 0: empty */
	uint32_t ifindex;
	uint8_t mac[6];
	void *via; /* the backend's queue/port it was heard on */
	uint64_t seen_ms;
};

/* BS_NEIGH_SIZE zeroed entries, or NULL. Free with free(). */
struct bs_neigh *bs_neigh_new(void);

/*
 * Learn ip -> (mac, via) if the sender is on e's subnet with a unicast
 * MAC (a relay's clients are reached through the relay, broadcasts name
 * nobody). Returns true when ip was not in the table before.
 */
bool bs_neigh_maybe_learn(struct bs_neigh *t, void *via, const struct bs_iface *e, uint32_t ip,
			  const uint8_t *mac, uint64_t now_ms);

/* The live entry for ip, or NULL (never heard from, or expired). */
const struct bs_neigh *bs_neigh_find(const struct bs_neigh *t, uint32_t ip, uint64_t now_ms);

#endif
