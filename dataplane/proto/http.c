/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x request parsing and response heads (see http.h).
 *
 * The parser works on the whole head at once: it first finds the empty
 * line that ends it, within HTTP_HEADER_MAX bytes, and only then looks at
 * lines. A head that is not complete yet costs nothing but that scan, and
 * the server rescans only when new bytes arrived.
 */
#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return true;
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);

	return an == bn && strncasecmp(a, b, bn) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Find the end of the head: the index just past the empty line, or 0.
 * *first_line_len: length of the first non-empty line if it is complete,
 * else 0 (for the 414 check).
 */
static size_t head_end(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		/* an empty line: "\n\n" or "\n\r\n" */
		if (i + 1 < n && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Skip empty lines before the request line (RFC 9112 2.2). */
static size_t skip_leading_crlf(const char *b, size_t n)
{
	size_t i = 0;

	while (i < n && (b[i] == '\n' || (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n')))
		i += b[i] == '\r' ? 2 : 1;
	return i;
}

/* Decode the path of an origin-form target into req->path. 0 or status. */
static int decode_path(const char *p, size_t n, struct http_req *req)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '?' || c == '#') {
			/* the query string does not name a file */
			if (c == '?') {
				size_t q = i + 1, e = q;

				while (e < n && p[e] != '#')
					e++;
				req->query = p + q;
				req->query_len = e - q;
			}
			break;
		}
		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return 400; /* truncated escape */
			h = hexval(p[i + 1]);
			l = hexval(p[i + 2]);
			if (h < 0 || l < 0)
				return 400;
			c = (unsigned char)(h << 4 | l);
			i += 2;
			if (c == 0)
				return 400;
		}
		if (c < 0x20 || c == 0x7f)
			return 400;
		req->path[o++] = (char)c;
	}
	req->path[o] = '\0';
	req->path_len = o;
	/* Traversal checks after decoding: "%2e%2e" and "%2f" are ".." and
	   "/" now. The cache confines opens in the kernel anyway (openat2
	   RESOLVE_BENEATH); this gives the client a clear 403 and keeps ".."
	   out of the cache's index. */
	for (size_t s = 0; s < o;) {
		size_t e = s;

		while (e < o && req->path[e] != '/')
			e++;
		if (e - s == 2 && req->path[s] == '.' && req->path[s + 1] == '.')
			return 403;
		s = e + 1;
	}
	if (strchr(req->path, '\\'))
		return 403; /* never a separator here, but a classic probe */
	return 0;
}

/* request-target -> path. Origin-form "/p?q" or absolute-form
   "http://host[:port]/p?q" (RFC 9112 3.2.2: servers must accept it). */
static int parse_target(const char *t, size_t n, struct http_req *req, bool *has_host)
{
	if (n > 7 && strncasecmp(t, "http://", 7) == 0) {
		size_t i = 7;

		while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
			i++;
		if (i == 7)
			return 400;
		*has_host = true; /* the target's authority is the host */
		req->host = t + 7;
		req->host_len = i - 7;
		if (i == n) {
			req->path[0] = '/';
			req->path[1] = '\0';
			req->path_len = 1;
			return 0;
		}
		if (t[i] != '/')
			return 400;
		t += i;
		n -= i;
	}
	if (n == 0 || t[0] != '/')
		return 400;
	return decode_path(t, n, req);
}

static int parse_version(const char *v, size_t n, int *out)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	*out = v[7] == '0' ? 10 : 11; /* 1.x for x > 1 is served as 1.1 */
	return 0;
}

/*
 * The next element of a comma-separated header list (RFC 9110 5.6.1) at
 * *i: [*s, *e) without surrounding whitespace. False when the list is done.
 */
static bool list_next(const char *v, size_t n, size_t *i, size_t *s, size_t *e)
{
	while (*i < n && (v[*i] == ' ' || v[*i] == '\t' || v[*i] == ','))
		(*i)++;
	if (*i >= n)
		return false;
	*s = *i;
	while (*i < n && v[*i] != ',')
		(*i)++;
	*e = *i;
	while (*e > *s && (v[*e - 1] == ' ' || v[*e - 1] == '\t'))
		(*e)--;
	return true;
}

/* "Connection: keep-alive, close" tokens. */
static void connection_tokens(const char *v, size_t n, bool *close, bool *keep)
{
	size_t i = 0, s, e;

	while (list_next(v, n, &i, &s, &e)) {
		if (ieq(v + s, e - s, "close"))
			*close = true;
		else if (ieq(v + s, e - s, "keep-alive"))
			*keep = true;
	}
}

static int parse_content_length(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return 400;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400; /* also "5, 5": a list is a duplicate */
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

size_t http_parse(const char *buf, size_t len, struct http_req *req)
{
	size_t skip = skip_leading_crlf(buf, len);
	const char *b = buf + skip;
	size_t n = len - skip, end, pos, line_end;
	bool has_host = false, has_cl = false, has_te = false, conn_close = false,
	     conn_keep = false;
	unsigned host_fields = 0;
	uint64_t cl = 0;
	const char *sp1, *sp2;
	int st;

	memset(req, 0, sizeof(*req));
	req->path[0] = '\0';
	end = head_end(b, n > HTTP_HEADER_MAX ? HTTP_HEADER_MAX : n);
	if (!end) {
		const char *lf = memchr(b, '\n', n);

		/* The request line alone is over the URI limit: 414 before the
		   header limit can say 431. */
		if ((!lf && n > HTTP_URI_MAX + 64) ||
		    (lf && (size_t)(lf - b) > HTTP_URI_MAX + 64)) {
			req->status = 414;
			return len;
		}
		if (len >= HTTP_HEADER_MAX) { /* empty lines before count too */
			req->status = 431;
			return len;
		}
		return 0;
	}

	/* the request line */
	line_end = (size_t)((const char *)memchr(b, '\n', end) - b);
	{
		size_t ll = line_end;

		if (ll && b[ll - 1] == '\r')
			ll--;
		sp1 = memchr(b, ' ', ll);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(b + ll - sp1 - 1)) : NULL;
		if (!sp1 || !sp2 || sp1 == b || sp2 == sp1 + 1) {
			req->status = 400;
			return skip + end;
		}
		for (const char *p = b; p < sp1; p++)
			if (!is_tchar((unsigned char)*p)) {
				req->status = 400;
				return skip + end;
			}
		if ((size_t)(sp2 - sp1 - 1) > HTTP_URI_MAX) {
			req->status = 414;
			return skip + end;
		}
		/* the target: visible ASCII only (no CTL, no space, no 8-bit) */
		for (const char *p = sp1 + 1; p < sp2; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				req->status = 400;
				return skip + end;
			}
		st = parse_version(sp2 + 1, (size_t)(b + ll - sp2 - 1), &req->version);
		if (st) {
			req->status = st;
			return skip + end;
		}
		if (sp1 - b == 3 && memcmp(b, "GET", 3) == 0)
			req->method = HTTP_GET;
		else if (sp1 - b == 4 && memcmp(b, "HEAD", 4) == 0)
			req->method = HTTP_HEAD;
		else
			req->method = HTTP_OTHER; /* methods are case-sensitive */
		st = parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), req, &has_host);
		if (st && req->method != HTTP_OTHER) {
			req->status = st;
			return skip + end;
		}
	}

	/* header fields, up to the empty line */
	for (pos = line_end + 1; pos < end;) {
		const char *l = b + pos, *colon, *v, *ve;
		const char *nl = memchr(l, '\n', end - pos);
		size_t ll = (size_t)(nl - l);

		pos += ll + 1;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break; /* the empty line */
		if (l[0] == ' ' || l[0] == '\t') {
			req->status = 400; /* obs-fold (RFC 9112 5.2) */
			return skip + end;
		}
		colon = memchr(l, ':', ll);
		if (!colon || colon == l) {
			req->status = 400;
			return skip + end;
		}
		for (const char *p = l; p < colon; p++)
			if (!is_tchar((unsigned char)*p)) {
				/* includes "Name :" (RFC 9112 5.1: must 400) */
				req->status = 400;
				return skip + end;
			}
		for (const char *p = colon + 1; p < l + ll; p++) {
			unsigned char c = (unsigned char)*p;

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				req->status = 400; /* NUL, bare CR, other CTLs */
				return skip + end;
			}
		}
		v = colon + 1;
		ve = l + ll;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;

		size_t nl_ = (size_t)(colon - l), vl = (size_t)(ve - v);

		if (ieq(l, nl_, "host")) {
			if (host_fields++) {
				req->status = 400; /* two Host fields */
				return skip + end;
			}
			has_host = true;
			req->host = v; /* preferred to an absolute-form authority */
			req->host_len = vl;
		} else if (ieq(l, nl_, "content-length")) {
			if (has_cl || parse_content_length(v, vl, &cl)) {
				req->status = 400;
				return skip + end;
			}
			has_cl = true;
		} else if (ieq(l, nl_, "transfer-encoding")) {
			has_te = true;
		} else if (ieq(l, nl_, "connection")) {
			connection_tokens(v, vl, &conn_close, &conn_keep);
		} else if (ieq(l, nl_, "range")) {
			req->range = v;
			req->range_len = vl;
		} else if (ieq(l, nl_, "if-none-match")) {
			req->if_none_match = v;
			req->if_none_match_len = vl;
		} else if (ieq(l, nl_, "if-modified-since")) {
			req->if_modified_since = v;
			req->if_modified_since_len = vl;
		} else if (ieq(l, nl_, "if-range")) {
			req->if_range = v;
			req->if_range_len = vl;
		}
	}

	req->keep_alive = req->version == 11 ? !conn_close : (conn_keep && !conn_close);
	req->has_body = has_te || cl > 0;
	if (has_te) {
		/* Content-Length + Transfer-Encoding is the request smuggling
		   pattern; a GET/HEAD with a chunked body is nothing we serve. */
		req->status = 400;
	} else if (req->version == 11 && !has_host) {
		req->status = 400;
	} else if (req->method == HTTP_OTHER) {
		req->status = 405;
	} else if (cl > 0) {
		req->status = 413; /* GET/HEAD with a body: we never read one */
	}
	return skip + end;
}

bool http_status_keeps_conn(int status)
{
	switch (status) {
	case 200:
	case 206:
	case 304:
	case 403:
	case 404:
	case 416:
		return true;
	default:
		return false; /* errors: the stream may be out of sync */
	}
}

static const struct {
	int status;
	const char *reason;
} reasons[] = {
    {200, "OK"},
    {206, "Partial Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

const char *http_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

/* Digits into *out; false when none or more than 19 (overflow guard). */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*out = x;
	return true;
}

int http_range(const char *v, size_t vlen, uint64_t size, uint64_t *start, uint64_t *len)
{
	const char *p, *e = v + vlen, *dash;
	uint64_t a, b;
	size_t sl;

	if (vlen < 6 || strncasecmp(v, "bytes=", 6) != 0)
		return 200; /* another unit or garbage: ignore (RFC 9110 14.2) */
	p = v + 6;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (memchr(p, ',', (size_t)(e - p)))
		return 200; /* several ranges: one full body instead */
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	dash = memchr(p, '-', (size_t)(e - p));
	if (!dash)
		return 200;
	sl = (size_t)(dash - p);
	if (sl == 0) {
		/* suffix: the last b bytes */
		if (!parse_u64(dash + 1, (size_t)(e - dash - 1), &b))
			return 200;
		if (b == 0 || size == 0)
			return 416;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return 206;
	}
	if (!parse_u64(p, sl, &a))
		return 200;
	if (dash + 1 == e) {
		b = UINT64_MAX; /* "a-": to the end */
	} else {
		if (!parse_u64(dash + 1, (size_t)(e - dash - 1), &b))
			return 200;
		if (b < a)
			return 200; /* invalid: ignored, not 416 */
	}
	if (a >= size)
		return 416;
	if (b >= size)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return 206;
}

size_t http_etag(const struct http_file_info *fi, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "\"%llx-%llx-%llx.%x\"", (unsigned long long)fi->ino,
			 (unsigned long long)fi->size, (unsigned long long)fi->mtime,
			 (unsigned)fi->mtime_nsec);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void http_format_date(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, cap, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool two(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

int http_parse_date(const char *s, size_t n, int64_t *t)
{
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	struct tm tm = {0};
	int y1, y2, mon = -1;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
	    s[19] != ':' || s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, months[i], 3) == 0)
			mon = i;
	if (mon < 0 || !two(s + 5, &tm.tm_mday) || !two(s + 12, &y1) || !two(s + 14, &y2) ||
	    !two(s + 17, &tm.tm_hour) || !two(s + 20, &tm.tm_min) || !two(s + 23, &tm.tm_sec))
		return -1;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	tm.tm_mon = mon;
	tm.tm_year = y1 * 100 + y2 - 1900;
	*t = (int64_t)timegm(&tm);
	return 0;
}

/* If-None-Match list against our strong tag, weak comparison (RFC 9110
   13.1.2): W/ prefixes are ignored. */
static bool etag_list_matches(const char *v, size_t n, const char *tag, size_t tl)
{
	size_t i = 0, s, e;

	while (list_next(v, n, &i, &s, &e)) {
		if (e - s == 1 && v[s] == '*')
			return true;
		if (e - s > 2 && v[s] == 'W' && v[s + 1] == '/')
			s += 2;
		if (e - s == tl && memcmp(v + s, tag, tl) == 0)
			return true;
	}
	return false;
}

void http_decide(const struct http_req *req, const struct http_file_info *fi,
		 struct http_answer *out)
{
	char tag[96];
	size_t tl = http_etag(fi, tag, sizeof(tag));
	int64_t t;
	bool use_range = req->range != NULL;

	out->status = 200;
	out->start = 0;
	out->len = fi->size;
	/* RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only
	   without it. */
	if (req->if_none_match) {
		if (etag_list_matches(req->if_none_match, req->if_none_match_len, tag, tl)) {
			out->status = 304;
			out->len = 0;
			return;
		}
	} else if (req->if_modified_since &&
		   http_parse_date(req->if_modified_since, req->if_modified_since_len, &t) == 0 &&
		   fi->mtime <= t) {
		out->status = 304;
		out->len = 0;
		return;
	}
	/* If-Range: the range only if the client's copy is this version (a
	   strong tag, or exactly our Last-Modified date). */
	if (use_range && req->if_range) {
		if (req->if_range_len && req->if_range[0] == '"')
			use_range = req->if_range_len == tl && memcmp(req->if_range, tag, tl) == 0;
		else
			use_range = http_parse_date(req->if_range, req->if_range_len, &t) == 0 &&
				    t == fi->mtime;
	}
	if (use_range) {
		uint64_t s = 0, l = 0;
		int st = http_range(req->range, req->range_len, fi->size, &s, &l);

		if (st == 206) {
			out->status = 206;
			out->start = s;
			out->len = l;
		} else if (st == 416) {
			out->status = 416;
			out->len = 0;
		}
	}
}

size_t http_build_head(const struct http_resp *r, char *buf, size_t cap)
{
	char date[40], lm[40], tag[96];
	size_t n = 0;
	int k;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		k = snprintf(buf + n, cap - n, __VA_ARGS__);                                       \
		if (k < 0 || (size_t)k >= cap - n)                                                 \
			return 0;                                                                  \
		n += (size_t)k;                                                                    \
	} while (0)

	if (cap == 0)
		return 0;
	http_format_date(r->now, date, sizeof(date));
	PUT("HTTP/1.1 %d %s\r\nServer: bootstorm\r\nDate: %s\r\n", r->status,
	    http_reason(r->status), date);
	if (r->fi) {
		http_format_date(r->fi->mtime, lm, sizeof(lm));
		http_etag(r->fi, tag, sizeof(tag));
		PUT("Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n", lm, tag);
		if (r->status == 206)
			PUT("Content-Range: bytes %llu-%llu/%llu\r\n",
			    (unsigned long long)r->range_start,
			    (unsigned long long)(r->range_start + r->range_len - 1),
			    (unsigned long long)r->fi->size);
		else if (r->status == 416)
			PUT("Content-Range: bytes */%llu\r\n", (unsigned long long)r->fi->size);
	}
	if (r->allow)
		PUT("Allow: GET, HEAD\r\n");
	if (r->content_type && r->status != 304)
		PUT("Content-Type: %s\r\n", r->content_type);
	if (r->status != 304)
		PUT("Content-Length: %llu\r\n", (unsigned long long)r->content_length);
	PUT("Connection: %s\r\n\r\n", r->keep_alive ? "keep-alive" : "close");
#undef PUT
	return n;
}

const char *http_content_type(const char *path, size_t len)
{
	const char *dot = NULL;

	for (size_t i = len; i > 0; i--) {
		if (path[i - 1] == '/')
			break;
		if (path[i - 1] == '.') {
			dot = path + i - 1;
			break;
		}
	}
	if (dot) {
		size_t el = len - (size_t)(dot - path);

		if (ieq(dot, el, ".efi"))
			return "application/efi";
		if (ieq(dot, el, ".iso"))
			return "application/vnd.efi-iso";
		if (ieq(dot, el, ".img"))
			return "application/vnd.efi-img";
		if (ieq(dot, el, ".ipxe") || ieq(dot, el, ".cfg") || ieq(dot, el, ".txt"))
			return "text/plain";
	}
	return "application/octet-stream";
}

/* ---- Prometheus text exposition ---------------------------------------- */

/* Counter-name prefixes that are one family with a label. Longest first
   where one prefix starts another (worker_dhcp_ before dhcp_). */
static const struct {
	const char *prefix, *family, *label;
} metric_families[] = {
    {"http_status_", "http_responses", "code"},
    {"worker_dhcp_", "worker_dhcp_verdicts", "verdict"},
    {"worker_tftp_", "worker_tftp_verdicts", "verdict"},
    {"dhcp_rx_bootsrv", NULL, NULL}, /* a plain counter, not a type */
    {"dhcp_rx_", "dhcp_rx", "type"},
    {"dhcp_tx_", "dhcp_tx", "type"},
    {"dhcp_", "dhcp_verdicts", "verdict"},
};

/* Values that go up and down. */
static const char *const metric_gauges[] = {
    "http_conns_active", "tftp_active_transfers", "cache_files", "cache_bytes_mapped", "leases",
    "fq_level",		 "tx_free_frames",
};

static bool metric_is_gauge(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(metric_gauges) / sizeof(metric_gauges[0]); i++) {
		size_t g = strlen(metric_gauges[i]);

		/* also per-interface/queue names: afxdp_eth0_q0_fq_level */
		if (n >= g && strcmp(name + n - g, metric_gauges[i]) == 0 &&
		    (n == g || name[n - g - 1] == '_'))
			return true;
	}
	return false;
}

/* [a-zA-Z0-9_] only (interface names may hold '-' or '.'). */
static void metric_sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			*s = '_';
}

static void metrics_printf(struct http_metrics *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void metrics_printf(struct http_metrics *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf ? m->buf + m->len : NULL, m->buf ? m->cap - m->len : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			m->err = -EINVAL;
			return;
		}
		if (m->buf && m->len + (size_t)n < m->cap) {
			m->len += (size_t)n;
			return;
		}
		size_t cap = m->cap ? m->cap * 2 : 16384;
		char *nb;

		while (cap < m->len + (size_t)n + 1)
			cap *= 2;
		nb = realloc(m->buf, cap);
		if (!nb) {
			m->err = -ENOMEM;
			return;
		}
		m->buf = nb;
		m->cap = cap;
	}
}

void http_metrics_add(void *arg, const char *name, uint64_t value)
{
	struct http_metrics *m = arg;
	char family[128], label[96] = "";
	const char *lname = NULL;
	bool gauge = metric_is_gauge(name);

	snprintf(family, sizeof(family), "%s", name);
	for (size_t i = 0; i < sizeof(metric_families) / sizeof(metric_families[0]); i++) {
		size_t pl = strlen(metric_families[i].prefix);

		if (strncmp(name, metric_families[i].prefix, pl) != 0)
			continue;
		if (!metric_families[i].family)
			break;
		if (!name[pl])
			break;
		snprintf(family, sizeof(family), "%s", metric_families[i].family);
		snprintf(label, sizeof(label), "%s", name + pl);
		lname = metric_families[i].label;
		break;
	}
	if (!gauge && strlen(family) + 6 < sizeof(family))
		strcat(family, "_total");
	metric_sanitize(family);
	metric_sanitize(label);
	if (strcmp(family, m->family) != 0) {
		metrics_printf(m, "# HELP bootstorm_%s %s%s%s\n", family, lname ? family : name,
			       lname ? " by " : "", lname ? lname : "");
		metrics_printf(m, "# TYPE bootstorm_%s %s\n", family, gauge ? "gauge" : "counter");
		snprintf(m->family, sizeof(m->family), "%s", family);
	}
	if (lname)
		metrics_printf(m, "bootstorm_%s{%s=\"%s\"} %llu\n", family, lname, label,
			       (unsigned long long)value);
	else
		metrics_printf(m, "bootstorm_%s %llu\n", family, (unsigned long long)value);
}

void http_metrics_free(struct http_metrics *m)
{
	free(m->buf);
	*m = (struct http_metrics){0};
}

uint32_t http_send_buffer(uint64_t budget, uint32_t nconns, uint64_t wmem_max)
{
	uint64_t share;

	if (budget == 0 || nconns == 0)
		return 0;
	share = budget / nconns;
	if (share >= wmem_max)
		return 0;
	if (share < HTTP_SNDBUF_FLOOR)
		share = HTTP_SNDBUF_FLOOR;
	if (share / 2 > INT32_MAX) /* setsockopt takes an int */
		return INT32_MAX;
	return (uint32_t)(share / 2);
}
