/* SPDX-License-Identifier: MIT */
/*
 * Loading bootstorm's XDP classifier (bootstorm.bpf.c) from user space:
 * the API the AF_XDP backend calls. One struct bs_xdp per interface (the
 * XSKMAP is indexed by rx queue, and queue numbers are per device).
 *
 *   struct bs_xdp_config cfg;
 *   bs_xdp_config_default(&cfg);
 *   cfg.tftp_lo = ...; cfg.server_addrs = ...; cfg.log = &log;
 *   bs_xdp_open(&cfg, &x);                  open, set rodata, load
 *   bs_xdp_attach(x, ifindex, BS_XDP_MODE_AUTO);   bpf_link: native, else generic
 *   bs_xdp_set_xsk(x, queue, xsk_fd);       per AF_XDP socket
 *   bs_xdp_read_counters(x, counters);      any time
 *   bs_xdp_destroy(x);                      detaches (closes the link)
 *
 * Conventions: 0 or a negative errno; addresses in host byte order (see
 * proto/datagram.h), ports host order. Errors are also explained through
 * cfg.log when one is given. The attachment is a bpf_link owned by this
 * process: it goes away when the process dies, even on kill -9, so a crashed
 * dataplane never leaves a stale program on the NIC.
 */
#ifndef BS_BPF_XDP_LOADER_H
#define BS_BPF_XDP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "bootstorm_common.h"
#include "proto/datagram.h" /* bs_stat_fn */

struct bs_log;

enum bs_xdp_mode {
	BS_XDP_MODE_AUTO = 0, /* native (driver) mode, generic (skb) if that fails */
	BS_XDP_MODE_NATIVE,
	BS_XDP_MODE_GENERIC,
};

struct bs_xdp_config {
	/* UDP ports (host order); 0 disables that match. */
	uint16_t dhcp_port;	   /* 67 */
	uint16_t pxe_port;	   /* 4011 */
	uint16_t tftp_port;	   /* 69 */
	uint16_t tftp_lo, tftp_hi; /* transfer range, inclusive; 50000-50063; lo 0 = none */
	/*
	 * VLAN tags looked through, 0..BS_XDP_MAX_VLAN (2: 802.1Q, or
	 * 802.1ad + 802.1Q). Frames with more tags go to the kernel. Set it
	 * to what the backend's frame parser handles.
	 */
	uint8_t vlan_depth;
	/* XSKMAP size: queues 0..n_queues-1 can get a socket. 0: BS_XDP_MAX_QUEUES. */
	uint32_t n_queues;
	/*
	 * Accept our ports only for these destinations (host order) and
	 * 255.255.255.255; n_server_addrs == 0: any destination. At most
	 * BS_XDP_MAX_ADDRS. Copied; may be changed later with
	 * bs_xdp_set_server_addrs().
	 */
	const uint32_t *server_addrs;
	size_t n_server_addrs;
	const struct bs_log *log; /* may be NULL */
};

struct bs_xdp;

/* Defaults: 67, 4011, 69, 50000-50063, 2 VLAN tags, 64 queues, any address, no log. */
void bs_xdp_config_default(struct bs_xdp_config *cfg);

/*
 * Open the embedded BPF object, apply cfg and load it into the kernel
 * (needs CAP_BPF + CAP_NET_ADMIN, or root). -EINVAL for a bad cfg
 * (tftp_lo > tftp_hi, vlan_depth > 2, too many addresses); -EPERM when not
 * privileged.
 */
int bs_xdp_open(const struct bs_xdp_config *cfg, struct bs_xdp **out);

/*
 * Attach to ifindex through a bpf_link. AUTO tries native mode first and
 * falls back to generic mode; the mode actually used is returned by
 * bs_xdp_mode(). -EBUSY: the interface already has an XDP program (we do
 * not replace it, and libxdp's dispatcher is not usable here); -EEXIST:
 * this bs_xdp is attached already; -ENODEV: no such interface.
 */
int bs_xdp_attach(struct bs_xdp *x, int ifindex, enum bs_xdp_mode mode);

/* Close the link: the program leaves the interface. No-op when not attached. */
void bs_xdp_detach(struct bs_xdp *x);

/* The mode of the current attachment: NATIVE or GENERIC; AUTO when detached. */
enum bs_xdp_mode bs_xdp_mode(const struct bs_xdp *x);

/* Send our frames arriving on rx queue `queue` to the AF_XDP socket xsk_fd. */
int bs_xdp_set_xsk(struct bs_xdp *x, uint32_t queue, int xsk_fd);
/* Stop redirecting queue `queue`: its frames go to the kernel again. */
int bs_xdp_clear_xsk(struct bs_xdp *x, uint32_t queue);

/* Replace the server address filter (host order; n == 0: any). */
int bs_xdp_set_server_addrs(struct bs_xdp *x, const uint32_t *addrs, size_t n);

/* Counters summed over all CPUs, indexed by enum bs_xdp_counter_id. */
int bs_xdp_read_counters(const struct bs_xdp *x, struct bs_xdp_counter out[BS_XDP_CNT_MAX]);

/*
 * The counters through a stat sink, like the other modules'
 * *_stats_foreach(): "xdp_<name>_packets" and "xdp_<name>_bytes" for every
 * counter. Returns 0, or the error of reading them (nothing emitted then).
 */
int bs_xdp_stats_foreach(const struct bs_xdp *x, bs_stat_fn fn, void *arg);

/* "to_xsk", "no_xsk", "pass_not_ip", ... ; "?" for an unknown id. */
const char *bs_xdp_counter_name(unsigned int id);

/* The program's fd (for BPF_PROG_RUN in tests) and its kernel id (0 on error). */
int bs_xdp_prog_fd(const struct bs_xdp *x);
uint32_t bs_xdp_prog_id(const struct bs_xdp *x);

/* Detach and free everything. NULL is fine. */
void bs_xdp_destroy(struct bs_xdp *x);

#endif
