/* SPDX-License-Identifier: MIT */
/*
 * The contract between protocol code (proto/) and I/O backends (io/).
 *
 * Conventions used across bootstorm's APIs:
 *  - IPv4 addresses are uint32_t in HOST byte order (10.0.0.1 == 0x0a000001);
 *    backends convert at the edge. Ports are host order too.
 *  - Protocol code never allocates packet buffers: it asks the backend's
 *    struct bs_tx for one and writes the UDP payload in place, so the AF_XDP
 *    backend can hand out UMEM frames (payload offset past Ethernet/IPv4/UDP
 *    headers) and TFTP copies file bytes straight into the TX frame.
 */
#ifndef BS_PROTO_DATAGRAM_H
#define BS_PROTO_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Addressing of one received UDP datagram. */
struct bs_udp_meta {
	uint32_t ifindex;
	uint32_t src_ip, dst_ip; /* host order; dst may be 255.255.255.255 */
	uint16_t src_port, dst_port;
	uint8_t src_mac[6]; /* all zero when the backend cannot tell */
	uint32_t if_addr;   /* our primary IPv4 address on ifindex, 0 if none */
	uint32_t if_mask;   /* its netmask */
	const char *ifname; /* may be NULL */
};

enum bs_tx_l2 {
	/* Ordinary IP delivery: the backend may route and ARP for dst_ip. */
	BS_TX_ROUTED = 0,
	/* Link-layer broadcast on ifindex (dst_ip normally 255.255.255.255). */
	BS_TX_L2_BROADCAST,
	/*
	 * Link-layer unicast to dst_mac on ifindex without ARP: the DHCP client
	 * has no address yet and cannot answer ARP (RFC 2131 4.1).
	 */
	BS_TX_L2_UNICAST,
};

struct bs_tx_addr {
	uint32_t ifindex; /* 0 = let the backend choose (BS_TX_ROUTED only) */
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6]; /* for BS_TX_L2_UNICAST */
	uint8_t l2;         /* enum bs_tx_l2 */
};

/*
 * A sink for outgoing datagrams, implemented by each backend (and by the
 * unit tests' capture sink). Embed it as the first member of the backend's
 * own struct.
 */
struct bs_tx {
	/*
	 * A buffer for up to max bytes of UDP payload, or NULL when the backend
	 * is out of buffers (the caller counts a drop and must not retry now).
	 * The backend owns the buffer; it stays valid until commit() or, if
	 * commit() is never called for it, until the end of the current batch,
	 * when it is reclaimed (so a caller may abandon a buffer it allocated).
	 */
	uint8_t *(*alloc)(struct bs_tx *tx, size_t max);
	/* Queue len bytes of the buffer last returned by alloc() for sending. */
	void (*commit)(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to);
};

static inline uint8_t *bs_tx_alloc(struct bs_tx *tx, size_t max)
{
	return tx->alloc(tx, max);
}

static inline void bs_tx_commit(struct bs_tx *tx, uint8_t *buf, size_t len,
				const struct bs_tx_addr *to)
{
	tx->commit(tx, buf, len, to);
}

/* A counter sink: modules expose their statistics through it by name. */
typedef void (*bs_stat_fn)(void *arg, const char *name, uint64_t value);

#endif
