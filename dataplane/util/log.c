/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

void bs_logf(const struct bs_log *log, int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!log || !log->fn || prio > log->max_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log->fn(log->arg, prio, buf);
}

bool bs_ratelimit_ok(struct bs_ratelimit *rl, uint64_t now_ms, uint32_t burst)
{
	if (now_ms - rl->window_start_ms >= 1000) {
		rl->window_start_ms = now_ms;
		rl->in_window = 0;
	}
	if (rl->in_window < burst) {
		rl->in_window++;
		return true;
	}
	rl->suppressed++;
	return false;
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

void bs_log_stderr(void *arg, int prio, const char *msg)
{
	(void)arg;
	fprintf(stderr, "bootstorm[%d]: %s%s\n", (int)getpid(), prio_name(prio), msg);
}

void bs_log_syslog(void *arg, int prio, const char *msg)
{
	(void)arg;
	syslog(prio, "%s", msg);
}
