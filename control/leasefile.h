/* SPDX-License-Identifier: MIT */
/*
 * The lease file: an append-only journal of lease changes, replayed at start
 * and compacted when it grows. Format: docs/leasefile.md.
 */
#ifndef BS_CONTROL_LEASEFILE_H
#define BS_CONTROL_LEASEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "../dataplane/proto/lease.h"
#include "../dataplane/util/log.h"

struct leasefile;

/*
 * Open (create if missing) path, replay it into t (expired leases dropped,
 * a torn or corrupt tail discarded with a log line). NULL + errno on error.
 */
struct leasefile *leasefile_open(const char *path, struct lease_table *t, time_t now,
				 const struct bs_log *log);

/*
 * Append every change drained from t and make it durable (one fdatasync for
 * the whole batch: group commit). Compacts when the journal holds much more
 * than the live leases. 0 or -errno.
 */
int leasefile_sync(struct leasefile *lf, struct lease_table *t, time_t now);

/*
 * Append the records l[0..n) (lease changes, as the control process gets
 * them from the dataplane: control/journal.c) and make them durable with
 * one fdatasync. Offers are not written. Keeps no table: compaction (when
 * the journal passes 2 x the live leases of the last compaction + slack),
 * and the rewrite after an earlier failure (with l[0..n) in it), replay
 * the file into a temporary table of max leases, freed afterwards.
 * 0 or -errno.
 */
int leasefile_write(struct leasefile *lf, uint32_t max, const struct lease *l, size_t n,
		    time_t now);

/*
 * Replay path into t read-only (expired leases dropped, a torn or corrupt
 * record skipped with a log line; no rewrite): how a dataplane builds its
 * table. t's change log is left empty. 0 (also when path does not exist)
 * or -errno.
 */
int leasefile_replay(const char *path, struct lease_table *t, time_t now, const struct bs_log *log);

/* An earlier write failed: the next write (even of nothing) rewrites. */
bool leasefile_broken(const struct leasefile *lf);

/* The helper of a background compaction (0: none runs); a write (even of
   nothing) installs its file once it is done. */
pid_t leasefile_compacting(const struct leasefile *lf);

/* Wait for a background compaction and install it (tests). 0 or -errno. */
int leasefile_compact_wait(struct leasefile *lf);

void leasefile_close(struct leasefile *lf);

/* ---- also available (tests, tools) ---- */

/* CRC-32 (IEEE 802.3, as zlib's crc32()) of len bytes. */
unsigned long leasefile_crc32(const void *data, size_t len);

/* Journal records written since the last compaction (for stats, tests). */
size_t leasefile_records(const struct leasefile *lf);

/* Rewrite the journal as the live leases only, atomically. 0 or -errno. */
int leasefile_compact(struct leasefile *lf, struct lease_table *t, time_t now);

#endif
