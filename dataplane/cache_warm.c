/* SPDX-License-Identifier: MIT */
/*
 * Pins and warming of the image cache (docs/http.md "Image cache").
 *
 * Reading a file into the page cache blocks on the device, so it runs in a
 * thread of its own, never in a packet loop. The thread takes the newest
 * warm request and reads it a chunk at a time with
 * madvise(MADV_POPULATE_READ) on the entry's own mapping: one call faults
 * the chunk in and returns when it is resident, the faults read ahead like
 * a sequential read(), and on a MADV_HUGEPAGE mapping the page cache gets
 * large folios. It also leaves the chunk mapped in our page tables, so the
 * first transfers of the file take no page faults.
 *
 * The thread holds the cache lock only between chunks, to publish progress
 * and to see whether the file was unpinned, replaced or queued again
 * meanwhile (warm_gen), and a reference on the entry while it reads, so the
 * mapping cannot be unmapped under it.
 *
 * Kernels before 5.14 refuse MADV_POPULATE_READ (EINVAL): there readahead()
 * of the pages mincore() reports missing does it, asynchronously.
 */
#include "cache.h"
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h> /* readahead() (_GNU_SOURCE) */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

#define BS_CACHE_WARM_CHUNK (32ull << 20) /* read per lock-free step of the thread */
#define BS_CACHE_RA_UNIT    (128u << 10)  /* readahead() may stop at ra_pages */
/* A POPULATE_READ pass reads all that is missing and waits for it: pages
   still missing after this many passes are reclaimed as fast as they are
   read (memory too small for the file). */
#define BS_CACHE_POPULATE_PASSES 4
/* readahead() passes in a row that found nothing new resident, each after
   a pause (reads in flight land meanwhile), before giving up. */
#define BS_CACHE_READAHEAD_PASSES 200
#define BS_CACHE_PASS_PAUSE_NS	  10000000

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Resident bytes of [off, off + len) of the mapping (page cache, mincore).
   first_missing: the offset of the first page not resident, or off + len. */
static uint64_t resident_range(const struct cache_entry *e, uint64_t off, uint64_t len,
			       uint64_t *first_missing)
{
	unsigned char vec[1024];
	uint64_t ps = page_size(), res = 0, end = off + len;

	if (first_missing)
		*first_missing = end;
	off &= ~(ps - 1);
	while (off < end) {
		uint64_t n = (end - off + ps - 1) / ps;

		if (n > sizeof(vec))
			n = sizeof(vec);
		if (mincore((void *)(e->f.data + off),
			    (size_t)(n * ps < e->f.size - off ? n * ps : e->f.size - off), vec) < 0)
			return res;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t po = off + i * ps;
			uint64_t pl = e->f.size - po < ps ? e->f.size - po : ps;

			if (vec[i] & 1)
				res += pl;
			else if (first_missing && *first_missing == end)
				*first_missing = po;
		}
		off += n * ps;
	}
	return res;
}

static uint64_t entry_resident(const struct cache_entry *e)
{
	return e->f.size ? resident_range(e, 0, e->f.size, NULL) : 0;
}

/* ---- pins ------------------------------------------------------------- */

void cache_warm_unlink(struct bs_cache *c, struct cache_entry *e)
{
	struct cache_entry **link = &c->warm_head;

	while (*link && *link != e)
		link = &(*link)->warm_next;
	if (*link)
		*link = e->warm_next;
	e->warm_next = NULL;
	e->warming = false;
}

/* (Re)start warming e from its first byte, before the older requests. */
static void warm_queue(struct bs_cache *c, struct cache_entry *e, uint64_t now_ms)
{
	if (!e->warming) {
		e->warming = true;
		e->warm_next = c->warm_head;
		c->warm_head = e;
	}
	e->warm_gen++; /* a chunk being read now belongs to the old request */
	e->warm_done = false;
	e->warm_off = 0;
	e->warm_pass = 0;
	e->warm_issued = 0;
	e->warm_start_ms = now_ms;
	e->warm_end_ms = 0;
	e->warm_resident = 0;
	c->warm_pause = false;
	pthread_cond_signal(&c->warm_cond);
}

/* Take a reference for the pin and queue the entry for warming. */
void cache_entry_pin(struct bs_cache *c, struct cache_entry *e, uint64_t now_ms)
{
	if (e->refs++ == 0)
		cache_idle_unlink(c, e);
	e->pinned = true;
	c->pinned_files++;
	c->pinned_bytes += e->f.size;
	warm_queue(c, e, now_ms);
}

void cache_entry_unpin(struct bs_cache *c, struct cache_entry *e)
{
	if (e->warming)
		cache_warm_unlink(c, e);
	e->pinned = false;
	c->pinned_files--;
	c->pinned_bytes -= e->f.size;
	bs_cache_put(c, &e->f);
}

int bs_cache_warm(struct bs_cache *c, const char *path, size_t path_len, uint64_t now_ms)
{
	CACHE_LOCKED(c);
	struct bs_file *f;
	struct cache_entry *e;
	int err = bs_cache_get(c, path, path_len, &f);

	if (err < 0)
		return err;
	e = f->priv;
	c->now_ms = now_ms;
	if (e->pinned) {
		bs_cache_put(c, f); /* the pin holds one already */
		warm_queue(c, e, now_ms);
	} else {
		cache_entry_pin(c, e, now_ms); /* the reference from get becomes the pin */
		bs_cache_put(c, f);
	}
	return 0;
}

int bs_cache_unpin(struct bs_cache *c, const char *path, size_t path_len)
{
	CACHE_LOCKED(c);
	size_t skip = 0;

	if (path_len && path[0] == '/') {
		skip = cache_root_prefix(c->root, path, path_len);
		if (!skip)
			skip = cache_root_prefix(c->root_real, path, path_len);
	}
	path += skip;
	path_len -= skip;
	for (size_t i = 0; i < BS_CACHE_BUCKETS; i++)
		for (struct cache_entry *e = c->buckets[i]; e; e = e->hnext)
			if (e->pinned && e->path_len == path_len &&
			    memcmp(e->path, path, path_len) == 0) {
				cache_entry_unpin(c, e);
				return 0;
			}
	return -ENOENT;
}

void bs_cache_unpin_all(struct bs_cache *c)
{
	CACHE_LOCKED(c);
	for (size_t i = 0; i < BS_CACHE_BUCKETS; i++) {
		struct cache_entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			if (e->pinned)
				cache_entry_unpin(c, e); /* may free e, not next */
		}
	}
}

/* ---- warming: one chunk per step ----------------------------------------- */

/* The part of a file one step reads, taken and published under the lock. */
struct warm_chunk {
	struct cache_entry *e; /* referenced (warm_held) while the chunk is read */
	uint32_t gen;
	uint64_t off, end;
	bool readahead; /* the fallback, as c->warm_readahead said when taken */
	/* results, from the read without the lock */
	int err;	   /* -errno: the file cannot be read through its mapping */
	bool no_populate;  /* EINVAL: the kernel has no MADV_POPULATE_READ */
	uint64_t asked;	   /* bytes asked of the kernel */
	uint64_t resident; /* of the whole file, at the end of a pass */
};

static void warm_finish(struct bs_cache *c, struct cache_entry *e, uint64_t now_ms)
{
	e->warm_done = true;
	e->warm_end_ms = now_ms;
	cache_warm_unlink(c, e);
}

/* Locked. The next chunk of the newest request (warming implies pinned:
   the entry has a reference and is not on the idle list). */
static void chunk_take(struct bs_cache *c, struct cache_entry *e, uint64_t quota,
		       struct warm_chunk *k)
{
	*k = (struct warm_chunk){
	    .e = e, .gen = e->warm_gen, .off = e->warm_off, .readahead = c->warm_readahead};
	k->end = e->f.size - k->off < quota ? e->f.size : k->off + quota;
	e->refs++;
	e->warm_held++;
}

/* readahead() of the pages of [from, end) that are missing, in
   BS_CACHE_RA_UNIT pieces: it returns before the reads land. */
static uint64_t chunk_readahead(const struct cache_entry *e, uint64_t from, uint64_t end)
{
	uint64_t asked = 0;

	while (from < end) {
		uint64_t len = end - from < BS_CACHE_RA_UNIT ? end - from : BS_CACHE_RA_UNIT;

		(void)readahead(e->f.fd, (off64_t)from, (size_t)len);
		asked += len;
		resident_range(e, from + len, end - from - len, &from);
	}
	return asked;
}

/* Without the lock: bring the chunk into the page cache; at the end of
   the file, count what is resident. */
static void chunk_read(struct warm_chunk *k)
{
	const struct cache_entry *e = k->e;
	uint64_t from;

	resident_range(e, k->off, k->end - k->off, &from);
	if (from < k->end && !k->readahead) {
		if (madvise((void *)(e->f.data + from), (size_t)(k->end - from),
			    MADV_POPULATE_READ) == 0)
			k->asked = k->end - from;
		else if (errno == EINVAL)
			k->no_populate = k->readahead = true;
		else if (errno != EINTR)
			k->err = -errno; /* EFAULT: truncated under the mapping */
	}
	if (from < k->end && k->readahead)
		k->asked = chunk_readahead(e, from, k->end);
	if (k->end == e->f.size && !k->err)
		k->resident = entry_resident(e);
}

/*
 * Locked: publish what the read did, unless the request changed meanwhile
 * (unpinned: no longer warming; warmed again: another gen). At the end of
 * the file: all resident ends the warming; otherwise another pass starts
 * (pages reclaimed meanwhile, or readahead() reads still in flight) until
 * the pass limit says memory is too small: done below 100%.
 */
static void chunk_publish(struct bs_cache *c, struct warm_chunk *k, uint64_t now_ms)
{
	struct cache_entry *e = k->e;

	c->warm_bytes += k->asked;
	if (k->no_populate && !c->warm_readahead) {
		c->warm_readahead = true;
		bs_logf(&c->log, LOG_NOTICE,
			"cache: no MADV_POPULATE_READ (kernel < 5.14?): warming with readahead()");
	}
	if (!e->warming || e->warm_gen != k->gen)
		return;
	e->warm_issued += k->asked;
	if (k->err) {
		bs_logf(&c->log, LOG_WARNING,
			"cache warm %s: %s between bytes %llu and %llu (truncated in place? "
			"replace files by rename)",
			e->path, strerror(-k->err), (unsigned long long)k->off,
			(unsigned long long)k->end);
		warm_finish(c, e, now_ms);
		return;
	}
	e->warm_off = k->end;
	if (k->end < e->f.size)
		return;
	if (k->resident > e->warm_resident && k->readahead)
		e->warm_pass = 0; /* reads still landing: not stuck */
	e->warm_resident = k->resident;
	if (k->resident == e->f.size ||
	    ++e->warm_pass >=
		(k->readahead ? BS_CACHE_READAHEAD_PASSES : BS_CACHE_POPULATE_PASSES)) {
		warm_finish(c, e, now_ms);
	} else {
		e->warm_off = 0;
		c->warm_pause = k->readahead;
	}
}

static void chunk_release(struct bs_cache *c, struct warm_chunk *k)
{
	k->e->warm_held--;
	bs_cache_put(c, &k->e->f); /* frees an entry replaced meanwhile */
}

bool bs_cache_warm_step(struct bs_cache *c, uint64_t quota, uint64_t now_ms)
{
	struct warm_chunk k;
	struct cache_entry *e;
	uint64_t t0 = mono_ns();

	{
		CACHE_LOCKED(c);

		c->now_ms = now_ms;
		/* Newest request first, one file at a time, so that one
		   finishes early rather than all late. */
		e = c->warm_head;
		if (!e)
			return false;
		if (e->f.size == 0) {
			warm_finish(c, e, now_ms);
			return c->warm_head != NULL;
		}
		chunk_take(c, e, quota, &k);
	}
	chunk_read(&k);
	{
		CACHE_LOCKED(c);

		chunk_publish(c, &k, now_ms + (mono_ns() - t0) / 1000000);
		chunk_release(c, &k);
		return c->warm_head != NULL;
	}
}

void bs_cache_warm_set_readahead(struct bs_cache *c, bool on)
{
	CACHE_LOCKED(c);
	c->warm_readahead = on;
}

/* ---- the warm thread ----------------------------------------------------- */

static uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

static void *warm_main(void *arg)
{
	static const struct timespec pause = {0, BS_CACHE_PASS_PAUSE_NS};
	struct bs_cache *c = arg;

	(void)pthread_setname_np(pthread_self(), "bs-warm"); /* prctl: no file opened */
	pthread_mutex_lock(&c->lock);
	while (!c->warm_stop) {
		bool paused = c->warm_pause;

		if (!c->warm_head) {
			pthread_cond_wait(&c->warm_cond, &c->lock);
			continue;
		}
		c->warm_pause = false;
		pthread_mutex_unlock(&c->lock);
		if (paused)
			nanosleep(&pause, NULL);
		else
			bs_cache_warm_step(c, BS_CACHE_WARM_CHUNK, mono_ms());
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int bs_cache_warm_start(struct bs_cache *c)
{
	CACHE_LOCKED(c);
	sigset_t all, old;
	int err;

	if (c->warm_started)
		return 0;
	/* Signals are the main thread's (signalfd): none may land here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&c->warm_thread, NULL, warm_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	c->warm_started = true;
	return 0;
}

void cache_warm_fini(struct bs_cache *c)
{
	bool started;

	pthread_mutex_lock(&c->lock);
	started = c->warm_started;
	c->warm_stop = true;
	pthread_cond_broadcast(&c->warm_cond);
	pthread_mutex_unlock(&c->lock);
	/* it finishes the chunk it reads (BS_CACHE_WARM_CHUNK at most) */
	if (started)
		pthread_join(c->warm_thread, NULL);
	c->warm_started = false;
}

/* ---- status ---------------------------------------------------------------- */

void bs_cache_status_foreach(struct bs_cache *c, uint64_t now_ms, bs_cache_status_fn fn, void *arg)
{
	CACHE_LOCKED(c);
	uint64_t total = 0;

	for (size_t i = 0; i < BS_CACHE_BUCKETS; i++)
		for (struct cache_entry *e = c->buckets[i]; e; e = e->hnext) {
			struct bs_cache_file_status s = {
			    .path = e->path,
			    .size = e->f.size,
			    .resident = entry_resident(e),
			    .refs = e->refs - (e->pinned ? 1 : 0) - e->warm_held,
			    .pinned = e->pinned,
			    .warming = e->warming,
			    .done = e->warm_done,
			};
			uint64_t ms;

			total += s.resident;
			s.percent = e->f.size ? (unsigned)(s.resident * 100 / e->f.size) : 100;
			if (e->warming || e->warm_done) {
				ms = (e->warm_done ? e->warm_end_ms : now_ms) - e->warm_start_ms;
				s.warm_ms = ms;
				s.rate_bps = ms ? s.resident * 1000 / ms : 0;
			}
			fn(arg, &s);
		}
	c->resident_sampled = total;
}
