/* SPDX-License-Identifier: MIT */
/*
 * What the XDP classifier (bootstorm.bpf.c) and user space (xdp_loader.c,
 * tests, bpftool users) agree on: the counter index, map value layouts and
 * the load-time configuration. Included by BPF C and by ordinary C, so it
 * uses only <linux/types.h> types and no libc.
 *
 * Byte order: ports in struct bs_xdp_cfg are HOST order (the program
 * converts once); addresses in struct bs_xdp_addrs are NETWORK order, so the
 * program compares them with the IPv4 header without a swap. The loader API
 * (xdp_loader.h) takes host-order addresses, like the rest of bootstorm, and
 * converts at the edge.
 */
#ifndef BS_BPF_COMMON_H
#define BS_BPF_COMMON_H

#include <linux/types.h>

/* Default XSKMAP size: queues 0..63 of one interface (bs_xdp_config.n_queues). */
#define BS_XDP_MAX_QUEUES 64

/* VLAN tags (802.1Q, 802.1ad) the classifier can look through. */
#define BS_XDP_MAX_VLAN 2

/* Server addresses the classifier accepts besides 255.255.255.255. */
#define BS_XDP_MAX_ADDRS 16

/*
 * Why a frame got its verdict: the index of the per-CPU "bs_counters" map.
 * Every frame the program sees increments exactly one of these. Append new
 * reasons before BS_XDP_CNT_MAX and add their names to bs_xdp_counter_name().
 */
enum bs_xdp_counter_id {
	BS_XDP_CNT_TO_XSK = 0,		/* ours: redirected to the queue's AF_XDP socket */
	BS_XDP_CNT_NO_XSK = 1,		/* ours, but no socket on this queue: XDP_PASS */
	BS_XDP_CNT_PASS_NOT_IP = 2,	/* ARP, IPv6, LLDP, too many VLAN tags: XDP_PASS */
	BS_XDP_CNT_PASS_NOT_UDP = 3,	/* IPv4 but TCP, ICMP, ...: XDP_PASS */
	BS_XDP_CNT_PASS_OTHER_PORT = 4, /* UDP to a port that is not ours: XDP_PASS */
	BS_XDP_CNT_PASS_OTHER_ADDR = 5, /* our port, but not a server address: XDP_PASS */
	BS_XDP_CNT_PASS_FRAGMENT = 6,	/* UDP fragment (MF or offset): XDP_PASS */
	BS_XDP_CNT_MALFORMED = 7,	/* truncated, IHL < 5, bad lengths: XDP_PASS */
	BS_XDP_CNT_MAX
};

/* Value of "bs_counters" (BPF_MAP_TYPE_PERCPU_ARRAY, one per CPU and id). */
struct bs_xdp_counter {
	__u64 packets;
	__u64 bytes; /* frame bytes as seen by XDP (Ethernet header included) */
};

/*
 * Load-time configuration: the program's `const volatile` rodata variable
 * "bs_cfg", set through the skeleton between open and load (the verifier
 * then sees constants). A port of 0 disables that match; tftp_lo == 0
 * disables the transfer range. Host order.
 */
struct bs_xdp_cfg {
	__u16 dhcp;	  /* 67 */
	__u16 pxe;	  /* 4011 (PXE boot server / proxyDHCP) */
	__u16 tftp;	  /* 69 */
	__u16 tftp_lo;	  /* TFTP transfer port range, inclusive: 50000 */
	__u16 tftp_hi;	  /* 50063 */
	__u16 vlan_depth; /* VLAN tags looked through, 0..BS_XDP_MAX_VLAN: 2 */
};

/*
 * Value of "bs_addrs" (BPF_MAP_TYPE_ARRAY, one entry, key 0): the server's
 * addresses. n == 0: accept our ports on any destination address. n > 0:
 * accept only 255.255.255.255 and addr[0..n-1]. Can be rewritten while the
 * program runs; a frame racing with the update may see a mix of old and new
 * entries (it is passed to the kernel at worst).
 */
struct bs_xdp_addrs {
	__u32 n;
	__u32 addr[BS_XDP_MAX_ADDRS]; /* network byte order */
};

#endif
