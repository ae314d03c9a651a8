/* SPDX-License-Identifier: MIT */
/*
 * pkt: crafted frames -> verdicts, build -> parse round trips, checksum
 * known-answer vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"
#include "unit.h"
#include "util/bytes.h"

/* ---- checksum known answers ---- */

/* clang-format off */
static const struct {
	const char *name;
	const uint8_t *data;
	size_t len;
	uint16_t csum; /* folded and complemented */
} csum_vectors[] = {
	/* RFC 1071 section 3 example: sum 0xddf2, checksum 0x220d */
	{ "rfc1071", (const uint8_t *)"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8, 0x220d },
	/* The classic IPv4 header example (checksum field zeroed) */
	{ "ipv4 header",
	  (const uint8_t *)"\x45\x00\x00\x73\x00\x00\x40\x00\x40\x11\x00\x00"
			   "\xc0\xa8\x00\x01\xc0\xa8\x00\xc7",
	  20, 0xb861 },
	/* The same header with its checksum in place verifies to zero */
	{ "ipv4 header verify",
	  (const uint8_t *)"\x45\x00\x00\x73\x00\x00\x40\x00\x40\x11\xb8\x61"
			   "\xc0\xa8\x00\x01\xc0\xa8\x00\xc7",
	  20, 0x0000 },
	/* Odd length: the last byte is padded with a zero */
	{ "odd", (const uint8_t *)"\x01\x02\x03", 3, (uint16_t)~(0x0102 + 0x0300) },
	{ "empty", (const uint8_t *)"", 0, 0xffff },
	/* Carries must wrap around: 0xffff + 0x0001 = 0x0001 after folding */
	{ "carry", (const uint8_t *)"\xff\xff\x00\x01", 4, 0xfffe },
};
/* clang-format on */

static void test_csum_vectors(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(csum_vectors); i++) {
		uint16_t got =
		    bs_csum_fold(bs_csum_partial(csum_vectors[i].data, csum_vectors[i].len, 0));
		if (got != csum_vectors[i].csum)
			fprintf(stderr, "csum %s: got %#x want %#x\n", csum_vectors[i].name, got,
				csum_vectors[i].csum);
		CU_ASSERT_EQUAL(got, csum_vectors[i].csum);
	}
}

/* Chained partial sums over even-length pieces equal one sum over all. */
static void test_csum_chained(void)
{
	uint8_t buf[301];
	static const size_t splits[] = {0, 2, 10, 150, 300};

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t i = 0; i < BS_ARRAY_SIZE(splits); i++) {
		size_t s = splits[i];
		uint32_t sum =
		    bs_csum_partial(buf + s, sizeof(buf) - s, bs_csum_partial(buf, s, 0));

		CU_ASSERT_EQUAL(bs_csum_fold(sum),
				bs_csum_fold(bs_csum_partial(buf, sizeof(buf), 0)));
	}
}

/* A frame generated independently (scapy): 02:00:00:00:00:01 ->
   broadcast, 10.231.200.1:67 -> 255.255.255.255:68, id 0x1234, "hello". */
/* clang-format off */
static const uint8_t kat_frame[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x95, 0xb0, 0x0a, 0xe7,
	0xc8, 0x01, 0xff, 0xff, 0xff, 0xff, 0x00, 0x43, 0x00, 0x44, 0x00, 0x0d, 0xe8, 0x92,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
/* clang-format on */

static void test_build_kat(void)
{
	uint8_t frame[128];
	struct bs_pkt_hdr h = {
	    .dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	    .src_mac = {0x02, 0, 0, 0, 0, 0x01},
	    .src_ip = 0x0ae7c801,
	    .dst_ip = 0xffffffff,
	    .src_port = 67,
	    .dst_port = 68,
	    .ip_id = 0x1234,
	};
	size_t n;

	memset(frame, 0xa5, sizeof(frame));
	memcpy(frame + BS_PKT_UDP_HEADROOM, "hello", 5);
	n = bs_pkt_build_udp(frame, &h, 5);
	CU_ASSERT_EQUAL(n, sizeof(kat_frame));
	CU_ASSERT(n == sizeof(kat_frame) && memcmp(frame, kat_frame, n) == 0);
	CU_ASSERT_EQUAL(bs_udp_csum(0x0ae7c801, 0xffffffff,
				    (const uint8_t[]){0x00, 0x43, 0x00, 0x44, 0x00, 0x0d, 0x00,
						      0x00, 'h', 'e', 'l', 'l', 'o'},
				    13),
			0xe892);
}

static void test_build_too_big(void)
{
	static uint8_t frame[70000];
	struct bs_pkt_hdr h = {.src_port = 1, .dst_port = 2};

	CU_ASSERT_EQUAL(bs_pkt_build_udp(frame, &h, 65535 - 28 + 1), 0);
	CU_ASSERT_EQUAL(bs_pkt_build_udp(frame, &h, 65535 - 28), 65535 + BS_ETH_HLEN);
}

/* ---- build -> parse round trips ---- */

/* clang-format off */
static const struct {
	size_t payload_len;
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
} rt_cases[] = {
	{ 0, 0x0ae7c801, 0xffffffff, 67, 68 },
	{ 1, 0x0ae7c801, 0x0ae7c864, 69, 1024 },
	{ 2, 0, 0xffffffff, 68, 67 },
	{ 300, 0xc0a80001, 0xc0a800c7, 4011, 68 },
	{ 513, 0x7f000001, 0x7f000001, 1, 65535 },
	{ 1472, 0xfffffffe, 0x00000001, 65535, 1 },
	{ 65507, 0x0a000001, 0x0a000002, 10000, 20000 },
};
/* clang-format on */

static void test_round_trip(void)
{
	static uint8_t frame[BS_PKT_UDP_HEADROOM + 65536];

	for (size_t i = 0; i < BS_ARRAY_SIZE(rt_cases); i++) {
		struct bs_pkt_hdr h = {
		    .dst_mac = {2, 0, 0, 0, 0, 2},
		    .src_mac = {2, 0, 0, 0, 0, 1},
		    .src_ip = rt_cases[i].src_ip,
		    .dst_ip = rt_cases[i].dst_ip,
		    .src_port = rt_cases[i].src_port,
		    .dst_port = rt_cases[i].dst_port,
		    .ip_id = (uint16_t)i,
		};
		struct bs_pkt_udp u;
		size_t n, len = rt_cases[i].payload_len;

		for (size_t j = 0; j < len; j++)
			frame[BS_PKT_UDP_HEADROOM + j] = (uint8_t)(j ^ i);
		n = bs_pkt_build_udp(frame, &h, len);
		CU_ASSERT_EQUAL(n, BS_PKT_UDP_HEADROOM + len);
		CU_ASSERT_EQUAL(bs_pkt_parse_eth(frame, n, &u), BS_PKT_OK);
		CU_ASSERT_EQUAL(u.src_ip, h.src_ip);
		CU_ASSERT_EQUAL(u.dst_ip, h.dst_ip);
		CU_ASSERT_EQUAL(u.src_port, h.src_port);
		CU_ASSERT_EQUAL(u.dst_port, h.dst_port);
		CU_ASSERT_EQUAL(u.ttl, 64);
		CU_ASSERT_EQUAL(u.vlan, -1);
		CU_ASSERT(memcmp(u.src_mac, h.src_mac, 6) == 0);
		CU_ASSERT(memcmp(u.dst_mac, h.dst_mac, 6) == 0);
		CU_ASSERT_EQUAL(u.payload_len, len);
		CU_ASSERT_PTR_EQUAL(u.payload, frame + BS_PKT_UDP_HEADROOM);
		CU_ASSERT_PTR_EQUAL(u.ip_hdr, frame + BS_ETH_HLEN);
		/* The UDP checksum is never left out: zero would mean "none". */
		CU_ASSERT_NOT_EQUAL(get_be16(frame + BS_ETH_HLEN + BS_IPV4_HLEN + 6), 0);
		/* The IP layer alone parses the same. */
		CU_ASSERT_EQUAL(bs_pkt_parse_ipv4(frame + BS_ETH_HLEN, n - BS_ETH_HLEN, &u),
				BS_PKT_OK);
		CU_ASSERT_EQUAL(u.payload_len, len);
		CU_ASSERT_EQUAL(u.vlan, -1);
	}
}

/* ---- crafted frames -> verdicts ---- */

enum fix { KEEP = 0, FIX, ZERO };

#define END_OF_EDITS                                                                               \
	{                                                                                          \
		0, 0, 0                                                                            \
	}
struct edit {
	int off; /* from the start of the IPv4 header; -2/-1: the ethertype */
	uint8_t val;
	uint8_t used;
};

#define E(o, v)                                                                                    \
	{                                                                                          \
		(o), (v), 1                                                                        \
	}
#define CUT(n) ((n) + 1) /* so that 0 can mean "no cut" */

struct frame_case {
	const char *name;
	int vlan; /* -1: untagged; else tag with this id */
	size_t payload_len;
	struct edit edits[4];
	uint8_t ip_csum;  /* enum fix: recompute after the edits? */
	uint8_t udp_csum; /* enum fix */
	long trunc;	  /* CUT(n): cut the frame to n bytes; < 0: shorten by */
	long pad;	  /* extra bytes after the frame (Ethernet padding) */
	enum bs_pkt_verdict expect;
	long expect_payload; /* -1: don't care */
};

/* Offsets inside the IPv4 header (IP_*) and after it (UDP_*). */
#define IP_VIHL	  0
#define IP_TOTLEN 2
#define IP_FRAG	  6
#define IP_PROTO  9
#define IP_CSUM	  10
#define UDP_LEN	  (20 + 4)
#define UDP_CSUM  (20 + 6)

/* clang-format off */
static const struct frame_case frame_cases[] = {
	{ "valid", -1, 100, { END_OF_EDITS }, KEEP, KEEP, 0, 0, BS_PKT_OK, 100 },
	{ "valid empty payload", -1, 0, { END_OF_EDITS }, KEEP, KEEP, 0, 0, BS_PKT_OK, 0 },
	{ "valid padded to 60", -1, 4, { END_OF_EDITS }, KEEP, KEEP, 0, 14, BS_PKT_OK, 4 },
	{ "valid vlan", 42, 100, { END_OF_EDITS }, KEEP, KEEP, 0, 0, BS_PKT_OK, 100 },
	{ "valid no udp csum", -1, 100, { END_OF_EDITS }, KEEP, ZERO, 0, 0, BS_PKT_OK, 100 },
	{ "udp shorter than ip payload", -1, 100, { E(UDP_LEN, 0), E(UDP_LEN + 1, 50) }, KEEP, FIX,
	  0, 0, BS_PKT_OK, 42 },
	{ "empty frame", -1, 100, { END_OF_EDITS }, KEEP, KEEP, CUT(0), 0, BS_PKT_TRUNC_ETH, -1 },
	{ "eth truncated", -1, 100, { END_OF_EDITS }, KEEP, KEEP, CUT(13), 0, BS_PKT_TRUNC_ETH, -1 },
	{ "vlan truncated", 7, 100, { END_OF_EDITS }, KEEP, KEEP, CUT(16), 0, BS_PKT_TRUNC_VLAN, -1 },
	{ "arp", -1, 100, { E(-2, 0x08), E(-1, 0x06) }, KEEP, KEEP, 0, 0, BS_PKT_NOT_IPV4, -1 },
	{ "ipv6", -1, 100, { E(-2, 0x86), E(-1, 0xdd) }, KEEP, KEEP, 0, 0, BS_PKT_NOT_IPV4, -1 },
	{ "double tag", 5, 100, { E(-2, 0x81), E(-1, 0x00) }, KEEP, KEEP, 0, 0, BS_PKT_NOT_IPV4,
	  -1 },
	{ "ip truncated", -1, 100, { END_OF_EDITS }, KEEP, KEEP, CUT(14 + 19), 0, BS_PKT_TRUNC_IP, -1 },
	{ "ip truncated vlan", 1, 100, { END_OF_EDITS }, KEEP, KEEP, CUT(18 + 10), 0, BS_PKT_TRUNC_IP,
	  -1 },
	{ "version 6", -1, 100, { E(IP_VIHL, 0x65) }, FIX, KEEP, 0, 0, BS_PKT_BAD_VERSION, -1 },
	{ "ihl 4", -1, 100, { E(IP_VIHL, 0x44) }, FIX, KEEP, 0, 0, BS_PKT_BAD_IHL, -1 },
	{ "ihl 0", -1, 100, { E(IP_VIHL, 0x40) }, KEEP, KEEP, 0, 0, BS_PKT_BAD_IHL, -1 },
	{ "ihl beyond frame", -1, 0, { E(IP_VIHL, 0x4f) }, KEEP, KEEP, 0, 0, BS_PKT_BAD_IHL, -1 },
	{ "ihl beyond total length", -1, 100, { E(IP_VIHL, 0x4f), E(IP_TOTLEN, 0),
	  E(IP_TOTLEN + 1, 40) }, FIX, KEEP, 0, 0, BS_PKT_BAD_TOTLEN, -1 },
	{ "total length > frame", -1, 100, { E(IP_TOTLEN, 0x01), E(IP_TOTLEN + 1, 0x00) }, FIX, KEEP,
	  0, 0, BS_PKT_BAD_TOTLEN, -1 },
	{ "total length < header", -1, 100, { E(IP_TOTLEN, 0), E(IP_TOTLEN + 1, 19) }, FIX, KEEP, 0,
	  0, BS_PKT_BAD_TOTLEN, -1 },
	{ "frame cut in payload", -1, 100, { END_OF_EDITS }, KEEP, KEEP, -1, 0, BS_PKT_BAD_TOTLEN,
	  -1 },
	{ "bad ip csum", -1, 100, { E(IP_CSUM, 0x12) }, KEEP, KEEP, 0, 0, BS_PKT_BAD_IP_CSUM, -1 },
	{ "ip field changed, csum not", -1, 100, { E(8, 1) }, KEEP, KEEP, 0, 0, BS_PKT_BAD_IP_CSUM,
	  -1 },
	{ "more fragments", -1, 100, { E(IP_FRAG, 0x20) }, FIX, KEEP, 0, 0, BS_PKT_FRAGMENT, -1 },
	{ "fragment offset", -1, 100, { E(IP_FRAG + 1, 0x01) }, FIX, KEEP, 0, 0, BS_PKT_FRAGMENT,
	  -1 },
	{ "dont fragment is fine", -1, 100, { E(IP_FRAG, 0x40) }, FIX, KEEP, 0, 0, BS_PKT_OK, 100 },
	{ "tcp", -1, 100, { E(IP_PROTO, 6) }, FIX, KEEP, 0, 0, BS_PKT_NOT_UDP, -1 },
	{ "udp header truncated", -1, 0, { E(IP_TOTLEN, 0), E(IP_TOTLEN + 1, 27) }, FIX, KEEP, 0, 0,
	  BS_PKT_TRUNC_UDP, -1 },
	{ "udp length > ip payload", -1, 100, { E(UDP_LEN, 0), E(UDP_LEN + 1, 109) }, KEEP, KEEP, 0,
	  0, BS_PKT_BAD_UDP_LEN, -1 },
	{ "udp length < 8", -1, 100, { E(UDP_LEN, 0), E(UDP_LEN + 1, 7) }, KEEP, KEEP, 0, 0,
	  BS_PKT_BAD_UDP_LEN, -1 },
	{ "udp length huge", -1, 100, { E(UDP_LEN, 0xff), E(UDP_LEN + 1, 0xff) }, KEEP, KEEP, 0, 0,
	  BS_PKT_BAD_UDP_LEN, -1 },
	{ "bad udp csum", -1, 100, { E(UDP_CSUM, 0x55) }, KEEP, KEEP, 0, 0, BS_PKT_BAD_UDP_CSUM,
	  -1 },
	{ "payload changed, csum not", -1, 100, { E(UDP_CSUM + 10, 0x55) }, KEEP, KEEP, 0, 0,
	  BS_PKT_BAD_UDP_CSUM, -1 },
	{ "bad udp csum vlan", 9, 100, { E(UDP_CSUM + 1, 0x55) }, KEEP, KEEP, 0, 0,
	  BS_PKT_BAD_UDP_CSUM, -1 },
};
/* clang-format on */

/* Build the case's frame into buf; returns its length. */
static size_t craft(const struct frame_case *fc, uint8_t *buf, size_t cap)
{
	uint8_t tmp[2048];
	struct bs_pkt_hdr h = {
	    .dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	    .src_mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
	    .src_ip = 0,
	    .dst_ip = 0xffffffff,
	    .src_port = 68,
	    .dst_port = 67,
	    .ip_id = 7,
	};
	size_t n, ipoff = BS_ETH_HLEN;
	uint8_t *ip, *udp;

	for (size_t i = 0; i < fc->payload_len; i++)
		tmp[BS_PKT_UDP_HEADROOM + i] = (uint8_t)(i * 7);
	n = bs_pkt_build_udp(tmp, &h, fc->payload_len);
	if (fc->vlan >= 0) {
		/* Insert the tag after the MAC addresses. */
		memcpy(buf, tmp, 12);
		put_be16(buf + 12, BS_ETHERTYPE_VLAN);
		put_be16(buf + 14, (uint16_t)fc->vlan);
		memcpy(buf + 16, tmp + 12, n - 12);
		n += BS_VLAN_HLEN;
		ipoff += BS_VLAN_HLEN;
	} else {
		memcpy(buf, tmp, n);
	}
	CU_ASSERT_FATAL(n + (size_t)fc->pad <= cap);
	memset(buf + n, 0, (size_t)fc->pad);
	ip = buf + ipoff;
	udp = ip + BS_IPV4_HLEN;
	for (size_t i = 0; i < BS_ARRAY_SIZE(fc->edits) && fc->edits[i].used; i++)
		ip[fc->edits[i].off] = fc->edits[i].val;
	if (fc->udp_csum != KEEP) {
		size_t ulen = get_be16(udp + 4);

		put_be16(udp + 6, 0);
		if (fc->udp_csum == FIX)
			put_be16(udp + 6,
				 bs_udp_csum(get_be32(ip + 12), get_be32(ip + 16), udp, ulen));
	}
	if (fc->ip_csum == FIX) {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

		if (ihl > BS_IPV4_HLEN)
			ihl = BS_IPV4_HLEN; /* only the header we built has defined bytes */
		put_be16(ip + 10, 0);
		put_be16(ip + 10, bs_csum_fold(bs_csum_partial(ip, ihl, 0)));
	}
	n += (size_t)fc->pad;
	if (fc->trunc > 0)
		n = (size_t)fc->trunc - 1; /* undo CUT() */
	else if (fc->trunc < 0)
		n -= (size_t)-fc->trunc;
	return n;
}

static void test_crafted_frames(void)
{
	uint8_t buf[2048];

	for (size_t i = 0; i < BS_ARRAY_SIZE(frame_cases); i++) {
		const struct frame_case *fc = &frame_cases[i];
		struct bs_pkt_udp u;
		size_t n = craft(fc, buf, sizeof(buf));
		enum bs_pkt_verdict v = bs_pkt_parse_eth(buf, n, &u);

		if (v != fc->expect)
			fprintf(stderr, "frame case '%s': got %s, want %s\n", fc->name,
				bs_pkt_verdict_name(v), bs_pkt_verdict_name(fc->expect));
		CU_ASSERT_EQUAL(v, fc->expect);
		if (v != BS_PKT_OK || fc->expect != BS_PKT_OK)
			continue;
		if (fc->expect_payload >= 0)
			CU_ASSERT_EQUAL(u.payload_len, (size_t)fc->expect_payload);
		CU_ASSERT_EQUAL(u.vlan, fc->vlan);
		CU_ASSERT_EQUAL(u.src_port, 68);
		CU_ASSERT_EQUAL(u.dst_port, 67);
		CU_ASSERT_EQUAL(u.dst_ip, 0xffffffff);
		/* The payload lies inside the frame. */
		CU_ASSERT(u.payload >= buf && u.payload + u.payload_len <= buf + n);
	}
}

/* An IPv4 header with options (IHL 6) is accepted and skipped. */
static void test_ip_options(void)
{
	uint8_t tmp[256], frame[256];
	struct bs_pkt_hdr h = {
	    .src_ip = 0x0a000001, .dst_ip = 0x0a000002, .src_port = 69, .dst_port = 2000};
	struct bs_pkt_udp u;
	size_t n, udp_len;
	uint8_t *ip = frame + BS_ETH_HLEN, *udp;

	memcpy(tmp + BS_PKT_UDP_HEADROOM, "payload!", 8);
	n = bs_pkt_build_udp(tmp, &h, 8);
	memcpy(frame, tmp, BS_ETH_HLEN + BS_IPV4_HLEN);
	memset(ip + BS_IPV4_HLEN, 1, 4); /* four NOP options */
	memcpy(ip + 24, tmp + BS_ETH_HLEN + BS_IPV4_HLEN, n - BS_ETH_HLEN - BS_IPV4_HLEN);
	n += 4;
	ip[0] = 0x46;
	put_be16(ip + 2, (uint16_t)(n - BS_ETH_HLEN));
	put_be16(ip + 10, 0);
	put_be16(ip + 10, bs_csum_fold(bs_csum_partial(ip, 24, 0)));
	udp = ip + 24;
	udp_len = get_be16(udp + 4);
	CU_ASSERT_EQUAL(udp_len, 16);
	CU_ASSERT_EQUAL(bs_pkt_parse_eth(frame, n, &u), BS_PKT_OK);
	CU_ASSERT_EQUAL(u.payload_len, 8);
	CU_ASSERT(u.payload_len == 8 && memcmp(u.payload, "payload!", 8) == 0);
	/* The options are checksummed: damage one and the header fails. */
	ip[21] = 0;
	CU_ASSERT_EQUAL(bs_pkt_parse_eth(frame, n, &u), BS_PKT_BAD_IP_CSUM);
}

/* Every prefix of a valid frame is rejected without reading past it. */
static void test_every_truncation(void)
{
	uint8_t tmp[BS_PKT_UDP_HEADROOM + 64];
	struct bs_pkt_hdr h = {.src_ip = 1, .dst_ip = 2, .src_port = 3, .dst_port = 4};
	struct bs_pkt_udp u;
	size_t n;

	memset(tmp + BS_PKT_UDP_HEADROOM, 0x5a, 64);
	n = bs_pkt_build_udp(tmp, &h, 64);
	for (size_t len = 0; len < n; len++) {
		/* An exact-size heap copy lets ASan catch any overread. */
		uint8_t *copy = len ? malloc(len) : NULL;
		enum bs_pkt_verdict v;

		if (len)
			memcpy(copy, tmp, len);
		v = bs_pkt_parse_eth(copy, len, &u);
		CU_ASSERT_NOT_EQUAL(v, BS_PKT_OK);
		free(copy);
	}
	CU_ASSERT_EQUAL(bs_pkt_parse_eth(tmp, n, &u), BS_PKT_OK);
}

/* Deterministic LCG: the same "random" frames on every run. */
static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

/*
 * Random damage to valid frames: whatever the verdict, the parser reads
 * nothing past the frame (ASan watches exact-size copies) and an accepted
 * payload lies inside it.
 */
static void test_random_damage(void)
{
	uint32_t seed = 42;
	unsigned accepted = 0, outside = 0;

	for (int iter = 0; iter < 20000; iter++) {
		uint8_t tmp[BS_PKT_UDP_HEADROOM + 400];
		struct bs_pkt_hdr h = {.src_ip = lcg(&seed),
				       .dst_ip = lcg(&seed),
				       .src_port = (uint16_t)lcg(&seed),
				       .dst_port = (uint16_t)lcg(&seed)};
		size_t plen = lcg(&seed) % 300, n, cut;
		struct bs_pkt_udp u;
		uint8_t *copy;

		for (size_t i = 0; i < plen; i++)
			tmp[BS_PKT_UDP_HEADROOM + i] = (uint8_t)lcg(&seed);
		n = bs_pkt_build_udp(tmp, &h, plen);
		for (unsigned k = lcg(&seed) % 4; k > 0; k--)
			tmp[lcg(&seed) % n] = (uint8_t)lcg(&seed);
		cut = lcg(&seed) % 3 == 0 ? lcg(&seed) % (n + 1) : n;
		copy = malloc(cut ? cut : 1);
		if (!copy) {
			CU_FAIL("out of memory");
			return;
		}
		memcpy(copy, tmp, cut);
		if (bs_pkt_parse_eth(copy, cut, &u) == BS_PKT_OK) {
			accepted++;
			if (u.payload < copy || u.payload + u.payload_len > copy + cut)
				outside++;
		}
		free(copy);
	}
	/* Some damage misses the headers (MACs, payload when the checksum
	   survives); most must not get through. */
	CU_ASSERT_EQUAL(outside, 0);
	CU_ASSERT(accepted > 0);
	CU_ASSERT(accepted < 20000 / 2);
}

static void test_verdict_names(void)
{
	for (int v = 0; v < BS_PKT_VERDICT_COUNT; v++) {
		CU_ASSERT_PTR_NOT_NULL(bs_pkt_verdict_name((enum bs_pkt_verdict)v));
		CU_ASSERT_STRING_NOT_EQUAL(bs_pkt_verdict_name((enum bs_pkt_verdict)v), "unknown");
	}
	CU_ASSERT_STRING_EQUAL(bs_pkt_verdict_name(BS_PKT_VERDICT_COUNT), "unknown");
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"checksum known answers", test_csum_vectors},
	    {"checksum chained partial sums", test_csum_chained},
	    {"build known-answer frame", test_build_kat},
	    {"build refuses oversize payload", test_build_too_big},
	    {"build -> parse round trip", test_round_trip},
	    {"crafted frames -> verdicts", test_crafted_frames},
	    {"ipv4 options", test_ip_options},
	    {"every truncation rejected", test_every_truncation},
	    {"random damage stays in bounds", test_random_damage},
	    {"verdict names", test_verdict_names},
	    {0},
	};
	return unit_run("pkt", tests);
}
