/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's set-up: EAL, the ports and their exception taps, the
 * mempool (docs/dpdk.md). The data path is dpdk.c.
 *
 * Every ethdev port EAL finds is served, with one rx and one tx queue per
 * worker: workers = EAL's lcores (-l), at most what every port supports
 * and 16. RSS spreads a port's frames over the queues where the driver
 * has it; af_packet's qpairs= do the same through a fanout group.
 *
 * Each port has a kernel interface whose ifindex, addresses and MTU the
 * protocol code sees:
 *  - net_af_packet / net_af_xdp: the interface the driver is attached to;
 *  - with net_tap vdevs in the EAL arguments: the i-th tap is the kernel
 *    interface and the exception path of the i-th other port (a NIC bound
 *    to DPDK has no kernel interface of its own). The tap gets the port's
 *    MAC.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "dpdk_args.h"
#include "dpdk_int.h"

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
int dp_eal_start(struct dpdk_io *d)
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

/* Queues a port can have: the smaller of its rx and tx maximum. */
static unsigned port_max_queues(uint16_t port)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) != 0)
		return 1;
	return info.max_rx_queues < info.max_tx_queues ? info.max_rx_queues : info.max_tx_queues;
}

static int port_start(struct dpdk_io *d, uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nrx = DP_RX_DESC, ntx = DP_TX_DESC;
	int socket = rte_eth_dev_socket_id(port), err;

	memset(&conf, 0, sizeof(conf));
	if (socket < 0)
		socket = (int)rte_socket_id();
	/* RSS over the workers' queues, by addresses and ports, where the
	   driver hashes; af_packet spreads through its fanout group instead. */
	if (d->nq > 1 && rte_eth_dev_info_get(port, &info) == 0) {
		conf.rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	}
	err = rte_eth_dev_configure(port, (uint16_t)d->nq, (uint16_t)d->nq, &conf);
	if (err >= 0)
		err = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	for (uint16_t q = 0; err >= 0 && q < d->nq; q++) {
		err = rte_eth_rx_queue_setup(port, q, nrx, (unsigned)socket, NULL, d->pool);
		if (err >= 0)
			err = rte_eth_tx_queue_setup(port, q, ntx, (unsigned)socket, NULL);
	}
	if (err >= 0)
		err = rte_eth_dev_start(port);
	if (err < 0) {
		char name[RTE_ETH_NAME_MAX_LEN] = "?";

		rte_eth_dev_get_name_by_port(port, name);
		bs_logf(d->cfg.log, LOG_ERR, "dpdk: port %u (%s): cannot start: %s", port, name,
			rte_strerror(-err));
	}
	return err < 0 ? err : 0;
}

/* Give port p its exception tap: the port's MAC, started, its name. */
static int tap_open(struct dpdk_io *d, struct dport *p, uint16_t tap)
{
	struct rte_ether_addr mac;
	int err;

	memcpy(mac.addr_bytes, p->mac, 6);
	p->exc = tap;
	/* The kernel answers ARP and TCP through the tap: with the port's
	   MAC, the NIC's peers reach it. */
	if ((err = rte_eth_dev_default_mac_addr_set(tap, &mac)) < 0) {
		bs_logf(d->cfg.log, LOG_ERR, "dpdk: exception tap: cannot set MAC: %s",
			rte_strerror(-err));
		return err;
	}
	if ((err = port_start(d, tap)) < 0)
		return err;
	port_kernel_if(tap, p->kif, sizeof(p->kif));
	return 0;
}

/* Workers: EAL's lcores, at most what every port (and tap) can queue. */
static unsigned queues_wanted(const struct dpdk_io *d, const uint16_t *taps, unsigned ntaps)
{
	unsigned nq = rte_lcore_count();

	if (nq > DP_WORKERS_MAX)
		nq = DP_WORKERS_MAX;
	for (unsigned i = 0; i < d->nports; i++)
		if (port_max_queues(d->ports[i].port) < nq)
			nq = port_max_queues(d->ports[i].port);
	for (unsigned i = 0; i < ntaps && i < d->nports; i++)
		if (port_max_queues(taps[i]) < nq)
			nq = port_max_queues(taps[i]);
	return nq ? nq : 1;
}

static int pool_create(struct dpdk_io *d, unsigned nports)
{
	/* Every rx ring full, every held burst and a flush's worth of tx,
	   per queue of every port and tap. */
	unsigned n = nports * d->nq * (DP_RX_DESC + DP_BURST + DP_TXQ_MAX + DP_TX_DESC) + 1024;

	d->pool = rte_pktmbuf_pool_create("bs_mbufs", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (d->pool)
		return 0;
	bs_logf(d->cfg.log, LOG_ERR, "dpdk: %u mbufs: %s (more memory: -m in dpdk-args)", n,
		rte_strerror(rte_errno));
	return -ENOMEM;
}

/*
 * Sort EAL's ports into served ports and exception taps, pair them, start
 * them all. With taps, the i-th tap belongs to the i-th other port.
 */
int dp_ports_open(struct dpdk_io *d)
{
	uint16_t taps[DP_PORTS_MAX], port;
	unsigned ntaps = 0;
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
		bs_logf(d->cfg.log, LOG_WARNING,
			"dpdk: %u port(s) but %u exception tap(s): paired in order, the rest "
			"without",
			d->nports, ntaps);
	d->ntaps = ntaps < d->nports ? ntaps : d->nports;
	d->nq = queues_wanted(d, taps, d->ntaps);
	if ((err = pool_create(d, d->nports + d->ntaps)) < 0)
		return err;
	for (unsigned i = 0; i < d->nports; i++) {
		struct dport *p = &d->ports[i];
		struct rte_ether_addr mac;

		if ((err = port_start(d, p->port)) < 0)
			return err;
		if ((err = rte_eth_macaddr_get(p->port, &mac)) < 0)
			return err;
		memcpy(p->mac, mac.addr_bytes, 6);
		if (i < d->ntaps && (err = tap_open(d, p, taps[i])) < 0)
			return err;
		if (!p->kif[0]) {
			bs_logf(d->cfg.log, LOG_ERR,
				"dpdk: port %u has no kernel interface (addresses, ARP, TCP): add "
				"an exception tap, --vdev=net_tap0,iface=NAME (docs/dpdk.md)",
				p->port);
			return -EINVAL;
		}
		bs_logf(d->cfg.log, LOG_INFO,
			"dpdk: port %u (%s) %02x:%02x:%02x:%02x:%02x:%02x, kernel interface %s%s, "
			"%u queue(s)",
			p->port, port_driver(p->port), p->mac[0], p->mac[1], p->mac[2], p->mac[3],
			p->mac[4], p->mac[5], p->kif, p->exc >= 0 ? " (exception tap)" : "", d->nq);
	}
	return 0;
}

void dp_eal_stop(struct dpdk_io *d)
{
	uint16_t port;

	if (d->eal_up) {
		RTE_ETH_FOREACH_DEV(port)
		{
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
		rte_mempool_free(d->pool);
		rte_eal_cleanup();
		d->eal_up = false;
	}
	if (d->eal_log) {
		rte_openlog_stream(NULL);
		fclose(d->eal_log);
		d->eal_log = NULL;
	}
}

void dp_port_eth_stats(const struct dport *p, bs_stat_fn fn, void *arg)
{
	struct rte_eth_stats s;
	char name[96];

	if (rte_eth_stats_get(p->port, &s) != 0)
		return;
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
