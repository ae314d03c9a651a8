/* SPDX-License-Identifier: MIT */
/*
 * bootstorm-leasebench: durable leases per second through the real code
 * path (lease table -> change log -> leasefile_sync), memory per lease in
 * the table, and the start-up cost of a large journal (replay, compaction).
 *
 *   bootstorm-leasebench [-n LEASES] [-m MEMLEASES] [-t SECONDS] DIR
 *
 * DIR should be on the disk the server's lease file lives on: the numbers
 * are those of its fdatasync(). Output: one "row" line per measurement,
 * whitespace-separated key=value pairs (bench/lease-compare tabulates them).
 *
 * fdatasync()/fsync() calls are counted by wrapping them at link time
 * (-Wl,--wrap, bench/meson.build), so the count is what the library did,
 * not what this program assumes it did.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/leasefile.h"
#include "proto/lease.h"
#include "util/log.h"

static unsigned long n_fdatasync, n_fsync;

int __real_fdatasync(int fd);
int __real_fsync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fsync(int fd);

int __wrap_fdatasync(int fd)
{
	n_fdatasync++;
	return __real_fdatasync(fd);
}

int __wrap_fsync(int fd)
{
	n_fsync++;
	return __real_fsync(fd);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in bytes (VmRSS of /proc/self/status), 0 if unknown. */
static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Lease i: a distinct MAC and address (10.0.0.0/8 has room for 16M). */
static void lease_i(uint32_t i, uint8_t mac[6], uint32_t *ip)
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
	*ip = (10u << 24) | (i + 1);
}

static int bind_lease(struct lease_table *t, uint32_t i, time_t now)
{
	uint8_t mac[6];
	uint32_t ip;
	char host[16];

	lease_i(i, mac, &ip);
	snprintf(host, sizeof(host), "node-%u", i);
	return lease_set(t, ip, mac, LEASE_BOUND, now + 43200, host, now);
}

static const struct bs_log quiet = {0};

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void unlink_journal(const char *path)
{
	char tmp[4200];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
}

/*
 * Bind up to n leases, B per leasefile_sync (one batch = one group
 * commit), for at most secs seconds. Prints one row.
 */
static int bench_batch(const char *dir, uint32_t n, uint32_t b, double secs)
{
	char path[4096];
	struct lease_table *t = lease_table_new(n);
	struct leasefile *lf;
	time_t now = time(NULL);
	unsigned long d0, s0;
	uint32_t done = 0;
	double t0, el;
	int err = 0;

	if (!t)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/leasebench-b%u", dir, b);
	unlink_journal(path);
	lf = leasefile_open(path, t, now, &quiet);
	if (!lf) {
		err = -errno;
		lease_table_free(t);
		return err;
	}
	d0 = n_fdatasync;
	s0 = n_fsync;
	t0 = now_s();
	while (done < n && now_s() - t0 < secs) {
		for (uint32_t k = 0; k < b && done < n; k++, done++) {
			err = bind_lease(t, done, now);
			if (err)
				goto out;
		}
		err = leasefile_sync(lf, t, now);
		if (err)
			goto out;
	}
	el = now_s() - t0;
	printf("row kind=%s batch=%u leases=%u seconds=%.3f leases_per_s=%.0f fdatasync=%lu "
	       "fsync=%lu\n",
	       b == 1 ? "fsync-per-lease" : "group-commit", b, done, el, done / el,
	       n_fdatasync - d0, n_fsync - s0);
	fflush(stdout);
out:
	leasefile_close(lf);
	lease_table_free(t);
	unlink_journal(path);
	return err;
}

/*
 * m leases in the table: RSS delta and the sizeof-based estimate; then the
 * journal of those m leases: one group commit, replay (leasefile_open into
 * an empty table) and compaction.
 */
static int bench_big(const char *dir, uint32_t m)
{
	char path[4096];
	time_t now = time(NULL);
	struct lease_table *t, *t2;
	struct leasefile *lf;
	size_t rss0, rss1, cap = 1024, entry, per_slot, replayed;
	struct stat st = {0};
	double t0, el_bind, el_sync, el_replay, el_compact;
	unsigned long d0, s0;
	int err = 0;

	path_in(path, sizeof(path), dir, "leasebench-big");
	unlink_journal(path);
	rss0 = rss_bytes();
	t = lease_table_new(m);
	if (!t)
		return -ENOMEM;
	lf = leasefile_open(path, t, now, &quiet); /* new file: header only */
	if (!lf) {
		err = -errno;
		goto out_t;
	}
	t0 = now_s();
	for (uint32_t i = 0; i < m; i++) {
		err = bind_lease(t, i, now);
		if (err) {
			leasefile_close(lf);
			goto out_t;
		}
	}
	el_bind = now_s() - t0;
	rss1 = rss_bytes();
	/*
	 * Estimate from lease.c's layout: per slot one struct entry (a struct
	 * lease + two chain indexes + three flag bytes, padded to 8) and three
	 * uint32_t arrays (ip buckets, mac buckets, change-log ring); slots =
	 * capacity, the power of two >= dhcp-lease-max.
	 */
	while (cap < m)
		cap <<= 1;
	entry = (sizeof(struct lease) + 2 * sizeof(uint32_t) + 3 + 7) & ~(size_t)7;
	per_slot = entry + 3 * sizeof(uint32_t);
	printf("row kind=memory leases=%u rss_delta_bytes=%zu rss_per_lease=%.1f sizeof_lease=%zu "
	       "sizeof_per_slot=%zu capacity=%zu sizeof_per_lease=%.1f bind_s=%.3f\n",
	       m, rss1 - rss0, (double)(rss1 - rss0) / m, sizeof(struct lease), per_slot, cap,
	       (double)per_slot * cap / m, el_bind);
	fflush(stdout);

	d0 = n_fdatasync;
	t0 = now_s();
	err = leasefile_sync(lf, t, now);
	el_sync = now_s() - t0;
	leasefile_close(lf);
	if (err)
		goto out_t;

	stat(path, &st);
	t2 = lease_table_new(m);
	if (!t2) {
		err = -ENOMEM;
		goto out_t;
	}
	t0 = now_s();
	lf = leasefile_open(path, t2, now, &quiet);
	el_replay = now_s() - t0;
	if (!lf) {
		err = -errno;
		goto out_t2;
	}
	replayed = lease_count(t2);
	s0 = n_fsync;
	t0 = now_s();
	err = leasefile_compact(lf, t2, now);
	el_compact = now_s() - t0;
	s0 = n_fsync - s0;
	leasefile_close(lf);
	printf("row kind=journal leases=%u bytes=%lld sync_s=%.3f sync_fdatasync=%lu replay_s=%.3f "
	       "replayed=%zu compact_s=%.3f compact_fsync=%lu\n",
	       m, (long long)st.st_size, el_sync, n_fdatasync - d0, el_replay, replayed, el_compact,
	       s0);
	if (replayed != m) {
		fprintf(stderr, "replay restored %zu of %u leases\n", replayed, m);
		err = -EIO;
	}
out_t2:
	lease_table_free(t2);
out_t:
	lease_table_free(t);
	unlink_journal(path);
	return err;
}

static unsigned long parse_num(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bad number '%s' (%lu..%lu)\n", s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const uint32_t batches[] = {1, 8, 64, 256, 1024};
	uint32_t n = 100000, m = 1000000;
	double secs = 5;
	int o, err;

	while ((o = getopt(argc, argv, "n:m:t:")) != -1) {
		switch (o) {
		case 'n':
			n = parse_num(optarg, 1, 1u << 24);
			break;
		case 'm':
			m = parse_num(optarg, 1, 1u << 24);
			break;
		case 't':
			secs = parse_num(optarg, 1, 3600);
			break;
		default:
			fprintf(stderr, "usage: %s [-n leases] [-m memleases] [-t seconds] DIR\n",
				argv[0]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-n leases] [-m memleases] [-t seconds] DIR\n", argv[0]);
		return 2;
	}
	/* The big table first, on a fresh heap: its RSS delta must not be
	   served from pages an earlier run freed but malloc kept. */
	err = bench_big(argv[optind], m);
	if (err) {
		fprintf(stderr, "%u leases: %s\n", m, strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		err = bench_batch(argv[optind], n, batches[i], secs);
		if (err) {
			fprintf(stderr, "batch %u: %s\n", batches[i], strerror(-err));
			return 1;
		}
	}
	return 0;
}
