/* SPDX-License-Identifier: MIT */
/*
 * XDP classifier loader: skeleton lifecycle open -> rodata -> load, then
 * attach through a bpf_link, XSKMAP and counter access. See xdp_loader.h.
 */
#include "xdp_loader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bootstorm_common.h"
#include "bootstorm.skel.h"
#include "util/log.h"

struct bs_xdp {
	struct bootstorm_bpf *skel;
	const struct bs_log *log;
	uint32_t n_queues;
	int link_fd; /* -1 when not attached */
	int ifindex;
	enum bs_xdp_mode mode;
};

static const char *const counter_names[BS_XDP_CNT_MAX] = {
    [BS_XDP_CNT_TO_XSK] = "to_xsk",
    [BS_XDP_CNT_NO_XSK] = "no_xsk",
    [BS_XDP_CNT_PASS_NOT_IP] = "pass_not_ip",
    [BS_XDP_CNT_PASS_NOT_UDP] = "pass_not_udp",
    [BS_XDP_CNT_PASS_OTHER_PORT] = "pass_other_port",
    [BS_XDP_CNT_PASS_OTHER_ADDR] = "pass_other_addr",
    [BS_XDP_CNT_PASS_FRAGMENT] = "pass_fragment",
    [BS_XDP_CNT_MALFORMED] = "malformed",
};

const char *bs_xdp_counter_name(unsigned int id)
{
	if (id >= BS_XDP_CNT_MAX || !counter_names[id])
		return "?";
	return counter_names[id];
}

void bs_xdp_config_default(struct bs_xdp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dhcp_port = 67;
	cfg->pxe_port = 4011;
	cfg->tftp_port = 69;
	cfg->tftp_lo = 50000;
	cfg->tftp_hi = 50063;
	cfg->n_queues = BS_XDP_MAX_QUEUES;
	cfg->vlan_depth = BS_XDP_MAX_VLAN;
}

static const char *mode_name(enum bs_xdp_mode mode)
{
	switch (mode) {
	case BS_XDP_MODE_NATIVE:
		return "native";
	case BS_XDP_MODE_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

int bs_xdp_open(const struct bs_xdp_config *cfg, struct bs_xdp **out)
{
	struct bs_xdp *x;
	int err;

	*out = NULL;
	/* libbpf reads /sys/devices/system/cpu/possible once and caches it:
	   now, while the dataplane may still read /sys (the per-CPU counters
	   are read after its privilege drop, util/sandbox.h). */
	(void)libbpf_num_possible_cpus();
	if (cfg->tftp_lo > cfg->tftp_hi || cfg->vlan_depth > BS_XDP_MAX_VLAN ||
	    cfg->n_server_addrs > BS_XDP_MAX_ADDRS || (cfg->n_server_addrs && !cfg->server_addrs)) {
		bs_logf(cfg->log, LOG_ERR,
			"xdp: bad config (tftp range %u-%u, vlan depth %u (max %d), "
			"%zu server addresses (max %d))",
			cfg->tftp_lo, cfg->tftp_hi, cfg->vlan_depth, BS_XDP_MAX_VLAN,
			cfg->n_server_addrs, BS_XDP_MAX_ADDRS);
		return -EINVAL;
	}

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->log = cfg->log;
	x->link_fd = -1;
	x->n_queues = cfg->n_queues ? cfg->n_queues : BS_XDP_MAX_QUEUES;

	x->skel = bootstorm_bpf__open();
	if (!x->skel) {
		err = -errno;
		bs_logf(x->log, LOG_ERR, "xdp: cannot open the BPF object: %s", strerror(-err));
		goto fail;
	}

	x->skel->rodata->bs_cfg.dhcp = cfg->dhcp_port;
	x->skel->rodata->bs_cfg.pxe = cfg->pxe_port;
	x->skel->rodata->bs_cfg.tftp = cfg->tftp_port;
	x->skel->rodata->bs_cfg.tftp_lo = cfg->tftp_lo;
	x->skel->rodata->bs_cfg.tftp_hi = cfg->tftp_hi;
	x->skel->rodata->bs_cfg.vlan_depth = cfg->vlan_depth;
	err = bpf_map__set_max_entries(x->skel->maps.xsks_map, x->n_queues);
	if (err)
		goto fail;

	err = bootstorm_bpf__load(x->skel);
	if (err) {
		bs_logf(x->log, LOG_ERR, "xdp: cannot load the classifier: %s%s", strerror(-err),
			err == -EPERM ? " (needs root or CAP_BPF + CAP_NET_ADMIN)" : "");
		goto fail;
	}

	err = bs_xdp_set_server_addrs(x, cfg->server_addrs, cfg->n_server_addrs);
	if (err)
		goto fail;

	*out = x;
	return 0;

fail:
	bs_xdp_destroy(x);
	return err < 0 ? err : -EINVAL;
}

static int link_create(struct bs_xdp *x, int ifindex, enum bs_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd;

	opts.flags = mode == BS_XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(bpf_program__fd(x->skel->progs.bs_xdp_classify), ifindex, BPF_XDP,
			     &opts);
	return fd; /* libbpf 1.x: a negative errno on failure */
}

int bs_xdp_attach(struct bs_xdp *x, int ifindex, enum bs_xdp_mode mode)
{
	char name[IF_NAMESIZE];
	enum bs_xdp_mode try =
	    mode == BS_XDP_MODE_GENERIC ? BS_XDP_MODE_GENERIC : BS_XDP_MODE_NATIVE;
	int fd;

	if (x->link_fd >= 0)
		return -EEXIST;
	if (ifindex <= 0 || !if_indextoname((unsigned int)ifindex, name)) {
		bs_logf(x->log, LOG_ERR, "xdp: no interface with ifindex %d", ifindex);
		return -ENODEV;
	}

	fd = link_create(x, ifindex, try);
	if (fd < 0 && mode == BS_XDP_MODE_AUTO && fd != -EBUSY && fd != -EEXIST) {
		bs_logf(x->log, LOG_NOTICE,
			"xdp: native mode on %s (ifindex %d) failed (%s), using generic (skb) mode",
			name, ifindex, strerror(-fd));
		try = BS_XDP_MODE_GENERIC;
		fd = link_create(x, ifindex, try);
	}
	if (fd < 0) {
		/*
		 * EBUSY: a program (or link) in this mode; EEXIST: one in the
		 * other mode. Either way the interface is taken: we never
		 * replace someone else's program.
		 */
		if (fd == -EBUSY || fd == -EEXIST) {
			bs_logf(x->log, LOG_ERR,
				"xdp: %s (ifindex %d) already has an XDP program; detach it first "
				"(ip link set dev %s xdp off) or stop its owner",
				name, ifindex, name);
			return -EBUSY;
		}
		bs_logf(x->log, LOG_ERR, "xdp: cannot attach to %s (ifindex %d) in %s mode: %s",
			name, ifindex, mode_name(try), strerror(-fd));
		return fd;
	}

	x->link_fd = fd;
	x->ifindex = ifindex;
	x->mode = try;
	bs_logf(x->log, LOG_INFO, "xdp: classifier attached to %s (ifindex %d), %s mode", name,
		ifindex, mode_name(try));
	return 0;
}

void bs_xdp_detach(struct bs_xdp *x)
{
	if (!x || x->link_fd < 0)
		return;
	close(x->link_fd);
	x->link_fd = -1;
	x->ifindex = 0;
	x->mode = BS_XDP_MODE_AUTO;
}

enum bs_xdp_mode bs_xdp_mode(const struct bs_xdp *x)
{
	return x->link_fd >= 0 ? x->mode : BS_XDP_MODE_AUTO;
}

int bs_xdp_set_xsk(struct bs_xdp *x, uint32_t queue, int xsk_fd)
{
	__u32 value = (__u32)xsk_fd;
	int err;

	if (queue >= x->n_queues || xsk_fd < 0)
		return -EINVAL;
	err = bpf_map__update_elem(x->skel->maps.xsks_map, &queue, sizeof(queue), &value,
				   sizeof(value), BPF_ANY);
	if (err)
		bs_logf(x->log, LOG_ERR, "xdp: cannot register the AF_XDP socket of queue %u: %s",
			queue, strerror(-err));
	return err;
}

int bs_xdp_clear_xsk(struct bs_xdp *x, uint32_t queue)
{
	int err;

	if (queue >= x->n_queues)
		return -EINVAL;
	err = bpf_map__delete_elem(x->skel->maps.xsks_map, &queue, sizeof(queue), 0);
	return err == -ENOENT ? 0 : err;
}

int bs_xdp_set_server_addrs(struct bs_xdp *x, const uint32_t *addrs, size_t n)
{
	struct bs_xdp_addrs value;
	__u32 key = 0;
	size_t i;

	if (n > BS_XDP_MAX_ADDRS || (n && !addrs))
		return -EINVAL;
	memset(&value, 0, sizeof(value));
	value.n = (__u32)n;
	for (i = 0; i < n; i++)
		value.addr[i] = htonl(addrs[i]);
	return bpf_map__update_elem(x->skel->maps.bs_addrs, &key, sizeof(key), &value,
				    sizeof(value), BPF_ANY);
}

int bs_xdp_read_counters(const struct bs_xdp *x, struct bs_xdp_counter out[BS_XDP_CNT_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	struct bs_xdp_counter *percpu;
	int err = 0;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (__u32 id = 0; id < BS_XDP_CNT_MAX; id++) {
		err = bpf_map__lookup_elem(x->skel->maps.bs_counters, &id, sizeof(id), percpu,
					   (size_t)ncpus * sizeof(*percpu), 0);
		if (err)
			break;
		out[id].packets = 0;
		out[id].bytes = 0;
		for (int cpu = 0; cpu < ncpus; cpu++) {
			out[id].packets += percpu[cpu].packets;
			out[id].bytes += percpu[cpu].bytes;
		}
	}
	free(percpu);
	return err;
}

int bs_xdp_stats_foreach(const struct bs_xdp *x, bs_stat_fn fn, void *arg)
{
	struct bs_xdp_counter c[BS_XDP_CNT_MAX];
	char name[64];
	int err;

	err = bs_xdp_read_counters(x, c);
	if (err)
		return err;
	for (unsigned int id = 0; id < BS_XDP_CNT_MAX; id++) {
		snprintf(name, sizeof(name), "xdp_%s_packets", bs_xdp_counter_name(id));
		fn(arg, name, c[id].packets);
		snprintf(name, sizeof(name), "xdp_%s_bytes", bs_xdp_counter_name(id));
		fn(arg, name, c[id].bytes);
	}
	return 0;
}

int bs_xdp_prog_fd(const struct bs_xdp *x)
{
	return bpf_program__fd(x->skel->progs.bs_xdp_classify);
}

uint32_t bs_xdp_prog_id(const struct bs_xdp *x)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bs_xdp_prog_fd(x), &info, &len))
		return 0;
	return info.id;
}

void bs_xdp_destroy(struct bs_xdp *x)
{
	if (!x)
		return;
	bs_xdp_detach(x);
	bootstorm_bpf__destroy(x->skel);
	free(x);
}
