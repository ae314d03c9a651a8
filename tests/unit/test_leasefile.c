/* SPDX-License-Identifier: MIT */
/* Lease journal: restart, torn tail, corruption, expiry, compaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/leasefile.h"
#include "unit.h"
#include "util/bytes.h"

#define NOW   1700000000
#define IP(n) (0x0a000000u + (n))

static char dir[64], path[128];
static char logbuf[4096];

static void log_capture(void *arg, int prio, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)arg;
	(void)prio;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static const struct bs_log tlog = {log_capture, NULL, LOG_DEBUG};

static void fresh(void)
{
	unlink(path);
	logbuf[0] = '\0';
}

static void mac_of(unsigned id, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	put_be32(mac + 2, id);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static char *read_all(void)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A record line with a correct CRC. */
static void line(char *out, size_t cap, const char *body)
{
	snprintf(out, cap, "%s %08lx\n", body, leasefile_crc32(body, strlen(body)));
}

static void test_crc(void)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	CU_ASSERT_EQUAL(leasefile_crc32("123456789", 9), 0xcbf43926ul);
	CU_ASSERT_EQUAL(leasefile_crc32("", 0), 0);
}

static void test_restart_keeps_leases(void)
{
	struct lease_table *t = lease_table_new(100);
	struct leasefile *lf;
	uint8_t mac[6];
	const struct lease *l;

	fresh();
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	mac_of(1, mac);
	lease_set(t, IP(1), mac, LEASE_BOUND, NOW + 3600, "pc1", NOW);
	mac_of(2, mac);
	lease_set(t, IP(2), mac, LEASE_BOUND, 0, NULL, NOW); /* infinite */
	mac_of(3, mac);
	lease_set(t, IP(3), mac, LEASE_OFFERED, NOW + 60, NULL, NOW);
	mac_of(4, mac);
	lease_set(t, IP(4), mac, LEASE_BOUND, NOW + 3600, NULL, NOW);
	lease_decline(t, IP(5), NOW + 600);
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
	lease_release(t, IP(4));
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0); /* nothing new: no-op */
	leasefile_close(lf);
	lease_table_free(t);

	t = lease_table_new(100);
	lf = leasefile_open(path, t, NOW + 1, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	l = lease_find_ip(t, IP(1));
	CU_ASSERT(l && l->state == LEASE_BOUND && l->expires == NOW + 3600 &&
		  !strcmp(l->hostname, "pc1"));
	mac_of(1, mac);
	CU_ASSERT(l && !memcmp(l->mac, mac, 6));
	l = lease_find_ip(t, IP(2));
	CU_ASSERT(l && l->expires == 0);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(3))); /* offers are not kept */
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(4))); /* released */
	l = lease_find_ip(t, IP(5));
	CU_ASSERT(l && l->state == LEASE_DECLINED);
	CU_ASSERT_EQUAL(lease_count(t), 3);
	CU_ASSERT_STRING_EQUAL(logbuf, "");
	leasefile_close(lf);
	lease_table_free(t);
}

struct replay_case {
	const char *desc;
	const char *bodies[4]; /* records, CRC added */
	const char *raw;       /* appended verbatim after them */
	size_t count;	       /* leases after replay */
	const char *log;       /* expected in the log, NULL = nothing */
};

static const struct replay_case replay_cases[] = {
    {"two records",
     {"1700003600 52:54:00:00:00:01 10.0.0.1 bound pc1", "0 52:54:00:00:00:02 10.0.0.2 bound *"},
     NULL,
     2,
     NULL},
    {"later record wins",
     {"1700003600 52:54:00:00:00:01 10.0.0.1 bound pc1",
      "1700003600 52:54:00:00:00:01 10.0.0.1 free *"},
     NULL,
     0,
     NULL},
    {"expired dropped",
     {"1699999999 52:54:00:00:00:01 10.0.0.1 bound *",
      "1700000000 52:54:00:00:00:02 10.0.0.2 declined *"},
     NULL,
     0,
     NULL},
    {"torn tail",
     {"0 52:54:00:00:00:01 10.0.0.1 bound *"},
     "0 52:54:00:00:00:02 10.0.0.2 bou",
     1,
     "torn"},
    {"corrupt line skipped",
     {"0 52:54:00:00:00:01 10.0.0.1 bound *"},
     "0 52:54:00:00:00:02 10.0.0.2 bound * 00000000\n",
     1,
     "corrupt"},
    {"bad address", {"0 52:54:00:00:00:01 10.0.0.256 bound *"}, NULL, 0, "corrupt"},
    {"bad mac", {"0 52:54:00:00:00 10.0.0.1 bound *"}, NULL, 0, "corrupt"},
    {"bad state", {"0 52:54:00:00:00:01 10.0.0.1 offered *"}, NULL, 0, "corrupt"},
    {"extra field", {"0 52:54:00:00:00:01 10.0.0.1 bound * x"}, NULL, 0, "corrupt"},
    {"number overflow",
     {"99999999999999999999 52:54:00:00:00:01 10.0.0.1 bound *"},
     NULL,
     0,
     "corrupt"},
    {"comment and empty hostname marker",
     {"# note", "0 52:54:00:00:00:01 10.0.0.1 bound *"},
     NULL,
     1,
     NULL},
};

static void test_replay_table(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(replay_cases); i++) {
		const struct replay_case *c = &replay_cases[i];
		char text[2048] = "", l[256];
		struct lease_table *t = lease_table_new(100);
		struct leasefile *lf;
		const char *after;

		fresh();
		for (int k = 0; k < 4 && c->bodies[k]; k++) {
			if (c->bodies[k][0] == '#')
				snprintf(l, sizeof(l), "%s\n", c->bodies[k]);
			else
				line(l, sizeof(l), c->bodies[k]);
			strcat(text, l);
		}
		if (c->raw)
			strcat(text, c->raw);
		write_file(text);
		lf = leasefile_open(path, t, NOW, &tlog);
		CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
		if (lease_count(t) != c->count)
			fprintf(stderr, "case '%s': %zu leases\n", c->desc, lease_count(t));
		CU_ASSERT_EQUAL(lease_count(t), c->count);
		if (c->log) {
			CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, c->log));
			/* Damage is rewritten away: the file ends with a newline. */
			after = read_all();
			CU_ASSERT(after && after[0] && after[strlen(after) - 1] == '\n');
			CU_ASSERT_PTR_NULL(strstr(after, "bou\n"));
		} else {
			CU_ASSERT_STRING_EQUAL(logbuf, "");
		}
		leasefile_close(lf);
		lease_table_free(t);
	}
}

/* New records after a torn tail must not be glued onto it. */
static void test_append_after_torn(void)
{
	char l[256], text[512];
	struct lease_table *t = lease_table_new(100);
	struct leasefile *lf;
	uint8_t mac[6];

	fresh();
	line(l, sizeof(l), "0 52:54:00:00:00:01 10.0.0.1 bound *");
	snprintf(text, sizeof(text), "%s0 52:54:00:00", l);
	write_file(text);
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	mac_of(7, mac);
	lease_set(t, IP(7), mac, LEASE_BOUND, 0, NULL, NOW);
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
	leasefile_close(lf);
	lease_table_free(t);

	t = lease_table_new(100);
	logbuf[0] = '\0';
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	CU_ASSERT_EQUAL(lease_count(t), 2);
	CU_ASSERT_STRING_EQUAL(logbuf, "");
	leasefile_close(lf);
	lease_table_free(t);
}

struct sum {
	uint64_t ips, n;
};

static void sum_one(void *arg, const struct lease *l)
{
	struct sum *s = arg;

	s->ips += l->ip * 31u + l->mac[5] + (uint64_t)l->expires;
	s->n++;
}

static void test_compaction(void)
{
	struct lease_table *t = lease_table_new(1000);
	struct leasefile *lf;
	struct sum before = {0, 0}, after = {0, 0};
	struct stat st1, st2;
	uint8_t mac[6];

	fresh();
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	/* 100 clients renewing 40 times: 4000 records, 100 live leases. */
	for (int round = 0; round < 40; round++) {
		for (unsigned c = 0; c < 100; c++) {
			mac_of(c, mac);
			lease_set(t, IP(c), mac, LEASE_BOUND, NOW + 3600 + round, NULL, NOW);
		}
		CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
		CU_ASSERT(leasefile_records(lf) <= 2 * 100 + 1024 + 100);
	}
	stat(path, &st1);
	CU_ASSERT(st1.st_size < 1300 * 70); /* was compacted at least once */
	CU_ASSERT_EQUAL(leasefile_compact(lf, t, NOW), 0);
	CU_ASSERT_EQUAL(leasefile_records(lf), 100);
	stat(path, &st2);
	CU_ASSERT(st2.st_size < st1.st_size || leasefile_records(lf) == 100);
	lease_foreach(t, sum_one, &before);
	leasefile_close(lf);
	lease_table_free(t);

	t = lease_table_new(1000);
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	lease_foreach(t, sum_one, &after);
	CU_ASSERT_EQUAL(after.n, 100);
	CU_ASSERT_EQUAL(after.ips, before.ips);
	{
		char tmp[160];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		CU_ASSERT_EQUAL(access(tmp, F_OK), -1); /* renamed into place */
	}
	leasefile_close(lf);
	lease_table_free(t);
}

/* Records of n clients (from client 'first'), bound until NOW + exp. */
static void bound_recs(struct lease *l, unsigned first, unsigned n, time_t exp)
{
	for (unsigned i = 0; i < n; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].ip = IP(first + i);
		mac_of(first + i, l[i].mac);
		l[i].state = LEASE_BOUND;
		l[i].expires = NOW + exp;
	}
}

/*
 * Without a table (control's way): compaction runs in a helper process
 * while appends go on; what was appended meanwhile is in the result.
 */
static void test_background_compaction(void)
{
	struct lease_table *t = lease_table_new(1000);
	struct lease recs[111];
	struct leasefile *lf;
	const struct lease *l;
	pid_t pid = 0;
	char tmp[160];

	fresh();
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	lease_table_free(t);
	/* 100 clients renewing: past 2 x 0 + 1024 records a helper starts. */
	for (int round = 0; round < 20 && !pid; round++) {
		bound_recs(recs, 0, 100, 3600 + round);
		CU_ASSERT_EQUAL(leasefile_write(lf, 1000, recs, 100, NOW), 0);
		pid = leasefile_compacting(lf);
	}
	CU_ASSERT_FATAL(pid > 0);
	kill(pid, SIGSTOP);
	/* Appended while it runs: renewals, 10 new clients, a release. */
	bound_recs(recs, 0, 110, 7200);
	recs[110] = recs[0];
	recs[110].state = LEASE_FREE;
	CU_ASSERT_EQUAL(leasefile_write(lf, 1000, recs, 111, NOW), 0);
	CU_ASSERT_EQUAL(leasefile_compacting(lf), pid); /* still running */
	kill(pid, SIGCONT);
	CU_ASSERT_EQUAL(leasefile_compact_wait(lf), 0);
	CU_ASSERT_EQUAL(leasefile_compacting(lf), 0);
	/* The compact part (100) and the tail appended meanwhile (111). */
	CU_ASSERT_EQUAL(leasefile_records(lf), 100 + 111);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
	leasefile_close(lf);

	t = lease_table_new(1000);
	CU_ASSERT_EQUAL(leasefile_replay(path, t, NOW, &tlog), 0);
	CU_ASSERT_EQUAL(lease_count(t), 109);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(0)));
	l = lease_find_ip(t, IP(1));
	CU_ASSERT(l && l->expires == NOW + 7200);
	CU_ASSERT_PTR_NOT_NULL(lease_find_ip(t, IP(109)));
	lease_table_free(t);
}

/* A failed append (disk full) loses nothing: the next sync rewrites. */
static void test_write_failure(void)
{
	struct lease_table *t = lease_table_new(100);
	struct leasefile *lf;
	struct rlimit old, lim;
	struct stat st;
	uint8_t mac[6];
	char *text;

	fresh();
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	mac_of(1, mac);
	lease_set(t, IP(1), mac, LEASE_BOUND, 0, NULL, NOW);
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
	stat(path, &st);

	/* The file may grow by 30 bytes only: less than one record. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 30;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (unsigned c = 2; c < 6; c++) {
		mac_of(c, mac);
		lease_set(t, IP(c), mac, LEASE_BOUND, 0, NULL, NOW);
	}
	CU_ASSERT(leasefile_sync(lf, t, NOW) < 0);
	setrlimit(RLIMIT_FSIZE, &old);
	/* No torn record was left behind. */
	text = read_all();
	CU_ASSERT(text && text[strlen(text) - 1] == '\n');
	CU_ASSERT_EQUAL(leasefile_sync(lf, t, NOW), 0);
	leasefile_close(lf);
	lease_table_free(t);

	t = lease_table_new(100);
	logbuf[0] = '\0';
	lf = leasefile_open(path, t, NOW, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	CU_ASSERT_EQUAL(lease_count(t), 5);
	CU_ASSERT_STRING_EQUAL(logbuf, "");
	leasefile_close(lf);
	lease_table_free(t);
}

/* The example in docs/leasefile.md is a valid journal. */
static void test_doc_example(void)
{
	FILE *doc = fopen(unit_srcpath("docs/leasefile.md"), "r");
	char text[2048] = "", l[256];
	struct lease_table *t;
	struct leasefile *lf;
	unsigned n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	while (fgets(l, sizeof(l), doc))
		if (!strncmp(l, "    ", 4) && l[4] >= '0' && l[4] <= '9' &&
		    strlen(text) + strlen(l) < sizeof(text)) {
			strcat(text, l + 4);
			n++;
		}
	fclose(doc);
	CU_ASSERT_EQUAL(n, 4);
	fresh();
	write_file(text);
	t = lease_table_new(10);
	lf = leasefile_open(path, t, 1764000000, &tlog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	CU_ASSERT_STRING_EQUAL(logbuf, "");
	CU_ASSERT_EQUAL(lease_count(t), 2);
	CU_ASSERT_PTR_NOT_NULL(lease_find_ip(t, IP(50)));
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(105)));
	leasefile_close(lf);
	lease_table_free(t);
}

static void test_open_errors(void)
{
	struct lease_table *t = lease_table_new(10);

	errno = 0;
	CU_ASSERT_PTR_NULL(leasefile_open("/nonexistent-dir/x/leases", t, NOW, &tlog));
	CU_ASSERT_NOT_EQUAL(errno, 0);
	lease_table_free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"crc32", test_crc},
	    {"restart keeps leases", test_restart_keeps_leases},
	    {"replay table", test_replay_table},
	    {"append after torn tail", test_append_after_torn},
	    {"compaction", test_compaction},
	    {"background compaction", test_background_compaction},
	    {"write failure", test_write_failure},
	    {"doc example", test_doc_example},
	    {"open errors", test_open_errors},
	    {0},
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/bs-leasefile-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/leases", dir);
	rc = unit_run("leasefile", tests);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases.tmp", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
