/* SPDX-License-Identifier: MIT */
/*
 * The workers' inbox ring (dataplane/handoff.c): bounds, copies, order,
 * and a producer and a consumer thread at full speed.
 */
#include <pthread.h>
#include <string.h>

#include "handoff.h"
#include "unit.h"

static struct bs_rx_pkt pkt_of(uint8_t *buf, size_t len, uint32_t seq, const char *ifname)
{
	struct bs_rx_pkt p = {.data = buf, .len = len};

	memset(buf, (int)(seq & 0xff), len);
	if (len >= 4)
		memcpy(buf, &seq, 4);
	p.meta.src_ip = seq;
	p.meta.dst_port = 69;
	p.meta.ifname = ifname;
	return p;
}

static void test_bounds(void)
{
	static uint8_t buf[BS_HANDOFF_MAX + 1];
	struct bs_handoff *h = bs_handoff_new();
	struct bs_rx_pkt p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	p = pkt_of(buf, BS_HANDOFF_MAX + 1, 1, "eth0");
	CU_ASSERT_EQUAL(bs_handoff_push(h, &p), BS_HANDOFF_TOO_BIG);
	CU_ASSERT_EQUAL(bs_handoff_peek(h, 64), 0);
	for (uint32_t i = 0; i < BS_HANDOFF_SLOTS; i++) {
		p = pkt_of(buf, BS_HANDOFF_MAX, i, "eth0");
		CU_ASSERT_EQUAL(bs_handoff_push(h, &p), BS_HANDOFF_OK);
	}
	p = pkt_of(buf, 4, 999, "eth0");
	CU_ASSERT_EQUAL(bs_handoff_push(h, &p), BS_HANDOFF_FULL);
	CU_ASSERT_EQUAL(bs_handoff_peek(h, 1000), BS_HANDOFF_SLOTS);
	CU_ASSERT_EQUAL(bs_handoff_peek(h, 10), 10);
	bs_handoff_pop(h, 1);
	CU_ASSERT_EQUAL(bs_handoff_push(h, &p), BS_HANDOFF_OK);
	bs_handoff_free(h);
}

/* A slot is a copy: the producer's buffer and name may change right after. */
static void test_copy_and_order(void)
{
	uint8_t buf[100];
	char ifname[16] = "veth7";
	struct bs_handoff *h = bs_handoff_new();
	struct bs_rx_pkt p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint32_t i = 0; i < 3; i++) {
		p = pkt_of(buf, 10 + i, 100 + i, i == 2 ? NULL : ifname);
		CU_ASSERT_EQUAL(bs_handoff_push(h, &p), BS_HANDOFF_OK);
	}
	memset(buf, 0xee, sizeof(buf));
	strcpy(ifname, "other");
	CU_ASSERT_EQUAL_FATAL(bs_handoff_peek(h, 64), 3);
	for (uint32_t i = 0; i < 3; i++) {
		const struct bs_rx_pkt *q = bs_handoff_at(h, i);
		uint32_t seq;

		CU_ASSERT_EQUAL(q->len, 10 + i);
		memcpy(&seq, q->data, 4);
		CU_ASSERT_EQUAL(seq, 100 + i);
		CU_ASSERT_EQUAL(q->meta.src_ip, 100 + i);
		CU_ASSERT_EQUAL(q->meta.dst_port, 69);
		if (i == 2) {
			CU_ASSERT_PTR_NULL(q->meta.ifname);
		} else {
			CU_ASSERT_STRING_EQUAL(q->meta.ifname, "veth7");
		}
	}
	bs_handoff_pop(h, 3);
	CU_ASSERT_EQUAL(bs_handoff_peek(h, 64), 0);
	bs_handoff_free(h);
}

#define STRESS_N 500000u

struct stress {
	struct bs_handoff *h;
	uint32_t full; /* producer retries */
};

static void *producer(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[64];

	for (uint32_t i = 0; i < STRESS_N;) {
		struct bs_rx_pkt p = pkt_of(buf, 8 + i % 50, i, "eth0");

		if (bs_handoff_push(s->h, &p) == BS_HANDOFF_OK)
			i++;
		else
			s->full++;
	}
	return NULL;
}

/* Every datagram arrives once, in order, whole (a torn slot would show a
   length or a byte that does not match its sequence number). */
static void test_two_threads(void)
{
	struct stress s = {.h = bs_handoff_new()};
	uint32_t next = 0, bad = 0;
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s.h);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, producer, &s), 0);
	while (next < STRESS_N) {
		uint32_t n = bs_handoff_peek(s.h, 64);

		for (uint32_t i = 0; i < n; i++, next++) {
			const struct bs_rx_pkt *q = bs_handoff_at(s.h, i);
			uint32_t seq;

			memcpy(&seq, q->data, 4);
			if (seq != next || q->len != 8 + next % 50 || q->meta.src_ip != next ||
			    q->data[q->len - 1] != (uint8_t)(next & 0xff))
				bad++;
		}
		bs_handoff_pop(s.h, n);
	}
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(bs_handoff_peek(s.h, 64), 0);
	bs_handoff_free(s.h);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"too big, full, room again after pop", test_bounds},
	    {"slots are copies, in order", test_copy_and_order},
	    {"producer and consumer threads", test_two_threads},
	    {0},
	};
	return unit_run("handoff", tests);
}
