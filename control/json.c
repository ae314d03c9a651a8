/* SPDX-License-Identifier: MIT */
/*
 * JSON reader (recursive descent, depth bounded by the caller) and writer.
 * Nodes live in one array addressed by index while parsing (it grows by
 * realloc); the pointers in struct bs_json are set once parsing is done.
 * Decoded strings go to one buffer of the input's size: a decoded string
 * plus its NUL never takes more bytes than its quoted source.
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_json_doc {
	struct bs_json *nodes;
	size_t n, cap;
	char *strs;
	size_t slen;
};

struct jp {
	const char *s, *end;
	const struct bs_json_limits *lim;
	struct bs_json_doc *d;
	char *err;
	size_t errlen;
	int rc;
};

static int jp_fail(struct jp *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int jp_fail(struct jp *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->rc)
		return -1;
	p->rc = rc;
	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void jp_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

/* A new node; its index, or 0 after an error (index 0 is the root, never
   handed out twice). */
static long jp_node(struct jp *p, int type)
{
	struct bs_json_doc *d = p->d;

	if (d->n >= p->lim->max_nodes)
		return jp_fail(p, -E2BIG, "more than %zu values", p->lim->max_nodes);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct bs_json *v;

		if (cap > p->lim->max_nodes)
			cap = p->lim->max_nodes;
		v = realloc(d->nodes, cap * sizeof(*v));
		if (!v)
			return jp_fail(p, -ENOMEM, "out of memory");
		d->nodes = v;
		d->cap = cap;
	}
	memset(&d->nodes[d->n], 0, sizeof(d->nodes[0]));
	d->nodes[d->n].type = type;
	return (long)d->n++;
}

static void put_utf8(char **o, uint32_t cp)
{
	char *q = *o;

	if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | (cp >> 6));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xe0 | (cp >> 12));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xf0 | (cp >> 18));
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* At the opening quote. Decodes into the string buffer. */
static int jp_string(struct jp *p, const char **out, size_t *outlen)
{
	struct bs_json_doc *d = p->d;
	char *start = d->strs + d->slen, *o = start;

	p->s++; /* '"' */
	for (;;) {
		unsigned char c;

		if (p->s >= p->end)
			return jp_fail(p, -EINVAL, "unterminated string");
		c = (unsigned char)*p->s;
		if (c == '"') {
			p->s++;
			break;
		}
		if (c < 0x20)
			return jp_fail(p, -EINVAL, "%s in a string",
				       c ? "control character" : "NUL byte");
		if (c == '\\') {
			uint32_t cp;

			if (p->end - p->s < 2)
				return jp_fail(p, -EINVAL, "unterminated string");
			switch (p->s[1]) {
			case '"':
				*o++ = '"';
				break;
			case '\\':
				*o++ = '\\';
				break;
			case '/':
				*o++ = '/';
				break;
			case 'b':
				*o++ = '\b';
				break;
			case 'f':
				*o++ = '\f';
				break;
			case 'n':
				*o++ = '\n';
				break;
			case 'r':
				*o++ = '\r';
				break;
			case 't':
				*o++ = '\t';
				break;
			case 'u':
				if (p->end - p->s < 6 || hex4(p->s + 2, &cp))
					return jp_fail(p, -EINVAL, "bad \\u escape");
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return jp_fail(p, -EINVAL, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t lo;

					if (p->end - p->s < 12 || p->s[6] != '\\' ||
					    p->s[7] != 'u' || hex4(p->s + 8, &lo) || lo < 0xdc00 ||
					    lo > 0xdfff)
						return jp_fail(p, -EINVAL, "lone high surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p->s += 6;
				}
				if (cp == 0)
					return jp_fail(p, -EINVAL, "\\u0000 in a string");
				put_utf8(&o, cp);
				p->s += 4;
				break;
			default:
				return jp_fail(p, -EINVAL, "bad escape \\%c",
					       p->s[1] >= 0x20 && p->s[1] < 0x7f ? p->s[1] : '?');
			}
			p->s += 2;
			continue;
		}
		size_t k = utf8_len((const unsigned char *)p->s, (size_t)(p->end - p->s));

		if (!k)
			return jp_fail(p, -EINVAL, "invalid UTF-8 in a string");
		memcpy(o, p->s, k);
		o += k;
		p->s += k;
	}
	*o++ = '\0';
	*out = start;
	*outlen = (size_t)(o - start) - 1;
	d->slen += (size_t)(o - start);
	return 0;
}

static int jp_number(struct jp *p, struct bs_json *v)
{
	const char *b = p->s, *s = p->s;
	char buf[64];
	bool integer = true;

	if (s < p->end && *s == '-')
		s++;
	if (s >= p->end || *s < '0' || *s > '9')
		return jp_fail(p, -EINVAL, "bad number");
	if (*s == '0')
		s++;
	else
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	if (s < p->end && *s == '.') {
		integer = false;
		s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return jp_fail(p, -EINVAL, "bad number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		integer = false;
		s++;
		if (s < p->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return jp_fail(p, -EINVAL, "bad number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if ((size_t)(s - b) >= sizeof(buf))
		return jp_fail(p, -EINVAL, "number longer than %zu characters", sizeof(buf) - 1);
	memcpy(buf, b, (size_t)(s - b));
	buf[s - b] = '\0';
	v->num = strtod(buf, NULL);
	if (integer) {
		char *e;

		errno = 0;
		long long ll = strtoll(buf, &e, 10);

		if (errno == 0 && *e == '\0') {
			v->is_int = true;
			v->i = ll;
		}
	}
	p->s = s;
	return 0;
}

static bool jp_lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
		return false;
	p->s += n;
	return true;
}

static long jp_value(struct jp *p, unsigned depth);

/* At '[' or '{'. */
static long jp_container(struct jp *p, unsigned depth, bool obj)
{
	long idx = jp_node(p, obj ? BS_JSON_OBJECT : BS_JSON_ARRAY);
	uint32_t last = 0;
	char close = obj ? '}' : ']';

	if (idx < 0)
		return -1;
	if (depth >= p->lim->max_depth)
		return jp_fail(p, -E2BIG, "nested deeper than %u levels", p->lim->max_depth);
	p->s++;
	jp_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return idx;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;
		long m;

		jp_ws(p);
		if (obj) {
			if (p->s >= p->end || *p->s != '"')
				return jp_fail(p, -EINVAL, "expected a member name in quotes");
			if (jp_string(p, &key, &klen) < 0)
				return -1;
			jp_ws(p);
			if (p->s >= p->end || *p->s != ':')
				return jp_fail(p, -EINVAL, "expected ':' after a member name");
			p->s++;
		}
		m = jp_value(p, depth + 1);
		if (m < 0)
			return -1;
		p->d->nodes[m].key = key;
		if (last)
			p->d->nodes[last].inext = (uint32_t)m;
		else
			p->d->nodes[idx].ichild = (uint32_t)m;
		p->d->nodes[idx].len++;
		last = (uint32_t)m;
		jp_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			return idx;
		}
		return jp_fail(p, -EINVAL, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static long jp_value(struct jp *p, unsigned depth)
{
	long idx;

	jp_ws(p);
	if (p->s >= p->end)
		return jp_fail(p, -EINVAL, "unexpected end of input");
	switch (*p->s) {
	case '{':
		return jp_container(p, depth, true);
	case '[':
		return jp_container(p, depth, false);
	case '"': {
		const char *s;
		size_t n;

		idx = jp_node(p, BS_JSON_STRING);
		if (idx < 0 || jp_string(p, &s, &n) < 0)
			return -1;
		p->d->nodes[idx].str = s;
		p->d->nodes[idx].len = n;
		return idx;
	}
	case 't':
		if (!jp_lit(p, "true"))
			break;
		return jp_node(p, BS_JSON_TRUE);
	case 'f':
		if (!jp_lit(p, "false"))
			break;
		return jp_node(p, BS_JSON_FALSE);
	case 'n':
		if (!jp_lit(p, "null"))
			break;
		return jp_node(p, BS_JSON_NULL);
	default:
		if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9')) {
			idx = jp_node(p, BS_JSON_NUMBER);
			if (idx < 0 || jp_number(p, &p->d->nodes[idx]) < 0)
				return -1;
			return idx;
		}
		if (*p->s == '\0')
			return jp_fail(p, -EINVAL, "NUL byte");
		break;
	}
	return jp_fail(p, -EINVAL, "unexpected character");
}

int bs_json_parse(const char *text, size_t len, const struct bs_json_limits *lim,
		  struct bs_json_doc **out, char *err, size_t errlen)
{
	struct bs_json_doc *d;
	struct jp p = {.s = text, .end = text + len, .lim = lim, .err = err, .errlen = errlen};

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > lim->max_len) {
		jp_fail(&p, -E2BIG, "longer than %zu bytes", lim->max_len);
		return p.rc;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->strs = malloc(len + 1);
	if (!d->strs) {
		free(d);
		return -ENOMEM;
	}
	p.d = d;
	if (jp_value(&p, 0) >= 0) {
		jp_ws(&p);
		if (p.s != p.end)
			jp_fail(&p, -EINVAL, "%s after the value",
				*p.s ? "trailing characters" : "NUL byte");
	}
	if (p.rc) {
		bs_json_free(d);
		return p.rc;
	}
	for (size_t i = 0; i < d->n; i++) {
		d->nodes[i].child = d->nodes[i].ichild ? &d->nodes[d->nodes[i].ichild] : NULL;
		d->nodes[i].next = d->nodes[i].inext ? &d->nodes[d->nodes[i].inext] : NULL;
	}
	*out = d;
	return 0;
}

const struct bs_json *bs_json_root(const struct bs_json_doc *d)
{
	return d && d->n ? &d->nodes[0] : NULL;
}

void bs_json_free(struct bs_json_doc *d)
{
	if (!d)
		return;
	free(d->nodes);
	free(d->strs);
	free(d);
}

const struct bs_json *bs_json_get(const struct bs_json *obj, const char *key)
{
	if (!obj || obj->type != BS_JSON_OBJECT)
		return NULL;
	for (const struct bs_json *m = obj->child; m; m = m->next)
		if (m->key && strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *bs_json_get_str(const struct bs_json *obj, const char *key)
{
	const struct bs_json *v = bs_json_get(obj, key);

	return v && v->type == BS_JSON_STRING ? v->str : NULL;
}

/* ---- writer ---- */

void bs_jw_init(struct bs_jw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	w->first[0] = true;
}

void bs_jw_free(struct bs_jw *w)
{
	free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

void bs_jw_reset(struct bs_jw *w)
{
	char *p = w->p;
	size_t cap = w->cap, max = w->max;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->cap = cap;
	w->max = max;
	w->first[0] = true;
	if (p)
		p[0] = '\0';
}

static void jw_put(struct bs_jw *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->max) {
		w->failed = true;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *p;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		p = realloc(w->p, cap);
		if (!p) {
			w->failed = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

/* Before a value: the comma, unless first in its container or after a key. */
static void jw_sep(struct bs_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		jw_put(w, ",", 1);
	w->first[w->depth] = false;
}

static void jw_open(struct bs_jw *w, char c)
{
	jw_sep(w);
	jw_put(w, &c, 1);
	if (w->depth >= BS_JW_DEPTH) {
		w->failed = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void jw_close(struct bs_jw *w, char c)
{
	if (w->depth)
		w->depth--;
	jw_put(w, &c, 1);
}

void bs_jw_obj(struct bs_jw *w)
{
	jw_open(w, '{');
}
void bs_jw_obj_end(struct bs_jw *w)
{
	jw_close(w, '}');
}
void bs_jw_arr(struct bs_jw *w)
{
	jw_open(w, '[');
}
void bs_jw_arr_end(struct bs_jw *w)
{
	jw_close(w, ']');
}

static void jw_quoted(struct bs_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	jw_put(w, "\"", 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			jw_put(w, e, 2);
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			char e[2] = {'\\', c == '\n' ? 'n' : c == '\t' ? 't' : 'r'};

			jw_put(w, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			jw_put(w, e, 6);
			i++;
		} else if ((k = utf8_len((const unsigned char *)s + i, n - i)) != 0) {
			jw_put(w, s + i, k);
			i += k;
		} else {
			jw_put(w, "\\ufffd", 6);
			i++;
		}
	}
	jw_put(w, "\"", 1);
}

void bs_jw_key(struct bs_jw *w, const char *key)
{
	jw_sep(w);
	jw_quoted(w, key, strlen(key));
	jw_put(w, ":", 1);
	w->after_key = true;
}

void bs_jw_strn(struct bs_jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_quoted(w, s, n);
}

void bs_jw_str(struct bs_jw *w, const char *s)
{
	bs_jw_strn(w, s, strlen(s));
}

void bs_jw_u64(struct bs_jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);

	jw_sep(w);
	jw_put(w, b, (size_t)n);
}

void bs_jw_i64(struct bs_jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", (long long)v);

	jw_sep(w);
	jw_put(w, b, (size_t)n);
}

void bs_jw_bool(struct bs_jw *w, bool v)
{
	jw_sep(w);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void bs_jw_null(struct bs_jw *w)
{
	jw_sep(w);
	jw_put(w, "null", 4);
}

void bs_jw_kstr(struct bs_jw *w, const char *key, const char *s)
{
	bs_jw_key(w, key);
	bs_jw_str(w, s);
}

void bs_jw_ku64(struct bs_jw *w, const char *key, uint64_t v)
{
	bs_jw_key(w, key);
	bs_jw_u64(w, v);
}

void bs_jw_ki64(struct bs_jw *w, const char *key, int64_t v)
{
	bs_jw_key(w, key);
	bs_jw_i64(w, v);
}

void bs_jw_kbool(struct bs_jw *w, const char *key, bool v)
{
	bs_jw_key(w, key);
	bs_jw_bool(w, v);
}
