/* SPDX-License-Identifier: MIT */
/*
 * The image cache: boot files opened once, mapped read-only and shared by
 * every transfer (TFTP now, HTTP later). A transfer holds a reference to one
 * mapping, so a file replaced on disk by rename() mid-transfer is still
 * served whole from the old version; new opens see the new file.
 *
 * Paths are confined to the root: openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS) relative to a directory fd, so "..", absolute
 * paths and symlinks leaving the root fail in the kernel, not in string
 * checks alone.
 */
#ifndef BS_CACHE_H
#define BS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/datagram.h" /* bs_stat_fn */
#include "util/log.h"

struct bs_cache;

struct bs_file {
	const uint8_t *data; /* read-only mapping (NULL when size == 0) */
	uint64_t size;
	/*
	 * The file the mapping was made from, kept open as long as the entry
	 * lives (read-only, O_CLOEXEC; owned by the cache: never close it).
	 * For sendfile(): it names the same inode as the mapping, so a file
	 * replaced by rename() is still sent whole from the old version. Use
	 * sendfile's offset argument, never the shared file position.
	 */
	int fd;
	/* validators of this version (HTTP ETag / Last-Modified) */
	uint64_t ino;
	int64_t mtime; /* seconds */
	uint32_t mtime_nsec;
	/* private to the cache below */
	void *priv;
};

/* NULL + errno (ENOENT, ENOTDIR, EACCES ...) if root cannot be opened. */
struct bs_cache *bs_cache_new(const char *root, const struct bs_log *log);
/* Every reference must have been put before. */
void bs_cache_free(struct bs_cache *c);

/*
 * Open path, relative to the root. An absolute path is refused like any
 * other escape (-EACCES), except that a leading "<root>/" (the root as
 * configured or as realpath() spells it) is stripped first, for dnsmasq
 * compatibility ("absolute paths are allowed if within tftp-root").
 * 0 and *out, or:
 *   -ENOENT   no such file           -EACCES  escapes the root / not a
 *   -EISDIR   not a regular file               regular readable file
 *   -ENAMETOOLONG                    -EINVAL  empty, NUL or control chars
 * The caller owns one reference; release it with bs_cache_put().
 */
int bs_cache_get(struct bs_cache *c, const char *path, size_t path_len, struct bs_file **out);
void bs_cache_put(struct bs_cache *c, struct bs_file *f);

/*
 * dnsmasq goes further than the prefix rule above: any other absolute name
 * is looked up under the root with its leading '/' dropped ("/boot/grub/x"
 * -> "<root>/boot/grub/x"; GRUB builds names like that from its prefix).
 * on: do the same (still confined by openat2). Default off: refused.
 */
void bs_cache_set_abs_under_root(struct bs_cache *c, bool on);

/* cache_hits, cache_misses, cache_files, cache_bytes_mapped */
void bs_cache_stats_foreach(const struct bs_cache *c, bs_stat_fn fn, void *arg);

/*
 * cache_evictions, cache_pinned_files, cache_pinned_bytes, cache_warm_bytes
 * and cache_resident_bytes (sampled by the last bs_cache_status_foreach())
 * are in the walk above too.
 *
 * cache-size: a budget for the mapped bytes of idle entries (unreferenced,
 * unpinned). Over it, idle entries are unmapped and closed, least recently
 * used first (counted as cache_evictions, like those over the 256-file
 * cap). 0: no byte budget.
 */
void bs_cache_set_budget(struct bs_cache *c, uint64_t bytes);

/*
 * cache warm: open path (confined like bs_cache_get), pin it (a reference
 * held by the cache: mapped and never evicted until unpinned) and queue it
 * for warming, newest request first. 0 or bs_cache_get()'s errors. Warming
 * a pinned file again restarts it. now_ms: CLOCK_MONOTONIC in ms (the warm
 * thread's clock) wherever a now_ms is asked below.
 */
int bs_cache_warm(struct bs_cache *c, const char *path, size_t path_len, uint64_t now_ms);
/* Drop the pin of path (as given to warm): 0, or -ENOENT if not pinned. */
int bs_cache_unpin(struct bs_cache *c, const char *path, size_t path_len);
void bs_cache_unpin_all(struct bs_cache *c);

/*
 * Start the warm thread, which reads queued files into the page cache
 * (madvise(MADV_POPULATE_READ) chunk by chunk, readahead() on kernels
 * without it) and sleeps when there are none. Requests made before it
 * starts wait for it. Once; later calls return 0. Start it after the
 * privilege drop: the sandbox covers the threads started after it.
 * bs_cache_free() stops and joins it. 0 or -errno (pthread_create).
 */
int bs_cache_warm_start(struct bs_cache *c);
/*
 * What the thread does in a loop, for tests and callers without it: read
 * at most quota bytes of the newest warming file, without holding the
 * cache lock while it reads (it blocks until they are resident). Returns
 * true while files remain to warm, false when idle.
 */
bool bs_cache_warm_step(struct bs_cache *c, uint64_t quota, uint64_t now_ms);
/* Warm with readahead() even where MADV_POPULATE_READ works (tests; chosen
   by itself when the kernel refuses it). */
void bs_cache_warm_set_readahead(struct bs_cache *c, bool on);

struct bs_cache_file_status {
	const char *path; /* relative to the root */
	uint64_t size;
	uint64_t resident; /* bytes in the page cache now (mincore) */
	uint32_t refs;	   /* transfers holding it (the pin not counted) */
	unsigned percent;  /* resident * 100 / size */
	bool pinned, warming, done;
	uint64_t warm_ms;  /* since the warm request (to done, once done) */
	uint64_t rate_bps; /* resident bytes / warm time */
};
typedef void (*bs_cache_status_fn)(void *arg, const struct bs_cache_file_status *s);
/* Every entry in the index (mincore on each: O(mapped pages)). */
void bs_cache_status_foreach(struct bs_cache *c, uint64_t now_ms, bs_cache_status_fn fn,
			     void *arg);

/*
 * Fill *out so that the TFTP server reads its files from this cache:
 *   bs_cache_tftp_files(cache, &files); tftp_server_new(&cfg, &files, log);
 * The cache must outlive the server.
 */
struct tftp_files;
void bs_cache_tftp_files(struct bs_cache *c, struct tftp_files *out);

#endif
