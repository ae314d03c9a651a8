/* SPDX-License-Identifier: MIT */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 10000
#define STABLE_MS      30000 /* a dataplane that ran this long resets the back-off */

static unsigned long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* In the child: die with control, never outlive it. */
static void child_start(struct bs_sup *s, int ready_fd)
{
	/* SIGKILL, not SIGTERM: without control no burst can become durable,
	   and the dataplane holds nothing that needs a clean exit. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != s->self)
		_exit(2);
	close(s->sigfd);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	signal(SIGPIPE, SIG_IGN);
	_exit(s->cfg.dataplane(s->cfg.arg, ready_fd));
}

/* Fork a dataplane; with wait, block until it is ready or gone. */
static int spawn(struct bs_sup *s, bool wait)
{
	int pfd[2] = {-1, -1}, status;
	char c;
	pid_t pid;

	if (wait && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		if (wait) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return err;
	}
	if (pid == 0) {
		if (wait)
			close(pfd[0]);
		child_start(s, pfd[1]);
	}
	s->pid = pid;
	s->started_ms = mono_ms();
	if (!wait)
		return 0;
	close(pfd[1]);
	/* Start-up does not touch leases: nothing to pump meanwhile. */
	ssize_t got;

	while ((got = read(pfd[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	/* EOF without the byte: it is exiting (or has); wait for it. */
	if (got != 1 && waitpid(pid, &status, 0) == pid) {
		s->pid = 0;
		return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 2;
	}
	return 0;
}

int bs_sup_start(struct bs_sup *s, const struct bs_sup_config *cfg)
{
	sigset_t mask;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->self = getpid();
	s->backoff_ms = BACKOFF_MIN_MS;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &s->oldmask) < 0)
		return -errno;
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return -errno;
	return spawn(s, true);
}

pid_t bs_sup_dataplane(const struct bs_sup *s)
{
	return s->pid;
}

/* Reap the dataplane; true when it is gone. */
static bool reap(struct bs_sup *s, bool stopping)
{
	int status;

	if (!s->pid || waitpid(s->pid, &status, WNOHANG) != s->pid)
		return false;
	s->pid = 0;
	if (stopping)
		return true;
	if (mono_ms() - s->started_ms > STABLE_MS)
		s->backoff_ms = BACKOFF_MIN_MS;
	if (WIFSIGNALED(status))
		bs_logf(s->cfg.log, LOG_ERR, "dataplane killed by signal %d: restarting in %u ms",
			WTERMSIG(status), s->backoff_ms);
	else
		bs_logf(s->cfg.log, LOG_ERR, "dataplane exited with status %d: restarting in %u ms",
			WEXITSTATUS(status), s->backoff_ms);
	return true;
}

int bs_sup_run(struct bs_sup *s)
{
	struct pollfd p[3] = {{.fd = s->sigfd, .events = POLLIN},
			      {.fd = s->cfg.pump_fd[0], .events = POLLIN},
			      {.fd = s->cfg.pump_fd[1], .events = POLLIN}};
	unsigned long long restart_at = 0, next_tick = mono_ms() + 1000;
	bool stopping = false;

	for (;;) {
		unsigned long long now = mono_ms(), wake = next_tick;
		struct signalfd_siginfo si;
		int n;

		if (restart_at && restart_at < wake)
			wake = restart_at;
		/* poll ignores negative fds */
		n = poll(p, 3, wake > now ? (int)(wake - now) : 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		/* The journal first: a dataplane waits on it. */
		if (n > 0 && (p[1].revents || p[2].revents))
			s->cfg.pump(s->cfg.arg);
		while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				bs_logf(s->cfg.log, LOG_INFO, "signal %u: stopping the dataplane",
					si.ssi_signo);
				stopping = true;
				restart_at = 0;
				if (s->pid)
					kill(s->pid, SIGTERM);
				break;
			case SIGHUP:
			case SIGUSR1:
				if (s->pid)
					kill(s->pid, (int)si.ssi_signo);
				break;
			default: /* SIGCHLD */
				break;
			}
		}
		if (reap(s, stopping) && !stopping) {
			restart_at = mono_ms() + s->backoff_ms;
			s->backoff_ms =
			    s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
		}
		/* Whatever the dead dataplane pushed is journaled before the
		   next one is forked: it builds its table from the file. */
		if (stopping && !s->pid) {
			s->cfg.pump(s->cfg.arg);
			return 0;
		}
		now = mono_ms();
		if (restart_at && now >= restart_at) {
			int err;

			s->cfg.pump(s->cfg.arg);
			restart_at = 0;
			err = spawn(s, false);
			s->restarts++;
			if (err < 0) {
				bs_logf(s->cfg.log, LOG_ERR, "dataplane: fork: %s", strerror(-err));
				restart_at = now + s->backoff_ms;
			} else {
				bs_logf(s->cfg.log, LOG_NOTICE,
					"dataplane restarted (pid %d, restart %u)", (int)s->pid,
					s->restarts);
			}
		}
		if (now >= next_tick) {
			s->cfg.pump(s->cfg.arg); /* retries a broken journal */
			next_tick = now + 1000;
		}
	}
}
