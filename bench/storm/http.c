/* SPDX-License-Identifier: MIT */
/*
 * HTTP downloads of the emulated clients, through kernel TCP sockets bound
 * to each client's leased address (netsetup.c makes the kernel take those
 * addresses), non-blocking, in the generator's epoll loop.
 *
 * A client has a queue of URLs; each is one HTTP/1.1 GET (a UEFI HTTP boot
 * client sends HEAD first, as EDK2 does), on one keep-alive connection while
 * the host stays the same and the server does not close it. The status must
 * be 200 and the body exactly Content-Length bytes. An iPXE script is kept
 * and parsed (ipxe.c): its kernel/initrd URLs join the queue.
 *
 * Timeouts, as firmware behaves: a request makes no progress (connect, first
 * byte, any byte) for --http-timeout (5 s, EDK2 HttpBootDxe's request and
 * response timeouts) -> a connection that has not started its response is
 * retried from a new connection, --http-retries times (2), the timeout
 * doubled each time; a response that stalls or ends short fails the boot
 * (firmware does not resume a download). A kept-alive connection the server
 * closed before answering the next request is reopened once, not counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/bytes.h"
#include "storm.h"

enum { HS_WAIT_HOST, HS_CONNECT, HS_SEND, HS_HEAD, HS_BODY };

#define HTTP_QUEUE    6
#define HTTP_HEAD_MAX 4096
#define SCRIPT_MAX    (16u << 10)

struct storm_http {
	int fd;
	uint8_t state;
	uint8_t tries; /* connections opened for the current request */
	bool reopened; /* the current request already survived a closed keep-alive */
	bool keep;     /* the server keeps the connection open */
	bool head_req; /* the current request is the HEAD before a GET */
	uint16_t conn_reqs;
	uint32_t host_ip, conn_ip; /* conn_*: where fd is connected */
	uint16_t port, conn_port;
	unsigned nurl, cur;
	struct {
		char url[STORM_URL_MAX];
		uint8_t flags;
	} q[HTTP_QUEUE];
	char head[HTTP_HEAD_MAX];
	size_t head_len;
	uint64_t clen, got;
	bool has_clen;
	char *body;
	size_t body_len;
	bool truncated;
	char req[STORM_URL_MAX + 160];
	size_t req_len, req_off;
};

static uint8_t rbuf[256 << 10];

static uint64_t http_timeout(const struct storm *s, unsigned tries)
{
	return (uint64_t)(s->cfg.http_timeout_s * (double)NS_PER_S) << (tries < 4 ? tries : 4);
}

int storm_url_split(const char *url, uint32_t *ip, uint16_t *port, const char **path)
{
	const char *h, *p;
	unsigned a[4], pt = 80;
	int n = 0;

	if (strncasecmp(url, "http://", 7))
		return -EINVAL;
	h = url + 7;
	if (sscanf(h, "%3u.%3u.%3u.%3u%n", &a[0], &a[1], &a[2], &a[3], &n) != 4 || a[0] > 255 ||
	    a[1] > 255 || a[2] > 255 || a[3] > 255)
		return -EINVAL; /* no DNS: an IPv4 address only */
	p = h + n;
	if (*p == ':') {
		char *e;
		unsigned long v = strtoul(p + 1, &e, 10);

		if (e == p + 1 || v == 0 || v > 65535)
			return -EINVAL;
		pt = (unsigned)v;
		p = e;
	}
	if (*p && *p != '/')
		return -EINVAL;
	*ip = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	*port = (uint16_t)pt;
	*path = *p ? p : "/";
	return 0;
}

int storm_http_queue(struct storm *s, struct storm_client *c, const char *url, uint8_t flags)
{
	struct storm_http *h = c->http;

	(void)s;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		h->fd = -1;
		c->http = h;
	}
	if (h->nurl == HTTP_QUEUE || strlen(url) >= STORM_URL_MAX)
		return -ENOSPC;
	snprintf(h->q[h->nurl].url, STORM_URL_MAX, "%s", url);
	h->q[h->nurl++].flags = flags;
	return 0;
}

static void http_close(struct storm *s, struct storm_http *h)
{
	if (h->fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, h->fd, NULL);
		close(h->fd);
		s->st.http_open--;
	}
	h->fd = -1;
	h->conn_reqs = 0;
}

static void http_free(struct storm *s, struct storm_client *c)
{
	if (!c->http)
		return;
	http_close(s, c->http);
	free(c->http->body);
	free(c->http);
	c->http = NULL;
}

static void http_fail(struct storm *s, struct storm_client *c, enum storm_fail why, uint64_t now)
{
	if (s->cfg.verbose && c->http) {
		static const char *const state[] = {"waiting for the server's MAC", "connecting",
						    "sending", "waiting for the response",
						    "reading the body"};
		const struct storm_http *h = c->http;

		fprintf(stderr, "client %u: %s for %s (%s, connection %u, %llu of %llu bytes)\n",
			c->idx, storm_fail_name[why], h->q[h->cur].url, state[h->state], h->tries,
			(unsigned long long)h->got, (unsigned long long)h->clen);
	}
	http_free(s, c);
	storm_client_fail(s, c, why, now);
}

static void arm(struct storm *s, struct storm_client *c, uint64_t now)
{
	storm_timer_set(s, c, now + http_timeout(s, c->http->tries));
}

static void send_request(struct storm *s, struct storm_client *c, uint64_t now);

static void connect_host(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(c->ip)};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(h->host_ip),
				 .sin_port = htons(h->port)};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = c->idx};
	int one = 1, rcvbuf = 256 << 10;

	http_close(s, h);
	h->tries++;
	s->st.http_connects++;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		http_fail(s, c, FAIL_HTTP_CONNECT, now);
		return;
	}
	s->st.http_open++;
	/* without the local route (--no-netsetup, not set up yet) bind fails;
	 * freebind lets the operator's own setup decide */
	setsockopt(h->fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	/* a firmware-sized receive window (iPXE's TCP window tops out at
	 * 256 KiB), not Linux's autotuning up to tcp_rmem[2]: it also keeps
	 * the server's send buffers from growing without bound when server and
	 * generator share a kernel (and its tcp_mem) */
	setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(h->fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    (connect(h->fd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0) {
		if (s->cfg.verbose)
			fprintf(stderr, "client %u: connect: %s\n", c->idx, strerror(errno));
		http_fail(s, c, FAIL_HTTP_CONNECT, now);
		return;
	}
	h->conn_ip = h->host_ip;
	h->conn_port = h->port;
	h->state = HS_CONNECT;
	arm(s, c, now);
}

/* start the request at q[cur]: on the open connection if it goes to the
 * same server, else from a new one (after the server's MAC is known) */
static void request(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;
	const char *path;

	if (storm_url_split(h->q[h->cur].url, &h->host_ip, &h->port, &path) < 0) {
		http_fail(s, c, FAIL_HTTP_URL, now);
		return;
	}
	h->req_len = (size_t)snprintf(h->req, sizeof(h->req),
				      "%s %s HTTP/1.1\r\nHost: %u.%u.%u.%u:%u\r\n"
				      "User-Agent: bootstorm-storm\r\nAccept: */*\r\n\r\n",
				      h->head_req ? "HEAD" : "GET", path, h->host_ip >> 24,
				      (h->host_ip >> 16) & 255, (h->host_ip >> 8) & 255,
				      h->host_ip & 255, h->port);
	h->req_off = 0;
	if (h->fd >= 0 && h->keep && h->conn_ip == h->host_ip && h->conn_port == h->port) {
		send_request(s, c, now);
		return;
	}
	http_close(s, h);
	if (storm_host_ready(s, c, h->host_ip, now)) {
		connect_host(s, c, now);
	} else {
		h->state = HS_WAIT_HOST;
		arm(s, c, now);
	}
}

void storm_http_host_ready(struct storm *s, struct storm_client *c, uint64_t now)
{
	if (c->http && c->http->state == HS_WAIT_HOST && c->phase == PH_HTTP &&
	    storm_host_ready(s, c, c->http->host_ip, now))
		connect_host(s, c, now);
}

static void next_request(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;

	h->tries = 0;
	h->reopened = false;
	h->head_len = 0;
	h->got = 0;
	h->clen = 0;
	h->has_clen = false;
	h->body_len = 0;
	h->truncated = false;
	h->head_req = (h->q[h->cur].flags & STORM_HTTP_HEAD) && !h->head_req;
	request(s, c, now);
}

void storm_http_start(struct storm *s, struct storm_client *c, uint64_t now)
{
	c->phase = PH_HTTP;
	c->http->cur = 0;
	c->http->head_req = false;
	next_request(s, c, now);
}

static void send_request(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = c->idx};

	while (h->req_off < h->req_len) {
		ssize_t n = send(h->fd, h->req + h->req_off, h->req_len - h->req_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN) {
				ev.events |= EPOLLOUT;
				break;
			}
			http_fail(s, c, FAIL_HTTP_CONNECT, now);
			return;
		}
		h->req_off += (size_t)n;
	}
	if (h->req_off == h->req_len) {
		s->st.http_requests++;
		h->conn_reqs++;
		h->state = HS_HEAD;
	} else {
		h->state = HS_SEND;
	}
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, h->fd, &ev);
	arm(s, c, now);
}

/* parse the response head; 0, or a failure reason */
static enum storm_fail parse_head(struct storm_http *h, size_t end)
{
	char *line, *save = NULL;
	unsigned status;
	int minor;

	h->head[end] = 0;
	if (sscanf(h->head, "HTTP/1.%d %3u", &minor, &status) != 2)
		return FAIL_HTTP_PROTO;
	h->keep = minor >= 1;
	strtok_r(h->head, "\r\n", &save);
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *v = strchr(line, ':');

		if (!v)
			return FAIL_HTTP_PROTO;
		*v++ = 0;
		v += strspn(v, " \t");
		if (!strcasecmp(line, "Content-Length")) {
			char *e;

			h->clen = strtoull(v, &e, 10);
			if (e == v)
				return FAIL_HTTP_PROTO;
			h->has_clen = true;
		} else if (!strcasecmp(line, "Connection")) {
			if (!strncasecmp(v, "close", 5))
				h->keep = false;
			else if (!strncasecmp(v, "keep-alive", 10))
				h->keep = true;
		} else if (!strcasecmp(line, "Transfer-Encoding") && strcasecmp(v, "identity")) {
			return FAIL_HTTP_PROTO; /* a boot file is never chunked */
		}
	}
	if (status != 200)
		return FAIL_HTTP_STATUS;
	if (h->head_req)
		h->has_clen = true, h->clen = 0; /* HEAD: no body, whatever the length */
	if (!h->has_clen)
		h->keep = false; /* the body ends when the server closes */
	return FAIL_NONE;
}

static void response_done(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;

	if (!h->keep)
		http_close(s, h);
	if (h->head_req) {
		next_request(s, c, now); /* the GET after the HEAD */
		return;
	}
	s->st.http_files++;
	if (h->q[h->cur].flags & STORM_HTTP_SCRIPT) {
		int err = storm_ipxe_script(s, c, h->q[h->cur].url, h->body ? h->body : "",
					    h->body_len, h->truncated);

		if (err) {
			http_fail(s, c, (enum storm_fail)err, now);
			return;
		}
	}
	if (!c->t_loader)
		c->t_loader = now; /* the first file is the loader (or script) */
	if (++h->cur < h->nurl) {
		c->files_phase = true;
		next_request(s, c, now);
		return;
	}
	http_free(s, c);
	storm_client_http_done(s, c, now);
}

/* bytes of the response body */
static bool body_bytes(struct storm *s, struct storm_client *c, const uint8_t *p, size_t n,
		       uint64_t now)
{
	struct storm_http *h = c->http;

	if (h->has_clen && h->got + n > h->clen)
		n = (size_t)(h->clen - h->got); /* a pipelining server's next reply: never */
	h->got += n;
	s->st.http_bytes += n;
	storm_bucket_add_http(s, now, n);
	if ((h->q[h->cur].flags & STORM_HTTP_SCRIPT) && !h->head_req) {
		/* the first SCRIPT_MAX bytes: a chained loader binary is
		 * fetched whole and never parsed */
		size_t keep = h->body_len + n > SCRIPT_MAX ? SCRIPT_MAX - h->body_len : n;

		if (!h->body)
			h->body = malloc(SCRIPT_MAX + 1);
		if (!h->body) {
			http_fail(s, c, FAIL_HTTP_PROTO, now);
			return false;
		}
		memcpy(h->body + h->body_len, p, keep);
		h->body_len += keep;
		h->body[h->body_len] = 0;
		h->truncated |= keep < n;
	}
	if (h->has_clen && h->got == h->clen) {
		response_done(s, c, now);
		return false;
	}
	return true;
}

/* false: the client left this request (done, failed or reconnecting) */
static bool got_bytes(struct storm *s, struct storm_client *c, const uint8_t *p, size_t n,
		      uint64_t now)
{
	struct storm_http *h = c->http;

	if (h->state == HS_HEAD) {
		size_t take =
		    n < HTTP_HEAD_MAX - 1 - h->head_len ? n : HTTP_HEAD_MAX - 1 - h->head_len;
		char *end;
		size_t hend, rest;
		enum storm_fail why;

		memcpy(h->head + h->head_len, p, take);
		h->head_len += take;
		h->head[h->head_len] = 0;
		end = strstr(h->head, "\r\n\r\n");
		if (!end) {
			if (h->head_len == HTTP_HEAD_MAX - 1) {
				http_fail(s, c, FAIL_HTTP_PROTO, now);
				return false;
			}
			return true;
		}
		hend = (size_t)(end - h->head) + 4;
		/* what followed the head in this read is body */
		rest = h->head_len - hend;
		p += take - rest;
		n = rest + (n - take);
		why = parse_head(h, hend - 2);
		if (why) {
			if (why == FAIL_HTTP_STATUS)
				s->st.http_bad_status++;
			http_fail(s, c, why, now);
			return false;
		}
		h->state = HS_BODY;
		if (h->has_clen && h->clen == 0) {
			response_done(s, c, now);
			return false;
		}
	}
	return n == 0 || body_bytes(s, c, p, n, now);
}

/* the server closed (or reset) the connection */
static void got_eof(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;

	if (h->state == HS_BODY && !h->has_clen) {
		response_done(s, c, now);
		return;
	}
	if (h->state == HS_HEAD && h->head_len == 0 && h->conn_reqs > 1 && !h->reopened) {
		/* a kept-alive connection closed under the next request */
		h->reopened = true;
		h->keep = false;
		h->tries--;
		request(s, c, now);
		return;
	}
	http_fail(s, c, h->state == HS_BODY || h->head_len ? FAIL_HTTP_SHORT : FAIL_HTTP_CONNECT,
		  now);
}

void storm_http_event(struct storm *s, struct storm_client *c, uint32_t events, uint64_t now)
{
	struct storm_http *h = c->http;

	if (!h || h->fd < 0 || c->phase != PH_HTTP)
		return;
	if (h->state == HS_CONNECT) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			if (s->cfg.verbose)
				fprintf(stderr, "client %u: connect: %s\n", c->idx, strerror(err));
			/* refused / unreachable: tried again when the
			 * timeout runs out, as after a lost SYN */
			http_close(s, h);
			return;
		}
		/* an event of a socket closed earlier in this batch may land on
		 * its successor: still connecting, wait for its own */
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);

		if (getpeername(h->fd, (struct sockaddr *)&peer, &pl) < 0)
			return;
		send_request(s, c, now);
		return;
	}
	if (h->state == HS_SEND) {
		send_request(s, c, now);
		return;
	}
	for (int i = 0; i < 4; i++) {
		ssize_t n = recv(h->fd, rbuf, sizeof(rbuf), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			got_eof(s, c, now);
			return;
		}
		if (n < 0)
			break;
		if (!got_bytes(s, c, rbuf, (size_t)n, now))
			return;
		if ((size_t)n < sizeof(rbuf))
			break;
	}
	c->deadline = now + http_timeout(s, h->tries); /* progress: lazy re-arm */
}

void storm_http_expire(struct storm *s, struct storm_client *c, uint64_t now)
{
	struct storm_http *h = c->http;
	bool started = h->state == HS_BODY || h->head_len;

	if (started) {
		http_fail(s, c, FAIL_HTTP_TIMEOUT, now);
		return;
	}
	if (h->tries > s->cfg.http_retries) {
		http_fail(s, c, h->state == HS_HEAD ? FAIL_HTTP_TIMEOUT : FAIL_HTTP_CONNECT, now);
		return;
	}
	s->st.http_retries++;
	if (h->state == HS_WAIT_HOST) {
		h->tries++;
		if (storm_host_ready(s, c, h->host_ip, now))
			connect_host(s, c, now);
		else
			arm(s, c, now);
		return;
	}
	h->keep = false;
	request(s, c, now);
}

void storm_http_abort(struct storm *s, struct storm_client *c)
{
	http_free(s, c);
}
