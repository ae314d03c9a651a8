/* SPDX-License-Identifier: MIT */
#include "dpdk_args.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Does a word of args start with prefix? */
static bool has_word(const char *args, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = args; (p = strstr(p, prefix)); p += n)
		if (p == args || p[-1] == ' ' || p[-1] == '\t')
			return true;
	return false;
}

static bool names_device(const char *args)
{
	return has_word(args, "--vdev") || has_word(args, "-a") || has_word(args, "--allow");
}

int bs_dpdk_eal_argv(const char *args, const char (*ifaces)[BS_IO_IFNAMSIZ], unsigned nifaces,
		     int cpu, char *buf, size_t size, char **argv, int *argc)
{
	size_t len;
	int w;

	if (args && !args[0])
		args = NULL;
	if (args)
		w = snprintf(buf, size, "%s", args);
	else
		w = snprintf(buf, size,
			     "--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l %d "
			     "--log-level=notice",
			     cpu);
	if (w < 0 || (size_t)w >= size)
		return -E2BIG;
	len = (size_t)w;
	for (unsigned i = 0; (!args || !names_device(args)) && i < nifaces; i++) {
		if (strchr(ifaces[i], '*'))
			continue;
		w = snprintf(buf + len, size - len, " --vdev=net_af_packet%u,iface=%s", i,
			     ifaces[i]);
		if (w < 0 || (size_t)w >= size - len)
			return -E2BIG;
		len += (size_t)w;
	}
	*argc = 0;
	argv[(*argc)++] = (char *)"bootstorm";
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (*argc >= BS_DPDK_ARGV_MAX - 1)
			return -E2BIG;
		argv[(*argc)++] = t;
	}
	argv[*argc] = NULL;
	return 0;
}
