/* SPDX-License-Identifier: MIT */
/*
 * The classifier's maps. Names are what `bpftool map show` prints (kernel
 * object names: at most 15 characters). Layouts: bootstorm_common.h.
 */
#ifndef BS_BPF_MAPS_H
#define BS_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bootstorm_common.h"

/*
 * rx queue index -> AF_XDP socket fd (written by user space, read by
 * bpf_redirect_map). One map per interface: queue numbers are per device.
 * An empty slot (or a queue >= max_entries) makes bpf_redirect_map return
 * its fallback, XDP_PASS. max_entries is resized by the loader before load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, BS_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* enum bs_xdp_counter_id -> struct bs_xdp_counter, per CPU (no atomics). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BS_XDP_CNT_MAX);
	__type(key, __u32);
	__type(value, struct bs_xdp_counter);
} bs_counters SEC(".maps");

/* Key 0 -> the server's addresses (struct bs_xdp_addrs); n == 0: any. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_xdp_addrs);
} bs_addrs SEC(".maps");

#endif
