/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the configuration modules:
 *   config.c            diagnostics, string pool, lexer, file reading and
 *                       includes, command line, value parsers
 *   config_directives.c the directive table and one handler per directive
 *                       (the policy compiler), option value encoding
 *   config_check.c      checks across directives (shadowed lines, ranges on
 *                       one subnet, ...) and checks against the machine
 * Nothing here is part of the API; control/config.h is.
 */
#ifndef BS_CONTROL_CONFIG_INT_H
#define BS_CONTROL_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CFG_MAX_LINE	      4096
#define CFG_MAX_FIELDS	      64
#define CFG_MAX_INCLUDE_DEPTH 16

/* Strings the policy points at (origin file names, tag names). */
struct cfg_pool {
	char **v;
	size_t n, cap;
};

/* The policy and what it owns, freed as one (see bs_policy_free()). */
struct cfg_policy_box {
	struct bs_policy pol; /* must be first */
	struct cfg_pool pool;
};

/* One directive occurrence, from a file line or a command line option. */
struct cfg_item {
	const char *file; /* pool */
	int line;	  /* 0 on the command line */
	char *name;
	char *value; /* NULL when written without '=' */
};

struct cfg_field {
	char *s;
	bool quoted; /* was "double-quoted": taken literally, never a keyword */
};

struct cfg_ctx {
	struct bs_config *cfg;
	struct bs_policy *pol;
	struct cfg_pool *pool;
	struct bs_diags *diags;
	bool strict; /* --test: unknown directives are errors */
	bool oom;

	struct cfg_item *items;
	size_t nitems, capitems;

	/* include stack, for loop detection and the depth limit */
	char *incl[CFG_MAX_INCLUDE_DEPTH + 1];
	unsigned nincl;

	/* where the directive being compiled came from */
	const char *file;
	int line;
	const char *dname;

	/* array capacities while compiling */
	size_t cap_ranges, cap_hosts, cap_boots, cap_services, cap_prompts, cap_matches,
	    cap_tag_ifs, cap_options;
	bool tag_overflow_reported;
};

/* config.c: diagnostics */
void cfg_vdiag(struct bs_diags *d, int level, const char *file, int line, const char *fmt,
	       va_list ap) __attribute__((format(printf, 5, 0)));
void cfg_diag_at(struct cfg_ctx *c, int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* At the current directive, message prefixed with "<directive>: ". */
void cfg_err(struct cfg_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfg_warn(struct cfg_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfg_note(struct cfg_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* config.c: pool; NULL (and c->oom) on allocation failure */
const char *cfg_intern(struct cfg_ctx *c, const char *s);

/* config.c: value parsers. 0, -EINVAL (not that shape) or -ERANGE. */
int cfg_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cfg_parse_ip(const char *s, uint32_t *out);
int cfg_parse_netmask(const char *s, uint32_t *out);
int cfg_parse_lease(const char *s, uint32_t *out);
int cfg_parse_mac(const char *s, uint8_t mac[6]);
bool cfg_is_netmask(uint32_t m);
/* "192.168.1.1" into buf (16 bytes) */
const char *cfg_ip_str(uint32_t ip, char buf[16]);

/* config.c: grow *arr (elements of size sz) to hold one more; NULL on OOM */
void *cfg_push(struct cfg_ctx *c, void **arr, size_t *n, size_t *cap, size_t sz);

/* config_directives.c */
enum cfg_arg { CFG_ARG_NONE, CFG_ARG_REQ, CFG_ARG_OPT };
struct cfg_directive {
	const char *name;
	int arg; /* enum cfg_arg */
	void (*fn)(struct cfg_ctx *c, struct cfg_field *f, size_t n);
	const char *syntax; /* for "expected ..." in diagnostics */
	char shortopt;	    /* dnsmasq's short option letter, 0 if none */
};
extern const struct cfg_directive cfg_directives[];
extern const size_t cfg_ndirectives;
const struct cfg_directive *cfg_directive_find(const char *name);
const struct cfg_directive *cfg_directive_by_short(char opt);
/* Known dnsmasq directive bootstorm ignores: the reason, else NULL. */
const char *cfg_ignored_reason(const char *name, bool *dns);
/* Closest known directive name within a small edit distance, or NULL. */
const char *cfg_directive_suggest(const char *name);
void cfg_compile_item(struct cfg_ctx *c, const struct cfg_item *it);
int cfg_tag_intern(struct cfg_ctx *c, const char *name);

/* config_check.c: checks across directives, after all were compiled */
void cfg_check_policy(struct cfg_ctx *c);

#endif
