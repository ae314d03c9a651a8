/* SPDX-License-Identifier: MIT */
/*
 * The interface table shared by the backends (see iftable.h): getifaddrs()
 * for names, MACs and IPv4 addresses, SIOCGIFMTU for the MTU.
 */
#include "iftable.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static bool name_matches(const char *pat, const char *name)
{
	size_t n = strnlen(pat, BS_IO_IFNAMSIZ);

	if (n && pat[n - 1] == '*')
		return strncmp(pat, name, n - 1) == 0;
	return strncmp(pat, name, BS_IO_IFNAMSIZ) == 0;
}

static bool iface_named(const struct bs_iftable *t, const char *name)
{
	for (unsigned i = 0; i < t->nnames; i++)
		if (name_matches(t->names[i], name))
			return true;
	return false;
}

static bool addr_listened(const struct bs_iftable *t, uint32_t addr)
{
	for (unsigned i = 0; i < t->nlisten; i++)
		if (t->listen[i] == addr)
			return true;
	return false;
}

/* Any slot for ifindex, live or not yet marked gone. */
static struct bs_iface *slot_by_index(struct bs_iftable *t, uint32_t ifindex)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ifs[i].ifindex == ifindex)
			return &t->ifs[i];
	return NULL;
}

struct bs_iface *bs_iftable_by_index(struct bs_iftable *t, uint32_t ifindex)
{
	if (ifindex == 0)
		return NULL;
	return slot_by_index(t, ifindex);
}

static struct bs_iface *iface_by_name(struct bs_iftable *t, const char *name)
{
	/* Address labels ("eth0:1") belong to their interface. */
	size_t n = strcspn(name, ":");

	for (size_t i = 0; i < t->n; i++)
		if (t->ifs[i].ifindex && strlen(t->ifs[i].name) == n &&
		    strncmp(t->ifs[i].name, name, n) == 0)
			return &t->ifs[i];
	return NULL;
}

static uint32_t in_addr_of(const struct sockaddr *sa)
{
	struct sockaddr_in sin;

	memcpy(&sin, sa, sizeof(sin));
	return ntohl(sin.sin_addr.s_addr);
}

/*
 * Rebuild the table in place. Entries are matched by ifindex and keep their
 * slot, so a meta.ifname handed out earlier still points at a name.
 */
void bs_iftable_refresh(struct bs_iftable *t)
{
	struct ifaddrs *ifa, *a;
	bool seen[BS_IFTABLE_MAX] = {false};
	uint32_t min_mtu = 0;

	t->refresh_wanted = false;
	t->refreshes++;
	if (getifaddrs(&ifa) < 0) {
		bs_logf(t->log, LOG_WARNING, "getifaddrs: %s", strerror(errno));
		return;
	}
	for (a = ifa; a; a = a->ifa_next) {
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
		struct bs_iface *e;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET)
			continue;
		e = slot_by_index(t, (uint32_t)ll->sll_ifindex);
		if (!e) {
			/* Reuse the slot of an interface gone earlier, else append. */
			for (size_t i = 0; i < t->n && !e; i++)
				if (t->ifs[i].ifindex == 0 && !seen[i])
					e = &t->ifs[i];
			if (!e && t->n < BS_IFTABLE_MAX)
				e = &t->ifs[t->n++];
			if (!e)
				continue;
			memset(e, 0, sizeof(*e));
			e->ifindex = (uint32_t)ll->sll_ifindex;
		}
		seen[e - t->ifs] = true;
		snprintf(e->name, sizeof(e->name), "%s", a->ifa_name);
		e->ether = ll->sll_halen == 6;
		if (e->ether)
			memcpy(e->mac, ll->sll_addr, 6);
		e->loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
		e->addr = e->mask = 0;
		e->naddrs = 0;
		e->serve = false;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!seen[i])
			t->ifs[i].ifindex = 0; /* gone: before the name lookups below */
	for (a = ifa; a; a = a->ifa_next) {
		struct bs_iface *e;
		uint32_t addr;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		e = iface_by_name(t, a->ifa_name);
		if (!e)
			continue;
		addr = in_addr_of(a->ifa_addr);
		/* The kernel lists the primary address first. */
		if (e->naddrs == 0) {
			e->addr = addr;
			e->mask = a->ifa_netmask ? in_addr_of(a->ifa_netmask) : 0;
		}
		if (e->naddrs < BS_IFTABLE_MAX_ADDRS)
			e->addrs[e->naddrs++] = addr;
		if (addr_listened(t, addr))
			e->serve = true;
	}
	freeifaddrs(ifa);

	for (size_t i = 0; i < t->n; i++) {
		struct bs_iface *e = &t->ifs[i];
		struct ifreq ifr;

		if (!seen[i]) {
			/* Gone: keep the slot (and its name) but never serve it. */
			e->serve = false;
			continue;
		}
		if (t->nnames == 0 && t->nlisten == 0)
			e->serve = !e->loopback;
		else if (iface_named(t, e->name))
			e->serve = true;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", e->name);
		e->mtu = ioctl(t->ioctl_fd, SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 1500;
		if (e->serve && (min_mtu == 0 || e->mtu < min_mtu))
			min_mtu = e->mtu;
	}
	t->min_mtu = min_mtu;
}

bool bs_iftable_maybe_refresh(struct bs_iftable *t, uint64_t now_ms)
{
	if ((t->refresh_wanted && now_ms - t->last_refresh_ms >= 1000) ||
	    now_ms - t->last_refresh_ms >= BS_IFTABLE_REFRESH_MS) {
		t->last_refresh_ms = now_ms;
		bs_iftable_refresh(t);
		return true;
	}
	return false;
}

void bs_iftable_free(struct bs_iftable *t)
{
	if (!t)
		return;
	if (t->ioctl_fd >= 0)
		close(t->ioctl_fd);
	free(t->names);
	free(t->listen);
	free(t);
}

struct bs_iftable *bs_iftable_new(const struct bs_io_config *cfg)
{
	struct bs_iftable *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->ioctl_fd = -1;
	t->log = cfg->log;
	t->names = calloc(cfg->nifaces + 1, sizeof(*t->names));
	t->listen = calloc(cfg->nlisten + 1, sizeof(*t->listen));
	if (!t->names || !t->listen) {
		err = ENOMEM;
		goto fail;
	}
	if (cfg->nifaces)
		memcpy(t->names, cfg->ifaces, cfg->nifaces * sizeof(*t->names));
	if (cfg->nlisten)
		memcpy(t->listen, cfg->listen, cfg->nlisten * sizeof(*t->listen));
	t->nnames = cfg->nifaces;
	t->nlisten = cfg->nlisten;
	t->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->ioctl_fd < 0) {
		err = errno;
		goto fail;
	}
	bs_iftable_refresh(t);
	return t;

fail:
	bs_iftable_free(t);
	errno = err;
	return NULL;
}
