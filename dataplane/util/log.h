/* SPDX-License-Identifier: MIT */
/*
 * Logging through a sink passed in by the caller: protocol code has no
 * globals, so it cannot know whether it logs to stderr, syslog or a test's
 * capture buffer. Priorities are syslog's (LOG_ERR ... LOG_DEBUG).
 */
#ifndef BS_UTIL_LOG_H
#define BS_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

struct bs_log {
	/* msg has no trailing newline. fn NULL: logging off. */
	void (*fn)(void *arg, int prio, const char *msg);
	void *arg;
	int max_prio; /* messages with prio > max_prio are not formatted */
};

void bs_logf(const struct bs_log *log, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Token bucket for log lines about hostile or broken input: a flood of bad
 * packets must cost a counter increment, not a syslog write each.
 */
struct bs_ratelimit {
	uint64_t window_start_ms;
	uint32_t in_window;
	uint32_t suppressed;
};

/* At most burst messages per second; returns true when this one may go out. */
bool bs_ratelimit_ok(struct bs_ratelimit *rl, uint64_t now_ms, uint32_t burst);

/* Log handler writing "bootstorm[pid]: msg" to stderr. */
void bs_log_stderr(void *arg, int prio, const char *msg);
/* Log handler writing to syslog (openlog done by the caller). */
void bs_log_syslog(void *arg, int prio, const char *msg);

#endif
