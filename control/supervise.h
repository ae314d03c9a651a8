/* SPDX-License-Identifier: MIT */
/*
 * The control process's side of the process split: fork the dataplane,
 * wait until it reports that it serves, keep the lease journal pumping,
 * restart a dataplane that dies (with back-off), forward SIGHUP/SIGUSR1,
 * and on SIGTERM/SIGINT stop it and wait for its last lease sync.
 */
#ifndef BS_CONTROL_SUPERVISE_H
#define BS_CONTROL_SUPERVISE_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include "util/log.h"

struct bs_sup_config {
	/*
	 * Runs in the forked child: set everything up, write one byte to
	 * ready_fd (-1: nobody waits) once it serves, run. Its return value
	 * is the child's exit status.
	 */
	int (*dataplane)(void *arg, int ready_fd);
	/* The journal and the host state file: a pump_fd readable, before
	   each fork, or once a second (retries). */
	void (*pump)(void *arg);
	int pump_fd[2]; /* -1: none */
	void *arg;
	const struct bs_log *log;
};

struct bs_sup {
	struct bs_sup_config cfg;
	int sigfd;
	sigset_t oldmask;
	pid_t pid;  /* the dataplane; 0 while none runs */
	pid_t self; /* control's pid (a child checks it is still there) */
	unsigned restarts;
	unsigned backoff_ms;
	unsigned long long started_ms;
};

/*
 * Block the signals control handles (before forking anything), fork the
 * first dataplane and wait until it is ready. 0; the dataplane's exit
 * status (> 0) when it exited before it was ready; -errno.
 */
int bs_sup_start(struct bs_sup *s, const struct bs_sup_config *cfg);

/* Supervise until SIGTERM/SIGINT and the dataplane's exit. 0 or -errno. */
int bs_sup_run(struct bs_sup *s);

/* pid of the dataplane now running (0: none), restarts so far. */
pid_t bs_sup_dataplane(const struct bs_sup *s);

#endif
