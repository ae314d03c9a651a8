/* SPDX-License-Identifier: MIT */
/*
 * A small, strict, bounded JSON reader and writer for the control socket
 * (docs/control.md). The reader takes exactly one RFC 8259 value, builds a
 * tree in one allocation and refuses anything it cannot represent exactly:
 * NUL bytes (raw or \u0000), invalid UTF-8, lone surrogates, nesting deeper
 * than the caller allows, more nodes than the caller allows. The writer
 * escapes every string it is given, replacing invalid UTF-8 (client host
 * names are hostile input) with U+FFFD, so its output is always valid JSON.
 */
#ifndef BS_CONTROL_JSON_H
#define BS_CONTROL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bs_json_type {
	BS_JSON_NULL,
	BS_JSON_FALSE,
	BS_JSON_TRUE,
	BS_JSON_NUMBER,
	BS_JSON_STRING,
	BS_JSON_ARRAY,
	BS_JSON_OBJECT,
};

struct bs_json {
	int type;		     /* enum bs_json_type */
	const char *key;	     /* member name inside an object; NULL otherwise */
	const char *str;	     /* STRING: decoded UTF-8, NUL-terminated, no NUL inside */
	size_t len;		     /* STRING: bytes; ARRAY/OBJECT: members */
	double num;		     /* NUMBER */
	bool is_int;		     /* NUMBER written as an integer that fits int64 */
	int64_t i;		     /* NUMBER, when is_int */
	const struct bs_json *child; /* ARRAY/OBJECT: first member */
	const struct bs_json *next;  /* next member of the parent */
	/* parser internals */
	uint32_t ichild, inext;
};

struct bs_json_limits {
	size_t max_len;	    /* input bytes */
	unsigned max_depth; /* 1: scalars and one object/array level */
	size_t max_nodes;
};

struct bs_json_doc;

/*
 * Parse text[0..len). On success 0 and *out (free with bs_json_free); on
 * error -EINVAL (not JSON, message in err), -E2BIG (a limit), -ENOMEM.
 */
int bs_json_parse(const char *text, size_t len, const struct bs_json_limits *lim,
		  struct bs_json_doc **out, char *err, size_t errlen);
const struct bs_json *bs_json_root(const struct bs_json_doc *d);
void bs_json_free(struct bs_json_doc *d);

/* The member named key of an object (the first, if repeated); NULL if none. */
const struct bs_json *bs_json_get(const struct bs_json *obj, const char *key);
/* The member's string, or NULL if absent or not a string. */
const char *bs_json_get_str(const struct bs_json *obj, const char *key);

/* ---- writer ---- */

#define BS_JW_DEPTH 16

struct bs_jw {
	char *p;
	size_t len, cap;
	size_t max;  /* the output never grows past this; then failed is set */
	bool failed; /* out of memory or over max: the text is incomplete */
	unsigned depth;
	bool first[BS_JW_DEPTH + 1];
	bool after_key;
};

void bs_jw_init(struct bs_jw *w, size_t max);
void bs_jw_free(struct bs_jw *w);
void bs_jw_reset(struct bs_jw *w);
void bs_jw_obj(struct bs_jw *w);
void bs_jw_obj_end(struct bs_jw *w);
void bs_jw_arr(struct bs_jw *w);
void bs_jw_arr_end(struct bs_jw *w);
void bs_jw_key(struct bs_jw *w, const char *key);
void bs_jw_str(struct bs_jw *w, const char *s);
void bs_jw_strn(struct bs_jw *w, const char *s, size_t n);
void bs_jw_u64(struct bs_jw *w, uint64_t v);
void bs_jw_i64(struct bs_jw *w, int64_t v);
void bs_jw_bool(struct bs_jw *w, bool v);
void bs_jw_null(struct bs_jw *w);
/* key + value in one call */
void bs_jw_kstr(struct bs_jw *w, const char *key, const char *s);
void bs_jw_ku64(struct bs_jw *w, const char *key, uint64_t v);
void bs_jw_ki64(struct bs_jw *w, const char *key, int64_t v);
void bs_jw_kbool(struct bs_jw *w, const char *key, bool v);

#endif
