/* SPDX-License-Identifier: MIT */
/*
 * The TFTP transfer table: slot pool, hash on (client address, client port)
 * with the server port compared in the chain, and the min-heap of
 * retransmit deadlines (see tftp_xfer.h for why this shape).
 *
 * Separate from tftp.c because it is a data structure with its own
 * invariants (every used slot is in exactly one hash chain and at its
 * heap_pos in the heap; every free slot is on the free list) and knows
 * nothing of the protocol: tftp.c never touches the links.
 */
#include "tftp_xfer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_client(uint32_t ip, uint16_t port)
{
	uint32_t h = ip * 0x9e3779b1u ^ (uint32_t)port * 0x85ebca6bu;

	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

/* ---- timer heap --------------------------------------------------------- */

static void heap_swap(struct tftp_xfer_table *t, uint32_t a, uint32_t b)
{
	uint32_t tmp = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = tmp;
	t->slots[t->heap[a]].heap_pos = a;
	t->slots[t->heap[b]].heap_pos = b;
}

static uint64_t heap_key(const struct tftp_xfer_table *t, uint32_t i)
{
	return t->slots[t->heap[i]].deadline;
}

static void heap_fix(struct tftp_xfer_table *t, uint32_t i)
{
	while (i > 0 && heap_key(t, (i - 1) / 2) > heap_key(t, i)) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->heap_len && heap_key(t, l) < heap_key(t, m))
			m = l;
		if (r < t->heap_len && heap_key(t, r) < heap_key(t, m))
			m = r;
		if (m == i)
			break;
		heap_swap(t, i, m);
		i = m;
	}
}

static void heap_remove(struct tftp_xfer_table *t, uint32_t i)
{
	t->heap_len--;
	if (i == t->heap_len)
		return;
	heap_swap(t, i, t->heap_len);
	heap_fix(t, i);
}

void tftp_xfer_arm(struct tftp_xfer_table *t, struct tftp_xfer *x, uint64_t deadline)
{
	x->deadline = deadline;
	heap_fix(t, x->heap_pos);
}

struct tftp_xfer *tftp_xfer_due(const struct tftp_xfer_table *t, uint64_t now_ms)
{
	if (t->heap_len && heap_key(t, 0) <= now_ms)
		return &t->slots[t->heap[0]];
	return NULL;
}

uint64_t tftp_xfer_next_deadline(const struct tftp_xfer_table *t)
{
	return t->heap_len ? heap_key(t, 0) : UINT64_MAX;
}

struct tftp_xfer *tftp_xfer_any(const struct tftp_xfer_table *t)
{
	return t->heap_len ? &t->slots[t->heap[0]] : NULL;
}

/* ---- transfer table ----------------------------------------------------- */

static uint32_t slot_of(const struct tftp_xfer_table *t, const struct tftp_xfer *x)
{
	return (uint32_t)(x - t->slots);
}

struct tftp_xfer *tftp_xfer_find(const struct tftp_xfer_table *t, uint32_t ip, uint16_t cport,
				 uint16_t sport, bool any_server_port)
{
	uint32_t i = t->buckets[hash_client(ip, cport) & t->bucket_mask];

	while (i) {
		struct tftp_xfer *x = &t->slots[i - 1];

		if (x->client_ip == ip && x->client_port == cport &&
		    (any_server_port || x->server_port == sport))
			return x;
		i = x->hnext;
	}
	return NULL;
}

struct tftp_xfer *tftp_xfer_alloc(struct tftp_xfer_table *t, uint32_t ip, uint16_t cport)
{
	struct tftp_xfer *x;
	uint32_t slot, *bucket;

	if (!t->free_head)
		return NULL;
	slot = t->free_head - 1;
	x = &t->slots[slot];
	t->free_head = x->hnext;
	memset(x, 0, sizeof(*x));
	x->client_ip = ip;
	x->client_port = cport;
	bucket = &t->buckets[hash_client(ip, cport) & t->bucket_mask];
	x->hnext = *bucket;
	*bucket = slot + 1;
	x->heap_pos = t->heap_len;
	t->heap[t->heap_len++] = slot;
	x->deadline = UINT64_MAX;
	t->active++;
	return x;
}

void tftp_xfer_release(struct tftp_xfer_table *t, struct tftp_xfer *x)
{
	uint32_t slot = slot_of(t, x);
	uint32_t *link = &t->buckets[hash_client(x->client_ip, x->client_port) & t->bucket_mask];

	while (*link && *link != slot + 1)
		link = &t->slots[*link - 1].hnext;
	if (*link)
		*link = x->hnext;
	heap_remove(t, x->heap_pos);
	memset(x, 0, sizeof(*x));
	x->hnext = t->free_head;
	t->free_head = slot + 1;
	t->active--;
}

int tftp_xfer_table_init(struct tftp_xfer_table *t, uint32_t nslots)
{
	uint32_t nb = 16;

	memset(t, 0, sizeof(*t));
	/* at most half full: chains stay about one long */
	while (nb < 2 * nslots)
		nb <<= 1;
	t->nslots = nslots;
	t->bucket_mask = nb - 1;
	t->slots = calloc(nslots, sizeof(*t->slots));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->heap = calloc(nslots, sizeof(*t->heap));
	if (!t->slots || !t->buckets || !t->heap) {
		tftp_xfer_table_fini(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nslots; i++)
		t->slots[i].hnext = i + 2 <= nslots ? i + 2 : 0;
	t->free_head = 1;
	return 0;
}

void tftp_xfer_table_fini(struct tftp_xfer_table *t)
{
	free(t->slots);
	free(t->buckets);
	free(t->heap);
	memset(t, 0, sizeof(*t));
}
