/* SPDX-License-Identifier: MIT */
/*
 * Inside the DPDK backend: the state dpdk.c (the data path, per worker)
 * and dpdk_eal.c (EAL, ports, exception taps, the mempool) share. Not for
 * anyone else: the worker sees struct bs_io only.
 */
#ifndef BS_IO_DPDK_INT_H
#define BS_IO_DPDK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "iftable.h"
#include "io.h"
#include "l2.h"
#include "neigh.h"
#include "pkt/pkt.h"

#define DP_PORTS_MAX   16
#define DP_WORKERS_MAX 16
#define DP_BURST       64
#define DP_TXQ_MAX     4096 /* queued per port between flushes (the socket backend: 4096 too) */
#define DP_RX_DESC     1024
#define DP_TX_DESC     1024
#define DP_MBUF_DATA   RTE_MBUF_DEFAULT_DATAROOM
/* Largest UDP payload one mbuf carries: one segment, headers in front. */
#define DP_PAYLOAD_MAX (DP_MBUF_DATA - BS_PKT_UDP_HEADROOM)
#define DP_TX_TRIES    8

/* One served ethdev port; read-only after open. */
struct dport {
	uint16_t port;
	char kif[BS_IO_IFNAMSIZ]; /* the kernel interface's name */
	uint8_t mac[6];
	int exc; /* the exception tap's port id, or -1 */
};

/* Queue k of a port: worker k's alone. */
struct dq {
	struct rte_mbuf *held[DP_BURST]; /* rx burst, until rx_release */
	unsigned nheld;
	struct rte_mbuf **txq; /* DP_TXQ_MAX, until tx_flush */
	unsigned ntx;
	uint64_t rx_pkts, tx_pkts;
	uint64_t drops[BS_PKT_VERDICT_COUNT];
};

enum dp_stat {
	DS_RX_NOT_OURS,	     /* to the exception path, or freed (af_packet) */
	DS_RX_TO_KERNEL,     /* ... of which sent to the exception tap */
	DS_RX_SEGMENTED,     /* chained mbuf: frames we serve fit one */
	DS_KERNEL_DRAINED,   /* read from the bound sockets and dropped */
	DS_KERNEL_SERVED,    /* read from them and served (exception path) */
	DS_EXC_TX,	     /* exception tap -> port (ARP replies, TCP, ...) */
	DS_EXC_DROPS,	     /* either way, the other side's ring was full */
	DS_TX_KERNEL,	     /* replies handed to the kernel's sockets */
	DS_TX_KERNEL_ERRORS, /* workers >= 1: the direct send failed */
	DS_TX_NEIGH_MISS,    /* ... because the routed destination was never seen */
	DS_TX_NO_MBUF,	     /* mempool empty: staged for the kernel */
	DS_TX_COPIED,	     /* payload moved from staging into an mbuf */
	DS_TX_RING_FULL,     /* rte_eth_tx_burst did not take them all: freed */
	DS_TX_BAD_COMMIT,
	DS_TX_DISCARDED,
	DS_NEIGH_LEARNED,
	DS_NEIGH_HITS,
	DS_COUNT
};

struct dpdk_io;

/* What one worker owns; its thread alone touches it. */
struct dp_worker {
	struct bs_io io; /* the worker's view; must be first */
	struct bs_tx tx;
	struct dpdk_io *d;
	unsigned id;
	struct bs_iftable *ift;		/* its own copy (worker 0: d->ift) */
	uint32_t ifindex[DP_PORTS_MAX]; /* the ports' kernel interfaces, from ift */
	struct dq q[DP_PORTS_MAX];	/* queue id of every port */
	struct bs_neigh *neigh;		/* .via: the struct dport heard on */
	int cur;			/* the port of the burst being served, or -1 */
	struct rte_mbuf *pend;		/* alloc() handed out this ... */
	uint8_t *pend_buf;		/* ... or this staging buffer */
	size_t pend_max;
	struct bs_l2_kernel k; /* workers >= 1: .kbuf, one datagram for the kernel */
	uint64_t now_ms;
	uint16_t ip_id;
	uint64_t st[DS_COUNT];
};

struct dpdk_io {
	struct bs_io_config cfg;
	struct bs_io *sock; /* the socket backend inside */
	size_t nsockq;
	struct bs_iftable *ift;
	struct rte_mempool *pool;
	struct dport ports[DP_PORTS_MAX];
	unsigned nports, ntaps; /* ntaps: ports with an exception tap */
	unsigned nq;		/* queues per port = workers */
	struct dp_worker *w;	/* w[0].io is the backend's io */
	bool eal_up;
	FILE *eal_log;
};

/* dpdk_eal.c. 0 or -errno, logged. */
int dp_eal_start(struct dpdk_io *d);
/* Find, pair and start the ports and taps (nq queues each), the mempool. */
int dp_ports_open(struct dpdk_io *d);
/* Stop and close every port, free the pool, EAL cleanup. */
void dp_eal_stop(struct dpdk_io *d);
/* The driver's counters (rte_eth_stats) of port p as dpdk_<if>_eth_*. */
void dp_port_eth_stats(const struct dport *p, bs_stat_fn fn, void *arg);

#endif
