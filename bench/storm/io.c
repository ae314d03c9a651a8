/* SPDX-License-Identifier: MIT */
/*
 * One AF_PACKET socket on one interface: a TPACKET_V3 RX ring (blocks of
 * frames, handed back to the kernel block by block) and TX batched into one
 * sendmmsg() per event-loop turn, bypassing the qdisc. Our own transmitted
 * frames are not looped back into the ring (PACKET_IGNORE_OUTGOING).
 * Also a tiny pcap writer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/bytes.h"
#include "storm.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/*
 * TPACKET_V3 hands frames over a block at a time: a block is given to user
 * space when it is full or when its timer (1 ms, the minimum) runs out. In a
 * lock-step exchange (TFTP without a window) that timer is the generator's
 * round-trip time, so blocks are small (32 frames): under load they fill in
 * well under a millisecond. TPACKET_V2 (--rx-ring v2) hands over each frame
 * at once, at the cost of a wake-up per frame when the load is light.
 */
#define RX_BLOCK_SIZE (64u << 10)
#define RX_BLOCKS     1024
#define RX_FRAME_SIZE 2048
#define RX_FRAMES     (RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCKS)
#define TX_BATCH      512

struct storm_io {
	int fd;
	int ifindex;
	uint8_t *ring;
	size_t ring_len;
	int version;	/* TPACKET_V2 or TPACKET_V3 */
	unsigned block; /* next RX block (V3) or frame (V2) to look at */
	struct sockaddr_ll sll;
	uint8_t tx_buf[TX_BATCH][STORM_FRAME_MAX];
	struct iovec tx_iov[TX_BATCH];
	struct mmsghdr tx_msg[TX_BATCH];
	unsigned tx_n;
	uint64_t tx, tx_err, rx;
};

uint64_t storm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int storm_io_open(struct storm_io **out, const char *ifname, int version, uint8_t if_mac[6])
{
	struct tpacket_req3 req = {
	    .tp_block_size = RX_BLOCK_SIZE,
	    .tp_block_nr = RX_BLOCKS,
	    .tp_frame_size = RX_FRAME_SIZE,
	    .tp_frame_nr = RX_FRAMES,
	    .tp_retire_blk_tov = 1, /* ms: hand a part-filled block over soon */
	};
	struct storm_io *io;
	struct ifreq ifr;
	int v, err;

	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (io->fd < 0) {
		err = -errno;
		goto fail_free;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(io->fd, SIOCGIFINDEX, &ifr) < 0) {
		err = -errno;
		goto fail_close;
	}
	io->ifindex = ifr.ifr_ifindex;
	if (ioctl(io->fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		goto fail_close;
	}
	memcpy(if_mac, ifr.ifr_hwaddr.sa_data, 6);

	io->version = version == 2 ? TPACKET_V2 : TPACKET_V3;
	v = io->version;
	/* V2 takes a struct tpacket_req: the leading fields of tpacket_req3 */
	if (setsockopt(io->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(io->fd, SOL_PACKET, PACKET_RX_RING, &req,
		       io->version == TPACKET_V3 ? sizeof(req) : sizeof(struct tpacket_req)) < 0) {
		err = -errno;
		goto fail_close;
	}
	v = 1;
	/* best effort: older kernels lack them, the loop copes */
	setsockopt(io->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof(v));
	setsockopt(io->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof(v));
	v = 8 << 20;
	setsockopt(io->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));

	io->ring_len = (size_t)RX_BLOCK_SIZE * RX_BLOCKS;
	io->ring =
	    mmap(NULL, io->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, io->fd, 0);
	if (io->ring == MAP_FAILED)
		io->ring = mmap(NULL, io->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, io->fd, 0);
	if (io->ring == MAP_FAILED) {
		err = -errno;
		goto fail_close;
	}
	io->sll.sll_family = AF_PACKET;
	io->sll.sll_protocol = htons(ETH_P_ALL);
	io->sll.sll_ifindex = io->ifindex;
	if (bind(io->fd, (struct sockaddr *)&io->sll, sizeof(io->sll)) < 0) {
		err = -errno;
		goto fail_unmap;
	}
	/* the clients' MACs are not the NIC's: on real hardware the NIC must
	 * pass frames for them up (veth does anyway). Dropped with the socket. */
	struct packet_mreq mr = {.mr_ifindex = io->ifindex, .mr_type = PACKET_MR_PROMISC};

	setsockopt(io->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	for (unsigned i = 0; i < TX_BATCH; i++) {
		io->tx_iov[i].iov_base = io->tx_buf[i];
		io->tx_msg[i].msg_hdr.msg_iov = &io->tx_iov[i];
		io->tx_msg[i].msg_hdr.msg_iovlen = 1;
		io->tx_msg[i].msg_hdr.msg_name = &io->sll;
		io->tx_msg[i].msg_hdr.msg_namelen = sizeof(io->sll);
	}
	*out = io;
	return 0;

fail_unmap:
	munmap(io->ring, io->ring_len);
fail_close:
	close(io->fd);
fail_free:
	free(io);
	return err;
}

void storm_io_close(struct storm_io *io)
{
	if (!io)
		return;
	munmap(io->ring, io->ring_len);
	close(io->fd);
	free(io);
}

int storm_io_filter_tcp(struct storm_io *io)
{
	/* ldh [12]; jne #0x800, pass; ldb [23]; jeq #6, drop; pass: ret all;
	 * drop: ret 0 */
	struct sock_filter code[] = {
	    {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12},     {BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0x0800},
	    {BPF_LD | BPF_B | BPF_ABS, 0, 0, 14 + 9}, {BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 6},
	    {BPF_RET | BPF_K, 0, 0, 0x40000},	      {BPF_RET | BPF_K, 0, 0, 0},
	};
	struct sock_fprog prog = {.len = BS_ARRAY_SIZE(code), .filter = code};

	return setsockopt(io->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

int storm_io_fd(const struct storm_io *io)
{
	return io->fd;
}

uint8_t *storm_io_tx_slot(struct storm_io *io)
{
	if (io->tx_n == TX_BATCH)
		storm_io_flush(io);
	return io->tx_buf[io->tx_n];
}

void storm_io_tx_commit(struct storm_io *io, size_t len)
{
	io->tx_iov[io->tx_n].iov_len = len;
	io->tx_n++;
}

unsigned storm_io_flush(struct storm_io *io)
{
	unsigned done = 0;
	int tries = 0;

	while (done < io->tx_n) {
		int r = sendmmsg(io->fd, io->tx_msg + done, io->tx_n - done, 0);

		if (r < 0) {
			if ((errno == ENOBUFS || errno == EAGAIN) && tries++ < 100) {
				struct pollfd p = {.fd = io->fd, .events = POLLOUT};
				poll(&p, 1, 1);
				continue;
			}
			if (errno == EINTR)
				continue;
			/* drop the frame at the head, keep going: the client's
			 * timer retransmits, as on a lossy wire */
			io->tx_err++;
			done++;
			continue;
		}
		done += (unsigned)r;
	}
	io->tx += io->tx_n;
	io->tx_n = 0;
	return done;
}

static unsigned rx_v2(struct storm_io *io, storm_rx_fn fn, void *ctx)
{
	unsigned seen = 0;

	for (; seen < RX_FRAMES; seen++) {
		struct tpacket2_hdr *h = (void *)(io->ring + (size_t)io->block * RX_FRAME_SIZE);
		struct sockaddr_ll *sll;

		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		sll = (void *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
		if (sll->sll_pkttype != PACKET_OUTGOING && h->tp_snaplen == h->tp_len)
			fn(ctx, (uint8_t *)h + h->tp_mac, h->tp_snaplen);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		io->block = (io->block + 1) % RX_FRAMES;
	}
	io->rx += seen;
	return seen;
}

unsigned storm_io_rx(struct storm_io *io, storm_rx_fn fn, void *ctx)
{
	unsigned seen = 0;

	if (io->version == TPACKET_V2)
		return rx_v2(io, fn, ctx);

	for (unsigned b = 0; b < RX_BLOCKS; b++) {
		struct tpacket_block_desc *bd =
		    (void *)(io->ring + (size_t)io->block * RX_BLOCK_SIZE);
		struct tpacket3_hdr *h;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			struct sockaddr_ll *sll =
			    (void *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));

			if (sll->sll_pkttype != PACKET_OUTGOING && h->tp_snaplen == h->tp_len)
				fn(ctx, (uint8_t *)h + h->tp_mac, h->tp_snaplen);
			seen++;
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		io->block = (io->block + 1) % RX_BLOCKS;
	}
	io->rx += seen;
	return seen;
}

void storm_io_stats(const struct storm_io *io, uint64_t *tx, uint64_t *tx_err, uint64_t *rx,
		    uint64_t *rx_drop)
{
	struct tpacket_stats_v3 st; /* V2 fills the first two fields */
	socklen_t l = sizeof(st);

	*tx = io->tx;
	*tx_err = io->tx_err;
	*rx = io->rx;
	*rx_drop = 0;
	if (getsockopt(io->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0)
		*rx_drop = st.tp_drops;
}

/* ---- pcap ---------------------------------------------------------------- */

FILE *storm_pcap_open(const char *path)
{
	/* magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET */
	const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	FILE *f = fopen(path, "wb");

	if (f && fwrite(hdr, sizeof(hdr), 1, f) != 1) {
		fclose(f);
		f = NULL;
	}
	return f;
}

void storm_pcap_write(FILE *f, const uint8_t *frame, size_t len, uint64_t ns)
{
	uint32_t rec[4] = {(uint32_t)(ns / NS_PER_S), (uint32_t)(ns % NS_PER_S / 1000),
			   (uint32_t)len, (uint32_t)len};

	if (!f)
		return;
	fwrite(rec, sizeof(rec), 1, f);
	fwrite(frame, len, 1, f);
}
