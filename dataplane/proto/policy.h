/* SPDX-License-Identifier: MIT */
/*
 * The compiled boot policy: what the config file says, in the form the DHCP
 * code reads per packet. Built once by control/config.c, immutable after
 * that (a reload builds a new one), shared read-only by every worker.
 *
 * Semantics follow dnsmasq's directives of the same names; where bootstorm
 * differs it says so here. IPv4 addresses are host byte order.
 */
#ifndef BS_PROTO_POLICY_H
#define BS_PROTO_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tags: interned names, at most 64 per config, a bit each. */
#define BS_TAG_MAX 64
typedef uint64_t bs_tagset;

/* Tag names bootstorm sets by itself (always interned at these indexes). */
enum bs_builtin_tag {
	BS_TAG_KNOWN = 0,     /* "known": a dhcp-host entry matched the client */
	BS_TAG_IPXE = 1,      /* "ipxe": option 175 present or user class "iPXE" */
	BS_TAG_HTTPCLIENT = 2,/* "httpclient": option 60 starts with "HTTPClient" */
	BS_TAG_PXECLIENT = 3, /* "pxeclient": option 60 starts with "PXEClient" */
	BS_TAG_BUILTIN_COUNT
};

/*
 * A conjunction of tag conditions ("tag:a,tag:!b"): matches a client's tag
 * set s when (s & need) == need && (s & forbid) == 0. Zero value = always.
 */
struct bs_tagexpr {
	bs_tagset need, forbid;
};

static inline bool bs_tagexpr_match(const struct bs_tagexpr *e, bs_tagset s)
{
	return (s & e->need) == e->need && (s & e->forbid) == 0;
}

/* Where a policy item came from, for log lines and diagnostics. */
struct bs_origin {
	const char *file; /* owned by the policy (string pool) */
	int line;
};

#define BS_LEASE_INFINITE 0xffffffffu

/* dhcp-range */
struct bs_range {
	struct bs_origin origin;
	struct bs_tagexpr match; /* tag:X given before the addresses */
	bs_tagset set;           /* set:X */
	uint32_t start, end;     /* inclusive; proxy: start = subnet/server addr, end = start */
	uint32_t netmask;        /* 0: take the receiving interface's netmask */
	uint32_t lease_secs;     /* default 3600 (dnsmasq's default is 1h) */
	bool proxy;              /* "proxy": boot info only, never an address */
};

/* dhcp-host: MAC -> address/hostname/tags */
struct bs_host {
	struct bs_origin origin;
	uint8_t mac[6];
	uint32_t ip;          /* 0: no fixed address */
	char hostname[64];    /* "" if none */
	uint32_t lease_secs;  /* 0: the range's */
	bs_tagset set;
	bool ignore;          /* "ignore": never answer this MAC */
};

/* dhcp-boot=[tag:..,]file[,sname[,server address]] */
struct bs_boot {
	struct bs_origin origin;
	struct bs_tagexpr match;
	char file[256];      /* may be a URL (http://...) for HTTP boot / iPXE */
	char sname[64];      /* "" if none */
	uint32_t server_ip;  /* 0: this server (the receiving interface's address) */
};

/*
 * pxe-service=[tag:..,]CSA,"menu text"[,basename|boot server type][,server]
 * dnsmasq semantics: a basename without a '.' gets the PXE layer suffix ".0"
 * appended when the boot server (port 4011) answers; a numeric boot server
 * type asks the client to discover that type; none or type 0 = local boot.
 */
struct bs_pxe_service {
	struct bs_origin origin;
	struct bs_tagexpr match;
	uint16_t csa;          /* client system architecture, option 93 value */
	char menu[128];        /* menu item text, plain ASCII after config checks */
	char basename[128];    /* "" when type is used instead */
	uint16_t type;         /* boot server type; 0 with empty basename = local boot */
	uint32_t server_ip;    /* 0: this server */
};

/* pxe-prompt=[tag:..,]"prompt"[,timeout] */
struct bs_pxe_prompt {
	struct bs_origin origin;
	struct bs_tagexpr match;
	char text[128];
	uint8_t timeout; /* seconds; 255 = wait for the user; 0 = pick first item now */
};

/*
 * dhcp-match=set:tag,option[,value], dhcp-userclass=set:tag,str,
 * dhcp-vendorclass=set:tag,str: all compiled to the same rule.
 */
enum bs_match_kind {
	BS_MATCH_EXISTS, /* the option is present */
	BS_MATCH_NUMBER, /* option 93: any 16-bit element equals number; other
			    options: the whole option (len 1..4) as a big-endian
			    integer equals number */
	BS_MATCH_BYTES,  /* value occurs as a substring of the option data
			    (userclass: option 77; vendorclass: option 60) */
};

struct bs_match {
	struct bs_origin origin;
	bs_tagset set;   /* tags to set when it matches */
	uint8_t option;  /* DHCP option code (77 userclass, 60 vendorclass, ...) */
	uint8_t kind;    /* enum bs_match_kind */
	uint32_t number;
	uint8_t len;
	uint8_t bytes[128];
};

/* tag-if=set:a[,set:b],tag:c[,tag:!d]: evaluated in order, after matches. */
struct bs_tag_if {
	struct bs_origin origin;
	struct bs_tagexpr match;
	bs_tagset set;
};

/*
 * dhcp-option / dhcp-option-force: the value is already encoded (by the
 * config compiler, using the option's known type) as option payload bytes.
 */
struct bs_dhcp_option {
	struct bs_origin origin;
	struct bs_tagexpr match;
	uint8_t code;
	uint8_t encap;   /* 0: top level; 43: a PXE/vendor sub-option of option 43 */
	bool force;      /* dhcp-option-force: send even if not requested */
	uint8_t len;
	uint8_t data[255];
};

struct bs_policy {
	/* Tag names, index = bit. Builtins first (enum bs_builtin_tag); then
	   interface names (dnsmasq sets a tag named after the receiving
	   interface), then names in order of first use. */
	const char *tag_names[BS_TAG_MAX];
	unsigned ntags;

	struct bs_range *ranges;          size_t nranges;
	struct bs_host *hosts;            size_t nhosts;
	struct bs_boot *boots;            size_t nboots;   /* first match wins */
	struct bs_pxe_service *services;  size_t nservices;/* menu order */
	struct bs_pxe_prompt *prompts;    size_t nprompts; /* first match wins */
	struct bs_match *matches;         size_t nmatches;
	struct bs_tag_if *tag_ifs;        size_t ntag_ifs;
	struct bs_dhcp_option *options;   size_t noptions; /* later entries with the
							     same code+encap and a
							     matching tag override
							     earlier untagged ones */

	uint32_t lease_max;    /* dhcp-lease-max, default 1000 (dnsmasq's) */
	bool no_override;      /* dhcp-no-override: never overload file/sname (opt 52) */
	bool authoritative;    /* dhcp-authoritative */
	bool log_dhcp;         /* log-dhcp: log every transaction's details */
	bool tftp_enabled;     /* enable-tftp: we are the TFTP server for boot files */
};

/* Returns the tag's bit index, or -1. Config time only (string compares). */
static inline int bs_policy_tag_index(const struct bs_policy *p, const char *name)
{
	for (unsigned i = 0; i < p->ntags; i++)
		if (p->tag_names[i] && __builtin_strcmp(p->tag_names[i], name) == 0)
			return (int)i;
	return -1;
}

#endif
