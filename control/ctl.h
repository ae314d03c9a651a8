/* SPDX-License-Identifier: MIT */
/*
 * The operator control socket (docs/control.md): a Unix stream socket, one
 * JSON object per line in each direction, request then response.
 *
 * The server owns an epoll fd of its own (the listening socket and its
 * clients); whoever runs the loop polls that one fd and calls
 * bs_ctl_ready() when it is readable and bs_ctl_tick() about once a second.
 * Today that is the worker (bs_worker_add_fd); after the process split it
 * is the control process's loop, unchanged.
 *
 * Everything is non-blocking and bounded: a request line is at most
 * BS_CTL_MAX_LINE bytes, at most BS_CTL_MAX_CLIENTS clients, a client that
 * stops reading its responses is disconnected, none can stall the loop.
 */
#ifndef BS_CONTROL_CTL_H
#define BS_CONTROL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../dataplane/proto/datagram.h" /* bs_stat_fn */
#include "../dataplane/util/log.h"
#include "json.h"

#define BS_CTL_MAX_LINE	    65536 /* request bytes, without the newline */
#define BS_CTL_MAX_CLIENTS  16
#define BS_CTL_MAX_RESPONSE (64u << 20)

struct bs_config;
struct lease_table;
struct bs_ev_ring;
struct bs_hosts;
struct bs_cache_file_status;
typedef void (*bs_cache_status_fn)(void *arg, const struct bs_cache_file_status *s);

/* What the commands read and act on. Any pointer may be NULL: the command
   that needs it answers that the server does not have it. */
struct bs_ctl_env {
	const char *version;
	const char *backend;	       /* the packet I/O backend's name */
	const char *conf_path;	       /* absolute; "" or NULL: none (nothing to reload) */
	time_t started;		       /* wall clock */
	int pid;		       /* the server's (control process's); 0: getpid() */
	struct lease_table *leases;    /* NULL: DHCP off */
	struct bs_hosts *hosts;	       /* the host registry (hosts.h); NULL: none */
	struct bs_config *const *live; /* *live: the configuration in use now */
	void *arg;		       /* for the hooks below */
	/* Make lease changes durable (the worker's sync path). */
	int (*sync_leases)(void *arg, time_t now);
	/* Apply cfg, as SIGHUP does: the reload command parsed and checked
	   it (so what it answers is what is applied, even if the file
	   changes meanwhile); the hook owns cfg from now on. */
	void (*reload)(void *arg, struct bs_config *cfg);
	/* Every counter (bs_worker_stats_all and friends). */
	void (*stats)(void *arg, bs_stat_fn fn, void *fn_arg);
	/* The image cache (tftp-root's; NULL hooks: none): cache-warm pins and
	   queues path for warming (0 or -errno), cache-unpin drops a pin ("*":
	   all; 0 or -ENOENT), cache-status walks the files then the cache's
	   counters (bs_cache_status_foreach, bs_cache_stats_foreach). */
	int (*cache_warm)(void *arg, const char *path);
	int (*cache_unpin)(void *arg, const char *path);
	void (*cache_status)(void *arg, bs_cache_status_fn fn, void *fn_arg, bs_stat_fn sfn,
			     void *sfn_arg);
	/* Client event rings (dataplane/util/events.h), one per producer
	   (worker): the events command streams them. At most
	   BS_CTL_MAX_RINGS; none: events answers that there are none. */
	struct bs_ev_ring *const *ev_rings;
	unsigned nev_rings;
};

#define BS_CTL_MAX_RINGS 64

/* What the events command asks for: its filters. */
struct bs_ctl_sub {
	bool on; /* set by the command: stream from now on */
	bool by_mac;
	uint8_t mac[6];
	uint32_t types; /* 1 << enum bs_ev_type; 0: every type */
};

/* Who sent a request (SO_PEERCRED), and (sub) where the events command
   puts a subscription; NULL: this connection cannot stream. */
struct bs_ctl_peer {
	uid_t uid;
	pid_t pid;
	struct bs_ctl_sub *sub;
};

/*
 * Answer one request line (no newline): one JSON object written to out,
 * {"ok":true,...} or {"ok":false,"error":"..."}. Never fails: an
 * oversized answer becomes an error object. now: wall clock.
 */
void bs_ctl_handle(const struct bs_ctl_env *env, const struct bs_ctl_peer *peer, const char *line,
		   size_t len, time_t now, const struct bs_log *log, struct bs_jw *out);

struct bs_ctl;

/*
 * Create the socket at path (mode 0600; with group: that group, mode 0660).
 * A stale socket file (nobody accepts on it) is replaced; a live one (another
 * server answers) gives -EADDRINUSE; a file that is not a socket -EEXIST.
 * 0 and *out, or -errno (message logged: an error when required, else a
 * warning).
 */
int bs_ctl_open(const char *path, const char *group, bool required, const struct bs_ctl_env *env,
		const struct bs_log *log, struct bs_ctl **out);

/* The fd to poll for readability. */
int bs_ctl_fd(const struct bs_ctl *c);

/* Loop hooks; arg is the struct bs_ctl. */
void bs_ctl_ready(void *arg, uint64_t now_ms);
void bs_ctl_tick(void *arg, uint64_t now_ms);

/* ctl_events_sent, ctl_events_lost (not delivered to a subscriber: its
   buffer was full or the ring lapped it), ctl_subscribers, events_emitted
   (records the producers wrote). */
void bs_ctl_stats_foreach(const struct bs_ctl *c, bs_stat_fn fn, void *arg);

/* Close every client and remove the socket file if it is still ours. */
void bs_ctl_close(struct bs_ctl *c);

/* Remove path if it is a socket nobody accepts on: control's clean-up of
   the dataplane's socket, which the dataplane cannot unlink once it has
   dropped its privileges. */
void bs_ctl_remove_stale(const char *path);

#endif
