/* SPDX-License-Identifier: MIT */
/*
 * iPXE scripts per host: the answer to GET /boot.ipxe?mac=.. rendered from
 * the config's ipxe-boot= lines. Pure: no I/O, no globals.
 *
 *   ipxe-boot=[tag:x,]kernel=PATH,initrd=PATH[,initrd=PATH],cmdline=TEXT
 *   ipxe-boot=[tag:x,]local         exit: the firmware boots the next device
 *   ipxe-boot=[tag:x,]chain=URL     hand over to another script or loader
 *
 * The client's tags are the caller's (control/main.c: its dhcp-host
 * entry's set: tags plus "known", and the tags of DHCP's last reply to
 * it); the first matching line wins.
 * A PATH without "://" is fetched from the server the script came from:
 * http://<Host>/PATH.
 */
#ifndef BS_PROTO_IPXE_SCRIPT_H
#define BS_PROTO_IPXE_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define IPXE_MAX_INITRDS 4
#define IPXE_PATH_MAX	 256
#define IPXE_CMDLINE_MAX 512

enum ipxe_boot_kind { IPXE_BOOT_KERNEL, IPXE_BOOT_LOCAL, IPXE_BOOT_CHAIN };

struct ipxe_boot {
	struct bs_origin origin;
	struct bs_tagexpr match;
	int kind;		    /* enum ipxe_boot_kind */
	char kernel[IPXE_PATH_MAX]; /* KERNEL: path or URL; CHAIN: URL */
	char initrd[IPXE_MAX_INITRDS][IPXE_PATH_MAX];
	unsigned ninitrd;
	char cmdline[IPXE_CMDLINE_MAX]; /* "" if none */
};

/*
 * The script of a host action (hostact.h) into out: local and ignore exit
 * (the firmware boots the next device), install boots its target (kernel
 * + initrd + cmdline, or chains the script or boot file). false for
 * default: the ipxe-boot lines decide.
 */
struct hostact;
bool ipxe_boot_from_act(const struct hostact *a, struct ipxe_boot *out);

/* The first entry whose tag expression matches tags, or NULL. */
const struct ipxe_boot *ipxe_select(const struct ipxe_boot *v, size_t n, bs_tagset tags);

/*
 * The script for b (NULL: none matched: a script that says so and exits,
 * so the firmware goes on to its next boot device). host/host_len: where
 * relative paths are fetched from ("10.0.0.1:8080"); a host with
 * characters outside [A-Za-z0-9.:-[]] is not used (a hostile Host field
 * must not write into the script): relative paths then stay relative,
 * which iPXE resolves against the script's own URL. Returns the length
 * (NUL-terminated in out), or 0 when cap is too small.
 */
size_t ipxe_render(const struct ipxe_boot *b, const char *host, size_t host_len, char *out,
		   size_t cap);

/*
 * The mac= parameter of a raw query string: 12 hex digits, separated by
 * ':', '-', "%3A" or nothing. 0 and mac, or -1 (absent or malformed).
 */
int ipxe_query_mac(const char *q, size_t n, uint8_t mac[6]);

#endif
