/* SPDX-License-Identifier: MIT */
/*
 * The control process's half of group commit: take the lease intents the
 * dataplane pushed (util/intents.h), append them to the lease file with
 * one fdatasync for all of them, and publish the outcome. Control keeps no
 * lease table (memory: docs/leasefile.md): a dataplane that starts (or
 * restarts) replays the lease file itself, after control has journaled
 * everything the previous one pushed.
 */
#ifndef BS_CONTROL_JOURNAL_H
#define BS_CONTROL_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "control/leasefile.h"
#include "util/intents.h"

struct bs_journal {
	struct leasefile *lf;
	uint32_t lease_max; /* the size of compaction's temporary table */
	struct bs_intents *ring;
	const struct bs_log *log;
	struct lease *buf; /* ring->cap records */
	uint64_t batches, records, errors;
	struct bs_ratelimit rl;
};

/* 0 or -ENOMEM. */
int bs_journal_init(struct bs_journal *j, struct leasefile *lf, uint32_t lease_max,
		    struct bs_intents *ring, const struct bs_log *log);
void bs_journal_fini(struct bs_journal *j);

/*
 * Take everything pushed so far (one batch, one sync) and publish it as
 * durable or failed. Also retries a failed journal (a rewrite) when
 * nothing new came. Returns the records taken, or -errno when the sync
 * failed.
 */
int bs_journal_pump(struct bs_journal *j, time_t now);

#endif
