/* SPDX-License-Identifier: MIT */
/*
 * TFTP server (RFC 1350, 2347 options, 2348 blksize, 2349 tsize/timeout,
 * 7440 windowsize): read requests only. Pure: no sockets, no clock reads,
 * no globals. All transfers live in one table keyed by (client address,
 * client port, server port); transfers are served from a configurable range
 * of server ports, many clients per port, so there is no socket per
 * transfer.
 */
#ifndef BS_PROTO_TFTP_H
#define BS_PROTO_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datagram.h"
#include "../util/log.h"

#define TFTP_PORT 69

/*
 * Where file bytes come from: the image cache in the server, an in-memory
 * table in unit tests. open() returns 0 or the negative errno values
 * documented for bs_cache_get(); the file stays valid until close().
 */
struct tftp_file {
	const uint8_t *data;
	uint64_t size;
	void *handle; /* the source's own */
	const char *name; /* the source's name for it, for delivered(); may be NULL */
};

struct tftp_files {
	int (*open)(void *arg, const char *path, size_t path_len, struct tftp_file *out);
	void (*close)(void *arg, struct tftp_file *f);
	void *arg;
	/* The last block of f was acknowledged by client_ip (host actions,
	   control/hosts.c). May be NULL. */
	void (*delivered)(void *arg, uint32_t client_ip, const char *name);
	void *delivered_arg;
};

/*
 * A zero field takes the default given. port_lo == 0: no range, every
 * transfer is served from port 69 itself (works: transfers are told apart
 * by the client's address and port).
 */
struct tftp_config {
	uint32_t max_transfers;	   /* tftp-max, default 1024; capped at 2^20 */
	uint16_t port_lo, port_hi; /* tftp-port-range: transfer (server) ports, inclusive */
	uint32_t timeout_ms;	   /* first retransmit timeout unless the client asks; 1000 */
	uint32_t max_retries;	   /* retransmits of one packet before giving up; 5 */
	uint16_t max_blksize;	   /* cap on negotiated blksize (MTU-derived by the
				      backend: MTU - 32); 1468; 512..65464 */
	uint16_t max_windowsize;   /* cap on negotiated windowsize; 64 */
	/* Serve every port_stride-th port from port_lo on (0, 1: every one):
	   with one server per worker, worker k owns port_lo + k, + N, ... */
	uint16_t port_stride;
};

struct tftp_server;

/* NULL on allocation failure (or files without open/close). files and
   *log are copied; log may be NULL. Memory is allocated here once, for
   max_transfers; no allocation per packet (one per netascii transfer). */
struct tftp_server *tftp_server_new(const struct tftp_config *cfg, const struct tftp_files *files,
				    const struct bs_log *log);
void tftp_server_free(struct tftp_server *srv);

/* Client events (util/events.h) go to ring from now on: transfer start,
   progress, done, refused/aborted, timed out. NULL: none. */
struct bs_ev_ring;
void tftp_server_set_events(struct tftp_server *srv, struct bs_ev_ring *ring);

/*
 * Refused requests (not found, access, bad mode, bad option, busy, WRQ) are
 * TFTP_OK: they were understood and answered with an ERROR packet.
 */
enum tftp_verdict {
	TFTP_OK = 0,	       /* handled (reply sent, or valid and nothing to send) */
	TFTP_DROP_MALFORMED,   /* truncated, unterminated strings, bad opcode
				  (bad opcodes get error 4; unparsable RRQs nothing) */
	TFTP_DROP_UNKNOWN_TID, /* ACK/ERROR for no transfer: an ACK is answered
				  with error 5, an ERROR never */
	TFTP_DROP_NO_BUFFER,   /* bs_tx ran dry; the retransmit timer recovers */
	TFTP_VERDICT_COUNT
};

/*
 * One datagram that arrived on port 69 (new requests) or on a transfer port
 * (ACKs, ERRORs). now_ms: monotonic milliseconds. Replies of a transfer
 * come from its transfer port; the ERROR refusing an RRQ comes from the
 * next port of the range too (RFC 1350: the server answers from a new TID).
 * Replies use meta->dst_ip as source, or meta->if_addr when the request
 * was broadcast.
 */
enum tftp_verdict tftp_input(struct tftp_server *srv, const struct bs_udp_meta *meta,
			     const uint8_t *payload, size_t len, uint64_t now_ms, struct bs_tx *tx);

/*
 * Retransmit what timed out, expire dead transfers. Call at or after
 * tftp_next_deadline(). Deadlines are kept in a min-heap: a call costs
 * O(k log n) for the k transfers due, nothing for the others.
 */
void tftp_tick(struct tftp_server *srv, uint64_t now_ms, struct bs_tx *tx);

/* Monotonic ms of the next retransmit/expiry, UINT64_MAX when idle. */
uint64_t tftp_next_deadline(const struct tftp_server *srv);

size_t tftp_active_transfers(const struct tftp_server *srv);

/*
 * Counters by name: tftp_rrq, tftp_oack, tftp_done, tftp_aborted_by_client
 * (client sent ERROR, e.g. the UEFI tsize probe), tftp_timeouts (gave up),
 * tftp_retransmits (DATA/OACK packets sent again), tftp_bytes and
 * tftp_blocks (file data sent, first transmissions only),
 * tftp_err_notfound, tftp_err_access (errors 1 and 2 sent),
 * tftp_err_illegal (4), tftp_err_option (8), tftp_refused_path (names
 * refused: too long, control characters, outside the root), tftp_malformed,
 * tftp_unknown_tid, tftp_busy (RRQ dropped at tftp-max: no ERROR, so the
 * client retries),
 * tftp_no_buffer; and the gauge tftp_active.
 */
void tftp_stats_foreach(const struct tftp_server *srv, bs_stat_fn fn, void *arg);

#endif
