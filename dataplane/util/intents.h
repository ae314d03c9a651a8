/* SPDX-License-Identifier: MIT */
/*
 * Lease intents: the lease changes the dataplane made, on their way to the
 * journal that the control process owns, and the answer coming back.
 *
 * One single-producer / single-consumer ring of whole lease records in a
 * shared mapping (MAP_SHARED | MAP_ANONYMOUS: it survives fork(), so the
 * control process and every dataplane it forks see the same pages), plus
 * two eventfds, one per direction. Every record gets a sequence number
 * (1, 2, ...). The producer (the dataplane's DHCP worker) pushes a burst's
 * changes and then waits until durable_seq covers the last of them; the
 * consumer (control) takes records, appends them to the journal, syncs
 * once for all it took (group commit) and publishes durable_seq. The
 * records hold no pointers.
 *
 * Nothing here trusts the other side beyond the ring indexes, which are
 * clamped: a dataplane that scribbles over the ring can make control
 * journal nonsense leases, never read outside the mapping.
 */
#ifndef BS_UTIL_INTENTS_H
#define BS_UTIL_INTENTS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/lease.h"

struct bs_intent_shm;

struct bs_intents {
	struct bs_intent_shm *shm;
	size_t map_len;
	uint32_t cap;
	int to_ctl; /* eventfd: records pushed (control polls it) */
	int to_dp;  /* eventfd: durable_seq or failed_seq moved */
};

/* cap records (rounded up to a power of two). 0 or -errno. */
int bs_intents_new(uint32_t cap, struct bs_intents *r);
void bs_intents_free(struct bs_intents *r);

/* ---- producer (the dataplane) ---- */

/* Free record slots now. */
uint32_t bs_intents_space(const struct bs_intents *r);

/*
 * Append n records (n <= space) and wake the consumer. Returns the
 * sequence number of the last one (the current one when n is 0).
 */
uint64_t bs_intents_push(struct bs_intents *r, const struct lease *l, size_t n);

/*
 * Wait until the record with sequence seq is durable. 0; -EIO when the
 * consumer reported that it could not make it durable; -ETIMEDOUT after
 * timeout_ms.
 */
int bs_intents_wait(struct bs_intents *r, uint64_t seq, int timeout_ms);

/* Sequence number of the last record pushed. */
uint64_t bs_intents_head(const struct bs_intents *r);

/* ---- consumer (the control process) ---- */

/*
 * Copy up to max pushed records to out, oldest first, without removing
 * them; *last is the sequence number of the last one copied.
 */
size_t bs_intents_peek(const struct bs_intents *r, struct lease *out, size_t max, uint64_t *last);

/*
 * Records up to last were handled: free their slots and publish the
 * outcome (ok: durable_seq = last, else failed_seq = last), waking the
 * producer.
 */
void bs_intents_done(struct bs_intents *r, uint64_t last, int ok);

/* Read (and clear) the consumer's wake-up eventfd. */
void bs_intents_ack_wakeup(struct bs_intents *r);

uint64_t bs_intents_durable(const struct bs_intents *r);

#endif
