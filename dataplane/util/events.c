/* SPDX-License-Identifier: MIT */
/*
 * The event ring (events.h). A slot's sequence number is a seqlock: the
 * producer zeroes it, writes the record, then stores the record number
 * + 1; a reader that sees the same expected number before and after its
 * copy has a whole record, anything else means the producer lapped it.
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>

size_t bs_ev_ring_bytes(uint32_t size)
{
	return sizeof(struct bs_ev_ring) + (size_t)size * sizeof(struct bs_ev_slot);
}

struct bs_ev_ring *bs_ev_ring_init(void *mem, uint32_t size)
{
	struct bs_ev_ring *r = mem;

	memset(mem, 0, bs_ev_ring_bytes(size));
	r->size = size;
	r->mask = size - 1;
	return r;
}

struct bs_ev_ring *bs_ev_ring_new(uint32_t size)
{
	uint32_t n = 2;
	void *mem;

	while (n < size && n < (1u << 24))
		n <<= 1;
	mem = malloc(bs_ev_ring_bytes(n));
	return mem ? bs_ev_ring_init(mem, n) : NULL;
}

void bs_ev_emit(struct bs_ev_ring *r, const struct bs_event *ev)
{
	uint64_t n;
	struct bs_ev_slot *s;

	if (!r)
		return;
	n = atomic_load_explicit(&r->head, memory_order_relaxed);
	s = &r->slots[n & r->mask];
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release); /* seq 0 before the new bytes */
	s->ev = *ev;
	atomic_store_explicit(&s->seq, n + 1, memory_order_release);
	atomic_store_explicit(&r->head, n + 1, memory_order_release);
}

void bs_ev_set_file(struct bs_event *ev, const char *name, size_t n)
{
	if (n > sizeof(ev->file))
		n = sizeof(ev->file);
	memcpy(ev->file, name, n);
	memset(ev->file + n, 0, sizeof(ev->file) - n);
}

uint64_t bs_ev_head(const struct bs_ev_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire);
}

int bs_ev_read(const struct bs_ev_ring *r, uint64_t *cursor, struct bs_event *ev, uint64_t *missed)
{
	for (;;) {
		uint64_t head = bs_ev_head(r), s1, s2;
		const struct bs_ev_slot *s;

		if (*cursor >= head)
			return 0;
		if (head - *cursor > r->size) {
			*missed += head - r->size - *cursor;
			*cursor = head - r->size;
		}
		s = &r->slots[*cursor & r->mask];
		s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (s1 == *cursor + 1) {
			*ev = s->ev;
			atomic_thread_fence(memory_order_acquire); /* copy before re-check */
			s2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
			if (s2 == s1) {
				(*cursor)++;
				return 1;
			}
		}
		/* Lapped while we looked: this record is gone. */
		(*missed)++;
		(*cursor)++;
	}
}

static const char *const type_names[BS_EV_TYPE_COUNT] = {
    [BS_EV_DHCP_DISCOVER] = "dhcp-discover", [BS_EV_DHCP_OFFER] = "dhcp-offer",
    [BS_EV_DHCP_REQUEST] = "dhcp-request",   [BS_EV_DHCP_ACK] = "dhcp-ack",
    [BS_EV_DHCP_NAK] = "dhcp-nak",	     [BS_EV_DHCP_DECLINE] = "dhcp-decline",
    [BS_EV_DHCP_RELEASE] = "dhcp-release",   [BS_EV_DHCP_INFORM] = "dhcp-inform",
    [BS_EV_TFTP_START] = "tftp-start",	     [BS_EV_TFTP_PROGRESS] = "tftp-progress",
    [BS_EV_TFTP_DONE] = "tftp-done",	     [BS_EV_TFTP_ERROR] = "tftp-error",
    [BS_EV_TFTP_TIMEOUT] = "tftp-timeout",   [BS_EV_HTTP_DONE] = "http-done",
};

const char *bs_ev_type_name(unsigned type)
{
	return type < BS_EV_TYPE_COUNT ? type_names[type] : NULL;
}

/* Every type whose name starts with prefix + '-' (a group), or is name. */
static uint32_t types_named(const char *name, size_t n)
{
	uint32_t m = 0;

	for (unsigned t = 1; t < BS_EV_TYPE_COUNT; t++) {
		const char *tn = type_names[t];
		size_t l = strlen(tn);

		if (n <= l && (l == n || tn[n] == '-') && strncmp(tn, name, n) == 0)
			m |= 1u << t;
	}
	return m;
}

int bs_ev_parse_types(const char *s, uint32_t *mask)
{
	uint32_t m = 0;

	while (*s) {
		size_t n = strcspn(s, ",");
		uint32_t t = n ? types_named(s, n) : 0;

		if (!t)
			return -1;
		m |= t;
		s += n;
		if (*s == ',')
			s++;
	}
	if (!m)
		return -1;
	*mask = m;
	return 0;
}
