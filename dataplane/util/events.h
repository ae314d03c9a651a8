/* SPDX-License-Identifier: MIT */
/*
 * Client progress events (docs/control.md "events"): which client is at
 * which stage, as fixed-size records in a bounded ring per producer (one
 * per worker: the producer hands its ring to the modules it runs).
 *
 * Records are plain data (no pointers) and a ring is one flat block, so
 * both can move to shared memory when control and dataplane become two
 * processes. The producer never blocks and never formats: a record is a
 * struct copy, and when the ring is full the oldest record is overwritten.
 * Readers keep their own cursor (a sequence number) and learn from it how
 * many records they missed. One producer per ring; any number of readers,
 * which never write to the ring (a per-slot sequence works as a seqlock).
 */
#ifndef BS_UTIL_EVENTS_H
#define BS_UTIL_EVENTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum bs_ev_type {
	BS_EV_NONE = 0,
	BS_EV_DHCP_DISCOVER, /* received; ip: requested address, if any */
	BS_EV_DHCP_OFFER,    /* sent; ip: offered address (0: proxy), file */
	BS_EV_DHCP_REQUEST,  /* received; ip: requested address or ciaddr */
	BS_EV_DHCP_ACK,	     /* sent; ip, file */
	BS_EV_DHCP_NAK,	     /* sent */
	BS_EV_DHCP_DECLINE,  /* received; ip: the declined address */
	BS_EV_DHCP_RELEASE,  /* received; ip: the released address */
	BS_EV_DHCP_INFORM,   /* received */
	BS_EV_TFTP_START,    /* transfer set up; file, total: its size */
	BS_EV_TFTP_PROGRESS, /* bytes acked of total (at most every 1 s and 25 %) */
	BS_EV_TFTP_DONE,     /* last block acked; bytes == total */
	BS_EV_TFTP_ERROR,    /* refused (status: TFTP error code) or aborted by
				the client (status 0x100 + the client's code) */
	BS_EV_TFTP_TIMEOUT,  /* gave up after the retransmits; bytes acked */
	BS_EV_HTTP_DONE,     /* response written; file: path, status, bytes: body */
	BS_EV_TYPE_COUNT
};

#define BS_EV_F_PROXY	1 /* DHCP: a proxyDHCP range */
#define BS_EV_F_BOOTSRV 2 /* DHCP: to or from the PXE boot server port 4011 */

#define BS_EV_FILE_LEN	      80 /* file/path bytes kept (longer ones are cut) */
#define BS_EV_ARCH_NONE	      0xffff
#define BS_EV_TFTP_CLIENT_ERR 0x100

struct bs_event {
	uint64_t mono_ms;	   /* CLOCK_MONOTONIC ms (readers convert to wall time) */
	uint64_t bytes, total;	   /* TFTP/HTTP; 0 elsewhere */
	uint32_t ip;		   /* host order; 0: none */
	uint16_t arch;		   /* DHCP option 93, BS_EV_ARCH_NONE: not sent */
	uint16_t status;	   /* HTTP status, TFTP error code */
	uint8_t type;		   /* enum bs_ev_type */
	uint8_t flags;		   /* BS_EV_F_* */
	uint8_t mac[6];		   /* all zero: not known to the producer */
	char file[BS_EV_FILE_LEN]; /* NUL-padded; not terminated when full */
};

struct bs_ev_slot {
	_Atomic uint64_t seq; /* record number + 1 once written; 0: being written */
	struct bs_event ev;
};

struct bs_ev_ring {
	uint32_t size, mask;   /* size: a power of two */
	_Atomic uint64_t head; /* records written so far (the next one's number) */
	struct bs_ev_slot slots[];
};

/* Bytes of a ring of size records (size a power of two), for placing one
   in memory of the caller's (shared memory later). */
size_t bs_ev_ring_bytes(uint32_t size);
/* Make mem (bs_ev_ring_bytes(size) bytes) an empty ring. */
struct bs_ev_ring *bs_ev_ring_init(void *mem, uint32_t size);
/* calloc'd ring (free()); size rounded up to a power of two, >= 2.
   NULL when out of memory. */
struct bs_ev_ring *bs_ev_ring_new(uint32_t size);

/*
 * Append a record: ev->type, ... as given. Never blocks, never fails: when
 * the ring is full the oldest record goes. r NULL: nothing (no subscriber
 * machinery), so callers need no test.
 */
void bs_ev_emit(struct bs_ev_ring *r, const struct bs_event *ev);

/* Copy n bytes of name into ev->file, cut to BS_EV_FILE_LEN. */
void bs_ev_set_file(struct bs_event *ev, const char *name, size_t n);

/* Number of the next record to be written: a new reader's cursor. */
uint64_t bs_ev_head(const struct bs_ev_ring *r);

/*
 * The record at *cursor into *ev: 1 and *cursor advanced, 0 nothing new.
 * Records overwritten before they were read are skipped: their number is
 * added to *missed (so a reader always knows how many it lost).
 */
int bs_ev_read(const struct bs_ev_ring *r, uint64_t *cursor, struct bs_event *ev, uint64_t *missed);

/* "dhcp-offer", "tftp-progress", ...; NULL for an unknown type. */
const char *bs_ev_type_name(unsigned type);
/*
 * A comma-separated list of type names or groups ("dhcp", "tftp", "http")
 * as a bit mask (bit = 1 << type). 0 and *mask, or -1 (an unknown name).
 */
int bs_ev_parse_types(const char *s, uint32_t *mask);

#endif
