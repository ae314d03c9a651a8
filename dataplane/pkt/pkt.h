/* SPDX-License-Identifier: MIT */
/*
 * Ethernet / IPv4 / UDP: parse through a bounded cursor, build headers in
 * front of a payload. Used by every backend that sees whole frames (the
 * socket backend's AF_PACKET replies now, AF_XDP and DPDK later), so it
 * trusts nothing: every length is checked before a byte is read, and
 * checksums are verified on receive and always computed on transmit (veth
 * and some NICs leave offloaded checksums unfinished, see MACHINE-NOTES).
 *
 * No allocation, no I/O, no globals.
 */
#ifndef BS_PKT_PKT_H
#define BS_PKT_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BS_ETH_ALEN  6
#define BS_ETH_HLEN  14
#define BS_VLAN_HLEN 4
#define BS_IPV4_HLEN 20 /* without options; we never send options */
#define BS_UDP_HLEN  8

#define BS_ETHERTYPE_IPV4 0x0800
#define BS_ETHERTYPE_VLAN 0x8100
#define BS_IPPROTO_UDP	  17

/* Headroom bs_pkt_build_udp() needs in front of the UDP payload. */
#define BS_PKT_UDP_HEADROOM (BS_ETH_HLEN + BS_IPV4_HLEN + BS_UDP_HLEN)

/* A read cursor with an explicit end: pull() is the only way to read. */
struct bs_cursor {
	const uint8_t *p, *end;
};

static inline void bs_cursor_init(struct bs_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
}

static inline size_t bs_cursor_left(const struct bs_cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* n bytes at the cursor, advancing past them, or NULL if fewer are left. */
static inline const uint8_t *bs_cursor_pull(struct bs_cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (bs_cursor_left(c) < n)
		return NULL;
	c->p += n;
	return p;
}

/* Why a frame was not accepted. Backends count drops per verdict. */
enum bs_pkt_verdict {
	BS_PKT_OK = 0,
	BS_PKT_TRUNC_ETH,   /* shorter than an Ethernet header */
	BS_PKT_TRUNC_VLAN,  /* 802.1Q tag cut short */
	BS_PKT_NOT_IPV4,    /* other ethertype (ARP, IPv6, a second tag) */
	BS_PKT_TRUNC_IP,    /* shorter than a minimal IPv4 header */
	BS_PKT_BAD_VERSION, /* version != 4 */
	BS_PKT_BAD_IHL,	    /* IHL < 5, or header longer than the frame */
	BS_PKT_BAD_TOTLEN,  /* total length < header or > bytes present */
	BS_PKT_BAD_IP_CSUM,
	BS_PKT_FRAGMENT, /* MF set or offset != 0: we never reassemble */
	BS_PKT_NOT_UDP,
	BS_PKT_TRUNC_UDP,   /* IP payload shorter than a UDP header */
	BS_PKT_BAD_UDP_LEN, /* UDP length < 8 or > IP payload */
	BS_PKT_BAD_UDP_CSUM,
	BS_PKT_VERDICT_COUNT
};

/* One parsed UDP datagram; pointers point into the caller's frame. */
struct bs_pkt_udp {
	uint8_t dst_mac[BS_ETH_ALEN], src_mac[BS_ETH_ALEN];
	int vlan;		 /* VLAN id, -1 when untagged */
	uint32_t src_ip, dst_ip; /* host order */
	uint16_t src_port, dst_port;
	uint8_t ttl;
	const uint8_t *ip_hdr; /* start of the IPv4 header */
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Parse an Ethernet frame (at most one 802.1Q tag) carrying IPv4/UDP.
 * Ethernet padding past the IP total length is ignored. *out is fully
 * written only when BS_PKT_OK is returned.
 */
enum bs_pkt_verdict bs_pkt_parse_eth(const uint8_t *frame, size_t len, struct bs_pkt_udp *out);

/* The same from the IPv4 header on (for sources without an L2 header);
   the MAC fields of *out are zeroed and vlan is -1. */
enum bs_pkt_verdict bs_pkt_parse_ipv4(const uint8_t *ip, size_t len, struct bs_pkt_udp *out);

const char *bs_pkt_verdict_name(enum bs_pkt_verdict v);

/*
 * Internet checksum (RFC 1071). bs_csum_partial() adds len bytes to a
 * running 32-bit sum (an odd trailing byte is padded with zero, so only the
 * last chunk may be odd); bs_csum_fold() folds and complements it.
 */
uint32_t bs_csum_partial(const uint8_t *p, size_t len, uint32_t sum);
uint16_t bs_csum_fold(uint32_t sum);

/* UDP checksum over the pseudo header and the UDP header + payload at udp
   (udp_len bytes, its checksum field included as it stands). 0 is
   returned as 0xffff, as UDP sends it (RFC 768). */
uint16_t bs_udp_csum(uint32_t src_ip, uint32_t dst_ip, const uint8_t *udp, size_t udp_len);

/* What to put in the headers of an outgoing frame. */
struct bs_pkt_hdr {
	uint8_t dst_mac[BS_ETH_ALEN], src_mac[BS_ETH_ALEN];
	uint32_t src_ip, dst_ip; /* host order */
	uint16_t src_port, dst_port;
	uint16_t ip_id;
	uint8_t ttl; /* 0: 64 */
};

/*
 * Write Ethernet + IPv4 + UDP headers into the BS_PKT_UDP_HEADROOM bytes at
 * frame, in front of payload_len bytes of payload already at
 * frame + BS_PKT_UDP_HEADROOM, with both checksums computed. Returns the
 * frame length, or 0 when payload_len does not fit in one IPv4 datagram.
 */
size_t bs_pkt_build_udp(uint8_t *frame, const struct bs_pkt_hdr *h, size_t payload_len);

#endif
