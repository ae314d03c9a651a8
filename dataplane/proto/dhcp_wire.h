/* SPDX-License-Identifier: MIT */
/*
 * DHCP/BOOTP wire format (RFC 2131 section 2, RFC 2132, RFC 3396): decode a
 * BOOTREQUEST into an option index, and lay out a reply's options with
 * bounds, overloading file/sname (option 52) when allowed.
 */
#ifndef BS_PROTO_DHCP_WIRE_H
#define BS_PROTO_DHCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed header offsets (RFC 2131 figure 1). */
#define DHCP_OFF_OP	 0
#define DHCP_OFF_HTYPE	 1
#define DHCP_OFF_HLEN	 2
#define DHCP_OFF_HOPS	 3
#define DHCP_OFF_XID	 4
#define DHCP_OFF_SECS	 8
#define DHCP_OFF_FLAGS	 10
#define DHCP_OFF_CIADDR	 12
#define DHCP_OFF_YIADDR	 16
#define DHCP_OFF_SIADDR	 20
#define DHCP_OFF_GIADDR	 24
#define DHCP_OFF_CHADDR	 28
#define DHCP_OFF_SNAME	 44
#define DHCP_OFF_FILE	 108
#define DHCP_OFF_COOKIE	 236
#define DHCP_OFF_OPTIONS 240

#define DHCP_SNAME_LEN	    64
#define DHCP_FILE_LEN	    128
#define DHCP_MAGIC	    0x63825363u
#define DHCP_FLAG_BROADCAST 0x8000u

#define BOOTREQUEST 1
#define BOOTREPLY   2

/*
 * Replies are padded to this size: RFC 1542 2.1 lets BOOTP relays and old
 * clients drop shorter messages.
 */
#define DHCP_MIN_REPLY 300
/* RFC 2131: every client accepts 576-byte IP datagrams (548 bytes of DHCP). */
#define DHCP_MIN_MAX_MSG 576
/* We never rely on IP fragmentation: at most an Ethernet MTU. */
#define DHCP_MAX_REPLY (1500 - 28)

enum dhcp_msgtype {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
	DHCP_MSGTYPE_MAX = 8,
};

enum dhcp_opt_code {
	DHO_PAD = 0,
	DHO_SUBNET_MASK = 1,
	DHO_ROUTERS = 3,
	DHO_HOST_NAME = 12,
	DHO_VENDOR_ENCAP = 43,
	DHO_REQUESTED_ADDR = 50,
	DHO_LEASE_TIME = 51,
	DHO_OVERLOAD = 52,
	DHO_MSG_TYPE = 53,
	DHO_SERVER_ID = 54,
	DHO_PARAM_REQ = 55,
	DHO_MESSAGE = 56,
	DHO_MAX_MSG_SIZE = 57,
	DHO_T1 = 58,
	DHO_T2 = 59,
	DHO_VENDOR_CLASS = 60,
	DHO_CLIENT_ID = 61,
	DHO_USER_CLASS = 77,
	DHO_FQDN = 81,
	DHO_RELAY_AGENT = 82,
	DHO_CLIENT_ARCH = 93,
	DHO_CLIENT_NDI = 94,
	DHO_CLIENT_UUID = 97,
	DHO_IPXE_ENCAP = 175,
	DHO_END = 255,
};

/* Space for options that a client split into several instances (RFC 3396). */
#define DHCP_CONCAT_MAX 2048

/*
 * A decoded BOOTREQUEST. Option data pointers point into the packet or, for
 * concatenated options, into cat[]; they stay valid as long as both the
 * packet and this struct do. Only the entries whose bit is set in present[]
 * are initialised (so decoding does not clear 4 KiB per packet).
 */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* host order */
	uint8_t chaddr[6];
	uint8_t msgtype;  /* option 53, 0 if absent (BOOTP) */
	uint8_t overload; /* option 52 value, 0 if absent */
	uint64_t present[4];
	struct {
		const uint8_t *data;
		uint16_t len;
	} opt[256];
	size_t catlen;
	uint8_t cat[DHCP_CONCAT_MAX];
};

/*
 * Decode len bytes. Returns 0, -EBADMSG (malformed: truncated, bad cookie,
 * an option running past its area, a missing end option, a bad or looping
 * overload) or -EPROTONOSUPPORT (not a BOOTREQUEST, not Ethernet).
 */
int dhcp_msg_decode(struct dhcp_msg *m, const uint8_t *pkt, size_t len);

static inline bool dhcp_opt_has(const struct dhcp_msg *m, uint8_t code)
{
	return (m->present[code >> 6] >> (code & 63)) & 1;
}

/* Option data and length, or NULL when absent. */
static inline const uint8_t *dhcp_opt_get(const struct dhcp_msg *m, uint8_t code, size_t *len)
{
	if (!dhcp_opt_has(m, code)) {
		*len = 0;
		return NULL;
	}
	*len = m->opt[code].len;
	return m->opt[code].data;
}

/* A 4-byte option as a host-order address; 0 when absent or not 4 bytes. */
uint32_t dhcp_opt_ip(const struct dhcp_msg *m, uint8_t code);

/* True when the option is present and its data starts with prefix. */
bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix);

/* True when needle occurs in the option's data. */
bool dhcp_opt_contains(const struct dhcp_msg *m, uint8_t code, const uint8_t *needle, size_t nlen);

/*
 * Reply option builder. Options are staged in order (add copies the data),
 * then laid out by dhcp_opts_finish(). Long options (> 255 bytes) are split
 * into consecutive instances (RFC 3396).
 */
#define DHCP_OPTS_MAX	96
#define DHCP_OPTS_STORE 3072

struct dhcp_opts {
	size_t n, used;
	bool overflow; /* an add did not fit the staging area */
	struct {
		uint8_t code;
		uint16_t len;
		uint16_t off; /* into store */
	} v[DHCP_OPTS_MAX];
	uint8_t store[DHCP_OPTS_STORE];
};

void dhcp_opts_init(struct dhcp_opts *o);
/* 0 or -ENOSPC. A code already staged is replaced. */
int dhcp_opts_add(struct dhcp_opts *o, uint8_t code, const void *data, size_t len);
int dhcp_opts_add_u8(struct dhcp_opts *o, uint8_t code, uint8_t v);
int dhcp_opts_add_u32(struct dhcp_opts *o, uint8_t code, uint32_t v);
bool dhcp_opts_has(const struct dhcp_opts *o, uint8_t code);

/*
 * Write the staged options into reply (whose first 240 bytes, the fixed
 * header and cookie, the caller has written), at most cap bytes in all.
 * When the options do not fit and overload is true, continue into the file
 * field (if file_free) and then sname (if sname_free), announced by option
 * 52. An option that fits nowhere is left out and counted in *dropped.
 * Pads the reply to DHCP_MIN_REPLY bytes. Returns the reply length or
 * -ENOSPC when cap cannot hold even the header.
 */
int dhcp_opts_finish(const struct dhcp_opts *o, uint8_t *reply, size_t cap, bool overload,
		     bool file_free, bool sname_free, unsigned *dropped);

/* Client's limit for our reply's UDP payload (option 57, clamped). */
size_t dhcp_reply_max(const struct dhcp_msg *m);

#endif
