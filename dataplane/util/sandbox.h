/* SPDX-License-Identifier: MIT */
/*
 * The dataplane's privilege drop, applied once after its setup (sockets,
 * XDP, UMEM, caches and the control socket are open) and before it
 * serves: no_new_privs, Landlock (file system: read-only beneath the
 * listed paths, nothing writable), a seccomp filter that fails the
 * system calls that write to the file system, the capabilities not
 * needed at run time, and an optional uid/gid. Everything the process
 * holds open keeps working (sockets, the log file, the lease ring).
 *
 * Applied to the calling thread; call it before any thread is started
 * (threads inherit it).
 */
#ifndef BS_UTIL_SANDBOX_H
#define BS_UTIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	BS_SB_READ = 1,	 /* read files and list directories beneath */
	BS_SB_WRITE = 2, /* also create, write, remove beneath (Landlock only) */
};

/* One path the dataplane may still use, and how. */
struct bs_sandbox_rule {
	const char *path;
	unsigned access; /* BS_SB_* */
};

#define BS_SANDBOX_RULES_MAX 16

struct bs_sandbox {
	struct bs_sandbox_rule rules[BS_SANDBOX_RULES_MAX];
	unsigned nrules;
	uint64_t keep_caps; /* 1ull << CAP_*: what the backend needs at run time */
	bool no_landlock;   /* tests: exercise the seccomp-only path */
	bool no_seccomp;    /* tests: Landlock alone */
	bool set_ids;	    /* user=/group= */
	uid_t uid;
	gid_t gid;
};

/* Append a rule (duplicates and "" ignored): 0 or -ENOSPC. */
int bs_sandbox_allow(struct bs_sandbox *sb, const char *path, unsigned access);

/*
 * Apply it. 0 with what was applied in summary ("landlock ABI 7,
 * seccomp, caps: none, uid 0"), or -errno with summary saying which step
 * failed. Landlock missing (kernel < 5.13, or not enabled) is not an
 * error: seccomp then stands alone (it cannot see openat2's flags, which
 * the image cache needs: that call stays open). A step that fails half
 * way leaves the process to exit: the caller must not serve.
 */
int bs_sandbox_apply(const struct bs_sandbox *sb, char *summary, size_t len);

#endif
