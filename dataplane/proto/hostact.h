/* SPDX-License-Identifier: MIT */
/*
 * Per-host boot actions (docs/control.md "Hosts and boot actions"): what a
 * known MAC boots, as a small state machine. Pure: no I/O, no clock, no
 * globals. The registry that owns, persists and publishes the actions is
 * control/hosts.c; DHCP (dhcp.c, dhcp_pxe.c) and the iPXE script
 * (ipxe_script.c) read them from an immutable snapshot (struct
 * bs_hostsnap).
 *
 *   default   nothing set: the config's dhcp-boot / ipxe-boot lines decide
 *   local     boot the local disk: iPXE gets "exit", PXE firmware a
 *             local-boot answer (dhcp_pxe.c), so the firmware falls through
 *   install   boot a target: file=F (a boot file: DHCP's file field; iPXE
 *             chains it), script=URL (an iPXE script: chained), or
 *             kernel=K [initrd=I] [cmdline=C] (iPXE loads them)
 *   install .. once
 *             as install, until the target's final file was delivered
 *             (hostact_delivered) or the installer reported done
 *             (hostact_done): then local
 *   ignore    never answer this MAC's DHCP
 */
#ifndef BS_PROTO_HOSTACT_H
#define BS_PROTO_HOSTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define HOSTACT_PATH_MAX    256
#define HOSTACT_CMDLINE_MAX 512

enum hostact_kind {
	HOSTACT_DEFAULT = 0,
	HOSTACT_LOCAL,
	HOSTACT_INSTALL,
	HOSTACT_IGNORE,
	HOSTACT_KIND_COUNT
};

/* A value type: copy it freely. Strings are NUL-terminated, "" = unset. */
struct hostact {
	uint8_t kind; /* enum hostact_kind */
	bool once;
	char file[HOSTACT_PATH_MAX];
	char script[HOSTACT_PATH_MAX];
	char kernel[HOSTACT_PATH_MAX];
	char initrd[HOSTACT_PATH_MAX];
	char cmdline[HOSTACT_CMDLINE_MAX];
};

const char *hostact_kind_name(unsigned kind);
/* enum hostact_kind ("image" is install), or -1 for an unknown name. */
int hostact_kind_parse(const char *name);

/*
 * Set one member by name: kind ("action"), "once" (yes/no, 1/0, true/
 * false), or a target part (file, script, kernel, initrd, cmdline). Paths
 * are one printable word without "..", at most HOSTACT_PATH_MAX - 1 bytes;
 * cmdline printable, at most HOSTACT_CMDLINE_MAX - 1. 0, or -EINVAL
 * (-ENOENT for an unknown key) with err saying what was expected.
 */
int hostact_set(struct hostact *a, const char *key, const char *val, char *err, size_t errlen);

/*
 * Whether a is a complete, consistent action: install has exactly one of
 * file, script, kernel (initrd and cmdline only with kernel); local,
 * ignore and default carry no target and no once. 0 or -EINVAL + err.
 */
int hostact_check(const struct hostact *a, char *err, size_t errlen);

/* The file whose delivery completes the target: the initrd if there is
   one, else the kernel, else the boot file, else the script. "" if none. */
const char *hostact_final(const struct hostact *a);

/*
 * Whether a delivered path (a TFTP name, an HTTP path) names the file p of
 * a target: both without a leading '/', a URL without scheme, host and
 * query ("http://10.0.0.1:8080/boot/vmlinuz?x" names "boot/vmlinuz").
 */
bool hostact_path_is(const char *p, const char *path, size_t len);

/*
 * Events. Each returns true when it changed a (the caller persists it):
 * install once whose final file was delivered, or reported done, becomes
 * local (the target is cleared). Anything else stays as it is: a plain
 * install keeps installing, local/ignore/default have nothing to finish.
 */
bool hostact_delivered(struct hostact *a, const char *path, size_t len);
bool hostact_done(struct hostact *a);

/*
 * One line of key=value words for the state file and logs:
 * "action=install once=1 kernel=vmlinuz cmdline=console%3DttyS0%20quiet".
 * Values are %-escaped (space, '%', control and non-ASCII bytes), so a
 * word never contains a space. Returns the length, 0 if cap is too small.
 */
size_t hostact_format(const struct hostact *a, char *out, size_t cap);

/* %-escape src into out (see hostact_format); 0 if cap is too small. */
size_t bs_kv_escape(const char *src, char *out, size_t cap);
/* Undo bs_kv_escape over n bytes; -EINVAL for a bad escape, a NUL or a
   result that does not fit cap (with its NUL). */
int bs_kv_unescape(const char *src, size_t n, char *out, size_t cap);

/*
 * The hosts the dataplane sees: config reservations merged with run-time
 * hosts and every host's action, built by control/hosts.c and never
 * changed after it is published. One flat allocation of plain data (the
 * hosts' origin.file is NULL), so it can be copied to another process as
 * it is. Entries are sorted by MAC, one per MAC.
 */
struct bs_hostsnap_entry {
	struct bs_host host; /* host.ignore is set for action ignore too */
	struct hostact act;
};

struct bs_hostsnap {
	uint64_t generation; /* grows with every publication */
	size_t n;
	size_t n_once; /* entries with install .. once: 0 = no delivery matters */
	struct bs_hostsnap_entry e[];
};

/* Binary search by MAC; NULL if s is NULL or has no such entry. */
const struct bs_hostsnap_entry *bs_hostsnap_find(const struct bs_hostsnap *s, const uint8_t mac[6]);

#endif
