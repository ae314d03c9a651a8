/* SPDX-License-Identifier: MIT */
/*
 * The host registry (docs/control.md "Hosts and boot actions"): the
 * config's dhcp-host reservations merged with hosts added at run time,
 * each with a boot action (proto/hostact.h). Keyed by MAC.
 *
 * Run-time state (added hosts, changed fields, actions) persists in a
 * state file, rewritten whole on every change (temp file, fsync, rename,
 * fsync of the directory): hosts change at operator speed, and a once
 * flip must be on disk before it takes effect. The file is replayed at
 * start; a file that does not parse stops start-up with FILE:LINE.
 *
 * What the dataplane reads is a snapshot (struct bs_hostsnap): rebuilt
 * after every change, handed to the publish hook, and freed only when the
 * next one has been published. The dataplane keeps no pointer into it
 * across packets, so the hook may swap it between any two packets.
 */
#ifndef BS_CONTROL_HOSTS_H
#define BS_CONTROL_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dataplane/proto/hostact.h"
#include "../dataplane/proto/policy.h"
#include "../dataplane/util/log.h"

#define BS_HOST_TAGS_MAX 256

struct bs_hosts;

/* Fields for add and set: only the has_* ones are applied; an empty name
   or tags, or ip 0, is "none" (and hides the config's value). */
struct bs_host_fields {
	bool has_ip, has_name, has_tags;
	uint32_t ip;
	char name[64];
	char tags[BS_HOST_TAGS_MAX]; /* comma-separated tag names */
};

/* One host as the operator sees it (bs_hosts_foreach). */
struct bs_host_view {
	const uint8_t *mac;
	uint32_t ip; /* 0: none */
	const char *hostname;
	const char *tags; /* comma-separated */
	bool ignore;
	uint32_t lease_secs;
	const struct bs_host *conf; /* its dhcp-host line, NULL: run time only */
	bool runtime;		    /* has run-time state (added, changed, an action) */
	const struct hostact *act;
};

typedef void (*bs_hosts_publish_fn)(void *arg, const struct bs_hostsnap *snap);

/*
 * Load path (a missing file is an empty registry) over the policy's
 * reservations. Errors (-EINVAL: "path:line: what was expected", or
 * -errno) are written to err. The policy is borrowed until the next
 * bs_hosts_set_policy().
 */
int bs_hosts_open(const char *path, const struct bs_policy *pol, const struct bs_log *log,
		  struct bs_hosts **out, char *err, size_t errlen);
void bs_hosts_close(struct bs_hosts *h);

/*
 * Where a change's state file text goes before the change is published:
 * 0, or -errno with err saying why (then the change does not happen).
 * bs_hosts_write_file (the default) writes path itself: temp file, fsync,
 * rename, fsync of the directory. The dataplane, which may not write
 * files, hands the text to control instead (control/hoststore.h).
 */
typedef int (*bs_hosts_store_fn)(void *arg, const char *path, const char *text, size_t len,
				 char *err, size_t errlen);
int bs_hosts_write_file(void *arg, const char *path, const char *text, size_t len, char *err,
			size_t errlen);
void bs_hosts_set_store(struct bs_hosts *h, bs_hosts_store_fn fn, void *arg);

/* Called with every new snapshot (and once now with the current one). */
void bs_hosts_set_publish(struct bs_hosts *h, bs_hosts_publish_fn fn, void *arg);
const struct bs_hostsnap *bs_hosts_snapshot(const struct bs_hosts *h);
const char *bs_hosts_path(const struct bs_hosts *h);

/* A reload: the reservations and tag bits of the new policy (published). */
int bs_hosts_set_policy(struct bs_hosts *h, const struct bs_policy *pol);

/*
 * Changes. Each is persisted before it is published; on any error nothing
 * changed. 0, or -errno with err saying why:
 *   add     -EEXIST when the MAC is known already (config or run time)
 *   set     -ENOENT when it is not
 *   del     forgets the run-time state of a MAC; a dhcp-host line stays
 *           (-ENOENT: nothing to forget)
 *   action  -ENOENT for an unknown MAC, -EINVAL for an action that
 *           hostact_check() refuses
 */
int bs_hosts_add(struct bs_hosts *h, const uint8_t mac[6], const struct bs_host_fields *f,
		 char *err, size_t errlen);
int bs_hosts_set(struct bs_hosts *h, const uint8_t mac[6], const struct bs_host_fields *f,
		 char *err, size_t errlen);
int bs_hosts_del(struct bs_hosts *h, const uint8_t mac[6], char *err, size_t errlen);
int bs_hosts_action(struct bs_hosts *h, const uint8_t mac[6], const struct hostact *a, char *err,
		    size_t errlen);

/*
 * Completion events (hostact_delivered / hostact_done): 1 when the host's
 * action flipped (persisted, then published), 0 when nothing changed,
 * -ENOENT for an unknown MAC (done only), or the write's -errno (then the
 * flip did not happen: the host installs again, the safe side).
 */
int bs_hosts_delivered(struct bs_hosts *h, const uint8_t mac[6], const char *path, size_t len);
int bs_hosts_done(struct bs_hosts *h, const uint8_t mac[6]);

/* Every known host, sorted by MAC. */
void bs_hosts_foreach(const struct bs_hosts *h, void (*fn)(void *arg, const struct bs_host_view *v),
		      void *arg);

/* "aa:bb:cc:dd:ee:ff" or with '-': 0 or -EINVAL. */
int bs_parse_mac(const char *s, uint8_t mac[6]);

/* Validate tag names (letters, digits, '_', '-', '.'; comma-separated)
   and host names (a DNS label): 0 or -EINVAL with err. */
int bs_host_check_tags(const char *tags, char *err, size_t errlen);
int bs_host_check_name(const char *name, char *err, size_t errlen);

#endif
