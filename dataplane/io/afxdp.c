/* SPDX-License-Identifier: MIT */
/*
 * The AF_XDP backend. On every served interface the XDP classifier
 * (bpf/bootstorm.bpf.c, loaded through bpf/xdp_loader.h) redirects our
 * frames (UDP to 67, 4011, 69 and the TFTP transfer ports) to one AF_XDP
 * socket per rx queue; everything else goes to the kernel untouched.
 *
 * The sockets themselves (UMEM, rings, kicks) are xsk.c's.
 *
 * RX: rx_burst() peeks the rx ring, parses each frame with pkt/ (checksums
 * verified: XDP does not) and hands out pointers into the UMEM; the frames
 * are returned to the fill ring by rx_release(), which the worker calls only
 * after the replies of the burst were flushed.
 *
 * TX: alloc() hands out a TX frame of the socket the current burst came in
 * on, at the payload offset (past Ethernet + IPv4 + UDP), so TFTP copies
 * file bytes straight into the frame. commit() resolves the destination MAC
 * (broadcast, the client's MAC, or for routed replies the MAC last seen
 * sending from that IP: a small neighbour table filled on RX), builds the
 * headers with pkt/ (checksums computed) and queues the descriptor;
 * tx_flush() puts it on the tx ring and kicks the kernel. What AF_XDP
 * cannot carry (a routed reply to an address we never heard from, an
 * interface without a socket) goes through the socket backend that runs
 * inside this one: its UDP sockets keep 67/4011/69 and the transfer ports
 * bound (no second DHCP/TFTP server can start here) and the kernel ARPs and
 * routes for them. Its queues are polled too: frames the classifier passes
 * (a queue without a socket, an interface that appeared later) still get
 * served.
 *
 * Workers: everything above that changes per packet (the burst's socket,
 * the pending frame, the neighbour table, counters) lives in struct
 * afx_worker, one per worker; queue q of each interface is worker
 * q % workers' alone. Only worker 0 touches the socket backend's queues
 * and staging; the others send what AF_XDP cannot carry at once through
 * its bound sockets (bs_io_sock_send_routed). docs/architecture.md,
 * "Workers".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iftable.h"
#include "io.h"
#include "l2.h"
#include "neigh.h"
#include "pkt/pkt.h"
#include "xdp_loader.h"
#include "xsk.h"

/* Entries per ring (= RX chunks = TX chunks), by queues on the interface:
   2048 (16 MiB of UMEM per socket) for one or two queues, down to 256
   (2 MiB) from 16 queues on, so a 64-queue NIC pins 128 MiB, not 1 GiB. */
#define XSK_RING_MAX	2048u
#define XSK_RING_MIN	256u
#define XSK_RING_BUDGET 4096u /* per interface, spread over its queues */
#define XSK_MAX_QUEUES	BS_XDP_MAX_QUEUES

/* One worker per rx queue, up to this many; more queues are shared out
   (queue q goes to worker q % workers). */
#define AFX_WORKERS_MAX 16

/* Backend-wide counters. */
enum as_stat {
	AS_TX_KERNEL,	     /* handed to the socket backend */
	AS_TX_KERNEL_ERRORS, /* workers >= 1: the direct send failed */
	AS_TX_NEIGH_MISS,    /* ... because the routed destination was never seen */
	AS_TX_COPIED,	     /* payload moved to another socket's UMEM */
	AS_TX_BAD_COMMIT,
	AS_TX_NO_BUFFER,
	AS_TX_DISCARDED,
	AS_NEIGH_LEARNED,
	AS_NEIGH_HITS,
	AS_COUNT
};

static const char *const as_names[AS_COUNT] = {
    [AS_TX_KERNEL] = "afxdp_tx_kernel",
    [AS_TX_NEIGH_MISS] = "afxdp_tx_neigh_miss",
    [AS_TX_COPIED] = "afxdp_tx_copied",
    [AS_TX_BAD_COMMIT] = "afxdp_tx_bad_commit",
    [AS_TX_NO_BUFFER] = "afxdp_tx_no_buffer",
    [AS_TX_DISCARDED] = "afxdp_tx_discarded",
    [AS_NEIGH_LEARNED] = "afxdp_neigh_learned",
    [AS_NEIGH_HITS] = "afxdp_neigh_hits",
    [AS_TX_KERNEL_ERRORS] = "afxdp_tx_kernel_errors",
};

/* One served interface: its classifier and its sockets. */
struct xif {
	uint32_t ifindex;
	char name[BS_IO_IFNAMSIZ];
	struct bs_xdp *xdp;
	struct xsk *q[XSK_MAX_QUEUES];
	uint32_t nq;
	uint32_t addrs[BS_IFTABLE_MAX_ADDRS]; /* the classifier's address filter */
	unsigned naddrs;
};

struct afxdp_io;

/*
 * What one worker owns; its thread alone touches it. Worker 0 is the main
 * thread and also runs the socket backend inside (its queues, its TX
 * staging); workers >= 1 own only their AF_XDP sockets and send what
 * AF_XDP cannot carry straight through the kernel (bs_io_sock_send_routed).
 */
struct afx_worker {
	struct bs_io io; /* the worker's view; must be first */
	struct bs_tx tx;
	struct afxdp_io *a; /* read-only after open */
	unsigned id;
	struct bs_iftable *ift; /* its own copy (worker 0: a->ift) */
	struct xsk **xsks;	/* its sockets; the socket backend's queues follow (worker 0) */
	size_t nxsks;

	struct xsk *cur; /* the socket of the burst being served, or NULL */
	uint64_t now_ms;
	/* the buffer alloc() handed out last, not committed yet */
	struct xsk *pend_x; /* a TX frame of this socket ... */
	uint64_t pend_addr;
	uint8_t *pend_buf; /* ... or this buffer of the socket backend / kbuf */
	size_t pend_max;
	struct bs_l2_kernel k; /* workers >= 1, no frame: .kbuf, one datagram */

	struct bs_neigh *neigh; /* .via: the socket it was heard on */
	uint16_t ip_id;
	struct bs_ratelimit rl;
	uint64_t st[AS_COUNT];
};

struct afxdp_io {
	struct afx_worker *w; /* w[0].io is the backend's io */
	unsigned nw;
	struct bs_io_config cfg;
	struct bs_io *sock; /* the socket backend inside */
	size_t nsockq;
	struct bs_iftable *ift;

	struct xif *ifs;
	size_t nifs;
};

static struct afx_worker *to_w(struct bs_io *io)
{
	return (struct afx_worker *)io;
}

static struct afx_worker *tx_to_w(struct bs_tx *tx)
{
	return (struct afx_worker *)((uint8_t *)tx - offsetof(struct afx_worker, tx));
}

/* ---- interfaces ---- */

/* Rx queues: ethtool channels, else /sys/class/net/X/queues/rx-*, else 1. */
static uint32_t rx_queue_count(int fd, const char *name)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	uint32_t n = 0;
	char path[128];

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		n = ch.combined_count + ch.rx_count;
	if (n == 0)
		for (; n < XSK_MAX_QUEUES; n++) {
			snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u", name, n);
			if (access(path, F_OK) != 0)
				break;
		}
	if (n == 0)
		n = 1;
	return n > XSK_MAX_QUEUES ? XSK_MAX_QUEUES : n;
}

static uint32_t ring_size(uint32_t nq)
{
	uint32_t r = XSK_RING_MAX;

	while (r > XSK_RING_MIN && r * nq > XSK_RING_BUDGET)
		r /= 2;
	return r;
}

/* Software devices never do zero-copy: do not even try. */
static bool zerocopy_worth_trying(int fd, const char *name)
{
	static const char *const sw[] = {"veth",   "bridge", "tun",	"macvlan",
					 "ipvlan", "vxlan",  "bonding", "802.1Q VLAN Support",
					 "dummy"};
	struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) != 0)
		return false;
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		if (strcmp(di.driver, sw[i]) == 0)
			return false;
	return true;
}

static void xif_close(struct xif *f)
{
	for (uint32_t q = 0; q < f->nq; q++) {
		if (f->xdp && f->q[q])
			bs_xdp_clear_xsk(f->xdp, q);
		xsk_close(f->q[q]);
		f->q[q] = NULL;
	}
	f->nq = 0;
	bs_xdp_destroy(f->xdp); /* closes the bpf_link: detached */
	f->xdp = NULL;
}

static const char *xdp_mode_name(enum bs_xdp_mode m)
{
	return m == BS_XDP_MODE_NATIVE ? "native" : m == BS_XDP_MODE_GENERIC ? "generic" : "?";
}

/* The classifier and a socket per rx queue on interface e. */
static int xif_open(struct afxdp_io *a, struct xif *f, const struct bs_iface *e)
{
	const struct bs_io *sio = a->sock;
	struct bs_xdp_config xc;
	uint16_t bind_flags = XDP_COPY;
	uint32_t nq = rx_queue_count(a->ift->ioctl_fd, e->name);
	uint32_t ring = ring_size(nq);
	int err;

	f->ifindex = e->ifindex;
	snprintf(f->name, sizeof(f->name), "%s", e->name);
	f->naddrs = e->naddrs;
	memcpy(f->addrs, e->addrs, sizeof(f->addrs));

	bs_xdp_config_default(&xc);
	xc.dhcp_port = a->cfg.dhcp ? 67 : 0;
	xc.pxe_port = a->cfg.dhcp ? 4011 : 0;
	xc.tftp_port = a->cfg.tftp ? 69 : 0;
	xc.tftp_lo = sio->tftp_port_lo <= sio->tftp_port_hi ? sio->tftp_port_lo : 0;
	xc.tftp_hi = sio->tftp_port_lo <= sio->tftp_port_hi ? sio->tftp_port_hi : 0;
	/* Tagged frames go to the kernel, which hands them to the VLAN device
	   (serve eth0.100 to serve VLAN 100): replies need no tags then. */
	xc.vlan_depth = 0;
	xc.n_queues = nq;
	xc.server_addrs = f->addrs;
	xc.n_server_addrs = f->naddrs;
	xc.log = a->cfg.log;
	err = bs_xdp_open(&xc, &f->xdp);
	if (err)
		return err;
	err = bs_xdp_attach(f->xdp, (int)e->ifindex, BS_XDP_MODE_AUTO);
	if (err)
		return err;
	if (bs_xdp_mode(f->xdp) == BS_XDP_MODE_NATIVE &&
	    zerocopy_worth_trying(a->ift->ioctl_fd, e->name))
		bind_flags = XDP_ZEROCOPY;
	for (uint32_t q = 0; q < nq; q++) {
		err = xsk_open(e->ifindex, e->name, q, bind_flags, ring, &f->q[q]);
		if (err && bind_flags == XDP_ZEROCOPY) {
			bs_logf(a->cfg.log, LOG_INFO, "afxdp: %s: no zero-copy (%s): copy mode",
				e->name, strerror(-err));
			bind_flags = XDP_COPY;
			err = xsk_open(e->ifindex, e->name, q, bind_flags, ring, &f->q[q]);
		}
		if (err) {
			bs_logf(a->cfg.log, LOG_ERR, "afxdp: %s queue %u: AF_XDP socket: %s%s",
				e->name, q, strerror(-err),
				err == -EPERM ? " (needs root or CAP_NET_RAW + CAP_NET_ADMIN)"
					      : "");
			return err;
		}
		f->nq = q + 1;
		err = bs_xdp_set_xsk(f->xdp, q, f->q[q]->fd);
		if (err)
			return err;
	}
	bs_logf(a->cfg.log, LOG_INFO, "afxdp: %s: XDP %s mode, %u queue(s), %s, %u KiB UMEM each",
		e->name, xdp_mode_name(bs_xdp_mode(f->xdp)), nq,
		bind_flags == XDP_ZEROCOPY ? "zero-copy" : "copy mode",
		2 * ring * (XSK_FRAME / 1024));
	return 0;
}

/* Addresses changed: update the classifier's filter. */
static void xif_sync_addrs(struct afxdp_io *a, struct xif *f, const struct bs_iface *e)
{
	if (e->naddrs == f->naddrs && memcmp(e->addrs, f->addrs, sizeof(f->addrs)) == 0)
		return;
	f->naddrs = e->naddrs;
	memcpy(f->addrs, e->addrs, sizeof(f->addrs));
	if (bs_xdp_set_server_addrs(f->xdp, f->addrs, f->naddrs) == 0)
		bs_logf(a->cfg.log, LOG_INFO, "afxdp: %s: %u address(es) now", f->name, f->naddrs);
}

static void refresh(struct afx_worker *w, uint64_t now_ms)
{
	struct afxdp_io *a = w->a;

	if (!bs_iftable_maybe_refresh(w->ift, now_ms))
		return;
	/* Gone: the kernel unbound the sockets and the link. */
	for (size_t i = 0; i < w->nxsks; i++)
		if (!bs_iftable_by_index(w->ift, w->xsks[i]->ifindex))
			w->xsks[i]->dead = true;
	if (w->id != 0)
		return;
	for (size_t i = 0; i < a->nifs; i++) {
		struct xif *f = &a->ifs[i];
		struct bs_iface *e = bs_iftable_by_index(a->ift, f->ifindex);

		if (e)
			xif_sync_addrs(a, f, e);
	}
}

/* Routed replies go back where the sender's frames came from (neigh.h). */
static void maybe_learn(struct afx_worker *w, struct xsk *x, const struct bs_iface *e, uint32_t ip,
			const uint8_t *mac)
{
	bs_l2_learn(w->neigh, x, e, ip, mac, w->now_ms, &w->st[AS_NEIGH_LEARNED]);
}

/* ---- rx ---- */

static unsigned afx_rx_burst(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts, unsigned max,
			     uint64_t now_ms)
{
	struct afx_worker *w = to_w(io);
	struct bs_iface *e;
	struct xsk *x;
	uint32_t avail;
	unsigned n = 0;

	w->now_ms = now_ms;
	refresh(w, now_ms);
	if (queue >= w->nxsks) {
		w->cur = NULL;
		return w->a->sock->ops->rx_burst(w->a->sock, queue - (uint32_t)w->nxsks, pkts, max,
						 now_ms);
	}
	x = w->xsks[queue];
	w->cur = x->dead ? NULL : x;
	if (x->dead || x->nheld)
		return 0;
	if (max > XSK_BURST)
		max = XSK_BURST;
	avail = xsk_rx_peek(x, max);
	if (!avail)
		return 0;
	e = bs_iftable_by_index(w->ift, x->ifindex);
	for (uint32_t i = 0; i < avail; i++) {
		const struct xdp_desc *d = xsk_rx_desc(x, i);
		struct bs_pkt_udp u;
		enum bs_pkt_verdict v;

		xsk_rx_hold(x, d->addr);
		x->st[XQ_RX_PKTS]++;
		x->st[XQ_RX_BYTES] += d->len;
		if (d->addr + d->len > x->umem_len) {
			x->drops[BS_PKT_TRUNC_ETH]++;
			continue;
		}
		v = bs_pkt_parse_eth(x->umem + d->addr, d->len, &u);
		if (v != BS_PKT_OK) {
			x->drops[v < BS_PKT_VERDICT_COUNT ? v : BS_PKT_NOT_IPV4]++;
			continue;
		}
		if (u.vlan >= 0) {
			x->st[XQ_RX_VLAN]++;
			continue;
		}
		if (!e || !e->serve) {
			x->st[XQ_RX_FILTERED]++;
			w->ift->refresh_wanted = true;
			continue;
		}
		maybe_learn(w, x, e, u.src_ip, u.src_mac);
		bs_l2_rx_pkt(&pkts[n++], e, &u);
	}
	xsk_rx_consume(x, avail);
	return n;
}

static void afx_rx_release(struct bs_io *io, uint32_t queue)
{
	struct afx_worker *w = to_w(io);

	w->cur = NULL;
	if (queue >= w->nxsks) {
		w->a->sock->ops->rx_release(w->a->sock, queue - (uint32_t)w->nxsks);
		return;
	}
	xsk_rx_release(w->xsks[queue]);
}

/* ---- tx ---- */

/* Give back the frame alloc() handed out and nobody committed. */
static void drop_pending(struct afx_worker *w)
{
	if (w->pend_x)
		xsk_put_frame(w->pend_x, w->pend_addr);
	w->pend_x = NULL;
	w->pend_buf = NULL;
}

/* A worker's first live socket: where replies built outside a burst (timers,
   handed-off requests) start; commit() moves them if they go elsewhere. */
static struct xsk *home_xsk(const struct afx_worker *w)
{
	for (size_t i = 0; i < w->nxsks; i++)
		if (!w->xsks[i]->dead)
			return w->xsks[i];
	return NULL;
}

static uint8_t *afx_tx_alloc(struct bs_tx *tx, size_t max)
{
	struct afx_worker *w = tx_to_w(tx);
	/* Worker 0 stages replies built outside a burst in the socket
	   backend, as with one worker; the others have no staging there. */
	struct xsk *x = w->cur ? w->cur : w->id ? home_xsk(w) : NULL;
	uint8_t *b;

	drop_pending(w);
	if (x && !x->dead && max <= XSK_PAYLOAD_MAX && xsk_take_frame(x, &w->pend_addr)) {
		w->pend_x = x;
		w->pend_max = max;
		return x->umem + w->pend_addr + BS_PKT_UDP_HEADROOM;
	}
	/* No burst context (timers) or no frame: stage it in the socket
	   backend (worker 0) or kbuf; commit() moves it into a UMEM frame if
	   AF_XDP can send it. */
	b = bs_l2_stage(&w->k, max);
	if (!b) {
		w->st[AS_TX_NO_BUFFER]++;
		return NULL;
	}
	w->pend_buf = b;
	w->pend_max = max;
	return b;
}

struct route {
	struct xsk *x; /* NULL: through the kernel */
	const struct bs_iface *e;
	struct bs_l2_dst d;
};

/* The worker's socket for ifindex: hint if it is one, else the first live one. */
static struct xsk *xsk_of(const struct afx_worker *w, uint32_t ifindex, struct xsk *hint)
{
	if (hint && !hint->dead && hint->ifindex == ifindex)
		return hint;
	for (size_t i = 0; i < w->nxsks; i++)
		if (!w->xsks[i]->dead && w->xsks[i]->ifindex == ifindex)
			return w->xsks[i];
	return NULL;
}

/* Where a datagram goes; false: the socket backend takes it. */
static bool route(struct afx_worker *w, const struct bs_tx_addr *to, size_t len, struct route *r)
{
	struct xsk *hint = w->cur;

	if (!bs_l2_dst(&r->d, to, len, XSK_PAYLOAD_MAX, w->neigh, w->now_ms,
		       &w->st[AS_TX_NEIGH_MISS], &w->st[AS_NEIGH_HITS]))
		return false;
	if (r->d.via && (!hint || hint->ifindex != r->d.ifindex))
		hint = r->d.via;
	r->e = bs_iftable_by_index(w->ift, r->d.ifindex);
	if (!r->e || !r->e->ether)
		return false;
	r->x = xsk_of(w, r->d.ifindex, hint);
	return r->x != NULL;
}

/* Through the kernel (l2.h), counted. */
static void commit_kernel(struct afx_worker *w, uint8_t *buf, size_t len,
			  const struct bs_tx_addr *to)
{
	static const uint8_t stat[] = {
	    [BS_L2_KERNEL_OK] = AS_TX_KERNEL,
	    [BS_L2_KERNEL_ERROR] = AS_TX_KERNEL_ERRORS,
	    [BS_L2_KERNEL_NO_BUFFER] = AS_TX_NO_BUFFER,
	};

	w->st[stat[bs_l2_to_kernel(&w->k, buf, len, w->pend_buf != NULL, to)]]++;
}

static void afx_tx_commit(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	struct afx_worker *w = tx_to_w(tx);
	struct route r;
	struct xsk *x;
	uint64_t addr;
	size_t flen;

	if (!bs_l2_pending_ok(w->pend_x ? w->pend_x->umem + w->pend_addr + BS_PKT_UDP_HEADROOM
					: NULL,
			      w->pend_buf, w->pend_max, buf, len)) {
		w->st[AS_TX_BAD_COMMIT]++;
		return;
	}
	if (!route(w, to, len, &r)) {
		commit_kernel(w, buf, len, to);
		drop_pending(w);
		return;
	}
	x = r.x;
	if (w->pend_x == x) {
		addr = w->pend_addr;
		w->pend_x = NULL;
	} else {
		if (!xsk_take_frame(x, &addr)) {
			drop_pending(w);
			return;
		}
		memcpy(x->umem + addr + BS_PKT_UDP_HEADROOM, buf, len);
		w->st[AS_TX_COPIED]++;
		drop_pending(w); /* a staged socket-backend buffer is reclaimed by it */
	}
	w->pend_buf = NULL;
	flen = bs_l2_build(x->umem + addr, r.e->mac, &r.d, r.e, to, w->ip_id++, len);
	xsk_queue(x, addr, (uint32_t)flen);
}

/* Flush one socket; a failed kick is logged (rate-limited), a dead
   device makes the interface table look again. */
static unsigned flush_one(struct afx_worker *w, struct xsk *x)
{
	int kerr;
	unsigned n = xsk_flush(x, &kerr);

	if (kerr) {
		if (x->dead)
			w->ift->refresh_wanted = true;
		if (bs_ratelimit_ok(&w->rl, w->now_ms, 5))
			bs_logf(w->a->cfg.log, LOG_WARNING, "afxdp: %s queue %u: sendto: %s",
				x->ifname, x->queue, strerror(kerr));
	}
	return n;
}

static unsigned afx_tx_flush(struct bs_io *io, uint64_t now_ms)
{
	struct afx_worker *w = to_w(io);
	unsigned sent = 0;

	w->now_ms = now_ms;
	drop_pending(w);
	for (size_t i = 0; i < w->nxsks; i++)
		sent += flush_one(w, w->xsks[i]);
	if (w->id == 0)
		sent += w->a->sock->ops->tx_flush(w->a->sock, now_ms);
	return sent;
}

static void afx_tx_discard(struct bs_io *io)
{
	struct afx_worker *w = to_w(io);

	drop_pending(w);
	for (size_t i = 0; i < w->nxsks; i++)
		w->st[AS_TX_DISCARDED] += xsk_discard(w->xsks[i]);
	if (w->id == 0)
		w->a->sock->ops->tx_discard(w->a->sock);
}

/*
 * A datagram another worker received and handed to this one: its sender
 * is a neighbour here too (the owner of a transfer may never see its
 * client's frames when RSS puts them on another queue).
 */
static void afx_learn(struct bs_io *io, const struct bs_udp_meta *m, uint64_t now_ms)
{
	struct afx_worker *w = to_w(io);
	const struct bs_iface *e = bs_iftable_by_index(w->ift, m->ifindex);

	w->now_ms = now_ms;
	if (e)
		maybe_learn(w, xsk_of(w, m->ifindex, NULL), e, m->src_ip, m->src_mac);
}

/* ---- lifecycle ---- */

static size_t afx_queues(struct bs_io *io, struct bs_io_queue *out, size_t max)
{
	struct afx_worker *w = to_w(io);
	struct bs_io *sock = w->a->sock;
	size_t n = 0;

	if (!out)
		return w->nxsks + (w->id == 0 ? w->a->nsockq : 0);
	for (; n < w->nxsks && n < max; n++) {
		out[n].fd = w->xsks[n]->fd;
		out[n].queue = (uint32_t)n;
	}
	/* Worker 0: the socket backend's queues, renumbered after ours. */
	if (w->id == 0 && n < max)
		n += bs_l2_sock_queues(sock, out + n, max - n, (uint32_t)w->nxsks);
	return n;
}

static void afx_maintain(struct bs_io *io, uint64_t now_ms)
{
	struct afx_worker *w = to_w(io);

	w->now_ms = now_ms;
	refresh(w, now_ms);
	/* Frames a stalled kick left on a tx ring go out now (nothing new
	   is committed between bursts, so this only kicks and reaps). */
	for (size_t i = 0; i < w->nxsks; i++)
		if (!w->xsks[i]->dead)
			flush_one(w, w->xsks[i]);
	if (w->id == 0)
		w->a->sock->ops->maintain(w->a->sock, now_ms);
}

struct prefixed {
	bs_stat_fn fn;
	void *arg;
	const char *prefix;
};

static void prefixed_stat(void *arg, const char *name, uint64_t value)
{
	const struct prefixed *p = arg;
	char full[128];

	snprintf(full, sizeof(full), "%s%s", p->prefix, name);
	p->fn(p->arg, full, value);
}

/*
 * Worker 0's view reports the whole backend: the afxdp_* counters summed
 * over the workers (read while they run: single-writer 64-bit counters,
 * a sample may be a burst old), every socket under its interface and
 * queue (a queue belongs to one worker: q % workers), the socket backend.
 * Another worker's view reports its own afxdp_* counters.
 */
static void afx_stats_foreach(const struct bs_io *io, bs_stat_fn fn, void *arg)
{
	const struct afx_worker *w = (const struct afx_worker *)io;
	const struct afxdp_io *a = w->a;
	char prefix[64];
	struct prefixed p = {.fn = fn, .arg = arg, .prefix = prefix};

	bs_l2_stats_sum(w->st, sizeof(*w), w->id == 0 ? a->nw : 1, as_names, AS_COUNT, fn, arg);
	if (w->id != 0)
		return;
	for (size_t i = 0; i < a->nifs; i++) {
		const struct xif *f = &a->ifs[i];

		snprintf(prefix, sizeof(prefix), "afxdp_%s_", f->name);
		bs_xdp_stats_foreach(f->xdp, prefixed_stat, &p);
		for (uint32_t q = 0; q < f->nq; q++) {
			snprintf(prefix, sizeof(prefix), "afxdp_%s_q%u_", f->name, q);
			xsk_stats(f->q[q], prefixed_stat, &p);
		}
	}
	a->sock->ops->stats_foreach(a->sock, fn, arg);
}

static unsigned afx_workers(struct bs_io *io)
{
	return to_w(io)->a->nw;
}

static struct bs_io *afx_worker_io(struct bs_io *io, unsigned k)
{
	struct afxdp_io *a = to_w(io)->a;

	return k < a->nw ? &a->w[k].io : NULL;
}

static void afx_free(struct afxdp_io *a)
{
	for (size_t i = 0; i < a->nifs; i++)
		xif_close(&a->ifs[i]);
	if (a->sock)
		a->sock->ops->close(a->sock);
	for (unsigned k = 0; a->w && k < a->nw; k++) {
		struct afx_worker *w = &a->w[k];

		if (k)
			bs_iftable_free(w->ift);
		free(w->xsks);
		free(w->neigh);
		free(w->k.kbuf);
	}
	bs_iftable_free(a->ift);
	free(a->ifs);
	free(a->w);
	free(a);
}

static void afx_close(struct bs_io *io)
{
	afx_free(to_w(io)->a);
}

/* Worker k: its view, its table copy, and the sockets of queues q % nw == k. */
static int worker_init(struct afxdp_io *a, unsigned k, size_t nx)
{
	struct afx_worker *w = &a->w[k];

	w->a = a;
	w->id = k;
	w->io.ops = &bs_io_afxdp_ops;
	w->io.tx = &w->tx;
	w->io.tftp_port_lo = a->sock->tftp_port_lo;
	w->io.tftp_port_hi = a->sock->tftp_port_hi;
	w->io.min_mtu = a->sock->min_mtu;
	/* A TFTP block must fit one UMEM frame. */
	if (w->io.min_mtu > XSK_FRAME - BS_ETH_HLEN)
		w->io.min_mtu = XSK_FRAME - BS_ETH_HLEN;
	w->tx.alloc = afx_tx_alloc;
	w->tx.commit = afx_tx_commit;
	w->ift = k ? bs_iftable_new(&a->cfg) : a->ift;
	w->xsks = calloc(nx, sizeof(*w->xsks));
	w->neigh = bs_neigh_new();
	w->k.sock = a->sock;
	w->k.worker = k;
	w->k.kbuf = k ? malloc(XSK_FRAME) : NULL;
	w->k.kbuf_len = XSK_FRAME;
	if (!w->ift || !w->xsks || !w->neigh || (k && !w->k.kbuf))
		return -ENOMEM;
	for (size_t i = 0; i < a->nifs; i++)
		for (uint32_t q = k; q < a->ifs[i].nq; q += a->nw)
			w->xsks[w->nxsks++] = a->ifs[i].q[q];
	return 0;
}

static int afx_open(const struct bs_io_config *cfg, struct bs_io **out)
{
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	struct afxdp_io *a;
	size_t nserve = 0, nx = 0;
	uint32_t maxq = 0;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;

	/* Ports first: a busy port is the clearest error there is. */
	err = bs_io_sock_ops.open(cfg, &a->sock);
	if (err) {
		a->sock = NULL;
		goto fail;
	}
	a->nsockq = a->sock->ops->queues(a->sock, NULL, 0);
	a->ift = bs_iftable_new(cfg);
	if (!a->ift) {
		err = -ENOMEM;
		goto fail;
	}
	/* UMEM is pinned memory; root has CAP_IPC_LOCK anyway, so a refusal
	   (hard limit) is not fatal: registration says if it really is. */
	(void)setrlimit(RLIMIT_MEMLOCK, &rl);

	for (size_t i = 0; i < a->ift->n; i++)
		if (a->ift->ifs[i].ifindex && a->ift->ifs[i].serve && !a->ift->ifs[i].loopback)
			nserve++;
	if (!nserve) {
		bs_logf(cfg->log, LOG_ERR, "afxdp: no interface to attach to (yet)");
		err = -ENODEV;
		goto fail;
	}
	a->ifs = calloc(nserve, sizeof(*a->ifs));
	if (!a->ifs) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < a->ift->n; i++) {
		const struct bs_iface *e = &a->ift->ifs[i];

		if (!e->ifindex || !e->serve || e->loopback)
			continue;
		if (!e->ether) {
			/* tun, wireguard, ...: no frames to build; its sockets serve it. */
			bs_logf(cfg->log, LOG_NOTICE,
				"afxdp: %s is not Ethernet: served through kernel sockets",
				e->name);
			continue;
		}
		err = xif_open(a, &a->ifs[a->nifs++], e);
		if (err)
			goto fail;
		nx += a->ifs[a->nifs - 1].nq;
		if (a->ifs[a->nifs - 1].nq > maxq)
			maxq = a->ifs[a->nifs - 1].nq;
	}
	if (!nx) {
		bs_logf(cfg->log, LOG_ERR, "afxdp: no Ethernet interface to attach to");
		err = -ENODEV;
		goto fail;
	}
	a->nw = maxq < AFX_WORKERS_MAX ? maxq : AFX_WORKERS_MAX;
	a->w = calloc(a->nw, sizeof(*a->w));
	if (!a->w) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned k = 0; k < a->nw; k++) {
		err = worker_init(a, k, nx);
		if (err)
			goto fail;
	}
	if (a->nw > 1)
		bs_logf(cfg->log, LOG_INFO, "afxdp: %u workers, one per rx queue%s", a->nw,
			maxq > a->nw ? " (more queues: queue q to worker q % workers)" : "");
	*out = &a->w[0].io;
	return 0;

fail:
	afx_free(a);
	return err < 0 ? err : -EIO;
}

const struct bs_io_ops bs_io_afxdp_ops = {
    .name = "afxdp",
    .open = afx_open,
    .close = afx_close,
    .queues = afx_queues,
    .rx_burst = afx_rx_burst,
    .rx_release = afx_rx_release,
    .tx_flush = afx_tx_flush,
    .tx_discard = afx_tx_discard,
    .maintain = afx_maintain,
    .stats_foreach = afx_stats_foreach,
    .workers = afx_workers,
    .worker_io = afx_worker_io,
    .learn = afx_learn,
};
