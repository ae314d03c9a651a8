/* SPDX-License-Identifier: MIT */
/*
 * The event ring: order, wrap-around, gap detection (a slow reader learns
 * exactly how many records it lost), several readers, a reader lapped in
 * the middle of a read, and the type-name filter.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "util/events.h"

static struct bs_event ev_n(uint64_t n)
{
	struct bs_event e = {.mono_ms = n, .bytes = n * 3, .type = BS_EV_TFTP_PROGRESS};

	return e;
}

static void emit_range(struct bs_ev_ring *r, uint64_t from, uint64_t to)
{
	for (uint64_t n = from; n < to; n++) {
		struct bs_event e = ev_n(n);

		bs_ev_emit(r, &e);
	}
}

static void test_order(void)
{
	struct bs_ev_ring *r = bs_ev_ring_new(8);
	uint64_t cur = bs_ev_head(r), missed = 0;
	struct bs_event e;

	CU_ASSERT_EQUAL(r->size, 8);
	CU_ASSERT_EQUAL(bs_ev_read(r, &cur, &e, &missed), 0);
	emit_range(r, 0, 5);
	for (uint64_t n = 0; n < 5; n++) {
		CU_ASSERT_EQUAL(bs_ev_read(r, &cur, &e, &missed), 1);
		CU_ASSERT_EQUAL(e.mono_ms, n);
		CU_ASSERT_EQUAL(e.bytes, n * 3);
	}
	CU_ASSERT_EQUAL(bs_ev_read(r, &cur, &e, &missed), 0);
	CU_ASSERT_EQUAL(missed, 0);
	CU_ASSERT_EQUAL(cur, 5);
	free(r);
}

/* Table: ring size, records written before reading, and what a reader
   starting at 0 must see: how many it missed and the first it gets. */
static const struct {
	const char *desc;
	uint32_t size;
	uint64_t written;
	uint64_t missed, first;
} gap_cases[] = {
    {"exactly full", 8, 8, 0, 0},
    {"one over", 8, 9, 1, 1},
    {"wrapped many times", 8, 1003, 995, 995},
    {"size rounded up to 16", 9, 20, 4, 4},
    {"nothing written", 4, 0, 0, 0},
};

static void test_gaps(void)
{
	for (size_t i = 0; i < sizeof(gap_cases) / sizeof(gap_cases[0]); i++) {
		struct bs_ev_ring *r = bs_ev_ring_new(gap_cases[i].size);
		uint64_t cur = 0, missed = 0, got = 0, next = gap_cases[i].first;
		struct bs_event e;

		emit_range(r, 0, gap_cases[i].written);
		while (bs_ev_read(r, &cur, &e, &missed) == 1) {
			CHECK(gap_cases[i].desc, e.mono_ms == next);
			next++;
			got++;
		}
		CHECK(gap_cases[i].desc, missed == gap_cases[i].missed);
		CHECK(gap_cases[i].desc, missed + got == gap_cases[i].written);
		CHECK(gap_cases[i].desc, cur == gap_cases[i].written);
		free(r);
	}
}

/* Two readers at different speeds: each sees every record it did not
   miss, and missed + seen always adds up to what was written. */
static void test_two_readers(void)
{
	struct bs_ev_ring *r = bs_ev_ring_new(16);
	uint64_t fast = 0, slow = 0, mf = 0, ms = 0, nf = 0, ns = 0, last_s = 0;
	struct bs_event e;

	for (uint64_t round = 0; round < 100; round++) {
		emit_range(r, round * 10, round * 10 + 10);
		while (bs_ev_read(r, &fast, &e, &mf) == 1)
			nf++;
		if (round % 5 == 4) /* the slow one reads every 50 records */
			while (bs_ev_read(r, &slow, &e, &ms) == 1) {
				CU_ASSERT(ns == 0 || e.mono_ms > last_s);
				last_s = e.mono_ms;
				ns++;
			}
	}
	CU_ASSERT_EQUAL(mf, 0);
	CU_ASSERT_EQUAL(nf, 1000);
	CU_ASSERT_EQUAL(ms + ns, 1000);
	CU_ASSERT(ms > 0);
	CU_ASSERT_EQUAL(ns, 20 * 16); /* 16 per catch-up, 20 catch-ups */
	free(r);
}

/* A slot caught half-written (seq 0) or already rewritten counts as lost:
   what a reader in another process sees when the producer laps it. */
static void test_torn_slot(void)
{
	struct bs_ev_ring *r = bs_ev_ring_new(4);
	uint64_t cur = 0, missed = 0;
	struct bs_event e;

	emit_range(r, 0, 4);
	atomic_store(&r->slots[1].seq, 0); /* the producer is rewriting slot 1 */
	CU_ASSERT_EQUAL(bs_ev_read(r, &cur, &e, &missed), 1);
	CU_ASSERT_EQUAL(e.mono_ms, 0);
	CU_ASSERT_EQUAL(bs_ev_read(r, &cur, &e, &missed), 1);
	CU_ASSERT_EQUAL(e.mono_ms, 2);
	CU_ASSERT_EQUAL(missed, 1);
	free(r);
}

static void test_file(void)
{
	struct bs_event e;
	char longname[200];

	memset(&e, 0x55, sizeof(e));
	bs_ev_set_file(&e, "pxelinux.0", 10);
	CU_ASSERT_STRING_EQUAL(e.file, "pxelinux.0");
	memset(longname, 'a', sizeof(longname));
	bs_ev_set_file(&e, longname, sizeof(longname));
	CU_ASSERT(memcmp(e.file, longname, BS_EV_FILE_LEN) == 0);
	/* fixed size, no pointers: a record can live in shared memory */
	CU_ASSERT(sizeof(struct bs_ev_slot) == 128);
}

static const struct {
	const char *in;
	int rc;
	uint32_t mask;
} type_cases[] = {
    {"dhcp-ack", 0, 1u << BS_EV_DHCP_ACK},
    {"dhcp-ack,tftp-done", 0, (1u << BS_EV_DHCP_ACK) | (1u << BS_EV_TFTP_DONE)},
    {"http", 0, 1u << BS_EV_HTTP_DONE},
    {"tftp", 0,
     (1u << BS_EV_TFTP_START) | (1u << BS_EV_TFTP_PROGRESS) | (1u << BS_EV_TFTP_DONE) |
	 (1u << BS_EV_TFTP_ERROR) | (1u << BS_EV_TFTP_TIMEOUT)},
    {"dhcp-a", -1, 0},
    {"dhcp-acknowledge", -1, 0},
    {"", -1, 0},
    {",", -1, 0},
    {"dhcp,,tftp", -1, 0},
    {"lost", -1, 0},
};

static void test_types(void)
{
	for (size_t i = 0; i < sizeof(type_cases) / sizeof(type_cases[0]); i++) {
		uint32_t m = 0;
		int rc = bs_ev_parse_types(type_cases[i].in, &m);

		CHECK(type_cases[i].in, rc == type_cases[i].rc);
		if (rc == 0)
			CHECK(type_cases[i].in, m == type_cases[i].mask);
	}
	for (unsigned t = 1; t < BS_EV_TYPE_COUNT; t++) {
		uint32_t m = 0;

		CU_ASSERT_EQUAL(bs_ev_parse_types(bs_ev_type_name(t), &m), 0);
		CU_ASSERT_EQUAL(m, 1u << t);
	}
	CU_ASSERT_PTR_NULL(bs_ev_type_name(BS_EV_TYPE_COUNT));
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"order", test_order},
	    {"gaps", test_gaps},
	    {"two readers", test_two_readers},
	    {"torn slot", test_torn_slot},
	    {"file", test_file},
	    {"types", test_types},
	    {NULL, NULL},
	};

	return unit_run("events", tests);
}
