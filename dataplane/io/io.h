/* SPDX-License-Identifier: MIT */
/*
 * The I/O backend contract: what the worker loop calls, whatever moves the
 * bytes (plain sockets, AF_XDP; DPDK later). A backend is chosen at
 * start-up as a struct of function pointers, so the worker has no
 * "if (xdp)" anywhere (DPDK examples' habit).
 *
 * Buffer ownership:
 *  - rx: the packets returned by rx_burst() point into backend memory and
 *    stay valid until rx_release() for that queue. The worker releases a
 *    burst only after the replies it caused were flushed, so an AF_XDP
 *    backend can return the frames to its fill ring then.
 *  - tx: protocol code writes payload into buffers from io->tx (struct
 *    bs_tx, see proto/datagram.h). Committed buffers are sent by
 *    tx_flush() or dropped by tx_discard(); either way the backend owns them
 *    again afterwards. Nothing leaves before tx_flush(): that is what lets
 *    the worker make leases durable before the replies that promise them.
 */
#ifndef BS_IO_IO_H
#define BS_IO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/datagram.h"
#include "util/log.h"

#define BS_IO_IFNAMSIZ 16

/* What to serve; filled by the control side from the config. */
struct bs_io_config {
	/* interface=: names (a trailing '*' matches a prefix); none and no
	   listen addresses: every interface except loopback. */
	const char (*ifaces)[BS_IO_IFNAMSIZ];
	unsigned nifaces;
	const uint32_t *listen; /* listen-address=, host order: serve the
				   interfaces holding one of these */
	unsigned nlisten;
	bool dhcp; /* ports 67 and 4011 */
	bool tftp; /* port 69 and the transfer ports */
	uint16_t tftp_port_lo, tftp_port_hi;
	const char *dpdk_args;	  /* backend=dpdk: EAL arguments; NULL/"": derived */
	const struct bs_log *log; /* borrowed; must outlive the backend */
};

/* One received datagram. */
struct bs_rx_pkt {
	struct bs_udp_meta meta; /* meta.ifname points into the backend */
	const uint8_t *data;	 /* UDP payload */
	size_t len;
};

/* Something for the worker to wait on: poll fd, rx_burst(queue). fd -1:
   a queue without an fd (DPDK): the worker polls it (worker.c). */
struct bs_io_queue {
	int fd;
	uint32_t queue;
};

struct bs_io;

struct bs_io_ops {
	const char *name;
	/*
	 * Open sockets / rings and learn the interfaces. 0 and *out, or
	 * -errno after logging what failed and what to do about it (port in
	 * use, missing privilege).
	 */
	int (*open)(const struct bs_io_config *cfg, struct bs_io **out);
	void (*close)(struct bs_io *io);
	/* The fds to poll (level-triggered, EPOLLIN): up to max written to
	   out; returns how many. out == NULL: returns how many there are. */
	size_t (*queues)(struct bs_io *io, struct bs_io_queue *out, size_t max);
	/* Up to max packets from one queue; 0 when none are waiting. Hostile
	   or foreign packets are counted and dropped here. */
	unsigned (*rx_burst)(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			     uint64_t now_ms);
	void (*rx_release)(struct bs_io *io, uint32_t queue);
	/* Send everything committed since the last flush; returns how many
	   left. Send errors are counted, never retried. */
	unsigned (*tx_flush)(struct bs_io *io, uint64_t now_ms);
	/* Drop everything committed since the last flush (counted). */
	void (*tx_discard)(struct bs_io *io);
	/* Periodic housekeeping (interface table refresh). */
	void (*maintain)(struct bs_io *io, uint64_t now_ms);
	void (*stats_foreach)(const struct bs_io *io, bs_stat_fn fn, void *arg);
	/*
	 * Optional (NULL: one worker). How many workers the backend wants
	 * (the AF_XDP backend: one per rx queue), and worker k's view for
	 * k >= 1: a struct bs_io of its own (its queues, its tx, its
	 * counters), used by that worker's thread only. Worker 0's view is
	 * io itself. Views are freed by close() of io.
	 */
	unsigned (*workers)(struct bs_io *io);
	struct bs_io *(*worker_io)(struct bs_io *io, unsigned k);
	/* Optional: a datagram another worker received is served here; what
	   the backend learns from a received frame (the sender's MAC) it may
	   learn from this one too. */
	void (*learn)(struct bs_io *io, const struct bs_udp_meta *meta, uint64_t now_ms);
};

/* Common head of every backend's state; the backend's own struct embeds
   it first. Fields are set by open() and read-only afterwards. */
struct bs_io {
	const struct bs_io_ops *ops;
	struct bs_tx *tx;      /* where protocol code writes replies */
	uint16_t tftp_port_lo; /* transfer ports actually opened */
	uint16_t tftp_port_hi; /* (lo > hi: none) */
	uint32_t min_mtu;      /* smallest MTU of the served interfaces; 0 if none */
};

/* The socket backend: UDP sockets + an AF_PACKET socket for L2 replies. */
extern const struct bs_io_ops bs_io_sock_ops;

/*
 * Send one routed datagram now, from the socket backend's socket bound to
 * to->src_port, with IP_PKTINFO (BS_TX_ROUTED only). Touches nothing but
 * that fd and counts nothing, so any thread may call it: the AF_XDP
 * workers' way through the kernel. 0 or -errno.
 */
int bs_io_sock_send_routed(const struct bs_io *sock, const uint8_t *buf, size_t len,
			   const struct bs_tx_addr *to);

static inline unsigned bs_io_workers(struct bs_io *io)
{
	return io->ops->workers ? io->ops->workers(io) : 1;
}

/*
 * The AF_XDP backend (built when BS_HAVE_AFXDP is defined): the XDP
 * classifier on every served interface, an AF_XDP socket per rx queue, and
 * the socket backend inside it, which keeps the ports bound and carries
 * what AF_XDP cannot (routed replies to unknown neighbours, interfaces that
 * appear later). open() fails (-errno, logged) when AF_XDP cannot start.
 */
extern const struct bs_io_ops bs_io_afxdp_ops;

/*
 * The DPDK backend (built when BS_HAVE_DPDK is defined: meson found
 * libdpdk): the worker over rte_ethdev ports, polled; the socket backend
 * inside, as with AF_XDP. open() fails (-errno, logged) when EAL or a port
 * cannot start. docs/dpdk.md.
 */
extern const struct bs_io_ops bs_io_dpdk_ops;

static inline unsigned bs_io_rx_burst(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts,
				      unsigned max, uint64_t now_ms)
{
	return io->ops->rx_burst(io, queue, pkts, max, now_ms);
}

static inline void bs_io_rx_release(struct bs_io *io, uint32_t queue)
{
	io->ops->rx_release(io, queue);
}

static inline unsigned bs_io_tx_flush(struct bs_io *io, uint64_t now_ms)
{
	return io->ops->tx_flush(io, now_ms);
}

static inline void bs_io_tx_discard(struct bs_io *io)
{
	io->ops->tx_discard(io);
}

static inline void bs_io_close(struct bs_io *io)
{
	if (io)
		io->ops->close(io);
}

#endif
