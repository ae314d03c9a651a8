/* SPDX-License-Identifier: MIT */
/*
 * The host registry's state file across the process split. The dataplane
 * owns the registry (DHCP reads its snapshot on every packet) but may not
 * write files (it drops that right after setup, util/sandbox.h), so a
 * change's text goes to control, which writes it (bs_hosts_write_file)
 * and answers; the dataplane publishes the change only after a "written".
 *
 * The channel is a SOCK_SEQPACKET socketpair made by control before it
 * forks any dataplane, so every dataplane it forks uses the same pair.
 * One request: {pid, seq, len} plus a memfd holding the text (SCM_RIGHTS:
 * no size limit of a socket buffer, and memfd_create needs no file system
 * access). One answer: {pid, seq, rc}. The dataplane discards answers
 * that are not for its (pid, seq): those of a request a dead predecessor
 * sent, or of one it gave up on. Control writes only the path it was
 * configured with, never one the dataplane names.
 */
#ifndef BS_CONTROL_HOSTSTORE_H
#define BS_CONTROL_HOSTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/log.h"

/* How long the dataplane waits for control's answer: above a compaction
   of a large lease journal, which control may be in the middle of. */
#define BS_HOSTSTORE_WAIT_MS 5000

struct bs_hoststore {
	int fd[2]; /* [0] control's end, [1] the dataplane's */
	uint32_t seq;
	int wait_ms; /* BS_HOSTSTORE_WAIT_MS (tests: less) */
	/* control's side */
	const char *path;
	const struct bs_log *log;
	uint64_t writes, errors;
};

/* Control, before forking: the socketpair. 0 or -errno. */
int bs_hoststore_init(struct bs_hoststore *s, const char *path, const struct bs_log *log);
void bs_hoststore_fini(struct bs_hoststore *s);

/* Control: answer every request waiting (non-blocking). Returns how many. */
int bs_hoststore_serve(struct bs_hoststore *s);

/* Dataplane: a bs_hosts_store_fn (arg: the bs_hoststore); path must be
   the one control writes (it is not sent). */
int bs_hoststore_request(void *arg, const char *path, const char *text, size_t len, char *err,
			 size_t errlen);

#endif
