/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's EAL command line from the config (docs/dpdk.md):
 * dpdk-args= split at white space, or a default that needs no hugepages
 * and no PCI; when the arguments name no device (--vdev, -a, --allow), a
 * net_af_packet vdev for every interface= without a wildcard. Pure: no
 * DPDK, no I/O, so it is unit-tested without EAL.
 */
#ifndef BS_IO_DPDK_ARGS_H
#define BS_IO_DPDK_ARGS_H

#include <stddef.h>

#include "io.h"

#define BS_DPDK_ARGV_MAX 64 /* argv entries, the terminating NULL included */

/*
 * argv[0] = "bootstorm", then the arguments, argv[*argc] = NULL; the
 * strings live in buf. args: dpdk-args= (NULL or "": the default, with
 * "-l cpu"). 0, or -E2BIG when buf or argv is too small.
 */
int bs_dpdk_eal_argv(const char *args, const char (*ifaces)[BS_IO_IFNAMSIZ], unsigned nifaces,
		     int cpu, char *buf, size_t size, char **argv, int *argc);

#endif
