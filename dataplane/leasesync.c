/* SPDX-License-Identifier: MIT */
#include "leasesync.h"

#include <errno.h>

#define CHUNK 256

static int settle(const struct bs_leasesync *s, uint64_t seq)
{
	if (s->pump)
		s->pump(s->pump_arg);
	return bs_intents_wait(s->ring, seq, s->timeout_ms);
}

int bs_leasesync(const struct bs_leasesync *s)
{
	struct lease buf[CHUNK];
	uint64_t seq = bs_intents_head(s->ring);
	int err;

	for (;;) {
		uint32_t room = bs_intents_space(s->ring);
		size_t n;

		if (room == 0) {
			/* The ring is full: what is in it must be durable
			   (and its slots freed) before more fits. A change
			   never leaves the table's log before it is pushed. */
			err = settle(s, seq);
			if (err)
				return err;
			continue;
		}
		n = lease_drain_changes(s->t, buf, room < CHUNK ? room : CHUNK);
		if (n == 0)
			break;
		seq = bs_intents_push(s->ring, buf, n);
	}
	return settle(s, seq);
}
