/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the configuration modules:
 *   config.c            diagnostics, string pool, the config's life cycle,
 *                       value parsers and field checks, tags, the entry
 *                       points that run the phases, compiling one item
 *   config_lex.c        text to items: lines, comments, quoting, fields,
 *                       typographic quotes, conf-file includes, the command
 *                       line, dnsmasq names bootstorm ignores, suggestions
 *   config_directives.c the directive table and one handler per directive
 *                       (the policy compiler)
 *   config_options.c    DHCP option names/types, dhcp-option(-force) value
 *                       encoding, dhcp-match/-userclass/-vendorclass
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
#include <stdio.h>

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

/* config.c: field checks for handlers. Each reports its own error (what
   names the field in the message) and returns 0 or non-zero after it. */
int cfg_ip_field(struct cfg_ctx *c, const char *s, const char *what, uint32_t *out);
/* A listener address: IPv4 "10.0.0.1", IPv6 "fd00::1" or "[fd00::1]". */
int cfg_bind_field(struct cfg_ctx *c, const char *s, const char *what, struct http_bind *out);
int cfg_num_field(struct cfg_ctx *c, const char *s, const char *what, uint64_t min, uint64_t max,
		  uint64_t *out);
/* Below the 2-minute minimum: a warning, and raised to it. */
int cfg_lease_field(struct cfg_ctx *c, const char *s, uint32_t *out);
int cfg_str_field(struct cfg_ctx *c, const char *s, const char *what, char *dst, size_t size);
int cfg_ascii_text(struct cfg_ctx *c, const char *s, const char *what);
bool cfg_is_digits(const char *s);

/*
 * config.c: leading tag:X / tag:!X / set:X fields (net:X is dnsmasq's old
 * spelling of either). match or set NULL: that kind is not allowed here.
 * Returns the index of the first other field, or -1 after a diagnostic.
 */
int cfg_parse_tags(struct cfg_ctx *c, struct cfg_field *f, size_t n, struct bs_tagexpr *match,
		   bs_tagset *set);

/* config_lex.c: reading */
struct cfg_argv {
	const char *conf; /* -C/--conf-file's value (points into argv); NULL: not given */
	bool help, version;
};
/* Read one file's directives into c->items, includes expanded in place.
   from/from_line: the conf-file= line that included it (NULL for the top
   file). must_exist false: a missing file is no error. 0 or -errno. */
int cfg_read_file(struct cfg_ctx *c, const char *path, bool must_exist, const char *from,
		  int from_line);
void cfg_read_argv(struct cfg_ctx *c, int argc, char **argv, struct cfg_argv *a);
void cfg_usage(FILE *f);
/* Split a value (modified in place) into at most CFG_MAX_FIELDS fields;
   the number of fields, or -1 after a diagnostic. */
int cfg_split_fields(struct cfg_ctx *c, char *s, struct cfg_field *f);

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

/* config_lex.c: known dnsmasq directive bootstorm ignores: the reason, else
   NULL. */
const char *cfg_ignored_reason(const char *name, bool *dns);
/* config_lex.c: closest known directive name within a small edit distance,
   or NULL. */
const char *cfg_directive_suggest(const char *name);

/* config.c: split an item's value and run its handler (or report an
   unknown name). */
void cfg_compile_item(struct cfg_ctx *c, const struct cfg_item *it);
/* config.c: a tag's index, added on first use; -1 after a diagnostic. */
int cfg_tag_intern(struct cfg_ctx *c, const char *name);
/* config.c: cfg_tag_intern() after checking name is a tag name (field names
   the field in the message). */
int cfg_tag_name(struct cfg_ctx *c, const char *field, const char *name);

/* config_options.c: an option written as a number or option:NAME; *type is
   the encoder's type (private to config_options.c). 0 or -1 after a
   diagnostic. */
int cfg_option_code_field(struct cfg_ctx *c, const char *s, uint8_t *code, int *type);
/* config_options.c: directive handlers, listed in cfg_directives[] */
void cfg_d_option(struct cfg_ctx *c, struct cfg_field *f, size_t n);
void cfg_d_option_force(struct cfg_ctx *c, struct cfg_field *f, size_t n);
void cfg_d_match(struct cfg_ctx *c, struct cfg_field *f, size_t n);
void cfg_d_userclass(struct cfg_ctx *c, struct cfg_field *f, size_t n);
void cfg_d_vendorclass(struct cfg_ctx *c, struct cfg_field *f, size_t n);

/* config_check.c: checks across directives, after all were compiled */
void cfg_check_policy(struct cfg_ctx *c);

#endif
