/* SPDX-License-Identifier: MIT */
/*
 * Configuration: dnsmasq-compatible command line and config file, one
 * grammar (every config directive is also a long option, --name=value, as in
 * dnsmasq). Produces the immutable DHCP policy plus the daemon's settings,
 * and diagnostics that name file, line and what was expected.
 */
#ifndef BS_CONTROL_CONFIG_H
#define BS_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../dataplane/proto/policy.h"
#include "../dataplane/proto/tftp.h"
#include "../dataplane/proto/http.h"
#include "../dataplane/proto/ipxe_script.h"

enum bs_diag_level { BS_DIAG_NOTE, BS_DIAG_WARNING, BS_DIAG_ERROR };

struct bs_diag {
	int level;	/* enum bs_diag_level */
	char file[256]; /* "command line" for options given as arguments */
	int line;	/* 0 when not tied to a line */
	char msg[512];	/* what is wrong and what was expected */
};

struct bs_diags {
	struct bs_diag *v;
	size_t n, cap;
	size_t errors, warnings;
	size_t dropped; /* not stored: beyond BS_DIAGS_MAX (still counted above) */
};

/* A file of garbage must not cost unbounded memory in diagnostics. */
#define BS_DIAGS_MAX 1000

#define BS_CONTROL_SOCKET_DEFAULT "/run/bootstorm.sock"

#define BS_MAX_IFACES 16
#define BS_MAX_LISTEN 16

struct bs_config {
	struct bs_policy *policy;

	/* daemon */
	char conf_file[256];  /* -C/--conf-file; default /etc/bootstorm/bootstorm.conf */
	bool test_only;	      /* --test */
	bool no_daemon;	      /* -d/--no-daemon: foreground, log to stderr */
	bool keep_foreground; /* -k/--keep-in-foreground: foreground, syslog */
	char pid_file[256];   /* pid-file; "" = none */
	int log_facility;     /* log-facility, syslog facility (LOG_DAEMON) */
	char log_file[256];   /* log-facility=/path (dnsmasq allows a file); "" */
	char lease_file[256]; /* dhcp-leasefile; default /var/lib/bootstorm/leases */
	char host_state[256]; /* host-state: the host registry's file; "" = "hosts"
				 in lease_file's directory (control/hosts.h) */

	/* where to listen */
	char ifaces[BS_MAX_IFACES][16]; /* interface=; none = all but lo */
	unsigned nifaces;
	uint32_t listen[BS_MAX_LISTEN]; /* listen-address= (host order) */
	unsigned nlisten;

	/* backend=: "auto" (AF_XDP, else sockets), "afxdp", "socket" or
	   "dpdk"; always one of these, checked by the parser. */
	char backend[16];
	char dpdk_args[512]; /* dpdk-args=: DPDK EAL arguments; "" = derived */

	/* TFTP */
	bool tftp_enabled;	 /* enable-tftp */
	char tftp_root[256];	 /* tftp-root; default /var/lib/tftpboot */
	struct tftp_config tftp; /* tftp-max, tftp-port-range, defaults filled in */

	/* HTTP boot server (not in dnsmasq). Zero values are the defaults,
	   so a config that never names them needs no initialisation. */
	uint16_t http_port;	 /* http-port; 0 = HTTP off */
	/* http-address; zero = all (IPv6 dual stack) */
	struct http_bind http_addr;
	char http_root[256];	 /* http-root; "" = tftp-root */
	uint32_t http_max_conns; /* http-max-conns; 0 = 1024 */
	uint32_t http_timeout;	 /* http-timeout, seconds; 0 = 30 */
	/* http-send-buffer: 0 auto, UINT32_MAX kernel, else SO_SNDBUF bytes */
	uint32_t http_send_buffer;

	/* Image cache (docs/http.md "Image cache") */
#define BS_MAX_CACHE_WARM 32
	char cache_warm[BS_MAX_CACHE_WARM][256]; /* cache-warm=PATH: pinned at start */
	unsigned ncache_warm;
	uint64_t cache_size; /* cache-size=SIZE, bytes; 0 = no byte budget */

	/* Operator control socket (not in dnsmasq; docs/control.md). */
	char control_socket[108]; /* control-socket; "" = BS_CONTROL_SOCKET_DEFAULT */
	char control_group[64];	  /* control-group; "" = none (mode 0600) */
	/* metrics-address=ADDR:PORT */
	struct http_bind metrics_addr;
	uint16_t metrics_port;	 /* 0: /metrics on http-port */
	/* ipxe-boot=: GET /boot.ipxe scripts, first match wins */
#define BS_MAX_IPXE_BOOTS 32
	struct ipxe_boot ipxe_boots[BS_MAX_IPXE_BOOTS];
	unsigned nipxe_boots;

	/* Where some settings were written, for bs_config_check_environment()'s
	   diagnostics (file names point into the policy's string pool). */
	struct bs_origin tftp_root_origin;
	/* user=, group= (dnsmasq's): the dataplane's ids after its setup;
	   "" = keep (no default user, unlike dnsmasq's "nobody") */
	char run_user[64];
	char run_group[64];
	struct bs_origin run_user_origin, run_group_origin;
	/* Every config file read (real paths, the first ones): the dataplane
	   keeps read access to their directories for a reload. */
#define BS_MAX_CONF_FILES 8
	char conf_files[BS_MAX_CONF_FILES][256];
	unsigned nconf_files;
	struct bs_origin iface_origin[BS_MAX_IFACES];
	struct bs_origin listen_origin[BS_MAX_LISTEN];
};

/*
 * Parse the command line (argv[0] skipped) and the config file it names
 * (-C/--conf-file, else the default, which may be missing only if not named
 * explicitly). Diagnostics go to diags (never printed here). Returns 0 and
 * *out, or -1 when there were errors (then *out is NULL). In --test mode
 * warnings about unknown directives count as errors (the caller decides the
 * exit code from diags->errors).
 * Special returns: 1 for --help/--version (text written to the given stream).
 */
int bs_config_from_argv(int argc, char **argv, FILE *help_out, struct bs_config **out,
			struct bs_diags *diags);

/* Parse one file into a fresh config with default settings (tests, reload). */
int bs_config_from_file(const char *path, bool strict, struct bs_config **out,
			struct bs_diags *diags);

/* Extra checks that look at the machine: boot files present in tftp-root,
   interfaces exist. Run by --test and at start-up (as warnings). */
void bs_config_check_environment(const struct bs_config *cfg, struct bs_diags *diags);

/* Frees cfg, its policy and the policy's strings. */
void bs_config_free(struct bs_config *cfg);

/*
 * Frees a policy built by this module on its own: a caller that keeps the
 * policy (a reload publishing a new snapshot) sets cfg->policy = NULL before
 * bs_config_free(cfg) and frees the policy when no worker reads it.
 */
void bs_policy_free(struct bs_policy *p);

/* "file:line: error: msg" lines, one per diagnostic. */
void bs_diags_print(const struct bs_diags *d, FILE *f);
void bs_diags_free(struct bs_diags *d);

#endif
