/* SPDX-License-Identifier: MIT */
/*
 * bootstorm's XDP classifier: frames the boot server owns go to the AF_XDP
 * socket of the queue they arrived on, everything else to the kernel.
 *
 * Ours: IPv4 UDP, not fragmented, to the DHCP port (67), the PXE boot server
 * port (4011), the TFTP port (69) or the TFTP transfer port range
 * (50000-50063 by default), optionally only when addressed to
 * 255.255.255.255 or one of the server's addresses (map bs_addrs).
 *
 * Not ours, XDP_PASS: ARP, IPv6, TCP (HTTP boot, SSH), ICMP, other UDP,
 * fragments (the kernel reassembles), and anything malformed (the kernel
 * drops it and counts it in its own statistics). We never drop: a
 * classifier bug must cost a kernel round trip, not a lost packet.
 *
 * Every frame increments exactly one counter (bs_counters); see
 * docs/xdp.md for reading them with bpftool.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bootstorm_common.h"
#include "maps.h"
#include "parsing.h"

/* Set by the loader between open and load; defaults for a standalone load. */
const volatile struct bs_xdp_cfg bs_cfg = {
    .dhcp = 67,
    .pxe = 4011,
    .tftp = 69,
    .tftp_lo = 50000,
    .tftp_hi = 50063,
    .vlan_depth = BS_XDP_MAX_VLAN,
};

static __always_inline int port_is_ours(__u16 port)
{
	if (port == 0)
		return 0;
	if (port == bs_cfg.dhcp || port == bs_cfg.pxe || port == bs_cfg.tftp)
		return 1;
	return bs_cfg.tftp_lo != 0 && port >= bs_cfg.tftp_lo && port <= bs_cfg.tftp_hi;
}

static __always_inline int addr_is_ours(__be32 daddr)
{
	__u32 key = 0, i;
	struct bs_xdp_addrs *a;

	a = bpf_map_lookup_elem(&bs_addrs, &key);
	if (!a || a->n == 0)
		return 1;
	if (daddr == bpf_htonl(0xffffffff))
		return 1;
	for (i = 0; i < BS_XDP_MAX_ADDRS; i++) {
		if (i >= a->n)
			break;
		if (a->addr[i] == daddr)
			return 1;
	}
	return 0;
}

/* The verdict reason for one frame; BS_XDP_CNT_TO_XSK means "ours". */
static __always_inline enum bs_xdp_counter_id classify(struct hdr_cursor *c)
{
	struct udphdr *udph;
	struct iphdr *iph;
	__be16 proto;

	if (parse_ethhdr(c, bs_cfg.vlan_depth, &proto) < 0)
		return BS_XDP_CNT_MALFORMED;
	if (proto != bpf_htons(ETH_P_IP))
		return BS_XDP_CNT_PASS_NOT_IP;
	if (parse_iphdr(c, &iph) < 0)
		return BS_XDP_CNT_MALFORMED;
	if (iph->protocol != IPPROTO_UDP)
		return BS_XDP_CNT_PASS_NOT_UDP;
	/* Only the first fragment has a UDP header; let the kernel reassemble. */
	if (ip_is_fragment(iph))
		return BS_XDP_CNT_PASS_FRAGMENT;
	if (parse_udphdr(c, &udph) < 0)
		return BS_XDP_CNT_MALFORMED;
	if (!port_is_ours(bpf_ntohs(udph->dest)))
		return BS_XDP_CNT_PASS_OTHER_PORT;
	if (!addr_is_ours(iph->daddr))
		return BS_XDP_CNT_PASS_OTHER_ADDR;
	return BS_XDP_CNT_TO_XSK;
}

static __always_inline void count(enum bs_xdp_counter_id id, __u64 bytes)
{
	struct bs_xdp_counter *cnt;
	__u32 key = id;

	cnt = bpf_map_lookup_elem(&bs_counters, &key);
	if (!cnt)
		return;
	cnt->packets++;
	cnt->bytes += bytes;
}

SEC("xdp")
int bs_xdp_classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = {.pos = data, .end = data_end};
	enum bs_xdp_counter_id id;
	int action = XDP_PASS;

	id = classify(&c);
	if (id == BS_XDP_CNT_TO_XSK) {
		action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
		if (action != XDP_REDIRECT)
			id = BS_XDP_CNT_NO_XSK;
	}
	count(id, data_end - data);
	return action;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
