/* SPDX-License-Identifier: MIT */
/*
 * The HTTP boot server: boot files from the image cache over the kernel's
 * TCP stack. Event-driven on its own epoll fd (the worker polls that one
 * fd), non-blocking everywhere, bodies sent with sendfile() from the cache
 * entry's fd (zero-copy; a file replaced by rename() mid-download is still
 * sent whole from the old inode).
 *
 * Protocol decisions (parsing, ranges, validators, heads) are in
 * proto/http.c; this module owns sockets, buffers and timeouts.
 */
#ifndef BS_HTTP_SERVER_H
#define BS_HTTP_SERVER_H

#include <stdint.h>

#include "proto/datagram.h" /* bs_stat_fn */
#include "proto/http.h"	    /* struct http_bind */
#include "util/log.h"

struct bs_cache;
struct bs_http;

#define HTTP_SNDBUF_KERNEL UINT32_MAX

struct bs_http_config {
	/* zero: all addresses, IPv6 dual stack (IPv4 when IPv6 is off) */
	struct http_bind addr;
	uint16_t port;	    /* must not be 0 */
	uint32_t max_conns; /* 0: 1024. Over it: 503, then close */
	/* Idle / slow-client timeout in ms (0: 30000): a request head must be
	   complete this long after its first byte (else 408), a response
	   must make progress within it, an idle keep-alive connection is
	   closed after it. */
	uint32_t timeout_ms;
	/* Send buffer for large bodies (proto/http.h http_send_buffer()):
	   0 = auto (a share of tcp_mem per connection when many are open),
	   HTTP_SNDBUF_KERNEL = always the kernel's autotuning, else this
	   SO_SNDBUF value for every large body. */
	uint32_t send_buffer;
	struct bs_cache *cache; /* borrowed; paths are relative to its root */
	const struct bs_log *log;

	/* GET /metrics (Prometheus text format): stats(stats_arg, fn, fnarg)
	   calls fn once per counter of the process. NULL: no /metrics. */
	void (*stats)(void *arg, bs_stat_fn fn, void *fnarg);
	void *stats_arg;
	/* metrics_port != 0: /metrics only on its own listener
	   (metrics_addr:metrics_port), which serves nothing else; 0:
	   /metrics on the boot port. */
	struct http_bind metrics_addr;
	uint16_t metrics_port;

	/* GET /boot.ipxe[?mac=..]: the script into out (mac NULL: none or
	   malformed; host: where relative paths point). Returns its length;
	   0: no script (then /boot.ipxe is a file like any other). NULL: off. */
	size_t (*ipxe_script)(void *arg, const uint8_t *mac, const char *host, size_t host_len,
			      char *out, size_t cap);
	void *ipxe_arg;

	/* Client events (util/events.h, http-done) go here; NULL: none. */
	struct bs_ev_ring *events;
	/* Host actions (control/hosts.c), both may be NULL. delivered: a
	   200 body was sent whole to ip (path as requested, with its '/').
	   done: GET /done[?mac=..] (mac NULL: the client's ip says who),
	   returns 1 (the action changed), 0 (nothing to finish), -ENOENT
	   (unknown host) or another -errno. ip is host order, 0 for a
	   client over IPv6 (a v4-mapped one is given as its IPv4 address),
	   also in the http-done events. */
	void (*delivered)(void *arg, uint32_t ip, const char *path);
	int (*done)(void *arg, uint32_t ip, const uint8_t *mac);
	void *hosts_arg;
};

/* Listening socket bound and listening. NULL + errno (EADDRINUSE ...). */
struct bs_http *bs_http_new(const struct bs_http_config *cfg);
/* Closes every connection and puts their cache references. */
void bs_http_free(struct bs_http *h);

/* The epoll fd to poll for EPOLLIN; call bs_http_run() when it is ready. */
int bs_http_fd(const struct bs_http *h);

/* Serve whatever is ready (never blocks). now_ms: CLOCK_MONOTONIC ms. */
void bs_http_run(struct bs_http *h, uint64_t now_ms);

/* When bs_http_tick() wants to run next (UINT64_MAX: nothing pending). */
uint64_t bs_http_next_deadline(const struct bs_http *h);
/* Expire timed-out connections. */
void bs_http_tick(struct bs_http *h, uint64_t now_ms);

/*
 * http_conns_accepted, http_conns_active, http_conns_rejected (503),
 * http_requests, http_status_2xx/3xx/4xx/5xx, http_bytes_sent (bodies),
 * http_timeouts, http_errors (socket errors), http_metrics_requests,
 * http_ipxe_scripts, http_done_reports.
 */
void bs_http_stats_foreach(const struct bs_http *h, bs_stat_fn fn, void *arg);

#endif
