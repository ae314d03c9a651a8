/* SPDX-License-Identifier: MIT */
/*
 * Group commit across the process boundary: the lease intent ring, the
 * dataplane's half (bs_leasesync) and control's half (bs_journal_pump), in
 * one process and across fork().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/journal.h"
#include "leasesync.h"
#include "unit.h"
#include "util/bytes.h"

#define NOW   1700000000
#define IP(n) (0x0a000000u + (n))

static char dir[64], path[128];
static const struct bs_log nolog = {NULL, NULL, 0};

static void mac_of(unsigned id, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	put_be32(mac + 2, id);
}

static struct lease mk(unsigned id, enum lease_state st)
{
	struct lease l = {.ip = IP(id), .state = (uint8_t)st, .expires = NOW + 3600};

	mac_of(id, l.mac);
	return l;
}

static void test_ring(void)
{
	struct bs_intents r;
	struct lease in[100], out[100];
	uint64_t last, seq;

	CU_ASSERT_EQUAL_FATAL(bs_intents_new(64, &r), 0);
	CU_ASSERT_EQUAL(bs_intents_space(&r), 64);
	for (unsigned i = 0; i < 100; i++)
		in[i] = mk(i, LEASE_BOUND);
	/* More than fits: only 64 go in. */
	seq = bs_intents_push(&r, in, 100);
	CU_ASSERT_EQUAL(seq, 64);
	CU_ASSERT_EQUAL(bs_intents_space(&r), 0);
	CU_ASSERT_EQUAL(bs_intents_wait(&r, seq, 10), -ETIMEDOUT);
	CU_ASSERT_EQUAL(bs_intents_peek(&r, out, 10, &last), 10);
	CU_ASSERT_EQUAL(last, 10);
	CU_ASSERT_EQUAL(out[9].ip, IP(9));
	bs_intents_done(&r, last, 1);
	CU_ASSERT_EQUAL(bs_intents_wait(&r, 10, 0), 0);
	CU_ASSERT_EQUAL(bs_intents_wait(&r, 11, 10), -ETIMEDOUT);
	CU_ASSERT_EQUAL(bs_intents_space(&r), 10);
	/* The rest fails: the waiter learns it at once, no timeout. */
	CU_ASSERT_EQUAL(bs_intents_peek(&r, out, 100, &last), 54);
	CU_ASSERT_EQUAL(out[0].ip, IP(10));
	bs_intents_done(&r, last, 0);
	CU_ASSERT_EQUAL(bs_intents_wait(&r, 64, 5000), -EIO);
	/* A later success covers the failed ones too (a rewrite did it). */
	seq = bs_intents_push(&r, in, 3);
	CU_ASSERT_EQUAL(seq, 67);
	CU_ASSERT_EQUAL(out[0].ip, IP(10));
	CU_ASSERT_EQUAL(bs_intents_peek(&r, out, 100, &last), 3);
	CU_ASSERT_EQUAL(out[0].ip, IP(0)); /* wrapped around */
	bs_intents_done(&r, last, 1);
	CU_ASSERT_EQUAL(bs_intents_wait(&r, 64, 0), 0);
	CU_ASSERT_EQUAL(bs_intents_durable(&r), 67);
	bs_intents_free(&r);
}

/* Both halves in one process, as bootstorm runs them before the split. */
struct both {
	struct lease_table *dp;
	struct leasefile *lf;
	struct bs_intents ring;
	struct bs_journal j;
	struct bs_leasesync s;
	int pumps;
};

static void pump(void *arg)
{
	struct both *b = arg;

	b->pumps++;
	bs_journal_pump(&b->j, NOW);
}

static void both_open(struct both *b, uint32_t ring_cap)
{
	memset(b, 0, sizeof(*b));
	unlink(path);
	b->dp = lease_table_new(1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->dp);
	b->lf = leasefile_open(path, b->dp, NOW, &nolog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->lf);
	CU_ASSERT_EQUAL_FATAL(bs_intents_new(ring_cap, &b->ring), 0);
	CU_ASSERT_EQUAL_FATAL(bs_journal_init(&b->j, b->lf, 1000, &b->ring, &nolog), 0);
	b->s = (struct bs_leasesync){b->dp, &b->ring, 100, pump, b};
}

static void both_close(struct both *b)
{
	bs_journal_fini(&b->j);
	bs_intents_free(&b->ring);
	leasefile_close(b->lf);
	lease_table_free(b->dp);
}

/* What a restart would see: the file replayed into a fresh table. */
static struct lease_table *replayed(void)
{
	struct lease_table *t = lease_table_new(1000);
	struct leasefile *lf = leasefile_open(path, t, NOW, &nolog);

	CU_ASSERT_PTR_NOT_NULL(lf);
	leasefile_close(lf);
	return t;
}

static void test_one_process(void)
{
	struct both b;
	struct lease_table *t;
	uint8_t mac[6];

	both_open(&b, 64);
	/* 300 changes: more than the ring holds, so the sync goes round. */
	for (unsigned i = 1; i <= 150; i++) {
		mac_of(i, mac);
		CU_ASSERT_EQUAL(lease_set(b.dp, IP(i), mac, LEASE_BOUND, NOW + 3600, "h", NOW), 0);
	}
	mac_of(500, mac);
	CU_ASSERT_EQUAL(lease_set(b.dp, IP(500), mac, LEASE_OFFERED, NOW + 60, NULL, NOW), 0);
	lease_release(b.dp, IP(7));
	CU_ASSERT_EQUAL(lease_decline(b.dp, IP(8), NOW + 600), 0);
	CU_ASSERT_EQUAL(bs_leasesync(&b.s), 0);
	CU_ASSERT(b.pumps >= 3);
	CU_ASSERT_EQUAL(bs_intents_durable(&b.ring), bs_intents_head(&b.ring));
	/* What a restarted dataplane replays: bindings, no offer. */
	t = lease_table_new(1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(leasefile_replay(path, t, NOW, &nolog), 0);
	CU_ASSERT_EQUAL(lease_count(t), 149);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(500)));
	CU_ASSERT_PTR_NOT_NULL(lease_find_ip(b.dp, IP(500)));
	lease_table_free(t);
	/* Nothing changed: nothing to wait for. */
	CU_ASSERT_EQUAL(bs_leasesync(&b.s), 0);
	t = replayed();
	CU_ASSERT_EQUAL(lease_count(t), 149);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(7)));
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(500)));
	CU_ASSERT_EQUAL(lease_find_ip(t, IP(8))->state, LEASE_DECLINED);
	CU_ASSERT_EQUAL(lease_find_ip(t, IP(150))->state, LEASE_BOUND);
	lease_table_free(t);
	both_close(&b);
}

/* A failed fdatasync/write: the burst hears -EIO, and the next pump
   rewrites the journal so the failed records become durable after all. */
static void test_failure(void)
{
	struct both b;
	struct rlimit old, lim;
	struct lease_table *t;
	uint8_t mac[6];

	both_open(&b, 64);
	mac_of(1, mac);
	CU_ASSERT_EQUAL(lease_set(b.dp, IP(1), mac, LEASE_BOUND, NOW + 3600, NULL, NOW), 0);
	CU_ASSERT_EQUAL(bs_leasesync(&b.s), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 30; /* the header fits, a second record does not */
	setrlimit(RLIMIT_FSIZE, &lim);
	mac_of(2, mac);
	CU_ASSERT_EQUAL(lease_set(b.dp, IP(2), mac, LEASE_BOUND, NOW + 3600, NULL, NOW), 0);
	CU_ASSERT_EQUAL(bs_leasesync(&b.s), -EIO);
	CU_ASSERT_EQUAL(b.j.errors, 1);
	setrlimit(RLIMIT_FSIZE, &old);
	/* Nothing new, but the journal is broken: the pump rewrites it. */
	CU_ASSERT_EQUAL(bs_journal_pump(&b.j, NOW), 0);
	CU_ASSERT_EQUAL(bs_intents_wait(&b.ring, bs_intents_head(&b.ring), 0), 0);
	t = replayed();
	CU_ASSERT_PTR_NOT_NULL(lease_find_ip(t, IP(2)));
	lease_table_free(t);
	both_close(&b);
}

/* Control in another process (fork, as bootstorm does): the producer
   waits for it; once it is gone, the wait times out. */
static void test_two_processes(void)
{
	struct both b;
	struct lease_table *t;
	uint8_t mac[6];
	pid_t pid;
	int status;

	both_open(&b, 64);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct pollfd p = {.fd = b.ring.to_ctl, .events = POLLIN};

		for (;;) {
			if (poll(&p, 1, 2000) <= 0)
				_exit(0);
			bs_journal_pump(&b.j, NOW);
		}
	}
	b.s.pump = NULL;
	b.s.timeout_ms = 5000;
	for (unsigned i = 1; i <= 200; i++) {
		mac_of(i, mac);
		CU_ASSERT_EQUAL(lease_set(b.dp, IP(i), mac, LEASE_BOUND, NOW + 3600, NULL, NOW), 0);
		if (i % 50 == 0)
			CU_ASSERT_EQUAL(bs_leasesync(&b.s), 0);
	}
	/* Durable means on disk: the file already has all 200. */
	t = replayed();
	CU_ASSERT_EQUAL(lease_count(t), 200);
	lease_table_free(t);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	mac_of(999, mac);
	CU_ASSERT_EQUAL(lease_set(b.dp, IP(999), mac, LEASE_BOUND, NOW + 3600, NULL, NOW), 0);
	b.s.timeout_ms = 50;
	CU_ASSERT_EQUAL(bs_leasesync(&b.s), -ETIMEDOUT);
	both_close(&b);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"ring", test_ring},
	    {"one process", test_one_process},
	    {"write failure", test_failure},
	    {"two processes", test_two_processes},
	    {0},
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/bs-intents-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/leases", dir);
	rc = unit_run("intents", tests);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases.tmp", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
