/* SPDX-License-Identifier: MIT */
/*
 * Lease table: a slab of entries, chained hashes by IP and by MAC (indexes,
 * not pointers, so the slab can grow with realloc), a change log of entry
 * indexes. A removed lease stays in the slab as a FREE tombstone until the
 * persistence layer has drained its removal, so every change is reported
 * exactly once and the log can never outgrow the slab.
 */
#include "lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct entry {
	struct lease l;
	uint32_t next_ip;  /* chain in ip bucket, or free list */
	uint32_t next_mac; /* chain in mac bucket */
	uint8_t used;	   /* slot holds a lease or a tombstone */
	uint8_t in_mac;	   /* linked in the mac hash (offered/bound only) */
	uint8_t logged;	   /* in the change log */
};

struct lease_table {
	struct entry *e;
	uint32_t cap, free_head;
	uint32_t *ip_bucket, *mac_bucket; /* cap buckets each (power of 2) */
	uint32_t *log;			  /* ring of cap entries: each slot at most once */
	size_t log_head, log_n;
	size_t active, live;
	uint32_t max, sweep;
};

static uint32_t ip_hash(const struct lease_table *t, uint32_t ip)
{
	return (ip * 0x9e3779b1u) & (t->cap - 1);
}

static uint32_t mac_hash(const struct lease_table *t, const uint8_t m[6])
{
	uint64_t k = (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
		     (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];

	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & (t->cap - 1);
}

static bool is_active(const struct lease *l)
{
	return l->state == LEASE_OFFERED || l->state == LEASE_BOUND;
}

/* (Re)build both hashes and the free list for the current capacity. */
static void rehash(struct lease_table *t)
{
	for (uint32_t i = 0; i < t->cap; i++)
		t->ip_bucket[i] = t->mac_bucket[i] = NIL;
	t->free_head = NIL;
	for (uint32_t i = t->cap; i-- > 0;) {
		struct entry *e = &t->e[i];

		if (!e->used) {
			e->next_ip = t->free_head;
			t->free_head = i;
			continue;
		}
		uint32_t h = ip_hash(t, e->l.ip);

		e->next_ip = t->ip_bucket[h];
		t->ip_bucket[h] = i;
		if (e->in_mac) {
			h = mac_hash(t, e->l.mac);
			e->next_mac = t->mac_bucket[h];
			t->mac_bucket[h] = i;
		}
	}
}

static int grow(struct lease_table *t, uint32_t ncap)
{
	struct entry *e = realloc(t->e, sizeof(*e) * ncap);
	uint32_t *ib, *mb, *log;

	if (!e)
		return -ENOMEM;
	t->e = e;
	ib = realloc(t->ip_bucket, sizeof(*ib) * ncap);
	if (!ib)
		return -ENOMEM;
	t->ip_bucket = ib;
	mb = realloc(t->mac_bucket, sizeof(*mb) * ncap);
	if (!mb)
		return -ENOMEM;
	t->mac_bucket = mb;
	/* The log is a ring over the old capacity: unroll it into the new one. */
	log = malloc(sizeof(*log) * ncap);
	if (!log)
		return -ENOMEM;
	for (size_t k = 0; k < t->log_n; k++)
		log[k] = t->log[(t->log_head + k) & (t->cap - 1)];
	free(t->log);
	t->log = log;
	t->log_head = 0;
	memset(t->e + t->cap, 0, sizeof(*e) * (ncap - t->cap));
	t->cap = ncap;
	rehash(t);
	return 0;
}

struct lease_table *lease_table_new(uint32_t max)
{
	struct lease_table *t = calloc(1, sizeof(*t));
	uint32_t cap = 1024;

	if (!t)
		return NULL;
	t->max = max;
	/* Start near the expected size so the first boot storm does not rehash. */
	while (cap < max && cap < (1u << 24))
		cap <<= 1;
	if (grow(t, cap) < 0) {
		lease_table_free(t);
		return NULL;
	}
	return t;
}

void lease_table_free(struct lease_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->ip_bucket);
	free(t->mac_bucket);
	free(t->log);
	free(t);
}

/* Slot for ip, tombstones included; NIL if none. */
static uint32_t slot_ip(const struct lease_table *t, uint32_t ip)
{
	for (uint32_t i = t->ip_bucket[ip_hash(t, ip)]; i != NIL; i = t->e[i].next_ip)
		if (t->e[i].l.ip == ip)
			return i;
	return NIL;
}

static uint32_t slot_mac(const struct lease_table *t, const uint8_t mac[6])
{
	for (uint32_t i = t->mac_bucket[mac_hash(t, mac)]; i != NIL; i = t->e[i].next_mac)
		if (memcmp(t->e[i].l.mac, mac, 6) == 0)
			return i;
	return NIL;
}

const struct lease *lease_find_ip(const struct lease_table *t, uint32_t ip)
{
	uint32_t i = slot_ip(t, ip);

	return i != NIL && t->e[i].l.state != LEASE_FREE ? &t->e[i].l : NULL;
}

const struct lease *lease_find_mac(const struct lease_table *t, const uint8_t mac[6])
{
	uint32_t i = slot_mac(t, mac);

	return i != NIL ? &t->e[i].l : NULL;
}

static void mac_unlink(struct lease_table *t, uint32_t i)
{
	uint32_t *pp = &t->mac_bucket[mac_hash(t, t->e[i].l.mac)];

	if (!t->e[i].in_mac)
		return;
	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].next_mac;
	if (*pp == i)
		*pp = t->e[i].next_mac;
	t->e[i].in_mac = 0;
}

static void mac_link(struct lease_table *t, uint32_t i)
{
	uint32_t h = mac_hash(t, t->e[i].l.mac);

	t->e[i].next_mac = t->mac_bucket[h];
	t->mac_bucket[h] = i;
	t->e[i].in_mac = 1;
}

static void mark(struct lease_table *t, uint32_t i)
{
	if (t->e[i].logged)
		return;
	t->e[i].logged = 1;
	t->log[(t->log_head + t->log_n++) & (t->cap - 1)] = i;
}

/* Return a slot to the free list (it must not be in the change log). */
static void slot_free(struct lease_table *t, uint32_t i)
{
	uint32_t *pp = &t->ip_bucket[ip_hash(t, t->e[i].l.ip)];

	mac_unlink(t, i);
	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].next_ip;
	if (*pp == i)
		*pp = t->e[i].next_ip;
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].next_ip = t->free_head;
	t->free_head = i;
}

static int slot_alloc(struct lease_table *t, uint32_t ip, uint32_t *out)
{
	uint32_t i, h;

	if (t->free_head == NIL) {
		if (t->cap >= (1u << 30))
			return -ENOMEM;
		if (grow(t, t->cap * 2) < 0)
			return -ENOMEM;
	}
	i = t->free_head;
	t->free_head = t->e[i].next_ip;
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].used = 1;
	t->e[i].l.ip = ip;
	h = ip_hash(t, ip);
	t->e[i].next_ip = t->ip_bucket[h];
	t->ip_bucket[h] = i;
	*out = i;
	return 0;
}

static void account(struct lease_table *t, const struct lease *l, int dir)
{
	if (l->state == LEASE_FREE)
		return;
	t->live += dir;
	if (is_active(l))
		t->active += dir;
}

/* Remove slot i's lease; logged unless quiet (restore). */
static void remove_slot(struct lease_table *t, uint32_t i, bool quiet)
{
	account(t, &t->e[i].l, -1);
	mac_unlink(t, i);
	t->e[i].l.state = LEASE_FREE;
	if (t->e[i].logged)
		return; /* already in the log: the drain reports the removal */
	if (quiet)
		slot_free(t, i);
	else
		mark(t, i);
}

static int lease_put(struct lease_table *t, const struct lease *nl, time_t now, bool quiet,
		     bool check)
{
	uint32_t i = slot_ip(t, nl->ip), old = NIL;
	size_t after = t->active;
	bool same_mac;
	int err;

	if (is_active(nl))
		old = slot_mac(t, nl->mac);
	same_mac = i != NIL && t->e[i].l.state != LEASE_FREE && !memcmp(t->e[i].l.mac, nl->mac, 6);
	if (check && i != NIL && lease_live(&t->e[i].l, now) &&
	    (!same_mac || t->e[i].l.state == LEASE_DECLINED))
		return -EADDRINUSE;
	if (check && is_active(nl)) {
		if (i != NIL && is_active(&t->e[i].l))
			after--;
		if (old != NIL && old != i)
			after--;
		if (after + 1 > t->max)
			return -ENOSPC;
	}
	if (old != NIL && old != i)
		remove_slot(t, old, quiet);
	if (i == NIL) {
		err = slot_alloc(t, nl->ip, &i);
		if (err)
			return err;
	} else {
		account(t, &t->e[i].l, -1);
		mac_unlink(t, i);
	}
	struct lease *l = &t->e[i].l;
	char keep[sizeof(l->hostname)];

	keep[0] = '\0';
	if (same_mac)
		memcpy(keep, l->hostname, sizeof(keep));
	*l = *nl;
	if (!nl->hostname[0])
		memcpy(l->hostname, keep, sizeof(keep));
	l->hostname[sizeof(l->hostname) - 1] = '\0';
	account(t, l, +1);
	if (is_active(l))
		mac_link(t, i);
	if (!quiet)
		mark(t, i);
	return 0;
}

int lease_set(struct lease_table *t, uint32_t ip, const uint8_t mac[6], enum lease_state st,
	      time_t expires, const char *hostname, time_t now)
{
	struct lease nl;

	if (st != LEASE_OFFERED && st != LEASE_BOUND)
		return -EINVAL;
	memset(&nl, 0, sizeof(nl));
	nl.ip = ip;
	memcpy(nl.mac, mac, 6);
	nl.state = (uint8_t)st;
	nl.expires = expires;
	if (hostname)
		strncpy(nl.hostname, hostname, sizeof(nl.hostname) - 1);
	return lease_put(t, &nl, now, false, true);
}

int lease_decline(struct lease_table *t, uint32_t ip, time_t expires)
{
	uint32_t i = slot_ip(t, ip);
	struct lease nl;

	memset(&nl, 0, sizeof(nl));
	nl.ip = ip;
	nl.state = LEASE_DECLINED;
	nl.expires = expires;
	if (i != NIL && t->e[i].l.state != LEASE_FREE)
		memcpy(nl.mac, t->e[i].l.mac, 6); /* who told us, for the log */
	return lease_put(t, &nl, 0, false, false);
}

void lease_release(struct lease_table *t, uint32_t ip)
{
	uint32_t i = slot_ip(t, ip);

	if (i != NIL && t->e[i].l.state != LEASE_FREE)
		remove_slot(t, i, false);
}

int lease_restore(struct lease_table *t, const struct lease *l)
{
	uint32_t i;

	if (l->state == LEASE_FREE || l->state == LEASE_OFFERED) {
		i = slot_ip(t, l->ip);
		if (i != NIL && t->e[i].l.state != LEASE_FREE)
			remove_slot(t, i, true);
		return 0;
	}
	if (l->state != LEASE_BOUND && l->state != LEASE_DECLINED)
		return -EINVAL;
	return lease_put(t, l, 0, true, false);
}

size_t lease_expire(struct lease_table *t, time_t now, size_t budget)
{
	size_t freed = 0;

	while (budget--) {
		uint32_t i = t->sweep;

		t->sweep = (t->sweep + 1) & (t->cap - 1);
		if (t->e[i].used && t->e[i].l.state != LEASE_FREE && !lease_live(&t->e[i].l, now)) {
			remove_slot(t, i, false);
			freed++;
		}
	}
	return freed;
}

size_t lease_drain_changes(struct lease_table *t, struct lease *out, size_t max)
{
	size_t n = 0;

	while (n < max && t->log_n) {
		uint32_t i = t->log[t->log_head];

		t->log_head = (t->log_head + 1) & (t->cap - 1);
		t->log_n--;
		out[n++] = t->e[i].l;
		t->e[i].logged = 0;
		if (t->e[i].l.state == LEASE_FREE)
			slot_free(t, i);
	}
	if (!t->log_n)
		t->log_head = 0;
	return n;
}

void lease_foreach(const struct lease_table *t, void (*fn)(void *arg, const struct lease *l),
		   void *arg)
{
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->e[i].used && t->e[i].l.state != LEASE_FREE)
			fn(arg, &t->e[i].l);
}

size_t lease_count(const struct lease_table *t)
{
	return t->live;
}

size_t lease_active_count(const struct lease_table *t)
{
	return t->active;
}

uint32_t lease_max(const struct lease_table *t)
{
	return t->max;
}
