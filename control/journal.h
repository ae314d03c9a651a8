/* SPDX-License-Identifier: MIT */
/*
 * The control process's half of group commit: take the lease intents the
 * dataplane pushed (util/intents.h), apply them to control's own copy of
 * the lease table (the journal's truth: what a replay would give), append
 * them to the lease file with one fdatasync for all of them, and publish
 * the outcome. A dataplane that starts (or restarts) is forked from this
 * process, so its lease table starts as a copy of that truth.
 */
#ifndef BS_CONTROL_JOURNAL_H
#define BS_CONTROL_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "control/leasefile.h"
#include "util/intents.h"

struct bs_journal {
	struct leasefile *lf;
	struct lease_table *t; /* control's table: bound/declined only */
	struct bs_intents *ring;
	const struct bs_log *log;
	struct lease *buf; /* ring->cap records */
	uint64_t batches, records, errors;
	struct bs_ratelimit rl;
};

/* 0 or -ENOMEM. */
int bs_journal_init(struct bs_journal *j, struct leasefile *lf, struct lease_table *t,
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
