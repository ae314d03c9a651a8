/* SPDX-License-Identifier: MIT */
/*
 * The DHCP tag memory (util/tagmem.h): lookup and overwrite, age, a new
 * generation forgetting everything, eviction of the oldest entry of a
 * full probe window, a table under load (every MAC found or its eviction
 * counted), and a reader thread against a writer that keeps reusing the
 * same slots for other MACs (never a MAC with another MAC's tags).
 */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "util/bytes.h"
#include "util/tagmem.h"

#define AGE 3600000u

static void mac_n(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* true when n's entry is found with these tags */
static bool has(const struct bs_tagmem *m, uint32_t n, uint64_t now, uint64_t want)
{
	uint8_t mac[6];
	uint64_t t = 0;

	mac_n(n, mac);
	return bs_tagmem_get(m, mac, now, AGE, &t) && t == want;
}

static void put(struct bs_tagmem *m, uint32_t n, uint64_t tags, uint64_t now)
{
	uint8_t mac[6];

	mac_n(n, mac);
	bs_tagmem_put(m, mac, tags, now);
}

static void test_put_get(void)
{
	struct bs_tagmem *m = bs_tagmem_new(1000);
	uint8_t mac[6];
	uint64_t t = 0xdead;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	mac_n(1, mac);
	CU_ASSERT_FALSE(bs_tagmem_get(m, mac, 5, AGE, &t));
	CU_ASSERT_EQUAL(t, 0xdead); /* untouched on a miss */
	put(m, 1, 0x5, 100);
	put(m, 2, 0x0, 100); /* no tags at all is an answer too */
	CU_ASSERT_TRUE(has(m, 1, 100, 0x5));
	CU_ASSERT_TRUE(has(m, 2, 100, 0x0));
	CU_ASSERT_FALSE(has(m, 3, 100, 0x0));
	/* the same MAC again replaces its entry, no second insert */
	put(m, 1, 0x9, 200);
	CU_ASSERT_TRUE(has(m, 1, 200, 0x9));
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).inserts, 2);
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).evictions, 0);
	bs_tagmem_free(m);
}

static const struct {
	const char *desc;
	uint64_t stamp, now;
	bool found;
} age_cases[] = {
    {"just written", 5000, 5000, true},
    {"exactly max age", 5000, 5000 + AGE, true},
    {"one ms too old", 5000, 5000 + AGE + 1, false},
    {"stamp ahead of the reader's clock", 5000, 4000, true},
    {"written at 0", 0, AGE, true},
};

static void test_age(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(age_cases); i++) {
		struct bs_tagmem *m = bs_tagmem_new(64);

		put(m, 7, 0x42, age_cases[i].stamp);
		CHECK(age_cases[i].desc, has(m, 7, age_cases[i].now, 0x42) == age_cases[i].found);
		bs_tagmem_free(m);
	}
}

static void test_generation(void)
{
	struct bs_tagmem *m = bs_tagmem_new(8);

	put(m, 1, 0x3, 10);
	bs_tagmem_new_generation(m);
	CU_ASSERT_FALSE(has(m, 1, 10, 0x3)); /* its bits name other tags now */
	/* a slot of an older generation is free: no eviction to take it */
	for (uint32_t n = 10; n < 10 + BS_TAGMEM_PROBE; n++)
		put(m, n, n, 20);
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).evictions, 0);
	for (uint32_t n = 10; n < 10 + BS_TAGMEM_PROBE; n++)
		CU_ASSERT_TRUE(has(m, n, 20, n));
	put(m, 1, 0x6, 30);
	CU_ASSERT_TRUE(has(m, 1, 30, 0x6));
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).evictions, 1);
	/* generation 2 now; the last one, 65535, then a wrap to 1 (0 would
	   make the key of MAC 0 an empty slot) */
	for (uint32_t g = 2; g < 0xffff; g++)
		bs_tagmem_new_generation(m);
	CU_ASSERT_FALSE(has(m, 1, 30, 0x6));
	put(m, 0, 0x8, 40);
	CU_ASSERT_TRUE(has(m, 0, 40, 0x8));
	bs_tagmem_new_generation(m);
	CU_ASSERT_FALSE(has(m, 0, 40, 0x8));
	put(m, 0, 0x7, 50);
	CU_ASSERT_TRUE(has(m, 0, 50, 0x7));
	bs_tagmem_free(m);
}

/* A table of one probe window: the ninth MAC replaces the entry written
   longest ago; writing an entry again makes it young. */
static void test_eviction(void)
{
	struct bs_tagmem *m = bs_tagmem_new(1);

	for (uint32_t n = 0; n < BS_TAGMEM_PROBE; n++)
		put(m, n, 100 + n, 10 + n);
	put(m, 0, 100, 50); /* 0 is now the youngest, 1 the oldest */
	put(m, 99, 199, 60);
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).inserts, BS_TAGMEM_PROBE + 1);
	CU_ASSERT_EQUAL(bs_tagmem_counts(m).evictions, 1);
	CU_ASSERT_FALSE(has(m, 1, 60, 101));
	CU_ASSERT_TRUE(has(m, 0, 60, 100));
	CU_ASSERT_TRUE(has(m, 99, 60, 199));
	for (uint32_t n = 2; n < BS_TAGMEM_PROBE; n++)
		CU_ASSERT_TRUE(has(m, n, 60, 100 + n));
	put(m, 98, 198, 70); /* next oldest: 2 */
	CU_ASSERT_FALSE(has(m, 2, 70, 102));
	CU_ASSERT_TRUE(has(m, 3, 70, 103));
	bs_tagmem_free(m);
}

/* The default table at half load: whatever was not evicted is found with
   its own tags, and evictions are rare. */
static void test_load(void)
{
	struct bs_tagmem *m = bs_tagmem_new(BS_TAGMEM_SIZE);
	uint32_t n = BS_TAGMEM_SIZE / 2, found = 0, x = 12345;
	struct bs_tagmem_counts c;

	for (uint32_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u; /* spread over the MAC space */
		put(m, x, x, i);
	}
	x = 12345;
	for (uint32_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		found += has(m, x, n, x);
	}
	c = bs_tagmem_counts(m);
	CU_ASSERT_EQUAL(c.inserts, n);
	CU_ASSERT_EQUAL(found, n - c.evictions);
	CU_ASSERT(c.evictions < n / 100);
	bs_tagmem_free(m);
}

/* ---- a reader thread against the writer ---- */

#define RACE_MACS   (BS_TAGMEM_PROBE + 1) /* one more than the window: slots change owner */
#define RACE_WRITES 2000000u

struct race {
	struct bs_tagmem *m;
	atomic_bool done;
	uint64_t hits, wrong;
};

/* tags say whose they are: the MAC number in the low byte */
static void *race_reader(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->done))
		for (uint32_t n = 0; n < RACE_MACS; n++) {
			uint8_t mac[6];
			uint64_t t;

			mac_n(n, mac);
			if (!bs_tagmem_get(r->m, mac, 0, UINT64_MAX, &t))
				continue;
			r->hits++;
			r->wrong += (t & 0xff) != n;
		}
	return NULL;
}

static void test_concurrent_reader(void)
{
	struct race r = {.m = bs_tagmem_new(1)};
	pthread_t th;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, race_reader, &r), 0);
	for (uint32_t i = 0; i < RACE_WRITES; i++) {
		uint32_t n = i % RACE_MACS;

		put(r.m, n, (uint64_t)i << 8 | n, i);
	}
	atomic_store(&r.done, true);
	pthread_join(th, NULL);
	CU_ASSERT(r.hits > 0);
	CU_ASSERT_EQUAL(r.wrong, 0);
	CU_ASSERT(bs_tagmem_counts(r.m).evictions > 0);
	bs_tagmem_free(r.m);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"put_get", test_put_get},
	    {"age", test_age},
	    {"generation", test_generation},
	    {"eviction", test_eviction},
	    {"load", test_load},
	    {"concurrent_reader", test_concurrent_reader},
	    {NULL, NULL},
	};

	return unit_run("tagmem", tests);
}
