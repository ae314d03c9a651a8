/* SPDX-License-Identifier: MIT */
/*
 * Policy evaluation for one DHCP request, internal to the DHCP module:
 * classification (tags, range), dhcp-option selection, and what to boot:
 * PXE (PXE spec 2.1, RFC 4578) option 43 menus and boot server lists, the
 * boot server on port 4011, UEFI HTTP boot, the iPXE chainload loop
 * breaker. dhcp.c owns the state machine, leases and reply addressing.
 */
#ifndef BS_PROTO_DHCP_PXE_H
#define BS_PROTO_DHCP_PXE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dhcp.h"
#include "dhcp_wire.h"
#include "hostact.h"
#include "policy.h"

/* PXE vendor sub-options inside option 43 (PXE spec 2.1 table 2-1). */
enum pxe_subopt {
	PXE_DISCOVERY_CONTROL = 6,
	PXE_BOOT_SERVERS = 8,
	PXE_BOOT_MENU = 9,
	PXE_MENU_PROMPT = 10,
	PXE_BOOT_ITEM = 71,
};

/* Discovery control bits. */
#define PXE_DISC_NO_BROADCAST 0x01
#define PXE_DISC_NO_MULTICAST 0x02
#define PXE_DISC_USE_FILE     0x08 /* no menu: boot the file named in the offer */

/*
 * pxe-service entries with a basename are served by us; like dnsmasq we give
 * them vendor-unique boot server types (PXE spec: 0x8000 and up), numbered
 * by their index in the policy, so a 4011 request names its service.
 */
#define PXE_TYPE_OURS 0x8000u

/* Everything known about one request while it is being answered. */
struct dhcp_ctx {
	const struct bs_policy *pol;
	const struct bs_udp_meta *meta;
	const struct dhcp_msg *msg;
	const struct bs_log *log;
	struct bs_ratelimit *rl;
	const struct bs_range *range; /* NULL for a 4011 request off every range */
	const struct bs_host *host;   /* matching dhcp-host, NULL if none */
	const struct hostact *act;    /* its boot action (hostact.h), NULL if none */
	bs_tagset tags;
	uint32_t server_ip; /* our address as the client sees it (option 54) */
	uint16_t arch;	    /* option 93's first entry; 0 (x86 BIOS) if absent */
	bool pxe, http, ipxe;
	time_t now;
	uint64_t now_ms;
};

/* A reply being assembled; dhcp.c turns it into a datagram. */
struct dhcp_reply {
	uint8_t type; /* DHCPOFFER, DHCPACK, DHCPNAK */
	uint32_t yiaddr, siaddr;
	char file[DHCP_FILE_LEN]; /* NUL-padded; "" when unused */
	char sname[DHCP_SNAME_LEN];
	struct dhcp_opts opts;
};

/* dhcp-option entries (top level) chained per code: index + 1, 0 = end. */
struct dhcp_opt_index {
	uint32_t head[256];
	uint32_t *next; /* NULL: no options are sent (allocation failed) */
};

/*
 * Tags for c (interface tag given, then known/host tags, builtins from
 * options 60/77/175, dhcp-match rules, the range's set tags, tag-if in
 * order), c->range (see dhcp.c for the rule), and c->pxe/http/ipxe/arch.
 */
void dhcp_classify(struct dhcp_ctx *c, bs_tagset iface);

/* The range's netmask, else the interface's, else /24. */
uint32_t dhcp_range_mask(const struct bs_range *r, const struct bs_udp_meta *meta);

/* The client's own name (option 12, else 81's first label), sanitised. */
void dhcp_client_hostname(const struct dhcp_msg *m, char out[64]);

/*
 * Lease times (when lease), subnet mask, dhcp-host hostname, and the
 * dhcp-option entries the client asked for (option 55) or that are forced.
 * A matching tagged entry beats an untagged one for the same code.
 */
void dhcp_add_options(const struct dhcp_opt_index *ix, struct dhcp_ctx *c, struct dhcp_reply *r,
		      bool lease, uint32_t secs);

/*
 * Add what the client should boot to r: option 60/43/97 for PXE clients
 * (menu when pxe-service entries match, else the dhcp-boot file with
 * discovery control "use the file"), the URL for UEFI HTTP clients, the
 * dhcp-boot file for the rest. Skips iPXE binaries for clients already
 * running iPXE (loop breaker). Returns true when r now tells the client
 * what to boot (a proxy server has nothing to say otherwise).
 */
bool dhcp_pxe_fill(struct dhcp_ctx *c, struct dhcp_reply *r);

/*
 * Answer a boot server request (port 4011, or a proxy REQUEST carrying
 * sub-option 71): DHCP_REPLIED with r filled, or DHCP_NO_REPLY.
 */
enum dhcp_verdict dhcp_pxe_bootsrv(struct dhcp_ctx *c, struct dhcp_reply *r);

/* True for file names that are iPXE itself (undionly.kpxe, ipxe.efi, ...). */
bool dhcp_is_ipxe_binary(const char *file);

#endif
