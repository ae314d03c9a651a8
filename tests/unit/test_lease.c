/* SPDX-License-Identifier: MIT */
/* Lease table: state rules, lease-max, quarantine, expiry, change log. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/lease.h"
#include "unit.h"
#include "util/bytes.h"

enum { SET, DECL, REL, EXPIRE, FIND_IP, FIND_MAC, END };

struct op {
	int op;
	uint32_t ip;
	uint8_t mac;   /* client id 1..9 (0 = none) */
	uint8_t state; /* SET: state to set; FIND_IP: state expected */
	time_t t;      /* SET/DECL: expires; EXPIRE: now */
	time_t now;    /* SET: now */
	int expect;    /* SET/DECL: rc; EXPIRE: freed; FIND_MAC: ip; FIND_IP: mac (0 = none) */
};

struct lease_case {
	const char *desc;
	uint32_t max;
	struct op ops[10];
	size_t active, count;
};

#define IP(n) (0x0a000000u + (n))

static const struct lease_case cases[] = {
    {"offer then bind",
     10,
     {{SET, IP(5), 1, LEASE_OFFERED, 60, 0, 0},
      {SET, IP(5), 1, LEASE_BOUND, 3600, 0, 0},
      {FIND_IP, IP(5), 0, LEASE_BOUND, 0, 0, 1},
      {FIND_MAC, 0, 1, 0, 0, 0, IP(5)},
      {END}},
     1,
     1},
    {"live lease is not given to another MAC",
     10,
     {{SET, IP(5), 1, LEASE_BOUND, 3600, 0, 0},
      {SET, IP(5), 2, LEASE_OFFERED, 60, 10, -EADDRINUSE},
      {FIND_IP, IP(5), 0, LEASE_BOUND, 0, 0, 1},
      {FIND_MAC, 0, 2, 0, 0, 0, 0},
      {END}},
     1,
     1},
    {"expired lease is reclaimed by another MAC",
     10,
     {{SET, IP(5), 1, LEASE_BOUND, 100, 0, 0},
      {SET, IP(5), 2, LEASE_OFFERED, 210, 150, 0},
      {FIND_IP, IP(5), 0, LEASE_OFFERED, 0, 0, 2},
      {FIND_MAC, 0, 1, 0, 0, 0, 0},
      {END}},
     1,
     1},
    {"a client holds one address",
     10,
     {{SET, IP(5), 1, LEASE_BOUND, 3600, 0, 0},
      {SET, IP(6), 1, LEASE_BOUND, 3600, 0, 0},
      {FIND_IP, IP(5), 0, 0, 0, 0, 0},
      {FIND_MAC, 0, 1, 0, 0, 0, IP(6)},
      {END}},
     1,
     1},
    {"lease-max",
     2,
     {{SET, IP(1), 1, LEASE_BOUND, 3600, 0, 0},
      {SET, IP(2), 2, LEASE_OFFERED, 60, 0, 0},
      {SET, IP(3), 3, LEASE_OFFERED, 60, 0, -ENOSPC},
      {SET, IP(3), 1, LEASE_BOUND, 3600, 0, 0}, /* moving is not growing */
      {FIND_MAC, 0, 3, 0, 0, 0, 0},
      {END}},
     2,
     2},
    {"decline quarantines",
     10,
     {{SET, IP(7), 1, LEASE_BOUND, 3600, 0, 0},
      {DECL, IP(7), 0, 0, 600, 0, 0},
      {FIND_MAC, 0, 1, 0, 0, 0, 0},
      {FIND_IP, IP(7), 0, LEASE_DECLINED, 0, 0, 1},
      {SET, IP(7), 2, LEASE_OFFERED, 70, 10, -EADDRINUSE},
      {SET, IP(7), 1, LEASE_OFFERED, 70, 10, -EADDRINUSE},
      {SET, IP(7), 2, LEASE_OFFERED, 760, 700, 0},
      {END}},
     1,
     1},
    {"release frees",
     10,
     {{SET, IP(8), 1, LEASE_BOUND, 3600, 0, 0},
      {REL, IP(8)},
      {FIND_IP, IP(8), 0, 0, 0, 0, 0},
      {FIND_MAC, 0, 1, 0, 0, 0, 0},
      {SET, IP(8), 2, LEASE_BOUND, 3600, 0, 0},
      {END}},
     1,
     1},
    {"expiry sweep keeps infinite leases",
     10,
     {{SET, IP(1), 1, LEASE_BOUND, 100, 0, 0},
      {SET, IP(2), 2, LEASE_BOUND, 0, 0, 0},
      {DECL, IP(3), 0, 0, 150, 0, 0},
      {EXPIRE, 0, 0, 0, 200, 0, 2},
      {FIND_IP, IP(2), 0, LEASE_BOUND, 0, 0, 2},
      {END}},
     1,
     1},
    {"bad state refused", 10, {{SET, IP(1), 1, LEASE_DECLINED, 100, 0, -EINVAL}, {END}}, 0, 0},
};

static void mac_of(uint8_t id, uint8_t mac[6])
{
	static const uint8_t base[6] = {0x52, 0x54, 0, 0, 0, 0};

	memcpy(mac, base, 6);
	mac[5] = id;
}

static void test_table(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(cases); i++) {
		const struct lease_case *c = &cases[i];
		struct lease_table *t = lease_table_new(c->max);
		uint8_t mac[6];

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		for (const struct op *o = c->ops; o->op != END; o++) {
			const struct lease *l;
			int rc = 0;

			mac_of(o->mac, mac);
			switch (o->op) {
			case SET:
				rc = lease_set(t, o->ip, mac, o->state, o->t, "host", o->now);
				break;
			case DECL:
				rc = lease_decline(t, o->ip, o->t);
				break;
			case REL:
				lease_release(t, o->ip);
				break;
			case EXPIRE:
				rc = (int)lease_expire(t, o->t, 100000);
				break;
			case FIND_IP:
				l = lease_find_ip(t, o->ip);
				rc = l ? l->mac[5] : 0;
				if (l)
					CU_ASSERT_EQUAL(l->state, o->state);
				break;
			case FIND_MAC:
				l = lease_find_mac(t, mac);
				rc = l ? (int)l->ip : 0;
				break;
			}
			if (rc != o->expect)
				fprintf(stderr, "case '%s' op %d: got %d want %d\n", c->desc,
					(int)(o - c->ops), rc, o->expect);
			CU_ASSERT_EQUAL(rc, o->expect);
		}
		CU_ASSERT_EQUAL(lease_active_count(t), c->active);
		CU_ASSERT_EQUAL(lease_count(t), c->count);
		lease_table_free(t);
	}
}

/* Each changed lease once, latest state; removals as LEASE_FREE. */
static void test_change_log(void)
{
	struct lease_table *t = lease_table_new(100);
	struct lease out[8];
	uint8_t m1[6], m2[6];
	size_t n;

	mac_of(1, m1);
	mac_of(2, m2);
	lease_set(t, IP(1), m1, LEASE_OFFERED, 60, NULL, 0);
	lease_set(t, IP(1), m1, LEASE_BOUND, 3600, "pc1", 0);
	lease_set(t, IP(2), m2, LEASE_BOUND, 3600, NULL, 0);
	lease_release(t, IP(2));
	n = lease_drain_changes(t, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(out[0].ip, IP(1));
	CU_ASSERT_EQUAL(out[0].state, LEASE_BOUND);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "pc1");
	CU_ASSERT_EQUAL(out[1].ip, IP(2));
	CU_ASSERT_EQUAL(out[1].state, LEASE_FREE);
	CU_ASSERT_EQUAL(lease_drain_changes(t, out, 8), 0);

	/* Hostname survives a renewal that does not carry one. */
	lease_set(t, IP(1), m1, LEASE_BOUND, 7200, NULL, 10);
	CU_ASSERT_STRING_EQUAL(lease_find_ip(t, IP(1))->hostname, "pc1");
	/* Restore is not a change. */
	struct lease r = {.ip = IP(9), .state = LEASE_BOUND, .expires = 99};

	memcpy(r.mac, m2, 6);
	CU_ASSERT_EQUAL(lease_restore(t, &r), 0);
	n = lease_drain_changes(t, out, 8);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(out[0].ip, IP(1));
	CU_ASSERT_EQUAL(lease_find_mac(t, m2)->ip, IP(9));
	/* A later record for the same MAC on another address replaces it. */
	r.ip = IP(10);
	CU_ASSERT_EQUAL(lease_restore(t, &r), 0);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, IP(9)));
	CU_ASSERT_EQUAL(lease_find_mac(t, m2)->ip, IP(10));
	r.state = LEASE_FREE;
	CU_ASSERT_EQUAL(lease_restore(t, &r), 0);
	CU_ASSERT_PTR_NULL(lease_find_mac(t, m2));
	CU_ASSERT_EQUAL(lease_drain_changes(t, out, 8), 0);
	lease_table_free(t);
}

/* Many clients: table growth, hashes consistent, change log bounded. */
static void test_many(void)
{
	enum { N = 50000 };
	struct lease_table *t = lease_table_new(N);
	static struct lease out[1000];
	size_t total = 0, n;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (uint32_t i = 0; i < N; i++) {
		put_be32(mac + 2, i);
		CU_ASSERT_EQUAL(lease_set(t, IP(i), mac, LEASE_OFFERED, 60, NULL, 0), 0);
		if (i % 3 == 0)
			lease_set(t, IP(i), mac, LEASE_BOUND, 600, NULL, 0);
		if (i % 1000 == 999) { /* drain mid-way, like batches */
			while ((n = lease_drain_changes(t, out, 1000)) > 0)
				total += n;
		}
	}
	while ((n = lease_drain_changes(t, out, 1000)) > 0)
		total += n;
	CU_ASSERT_EQUAL(total, N);
	CU_ASSERT_EQUAL(lease_active_count(t), N);
	put_be32(mac + 2, N + 1); /* a new client: over lease-max */
	CU_ASSERT_EQUAL(lease_set(t, IP(N), mac, LEASE_OFFERED, 60, NULL, 0), -ENOSPC);
	for (uint32_t i = 0; i < N; i += 7) {
		const struct lease *l;

		put_be32(mac + 2, i);
		l = lease_find_mac(t, mac);
		CU_ASSERT(l && l->ip == IP(i));
		l = lease_find_ip(t, IP(i));
		CU_ASSERT(l && !memcmp(l->mac, mac, 6));
	}
	/* Offers expire at 60, bindings at 600. */
	CU_ASSERT_EQUAL(lease_expire(t, 100, 1u << 20), N - (N + 2) / 3);
	CU_ASSERT_EQUAL(lease_active_count(t), (N + 2) / 3);
	lease_table_free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"state table", test_table},
	    {"change log", test_change_log},
	    {"many leases", test_many},
	    {0},
	};
	return unit_run("lease", tests);
}
