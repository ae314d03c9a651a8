/* SPDX-License-Identifier: MIT */
/*
 * HTTP: the parser on a table of raw requests (verdict, fields, bytes
 * consumed), the Range table (sizes 0, 1 and 1000 against every form),
 * validators and conditional requests, the response head, and the server
 * itself over loopback TCP (keep-alive, pipelining, sendfile body, 404,
 * traversal, 408 for a trickled head).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "cache.h"
#include "http_server.h"
#include "proto/http.h"
#include "proto/ipxe_script.h"
#include "util/bytes.h"

#define GET11 "GET /f HTTP/1.1\r\nHost: x\r\n\r\n"

/* ---- parser table ----------------------------------------------------- */

static const struct parse_case {
	const char *desc;
	const char *raw;
	size_t raw_len;	 /* 0: strlen(raw) */
	size_t consumed; /* expected return; SIZE_MAX: the whole input */
	int status;
	int method;	  /* -1: not checked */
	const char *path; /* NULL: not checked */
	int keep;	  /* -1: not checked */
} parse_cases[] = {
    {"valid GET", GET11, 0, SIZE_MAX, 0, HTTP_GET, "/f", 1},
    {"valid HEAD", "HEAD /a/b.efi HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 0, HTTP_HEAD,
     "/a/b.efi", 1},
    {"incomplete head", "GET /f HTTP/1.1\r\nHost: x\r\n", 0, 0, 0, -1, NULL, -1},
    {"incomplete request line", "GET /f HT", 0, 0, 0, -1, NULL, -1},
    {"pipelined: first request only", GET11 "GET /g HTTP/1.1\r\nHost: x\r\n\r\n", 0,
     sizeof(GET11) - 1, 0, HTTP_GET, "/f", 1},
    {"HTTP/1.0: close by default", "GET /f HTTP/1.0\r\n\r\n", 0, SIZE_MAX, 0, HTTP_GET, "/f", 0},
    {"HTTP/1.0 keep-alive", "GET /f HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, SIZE_MAX, 0,
     HTTP_GET, "/f", 1},
    {"HTTP/1.1 Connection: close", "GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0,
     SIZE_MAX, 0, HTTP_GET, "/f", 0},
    {"HTTP/1.1 without Host: 400", "GET /f HTTP/1.1\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"two Host fields: 400", "GET /f HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0, SIZE_MAX, 400, -1,
     NULL, -1},
    {"HTTP/2.0: 505", "GET /f HTTP/2.0\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 505, -1, NULL, -1},
    {"HTTP/1.2 served as 1.1", "GET /f HTTP/1.2\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 0, HTTP_GET, "/f",
     1},
    {"no version (HTTP/0.9): 400", "GET /f\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"two spaces: 400", "GET  /f HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"bad version text: 400", "GET /f HTTQ/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"header too long: 431", NULL, 0, SIZE_MAX, 431, -1, NULL, -1},	     /* built below */
    {"URI too long: 414", NULL, 0, SIZE_MAX, 414, -1, NULL, -1},	     /* built below */
    {"URI too long, incomplete: 414", NULL, 0, SIZE_MAX, 414, -1, NULL, -1}, /* below */
    {"URI at the limit: ok", NULL, 0, SIZE_MAX, 0, HTTP_GET, NULL, -1},	     /* below */
    {"duplicate Content-Length: 400",
     "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 0, SIZE_MAX,
     400, -1, NULL, -1},
    {"Content-Length list: 400", "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", 0,
     SIZE_MAX, 400, -1, NULL, -1},
    {"Content-Length: 0 is fine", "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0,
     SIZE_MAX, 0, HTTP_GET, "/f", 1},
    {"GET with a body: 413", "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 0,
     sizeof("GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n") - 1, 413, -1, NULL, -1},
    {"Content-Length + Transfer-Encoding (smuggling): 400",
     "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     SIZE_MAX, 400, -1, NULL, -1},
    {"Transfer-Encoding on GET: 400",
     "GET /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0,
     sizeof("GET /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") - 1, 400, -1, NULL,
     -1},
    {"obs-fold: 400", "GET /f HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 0, SIZE_MAX, 400, -1,
     NULL, -1},
    {"space before colon: 400", "GET /f HTTP/1.1\r\nHost : x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL,
     -1},
    {"header without colon: 400", "GET /f HTTP/1.1\r\nHost: x\r\nbogus\r\n\r\n", 0, SIZE_MAX, 400,
     -1, NULL, -1},
    {"bare LF line ends accepted", "GET /f HTTP/1.1\nHost: x\n\n", 0, SIZE_MAX, 0, HTTP_GET, "/f",
     1},
    {"leading empty line skipped", "\r\n" GET11, 0, SIZE_MAX, 0, HTTP_GET, "/f", 1},
    {"NUL in a header value: 400", "GET /f HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
     sizeof("GET /f HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n") - 1, SIZE_MAX, 400, -1, NULL, -1},
    {"NUL in the target: 400", "GET /f\0g HTTP/1.1\r\nHost: x\r\n\r\n",
     sizeof("GET /f\0g HTTP/1.1\r\nHost: x\r\n\r\n") - 1, SIZE_MAX, 400, -1, NULL, -1},
    {"bare CR in a value: 400", "GET /f HTTP/1.1\r\nHost: x\rY\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL,
     -1},
    {"lowercase method: 405 (methods are case-sensitive)", "get /f HTTP/1.1\r\nHost: x\r\n\r\n", 0,
     SIZE_MAX, 405, HTTP_OTHER, NULL, -1},
    {"POST: 405", "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0, SIZE_MAX, 405,
     HTTP_OTHER, NULL, -1},
    {"OPTIONS *: 405", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 405, HTTP_OTHER, NULL,
     -1},
    {"method with a bad char: 400", "G(T /f HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1,
     NULL, -1},
    {"absolute-form", "GET http://10.0.0.1:8080/boot/x.efi?a=b HTTP/1.1\r\n\r\n", 0, SIZE_MAX, 0,
     HTTP_GET, "/boot/x.efi", 1},
    {"absolute-form, no path", "GET http://10.0.0.1 HTTP/1.1\r\n\r\n", 0, SIZE_MAX, 0, HTTP_GET,
     "/", 1},
    {"authority-form on GET: 400", "GET 10.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400,
     -1, NULL, -1},
    {"query string dropped", "GET /f.efi?mac=52:54:00 HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 0,
     HTTP_GET, "/f.efi", 1},
    {"percent-decoding", "GET /a%20b%2Fc HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 0, HTTP_GET,
     "/a b/c", 1},
    {"%2e%2e: 403", "GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 403, -1, NULL, -1},
    {"%2E%2E%2F: 403", "GET /%2E%2E%2Fetc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 403, -1,
     NULL, -1},
    {"/../: 403", "GET /../x HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 403, -1, NULL, -1},
    {"trailing ..: 403", "GET /a/.. HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 403, -1, NULL, -1},
    {"..name is a file name", "GET /..a HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 0, HTTP_GET,
     "/..a", 1},
    {"%00: 400", "GET /f%00.efi HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"%0a (control char): 400", "GET /f%0a HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL,
     -1},
    {"bad escape: 400", "GET /f%zz HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL, -1},
    {"truncated escape: 400", "GET /f%2 HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX, 400, -1, NULL,
     -1},
    {"8-bit byte in the target: 400", "GET /f\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 0, SIZE_MAX,
     400, -1, NULL, -1},
    {"header names are case-insensitive", "GET /f HTTP/1.1\r\nhOsT: x\r\nrange: bytes=0-1\r\n\r\n",
     0, SIZE_MAX, 0, HTTP_GET, "/f", 1},
};

static void test_parse(void)
{
	static char big[HTTP_HEADER_MAX + 200], uri[HTTP_URI_MAX + 200], uri2[HTTP_URI_MAX + 200],
	    uriok[HTTP_URI_MAX + 100];
	static struct http_req req;
	size_t k;

	/* header too long: a valid line and one huge header, no end */
	k = (size_t)snprintf(big, sizeof(big), "GET /f HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + k, 'a', sizeof(big) - k - 1);
	big[sizeof(big) - 1] = '\0';
	k = (size_t)snprintf(uri, sizeof(uri), "GET /");
	memset(uri + k, 'a', HTTP_URI_MAX + 10);
	snprintf(uri + k + HTTP_URI_MAX + 10, sizeof(uri) - k - HTTP_URI_MAX - 10,
		 " HTTP/1.1\r\nHost: x\r\n\r\n");
	k = (size_t)snprintf(uri2, sizeof(uri2), "GET /");
	memset(uri2 + k, 'a', HTTP_URI_MAX + 100);
	uri2[k + HTTP_URI_MAX + 100] = '\0';
	k = (size_t)snprintf(uriok, sizeof(uriok), "GET /");
	memset(uriok + k, 'a', HTTP_URI_MAX - 1);
	snprintf(uriok + k + HTTP_URI_MAX - 1, sizeof(uriok) - k - HTTP_URI_MAX + 1,
		 " HTTP/1.1\r\nHost: x\r\n\r\n");

	for (size_t i = 0; i < BS_ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *t = &parse_cases[i];
		const char *raw = t->raw;
		size_t len = t->raw_len, got;
		int want = t->status;

		if (!raw) {
			raw = strstr(t->desc, "header too long") ? big
			      : strstr(t->desc, "incomplete")	 ? uri2
			      : strstr(t->desc, "at the limit")	 ? uriok
								 : uri;
		}
		if (!len)
			len = strlen(raw);
		got = http_parse(raw, len, &req);
		CHECK(t->desc, got == (t->consumed == SIZE_MAX ? len : t->consumed));
		if (got == 0)
			continue;
		CHECK(t->desc, req.status == want);
		if (t->method >= 0)
			CHECK(t->desc, (int)req.method == t->method);
		if (t->path)
			CHECK(t->desc,
			      strcmp(req.path, t->path) == 0 && req.path_len == strlen(t->path));
		if (t->keep >= 0)
			CHECK(t->desc, req.keep_alive == (t->keep == 1));
	}
}

/* Fields a request hands on to the decision. */
static void test_parse_fields(void)
{
	static const char raw[] = "GET /f HTTP/1.1\r\nHost: x\r\nRange:  bytes=0-9 \r\n"
				  "If-None-Match: \"abc\"\r\n"
				  "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
	static struct http_req req;

	CU_ASSERT_EQUAL(http_parse(raw, sizeof(raw) - 1, &req), sizeof(raw) - 1);
	CU_ASSERT_EQUAL(req.status, 0);
	CU_ASSERT_TRUE(req.range_len == 9 && memcmp(req.range, "bytes=0-9", 9) == 0);
	CU_ASSERT_TRUE(req.if_none_match_len == 5 && memcmp(req.if_none_match, "\"abc\"", 5) == 0);
	CU_ASSERT_EQUAL(req.if_modified_since_len, 29);
	CU_ASSERT_FALSE(req.has_body);
}

/* Every prefix of a valid request is "need more", never a verdict. */
static void test_parse_prefixes(void)
{
	static const char raw[] = "GET /a%20b HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\n\r\n";
	static struct http_req req;

	for (size_t n = 0; n < sizeof(raw) - 1; n++)
		CHECK("prefix", http_parse(raw, n, &req) == 0);
	CU_ASSERT_EQUAL(http_parse(raw, sizeof(raw) - 1, &req), sizeof(raw) - 1);
}

/*
 * Mutated requests (fixed seed): whatever the bytes, the parser stays in
 * its buffer (ASan builds check that), consumes at most what it was given,
 * answers with a status from its list, and a request it accepts has a
 * clean path: starts with '/', no NUL or control character, no ".."
 * segment.
 */
static void test_parse_mutations(void)
{
	static const char *const seeds[] = {
	    "GET /a/b.efi?x=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\n"
	    "If-None-Match: \"x\"\r\n\r\n",
	    "HEAD http://h:80/%2e%2e/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	    "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /g HTTP/1.1\r\n\r\n",
	};
	static const int ok_status[] = {0, 400, 403, 405, 413, 414, 431, 505};
	static struct http_req req;
	uint32_t rnd = 12345;
	char buf[256];

	for (int iter = 0; iter < 20000; iter++) {
		const char *sd = seeds[iter % BS_ARRAY_SIZE(seeds)];
		size_t len = strlen(sd), got;
		bool ok = false;

		memcpy(buf, sd, len);
		for (int m = 0; m < 1 + iter % 4; m++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t at = (rnd >> 8) % len;
			uint8_t v = (uint8_t)(rnd >> 24);

			switch ((rnd >> 4) % 3) {
			case 0: /* flip a byte */
				buf[at] = (char)v;
				break;
			case 1: /* pick from the characters that matter */
				buf[at] = "\r\n :%/.\0\t,-"[v % 12];
				break;
			default: /* cut */
				len = at + 1;
				break;
			}
		}
		got = http_parse(buf, len, &req);
		CU_ASSERT_TRUE(got <= len);
		if (got == 0)
			continue;
		for (size_t k = 0; k < BS_ARRAY_SIZE(ok_status); k++)
			ok |= req.status == ok_status[k];
		CU_ASSERT_TRUE(ok);
		if (req.status == 0) {
			CU_ASSERT_TRUE(req.path[0] == '/' && strlen(req.path) == req.path_len);
			for (size_t k = 0; k < req.path_len; k++)
				CU_ASSERT_TRUE((unsigned char)req.path[k] >= 0x20);
			CU_ASSERT_PTR_NULL(strstr(req.path, "/../"));
			CU_ASSERT_FALSE(req.path_len >= 3 &&
					strcmp(req.path + req.path_len - 3, "/..") == 0);
			CU_ASSERT_TRUE(req.method == HTTP_GET || req.method == HTTP_HEAD);
		}
	}
}

/* ---- ranges -------------------------------------------------------------- */

static const struct range_case {
	const char *v;
	uint64_t size;
	int status;
	uint64_t start, len;
} range_cases[] = {
    /* size 1000 */
    {"bytes=0-99", 1000, 206, 0, 100},
    {"bytes=100-199", 1000, 206, 100, 100},
    {"bytes=999-999", 1000, 206, 999, 1},
    {"bytes=990-2000", 1000, 206, 990, 10},
    {"bytes=500-", 1000, 206, 500, 500},
    {"bytes=0-", 1000, 206, 0, 1000},
    {"bytes=-100", 1000, 206, 900, 100},
    {"bytes=-5000", 1000, 206, 0, 1000},
    {"bytes=-0", 1000, 416, 0, 0},
    {"bytes=1000-", 1000, 416, 0, 0},
    {"bytes=1000-1001", 1000, 416, 0, 0},
    {"bytes=5-4", 1000, 200, 0, 0},	/* invalid: ignored */
    {"bytes=0-1,5-6", 1000, 200, 0, 0}, /* several: full body */
    {"bytes=a-b", 1000, 200, 0, 0},
    {"bytes=", 1000, 200, 0, 0},
    {"bytes=-", 1000, 200, 0, 0},
    {"items=0-1", 1000, 200, 0, 0},
    {"BYTES=1-2", 1000, 206, 1, 2},
    {"bytes=99999999999999999999-", 1000, 200, 0, 0},
    {"bytes=0-99999999999999999999", 1000, 200, 0, 0},
    /* size 1 */
    {"bytes=0-0", 1, 206, 0, 1},
    {"bytes=0-", 1, 206, 0, 1},
    {"bytes=-1", 1, 206, 0, 1},
    {"bytes=-9", 1, 206, 0, 1},
    {"bytes=1-", 1, 416, 0, 0},
    {"bytes=0-5", 1, 206, 0, 1},
    /* size 0: nothing is satisfiable */
    {"bytes=0-", 0, 416, 0, 0},
    {"bytes=0-0", 0, 416, 0, 0},
    {"bytes=-1", 0, 416, 0, 0},
    {"bytes=0-1,2-3", 0, 200, 0, 0},
};

static void test_range(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(range_cases); i++) {
		const struct range_case *t = &range_cases[i];
		uint64_t s = 77, l = 77;
		int st = http_range(t->v, strlen(t->v), t->size, &s, &l);
		char d[96];

		snprintf(d, sizeof(d), "%s size %llu", t->v, (unsigned long long)t->size);
		CHECK(d, st == t->status);
		if (st == 206)
			CHECK(d, s == t->start && l == t->len);
	}
}

/* ---- validators, conditionals, heads ----------------------------------- */

static const struct http_file_info fi1000 = {
    .size = 1000, .ino = 0x1234, .mtime = 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */};

static void test_dates(void)
{
	char b[40];
	int64_t t;

	http_format_date(784111777, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "Sun, 06 Nov 1994 08:49:37 GMT");
	CU_ASSERT_EQUAL(http_parse_date(b, strlen(b), &t), 0);
	CU_ASSERT_EQUAL(t, 784111777);
	CU_ASSERT_EQUAL(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), -1);
	CU_ASSERT_EQUAL(http_parse_date("Sun, 06 Xyz 1994 08:49:37 GMT", 29, &t), -1);
	CU_ASSERT_EQUAL(http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT", 29, &t), -1);
}

static struct http_answer decide(const char *raw)
{
	static struct http_req req;
	struct http_answer a;

	CU_ASSERT_FATAL(http_parse(raw, strlen(raw), &req) == strlen(raw));
	CU_ASSERT_EQUAL(req.status, 0);
	http_decide(&req, &fi1000, &a);
	return a;
}

static void test_conditional(void)
{
	char tag[96], raw[512];
	struct http_answer a;

	http_etag(&fi1000, tag, sizeof(tag));
	CU_ASSERT_EQUAL(tag[0], '"');

	a = decide(GET11);
	CU_ASSERT_TRUE(a.status == 200 && a.start == 0 && a.len == 1000);
	snprintf(raw, sizeof(raw), "GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n", tag);
	CU_ASSERT_EQUAL(decide(raw).status, 304);
	snprintf(raw, sizeof(raw),
		 "GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\", W/%s\r\n\r\n", tag);
	CU_ASSERT_EQUAL(decide(raw).status, 304);
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n").status,
			304);
	CU_ASSERT_EQUAL(
	    decide("GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n\r\n").status, 200);
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\n"
			       "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
			    .status,
			304);
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\n"
			       "If-Modified-Since: Sat, 05 Nov 1994 08:49:37 GMT\r\n\r\n")
			    .status,
			200);
	/* If-None-Match wins over If-Modified-Since */
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n"
			       "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
			    .status,
			200);
	a = decide("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n");
	CU_ASSERT_TRUE(a.status == 206 && a.start == 10 && a.len == 10);
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-\r\n\r\n").status,
			416);
	/* If-Range: the range only for the same version */
	snprintf(raw, sizeof(raw),
		 "GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\nIf-Range: %s\r\n\r\n", tag);
	CU_ASSERT_EQUAL(decide(raw).status, 206);
	CU_ASSERT_EQUAL(decide("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n"
			       "If-Range: \"old\"\r\n\r\n")
			    .status,
			200);
}

static void test_head(void)
{
	char b[512];
	struct http_resp r = {.status = 206,
			      .keep_alive = true,
			      .content_length = 10,
			      .content_type = "application/efi",
			      .now = 784111777,
			      .fi = &fi1000,
			      .range_start = 10,
			      .range_len = 10};
	size_t n = http_build_head(&r, b, sizeof(b));

	CU_ASSERT_TRUE(n > 0 && n == strlen(b));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "HTTP/1.1 206 Partial Content\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Content-Range: bytes 10-19/1000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Content-Length: 10\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "ETag: \""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Connection: keep-alive\r\n\r\n"));
	r.status = 416;
	r.content_length = 0;
	http_build_head(&r, b, sizeof(b));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Content-Range: bytes */1000\r\n"));
	r = (struct http_resp){.status = 405, .content_length = 0, .allow = true};
	http_build_head(&r, b, sizeof(b));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Allow: GET, HEAD\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Connection: close\r\n"));
	r = (struct http_resp){.status = 304, .fi = &fi1000};
	http_build_head(&r, b, sizeof(b));
	CU_ASSERT_PTR_NULL(strstr(b, "Content-Length"));
	CU_ASSERT_EQUAL(http_build_head(&r, b, 20), 0);
	CU_ASSERT_STRING_EQUAL(http_content_type("/x/BOOTX64.EFI", 14), "application/efi");
	CU_ASSERT_STRING_EQUAL(http_content_type("/x.d/vmlinuz", 12), "application/octet-stream");
}

/* ---- the server over loopback ----------------------------------------- */

static char tmp[64];
static uint8_t content[300000];

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Run the server while reading from fd until want bytes or EOF (or 3 s). */
static size_t pump(struct bs_http *h, int fd, uint8_t *buf, size_t cap, size_t want)
{
	size_t got = 0;
	uint64_t end = ms_now() + 3000;

	while (got < want && ms_now() < end) {
		struct pollfd p = {.fd = bs_http_fd(h), .events = POLLIN};
		ssize_t n;

		poll(&p, 1, 10);
		bs_http_run(h, ms_now());
		if (bs_http_next_deadline(h) <= ms_now())
			bs_http_tick(h, ms_now());
		n = recv(fd, buf + got, cap - got, 0);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

static const uint8_t *body_of(const uint8_t *resp, size_t n)
{
	const uint8_t *p = memmem(resp, n, "\r\n\r\n", 4);

	return p ? p + 4 : NULL;
}

static void test_server(void)
{
	static uint8_t buf[700000];
	struct bs_log log = {0};
	struct bs_cache *cache;
	struct bs_http *h = NULL;
	struct bs_http_config hc = {.addr = {.kind = HTTP_BIND_V4, .v4 = INADDR_LOOPBACK}, .timeout_ms = 500, .log = &log};
	char path[128], req[512];
	const uint8_t *b;
	size_t n;
	FILE *f;
	int fd;

	strcpy(tmp, "/tmp/bs-http-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7 + (i >> 9));
	snprintf(path, sizeof(path), "%s/boot.efi", tmp);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(content, 1, sizeof(content), f);
	fclose(f);
	cache = bs_cache_new(tmp, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	hc.cache = cache;
	/* a free port: try a few */
	for (uint16_t p = 18080; p < 18180 && !h; p++) {
		hc.port = p;
		h = bs_http_new(&hc);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);

	/* two pipelined requests in one segment, then a 404, one connection */
	fd = connect_to(hc.port);
	n = (size_t)snprintf(req, sizeof(req),
			     "GET /boot.efi HTTP/1.1\r\nHost: x\r\n\r\n"
			     "GET /boot.efi HTTP/1.1\r\nHost: x\r\nRange: bytes=-10\r\n\r\n"
			     "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	CU_ASSERT_EQUAL(send(fd, req, n, 0), (ssize_t)n);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf));
	b = body_of(buf, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(memcmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CU_ASSERT_FATAL((size_t)(b - buf) + sizeof(content) < n);
	CU_ASSERT_TRUE(memcmp(b, content, sizeof(content)) == 0);
	b += sizeof(content);
	CU_ASSERT_TRUE(memcmp(b, "HTTP/1.1 206 ", 13) == 0);
	CU_ASSERT_PTR_NOT_NULL(memmem(b, n - (size_t)(b - buf), "bytes 299990-299999/300000", 26));
	b = body_of(b, n - (size_t)(b - buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(memcmp(b, content + sizeof(content) - 10, 10) == 0);
	b += 10;
	CU_ASSERT_TRUE(memcmp(b, "HTTP/1.1 404 ", 13) == 0);
	close(fd);

	/* traversal never reaches the file system */
	fd = connect_to(hc.port);
	n = (size_t)snprintf(req, sizeof(req),
			     "GET /%%2e%%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n"
			     "Connection: close\r\n\r\n");
	send(fd, req, n, 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf));
	CU_ASSERT_TRUE(n > 13 && memcmp(buf, "HTTP/1.1 403 ", 13) == 0);
	close(fd);

	/* a head that never completes: 408 at the deadline (500 ms here) */
	fd = connect_to(hc.port);
	send(fd, "GET /boot.efi HTTP/1.1\r\nHo", 26, 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf));
	CU_ASSERT_TRUE(n > 13 && memcmp(buf, "HTTP/1.1 408 ", 13) == 0);
	close(fd);

	/* HEAD: the head only, with the full length */
	fd = connect_to(hc.port);
	n = (size_t)snprintf(req, sizeof(req), "HEAD /boot.efi HTTP/1.0\r\n\r\n");
	send(fd, req, n, 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(memmem(buf, n, "Content-Length: 300000\r\n", 24));
	CU_ASSERT_PTR_NOT_NULL(memmem(buf, n, "Content-Type: application/efi\r\n", 31));
	b = body_of(buf, n);
	CU_ASSERT_TRUE(b && b == buf + n);
	close(fd);

	/* over max_conns: 503, then closed; the first connection is served */
	bs_http_free(h);
	hc.max_conns = 1;
	hc.timeout_ms = 5000;
	h = NULL;
	for (uint16_t p = 18080; p < 18180 && !h; p++) {
		hc.port = p;
		h = bs_http_new(&hc);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	fd = connect_to(hc.port); /* accepted first (FIFO) by the next run */
	{
		int fd2 = connect_to(hc.port);

		n = pump(h, fd2, buf, sizeof(buf), sizeof(buf));
		CU_ASSERT_TRUE(n > 13 && memcmp(buf, "HTTP/1.1 503 ", 13) == 0);
		close(fd2);
	}
	n = (size_t)snprintf(req, sizeof(req),
			     "GET /boot.efi HTTP/1.1\r\nHost: x\r\n"
			     "Range: bytes=0-0\r\nConnection: close\r\n\r\n");
	send(fd, req, n, 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf) - 1);
	buf[n] = 0;
	CU_ASSERT_TRUE(n > 13 && memcmp(buf, "HTTP/1.1 206 ", 13) == 0);
	close(fd);

	bs_http_free(h);
	bs_cache_free(cache);
	unlink(path);
	rmdir(tmp);
}

/* ---- iPXE scripts ------------------------------------------------------ */

#define TAG_LAB (1ull << 5)

static const struct ipxe_boot ipxe_table[] = {
    {.match = {.need = TAG_LAB},
     .kind = IPXE_BOOT_KERNEL,
     .kernel = "/lab/vmlinuz",
     .initrd = {"lab/initrd.img", "http://other/extra.cpio"},
     .ninitrd = 2,
     .cmdline = "console=ttyS0 quiet"},
    {.match = {.need = 1ull << BS_TAG_KNOWN, .forbid = TAG_LAB},
     .kind = IPXE_BOOT_CHAIN,
     .kernel = "menu.ipxe"},
    {.kind = IPXE_BOOT_LOCAL},
};

static const struct ipxe_case {
	const char *desc;
	bs_tagset tags;
	const char *host;
	const char *want; /* NULL: render fails (cap) */
	size_t cap;	  /* 0: 4096 */
} ipxe_cases[] = {
    {"tagged host: kernel + initrds + cmdline", TAG_LAB | (1ull << BS_TAG_KNOWN), "10.0.0.1:8080",
     "#!ipxe\nkernel http://10.0.0.1:8080/lab/vmlinuz console=ttyS0 quiet\n"
     "initrd http://10.0.0.1:8080/lab/initrd.img\ninitrd http://other/extra.cpio\nboot\n"},
    {"known host without the tag: chain", 1ull << BS_TAG_KNOWN, "srv",
     "#!ipxe\nchain http://srv/menu.ipxe\n"},
    {"IPv6 Host: brackets kept", 1ull << BS_TAG_KNOWN, "[fd00:231:240::1]:8080",
     "#!ipxe\nchain http://[fd00:231:240::1]:8080/menu.ipxe\n"},
    {"unknown host: the untagged line (local)", 0, "srv", "#!ipxe\nexit\n"},
    {"hostile Host: paths stay relative", TAG_LAB, "x\nchain http://evil/",
     "#!ipxe\nkernel /lab/vmlinuz console=ttyS0 quiet\ninitrd lab/initrd.img\n"
     "initrd http://other/extra.cpio\nboot\n"},
    {"no Host: relative", 1ull << BS_TAG_KNOWN, "", "#!ipxe\nchain menu.ipxe\n"},
    {"buffer too small", TAG_LAB, "srv", NULL, 20},
};

static void test_ipxe_render(void)
{
	char out[4096];

	for (size_t i = 0; i < sizeof(ipxe_cases) / sizeof(ipxe_cases[0]); i++) {
		const struct ipxe_case *t = &ipxe_cases[i];
		const struct ipxe_boot *b = ipxe_select(ipxe_table, 3, t->tags);
		size_t n =
		    ipxe_render(b, t->host, strlen(t->host), out, t->cap ? t->cap : sizeof(out));

		if (!t->want) {
			CHECK(t->desc, n == 0);
			continue;
		}
		CHECK(t->desc, n == strlen(t->want));
		CHECK(t->desc, n && strcmp(out, t->want) == 0);
		if (n && strcmp(out, t->want) != 0)
			fprintf(stderr, "%s: got\n%s\n", t->desc, out);
	}
	/* no entry at all: says so, then exit (the next boot device) */
	CU_ASSERT_TRUE(ipxe_render(ipxe_select(ipxe_table, 2, 0), "h", 1, out, sizeof(out)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "no ipxe-boot entry"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nexit\n"));
}

static const struct mac_case {
	const char *q;
	int rc;
} mac_cases[] = {
    {"mac=52:54:00:12:34:56", 0},
    {"mac=52%3A54%3a00%3A12%3A34%3A56", 0},
    {"x=1&mac=52-54-00-12-34-56&y=2", 0},
    {"mac=525400123456", 0},
    {"mac=52:54:00:12:34", -1},
    {"mac=52:54:00:12:34:56:78", -1},
    {"mac=52:54:00:12:34:5g", -1},
    {"amac=52:54:00:12:34:56", -1},
    {"mac=", -1},
    {"", -1},
};

static void test_ipxe_query_mac(void)
{
	static const uint8_t want[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	for (size_t i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++) {
		uint8_t mac[6] = {0};
		int rc = ipxe_query_mac(mac_cases[i].q, strlen(mac_cases[i].q), mac);

		CHECK(mac_cases[i].q, rc == mac_cases[i].rc);
		if (rc == 0)
			CHECK(mac_cases[i].q, memcmp(mac, want, 6) == 0);
	}
	CU_ASSERT_EQUAL(ipxe_query_mac(NULL, 0, (uint8_t[6]){0}), -1);
}

/* The parser keeps the raw query and the Host value for the scripts. */
static void test_parse_query_host(void)
{
	static struct http_req q;
	const char *r1 = "GET /boot.ipxe?mac=52%3A54#frag HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n\r\n";
	const char *r2 = "GET http://h:81/boot.ipxe HTTP/1.0\r\n\r\n";

	CU_ASSERT_EQUAL(http_parse(r1, strlen(r1), &q), strlen(r1));
	CU_ASSERT_EQUAL(q.status, 0);
	CU_ASSERT_STRING_EQUAL(q.path, "/boot.ipxe");
	CU_ASSERT_TRUE(q.query_len == 11 && memcmp(q.query, "mac=52%3A54", 11) == 0);
	CU_ASSERT_TRUE(q.host_len == 13 && memcmp(q.host, "10.0.0.1:8080", 13) == 0);
	CU_ASSERT_EQUAL(http_parse(r2, strlen(r2), &q), strlen(r2));
	CU_ASSERT_EQUAL(q.status, 0);
	CU_ASSERT_PTR_NULL(q.query);
	CU_ASSERT_TRUE(q.host_len == 4 && memcmp(q.host, "h:81", 4) == 0);
}

/* ---- Prometheus exposition ---------------------------------------------- */

static void test_metrics_format(void)
{
	static const struct {
		const char *name;
		uint64_t v;
	} in[] = {
	    {"worker_rx_pkts", 7},  {"dhcp_rx_discover", 3}, {"dhcp_rx_request", 2},
	    {"dhcp_rx_bootsrv", 1}, {"dhcp_offer", 3},	     {"http_conns_active", 2},
	    {"http_status_2xx", 5}, {"http_status_4xx", 1},  {"afxdp_veth-a_q0_fq_level", 9},
	    {"leases", 4},
	};
	static const char want[] =
	    "# HELP bootstorm_worker_rx_pkts_total worker_rx_pkts\n"
	    "# TYPE bootstorm_worker_rx_pkts_total counter\n"
	    "bootstorm_worker_rx_pkts_total 7\n"
	    "# HELP bootstorm_dhcp_rx_total dhcp_rx_total by type\n"
	    "# TYPE bootstorm_dhcp_rx_total counter\n"
	    "bootstorm_dhcp_rx_total{type=\"discover\"} 3\n"
	    "bootstorm_dhcp_rx_total{type=\"request\"} 2\n"
	    "# HELP bootstorm_dhcp_rx_bootsrv_total dhcp_rx_bootsrv\n"
	    "# TYPE bootstorm_dhcp_rx_bootsrv_total counter\n"
	    "bootstorm_dhcp_rx_bootsrv_total 1\n"
	    "# HELP bootstorm_dhcp_verdicts_total dhcp_verdicts_total by verdict\n"
	    "# TYPE bootstorm_dhcp_verdicts_total counter\n"
	    "bootstorm_dhcp_verdicts_total{verdict=\"offer\"} 3\n"
	    "# HELP bootstorm_http_conns_active http_conns_active\n"
	    "# TYPE bootstorm_http_conns_active gauge\n"
	    "bootstorm_http_conns_active 2\n"
	    "# HELP bootstorm_http_responses_total http_responses_total by code\n"
	    "# TYPE bootstorm_http_responses_total counter\n"
	    "bootstorm_http_responses_total{code=\"2xx\"} 5\n"
	    "bootstorm_http_responses_total{code=\"4xx\"} 1\n"
	    "# HELP bootstorm_afxdp_veth_a_q0_fq_level afxdp_veth-a_q0_fq_level\n"
	    "# TYPE bootstorm_afxdp_veth_a_q0_fq_level gauge\n"
	    "bootstorm_afxdp_veth_a_q0_fq_level 9\n"
	    "# HELP bootstorm_leases leases\n"
	    "# TYPE bootstorm_leases gauge\n"
	    "bootstorm_leases 4\n";
	struct http_metrics m = {0};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		http_metrics_add(&m, in[i].name, in[i].v);
	CU_ASSERT_EQUAL(m.err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.buf);
	CU_ASSERT_EQUAL(m.len, strlen(m.buf));
	CU_ASSERT_STRING_EQUAL(m.buf, want);
	if (strcmp(m.buf, want) != 0)
		fprintf(stderr, "got:\n%s", m.buf);
	http_metrics_free(&m);
	/* growth: many samples */
	for (int i = 0; i < 5000; i++)
		http_metrics_add(&m, i & 1 ? "http_status_2xx" : "http_status_5xx", (uint64_t)i);
	CU_ASSERT_EQUAL(m.err, 0);
	CU_ASSERT_TRUE(m.len > 5000 * 30);
	http_metrics_free(&m);
}

static void fake_stats(void *arg, bs_stat_fn fn, void *fnarg)
{
	(void)arg;
	fn(fnarg, "worker_rx_pkts", 42);
	fn(fnarg, "http_status_2xx", 1);
}

static size_t fake_script(void *arg, const uint8_t *mac, const char *host, size_t host_len,
			  char *out, size_t cap)
{
	(void)arg;
	if (!mac)
		return (size_t)snprintf(out, cap, "#!ipxe\nexit\n");
	return (size_t)snprintf(out, cap, "#!ipxe\necho %02x %.*s\n", mac[5], (int)host_len, host);
}

/* /metrics and /boot.ipxe through the server; the metrics listener. */
static void test_server_generated(void)
{
	static uint8_t buf[65536];
	struct bs_log log = {0};
	struct bs_cache *cache;
	struct bs_http *h = NULL;
	struct bs_http_config hc = {.addr = {.kind = HTTP_BIND_V4, .v4 = INADDR_LOOPBACK},
				    .timeout_ms = 500,
				    .log = &log,
				    .stats = fake_stats,
				    .ipxe_script = fake_script};
	char dir[] = "/tmp/bs-http-gen-XXXXXX";
	const char *req;
	size_t n;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	cache = bs_cache_new(dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	hc.cache = cache;
	for (uint16_t p = 18180; p < 18280 && !h; p++) {
		hc.port = p;
		h = bs_http_new(&hc);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);

	fd = connect_to(hc.port);
	req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
	      "GET /boot.ipxe?mac=52:54:00:12:34:56 HTTP/1.1\r\nHost: 10.1.2.3:8080\r\n\r\n"
	      "HEAD /boot.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	send(fd, req, strlen(req), 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf) - 1);
	buf[n] = 0;
	CU_ASSERT_TRUE(memcmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf, "Content-Type: text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf, "\nbootstorm_worker_rx_pkts_total 42\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf, "#!ipxe\necho 56 10.1.2.3:8080\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf, "Content-Length: 12\r\n")); /* HEAD */
	CU_ASSERT_PTR_NULL(strstr((char *)buf, "#!ipxe\nexit")); /* no body for HEAD */
	close(fd);
	bs_http_free(h);

	/* metrics on its own listener: only there */
	h = NULL;
	for (uint16_t p = 18180; p < 18280 && !h; p++) {
		hc.port = p;
		hc.metrics_port = (uint16_t)(p + 100);
		hc.metrics_addr = (struct http_bind){.kind = HTTP_BIND_V4, .v4 = INADDR_LOOPBACK};
		h = bs_http_new(&hc);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	fd = connect_to(hc.port);
	req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	send(fd, req, strlen(req), 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf) - 1);
	CU_ASSERT_TRUE(n > 13 && memcmp(buf, "HTTP/1.1 404 ", 13) == 0);
	close(fd);
	fd = connect_to(hc.metrics_port);
	req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
	      "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	send(fd, req, strlen(req), 0);
	n = pump(h, fd, buf, sizeof(buf), sizeof(buf) - 1);
	buf[n] = 0;
	CU_ASSERT_TRUE(memcmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr((char *)buf, "bootstorm_http_responses_total{code=\"2xx\"} 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf, "HTTP/1.1 404 ")); /* nothing else there */
	close(fd);
	bs_http_free(h);
	bs_cache_free(cache);
	rmdir(dir);
}

/* The send buffer share: autotuning while the share is at least its
   ceiling, then budget / n halved (the kernel doubles SO_SNDBUF), never
   below the floor. */
static void test_send_buffer(void)
{
	const uint64_t budget = 256ull << 20, wmax = 4u << 20;

	CU_ASSERT_EQUAL(http_send_buffer(budget, 1, wmax), 0);
	CU_ASSERT_EQUAL(http_send_buffer(budget, 64, wmax), 0);	       /* 4 MiB each */
	CU_ASSERT_EQUAL(http_send_buffer(budget, 65, wmax), (budget / 65) / 2); /* just under */
	CU_ASSERT_EQUAL(http_send_buffer(budget, 1024, wmax), (256u << 10) / 2);
	CU_ASSERT_EQUAL(http_send_buffer(budget, 100000, wmax), HTTP_SNDBUF_FLOOR / 2);
	CU_ASSERT_EQUAL(http_send_buffer(0, 1000, wmax), 0); /* budget unknown */
	CU_ASSERT_EQUAL(http_send_buffer(budget, 0, wmax), 0);
	CU_ASSERT_EQUAL(http_send_buffer(UINT64_MAX, 1, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(http_send_buffer(16ull << 30, 1, 32ull << 30), INT32_MAX); /* an int */
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"parse table", test_parse},
	    {"parse fields", test_parse_fields},
	    {"parse prefixes", test_parse_prefixes},
	    {"parse mutations", test_parse_mutations},
	    {"range table", test_range},
	    {"dates", test_dates},
	    {"conditional requests", test_conditional},
	    {"response head", test_head},
	    {"server over loopback", test_server},
	    {"ipxe render table", test_ipxe_render},
	    {"ipxe query mac", test_ipxe_query_mac},
	    {"parse query and host", test_parse_query_host},
	    {"metrics format", test_metrics_format},
	    {"server: metrics and ipxe", test_server_generated},
	    {"send buffer share", test_send_buffer},
	    {NULL, NULL},
	};

	return unit_run("http", tests);
}
