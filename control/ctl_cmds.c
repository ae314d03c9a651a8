/* SPDX-License-Identifier: MIT */
/*
 * The control socket's commands: a table, one handler each, every handler
 * a function of the request, the env (struct bs_ctl_env) and the clock.
 * No I/O here but what a command is about (the lease journal sync, reading
 * a config file); the server that carries the lines is ctl.c.
 */
#include "ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "hosts.h"
#include "proto/lease.h"
#include "util/events.h"

#define CTL_MAX_MEMBERS 32

/* ---- commands ---------------------------------------------------------- */

struct ctl_req {
	const struct bs_ctl_env *env;
	const struct bs_ctl_peer *peer;
	const struct bs_json *root;
	const struct bs_log *log;
	time_t now;
};

static void ctl_error(struct bs_jw *w, const char *msg)
{
	bs_jw_kbool(w, "ok", false);
	bs_jw_kstr(w, "error", msg);
}

static void mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static void ip_str(uint32_t ip, char buf[16])
{
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, buf, 16);
}

/* status: the counters it shows come from the stats walk */
struct pick {
	uint64_t tftp, http;
};

static void pick_stat(void *arg, const char *name, uint64_t v)
{
	struct pick *p = arg;

	if (strcmp(name, "tftp_active_transfers") == 0)
		p->tftp = v;
	else if (strcmp(name, "http_conns_active") == 0)
		p->http = v;
}

static void c_status(const struct ctl_req *r, struct bs_jw *w)
{
	const struct bs_ctl_env *e = r->env;
	struct pick p = {0};

	if (e->stats)
		e->stats(e->arg, pick_stat, &p);
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "version", e->version ? e->version : "");
	bs_jw_ki64(w, "pid", (int64_t)(r->env->pid ? r->env->pid : getpid()));
	bs_jw_ki64(w, "dataplane_pid", (int64_t)getpid());
	bs_jw_ki64(w, "started", (int64_t)e->started);
	bs_jw_ki64(w, "uptime", (int64_t)(r->now - e->started));
	bs_jw_kstr(w, "backend", e->backend ? e->backend : "");
	bs_jw_kstr(w, "config", e->conf_path ? e->conf_path : "");
	bs_jw_kbool(w, "dhcp", e->leases != NULL);
	bs_jw_ku64(w, "leases", e->leases ? lease_count(e->leases) : 0);
	bs_jw_ku64(w, "leases_max", e->leases ? lease_max(e->leases) : 0);
	bs_jw_ku64(w, "tftp_transfers", p.tftp);
	bs_jw_ku64(w, "http_connections", p.http);
}

static void put_stat(void *arg, const char *name, uint64_t v)
{
	bs_jw_ku64(arg, name, v);
}

static void c_stats(const struct ctl_req *r, struct bs_jw *w)
{
	bs_jw_kbool(w, "ok", true);
	bs_jw_key(w, "stats");
	bs_jw_obj(w);
	if (r->env->stats)
		r->env->stats(r->env->arg, put_stat, w);
	bs_jw_obj_end(w);
}

struct lease_walk {
	struct bs_jw *w;
	time_t now;
	bool by_mac, by_ip;
	uint8_t mac[6];
	uint32_t ip;
	size_t n;
};

static void put_lease(void *arg, const struct lease *l)
{
	struct lease_walk *lw = arg;
	char mac[18], ip[16];

	if (!lease_live(l, lw->now) || (lw->by_ip && l->ip != lw->ip) ||
	    (lw->by_mac && memcmp(l->mac, lw->mac, 6) != 0))
		return;
	mac_str(l->mac, mac);
	ip_str(l->ip, ip);
	bs_jw_obj(lw->w);
	bs_jw_kstr(lw->w, "ip", ip);
	bs_jw_kstr(lw->w, "mac", mac);
	bs_jw_kstr(lw->w, "state", lease_state_name(l->state));
	bs_jw_ki64(lw->w, "expires", (int64_t)l->expires);
	bs_jw_key(lw->w, "hostname");
	bs_jw_strn(lw->w, l->hostname, strnlen(l->hostname, sizeof(l->hostname)));
	bs_jw_obj_end(lw->w);
	lw->n++;
}

static void c_leases(const struct ctl_req *r, struct bs_jw *w)
{
	struct lease_walk lw = {.w = w, .now = r->now};
	const char *mac = bs_json_get_str(r->root, "mac");
	const char *ip = bs_json_get_str(r->root, "ip");

	if ((bs_json_get(r->root, "mac") && (!mac || bs_parse_mac(mac, lw.mac) < 0)) ||
	    (bs_json_get(r->root, "ip") && parse_ip(ip, &lw.ip) < 0)) {
		ctl_error(w, mac && !ip ? "mac: expected aa:bb:cc:dd:ee:ff"
					: "mac/ip: expected aa:bb:cc:dd:ee:ff / a.b.c.d");
		return;
	}
	lw.by_mac = mac != NULL;
	lw.by_ip = ip != NULL;
	if (!r->env->leases) {
		ctl_error(w, "DHCP is off (no dhcp-range): no leases");
		return;
	}
	bs_jw_kbool(w, "ok", true);
	bs_jw_ki64(w, "now", (int64_t)r->now);
	bs_jw_key(w, "leases");
	bs_jw_arr(w);
	lease_foreach(r->env->leases, put_lease, &lw);
	bs_jw_arr_end(w);
}

static void c_lease_release(const struct ctl_req *r, struct bs_jw *w)
{
	const struct bs_ctl_env *e = r->env;
	const char *s = bs_json_get_str(r->root, "ip");
	const struct lease *l;
	uint32_t ip;
	int err;

	if (parse_ip(s, &ip) < 0) {
		ctl_error(w, "ip: expected an IPv4 address (a.b.c.d)");
		return;
	}
	if (!e->leases) {
		ctl_error(w, "DHCP is off (no dhcp-range): no leases");
		return;
	}
	l = lease_find_ip(e->leases, ip);
	if (!lease_live(l, r->now)) {
		ctl_error(w, "no lease for this address");
		return;
	}
	lease_release(e->leases, ip);
	bs_logf(r->log, LOG_NOTICE, "control: lease %s released (uid %u, pid %d)", s,
		(unsigned)r->peer->uid, (int)r->peer->pid);
	if (e->sync_leases && (err = e->sync_leases(e->arg, r->now)) < 0) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "released in memory, but the lease journal sync failed: %s "
			 "(retried with the next DHCP batch)",
			 strerror(-err));
		ctl_error(w, msg);
		return;
	}
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "released", s);
}

static void put_diags(struct bs_jw *w, const struct bs_diags *d)
{
	static const char *const lv[] = {"note", "warning", "error"};

	bs_jw_ku64(w, "errors", d->errors);
	bs_jw_ku64(w, "warnings", d->warnings);
	bs_jw_key(w, "diagnostics");
	bs_jw_arr(w);
	for (size_t i = 0; i < d->n; i++) {
		const struct bs_diag *g = &d->v[i];

		bs_jw_obj(w);
		bs_jw_kstr(w, "level", g->level >= 0 && g->level <= 2 ? lv[g->level] : "error");
		bs_jw_kstr(w, "file", g->file);
		bs_jw_ki64(w, "line", g->line);
		bs_jw_kstr(w, "message", g->msg);
		bs_jw_obj_end(w);
	}
	bs_jw_arr_end(w);
}

static void c_reload(const struct ctl_req *r, struct bs_jw *w)
{
	const struct bs_ctl_env *e = r->env;
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;

	if (!e->reload || !e->conf_path || !e->conf_path[0]) {
		ctl_error(w, "no configuration file: nothing to reload");
		return;
	}
	/* Parsed here so that the answer can say why nothing changed; the
	   hook applies this very config (it does not read the file again). */
	if (bs_config_from_file(e->conf_path, false, &cfg, &d) < 0 || !cfg) {
		bs_config_free(cfg);
		ctl_error(w, "the configuration has errors: the running one is kept");
		put_diags(w, &d);
		bs_diags_free(&d);
		return;
	}
	bs_logf(r->log, LOG_INFO, "control: reload (uid %u, pid %d)", (unsigned)r->peer->uid,
		(int)r->peer->pid);
	e->reload(e->arg, cfg);
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "config", e->conf_path);
	put_diags(w, &d);
	bs_diags_free(&d);
}

static void c_config_check(const struct ctl_req *r, struct bs_jw *w)
{
	const char *path = bs_json_get_str(r->root, "file");
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;

	if (!path || path[0] != '/') {
		ctl_error(w, "file: expected an absolute path");
		return;
	}
	/* Diagnostics quote the file's lines: reading any file as the server
	   is for those who could read it anyway. */
	if (r->peer->uid != 0 && r->peer->uid != geteuid()) {
		ctl_error(w, "config-check is for root (its diagnostics quote the file)");
		return;
	}
	if (bs_config_from_file(path, true, &cfg, &d) == 0 && cfg)
		bs_config_check_environment(cfg, &d);
	bs_config_free(cfg);
	bs_jw_kbool(w, "ok", true);
	bs_jw_kbool(w, "valid", d.errors == 0);
	put_diags(w, &d);
	bs_diags_free(&d);
}

/* ---- hosts and boot actions (control/hosts.h) ---- */

static void put_host(void *arg, const struct bs_host_view *v)
{
	struct bs_jw *w = arg;
	char mac[18], ip[16], where[300], tags[BS_HOST_TAGS_MAX], *save = NULL;
	static const char *const target[] = {"file", "script", "kernel", "initrd", "cmdline"};
	const char *tv[] = {v->act->file, v->act->script, v->act->kernel, v->act->initrd,
			    v->act->cmdline};

	mac_str(v->mac, mac);
	bs_jw_obj(w);
	bs_jw_kstr(w, "mac", mac);
	bs_jw_key(w, "ip");
	if (v->ip) {
		ip_str(v->ip, ip);
		bs_jw_str(w, ip);
	} else {
		bs_jw_null(w);
	}
	bs_jw_kstr(w, "hostname", v->hostname);
	bs_jw_key(w, "tags");
	bs_jw_arr(w);
	snprintf(tags, sizeof(tags), "%s", v->tags);
	for (char *t = strtok_r(tags, ",", &save); t; t = strtok_r(NULL, ",", &save))
		bs_jw_str(w, t);
	bs_jw_arr_end(w);
	bs_jw_kbool(w, "ignore", v->ignore);
	bs_jw_ku64(w, "lease_secs", v->lease_secs);
	if (v->conf)
		snprintf(where, sizeof(where), "%s:%d",
			 v->conf->origin.file ? v->conf->origin.file : "", v->conf->origin.line);
	else
		snprintf(where, sizeof(where), "runtime");
	bs_jw_kstr(w, "origin", where);
	bs_jw_kbool(w, "runtime", v->runtime);
	bs_jw_kstr(w, "action", hostact_kind_name(v->act->kind));
	bs_jw_kbool(w, "once", v->act->once);
	for (size_t i = 0; i < sizeof(target) / sizeof(target[0]); i++)
		if (tv[i][0])
			bs_jw_kstr(w, target[i], tv[i]);
	bs_jw_obj_end(w);
}

static void c_hosts(const struct ctl_req *r, struct bs_jw *w)
{
	const struct bs_hosts *h = r->env->hosts;

	if (!h) {
		ctl_error(w, "no host registry");
		return;
	}
	bs_jw_kbool(w, "ok", true);
	bs_jw_ku64(w, "generation", bs_hosts_snapshot(h)->generation);
	bs_jw_kstr(w, "state_file", bs_hosts_path(h));
	bs_jw_key(w, "hosts");
	bs_jw_arr(w);
	bs_hosts_foreach(h, put_host, w);
	bs_jw_arr_end(w);
}

/* The registry and the request's MAC, or false with the error written. */
static bool host_req(const struct ctl_req *r, struct bs_jw *w, uint8_t mac[6])
{
	if (!r->env->hosts) {
		ctl_error(w, "no host registry");
		return false;
	}
	if (bs_parse_mac(bs_json_get_str(r->root, "mac"), mac) < 0) {
		ctl_error(w, "mac: expected aa:bb:cc:dd:ee:ff");
		return false;
	}
	return true;
}

/* The answer to a registry change: ok + the MAC, logged with the caller. */
static void host_result(const struct ctl_req *r, struct bs_jw *w, int rc, const char *err)
{
	const char *mac = bs_json_get_str(r->root, "mac");
	const char *cmd = bs_json_get_str(r->root, "cmd");

	if (rc < 0) {
		ctl_error(w, err);
		return;
	}
	bs_logf(r->log, LOG_INFO, "control: %s %s (uid %u, pid %d)", cmd, mac,
		(unsigned)r->peer->uid, (int)r->peer->pid);
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "mac", mac);
}

static int host_fields(const struct ctl_req *r, struct bs_host_fields *f, char *err, size_t el)
{
	const char *ip = bs_json_get_str(r->root, "ip");
	const char *name = bs_json_get_str(r->root, "name");
	const char *tags = bs_json_get_str(r->root, "tags");

	memset(f, 0, sizeof(*f));
	if (ip) {
		f->has_ip = true;
		if (ip[0] && parse_ip(ip, &f->ip) < 0)
			return snprintf(err, el, "ip: expected an IPv4 address (\"\": none)"),
			       -EINVAL;
	}
	if (name) {
		f->has_name = true;
		if (bs_host_check_name(name, err, el) < 0)
			return -EINVAL;
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
	if (tags) {
		f->has_tags = true;
		if (bs_host_check_tags(tags, err, el) < 0)
			return -EINVAL;
		snprintf(f->tags, sizeof(f->tags), "%s", tags);
	}
	return 0;
}

static void host_add_set(const struct ctl_req *r, struct bs_jw *w, bool add)
{
	struct bs_host_fields f;
	uint8_t mac[6];
	char err[300];
	int rc;

	if (!host_req(r, w, mac))
		return;
	rc = host_fields(r, &f, err, sizeof(err));
	if (!rc)
		rc = (add ? bs_hosts_add : bs_hosts_set)(r->env->hosts, mac, &f, err, sizeof(err));
	host_result(r, w, rc, err);
}

static void c_host_add(const struct ctl_req *r, struct bs_jw *w)
{
	host_add_set(r, w, true);
}

static void c_host_set(const struct ctl_req *r, struct bs_jw *w)
{
	host_add_set(r, w, false);
}

static void c_host_del(const struct ctl_req *r, struct bs_jw *w)
{
	uint8_t mac[6];
	char err[300];

	if (host_req(r, w, mac))
		host_result(r, w, bs_hosts_del(r->env->hosts, mac, err, sizeof(err)), err);
}

static void c_host_action(const struct ctl_req *r, struct bs_jw *w)
{
	static const char *const keys[] = {"action", "once",   "file",	 "script",
					   "kernel", "initrd", "cmdline"};
	struct hostact a = {0};
	uint8_t mac[6];
	char err[300];
	int rc = 0;

	if (!host_req(r, w, mac))
		return;
	for (size_t i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = bs_json_get_str(r->root, keys[i]);

		if (v)
			rc = hostact_set(&a, keys[i], v, err, sizeof(err));
	}
	if (!rc)
		rc = bs_hosts_action(r->env->hosts, mac, &a, err, sizeof(err));
	host_result(r, w, rc, err);
}

static void c_host_done(const struct ctl_req *r, struct bs_jw *w)
{
	uint8_t mac[6];
	int rc;

	if (!host_req(r, w, mac))
		return;
	rc = bs_hosts_done(r->env->hosts, mac);
	if (rc < 0) {
		ctl_error(w, rc == -ENOENT ? "no such host" : strerror(-rc));
		return;
	}
	host_result(r, w, 0, NULL);
	bs_jw_kbool(w, "changed", rc > 0);
}

/* ---- image cache (docs/http.md "Image cache") ---- */

static void c_cache_warm(const struct ctl_req *r, struct bs_jw *w)
{
	const struct bs_ctl_env *e = r->env;
	const struct bs_json *paths = bs_json_get(r->root, "paths");
	size_t n = 0;

	if (!paths || paths->type != BS_JSON_ARRAY || !paths->child) {
		ctl_error(w, "paths: expected a non-empty array of file names");
		return;
	}
	for (const struct bs_json *p = paths->child; p; p = p->next)
		if (p->type != BS_JSON_STRING) {
			ctl_error(w, "paths: expected strings");
			return;
		}
	if (!e->cache_warm) {
		ctl_error(w, "no image cache (TFTP and HTTP are off)");
		return;
	}
	bs_jw_key(w, "files");
	bs_jw_arr(w);
	for (const struct bs_json *p = paths->child; p; p = p->next) {
		int err = e->cache_warm(e->arg, p->str);

		bs_jw_obj(w);
		bs_jw_kstr(w, "path", p->str);
		if (err < 0)
			bs_jw_kstr(w, "error", strerror(-err));
		else
			n++;
		bs_jw_obj_end(w);
	}
	bs_jw_arr_end(w);
	bs_logf(r->log, LOG_INFO, "control: cache warm of %zu file(s) (uid %u, pid %d)", n,
		(unsigned)r->peer->uid, (int)r->peer->pid);
	bs_jw_kbool(w, "ok", n > 0);
	if (!n)
		bs_jw_kstr(w, "error", "no file could be opened");
}

static void put_cache_file(void *arg, const struct bs_cache_file_status *s)
{
	struct bs_jw *w = arg;

	bs_jw_obj(w);
	bs_jw_kstr(w, "path", s->path);
	bs_jw_ku64(w, "size", s->size);
	bs_jw_ku64(w, "resident", s->resident);
	bs_jw_ku64(w, "refs", s->refs);
	bs_jw_kbool(w, "pinned", s->pinned);
	bs_jw_kbool(w, "warming", s->warming);
	bs_jw_kbool(w, "done", s->done);
	bs_jw_ku64(w, "percent", s->percent);
	bs_jw_ku64(w, "warm_ms", s->warm_ms);
	bs_jw_ku64(w, "rate_bps", s->rate_bps);
	bs_jw_obj_end(w);
}

struct cache_walk {
	struct bs_jw *w;
	bool in_stats;
};

static void put_cache_stat(void *arg, const char *name, uint64_t v)
{
	struct cache_walk *cw = arg;

	if (!cw->in_stats) {
		bs_jw_arr_end(cw->w);
		bs_jw_key(cw->w, "stats");
		bs_jw_obj(cw->w);
		cw->in_stats = true;
	}
	bs_jw_ku64(cw->w, name, v);
}

static void c_cache_status(const struct ctl_req *r, struct bs_jw *w)
{
	if (!r->env->cache_status) {
		ctl_error(w, "no image cache (TFTP and HTTP are off)");
		return;
	}
	bs_jw_kbool(w, "ok", true);
	bs_jw_key(w, "files");
	bs_jw_arr(w);
	/* the files, then the counters: fill "files", open "stats" on the
	   first counter (put_cache_stat) */
	{
		struct cache_walk cw = {.w = w};

		r->env->cache_status(r->env->arg, put_cache_file, w, put_cache_stat, &cw);
		if (!cw.in_stats) {
			bs_jw_arr_end(w);
			bs_jw_key(w, "stats");
			bs_jw_obj(w);
		}
	}
	bs_jw_obj_end(w);
}

static void c_cache_unpin(const struct ctl_req *r, struct bs_jw *w)
{
	const char *path = bs_json_get_str(r->root, "path");

	if (!r->env->cache_unpin) {
		ctl_error(w, "no image cache (TFTP and HTTP are off)");
		return;
	}
	if (!path) {
		ctl_error(w, "path: expected a string");
		return;
	}
	if (r->env->cache_unpin(r->env->arg, path) < 0) {
		ctl_error(w, "not pinned");
		return;
	}
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "unpinned", path);
}

/* ---- events: the connection becomes a stream (ctl_events.c) ---- */

static void c_events(const struct ctl_req *r, struct bs_jw *w)
{
	const char *mac = bs_json_get_str(r->root, "mac");
	const char *types = bs_json_get_str(r->root, "types");
	struct bs_ctl_sub f = {.on = true, .by_mac = mac != NULL};

	if (mac && bs_parse_mac(mac, f.mac) < 0) {
		ctl_error(w, "mac: expected aa:bb:cc:dd:ee:ff");
		return;
	}
	if (types && bs_ev_parse_types(types, &f.types) < 0) {
		ctl_error(w, "types: expected a comma-separated list of dhcp, tftp, http or "
			     "event names (dhcp-ack, tftp-done, ...)");
		return;
	}
	if (!r->peer->sub || !r->env->nev_rings) {
		ctl_error(w, "no event stream here");
		return;
	}
	*r->peer->sub = f;
	bs_jw_kbool(w, "ok", true);
	bs_jw_kstr(w, "events", "subscribed");
}

struct ctl_cmd {
	const char *name;
	void (*fn)(const struct ctl_req *r, struct bs_jw *w);
	const char *args[9]; /* members allowed besides "cmd" */
	const char *need;    /* a member that must be there */
	const char *array;   /* a member that is an array (checked by fn) */
};

static const struct ctl_cmd ctl_cmds[] = {
    {"status", c_status, {NULL}, NULL},
    {"stats", c_stats, {NULL}, NULL},
    {"leases", c_leases, {"mac", "ip", NULL}, NULL},
    {"lease-release", c_lease_release, {"ip", NULL}, "ip"},
    {"reload", c_reload, {NULL}, NULL},
    {"config-check", c_config_check, {"file", NULL}, "file"},
    {"hosts", c_hosts, {NULL}, NULL},
    {"host-add", c_host_add, {"mac", "ip", "name", "tags", NULL}, "mac"},
    {"host-set", c_host_set, {"mac", "ip", "name", "tags", NULL}, "mac"},
    {"host-del", c_host_del, {"mac", NULL}, "mac"},
    {"host-action",
     c_host_action,
     {"mac", "action", "once", "file", "script", "kernel", "initrd", "cmdline", NULL},
     "action"},
    {"host-done", c_host_done, {"mac", NULL}, "mac"},
    {"cache-warm", c_cache_warm, {"paths", NULL}, "paths", "paths"},
    {"cache-status", c_cache_status, {NULL}, NULL},
    {"cache-unpin", c_cache_unpin, {"path", NULL}, "path"},
    {"events", c_events, {"mac", "types", NULL}, NULL},
};

/* A flat object of scalars, "cmd" a known command, only its members. */
static const struct ctl_cmd *ctl_validate(const struct bs_json *root, char *err, size_t errlen)
{
	const struct ctl_cmd *cmd = NULL;
	const char *name;

	if (root->type != BS_JSON_OBJECT) {
		snprintf(err, errlen, "expected a JSON object");
		return NULL;
	}
	for (const struct bs_json *m = root->child; m; m = m->next) {
		if (m->type == BS_JSON_OBJECT ||
		    (m->type == BS_JSON_ARRAY && strcmp(m->key, "paths") != 0)) {
			snprintf(err, errlen, "member \"%.64s\": nested values are not accepted",
				 m->key);
			return NULL;
		}
		for (const struct bs_json *k = root->child; k != m; k = k->next)
			if (strcmp(k->key, m->key) == 0) {
				snprintf(err, errlen, "member \"%.64s\" given twice", m->key);
				return NULL;
			}
	}
	name = bs_json_get_str(root, "cmd");
	if (!name) {
		snprintf(err, errlen, "expected \"cmd\": a string");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			cmd = &ctl_cmds[i];
	if (!cmd) {
		snprintf(
		    err, errlen,
		    "unknown cmd \"%.64s\" (status, stats, leases, lease-release, reload, "
		    "config-check, hosts, host-add, host-set, host-del, host-action, host-done, "
		    "cache-warm, cache-status, cache-unpin, events)",
		    name);
		return NULL;
	}
	for (const struct bs_json *m = root->child; m; m = m->next) {
		bool ok = strcmp(m->key, "cmd") == 0;

		for (int i = 0; !ok && cmd->args[i]; i++)
			ok = strcmp(m->key, cmd->args[i]) == 0;
		if (!ok) {
			snprintf(err, errlen, "%s: unknown member \"%.64s\"", cmd->name, m->key);
			return NULL;
		}
		if (strcmp(m->key, "cmd") == 0)
			continue;
		if (cmd->array && strcmp(m->key, cmd->array) == 0) {
			if (m->type != BS_JSON_ARRAY) {
				snprintf(err, errlen, "%s: member \"%.64s\" must be an array",
					 cmd->name, m->key);
				return NULL;
			}
			continue;
		}
		if (m->type != BS_JSON_STRING) {
			snprintf(err, errlen, "%s: member \"%.64s\" must be a string", cmd->name,
				 m->key);
			return NULL;
		}
	}
	if (cmd->need && !bs_json_get(root, cmd->need)) {
		snprintf(err, errlen, "%s: missing member \"%s\"", cmd->name, cmd->need);
		return NULL;
	}
	return cmd;
}

void bs_ctl_handle(const struct bs_ctl_env *env, const struct bs_ctl_peer *peer, const char *line,
		   size_t len, time_t now, const struct bs_log *log, struct bs_jw *out)
{
	static const struct bs_json_limits lim = {
	    .max_len = BS_CTL_MAX_LINE, .max_depth = 2, .max_nodes = 1 + CTL_MAX_MEMBERS};
	struct bs_json_doc *doc = NULL;
	const struct ctl_cmd *cmd;
	char err[320], msg[360];
	int rc;

	bs_jw_reset(out);
	bs_jw_obj(out);
	rc = bs_json_parse(line, len, &lim, &doc, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "bad request: %s",
			 rc == -ENOMEM ? "out of memory" : err);
		ctl_error(out, msg);
		goto done;
	}
	cmd = ctl_validate(bs_json_root(doc), err, sizeof(err));
	if (!cmd) {
		snprintf(msg, sizeof(msg), "bad request: %s", err);
		ctl_error(out, msg);
		goto done;
	}
	cmd->fn(
	    &(struct ctl_req){
		.env = env, .peer = peer, .root = bs_json_root(doc), .log = log, .now = now},
	    out);
done:
	bs_jw_obj_end(out);
	bs_json_free(doc);
	if (out->failed) {
		bs_jw_reset(out);
		bs_jw_obj(out);
		ctl_error(out, "response too large");
		bs_jw_obj_end(out);
	}
}
