/* SPDX-License-Identifier: MIT */
/*
 * bootstorm: parse the config, open everything the server needs while
 * errors can still reach the terminal, then (unless told to stay in the
 * foreground) daemonize and hand over to the worker loop.
 *
 * Exit codes: 0 clean exit (or --test OK), 1 configuration error,
 * 2 runtime/setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "control/config.h"
#include "control/ctl.h"
#include "control/hosts.h"
#include "control/hoststore.h"
#include "control/journal.h"
#include "control/supervise.h"
#include "control/leasefile.h"
#include "io/io.h"
#include "proto/dhcp.h"
#include "proto/lease.h"
#include "proto/tftp.h"
#include "leasesync.h"
#include "worker.h"
/* After proto/datagram.h (via io.h): cache.h uses bs_stat_fn without
   including it. */
#include "cache.h"
#include "http_server.h"
#include "proto/ipxe_script.h"
#include "util/bytes.h"
#include "util/events.h"
#include "util/sandbox.h"
#include "util/tagmem.h"

#define BS_TFTP_WORKERS_MAX 16 /* = the worker cap (dataplane/worker.c) */

#define EXIT_CONFIG  1
#define EXIT_RUNTIME 2
/* Client event records per worker (128 bytes each: 1 MiB): 50 ms of
   pump interval at 160k events/s before a subscriber loses any. */
#define APP_EVENT_RING 8192
/* DHCP's tags count for GET /boot.ipxe this long after its reply: iPXE
   asks for its script seconds after its DHCP; an hour covers a slow
   installer that chains back to it, not a client seen yesterday. */
#define APP_DHCP_TAGS_MAX_AGE_MS (3600u * 1000)
/* Lease intents in flight between the DHCP worker and the journal: a
   burst changes at most a few hundred leases. */
#define APP_INTENT_RING 4096

/* Where log lines go. Modules hold a pointer to app.log, so switching the
   sink after daemonizing is a field update here. */
struct log_sink {
	bool to_stderr; /* -d, and everyone during start-up */
	bool to_syslog;
	FILE *file; /* log-facility=/path */
};

/*
 * The backend's log during an "auto" attempt at AF_XDP: lines are held
 * back, then replayed if AF_XDP started, or summed up in one line (the
 * first error) if it did not. Passes through once the attempt is over.
 */
#define IO_LOG_HELD 32
struct io_log {
	struct bs_log log; /* what the backend is given */
	const struct bs_log *real;
	bool holding;
	unsigned nheld;
	int prio[IO_LOG_HELD];
	char held[IO_LOG_HELD][200];
	char why[200]; /* the first error or warning */
};

struct app {
	struct bs_config *cfg;	/* from start-up: daemon settings, never swapped */
	struct bs_config *live; /* whose policy DHCP uses now (cfg until a reload) */
	char conf_path[PATH_MAX];
	struct log_sink sink;
	struct bs_log log;

	struct bs_cache *cache;
	struct lease_table *leases; /* DHCP's (the dataplane's): offers too */
	/* The journal's side (control, no lease table: docs/leasefile.md):
	   the file, and the ring DHCP's changes come in. */
	struct leasefile *lf;
	struct bs_intents ring;
	struct bs_journal journal;
	struct bs_leasesync lsync;
	struct bs_sup sup; /* control: the dataplane process */
	int cwd_fd;	   /* where relative paths start (the daemon is in /) */
	struct dhcp_server *dhcp;
	/* The tags of DHCP's last reply per MAC, for GET /boot.ipxe (with
	   DHCP and HTTP on). Written by DHCP, read by HTTP: both on the main
	   worker's thread today; its seqlocks would keep it right on two. */
	struct bs_tagmem *tagmem;
	struct bs_hosts *hosts; /* the host registry (control/hosts.h) */
	char host_path[PATH_MAX];  /* its state file, written by control */
	struct bs_hoststore hstore; /* the dataplane's changes to it, to control */
	int devnull_fd;		    /* opened before the privilege drop */
	atomic_size_t hosts_once; /* hosts waiting on install .. once: any thread reads it */
	/* Files delivered by the TFTP servers of workers 1..N-1 (their own
	   threads), handed to the main thread, which owns the registry and the
	   lease table. Rare (a final file of a host on install .. once), so a
	   lock is fine; full: dropped and counted (the installer can still
	   report done over HTTP). */
	pthread_t main_thread;
	pthread_mutex_t dq_lock;
	int dq_fd; /* eventfd, polled by the main worker */
	unsigned dq_n;
	uint64_t dq_dropped;
	struct {
		uint32_t ip;
		char path[256];
	} dq[32];
	/* One per worker that serves TFTP (its share of the transfer ports). */
	struct tftp_server *tftp[BS_TFTP_WORKERS_MAX];
	unsigned ntftp;
	struct bs_http *http;	     /* http-port */
	struct bs_cache *http_cache; /* http-root's, when it is not tftp-root */
	struct bs_io *io;
	struct io_log io_log;
	struct bs_worker *worker;
	struct bs_ctl *ctl; /* control-socket */
	/* Client events (util/events.h): a ring per producing thread, all of
	   them in ctl_env.ev_rings. [0] is the main worker's (DHCP, HTTP,
	   tftp[0]); [k] is the TFTP server of worker k. */
	struct bs_ev_ring *events[BS_TFTP_WORKERS_MAX];
	unsigned nevents;
	struct bs_ctl_env ctl_env;
	struct bs_config *reload_cfg; /* parsed by the reload command, for app_reload */
	bool pid_written;
};

static void app_log(void *arg, int prio, const char *msg)
{
	struct log_sink *s = arg;

	if (s->to_stderr)
		bs_log_stderr(NULL, prio, msg);
	if (s->file) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%b %e %H:%M:%S", localtime_r(&now, &tm));
		fprintf(s->file, "%s bootstorm[%d]: %s\n", ts, (int)getpid(), msg);
		fflush(s->file);
	} else if (s->to_syslog) {
		bs_log_syslog(NULL, prio, msg);
	}
}

static void log_diags(struct app *a, const struct bs_diags *d)
{
	static const int prio[] = {[BS_DIAG_NOTE] = LOG_NOTICE,
				   [BS_DIAG_WARNING] = LOG_WARNING,
				   [BS_DIAG_ERROR] = LOG_ERR};

	for (size_t i = 0; i < d->n; i++) {
		const struct bs_diag *g = &d->v[i];
		int p = g->level >= 0 && g->level <= BS_DIAG_ERROR ? prio[g->level] : LOG_ERR;

		if (g->line)
			bs_logf(&a->log, p, "%s:%d: %s", g->file, g->line, g->msg);
		else
			bs_logf(&a->log, p, "%s: %s", g->file, g->msg);
	}
}

/* ---- reload (SIGHUP) ---- */

static bool ifaces_differ(const struct bs_config *x, const struct bs_config *y)
{
	if (x->nifaces != y->nifaces || x->nlisten != y->nlisten)
		return true;
	return memcmp(x->ifaces, y->ifaces, sizeof(x->ifaces[0]) * x->nifaces) != 0 ||
	       memcmp(x->listen, y->listen, sizeof(x->listen[0]) * x->nlisten) != 0;
}

/* ---- image cache warming (docs/http.md "Image cache") ---- */

struct stat_prefix {
	bs_stat_fn fn;
	void *arg;
};

static void http_cache_stat(void *arg, const char *name, uint64_t value)
{
	const struct stat_prefix *p = arg;
	char full[96];

	snprintf(full, sizeof(full), "http_%s", name);
	p->fn(p->arg, full, value);
}

/* http-root's cache counters: named http_cache_* when tftp-root has a
   cache too (theirs are cache_*), plain cache_* when it is the only one.
   For GET /metrics and `cache status` alike. */
static void http_cache_stats(struct app *a, bs_stat_fn fn, void *fnarg)
{
	struct stat_prefix p = {fn, fnarg};

	if (!a->http_cache)
		return;
	if (a->cache)
		bs_cache_stats_foreach(a->http_cache, http_cache_stat, &p);
	else
		bs_cache_stats_foreach(a->http_cache, fn, fnarg);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* True when every tag bit of old names the same tag in new (a reload
   that only adds tags appends them), so the tags DHCP remembered for
   HTTP keep their meaning. */
static bool tag_bits_kept(const struct bs_policy *old, const struct bs_policy *new)
{
	if (new->ntags < old->ntags)
		return false;
	for (unsigned i = 0; i < old->ntags; i++)
		if (!old->tag_names[i] || !new->tag_names[i] ||
		    strcmp(old->tag_names[i], new->tag_names[i]) != 0)
			return false;
	return true;
}

/*
 * Up to two caches: tftp-root's (a->cache) and http-root's when that is
 * another directory or TFTP is off (a->http_cache). Warm and unpin act on
 * every cache the path is found in, so an HTTP-only server (UEFI HTTP
 * boot) warms its images like any other.
 */
static int app_caches(const struct app *a, struct bs_cache *out[2])
{
	int n = 0;

	if (a->cache)
		out[n++] = a->cache;
	if (a->http_cache)
		out[n++] = a->http_cache;
	return n;
}

/* 0 when found in one cache at least, else the first cache's error */
static int ctl_cache_warm(void *arg, const char *path)
{
	struct app *a = arg;
	struct bs_cache *cs[2];
	int n = app_caches(a, cs), first = -ENOENT, found = 0;

	for (int i = 0; i < n; i++) {
		int err = bs_cache_warm(cs[i], path, strlen(path), mono_ms());

		if (err == 0)
			found = 1;
		else if (i == 0)
			first = err;
	}
	return found ? 0 : first;
}

static int ctl_cache_unpin(void *arg, const char *path)
{
	struct app *a = arg;
	struct bs_cache *cs[2];
	int n = app_caches(a, cs), found = 0;
	bool all = strcmp(path, "*") == 0;

	for (int i = 0; i < n; i++) {
		if (all)
			bs_cache_unpin_all(cs[i]);
		else if (bs_cache_unpin(cs[i], path, strlen(path)) == 0)
			found = 1;
	}
	return all || found ? 0 : -ENOENT;
}

static void ctl_cache_status(void *arg, bs_cache_status_fn fn, void *fn_arg, bs_stat_fn sfn,
			     void *sfn_arg)
{
	struct app *a = arg;
	struct bs_cache *cs[2];
	int n = app_caches(a, cs);
	uint64_t now = mono_ms();

	/* the files of both, then the counters */
	for (int i = 0; i < n; i++)
		bs_cache_status_foreach(cs[i], now, fn, fn_arg);
	if (a->cache)
		bs_cache_stats_foreach(a->cache, sfn, sfn_arg);
	http_cache_stats(a, sfn, sfn_arg);
}

/* At start and on reload: pins are dropped, cache-warm= files pinned again. */
static void cache_apply(struct app *a, const struct bs_config *cfg)
{
	struct bs_cache *cs[2];
	int n = app_caches(a, cs);

	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		bs_cache_unpin_all(cs[i]);
		bs_cache_set_budget(cs[i], cfg->cache_size);
	}
	for (unsigned i = 0; i < cfg->ncache_warm; i++) {
		int err = ctl_cache_warm(a, cfg->cache_warm[i]);

		if (err < 0)
			bs_logf(&a->log, LOG_WARNING, "cache-warm=%s: %s", cfg->cache_warm[i],
				strerror(-err));
	}
}

/*
 * Only the DHCP policy is swapped live. Sockets, the lease file and TFTP
 * settings are bound at start-up; say so instead of half-applying them.
 * Options given on the command line are not re-applied: a reload reads the
 * config file alone (bs_config_from_file).
 */
static void app_reload(void *arg)
{
	struct app *a = arg;
	struct bs_diags d = {0};
	struct bs_config *ncfg = a->reload_cfg;
	uint64_t t0 = mono_ms();

	a->reload_cfg = NULL;
	if (!a->conf_path[0]) {
		bs_logf(&a->log, LOG_NOTICE, "SIGHUP: no config file, nothing to reload");
		return;
	}
	if (!ncfg) { /* SIGHUP; the control command has parsed it already */
		bs_logf(&a->log, LOG_INFO, "SIGHUP: reloading %s", a->conf_path);
		if (bs_config_from_file(a->conf_path, false, &ncfg, &d) < 0 || !ncfg) {
			log_diags(a, &d);
			bs_logf(&a->log, LOG_ERR,
				"reload failed: keeping the running configuration");
			bs_diags_free(&d);
			bs_config_free(ncfg);
			return;
		}
		log_diags(a, &d);
		bs_diags_free(&d);
	}
	if ((ncfg->policy->nranges > 0) != (a->dhcp != NULL))
		bs_logf(&a->log, LOG_WARNING, "reload: enabling or disabling DHCP needs a restart");
	if (ncfg->tftp_enabled != a->cfg->tftp_enabled ||
	    strcmp(ncfg->tftp_root, a->cfg->tftp_root) != 0 ||
	    ncfg->tftp.port_lo != a->cfg->tftp.port_lo ||
	    ncfg->tftp.port_hi != a->cfg->tftp.port_hi)
		bs_logf(&a->log, LOG_WARNING, "reload: TFTP settings changed: they need a restart");
	if (ncfg->http_port != a->cfg->http_port ||
	    memcmp(&ncfg->http_addr, &a->cfg->http_addr, sizeof(ncfg->http_addr)) ||
	    strcmp(ncfg->http_root, a->cfg->http_root) != 0 ||
	    ncfg->http_max_conns != a->cfg->http_max_conns ||
	    ncfg->http_timeout != a->cfg->http_timeout ||
	    ncfg->http_send_buffer != a->cfg->http_send_buffer ||
	    memcmp(&ncfg->metrics_addr, &a->cfg->metrics_addr, sizeof(ncfg->metrics_addr)) ||
	    ncfg->metrics_port != a->cfg->metrics_port)
		bs_logf(&a->log, LOG_WARNING, "reload: HTTP settings changed: they need a restart");
	if (strcmp(ncfg->backend, a->cfg->backend) != 0)
		bs_logf(&a->log, LOG_WARNING, "reload: backend changes need a restart");
	if (ifaces_differ(ncfg, a->cfg))
		bs_logf(&a->log, LOG_WARNING, "reload: interface changes need a restart");
	cache_apply(a, ncfg);
	if (ncfg->policy->lease_max != a->cfg->policy->lease_max)
		bs_logf(&a->log, LOG_WARNING, "reload: dhcp-lease-max changes need a restart");

	if (a->dhcp)
		dhcp_server_set_policy(a->dhcp, ncfg->policy);
	if (a->tagmem && !tag_bits_kept(a->live->policy, ncfg->policy))
		bs_tagmem_new_generation(a->tagmem);
	if (a->hosts && bs_hosts_set_policy(a->hosts, ncfg->policy) < 0)
		bs_logf(&a->log, LOG_ERR, "reload: hosts: out of memory");
	/* The old policy is unreferenced only now that the swap is done. */
	if (a->live != a->cfg)
		bs_config_free(a->live);
	a->live = ncfg;
	bs_logf(&a->log, LOG_INFO,
		"reload done in %llu ms: %zu ranges, %zu hosts, %zu boot entries",
		(unsigned long long)(mono_ms() - t0), ncfg->policy->nranges, ncfg->policy->nhosts,
		ncfg->policy->nboots);
}

static void io_log_fn(void *arg, int prio, const char *msg)
{
	struct io_log *l = arg;

	if (!l->holding) {
		if (l->real->fn)
			l->real->fn(l->real->arg, prio, msg);
		return;
	}
	if (prio <= LOG_WARNING && !l->why[0])
		snprintf(l->why, sizeof(l->why), "%s", msg);
	if (l->nheld < IO_LOG_HELD) {
		l->prio[l->nheld] = prio;
		snprintf(l->held[l->nheld++], sizeof(l->held[0]), "%s", msg);
	}
}

static void io_log_init(struct io_log *l, const struct bs_log *real, bool hold)
{
	memset(l, 0, sizeof(*l));
	l->real = real;
	l->holding = hold;
	l->log.fn = io_log_fn;
	l->log.arg = l;
	l->log.max_prio = real->max_prio;
}

/* Stop holding lines back; replay them when asked. */
static void io_log_release(struct io_log *l, bool replay)
{
	l->holding = false;
	for (unsigned i = 0; replay && i < l->nheld; i++)
		io_log_fn(l, l->prio[i], l->held[i]);
	l->nheld = 0;
}

/* The worker's hook after a burst (and the control socket's after a
   lease-release): the burst's replies leave only if this returns 0. */
static int sync_leases(void *arg, time_t now)
{
	struct app *a = arg;

	(void)now;
	return bs_leasesync(&a->lsync);
}

/* Control: the journal takes what the dataplane pushed; the host state
   file is written for it. */
static void journal_pump(void *arg)
{
	struct app *a = arg;

	if (a->lf)
		bs_journal_pump(&a->journal, time(NULL));
	if (a->hstore.fd[0] >= 0)
		bs_hoststore_serve(&a->hstore);
}

/* ---- setup ---- */

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Control's half: the lease file (checked and repaired by a replay into a
   table freed right after), and the intent ring DHCP's changes arrive
   through. */
static int open_journal(struct app *a)
{
	const struct bs_policy *pol = a->cfg->policy;
	struct lease_table *t = lease_table_new(pol->lease_max);
	size_t n;
	int err;

	if (!t) {
		bs_logf(&a->log, LOG_ERR, "lease table: out of memory");
		return -ENOMEM;
	}
	err = make_parent_dirs(a->cfg->lease_file);
	if (err < 0) {
		bs_logf(&a->log, LOG_ERR, "dhcp-leasefile %s: cannot create its directory: %s",
			a->cfg->lease_file, strerror(-err));
		lease_table_free(t);
		return err;
	}
	a->lf = leasefile_open(a->cfg->lease_file, t, time(NULL), &a->log);
	n = lease_count(t);
	lease_table_free(t);
	if (!a->lf) {
		err = -errno;
		bs_logf(&a->log, LOG_ERR, "dhcp-leasefile %s: %s", a->cfg->lease_file,
			strerror(errno));
		return err ? err : -EIO;
	}
	bs_logf(&a->log, LOG_INFO, "%zu leases restored from %s", n, a->cfg->lease_file);
	err = bs_intents_new(APP_INTENT_RING, &a->ring);
	if (!err)
		err = bs_journal_init(&a->journal, a->lf, pol->lease_max, &a->ring, &a->log);
	if (err) {
		bs_logf(&a->log, LOG_ERR, "lease intent ring: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Dataplane: DHCP's table, replayed from the lease file (still as root,
   before the privilege drop). Control journaled everything the previous
   dataplane pushed before it forked this one (control/supervise.c), so the
   file holds every lease ever ACKed. */
static int open_dhcp(struct app *a)
{
	const struct bs_policy *pol = a->cfg->policy;
	int err;

	a->leases = lease_table_new(pol->lease_max);
	if (!a->leases) {
		bs_logf(&a->log, LOG_ERR, "lease table: out of memory");
		return -ENOMEM;
	}
	err = leasefile_replay(a->cfg->lease_file, a->leases, time(NULL), &a->log);
	if (err < 0) {
		bs_logf(&a->log, LOG_ERR, "dhcp-leasefile %s: %s", a->cfg->lease_file,
			strerror(-err));
		return err;
	}
	a->lsync = (struct bs_leasesync){
	    .t = a->leases,
	    .ring = &a->ring,
	    .timeout_ms = BS_LEASESYNC_WAIT_MS,
	};
	a->dhcp = dhcp_server_new(pol, a->leases, &a->log);
	if (!a->dhcp) {
		bs_logf(&a->log, LOG_ERR, "dhcp server: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- the host registry (control/hosts.h) ---- */

static void hosts_publish(void *arg, const struct bs_hostsnap *snap)
{
	struct app *a = arg;

	atomic_store(&a->hosts_once, snap ? snap->n_once : 0);
	if (a->dhcp)
		dhcp_server_set_hosts(a->dhcp, snap);
}

/* Who a TFTP/HTTP client is: its lease, else a host reserving its address. */
static bool ip_to_mac(struct app *a, uint32_t ip, uint8_t mac[6])
{
	const struct lease *l = a->leases ? lease_find_ip(a->leases, ip) : NULL;
	const struct bs_hostsnap *s = bs_hosts_snapshot(a->hosts);

	/* 0: an HTTP client over IPv6 (no IPv4 address to go by); a
	   dhcp-host without a fixed address has ip 0 too and must not match */
	if (!ip)
		return false;
	if (l) {
		memcpy(mac, l->mac, 6);
		return true;
	}
	for (size_t i = 0; s && i < s->n; i++)
		if (s->e[i].host.ip == ip) {
			memcpy(mac, s->e[i].host.mac, 6);
			return true;
		}
	return false;
}

/* A file was delivered whole (TFTP, HTTP): maybe a once target is done.
   Per file of a boot storm: nothing to look up while no host waits. */
static void hosts_delivered_now(struct app *a, uint32_t ip, const char *path)
{
	const struct bs_hostsnap *s = bs_hosts_snapshot(a->hosts);
	uint8_t mac[6];

	if (s && s->n_once && ip_to_mac(a, ip, mac))
		bs_hosts_delivered(a->hosts, mac, path, strlen(path));
}

static void hosts_delivered(void *arg, uint32_t ip, const char *path)
{
	struct app *a = arg;
	uint64_t one = 1;

	if (!atomic_load_explicit(&a->hosts_once, memory_order_relaxed))
		return;
	if (pthread_equal(pthread_self(), a->main_thread)) {
		hosts_delivered_now(a, ip, path);
		return;
	}
	pthread_mutex_lock(&a->dq_lock);
	if (a->dq_n < BS_ARRAY_SIZE(a->dq)) {
		a->dq[a->dq_n].ip = ip;
		snprintf(a->dq[a->dq_n].path, sizeof(a->dq[0].path), "%s", path);
		a->dq_n++;
	} else {
		a->dq_dropped++;
	}
	pthread_mutex_unlock(&a->dq_lock);
	if (write(a->dq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return; /* the counter is full: a wake-up is pending anyway */
}

/* The main worker polls dq_fd: take what the other workers delivered. */
static void hosts_delivered_ready(void *arg, uint64_t now_ms)
{
	struct app *a = arg;
	unsigned n;
	uint64_t v;
	__typeof__(a->dq) q;

	(void)now_ms;
	if (read(a->dq_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&a->dq_lock);
	n = a->dq_n;
	memcpy(q, a->dq, n * sizeof(q[0]));
	a->dq_n = 0;
	pthread_mutex_unlock(&a->dq_lock);
	for (unsigned i = 0; i < n; i++)
		hosts_delivered_now(a, q[i].ip, q[i].path);
}

static int hosts_done(void *arg, uint32_t ip, const uint8_t *mac)
{
	struct app *a = arg;
	uint8_t m[6];

	if (!mac) {
		if (!ip_to_mac(a, ip, m))
			return -ENOENT;
		mac = m;
	}
	return bs_hosts_done(a->hosts, mac);
}

/* Control, before forking: host-state=, else "hosts" next to the lease
   file; its directory; the channel the dataplane's changes come in. */
static int open_hoststore(struct app *a)
{
	const char *ls = strrchr(a->cfg->lease_file, '/');
	int rc;

	if (a->cfg->host_state[0])
		snprintf(a->host_path, sizeof(a->host_path), "%s", a->cfg->host_state);
	else
		snprintf(a->host_path, sizeof(a->host_path), "%.*shosts",
			 ls ? (int)(ls - a->cfg->lease_file + 1) : 0, a->cfg->lease_file);
	rc = make_parent_dirs(a->host_path);
	if (rc < 0) {
		bs_logf(&a->log, LOG_ERR, "host-state %s: cannot create its directory: %s",
			a->host_path, strerror(-rc));
		return rc;
	}
	rc = bs_hoststore_init(&a->hstore, a->host_path, &a->log);
	if (rc < 0)
		bs_logf(&a->log, LOG_ERR, "host-state: socketpair: %s", strerror(-rc));
	return rc;
}

/* Dataplane: the registry reads the file; its changes go to control. */
static int open_hosts(struct app *a)
{
	char err[600];
	int rc;

	rc = bs_hosts_open(a->host_path, a->cfg->policy, &a->log, &a->hosts, err, sizeof(err));
	if (rc < 0) {
		bs_logf(&a->log, LOG_ERR, "host-state: %s", err);
		return rc;
	}
	bs_hosts_set_store(a->hosts, bs_hoststore_request, &a->hstore);
	bs_hosts_set_publish(a->hosts, hosts_publish, a);
	bs_logf(&a->log, LOG_INFO, "%zu hosts (%s)", bs_hosts_snapshot(a->hosts)->n,
		a->host_path);
	return 0;
}

/*
 * One TFTP server per worker that serves TFTP: with N workers, server k
 * owns the transfer ports port_lo + k, + N, ... (so an ACK's destination
 * port names the worker that owns the transfer) and an even share of
 * tftp-max. Fewer transfer ports than workers: as many servers as ports.
 */
static int open_tftp(struct app *a)
{
	struct tftp_config tc = a->cfg->tftp;
	struct tftp_files files;
	unsigned nw = bs_io_workers(a->io), nports;
	uint32_t mtu;

	/* The transfer ports the backend really opened; none: port 69 serves
	   transfers too (the TFTP module keys them by server port anyway). */
	if (a->io->tftp_port_lo <= a->io->tftp_port_hi) {
		tc.port_lo = a->io->tftp_port_lo;
		tc.port_hi = a->io->tftp_port_hi;
	} else {
		tc.port_lo = tc.port_hi = TFTP_PORT;
	}
	nports = tc.port_lo == TFTP_PORT ? 1 : tc.port_hi - tc.port_lo + 1u;
	if (nw > BS_TFTP_WORKERS_MAX)
		nw = BS_TFTP_WORKERS_MAX;
	a->ntftp = nw < nports ? nw : nports;
	/*
	 * A block must fit one frame (IPv4 20 + UDP 8 + TFTP 4 bytes): IP
	 * fragments are lost whole when one piece is. No served interface
	 * known yet: assume Ethernet's 1500. Computed once, at start.
	 */
	mtu = a->io->min_mtu > 32 + 8 ? a->io->min_mtu : 1500;
	if (!tc.max_blksize || mtu - 32 < tc.max_blksize)
		tc.max_blksize = (uint16_t)(mtu - 32 > 65464 ? 65464 : mtu - 32);
	if (a->ntftp > 1) {
		tc.port_stride = (uint16_t)a->ntftp;
		if (tc.max_transfers)
			tc.max_transfers = (tc.max_transfers + a->ntftp - 1) / a->ntftp;
	}
	bs_cache_tftp_files(a->cache, &files);
	files.delivered = hosts_delivered;
	files.delivered_arg = a;
	for (unsigned k = 0; k < a->ntftp; k++) {
		struct tftp_config wc = tc;

		wc.port_lo = (uint16_t)(tc.port_lo + (tc.port_lo == TFTP_PORT ? 0 : k));
		a->tftp[k] = tftp_server_new(&wc, &files, &a->log);
		if (!a->tftp[k]) {
			bs_logf(&a->log, LOG_ERR, "tftp server: out of memory");
			return -ENOMEM;
		}
	}
	bs_logf(&a->log, LOG_INFO, "TFTP root %s, transfer ports %u-%u, max blksize %u",
		a->cfg->tftp_root, tc.port_lo, tc.port_hi, tc.max_blksize);
	if (a->ntftp > 1)
		bs_logf(&a->log, LOG_INFO, "TFTP served by %u workers (transfer ports split)",
			a->ntftp);
	return 0;
}

#ifdef BS_HAVE_AFXDP
/*
 * Whether "auto" tries AF_XDP: only when the config names the interfaces
 * to serve (interface=, no wildcards). Attaching an XDP program and pinning
 * a UMEM per queue (16 MiB each) is a decision about particular NICs, and
 * a native attach resets the rings of many physical NICs: an operator who
 * names the interfaces has made it. With none named, AF_XDP would take over
 * every NIC of the host, so auto stays on sockets and says why.
 */
static bool auto_tries_afxdp(const struct bs_config *cfg, const char **why)
{
	if (cfg->nifaces == 0) {
		*why = "no interface= named: AF_XDP is used only on interfaces named explicitly";
		return false;
	}
	for (unsigned i = 0; i < cfg->nifaces; i++) {
		if (strchr(cfg->ifaces[i], '*')) {
			*why = "interface= has a wildcard: AF_XDP is used only on interfaces "
			       "named explicitly";
			return false;
		}
	}
	return true;
}
#endif

/*
 * backend=dpdk: explicit only (never "auto": DPDK takes a NIC away from
 * the kernel). EAL's threads and memory would not survive a fork, but the
 * dataplane process opens the backend after control has daemonized and
 * forked it, so daemon mode needs nothing special.
 */
static int open_dpdk(struct app *a, struct bs_io_config *ic)
{
#ifdef BS_HAVE_DPDK
	int err;

	err = bs_io_dpdk_ops.open(ic, &a->io);
	if (err < 0)
		bs_logf(&a->log, LOG_ERR, "backend=dpdk: DPDK could not start (%s)",
			strerror(-err));
	return err;
#else
	(void)ic;
	bs_logf(&a->log, LOG_ERR,
		"backend=dpdk: this build has no DPDK support (built without libdpdk: "
		"install libdpdk-dev and run meson setup again)");
	return -EOPNOTSUPP;
#endif
}

static int open_io(struct app *a, struct bs_io_config *ic)
{
	const char *want = a->cfg->backend[0] ? a->cfg->backend : "auto";
	bool afxdp = strcmp(want, "afxdp") == 0;
	bool autom = strcmp(want, "auto") == 0;
	int err;

	if (strcmp(want, "dpdk") == 0)
		return open_dpdk(a, ic);
	if (!afxdp && !autom && strcmp(want, "socket") != 0) {
		bs_logf(&a->log, LOG_ERR, "backend=%s: expected auto, afxdp, socket or dpdk", want);
		return -EINVAL;
	}
#ifdef BS_HAVE_AFXDP
	const char *why = NULL;

	if (autom && !auto_tries_afxdp(a->cfg, &why))
		bs_logf(&a->log, LOG_NOTICE, "backend auto: using sockets (%s)", why);
	if (afxdp || (autom && !why)) {
		io_log_init(&a->io_log, &a->log, autom);
		ic->log = &a->io_log.log;
		err = bs_io_afxdp_ops.open(ic, &a->io);
		io_log_release(&a->io_log, err == 0);
		if (err == 0 || afxdp) {
			if (err < 0)
				bs_logf(&a->log, LOG_ERR,
					"backend=afxdp: AF_XDP could not start (%s); "
					"backend=socket or backend=auto serve through sockets",
					strerror(-err));
			return err;
		}
		bs_logf(&a->log, LOG_NOTICE, "backend auto: AF_XDP not used (%s): using sockets",
			a->io_log.why[0] ? a->io_log.why : strerror(-err));
		ic->log = &a->log;
	}
#else
	if (afxdp) {
		bs_logf(&a->log, LOG_ERR,
			"backend=afxdp: this build has no AF_XDP support (built without "
			"clang/bpftool/libbpf)");
		return -EOPNOTSUPP;
	}
#endif
	err = bs_io_sock_ops.open(ic, &a->io);
	return err;
}


/* GET /metrics: the worker's walk over every module, plus lease counts and
   http-root's cache when it is not TFTP's (then named http_cache_*). */
static void app_stats(void *arg, bs_stat_fn fn, void *fnarg)
{
	struct app *a = arg;

	if (a->worker)
		bs_worker_stats_all(a->worker, fn, fnarg);
	http_cache_stats(a, fn, fnarg);
	if (a->leases)
		fn(fnarg, "leases", lease_count(a->leases));
	if (a->tagmem) {
		struct bs_tagmem_counts t = bs_tagmem_counts(a->tagmem);

		fn(fnarg, "tagmem_inserts", t.inserts);
		fn(fnarg, "tagmem_evictions", t.evictions);
	}
	if (a->ntftp > 1) {
		uint64_t dropped;

		pthread_mutex_lock(&a->dq_lock);
		dropped = a->dq_dropped;
		pthread_mutex_unlock(&a->dq_lock);
		fn(fnarg, "hosts_delivered_dropped", dropped);
	}
	if (a->ctl)
		bs_ctl_stats_foreach(a->ctl, fn, fnarg);
}

/* GET /boot.ipxe: the host's boot action if it has one, else the
   ipxe-boot lines for its tags: its host entry's + known, and the tags of
   DHCP's last reply to that MAC (dhcp-match, vendor and user class, arch
   and iPXE builtins, interface, range, tag-if) if it came within
   APP_DHCP_TAGS_MAX_AGE_MS. The live config and registry, so a reload or
   a host command changes the scripts. */
static size_t app_ipxe_script(void *arg, const uint8_t *mac, const char *host, size_t host_len,
			      char *out, size_t cap)
{
	struct app *a = arg;
	const struct bs_config *cfg = a->live ? a->live : a->cfg;
	const struct bs_hostsnap_entry *e =
	    mac ? bs_hostsnap_find(bs_hosts_snapshot(a->hosts), mac) : NULL;
	struct ipxe_boot ab;
	bs_tagset tags = e ? e->host.set | (1ull << BS_TAG_KNOWN) : 0, dhcp;

	if (mac && a->tagmem &&
	    bs_tagmem_get(a->tagmem, mac, mono_ms(), APP_DHCP_TAGS_MAX_AGE_MS, &dhcp))
		tags |= dhcp;
	if (e && ipxe_boot_from_act(&e->act, &ab))
		return ipxe_render(&ab, host, host_len, out, cap);
	if (!cfg->nipxe_boots)
		return 0;
	return ipxe_render(ipxe_select(cfg->ipxe_boots, cfg->nipxe_boots, tags), host, host_len,
			   out, cap);
}

/* One more client-event ring, for the next producing thread. */
static int add_event_ring(struct app *a)
{
	struct bs_ev_ring *r = bs_ev_ring_new(APP_EVENT_RING);

	if (!r) {
		bs_logf(&a->log, LOG_ERR, "event ring: out of memory");
		return -ENOMEM;
	}
	a->events[a->nevents++] = r;
	return 0;
}

/* HTTP boot server: http-root (default tftp-root) through the image
   cache, the TFTP server's own cache when both roots are the same. */
static int open_http(struct app *a)
{
	const struct bs_config *cfg = a->cfg;
	const char *root = cfg->http_root[0] ? cfg->http_root : cfg->tftp_root;
	struct bs_http_config hc = {
	    .addr = cfg->http_addr,
	    .port = cfg->http_port,
	    .max_conns = cfg->http_max_conns,
	    .timeout_ms = cfg->http_timeout * 1000,
	    .send_buffer = cfg->http_send_buffer,
	    .cache = a->cache,
	    .log = &a->log,
	    .stats = app_stats,
	    .stats_arg = a,
	    .metrics_addr = cfg->metrics_addr,
	    .metrics_port = cfg->metrics_port,
	    .ipxe_script = app_ipxe_script,
	    .ipxe_arg = a,
	    .events = a->events[0],
	    .delivered = hosts_delivered,
	    .done = hosts_done,
	    .hosts_arg = a,
	};
	int err;

	if (!a->cache || strcmp(root, cfg->tftp_root) != 0) {
		a->http_cache = bs_cache_new(root, &a->log);
		if (!a->http_cache) {
			err = errno ? errno : EIO;
			bs_logf(&a->log, LOG_ERR, "http-root %s: %s", root, strerror(err));
			return -err;
		}
		hc.cache = a->http_cache;
	}
	a->http = bs_http_new(&hc);
	if (!a->http) {
		err = errno ? errno : EIO;
		bs_logf(&a->log, LOG_ERR, "http-port %u: %s%s", cfg->http_port, strerror(err),
			err == EADDRINUSE ? " (is a web server running on this port?)" : "");
		return -err;
	}
	bs_logf(&a->log, LOG_INFO, "HTTP on port %u, root %s", cfg->http_port, root);
	if (cfg->metrics_port)
		bs_logf(&a->log, LOG_INFO, "metrics on port %u", cfg->metrics_port);
	return 0;
}

static int open_all(struct app *a)
{
	const struct bs_config *cfg = a->cfg;
	struct bs_io_config ic = {
	    .ifaces = cfg->ifaces,
	    .nifaces = cfg->nifaces,
	    .listen = cfg->listen,
	    .nlisten = cfg->nlisten,
	    .tftp = cfg->tftp_enabled,
	    .tftp_port_lo = cfg->tftp.port_lo,
	    .tftp_port_hi = cfg->tftp.port_hi,
	    .dpdk_args = cfg->dpdk_args,
	    .log = &a->log,
	};
	int err;

	a->main_thread = pthread_self();
	pthread_mutex_init(&a->dq_lock, NULL);
	a->dq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->dq_fd < 0) {
		bs_logf(&a->log, LOG_ERR, "eventfd: %s", strerror(errno));
		return -errno;
	}
	err = add_event_ring(a);
	if (err < 0)
		return err;
	if (cfg->tftp_enabled) {
		a->cache = bs_cache_new(cfg->tftp_root, &a->log);
		if (!a->cache) {
			err = -errno;
			bs_logf(&a->log, LOG_ERR, "tftp-root %s: %s", cfg->tftp_root,
				strerror(errno));
			return err ? err : -EIO;
		}
	}
	if (a->ring.shm) { /* open_journal() ran: DHCP is on */
		err = open_dhcp(a);
		if (err < 0)
			return err;
	} else {
		bs_logf(&a->log, LOG_NOTICE, "no dhcp-range: DHCP and PXE are off");
	}
	err = open_hosts(a);
	if (err < 0)
		return err;
	if (!a->dhcp && !cfg->tftp_enabled && !cfg->http_port) {
		bs_logf(&a->log, LOG_ERR, "nothing to serve: no dhcp-range and no enable-tftp");
		return -EINVAL;
	}
	ic.dhcp = a->dhcp != NULL;
	if (a->dhcp)
		dhcp_server_set_events(a->dhcp, a->events[0]);
	if (a->dhcp && cfg->http_port) {
		a->tagmem = bs_tagmem_new(BS_TAGMEM_SIZE);
		if (!a->tagmem) {
			bs_logf(&a->log, LOG_ERR, "DHCP tags for HTTP: out of memory");
			return -ENOMEM;
		}
		dhcp_server_set_tagmem(a->dhcp, a->tagmem);
	}
	err = open_io(a, &ic);
	if (err < 0)
		return err;
	if (cfg->tftp_enabled) {
		err = open_tftp(a);
		if (err < 0)
			return err;
		for (unsigned k = 0; k < a->ntftp; k++) {
			if (k >= a->nevents && (err = add_event_ring(a)) < 0)
				return err;
			tftp_server_set_events(a->tftp[k], a->events[k]);
		}
	}
	if (cfg->http_port) {
		err = open_http(a);
		if (err < 0)
			return err;
	} else if (cfg->metrics_port) {
		bs_logf(&a->log, LOG_WARNING, "metrics-address needs http-port: no /metrics");
	}
	return 0;
}

/*
 * After daemonizing: the signalfd's wake-ups are tied to the process that
 * created it, so a signalfd inherited across fork() never makes epoll
 * report the daemon's signals.
 */
static int open_worker(struct app *a)
{
	struct bs_worker_config wc = {
	    .io = a->io,
	    .dhcp = a->dhcp,
	    .tftp = a->ntftp ? a->tftp : NULL,
	    .ntftp = a->ntftp,
	    .cache = a->cache,
	    .http = a->http,
	    .log = &a->log,
	    .sync_leases = a->dhcp ? sync_leases : NULL,
	    .sync_arg = a,
	    .reload = app_reload,
	    .reload_arg = a,
	};
	int err;

	a->worker = bs_worker_new(&wc);
	if (!a->worker) {
		err = -errno;
		bs_logf(&a->log, LOG_ERR, "worker: %s", strerror(errno));
		return err ? err : -ENOMEM;
	}
	if (a->ctl) {
		struct bs_worker_fd f = {bs_ctl_fd(a->ctl), bs_ctl_ready, bs_ctl_tick, a->ctl};

		err = bs_worker_add_fd(a->worker, &f);
		if (err < 0) {
			bs_logf(&a->log, LOG_ERR, "worker: control socket: %s", strerror(-err));
			return err;
		}
	}
	if (a->ntftp > 1) {
		struct bs_worker_fd f = {a->dq_fd, hosts_delivered_ready, NULL, a};

		err = bs_worker_add_fd(a->worker, &f);
		if (err < 0) {
			bs_logf(&a->log, LOG_ERR, "worker: delivered files: %s", strerror(-err));
			return err;
		}
	}
	cache_apply(a, a->cfg); /* queued: the warm thread starts after the drop */
	return 0;
}

/* ---- control socket (control/ctl.c) ---- */

static int ctl_sync(void *arg, time_t now)
{
	struct app *a = arg;

	return a->dhcp ? sync_leases(a, now) : 0;
}

static void ctl_reload(void *arg, struct bs_config *cfg)
{
	struct app *a = arg;

	a->reload_cfg = cfg; /* app_reload applies it instead of reading the file again */
	if (a->worker)
		bs_worker_reload(a->worker);
	bs_config_free(a->reload_cfg); /* not taken (no worker) */
	a->reload_cfg = NULL;
}

/*
 * Before daemonizing, so that a control-socket= that cannot be created
 * stops start-up on the terminal. The default path (and no group) is best
 * effort: a server that cannot have it (another one runs, no write access
 * to /run) still serves, and says so.
 */
static int open_ctl(struct app *a)
{
	const char *path =
	    a->cfg->control_socket[0] ? a->cfg->control_socket : BS_CONTROL_SOCKET_DEFAULT;
	bool required;
	int err;

	a->ctl_env = (struct bs_ctl_env){
	    .version = "0.1.0",
	    .backend = a->io->ops->name,
	    .conf_path = a->conf_path,
	    .started = time(NULL),
	    .pid = (int)a->sup.self,
	    .leases = a->leases,
	    .hosts = a->hosts,
	    .live = &a->live,
	    .arg = a,
	    .sync_leases = ctl_sync,
	    .reload = ctl_reload,
	    .stats = app_stats,
	    .ev_rings = a->events,
	    .nev_rings = a->nevents,
	};
	if (a->cache || a->http_cache) {
		a->ctl_env.cache_warm = ctl_cache_warm;
		a->ctl_env.cache_unpin = ctl_cache_unpin;
		a->ctl_env.cache_status = ctl_cache_status;
	}
	/* Naming the socket or its group makes it required. */
	required = a->cfg->control_socket[0] || a->cfg->control_group[0];
	err = bs_ctl_open(path, a->cfg->control_group, required, &a->ctl_env, &a->log, &a->ctl);
	if (err < 0 && !required) {
		bs_logf(&a->log, LOG_WARNING,
			"running without a control socket (control-socket=PATH names another)");
		return 0;
	}
	return err;
}

static void close_all(struct app *a)
{
	bs_worker_free(a->worker);
	bs_ctl_close(a->ctl);  /* removes the socket file */
	bs_http_free(a->http); /* before the caches its connections hold */
	if (a->http_cache)
		bs_cache_free(a->http_cache);
	for (unsigned k = 0; k < a->ntftp; k++)
		if (a->tftp[k])
			tftp_server_free(a->tftp[k]);
	if (a->dhcp)
		dhcp_server_free(a->dhcp);
	bs_tagmem_free(a->tagmem);
	bs_hosts_close(a->hosts); /* after DHCP, which borrows its snapshot */
	bs_io_close(a->io);
	bs_journal_fini(&a->journal);
	if (a->ring.shm)
		bs_intents_free(&a->ring);
	if (a->lf)
		leasefile_close(a->lf);
	if (a->leases)
		lease_table_free(a->leases);
	if (a->dq_fd > 0)
		close(a->dq_fd);
	if (a->cache)
		bs_cache_free(a->cache);
	for (unsigned k = 0; k < a->nevents; k++)
		free(a->events[k]); /* after everything that emits into them */
	bs_hoststore_fini(&a->hstore);
	if (a->devnull_fd > 0)
		close(a->devnull_fd);
	if (a->pid_written)
		unlink(a->cfg->pid_file);
	if (a->cwd_fd > 0)
		close(a->cwd_fd);
	if (a->sup.sigfd > 0)
		close(a->sup.sigfd);
	if (a->live && a->live != a->cfg)
		bs_config_free(a->live);
	if (a->cfg)
		bs_config_free(a->cfg);
	if (a->sink.file)
		fclose(a->sink.file);
	if (a->sink.to_syslog)
		closelog();
}

static int write_pid_file(struct app *a)
{
	char buf[32];
	int fd, n;

	if (!a->cfg->pid_file[0])
		return 0;
	fd = open(a->cfg->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int err = errno;

		bs_logf(&a->log, LOG_ERR, "pid-file %s: %s", a->cfg->pid_file, strerror(err));
		return -err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		bs_logf(&a->log, LOG_ERR, "pid-file %s: write failed", a->cfg->pid_file);
		close(fd);
		unlink(a->cfg->pid_file);
		return -EIO;
	}
	close(fd);
	a->pid_written = true;
	return 0;
}

/*
 * Double fork + setsid. The first parent waits on a pipe until the daemon
 * reports (daemon_ready) that its worker and pid file are in place, so the
 * exit status of `bootstorm` tells the init system whether the daemon
 * really started. Returns the pipe's write end in the daemon.
 */
static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	char status = EXIT_RUNTIME;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &status, 1) != 1)
			status = EXIT_RUNTIME;
		_exit(status);
	}
	close(pfd[0]);
	if (setsid() < 0)
		_exit(EXIT_RUNTIME);
	pid = fork();
	if (pid < 0)
		_exit(EXIT_RUNTIME);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(EXIT_RUNTIME);
	return pfd[1];
}

/* Stdio to /dev/null; the log goes on to syslog or the log file. */
static void detach_stdio(struct app *a)
{
	/* The dataplane opened it before dropping its right to open it. */
	int devnull = a->devnull_fd > 0 ? dup(a->devnull_fd) : open("/dev/null", O_RDWR);

	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	a->sink.to_stderr = false;
}

/* Tell the waiting parent how start-up ended; stdio goes to /dev/null. */
static void daemon_ready(struct app *a, int fd, char status)
{
	detach_stdio(a);
	(void)!write(fd, &status, 1);
	close(fd);
}

static int setup_logging(struct app *a)
{
	const struct bs_config *cfg = a->cfg;

	a->sink.to_stderr = true;
	a->log.fn = app_log;
	a->log.arg = &a->sink;
	a->log.max_prio = cfg->policy && cfg->policy->log_dhcp ? LOG_DEBUG : LOG_INFO;
	if (cfg->no_daemon)
		return 0;
	if (strcmp(cfg->log_file, "-") == 0)
		return 0; /* dnsmasq's log-facility=-: stderr */
	if (cfg->log_file[0]) {
		a->sink.file = fopen(cfg->log_file, "ae");
		if (!a->sink.file) {
			int err = errno;

			bs_logf(&a->log, LOG_ERR, "log-facility %s: %s", cfg->log_file,
				strerror(err));
			return -err;
		}
	} else {
		openlog("bootstorm", LOG_PID | LOG_NDELAY, cfg->log_facility);
		a->sink.to_syslog = true;
	}
	return 0;
}

/* ---- the dataplane's privilege drop (util/sandbox.h) ---- */

/*
 * Tests only (tests/integration/privdrop.sh): BS_TEST_SANDBOX=landlock-only
 * or seccomp-only applies one of the two; BS_TEST_WRITE_PROBE=DIR makes
 * the dataplane, right after the drop, try what it must no longer be able
 * to do and log each outcome: create DIR/probe-new and tftp-root's
 * probe-new, write DIR/existing, rename and unlink it, mkdir DIR/probe-dir.
 */
static void probe_result(struct app *a, const char *what, const char *path, int rc)
{
	bs_logf(&a->log, LOG_NOTICE, "write probe: %s %s: %s", what, path,
		rc < 0 ? strerrorname_np(errno) : "ALLOWED");
}

static void write_probe(struct app *a, const char *dir)
{
	char p[3][PATH_MAX];
	int fd;

	snprintf(p[0], sizeof(p[0]), "%s/probe-new", dir);
	snprintf(p[1], sizeof(p[1]), "%s/existing", dir);
	snprintf(p[2], sizeof(p[2]), "%s/probe-new", a->cfg->tftp_root);
	fd = open(p[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	probe_result(a, "create", p[0], fd);
	fd >= 0 ? close(fd) : 0;
	fd = open(p[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	probe_result(a, "create", p[2], fd);
	fd >= 0 ? close(fd) : 0;
	fd = open(p[1], O_WRONLY | O_APPEND | O_CLOEXEC);
	probe_result(a, "write", p[1], fd);
	fd >= 0 ? close(fd) : 0;
	probe_result(a, "rename", p[1], rename(p[1], p[0]));
	probe_result(a, "unlink", p[1], unlink(p[1]));
	snprintf(p[0], sizeof(p[0]), "%s/probe-dir", dir);
	probe_result(a, "mkdir", p[0], mkdir(p[0], 0755));
}

/* The directory a file is in ("." for a bare name). */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *sl = strrchr(path, '/');

	if (!sl)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", sl == path ? 1 : (int)(sl - path), path);
}

/* user= and group= as ids (dnsmasq: user= alone takes its primary group);
   looked up now, while /etc/passwd and /etc/group can still be read. */
static int run_ids(struct app *a, struct bs_sandbox *sb)
{
	const char *u = a->cfg->run_user, *g = a->cfg->run_group;

	if (!u[0] && !g[0])
		return 0;
	sb->set_ids = true;
	sb->uid = getuid();
	sb->gid = getgid();
	if (u[0]) {
		const struct passwd *pw = getpwnam(u);

		if (!pw) {
			bs_logf(&a->log, LOG_ERR, "user=%s: no such user", u);
			return -ENOENT;
		}
		sb->uid = pw->pw_uid;
		sb->gid = pw->pw_gid;
	}
	if (g[0]) {
		const struct group *gr = getgrnam(g);

		if (!gr) {
			bs_logf(&a->log, LOG_ERR, "group=%s: no such group", g);
			return -ENOENT;
		}
		sb->gid = gr->gr_gid;
	}
	return 0;
}

/*
 * After setup, before serving: what the dataplane keeps is read access
 * beneath tftp-root, http-root and the directories of the config files
 * read at start (a reload reads them again), its open fds, and CAP_BPF with AF_XDP (the
 * classifier's maps are read and updated at run time, and
 * kernel.unprivileged_bpf_disabled refuses bpf() without it). Everything
 * it writes to the file system goes through control.
 */
static int drop_privileges(struct app *a)
{
	struct bs_sandbox sb = {0};
	char confdir[1 + BS_MAX_CONF_FILES][PATH_MAX], summary[300];
	const char *probe = getenv("BS_TEST_WRITE_PROBE");
	const char *test = getenv("BS_TEST_SANDBOX");
	int err;

	a->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	tzset(); /* the log's timestamps: /etc/localtime is read now */
	/* a reload reads the config file and its conf-file= includes again */
	if (a->conf_path[0]) {
		dir_of(a->conf_path, confdir[0], sizeof(confdir[0]));
		bs_sandbox_allow(&sb, confdir[0], BS_SB_READ);
	}
	for (unsigned i = 0; i < a->cfg->nconf_files; i++) {
		dir_of(a->cfg->conf_files[i], confdir[1 + i], sizeof(confdir[0]));
		bs_sandbox_allow(&sb, confdir[1 + i], BS_SB_READ);
	}
	if (a->cfg->tftp_enabled)
		bs_sandbox_allow(&sb, a->cfg->tftp_root, BS_SB_READ);
	if (a->cfg->http_port)
		bs_sandbox_allow(&sb, a->cfg->http_root[0] ? a->cfg->http_root : a->cfg->tftp_root,
				 BS_SB_READ);
	if (strcmp(a->io->ops->name, "afxdp") == 0)
		sb.keep_caps |= 1ull << CAP_BPF;
	err = run_ids(a, &sb);
	if (err < 0)
		return err;
	/* tests: each mechanism alone (privdrop.sh) */
	sb.no_landlock = test && strcmp(test, "seccomp-only") == 0;
	sb.no_seccomp = test && strcmp(test, "landlock-only") == 0;
	err = bs_sandbox_apply(&sb, summary, sizeof(summary));
	if (err < 0) {
		bs_logf(&a->log, LOG_ERR, "dataplane: cannot drop privileges: %s", summary);
		return err;
	}
	bs_logf(&a->log, LOG_INFO, "dataplane: privileges dropped: %s", summary);
	if (probe)
		write_probe(a, probe);
	return 0;
}

/* After the drop, so that the sandbox covers the thread too. */
static int start_warm(struct app *a)
{
	struct bs_cache *cs[2];
	int n = app_caches(a, cs), err = 0;

	for (int i = 0; i < n && err == 0; i++)
		err = bs_cache_warm_start(cs[i]);

	if (err < 0)
		bs_logf(&a->log, LOG_ERR, "cache warm thread: %s", strerror(-err));
	return err;
}

/*
 * The dataplane process (forked by control, bs_sup_config.dataplane):
 * everything that touches packets. It does not write the lease file:
 * its lease changes go to control through the intent ring.
 */
static int dataplane_main(void *arg, int ready_fd)
{
	struct app *a = arg;
	bool daemon = !a->cfg->no_daemon && !a->cfg->keep_foreground;
	int r;

	bs_journal_fini(&a->journal);
	if (a->lf)
		leasefile_close(a->lf); /* closes this process's copy of the fd */
	a->lf = NULL;
	if (a->cwd_fd >= 0 && fchdir(a->cwd_fd) < 0)
		bs_logf(&a->log, LOG_WARNING, "dataplane: fchdir: %s", strerror(errno));
	close(a->hstore.fd[0]); /* control's end */
	a->hstore.fd[0] = -1;
	if (open_all(a) < 0 || open_ctl(a) < 0 || open_worker(a) < 0 || drop_privileges(a) < 0 ||
	    start_warm(a) < 0) {
		close_all(a);
		return EXIT_RUNTIME;
	}
	if (daemon && chdir("/") < 0)
		bs_logf(&a->log, LOG_WARNING, "dataplane: chdir: %s", strerror(errno));
	bs_logf(&a->log, LOG_INFO, "started, version 0.1.0, backend %s%s%s%s", a->io->ops->name,
		a->dhcp ? ", DHCP" : "", a->ntftp ? ", TFTP" : "",
		bs_io_workers(a->io) > 1 ? ", one worker per rx queue" : "");
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "", 1);
		close(ready_fd);
	}
	if (daemon)
		detach_stdio(a);
	else if (a->cfg->keep_foreground && strcmp(a->cfg->log_file, "-") != 0)
		a->sink.to_stderr = false;
	r = bs_worker_run(a->worker);
	bs_logf(&a->log, LOG_INFO, "dataplane exiting");
	close_all(a);
	return r < 0 ? EXIT_RUNTIME : 0;
}

/*
 * The control process: daemonize, fork the dataplane and wait until it
 * serves (its start-up errors reach the terminal and the exit status),
 * write the pid file (control's pid), then supervise.
 */
static int run_control(struct app *a)
{
	struct bs_sup_config sc = {
	    .dataplane = dataplane_main,
	    .pump = journal_pump,
	    .pump_fd = {a->lf ? a->ring.to_ctl : -1, a->hstore.fd[0]},
	    .arg = a,
	    .log = &a->log,
	};
	int fd = -1, r;

	if (!a->cfg->no_daemon && !a->cfg->keep_foreground) {
		fd = daemonize();
		if (fd < 0) {
			bs_logf(&a->log, LOG_ERR, "daemonize: %s", strerror(-fd));
			close_all(a);
			return EXIT_RUNTIME;
		}
	}
	r = bs_sup_start(&a->sup, &sc);
	if (r < 0)
		bs_logf(&a->log, LOG_ERR, "dataplane: %s", strerror(-r));
	if (r == 0 && write_pid_file(a) < 0) {
		kill(a->sup.pid, SIGKILL);
		r = EXIT_RUNTIME;
	}
	r = r < 0 ? EXIT_RUNTIME : r;
	if (fd >= 0)
		daemon_ready(a, fd, (char)r);
	if (r) {
		close_all(a);
		return r;
	}
	if (a->cfg->keep_foreground && strcmp(a->cfg->log_file, "-") != 0)
		a->sink.to_stderr = false;
	bs_logf(&a->log, LOG_INFO, "control process %d, dataplane %d", (int)getpid(),
		(int)a->sup.pid);
	r = bs_sup_run(&a->sup);
	bs_logf(&a->log, LOG_INFO, "exiting");
	/* The dataplane bound it but may not remove files any more. */
	bs_ctl_remove_stale(a->cfg->control_socket[0] ? a->cfg->control_socket
						      : BS_CONTROL_SOCKET_DEFAULT);
	close_all(a);
	return r < 0 ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	static struct app app;
	struct app *a = &app;
	struct bs_diags diags = {0};
	int r;

	r = bs_config_from_argv(argc, argv, stdout, &a->cfg, &diags);
	if (r == 1) {
		bs_diags_free(&diags);
		return 0;
	}
	if (r < 0 || !a->cfg) {
		bs_diags_print(&diags, stderr);
		bs_diags_free(&diags);
		return EXIT_CONFIG;
	}
	bs_config_check_environment(a->cfg, &diags);
	/*
	 * What the machine looks like (a boot file not there yet, an interface
	 * still coming up) fails --test, but must not keep the daemon from
	 * starting: operators fix such things while it runs. What it cannot
	 * run without (tftp-root, sockets) fails later in open_all() with its
	 * own message.
	 */
	if (!a->cfg->test_only) {
		for (size_t i = 0; i < diags.n; i++) {
			if (diags.v[i].level == BS_DIAG_ERROR) {
				diags.v[i].level = BS_DIAG_WARNING;
				diags.errors--;
				diags.warnings++;
			}
		}
	}
	bs_diags_print(&diags, stderr);
	if (a->cfg->test_only || diags.errors) {
		bool ok = diags.errors == 0;

		if (ok && a->cfg->test_only)
			fprintf(stderr, "bootstorm: syntax check OK.\n");
		else if (!ok && !a->cfg->test_only)
			fprintf(stderr, "bootstorm: configuration errors: not starting\n");
		bs_diags_free(&diags);
		bs_config_free(a->cfg);
		return ok ? 0 : EXIT_CONFIG;
	}
	bs_diags_free(&diags);
	a->live = a->cfg;
	/* Reload reads the file again after chdir("/"): remember it absolutely. */
	if (a->cfg->conf_file[0] && !realpath(a->cfg->conf_file, a->conf_path))
		snprintf(a->conf_path, sizeof(a->conf_path), "%s", a->cfg->conf_file);

	a->hstore.fd[0] = a->hstore.fd[1] = -1;
	if (setup_logging(a) < 0 ||
	    (a->cfg->policy->nranges > 0 && open_journal(a) < 0) || open_hoststore(a) < 0) {
		close_all(a);
		return EXIT_RUNTIME;
	}
	a->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return run_control(a);
}
