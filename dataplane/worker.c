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
 *   polled queues:         (no fd: DPDK) rx burst on each, every turn
 *   signals:               stop / reload / log stats
 *   extra fds:             bs_worker_add_fd() (the control socket): ready()
 *                          when readable, tick() once a second
 *
 * Group commit falls out of the batching: all lease changes of a burst go
 * to disk with one sync, and the burst's replies leave only after it.
 *
 * Several workers (a backend with bs_io_workers() > 1: AF_XDP, one per rx
 * queue): worker 0 is the calling thread and runs all of the above; workers
 * 1..N-1 are threads, each polling only its backend view's queues and its
 * inbox, with its own TFTP server, timers and counters. Every piece of
 * state has one owner: DHCP (leases, lease file) is worker 0's; a TFTP
 * transfer is the worker's that owns its transfer port ((port - lo) % N),
 * and an RRQ is served by the worker it arrives on, from one of its ports.
 * A datagram that arrives elsewhere is copied into the owner's inbox
 * (handoff.h; an eventfd wakes the owner) or dropped and counted when that
 * is full. No lock is taken per packet; the image cache's lock is taken
 * per file open and close.
 */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cache.h"
#include "handoff.h"
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
#define WORKER_INBOX_ID	       (UINT32_MAX - 2 - BS_WORKER_MAX_FDS)
#define WORKER_MAX	       16
/*
 * Queues without an fd (DPDK) are polled every turn of the loop: epoll
 * with timeout 0 while traffic flows and for WORKER_SPIN_MS after the last
 * packet (a TFTP client's next ACK comes within that), then with a
 * WORKER_IDLE_SLEEP_MS timeout, so an idle server does not burn a core
 * (CI shares two). The price: a frame after a quiet spell waits up to
 * 1 ms in the NIC's ring, an idle server wakes ~1000 times a second, and a
 * busy one spins a core (the DPDK way). docs/dpdk.md.
 */
#define WORKER_SPIN_MS	     2
#define WORKER_IDLE_SLEEP_MS 1

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
	WS_HANDOFF_OUT,	      /* copied into another worker's inbox */
	WS_HANDOFF_IN,	      /* taken from this worker's inboxes */
	WS_HANDOFF_DROP_FULL, /* the owner's inbox was full */
	WS_HANDOFF_DROP_BIG,  /* larger than an inbox slot */
	WS_COUNT
};

/* With one worker the handoff counters would always be 0: not shown. */
#define WS_COUNT_ONE WS_HANDOFF_OUT

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
    [WS_HANDOFF_OUT] = "worker_handoff_out",
    [WS_HANDOFF_IN] = "worker_handoff_in",
    [WS_HANDOFF_DROP_FULL] = "worker_handoff_drop_full",
    [WS_HANDOFF_DROP_BIG] = "worker_handoff_drop_too_big",
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

struct bs_worker;

/* One worker: the thread that runs it owns everything in here. */
struct wk {
	struct bs_worker *g;
	unsigned id;
	struct bs_io *io;	  /* its view of the backend */
	struct tftp_server *tftp; /* NULL: it owns no transfer port */
	int epfd, evfd;		  /* evfd: its inboxes have something */
	pthread_t thread;
	bool started;
	struct bs_io_queue *queues;
	size_t nqueues;
	uint32_t *polled; /* queues without an fd */
	size_t npolled;
	uint64_t last_busy_ms; /* polled queues: when a burst last had frames */
	struct bs_ratelimit rl;
	struct worker_stats st;
	struct bs_handoff *inbox[WORKER_MAX]; /* [j]: from worker j */
	bool wake[WORKER_MAX];		      /* pushed to worker j, not signalled yet */
	struct bs_rx_pkt pkts[WORKER_BURST];
};

struct bs_worker {
	struct bs_worker_config cfg;
	int sigfd;
	sigset_t oldmask;
	bool stop; /* atomic: set by worker 0, read by the others */
	struct bs_worker_fd extra[BS_WORKER_MAX_FDS];
	unsigned nextra;
	unsigned n, ntftp; /* workers; workers 0..ntftp-1 serve TFTP */
	struct wk w[];
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

/*
 * The worker that owns a TFTP datagram: for port 69 (new requests) this
 * one if it serves TFTP, for a transfer port the one that owns the port
 * (server k owns lo + k, lo + k + ntftp, ...: main's open_tftp()).
 */
static unsigned tftp_owner(const struct wk *k, uint16_t port)
{
	const struct bs_worker *g = k->g;

	if (port == TFTP_PORT)
		return k->tftp ? k->id : k->id % g->ntftp;
	return (unsigned)(port - k->io->tftp_port_lo) % g->ntftp;
}

static void handoff(struct wk *k, unsigned to, const struct bs_rx_pkt *p)
{
	switch (bs_handoff_push(k->g->w[to].inbox[k->id], p)) {
	case BS_HANDOFF_OK:
		k->st.v[WS_HANDOFF_OUT]++;
		k->wake[to] = true;
		break;
	case BS_HANDOFF_FULL:
		k->st.v[WS_HANDOFF_DROP_FULL]++;
		break;
	case BS_HANDOFF_TOO_BIG:
		k->st.v[WS_HANDOFF_DROP_BIG]++;
		break;
	}
}

/* After a burst: one eventfd write per worker that got something. */
static void wake_owners(struct wk *k)
{
	static const uint64_t one = 1;

	for (unsigned j = 0; j < k->g->n; j++)
		if (k->wake[j]) {
			k->wake[j] = false;
			(void)!write(k->g->w[j].evfd, &one, sizeof(one));
		}
}

/* Returns true when the datagram went to DHCP (its leases may have changed). */
static bool dispatch(struct wk *k, const struct bs_rx_pkt *p, time_t now, uint64_t ms)
{
	const struct bs_worker_config *cfg = &k->g->cfg;
	struct bs_io *io = k->io;
	uint16_t port = p->meta.dst_port;
	unsigned owner;

	if (cfg->dhcp && (port == DHCP_SERVER_PORT || port == PXE_BOOT_SERVER_PORT)) {
		enum dhcp_verdict v;

		if (k->id != 0) {
			handoff(k, 0, p);
			return false;
		}
		v = dhcp_input(cfg->dhcp, &p->meta, p->data, p->len, now, ms, io->tx);
		k->st.v[WS_RX_DHCP]++;
		if ((unsigned)v < DHCP_VERDICT_COUNT)
			k->st.dhcp[v]++;
		return true;
	}
	if (k->g->ntftp && is_tftp_port(io, port)) {
		enum tftp_verdict v;

		owner = tftp_owner(k, port);
		if (owner != k->id) {
			handoff(k, owner, p);
			return false;
		}
		v = tftp_input(k->tftp, &p->meta, p->data, p->len, ms, io->tx);
		k->st.v[WS_RX_TFTP]++;
		if ((unsigned)v < TFTP_VERDICT_COUNT)
			k->st.tftp[v]++;
		return false;
	}
	k->st.v[WS_DROP_NO_HANDLER]++;
	return false;
}

/* End of a batch: leases to disk first, then the replies. */
static void end_batch(struct wk *k, bool leases_touched, time_t now, uint64_t ms)
{
	const struct bs_worker_config *cfg = &k->g->cfg;
	int err;

	if (leases_touched && cfg->sync_leases) {
		err = cfg->sync_leases(cfg->sync_arg, now);
		if (err < 0) {
			k->st.v[WS_LEASE_SYNC_ERRORS]++;
			if (bs_ratelimit_ok(&k->rl, ms, 5))
				bs_logf(
				    cfg->log, LOG_ERR,
				    "lease file sync failed (%s): replies of this batch dropped",
				    strerror(-err));
			/* The discard count is the backend's io_tx_discarded. */
			k->st.v[WS_DROP_UNSYNCED]++;
			bs_io_tx_discard(k->io);
			return;
		}
	}
	k->st.v[WS_TX_PKTS] += bs_io_tx_flush(k->io, ms);
}

static unsigned serve_queue(struct wk *k, uint32_t queue)
{
	struct bs_io *io = k->io;
	unsigned total = 0;

	for (int round = 0; round < WORKER_BURSTS_PER_WAKE; round++) {
		uint64_t ms = now_ms();
		time_t now = time(NULL);
		bool leases_touched = false;
		unsigned n = bs_io_rx_burst(io, queue, k->pkts, WORKER_BURST, ms);

		k->st.v[WS_RX_PKTS] += n;
		total += n;
		for (unsigned i = 0; i < n; i++)
			leases_touched |= dispatch(k, &k->pkts[i], now, ms);
		end_batch(k, leases_touched, now, ms);
		bs_io_rx_release(io, queue);
		wake_owners(k);
		if (n)
			k->st.v[WS_BURSTS]++;
		if (n < WORKER_BURST)
			break;
	}
	return total;
}

/* What other workers handed over, in bursts like a queue's; each inbox
   slot is released only after its replies were flushed. */
static void drain_inboxes(struct wk *k)
{
	uint64_t c;

	(void)!read(k->evfd, &c, sizeof(c));
	for (unsigned j = 0; j < k->g->n; j++) {
		struct bs_handoff *h = k->inbox[j];
		uint32_t n;

		while (h && (n = bs_handoff_peek(h, WORKER_BURST)) > 0) {
			uint64_t ms = now_ms();
			time_t now = time(NULL);
			bool leases_touched = false;

			for (uint32_t i = 0; i < n; i++) {
				const struct bs_rx_pkt *p = bs_handoff_at(h, i);

				if (k->io->ops->learn)
					k->io->ops->learn(k->io, &p->meta, ms);
				leases_touched |= dispatch(k, p, now, ms);
			}
			k->st.v[WS_HANDOFF_IN] += n;
			end_batch(k, leases_touched, now, ms);
			bs_handoff_pop(h, n);
			wake_owners(k);
		}
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

/* A counter another worker's thread writes: single writer, 64-bit, read
   whole; a sample may be a burst old. */
static uint64_t peek(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void sum_stats(const struct bs_worker *g, struct worker_stats *t)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)t;
	size_t nv = sizeof(*t) / sizeof(uint64_t);

	memset(t, 0, sizeof(*t));
	for (unsigned k = 0; k < g->n; k++) {
		src = (const uint64_t *)&g->w[k].st;
		for (size_t i = 0; i < nv; i++)
			dst[i] += peek(&src[i]);
	}
}

/*
 * The old names are the sums over all workers; with more than one worker,
 * each also as worker<k>_<name>: worker1_rx_pkts, worker1_handoff_out ...
 */
void bs_worker_stats_foreach(const struct bs_worker *g, bs_stat_fn fn, void *arg)
{
	int nws = g->n > 1 ? WS_COUNT : WS_COUNT_ONE;
	struct worker_stats t;
	char name[64];

	sum_stats(g, &t);
	for (int i = 0; i < nws; i++)
		fn(arg, ws_names[i], t.v[i]);
	if (g->cfg.dhcp)
		for (int v = 0; v < DHCP_VERDICT_COUNT; v++) {
			snprintf(name, sizeof(name), "worker_dhcp_%s",
				 dhcp_verdict_name((enum dhcp_verdict)v));
			fn(arg, name, t.dhcp[v]);
		}
	if (g->ntftp)
		for (int v = 0; v < TFTP_VERDICT_COUNT; v++) {
			snprintf(name, sizeof(name), "worker_tftp_%s", tftp_verdict_names[v]);
			fn(arg, name, t.tftp[v]);
		}
	for (unsigned k = 0; g->n > 1 && k < g->n; k++) {
		const struct wk *w = &g->w[k];

		for (int i = 0; i < nws; i++) {
			snprintf(name, sizeof(name), "worker%u_%s", k,
				 ws_names[i] + strlen("worker_"));
			fn(arg, name, peek(&w->st.v[i]));
		}
		if (w->tftp) {
			snprintf(name, sizeof(name), "worker%u_tftp_active", k);
			fn(arg, name, tftp_active_transfers(w->tftp));
		}
	}
}

/* Adds up walks that report the same names in the same order (one TFTP
   server per worker). */
#define STAT_SUM_MAX 64
struct stat_sum {
	const char *name[STAT_SUM_MAX];
	uint64_t v[STAT_SUM_MAX];
	unsigned n, i;
};

static void stat_sum_add(void *arg, const char *name, uint64_t value)
{
	struct stat_sum *s = arg;

	if (s->i < s->n)
		s->v[s->i++] += value;
	else if (s->n < STAT_SUM_MAX) {
		s->name[s->n] = name;
		s->v[s->n++] = value;
		s->i = s->n;
	}
}

static void tftp_stats_all(const struct bs_worker *g, bs_stat_fn fn, void *arg)
{
	struct stat_sum s = {.n = 0};
	uint64_t active = 0;

	for (unsigned k = 0; k < g->ntftp; k++) {
		s.i = 0;
		active += tftp_active_transfers(g->w[k].tftp);
		tftp_stats_foreach(g->w[k].tftp, stat_sum_add, &s);
	}
	fn(arg, "tftp_active_transfers", active);
	for (unsigned i = 0; i < s.n; i++)
		fn(arg, s.name[i], s.v[i]);
}

void bs_worker_stats_all(const struct bs_worker *g, bs_stat_fn fn, void *arg)
{
	bs_worker_stats_foreach(g, fn, arg);
	g->cfg.io->ops->stats_foreach(g->cfg.io, fn, arg);
	if (g->cfg.dhcp)
		dhcp_stats_foreach(g->cfg.dhcp, fn, arg);
	if (g->ntftp)
		tftp_stats_all(g, fn, arg);
	if (g->cfg.cache)
		bs_cache_stats_foreach(g->cfg.cache, fn, arg);
	if (g->cfg.http)
		bs_http_stats_foreach(g->cfg.http, fn, arg);
}

void bs_worker_log_stats(const struct bs_worker *g)
{
	struct stat_line l = {.log = g->cfg.log};

	bs_worker_stats_all(g, stat_line_add, &l);
	stat_line_flush(&l);
}

void bs_worker_reload(struct bs_worker *g)
{
	g->w[0].st.v[WS_RELOADS]++;
	if (g->cfg.reload)
		g->cfg.reload(g->cfg.reload_arg);
}

int bs_worker_add_fd(struct bs_worker *g, const struct bs_worker_fd *f)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (g->nextra == BS_WORKER_MAX_FDS || !f->ready)
		return -ENOSPC;
	ev.data.u32 = WORKER_EXTRA_ID - g->nextra;
	if (epoll_ctl(g->w[0].epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0)
		return -errno;
	g->extra[g->nextra++] = *f;
	return 0;
}

static void handle_signals(struct bs_worker *g)
{
	struct signalfd_siginfo si;

	while (read(g->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			bs_logf(g->cfg.log, LOG_INFO, "signal %u: exiting", si.ssi_signo);
			__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
			break;
		case SIGHUP:
			bs_worker_reload(g);
			break;
		case SIGUSR1:
			bs_worker_log_stats(g);
			break;
		default:
			break;
		}
	}
}

static int epoll_timeout(const struct wk *k, uint64_t ms)
{
	uint64_t deadline = ms + WORKER_MAINTAIN_MS;

	if (k->npolled)
		deadline = ms + (ms - k->last_busy_ms < WORKER_SPIN_MS ? 0 : WORKER_IDLE_SLEEP_MS);
	if (k->tftp) {
		uint64_t d = tftp_next_deadline(k->tftp);

		if (d < deadline)
			deadline = d;
	}
	if (k->id == 0 && k->g->cfg.http) {
		uint64_t d = bs_http_next_deadline(k->g->cfg.http);

		if (d < deadline)
			deadline = d;
	}
	return deadline <= ms ? 0 : (int)(deadline - ms);
}

/* Worker 0's own fds (signals, HTTP, bs_worker_add_fd) or a queue / inbox. */
static void handle_event(struct wk *k, uint32_t id)
{
	struct bs_worker *g = k->g;

	if (id == WORKER_SIGNAL_ID)
		handle_signals(g);
	else if (id == WORKER_HTTP_ID)
		bs_http_run(g->cfg.http, now_ms());
	else if (id == WORKER_INBOX_ID)
		drain_inboxes(k);
	else if (id <= WORKER_EXTRA_ID && id > WORKER_EXTRA_ID - g->nextra)
		g->extra[WORKER_EXTRA_ID - id].ready(g->extra[WORKER_EXTRA_ID - id].arg, now_ms());
	else
		serve_queue(k, id);
}

/* One worker's loop; worker 0's also runs signals, HTTP and the extra fds. */
static int worker_loop(struct wk *k)
{
	struct epoll_event ev[WORKER_MAX_EVENTS];
	struct bs_worker *g = k->g;
	uint64_t next_maintain = now_ms() + WORKER_MAINTAIN_MS;

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(k->epfd, ev, WORKER_MAX_EVENTS, epoll_timeout(k, now_ms()));
		uint64_t ms;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			bs_logf(g->cfg.log, LOG_ERR, "worker %u: epoll_wait: %s", k->id,
				strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++)
			handle_event(k, ev[i].data.u32);
		if (k->npolled) {
			unsigned got = 0;

			for (size_t i = 0; i < k->npolled; i++)
				got += serve_queue(k, k->polled[i]);
			if (got || n)
				k->last_busy_ms = now_ms();
		}
		ms = now_ms();
		if (k->tftp && tftp_next_deadline(k->tftp) <= ms) {
			k->st.v[WS_TIMER_TICKS]++;
			tftp_tick(k->tftp, ms, k->io->tx);
			end_batch(k, false, time(NULL), ms);
		}
		if (k->id == 0 && g->cfg.http && bs_http_next_deadline(g->cfg.http) <= ms)
			bs_http_tick(g->cfg.http, ms);
		if (ms >= next_maintain) {
			k->io->ops->maintain(k->io, ms);
			for (unsigned e = 0; k->id == 0 && e < g->nextra; e++)
				if (g->extra[e].tick)
					g->extra[e].tick(g->extra[e].arg, ms);
			next_maintain = ms + WORKER_MAINTAIN_MS;
		}
	}
	return 0;
}

static void *worker_thread(void *arg)
{
	struct wk *k = arg;

	/* A worker that fails takes the process down cleanly: its queues
	   would otherwise go unserved while the others run. */
	if (worker_loop(k) < 0)
		kill(getpid(), SIGTERM);
	return NULL;
}

static void stop_threads(struct bs_worker *g)
{
	static const uint64_t one = 1;

	__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
	for (unsigned k = 1; k < g->n; k++)
		if (g->w[k].started) {
			(void)!write(g->w[k].evfd, &one, sizeof(one));
			pthread_join(g->w[k].thread, NULL);
			g->w[k].started = false;
		}
}

int bs_worker_run(struct bs_worker *g)
{
	int err = 0;

	for (unsigned k = 1; k < g->n; k++) {
		err = pthread_create(&g->w[k].thread, NULL, worker_thread, &g->w[k]);
		if (err) {
			bs_logf(g->cfg.log, LOG_ERR, "worker %u: %s", k, strerror(err));
			stop_threads(g);
			return -err;
		}
		g->w[k].started = true;
	}
	err = worker_loop(&g->w[0]);
	stop_threads(g);
	/* Whatever the last batch changed reaches the disk before we go. */
	if (g->cfg.sync_leases && g->cfg.sync_leases(g->cfg.sync_arg, time(NULL)) < 0)
		bs_logf(g->cfg.log, LOG_ERR, "final lease file sync failed");
	return err;
}

static int epoll_add(int epfd, int fd, uint32_t id)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Worker k's epoll over its view's queues and its inbox. 0 or -errno. */
static int wk_init(struct bs_worker *g, unsigned k)
{
	struct wk *w = &g->w[k];
	struct bs_io *io = g->cfg.io;
	int err;

	w->g = g;
	w->id = k;
	w->io = k ? io->ops->worker_io(io, k) : io;
	w->tftp = k < g->ntftp ? g->cfg.tftp[k] : NULL;
	if (!w->io)
		return -EINVAL;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->evfd < 0)
		return -errno;
	if ((err = epoll_add(w->epfd, w->evfd, WORKER_INBOX_ID)) < 0)
		return err;
	/* Inboxes where something may come from: DHCP goes to worker 0,
	   TFTP to the workers serving it. */
	for (unsigned j = 0; g->n > 1 && (k == 0 || k < g->ntftp) && j < g->n; j++)
		if (j != k && !(w->inbox[j] = bs_handoff_new()))
			return -ENOMEM;
	/* Ask for the count first: a backend may have hundreds of queues. */
	w->nqueues = w->io->ops->queues(w->io, NULL, 0);
	w->queues = calloc(w->nqueues + 1, sizeof(*w->queues));
	if (!w->queues)
		return -ENOMEM;
	w->polled = calloc(w->nqueues + 1, sizeof(*w->polled));
	if (!w->polled)
		return -ENOMEM;
	w->nqueues = w->io->ops->queues(w->io, w->queues, w->nqueues);
	for (size_t i = 0; i < w->nqueues; i++) {
		if (w->queues[i].fd < 0)
			w->polled[w->npolled++] = w->queues[i].queue;
		else if ((err = epoll_add(w->epfd, w->queues[i].fd, w->queues[i].queue)) < 0)
			return err;
	}
	return 0;
}

struct bs_worker *bs_worker_new(const struct bs_worker_config *cfg)
{
	unsigned n = bs_io_workers(cfg->io);
	struct bs_worker *g;
	sigset_t mask;
	int err;

	if (n > WORKER_MAX)
		n = WORKER_MAX;
	g = calloc(1, sizeof(*g) + n * sizeof(g->w[0]));
	if (!g)
		return NULL;
	g->cfg = *cfg;
	g->n = n;
	g->ntftp = cfg->tftp ? (cfg->ntftp < n ? cfg->ntftp : n) : 0;
	g->sigfd = -1;
	for (unsigned k = 0; k < n; k++)
		g->w[k].epfd = g->w[k].evfd = -1;

	/* Before any thread starts: they inherit the mask, so signals
	   reach worker 0's signalfd only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, &g->oldmask) < 0) {
		err = -errno;
		free(g);
		errno = -err;
		return NULL;
	}
	g->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (g->sigfd < 0) {
		err = -errno;
		goto fail;
	}
	for (unsigned k = 0; k < n; k++)
		if ((err = wk_init(g, k)) < 0)
			goto fail;
	if ((err = epoll_add(g->w[0].epfd, g->sigfd, WORKER_SIGNAL_ID)) < 0 ||
	    (cfg->http &&
	     (err = epoll_add(g->w[0].epfd, bs_http_fd(cfg->http), WORKER_HTTP_ID)) < 0))
		goto fail;
	return g;

fail:
	bs_worker_free(g);
	errno = -err;
	return NULL;
}

void bs_worker_free(struct bs_worker *g)
{
	if (!g)
		return;
	stop_threads(g);
	for (unsigned k = 0; k < g->n; k++) {
		struct wk *w = &g->w[k];

		if (w->epfd >= 0)
			close(w->epfd);
		if (w->evfd >= 0)
			close(w->evfd);
		for (unsigned j = 0; j < g->n; j++)
			bs_handoff_free(w->inbox[j]);
		free(w->queues);
		free(w->polled);
	}
	if (g->sigfd >= 0)
		close(g->sigfd);
	sigprocmask(SIG_SETMASK, &g->oldmask, NULL);
	free(g);
}
