/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bs_journal_init(struct bs_journal *j, struct leasefile *lf, uint32_t lease_max,
		    struct bs_intents *ring, const struct bs_log *log)
{
	memset(j, 0, sizeof(*j));
	j->lf = lf;
	j->lease_max = lease_max;
	j->ring = ring;
	j->log = log;
	j->buf = calloc(ring->cap, sizeof(*j->buf));
	return j->buf ? 0 : -ENOMEM;
}

void bs_journal_fini(struct bs_journal *j)
{
	free(j->buf);
	j->buf = NULL;
}

int bs_journal_pump(struct bs_journal *j, time_t now)
{
	uint64_t last;
	size_t n;
	int err;

	bs_intents_ack_wakeup(j->ring);
	n = bs_intents_peek(j->ring, j->buf, j->ring->cap, &last);
	if (n == 0 && !leasefile_broken(j->lf) && !leasefile_compacting(j->lf))
		return 0;
	err = leasefile_write(j->lf, j->lease_max, j->buf, n, now);
	j->batches++;
	j->records += n;
	if (err) {
		j->errors++;
		if (bs_ratelimit_ok(&j->rl, (uint64_t)now * 1000, 5))
			bs_logf(j->log, LOG_ERR,
				"lease journal: %s: replies waiting for it dropped",
				strerror(-err));
	}
	bs_intents_done(j->ring, last, err == 0);
	return err ? err : (int)n;
}
