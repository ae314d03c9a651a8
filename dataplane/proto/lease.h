/* SPDX-License-Identifier: MIT */
/*
 * The lease table: in memory, pure (no I/O). Every change is also appended
 * to a change log that the owner of the lease file drains after each batch
 * (control/leasefile.c), before the batch's replies are sent: a lease is on
 * disk before the ACK that promises it leaves the server.
 */
#ifndef BS_PROTO_LEASE_H
#define BS_PROTO_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum lease_state {
	LEASE_FREE = 0,
	LEASE_OFFERED,	/* held for a client between OFFER and REQUEST */
	LEASE_BOUND,	/* ACKed */
	LEASE_DECLINED, /* DECLINE: address in use by someone else; quarantined */
};

struct lease {
	uint32_t ip; /* host order */
	uint8_t mac[6];
	uint8_t state;	/* enum lease_state */
	time_t expires; /* wall clock; 0 = never (infinite lease) */
	char hostname[64];
};

struct lease_table;

/* max: dhcp-lease-max (bound + offered leases). NULL on allocation failure. */
struct lease_table *lease_table_new(uint32_t max);
void lease_table_free(struct lease_table *t);

/* NULL if none. Pointers stay valid until the next modifying call. */
const struct lease *lease_find_ip(const struct lease_table *t, uint32_t ip);
const struct lease *lease_find_mac(const struct lease_table *t, const uint8_t mac[6]);

/*
 * Change-log access for the persistence layer: leases changed since the
 * last drain, each once, in change order. A lease whose state is LEASE_FREE
 * was removed. Returns the number written to out (at most max); call again
 * until it returns 0.
 */
size_t lease_drain_changes(struct lease_table *t, struct lease *out, size_t max);

/* Insert or overwrite a lease as read back from disk (no change logged). */
int lease_restore(struct lease_table *t, const struct lease *l);

/* Visit every non-free lease (for the lease file's compaction, stats). */
void lease_foreach(const struct lease_table *t, void (*fn)(void *arg, const struct lease *l),
		   void *arg);

size_t lease_count(const struct lease_table *t);

/* ---- used by the DHCP server (dhcp.c) ---- */

/*
 * Give ip to mac in state st (LEASE_OFFERED or LEASE_BOUND) until expires
 * (0 = never). A client holds one address: a lease mac has on another
 * address is released. hostname may be NULL (kept if the lease existed).
 * Errors: -EADDRINUSE when ip is held by another MAC (an unexpired offer or
 * binding, or an unexpired quarantine), -ENOSPC when the table already
 * holds max offered+bound leases, -ENOMEM.
 */
int lease_set(struct lease_table *t, uint32_t ip, const uint8_t mac[6], enum lease_state st,
	      time_t expires, const char *hostname, time_t now);

/* Quarantine ip (DHCPDECLINE: someone else uses it) until expires. */
int lease_decline(struct lease_table *t, uint32_t ip, time_t expires);

/* Free ip's lease (RELEASE, or an offer the client turned down). */
void lease_release(struct lease_table *t, uint32_t ip);

/*
 * Look at up to budget lease slots, resuming where the last call stopped,
 * and free those that expired (offers, bindings, quarantines): bounded work
 * per call, so the caller can spread reclaiming over packets. Returns how
 * many were freed.
 */
size_t lease_expire(struct lease_table *t, time_t now, size_t budget);

/* Offered + bound leases (what dhcp-lease-max limits). */
size_t lease_active_count(const struct lease_table *t);
uint32_t lease_max(const struct lease_table *t);

/* "offered", "bound", "declined", "free": for logs, the control socket and
   the lease journal. */
static inline const char *lease_state_name(int st)
{
	switch (st) {
	case LEASE_OFFERED:
		return "offered";
	case LEASE_BOUND:
		return "bound";
	case LEASE_DECLINED:
		return "declined";
	default:
		return "free";
	}
}

/* True when l is not free and has not expired at now. */
static inline int lease_live(const struct lease *l, time_t now)
{
	return l && l->state != LEASE_FREE && (l->expires == 0 || l->expires > now);
}

#endif
