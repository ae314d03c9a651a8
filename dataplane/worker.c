/* SPDX-License-Identifier: MIT */
/*
 * The loop, per wake-up:
 *
 *   epoll_wait (timeout = next TFTP deadline, at most 1 s)
 *   for each ready queue:  rx burst -> dhcp_input / tftp_input
 *                          -> sync_leases (if DHCP ran) -> tx flush
 *                          -> rx release
 *   TFTP timers due:       tftp_tick -> tx flush
 *   HTTP (its own epoll fd, one entry here): bs_http_run when ready,
 *                          bs_http_tick when its deadline is due
 *   signals:               stop / reload / log stats
 *   extra fds:             bs_worker_add_fd() (the control socket): ready()
 *                          when readable, tick() once a second
 *
 * Group commit falls out of the batching: all lease changes of a burst go
 * to disk with one sync, and the burst's replies leave only after it.
 */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cache.h"
#include "http_server.h"
#include "proto/dhcp.h"
#include "proto/tftp.h"
#include "util/bytes.h"

#define WORKER_BURST	       64
#define WORKER_BURSTS_PER_WAKE 8 /* then let other queues and timers run */
#define WORKER_MAX_EVENTS      64
#define WORKER_MAINTAIN_MS     1000
#define WORKER_SIGNAL_ID       UINT32_MAX
#define WORKER_HTTP_ID	       (UINT32_MAX - 1)
#define WORKER_EXTRA_ID	       (UINT32_MAX - 2) /* - index: bs_worker_add_fd() */

enum worker_stat {
	WS_RX_PKTS,
	WS_RX_DHCP,
	WS_RX_TFTP,
	WS_TX_PKTS,
	WS_DROP_NO_HANDLER, /* a port nobody serves (should not happen) */
	WS_DROP_UNSYNCED,   /* replies discarded: leases not durable */
	WS_LEASE_SYNC_ERRORS,
	WS_BURSTS,
	WS_TIMER_TICKS,
	WS_RELOADS,
	WS_COUNT
};

static const char *const ws_names[WS_COUNT] = {
    [WS_RX_PKTS] = "worker_rx_pkts",
    [WS_RX_DHCP] = "worker_rx_dhcp",
    [WS_RX_TFTP] = "worker_rx_tftp",
    [WS_TX_PKTS] = "worker_tx_pkts",
    [WS_DROP_NO_HANDLER] = "worker_drop_no_handler",
    [WS_DROP_UNSYNCED] = "worker_drop_unsynced",
    [WS_LEASE_SYNC_ERRORS] = "worker_lease_sync_errors",
    [WS_BURSTS] = "worker_bursts",
    [WS_TIMER_TICKS] = "worker_timer_ticks",
    [WS_RELOADS] = "worker_reloads",
};

static const char *const tftp_verdict_names[TFTP_VERDICT_COUNT] = {
    [TFTP_OK] = "ok",
    [TFTP_DROP_MALFORMED] = "malformed",
    [TFTP_DROP_UNKNOWN_TID] = "unknown_tid",
    [TFTP_DROP_NO_BUFFER] = "no_buffer",
};

/* Drops by reason, as the protocol modules report them per datagram. */
struct worker_stats {
	uint64_t v[WS_COUNT];
	uint64_t dhcp[DHCP_VERDICT_COUNT];
	uint64_t tftp[TFTP_VERDICT_COUNT];
};

struct bs_worker {
	struct bs_worker_config cfg;
	int epfd, sigfd;
	struct bs_io_queue *queues;
	size_t nqueues;
	sigset_t oldmask;
	bool running;
	struct bs_ratelimit rl;
	struct worker_stats st;
	struct bs_worker_fd extra[BS_WORKER_MAX_FDS];
	unsigned nextra;
	struct bs_rx_pkt pkts[WORKER_BURST];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool is_tftp_port(const struct bs_io *io, uint16_t port)
{
	return port == TFTP_PORT || (port >= io->tftp_port_lo && port <= io->tftp_port_hi);
}

/* Returns true when the datagram went to DHCP (its leases may have changed). */
static bool dispatch(struct bs_worker *w, const struct bs_rx_pkt *p, time_t now, uint64_t ms)
{
	struct bs_io *io = w->cfg.io;
	uint16_t port = p->meta.dst_port;

	w->st.v[WS_RX_PKTS]++;
	if (w->cfg.dhcp && (port == DHCP_SERVER_PORT || port == PXE_BOOT_SERVER_PORT)) {
		enum dhcp_verdict v =
		    dhcp_input(w->cfg.dhcp, &p->meta, p->data, p->len, now, ms, io->tx);

		w->st.v[WS_RX_DHCP]++;
		if ((unsigned)v < DHCP_VERDICT_COUNT)
			w->st.dhcp[v]++;
		return true;
	}
	if (w->cfg.tftp && is_tftp_port(io, port)) {
		enum tftp_verdict v =
		    tftp_input(w->cfg.tftp, &p->meta, p->data, p->len, ms, io->tx);

		w->st.v[WS_RX_TFTP]++;
		if ((unsigned)v < TFTP_VERDICT_COUNT)
			w->st.tftp[v]++;
		return false;
	}
	w->st.v[WS_DROP_NO_HANDLER]++;
	return false;
}

/* End of a batch: leases to disk first, then the replies. */
static void end_batch(struct bs_worker *w, bool leases_touched, time_t now, uint64_t ms)
{
	struct bs_io *io = w->cfg.io;
	int err;

	if (leases_touched && w->cfg.sync_leases) {
		err = w->cfg.sync_leases(w->cfg.sync_arg, now);
		if (err < 0) {
			w->st.v[WS_LEASE_SYNC_ERRORS]++;
			if (bs_ratelimit_ok(&w->rl, ms, 5))
				bs_logf(
				    w->cfg.log, LOG_ERR,
				    "lease file sync failed (%s): replies of this batch dropped",
				    strerror(-err));
			/* The discard count is the backend's io_tx_discarded. */
			w->st.v[WS_DROP_UNSYNCED]++;
			bs_io_tx_discard(io);
			return;
		}
	}
	w->st.v[WS_TX_PKTS] += bs_io_tx_flush(io, ms);
}

static void serve_queue(struct bs_worker *w, uint32_t queue)
{
	struct bs_io *io = w->cfg.io;

	for (int round = 0; round < WORKER_BURSTS_PER_WAKE; round++) {
		uint64_t ms = now_ms();
		time_t now = time(NULL);
		bool leases_touched = false;
		unsigned n = bs_io_rx_burst(io, queue, w->pkts, WORKER_BURST, ms);

		for (unsigned i = 0; i < n; i++)
			leases_touched |= dispatch(w, &w->pkts[i], now, ms);
		end_batch(w, leases_touched, now, ms);
		bs_io_rx_release(io, queue);
		if (n)
			w->st.v[WS_BURSTS]++;
		if (n < WORKER_BURST)
			break;
	}
}

struct stat_line {
	const struct bs_log *log;
	char buf[900];
	size_t len;
};

static void stat_line_flush(struct stat_line *l)
{
	if (l->len)
		bs_logf(l->log, LOG_INFO, "stats:%s", l->buf);
	l->len = 0;
	l->buf[0] = '\0';
}

/* Many counters per log line: one syslog write per counter is noise. */
static void stat_line_add(void *arg, const char *name, uint64_t value)
{
	struct stat_line *l = arg;
	char item[128];
	int n = snprintf(item, sizeof(item), " %s=%llu", name, (unsigned long long)value);

	if (n < 0)
		return;
	if (l->len + (size_t)n >= sizeof(l->buf))
		stat_line_flush(l);
	snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s", item);
	l->len += strnlen(item, sizeof(item));
}

void bs_worker_stats_foreach(const struct bs_worker *w, bs_stat_fn fn, void *arg)
{
	char name[64];

	for (int i = 0; i < WS_COUNT; i++)
		fn(arg, ws_names[i], w->st.v[i]);
	if (w->cfg.dhcp)
		for (int v = 0; v < DHCP_VERDICT_COUNT; v++) {
			snprintf(name, sizeof(name), "worker_dhcp_%s",
				 dhcp_verdict_name((enum dhcp_verdict)v));
			fn(arg, name, w->st.dhcp[v]);
		}
	if (w->cfg.tftp)
		for (int v = 0; v < TFTP_VERDICT_COUNT; v++) {
			snprintf(name, sizeof(name), "worker_tftp_%s", tftp_verdict_names[v]);
			fn(arg, name, w->st.tftp[v]);
		}
}

void bs_worker_stats_all(const struct bs_worker *w, bs_stat_fn fn, void *arg)
{
	bs_worker_stats_foreach(w, fn, arg);
	w->cfg.io->ops->stats_foreach(w->cfg.io, fn, arg);
	if (w->cfg.dhcp)
		dhcp_stats_foreach(w->cfg.dhcp, fn, arg);
	if (w->cfg.tftp) {
		fn(arg, "tftp_active_transfers", tftp_active_transfers(w->cfg.tftp));
		tftp_stats_foreach(w->cfg.tftp, fn, arg);
	}
	if (w->cfg.cache)
		bs_cache_stats_foreach(w->cfg.cache, fn, arg);
	if (w->cfg.http)
		bs_http_stats_foreach(w->cfg.http, fn, arg);
}

void bs_worker_log_stats(const struct bs_worker *w)
{
	struct stat_line l = {.log = w->cfg.log};

	bs_worker_stats_all(w, stat_line_add, &l);
	stat_line_flush(&l);
}

void bs_worker_reload(struct bs_worker *w)
{
	w->st.v[WS_RELOADS]++;
	if (w->cfg.reload)
		w->cfg.reload(w->cfg.reload_arg);
}

int bs_worker_add_fd(struct bs_worker *w, const struct bs_worker_fd *f)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (w->nextra == BS_WORKER_MAX_FDS || !f->ready)
		return -ENOSPC;
	ev.data.u32 = WORKER_EXTRA_ID - w->nextra;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0)
		return -errno;
	w->extra[w->nextra++] = *f;
	return 0;
}

static void handle_signals(struct bs_worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			bs_logf(w->cfg.log, LOG_INFO, "signal %u: exiting", si.ssi_signo);
			w->running = false;
			break;
		case SIGHUP:
			bs_worker_reload(w);
			break;
		case SIGUSR1:
			bs_worker_log_stats(w);
			break;
		default:
			break;
		}
	}
}

static int epoll_timeout(const struct bs_worker *w, uint64_t ms)
{
	uint64_t deadline = ms + WORKER_MAINTAIN_MS;

	if (w->cfg.tftp) {
		uint64_t d = tftp_next_deadline(w->cfg.tftp);

		if (d < deadline)
			deadline = d;
	}
	if (w->cfg.http) {
		uint64_t d = bs_http_next_deadline(w->cfg.http);

		if (d < deadline)
			deadline = d;
	}
	return deadline <= ms ? 0 : (int)(deadline - ms);
}

int bs_worker_run(struct bs_worker *w)
{
	struct epoll_event ev[WORKER_MAX_EVENTS];
	struct bs_io *io = w->cfg.io;
	uint64_t next_maintain = now_ms() + WORKER_MAINTAIN_MS;
	int err = 0;

	w->running = true;
	while (w->running) {
		int n = epoll_wait(w->epfd, ev, WORKER_MAX_EVENTS, epoll_timeout(w, now_ms()));
		uint64_t ms;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			bs_logf(w->cfg.log, LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == WORKER_SIGNAL_ID)
				handle_signals(w);
			else if (ev[i].data.u32 == WORKER_HTTP_ID)
				bs_http_run(w->cfg.http, now_ms());
			else if (ev[i].data.u32 <= WORKER_EXTRA_ID &&
				 ev[i].data.u32 > WORKER_EXTRA_ID - w->nextra)
				w->extra[WORKER_EXTRA_ID - ev[i].data.u32].ready(
				    w->extra[WORKER_EXTRA_ID - ev[i].data.u32].arg, now_ms());
			else
				serve_queue(w, ev[i].data.u32);
		}
		ms = now_ms();
		if (w->cfg.tftp && tftp_next_deadline(w->cfg.tftp) <= ms) {
			w->st.v[WS_TIMER_TICKS]++;
			tftp_tick(w->cfg.tftp, ms, io->tx);
			end_batch(w, false, time(NULL), ms);
		}
		if (w->cfg.http && bs_http_next_deadline(w->cfg.http) <= ms)
			bs_http_tick(w->cfg.http, ms);
		if (ms >= next_maintain) {
			io->ops->maintain(io, ms);
			for (unsigned k = 0; k < w->nextra; k++)
				if (w->extra[k].tick)
					w->extra[k].tick(w->extra[k].arg, ms);
			next_maintain = ms + WORKER_MAINTAIN_MS;
		}
	}
	/* Whatever the last batch changed reaches the disk before we go. */
	if (w->cfg.sync_leases && w->cfg.sync_leases(w->cfg.sync_arg, time(NULL)) < 0)
		bs_logf(w->cfg.log, LOG_ERR, "final lease file sync failed");
	return err;
}

struct bs_worker *bs_worker_new(const struct bs_worker_config *cfg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct bs_worker *w;
	sigset_t mask;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->epfd = -1;
	w->sigfd = -1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, &w->oldmask) < 0)
		goto err_free;
	w->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd < 0)
		goto err_mask;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		goto err_sigfd;
	ev.data.u32 = WORKER_SIGNAL_ID;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev) < 0)
		goto err_epoll;
	ev.data.u32 = WORKER_HTTP_ID;
	if (cfg->http && epoll_ctl(w->epfd, EPOLL_CTL_ADD, bs_http_fd(cfg->http), &ev) < 0)
		goto err_epoll;

	/* Ask for the count first: a backend may have hundreds of queues. */
	w->nqueues = cfg->io->ops->queues(cfg->io, NULL, 0);
	w->queues = calloc(w->nqueues + 1, sizeof(*w->queues));
	if (!w->queues)
		goto err_epoll;
	w->nqueues = cfg->io->ops->queues(cfg->io, w->queues, w->nqueues);
	for (size_t i = 0; i < w->nqueues; i++) {
		ev.data.u32 = w->queues[i].queue;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->queues[i].fd, &ev) < 0)
			goto err_queues;
	}
	return w;

err_queues:
	free(w->queues);
err_epoll:
	err = errno;
	close(w->epfd);
	errno = err;
err_sigfd:
	err = errno;
	close(w->sigfd);
	errno = err;
err_mask:
	err = errno;
	sigprocmask(SIG_SETMASK, &w->oldmask, NULL);
	errno = err;
err_free:
	free(w);
	return NULL;
}

void bs_worker_free(struct bs_worker *w)
{
	if (!w)
		return;
	close(w->epfd);
	close(w->sigfd);
	sigprocmask(SIG_SETMASK, &w->oldmask, NULL);
	free(w->queues);
	free(w);
}
