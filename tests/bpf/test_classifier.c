/* SPDX-License-Identifier: MIT */
/*
 * The XDP classifier's specification as a table: crafted frames run through
 * the loaded program with BPF_PROG_RUN, each with the return code and the
 * one counter it must increment.
 *
 * Under BPF_PROG_RUN an empty XSKMAP slot makes bpf_redirect_map() return
 * its fallback, so "ours" shows up as XDP_PASS + no_xsk in the table. The
 * run "with a socket" binds an AF_XDP socket to queue 0 of lo in a private
 * network namespace and registers it, so "ours" becomes XDP_REDIRECT +
 * to_xsk there (and everything else must stay XDP_PASS). BPF_PROG_RUN
 * without live frames only returns the action; nothing reaches the socket.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN): exits 77 (skip) otherwise.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "unit.h"
#include "util/bytes.h"
#include "xdp_loader.h"
#include "xsk_min.h"

#define FRAME_MAX 512

/* Field values a zero cannot express (zero means "default" in struct spec). */
#define IHL_ZERO  0xff
#define PORT_ZERO 0xffff

/* A frame recipe: zero fields mean "a valid DHCPDISCOVER broadcast". */
struct spec {
	uint16_t tpid[3];      /* VLAN tags, outermost first; 0 = no tag */
	uint16_t ethertype;    /* 0: IPv4 */
	uint8_t version;       /* 0: 4 */
	uint8_t ihl;           /* 0: 5; > 5 adds NOP options; IHL_ZERO: 0 */
	uint8_t proto;         /* 0: UDP */
	uint16_t frag;         /* IPv4 flags + fragment offset field */
	uint32_t daddr;        /* host order; 0: 255.255.255.255 */
	uint16_t sport, dport; /* 0: 68 -> 67; PORT_ZERO: 0 */
	const char *payload;   /* UDP payload; NULL: 32 zero bytes */
	size_t payload_len;
	int tot_len_delta;     /* added to the IPv4 total length */
	int udp_len;           /* > 0: UDP length field instead of the real one */
	size_t trunc;          /* > 0: cut the frame to this many bytes */
	size_t pad_to;         /* > 0: pad the frame (Ethernet padding) */
	const uint8_t *raw;    /* whole frame given as bytes instead */
	size_t raw_len;
};

struct fixture {
	const char *desc;
	struct spec in;
	int verdict;                 /* XDP action without a socket on the queue */
	enum bs_xdp_counter_id cnt;  /* the counter it increments */
};

#define OURS XDP_PASS, BS_XDP_CNT_NO_XSK
#define PASS(reason) XDP_PASS, BS_XDP_CNT_PASS_##reason
#define MALFORMED XDP_PASS, BS_XDP_CNT_MALFORMED

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define SERVER  IP4(10, 231, 0, 1)
#define SERVER2 IP4(10, 231, 0, 2)
#define OTHER   IP4(10, 231, 0, 99)

#define RRQ "\0\1pxelinux.0\0octet\0blksize\0" "1468\0"
#define ACK "\0\4\0\1"

static const uint8_t arp_request[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	10, 231, 0, 50, 0, 0, 0, 0, 0, 0, 10, 231, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* IPv6 UDP from fe80::1 to ff02::1:2 port 547 (DHCPv6 solicit shape). */
static const uint8_t ipv6_udp[] = {
	0x33, 0x33, 0x00, 0x01, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd,
	0x60, 0, 0, 0, 0x00, 0x0c, 17, 1,
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2,
	0x02, 0x22, 0x02, 0x23, 0x00, 0x0c, 0, 0, 1, 0, 0, 0,
};

static const uint8_t lldp[] = {
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x88, 0xcc,
	0x02, 0x07, 0x04, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00,
};

static const struct fixture fixtures[] = {
	/* ours */
	{ "DHCPDISCOVER broadcast to 67", { .payload_len = 300 }, OURS },
	{ "DHCPREQUEST unicast to the server's 67", { .daddr = SERVER }, OURS },
	{ "relayed DHCP 67 -> 67", { .sport = 67, .daddr = SERVER }, OURS },
	{ "PXE boot server request to 4011", { .dport = 4011, .daddr = SERVER }, OURS },
	{ "TFTP RRQ to 69", { .sport = 2070, .dport = 69, .daddr = SERVER, .payload = RRQ,
			      .payload_len = sizeof(RRQ) - 1 }, OURS },
	{ "TFTP ACK to 50000 (range start)", { .sport = 2070, .dport = 50000, .payload = ACK,
					       .payload_len = 4 }, OURS },
	{ "TFTP ACK to 50063 (range end)", { .sport = 2070, .dport = 50063, .payload = ACK,
					     .payload_len = 4 }, OURS },
	{ "short DHCP frame with Ethernet padding to 60", { .payload_len = 2, .pad_to = 60 },
	  OURS },
	{ "IP options (IHL 6)", { .ihl = 6 }, OURS },
	{ "IP options (IHL 15, 40 bytes)", { .ihl = 15, .dport = 69 }, OURS },
	{ "DF set is not a fragment", { .frag = 0x4000 }, OURS },
	{ "one 802.1Q tag, DHCP", { .tpid = { 0x8100 } }, OURS },
	{ "802.1ad + 802.1Q tags, TFTP", { .tpid = { 0x88a8, 0x8100 }, .dport = 69 }, OURS },
	{ "two 802.1Q tags (QinQ old style)", { .tpid = { 0x8100, 0x8100 } }, OURS },

	/* not ours: the kernel keeps them */
	{ "TFTP ACK to 49999 (below range)", { .dport = 49999, .payload = ACK, .payload_len = 4 },
	  PASS(OTHER_PORT) },
	{ "TFTP ACK to 50064 (above range)", { .dport = 50064, .payload = ACK, .payload_len = 4 },
	  PASS(OTHER_PORT) },
	{ "DNS to 53", { .sport = 5353, .dport = 53, .daddr = SERVER }, PASS(OTHER_PORT) },
	{ "DHCP client port 68 (a reply)", { .sport = 67, .dport = 68 }, PASS(OTHER_PORT) },
	{ "UDP to 4012", { .dport = 4012 }, PASS(OTHER_PORT) },
	{ "UDP to port 0", { .dport = PORT_ZERO }, PASS(OTHER_PORT) },
	{ "TCP to 80 (HTTP boot)", { .proto = 6, .dport = 80 }, PASS(NOT_UDP) },
	{ "TCP to 67", { .proto = 6, .dport = 67 }, PASS(NOT_UDP) },
	{ "ICMP echo", { .proto = 1 }, PASS(NOT_UDP) },
	{ "ARP request", { .raw = arp_request, .raw_len = sizeof(arp_request) }, PASS(NOT_IP) },
	{ "ARP in an 802.1Q tag", { .tpid = { 0x8100 }, .ethertype = 0x0806 }, PASS(NOT_IP) },
	{ "IPv6 UDP", { .raw = ipv6_udp, .raw_len = sizeof(ipv6_udp) }, PASS(NOT_IP) },
	{ "LLDP", { .raw = lldp, .raw_len = sizeof(lldp) }, PASS(NOT_IP) },
	{ "three VLAN tags (deeper than we look)", { .tpid = { 0x88a8, 0x8100, 0x8100 } },
	  PASS(NOT_IP) },
	{ "first fragment (MF) to 67", { .frag = 0x2000 }, PASS(FRAGMENT) },
	{ "later fragment (offset 185)", { .frag = 185 }, PASS(FRAGMENT) },
	{ "middle fragment (MF + offset)", { .frag = 0x2000 | 185 }, PASS(FRAGMENT) },

	/* malformed: passed to the kernel (which drops them), counted */
	{ "truncated: Ethernet header only (14)", { .trunc = 14 }, MALFORMED },
	{ "truncated: in the IPv4 header (20)", { .trunc = 20 }, MALFORMED },
	{ "truncated: IPv4 header minus one byte (33)", { .trunc = 33 }, MALFORMED },
	{ "truncated: in the UDP header (41)", { .trunc = 41 }, MALFORMED },
	{ "truncated: in the VLAN tag (16)", { .tpid = { 0x8100 }, .trunc = 16 }, MALFORMED },
	{ "truncated: in the inner VLAN tag (20)", { .tpid = { 0x88a8, 0x8100 }, .trunc = 20 },
	  MALFORMED },
	{ "truncated: IPv4 after one tag (30)", { .tpid = { 0x8100 }, .trunc = 30 }, MALFORMED },
	{ "truncated: payload cut, total length past the frame",
	  { .payload_len = 300, .trunc = 100 }, MALFORMED },
	{ "IHL 4", { .ihl = 4 }, MALFORMED },
	{ "IHL 0", { .ihl = IHL_ZERO }, MALFORMED },
	{ "IHL 15 past the end of the frame", { .ihl = 15, .trunc = 60 }, MALFORMED },
	{ "IP version 6 in an IPv4 EtherType", { .version = 6 }, MALFORMED },
	{ "IPv4 total length shorter than the header", { .tot_len_delta = -60 }, MALFORMED },
	{ "UDP length 7", { .udp_len = 7 }, MALFORMED },
};

/* ---- frame builder ---- */

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build(const struct spec *s, uint8_t *f)
{
	static const uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t ihl = s->ihl == IHL_ZERO ? 0 : s->ihl ? s->ihl : 5;
	size_t hl = ihl >= 5 ? ihl * 4u : 20, l4len, off = 12, ip, len;
	uint8_t proto = s->proto ? s->proto : 17;
	uint16_t dport = s->dport == PORT_ZERO ? 0 : s->dport ? s->dport : 67;
	size_t plen = s->payload || s->payload_len ? s->payload_len : 32;

	if (s->raw) {
		memcpy(f, s->raw, s->raw_len);
		return s->raw_len;
	}
	memset(f, 0, FRAME_MAX);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	for (int i = 0; i < 3 && s->tpid[i]; i++) {
		put_be16(f + off, s->tpid[i]);
		put_be16(f + off + 2, (uint16_t)(100 + i)); /* VLAN id */
		off += 4;
	}
	put_be16(f + off, s->ethertype ? s->ethertype : 0x0800);
	ip = off + 2;

	l4len = proto == 17 ? 8 + plen : proto == 6 ? 20 : 8;
	if (ip + hl + l4len > FRAME_MAX)
		abort();
	f[ip] = (uint8_t)((s->version ? s->version : 4) << 4 | ihl);
	put_be16(f + ip + 2, (uint16_t)((int)(hl + l4len) + s->tot_len_delta));
	put_be16(f + ip + 4, 0x1234);
	put_be16(f + ip + 6, s->frag);
	f[ip + 8] = 64;
	f[ip + 9] = proto;
	put_be32(f + ip + 12, IP4(10, 231, 0, 50));
	put_be32(f + ip + 16, s->daddr ? s->daddr : 0xffffffff);
	memset(f + ip + 20, 1, hl - 20); /* NOP options */
	if (hl > 20)
		f[ip + hl - 1] = 0; /* end of options */
	put_be16(f + ip + 10, csum16(f + ip, hl, 0));

	if (proto == 17 || proto == 6) {
		put_be16(f + ip + hl, s->sport ? s->sport : 68);
		put_be16(f + ip + hl + 2, dport);
	} else {
		f[ip + hl] = 8; /* ICMP echo request */
	}
	if (proto == 17) {
		put_be16(f + ip + hl + 4, (uint16_t)(s->udp_len > 0 ? s->udp_len : (int)l4len));
		if (s->payload)
			memcpy(f + ip + hl + 8, s->payload, plen);
	}

	len = ip + hl + l4len;
	if (s->pad_to > len)
		len = s->pad_to;
	if (s->trunc)
		len = s->trunc;
	return len;
}

/* ---- running frames ---- */

static struct bs_xdp *xdp;

struct result {
	int err;
	uint32_t retval;
	struct bs_xdp_counter before[BS_XDP_CNT_MAX], after[BS_XDP_CNT_MAX];
};

static void run_frame(struct bs_xdp *x, const uint8_t *frame, size_t len, struct result *r)
{
	uint8_t out[FRAME_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	memset(r, 0, sizeof(*r));
	CU_ASSERT_EQUAL_FATAL(bs_xdp_read_counters(x, r->before), 0);
	r->err = bpf_prog_test_run_opts(bs_xdp_prog_fd(x), &opts);
	r->retval = opts.retval;
	CU_ASSERT_EQUAL_FATAL(bs_xdp_read_counters(x, r->after), 0);
}

/*
 * Check one frame: return code, exactly one counter +1 packet +len bytes.
 * Reports the fixture's description, not just a line number.
 */
static int check_frame(struct bs_xdp *x, const char *desc, const uint8_t *frame, size_t len,
		       int verdict, unsigned int cnt)
{
	struct result r;
	int ok = 1;

	run_frame(x, frame, len, &r);
	if (r.err) {
		fprintf(stderr, "\n  FAIL %s: BPF_PROG_RUN: %s\n", desc, strerror(-r.err));
		return 0;
	}
	if ((int)r.retval != verdict) {
		fprintf(stderr, "\n  FAIL %s: returned %u, want %d\n", desc, r.retval, verdict);
		ok = 0;
	}
	for (unsigned int i = 0; i < BS_XDP_CNT_MAX; i++) {
		uint64_t dp = r.after[i].packets - r.before[i].packets;
		uint64_t db = r.after[i].bytes - r.before[i].bytes;
		uint64_t wp = i == cnt ? 1 : 0, wb = i == cnt ? len : 0;

		if (dp != wp || db != wb) {
			fprintf(stderr,
				"\n  FAIL %s: counter %s +%llu packets +%llu bytes, want +%llu +%llu\n",
				desc, bs_xdp_counter_name(i), (unsigned long long)dp,
				(unsigned long long)db, (unsigned long long)wp,
				(unsigned long long)wb);
			ok = 0;
		}
	}
	return ok;
}

static int check_fixture(struct bs_xdp *x, const struct fixture *fx, int with_socket)
{
	uint8_t frame[FRAME_MAX];
	size_t len = build(&fx->in, frame);
	int verdict = fx->verdict;
	unsigned int cnt = fx->cnt;

	if (with_socket && cnt == BS_XDP_CNT_NO_XSK) {
		verdict = XDP_REDIRECT;
		cnt = BS_XDP_CNT_TO_XSK;
	}
	return check_frame(x, fx->desc, frame, len, verdict, cnt);
}

static void test_table(void)
{
	unsigned int failed = 0;

	for (size_t i = 0; i < BS_ARRAY_SIZE(fixtures); i++)
		failed += !check_fixture(xdp, &fixtures[i], 0);
	CU_ASSERT_EQUAL(failed, 0);
}

/* Our port and a server address filter: broadcast and listed addresses only. */
static void test_server_addrs(void)
{
	static const uint32_t addrs[] = { SERVER, SERVER2 };
	static const struct fixture fx[] = {
		{ "filter: broadcast DHCPDISCOVER", { .payload_len = 300 }, OURS },
		{ "filter: to server address 1", { .daddr = SERVER }, OURS },
		{ "filter: TFTP to server address 2", { .dport = 69, .daddr = SERVER2 }, OURS },
		{ "filter: DHCP to another host", { .daddr = OTHER }, PASS(OTHER_ADDR) },
		{ "filter: TFTP ACK to another host", { .dport = 50001, .daddr = OTHER },
		  PASS(OTHER_ADDR) },
		{ "filter: subnet broadcast is not ours", { .daddr = IP4(10, 231, 0, 255) },
		  PASS(OTHER_ADDR) },
		{ "filter: DNS to another host (port first)", { .dport = 53, .daddr = OTHER },
		  PASS(OTHER_PORT) },
	};
	unsigned int failed = 0;

	CU_ASSERT_EQUAL_FATAL(bs_xdp_set_server_addrs(xdp, addrs, 2), 0);
	for (size_t i = 0; i < BS_ARRAY_SIZE(fx); i++)
		failed += !check_fixture(xdp, &fx[i], 0);
	CU_ASSERT_EQUAL(bs_xdp_set_server_addrs(xdp, NULL, 0), 0);
	failed += !check_fixture(xdp, &(struct fixture){ "filter off again: another host",
							 { .daddr = OTHER }, OURS }, 0);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(bs_xdp_set_server_addrs(xdp, addrs, BS_XDP_MAX_ADDRS + 1), -EINVAL);
}

/* Ports and range come from rodata set before load. */
static void test_config_ports(void)
{
	static const uint32_t addrs[] = { SERVER };
	static const struct fixture fx[] = {
		{ "cfg: DHCP on 1067", { .dport = 1067, .daddr = SERVER }, OURS },
		{ "cfg: 67 no longer ours", { .daddr = SERVER }, PASS(OTHER_PORT) },
		{ "cfg: PXE port disabled", { .dport = 4011, .daddr = SERVER }, PASS(OTHER_PORT) },
		{ "cfg: TFTP 69", { .dport = 69, .daddr = SERVER }, OURS },
		{ "cfg: range 6000", { .dport = 6000, .daddr = SERVER }, OURS },
		{ "cfg: range 6001", { .dport = 6001, .daddr = SERVER }, OURS },
		{ "cfg: 6002 outside", { .dport = 6002, .daddr = SERVER }, PASS(OTHER_PORT) },
		{ "cfg: default range gone", { .dport = 50000, .daddr = SERVER },
		  PASS(OTHER_PORT) },
		{ "cfg: address from config", { .dport = 69, .daddr = OTHER }, PASS(OTHER_ADDR) },
	};
	struct bs_xdp_config cfg;
	struct bs_xdp *x;
	unsigned int failed = 0;

	bs_xdp_config_default(&cfg);
	cfg.dhcp_port = 1067;
	cfg.pxe_port = 0;
	cfg.tftp_lo = 6000;
	cfg.tftp_hi = 6001;
	cfg.n_queues = 4;
	cfg.server_addrs = addrs;
	cfg.n_server_addrs = 1;
	CU_ASSERT_EQUAL_FATAL(bs_xdp_open(&cfg, &x), 0);
	for (size_t i = 0; i < BS_ARRAY_SIZE(fx); i++)
		failed += !check_fixture(x, &fx[i], 0);
	CU_ASSERT_EQUAL(failed, 0);
	/* XSKMAP was sized to 4 queues */
	CU_ASSERT_EQUAL(bs_xdp_set_xsk(x, 4, 0), -EINVAL);
	CU_ASSERT_EQUAL(bs_xdp_clear_xsk(x, 3), 0);
	bs_xdp_destroy(x);

	/* tftp range disabled */
	bs_xdp_config_default(&cfg);
	cfg.tftp_lo = cfg.tftp_hi = 0;
	CU_ASSERT_EQUAL_FATAL(bs_xdp_open(&cfg, &x), 0);
	CU_ASSERT(check_fixture(x, &(struct fixture){ "cfg: no range", { .dport = 50000 },
						      PASS(OTHER_PORT) }, 0));
	CU_ASSERT(check_fixture(x, &(struct fixture){ "cfg: no range, port 0", { .dport = PORT_ZERO },
						      PASS(OTHER_PORT) }, 0));
	bs_xdp_destroy(x);
}

/* vlan_depth: how many tags the backend's parser can take. */
static void test_config_vlan_depth(void)
{
	static const struct fixture depth1[] = {
		{ "vlan 1: untagged", { .dport = 69 }, OURS },
		{ "vlan 1: one 802.1Q tag", { .tpid = { 0x8100 } }, OURS },
		{ "vlan 1: 802.1ad + 802.1Q", { .tpid = { 0x88a8, 0x8100 } }, PASS(NOT_IP) },
	};
	static const struct fixture depth0[] = {
		{ "vlan 0: untagged", { .dport = 69 }, OURS },
		{ "vlan 0: one 802.1Q tag", { .tpid = { 0x8100 } }, PASS(NOT_IP) },
		{ "vlan 0: one 802.1ad tag", { .tpid = { 0x88a8 } }, PASS(NOT_IP) },
	};
	struct bs_xdp_config cfg;
	struct bs_xdp *x;
	unsigned int failed = 0;

	bs_xdp_config_default(&cfg);
	cfg.vlan_depth = 1;
	CU_ASSERT_EQUAL_FATAL(bs_xdp_open(&cfg, &x), 0);
	for (size_t i = 0; i < BS_ARRAY_SIZE(depth1); i++)
		failed += !check_fixture(x, &depth1[i], 0);
	bs_xdp_destroy(x);

	cfg.vlan_depth = 0;
	CU_ASSERT_EQUAL_FATAL(bs_xdp_open(&cfg, &x), 0);
	for (size_t i = 0; i < BS_ARRAY_SIZE(depth0); i++)
		failed += !check_fixture(x, &depth0[i], 0);
	bs_xdp_destroy(x);
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_bad_config(void)
{
	static const uint32_t addrs[BS_XDP_MAX_ADDRS + 1];
	struct bs_xdp_config cfg;
	struct bs_xdp *x = (struct bs_xdp *)1;

	bs_xdp_config_default(&cfg);
	cfg.tftp_lo = 60000;
	cfg.tftp_hi = 50000;
	CU_ASSERT_EQUAL(bs_xdp_open(&cfg, &x), -EINVAL);
	CU_ASSERT_PTR_NULL(x);

	bs_xdp_config_default(&cfg);
	cfg.vlan_depth = BS_XDP_MAX_VLAN + 1;
	CU_ASSERT_EQUAL(bs_xdp_open(&cfg, &x), -EINVAL);

	bs_xdp_config_default(&cfg);
	cfg.server_addrs = addrs;
	cfg.n_server_addrs = BS_XDP_MAX_ADDRS + 1;
	CU_ASSERT_EQUAL(bs_xdp_open(&cfg, &x), -EINVAL);

	/* a non-AF_XDP fd is refused by the XSKMAP */
	CU_ASSERT(bs_xdp_set_xsk(xdp, 0, STDIN_FILENO) < 0);
	CU_ASSERT_EQUAL(bs_xdp_set_xsk(xdp, 0, -1), -EINVAL);
	bs_xdp_destroy(NULL);
}

struct stat_capture {
	unsigned int n;
	uint64_t to_xsk_packets, malformed_bytes;
};

static void stat_cb(void *arg, const char *name, uint64_t value)
{
	struct stat_capture *c = arg;

	c->n++;
	if (!strcmp(name, "xdp_to_xsk_packets"))
		c->to_xsk_packets = value;
	if (!strcmp(name, "xdp_malformed_bytes"))
		c->malformed_bytes = value;
}

static void test_stats_foreach(void)
{
	struct bs_xdp_counter cnt[BS_XDP_CNT_MAX];
	struct stat_capture cap = { 0 };

	CU_ASSERT_EQUAL_FATAL(bs_xdp_read_counters(xdp, cnt), 0);
	CU_ASSERT_EQUAL(bs_xdp_stats_foreach(xdp, stat_cb, &cap), 0);
	CU_ASSERT_EQUAL(cap.n, 2 * BS_XDP_CNT_MAX);
	CU_ASSERT_EQUAL(cap.to_xsk_packets, cnt[BS_XDP_CNT_TO_XSK].packets);
	CU_ASSERT_EQUAL(cap.malformed_bytes, cnt[BS_XDP_CNT_MALFORMED].bytes);
	CU_ASSERT(cap.malformed_bytes > 0); /* the table ran before */
}

static void test_counter_names(void)
{
	CU_ASSERT_STRING_EQUAL(bs_xdp_counter_name(BS_XDP_CNT_TO_XSK), "to_xsk");
	CU_ASSERT_STRING_EQUAL(bs_xdp_counter_name(BS_XDP_CNT_MALFORMED), "malformed");
	CU_ASSERT_STRING_EQUAL(bs_xdp_counter_name(BS_XDP_CNT_MAX), "?");
	for (unsigned int i = 0; i < BS_XDP_CNT_MAX; i++)
		CU_ASSERT_STRING_NOT_EQUAL(bs_xdp_counter_name(i), "?");
}

/* ---- with an AF_XDP socket on queue 0 ---- */

static void test_table_with_socket(void)
{
	unsigned int failed = 0;
	struct xsk_min xsk;
	int err;

	/* A private network namespace, so the host's lo is never touched. */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "\n  unshare(CLONE_NEWNET): %s\n", strerror(errno));
		CU_FAIL("cannot make a private network namespace");
		return;
	}
	if (system("ip link set lo up"))
		CU_FAIL("ip link set lo up");
	err = xsk_min_open(&xsk, (int)if_nametoindex("lo"), 0);
	if (err) {
		fprintf(stderr, "\n  AF_XDP socket on lo: %s\n", strerror(-err));
		CU_FAIL_FATAL("cannot bind an AF_XDP socket");
	}
	CU_ASSERT_EQUAL_FATAL(bs_xdp_set_xsk(xdp, 0, xsk.fd), 0);
	for (size_t i = 0; i < BS_ARRAY_SIZE(fixtures); i++)
		failed += !check_fixture(xdp, &fixtures[i], 1);
	CU_ASSERT_EQUAL(failed, 0);

	/* cleared again: back to the fallback */
	CU_ASSERT_EQUAL(bs_xdp_clear_xsk(xdp, 0), 0);
	CU_ASSERT(check_fixture(xdp, &fixtures[0], 0));
	xsk_min_close(&xsk);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "classifier table", test_table },
		{ "server address filter", test_server_addrs },
		{ "ports from rodata", test_config_ports },
		{ "VLAN depth from rodata", test_config_vlan_depth },
		{ "bad config", test_bad_config },
		{ "counter names", test_counter_names },
		{ "stats through a bs_stat_fn sink", test_stats_foreach },
		{ "table with an AF_XDP socket on the queue", test_table_with_socket },
		{ NULL, NULL },
	};
	struct bs_xdp_config cfg;
	int err, rc;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the XDP classifier tests need root (CAP_BPF)\n");
		return 77;
	}
	bs_xdp_config_default(&cfg);
	err = bs_xdp_open(&cfg, &xdp);
	if (err == -EPERM) {
		fprintf(stderr, "SKIP: cannot load BPF programs here: %s\n", strerror(-err));
		return 77;
	}
	if (err) {
		fprintf(stderr, "FAIL: cannot load the classifier: %s\n", strerror(-err));
		return 1;
	}
	printf("%zu table fixtures\n", BS_ARRAY_SIZE(fixtures));
	rc = unit_run("bpf_classifier", tests);
	bs_xdp_destroy(xdp);
	return rc;
}
