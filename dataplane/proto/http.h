/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x for boot files: request parser, Range logic, conditional
 * requests and the response head. Pure: no I/O, no clock reads, no
 * globals; the connection handling lives in dataplane/http_server.c.
 *
 * Only what a boot server needs: GET and HEAD of static files, single
 * byte ranges, ETag/Last-Modified revalidation, keep-alive and pipelining.
 * Hostile input is the normal case: every limit is checked before a byte
 * past it is read, and anything ambiguous (duplicate Content-Length,
 * Content-Length with Transfer-Encoding, obs-fold, CTLs) is a 400 rather
 * than a guess, so no proxy in front of us can be made to disagree with us
 * about where a request ends.
 */
#ifndef BS_PROTO_HTTP_H
#define BS_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_URI_MAX	2048 /* request-target bytes; longer: 414 */
#define HTTP_HEADER_MAX 8192 /* request line + headers + empty line; more: 431 */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

/* Where an HTTP listener binds (http-address=, metrics-address=). All
   zero = every address: IPv6 dual stack on ::, or 0.0.0.0 when the
   kernel has no IPv6. Plain data, so two can be compared with memcmp. */
enum http_bind_kind { HTTP_BIND_ANY, HTTP_BIND_V4, HTTP_BIND_V6 };
struct http_bind {
	enum http_bind_kind kind;
	uint32_t v4;	/* HTTP_BIND_V4, host order (0 = 0.0.0.0) */
	uint8_t v6[16]; /* HTTP_BIND_V6, network order */
};

struct http_req {
	/* 0 when the request is valid and may be served, else the status to
	   answer with (400, 405, 413, 414, 431, 505); the connection is then
	   closed unless http_status_keeps_conn(). */
	int status;
	enum http_method method;
	int version;	 /* 10 or 11 */
	bool keep_alive; /* after this response (version default + Connection) */
	bool has_body;	 /* Content-Length > 0 or Transfer-Encoding (refused) */
	/* decoded path, query string removed, NUL-terminated (never contains
	   NUL itself: %00 is a 400); starts with '/' when status == 0 */
	char path[HTTP_URI_MAX + 1];
	size_t path_len;
	/* raw header values (pointers into the parsed buffer: valid as long as
	   it is) */
	const char *range, *if_none_match, *if_modified_since, *if_range;
	size_t range_len, if_none_match_len, if_modified_since_len, if_range_len;
	/* raw (not decoded) query string after '?', without the '?' and any
	   fragment; the Host field's value (or the absolute-form target's
	   authority). Pointers into the parsed buffer, NULL/0 when absent. */
	const char *query, *host;
	size_t query_len, host_len;
};

/*
 * Parse one request from buf[0..len). Returns 0 when more bytes are
 * needed (and the limits are not reached yet), else the number of bytes
 * the request took (request line + headers; we never accept a body), with
 * req->status set. A request refused for its size (414, 431) consumes the
 * whole buffer: the connection closes after the answer.
 * Bare LF line ends are accepted (RFC 9112 2.2), empty lines before the
 * request line are skipped. HTTP/1.1 without Host is a 400 (RFC 9112 3.2).
 */
size_t http_parse(const char *buf, size_t len, struct http_req *req);

/* Whether the connection may stay open after answering this status. */
bool http_status_keeps_conn(int status);

/* "Not Found" for 404 ...; "Unknown" for a code not used here. */
const char *http_reason(int status);

/*
 * Byte range of a Range header value against a file of size bytes:
 *   206 + start, len    one satisfiable range (clipped to the file)
 *   416                 a syntactically valid range none of which is
 *                       satisfiable ("Content-Range: bytes *" "/size")
 *   200                 no usable range: serve the whole file. This is
 *                       also the answer to several ranges (RFC 9110 allows
 *                       ignoring Range; one full body is simpler and safer
 *                       than multipart/byteranges) and to invalid syntax.
 */
int http_range(const char *v, size_t vlen, uint64_t size, uint64_t *start, uint64_t *len);

/* The version a file is served from, for validators. */
struct http_file_info {
	uint64_t size;
	uint64_t ino;
	int64_t mtime; /* seconds */
	uint32_t mtime_nsec;
};

/* Strong ETag from inode, size and mtime, quotes included; returns length. */
size_t http_etag(const struct http_file_info *fi, char *buf, size_t cap);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): 0 and *t, or -1. The
   obsolete RFC 850 and asctime forms are not accepted (the header is then
   ignored, which only costs a full response). */
int http_parse_date(const char *s, size_t n, int64_t *t);
/* IMF-fixdate of t into buf (at least 30 bytes). */
void http_format_date(int64_t t, char *buf, size_t cap);

/* What to answer to a valid GET/HEAD for an existing file. */
struct http_answer {
	int status;	/* 200, 206, 304, 416 */
	uint64_t start; /* body: file bytes [start, start + len) */
	uint64_t len;
};
void http_decide(const struct http_req *req, const struct http_file_info *fi,
		 struct http_answer *out);

/* Everything the response head says. */
struct http_resp {
	int status;
	bool keep_alive;
	uint64_t content_length;
	const char *content_type; /* NULL: no Content-Type */
	int64_t now;		  /* Date: */
	/* file responses (200, 206, 304, 416): NULL fi = none */
	const struct http_file_info *fi;
	uint64_t range_start, range_len; /* 206 */
	bool allow;			 /* 405: Allow: GET, HEAD */
};

/* The head into buf; returns its length, or 0 if cap is too small (512
   bytes always suffice). */
size_t http_build_head(const struct http_resp *r, char *buf, size_t cap);

/* Content-Type by extension (.efi -> application/efi, as EDK2's HTTP boot
   recognises it; else application/octet-stream). */
const char *http_content_type(const char *path, size_t len);

/*
 * The send buffer of a connection about to send a large body while
 * nconns connections are open (it included). Many concurrent downloads
 * each autotuned up to net.ipv4.tcp_wmem's ceiling (wmem_max, 4 MiB by
 * default) add up past net.ipv4.tcp_mem, and a kernel under TCP memory
 * pressure shrinks every buffer and throughput collapses (1,000 downloads
 * over veth: 709 MB/s at 2 MiB a connection, 2,957 MB/s at 256 KiB, see
 * docs/http.md). So all bodies together get budget bytes: each connection
 * its share, never less than HTTP_SNDBUF_FLOOR (a 10 Gbit/s LAN's
 * bandwidth-delay product with room to spare). Returns the SO_SNDBUF value
 * to set (the kernel doubles it for its bookkeeping), or 0: the share is
 * at least what autotuning may reach, leave it to the kernel.
 */
#define HTTP_SNDBUF_FLOOR (256u << 10)
uint32_t http_send_buffer(uint64_t budget, uint32_t nconns, uint64_t wmem_max);

/*
 * Prometheus text exposition (format 0.0.4) of counters given one at a
 * time as (name, value), in the order bs_stat_fn walks give them. Names
 * become bootstorm_<name>, some prefixes become a family with a label
 * (http_status_2xx -> bootstorm_http_responses_total{code="2xx"},
 * dhcp_rx_discover -> bootstorm_dhcp_rx_total{type="discover"}, ...),
 * counters get the _total suffix, gauges (active connections, cache size,
 * leases ...) do not. # HELP and # TYPE precede each family's first sample.
 * The buffer grows with realloc; after a failed allocation err is set and
 * the text is incomplete.
 */
struct http_metrics {
	char *buf;
	size_t len, cap;
	int err;	  /* 0 or -ENOMEM */
	char family[128]; /* of the previous sample */
};
void http_metrics_add(void *m, const char *name, uint64_t value);
void http_metrics_free(struct http_metrics *m);

#endif
