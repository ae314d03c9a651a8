/* SPDX-License-Identifier: MIT */
/*
 * The socket backend: plain UDP sockets bound to 0.0.0.0 (DHCP must see
 * broadcasts), IP_PKTINFO to learn the receiving interface and the
 * destination address, recvmmsg/sendmmsg batches. Replies to DHCP clients
 * that have no address yet cannot go through the IP stack (it would ARP for
 * an address nobody answers for), so those are built as whole frames with
 * pkt/ and sent on an AF_PACKET socket.
 *
 * TFTP transfers share one socket per transfer port: the TFTP module keys
 * transfers by (client address, client port, server port), so sockets do
 * not grow with the number of clients (unlike dnsmasq's socket per
 * transfer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iftable.h"
#include "io.h"
#include "pkt/pkt.h"
#include "util/bytes.h"

#define SOCK_RX_BURST	    64
#define SOCK_RX_BUF	    4096       /* larger datagrams are counted and dropped */
#define SOCK_TX_ARENA	    (8u << 20) /* payload + headroom of one flush */
#define SOCK_TX_MAX	    4096       /* datagrams per flush */
#define SOCK_MAX_TFTP_PORTS 256	       /* one fd each */
#define SOCK_BUF_BYTES	    (4 << 20)  /* socket buffers: absorb a storm's burst */

enum sock_stat {
	ST_RX_PKTS,
	ST_RX_BYTES,
	ST_RX_TRUNCATED,
	ST_RX_FILTERED, /* interface not served */
	ST_RX_UNKNOWN_IFACE,
	ST_RX_NO_PKTINFO,
	ST_RX_ERRORS,
	ST_TX_PKTS,
	ST_TX_BYTES,
	ST_TX_L2,
	ST_TX_L2_FALLBACK, /* no packet socket: sent as IP broadcast */
	ST_TX_ERRORS,
	ST_TX_NO_BUFFER,
	ST_TX_NO_SOCKET, /* no socket bound to the reply's source port */
	ST_TX_BAD_COMMIT,
	ST_TX_DISCARDED,
	ST_IFACE_REFRESH,
	ST_COUNT
};

static const char *const stat_names[ST_COUNT] = {
    [ST_RX_PKTS] = "io_rx_pkts",
    [ST_RX_BYTES] = "io_rx_bytes",
    [ST_RX_TRUNCATED] = "io_rx_truncated",
    [ST_RX_FILTERED] = "io_rx_filtered",
    [ST_RX_UNKNOWN_IFACE] = "io_rx_unknown_iface",
    [ST_RX_NO_PKTINFO] = "io_rx_no_pktinfo",
    [ST_RX_ERRORS] = "io_rx_errors",
    [ST_TX_PKTS] = "io_tx_pkts",
    [ST_TX_BYTES] = "io_tx_bytes",
    [ST_TX_L2] = "io_tx_l2",
    [ST_TX_L2_FALLBACK] = "io_tx_l2_fallback",
    [ST_TX_ERRORS] = "io_tx_errors",
    [ST_TX_NO_BUFFER] = "io_tx_no_buffer",
    [ST_TX_NO_SOCKET] = "io_tx_no_socket",
    [ST_TX_BAD_COMMIT] = "io_tx_bad_commit",
    [ST_TX_DISCARDED] = "io_tx_discarded",
    [ST_IFACE_REFRESH] = "io_iface_refresh",
};

struct sock_q {
	int fd;
	uint16_t port;
};

struct tx_desc {
	uint32_t off; /* of the headroom in the arena */
	uint32_t len; /* payload bytes */
	struct bs_tx_addr to;
};

union tx_name {
	struct sockaddr_in in;
	struct sockaddr_ll ll;
};

struct sock_io {
	struct bs_io io; /* must be first */
	struct bs_tx tx;
	struct bs_io_config cfg;
	struct bs_iftable *ift;

	struct sock_q *q;
	size_t nq;
	int pkt_fd; /* AF_PACKET for L2 replies; -1 without CAP_NET_RAW */

	/* rx: one burst at a time (the worker releases before the next) */
	uint8_t (*rx_buf)[SOCK_RX_BUF];
	struct mmsghdr rx_msg[SOCK_RX_BURST];
	struct iovec rx_iov[SOCK_RX_BURST];
	struct sockaddr_in rx_from[SOCK_RX_BURST];
	uint8_t rx_cmsg[SOCK_RX_BURST][CMSG_SPACE(sizeof(struct in_pktinfo))];

	/* tx: a bump arena, reset at every flush */
	uint8_t *arena;
	size_t arena_used;
	size_t pending_off, pending_max;
	bool pending;
	struct tx_desc *desc;
	size_t ndesc;
	struct mmsghdr *tx_msg;
	struct iovec *tx_iov;
	union tx_name *tx_name;
	uint8_t (*tx_cmsg)[CMSG_SPACE(sizeof(struct in_pktinfo))];
	int *tx_fd;
	uint16_t ip_id;

	struct bs_ratelimit rl;
	uint64_t stats[ST_COUNT];
};

static struct sock_io *to_sock(struct bs_io *io)
{
	return (struct sock_io *)io;
}

/* Periodically, and soon after a miss: see iftable.h. */
static void maybe_refresh(struct sock_io *s, uint64_t now_ms)
{
	if (bs_iftable_maybe_refresh(s->ift, now_ms))
		s->io.min_mtu = s->ift->min_mtu;
}

/* ---- sockets ---- */

static void set_buf(int fd, int opt_force, int opt, int bytes)
{
	/* FORCE needs CAP_NET_ADMIN; the plain one is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

static const char *port_hint(uint16_t port)
{
	switch (port) {
	case 67:
		return "is another DHCP server (dnsmasq?) running on this host?";
	case 4011:
		return "is another PXE boot server (dnsmasq?) running on this host?";
	case 69:
		return "is another TFTP server (tftpd-hpa, dnsmasq?) running on this host?";
	default:
		return "pick another tftp-port-range";
	}
}

static int udp_open(struct sock_io *s, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		bs_logf(s->cfg.log, LOG_ERR, "socket: %s", strerror(errno));
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		err = -errno;
		bs_logf(s->cfg.log, LOG_ERR, "port %u: setsockopt: %s", port, strerror(errno));
		goto err_close;
	}
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, SOCK_BUF_BYTES);
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BUF_BYTES);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = -errno;
		if (errno == EADDRINUSE)
			bs_logf(s->cfg.log, LOG_ERR, "port %u in use: %s", port, port_hint(port));
		else if (errno == EACCES || errno == EPERM)
			bs_logf(
			    s->cfg.log, LOG_ERR,
			    "port %u: permission denied: run as root or with CAP_NET_BIND_SERVICE",
			    port);
		else
			bs_logf(s->cfg.log, LOG_ERR, "port %u: bind: %s", port, strerror(errno));
		goto err_close;
	}
	/*
	 * No SO_REUSEADDR, on purpose: on UDP it does not help restarts (there
	 * is no TIME_WAIT) but means "share this port", so a second DHCP
	 * server setting it too (dnsmasq does) would bind silently and split
	 * the clients' packets with us. Exclusive, it is an EADDRINUSE that we
	 * (or it) can report.
	 */
	return fd;

err_close:
	close(fd);
	return err;
}

static int add_queue(struct sock_io *s, uint16_t port)
{
	int fd = udp_open(s, port);

	if (fd < 0)
		return fd;
	s->q[s->nq].fd = fd;
	s->q[s->nq].port = port;
	s->nq++;
	return 0;
}

static int sock_for_port(const struct sock_io *s, uint16_t port)
{
	for (size_t i = 0; i < s->nq; i++)
		if (s->q[i].port == port)
			return s->q[i].fd;
	return -1;
}

/* ---- rx ---- */

static unsigned sock_rx_burst(struct bs_io *io, uint32_t queue, struct bs_rx_pkt *pkts,
			      unsigned max, uint64_t now_ms)
{
	struct sock_io *s = to_sock(io);
	unsigned n = 0;
	int got;

	if (queue >= s->nq)
		return 0;
	maybe_refresh(s, now_ms);
	if (max > SOCK_RX_BURST)
		max = SOCK_RX_BURST;
	for (unsigned i = 0; i < max; i++) {
		s->rx_iov[i].iov_base = s->rx_buf[i];
		s->rx_iov[i].iov_len = SOCK_RX_BUF;
		memset(&s->rx_msg[i].msg_hdr, 0, sizeof(s->rx_msg[i].msg_hdr));
		s->rx_msg[i].msg_hdr.msg_name = &s->rx_from[i];
		s->rx_msg[i].msg_hdr.msg_namelen = sizeof(s->rx_from[i]);
		s->rx_msg[i].msg_hdr.msg_iov = &s->rx_iov[i];
		s->rx_msg[i].msg_hdr.msg_iovlen = 1;
		s->rx_msg[i].msg_hdr.msg_control = s->rx_cmsg[i];
		s->rx_msg[i].msg_hdr.msg_controllen = sizeof(s->rx_cmsg[i]);
	}
	got = recvmmsg(s->q[queue].fd, s->rx_msg, max, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			s->stats[ST_RX_ERRORS]++;
			if (bs_ratelimit_ok(&s->rl, now_ms, 5))
				bs_logf(s->cfg.log, LOG_WARNING, "port %u: recvmmsg: %s",
					s->q[queue].port, strerror(errno));
		}
		return 0;
	}
	for (int i = 0; i < got; i++) {
		struct msghdr *mh = &s->rx_msg[i].msg_hdr;
		const struct in_pktinfo *pi = NULL;
		struct bs_iface *e;
		struct bs_rx_pkt *p;

		s->stats[ST_RX_PKTS]++;
		s->stats[ST_RX_BYTES] += s->rx_msg[i].msg_len;
		if (mh->msg_flags & MSG_TRUNC) {
			s->stats[ST_RX_TRUNCATED]++;
			if (bs_ratelimit_ok(&s->rl, now_ms, 5))
				bs_logf(s->cfg.log, LOG_NOTICE,
					"port %u: datagram from %s over %u bytes dropped",
					s->q[queue].port, inet_ntoa(s->rx_from[i].sin_addr),
					SOCK_RX_BUF);
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
			    c->cmsg_len >= CMSG_LEN(sizeof(*pi)))
				pi = (const struct in_pktinfo *)CMSG_DATA(c);
		if (!pi || mh->msg_namelen < sizeof(struct sockaddr_in)) {
			s->stats[ST_RX_NO_PKTINFO]++;
			continue;
		}
		e = bs_iftable_by_index(s->ift, (uint32_t)pi->ipi_ifindex);
		if (!e) {
			/* New interface: picked up by the next burst's refresh. */
			s->stats[ST_RX_UNKNOWN_IFACE]++;
			s->ift->refresh_wanted = true;
			continue;
		}
		if (!e->serve) {
			s->stats[ST_RX_FILTERED]++;
			continue;
		}
		p = &pkts[n++];
		memset(&p->meta, 0, sizeof(p->meta));
		p->meta.ifindex = e->ifindex;
		p->meta.src_ip = ntohl(s->rx_from[i].sin_addr.s_addr);
		p->meta.src_port = ntohs(s->rx_from[i].sin_port);
		p->meta.dst_ip = ntohl(pi->ipi_addr.s_addr);
		p->meta.dst_port = s->q[queue].port;
		p->meta.if_addr = e->addr;
		p->meta.if_mask = e->mask;
		p->meta.ifname = e->name;
		p->data = s->rx_buf[i];
		p->len = s->rx_msg[i].msg_len;
	}
	return n;
}

static void sock_rx_release(struct bs_io *io, uint32_t queue)
{
	/* recvmmsg copied into our buffers: nothing to hand back. */
	(void)io;
	(void)queue;
}

/* ---- tx ---- */

static uint8_t *sock_tx_alloc(struct bs_tx *tx, size_t max)
{
	struct sock_io *s = (struct sock_io *)((uint8_t *)tx - offsetof(struct sock_io, tx));
	size_t off = (s->arena_used + 7) & ~(size_t)7;

	/* An uncommitted buffer is abandoned: its space is reused below
	   because arena_used only moves on commit. */
	if (s->ndesc >= SOCK_TX_MAX || max > 65535 - BS_IPV4_HLEN - BS_UDP_HLEN ||
	    off + BS_PKT_UDP_HEADROOM + max > SOCK_TX_ARENA) {
		s->stats[ST_TX_NO_BUFFER]++;
		s->pending = false;
		return NULL;
	}
	s->pending = true;
	s->pending_off = off;
	s->pending_max = max;
	return s->arena + off + BS_PKT_UDP_HEADROOM;
}

static void sock_tx_commit(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	struct sock_io *s = (struct sock_io *)((uint8_t *)tx - offsetof(struct sock_io, tx));
	struct tx_desc *d;

	if (!s->pending || buf != s->arena + s->pending_off + BS_PKT_UDP_HEADROOM ||
	    len > s->pending_max) {
		s->stats[ST_TX_BAD_COMMIT]++;
		return;
	}
	d = &s->desc[s->ndesc++];
	d->off = (uint32_t)s->pending_off;
	d->len = (uint32_t)len;
	d->to = *to;
	s->arena_used = s->pending_off + BS_PKT_UDP_HEADROOM + len;
	s->pending = false;
}

static void tx_reset(struct sock_io *s)
{
	s->ndesc = 0;
	s->arena_used = 0;
	s->pending = false;
}

static void sock_tx_discard(struct bs_io *io)
{
	struct sock_io *s = to_sock(io);

	s->stats[ST_TX_DISCARDED] += s->ndesc;
	tx_reset(s);
}

/* A whole frame for the AF_PACKET socket, built in the headroom. */
static int prepare_l2(struct sock_io *s, size_t i, const struct tx_desc *d,
		      const struct bs_iface *e)
{
	struct msghdr *mh = &s->tx_msg[i].msg_hdr;
	struct sockaddr_ll *ll = &s->tx_name[i].ll;
	uint8_t *head = s->arena + d->off;
	struct bs_pkt_hdr h = {
	    .src_ip = d->to.src_ip ? d->to.src_ip : e->addr,
	    .dst_ip = d->to.dst_ip,
	    .src_port = d->to.src_port,
	    .dst_port = d->to.dst_port,
	    .ip_id = s->ip_id++,
	};
	size_t n;

	memcpy(h.src_mac, e->mac, 6);
	if (d->to.l2 == BS_TX_L2_UNICAST)
		memcpy(h.dst_mac, d->to.dst_mac, 6);
	else
		memset(h.dst_mac, 0xff, 6);
	n = bs_pkt_build_udp(head, &h, d->len);
	if (!n) {
		s->stats[ST_TX_ERRORS]++;
		return -1;
	}
	memset(ll, 0, sizeof(*ll));
	ll->sll_family = AF_PACKET;
	ll->sll_protocol = htons(ETH_P_IP);
	ll->sll_ifindex = (int)e->ifindex;
	ll->sll_halen = 6;
	memcpy(ll->sll_addr, h.dst_mac, 6);
	s->tx_iov[i].iov_base = head;
	s->tx_iov[i].iov_len = n;
	mh->msg_name = ll;
	mh->msg_namelen = sizeof(*ll);
	mh->msg_iov = &s->tx_iov[i];
	mh->msg_iovlen = 1;
	s->stats[ST_TX_L2]++;
	return s->pkt_fd;
}

/* IP_PKTINFO: our source address and, when given, the interface. */
static void set_pktinfo(struct msghdr *mh, uint8_t (*cbuf)[CMSG_SPACE(sizeof(struct in_pktinfo))],
			const struct bs_tx_addr *to)
{
	struct in_pktinfo pi = {
	    .ipi_ifindex = (int)to->ifindex,
	    .ipi_spec_dst.s_addr = htonl(to->src_ip),
	};
	struct cmsghdr *c;

	mh->msg_control = *cbuf;
	mh->msg_controllen = sizeof(*cbuf);
	memset(*cbuf, 0, sizeof(*cbuf));
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

int bs_io_sock_send_routed(const struct bs_io *io, const uint8_t *buf, size_t len,
			   const struct bs_tx_addr *to)
{
	const struct sock_io *s = (const struct sock_io *)io;
	int fd = sock_for_port(s, to->src_port);
	uint8_t cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(to->dst_port),
	    .sin_addr.s_addr = htonl(to->dst_ip),
	};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = &iov,
			    .msg_iovlen = 1};

	if (fd < 0 || to->l2 != BS_TX_ROUTED || to->dst_ip == 0 || to->dst_port == 0)
		return -EINVAL;
	set_pktinfo(&mh, &cbuf, to);
	return sendmsg(fd, &mh, MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* Through the IP stack, from the socket bound to the source port. */
static int prepare_routed(struct sock_io *s, size_t i, const struct tx_desc *d, uint32_t dst_ip)
{
	struct msghdr *mh = &s->tx_msg[i].msg_hdr;
	int fd = sock_for_port(s, d->to.src_port);

	if (fd < 0) {
		s->stats[ST_TX_NO_SOCKET]++;
		return -1;
	}
	s->tx_name[i].in = (struct sockaddr_in){
	    .sin_family = AF_INET,
	    .sin_port = htons(d->to.dst_port),
	    .sin_addr.s_addr = htonl(dst_ip),
	};
	s->tx_iov[i].iov_base = s->arena + d->off + BS_PKT_UDP_HEADROOM;
	s->tx_iov[i].iov_len = d->len;
	mh->msg_name = &s->tx_name[i].in;
	mh->msg_namelen = sizeof(struct sockaddr_in);
	mh->msg_iov = &s->tx_iov[i];
	mh->msg_iovlen = 1;
	set_pktinfo(mh, &s->tx_cmsg[i], &d->to);
	return fd;
}

/*
 * Prepare message i for descriptor d. Returns the fd to send it on, or -1
 * (counted) when it cannot be sent.
 */
static int tx_prepare(struct sock_io *s, size_t i, const struct tx_desc *d)
{
	const struct bs_iface *e;

	memset(&s->tx_msg[i].msg_hdr, 0, sizeof(s->tx_msg[i].msg_hdr));
	/* Protocol bugs, not network input: a zero destination would loop
	   the reply back to this host. */
	if (d->to.l2 > BS_TX_L2_UNICAST || d->to.dst_ip == 0 || d->to.dst_port == 0) {
		s->stats[ST_TX_ERRORS]++;
		return -1;
	}
	if (d->to.l2 == BS_TX_ROUTED)
		return prepare_routed(s, i, d, d->to.dst_ip);
	e = bs_iftable_by_index(s->ift, d->to.ifindex);
	if (!e) {
		s->stats[ST_TX_ERRORS]++;
		s->ift->refresh_wanted = true;
		return -1;
	}
	if (s->pkt_fd >= 0 && e->ether)
		return prepare_l2(s, i, d, e);
	/* No packet socket (no CAP_NET_RAW) or not Ethernet: an IP broadcast
	   on the interface reaches an unaddressed client too. */
	s->stats[ST_TX_L2_FALLBACK]++;
	return prepare_routed(s, i, d, 0xffffffff);
}

/* sendmmsg msgs[from, to) on fd; a failing message is counted and skipped. */
static unsigned tx_send(struct sock_io *s, int fd, size_t from, size_t to, uint64_t now_ms)
{
	unsigned sent = 0;
	int err;

	while (from < to) {
		int r = sendmmsg(fd, &s->tx_msg[from], (unsigned)(to - from), MSG_DONTWAIT);

		if (r > 0) {
			for (int k = 0; k < r; k++)
				s->stats[ST_TX_BYTES] += s->tx_msg[from + (size_t)k].msg_len;
			sent += (unsigned)r;
			from += (size_t)r;
			continue;
		}
		err = r < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (err == ENODEV || err == ENXIO)
			s->ift->refresh_wanted = true;
		if (bs_ratelimit_ok(&s->rl, now_ms, 5))
			bs_logf(s->cfg.log, LOG_WARNING, "sendmmsg: %s", strerror(err));
		if (err == EAGAIN || err == ENOBUFS) {
			/* Socket buffer full: the rest would fail the same way. */
			s->stats[ST_TX_ERRORS] += to - from;
			break;
		}
		/* This one is bad (no route, ...): skip it, send the rest. */
		s->stats[ST_TX_ERRORS]++;
		from++;
	}
	return sent;
}

static unsigned sock_tx_flush(struct bs_io *io, uint64_t now_ms)
{
	struct sock_io *s = to_sock(io);
	unsigned sent = 0;
	size_t nmsg = 0, run = 0;

	for (size_t i = 0; i < s->ndesc; i++) {
		int fd = tx_prepare(s, nmsg, &s->desc[i]);

		if (fd >= 0)
			s->tx_fd[nmsg++] = fd;
	}
	/* Consecutive datagrams for the same socket go out in one sendmmsg;
	   the order of replies is kept. */
	for (size_t i = 1; i <= nmsg; i++) {
		if (i < nmsg && s->tx_fd[i] == s->tx_fd[run])
			continue;
		sent += tx_send(s, s->tx_fd[run], run, i, now_ms);
		run = i;
	}
	s->stats[ST_TX_PKTS] += sent;
	tx_reset(s);
	return sent;
}

/* ---- lifecycle ---- */

static size_t sock_queues(struct bs_io *io, struct bs_io_queue *out, size_t max)
{
	struct sock_io *s = to_sock(io);
	size_t n = 0;

	if (!out)
		return s->nq;
	for (; n < s->nq && n < max; n++) {
		out[n].fd = s->q[n].fd;
		out[n].queue = (uint32_t)n;
	}
	return n;
}

static void sock_maintain(struct bs_io *io, uint64_t now_ms)
{
	maybe_refresh(to_sock(io), now_ms);
}

static void sock_stats_foreach(const struct bs_io *io, bs_stat_fn fn, void *arg)
{
	const struct sock_io *s = (const struct sock_io *)io;

	for (int i = 0; i < ST_COUNT; i++)
		fn(arg, stat_names[i],
		   i == ST_IFACE_REFRESH && s->ift ? s->ift->refreshes : s->stats[i]);
}

static void sock_close(struct bs_io *io)
{
	struct sock_io *s = to_sock(io);

	for (size_t i = 0; i < s->nq; i++)
		close(s->q[i].fd);
	if (s->pkt_fd >= 0)
		close(s->pkt_fd);
	if (s->arena)
		munmap(s->arena, SOCK_TX_ARENA);
	free(s->q);
	free(s->rx_buf);
	free(s->desc);
	free(s->tx_msg);
	free(s->tx_iov);
	free(s->tx_name);
	free(s->tx_cmsg);
	free(s->tx_fd);
	bs_iftable_free(s->ift);
	free(s);
}

static int sock_open(const struct bs_io_config *cfg, struct bs_io **out)
{
	struct sock_io *s;
	size_t nports = 0;
	int err = -ENOMEM;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->io.ops = &bs_io_sock_ops;
	s->io.tx = &s->tx;
	s->tx.alloc = sock_tx_alloc;
	s->tx.commit = sock_tx_commit;
	s->cfg = *cfg;
	s->pkt_fd = -1;

	if (cfg->tftp && cfg->tftp_port_lo && cfg->tftp_port_hi >= cfg->tftp_port_lo) {
		nports = (size_t)cfg->tftp_port_hi - cfg->tftp_port_lo + 1;
		if (nports > SOCK_MAX_TFTP_PORTS) {
			bs_logf(cfg->log, LOG_NOTICE,
				"tftp-port-range %u-%u: using the first %u ports (a socket each)",
				cfg->tftp_port_lo, cfg->tftp_port_hi, SOCK_MAX_TFTP_PORTS);
			nports = SOCK_MAX_TFTP_PORTS;
		}
	}
	s->q = calloc(3 + nports, sizeof(*s->q));
	s->rx_buf = calloc(SOCK_RX_BURST, sizeof(*s->rx_buf));
	s->desc = calloc(SOCK_TX_MAX, sizeof(*s->desc));
	s->tx_msg = calloc(SOCK_TX_MAX, sizeof(*s->tx_msg));
	s->tx_iov = calloc(SOCK_TX_MAX, sizeof(*s->tx_iov));
	s->tx_name = calloc(SOCK_TX_MAX, sizeof(*s->tx_name));
	s->tx_cmsg = calloc(SOCK_TX_MAX, sizeof(*s->tx_cmsg));
	s->tx_fd = calloc(SOCK_TX_MAX, sizeof(*s->tx_fd));
	if (!s->tx_fd || !s->q || !s->rx_buf || !s->desc || !s->tx_msg || !s->tx_iov ||
	    !s->tx_name || !s->tx_cmsg)
		goto err_close;
	/* Reserved, not committed: only the pages a flush touches cost RAM. */
	s->arena = mmap(NULL, SOCK_TX_ARENA, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->arena == MAP_FAILED) {
		s->arena = NULL;
		goto err_close;
	}

	s->ift = bs_iftable_new(cfg);
	if (!s->ift) {
		err = -errno;
		goto err_close;
	}
	s->io.min_mtu = s->ift->min_mtu;

	if (cfg->dhcp) {
		if ((err = add_queue(s, 67)) < 0 || (err = add_queue(s, 4011)) < 0)
			goto err_close;
		/* Protocol 0: send only, so no frame is ever queued for us. */
		s->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->pkt_fd < 0)
			bs_logf(cfg->log, LOG_WARNING,
				"no AF_PACKET socket (%s): replies to clients without an address "
				"go out as IP broadcasts",
				strerror(errno));
		else
			set_buf(s->pkt_fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BUF_BYTES);
	}
	s->io.tftp_port_lo = 1;
	s->io.tftp_port_hi = 0;
	if (cfg->tftp) {
		if ((err = add_queue(s, 69)) < 0)
			goto err_close;
		for (size_t i = 0; i < nports; i++)
			if ((err = add_queue(s, (uint16_t)(cfg->tftp_port_lo + i))) < 0)
				goto err_close;
		if (nports) {
			s->io.tftp_port_lo = cfg->tftp_port_lo;
			s->io.tftp_port_hi = (uint16_t)(cfg->tftp_port_lo + nports - 1);
		}
	}
	for (size_t i = 0; i < s->ift->n; i++)
		if (s->ift->ifs[i].serve)
			bs_logf(cfg->log, LOG_INFO, "serving %s (index %u, mtu %u)",
				s->ift->ifs[i].name, s->ift->ifs[i].ifindex, s->ift->ifs[i].mtu);
	if (!s->io.min_mtu)
		bs_logf(cfg->log, LOG_WARNING,
			"no interface to serve yet: waiting for one that interface= or "
			"listen-address= names");
	*out = &s->io;
	return 0;

err_close:
	sock_close(&s->io);
	return err;
}

const struct bs_io_ops bs_io_sock_ops = {
    .name = "socket",
    .open = sock_open,
    .close = sock_close,
    .queues = sock_queues,
    .rx_burst = sock_rx_burst,
    .rx_release = sock_rx_release,
    .tx_flush = sock_tx_flush,
    .tx_discard = sock_tx_discard,
    .maintain = sock_maintain,
    .stats_foreach = sock_stats_foreach,
};
