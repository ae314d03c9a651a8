/* SPDX-License-Identifier: MIT */
/*
 * Internals of the image cache shared by cache.c (the index, references,
 * the idle list) and cache_warm.c (pins, warming, the warm thread, status).
 * Not for other modules: they use cache.h.
 */
#ifndef BS_CACHE_INT_H
#define BS_CACHE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache.h"

struct cache_entry {
	struct bs_file f; /* f.priv points back here */
	char *path;
	size_t path_len;
	uint32_t hash;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint32_t refs;
	bool pinned; /* holds one of refs (cache warm) */
	/* warming: a cursor over the file, see cache_warm.c */
	bool warming, warm_done;
	uint32_t warm_held; /* of refs, held by a warm step while it reads */
	uint32_t warm_gen;  /* bumped by each (re)queue: stale chunks are dropped */
	uint64_t warm_off, warm_resident, warm_issued;
	uint32_t warm_pass;
	uint64_t warm_start_ms, warm_end_ms;
	struct cache_entry *warm_next; /* warming list */
	bool indexed;		       /* in the path index (not replaced) */
	struct cache_entry *hnext;     /* path index chain */
	struct cache_entry *lru_prev;  /* idle list, only while refs == 0 */
	struct cache_entry *lru_next;
};

#define BS_CACHE_BUCKETS 1024 /* power of two */

struct bs_cache {
	int dirfd;
	char *root;	 /* as configured, trailing '/' removed */
	char *root_real; /* realpath() of it, for the dnsmasq-style prefix */
	bool abs_under_root;
	struct bs_log log;
	struct cache_entry *buckets[BS_CACHE_BUCKETS];
	struct cache_entry *idle_head, *idle_tail; /* head = most recent */
	uint32_t idle;
	uint64_t idle_bytes; /* mapped bytes of the idle list */
	uint64_t budget;     /* cache-size; 0 = only the BS_CACHE_IDLE_MAX cap */
	struct cache_entry *warm_head;
	uint64_t hits, misses, files, bytes;
	uint64_t evictions, pinned_files, pinned_bytes, resident_sampled, warm_bytes;
	uint64_t now_ms; /* the last clock warm/warm_step were given */
	/* The warm thread (cache_warm.c): sleeps on warm_cond until a file
	   is queued or warm_stop is set. */
	pthread_t warm_thread;
	pthread_cond_t warm_cond;
	bool warm_started, warm_stop;
	bool warm_readahead; /* no MADV_POPULATE_READ (kernel < 5.14) or forced */
	bool warm_pause;     /* a readahead() pass left reads in flight: wait a bit */
	/* TFTP workers open and close files from their own threads; every
	   public entry point holds it (recursive: warm calls get). Taken per
	   request, never per data packet. The warm thread holds it only
	   between chunks, never while it reads. */
	pthread_mutex_t lock;
};

static inline struct bs_cache *cache_lock(const struct bs_cache *c)
{
	struct bs_cache *m = (struct bs_cache *)c; /* the lock is not the data */

	pthread_mutex_lock(&m->lock);
	return m;
}

static inline void cache_unlock(struct bs_cache **c)
{
	pthread_mutex_unlock(&(*c)->lock);
}

/* Held until the end of the enclosing block. */
#define CACHE_LOCKED(c)                                                                            \
	struct bs_cache *cache_held_ __attribute__((cleanup(cache_unlock))) = cache_lock(c)

/* cache.c, called with the lock held */
void cache_idle_unlink(struct bs_cache *c, struct cache_entry *e);
size_t cache_root_prefix(const char *root, const char *path, size_t n);

/* cache_warm.c, called with the lock held */
void cache_entry_pin(struct bs_cache *c, struct cache_entry *e, uint64_t now_ms);
void cache_entry_unpin(struct bs_cache *c, struct cache_entry *e);
void cache_warm_unlink(struct bs_cache *c, struct cache_entry *e);
/* bs_cache_free(): stop and join the warm thread (without the lock). */
void cache_warm_fini(struct bs_cache *c);

#endif
