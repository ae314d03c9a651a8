/* SPDX-License-Identifier: MIT */
/*
 * The interface table every backend serves from: which interfaces exist,
 * their MAC, MTU and IPv4 addresses, and which of them we serve
 * (interface= names, listen-address= addresses, else every interface but
 * loopback). Refreshed from getifaddrs() periodically and soon after a
 * backend meets an interface it does not know.
 *
 * Entries keep their slot for the life of the table (matched by ifindex),
 * so a name pointer handed out in bs_udp_meta.ifname stays valid even after
 * the interface is gone (its slot then has ifindex 0 and never serves).
 */
#ifndef BS_IO_IFTABLE_H
#define BS_IO_IFTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

#define BS_IFTABLE_MAX	      512 /* container hosts have hundreds of veths */
#define BS_IFTABLE_MAX_ADDRS  8	  /* IPv4 addresses kept per interface */
#define BS_IFTABLE_REFRESH_MS 5000

struct bs_iface {
	uint32_t ifindex; /* 0: gone (the slot is kept, see above) */
	char name[BS_IO_IFNAMSIZ];
	uint8_t mac[6];
	uint32_t addr, mask;		      /* primary IPv4, host order; 0 if none */
	uint32_t addrs[BS_IFTABLE_MAX_ADDRS]; /* all IPv4 addresses, primary first */
	unsigned naddrs;
	uint32_t mtu;
	bool loopback, serve;
	bool ether; /* has a 6-byte MAC: frames can be built for it */
};

struct bs_iftable {
	struct bs_iface ifs[BS_IFTABLE_MAX];
	size_t n;	  /* slots in use (some may be gone) */
	uint32_t min_mtu; /* smallest MTU of the served interfaces; 0 if none */
	bool refresh_wanted;
	uint64_t last_refresh_ms;
	uint64_t refreshes;

	/* private */
	char (*names)[BS_IO_IFNAMSIZ]; /* copy of cfg.ifaces */
	unsigned nnames;
	uint32_t *listen; /* copy of cfg.listen */
	unsigned nlisten;
	int ioctl_fd;
	const struct bs_log *log;
};

/* A table for cfg's selection, refreshed once. NULL + errno on failure. */
struct bs_iftable *bs_iftable_new(const struct bs_io_config *cfg);
void bs_iftable_free(struct bs_iftable *t);

/* Re-read the interfaces now. */
void bs_iftable_refresh(struct bs_iftable *t);

/*
 * Every BS_IFTABLE_REFRESH_MS, and soon (at most once a second) after
 * refresh_wanted was set. Returns true when the table was re-read.
 */
bool bs_iftable_maybe_refresh(struct bs_iftable *t, uint64_t now_ms);

/* The live entry for ifindex, or NULL (unknown or gone). */
struct bs_iface *bs_iftable_by_index(struct bs_iftable *t, uint32_t ifindex);

/* Does addr belong to the served interface e's subnet of its primary address? */
static inline bool bs_iface_on_link(const struct bs_iface *e, uint32_t addr)
{
	return e->addr && e->mask && ((addr ^ e->addr) & e->mask) == 0;
}

#endif
