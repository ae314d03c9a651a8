/* SPDX-License-Identifier: MIT */
/*
 * The frame backends' neighbour table (dataplane/io/neigh.c): who is
 * learned (on-link unicast senders only), lookups, expiry, refresh, and
 * what a full probe window gives up (the oldest entry).
 */
#include <stdlib.h>
#include <string.h>

#include "io/neigh.h"
#include "unit.h"

static const struct bs_iface e = {
    .ifindex = 7, .addr = 0x0ae70001, .mask = 0xffffff00, .naddrs = 1, .serve = true};
static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 1}, mac2[6] = {0x02, 0, 0, 0, 0, 2};
static int via1, via2;

static void test_learn_rules(void)
{
	static const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1}, zero[6];
	struct bs_neigh *t = bs_neigh_new();
	const struct bs_neigh *n;

	CU_ASSERT_TRUE(bs_neigh_maybe_learn(t, &via1, &e, 0x0ae70032, mac1, 1000));
	n = bs_neigh_find(t, 0x0ae70032, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->ifindex, 7);
	CU_ASSERT_PTR_EQUAL(n->via, &via1);
	CU_ASSERT_EQUAL(memcmp(n->mac, mac1, 6), 0);
	/* the same address again: not new, but MAC and port follow */
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via2, &e, 0x0ae70032, mac2, 2000));
	n = bs_neigh_find(t, 0x0ae70032, 2000);
	CU_ASSERT_TRUE(n && n->via == &via2 && memcmp(n->mac, mac2, 6) == 0);
	/* not learned: off-link (behind a relay), broadcast, 0, multicast or
	   zero MAC, no port */
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via1, &e, 0x0ae80032, mac1, 1000));
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via1, &e, 0xffffffffu, mac1, 1000));
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via1, &e, 0, mac1, 1000));
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via1, &e, 0x0ae70033, mcast, 1000));
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, &via1, &e, 0x0ae70034, zero, 1000));
	CU_ASSERT_FALSE(bs_neigh_maybe_learn(t, NULL, &e, 0x0ae70035, mac1, 1000));
	CU_ASSERT_PTR_NULL(bs_neigh_find(t, 0x0ae80032, 1000));
	CU_ASSERT_PTR_NULL(bs_neigh_find(t, 0x0ae70033, 1000));
	free(t);
}

static void test_expiry(void)
{
	struct bs_neigh *t = bs_neigh_new();

	bs_neigh_maybe_learn(t, &via1, &e, 0x0ae70040, mac1, 5000);
	CU_ASSERT_PTR_NOT_NULL(bs_neigh_find(t, 0x0ae70040, 5000 + BS_NEIGH_TTL_MS));
	CU_ASSERT_PTR_NULL(bs_neigh_find(t, 0x0ae70040, 5001 + BS_NEIGH_TTL_MS));
	/* heard from again: alive again */
	bs_neigh_maybe_learn(t, &via1, &e, 0x0ae70040, mac1, 6000 + BS_NEIGH_TTL_MS);
	CU_ASSERT_PTR_NOT_NULL(bs_neigh_find(t, 0x0ae70040, 6000 + BS_NEIGH_TTL_MS));
	free(t);
}

/* Many senders on a /16: every one is found while the table has room for
   it in its probe window; a full window replaces its oldest entry. */
static void test_many(void)
{
	static const struct bs_iface big = {
	    .ifindex = 3, .addr = 0x0ae70001, .mask = 0xffff0000, .naddrs = 1, .serve = true};
	struct bs_neigh *t = bs_neigh_new();
	unsigned found = 0;

	for (uint32_t i = 0; i < BS_NEIGH_SIZE / 2; i++)
		bs_neigh_maybe_learn(t, &via1, &big, 0x0ae70100 + i, mac1, 1000 + i);
	for (uint32_t i = 0; i < BS_NEIGH_SIZE / 2; i++)
		found += bs_neigh_find(t, 0x0ae70100 + i, 1000 + BS_NEIGH_SIZE) != NULL;
	/* open addressing with 8-way probing at half load keeps almost all */
	CU_ASSERT_TRUE(found >= BS_NEIGH_SIZE / 2 - BS_NEIGH_SIZE / 64);
	/* the newest is always there: it replaced the oldest of its window */
	bs_neigh_maybe_learn(t, &via2, &big, 0x0ae7f000, mac2, 999999);
	CU_ASSERT_PTR_NOT_NULL(bs_neigh_find(t, 0x0ae7f000, 999999));
	free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"learn rules", test_learn_rules},
	    {"expiry", test_expiry},
	    {"many", test_many},
	    {NULL, NULL},
	};

	return unit_run("neigh", tests);
}
