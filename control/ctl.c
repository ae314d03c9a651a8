/* SPDX-License-Identifier: MIT */
/*
 * The control socket's server: accept, per-client line buffers, bounded
 * output, disconnecting clients that do not keep up. The commands are
 * ctl_cmds.c (bs_ctl_handle).
 */
#include "ctl.h"
#include "ctl_events.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_OUT_SOFT	  (256u << 10) /* pending output above this: stop reading */
#define CTL_STALL_MS	  5000	       /* pending output, no progress: disconnect */
#define CTL_IDLE_MS	  60000	       /* nothing pending, no request: disconnect */
#define CTL_REQS_PER_WAKE 64	       /* then let the loop run */
/* Event subscribers: their buffer, how often the rings are read, how long
   one may make no progress at all before it counts as dead (a slow one
   only loses events). */
#define CTL_SUB_BUF	 (256u << 10)
#define CTL_SUB_PUMP_NS	 50000000
#define CTL_SUB_STALL_MS 60000

/* ---- server ------------------------------------------------------------ */

struct ctl_client {
	int fd;
	struct bs_ctl_peer peer;
	char *in; /* BS_CTL_MAX_LINE + 1 */
	size_t inlen;
	bool discarding; /* inside an overlong line: skip to its newline */
	bool eof;	 /* the client shut down its side */
	bool reading;	 /* EPOLLIN registered */
	char *out;
	size_t outlen, outoff;
	uint64_t last_ms;	   /* last request or write progress */
	struct bs_ctl_sub sub;	   /* peer.sub points here */
	struct ctl_stream *stream; /* events subscriber: no more requests */
};

struct bs_ctl {
	int lfd, epfd;
	char path[108];
	dev_t dev;
	ino_t ino;
	const struct bs_ctl_env *env;
	const struct bs_log *log;
	struct bs_jw jw;
	struct ctl_client *clients[BS_CTL_MAX_CLIENTS];
	struct bs_ratelimit rl;
	int prio; /* of set-up failures: LOG_ERR, or LOG_WARNING when optional */
	int tfd;  /* event pump timer, armed while there are subscribers */
	unsigned nstreams;
	uint64_t ev_sent, ev_lost;
};

int bs_ctl_fd(const struct bs_ctl *c)
{
	return c->epfd;
}

static void client_free(struct bs_ctl *c, struct ctl_client *k)
{
	for (int i = 0; i < BS_CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == k)
			c->clients[i] = NULL;
	close(k->fd); /* also leaves the epoll set */
	if (k->stream) {
		ctl_stream_free(k->stream);
		c->nstreams--;
	}
	free(k->in);
	free(k->out);
	free(k);
}

static void client_events(struct bs_ctl *c, struct ctl_client *k)
{
	struct epoll_event ev = {.data.ptr = k};

	k->reading = !k->eof && (k->stream || k->outlen - k->outoff <= CTL_OUT_SOFT);
	ev.events = (k->reading ? EPOLLIN : 0) | (k->outlen > k->outoff ? EPOLLOUT : 0);
	epoll_ctl(c->epfd, EPOLL_CTL_MOD, k->fd, &ev);
}

/* Write what is pending. -1: the client is gone (freed). */
static int client_flush(struct bs_ctl *c, struct ctl_client *k, uint64_t ms)
{
	while (k->outoff < k->outlen) {
		ssize_t n = send(k->fd, k->out + k->outoff, k->outlen - k->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_free(c, k);
			return -1;
		}
		k->outoff += (size_t)n;
		k->last_ms = ms;
	}
	if (k->outoff == k->outlen) {
		k->outoff = k->outlen = 0;
		if (k->eof && !k->stream) {
			client_free(c, k);
			return -1;
		}
	}
	return 0;
}

/* Queue text + '\n'. -1: out of memory (the client is dropped). */
static int client_queue(struct bs_ctl *c, struct ctl_client *k, const char *s, size_t n)
{
	size_t pending = k->outlen - k->outoff;
	char *p;

	if (k->outoff) {
		memmove(k->out, k->out + k->outoff, pending);
		k->outoff = 0;
		k->outlen = pending;
	}
	p = realloc(k->out, pending + n + 1);
	if (!p) {
		client_free(c, k);
		return -1;
	}
	memcpy(p + pending, s, n);
	p[pending + n] = '\n';
	k->out = p;
	k->outlen = pending + n + 1;
	return 0;
}

static void stream_start(struct bs_ctl *c, struct ctl_client *k);

static int client_request(struct bs_ctl *c, struct ctl_client *k, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	bs_ctl_handle(c->env, &k->peer, line, len, time(NULL), c->log, &c->jw);
	if (client_queue(c, k, c->jw.p ? c->jw.p : "{}", c->jw.p ? c->jw.len : 2) < 0)
		return -1;
	if (k->sub.on && !k->stream)
		stream_start(c, k);
	return 0;
}

static int client_error(struct bs_ctl *c, struct ctl_client *k, const char *msg)
{
	bs_jw_reset(&c->jw);
	bs_jw_obj(&c->jw);
	bs_jw_kbool(&c->jw, "ok", false);
	bs_jw_kstr(&c->jw, "error", msg);
	bs_jw_obj_end(&c->jw);
	return client_queue(c, k, c->jw.p ? c->jw.p : "{}", c->jw.p ? c->jw.len : 2);
}

/* Answer the complete lines in the input buffer (a bounded number). */
static int client_lines(struct bs_ctl *c, struct ctl_client *k, int *budget)
{
	size_t start = 0;

	while (*budget > 0 && k->outlen - k->outoff <= CTL_OUT_SOFT && !k->stream) {
		char *nl = memchr(k->in + start, '\n', k->inlen - start);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (k->in + start));
		if (k->discarding)
			k->discarding = false;
		else if (client_request(c, k, k->in + start, len) < 0)
			return -1;
		start += len + 1;
		(*budget)--;
	}
	if (k->stream)
		start = k->inlen; /* a subscriber's further input is ignored */
	memmove(k->in, k->in + start, k->inlen - start);
	k->inlen -= start;
	if (k->inlen > BS_CTL_MAX_LINE && !memchr(k->in, '\n', k->inlen)) {
		/* A line that cannot fit: answer once, then skip to its end. */
		if (!k->discarding &&
		    client_error(c, k, "bad request: line longer than 65536 bytes") < 0)
			return -1;
		k->discarding = true;
		k->inlen = 0;
	}
	return 0;
}

static void client_read(struct bs_ctl *c, struct ctl_client *k, uint64_t ms)
{
	int budget = CTL_REQS_PER_WAKE;

	while (budget > 0 && k->reading && (k->stream || k->outlen - k->outoff <= CTL_OUT_SOFT) &&
	       k->inlen <= BS_CTL_MAX_LINE) {
		ssize_t n =
		    recv(k->fd, k->in + k->inlen, BS_CTL_MAX_LINE + 1 - k->inlen, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			client_free(c, k);
			return;
		}
		if (n == 0) {
			/* A last request without its newline still counts. */
			if (k->inlen && !k->discarding && client_request(c, k, k->in, k->inlen) < 0)
				return;
			k->inlen = 0;
			k->eof = true;
			break;
		}
		k->inlen += (size_t)n;
		k->last_ms = ms;
		if (client_lines(c, k, &budget) < 0)
			return;
	}
	if (client_flush(c, k, ms) < 0)
		return;
	client_events(c, k);
}

static void ctl_accept(struct bs_ctl *c, uint64_t ms)
{
	for (int round = 0; round < BS_CTL_MAX_CLIENTS; round++) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		struct ctl_client *k;
		int slot = -1;
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		for (int i = 0; i < BS_CTL_MAX_CLIENTS && slot < 0; i++)
			if (!c->clients[i])
				slot = i;
		if (slot < 0) {
			static const char busy[] =
			    "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			if (bs_ratelimit_ok(&c->rl, ms, 5))
				bs_logf(c->log, LOG_WARNING,
					"control socket: %d clients already: one refused",
					BS_CTL_MAX_CLIENTS);
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (k)
			k->in = malloc(BS_CTL_MAX_LINE + 1);
		if (!k || !k->in) {
			if (k)
				free(k);
			close(fd);
			continue;
		}
		k->fd = fd;
		k->peer.uid = (uid_t)-1;
		k->peer.sub = &k->sub;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0) {
			k->peer.uid = cr.uid;
			k->peer.pid = cr.pid;
		}
		k->last_ms = ms;
		k->reading = true;
		ev.data.ptr = k;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(k->in);
			free(k);
			continue;
		}
		c->clients[slot] = k;
	}
}

/* ---- events subscribers (ctl_events.c) -------------------------------- */

static void pump_arm(struct bs_ctl *c, bool on)
{
	struct itimerspec it = {.it_interval.tv_nsec = on ? CTL_SUB_PUMP_NS : 0,
				.it_value.tv_nsec = on ? CTL_SUB_PUMP_NS : 0};

	timerfd_settime(c->tfd, 0, &it, NULL);
}

static void stream_start(struct bs_ctl *c, struct ctl_client *k)
{
	k->stream = ctl_stream_new(c->env, &k->sub);
	if (!k->stream)
		return; /* the next events request tries again */
	if (c->nstreams++ == 0)
		pump_arm(c, true);
}

/* Move what the rings hold into the subscriber's bounded buffer. */
static void stream_pump(struct bs_ctl *c, struct ctl_client *k, const struct ctl_clock *clk,
			uint64_t now_ms)
{
	for (;;) {
		size_t pending = k->outlen - k->outoff;
		size_t room = pending < CTL_SUB_BUF ? CTL_SUB_BUF - pending : 0;

		if (ctl_stream_next(k->stream, c->env, clk, room, &c->jw, &c->ev_lost) <= 0)
			break;
		if (client_queue(c, k, c->jw.p, c->jw.len) < 0)
			return;
		c->ev_sent++;
	}
	if (client_flush(c, k, now_ms) == 0)
		client_events(c, k);
}

static void stream_pump_all(struct bs_ctl *c, uint64_t now_ms)
{
	struct timespec ts;
	struct ctl_clock clk = {.mono_ms = now_ms};
	uint64_t n;

	if (read(c->tfd, &n, sizeof(n)) < 0 && c->nstreams)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	clk.wall = ts.tv_sec;
	clk.wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (int i = 0; i < BS_CTL_MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->stream)
			stream_pump(c, c->clients[i], &clk, now_ms);
	if (!c->nstreams)
		pump_arm(c, false);
}

void bs_ctl_stats_foreach(const struct bs_ctl *c, bs_stat_fn fn, void *arg)
{
	uint64_t emitted = 0;

	for (unsigned i = 0; i < c->env->nev_rings; i++)
		emitted += bs_ev_head(c->env->ev_rings[i]);
	fn(arg, "ctl_events_sent", c->ev_sent);
	fn(arg, "ctl_events_lost", c->ev_lost);
	fn(arg, "ctl_subscribers", c->nstreams);
	fn(arg, "events_emitted", emitted);
}

void bs_ctl_ready(void *arg, uint64_t now_ms)
{
	struct bs_ctl *c = arg;
	struct epoll_event ev[BS_CTL_MAX_CLIENTS + 1];
	int n = epoll_wait(c->epfd, ev, BS_CTL_MAX_CLIENTS + 1, 0);

	for (int i = 0; i < n; i++) {
		struct ctl_client *k = ev[i].data.ptr;

		if (!k) {
			ctl_accept(c, now_ms);
			continue;
		}
		if ((void *)k == (void *)&c->tfd) {
			stream_pump_all(c, now_ms);
			continue;
		}
		/* Freed by an earlier event of this round? */
		bool live = false;

		for (int j = 0; j < BS_CTL_MAX_CLIENTS; j++)
			live |= c->clients[j] == k;
		if (!live)
			continue;
		if ((ev[i].events & EPOLLERR) ||
		    ((ev[i].events & EPOLLHUP) && !(ev[i].events & EPOLLIN))) {
			client_free(c, k);
			continue;
		}
		if (ev[i].events & EPOLLOUT) {
			if (client_flush(c, k, now_ms) < 0)
				continue;
			client_events(c, k);
		}
		if ((ev[i].events & EPOLLIN) && k->reading)
			client_read(c, k, now_ms);
	}
}

void bs_ctl_tick(void *arg, uint64_t now_ms)
{
	struct bs_ctl *c = arg;

	for (int i = 0; i < BS_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *k = c->clients[i];
		bool pending;

		if (!k)
			continue;
		pending = k->outlen > k->outoff;
		/* A quiet events stream is normal; only a stuck one is dead. */
		if (k->stream ? pending && now_ms - k->last_ms > CTL_SUB_STALL_MS
			      : (pending && now_ms - k->last_ms > CTL_STALL_MS) ||
				    (!pending && now_ms - k->last_ms > CTL_IDLE_MS)) {
			if (pending && bs_ratelimit_ok(&c->rl, now_ms, 5))
				bs_logf(c->log, LOG_NOTICE,
					"control socket: client pid %d does not read its "
					"responses: disconnected",
					(int)k->peer.pid);
			client_free(c, k);
		}
	}
}

/* Is somebody accepting on the socket at path? */
static bool socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

void bs_ctl_remove_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path) || lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (!socket_live(&sa))
		unlink(path);
}

static int ctl_bind(struct bs_ctl *c, const char *path, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		bs_logf(c->log, c->prio, "control-socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			bs_logf(c->log, c->prio, "control-socket %s: exists and is not a socket",
				path);
			return -EEXIST;
		}
		if (socket_live(&sa)) {
			bs_logf(c->log, c->prio,
				"control-socket %s: another server answers on it (a bootstorm "
				"already running? give each one its own control-socket=)",
				path);
			return -EADDRINUSE;
		}
		unlink(path); /* stale: left by a server that was killed */
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		goto fail;
	old = umask(0177); /* created 0600: never briefly open to others */
	err = bind(c->lfd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (err < 0)
		goto fail;
	if (stat(path, &st) < 0)
		goto fail_unlink;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (group && group[0]) {
		struct group gr, *res = NULL;
		char buf[4096];

		if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || !res) {
			bs_logf(c->log, c->prio, "control-group %s: no such group", group);
			unlink(path);
			c->path[0] = '\0';
			return -ENOENT;
		}
		if (chown(path, (uid_t)-1, res->gr_gid) < 0 || chmod(path, 0660) < 0)
			goto fail_unlink;
	}
	if (listen(c->lfd, BS_CTL_MAX_CLIENTS) < 0)
		goto fail_unlink;
	return 0;

fail_unlink:
	err = errno;
	unlink(path);
	c->path[0] = '\0';
	errno = err;
fail:
	err = errno;
	bs_logf(c->log, c->prio, "control-socket %s: %s", path, strerror(err));
	return -err;
}

int bs_ctl_open(const char *path, const char *group, bool required, const struct bs_ctl_env *env,
		const struct bs_log *log, struct bs_ctl **out)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct bs_ctl *c = calloc(1, sizeof(*c));
	int err;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->lfd = c->epfd = c->tfd = -1;
	c->env = env;
	c->log = log;
	c->prio = required ? LOG_ERR : LOG_WARNING;
	bs_jw_init(&c->jw, BS_CTL_MAX_RESPONSE);
	err = ctl_bind(c, path, group);
	if (err < 0)
		goto fail;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->epfd < 0 || c->tfd < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &ev) < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->tfd,
		      &(struct epoll_event){.events = EPOLLIN, .data.ptr = &c->tfd}) < 0) {
		err = -errno;
		bs_logf(log, LOG_ERR, "control socket: epoll: %s", strerror(errno));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	bs_ctl_close(c);
	return err;
}

void bs_ctl_close(struct bs_ctl *c)
{
	struct stat st;

	if (!c)
		return;
	for (int i = 0; i < BS_CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			client_free(c, c->clients[i]);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->tfd >= 0)
		close(c->tfd);
	/* Only our own file: a newer server may have replaced it. */
	if (c->path[0] && lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	bs_jw_free(&c->jw);
	free(c);
}
