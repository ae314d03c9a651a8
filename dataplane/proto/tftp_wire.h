/* SPDX-License-Identifier: MIT */
/*
 * TFTP wire constants (RFC 1350, 2347, 2348, 2349, 7440). Internal to the
 * TFTP server and its tests; packets are read with get_be16(), never through
 * a struct overlay.
 *
 *   RRQ/WRQ  | 2 opcode | filename \0 | mode \0 | (option \0 value \0)* |
 *   DATA     | 2 opcode | 2 block | 0..blksize bytes |
 *   ACK      | 2 opcode | 2 block |
 *   ERROR    | 2 opcode | 2 code | message \0 |
 *   OACK     | 2 opcode | (option \0 value \0)* |
 */
#ifndef BS_PROTO_TFTP_WIRE_H
#define BS_PROTO_TFTP_WIRE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tftp_opcode {
	TFTP_OP_RRQ = 1,
	TFTP_OP_WRQ = 2,
	TFTP_OP_DATA = 3,
	TFTP_OP_ACK = 4,
	TFTP_OP_ERROR = 5,
	TFTP_OP_OACK = 6,
};

enum tftp_errcode {
	TFTP_ERR_UNDEF = 0, /* see message */
	TFTP_ERR_NOTFOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISKFULL = 3,
	TFTP_ERR_ILLEGAL = 4,
	TFTP_ERR_UNKNOWN_TID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NOUSER = 7,
	TFTP_ERR_OPTION = 8, /* RFC 2347: option negotiation refused */
};

#define TFTP_HDR_LEN	     4 /* opcode + block (or error code) */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN     8	   /* RFC 2348 */
#define TFTP_BLKSIZE_MAX     65464 /* RFC 2348: 65535 - IP/UDP headers */
#define TFTP_TIMEOUT_MIN     1	   /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX     255
#define TFTP_WINDOWSIZE_MIN  1 /* RFC 7440 */
#define TFTP_WINDOWSIZE_MAX  65535
#define TFTP_NAME_MAX	     255 /* longest file name we accept, bytes */

/* netascii is converted into a per-transfer buffer at open: keep the worst
   case (max_transfers x 2 x this) small. Text files only. */
#define TFTP_NETASCII_MAX (1u << 20)

/* Options a transfer accepted: echoed in its OACK. */
#define TFTP_OPT_BLKSIZE    0x1
#define TFTP_OPT_TSIZE	    0x2
#define TFTP_OPT_TIMEOUT    0x4
#define TFTP_OPT_WINDOWSIZE 0x8

/* ---- request parsing: every length checked before a byte is read ---- */

static inline bool tftp_ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/*
 * strtonum-like: decimal digits only (no sign, space or hex), bounded.
 * -EINVAL when not a number, -ERANGE outside [min, max].
 */
static inline int tftp_parse_num(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return n ? -ERANGE : -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The next NUL-terminated string at *off; -EBADMSG if unterminated. */
static inline int tftp_next_str(const uint8_t *p, size_t len, size_t *off, const char **s,
				size_t *n)
{
	const uint8_t *nul;

	if (*off >= len)
		return -EBADMSG;
	nul = memchr(p + *off, 0, len - *off);
	if (!nul)
		return -EBADMSG;
	*s = (const char *)p + *off;
	*n = (size_t)(nul - (p + *off));
	*off += *n + 1;
	return 0;
}

struct tftp_rrq_opts {
	uint8_t opts;
	uint16_t blksize, windowsize;
	uint8_t timeout_s;
};

/*
 * Parse the option pairs of an RRQ starting at off.
 *
 * Too small values (blksize < 8, windowsize 0), timeouts outside 1..255 and
 * anything that is not a plain decimal number are refused (the caller sends
 * error 8) rather than ignored: such a client is broken or hostile, and
 * guessing what it meant risks a transfer it cannot receive (blocks of 512
 * into the 8-byte buffer it asked for). Too large blksize and windowsize
 * values are lowered to our caps instead, which RFC 2348 and 7440 allow
 * (the OACK carries the smaller value). Unknown options are ignored
 * (RFC 2347); a repeated option takes its last value.
 *
 * 0; -EBADMSG when a string is unterminated; -EINVAL with *bad naming the
 * refused option.
 */
static inline int tftp_parse_options(const uint8_t *p, size_t len, size_t off, uint16_t max_blksize,
				     uint16_t max_windowsize, struct tftp_rrq_opts *o,
				     const char **bad)
{
	o->opts = 0;
	o->blksize = TFTP_BLKSIZE_DEFAULT;
	o->windowsize = 1;
	o->timeout_s = 0;
	while (off < len) {
		const char *name, *val;
		size_t nlen, vlen;
		uint64_t v;

		if (tftp_next_str(p, len, &off, &name, &nlen) < 0)
			return -EBADMSG;
		/* Some ROMs pad the request with NULs: an empty name ends it. */
		if (nlen == 0)
			break;
		if (tftp_next_str(p, len, &off, &val, &vlen) < 0)
			return -EBADMSG;
		if (tftp_ieq(name, nlen, "blksize")) {
			*bad = "blksize";
			if (tftp_parse_num(val, vlen, TFTP_BLKSIZE_MIN, UINT64_MAX, &v) < 0)
				return -EINVAL;
			if (v > max_blksize)
				v = max_blksize;
			o->blksize = (uint16_t)v;
			o->opts |= TFTP_OPT_BLKSIZE;
		} else if (tftp_ieq(name, nlen, "tsize")) {
			/* RRQ carries 0; any number is accepted, the reply is ours. */
			*bad = "tsize";
			if (tftp_parse_num(val, vlen, 0, UINT64_MAX, &v) < 0)
				return -EINVAL;
			o->opts |= TFTP_OPT_TSIZE;
		} else if (tftp_ieq(name, nlen, "timeout")) {
			*bad = "timeout";
			if (tftp_parse_num(val, vlen, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX, &v) < 0)
				return -EINVAL;
			o->timeout_s = (uint8_t)v;
			o->opts |= TFTP_OPT_TIMEOUT;
		} else if (tftp_ieq(name, nlen, "windowsize")) {
			*bad = "windowsize";
			if (tftp_parse_num(val, vlen, TFTP_WINDOWSIZE_MIN, UINT64_MAX, &v) < 0)
				return -EINVAL;
			if (v > max_windowsize)
				v = max_windowsize;
			o->windowsize = (uint16_t)v;
			o->opts |= TFTP_OPT_WINDOWSIZE;
		}
	}
	return 0;
}

/* RFC 764 netascii: LF -> CR LF, CR -> CR NUL. */
static inline int tftp_netascii(const uint8_t *in, uint64_t n, uint8_t **out, uint64_t *out_len)
{
	uint64_t extra = 0, o = 0;
	uint8_t *b;

	if (n > TFTP_NETASCII_MAX)
		return -EFBIG;
	for (uint64_t i = 0; i < n; i++)
		extra += in[i] == '\n' || in[i] == '\r';
	b = malloc((size_t)(n + extra) + 1);
	if (!b)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		if (in[i] == '\n') {
			b[o++] = '\r';
			b[o++] = '\n';
		} else if (in[i] == '\r') {
			b[o++] = '\r';
			b[o++] = '\0';
		} else {
			b[o++] = in[i];
		}
	}
	*out = b;
	*out_len = o;
	return 0;
}

#endif
