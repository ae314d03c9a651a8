/* SPDX-License-Identifier: MIT */
/*
 * Header parsing for XDP through a cursor with an explicit end (the
 * xdp-tutorial pattern). Every helper checks that the whole header lies
 * before c->end before it reads a byte, and advances the cursor only on
 * success. Return 0 on success, -1 when the frame is truncated or the header
 * is invalid; the caller decides what that means.
 *
 * BPF only (packet pointers, __always_inline): user space parses with
 * dataplane/pkt/pkt.h.
 */
#ifndef BS_BPF_PARSING_H
#define BS_BPF_PARSING_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/* Most VLAN tags we look through (802.1Q, or 802.1ad outer + 802.1Q inner). */
#define BS_VLAN_MAX_DEPTH 2

#define BS_IP_MF     0x2000
#define BS_IP_OFFSET 0x1fff

struct hdr_cursor {
	void *pos;
	void *end;
};

/* 802.1Q / 802.1ad tag after the MAC addresses (linux/if_vlan.h is kernel-only). */
struct bs_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet header and up to depth (at most BS_VLAN_MAX_DEPTH) VLAN tags.
 * *proto: the inner EtherType (network order); still a VLAN type if there
 * were more tags than we look through, which the caller treats as "not IP".
 */
static __always_inline int parse_ethhdr(struct hdr_cursor *c, __u32 depth, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct bs_vlan_hdr *vlh;
	__be16 h_proto;
	void *pos;
	__u32 i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	pos = eth + 1;
	h_proto = eth->h_proto;

	/* a bounded loop: fine for the verifier since 5.3 */
	for (i = 0; i < BS_VLAN_MAX_DEPTH; i++) {
		if (i >= depth || !proto_is_vlan(h_proto))
			break;
		vlh = pos;
		if ((void *)(vlh + 1) > c->end)
			return -1;
		h_proto = vlh->encap_proto;
		pos = vlh + 1;
	}

	c->pos = pos;
	*proto = h_proto;
	return 0;
}

/*
 * IPv4 header with options: version 4, IHL >= 5, the IHL-sized header
 * within the frame, total length covering the header and within the frame.
 */
static __always_inline int parse_iphdr(struct hdr_cursor *c, struct iphdr **iphdr)
{
	struct iphdr *iph = c->pos;
	unsigned int hdrsize;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hdrsize = iph->ihl * 4;
	if (c->pos + hdrsize > c->end)
		return -1;
	/* The datagram must cover its header and fit in the frame (which may
	   be longer: Ethernet pads short frames to 60 bytes). */
	if (bpf_ntohs(iph->tot_len) < hdrsize)
		return -1;
	if (c->pos + bpf_ntohs(iph->tot_len) > c->end)
		return -1;

	c->pos += hdrsize;
	*iphdr = iph;
	return 0;
}

static __always_inline int ip_is_fragment(const struct iphdr *iph)
{
	return (iph->frag_off & bpf_htons(BS_IP_MF | BS_IP_OFFSET)) != 0;
}

/* UDP header; its length field must at least cover the header. */
static __always_inline int parse_udphdr(struct hdr_cursor *c, struct udphdr **udphdr)
{
	struct udphdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return -1;
	if (bpf_ntohs(h->len) < sizeof(*h))
		return -1;

	c->pos = h + 1;
	*udphdr = h;
	return 0;
}

#endif
