/* SPDX-License-Identifier: MIT */
/*
 * Lease journal (format: docs/leasefile.md). Each record is one text line
 * carrying a lease's whole new state and a CRC-32 of the line, so replay is
 * "last record per address wins" and a torn or corrupted record is detected
 * on its own, without trusting anything around it.
 */
#include "leasefile.h"

#include "util/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LF_HEADER   "# bootstorm-leases 1\n"
#define LF_LINE_MAX 160
#define LF_DRAIN    256
/* Compaction writes the file in chunks this big: the buffer stays small
   (the whole 1M-lease file would be 68 MB of control's memory). */
#define LF_CHUNK 65536
/* Compact when records > 2 x live leases + this. */
#define LF_SLACK 1024
/* Records of failed batches kept for the rewrite (without a table). */
#define LF_PENDING_MAX 65536

struct leasefile {
	char *path;
	char *tmp; /* path.tmp: where compaction writes */
	int fd;
	const struct bs_log *log;
	size_t records;
	size_t live;	   /* live leases at the last replay or compaction */
	bool need_compact; /* an append failed: rewrite from the table */
	/* Without a table: the records of batches that failed since, oldest
	   first, for the rewrite (they are in no file yet). */
	struct lease *pending;
	size_t npending;
	/* Background compaction (bg_start): its helper, the journal's size
	   when it started, and when to try again after a failure. */
	pid_t cpid, cowner;
	int cpipe;
	off_t cbase;
	size_t retry_at;
	char *wbuf;
	size_t wcap;
	struct lease drained[LF_DRAIN];
};

unsigned long leasefile_crc32(const void *data, size_t len)
{
	/* Nibble table: small, no start-up computation, fast enough for text. */
	static const uint32_t tab[16] = {
	    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	    0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	    0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ tab[crc & 15];
		crc = (crc >> 4) ^ tab[crc & 15];
	}
	return crc ^ 0xffffffffu;
}

size_t leasefile_records(const struct leasefile *lf)
{
	return lf->records;
}

/*
 * The journal records bindings, not offers: an offer (met here when
 * compaction walks the live table) is written as "free", so a restart
 * forgets it, as it may.
 */
static const char *state_name(uint8_t st)
{
	return lease_state_name(st == LEASE_OFFERED ? LEASE_FREE : st);
}

/* One record, newline included; returns its length. */
static size_t format_line(const struct lease *l, char *out)
{
	char host[sizeof(l->hostname)];
	size_t n = 0;
	int w;

	/* Hostnames are written as a single token; anything else is dropped. */
	for (size_t i = 0; i < sizeof(l->hostname) && l->hostname[i]; i++) {
		char c = l->hostname[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			host[n++] = c;
	}
	host[n] = '\0';
	w = snprintf(out, LF_LINE_MAX,
		     "%" PRIu64 " %02x:%02x:%02x:%02x:%02x:%02x %u.%u.%u.%u %s %s",
		     (uint64_t)(l->expires > 0 ? l->expires : 0), l->mac[0], l->mac[1], l->mac[2],
		     l->mac[3], l->mac[4], l->mac[5], l->ip >> 24, (l->ip >> 16) & 255,
		     (l->ip >> 8) & 255, l->ip & 255, state_name(l->state), n ? host : "*");
	w +=
	    snprintf(out + w, LF_LINE_MAX - (size_t)w, " %08lx\n", leasefile_crc32(out, (size_t)w));
	return (size_t)w;
}

/* strtonum-like: a decimal in [0, max] spanning the whole token. */
static int parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse one record (without its newline). 0 or -EBADMSG. */
static int parse_line(const char *s, size_t len, struct lease *l)
{
	const char *tok[6];
	size_t tl[6], nt = 0, start = 0;
	uint64_t v;
	unsigned long crc = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (nt == 6)
			return -EBADMSG;
		tok[nt] = s + start;
		tl[nt++] = i - start;
		start = i + 1;
	}
	if (nt != 6 || tl[5] != 8)
		return -EBADMSG;
	for (int i = 0; i < 8; i++) {
		int h = hexval(tok[5][i]);

		if (h < 0)
			return -EBADMSG;
		crc = crc << 4 | (unsigned long)h;
	}
	if (crc != leasefile_crc32(s, (size_t)(tok[5] - s - 1)))
		return -EBADMSG;

	memset(l, 0, sizeof(*l));
	if (parse_num(tok[0], tl[0], INT64_MAX, &v))
		return -EBADMSG;
	l->expires = (time_t)v;
	if (tl[1] != 17)
		return -EBADMSG;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(tok[1][3 * i]), lo = hexval(tok[1][3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && tok[1][3 * i + 2] != ':'))
			return -EBADMSG;
		l->mac[i] = (uint8_t)(hi << 4 | lo);
	}
	{
		const char *p = tok[2], *end = tok[2] + tl[2];
		uint32_t ip = 0;

		for (int i = 0; i < 4; i++) {
			const char *q = p;

			while (q < end && *q != '.')
				q++;
			if (parse_num(p, (size_t)(q - p), 255, &v) || (i < 3) != (q < end))
				return -EBADMSG;
			ip = ip << 8 | (uint32_t)v;
			p = q + 1;
		}
		l->ip = ip;
	}
	if (tl[3] == 5 && !memcmp(tok[3], "bound", 5))
		l->state = LEASE_BOUND;
	else if (tl[3] == 8 && !memcmp(tok[3], "declined", 8))
		l->state = LEASE_DECLINED;
	else if (tl[3] == 4 && !memcmp(tok[3], "free", 4))
		l->state = LEASE_FREE;
	else
		return -EBADMSG;
	if (tl[4] >= sizeof(l->hostname))
		return -EBADMSG;
	if (!(tl[4] == 1 && tok[4][0] == '*'))
		memcpy(l->hostname, tok[4], tl[4]);
	return 0;
}

static int wbuf_reserve(struct leasefile *lf, size_t need)
{
	char *nb;
	size_t ncap = lf->wcap ? lf->wcap : 16384;

	if (need <= lf->wcap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(lf->wbuf, ncap);
	if (!nb)
		return -ENOMEM;
	lf->wbuf = nb;
	lf->wcap = ncap;
	return 0;
}

/* Replay the file at path (its first limit bytes; -1: all) into t;
   *records counts the good records. Sets *dirty when the file needs a
   rewrite. */
static int replay(const char *path, const struct bs_log *log, struct lease_table *t, time_t now,
		  off_t limit, size_t *records, bool *dirty)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0, bad = 0;
	off_t done = 0;
	ssize_t n;

	*dirty = false;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((limit < 0 || done < limit) && (n = getline(&line, &cap, f)) > 0) {
		struct lease l;

		done += n;
		lineno++;
		if (line[n - 1] != '\n') {
			/* A crash mid-append: the record never became durable. */
			bs_logf(log, LOG_WARNING, "%s: torn record at line %zu discarded", path,
				lineno);
			*dirty = true;
			break;
		}
		if (line[0] == '#')
			continue;
		if (parse_line(line, (size_t)n - 1, &l) < 0) {
			/* Records are self-contained: skipping one loses only
			   that change, the rest still replays. */
			if (bad++ < 10)
				bs_logf(log, LOG_ERR, "%s:%zu: corrupt lease record skipped", path,
					lineno);
			*dirty = true;
			continue;
		}
		(*records)++;
		if (l.state != LEASE_FREE && l.expires != 0 && l.expires <= now)
			l.state = LEASE_FREE; /* expired while we were down */
		lease_restore(t, &l);
	}
	free(line);
	if (ferror(f)) {
		int err = -errno;

		fclose(f);
		return err ? err : -EIO;
	}
	fclose(f);
	return 0;
}

static int open_append(struct leasefile *lf)
{
	lf->fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return lf->fd < 0 ? -errno : 0;
}

struct leasefile *leasefile_open(const char *path, struct lease_table *t, time_t now,
				 const struct bs_log *log)
{
	struct leasefile *lf = calloc(1, sizeof(*lf));
	struct stat st;
	bool dirty;
	int err;

	if (!lf)
		return NULL;
	lf->fd = -1;
	lf->log = log;
	lf->path = strdup(path);
	lf->tmp = malloc(strlen(path) + 5);
	if (!lf->path || !lf->tmp) {
		err = -ENOMEM;
		goto fail;
	}
	strcpy(lf->tmp, path);
	strcat(lf->tmp, ".tmp");
	err = replay(path, log, t, now, -1, &lf->records, &dirty);
	if (err)
		goto fail;
	/* Rewrite after damage, so new records never follow a torn line. */
	if (dirty || stat(path, &st) < 0 || st.st_size == 0) {
		err = leasefile_compact(lf, t, now);
		if (err)
			goto fail;
	} else {
		err = open_append(lf);
		if (err)
			goto fail;
	}
	/* Anything replay changed is already on disk. */
	while (lease_drain_changes(t, lf->drained, LF_DRAIN))
		;
	lf->live = lease_count(t);
	return lf;
fail:
	leasefile_close(lf);
	errno = -err;
	return NULL;
}

struct compact_ctx {
	struct leasefile *lf;
	int fd;
	size_t len, n;
	time_t now;
	int err;
};

static void compact_one(void *arg, const struct lease *l)
{
	struct compact_ctx *cc = arg;

	if (cc->err || (l->state != LEASE_BOUND && l->state != LEASE_DECLINED))
		return;
	if (l->expires != 0 && l->expires <= cc->now)
		return;
	if (cc->len + LF_LINE_MAX > LF_CHUNK) {
		cc->err = bs_write_all(cc->fd, cc->lf->wbuf, cc->len);
		cc->len = 0;
		if (cc->err)
			return;
	}
	cc->len += format_line(l, cc->lf->wbuf + cc->len);
	cc->n++;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	else if (fsync(fd) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

static void bg_cancel(struct leasefile *lf);

/* Write the live leases of t to lf->tmp and fsync it; *n counts them. */
static int write_compact(struct leasefile *lf, struct lease_table *t, time_t now, size_t *n)
{
	struct compact_ctx cc = {.lf = lf, .fd = -1, .now = now};
	int fd, err = wbuf_reserve(lf, LF_CHUNK);

	if (err)
		return err;
	fd = open(lf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	memcpy(lf->wbuf, LF_HEADER, sizeof(LF_HEADER) - 1);
	cc.len = sizeof(LF_HEADER) - 1;
	cc.fd = fd;
	lease_foreach(t, compact_one, &cc);
	err = cc.err;
	if (!err)
		err = bs_write_all(fd, lf->wbuf, cc.len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(lf->tmp);
	*n = cc.n;
	return err;
}

/* lf->tmp (complete and synced) becomes the journal: records in it, live
   of them live leases. */
static int install(struct leasefile *lf, size_t records, size_t live)
{
	int err = 0;

	if (rename(lf->tmp, lf->path) < 0) {
		err = -errno;
		unlink(lf->tmp);
	}
	/* The rename is durable only once the directory is. */
	if (!err)
		err = fsync_dir(lf->path);
	if (!err) {
		if (lf->fd >= 0)
			close(lf->fd);
		lf->fd = -1;
		err = open_append(lf);
		lf->records = records;
		lf->live = live;
	}
	lf->need_compact = err != 0;
	return err;
}

int leasefile_compact(struct leasefile *lf, struct lease_table *t, time_t now)
{
	size_t n;
	int err;

	bg_cancel(lf); /* this rewrite replaces what it would install */
	err = write_compact(lf, t, now, &n);
	if (!err)
		return install(lf, n, n);
	lf->need_compact = true;
	return err;
}

/*
 * Background compaction (control, without a table). A forked helper
 * replays the journal's first cbase bytes (all of it when it starts) into
 * a table of its own and writes it compact to lf->tmp, synced; control
 * appends on meanwhile. When the helper is done, control copies what it
 * appended since cbase to the end of lf->tmp, syncs it and renames it over
 * the journal: no record appended during the compaction is lost, and the
 * packet path waits only for that copy, one fdatasync, the rename and the
 * directory's fsync, not for the replay.
 */
static void bg_child(struct leasefile *lf, pid_t parent, int wfd, uint32_t max, time_t now)
{
	struct lease_table *t;
	size_t records = 0, n = 0;
	bool dirty;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(2);
	t = lease_table_new(max);
	if (!t || replay(lf->path, NULL, t, now, lf->cbase, &records, &dirty) < 0 ||
	    write_compact(lf, t, now, &n) < 0)
		_exit(1);
	_exit(bs_write_all(wfd, &n, sizeof(n)) < 0);
}

static void bg_start(struct leasefile *lf, uint32_t max, time_t now)
{
	pid_t parent = getpid();
	int p[2];

	lf->cbase = lseek(lf->fd, 0, SEEK_END); /* after a whole record */
	if (lf->cbase < 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	lf->cpid = fork();
	if (lf->cpid == 0) {
		close(p[0]);
		bg_child(lf, parent, p[1], max, now);
	}
	close(p[1]);
	if (lf->cpid < 0) {
		bs_logf(lf->log, LOG_ERR, "%s: compaction: fork: %m", lf->path);
		lf->cpid = 0;
		close(p[0]);
		lf->retry_at = lf->records + LF_SLACK;
		return;
	}
	lf->cowner = parent;
	lf->cpipe = p[0];
}

/* Stop a helper still running (or done but not installed); its file goes. */
static void bg_cancel(struct leasefile *lf)
{
	if (!lf->cpid || lf->cowner != getpid())
		return;
	kill(lf->cpid, SIGKILL);
	waitpid(lf->cpid, NULL, 0);
	close(lf->cpipe);
	unlink(lf->tmp);
	lf->cpid = 0;
}

/* Append the journal's bytes from lf->cbase to lf->tmp; *recs counts them. */
static int copy_tail(struct leasefile *lf, size_t *recs)
{
	int in = open(lf->path, O_RDONLY | O_CLOEXEC), out = -1, err = 0;
	off_t off = lf->cbase;
	ssize_t got;

	*recs = 0;
	if (in < 0)
		return -errno;
	out = open(lf->tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (out < 0)
		err = -errno;
	while (!err && (got = pread(in, lf->wbuf, LF_CHUNK, off)) != 0) {
		if (got < 0) {
			err = -errno;
			break;
		}
		for (ssize_t i = 0; i < got; i++)
			*recs += lf->wbuf[i] == '\n';
		err = bs_write_all(out, lf->wbuf, (size_t)got);
		off += got;
	}
	if (!err && fdatasync(out) < 0)
		err = -errno;
	if (out >= 0 && close(out) < 0 && !err)
		err = -errno;
	close(in);
	return err;
}

/* The helper finished (or, with block, once it does): install its file. */
static int bg_finish(struct leasefile *lf, bool block)
{
	size_t n = 0, tail;
	int status, err;
	pid_t r;

	if (!lf->cpid || lf->cowner != getpid())
		return 0;
	while ((r = waitpid(lf->cpid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 0; /* still running */
	lf->cpid = 0;
	err = read(lf->cpipe, &n, sizeof(n)) == (ssize_t)sizeof(n) && r > 0 && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0
		  ? 0
		  : -EIO;
	close(lf->cpipe);
	if (!err)
		err = wbuf_reserve(lf, LF_CHUNK);
	if (!err)
		err = copy_tail(lf, &tail);
	if (!err)
		err = install(lf, n + tail, n);
	if (!err) {
		bs_logf(lf->log, LOG_INFO,
			"%s: compacted: %zu leases, %zu records appended meanwhile", lf->path, n,
			tail);
		return 0;
	}
	if (lf->need_compact)
		return err; /* renamed, or not: the next write rewrites */
	/* The journal itself is intact: try again after more records. */
	unlink(lf->tmp);
	lf->need_compact = false;
	lf->retry_at = lf->records + LF_SLACK;
	bs_logf(lf->log, LOG_ERR, "%s: compaction failed: %s", lf->path, strerror(-err));
	return 0;
}

int leasefile_replay(const char *path, struct lease_table *t, time_t now, const struct bs_log *log)
{
	struct lease scratch[64];
	size_t records = 0;
	bool dirty;
	int err = replay(path, log, t, now, -1, &records, &dirty);

	/* What it replays is on disk already: nothing to push back. */
	while (lease_drain_changes(t, scratch, 64))
		;
	return err;
}

/*
 * A batch failed: keep its records for the rewrite, as a table would
 * (they were not acknowledged, so past LF_PENDING_MAX they are dropped:
 * then only the client's retry makes its lease durable).
 */
static void keep_pending(struct leasefile *lf, const struct lease *l, size_t n)
{
	struct lease *np;

	if (n == 0 || lf->npending + n > LF_PENDING_MAX) {
		if (n)
			bs_logf(lf->log, LOG_ERR, "%s: %zu failed records dropped", lf->path, n);
		return;
	}
	np = realloc(lf->pending, (lf->npending + n) * sizeof(*np));
	if (!np) {
		bs_logf(lf->log, LOG_ERR, "%s: %zu failed records dropped", lf->path, n);
		return;
	}
	memcpy(np + lf->npending, l, n * sizeof(*np));
	lf->pending = np;
	lf->npending += n;
}

static void restore_all(struct lease_table *t, const struct lease *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].state != LEASE_OFFERED)
			lease_restore(t, &l[i]);
}

/*
 * Compaction without a resident table (control's): the journal replayed
 * into a temporary one, then the records of failed batches and l[0..n)
 * on top (the batch being written: a rewrite must carry it), written out
 * compact, the table freed. Nothing is appended meanwhile: appends and
 * compaction both run in the caller's thread, one after the other.
 */
static int compact_replayed(struct leasefile *lf, uint32_t max, const struct lease *l, size_t n,
			    time_t now)
{
	struct lease_table *t = lease_table_new(max);
	size_t records = 0;
	bool dirty;
	int err = -ENOMEM;

	if (t) {
		err = replay(lf->path, lf->log, t, now, -1, &records, &dirty);
		if (!err) {
			restore_all(t, lf->pending, lf->npending);
			restore_all(t, l, n);
			err = leasefile_compact(lf, t, now);
		}
		lease_table_free(t);
	}
	if (err) {
		lf->need_compact = true;
		keep_pending(lf, l, n);
		return err;
	}
	free(lf->pending);
	lf->pending = NULL;
	lf->npending = 0;
	return 0;
}

/* Append len bytes (recs records) and make them durable; compact when the
   journal has grown well past the live leases (of t; without t, as many as
   the last replay or compaction found). */
static int commit(struct leasefile *lf, struct lease_table *t, uint32_t max, size_t len,
		  size_t recs, time_t now)
{
	off_t off;
	int err;

	if (len) {
		off = lseek(lf->fd, 0, SEEK_END);
		err = bs_write_all(lf->fd, lf->wbuf, len);
		if (!err && fdatasync(lf->fd) < 0)
			err = -errno;
		if (err) {
			/* Leave no half record behind; retry as a rewrite. */
			if (off >= 0 && ftruncate(lf->fd, off) < 0)
				bs_logf(lf->log, LOG_ERR, "%s: cannot truncate: %m", lf->path);
			lf->need_compact = true;
			return err;
		}
		lf->records += recs;
	}
	if (lf->records <= 2 * (t ? lease_count(t) : lf->live) + LF_SLACK)
		return 0;
	if (t)
		return leasefile_compact(lf, t, now);
	if (!lf->cpid && lf->records >= lf->retry_at)
		bg_start(lf, max, now);
	return 0;
}

/* Format n records at *len in the write buffer; *recs counts them. */
static int format_recs(struct leasefile *lf, const struct lease *l, size_t n, size_t *len,
		       size_t *recs)
{
	int err = wbuf_reserve(lf, *len + n * LF_LINE_MAX);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		/* Offers are not promises: a restart may forget them. An
		   offer never replaces a live binding of another client, so
		   skipping it cannot resurrect one. */
		if (l[i].state == LEASE_OFFERED)
			continue;
		*len += format_line(&l[i], lf->wbuf + *len);
		(*recs)++;
	}
	return 0;
}

int leasefile_sync(struct leasefile *lf, struct lease_table *t, time_t now)
{
	size_t len = 0, n, recs = 0;
	int err;

	if (lf->need_compact || lf->fd < 0) {
		/* After a failed append the journal may lack records; the
		   table holds the truth, so rewrite it whole. */
		while (lease_drain_changes(t, lf->drained, LF_DRAIN))
			;
		return leasefile_compact(lf, t, now);
	}
	while ((n = lease_drain_changes(t, lf->drained, LF_DRAIN)) > 0) {
		err = format_recs(lf, lf->drained, n, &len, &recs);
		if (err)
			return err;
	}
	return commit(lf, t, 0, len, recs, now);
}

int leasefile_write(struct leasefile *lf, uint32_t max, const struct lease *l, size_t n, time_t now)
{
	size_t len = 0, recs = 0;
	int err;

	bg_finish(lf, false);
	if (lf->need_compact || lf->fd < 0)
		return compact_replayed(lf, max, l, n, now);
	err = format_recs(lf, l, n, &len, &recs);
	if (!err)
		err = commit(lf, NULL, max, len, recs, now);
	/* A failed append (not a failed compaction: those records are on
	   disk, but replaying them again is harmless). */
	if (err && lf->need_compact)
		keep_pending(lf, l, n);
	return err;
}

bool leasefile_broken(const struct leasefile *lf)
{
	return lf->need_compact || lf->fd < 0;
}

pid_t leasefile_compacting(const struct leasefile *lf)
{
	return lf->cowner == getpid() ? lf->cpid : 0;
}

int leasefile_compact_wait(struct leasefile *lf)
{
	return bg_finish(lf, true);
}

void leasefile_close(struct leasefile *lf)
{
	if (!lf)
		return;
	bg_cancel(lf);
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->wbuf);
	free(lf->pending);
	free(lf->tmp);
	free(lf->path);
	free(lf);
}
