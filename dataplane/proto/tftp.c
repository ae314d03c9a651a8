/* SPDX-License-Identifier: MIT */
/*
 * TFTP server: read requests only, many transfers per server port. This
 * file is the protocol (requests, options, windows, retransmits, errors);
 * the transfer table it keeps them in (slots, lookup by client, timer heap)
 * is tftp_xfer.c.
 *
 * Block numbers are tracked as 64-bit absolute indexes (first block = 1)
 * and only truncated to 16 bits on the wire, so files of more than 65535
 * blocks roll over 65535 -> 0 without special cases; an ACK's 16-bit number
 * is mapped back into the window in flight.
 */
#include "tftp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tftp_wire.h"
#include "tftp_xfer.h"
#include "../util/bytes.h"

#define TFTP_DEFAULT_MAX_TRANSFERS 50
#define TFTP_DEFAULT_TIMEOUT_MS	   1000
#define TFTP_DEFAULT_RETRIES	   5
#define TFTP_DEFAULT_MAX_BLKSIZE   1468 /* 1500-byte MTU - IP/UDP/TFTP headers */
#define TFTP_DEFAULT_MAX_WINDOW	   64
#define TFTP_SLOTS_MAX		   (1u << 20)
/* Backoff stops doubling here unless the client asked for more. */
#define TFTP_BACKOFF_CAP_MS 60000
#define TFTP_LOG_BURST	    10

enum tftp_stat {
	ST_RRQ,
	ST_OACK,
	ST_DONE,
	ST_ABORTED_BY_CLIENT,
	ST_TIMEOUTS,
	ST_RETRANSMITS,
	ST_BYTES,
	ST_BLOCKS,
	ST_ERR_NOTFOUND,
	ST_ERR_ACCESS,
	ST_ERR_ILLEGAL,
	ST_ERR_OPTION,
	ST_REFUSED_PATH,
	ST_MALFORMED,
	ST_UNKNOWN_TID,
	ST_BUSY,
	ST_NO_BUFFER,
	ST_COUNT
};

static const char *const stat_names[ST_COUNT] = {
    [ST_RRQ] = "tftp_rrq",
    [ST_OACK] = "tftp_oack",
    [ST_DONE] = "tftp_done",
    [ST_ABORTED_BY_CLIENT] = "tftp_aborted_by_client",
    [ST_TIMEOUTS] = "tftp_timeouts",
    [ST_RETRANSMITS] = "tftp_retransmits",
    [ST_BYTES] = "tftp_bytes",
    [ST_BLOCKS] = "tftp_blocks",
    [ST_ERR_NOTFOUND] = "tftp_err_notfound",
    [ST_ERR_ACCESS] = "tftp_err_access",
    [ST_ERR_ILLEGAL] = "tftp_err_illegal",
    [ST_ERR_OPTION] = "tftp_err_option",
    [ST_REFUSED_PATH] = "tftp_refused_path",
    [ST_MALFORMED] = "tftp_malformed",
    [ST_UNKNOWN_TID] = "tftp_unknown_tid",
    [ST_BUSY] = "tftp_busy",
    [ST_NO_BUFFER] = "tftp_no_buffer",
};

struct tftp_server {
	struct tftp_config cfg;
	struct tftp_files files;
	struct bs_log log;
	struct bs_ratelimit rl;

	struct tftp_xfer_table xt;
	uint16_t next_port;
	struct bs_ev_ring *ev; /* the worker's event ring; NULL: none */

	uint64_t stats[ST_COUNT];
};

/* ---- small helpers ------------------------------------------------------ */

static void ip_str(char buf[16], uint32_t ip)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/*
 * Whether a line about client behaviour may be logged now. Filtered by
 * priority before the rate limit, so suppressed debug lines do not use up
 * the tokens of warnings.
 */
static bool log_ok(struct tftp_server *srv, int prio, uint64_t now_ms)
{
	return srv->log.fn && prio <= srv->log.max_prio &&
	       bs_ratelimit_ok(&srv->rl, now_ms, TFTP_LOG_BURST);
}

/* Client-supplied text goes into logs: keep it to one printable line. */
static void printable(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < dstsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[o++] = (ch >= 0x20 && ch < 0x7f && ch != '"') ? (char)ch : '?';
	}
	dst[o] = '\0';
}

static void arm(struct tftp_server *srv, struct tftp_xfer *x, uint64_t now_ms)
{
	tftp_xfer_arm(&srv->xt, x, now_ms + x->cur_timeout_ms);
}

/* Releases what the transfer holds, then its slot. */
static void xfer_free(struct tftp_server *srv, struct tftp_xfer *x)
{
	if (x->file_open)
		srv->files.close(srv->files.arg, &x->file);
	free(x->ascii);
	tftp_xfer_release(&srv->xt, x);
}

/* ---- client events (util/events.h): struct copies, nothing formatted ---- */

static uint64_t acked_bytes(const struct tftp_xfer *x)
{
	uint64_t b = (x->base - 1) * x->blksize;

	return b < x->size ? b : x->size;
}

static void ev_put(struct tftp_server *srv, struct bs_event *e, uint32_t ip, const uint8_t *mac,
		   uint64_t now_ms)
{
	e->mono_ms = now_ms;
	e->ip = ip;
	e->arch = BS_EV_ARCH_NONE;
	memcpy(e->mac, mac, 6);
	bs_ev_emit(srv->ev, e);
}

static void ev_xfer(struct tftp_server *srv, const struct tftp_xfer *x, uint8_t type,
		    uint64_t bytes, uint16_t status, uint64_t now_ms)
{
	struct bs_event e = {.bytes = bytes, .total = x->size, .status = status, .type = type};

	if (!srv->ev)
		return;
	memcpy(e.file, x->ev_file, sizeof(e.file));
	ev_put(srv, &e, x->client_ip, x->ev_mac, now_ms);
}

/* A transfer that just started: remember what the events will name. */
static void ev_start(struct tftp_server *srv, const struct bs_udp_meta *meta, uint16_t port,
		     const char *path, size_t plen, uint64_t now_ms)
{
	struct tftp_xfer *x;
	struct bs_event e;

	if (!srv->ev || !(x = tftp_xfer_find(&srv->xt, meta->src_ip, meta->src_port, port, false)))
		return;
	bs_ev_set_file(&e, path, plen);
	memcpy(x->ev_file, e.file, sizeof(x->ev_file));
	memcpy(x->ev_mac, meta->src_mac, 6);
	x->ev_ms = now_ms;
	x->ev_bytes = 0;
	ev_xfer(srv, x, BS_EV_TFTP_START, 0, 0, now_ms);
}

/* At most one progress event per second and per quarter of the file,
   whichever is rarer: three for most files, none for small ones. */
static void ev_progress(struct tftp_server *srv, struct tftp_xfer *x, uint64_t now_ms)
{
	uint64_t b;

	if (!srv->ev || now_ms - x->ev_ms < 1000)
		return;
	b = acked_bytes(x);
	if ((b - x->ev_bytes) * 4 < x->size || b >= x->size) /* all acked: done follows */
		return;
	x->ev_ms = now_ms;
	x->ev_bytes = b;
	ev_xfer(srv, x, BS_EV_TFTP_PROGRESS, b, 0, now_ms);
}

/* A request refused before any transfer existed. */
static void ev_refused(struct tftp_server *srv, const struct bs_udp_meta *meta, uint16_t code,
		       const char *path, size_t plen, uint64_t now_ms)
{
	struct bs_event e = {.status = code, .type = BS_EV_TFTP_ERROR};

	if (!srv->ev)
		return;
	bs_ev_set_file(&e, path, plen);
	ev_put(srv, &e, meta->src_ip, meta->src_mac, now_ms);
}

void tftp_server_set_events(struct tftp_server *srv, struct bs_ev_ring *ring)
{
	srv->ev = ring;
}

/* ---- sending ------------------------------------------------------------ */

static void addr_to(struct bs_tx_addr *to, uint32_t ifindex, uint32_t src_ip, uint16_t src_port,
		    uint32_t dst_ip, uint16_t dst_port)
{
	memset(to, 0, sizeof(*to));
	to->ifindex = ifindex;
	to->src_ip = src_ip;
	to->dst_ip = dst_ip;
	to->src_port = src_port;
	to->dst_port = dst_port;
	to->l2 = BS_TX_ROUTED;
}

/* Our address for replies: the one the request was sent to, unless that
   was a broadcast. */
static uint32_t reply_src_ip(const struct bs_udp_meta *meta)
{
	if (meta->dst_ip == 0 || meta->dst_ip == 0xffffffffu || (meta->dst_ip >> 28) == 0xe)
		return meta->if_addr;
	return meta->dst_ip;
}

static int send_error(struct tftp_server *srv, struct bs_tx *tx, const struct bs_udp_meta *meta,
		      uint16_t src_port, uint16_t code, const char *msg)
{
	size_t mlen = strlen(msg), len = TFTP_HDR_LEN + mlen + 1;
	struct bs_tx_addr to;
	uint8_t *b = bs_tx_alloc(tx, len);

	if (!b) {
		srv->stats[ST_NO_BUFFER]++;
		return -ENOBUFS;
	}
	put_be16(b, TFTP_OP_ERROR);
	put_be16(b + 2, code);
	memcpy(b + 4, msg, mlen + 1);
	addr_to(&to, meta->ifindex, reply_src_ip(meta), src_port, meta->src_ip, meta->src_port);
	bs_tx_commit(tx, b, len, &to);
	return 0;
}

static void xfer_addr(const struct tftp_xfer *x, struct bs_tx_addr *to)
{
	addr_to(to, x->ifindex, x->server_ip, x->server_port, x->client_ip, x->client_port);
}

static size_t put_opt(uint8_t *b, const char *name, uint64_t v)
{
	int n = snprintf((char *)b, 48, "%s%c%llu", name, 0, (unsigned long long)v);

	return (size_t)n + 1;
}

static int send_oack(struct tftp_server *srv, struct tftp_xfer *x, struct bs_tx *tx)
{
	/* four options, each "windowsize\0" + 20 digits + "\0" at most */
	uint8_t *b = bs_tx_alloc(tx, 2 + 4 * 48);
	struct bs_tx_addr to;
	size_t len = 2;

	if (!b) {
		srv->stats[ST_NO_BUFFER]++;
		return -ENOBUFS;
	}
	put_be16(b, TFTP_OP_OACK);
	if (x->opts & TFTP_OPT_BLKSIZE)
		len += put_opt(b + len, "blksize", x->blksize);
	if (x->opts & TFTP_OPT_TSIZE)
		len += put_opt(b + len, "tsize", x->size);
	if (x->opts & TFTP_OPT_TIMEOUT)
		len += put_opt(b + len, "timeout", x->timeout_s);
	if (x->opts & TFTP_OPT_WINDOWSIZE)
		len += put_opt(b + len, "windowsize", x->windowsize);
	xfer_addr(x, &to);
	bs_tx_commit(tx, b, len, &to);
	return 0;
}

/*
 * Send blocks from x->next up to the end of the window or the file. Bytes
 * go from the mapping straight into the TX buffer. Stops at the first
 * missing buffer: the retransmit timer resends from base later.
 */
static int send_window(struct tftp_server *srv, struct tftp_xfer *x, struct bs_tx *tx)
{
	struct bs_tx_addr to;

	xfer_addr(x, &to);
	while (x->next < x->base + x->windowsize && x->next <= x->nblocks) {
		uint64_t off = (x->next - 1) * x->blksize;
		size_t n = (size_t)(x->size - off < x->blksize ? x->size - off : x->blksize);
		uint8_t *b = bs_tx_alloc(tx, TFTP_HDR_LEN + n);

		if (!b) {
			srv->stats[ST_NO_BUFFER]++;
			return -ENOBUFS;
		}
		put_be16(b, TFTP_OP_DATA);
		put_be16(b + 2, (uint16_t)x->next);
		if (n)
			memcpy(b + TFTP_HDR_LEN, x->data + off, n);
		bs_tx_commit(tx, b, TFTP_HDR_LEN + n, &to);
		if (x->next <= x->sent_max) {
			srv->stats[ST_RETRANSMITS]++;
		} else {
			x->sent_max = x->next;
			srv->stats[ST_BLOCKS]++;
			srv->stats[ST_BYTES] += n;
		}
		x->next++;
	}
	return 0;
}

/* ---- RRQ ---------------------------------------------------------------- */

static uint16_t pick_port(struct tftp_server *srv)
{
	uint16_t p = srv->next_port;
	uint32_t next = (uint32_t)p + (srv->cfg.port_stride ? srv->cfg.port_stride : 1);

	srv->next_port = next > srv->cfg.port_hi ? srv->cfg.port_lo : (uint16_t)next;
	return p;
}

static void log_refused(struct tftp_server *srv, const struct bs_udp_meta *meta, const char *name,
			size_t nlen, const char *why, uint64_t now_ms)
{
	char ip[16], shown[80];

	if (!log_ok(srv, LOG_WARNING, now_ms))
		return;
	ip_str(ip, meta->src_ip);
	printable(shown, sizeof(shown), name, nlen);
	bs_logf(&srv->log, LOG_WARNING, "tftp: %s:%u: refused \"%s\"%s: %s", ip, meta->src_port,
		shown, nlen >= sizeof(shown) ? "..." : "", why);
}

/*
 * Checks done before the file source sees the name; '\' becomes '/' for
 * Windows/WDS clients. Fills path (NUL-terminated) and *plen. NULL, or the
 * reason for refusing.
 */
static const char *check_name(const char *name, size_t nlen, char path[TFTP_NAME_MAX + 1],
			      size_t *plen)
{
	/*
	 * Some NIC option ROMs append a 0xff byte to the boot file name
	 * ("lpxelinux.0\xff", tftpd-hpa users remap it away). No valid UTF-8
	 * name ends in 0xff, so dropping trailing ones cannot hit a real file.
	 */
	while (nlen > 0 && (unsigned char)name[nlen - 1] == 0xff)
		nlen--;
	*plen = nlen;
	if (nlen == 0)
		return "empty name";
	if (nlen > TFTP_NAME_MAX)
		return "name too long";
	for (size_t i = 0; i < nlen; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x20 || ch == 0x7f)
			return "control character in name";
		path[i] = ch == '\\' ? '/' : (char)ch;
	}
	path[nlen] = '\0';
	return NULL;
}

/* Map the file source's errno to the TFTP error sent. */
static void open_error(struct tftp_server *srv, struct bs_tx *tx, const struct bs_udp_meta *meta,
		       uint16_t port, int err, const char *name, size_t nlen, uint64_t now_ms)
{
	uint16_t code = TFTP_ERR_ACCESS;
	const char *msg = "access violation";

	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		srv->stats[ST_ERR_NOTFOUND]++;
		code = TFTP_ERR_NOTFOUND;
		msg = "file not found";
		break;
	case -EACCES:
	case -EPERM:
	case -EXDEV:
	case -ELOOP:
	case -EINVAL:
	case -ENAMETOOLONG:
		srv->stats[ST_REFUSED_PATH]++;
		srv->stats[ST_ERR_ACCESS]++;
		log_refused(srv, meta, name, nlen, "outside the root or not readable", now_ms);
		break;
	case -EISDIR:
		srv->stats[ST_ERR_ACCESS]++;
		msg = "not a regular file";
		break;
	default:
		code = TFTP_ERR_UNDEF;
		msg = "cannot open file";
		break;
	}
	ev_refused(srv, meta, code, name, nlen, now_ms);
	send_error(srv, tx, meta, port, code, msg);
}

/*
 * Set up a transfer for an opened file and send its first packet: the OACK
 * if any option was accepted, else DATA 1 (RFC 2347). Takes over file.
 */
static enum tftp_verdict xfer_start(struct tftp_server *srv, const struct bs_udp_meta *meta,
				    struct tftp_file *file, const struct tftp_rrq_opts *o,
				    bool netascii, uint16_t port, uint64_t now_ms, struct bs_tx *tx)
{
	struct tftp_xfer *x;
	int err;

	x = tftp_xfer_alloc(&srv->xt, meta->src_ip, meta->src_port);
	if (!x) { /* cannot happen: active < max_transfers == slots */
		srv->files.close(srv->files.arg, file);
		srv->stats[ST_BUSY]++;
		send_error(srv, tx, meta, port, TFTP_ERR_UNDEF, "too many transfers");
		return TFTP_OK;
	}
	x->server_port = port;
	x->server_ip = reply_src_ip(meta);
	x->ifindex = meta->ifindex;
	x->file = *file;
	x->file_open = true;
	x->data = file->data;
	x->size = file->size;
	if (netascii) {
		err = tftp_netascii(file->data, file->size, &x->ascii, &x->size);
		/* The converted copy is all we need: release the mapping now. */
		srv->files.close(srv->files.arg, &x->file);
		x->file_open = false;
		if (err < 0) {
			xfer_free(srv, x);
			send_error(srv, tx, meta, port, TFTP_ERR_UNDEF,
				   err == -EFBIG ? "file too large for netascii" : "out of memory");
			return TFTP_OK;
		}
		x->data = x->ascii;
	}
	x->opts = o->opts;
	x->blksize = o->blksize;
	x->windowsize = o->windowsize;
	x->timeout_s = o->timeout_s;
	x->timeout_ms = o->timeout_s ? o->timeout_s * 1000u : srv->cfg.timeout_ms;
	x->cur_timeout_ms = x->timeout_ms;
	x->nblocks = x->size / x->blksize + 1;
	x->base = 1;
	x->next = 1;
	if (x->opts) {
		x->state = X_OACK;
		srv->stats[ST_OACK]++;
		err = send_oack(srv, x, tx);
	} else {
		x->state = X_DATA;
		err = send_window(srv, x, tx);
	}
	arm(srv, x, now_ms);
	return err < 0 ? TFTP_DROP_NO_BUFFER : TFTP_OK;
}

static enum tftp_verdict on_rrq(struct tftp_server *srv, const struct bs_udp_meta *meta,
				const uint8_t *p, size_t len, uint64_t now_ms, struct bs_tx *tx)
{
	const char *name, *mode, *bad = "";
	size_t nlen, mlen, plen, off = 2;
	char path[TFTP_NAME_MAX + 1];
	struct tftp_file file;
	struct tftp_rrq_opts o;
	struct tftp_xfer *x;
	enum tftp_verdict v;
	bool netascii;
	const char *why;
	uint16_t port;
	int err;

	if (tftp_next_str(p, len, &off, &name, &nlen) < 0 ||
	    tftp_next_str(p, len, &off, &mode, &mlen) < 0)
		goto malformed;
	err = tftp_parse_options(p, len, off, srv->cfg.max_blksize, srv->cfg.max_windowsize, &o,
				 &bad);
	if (err == -EBADMSG)
		goto malformed;
	srv->stats[ST_RRQ]++;

	x = tftp_xfer_find(&srv->xt, meta->src_ip, meta->src_port, 0, true);
	if (x) {
		/*
		 * Same client address and port: before the client has acked
		 * anything this is its retransmission of the RRQ, and our own
		 * timer resends. Later, it is a client that restarted from the
		 * same port (ROMs reuse ports across reboots): start over.
		 */
		if (x->state == X_OACK || x->base == 1)
			return TFTP_OK;
		xfer_free(srv, x);
	}

	port = pick_port(srv);
	if (tftp_ieq(mode, mlen, "octet")) {
		netascii = false;
	} else if (tftp_ieq(mode, mlen, "netascii")) {
		netascii = true;
	} else {
		srv->stats[ST_ERR_ILLEGAL]++;
		send_error(srv, tx, meta, port, TFTP_ERR_ILLEGAL, "unsupported mode");
		return TFTP_OK;
	}
	if (err < 0) {
		char msg[64];

		srv->stats[ST_ERR_OPTION]++;
		snprintf(msg, sizeof(msg), "invalid %s value", bad);
		send_error(srv, tx, meta, port, TFTP_ERR_OPTION, msg);
		return TFTP_OK;
	}
	if (srv->xt.active >= srv->cfg.max_transfers) {
		/*
		 * No ERROR here: PXE firmware gives up on an ERROR packet, but it
		 * retransmits an unanswered RRQ. In a boot storm silence turns
		 * overload into a short delay instead of a failed boot (seen with
		 * the storm harness: clients whose next RRQ overtook the final ACK
		 * of their previous file got "too many transfers" and failed).
		 */
		srv->stats[ST_BUSY]++;
		if (log_ok(srv, LOG_WARNING, now_ms))
			bs_logf(&srv->log, LOG_WARNING,
				"tftp-max (%u transfers) reached: request dropped, the client "
				"will retry; raise tftp-max if this persists",
				srv->cfg.max_transfers);
		return TFTP_OK;
	}
	if (nlen == 0) {
		srv->stats[ST_ERR_NOTFOUND]++;
		send_error(srv, tx, meta, port, TFTP_ERR_NOTFOUND, "empty file name");
		return TFTP_OK;
	}
	why = check_name(name, nlen, path, &plen);
	if (why) {
		srv->stats[ST_REFUSED_PATH]++;
		srv->stats[ST_ERR_ACCESS]++;
		log_refused(srv, meta, name, nlen, why, now_ms);
		ev_refused(srv, meta, TFTP_ERR_ACCESS, name, nlen, now_ms);
		send_error(srv, tx, meta, port, TFTP_ERR_ACCESS, "access violation");
		return TFTP_OK;
	}
	memset(&file, 0, sizeof(file));
	err = srv->files.open(srv->files.arg, path, plen, &file);
	if (err < 0) {
		open_error(srv, tx, meta, port, err, path, plen, now_ms);
		return TFTP_OK;
	}

	if (srv->log.fn && srv->log.max_prio >= LOG_DEBUG) {
		char ip[16], shown[80];

		ip_str(ip, meta->src_ip);
		printable(shown, sizeof(shown), path, plen);
		bs_logf(&srv->log, LOG_DEBUG, "tftp: %s:%u: RRQ \"%s\" %s%s%s%s%s", ip,
			meta->src_port, shown, netascii ? "netascii" : "octet",
			o.opts & TFTP_OPT_BLKSIZE ? " blksize" : "",
			o.opts & TFTP_OPT_TSIZE ? " tsize" : "",
			o.opts & TFTP_OPT_TIMEOUT ? " timeout" : "",
			o.opts & TFTP_OPT_WINDOWSIZE ? " windowsize" : "");
	}
	v = xfer_start(srv, meta, &file, &o, netascii, port, now_ms, tx);
	ev_start(srv, meta, port, path, plen, now_ms);
	return v;

malformed:
	srv->stats[ST_MALFORMED]++;
	if (log_ok(srv, LOG_DEBUG, now_ms)) {
		char ip[16];

		ip_str(ip, meta->src_ip);
		bs_logf(&srv->log, LOG_DEBUG, "tftp: %s:%u: malformed request (%zu bytes)", ip,
			meta->src_port, len);
	}
	return TFTP_DROP_MALFORMED;
}

/* ---- ACK, ERROR --------------------------------------------------------- */

static enum tftp_verdict on_ack(struct tftp_server *srv, struct tftp_xfer *x, uint16_t block,
				uint64_t now_ms, struct bs_tx *tx)
{
	uint64_t last, acked;
	uint16_t d;

	if (x->state == X_OACK) {
		if (block != 0)
			return TFTP_OK;
		x->state = X_DATA;
	} else {
		/* Which block in flight (last acked .. last sent) is meant? */
		last = x->base - 1;
		d = (uint16_t)(block - (uint16_t)last);
		/*
		 * d == 0 is a duplicate ACK: never answer it with data
		 * (Sorcerer's Apprentice, RFC 1123 4.2.3.1); only the timer
		 * resends. Numbers beyond what we sent are stale or bogus.
		 */
		if (d == 0 || d > x->next - 1 - last)
			return TFTP_OK;
		acked = last + d;
		if (acked == x->nblocks) {
			srv->stats[ST_DONE]++;
			ev_xfer(srv, x, BS_EV_TFTP_DONE, x->size, 0, now_ms);
			if (srv->files.delivered && x->file.name)
				srv->files.delivered(srv->files.delivered_arg, x->client_ip,
						     x->file.name);
			xfer_free(srv, x);
			return TFTP_OK;
		}
		x->base = acked + 1;
		ev_progress(srv, x, now_ms);
		/* Partial ACK (RFC 7440): the client lost acked+1; go back. */
		if (acked < x->next - 1)
			x->next = x->base;
	}
	x->retries = 0;
	x->cur_timeout_ms = x->timeout_ms;
	arm(srv, x, now_ms);
	return send_window(srv, x, tx) < 0 ? TFTP_DROP_NO_BUFFER : TFTP_OK;
}

static void on_error(struct tftp_server *srv, struct tftp_xfer *x, const uint8_t *p, size_t len,
		     uint64_t now_ms)
{
	/*
	 * UEFI firmware (OVMF, many vendor ROMs) asks for tsize, reads the
	 * OACK and aborts with error 8 to learn the size before the real
	 * download: routine, so counted and logged at debug level only.
	 */
	srv->stats[ST_ABORTED_BY_CLIENT]++;
	if (log_ok(srv, LOG_DEBUG, now_ms)) {
		const uint8_t *nul = memchr(p + 4, 0, len - 4);
		char ip[16], msg[64];

		ip_str(ip, x->client_ip);
		printable(msg, sizeof(msg), (const char *)p + 4,
			  nul ? (size_t)(nul - (p + 4)) : len - 4);
		bs_logf(&srv->log, LOG_DEBUG, "tftp: %s:%u: client aborted at block %llu: %u %s",
			ip, x->client_port, (unsigned long long)x->base, get_be16(p + 2), msg);
	}
	ev_xfer(srv, x, BS_EV_TFTP_ERROR, acked_bytes(x),
		(uint16_t)(BS_EV_TFTP_CLIENT_ERR + (get_be16(p + 2) & 0xff)), now_ms);
	xfer_free(srv, x);
}

/* ---- public ------------------------------------------------------------- */

enum tftp_verdict tftp_input(struct tftp_server *srv, const struct bs_udp_meta *meta,
			     const uint8_t *payload, size_t len, uint64_t now_ms, struct bs_tx *tx)
{
	struct tftp_xfer *x;
	uint16_t op;

	/* Nothing to answer (and no one to answer safely) below this. */
	if (len < 2 || meta->src_port == 0 || meta->src_ip == 0 || meta->src_ip == 0xffffffffu) {
		srv->stats[ST_MALFORMED]++;
		return TFTP_DROP_MALFORMED;
	}
	op = get_be16(payload);
	switch (op) {
	case TFTP_OP_RRQ:
		if (meta->dst_port != TFTP_PORT)
			break;
		return on_rrq(srv, meta, payload, len, now_ms, tx);
	case TFTP_OP_WRQ:
		srv->stats[ST_ERR_ILLEGAL]++;
		send_error(srv, tx, meta,
			   meta->dst_port == TFTP_PORT ? pick_port(srv) : meta->dst_port,
			   TFTP_ERR_ILLEGAL, "read-only server");
		return TFTP_OK;
	case TFTP_OP_ACK:
	case TFTP_OP_ERROR:
		if (len < TFTP_HDR_LEN)
			break;
		x = tftp_xfer_find(&srv->xt, meta->src_ip, meta->src_port, meta->dst_port, false);
		if (!x) {
			srv->stats[ST_UNKNOWN_TID]++;
			/* An ERROR is never answered (RFC 1350): no loops. */
			if (op == TFTP_OP_ACK)
				send_error(srv, tx, meta, meta->dst_port, TFTP_ERR_UNKNOWN_TID,
					   "unknown transfer ID");
			return TFTP_DROP_UNKNOWN_TID;
		}
		if (op == TFTP_OP_ACK)
			return on_ack(srv, x, get_be16(payload + 2), now_ms, tx);
		on_error(srv, x, payload, len, now_ms);
		return TFTP_OK;
	default:
		break;
	}
	/* DATA or OACK to a read-only server, unknown opcodes, short packets. */
	srv->stats[ST_MALFORMED]++;
	srv->stats[ST_ERR_ILLEGAL]++;
	send_error(srv, tx, meta, meta->dst_port, TFTP_ERR_ILLEGAL, "illegal TFTP operation");
	return TFTP_DROP_MALFORMED;
}

void tftp_tick(struct tftp_server *srv, uint64_t now_ms, struct bs_tx *tx)
{
	struct tftp_xfer *x;

	while ((x = tftp_xfer_due(&srv->xt, now_ms))) {
		uint32_t cap;

		if (x->retries >= srv->cfg.max_retries) {
			srv->stats[ST_TIMEOUTS]++;
			if (log_ok(srv, LOG_INFO, now_ms)) {
				char ip[16];

				ip_str(ip, x->client_ip);
				bs_logf(&srv->log, LOG_INFO,
					"tftp: %s:%u: timed out at block %llu of %llu", ip,
					x->client_port, (unsigned long long)x->base,
					(unsigned long long)x->nblocks);
			}
			ev_xfer(srv, x, BS_EV_TFTP_TIMEOUT, acked_bytes(x), 0, now_ms);
			xfer_free(srv, x);
			continue;
		}
		x->retries++;
		cap = x->timeout_ms > TFTP_BACKOFF_CAP_MS ? x->timeout_ms : TFTP_BACKOFF_CAP_MS;
		x->cur_timeout_ms = x->cur_timeout_ms > cap / 2 ? cap : x->cur_timeout_ms * 2;
		arm(srv, x, now_ms);
		if (x->state == X_OACK) {
			srv->stats[ST_RETRANSMITS]++;
			send_oack(srv, x, tx);
		} else {
			x->next = x->base;
			send_window(srv, x, tx);
		}
	}
}

uint64_t tftp_next_deadline(const struct tftp_server *srv)
{
	return tftp_xfer_next_deadline(&srv->xt);
}

size_t tftp_active_transfers(const struct tftp_server *srv)
{
	return srv->xt.active;
}

void tftp_stats_foreach(const struct tftp_server *srv, bs_stat_fn fn, void *arg)
{
	for (int i = 0; i < ST_COUNT; i++)
		fn(arg, stat_names[i], srv->stats[i]);
	fn(arg, "tftp_active", srv->xt.active);
}

struct tftp_server *tftp_server_new(const struct tftp_config *cfg, const struct tftp_files *files,
				    const struct bs_log *log)
{
	struct tftp_server *srv;

	if (!cfg || !files || !files->open || !files->close)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->cfg = *cfg;
	srv->files = *files;
	if (log)
		srv->log = *log;
	if (!srv->cfg.max_transfers)
		srv->cfg.max_transfers = TFTP_DEFAULT_MAX_TRANSFERS;
	if (srv->cfg.max_transfers > TFTP_SLOTS_MAX)
		srv->cfg.max_transfers = TFTP_SLOTS_MAX;
	if (!srv->cfg.timeout_ms)
		srv->cfg.timeout_ms = TFTP_DEFAULT_TIMEOUT_MS;
	if (!srv->cfg.max_retries)
		srv->cfg.max_retries = TFTP_DEFAULT_RETRIES;
	if (!srv->cfg.max_blksize)
		srv->cfg.max_blksize = TFTP_DEFAULT_MAX_BLKSIZE;
	if (srv->cfg.max_blksize > TFTP_BLKSIZE_MAX)
		srv->cfg.max_blksize = TFTP_BLKSIZE_MAX;
	if (srv->cfg.max_blksize < TFTP_BLKSIZE_DEFAULT)
		srv->cfg.max_blksize = TFTP_BLKSIZE_DEFAULT;
	if (!srv->cfg.max_windowsize)
		srv->cfg.max_windowsize = TFTP_DEFAULT_MAX_WINDOW;
	/* No range configured: serve every transfer from port 69 itself. */
	if (!srv->cfg.port_lo)
		srv->cfg.port_lo = srv->cfg.port_hi = TFTP_PORT;
	if (srv->cfg.port_hi < srv->cfg.port_lo)
		srv->cfg.port_hi = srv->cfg.port_lo;
	srv->next_port = srv->cfg.port_lo;

	if (tftp_xfer_table_init(&srv->xt, srv->cfg.max_transfers))
		goto fail;
	return srv;

fail:
	tftp_server_free(srv);
	return NULL;
}

void tftp_server_free(struct tftp_server *srv)
{
	if (!srv)
		return;
	for (struct tftp_xfer *x; (x = tftp_xfer_any(&srv->xt));)
		xfer_free(srv, x);
	tftp_xfer_table_fini(&srv->xt);
	free(srv);
}
