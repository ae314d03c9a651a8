/* SPDX-License-Identifier: MIT */
/*
 * A worker's inbox from one other worker: a bounded single-producer /
 * single-consumer ring of copied datagrams. A frame that arrives on a
 * worker that does not own its state (DHCP anywhere but worker 0; an ACK
 * for a transfer port another worker owns) is copied in here; the owner
 * drains it. No lock: the producer alone writes head, the consumer alone
 * writes tail (release/acquire pairs publish the slots).
 */
#ifndef BS_HANDOFF_H
#define BS_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "io/io.h"

#define BS_HANDOFF_SLOTS 256u  /* power of two */
#define BS_HANDOFF_MAX	 1500u /* payload bytes: a DHCP message on a 1500-byte link */

struct bs_handoff_slot {
	struct bs_rx_pkt pkt; /* pkt.data -> data, pkt.meta.ifname -> ifname */
	char ifname[BS_IO_IFNAMSIZ];
	uint8_t data[BS_HANDOFF_MAX];
};

struct bs_handoff {
	uint32_t head __attribute__((aligned(64))); /* the producer's */
	uint32_t tail __attribute__((aligned(64))); /* the consumer's */
	struct bs_handoff_slot slots[BS_HANDOFF_SLOTS] __attribute__((aligned(64)));
};

/* NULL + errno. */
struct bs_handoff *bs_handoff_new(void);
void bs_handoff_free(struct bs_handoff *h);

enum bs_handoff_result { BS_HANDOFF_OK, BS_HANDOFF_FULL, BS_HANDOFF_TOO_BIG };

/* Producer: copy p in. */
enum bs_handoff_result bs_handoff_push(struct bs_handoff *h, const struct bs_rx_pkt *p);

/* Consumer: how many are waiting (at most max); slot i of them; then
   release the first n once their replies are flushed. */
uint32_t bs_handoff_peek(const struct bs_handoff *h, uint32_t max);
const struct bs_rx_pkt *bs_handoff_at(const struct bs_handoff *h, uint32_t i);
void bs_handoff_pop(struct bs_handoff *h, uint32_t n);

#endif
