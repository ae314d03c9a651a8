/* SPDX-License-Identifier: MIT */
#include "handoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_handoff *bs_handoff_new(void)
{
	/* Large and zeroed: the pages of slots never used cost nothing. */
	return calloc(1, sizeof(struct bs_handoff));
}

void bs_handoff_free(struct bs_handoff *h)
{
	free(h);
}

enum bs_handoff_result bs_handoff_push(struct bs_handoff *h, const struct bs_rx_pkt *p)
{
	uint32_t head = h->head;
	struct bs_handoff_slot *s;

	if (p->len > BS_HANDOFF_MAX)
		return BS_HANDOFF_TOO_BIG;
	if (head - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) >= BS_HANDOFF_SLOTS)
		return BS_HANDOFF_FULL;
	s = &h->slots[head & (BS_HANDOFF_SLOTS - 1)];
	s->pkt.meta = p->meta;
	snprintf(s->ifname, sizeof(s->ifname), "%s", p->meta.ifname ? p->meta.ifname : "");
	s->pkt.meta.ifname = p->meta.ifname ? s->ifname : NULL;
	memcpy(s->data, p->data, p->len);
	s->pkt.data = s->data;
	s->pkt.len = p->len;
	__atomic_store_n(&h->head, head + 1, __ATOMIC_RELEASE);
	return BS_HANDOFF_OK;
}

uint32_t bs_handoff_peek(const struct bs_handoff *h, uint32_t max)
{
	uint32_t n = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) - h->tail;

	return n < max ? n : max;
}

const struct bs_rx_pkt *bs_handoff_at(const struct bs_handoff *h, uint32_t i)
{
	return &h->slots[(h->tail + i) & (BS_HANDOFF_SLOTS - 1)].pkt;
}

void bs_handoff_pop(struct bs_handoff *h, uint32_t n)
{
	__atomic_store_n(&h->tail, h->tail + n, __ATOMIC_RELEASE);
}
