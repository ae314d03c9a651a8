/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend: the worker's frames through rte_ethdev, for NICs bound
 * to DPDK (vfio-pci) and, in CI, for a net_af_packet / net_af_xdp vdev on a
 * veth. docs/dpdk.md is the operator's side of this file.
 *
 * Ports. Every ethdev port EAL found is served, one rx and one tx queue
 * each (one worker). Each port has a kernel interface, its "twin", whose
 * ifindex, addresses and MTU the protocol code sees:
 *  - net_af_packet / net_af_xdp: the interface in its iface= argument;
 *  - with net_tap vdevs in the EAL arguments: the i-th tap is the twin and
 *    the exception path of the i-th other port (a NIC bound to DPDK has no
 *    kernel interface of its own). The tap gets the port's MAC.
 *
 * RX: rte_eth_rx_burst into mbufs, parsed with pkt/ (checksums verified
 * in software). Ours: UDP to the ports we serve (67, 4011, 69, the
 * transfer range), to one of the twin's addresses or a broadcast, to the
 * port's MAC or broadcast. Everything else (ARP, TCP for HTTP and SSH,
 * ICMP, VLAN tags, other UDP) goes to the exception tap when there is one
 * and is freed otherwise: on af_packet the kernel has its own copy of
 * every frame. The mbufs are held until rx_release().
 *
 * The socket backend runs inside, as in the AF_XDP backend: its bound
 * sockets keep the kernel from answering our ports (no ICMP port
 * unreachable for a TFTP transfer port; no second DHCP server on the
 * host), and carry routed replies to neighbours we never heard from (the
 * kernel ARPs and routes, through the twin). What those sockets receive on
 * an af_packet twin is a copy of a frame DPDK delivered already: read and
 * dropped (dpdk_kernel_drained), never answered twice. What reaches them
 * through an exception tap DPDK did not take, and is served
 * (dpdk_kernel_served).
 *
 * TX: alloc() hands out an mbuf's data at BS_PKT_UDP_HEADROOM (TFTP copies
 * file bytes straight into it); commit() resolves the MAC (broadcast, the
 * client's, or the neighbour table's for routed replies), builds the
 * headers with pkt/ (both checksums in software) and queues the mbuf on
 * the port; tx_flush() calls rte_eth_tx_burst.
 *
 * DPDK has no fd to wait on: the queues are reported with fd -1 and the
 * worker polls them (worker.c, "polled queues").
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dpdk_args.h"
#include "iftable.h"
#include "io.h"
#include "neigh.h"
#include "pkt/pkt.h"

#define DP_PORTS_MAX 16
#define DP_BURST     64
#define DP_TXQ_MAX   4096 /* queued per port between flushes (the socket backend: 4096 too) */
#define DP_RX_DESC   1024
#define DP_TX_DESC   1024
#define DP_MBUF_DATA RTE_MBUF_DEFAULT_DATAROOM
/* Largest UDP payload one mbuf carries: one segment, headers in front. */
#define DP_PAYLOAD_MAX (DP_MBUF_DATA - BS_PKT_UDP_HEADROOM)
#define DP_TX_TRIES    8

enum dp_stat {
	DS_RX_NOT_OURS,	   /* to the exception path, or freed (af_packet) */
	DS_RX_TO_KERNEL,   /* ... of which sent to the exception tap */
	DS_RX_SEGMENTED,   /* chained mbuf: frames we serve fit one */
	DS_KERNEL_DRAINED, /* read from the bound sockets and dropped */
	DS_KERNEL_SERVED,  /* read from them and served (exception path) */
	DS_EXC_TX,	   /* exception tap -> port (ARP replies, TCP, ...) */
	DS_EXC_DROPS,	   /* either way, the other side's ring was full */
	DS_TX_KERNEL,	   /* replies handed to the socket backend */
	DS_TX_NEIGH_MISS,  /* ... because the routed destination was never seen */
	DS_TX_NO_MBUF,	   /* mempool empty: staged in the socket backend */
	DS_TX_COPIED,	   /* payload moved from staging into an mbuf */
	DS_TX_RING_FULL,   /* rte_eth_tx_burst did not take them all: freed */
	DS_TX_BAD_COMMIT,
	DS_TX_DISCARDED,
	DS_NEIGH_LEARNED,
	DS_NEIGH_HITS,
	DS_COUNT
};

static const char *const ds_names[DS_COUNT] = {
    [DS_RX_NOT_OURS] = "dpdk_rx_not_ours",   [DS_RX_TO_KERNEL] = "dpdk_rx_to_kernel",
    [DS_RX_SEGMENTED] = "dpdk_rx_segmented", [DS_KERNEL_DRAINED] = "dpdk_kernel_drained",
    [DS_EXC_TX] = "dpdk_exception_tx",	     [DS_EXC_DROPS] = "dpdk_exception_drops",
    [DS_TX_KERNEL] = "dpdk_tx_kernel",	     [DS_TX_NEIGH_MISS] = "dpdk_tx_neigh_miss",
    [DS_TX_NO_MBUF] = "dpdk_tx_no_mbuf",     [DS_TX_COPIED] = "dpdk_tx_copied",
    [DS_TX_RING_FULL] = "dpdk_tx_ring_full", [DS_TX_BAD_COMMIT] = "dpdk_tx_bad_commit",
    [DS_TX_DISCARDED] = "dpdk_tx_discarded", [DS_NEIGH_LEARNED] = "dpdk_neigh_learned",
    [DS_NEIGH_HITS] = "dpdk_neigh_hits",     [DS_KERNEL_SERVED] = "dpdk_kernel_served",
};

/* One served ethdev port. */
struct dport {
	uint16_t port;
	char kif[BS_IO_IFNAMSIZ]; /* the kernel twin's name */
	uint32_t ifindex;	  /* the twin's (0: not there yet) */
	uint8_t mac[6];
	int exc; /* the exception tap's port id, or -1 */
	struct rte_mbuf *held[DP_BURST];
	unsigned nheld;
	struct rte_mbuf *txq[DP_TXQ_MAX];
	unsigned ntx;
	uint64_t rx_pkts, tx_pkts;
	uint64_t drops[BS_PKT_VERDICT_COUNT];
};

struct dpdk_io {
	struct bs_io io; /* must be first */
	struct bs_tx tx;
	struct bs_io_config cfg;
	struct bs_io *sock; /* the socket backend inside */
	size_t nsockq;
	struct bs_iftable *ift;
	struct rte_mempool *pool;
	struct dport ports[DP_PORTS_MAX];
	unsigned nports;
	struct bs_neigh *neigh;
	struct dport *cur; /* the port of the burst being served */
	struct rte_mbuf *pend;
	uint8_t *pend_buf; /* staged in the socket backend instead */
	size_t pend_max;
	uint64_t now_ms;
	uint16_t ip_id;
	bool eal_up;
	FILE *eal_log;
	uint64_t st[DS_COUNT];
};

static struct dpdk_io *to_d(struct bs_io *io)
{
	return (struct dpdk_io *)io;
}

static struct dpdk_io *tx_to_d(struct bs_tx *tx)
{
	return (struct dpdk_io *)((uint8_t *)tx - offsetof(struct dpdk_io, tx));
}

/* ---- EAL ---- */

/* EAL's log lines, one bs_log line each ("dpdk: ..."). */
static ssize_t eal_log_write(void *cookie, const char *buf, size_t len)
{
	const struct bs_log *log = cookie;
	size_t n = len;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n)
		bs_logf(log, LOG_INFO, "dpdk: %.*s", (int)n, buf);
	return (ssize_t)len;
}

/*
 * rte_eal_init with every signal blocked, so the threads it starts never
 * take SIGTERM/SIGHUP (the worker reads them from a signalfd in this
 * thread), and this thread's CPU affinity restored afterwards: EAL pins
 * the main lcore, the worker threads and the cores' other jobs need not be.
 */
static int eal_start(struct dpdk_io *d)
{
	static cookie_io_functions_t fns = {.write = eal_log_write};
	char buf[1024], shown[1024] = "";
	char *argv[BS_DPDK_ARGV_MAX];
	sigset_t all, old;
	cpu_set_t cpus;
	bool have_cpus;
	int argc, err, r, cpu = 0;

	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	while (have_cpus && cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &cpus))
		cpu++;
	err = bs_dpdk_eal_argv(d->cfg.dpdk_args, d->cfg.ifaces, d->cfg.nifaces, cpu, buf,
			       sizeof(buf), argv, &argc);
	if (err) {
		bs_logf(d->cfg.log, LOG_ERR, "dpdk: dpdk-args too long");
		return err;
	}
	for (int i = 1; i < argc; i++)
		snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), " %s", argv[i]);
	bs_logf(d->cfg.log, LOG_INFO, "dpdk: EAL arguments:%s", shown);
	d->eal_log = fopencookie((void *)d->cfg.log, "w", fns);
	if (d->eal_log) {
		setvbuf(d->eal_log, NULL, _IOLBF, 0);
		rte_openlog_stream(d->eal_log);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = rte_eal_init(argc, argv);
	err = rte_errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (have_cpus)
		(void)sched_setaffinity(0, sizeof(cpus), &cpus);
	if (r < 0) {
		bs_logf(d->cfg.log, LOG_ERR, "dpdk: EAL initialisation failed: %s (dpdk-args?)",
			rte_strerror(err));
		return err > 0 ? -err : -EINVAL;
	}
	d->eal_up = true;
	return 0;
}

/* ---- ports ---- */

static const char *port_driver(uint16_t port)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) != 0 || !info.driver_name)
		return "";
	return info.driver_name;
}

/* The kernel interface a port's driver is attached to (af_packet, af_xdp,
   tap: the driver says; else iface= in its device arguments), or "". */
static void port_kernel_if(uint16_t port, char *out, size_t size)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	char name[IF_NAMESIZE];
	const char *p;

	out[0] = '\0';
	if (rte_eth_dev_info_get(port, &info) != 0)
		return;
	if (info.if_index && if_indextoname(info.if_index, name)) {
		snprintf(out, size, "%s", name);
		return;
	}
	da = info.device ? rte_dev_devargs(info.device) : NULL;
	if (!da || !da->args)
		return;
	for (p = da->args; (p = strstr(p, "iface=")); p++)
		if (p == da->args || p[-1] == ',') {
			int n = (int)strcspn(p + 6, ",");

			snprintf(out, size, "%.*s", n, p + 6);
			return;
		}
}

static bool is_tap(uint16_t port)
{
	return strcmp(port_driver(port), "net_tap") == 0;
}

static int port_start(struct dpdk_io *d, uint16_t port)
{
	struct rte_eth_conf conf;
	uint16_t nrx = DP_RX_DESC, ntx = DP_TX_DESC;
	int socket = rte_eth_dev_socket_id(port), err;

	memset(&conf, 0, sizeof(conf));
	if (socket < 0)
		socket = (int)rte_socket_id();
	if ((err = rte_eth_dev_configure(port, 1, 1, &conf)) < 0 ||
	    (err = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) < 0 ||
	    (err = rte_eth_rx_queue_setup(port, 0, nrx, (unsigned)socket, NULL, d->pool)) < 0 ||
	    (err = rte_eth_tx_queue_setup(port, 0, ntx, (unsigned)socket, NULL)) < 0 ||
	    (err = rte_eth_dev_start(port)) < 0) {
		char name[RTE_ETH_NAME_MAX_LEN] = "?";

		rte_eth_dev_get_name_by_port(port, name);
		bs_logf(d->cfg.log, LOG_ERR, "dpdk: port %u (%s): cannot start: %s", port, name,
			rte_strerror(-err));
		return err;
	}
	return 0;
}

static struct bs_iface *iface_by_name(struct bs_iftable *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ifs[i].ifindex && strcmp(t->ifs[i].name, name) == 0)
			return &t->ifs[i];
	return NULL;
}

/* The twins' ifindexes follow the interface table (a tap appears, an
   interface is re-created). */
static void twins_sync(struct dpdk_io *d)
{
	for (unsigned i = 0; i < d->nports; i++) {
		const struct bs_iface *e = iface_by_name(d->ift, d->ports[i].kif);

		d->ports[i].ifindex = e ? e->ifindex : 0;
	}
}

/*
 * Sort EAL's ports into served ports and exception taps, pair them, start
 * them all. With taps, the i-th tap belongs to the i-th other port.
 */
static int ports_open(struct dpdk_io *d)
{
	uint16_t taps[DP_PORTS_MAX], ntaps = 0, port;
	char tapif[BS_IO_IFNAMSIZ];
	int err;

	RTE_ETH_FOREACH_DEV(port)
	{
		if (is_tap(port)) {
			if (ntaps < DP_PORTS_MAX)
				taps[ntaps++] = port;
			continue;
		}
		if (d->nports == DP_PORTS_MAX) {
			bs_logf(d->cfg.log, LOG_WARNING,
				"dpdk: more than %d ports: port %u not served", DP_PORTS_MAX, port);
			continue;
		}
		d->ports[d->nports].port = port;
		d->ports[d->nports].exc = -1;
		port_kernel_if(port, d->ports[d->nports].kif, sizeof(d->ports[0].kif));
		d->nports++;
	}
	if (!d->nports) {
		bs_logf(d->cfg.log, LOG_ERR,
			"dpdk: no port to serve: name one in dpdk-args (--vdev=... or -a PCI) or "
			"interface= (net_af_packet on it)");
		return -ENODEV;
	}
	if (ntaps && ntaps != d->nports)
		bs_logf(
		    d->cfg.log, LOG_WARNING,
		    "dpdk: %u port(s) but %u exception tap(s): paired in order, the rest without",
		    d->nports, ntaps);
	for (unsigned i = 0; i < d->nports; i++) {
		struct dport *p = &d->ports[i];
		struct rte_ether_addr mac;

		if ((err = port_start(d, p->port)) < 0)
			return err;
		if ((err = rte_eth_macaddr_get(p->port, &mac)) < 0)
			return err;
		memcpy(p->mac, mac.addr_bytes, 6);
		if (i < ntaps) {
			p->exc = taps[i];
			/* The kernel answers ARP and TCP through the tap: with the
			   port's MAC, the NIC's peers reach it. */
			if ((err = rte_eth_dev_default_mac_addr_set(taps[i], &mac)) < 0) {
				bs_logf(d->cfg.log, LOG_ERR,
					"dpdk: exception tap: cannot set MAC: %s",
					rte_strerror(-err));
				return err;
			}
			if ((err = port_start(d, taps[i])) < 0)
				return err;
			port_kernel_if(taps[i], tapif, sizeof(tapif));
			snprintf(p->kif, sizeof(p->kif), "%s", tapif);
		}
		if (!p->kif[0]) {
			bs_logf(
			    d->cfg.log, LOG_ERR,
			    "dpdk: port %u has no kernel interface (addresses, ARP, TCP): add an "
			    "exception tap, --vdev=net_tap0,iface=NAME (docs/dpdk.md)",
			    p->port);
			return -EINVAL;
		}
		bs_logf(d->cfg.log, LOG_INFO,
			"dpdk: port %u (%s) %02x:%02x:%02x:%02x:%02x:%02x, kernel interface %s%s",
			p->port, port_driver(p->port), p->mac[0], p->mac[1], p->mac[2], p->mac[3],
			p->mac[4], p->mac[5], p->kif, p->exc >= 0 ? " (exception tap)" : "");
	}
	return 0;
}

/* ---- rx ---- */

static bool our_udp_port(const struct dpdk_io *d, uint16_t port)
{
	if (d->cfg.dhcp && (port == 67 || port == 4011))
		return true;
	return d->cfg.tftp &&
	       (port == 69 || (d->io.tftp_port_lo <= d->io.tftp_port_hi &&
			       port >= d->io.tftp_port_lo && port <= d->io.tftp_port_hi));
}

static bool our_addr(const struct bs_iface *e, uint32_t ip)
{
	if (ip == 0xffffffffu || (e->mask && ip == (e->addr | ~e->mask)))
		return true;
	for (unsigned i = 0; i < e->naddrs; i++)
		if (e->addrs[i] == ip)
			return true;
	return false;
}

/* Parse errors of frames that are somebody else's business, not hostile. */
static bool kernel_business(enum bs_pkt_verdict v)
{
	return v == BS_PKT_NOT_IPV4 || v == BS_PKT_NOT_UDP || v == BS_PKT_FRAGMENT;
}

/* A frame that is not ours: the exception tap's, or freed. */
static void not_ours(struct dpdk_io *d, struct dport *p, struct rte_mbuf **exc, unsigned *nexc,
		     struct rte_mbuf *m)
{
	d->st[DS_RX_NOT_OURS]++;
	if (p->exc >= 0) {
		exc[(*nexc)++] = m;
		return;
	}
	rte_pktmbuf_free(m);
}

/* Hand frames to another port now; what its ring does not take is freed. */
static void forward(struct dpdk_io *d, uint16_t to, struct rte_mbuf **m, unsigned n,
		    enum dp_stat ok)
{
	uint16_t sent = n ? rte_eth_tx_burst(to, 0, m, (uint16_t)n) : 0;

	d->st[ok] += sent;
	if (sent < n) {
		d->st[DS_EXC_DROPS] += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

static unsigned port_rx(struct dpdk_io *d, struct dport *p, struct bs_rx_pkt *pkts, unsigned max)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct rte_mbuf *m[DP_BURST], *exc[DP_BURST];
	struct bs_iface *e = p->ifindex ? bs_iftable_by_index(d->ift, p->ifindex) : NULL;
	unsigned n = 0, nexc = 0;
	uint16_t got;

	if (p->nheld)
		return 0; /* the worker releases a burst before the next */
	if (max > DP_BURST)
		max = DP_BURST;
	got = rte_eth_rx_burst(p->port, 0, m, (uint16_t)max);
	p->rx_pkts += got;
	for (uint16_t i = 0; i < got; i++) {
		struct bs_pkt_udp u;
		enum bs_pkt_verdict v;
		struct bs_rx_pkt *r;

		if (m[i]->nb_segs != 1) {
			d->st[DS_RX_SEGMENTED]++;
			not_ours(d, p, exc, &nexc, m[i]);
			continue;
		}
		v = bs_pkt_parse_eth(rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, &u);
		if (v != BS_PKT_OK && !kernel_business(v)) {
			p->drops[v < BS_PKT_VERDICT_COUNT ? v : BS_PKT_NOT_IPV4]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		/* Tagged frames are the kernel's VLAN device's (as with AF_XDP). */
		if (v != BS_PKT_OK || u.vlan >= 0 || !e || !e->serve ||
		    !our_udp_port(d, u.dst_port) || !our_addr(e, u.dst_ip) ||
		    (memcmp(u.dst_mac, p->mac, 6) != 0 && memcmp(u.dst_mac, bcast, 6) != 0)) {
			/* An unknown interface, or our port on an address we do
			   not know (yet: the tap got it after start): look again,
			   at most once a second. */
			if (!e || (v == BS_PKT_OK && our_udp_port(d, u.dst_port)))
				d->ift->refresh_wanted = true;
			not_ours(d, p, exc, &nexc, m[i]);
			continue;
		}
		if (bs_neigh_maybe_learn(d->neigh, p, e, u.src_ip, u.src_mac, d->now_ms))
			d->st[DS_NEIGH_LEARNED]++;
		p->held[p->nheld++] = m[i];
		r = &pkts[n++];
		memset(&r->meta, 0, sizeof(r->meta));
		r->meta.ifindex = e->ifindex;
		r->meta.src_ip = u.src_ip;
		r->meta.dst_ip = u.dst_ip;
		r->meta.src_port = u.src_port;
		r->meta.dst_port = u.dst_port;
		memcpy(r->meta.src_mac, u.src_mac, 6);
		r->meta.if_addr = e->addr;
		r->meta.if_mask = e->mask;
		r->meta.ifname = e->name;
		r->data = u.payload;
		r->len = u.payload_len;
	}
	if (p->exc >= 0)
		forward(d, (uint16_t)p->exc, exc, nexc, DS_RX_TO_KERNEL);
	return n;
}

/* What the kernel sends through the exception tap goes out on the port. */
static void exc_rx(struct dpdk_io *d, struct dport *p)
{
	struct rte_mbuf *m[DP_BURST];
	uint16_t got = rte_eth_rx_burst((uint16_t)p->exc, 0, m, DP_BURST);

	forward(d, p->port, m, got, DS_EXC_TX);
}

/* Did the kernel see this interface's frames beside DPDK (af_packet)? */
static bool kernel_sees_port(const struct dpdk_io *d, uint32_t ifindex)
{
	for (unsigned i = 0; i < d->nports; i++)
		if (d->ports[i].ifindex == ifindex && d->ports[i].exc < 0)
			return true;
	return false;
}

/*
 * The socket backend's datagrams. On an interface the kernel sees beside
 * DPDK (af_packet) they are copies of frames DPDK had: dropped, never
 * answered twice. What came through an exception tap (DPDK did not take
 * it: an address it did not know yet) or on an interface DPDK does not
 * drive is served, as the AF_XDP backend serves what XDP passes.
 */
static unsigned kernel_rx(struct dpdk_io *d, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			  uint64_t now_ms)
{
	unsigned n = d->sock->ops->rx_burst(d->sock, queue, pkts, max, now_ms), kept = 0;

	for (unsigned i = 0; i < n; i++) {
		if (kernel_sees_port(d, pkts[i].meta.ifindex))
			d->st[DS_KERNEL_DRAINED]++;
		else
			pkts[kept++] = pkts[i];
	}
	d->st[DS_KERNEL_SERVED] += kept;
	return kept;
}

/*
 * Queues: 0 .. nports-1 the ports, then one per exception tap, then the
 * socket backend's.
 */
static unsigned dp_rx_burst(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			    uint64_t now_ms)
{
	struct dpdk_io *d = to_d(io);
	unsigned ntap = 0;

	d->now_ms = now_ms;
	if (bs_iftable_maybe_refresh(d->ift, now_ms))
		twins_sync(d);
	if (queue < d->nports) {
		d->cur = &d->ports[queue];
		return port_rx(d, d->cur, pkts, max);
	}
	d->cur = NULL;
	queue -= d->nports;
	for (unsigned i = 0; i < d->nports; i++)
		if (d->ports[i].exc >= 0 && ntap++ == queue) {
			exc_rx(d, &d->ports[i]);
			return 0;
		}
	queue -= ntap;
	return kernel_rx(d, queue, pkts, max, now_ms);
}

static void dp_rx_release(struct bs_io *io, uint32_t queue)
{
	struct dpdk_io *d = to_d(io);
	struct dport *p;

	d->cur = NULL;
	if (queue >= d->nports)
		return;
	p = &d->ports[queue];
	rte_pktmbuf_free_bulk(p->held, p->nheld);
	p->nheld = 0;
}

/* ---- tx ---- */

static void drop_pending(struct dpdk_io *d)
{
	rte_pktmbuf_free(d->pend); /* NULL is fine */
	d->pend = NULL;
	d->pend_buf = NULL;
}

static uint8_t *dp_tx_alloc(struct bs_tx *tx, size_t max)
{
	struct dpdk_io *d = tx_to_d(tx);
	uint8_t *b;

	drop_pending(d);
	d->pend_max = max;
	if (max <= DP_PAYLOAD_MAX && (d->pend = rte_pktmbuf_alloc(d->pool)))
		return rte_pktmbuf_mtod_offset(d->pend, uint8_t *, BS_PKT_UDP_HEADROOM);
	/* Too big for an mbuf, or none left: the kernel's way. */
	if (max <= DP_PAYLOAD_MAX)
		d->st[DS_TX_NO_MBUF]++;
	b = bs_tx_alloc(d->sock->tx, max);
	d->pend_buf = b;
	return b;
}

struct route {
	struct dport *p;
	const struct bs_iface *e;
	uint8_t dst_mac[6];
};

static struct dport *port_of(struct dpdk_io *d, uint32_t ifindex, struct dport *hint)
{
	if (hint && hint->ifindex == ifindex)
		return hint;
	for (unsigned i = 0; i < d->nports; i++)
		if (d->ports[i].ifindex == ifindex)
			return &d->ports[i];
	return NULL;
}

/* Where a datagram goes; false: the socket backend takes it. */
static bool route(struct dpdk_io *d, const struct bs_tx_addr *to, size_t len, struct route *r)
{
	uint32_t ifindex = to->ifindex;
	struct dport *hint = d->cur;

	if (to->l2 > BS_TX_L2_UNICAST || to->dst_ip == 0 || to->dst_port == 0 ||
	    len > DP_PAYLOAD_MAX)
		return false;
	if (to->l2 == BS_TX_ROUTED) {
		const struct bs_neigh *n = bs_neigh_find(d->neigh, to->dst_ip, d->now_ms);

		if (!n || (ifindex && ifindex != n->ifindex)) {
			d->st[DS_TX_NEIGH_MISS]++;
			return false;
		}
		d->st[DS_NEIGH_HITS]++;
		ifindex = n->ifindex;
		memcpy(r->dst_mac, n->mac, 6);
		hint = n->via;
	} else if (to->l2 == BS_TX_L2_UNICAST) {
		memcpy(r->dst_mac, to->dst_mac, 6);
	} else {
		memset(r->dst_mac, 0xff, 6);
	}
	r->e = bs_iftable_by_index(d->ift, ifindex);
	r->p = r->e ? port_of(d, ifindex, hint) : NULL;
	return r->p != NULL && r->p->ntx < DP_TXQ_MAX;
}

static void commit_kernel(struct dpdk_io *d, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	uint8_t *b = d->pend_buf;

	if (!b) {
		b = bs_tx_alloc(d->sock->tx, len);
		if (!b) {
			d->st[DS_TX_NO_MBUF]++;
			return;
		}
		memcpy(b, buf, len);
	}
	bs_tx_commit(d->sock->tx, b, len, to);
	d->st[DS_TX_KERNEL]++;
}

static void dp_tx_commit(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	struct dpdk_io *d = tx_to_d(tx);
	struct bs_pkt_hdr h = {0};
	struct rte_mbuf *m = d->pend;
	struct route r;
	size_t flen;

	if ((!m && !d->pend_buf) || len > d->pend_max ||
	    (m && buf != rte_pktmbuf_mtod_offset(m, uint8_t *, BS_PKT_UDP_HEADROOM)) ||
	    (d->pend_buf && buf != d->pend_buf)) {
		d->st[DS_TX_BAD_COMMIT]++;
		return;
	}
	if (!route(d, to, len, &r)) {
		commit_kernel(d, buf, len, to);
		drop_pending(d);
		return;
	}
	if (!m) {
		/* Staged in the socket backend (no mbuf then): try again. */
		m = rte_pktmbuf_alloc(d->pool);
		if (!m) {
			commit_kernel(d, buf, len, to);
			d->pend_buf = NULL;
			return;
		}
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, BS_PKT_UDP_HEADROOM), buf, len);
		d->st[DS_TX_COPIED]++;
	}
	d->pend = NULL;
	d->pend_buf = NULL; /* a staged buffer is reclaimed by the socket backend */
	memcpy(h.src_mac, r.p->mac, 6);
	memcpy(h.dst_mac, r.dst_mac, 6);
	h.src_ip = to->src_ip ? to->src_ip : r.e->addr;
	h.dst_ip = to->dst_ip;
	h.src_port = to->src_port;
	h.dst_port = to->dst_port;
	h.ip_id = d->ip_id++;
	flen = bs_pkt_build_udp(rte_pktmbuf_mtod(m, uint8_t *), &h, len);
	if (!flen) {
		rte_pktmbuf_free(m);
		d->st[DS_TX_BAD_COMMIT]++;
		return;
	}
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	r.p->txq[r.p->ntx++] = m;
}

static unsigned port_flush(struct dpdk_io *d, struct dport *p)
{
	unsigned sent = 0;

	for (int tries = 0; sent < p->ntx && tries < DP_TX_TRIES; tries++)
		sent += rte_eth_tx_burst(p->port, 0, p->txq + sent, (uint16_t)(p->ntx - sent));
	if (sent < p->ntx) {
		d->st[DS_TX_RING_FULL] += p->ntx - sent;
		rte_pktmbuf_free_bulk(p->txq + sent, p->ntx - sent);
	}
	p->tx_pkts += sent;
	p->ntx = 0;
	return sent;
}

static unsigned dp_tx_flush(struct bs_io *io, uint64_t now_ms)
{
	struct dpdk_io *d = to_d(io);
	unsigned sent = 0;

	d->now_ms = now_ms;
	drop_pending(d);
	for (unsigned i = 0; i < d->nports; i++)
		sent += port_flush(d, &d->ports[i]);
	return sent + d->sock->ops->tx_flush(d->sock, now_ms);
}

static void dp_tx_discard(struct bs_io *io)
{
	struct dpdk_io *d = to_d(io);

	drop_pending(d);
	for (unsigned i = 0; i < d->nports; i++) {
		struct dport *p = &d->ports[i];

		d->st[DS_TX_DISCARDED] += p->ntx;
		rte_pktmbuf_free_bulk(p->txq, p->ntx);
		p->ntx = 0;
	}
	d->sock->ops->tx_discard(d->sock);
}

/* ---- lifecycle ---- */

static size_t dp_queues(struct bs_io *io, struct bs_io_queue *out, size_t max)
{
	struct dpdk_io *d = to_d(io);
	size_t n = 0, npolled = d->nports, ns;

	for (unsigned i = 0; i < d->nports; i++)
		npolled += d->ports[i].exc >= 0;
	if (!out)
		return npolled + d->nsockq;
	/* No fd to wait on: fd -1, the worker polls them. */
	for (; n < npolled && n < max; n++) {
		out[n].fd = -1;
		out[n].queue = (uint32_t)n;
	}
	ns = d->sock->ops->queues(d->sock, out + n, max - n);
	for (size_t i = 0; i < ns; i++)
		out[n + i].queue += (uint32_t)npolled;
	return n + ns;
}

static void dp_maintain(struct bs_io *io, uint64_t now_ms)
{
	struct dpdk_io *d = to_d(io);

	d->now_ms = now_ms;
	if (bs_iftable_maybe_refresh(d->ift, now_ms))
		twins_sync(d);
	d->sock->ops->maintain(d->sock, now_ms);
}

static void port_stats(const struct dport *p, bs_stat_fn fn, void *arg)
{
	struct rte_eth_stats s;
	char name[96];
	const struct {
		const char *n;
		uint64_t v;
	} * it, items[] = {
		    {"rx_pkts", p->rx_pkts},
		    {"tx_pkts", p->tx_pkts},
		};

	for (it = items; it < items + 2; it++) {
		snprintf(name, sizeof(name), "dpdk_%s_%s", p->kif, it->n);
		fn(arg, name, it->v);
	}
	for (int v = 1; v < BS_PKT_VERDICT_COUNT; v++) {
		snprintf(name, sizeof(name), "dpdk_%s_rx_drop_%s", p->kif,
			 bs_pkt_verdict_name((enum bs_pkt_verdict)v));
		fn(arg, name, p->drops[v]);
	}
	/* The driver's own view (rte_eth_stats). */
	if (rte_eth_stats_get(p->port, &s) == 0) {
		const struct {
			const char *n;
			uint64_t v;
		} eth[] = {
		    {"ipackets", s.ipackets}, {"opackets", s.opackets},	  {"ibytes", s.ibytes},
		    {"obytes", s.obytes},     {"imissed", s.imissed},	  {"ierrors", s.ierrors},
		    {"oerrors", s.oerrors},   {"rx_nombuf", s.rx_nombuf},
		};

		for (size_t i = 0; i < sizeof(eth) / sizeof(eth[0]); i++) {
			snprintf(name, sizeof(name), "dpdk_%s_eth_%s", p->kif, eth[i].n);
			fn(arg, name, eth[i].v);
		}
	}
}

static void dp_stats_foreach(const struct bs_io *io, bs_stat_fn fn, void *arg)
{
	const struct dpdk_io *d = (const struct dpdk_io *)io;

	for (int i = 0; i < DS_COUNT; i++)
		fn(arg, ds_names[i], d->st[i]);
	for (unsigned i = 0; i < d->nports; i++)
		port_stats(&d->ports[i], fn, arg);
	d->sock->ops->stats_foreach(d->sock, fn, arg);
}

static void dp_free(struct dpdk_io *d)
{
	uint16_t port;

	if (d->eal_up) {
		drop_pending(d);
		for (unsigned i = 0; i < d->nports; i++) {
			rte_pktmbuf_free_bulk(d->ports[i].held, d->ports[i].nheld);
			rte_pktmbuf_free_bulk(d->ports[i].txq, d->ports[i].ntx);
		}
		RTE_ETH_FOREACH_DEV(port)
		{
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
		rte_mempool_free(d->pool);
		rte_eal_cleanup();
	}
	if (d->sock)
		d->sock->ops->close(d->sock);
	bs_iftable_free(d->ift);
	free(d->neigh);
	if (d->eal_log) {
		rte_openlog_stream(NULL);
		fclose(d->eal_log);
	}
	free(d);
}

static void dp_close(struct bs_io *io)
{
	dp_free(to_d(io));
}

static int dp_open(const struct bs_io_config *cfg, struct bs_io **out)
{
	struct dpdk_io *d;
	unsigned nmbufs;
	uint32_t mtu;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->io.ops = &bs_io_dpdk_ops;
	d->io.tx = &d->tx;
	d->tx.alloc = dp_tx_alloc;
	d->tx.commit = dp_tx_commit;

	d->ift = bs_iftable_new(cfg);
	d->neigh = bs_neigh_new();
	if (!d->ift || !d->neigh) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = eal_start(d)) < 0)
		goto fail;
	/* Every rx ring full, every held burst and a flush's worth of tx. */
	nmbufs =
	    rte_eth_dev_count_avail() * (DP_RX_DESC + DP_BURST + DP_TXQ_MAX + DP_TX_DESC) + 1024;
	d->pool = rte_pktmbuf_pool_create("bs_mbufs", nmbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (!d->pool) {
		bs_logf(cfg->log, LOG_ERR, "dpdk: %u mbufs: %s (more memory: -m in dpdk-args)",
			nmbufs, rte_strerror(rte_errno));
		err = -ENOMEM;
		goto fail;
	}
	if ((err = ports_open(d)) < 0)
		goto fail;
	/*
	 * The kernel sockets last (AF_XDP binds them first): once a port is
	 * bound, DPDK serves it, so "port 67 bound" means ready to whoever
	 * waits for it (tests, the bench), and the exception taps exist by
	 * now for the socket backend's interface selection.
	 */
	err = bs_io_sock_ops.open(cfg, &d->sock);
	if (err) {
		d->sock = NULL;
		goto fail;
	}
	d->nsockq = d->sock->ops->queues(d->sock, NULL, 0);
	d->io.tftp_port_lo = d->sock->tftp_port_lo;
	d->io.tftp_port_hi = d->sock->tftp_port_hi;
	bs_iftable_refresh(d->ift);
	twins_sync(d);
	/* A TFTP block must fit one mbuf. */
	mtu = d->sock->min_mtu;
	for (unsigned i = 0; i < d->nports; i++) {
		uint16_t pm;

		if (rte_eth_dev_get_mtu(d->ports[i].port, &pm) == 0 && pm && (!mtu || pm < mtu))
			mtu = pm;
	}
	if (!mtu || mtu > DP_MBUF_DATA - BS_ETH_HLEN)
		mtu = DP_MBUF_DATA - BS_ETH_HLEN;
	d->io.min_mtu = mtu;
	*out = &d->io;
	return 0;

fail:
	dp_free(d);
	return err < 0 ? err : -EIO;
}

const struct bs_io_ops bs_io_dpdk_ops = {
    .name = "dpdk",
    .open = dp_open,
    .close = dp_close,
    .queues = dp_queues,
    .rx_burst = dp_rx_burst,
    .rx_release = dp_rx_release,
    .tx_flush = dp_tx_flush,
    .tx_discard = dp_tx_discard,
    .maintain = dp_maintain,
    .stats_foreach = dp_stats_foreach,
};
