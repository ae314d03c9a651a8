/* SPDX-License-Identifier: MIT */
/*
 * The worker: one epoll loop over a backend's queues. Batch in, dispatch
 * by local port to DHCP or TFTP, make the batch's lease changes durable,
 * batch out; TFTP timers; signals. Nothing in here knows which backend
 * moves the bytes (io/io.h) or how leases reach the disk (a hook).
 */
#ifndef BS_WORKER_H
#define BS_WORKER_H

#include <stdint.h>
#include <time.h>

#include "io/io.h"
#include "util/log.h"

struct dhcp_server;
struct tftp_server;
struct bs_cache;
struct bs_http;
struct bs_worker;

struct bs_worker_config {
	struct bs_io *io;	  /* borrowed */
	struct dhcp_server *dhcp; /* NULL: no DHCP (ports 67/4011 not served) */
	/*
	 * TFTP: tftp[k] is worker k's server, for k < ntftp (NULL / 0: no
	 * TFTP). With N workers, server k must own the transfer ports
	 * port_lo + k, + N, ... (tftp_config.port_stride = N); ntftp is
	 * min(N, number of transfer ports), at least 1.
	 */
	struct tftp_server *const *tftp;
	unsigned ntftp;
	struct bs_cache *cache; /* for SIGUSR1 stats only; may be NULL */
	/* NULL: no HTTP. Its epoll fd joins the worker's; its timers bound
	   the epoll timeout (dataplane/http_server.h). */
	struct bs_http *http;
	const struct bs_log *log;

	/*
	 * Make the lease changes of the batch durable (leasefile_sync()).
	 * Called after a burst that reached DHCP and before its replies are
	 * flushed: if it fails, the replies are discarded (an ACK must never
	 * promise a lease the disk does not have) and the clients retry.
	 * NULL: nothing to persist.
	 */
	int (*sync_leases)(void *arg, time_t now);
	void *sync_arg;

	/* SIGHUP: re-read the configuration, between bursts. May be NULL. */
	void (*reload)(void *arg);
	void *reload_arg;
};

/*
 * Blocks SIGTERM, SIGINT, SIGHUP, SIGUSR1 in the calling thread and takes
 * them through a signalfd. One worker per bs_io_workers(io) (at most 16):
 * worker 0 is the thread calling bs_worker_run(), the others are threads
 * it starts and joins. NULL + errno on failure.
 */
struct bs_worker *bs_worker_new(const struct bs_worker_config *cfg);
void bs_worker_free(struct bs_worker *w);

/* Run until SIGTERM/SIGINT: 0, or -errno if the loop itself failed. The
   extra fds, HTTP, signals and DHCP run on worker 0 (the caller). */
int bs_worker_run(struct bs_worker *w);

/* Counters by name (worker_rx_pkts, worker_drop_no_handler, ...). */
void bs_worker_stats_foreach(const struct bs_worker *w, bs_stat_fn fn, void *arg);

/* Every counter of the process: worker, backend, DHCP, TFTP, cache, HTTP
   (the walk bs_worker_log_stats() logs and GET /metrics shows). */
void bs_worker_stats_all(const struct bs_worker *w, bs_stat_fn fn, void *arg);

/*
 * Another fd for the loop to poll (the control socket; anything with its
 * own epoll fd or listening socket): ready() runs when fd is readable,
 * tick() (may be NULL) about once a second. At most BS_WORKER_MAX_FDS.
 * 0 or -errno.
 */
#define BS_WORKER_MAX_FDS 4
struct bs_worker_fd {
	int fd;
	void (*ready)(void *arg, uint64_t now_ms);
	void (*tick)(void *arg, uint64_t now_ms);
	void *arg;
};
int bs_worker_add_fd(struct bs_worker *w, const struct bs_worker_fd *f);

/* What SIGHUP does (counted as worker_reloads), run now: for the control
   socket's reload command. */
void bs_worker_reload(struct bs_worker *w);

/* Log every counter (worker, backend, DHCP, TFTP, cache) at LOG_INFO. */
void bs_worker_log_stats(const struct bs_worker *w);

#endif
