/* SPDX-License-Identifier: MIT */
/*
 * TFTP server tests: in-memory files, a fake clock, replies captured by
 * txcap. Request packets are copied into exactly-sized heap buffers so
 * ASan flags any read past the end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "proto/tftp.h"
#include "proto/tftp_wire.h"
#include "util/bytes.h"
#include "util/events.h"

#define CLIENT_IP 0x0a000005u /* 10.0.0.5 */
#define SERVER_IP 0x0a000001u /* 10.0.0.1 */
#define PORT_LO	  40000
#define PORT_HI	  40003

/* "\0"-separated strings with their length (sizeof counts the final NUL). */
#define S(lit) lit, sizeof(lit)

/* ---- in-memory file source ---------------------------------------------- */

struct memfile {
	const char *name;
	const uint8_t *data;
	size_t size;
	int err; /* returned by open() instead of the file */
};

static struct {
	struct memfile files[16];
	size_t n;
	int opens, closes;
	char last_path[512];
} fs;

static int mem_open(void *arg, const char *path, size_t len, struct tftp_file *out)
{
	(void)arg;
	fs.opens++;
	snprintf(fs.last_path, sizeof(fs.last_path), "%.*s", (int)len, path);
	for (size_t i = 0; i < fs.n; i++) {
		const struct memfile *f = &fs.files[i];

		if (strlen(f->name) != len || memcmp(f->name, path, len) != 0)
			continue;
		if (f->err) {
			fs.opens--;
			return f->err;
		}
		out->data = f->data;
		out->size = f->size;
		out->handle = (void *)f;
		return 0;
	}
	fs.opens--;
	return -ENOENT;
}

static void mem_close(void *arg, struct tftp_file *f)
{
	(void)arg;
	(void)f;
	fs.closes++;
}

static void fs_reset(void)
{
	memset(&fs, 0, sizeof(fs));
}

static void fs_add(const char *name, const void *data, size_t size, int err)
{
	fs.files[fs.n++] = (struct memfile){name, data, size, err};
}

/* Deterministic content so misplaced blocks are noticed. */
static uint8_t *pattern(size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131u + (i >> 8) + (i >> 16));
	return b;
}

/* ---- harness ------------------------------------------------------------ */

static struct tftp_config base_cfg(void)
{
	return (struct tftp_config){
	    .max_transfers = 8,
	    .port_lo = PORT_LO,
	    .port_hi = PORT_HI,
	    .timeout_ms = 1000,
	    .max_retries = 5,
	    .max_blksize = TFTP_BLKSIZE_MAX,
	    .max_windowsize = 64,
	};
}

static struct tftp_server *server(const struct tftp_config *cfg)
{
	struct tftp_files files = {mem_open, mem_close, NULL};
	struct tftp_server *srv = tftp_server_new(cfg, &files, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	return srv;
}

static struct bs_udp_meta meta_from(uint16_t cport, uint16_t dport)
{
	return (struct bs_udp_meta){
	    .ifindex = 2,
	    .src_ip = CLIENT_IP,
	    .dst_ip = SERVER_IP,
	    .src_port = cport,
	    .dst_port = dport,
	    .if_addr = SERVER_IP,
	    .if_mask = 0xffffff00u,
	};
}

/* Feed a copy of exactly len bytes. */
static enum tftp_verdict feed(struct tftp_server *srv, const struct bs_udp_meta *m, const void *pkt,
			      size_t len, uint64_t now, struct txcap *cap)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum tftp_verdict v;

	memcpy(copy, pkt, len);
	v = tftp_input(srv, m, copy, len, now, &cap->tx);
	free(copy);
	return v;
}

/* RRQ: opcode, name\0, mode\0, then opts (already "\0"-separated). */
static size_t make_rrq(uint8_t *b, const char *name, size_t nlen, const char *mode,
		       const char *opts, size_t olen)
{
	size_t n = 0, mlen = strlen(mode);

	put_be16(b, TFTP_OP_RRQ);
	n = 2;
	memcpy(b + n, name, nlen);
	n += nlen;
	b[n++] = 0;
	memcpy(b + n, mode, mlen + 1);
	n += mlen + 1;
	if (olen)
		memcpy(b + n, opts, olen);
	return n + olen;
}

static enum tftp_verdict send_rrq(struct tftp_server *srv, uint16_t cport, const char *name,
				  const char *mode, const char *opts, size_t olen, uint64_t now,
				  struct txcap *cap)
{
	uint8_t b[1024];
	struct bs_udp_meta m = meta_from(cport, TFTP_PORT);
	size_t n = make_rrq(b, name, strlen(name), mode, opts, olen);

	return feed(srv, &m, b, n, now, cap);
}

static enum tftp_verdict send_ack(struct tftp_server *srv, uint16_t cport, uint16_t sport,
				  uint16_t block, uint64_t now, struct txcap *cap)
{
	uint8_t b[4];
	struct bs_udp_meta m = meta_from(cport, sport);

	put_be16(b, TFTP_OP_ACK);
	put_be16(b + 2, block);
	return feed(srv, &m, b, sizeof(b), now, cap);
}

struct stat_find {
	const char *name;
	uint64_t v;
	bool found;
};

static void stat_cb(void *arg, const char *name, uint64_t v)
{
	struct stat_find *s = arg;

	if (strcmp(s->name, name) == 0) {
		s->v = v;
		s->found = true;
	}
}

static uint64_t stat_get(const struct tftp_server *srv, const char *name)
{
	struct stat_find s = {name, 0, false};

	tftp_stats_foreach(srv, stat_cb, &s);
	CU_ASSERT(s.found);
	return s.v;
}

/* Option value in an OACK, -1 if absent; -2 if the OACK is malformed. */
static long long oack_opt(const struct txcap_pkt *p, const char *name)
{
	size_t off = 2;

	if (p->len < 2 || get_be16(p->data) != TFTP_OP_OACK)
		return -2;
	while (off < p->len) {
		const char *k = (const char *)p->data + off;
		const uint8_t *kend = memchr(p->data + off, 0, p->len - off), *vend;

		if (!kend)
			return -2;
		off = (size_t)(kend - p->data) + 1;
		vend = memchr(p->data + off, 0, p->len - off);
		if (!vend)
			return -2;
		if (strcasecmp(k, name) == 0)
			return strtoll((const char *)p->data + off, NULL, 10);
		off = (size_t)(vend - p->data) + 1;
	}
	return -1;
}

static int err_code(const struct txcap_pkt *p)
{
	if (p->len < 5 || get_be16(p->data) != TFTP_OP_ERROR || p->data[p->len - 1] != 0)
		return -1;
	return get_be16(p->data + 2);
}

/*
 * Act as a well-behaved client: take each window from cap, check addresses,
 * block numbers (16-bit, rolling over) and bytes against want, ACK the last
 * block of the window. Returns the number of blocks received.
 */
static uint64_t client_receive(struct tftp_server *srv, struct txcap *cap, uint16_t cport,
			       uint16_t sport, const uint8_t *want, size_t want_len,
			       uint16_t blksize, uint16_t window, bool *saw_zero)
{
	uint64_t blk = 0, off = 0;
	bool last = false;

	while (!last) {
		CU_ASSERT_FATAL(cap->n >= 1);
		for (size_t i = 0; i < cap->n; i++) {
			const struct txcap_pkt *p = &cap->pkts[i];
			size_t n = p->len - 4;

			CU_ASSERT_FATAL(p->len >= 4);
			CU_ASSERT_EQUAL_FATAL(get_be16(p->data), TFTP_OP_DATA);
			CU_ASSERT_EQUAL_FATAL(get_be16(p->data + 2), (uint16_t)(blk + 1));
			CU_ASSERT_EQUAL(p->to.src_port, sport);
			CU_ASSERT_EQUAL(p->to.dst_port, cport);
			CU_ASSERT_EQUAL(p->to.dst_ip, CLIENT_IP);
			CU_ASSERT_EQUAL(p->to.src_ip, SERVER_IP);
			CU_ASSERT_FATAL(n <= blksize && off + n <= want_len);
			CU_ASSERT_FATAL(memcmp(p->data + 4, want + off, n) == 0);
			if (get_be16(p->data + 2) == 0 && saw_zero)
				*saw_zero = true;
			blk++;
			off += n;
			if (n < blksize) {
				last = true;
				CU_ASSERT_EQUAL(i, cap->n - 1);
			}
		}
		if (!last)
			CU_ASSERT_EQUAL_FATAL(cap->n, window);
		txcap_reset(cap);
		send_ack(srv, cport, sport, (uint16_t)blk, 0, cap);
	}
	CU_ASSERT_EQUAL(off, want_len);
	CU_ASSERT_EQUAL(cap->n, 0); /* nothing after the final ACK */
	return blk;
}

/* ---- complete transfers ------------------------------------------------- */

/* Whether an option name appears in a "\0"-separated option list. */
static bool has_opt(const char *opts, size_t len, const char *name)
{
	for (size_t off = 0; opts && off < len; off += strlen(opts + off) + 1)
		if (strcasecmp(opts + off, name) == 0)
			return true;
	return false;
}

struct xfer_case {
	const char *desc;
	const char *mode;
	const char *opts;
	size_t opts_len;
	size_t file_size;
	const char *text;      /* file content for netascii cases (NULL: pattern) */
	const char *want_text; /* expected on the wire for netascii */
	uint16_t max_blksize, max_window;
	/* expected */
	bool oack;
	uint16_t blksize, window;
	long long tsize, timeout; /* in the OACK, -1 absent */
	uint64_t blocks;
};

/* clang-format off */
static const struct xfer_case xfer_cases[] = {
	/* desc, mode, opts, file size, text, wire text, max blksize, max window,
	   OACK?, blksize, window, tsize, timeout, blocks */
	{ "plain octet, no options", "octet", NULL, 0,
	  1000, NULL, NULL, 0, 0, false, 512, 1, -1, -1, 2 },
	{ "mode is case-insensitive", "OcTeT", NULL, 0,
	  10, NULL, NULL, 0, 0, false, 512, 1, -1, -1, 1 },
	{ "blksize 8", "octet", S("blksize\0" "8"),
	  100, NULL, NULL, 0, 0, true, 8, 1, -1, -1, 13 },
	{ "blksize 512", "octet", S("blksize\0" "512"),
	  5000, NULL, NULL, 0, 0, true, 512, 1, -1, -1, 10 },
	{ "blksize 1468, option name upper case", "octet", S("BLKSIZE\0" "1468"),
	  5000, NULL, NULL, 0, 0, true, 1468, 1, -1, -1, 4 },
	{ "blksize 65464", "octet", S("blksize\0" "65464"),
	  200000, NULL, NULL, 0, 0, true, 65464, 1, -1, -1, 4 },
	{ "blksize above cap is lowered", "octet", S("blksize\0" "9000"),
	  5000, NULL, NULL, 1468, 0, true, 1468, 1, -1, -1, 4 },
	{ "blksize above the RFC maximum is lowered", "octet", S("blksize\0" "100000"),
	  5000, NULL, NULL, 1468, 0, true, 1468, 1, -1, -1, 4 },
	{ "repeated option: last value wins", "octet", S("blksize\0" "1024\0" "BlkSize\0" "2048"),
	  5000, NULL, NULL, 0, 0, true, 2048, 1, -1, -1, 3 },
	{ "tsize 0 -> file size", "octet", S("tsize\0" "0"),
	  3000, NULL, NULL, 0, 0, true, 512, 1, 3000, -1, 6 },
	{ "timeout echoed", "octet", S("timeout\0" "3"),
	  700, NULL, NULL, 0, 0, true, 512, 1, -1, 3, 2 },
	{ "windowsize 4", "octet", S("windowsize\0" "4"),
	  10 * 512 + 1, NULL, NULL, 0, 0, true, 512, 4, -1, -1, 11 },
	{ "windowsize 16, blksize 1468, tsize", "octet",
	  S("blksize\0" "1468\0" "tsize\0" "0\0" "windowsize\0" "16"),
	  100000, NULL, NULL, 0, 0, true, 1468, 16, 100000, -1, 69 },
	{ "windowsize above cap is lowered", "octet", S("windowsize\0" "70000"),
	  50000, NULL, NULL, 0, 8, true, 512, 8, -1, -1, 98 },
	{ "exact multiple of blksize ends with empty block", "octet", NULL, 0,
	  1024, NULL, NULL, 0, 0, false, 512, 1, -1, -1, 3 },
	{ "empty file is one empty block", "octet", NULL, 0,
	  0, NULL, NULL, 0, 0, false, 512, 1, -1, -1, 1 },
	{ "empty file with tsize", "octet", S("tsize\0" "0"),
	  0, NULL, NULL, 0, 0, true, 512, 1, 0, -1, 1 },
	{ "unknown options ignored -> no OACK", "octet", S("multicast\0\0" "foo\0" "bar"),
	  600, NULL, NULL, 0, 0, false, 512, 1, -1, -1, 2 },
	{ "trailing NUL padding after options", "octet", S("blksize\0" "1024\0\0\0"),
	  2000, NULL, NULL, 0, 0, true, 1024, 1, -1, -1, 2 },
	{ "netascii LF -> CRLF, CR -> CR NUL, tsize converted", "netascii", S("tsize\0" "0"),
	  0, "a\nb\rc\r\n", "a\r\nb\r\0c\r\0\r\n", 0, 0, true, 512, 1, 11, -1, 1 },
	{ "netascii across blocks", "NETASCII", S("blksize\0" "8"),
	  0, "0123456\n89\n", "0123456\r\n89\r\n", 0, 0, true, 8, 1, -1, -1, 2 },
};
/* clang-format on */

static void test_transfers(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(xfer_cases); i++) {
		const struct xfer_case *c = &xfer_cases[i];
		struct tftp_config cfg = base_cfg();
		const uint8_t *want;
		size_t want_len;
		uint8_t *data;
		struct tftp_server *srv;
		struct txcap cap;
		uint16_t sport;

		fprintf(stderr, "  case: %s\n", c->desc);
		if (c->max_blksize)
			cfg.max_blksize = c->max_blksize;
		if (c->max_window)
			cfg.max_windowsize = c->max_window;
		fs_reset();
		if (c->text) {
			data = (uint8_t *)strdup(c->text);
			fs_add("f", data, strlen(c->text), 0);
			want = (const uint8_t *)c->want_text;
			want_len = strlen(c->text);
			for (size_t k = 0; k < strlen(c->text); k++)
				want_len += c->text[k] == '\n' || c->text[k] == '\r';
		} else {
			data = pattern(c->file_size);
			fs_add("f", data, c->file_size, 0);
			want = data;
			want_len = c->file_size;
		}
		srv = server(&cfg);
		txcap_init(&cap);
		CU_ASSERT_EQUAL(send_rrq(srv, 1234, "f", c->mode, c->opts, c->opts_len, 0, &cap),
				TFTP_OK);
		CU_ASSERT_EQUAL_FATAL(cap.n, 1);
		sport = cap.pkts[0].to.src_port;
		CU_ASSERT(sport >= PORT_LO && sport <= PORT_HI);
		if (c->oack) {
			CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), TFTP_OP_OACK);
			CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "blksize"),
					has_opt(c->opts, c->opts_len, "blksize") ? c->blksize : -1);
			CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "windowsize"),
					has_opt(c->opts, c->opts_len, "windowsize") ? c->window
										    : -1);
			CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "tsize"), c->tsize);
			CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "timeout"), c->timeout);
			txcap_reset(&cap);
			send_ack(srv, 1234, sport, 0, 0, &cap);
		}
		CU_ASSERT_EQUAL(client_receive(srv, &cap, 1234, sport, want, want_len, c->blksize,
					       c->window, NULL),
				c->blocks);
		CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_done"), 1);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_blocks"), c->blocks);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_bytes"), want_len);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_retransmits"), 0);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_oack"), c->oack);
		CU_ASSERT_EQUAL(fs.opens, fs.closes);
		tftp_server_free(srv);
		txcap_free(&cap);
		free(data);
	}
}

/* 600000 bytes at blksize 8: 75001 blocks, the numbers wrap past 65535. */
static void test_rollover(void)
{
	struct tftp_config cfg = base_cfg();
	size_t size = 600000;
	uint8_t *data = pattern(size);
	struct tftp_server *srv;
	struct txcap cap;
	bool saw_zero = false;

	fs_reset();
	fs_add("big", data, size, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1234, "big", "octet",
		 S("blksize\0"
		   "8\0"
		   "windowsize\0"
		   "16"),
		 0, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	txcap_reset(&cap);
	send_ack(srv, 1234, PORT_LO, 0, 0, &cap);
	CU_ASSERT_EQUAL(client_receive(srv, &cap, 1234, PORT_LO, data, size, 8, 16, &saw_zero),
			75001);
	CU_ASSERT(saw_zero);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_done"), 1);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
	tftp_server_free(srv);
	txcap_free(&cap);
	free(data);
}

/* ---- windows, ACKs, timers ---------------------------------------------- */

/* Blocks in cap, in order, as one number each (0 for non-DATA). */
static size_t blocks_in(const struct txcap *cap, uint16_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cap->n && n < max; i++)
		out[n++] = get_be16(cap->pkts[i].data) == TFTP_OP_DATA
			       ? get_be16(cap->pkts[i].data + 2)
			       : 0;
	return n;
}

struct ack_step {
	uint64_t now;
	int ack;	/* block to ACK, -1: tick instead */
	uint16_t first; /* expected DATA blocks first..first+count-1 */
	size_t count;
};

struct ack_case {
	const char *desc;
	const char *opts;
	size_t opts_len;
	size_t file_size;
	size_t nsteps;
	struct ack_step steps[10];
	uint64_t retransmits;
};

/* clang-format off */
static const struct ack_case ack_cases[] = {
	/* steps: { now, ACK block (-1: tick), first DATA block expected, count } */
	{ "windowsize 4: full ACK slides the window", S("windowsize\0" "4"), 10 * 512, 4,
	  { { 0, 0, 1, 4 }, { 0, 4, 5, 4 }, { 0, 8, 9, 3 }, { 0, 11, 0, 0 } }, 0 },
	{ "windowsize 4: partial ACK resends from n+1", S("windowsize\0" "4"), 10 * 512, 5,
	  { { 0, 0, 1, 4 }, { 0, 2, 3, 4 }, { 0, 6, 7, 4 }, { 0, 10, 11, 1 }, { 0, 11, 0, 0 } }, 2 },
	{ "windowsize 4: duplicate and stale ACKs send nothing", S("windowsize\0" "4"), 10 * 512, 6,
	  { { 0, 0, 1, 4 }, { 0, 0, 0, 0 }, { 0, 4, 5, 4 }, { 0, 4, 0, 0 }, { 0, 2, 0, 0 },
	    { 0, 500, 0, 0 } }, 0 },
	{ "lockstep: duplicate ACK not answered (Sorcerer's Apprentice)", S("blksize\0" "512"),
	  3 * 512, 5,
	  { { 0, 0, 1, 1 }, { 0, 1, 2, 1 }, { 0, 1, 0, 0 }, { 0, 1, 0, 0 }, { 0, 2, 3, 1 } }, 0 },
	{ "timeout resends the whole window from base", S("windowsize\0" "4"), 10 * 512, 4,
	  { { 0, 0, 1, 4 }, { 999, -1, 0, 0 }, { 1000, -1, 1, 4 }, { 1500, 4, 5, 4 } }, 4 },
	{ "ACK for a block beyond what was sent is ignored", S("windowsize\0" "2"), 10 * 512, 3,
	  { { 0, 0, 1, 2 }, { 0, 3, 0, 0 }, { 0, 2, 3, 2 } }, 0 },
};
/* clang-format on */

static void test_acks(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(ack_cases); i++) {
		const struct ack_case *c = &ack_cases[i];
		struct tftp_config cfg = base_cfg();
		uint8_t *data = pattern(c->file_size);
		struct tftp_server *srv;
		struct txcap cap;

		fprintf(stderr, "  case: %s\n", c->desc);
		fs_reset();
		fs_add("f", data, c->file_size, 0);
		srv = server(&cfg);
		txcap_init(&cap);
		send_rrq(srv, 1234, "f", "octet", c->opts, c->opts_len, 0, &cap);
		CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), TFTP_OP_OACK);
		txcap_reset(&cap);
		for (size_t s = 0; s < c->nsteps; s++) {
			const struct ack_step *st = &c->steps[s];
			uint16_t got[TXCAP_MAX];
			size_t n;

			if (st->ack < 0)
				tftp_tick(srv, st->now, &cap.tx);
			else
				send_ack(srv, 1234, PORT_LO, (uint16_t)st->ack, st->now, &cap);
			n = blocks_in(&cap, got, TXCAP_MAX);
			CU_ASSERT_EQUAL(n, st->count);
			for (size_t k = 0; k < n && k < st->count; k++)
				CU_ASSERT_EQUAL(got[k], (uint16_t)(st->first + k));
			txcap_reset(&cap);
		}
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_retransmits"), c->retransmits);
		tftp_server_free(srv);
		CU_ASSERT_EQUAL(fs.opens, fs.closes);
		txcap_free(&cap);
		free(data);
	}
}

/* Deadlines double from the first timeout; after max_retries it gives up. */
struct backoff_case {
	const char *desc;
	const char *opts;
	size_t opts_len;
	uint16_t first_op;     /* what is (re)sent: DATA 1 or the OACK */
	uint64_t deadlines[8]; /* 0-terminated */
};

/* clang-format off */
static const struct backoff_case backoff_cases[] = {
	{ "no options: DATA 1, cfg timeout 1000", NULL, 0, TFTP_OP_DATA,
	  { 1000, 3000, 7000, 15000, 31000, 63000 } },
	{ "timeout 2: OACK resent, 2 s doubling, capped at 60 s", S("timeout\0" "2"), TFTP_OP_OACK,
	  { 2000, 6000, 14000, 30000, 62000, 122000 } },
};
/* clang-format on */

static void test_backoff(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(backoff_cases); i++) {
		const struct backoff_case *c = &backoff_cases[i];
		struct tftp_config cfg = base_cfg();
		uint8_t data[100] = {0};
		struct tftp_server *srv;
		struct txcap cap;
		size_t k;

		fprintf(stderr, "  case: %s\n", c->desc);
		fs_reset();
		fs_add("f", data, sizeof(data), 0);
		srv = server(&cfg);
		txcap_init(&cap);
		CU_ASSERT_EQUAL(tftp_next_deadline(srv), UINT64_MAX);
		send_rrq(srv, 1234, "f", "octet", c->opts, c->opts_len, 0, &cap);
		CU_ASSERT_EQUAL(cap.n, 1);
		txcap_reset(&cap);
		for (k = 0; c->deadlines[k]; k++) {
			uint64_t d = c->deadlines[k];

			CU_ASSERT_EQUAL(tftp_next_deadline(srv), d);
			tftp_tick(srv, d - 1, &cap.tx);
			CU_ASSERT_EQUAL(cap.n, 0);
			tftp_tick(srv, d, &cap.tx);
			if (k < cfg.max_retries) {
				CU_ASSERT_EQUAL_FATAL(cap.n, 1);
				CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), c->first_op);
			} else {
				CU_ASSERT_EQUAL(cap.n, 0);
			}
			txcap_reset(&cap);
		}
		CU_ASSERT_EQUAL(k, cfg.max_retries + 1);
		CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
		CU_ASSERT_EQUAL(tftp_next_deadline(srv), UINT64_MAX);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_timeouts"), 1);
		CU_ASSERT_EQUAL(stat_get(srv, "tftp_retransmits"), cfg.max_retries);
		CU_ASSERT_EQUAL(fs.opens, fs.closes);
		tftp_server_free(srv);
		txcap_free(&cap);
	}
}

/*
 * OVMF / many UEFI ROMs: RRQ with tsize (+ blksize, windowsize 4), read the
 * OACK, abort with ERROR 8, then a second RRQ from a new port downloads.
 */
static void test_ovmf_tsize_probe(void)
{
	struct tftp_config cfg = base_cfg();
	uint8_t *data = pattern(5000);
	static const uint8_t abort8[] = {0,   5,   0,	8,   'U', 's', 'e', 'r', ' ',
					 'a', 'b', 'o', 'r', 't', 'e', 'd', 0};
	struct bs_udp_meta m = meta_from(1430, PORT_LO);
	struct tftp_server *srv;
	struct txcap cap;
	uint16_t sport;

	fs_reset();
	fs_add("bootx64.efi", data, 5000, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1430, "bootx64.efi", "octet",
		 S("tsize\0"
		   "0\0"
		   "blksize\0"
		   "1468\0"
		   "windowsize\0"
		   "4"),
		 0, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "tsize"), 5000);
	CU_ASSERT_EQUAL(oack_opt(&cap.pkts[0], "windowsize"), 4);
	txcap_reset(&cap);
	CU_ASSERT_EQUAL(feed(srv, &m, abort8, sizeof(abort8), 10, &cap), TFTP_OK);
	CU_ASSERT_EQUAL(cap.n, 0); /* an ERROR is never answered */
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_aborted_by_client"), 1);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);

	send_rrq(srv, 1431, "bootx64.efi", "octet",
		 S("blksize\0"
		   "1468\0"
		   "windowsize\0"
		   "4"),
		 20, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	sport = cap.pkts[0].to.src_port;
	CU_ASSERT_EQUAL(sport, PORT_LO + 1); /* round robin */
	txcap_reset(&cap);
	send_ack(srv, 1431, sport, 0, 30, &cap);
	CU_ASSERT_EQUAL(client_receive(srv, &cap, 1431, sport, data, 5000, 1468, 4, NULL), 4);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_done"), 1);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_rrq"), 2);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	tftp_server_free(srv);
	txcap_free(&cap);
	free(data);
}

/* A retransmitted RRQ must not start a second transfer. */
static void test_rrq_retransmit(void)
{
	struct tftp_config cfg = base_cfg();
	uint8_t *data = pattern(3000);
	struct tftp_server *srv;
	struct txcap cap;

	fs_reset();
	fs_add("f", data, 3000, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1234, "f", "octet", NULL, 0, 0, &cap);
	send_rrq(srv, 1234, "f", "octet", NULL, 0, 100, &cap);
	CU_ASSERT_EQUAL(cap.n, 1);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 1);
	CU_ASSERT_EQUAL(fs.opens, 1);
	/* Once it has acked data, the same port asking again is a restart. */
	send_ack(srv, 1234, PORT_LO, 1, 200, &cap);
	txcap_reset(&cap);
	send_rrq(srv, 1234, "f", "octet", NULL, 0, 300, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data + 2), 1);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 1);
	CU_ASSERT_EQUAL(fs.opens - fs.closes, 1);
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
	free(data);
}

/* Out of TX buffers mid-window: stop, count, let the timer resend. */
static void test_no_buffer(void)
{
	struct tftp_config cfg = base_cfg();
	uint8_t *data = pattern(10 * 512);
	struct tftp_server *srv;
	struct txcap cap;
	uint16_t got[8];

	fs_reset();
	fs_add("f", data, 10 * 512, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1234, "f", "octet",
		 S("windowsize\0"
		   "4"),
		 0, &cap);
	txcap_reset(&cap);
	cap.allocs = 0;
	cap.fail_after = 3; /* DATA 1, 2 go out, 3 fails */
	CU_ASSERT_EQUAL(send_ack(srv, 1234, PORT_LO, 0, 0, &cap), TFTP_DROP_NO_BUFFER);
	CU_ASSERT_EQUAL(blocks_in(&cap, got, 8), 2);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_no_buffer"), 1);
	txcap_reset(&cap);
	cap.fail_after = 0;
	tftp_tick(srv, 1000, &cap.tx);
	CU_ASSERT_EQUAL(blocks_in(&cap, got, 8), 4);
	CU_ASSERT_EQUAL(got[0], 1);
	CU_ASSERT_EQUAL(got[3], 4);
	tftp_server_free(srv);
	txcap_free(&cap);
	free(data);
}

/* ---- errors ------------------------------------------------------------- */

struct err_case {
	const char *desc;
	const uint8_t *pkt;
	size_t len;
	uint16_t dst_port;
	enum tftp_verdict verdict;
	int code;	   /* expected TFTP error code, -1: no reply */
	uint16_t src_port; /* the error comes from here */
	const char *stat;  /* counter that must be 1 */
	bool opens;	   /* the name reached files->open */
};

#define PKT(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* clang-format off */
static const struct err_case err_cases[] = {
	/* desc, packet, to port, verdict, error code (-1 none), from port, counter, opened */
	{ "WRQ -> 4 read-only", PKT("\0\2f\0octet\0"),
	  69, TFTP_OK, 4, PORT_LO, "tftp_err_illegal", false },
	{ "mode mail -> 4", PKT("\0\1f\0mail\0"),
	  69, TFTP_OK, 4, PORT_LO, "tftp_err_illegal", false },
	{ "mode garbage -> 4", PKT("\0\1f\0octets\0"),
	  69, TFTP_OK, 4, PORT_LO, "tftp_err_illegal", false },
	{ "opcode 9 -> 4", PKT("\0\11xx"),
	  69, TFTP_DROP_MALFORMED, 4, 69, "tftp_malformed", false },
	{ "opcode 0 -> 4", PKT("\0\0"),
	  69, TFTP_DROP_MALFORMED, 4, 69, "tftp_malformed", false },
	{ "DATA to the server -> 4", PKT("\0\3\0\1abc"),
	  PORT_LO, TFTP_DROP_MALFORMED, 4, PORT_LO, "tftp_err_illegal", false },
	{ "RRQ on a transfer port -> 4", PKT("\0\1f\0octet\0"),
	  PORT_LO + 2, TFTP_DROP_MALFORMED, 4, PORT_LO + 2, "tftp_malformed", false },
	{ "ACK for no transfer -> 5", PKT("\0\4\0\1"),
	  PORT_LO + 1, TFTP_DROP_UNKNOWN_TID, 5, PORT_LO + 1, "tftp_unknown_tid", false },
	{ "ERROR for no transfer: silent", PKT("\0\5\0\1x\0"),
	  PORT_LO, TFTP_DROP_UNKNOWN_TID, -1, 0, "tftp_unknown_tid", false },
	{ "short ACK -> 4", PKT("\0\4\0"),
	  PORT_LO, TFTP_DROP_MALFORMED, 4, PORT_LO, "tftp_malformed", false },
	{ "missing file -> 1", PKT("\0\1nothere\0octet\0"),
	  69, TFTP_OK, 1, PORT_LO, "tftp_err_notfound", true },
	{ "empty name -> 1", PKT("\0\1\0octet\0"),
	  69, TFTP_OK, 1, PORT_LO, "tftp_err_notfound", false },
	{ "../x -> 2", PKT("\0\1../x\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", true },
	{ "a/../../x -> 2", PKT("\0\1a/../../x\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", true },
	{ "a\\..\\..\\x (Windows separators) -> 2", PKT("\0\1a\\..\\..\\x\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", true },
	{ "/etc/passwd -> 2", PKT("\0\1/etc/passwd\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", true },
	{ "control character -> 2", PKT("\0\1a\1b\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", false },
	{ "DEL character -> 2", PKT("\0\1a\177b\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_refused_path", false },
	{ "directory -> 2", PKT("\0\1dir\0octet\0"),
	  69, TFTP_OK, 2, PORT_LO, "tftp_err_access", true },
	{ "blksize 7 -> 8", PKT("\0\1f\0octet\0blksize\0" "7\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "blksize abc -> 8", PKT("\0\1f\0octet\0blksize\0abc\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "blksize empty -> 8", PKT("\0\1f\0octet\0blksize\0\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "blksize -1 -> 8", PKT("\0\1f\0octet\0blksize\0-1\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "blksize of 20 digits -> 8", PKT("\0\1f\0octet\0blksize\0" "12345678901234567890\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "timeout 0 -> 8", PKT("\0\1f\0octet\0timeout\0" "0\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "timeout 256 -> 8", PKT("\0\1f\0octet\0timeout\0" "256\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "windowsize 0 -> 8", PKT("\0\1f\0octet\0windowsize\0" "0\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "windowsize 1x -> 8", PKT("\0\1f\0octet\0windowsize\0" "1x\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "tsize x -> 8", PKT("\0\1f\0octet\0tsize\0x\0"),
	  69, TFTP_OK, 8, PORT_LO, "tftp_err_option", false },
	{ "unterminated name: silent drop", PKT("\0\1file"),
	  69, TFTP_DROP_MALFORMED, -1, 0, "tftp_malformed", false },
	{ "unterminated mode: silent drop", PKT("\0\1f\0oct"),
	  69, TFTP_DROP_MALFORMED, -1, 0, "tftp_malformed", false },
	{ "option without value: silent drop", PKT("\0\1f\0octet\0blksize\0"),
	  69, TFTP_DROP_MALFORMED, -1, 0, "tftp_malformed", false },
	{ "unterminated value: silent drop", PKT("\0\1f\0octet\0blksize\0" "1"),
	  69, TFTP_DROP_MALFORMED, -1, 0, "tftp_malformed", false },
	{ "one byte: silent drop", PKT("\0"),
	  69, TFTP_DROP_MALFORMED, -1, 0, "tftp_malformed", false },
};
/* clang-format on */

static void test_errors(void)
{
	/* 300 'a's: longer than any name we accept. */
	uint8_t longname[2 + 300 + 1 + 6];
	struct err_case extra = {
	    .desc = "300-byte name -> 2",
	    .pkt = longname,
	    .len = sizeof(longname),
	    .dst_port = 69,
	    .verdict = TFTP_OK,
	    .code = 2,
	    .src_port = PORT_LO,
	    .stat = "tftp_refused_path",
	};
	static uint8_t data[10];

	put_be16(longname, TFTP_OP_RRQ);
	memset(longname + 2, 'a', 300);
	memcpy(longname + 302, "\0octet", 7);
	for (size_t i = 0; i <= BS_ARRAY_SIZE(err_cases); i++) {
		const struct err_case *c = i < BS_ARRAY_SIZE(err_cases) ? &err_cases[i] : &extra;
		struct tftp_config cfg = base_cfg();
		struct bs_udp_meta m = meta_from(2000, c->dst_port);
		struct tftp_server *srv;
		struct txcap cap;

		fprintf(stderr, "  case: %s\n", c->desc);
		fs_reset();
		fs_add("f", data, sizeof(data), 0);
		fs_add("dir", NULL, 0, -EISDIR);
		fs_add("../x", NULL, 0, -EACCES);
		fs_add("a/../../x", NULL, 0, -EACCES);
		fs_add("/etc/passwd", NULL, 0, -EACCES);
		srv = server(&cfg);
		txcap_init(&cap);
		CU_ASSERT_EQUAL(feed(srv, &m, c->pkt, c->len, 0, &cap), c->verdict);
		if (c->code < 0) {
			CU_ASSERT_EQUAL(cap.n, 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(cap.n, 1);
			CU_ASSERT_EQUAL(err_code(&cap.pkts[0]), c->code);
			CU_ASSERT_EQUAL(cap.pkts[0].to.src_port, c->src_port);
			CU_ASSERT_EQUAL(cap.pkts[0].to.dst_port, 2000);
			CU_ASSERT_EQUAL(cap.pkts[0].to.dst_ip, CLIENT_IP);
			CU_ASSERT_EQUAL(cap.pkts[0].to.src_ip, SERVER_IP);
		}
		CU_ASSERT_EQUAL(stat_get(srv, c->stat), 1);
		CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
		CU_ASSERT_EQUAL(fs.last_path[0] != 0, c->opens);
		CU_ASSERT_EQUAL(fs.opens, fs.closes);
		tftp_server_free(srv);
		txcap_free(&cap);
	}
}

/* Names are normalised before the file source sees them. */
static void test_name_quirks(void)
{
	/* clang-format off */
	static const struct {
		const char *desc, *sent, *opened;
	} cases[] = {
		{ "Windows separators (WDS)", "boot\\x64\\wdsnbp.com", "boot/x64/wdsnbp.com" },
		{ "mixed separators", "dir\\sub/x", "dir/sub/x" },
		{ "ROM appends 0xff", "pxelinux.0\xff", "pxelinux.0" },
		{ "ROM appends 0xff twice", "pxelinux.0\xff\xff", "pxelinux.0" },
		{ "0xff inside a name is kept", "a\xff" "b", "a\xff" "b" },
	};
	/* clang-format on */
	static uint8_t data[10];

	for (size_t i = 0; i < BS_ARRAY_SIZE(cases); i++) {
		struct tftp_config cfg = base_cfg();
		struct tftp_server *srv;
		struct txcap cap;

		fprintf(stderr, "  case: %s\n", cases[i].desc);
		fs_reset();
		fs_add(cases[i].opened, data, sizeof(data), 0);
		srv = server(&cfg);
		txcap_init(&cap);
		send_rrq(srv, 1234, cases[i].sent, "octet", NULL, 0, 0, &cap);
		CU_ASSERT_STRING_EQUAL(fs.last_path, cases[i].opened);
		CU_ASSERT_EQUAL_FATAL(cap.n, 1);
		CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), TFTP_OP_DATA);
		tftp_server_free(srv);
		CU_ASSERT_EQUAL(fs.opens, fs.closes);
		txcap_free(&cap);
	}
}

/* Unknown TID: right client, wrong port; wrong client, right port. */
static void test_unknown_tid(void)
{
	struct tftp_config cfg = base_cfg();
	static uint8_t data[2000];
	struct tftp_server *srv;
	struct txcap cap;
	struct bs_udp_meta m = meta_from(1234, PORT_LO);
	uint8_t ack[4] = {0, 4, 0, 1};

	fs_reset();
	fs_add("f", data, sizeof(data), 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1234, "f", "octet", NULL, 0, 0, &cap);
	txcap_reset(&cap);
	m.dst_port = PORT_LO + 1;
	CU_ASSERT_EQUAL(feed(srv, &m, ack, 4, 0, &cap), TFTP_DROP_UNKNOWN_TID);
	m = meta_from(1234, PORT_LO);
	m.src_ip = CLIENT_IP + 1;
	CU_ASSERT_EQUAL(feed(srv, &m, ack, 4, 0, &cap), TFTP_DROP_UNKNOWN_TID);
	CU_ASSERT_EQUAL_FATAL(cap.n, 2);
	CU_ASSERT_EQUAL(err_code(&cap.pkts[0]), TFTP_ERR_UNKNOWN_TID);
	CU_ASSERT_EQUAL(cap.pkts[0].to.src_port, PORT_LO + 1);
	CU_ASSERT_EQUAL(err_code(&cap.pkts[1]), TFTP_ERR_UNKNOWN_TID);
	CU_ASSERT_EQUAL(cap.pkts[1].to.dst_ip, CLIENT_IP + 1);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 1); /* the real one goes on */
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_unknown_tid"), 2);
	tftp_server_free(srv);
	txcap_free(&cap);
}

/* max_transfers active: the RRQ is dropped (no ERROR); ports handed out
   round robin. */
static void test_busy_and_ports(void)
{
	static const uint16_t want_port[] = {PORT_LO,	  PORT_LO + 1, PORT_LO + 2,
					     PORT_LO + 3, PORT_LO,     PORT_LO + 1};
	struct tftp_config cfg = base_cfg();
	static uint8_t data[2000];
	struct tftp_server *srv;
	struct txcap cap;
	size_t i;

	cfg.max_transfers = 6;
	fs_reset();
	fs_add("f", data, sizeof(data), 0);
	srv = server(&cfg);
	txcap_init(&cap);
	for (i = 0; i < BS_ARRAY_SIZE(want_port); i++) {
		CU_ASSERT_EQUAL(send_rrq(srv, (uint16_t)(3000 + i), "f", "octet", NULL, 0, 0, &cap),
				TFTP_OK);
		CU_ASSERT_EQUAL_FATAL(cap.n, 1);
		CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), TFTP_OP_DATA);
		CU_ASSERT_EQUAL(cap.pkts[0].to.src_port, want_port[i]);
		CU_ASSERT_EQUAL(cap.pkts[0].to.dst_port, 3000 + i);
		txcap_reset(&cap);
	}
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 6);
	/* Full: dropped without an ERROR (firmware would give up), so the
	   client's RRQ retransmit tries again. */
	send_rrq(srv, 4000, "f", "octet", NULL, 0, 0, &cap);
	CU_ASSERT_EQUAL(cap.n, 0);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_busy"), 1);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 6);
	txcap_reset(&cap);
	/* One finishes (2000 bytes = 4 blocks): a new one fits again. */
	for (uint16_t b = 1; b <= 4; b++)
		send_ack(srv, 3000, PORT_LO, b, 0, &cap);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 5);
	txcap_reset(&cap);
	send_rrq(srv, 4000, "f", "octet", NULL, 0, 0, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	CU_ASSERT_EQUAL(get_be16(cap.pkts[0].data), TFTP_OP_DATA);
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
}

/* Every prefix of valid requests: only complete ones are accepted. */
static void test_truncated(void)
{
	static const struct {
		const char *desc;
		const uint8_t *pkt;
		size_t len;
		size_t ok_lens[4]; /* prefix lengths that are complete requests */
	} cases[] = {
	    /* clang-format off */
		{ "RRQ with options", PKT("\0\1f\0octet\0blksize\0" "1468\0tsize\0" "0\0"),
		  { 10, 23, 31 } },
		{ "RRQ without options", PKT("\0\1pxelinux.0\0netascii\0"), { 22 } },
	    /* clang-format on */
	};
	static uint8_t data[100];

	for (size_t i = 0; i < BS_ARRAY_SIZE(cases); i++) {
		for (size_t len = 0; len <= cases[i].len; len++) {
			struct tftp_config cfg = base_cfg();
			struct bs_udp_meta m = meta_from(2000, 69);
			enum tftp_verdict want = TFTP_DROP_MALFORMED;
			struct tftp_server *srv;
			struct txcap cap;

			for (size_t k = 0; k < 4; k++)
				if (cases[i].ok_lens[k] && cases[i].ok_lens[k] == len)
					want = TFTP_OK;
			fs_reset();
			fs_add("f", data, sizeof(data), 0);
			fs_add("pxelinux.0", data, sizeof(data), 0);
			srv = server(&cfg);
			txcap_init(&cap);
			CU_ASSERT_EQUAL(feed(srv, &m, cases[i].pkt, len, 0, &cap), want);
			CU_ASSERT_EQUAL(tftp_active_transfers(srv), want == TFTP_OK);
			if (want != TFTP_OK)
				CU_ASSERT_EQUAL(stat_get(srv, "tftp_malformed"), 1);
			tftp_server_free(srv);
			CU_ASSERT_EQUAL(fs.opens, fs.closes);
			txcap_free(&cap);
		}
	}
}

/* Random datagrams on 69 and a transfer port: no crash, no leak. */
static void test_fuzz(void)
{
	struct tftp_config cfg = base_cfg();
	static uint8_t data[3000];
	struct tftp_server *srv;
	struct txcap cap;
	uint32_t r = 12345;

	fs_reset();
	fs_add("f", data, sizeof(data), 0);
	srv = server(&cfg);
	txcap_init(&cap);
	for (int i = 0; i < 20000; i++) {
		uint8_t pkt[64];
		size_t len;
		struct bs_udp_meta m;

		r = r * 1103515245u + 12345u;
		len = (r >> 16) % sizeof(pkt);
		for (size_t k = 0; k < len; k++) {
			r = r * 1103515245u + 12345u;
			/* Mostly NULs and option-ish letters, to reach deep. */
			pkt[k] = (uint8_t)("\0\0\0\1\4\5fo1t8"[(r >> 16) % 11]);
		}
		if (len >= 2)
			pkt[0] = 0;
		m = meta_from((uint16_t)(1000 + (r >> 20) % 4), (r >> 8) & 1 ? 69 : PORT_LO);
		feed(srv, &m, pkt, len, (uint64_t)i * 10, &cap);
		tftp_tick(srv, (uint64_t)i * 10, &cap.tx);
		txcap_reset(&cap);
	}
	CU_ASSERT(stat_get(srv, "tftp_malformed") > 0);
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
}

/*
 * 1000 transfers sharing 4 server ports, started at scattered times: the
 * timer heap fires each exactly at its deadline, in order, and every ACK
 * finds its own transfer.
 */
static void test_many_transfers(void)
{
	enum { N = 1000 };
	struct tftp_config cfg = base_cfg();
	static uint8_t data[100];
	static uint64_t start[N];
	struct tftp_server *srv;
	struct txcap cap;
	size_t fired = 0;

	cfg.max_transfers = N;
	fs_reset();
	fs_add("f", data, sizeof(data), 0);
	srv = server(&cfg);
	txcap_init(&cap);
	for (size_t i = 0; i < N; i++) {
		start[i] = (i * 7919) % 997;
		send_rrq(srv, (uint16_t)(10000 + i), "f", "octet", NULL, 0, start[i], &cap);
		txcap_reset(&cap);
	}
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), N);
	/* First round of retransmits: deadlines start + 1000, all < 2000. */
	for (;;) {
		uint64_t d = tftp_next_deadline(srv), want = UINT64_MAX;
		size_t due = 0;

		for (size_t i = 0; i < N; i++)
			if (start[i] + 1000 < want)
				want = start[i] + 1000;
		if (d >= 2000)
			break;
		CU_ASSERT_EQUAL_FATAL(d, want);
		for (size_t i = 0; i < N; i++)
			if (start[i] + 1000 == d) {
				due++;
				start[i] = UINT64_MAX / 2; /* done with this one */
			}
		tftp_tick(srv, d, &cap.tx);
		CU_ASSERT_EQUAL(cap.n, due);
		fired += cap.n;
		txcap_reset(&cap);
	}
	CU_ASSERT_EQUAL(fired, N);
	/* The transfer of client port 10000 + i is on PORT_LO + i % 4. */
	for (size_t i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(send_ack(srv, (uint16_t)(10000 + i), (uint16_t)(PORT_LO + i % 4), 1,
					 2000, &cap),
				TFTP_OK);
		CU_ASSERT_EQUAL(cap.n, 0);
	}
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_done"), N);
	CU_ASSERT_EQUAL(tftp_next_deadline(srv), UINT64_MAX);
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
}

/* No port range configured: transfers are served from port 69 itself. */
static void test_port69_mode(void)
{
	struct tftp_config cfg = base_cfg();
	uint8_t *data = pattern(1000);
	struct tftp_server *srv;
	struct txcap cap;

	cfg.port_lo = cfg.port_hi = 0;
	fs_reset();
	fs_add("f", data, 1000, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	send_rrq(srv, 1235, "f", "octet", NULL, 0, 0, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	CU_ASSERT_EQUAL(cap.pkts[0].to.src_port, TFTP_PORT);
	txcap_reset(&cap);
	send_rrq(srv, 1234, "f", "octet", NULL, 0, 0, &cap);
	CU_ASSERT_EQUAL(client_receive(srv, &cap, 1234, TFTP_PORT, data, 1000, 512, 1, NULL), 2);
	CU_ASSERT_EQUAL(tftp_active_transfers(srv), 1);
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
	free(data);
}

/* One server per worker: port_lo = lo + k, stride N. Transfers use only
   the worker's own ports, in turn, wrapping at port_hi. */
static void test_port_stride(void)
{
	struct tftp_config cfg = base_cfg();
	static const uint16_t want[] = {PORT_LO + 1, PORT_LO + 3, PORT_LO + 1};
	uint8_t *data = pattern(100);
	struct tftp_server *srv;
	struct txcap cap;

	cfg.port_lo = PORT_LO + 1; /* worker 1 of 2 over PORT_LO..PORT_HI */
	cfg.port_stride = 2;
	fs_reset();
	fs_add("f", data, 100, 0);
	srv = server(&cfg);
	txcap_init(&cap);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		txcap_reset(&cap);
		send_rrq(srv, (uint16_t)(2000 + i), "f", "octet", NULL, 0, 0, &cap);
		CU_ASSERT_EQUAL_FATAL(cap.n, 1);
		CU_ASSERT_EQUAL(cap.pkts[0].to.src_port, want[i]);
	}
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(fs.opens, fs.closes);
	txcap_free(&cap);
	free(data);
}

struct logcap {
	int n;
	char last[256];
};

static void log_fn(void *arg, int prio, const char *msg)
{
	struct logcap *l = arg;

	(void)prio;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

/* Refused names are logged, rate-limited, with client bytes made printable. */
static void test_logging(void)
{
	struct tftp_config cfg = base_cfg();
	struct tftp_files files = {mem_open, mem_close, NULL};
	struct logcap lc = {0};
	struct bs_log log = {log_fn, &lc, LOG_WARNING};
	static const uint8_t ctl[] = "\0\1a\033[2Jb\0octet";
	struct bs_udp_meta m = meta_from(2000, TFTP_PORT);
	struct tftp_server *srv;
	struct txcap cap;

	fs_reset();
	fs_add("../x", NULL, 0, -EACCES);
	srv = tftp_server_new(&cfg, &files, &log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	txcap_init(&cap);
	for (int i = 0; i < 50; i++) {
		send_rrq(srv, (uint16_t)(3000 + i), "../x", "octet", NULL, 0, 5000, &cap);
		/* Malformed requests log at debug level: filtered, no token used. */
		feed(srv, &m, "\0\1x", 3, 5000, &cap);
		txcap_reset(&cap);
	}
	CU_ASSERT_EQUAL(lc.n, 10);
	CU_ASSERT_EQUAL(stat_get(srv, "tftp_refused_path"), 50);
	CU_ASSERT_PTR_NOT_NULL(strstr(lc.last, "\"../x\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(lc.last, "10.0.0.5:"));
	feed(srv, &m, ctl, sizeof(ctl), 6000, &cap);
	CU_ASSERT_EQUAL(lc.n, 11);
	CU_ASSERT_PTR_NOT_NULL(strstr(lc.last, "\"a?[2Jb\""));
	tftp_server_free(srv);
	txcap_free(&cap);
}

/* Client events: start, progress at most every 1 s and 25 %, done; a
   refused request names the file and the TFTP error. */
static void test_events(void)
{
	struct tftp_config cfg = base_cfg();
	struct tftp_server *srv;
	struct bs_ev_ring *ring = bs_ev_ring_new(64);
	uint8_t *data = pattern(512 * 100);
	static const struct {
		uint8_t type;
		uint64_t bytes;
		uint16_t status;
	} want[] = {
	    {BS_EV_TFTP_START, 0, 0},	     {BS_EV_TFTP_PROGRESS, 12800, 0},
	    {BS_EV_TFTP_PROGRESS, 25600, 0}, {BS_EV_TFTP_PROGRESS, 38400, 0},
	    {BS_EV_TFTP_DONE, 51200, 0},     {BS_EV_TFTP_ERROR, 0, TFTP_ERR_NOTFOUND},
	};
	struct txcap cap;
	struct bs_event e;
	uint64_t cur = 0, missed = 0;
	uint16_t sport;
	size_t n = 0;

	fs_reset();
	fs_add("boot.img", data, 512 * 100, 0);
	srv = server(&cfg);
	tftp_server_set_events(srv, ring);
	txcap_init(&cap);
	/* no options: 512-byte blocks, one at a time, an ACK every 100 ms */
	send_rrq(srv, 2000, "boot.img", "octet", NULL, 0, 0, &cap);
	CU_ASSERT_EQUAL_FATAL(cap.n, 1);
	sport = cap.pkts[0].to.src_port;
	for (uint16_t b = 1; b <= 101; b++)
		send_ack(srv, 2000, sport, b, b * 100u, &cap);
	send_rrq(srv, 2001, "missing.img", "octet", NULL, 0, 20000, &cap);
	while (bs_ev_read(ring, &cur, &e, &missed) == 1) {
		CU_ASSERT_FATAL(n < sizeof(want) / sizeof(want[0]));
		CU_ASSERT_EQUAL(e.type, want[n].type);
		CU_ASSERT_EQUAL(e.bytes, want[n].bytes);
		CU_ASSERT_EQUAL(e.status, want[n].status);
		CU_ASSERT_EQUAL(e.ip, CLIENT_IP);
		CU_ASSERT_STRING_EQUAL(e.file, n < 5 ? "boot.img" : "missing.img");
		if (n < 5)
			CU_ASSERT_EQUAL(e.total, 51200);
		n++;
	}
	CU_ASSERT_EQUAL(n, sizeof(want) / sizeof(want[0]));
	CU_ASSERT_EQUAL(missed, 0);
	txcap_free(&cap);
	tftp_server_free(srv);
	free(ring);
	free(data);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"complete transfers (options, sizes, netascii)", test_transfers},
	    {"block numbers roll over past 65535", test_rollover},
	    {"window sliding, partial/duplicate ACKs", test_acks},
	    {"timeout backoff and give up", test_backoff},
	    {"OVMF tsize probe then download", test_ovmf_tsize_probe},
	    {"retransmitted RRQ", test_rrq_retransmit},
	    {"TX buffer exhaustion", test_no_buffer},
	    {"error replies", test_errors},
	    {"file name quirks", test_name_quirks},
	    {"unknown transfer ID", test_unknown_tid},
	    {"too many transfers, port round robin", test_busy_and_ports},
	    {"truncated requests at every length", test_truncated},
	    {"random datagrams", test_fuzz},
	    {"1000 transfers: timer heap and lookups", test_many_transfers},
	    {"no port range: serve from 69", test_port69_mode},
	    {"port stride: a worker's share of the range", test_port_stride},
	    {"rate-limited, sanitised log lines", test_logging},
	    {"client events", test_events},
	    {NULL, NULL},
	};

	return unit_run("tftp", tests);
}
