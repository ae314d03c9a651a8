/* SPDX-License-Identifier: MIT */
/*
 * bootstorm-storm: a boot-storm load generator. One process emulates N
 * network boot clients (each its own MAC, xid, architecture and UUID; PXE,
 * UEFI HTTP, iPXE, optionally beside a proxyDHCP) through DHCP DORA (and
 * port 4011) and the downloads of loader, kernel and initrd over TFTP, on
 * one AF_PACKET socket (TPACKET_V3 RX ring, batched sendmmsg TX), or HTTP,
 * on kernel TCP sockets bound to the leased addresses, from a single event
 * loop with a per-client state machine and a timer heap.
 *
 * Modules: pkt.c (wire formats: Ethernet/ARP/IPv4/UDP/DHCP/TFTP),
 * io.c (packet socket, pcap files), client.c (the per-client state machine
 * and timers), http.c (HTTP downloads), ipxe.c (iPXE scripts, URLs),
 * netsetup.c (routes, ARP, tc filter so the kernel takes the clients'
 * addresses), report.c (statistics, JSON), main.c (options, event loop).
 *
 * Not linked to the server's libraries on purpose: a generator that shares
 * the server's parser cannot find the server's parser bugs.
 */
#ifndef STORM_H
#define STORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STORM_FRAME_MAX 2048
#define STORM_NFILES	3 /* loader, kernel, initrd */
#define STORM_NAME_MAX	128
#define STORM_URL_MAX	256

/* ---- time ---------------------------------------------------------------- */

/* monotonic nanoseconds */
uint64_t storm_now_ns(void);

#define NS_PER_MS 1000000ull
#define NS_PER_S  1000000000ull

/* ---- configuration -------------------------------------------------------- */

struct storm_arch {
	uint16_t arch; /* option 93 value */
	unsigned weight;
};

struct storm_cfg {
	const char *ifname;
	unsigned clients;
	double rate;	   /* new clients per second; 0 = all at once */
	double duration_s; /* give up on everything after this; 0 = none */
	double time_scale; /* DHCP retransmit times x this (1.0 = 4,8,16,32 s) */
	unsigned dhcp_tries;
	double tftp_timeout_s;
	unsigned tftp_retries;
	unsigned blksize;
	unsigned windowsize;
	bool tsize;
	bool tsize_probe;			  /* OVMF: RRQ, OACK, ERROR 8, then the real RRQ */
	char files[STORM_NFILES][STORM_NAME_MAX]; /* [0] empty: from DHCP */
	unsigned nfiles;			  /* 1: loader only */
	bool dhcp_only;				  /* done at the ACK: DORA rate benchmarks */
	struct storm_arch arch[16];
	unsigned narch;
	uint32_t mac_base; /* clients are 02:b5:<32-bit index + base> */
	unsigned seed;
	const char *json_path;
	const char *pcap_prefix;
	const char *label;
	int rx_ring;	/* 2 or 3 */
	double rx_loss; /* fraction of received frames dropped on purpose (tests) */
	bool verbose;
	/* HTTP: kernel and initrd from http_base + name (NULL: TFTP) */
	const char *http_base;
	double http_timeout_s;
	unsigned http_retries;
	bool netsetup;	   /* the generator sets up routes, ARP, tc (netsetup.c) */
	unsigned ipxe_pct; /* --ipxe: this % of PXE clients are iPXE */
	bool proxy;	   /* --proxy: address and boot information from two servers */
};

/* what a client is (report: "types") */
enum storm_kind {
	KIND_PXE_BIOS,	/* PXE ROM, arch 0 */
	KIND_PXE_UEFI,	/* UEFI PXE, any other PXE arch */
	KIND_UEFI_HTTP, /* UEFI HTTP boot, arch 15-20: HTTPClient */
	KIND_IPXE,	/* iPXE second stage (--ipxe) */
	KIND_MAX
};
extern const char *const storm_kind_name[KIND_MAX];
/* RFC 4578 / IANA: 15-20 are the "boot from HTTP" architectures */
static inline bool storm_arch_is_http(uint16_t arch)
{
	return arch >= 15 && arch <= 20;
}

/* ---- wire formats (pkt.c) ------------------------------------------------- */

struct storm_dhcp_opts {
	uint8_t type;
	uint32_t server_id;
	uint32_t yiaddr;
	char vendor_class[32]; /* option 60, truncated */
	uint32_t siaddr;
	uint32_t xid;
	uint8_t chaddr[6];
	char file[STORM_URL_MAX]; /* `file` field, or option 67 (a URL may be long) */
	/* option 43 (PXE): discovery control, first boot menu item's type */
	uint8_t pxe_disc;
	bool has_menu;
	uint16_t menu_type;
};

/* a received frame, parsed down to what the state machine needs */
struct storm_rx {
	const uint8_t *frame;
	size_t len;
	const uint8_t *dst_mac;
	const uint8_t *src_mac;
	uint16_t ethertype;
	/* ARP */
	uint16_t arp_op;
	uint32_t arp_sip, arp_tip;
	const uint8_t *arp_sha;
	/* IPv4 + UDP */
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t plen;
};

uint16_t storm_csum_fold(uint32_t sum);
uint32_t storm_csum_add(uint32_t sum, const void *data, size_t len);

/* Parse Ethernet/ARP/IPv4/UDP. Returns 0 when the frame is ARP or UDP over
 * IPv4 (fields filled), -EINVAL otherwise. Checks every length first. */
int storm_parse(const uint8_t *frame, size_t len, struct storm_rx *rx);

/* Build an Ethernet + IPv4 + UDP frame around payload (already placed at
 * frame + STORM_UDP_HDRS). Returns the frame length. */
#define STORM_UDP_HDRS (14 + 20 + 8)
size_t storm_build_udp(uint8_t *frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, size_t plen,
		       uint16_t ip_id);
/* ARP (op 1 request, 2 reply) from my_mac/my_ip to peer; a request goes to
 * the broadcast MAC with a zero target MAC */
size_t storm_build_arp(uint8_t *frame, uint16_t op, const uint8_t my_mac[6], uint32_t my_ip,
		       const uint8_t peer_mac[6], uint32_t peer_ip);

/* DHCP option 53 values */
enum {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6
};

struct storm_client;
/* DHCP payload for DISCOVER or REQUEST (client fields). Returns its length. */
size_t storm_dhcp_build(uint8_t *p, size_t room, const struct storm_client *c, uint8_t type,
			uint16_t secs);
/* The PXE boot server request (to port 4011): a DHCPREQUEST from the
 * client's address (ciaddr) with option 43 sub-option 71, boot item TYPE,
 * layer 0. */
size_t storm_dhcp_build_bootsrv(uint8_t *p, size_t room, const struct storm_client *c,
				uint16_t secs);
/* Parse a BOOTREPLY. Returns 0 or -EINVAL. */
int storm_dhcp_parse(const uint8_t *p, size_t len, struct storm_dhcp_opts *o);

/* TFTP */
enum { TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4, TFTP_ERROR = 5, TFTP_OACK = 6 };
size_t storm_tftp_rrq(uint8_t *p, size_t room, const char *file, unsigned blksize,
		      unsigned windowsize, bool tsize);
size_t storm_tftp_ack(uint8_t *p, uint16_t block);
size_t storm_tftp_error(uint8_t *p, size_t room, uint16_t code, const char *msg);

struct storm_oack {
	unsigned blksize;    /* 0: not acknowledged */
	unsigned windowsize; /* 0: not acknowledged */
	uint64_t tsize;
	bool has_tsize;
};
int storm_tftp_parse_oack(const uint8_t *p, size_t len, struct storm_oack *o);

/* ---- I/O (io.c) ------------------------------------------------------------ */

struct storm_io;

/* version: 2 or 3 (TPACKET_V2 / TPACKET_V3 RX ring) */
int storm_io_open(struct storm_io **out, const char *ifname, int version, uint8_t if_mac[6]);
void storm_io_close(struct storm_io *io);
int storm_io_fd(const struct storm_io *io);
/* A TX slot (STORM_FRAME_MAX bytes) to build a frame in; NULL when the
 * batch is full (flush first). */
uint8_t *storm_io_tx_slot(struct storm_io *io);
void storm_io_tx_commit(struct storm_io *io, size_t len);
/* Send what is batched. Returns frames sent. */
unsigned storm_io_flush(struct storm_io *io);
/* Call fn for every received frame; returns frames seen. */
typedef void (*storm_rx_fn)(void *ctx, const uint8_t *frame, size_t len);
unsigned storm_io_rx(struct storm_io *io, storm_rx_fn fn, void *ctx);
void storm_io_stats(const struct storm_io *io, uint64_t *tx, uint64_t *tx_err, uint64_t *rx,
		    uint64_t *rx_drop);

/* classic BPF on the packet socket: TCP never enters the RX ring (HTTP
 * bulk data is the kernel's) */
int storm_io_filter_tcp(struct storm_io *io);

/* pcap writer (Ethernet link type, microsecond stamps) */
FILE *storm_pcap_open(const char *path);
void storm_pcap_write(FILE *f, const uint8_t *frame, size_t len, uint64_t ns);

/* ---- clients (client.c) ----------------------------------------------------- */

enum storm_phase {
	PH_IDLE,
	PH_DISCOVER,
	PH_REQUEST,
	PH_BOOTSRV, /* --proxy: boot server request to port 4011 */
	PH_TFTP,
	PH_HTTP,
	PH_DONE,
	PH_FAILED
};

enum storm_fail {
	FAIL_NONE,
	FAIL_DHCP_NO_OFFER,
	FAIL_DHCP_NO_ACK,
	FAIL_DHCP_NAK,
	FAIL_NO_BOOTFILE,
	FAIL_TFTP_ERROR,
	FAIL_TFTP_TIMEOUT,
	FAIL_TFTP_SIZE,
	FAIL_TFTP_PROTO,
	FAIL_DURATION,
	FAIL_HTTP_CONNECT,
	FAIL_HTTP_STATUS,
	FAIL_HTTP_TIMEOUT,
	FAIL_HTTP_SHORT,
	FAIL_HTTP_PROTO,
	FAIL_HTTP_URL,
	FAIL_IPXE_SCRIPT,
	FAIL_PROXY_NO_OFFER,
	FAIL_PROXY_NO_ACK,
	FAIL_MAX
};
extern const char *const storm_fail_name[FAIL_MAX];

struct storm_client {
	uint32_t idx;
	uint8_t mac[6];
	uint8_t uuid[16];
	uint16_t arch;
	uint8_t kind;	  /* enum storm_kind */
	bool files_phase; /* fetches something after the loader */
	uint8_t phase;
	uint8_t fail;
	uint8_t tries; /* DHCP sends / TFTP retries in the current step */
	uint8_t file;  /* TFTP: index into files */
	uint8_t nak;
	bool got_first; /* TFTP: OACK or DATA seen for this file */
	bool probing;	/* TFTP: this RRQ is the tsize probe, aborted after the OACK */
	bool pcap_done;
	bool chained; /* iPXE: a script's `chain` was followed (once) */
	uint32_t xid;
	uint32_t ip, server_id, tftp_ip;
	uint8_t server_mac[6];
	char bootfile[STORM_URL_MAX];
	/* TFTP transfer */
	uint16_t cport, sport;
	uint16_t next_block; /* expected */
	uint16_t in_window;
	uint16_t blksize, windowsize;
	uint64_t bytes, tsize;
	bool has_tsize;
	struct storm_http *http; /* while in PH_HTTP (http.c) */
	/* --proxy: the proxy's offer (yiaddr 0, PXEClient) */
	bool has_addr_offer, has_proxy_offer;
	uint16_t proxy_type; /* boot menu item to ask port 4011 for; 0: none */
	uint32_t proxy_ip, proxy_siaddr;
	uint8_t proxy_mac[6];
	/* timer (client.c keeps the heap) */
	uint64_t deadline;
	/* timestamps (ns, 0 = not reached) */
	uint64_t t_start, t_dhcp, t_loader, t_done;
};

struct storm_stats {
	uint64_t dhcp_discover_tx, dhcp_request_tx, dhcp_discover_retx, dhcp_request_retx;
	uint64_t dhcp_offer_rx, dhcp_ack_rx, dhcp_nak_rx;
	uint64_t tftp_rrq_tx, tftp_rrq_retx, tftp_ack_tx, tftp_ack_retx;
	uint64_t tftp_data_rx, tftp_data_ooo, tftp_data_dup, tftp_bytes, tftp_probes;
	uint64_t arp_req_rx, arp_reply_tx, arp_resolve_tx;
	uint64_t http_connects, http_requests, http_files, http_bytes, http_retries;
	uint64_t http_bad_status;
	int64_t http_open; /* sockets open now */
	uint64_t rx_unknown, rx_dropped;
	uint64_t offer_ignored; /* not for this kind of client (no HTTPClient) */
	uint64_t proxy_offer_rx, bootsrv_tx, bootsrv_retx, bootsrv_ack_rx;
	uint64_t fail[FAIL_MAX];
	uint64_t tftp_err_code[9]; /* TFTP ERROR received, by code (8: 8 and above) */
	uint64_t done, failed, started;
	/* per 100 ms buckets */
	uint32_t nbuckets;
	uint64_t *bucket_bytes, *bucket_http;
	uint32_t *bucket_done;
};

struct storm {
	struct storm_cfg cfg;
	struct storm_io *io;
	uint8_t mac[6]; /* the interface's own MAC */
	struct storm_client *c;
	/* leased IP -> client, open addressing */
	uint32_t *ipmap;
	uint32_t ipmap_mask;
	struct storm_stats st;
	uint64_t t0, t_end;
	uint32_t end_bucket; /* buckets covered by the run */
	uint16_t ip_id;
	FILE *pcap_dhcp, *pcap_tftp;
	unsigned arch_total;
	int epfd; /* the packet socket and the clients' TCP sockets */
	struct storm_net *net;
	/* servers seen on the wire: IP -> MAC, for the kernel's neighbour table */
	struct {
		uint32_t ip;
		uint8_t mac[6];
		bool ready;	/* in the kernel's neighbour table */
		bool resolving; /* a client ARPed for it */
	} hosts[16];
	unsigned nhosts;
};

int storm_clients_init(struct storm *s);
void storm_client_start(struct storm *s, struct storm_client *c, uint64_t now);
void storm_rx_frame(void *ctx, const uint8_t *frame, size_t len);
/* Expire timers due by now. Returns the next deadline (UINT64_MAX: none). */
uint64_t storm_timers_run(struct storm *s, uint64_t now);
void storm_fail_remaining(struct storm *s, uint64_t now);
void storm_timer_set(struct storm *s, struct storm_client *c, uint64_t when);
void storm_client_fail(struct storm *s, struct storm_client *c, enum storm_fail why, uint64_t now);
/* the client's HTTP queue is done */
void storm_client_http_done(struct storm *s, struct storm_client *c, uint64_t now);
/* Is the server's MAC known (and in the kernel's neighbour table)? If not,
 * the client ARPs for it; storm_http_host_ready() follows when it answers. */
bool storm_host_ready(struct storm *s, struct storm_client *c, uint32_t ip, uint64_t now);

/* ---- HTTP (http.c, ipxe.c) ------------------------------------------------- */

enum { STORM_HTTP_HEAD = 1, STORM_HTTP_SCRIPT = 2 };
int storm_url_split(const char *url, uint32_t *ip, uint16_t *port, const char **path);
/* add a URL to the client's queue (flags: HEAD first; keep and parse as an
 * iPXE script) */
int storm_http_queue(struct storm *s, struct storm_client *c, const char *url, uint8_t flags);
void storm_http_start(struct storm *s, struct storm_client *c, uint64_t now);
void storm_http_event(struct storm *s, struct storm_client *c, uint32_t events, uint64_t now);
void storm_http_expire(struct storm *s, struct storm_client *c, uint64_t now);
void storm_http_host_ready(struct storm *s, struct storm_client *c, uint64_t now);
void storm_http_abort(struct storm *s, struct storm_client *c);
/* a fetched iPXE script: queue what it names. 0 or a storm_fail reason */
int storm_ipxe_script(struct storm *s, struct storm_client *c, const char *url, const char *body,
		      size_t len, bool truncated);

struct storm_ipxe {
	char files[4][STORM_URL_MAX]; /* kernel, initrd, ... in script order */
	unsigned nfiles;
	char chain[STORM_URL_MAX];
	bool has_chain;
};
/* resolve ref (may hold ${net0/mac}) against base */
int storm_url_resolve(const char *base, const char *ref, size_t ref_len, const uint8_t mac[6],
		      char out[STORM_URL_MAX]);
int storm_ipxe_parse(const char *script, size_t len, const char *base, const uint8_t mac[6],
		     struct storm_ipxe *out);

/* ---- kernel network setup for HTTP (netsetup.c) ----------------------------- */

struct storm_net;
/* setup false (--no-netsetup): every call below does nothing */
int storm_net_open(struct storm_net **out, const char *ifname, bool setup);
int storm_net_local(struct storm_net *n, uint32_t ip);
int storm_net_host(struct storm_net *n, uint32_t ip, const uint8_t mac[6]);
void storm_net_close(struct storm_net *n);

/* ---- report (report.c) ----------------------------------------------------- */

void storm_bucket_add(struct storm *s, uint64_t now, uint64_t bytes, unsigned done);
void storm_bucket_add_http(struct storm *s, uint64_t now, uint64_t bytes);
void storm_report(struct storm *s, FILE *out);
int storm_report_json(struct storm *s, const char *path);

#endif
