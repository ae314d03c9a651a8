/* SPDX-License-Identifier: MIT */
/* DHCP wire format: decoding hostile requests, laying out replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dhcp_wire.h"
#include "unit.h"
#include "util/bytes.h"

#define MAXPKT 1500

/* Build a BOOTREQUEST: header, cookie, then the given option bytes. */
static size_t build(uint8_t *b, const uint8_t *opts, size_t optlen)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memset(b, 0, MAXPKT);
	b[DHCP_OFF_OP] = BOOTREQUEST;
	b[DHCP_OFF_HTYPE] = 1;
	b[DHCP_OFF_HLEN] = 6;
	put_be32(b + DHCP_OFF_XID, 0xdeadbeef);
	memcpy(b + DHCP_OFF_CHADDR, mac, 6);
	put_be32(b + DHCP_OFF_COOKIE, DHCP_MAGIC);
	if (optlen)
		memcpy(b + DHCP_OFF_OPTIONS, opts, optlen);
	return DHCP_OFF_OPTIONS + optlen;
}

struct decode_case {
	const char *desc;
	uint8_t opts[48];
	size_t optlen;
	uint8_t file[24]; /* copied into the file field */
	size_t filelen;
	uint8_t sname[24];
	size_t snamelen;
	int hdr; /* 0 valid; 1 op=2; 2 htype=6; 3 hlen=16; 4 hlen=255; 5 bad cookie */
	int expect;
	uint8_t msgtype;
	uint8_t code; /* option to check when expect == 0 (0: none) */
	uint8_t clen;
	const char *cdata;
};

#define O(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

static const struct decode_case decode_cases[] = {
    {"minimal discover", O(53, 1, 1, 255), .expect = 0, .msgtype = 1},
    {"pads around options", O(0, 0, 53, 1, 3, 0, 0, 255), .expect = 0, .msgtype = 3},
    {"garbage after end ignored", O(53, 1, 8, 255, 7, 200, 1), .expect = 0, .msgtype = 8},
    {"missing end", O(53, 1, 1), .expect = -EBADMSG},
    {"only pads, no end", O(0, 0, 0, 0), .expect = -EBADMSG},
    {"option length past end", O(53, 1, 1, 12, 10, 'a', 255), .expect = -EBADMSG},
    {"code without length byte", O(53, 1, 1, 12), .expect = -EBADMSG},
    {"zero-length option", O(53, 1, 1, 77, 0, 255), .expect = 0, .msgtype = 1, .code = 77,
     .clen = 0, .cdata = ""},
    {"msgtype length 2", O(53, 2, 1, 1, 255), .expect = -EBADMSG},
    {"msgtype 0", O(53, 1, 0, 255), .expect = -EPROTONOSUPPORT},
    {"msgtype 9", O(53, 1, 9, 255), .expect = -EPROTONOSUPPORT},
    {"no msgtype (BOOTP)", O(12, 1, 'x', 255), .expect = 0, .msgtype = 0, .code = 12, .clen = 1,
     .cdata = "x"},
    {"RFC 3396 concatenation", O(53, 1, 1, 77, 2, 'a', 'b', 12, 1, 'h', 77, 2, 'c', 'd', 255),
     .expect = 0, .msgtype = 1, .code = 77, .clen = 4, .cdata = "abcd"},
    {"interleaved concatenation",
     O(77, 1, 'a', 60, 1, 'x', 77, 1, 'b', 60, 1, 'y', 77, 1, 'c', 53, 1, 1, 255), .expect = 0,
     .msgtype = 1, .code = 77, .clen = 3, .cdata = "abc"},
    {"overload file", O(53, 1, 1, 52, 1, 1, 255), .file = {12, 3, 'a', 'b', 'c', 255}, .filelen = 6,
     .expect = 0, .msgtype = 1, .code = 12, .clen = 3, .cdata = "abc"},
    {"overload sname", O(53, 1, 1, 52, 1, 2, 255), .sname = {12, 2, 'x', 'y', 255}, .snamelen = 5,
     .expect = 0, .msgtype = 1, .code = 12, .clen = 2, .cdata = "xy"},
    {"overload both, concatenated in order", O(77, 1, 'a', 52, 1, 3, 53, 1, 1, 255),
     .file = {77, 1, 'b', 255}, .filelen = 4, .sname = {77, 1, 'c', 255}, .snamelen = 4,
     .expect = 0, .msgtype = 1, .code = 77, .clen = 3, .cdata = "abc"},
    {"overload loop: 52 inside file", O(53, 1, 1, 52, 1, 1, 255), .file = {52, 1, 3, 255},
     .filelen = 4, .expect = -EBADMSG},
    {"overload twice", O(53, 1, 1, 52, 1, 1, 52, 1, 2, 255), .file = {255}, .filelen = 1,
     .sname = {255}, .snamelen = 1, .expect = -EBADMSG},
    {"overload value 4", O(53, 1, 1, 52, 1, 4, 255), .expect = -EBADMSG},
    {"overload length 2", O(53, 1, 1, 52, 2, 1, 1, 255), .expect = -EBADMSG},
    {"overloaded file without end", O(53, 1, 1, 52, 1, 1, 255), .file = {12, 1, 'a'}, .filelen = 3,
     .expect = -EBADMSG},
    {"overloaded file option past field", O(53, 1, 1, 52, 1, 1, 255), .file = {0}, .filelen = 0,
     .expect = -EBADMSG}, /* patched below: len past 128 */
    {"op BOOTREPLY", O(53, 1, 1, 255), .hdr = 1, .expect = -EPROTONOSUPPORT},
    {"htype 6 (token ring)", O(53, 1, 1, 255), .hdr = 2, .expect = -EPROTONOSUPPORT},
    {"hlen 16", O(53, 1, 1, 255), .hdr = 3, .expect = -EPROTONOSUPPORT},
    {"huge hlen 255", O(53, 1, 1, 255), .hdr = 4, .expect = -EPROTONOSUPPORT},
    {"bad magic cookie", O(53, 1, 1, 255), .hdr = 5, .expect = -EBADMSG},
};

static void test_decode_table(void)
{
	static uint8_t b[MAXPKT];
	static struct dhcp_msg m;

	for (size_t i = 0; i < BS_ARRAY_SIZE(decode_cases); i++) {
		const struct decode_case *t = &decode_cases[i];
		size_t len = build(b, t->opts, t->optlen), l;
		const uint8_t *d;
		int rc;

		memcpy(b + DHCP_OFF_FILE, t->file, t->filelen);
		memcpy(b + DHCP_OFF_SNAME, t->sname, t->snamelen);
		if (strstr(t->desc, "past field")) {
			/* Last option in file claims more bytes than are left. */
			b[DHCP_OFF_FILE + 120] = 12;
			b[DHCP_OFF_FILE + 121] = 20;
		}
		switch (t->hdr) {
		case 1:
			b[DHCP_OFF_OP] = BOOTREPLY;
			break;
		case 2:
			b[DHCP_OFF_HTYPE] = 6;
			break;
		case 3:
			b[DHCP_OFF_HLEN] = 16;
			break;
		case 4:
			b[DHCP_OFF_HLEN] = 255;
			break;
		case 5:
			b[DHCP_OFF_COOKIE] ^= 1;
			break;
		}
		rc = dhcp_msg_decode(&m, b, len);
		if (rc != t->expect)
			fprintf(stderr, "case '%s': rc %d, want %d\n", t->desc, rc, t->expect);
		CU_ASSERT_EQUAL(rc, t->expect);
		if (rc || t->expect)
			continue;
		CU_ASSERT_EQUAL(m.msgtype, t->msgtype);
		CU_ASSERT_EQUAL(m.xid, 0xdeadbeef);
		CU_ASSERT_EQUAL(m.chaddr[5], 0x56);
		if (!t->code)
			continue;
		d = dhcp_opt_get(&m, t->code, &l);
		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT_EQUAL(l, t->clen);
		if (d && l == t->clen)
			CU_ASSERT(memcmp(d, t->cdata, l) == 0);
	}
}

/* Every truncation of a valid packet: never a crash; short = malformed. */
static void test_truncation(void)
{
	static const uint8_t opts[] = {53,  1,	 3,   50,  4,	10,  0,	 0,  5,	 54, 4,	  10,  0,
				       0,   1,	 55,  4,   1,	3,   6,	 15, 60, 9,  'P', 'X', 'E',
				       'C', 'l', 'i', 'e', 'n', 't', 93, 2,  0,	 7,  255};
	static uint8_t b[MAXPKT];
	static struct dhcp_msg m;
	size_t full = build(b, opts, sizeof(opts));

	for (size_t len = 0; len <= full; len++) {
		/* A fresh heap copy of exactly len bytes: ASan sees overreads. */
		uint8_t *p = malloc(len ? len : 1);
		int rc;

		memcpy(p, b, len);
		rc = dhcp_msg_decode(&m, p, len);
		CU_ASSERT_EQUAL(rc, len == full ? 0 : -EBADMSG);
		if (len == full) { /* option data points into p: check before free */
			CU_ASSERT_EQUAL(dhcp_opt_ip(&m, 50), 0x0a000005);
			CU_ASSERT(dhcp_opt_prefix(&m, 60, "PXEClient"));
			CU_ASSERT(!dhcp_opt_prefix(&m, 60, "HTTPClient"));
		}
		free(p);
	}
}

/* Random option bytes behind a valid header: any verdict, never a crash. */
static void test_random_options(void)
{
	static uint8_t b[MAXPKT];
	static struct dhcp_msg m;
	unsigned seed = 12345, ok = 0, bad = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(rand_r(&seed) % 400);
		uint8_t opts[400];
		uint8_t *p;
		int rc;

		for (size_t i = 0; i < n; i++)
			opts[i] = (uint8_t)(rand_r(&seed) % 8 == 0 ? 52 : rand_r(&seed));
		build(b, opts, n);
		for (size_t i = 0; i < DHCP_FILE_LEN; i++)
			b[DHCP_OFF_FILE + i] = (uint8_t)rand_r(&seed);
		p = malloc(DHCP_OFF_OPTIONS + n);
		memcpy(p, b, DHCP_OFF_OPTIONS + n);
		rc = dhcp_msg_decode(&m, p, DHCP_OFF_OPTIONS + n);
		free(p);
		CU_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		if (rc == 0)
			ok++;
		else
			bad++;
	}
	CU_ASSERT(bad > 0);
	(void)ok;
}

struct maxmsg_case {
	const char *desc;
	uint8_t opts[8];
	size_t optlen;
	size_t expect;
};

static const struct maxmsg_case maxmsg_cases[] = {
    {"absent", O(53, 1, 1, 255), 548},
    {"1000", O(57, 2, 0x03, 0xe8, 255), 972},
    {"below 576 clamps up", O(57, 2, 0x01, 0x2c, 255), 548},
    {"above MTU clamps down", O(57, 2, 0x23, 0x28, 255), DHCP_MAX_REPLY},
    {"bad length ignored", O(57, 1, 0xff, 255), 548},
};

static void test_max_msg(void)
{
	static uint8_t b[MAXPKT];
	static struct dhcp_msg m;

	for (size_t i = 0; i < BS_ARRAY_SIZE(maxmsg_cases); i++) {
		const struct maxmsg_case *t = &maxmsg_cases[i];

		CU_ASSERT_EQUAL_FATAL(dhcp_msg_decode(&m, b, build(b, t->opts, t->optlen)), 0);
		CU_ASSERT_EQUAL(dhcp_reply_max(&m), t->expect);
	}
}

/* ---- encoder ---- */

/* Decode a reply with the request decoder (flip op). */
static int decode_reply(const uint8_t *r, size_t len, struct dhcp_msg *m)
{
	static uint8_t copy[MAXPKT];

	memcpy(copy, r, len);
	copy[DHCP_OFF_OP] = BOOTREQUEST;
	return dhcp_msg_decode(m, copy, len);
}

struct enc_case {
	const char *desc;
	unsigned nopts; /* options 200..200+n-1, each optsize bytes */
	size_t optsize;
	size_t cap;
	bool overload, file_free, sname_free;
	unsigned dropped;
	uint8_t overload_val; /* option 52 expected value, 0 = absent */
};

static const struct enc_case enc_cases[] = {
    {"small reply fits", 3, 4, 548, true, true, true, 0, 0},
    {"fits near the limit", 1, 548 - 240 - 1 - 2 - 2 - 3, 548, true, true, true, 0, 0},
    {"spills into file", 6, 50, 548, true, true, true, 0, 1},
    {"spills into file and sname", 8, 50, 548, true, true, true, 0, 3},
    {"file in use: sname only", 6, 50, 548, true, false, true, 0, 2},
    {"no_override: dropped", 6, 50, 548, false, true, true, 1, 0},
    {"nothing free: dropped", 6, 50, 548, true, false, false, 1, 0},
    {"bigger client limit: no overload", 6, 50, 1000, true, true, true, 0, 0},
    {"long option split (RFC 3396)", 1, 400, 1000, true, true, true, 0, 0},
};

static void test_encode_table(void)
{
	static uint8_t r[MAXPKT];
	static struct dhcp_opts o;
	static struct dhcp_msg m;

	for (size_t i = 0; i < BS_ARRAY_SIZE(enc_cases); i++) {
		const struct enc_case *t = &enc_cases[i];
		uint8_t data[600];
		unsigned dropped = 99, present = 0;
		int n;

		memset(r, 0, sizeof(r));
		build(r, NULL, 0);
		if (!t->file_free)
			strcpy((char *)r + DHCP_OFF_FILE, "pxelinux.0");
		if (!t->sname_free)
			strcpy((char *)r + DHCP_OFF_SNAME, "boot");
		dhcp_opts_init(&o);
		dhcp_opts_add_u8(&o, DHO_MSG_TYPE, DHCPOFFER);
		for (unsigned k = 0; k < t->nopts; k++) {
			memset(data, (int)(k + 1), t->optsize);
			CU_ASSERT_EQUAL(dhcp_opts_add(&o, (uint8_t)(200 + k), data, t->optsize), 0);
		}
		n = dhcp_opts_finish(&o, r, t->cap, t->overload, t->file_free, t->sname_free,
				     &dropped);
		if (dropped != t->dropped)
			fprintf(stderr, "case '%s': dropped %u\n", t->desc, dropped);
		CU_ASSERT(n >= DHCP_MIN_REPLY && (size_t)n <= t->cap);
		CU_ASSERT_EQUAL(dropped, t->dropped);
		CU_ASSERT_EQUAL_FATAL(decode_reply(r, (size_t)n, &m), 0);
		CU_ASSERT_EQUAL(m.overload, t->overload_val);
		CU_ASSERT_EQUAL(m.msgtype, DHCPOFFER);
		for (unsigned k = 0; k < t->nopts; k++) {
			size_t l;
			const uint8_t *d = dhcp_opt_get(&m, (uint8_t)(200 + k), &l);

			if (!d)
				continue;
			present++;
			CU_ASSERT_EQUAL(l, t->optsize);
			CU_ASSERT(l && d[0] == k + 1 && d[l - 1] == k + 1);
		}
		CU_ASSERT_EQUAL(present, t->nopts - t->dropped);
		if (!t->file_free)
			CU_ASSERT_STRING_EQUAL((char *)r + DHCP_OFF_FILE, "pxelinux.0");
	}
}

static void test_opts_replace_and_bounds(void)
{
	static struct dhcp_opts o;
	static uint8_t big[DHCP_OPTS_STORE + 1];

	dhcp_opts_init(&o);
	CU_ASSERT_EQUAL(dhcp_opts_add_u32(&o, 51, 100), 0);
	CU_ASSERT_EQUAL(dhcp_opts_add_u32(&o, 51, 200), 0);
	CU_ASSERT_EQUAL(o.n, 1);
	CU_ASSERT(dhcp_opts_has(&o, 51));
	CU_ASSERT(!dhcp_opts_has(&o, 52));
	CU_ASSERT_EQUAL(dhcp_opts_add(&o, 0, "x", 1), -EINVAL);
	CU_ASSERT_EQUAL(dhcp_opts_add(&o, 255, "x", 1), -EINVAL);
	CU_ASSERT_EQUAL(dhcp_opts_add(&o, 99, big, sizeof(big)), -ENOSPC);
	CU_ASSERT(o.overflow);
	CU_ASSERT_EQUAL(dhcp_opts_finish(&o, big, 100, true, true, true, &(unsigned){0}), -ENOSPC);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"decode table", test_decode_table},
	    {"truncation at every offset", test_truncation},
	    {"random options", test_random_options},
	    {"max message size", test_max_msg},
	    {"encode table", test_encode_table},
	    {"opts replace and bounds", test_opts_replace_and_bounds},
	    {0},
	};
	return unit_run("dhcp_wire", tests);
}
