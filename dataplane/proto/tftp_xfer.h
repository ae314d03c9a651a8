/* SPDX-License-Identifier: MIT */
/*
 * The TFTP transfer table (internal to the TFTP module): the transfers'
 * state, their slots, the lookup by client and the retransmit timers.
 *
 * Transfers live in a fixed slab of nslots slots, found through a hash on
 * (client address, client port) whose chains also compare the server port,
 * so a packet costs one bucket walk, and a retransmitted RRQ (which arrives
 * on port 69 and cannot know our transfer port) is found by the same walk.
 * Retransmit deadlines sit in a binary min-heap of slot indexes, so the
 * next due transfer is the heap's top and idle transfers cost nothing per
 * tick. Nothing is allocated after tftp_xfer_table_init().
 *
 * The table owns slots, links and deadlines; what a transfer holds (the
 * open file, the netascii copy) is tftp.c's to release before
 * tftp_xfer_release().
 */
#ifndef BS_PROTO_TFTP_XFER_H
#define BS_PROTO_TFTP_XFER_H

#include <stdbool.h>
#include <stdint.h>

#include "tftp.h"
#include "../util/events.h"

enum tftp_xfer_state {
	X_FREE = 0,
	X_OACK, /* OACK sent, waiting for ACK 0 */
	X_DATA,
};

struct tftp_xfer {
	uint32_t client_ip, server_ip, ifindex;
	uint16_t client_port, server_port;
	uint8_t state;
	uint8_t opts;
	uint8_t timeout_s; /* as the client asked, for the OACK */
	uint16_t blksize, windowsize;
	uint32_t timeout_ms, cur_timeout_ms, retries;

	struct tftp_file file;
	bool file_open;
	const uint8_t *data; /* file.data, or ascii when netascii */
	uint64_t size;
	uint8_t *ascii;

	/* Absolute block indexes: base = oldest unacknowledged, next = next
	   to send, sent_max = highest ever sent (to tell retransmits). */
	uint64_t nblocks, base, next, sent_max;

	/* client events (tftp.c ev_*): the name, the client's MAC as the
	   backend saw it, the last progress report */
	char ev_file[BS_EV_FILE_LEN];
	uint8_t ev_mac[6];
	uint64_t ev_ms, ev_bytes;

	/* the table's: set through tftp_xfer_arm() only */
	uint64_t deadline;
	uint32_t heap_pos;
	uint32_t hnext; /* hash chain / free list: slot + 1, 0 = end */
};

/* Fields are read-only outside tftp_xfer.c. */
struct tftp_xfer_table {
	struct tftp_xfer *slots;
	uint32_t nslots, active, free_head;
	uint32_t *buckets; /* slot + 1, 0 = empty */
	uint32_t bucket_mask;
	uint32_t *heap; /* slot indexes, min-heap on deadline */
	uint32_t heap_len;
};

/* Room for nslots transfers (>= 1). 0 or -ENOMEM (then nothing to free). */
int tftp_xfer_table_init(struct tftp_xfer_table *t, uint32_t nslots);
/* Frees the arrays; every transfer must have been released. */
void tftp_xfer_table_fini(struct tftp_xfer_table *t);

/* any_server_port: a retransmitted RRQ arrives on 69, not on the TID. */
struct tftp_xfer *tftp_xfer_find(const struct tftp_xfer_table *t, uint32_t ip, uint16_t cport,
				 uint16_t sport, bool any_server_port);
/* A zeroed transfer for the client, linked and in the heap with no
   deadline (UINT64_MAX); NULL when every slot is taken. */
struct tftp_xfer *tftp_xfer_alloc(struct tftp_xfer_table *t, uint32_t ip, uint16_t cport);
/* Unlinks x and returns its slot; x's own resources are released already. */
void tftp_xfer_release(struct tftp_xfer_table *t, struct tftp_xfer *x);

void tftp_xfer_arm(struct tftp_xfer_table *t, struct tftp_xfer *x, uint64_t deadline);
/* The transfer with the earliest deadline if it is <= now_ms, else NULL. */
struct tftp_xfer *tftp_xfer_due(const struct tftp_xfer_table *t, uint64_t now_ms);
/* The earliest deadline, UINT64_MAX when none. */
uint64_t tftp_xfer_next_deadline(const struct tftp_xfer_table *t);
/* Any transfer (to release them all), NULL when the table is empty. */
struct tftp_xfer *tftp_xfer_any(const struct tftp_xfer_table *t);

#endif
