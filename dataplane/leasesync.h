/* SPDX-License-Identifier: MIT */
/*
 * The dataplane's half of group commit: after a burst, move the lease
 * table's changes into the intent ring and wait until the control process
 * says they are on disk. Only then may the burst's replies leave.
 */
#ifndef BS_DATAPLANE_LEASESYNC_H
#define BS_DATAPLANE_LEASESYNC_H

#include "proto/lease.h"
#include "util/intents.h"

/*
 * How long a burst waits for the journal. Longer than a compaction of a
 * large journal (about 1-2 s at 1M leases, docs/leasefile.md); past it the
 * burst's replies are dropped and the clients retry.
 */
#define BS_LEASESYNC_WAIT_MS 3000

struct bs_leasesync {
	struct lease_table *t;
	struct bs_intents *ring;
	int timeout_ms;
	/* Set when the consumer runs in this process (one-process mode,
	   tests): called instead of waiting for another process. */
	void (*pump)(void *arg);
	void *pump_arg;
};

/* 0 when every change so far is durable; -EIO, -ETIMEDOUT otherwise. */
int bs_leasesync(const struct bs_leasesync *s);

#endif
