/* SPDX-License-Identifier: MIT */
#include "neigh.h"

#include <stdlib.h>
#include <string.h>

struct bs_neigh *bs_neigh_new(void)
{
	return calloc(BS_NEIGH_SIZE, sizeof(struct bs_neigh));
}

static uint32_t neigh_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 20;
}

static bool neigh_learn(struct bs_neigh *t, void *via, uint32_t ifindex, uint32_t ip,
			const uint8_t *mac, uint64_t now_ms)
{
	struct bs_neigh *victim = NULL;
	uint32_t h = neigh_hash(ip);
	bool fresh;

	for (uint32_t i = 0; i < BS_NEIGH_PROBE; i++) {
		struct bs_neigh *n = &t[(h + i) & (BS_NEIGH_SIZE - 1)];

		if (n->ip == ip) {
			victim = n;
			break;
		}
		/* else the first empty slot, else the oldest entry */
		if (!victim || (victim->ip != 0 && (n->ip == 0 || n->seen_ms < victim->seen_ms)))
			victim = n;
	}
	fresh = victim->ip != ip;
	victim->ip = ip;
	victim->ifindex = ifindex;
	memcpy(victim->mac, mac, 6);
	victim->via = via;
	victim->seen_ms = now_ms;
	return fresh;
}

bool bs_neigh_maybe_learn(struct bs_neigh *t, void *via, const struct bs_iface *e, uint32_t ip,
			  const uint8_t *mac, uint64_t now_ms)
{
	static const uint8_t zero[6];

	if (via && ip && ip != 0xffffffffu && bs_iface_on_link(e, ip) && !(mac[0] & 1) &&
	    memcmp(mac, zero, 6) != 0)
		return neigh_learn(t, via, e->ifindex, ip, mac, now_ms);
	return false;
}

const struct bs_neigh *bs_neigh_find(const struct bs_neigh *t, uint32_t ip, uint64_t now_ms)
{
	uint32_t h = neigh_hash(ip);

	for (uint32_t i = 0; i < BS_NEIGH_PROBE; i++) {
		const struct bs_neigh *n = &t[(h + i) & (BS_NEIGH_SIZE - 1)];

		if (n->ip == ip)
			return now_ms - n->seen_ms <= BS_NEIGH_TTL_MS ? n : NULL;
	}
	return NULL;
}
