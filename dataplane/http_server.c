/* SPDX-License-Identifier: MIT */
/*
 * HTTP boot server: connections, epoll, timeouts, zero-copy send.
 *
 * One epoll fd holds the listening socket and every connection,
 * level-triggered; a connection is polled for exactly one direction at a
 * time:
 *
 *   READ    EPOLLIN: collect a request head; parse; answer -> WRITE
 *   WRITE   EPOLLOUT: head with send(), body with sendfile() from the
 *           cache entry's fd; done -> READ (keep-alive; a pipelined
 *           request already in the buffer is answered at once) or LINGER
 *   LINGER  EPOLLIN after shutdown(SHUT_WR): read and drop until the
 *           client closes (or 2 s), so a close with unread request bytes
 *           does not turn into a RST that destroys our last answer
 *
 * While a response is being written nothing more is read: pipelined
 * requests wait in the buffer or in the kernel, and a client that sends
 * without reading stalls only itself.
 *
 * Timeouts (timeout_ms): a request head must be complete timeout_ms after
 * its first byte, however slowly it trickles in (slowloris) -> 408; a
 * response must make progress within timeout_ms (a client that stops
 * reading) and an idle keep-alive connection lives timeout_ms. Deadlines
 * are per connection and checked by a scan every HTTP_TICK_MS (cheap at
 * http-max-conns connections, and a deadline a quarter second late does
 * not matter at 30 s).
 *
 * No call blocks: every socket is non-blocking, files are read by the
 * kernel from the page cache (sendfile), and each wake-up sends at most
 * HTTP_SEND_BUDGET bytes per connection so one fast client cannot starve
 * the others or the worker's DHCP/TFTP.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "proto/http.h"
#include "proto/ipxe_script.h"
#include "util/events.h"

#define HTTP_IN_CAP	   (HTTP_HEADER_MAX + 1024) /* > the head limit: 431 fits */
#define HTTP_HEAD_CAP	   1024
#define HTTP_EVENTS	   256
#define HTTP_ACCEPT_BURST  64
#define HTTP_BACKLOG	   4096	       /* capped by net.core.somaxconn */
#define HTTP_SEND_CHUNK	   (2u << 20)  /* nginx's sendfile_max_chunk */
#define HTTP_SEND_BUDGET   (4u << 20)  /* per connection per wake-up */
#define HTTP_CORK_MIN	   (64u << 10) /* bodies worth TCP_CORK's 2 calls */
#define HTTP_LINGER_MS	   2000
#define HTTP_TICK_MS	   250
#define HTTP_DEF_MAX_CONNS 1024
#define HTTP_DEF_TIMEOUT   30000
#define HTTP_SCRIPT_CAP	   8192 /* an iPXE script */

enum conn_state { CS_READ, CS_WRITE, CS_LINGER };

enum http_stat {
	HS_ACCEPTED,
	HS_REJECTED,
	HS_REQUESTS,
	HS_2XX,
	HS_3XX,
	HS_4XX,
	HS_5XX,
	HS_BYTES,
	HS_TIMEOUTS,
	HS_ERRORS,
	HS_METRICS,
	HS_IPXE,
	HS_DONE,
	HS_SNDBUF,
	HS_COUNT
};

static const char *const hs_names[HS_COUNT] = {
    [HS_ACCEPTED] = "http_conns_accepted",  [HS_REJECTED] = "http_conns_rejected",
    [HS_REQUESTS] = "http_requests",	    [HS_2XX] = "http_status_2xx",
    [HS_3XX] = "http_status_3xx",	    [HS_4XX] = "http_status_4xx",
    [HS_5XX] = "http_status_5xx",	    [HS_BYTES] = "http_bytes_sent",
    [HS_TIMEOUTS] = "http_timeouts",	    [HS_ERRORS] = "http_errors",
    [HS_METRICS] = "http_metrics_requests", [HS_IPXE] = "http_ipxe_scripts",
    [HS_DONE] = "http_done_reports",	    [HS_SNDBUF] = "http_send_buffers_set",
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t events; /* what epoll watches now */
	struct conn *prev, *next;
	/* peer: IPv4 (a v4-mapped one too), host order, for host actions
	   and events; 0 for an IPv6 peer, whose address only peer has */
	uint32_t ip;
	uint16_t port;
	/* "10.0.0.5" or "[fd00::2]": for log lines */
	char peer[INET6_ADDRSTRLEN + 2];
	uint64_t deadline; /* absolute ms */
	bool close_after;
	bool metrics_only; /* accepted on the metrics listener */
	/* a generated answer (metrics, iPXE script): head + body, malloc'd;
	   sent instead of head[] */
	char *dyn;

	bool corked;	 /* TCP_CORK on while a large body is sent */
	uint32_t sndbuf; /* SO_SNDBUF we set, 0: the kernel's autotuning */
	/* the response being written */
	char head[HTTP_HEAD_CAP]; /* head, plus the body of error answers */
	size_t head_len, head_off;
	struct bs_file *file;
	uint64_t off, end; /* body bytes [off, end) of file still to send */
	/* for the log line when it is done */
	int status;
	bool is_head;
	const char *method; /* "GET", "HEAD" or "-" (another method) */
	uint64_t body_len;
	char path[128];

	size_t in_len;
	char in[HTTP_IN_CAP];
};

struct bs_http {
	struct bs_http_config cfg;
	int epfd, lfd;
	int mfd;	    /* metrics listener, -1: none */
	struct conn *conns; /* list of all connections */
	uint32_t nconns;
	/* auto send buffers: the budget of all large bodies and autotuning's
	   ceiling, both from sysctls read at start (0: not known, autotune) */
	uint64_t snd_budget, wmem_max;
	uint64_t next_tick;
	struct bs_ratelimit rl;
	uint64_t st[HS_COUNT];
	struct http_req req; /* scratch for the parser (2 KiB) */
};

/* A socket address as text into buf ("10.0.0.5", "[fd00::2]": the URL
   form), *port set. Returns the IPv4 address (host order) for AF_INET
   and v4-mapped IPv6 (a dual-stack listener's IPv4 clients), else 0. */
static uint32_t sa_text(const struct sockaddr_storage *ss, char buf[INET6_ADDRSTRLEN + 2],
			uint16_t *port)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	uint32_t ip;

	if (ss->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		buf[0] = '[';
		inet_ntop(AF_INET6, &s6->sin6_addr, buf + 1, INET6_ADDRSTRLEN);
		strcat(buf, "]");
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(&ip, &s6->sin6_addr.s6_addr[12], 4);
		*port = ntohs(s6->sin6_port);
	} else {
		ip = s4->sin_addr.s_addr;
		*port = ntohs(s4->sin_port);
	}
	inet_ntop(AF_INET, &ip, buf, INET6_ADDRSTRLEN + 2);
	return ntohl(ip);
}

static int conn_watch(struct bs_http *h, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (c->events == events)
		return 0;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->events = events;
	return 0;
}

static void conn_close(struct bs_http *h, struct conn *c)
{
	if (c->file)
		bs_cache_put(h->cfg.cache, c->file);
	free(c->dyn);
	/* close() removes it from the epoll set (we never dup the fd) */
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	free(c);
}

static void count_status(struct bs_http *h, int status)
{
	h->st[HS_REQUESTS]++;
	if (status >= 200 && status < 300)
		h->st[HS_2XX]++;
	else if (status >= 300 && status < 400)
		h->st[HS_3XX]++;
	else if (status >= 400 && status < 500)
		h->st[HS_4XX]++;
	else
		h->st[HS_5XX]++;
}

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

/* An answer without a file: status line, headers, a one-line text body. */
static void answer_error(struct bs_http *h, struct conn *c, int status, bool keep, bool is_head)
{
	char body[64];
	int bl = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	struct http_resp r = {
	    .status = status,
	    .keep_alive = keep,
	    .content_length = (uint64_t)bl,
	    .content_type = "text/plain",
	    .now = wall_now(),
	    .allow = status == 405,
	};
	size_t n = http_build_head(&r, c->head, sizeof(c->head));

	(void)h;
	if (!is_head && n + (size_t)bl <= sizeof(c->head)) {
		memcpy(c->head + n, body, (size_t)bl);
		n += (size_t)bl;
	}
	c->head_len = n;
	c->head_off = 0;
	c->status = status;
	c->is_head = is_head;
	c->body_len = 0;
	c->close_after = !keep;
}

static int errno_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -EISDIR:
	case -ENAMETOOLONG:
		return 404;
	case -EACCES:
	case -EPERM:
		return 403;
	case -EINVAL:
		return 400;
	default:
		return 500; /* EMFILE, ENOMEM, EIO ... */
	}
}

/* A generated answer: head and body in one malloc'd buffer (c->dyn). */
static void answer_dynamic(struct bs_http *h, struct conn *c, bool keep, bool is_head,
			   const char *type, const char *body, size_t len)
{
	struct http_resp r = {
	    .status = 200,
	    .keep_alive = keep,
	    .content_length = len,
	    .content_type = type,
	    .now = wall_now(),
	};
	size_t n;

	c->dyn = malloc(512 + len);
	if (!c->dyn) {
		answer_error(h, c, 500, false, is_head);
		return;
	}
	n = http_build_head(&r, c->dyn, 512);
	if (!is_head) {
		memcpy(c->dyn + n, body, len);
		n += len;
	}
	c->head_len = n;
	c->head_off = 0;
	c->status = 200;
	c->is_head = is_head;
	c->body_len = is_head ? 0 : len;
	c->close_after = !keep;
}

static void answer_metrics(struct bs_http *h, struct conn *c, bool keep, bool is_head)
{
	struct http_metrics m = {0};

	h->st[HS_METRICS]++;
	/* the provider's walk includes this server's counters */
	h->cfg.stats(h->cfg.stats_arg, http_metrics_add, &m);
	if (m.err || !m.buf)
		answer_error(h, c, 500, false, is_head);
	else
		answer_dynamic(h, c, keep, is_head, "text/plain; version=0.0.4; charset=utf-8",
			       m.buf, m.len);
	http_metrics_free(&m);
}

/* true when answered; false: no script, serve /boot.ipxe as a file */
static bool answer_ipxe(struct bs_http *h, struct conn *c, const struct http_req *q, bool keep,
			bool is_head)
{
	char script[HTTP_SCRIPT_CAP], local[INET6_ADDRSTRLEN + 8];
	const char *host = q->host;
	size_t host_len = q->host_len, n;
	uint8_t mac[6];
	bool has_mac = ipxe_query_mac(q->query, q->query_len, mac) == 0;

	if (!host_len) {
		/* HTTP/1.0 without Host: the address the client reached */
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		char ip[INET6_ADDRSTRLEN + 2];
		uint16_t port;

		if (getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0) {
			sa_text(&sa, ip, &port);
			snprintf(local, sizeof(local), "%s:%u", ip, port);
			host = local;
			host_len = strlen(local);
		}
	}
	n = h->cfg.ipxe_script(h->cfg.ipxe_arg, has_mac ? mac : NULL, host, host_len, script,
			       sizeof(script));
	if (!n || n >= sizeof(script))
		return false;
	h->st[HS_IPXE]++;
	if (!h->cfg.log || h->cfg.log->max_prio >= LOG_DEBUG) {
		char who[24] = "no mac";
		const char *nl = memchr(script, '\n', n);
		const char *what = nl && (size_t)(nl - script) + 1 < n ? nl + 1 : "";

		if (has_mac)
			snprintf(who, sizeof(who), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
				 mac[2], mac[3], mac[4], mac[5]);
		/* the script's first command: kernel, chain, exit, echo */
		bs_logf(h->cfg.log, LOG_DEBUG, "http: %s:%u: boot.ipxe for %s: %.*s", c->peer,
			c->port, who, (int)strcspn(what, " \n"), what);
	}
	answer_dynamic(h, c, keep, is_head, "text/plain; charset=utf-8", script, n);
	return true;
}

/* GET /done[?mac=..]: an installer says it is done (host action once). */
static void answer_done(struct bs_http *h, struct conn *c, const struct http_req *q, bool keep,
			bool is_head)
{
	static const char *const said[] = {"nothing to finish for this host\n",
					   "done: the host boots locally from now on\n"};
	uint8_t mac[6];
	bool has_mac = ipxe_query_mac(q->query, q->query_len, mac) == 0;
	int rc;

	/* HEAD must not change anything; a mac= that does not parse is not
	   "whoever asks" */
	if (is_head || (!has_mac && q->query_len && memmem(q->query, q->query_len, "mac=", 4))) {
		answer_error(h, c, is_head ? 405 : 400, keep, is_head);
		return;
	}
	rc = h->cfg.done(h->cfg.hosts_arg, c->ip, has_mac ? mac : NULL);
	if (rc < 0) {
		answer_error(h, c, rc == -ENOENT ? 404 : 500, keep, is_head);
		return;
	}
	h->st[HS_DONE]++;
	answer_dynamic(h, c, keep, is_head, "text/plain; charset=utf-8", said[rc > 0],
		       strlen(said[rc > 0]));
}

/* Size the send buffer for a large body (proto/http.h http_send_buffer():
   the share of all open connections). Once set, the kernel no longer
   autotunes that socket, so a capped connection whose share grew again
   gets autotuning's ceiling back. */
static void conn_send_buffer(struct bs_http *h, struct conn *c)
{
	uint32_t v = h->cfg.send_buffer;
	int iv;

	if (v == HTTP_SNDBUF_KERNEL)
		return;
	if (v == 0) {
		v = http_send_buffer(h->snd_budget, h->nconns, h->wmem_max);
		if (v == 0 && c->sndbuf)
			v = (uint32_t)(h->wmem_max / 2);
	}
	if (v == 0 || v == c->sndbuf)
		return;
	iv = v > INT32_MAX ? INT32_MAX : (int)v;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &iv, sizeof(iv)) == 0) {
		c->sndbuf = v;
		h->st[HS_SNDBUF]++;
	}
}

/* Build the answer to one parsed request into c (state becomes WRITE). */
static void answer(struct bs_http *h, struct conn *c, const struct http_req *q)
{
	bool is_head = q->method == HTTP_HEAD;
	bool keep = q->keep_alive;
	struct bs_file *f = NULL;
	struct http_file_info fi;
	struct http_answer a;
	struct http_resp r;
	int err;

	/* for the log line: the path, cut to the buffer */
	snprintf(c->path, sizeof(c->path), "%.*s", (int)(sizeof(c->path) - 1),
		 q->status ? "-" : q->path);
	c->method = is_head ? "HEAD" : q->method == HTTP_GET ? "GET" : "-";
	if (q->status) {
		keep =
		    keep && http_status_keeps_conn(q->status) && !q->has_body && q->status != 405;
		/* 405 without a body could keep the connection; we close it
		   anyway: a client sending methods we do not serve gets no
		   second chance on the same stream. */
		answer_error(h, c, q->status, keep, is_head);
		return;
	}
	if (h->cfg.stats && strcmp(q->path, "/metrics") == 0 &&
	    (c->metrics_only || !h->cfg.metrics_port)) {
		answer_metrics(h, c, keep, is_head);
		return;
	}
	if (c->metrics_only) {
		answer_error(h, c, 404, keep, is_head);
		return;
	}
	if (h->cfg.ipxe_script && strcmp(q->path, "/boot.ipxe") == 0 &&
	    answer_ipxe(h, c, q, keep, is_head))
		return;
	if (h->cfg.done && strcmp(q->path, "/done") == 0) {
		answer_done(h, c, q, keep, is_head);
		return;
	}
	/* "/" is the HTTP root: the rest is relative to the cache's root. */
	err = q->path_len > 1 ? bs_cache_get(h->cfg.cache, q->path + 1, q->path_len - 1, &f)
			      : -ENOENT;
	if (err < 0) {
		int st = errno_status(err);

		answer_error(h, c, st, keep && http_status_keeps_conn(st), is_head);
		return;
	}
	fi = (struct http_file_info){
	    .size = f->size, .ino = f->ino, .mtime = f->mtime, .mtime_nsec = f->mtime_nsec};
	http_decide(q, &fi, &a);
	r = (struct http_resp){
	    .status = a.status,
	    .keep_alive = keep,
	    .content_length = a.len,
	    .content_type = http_content_type(q->path, q->path_len),
	    .now = wall_now(),
	    .fi = &fi,
	    .range_start = a.start,
	    .range_len = a.len,
	};
	if (a.status == 416)
		r.content_type = NULL;
	c->head_len = http_build_head(&r, c->head, sizeof(c->head));
	c->head_off = 0;
	c->status = a.status;
	c->is_head = is_head;
	c->body_len = is_head ? 0 : a.len;
	c->close_after = !keep;
	if (!is_head && a.len > 0 && (a.status == 200 || a.status == 206)) {
		if (a.len >= HTTP_CORK_MIN)
			conn_send_buffer(h, c);
		c->file = f; /* the reference lives until the body is sent */
		c->off = a.start;
		c->end = a.start + a.len;
	} else {
		bs_cache_put(h->cfg.cache, f);
	}
}

/* The client event: a struct copy into the worker's ring. */
static void ev_done(struct bs_http *h, const struct conn *c, uint64_t now)
{
	struct bs_event e = {.mono_ms = now,
			     .bytes = c->body_len,
			     .total = c->body_len,
			     .ip = c->ip,
			     .arch = BS_EV_ARCH_NONE,
			     .status = (uint16_t)c->status,
			     .type = BS_EV_HTTP_DONE};

	if (!h->cfg.events || c->metrics_only)
		return;
	bs_ev_set_file(&e, c->path, strnlen(c->path, sizeof(c->path)));
	bs_ev_emit(h->cfg.events, &e);
}

static void log_done(struct bs_http *h, struct conn *c)
{
	if (h->cfg.log && h->cfg.log->max_prio < LOG_DEBUG)
		return;
	bs_logf(h->cfg.log, LOG_DEBUG, "http: %s:%u: %s %s %d, %llu body bytes", c->peer, c->port,
		c->method, c->path, c->status, (unsigned long long)c->body_len);
}

/* false when the connection had to be closed at once */
static bool start_linger(struct bs_http *h, struct conn *c, uint64_t now)
{
	shutdown(c->fd, SHUT_WR);
	c->state = CS_LINGER;
	c->deadline = now + HTTP_LINGER_MS;
	if (conn_watch(h, c, EPOLLIN) < 0) {
		conn_close(h, c);
		return false;
	}
	return true;
}

/* TCP_CORK while a large body goes out: only full segments leave, also
   at the end of each sendfile() call (which pushes its last partial
   segment when TCP_NODELAY is on); uncorking at the end pushes the tail.
   nginx's tcp_nopush does the same. A failure only costs segment size. */
/* A send that cannot go on: count it, close, and tell conn_write's caller. */
static bool conn_fail(struct bs_http *h, struct conn *c)
{
	h->st[HS_ERRORS]++;
	conn_close(h, c);
	return false;
}

static void conn_cork(struct conn *c, bool on)
{
	int v = on;

	if (c->corked != on && setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) == 0)
		c->corked = on;
}

/*
 * Write what can be written. Returns true when the connection is still
 * there (closed on error), with c->state telling what comes next.
 */
static bool conn_write(struct bs_http *h, struct conn *c, uint64_t now)
{
	uint64_t budget = HTTP_SEND_BUDGET;
	bool progress = false;

	const char *hb = c->dyn ? c->dyn : c->head;

	if (c->file && c->end - c->off >= HTTP_CORK_MIN)
		conn_cork(c, true);
	while (c->head_off < c->head_len) {
		ssize_t n = send(c->fd, hb + c->head_off, c->head_len - c->head_off,
				 MSG_NOSIGNAL | (c->file ? MSG_MORE : 0));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				goto blocked;
			return conn_fail(h, c);
		}
		c->head_off += (size_t)n;
		progress = true;
	}
	while (c->file && c->off < c->end) {
		off_t o = (off_t)c->off;
		uint64_t want = c->end - c->off;
		ssize_t n;

		if (budget == 0)
			goto blocked; /* others' turn; EPOLLOUT brings us back */
		if (want > HTTP_SEND_CHUNK)
			want = HTTP_SEND_CHUNK;
		if (want > budget)
			want = budget;
		n = sendfile(c->fd, c->file->fd, &o, (size_t)want);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				goto blocked;
			return conn_fail(h, c);
		}
		if (n == 0) {
			/* The file shrank under its mapping (rewritten in place
			   instead of replaced by rename): what we promised in
			   Content-Length cannot be sent. */
			return conn_fail(h, c);
		}
		c->off += (uint64_t)n;
		budget -= (uint64_t)n;
		h->st[HS_BYTES] += (uint64_t)n;
		progress = true;
		/* Short: the socket buffer is full. Another call would only
		   return EAGAIN; EPOLLOUT says when there is room again. */
		if ((uint64_t)n < want && c->off < c->end)
			goto blocked;
	}
	/* done */
	if (c->file) {
		if (c->status == 200 && h->cfg.delivered)
			h->cfg.delivered(h->cfg.hosts_arg, c->ip, c->path);
		bs_cache_put(h->cfg.cache, c->file);
		c->file = NULL;
	}
	conn_cork(c, false);
	free(c->dyn);
	c->dyn = NULL;
	log_done(h, c);
	ev_done(h, c, now);
	if (c->close_after)
		return start_linger(h, c, now);
	c->state = CS_READ;
	c->deadline = now + h->cfg.timeout_ms; /* idle, or the next head's limit */
	if (conn_watch(h, c, EPOLLIN) < 0) {
		conn_close(h, c);
		return false;
	}
	return true;

blocked:
	if (progress)
		c->deadline = now + h->cfg.timeout_ms;
	if (conn_watch(h, c, EPOLLOUT) < 0) {
		conn_close(h, c);
		return false;
	}
	return true;
}

/* Answer every complete request in the buffer, as long as the answers
   leave without blocking (pipelining). */
static void conn_process(struct bs_http *h, struct conn *c, uint64_t now)
{
	while (c->state == CS_READ && c->in_len > 0) {
		size_t n = http_parse(c->in, c->in_len, &h->req);

		if (n == 0)
			return; /* incomplete: the head deadline runs */
		answer(h, c, &h->req);
		count_status(h, c->status);
		/* h->req points into c->in: consumed only now */
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
		c->state = CS_WRITE;
		if (c->close_after)
			c->in_len = 0; /* nothing after an error is trusted */
		if (!conn_write(h, c, now))
			return;
		/* a pipelined request's time starts now */
	}
}

static void conn_read(struct bs_http *h, struct conn *c, uint64_t now)
{
	for (;;) {
		ssize_t n;

		if (c->in_len == sizeof(c->in))
			break; /* the parser decides (431) */
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n > 0) {
			if (c->in_len == 0)
				c->deadline = now + h->cfg.timeout_ms; /* head limit */
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			conn_close(h, c); /* the client is done (or gave up) */
			return;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		h->st[HS_ERRORS]++;
		conn_close(h, c);
		return;
	}
	conn_process(h, c, now);
}

static void conn_drain(struct bs_http *h, struct conn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(h, c); /* EOF or error: done */
		return;
	}
}

static const char resp_503[] = "HTTP/1.1 503 Service Unavailable\r\nServer: bootstorm\r\n"
			       "Retry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char resp_408[] = "HTTP/1.1 408 Request Timeout\r\nServer: bootstorm\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n";

static void do_accept(struct bs_http *h, int lfd, uint64_t now)
{
	for (int i = 0; i < HTTP_ACCEPT_BURST; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev;
		struct conn *c;
		int one = 1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				h->st[HS_ERRORS]++;
				/* EMFILE/ENFILE: the pending connection stays
				   queued; the listener is polled again next
				   round. */
				if (bs_ratelimit_ok(&h->rl, now, 2))
					bs_logf(h->cfg.log, LOG_WARNING, "http: accept: %s",
						strerror(errno));
			}
			return;
		}
		h->st[HS_ACCEPTED]++;
		if (h->nconns >= h->cfg.max_conns) {
			/* Over http-max-conns: say so and go (a fresh socket's
			   buffer takes the short answer without blocking). */
			h->st[HS_REJECTED]++;
			count_status(h, 503);
			(void)!send(fd, resp_503, sizeof(resp_503) - 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
			shutdown(fd, SHUT_WR);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			h->st[HS_ERRORS]++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->metrics_only = lfd == h->mfd;
		c->ip = sa_text(&sa, c->peer, &c->port);
		c->state = CS_READ;
		c->events = EPOLLIN;
		c->deadline = now + h->cfg.timeout_ms;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			h->st[HS_ERRORS]++;
			close(fd);
			free(c);
			continue;
		}
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		if (h->nconns++ == 0)
			h->next_tick = now + HTTP_TICK_MS;
	}
}

void bs_http_run(struct bs_http *h, uint64_t now_ms)
{
	struct epoll_event ev[HTTP_EVENTS];
	int n = epoll_wait(h->epfd, ev, HTTP_EVENTS, 0);

	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;

		if (!c) {
			do_accept(h, h->lfd, now_ms);
			continue;
		}
		if ((void *)c == (void *)h) {
			do_accept(h, h->mfd, now_ms);
			continue;
		}
		switch (c->state) {
		case CS_READ:
			if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(h, c, now_ms);
			break;
		case CS_WRITE:
			if (ev[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				if (conn_write(h, c, now_ms) && c->state == CS_READ)
					conn_process(h, c, now_ms);
			break;
		case CS_LINGER:
			conn_drain(h, c);
			break;
		}
	}
}

uint64_t bs_http_next_deadline(const struct bs_http *h)
{
	return h->nconns ? h->next_tick : UINT64_MAX;
}

void bs_http_tick(struct bs_http *h, uint64_t now_ms)
{
	struct conn *c = h->conns, *next;

	if (now_ms < h->next_tick)
		return;
	h->next_tick = now_ms + HTTP_TICK_MS;
	for (; c; c = next) {
		next = c->next;
		if (now_ms < c->deadline)
			continue;
		if (c->state == CS_READ && c->in_len > 0) {
			/* a head still incomplete at its deadline: slowloris */
			h->st[HS_TIMEOUTS]++;
			count_status(h, 408);
			(void)!send(c->fd, resp_408, sizeof(resp_408) - 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		} else if (c->state == CS_WRITE) {
			h->st[HS_TIMEOUTS]++; /* the client stopped reading */
		}
		conn_close(h, c); /* idle keep-alive and lingering ones quietly */
	}
}

void bs_http_stats_foreach(const struct bs_http *h, bs_stat_fn fn, void *arg)
{
	for (int i = 0; i < HS_COUNT; i++) {
		if (i == HS_REJECTED)
			fn(arg, "http_conns_active", h->nconns);
		fn(arg, hs_names[i], h->st[i]);
	}
}

int bs_http_fd(const struct bs_http *h)
{
	return h->epfd;
}

/* Auto send buffers: a quarter of tcp_mem's low mark (below it the kernel
   does not regulate TCP memory at all) for all bodies, the rest left to
   the host's other sockets; read now, before the sandbox hides /proc/sys.
   tcp_mem is in pages, tcp_wmem in bytes (its third field the ceiling).
   tcp_mem is global and shown only in the first network namespace; in
   another one, the kernel's default for it: 3/64 of RAM (tcp_init()). */
static void read_tcp_mem(struct bs_http *h)
{
	unsigned long long low = 0, wmax = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct sysinfo si;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/tcp_mem", "re");
	if (f) {
		if (fscanf(f, "%llu", &low) != 1)
			low = 0;
		fclose(f);
	} else if (page > 0 && sysinfo(&si) == 0) {
		low = (unsigned long long)si.totalram * si.mem_unit / (unsigned long long)page * 3 / 64;
	}
	f = fopen("/proc/sys/net/ipv4/tcp_wmem", "re");
	if (f) {
		if (fscanf(f, "%*u %*u %llu", &wmax) != 1)
			wmax = 0;
		fclose(f);
	}
	if (low && wmax && page > 0) {
		h->snd_budget = low * (unsigned long long)page / 4;
		h->wmem_max = wmax;
	}
}

/* A listening socket of family fam on b:port, or -1 (errno). */
static int bind_listen(int fam, const struct http_bind *b, uint16_t port, int backlog)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in s4;
		struct sockaddr_in6 s6;
	} u = {0};
	int one = 1, v6only = b->kind == HTTP_BIND_V6, err;
	int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t len;

	if (fd < 0)
		return -1;
	/* TCP (unlike the UDP ports): a restart must not wait out TIME_WAIT.
	   It does not let a second server bind the port while we listen. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6) {
		u.s6.sin6_family = AF_INET6;
		u.s6.sin6_port = htons(port);
		if (b->kind == HTTP_BIND_V6)
			memcpy(&u.s6.sin6_addr, b->v6, sizeof(b->v6));
		/* set both ways: net.ipv6.bindv6only picks the default */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
		len = sizeof(u.s6);
	} else {
		u.s4.sin_family = AF_INET;
		u.s4.sin_port = htons(port);
		u.s4.sin_addr.s_addr = htonl(b->kind == HTTP_BIND_V4 ? b->v4 : INADDR_ANY);
		len = sizeof(u.s4);
	}
	if (bind(fd, &u.sa, len) == 0 && listen(fd, backlog) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* All addresses (HTTP_BIND_ANY): one dual-stack socket on ::, IPv4
   clients arriving v4-mapped, so there is one listener to poll and one
   port to own; a kernel without IPv6 gets 0.0.0.0. */
static int listen_on(const struct bs_http *h, const struct http_bind *b, uint16_t port, int backlog,
		     const char *what)
{
	int fd;

	if (b->kind != HTTP_BIND_ANY)
		return bind_listen(b->kind == HTTP_BIND_V4 ? AF_INET : AF_INET6, b, port, backlog);
	fd = bind_listen(AF_INET6, b, port, backlog);
	if (fd >= 0) {
		bs_logf(h->cfg.log, LOG_INFO, "http: %s on [::]:%u (IPv4 and IPv6)", what, port);
		return fd;
	}
	if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)
		return -1;
	bs_logf(h->cfg.log, LOG_INFO,
		"http: no IPv6 in this kernel (%s): %s on 0.0.0.0:%u, IPv4 only", strerror(errno),
		what, port);
	return bind_listen(AF_INET, b, port, backlog);
}

struct bs_http *bs_http_new(const struct bs_http_config *cfg)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct bs_http *h;
	int err;

	if (!cfg->port || !cfg->cache) {
		errno = EINVAL;
		return NULL;
	}
	/* sendfile() has no MSG_NOSIGNAL: a client that resets mid-body must
	   cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->cfg = *cfg;
	h->epfd = h->lfd = h->mfd = -1;
	if (!h->cfg.max_conns)
		h->cfg.max_conns = HTTP_DEF_MAX_CONNS;
	if (!h->cfg.timeout_ms)
		h->cfg.timeout_ms = HTTP_DEF_TIMEOUT;
	if (!h->cfg.send_buffer)
		read_tcp_mem(h);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		goto fail;
	h->lfd = listen_on(h, &cfg->addr, cfg->port, HTTP_BACKLOG, "boot files");
	if (h->lfd < 0)
		goto fail;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->lfd, &ev) < 0)
		goto fail;
	if (cfg->metrics_port && cfg->stats) {
		h->mfd = listen_on(h, &cfg->metrics_addr, cfg->metrics_port, 64, "/metrics");
		if (h->mfd < 0)
			goto fail;
		ev.data.ptr = h; /* tells the metrics listener from the boot one */
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->mfd, &ev) < 0)
			goto fail;
	}
	h->next_tick = UINT64_MAX;
	return h;

fail:
	err = errno;
	if (h->mfd >= 0)
		close(h->mfd);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
	errno = err;
	return NULL;
}

void bs_http_free(struct bs_http *h)
{
	if (!h)
		return;
	while (h->conns)
		conn_close(h, h->conns);
	close(h->lfd);
	if (h->mfd >= 0)
		close(h->mfd);
	close(h->epfd);
	free(h);
}
