/* SPDX-License-Identifier: MIT */
/* The dataplane's privilege drop (sandbox.h). */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* same number on every architecture */
#endif

int bs_sandbox_allow(struct bs_sandbox *sb, const char *path, unsigned access)
{
	if (!path || !path[0])
		return 0;
	for (unsigned i = 0; i < sb->nrules; i++)
		if (strcmp(sb->rules[i].path, path) == 0) {
			sb->rules[i].access |= access;
			return 0;
		}
	if (sb->nrules >= BS_SANDBOX_RULES_MAX)
		return -ENOSPC;
	sb->rules[sb->nrules++] = (struct bs_sandbox_rule){path, access};
	return 0;
}

/* ---- Landlock ---- */

/* Every file system right the kernel's ABI knows. IOCTL_DEV (ABI 5) is
   left out: it is about devices opened later, not about writing files. */
static uint64_t ll_handled(int abi)
{
	uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return fs;
}

static uint64_t ll_rights(unsigned access, bool dir, uint64_t handled)
{
	uint64_t r = 0;

	if (access & BS_SB_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | (dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
	if (access & BS_SB_WRITE)
		r |= dir ? handled & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE
			 : LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	return r & handled;
}

/* ABI version (> 0) applied, 0 when the kernel has no Landlock, -errno. */
static int ll_apply(const struct bs_sandbox *sb, char *why, size_t len)
{
	int abi =
	    (int)syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr ra = {0};
	int rfd, err = 0;

	if (abi < 1)
		return 0; /* ENOSYS or EOPNOTSUPP: not built in or not enabled */
	ra.handled_access_fs = ll_handled(abi);
	rfd = (int)syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rfd < 0) {
		snprintf(why, len, "landlock ruleset: %s", strerror(errno));
		return -errno;
	}
	for (unsigned i = 0; !err && i < sb->nrules; i++) {
		struct landlock_path_beneath_attr pb = {0};
		struct stat st;
		int fd = open(sb->rules[i].path, O_PATH | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT)
			continue; /* nothing there to read: nothing to allow */
		if (fd < 0 || fstat(fd, &st) < 0) {
			err = -errno;
			snprintf(why, len, "landlock: %s: %s", sb->rules[i].path, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		pb.parent_fd = fd;
		pb.allowed_access =
		    ll_rights(sb->rules[i].access, S_ISDIR(st.st_mode), ra.handled_access_fs);
		if (syscall(__NR_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			err = -errno;
			snprintf(why, len, "landlock rule %s: %s", sb->rules[i].path,
				 strerror(errno));
		}
		close(fd);
	}
	if (!err && syscall(__NR_landlock_restrict_self, rfd, 0) < 0) {
		err = -errno;
		snprintf(why, len, "landlock_restrict_self: %s", strerror(errno));
	}
	close(rfd);
	return err ? err : abi;
}

/* ---- seccomp ---- */

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SB_AUDIT_ARCH
#define SB_ARG_LO(i)                                                                               \
	(offsetof(struct seccomp_data, args[i]) + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0))
#define SB_RET(v)	  ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define SB_EPERM	  SB_RET(SECCOMP_RET_ERRNO | EPERM)
#define SB_LOAD(off)	  ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define SB_JEQ(k, jt, jf) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf)))
#define SB_JSET(k, jt, jf)                                                                         \
	((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (jt), (jf)))

/* Calls that change the file system whatever their arguments. */
static const int sb_denied[] = {
#ifdef __NR_creat
    __NR_creat,
#endif
#ifdef __NR_rename
    __NR_rename,
#endif
    __NR_renameat,
    __NR_renameat2,
    __NR_unlinkat,
    __NR_mkdirat,
    __NR_mknodat,
    __NR_linkat,
    __NR_symlinkat,
    __NR_truncate,
    __NR_fchmodat,
    __NR_fchmodat2,
    __NR_fchownat,
    __NR_setxattr,
    __NR_lsetxattr,
    __NR_removexattr,
    __NR_lremovexattr,
    __NR_utimensat,
    __NR_fchmod,
    __NR_fchown,
#ifdef __NR_unlink
    __NR_unlink,
    __NR_rmdir,
    __NR_mkdir,
    __NR_mknod,
    __NR_link,
    __NR_symlink,
    __NR_chmod,
    __NR_chown,
    __NR_lchown,
    __NR_utime,
    __NR_utimes,
    __NR_futimesat,
#endif
    /* io_uring would run openat & co. where this filter never sees them */
    __NR_io_uring_setup,
};

/* Flags that make an open() a write (O_TMPFILE needs one of them too). */
#define SB_OPEN_WRITE (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

static int seccomp_apply(char *why, size_t len)
{
	struct sock_filter f[8 + 2 * (sizeof(sb_denied) / sizeof(sb_denied[0])) + 10];
	struct sock_fprog prog = {.filter = f};
	unsigned n = 0;

	f[n++] = SB_LOAD(offsetof(struct seccomp_data, arch));
	f[n++] = SB_JEQ(SB_AUDIT_ARCH, 1, 0);
	/* another ABI (int 0x80 on x86_64): nothing of ours uses one */
	f[n++] = SB_RET(SECCOMP_RET_ERRNO | ENOSYS);
	f[n++] = SB_LOAD(offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	f[n++] =
	    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* x32 */, 0, 1);
	f[n++] = SB_RET(SECCOMP_RET_ERRNO | ENOSYS);
#endif
	for (size_t i = 0; i < sizeof(sb_denied) / sizeof(sb_denied[0]); i++) {
		f[n++] = SB_JEQ((unsigned)sb_denied[i], 0, 1);
		f[n++] = SB_EPERM;
	}
	/* open(path, flags), openat(dir, path, flags): read-only opens pass.
	   openat2 keeps its flags behind a pointer: Landlock's to judge. */
#ifdef __NR_open
	f[n++] = SB_JEQ(__NR_open, 0, 4);
	f[n++] = SB_LOAD(SB_ARG_LO(1));
	f[n++] = SB_JSET(SB_OPEN_WRITE, 0, 1);
	f[n++] = SB_EPERM;
	f[n++] = SB_RET(SECCOMP_RET_ALLOW);
#endif
	f[n++] = SB_JEQ(__NR_openat, 0, 4);
	f[n++] = SB_LOAD(SB_ARG_LO(2));
	f[n++] = SB_JSET(SB_OPEN_WRITE, 0, 1);
	f[n++] = SB_EPERM;
	f[n++] = SB_RET(SECCOMP_RET_ALLOW);
	f[n++] = SB_RET(SECCOMP_RET_ALLOW); /* everything else */
	prog.len = (unsigned short)n;
	/* SPEC_ALLOW: a filter must not switch on the speculative store
	   bypass mitigation for the packet path (the default does). */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) <
		0 &&
	    (errno != EINVAL || syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)) {
		snprintf(why, len, "seccomp: %s", strerror(errno));
		return -errno;
	}
	return 1;
}
#else
static int seccomp_apply(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0; /* no filter for this architecture */
}
#endif

/* ---- capabilities and ids ---- */

static int caps_apply(const struct bs_sandbox *sb, bool *bset, char *why, size_t len)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	*bset = true;
	for (int c = 0; c < 64; c++) {
		if (sb->keep_caps & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EPERM) /* no CAP_SETPCAP: the bounding set stays */
				*bset = false;
			break; /* EINVAL: past the last capability */
		}
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (sb->set_ids) {
		if (sb->keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			goto fail;
		if (setgroups(1, &sb->gid) < 0 || setgid(sb->gid) < 0 || setuid(sb->uid) < 0)
			goto fail;
	}
	d[0].effective = d[0].permitted = (uint32_t)sb->keep_caps;
	d[1].effective = d[1].permitted = (uint32_t)(sb->keep_caps >> 32);
	if (syscall(__NR_capset, &h, d) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, len, "capabilities/ids: %s", strerror(errno));
	return -errno;
}

/* "CAP_BPF,CAP_NET_RAW" for the log line. */
static void caps_str(uint64_t caps, char *out, size_t len)
{
	static const char *const names[64] = {
	    [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	    [CAP_NET_RAW] = "CAP_NET_RAW",
	    [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	    [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	    [CAP_BPF] = "CAP_BPF",
	    [CAP_PERFMON] = "CAP_PERFMON",
	};
	size_t o = 0;

	snprintf(out, len, "none");
	for (int c = 0; c < 64 && o < len; c++)
		if (caps & (1ull << c))
			o += (size_t)snprintf(out + o, len - o, "%s%s%.0d", o ? "," : "",
					      names[c] ? names[c] : "cap ", names[c] ? 0 : c);
}

int bs_sandbox_apply(const struct bs_sandbox *sb, char *summary, size_t len)
{
	char why[200] = "", caps[160];
	int abi = 0, sc = 0, err = 0;
	bool bset = true;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = -errno;
		snprintf(why, sizeof(why), "no_new_privs: %s", strerror(errno));
	}
	if (!err && !sb->no_landlock && (abi = ll_apply(sb, why, sizeof(why))) < 0)
		err = abi;
	if (!err)
		err = caps_apply(sb, &bset, why, sizeof(why));
	if (!err && !sb->no_seccomp && (sc = seccomp_apply(why, sizeof(why))) < 0)
		err = sc;
	if (err) {
		snprintf(summary, len, "%s", why);
		return err;
	}
	caps_str(sb->keep_caps, caps, sizeof(caps));
	if (abi)
		snprintf(why, sizeof(why), "landlock ABI %d", abi);
	else
		snprintf(why, sizeof(why), "no landlock (%s)",
			 sb->no_landlock ? "disabled" : "the kernel has none");
	snprintf(summary, len, "%s, %s, caps %s%s, uid %d gid %d", why,
		 sc		  ? "seccomp"
		 : sb->no_seccomp ? "no seccomp (disabled)"
				  : "no seccomp (architecture)",
		 caps, bset ? "" : " (bounding set kept: no CAP_SETPCAP)", (int)getuid(),
		 (int)getgid());
	return 0;
}
