/* SPDX-License-Identifier: MIT */
/*
 * The DHCP tag memory (tagmem.h). A slot's key is the MAC (48 bits) and
 * the generation (16 bits, never 0) in one word, so 0 is an empty slot
 * and an entry of an older generation simply does not match. The
 * seqlock is the fence pattern of util/events.c: writer: seq odd,
 * release fence, fields, seq even (release); reader: seq (acquire),
 * fields, acquire fence, seq again.
 */
#include "tagmem.h"

#include <stdatomic.h>
#include <stdlib.h>

/* A reader gives up on a slot after this many torn copies (a writer
   preempted in the middle of it): a miss, the default script, is better
   than spinning in the HTTP loop. */
#define TAGMEM_READ_TRIES 64

struct tm_slot {
	_Atomic uint32_t seq; /* odd: being written */
	_Atomic uint64_t key; /* mac | gen << 48; 0: empty */
	_Atomic uint64_t tags;
	_Atomic uint64_t stamp_ms;
};

struct bs_tagmem {
	uint32_t mask;
	_Atomic uint32_t gen; /* 1..65535 */
	/* writer-only increments, read by anyone: a relaxed load and store
	   (one writer), no locked instruction per packet */
	_Atomic uint64_t inserts, evictions;
	struct tm_slot slots[];
};

struct bs_tagmem *bs_tagmem_new(uint32_t size)
{
	uint32_t n = BS_TAGMEM_PROBE;
	struct bs_tagmem *m;

	while (n < size && n < (1u << 26))
		n <<= 1;
	m = calloc(1, sizeof(*m) + (size_t)n * sizeof(struct tm_slot));
	if (!m)
		return NULL;
	m->mask = n - 1;
	atomic_init(&m->gen, 1);
	return m;
}

void bs_tagmem_free(struct bs_tagmem *m)
{
	free(m);
}

static uint64_t mac48(const uint8_t m[6])
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

/* Slot i of mac's probe window. */
static uint32_t window(const struct bs_tagmem *m, uint64_t mac, uint32_t i)
{
	return ((uint32_t)((mac * 0x9e3779b97f4a7c15ull) >> 32) + i) & m->mask;
}

static void count(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void slot_write(struct tm_slot *s, uint64_t key, uint64_t tags, uint64_t now_ms)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release); /* odd seq before the new fields */
	atomic_store_explicit(&s->key, key, memory_order_relaxed);
	atomic_store_explicit(&s->tags, tags, memory_order_relaxed);
	atomic_store_explicit(&s->stamp_ms, now_ms, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

void bs_tagmem_put(struct bs_tagmem *m, const uint8_t mac[6], uint64_t tags, uint64_t now_ms)
{
	uint64_t k = mac48(mac);
	uint32_t gen = atomic_load_explicit(&m->gen, memory_order_relaxed);
	uint64_t key = k | (uint64_t)gen << 48, best = UINT64_MAX;
	struct tm_slot *victim = NULL;

	for (uint32_t i = 0; i < BS_TAGMEM_PROBE; i++) {
		struct tm_slot *s = &m->slots[window(m, k, i)];
		/* the writer's own slots: no seqlock needed to read them */
		uint64_t sk = atomic_load_explicit(&s->key, memory_order_relaxed);
		uint64_t rank;

		if (sk == key) {
			slot_write(s, key, tags, now_ms);
			return;
		}
		/* free (empty, older generation) first, then the oldest */
		rank = sk && sk >> 48 == gen
			   ? atomic_load_explicit(&s->stamp_ms, memory_order_relaxed) + 1
			   : 0;
		if (rank < best || !victim) {
			best = rank;
			victim = s;
		}
	}
	count(&m->inserts);
	if (best)
		count(&m->evictions);
	slot_write(victim, key, tags, now_ms);
}

void bs_tagmem_new_generation(struct bs_tagmem *m)
{
	uint32_t gen = atomic_load_explicit(&m->gen, memory_order_relaxed) + 1;

	/* 16 bits in the key, never 0 (an empty slot) */
	atomic_store_explicit(&m->gen, gen > 0xffff ? 1 : gen, memory_order_relaxed);
}

/* One consistent copy of s, or false when the writer kept changing it. */
static bool slot_read(const struct tm_slot *s, uint64_t *key, uint64_t *tags, uint64_t *stamp)
{
	for (int t = 0; t < TAGMEM_READ_TRIES; t++) {
		uint32_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire), s2;

		if (s1 & 1)
			continue;
		*key = atomic_load_explicit(&s->key, memory_order_relaxed);
		*tags = atomic_load_explicit(&s->tags, memory_order_relaxed);
		*stamp = atomic_load_explicit(&s->stamp_ms, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire); /* the copy before the re-check */
		s2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (s1 == s2)
			return true;
	}
	return false;
}

bool bs_tagmem_get(const struct bs_tagmem *m, const uint8_t mac[6], uint64_t now_ms,
		   uint64_t max_age_ms, uint64_t *tags)
{
	uint64_t k = mac48(mac);
	uint64_t key = k | (uint64_t)atomic_load_explicit(&m->gen, memory_order_relaxed) << 48;

	for (uint32_t i = 0; i < BS_TAGMEM_PROBE; i++) {
		uint64_t sk, st, stamp;

		if (!slot_read(&m->slots[window(m, k, i)], &sk, &st, &stamp) || sk != key)
			continue;
		/* a stamp ahead of the reader's clock (read just before it was
		   written) is age 0 */
		if (now_ms > stamp && now_ms - stamp > max_age_ms)
			return false;
		*tags = st;
		return true;
	}
	return false;
}

struct bs_tagmem_counts bs_tagmem_counts(const struct bs_tagmem *m)
{
	return (struct bs_tagmem_counts){
	    .inserts = atomic_load_explicit(&m->inserts, memory_order_relaxed),
	    .evictions = atomic_load_explicit(&m->evictions, memory_order_relaxed),
	};
}
