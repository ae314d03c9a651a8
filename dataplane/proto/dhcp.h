/* SPDX-License-Identifier: MIT */
/*
 * DHCP / proxyDHCP / PXE boot server logic (RFC 2131, 2132, 4578, PXE 2.1).
 * Pure: no sockets, no clock reads, no globals. Input: one UDP payload, its
 * addressing, the policy and the time; output: reply datagrams through the
 * caller's struct bs_tx, lease changes in the lease table.
 */
#ifndef BS_PROTO_DHCP_H
#define BS_PROTO_DHCP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "datagram.h"
#include "policy.h"
#include "../util/log.h"

#define DHCP_SERVER_PORT     67
#define DHCP_CLIENT_PORT     68
#define PXE_BOOT_SERVER_PORT 4011

struct lease_table;
struct dhcp_server;

/* What happened to one datagram (also counted per kind in the stats). */
enum dhcp_verdict {
	DHCP_REPLIED = 0,      /* one reply committed to tx */
	DHCP_NO_REPLY,	       /* valid, and silence is the right answer
				  (RELEASE, DECLINE, not for us, ignored host,
				  proxy mode without PXE, non-authoritative) */
	DHCP_DROP_MALFORMED,   /* truncated, bad magic, bad option lengths ... */
	DHCP_DROP_UNSUPPORTED, /* op != BOOTREQUEST, htype/hlen not Ethernet,
				  unknown message type */
	DHCP_DROP_NO_RANGE,    /* no dhcp-range serves this subnet/relay */
	DHCP_DROP_POOL_FULL,   /* no free address or dhcp-lease-max reached */
	DHCP_DROP_NO_BUFFER,   /* bs_tx had no buffer */
	DHCP_VERDICT_COUNT
};

/*
 * policy and leases are borrowed: they must outlive the server. leases may
 * be NULL when every range is a proxy range. log may be NULL.
 * Returns NULL on allocation failure.
 * A server keeps per-packet scratch space and its own counters: use one per
 * worker thread. The lease table has no lock: workers that share one must
 * not run dhcp_input() on it concurrently.
 */
struct dhcp_server *dhcp_server_new(const struct bs_policy *policy, struct lease_table *leases,
				    const struct bs_log *log);
void dhcp_server_free(struct dhcp_server *srv);

/*
 * Swap in a new policy (reload). Leases are kept; reservations of the new
 * policy apply from the next packet.
 */
void dhcp_server_set_policy(struct dhcp_server *srv, const struct bs_policy *policy);

/*
 * Client events (util/events.h) go to ring from now on: what the client
 * sent, and each reply. NULL: none. The ring is the worker's (one producer).
 */
struct bs_ev_ring;
void dhcp_server_set_events(struct dhcp_server *srv, struct bs_ev_ring *ring);

/*
 * The tag set of every reply (offer, ack, nak; full DHCP, proxy and boot
 * server) goes to m (util/tagmem.h) under the client's chaddr, stamped
 * with dhcp_input's now_ms, for the HTTP side's ipxe-boot lines. NULL:
 * none. This server is m's one writer.
 */
struct bs_tagmem;
void dhcp_server_set_tagmem(struct dhcp_server *srv, struct bs_tagmem *m);

/*
 * Swap in a host snapshot (control/hosts.c): its entries replace the
 * policy's dhcp-host lines, with their boot actions (hostact.h). Borrowed
 * until the next call; NULL: back to the policy's lines. Between packets.
 */
struct bs_hostsnap;
void dhcp_server_set_hosts(struct dhcp_server *srv, const struct bs_hostsnap *snap);

/*
 * Handle one UDP payload received on port 67 or 4011 (meta->dst_port says
 * which). now: wall-clock seconds (lease expiry is wall-clock because leases
 * outlive the process); now_ms: a monotonic clock for rate limits.
 * Replies go to tx, addressed per RFC 2131 4.1 (relay: giaddr port 67;
 * ciaddr set: unicast; broadcast flag or NAK: L2 broadcast; else L2 unicast
 * to chaddr) and from port 67 (or 4011 for boot server replies).
 */
enum dhcp_verdict dhcp_input(struct dhcp_server *srv, const struct bs_udp_meta *meta,
			     const uint8_t *payload, size_t len, time_t now, uint64_t now_ms,
			     struct bs_tx *tx);

/* Counters by name (dhcp_rx_discover, dhcp_tx_offer, dhcp_drop_malformed ...). */
void dhcp_stats_foreach(const struct dhcp_server *srv, bs_stat_fn fn, void *arg);

const char *dhcp_verdict_name(enum dhcp_verdict v);

#endif
