/* SPDX-License-Identifier: MIT */
/*
 * Image cache: one read-only mapping per file version, shared by reference.
 *
 * Entries are found by path. Every get still opens the file (openat2 under
 * the root), because that open is both the confinement check and the only
 * way to notice that the name now points at another inode: a file replaced
 * by rename() has a new (dev, ino) and gets a new entry, while the old
 * entry leaves the index and lives on until its last holder puts it.
 * Unreferenced entries stay mapped in LRU order up to BS_CACHE_IDLE_MAX, so
 * a boot storm asking for the same loader maps it once.
 *
 * Files must be replaced by rename(), not rewritten in place: a mapping of
 * a file truncated underneath it raises SIGBUS on access, which no check
 * here can prevent (the (size, mtime) comparison only keeps new transfers
 * off the damaged entry).
 */
#include "cache.h"
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proto/tftp.h"

#define BS_CACHE_IDLE_MAX 256 /* unreferenced entries kept mapped */
#define BS_CACHE_NAME_MAX 255
#define BS_CACHE_HUGE_MIN (64ull << 20) /* MADV_HUGEPAGE from this size */

static uint32_t path_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}
	return h;
}

static char *root_dup(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return strndup(s, n);
}

struct bs_cache *bs_cache_new(const char *root, const struct bs_log *log)
{
	struct bs_cache *c;
	char real[PATH_MAX];
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (log)
		c->log = *log;
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&c->lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	pthread_cond_init(&c->warm_cond, NULL);
	c->dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		goto fail;
	c->root = root_dup(root);
	c->root_real = realpath(root, real) ? root_dup(real) : NULL;
	if (!c->root || !c->root_real)
		goto fail;
	return c;

fail:
	err = errno ? errno : ENOMEM;
	bs_cache_free(c);
	errno = err;
	return NULL;
}

void cache_idle_unlink(struct bs_cache *c, struct cache_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->idle_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->idle_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	c->idle--;
	c->idle_bytes -= e->f.size;
}

static void index_unlink(struct bs_cache *c, struct cache_entry *e)
{
	struct cache_entry **link = &c->buckets[e->hash & (BS_CACHE_BUCKETS - 1)];

	while (*link && *link != e)
		link = &(*link)->hnext;
	if (*link)
		*link = e->hnext;
	e->hnext = NULL;
	e->indexed = false;
}

static void entry_destroy(struct bs_cache *c, struct cache_entry *e)
{
	if (e->warming)
		cache_warm_unlink(c, e);
	if (e->pinned) {
		c->pinned_files--;
		c->pinned_bytes -= e->f.size;
	}
	if (e->indexed)
		index_unlink(c, e);
	if (e->f.data)
		munmap((void *)e->f.data, (size_t)e->f.size);
	if (e->f.fd >= 0)
		close(e->f.fd);
	c->files--;
	c->bytes -= e->f.size;
	free(e->path);
	free(e);
}

void bs_cache_free(struct bs_cache *c)
{
	if (!c)
		return;
	cache_warm_fini(c); /* no chunk is being read from here on */
	/* Entries still held by someone are freed too: the caller ends all
	   transfers first. */
	for (size_t i = 0; i < BS_CACHE_BUCKETS; i++)
		while (c->buckets[i])
			entry_destroy(c, c->buckets[i]);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->root);
	free(c->root_real);
	pthread_cond_destroy(&c->warm_cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * dnsmasq compatibility: "absolute paths are allowed if within tftp-root".
 * Returns the length of a "<root>/" prefix to skip, 0 if none.
 */
size_t cache_root_prefix(const char *root, const char *path, size_t n)
{
	size_t rl = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	if (n > rl + 1 && memcmp(path, root, rl) == 0 && path[rl] == '/')
		return rl + 1;
	return 0;
}

static int open_beneath(struct bs_cache *c, const char *path)
{
	struct open_how how = {
	    /* O_NONBLOCK: a FIFO planted under the root must not block us;
	       fstat() refuses it right after. */
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, c->dirfd, path, &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	switch (errno) {
	case EXDEV: /* "..", absolute or symlink out of the root */
	case ELOOP: /* magic link or symlink loop */
	case EPERM:
	case EACCES:
		return -EACCES;
	case ENOTDIR:
		return -ENOENT;
	case ENOSYS: /* kernel < 5.6: refuse rather than resolve unconfined */
		bs_logf(&c->log, LOG_ERR, "cache: openat2 unavailable (kernel < 5.6?)");
		return -EACCES;
	default:
		return -errno;
	}
}

static struct cache_entry *index_find(struct bs_cache *c, const char *path, size_t n, uint32_t h)
{
	struct cache_entry *e = c->buckets[h & (BS_CACHE_BUCKETS - 1)];

	for (; e; e = e->hnext)
		if (e->hash == h && e->path_len == n && memcmp(e->path, path, n) == 0)
			return e;
	return NULL;
}

static bool same_version(const struct cache_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int entry_new(struct bs_cache *c, const char *path, size_t n, uint32_t h, int fd,
		     const struct stat *st, struct cache_entry **out)
{
	struct cache_entry *e;
	void *map = NULL;

	if ((uint64_t)st->st_size > SIZE_MAX)
		return -EFBIG;
	if (st->st_size > 0) {
		map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return errno == EACCES ? -EACCES : -errno;
		/* Large images (kernels, initrds, ISOs): huge pages if the
		   kernel can back file mappings with them
		   (CONFIG_READ_ONLY_THP_FOR_FS, khugepaged); EINVAL otherwise,
		   which changes nothing, so the result is ignored. */
		if ((uint64_t)st->st_size >= BS_CACHE_HUGE_MIN)
			(void)madvise(map, (size_t)st->st_size, MADV_HUGEPAGE);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto nomem;
	e->path = strndup(path, n);
	if (!e->path)
		goto nomem;
	e->path_len = n;
	e->hash = h;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->f.data = map;
	e->f.size = (uint64_t)st->st_size;
	e->f.fd = fd; /* the entry owns it from here (see bs_cache_get) */
	e->f.ino = (uint64_t)st->st_ino;
	e->f.mtime = (int64_t)st->st_mtim.tv_sec;
	e->f.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->f.priv = e;
	e->hnext = c->buckets[h & (BS_CACHE_BUCKETS - 1)];
	c->buckets[h & (BS_CACHE_BUCKETS - 1)] = e;
	e->indexed = true;
	c->files++;
	c->bytes += e->f.size;
	*out = e;
	return 0;

nomem:
	if (e)
		free(e);
	if (map)
		munmap(map, (size_t)st->st_size);
	return -ENOMEM;
}

int bs_cache_get(struct bs_cache *c, const char *path, size_t path_len, struct bs_file **out)
{
	CACHE_LOCKED(c);
	char name[BS_CACHE_NAME_MAX + 1];
	struct cache_entry *e = NULL;
	struct stat st;
	size_t skip = 0;
	bool pinned = false;
	uint32_t h;
	int fd, err;

	if (path_len == 0)
		return -EINVAL;
	if (path_len > BS_CACHE_NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < path_len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return -EINVAL;
	if (path[0] == '/') {
		skip = cache_root_prefix(c->root, path, path_len);
		if (!skip)
			skip = cache_root_prefix(c->root_real, path, path_len);
		if (!skip && c->abs_under_root)
			while (skip < path_len && path[skip] == '/')
				skip++;
		if (!skip)
			return -EACCES;
		if (skip == path_len)
			return -EISDIR; /* the root itself */
	}
	path += skip;
	path_len -= skip;
	memcpy(name, path, path_len);
	name[path_len] = '\0';

	fd = open_beneath(c, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EACCES;
		goto out_close;
	}

	h = path_hash(name, path_len);
	e = index_find(c, name, path_len, h);
	if (e && same_version(e, &st)) {
		c->hits++;
		if (e->refs++ == 0)
			cache_idle_unlink(c, e);
		err = 0;
		goto out_close;
	}
	if (e) {
		/* Replaced on disk: holders keep the old mapping, new gets
		   the new file. A pin moves to the new version. */
		pinned = e->pinned;
		index_unlink(c, e);
		if (pinned) {
			cache_entry_unpin(c, e);
		} else if (e->refs == 0) {
			cache_idle_unlink(c, e);
			entry_destroy(c, e);
		}
	}
	c->misses++;
	err = entry_new(c, name, path_len, h, fd, &st, &e);
	if (err < 0)
		goto out_close;
	e->refs = 1;
	if (pinned)
		cache_entry_pin(c, e, c->now_ms);
	*out = &e->f;
	return 0; /* fd now belongs to the entry */

out_close:
	close(fd);
	if (err == 0)
		*out = &e->f;
	return err;
}

/* Evict idle entries, least recently used first, over the file cap or the
   byte budget. Referenced and pinned entries are never on the idle list. */
static void cache_trim(struct bs_cache *c)
{
	while (c->idle_tail &&
	       (c->idle > BS_CACHE_IDLE_MAX || (c->budget && c->idle_bytes > c->budget))) {
		struct cache_entry *old = c->idle_tail;

		cache_idle_unlink(c, old);
		entry_destroy(c, old);
		c->evictions++;
	}
}

void bs_cache_put(struct bs_cache *c, struct bs_file *f)
{
	CACHE_LOCKED(c);
	struct cache_entry *e;

	if (!f)
		return;
	e = f->priv;
	if (--e->refs > 0)
		return;
	if (!e->indexed) {
		entry_destroy(c, e);
		return;
	}
	e->lru_prev = NULL;
	e->lru_next = c->idle_head;
	if (c->idle_head)
		c->idle_head->lru_prev = e;
	else
		c->idle_tail = e;
	c->idle_head = e;
	c->idle++;
	c->idle_bytes += e->f.size;
	cache_trim(c);
}

void bs_cache_set_abs_under_root(struct bs_cache *c, bool on)
{
	CACHE_LOCKED(c);
	c->abs_under_root = on;
}

void bs_cache_stats_foreach(const struct bs_cache *c, bs_stat_fn fn, void *arg)
{
	CACHE_LOCKED(c);
	fn(arg, "cache_hits", c->hits);
	fn(arg, "cache_misses", c->misses);
	fn(arg, "cache_files", c->files);
	fn(arg, "cache_bytes_mapped", c->bytes);
	fn(arg, "cache_evictions", c->evictions);
	fn(arg, "cache_pinned_files", c->pinned_files);
	fn(arg, "cache_pinned_bytes", c->pinned_bytes);
	fn(arg, "cache_resident_bytes", c->resident_sampled);
	fn(arg, "cache_warm_bytes", c->warm_bytes);
}

void bs_cache_set_budget(struct bs_cache *c, uint64_t bytes)
{
	CACHE_LOCKED(c);
	c->budget = bytes;
	cache_trim(c);
}

/* ---- adapter for the TFTP server ---------------------------------------- */

static int tftp_open(void *arg, const char *path, size_t path_len, struct tftp_file *out)
{
	struct bs_file *f;
	int err = bs_cache_get(arg, path, path_len, &f);

	if (err < 0)
		return err;
	out->data = f->data;
	out->size = f->size;
	out->handle = f;
	out->name = ((const struct cache_entry *)f->priv)->path;
	return 0;
}

static void tftp_close(void *arg, struct tftp_file *f)
{
	bs_cache_put(arg, f->handle);
	f->handle = NULL;
}

void bs_cache_tftp_files(struct bs_cache *c, struct tftp_files *out)
{
	out->open = tftp_open;
	out->close = tftp_close;
	out->arg = c;
}
