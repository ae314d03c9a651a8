/* SPDX-License-Identifier: MIT */
/*
 * What the kernel of the generator's host needs so that its TCP sockets can
 * be the emulated clients (HTTP boot: kernel TCP, bound to each client's
 * leased address, on an interface that has no address of its own):
 *
 *  - a `local` /32 route per leased address (added when the client starts
 *    HTTP): bind() and the receive path then take the address as ours. Per
 *    client, not the pool: the server's own address must stay remote.
 *  - arp_ignore=8 on the interface: the kernel answers no ARP there; the
 *    generator answers for each client with the client's MAC, as before.
 *  - a /32 route and a permanent neighbour entry for each HTTP server
 *    (learned from the frames it sent, or ARPed for by a client): the kernel
 *    never ARPs itself (its ARP would carry the interface's MAC and move the
 *    server's neighbour entry for the client off the client's MAC).
 *  - a tc ingress filter (clsact, cls_bpf direct action) that marks TCP to a
 *    client MAC (02:b5:...) PACKET_HOST: the server sends to the client's
 *    MAC, which is not the interface's, and IP drops PACKET_OTHERHOST. It is
 *    a 12-instruction eBPF program loaded here (no compiler, no tc binary,
 *    works where act_skbedit is not built). UDP stays OTHERHOST: TFTP and
 *    DHCP for the clients never reach the kernel's UDP (no ICMP port
 *    unreachable back to the server).
 *  - rp_filter=0 on the interface (belt and braces: the /32 routes pass
 *    the strict check anyway).
 *
 * All of it is undone by storm_net_close(). --no-netsetup skips it: the
 * operator then sets up the same by hand (docs/storm.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/bytes.h"
#include "storm.h"

#define FILTER_PRIO 0x4253 /* "BS": our filter, found again for removal */

struct storm_net {
	bool setup; /* false: --no-netsetup, every call is a no-op */
	int nl;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t seq;
	bool made_clsact, made_filter;
	char old_arp_ignore[16], old_rp_filter[16];
	uint32_t *locals; /* /32 local routes we added */
	size_t nlocals, caplocals;
	uint32_t hosts[16]; /* server routes + neighbours we added */
	size_t nhosts;
};

/* ---- rtnetlink ------------------------------------------------------------ */

struct nlreq {
	struct nlmsghdr h;
	uint8_t body[512];
};

static void *nl_put(struct nlreq *r, const void *data, size_t len)
{
	void *at = (uint8_t *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);

	memcpy(at, data, len);
	r->h.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->h.nlmsg_len) + len);
	return at;
}

static struct rtattr *nl_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (void *)((uint8_t *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len));
	return a;
}

static void nl_nest_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (uint16_t)((uint8_t *)&r->h + r->h.nlmsg_len - (uint8_t *)nest);
}

static void nl_start(struct nlreq *r, uint16_t type, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_HDRLEN;
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
}

/* send and wait for the kernel's answer: 0 or -errno */
static int nl_talk(struct storm_net *n, struct nlreq *r)
{
	char buf[4096];

	r->h.nlmsg_seq = ++n->seq;
	if (send(n->nl, r, r->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(n->nl, buf, sizeof(buf), 0);

		if (len < 0)
			return errno == EINTR ? 0 : -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != n->seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static int route(struct storm_net *n, bool add, uint32_t ip, bool local)
{
	struct nlreq r;
	struct rtmsg rt = {
	    .rtm_family = AF_INET,
	    .rtm_dst_len = 32,
	    .rtm_table = local ? RT_TABLE_LOCAL : RT_TABLE_MAIN,
	    .rtm_protocol = RTPROT_BOOT,
	    .rtm_scope = local ? RT_SCOPE_HOST : RT_SCOPE_LINK,
	    .rtm_type = local ? RTN_LOCAL : RTN_UNICAST,
	};
	uint32_t dst = htonl(ip), oif = (uint32_t)n->ifindex;

	nl_start(&r, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nl_put(&r, &rt, sizeof(rt));
	nl_attr(&r, RTA_DST, &dst, 4);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(n, &r);
}

static int neigh(struct storm_net *n, bool add, uint32_t ip, const uint8_t mac[6])
{
	struct nlreq r;
	struct ndmsg nd = {
	    .ndm_family = AF_INET,
	    .ndm_ifindex = n->ifindex,
	    .ndm_state = NUD_PERMANENT,
	};
	uint32_t dst = htonl(ip);

	nl_start(&r, add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	nl_put(&r, &nd, sizeof(nd));
	nl_attr(&r, NDA_DST, &dst, 4);
	if (add)
		nl_attr(&r, NDA_LLADDR, mac, 6);
	return nl_talk(n, &r);
}

static int qdisc_clsact(struct storm_net *n, bool add)
{
	struct nlreq r;
	struct tcmsg tc = {
	    .tcm_family = AF_UNSPEC,
	    .tcm_ifindex = n->ifindex,
	    .tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0),
	    .tcm_parent = TC_H_CLSACT,
	};

	nl_start(&r, add ? RTM_NEWQDISC : RTM_DELQDISC, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nl_put(&r, &tc, sizeof(tc));
	nl_attr(&r, TCA_KIND, "clsact", 7);
	return nl_talk(n, &r);
}

/* The filter program: TCP to a 02:b5:... MAC becomes PACKET_HOST. */
static int load_prog(void)
{
#define INSN(c, d, s, o, i)                                                                        \
	{                                                                                          \
		.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)                \
	}
	const struct bpf_insn prog[] = {
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),	/* r6 = skb (LD_ABS wants it) */
	    INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 0),		/* r0 = dst MAC[0..1] */
	    INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 7, 0x02b5),	/* not a client: out */
	    INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),	/* ethertype */
	    INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 5, ETH_P_IP), /* not IPv4: out */
	    INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 14 + 9),	/* IP protocol */
	    INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 3, 6),	/* not TCP: out */
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),	/* r1 = skb */
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0),	/* r2 = PACKET_HOST */
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_change_type),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, TC_ACT_OK), /* out: pass it on */
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
#undef INSN
	static char log[4096];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = BS_ARRAY_SIZE(prog);
	a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "bootstorm-storm: loading the tc filter: %s\n%s", strerror(err),
			log);
		return -err;
	}
	return fd;
}

static int filter(struct storm_net *n, bool add)
{
	struct nlreq r;
	struct tcmsg tc = {
	    .tcm_family = AF_UNSPEC,
	    .tcm_ifindex = n->ifindex,
	    .tcm_handle = add ? 1 : 0,
	    .tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
	    .tcm_info = TC_H_MAKE((uint32_t)FILTER_PRIO << 16, htons(ETH_P_IP)),
	};
	int fd = -1, err;

	nl_start(&r, add ? RTM_NEWTFILTER : RTM_DELTFILTER, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nl_put(&r, &tc, sizeof(tc));
	nl_attr(&r, TCA_KIND, "bpf", 4);
	if (add) {
		uint32_t flags = TCA_BPF_FLAG_ACT_DIRECT, ufd;
		struct rtattr *opt;

		fd = load_prog();
		if (fd < 0)
			return fd;
		ufd = (uint32_t)fd;
		opt = nl_attr(&r, TCA_OPTIONS, NULL, 0);
		nl_attr(&r, TCA_BPF_FD, &ufd, 4);
		nl_attr(&r, TCA_BPF_NAME, "bootstorm-storm", 16);
		nl_attr(&r, TCA_BPF_FLAGS, &flags, 4);
		nl_nest_end(&r, opt);
	}
	err = nl_talk(n, &r);
	if (fd >= 0)
		close(fd); /* the filter holds the program */
	return err;
}

/* ---- sysctl --------------------------------------------------------------- */

static int sysctl_set(const char *ifname, const char *key, const char *val, char old[16])
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", ifname, key);
	f = fopen(path, "r");
	if (!f || !fgets(old, 16, f)) {
		if (f)
			fclose(f);
		return -errno;
	}
	fclose(f);
	old[strcspn(old, "\n")] = 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(val, f);
	return fclose(f) ? -errno : 0;
}

/* ---- API ------------------------------------------------------------------ */

static int fail_step(const char *what, int err)
{
	fprintf(stderr,
		"bootstorm-storm: network setup for HTTP: %s: %s (--no-netsetup: set it "
		"up by hand, docs/storm.md)\n",
		what, strerror(-err));
	return err;
}

int storm_net_open(struct storm_net **out, const char *ifname, bool setup)
{
	struct storm_net *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	*out = n;
	n->setup = setup;
	n->nl = -1;
	if (!setup)
		return 0;
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	n->ifindex = (int)if_nametoindex(ifname);
	if (!n->ifindex)
		return fail_step(ifname, -errno);
	n->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (n->nl < 0)
		return fail_step("netlink socket", -errno);
	err = sysctl_set(ifname, "arp_ignore", "8", n->old_arp_ignore);
	if (err)
		return fail_step("arp_ignore=8", err);
	err = sysctl_set(ifname, "rp_filter", "0", n->old_rp_filter);
	if (err)
		return fail_step("rp_filter=0", err);
	err = qdisc_clsact(n, true);
	if (err && err != -EEXIST)
		return fail_step("tc qdisc clsact", err);
	n->made_clsact = !err;
	filter(n, false); /* a filter left by a killed run */
	err = filter(n, true);
	if (err)
		return fail_step("tc ingress filter (bpf)", err);
	n->made_filter = true;
	return 0;
}

int storm_net_local(struct storm_net *n, uint32_t ip)
{
	int err;

	if (!n->setup)
		return 0;
	err = route(n, true, ip, true);
	if (err == -EEXIST)
		return 0; /* the same lease again, or the operator's pool route */
	if (err)
		return err;
	if (n->nlocals == n->caplocals) {
		size_t cap = n->caplocals ? 2 * n->caplocals : 256;
		uint32_t *l = realloc(n->locals, cap * sizeof(*l));

		if (!l) {
			route(n, false, ip, true);
			return -ENOMEM;
		}
		n->locals = l;
		n->caplocals = cap;
	}
	n->locals[n->nlocals++] = ip;
	return 0;
}

int storm_net_host(struct storm_net *n, uint32_t ip, const uint8_t mac[6])
{
	int err;

	if (!n->setup)
		return 0;
	if (n->nhosts == BS_ARRAY_SIZE(n->hosts))
		return -ENOSPC;
	err = neigh(n, true, ip, mac);
	if (err)
		return err;
	err = route(n, true, ip, false);
	if (err && err != -EEXIST)
		return err;
	n->hosts[n->nhosts++] = ip;
	return 0;
}

void storm_net_close(struct storm_net *n)
{
	char old[16];

	if (!n)
		return;
	if (n->setup && n->nl >= 0) {
		for (size_t i = 0; i < n->nlocals; i++)
			route(n, false, n->locals[i], true);
		for (size_t i = 0; i < n->nhosts; i++) {
			route(n, false, n->hosts[i], false);
			neigh(n, false, n->hosts[i], NULL);
		}
		if (n->made_filter)
			filter(n, false);
		if (n->made_clsact)
			qdisc_clsact(n, false);
		if (n->old_arp_ignore[0])
			sysctl_set(n->ifname, "arp_ignore", n->old_arp_ignore, old);
		if (n->old_rp_filter[0])
			sysctl_set(n->ifname, "rp_filter", n->old_rp_filter, old);
	}
	if (n->nl >= 0)
		close(n->nl);
	free(n->locals);
	free(n);
}
