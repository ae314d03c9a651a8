/* SPDX-License-Identifier: MIT */
/*
 * The classifier on a real interface, through xdp_loader: attach to a veth
 * through a bpf_link (native and generic mode), see it in `ip link`, send
 * frames into it from the peer with an AF_PACKET socket and watch the
 * counters, deliver one to a real AF_XDP socket, then destroy the link and
 * see the interface clean again, also after the owner is killed with -9.
 *
 * Isolation: the process moves itself into a private network namespace
 * (unshare(CLONE_NEWNET)) before it creates anything, so the veth pair
 * (bsx-<pid>a / bsx-<pid>b) and every address live only there, and the
 * namespace disappears with the process however it ends. An atexit handler
 * deletes the pair anyway. No addresses are configured at all.
 *
 * Needs root: exits 77 (skip) otherwise.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "unit.h"
#include "util/bytes.h"
#include "util/log.h"
#include "xdp_loader.h"
#include "xsk_min.h"

static char if_a[IF_NAMESIZE], if_b[IF_NAMESIZE]; /* XDP on a; frames sent from b */
static int ifindex_a, ifindex_b;
static int veth_made;

/* ---- helpers ---- */

static char last_log[512];

static void capture_log(void *arg, int prio, const char *msg)
{
	(void)arg;
	(void)prio;
	snprintf(last_log, sizeof(last_log), "%s", msg);
	fprintf(stderr, "\n    [log] %s\n", msg);
}

static const struct bs_log test_log = {capture_log, NULL, LOG_DEBUG};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "\n    command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* `ip -d link show dev a` into buf. */
static void ip_link_show(char *buf, size_t size)
{
	char cmd[128];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip -d link show dev %s 2>&1", if_a);
	buf[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return;
	while (n + 1 < size) {
		size_t got = fread(buf + n, 1, size - 1 - n, p);

		if (got == 0)
			break;
		n += got;
	}
	buf[n] = 0;
	pclose(p);
}

/* Does `ip link` show an XDP program on a (mode "xdp" or "xdpgeneric"), with id? */
static int ip_link_has_xdp(const char *mode_word, uint32_t prog_id)
{
	char out[4096], word[32], id[48];

	ip_link_show(out, sizeof(out));
	snprintf(word, sizeof(word), " %s ", mode_word);
	snprintf(id, sizeof(id), "prog/xdp id %u ", prog_id);
	return strstr(out, word) && strstr(out, id);
}

static int ip_link_has_no_xdp(void)
{
	char out[4096];

	ip_link_show(out, sizeof(out));
	return out[0] && !strstr(out, "xdp");
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* An IPv4 UDP frame from 10.231.0.50:68 to broadcast:dport; returns its length. */
static size_t udp_frame(uint8_t *f, uint16_t dport)
{
	static const uint8_t src[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	size_t plen = 64, len = 14 + 20 + 8 + plen;
	uint32_t sum = 0;

	memset(f, 0, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	put_be16(f + 12, 0x0800);
	f[14] = 0x45;
	put_be16(f + 16, (uint16_t)(20 + 8 + plen));
	f[22] = 64;
	f[23] = 17;
	put_be32(f + 26, 0x0ae70032);
	put_be32(f + 30, 0xffffffff);
	for (int i = 0; i < 20; i += 2)
		sum += get_be16(f + 14 + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_be16(f + 24, (uint16_t)~sum);
	put_be16(f + 34, 68);
	put_be16(f + 36, dport);
	put_be16(f + 38, (uint16_t)(8 + plen));
	return len;
}

static size_t arp_frame(uint8_t *f)
{
	static const uint8_t arp[] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
	    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	    10,	  231,	0,    50,   0,	  0,	0,    0,    0,	  0,	10,   231,  0,	  1,
	};

	memset(f, 0, 60);
	memcpy(f, arp, sizeof(arp));
	return 60;
}

/* Send a frame out of b (so it arrives on a, through the XDP program). */
static int send_from_b(const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll;
	ssize_t n;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex_b;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, f, ETH_ALEN);
	n = sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	close(fd);
	return n == (ssize_t)len ? 0 : -errno;
}

/* Wait (up to 2 s) until counter id has grown by want packets from base. */
static int wait_counter(struct bs_xdp *x, unsigned int id, uint64_t base, uint64_t want)
{
	struct bs_xdp_counter c[BS_XDP_CNT_MAX];

	for (int i = 0; i < 200; i++) {
		if (bs_xdp_read_counters(x, c) == 0 && c[id].packets - base >= want)
			return c[id].packets - base == want;
		sleep_ms(10);
	}
	fprintf(stderr, "\n    counter %s: +%llu packets, want +%llu\n", bs_xdp_counter_name(id),
		(unsigned long long)(c[id].packets - base), (unsigned long long)want);
	return 0;
}

static uint64_t counter(struct bs_xdp *x, unsigned int id)
{
	struct bs_xdp_counter c[BS_XDP_CNT_MAX];

	if (bs_xdp_read_counters(x, c))
		return UINT64_MAX;
	return c[id].packets;
}

static struct bs_xdp *open_default(void)
{
	struct bs_xdp_config cfg;
	struct bs_xdp *x = NULL;

	bs_xdp_config_default(&cfg);
	cfg.log = &test_log;
	if (bs_xdp_open(&cfg, &x))
		return NULL;
	return x;
}

/* Send one frame from b and check which counter on a moved. */
static void expect_counter(struct bs_xdp *x, const uint8_t *f, size_t len, unsigned int id)
{
	uint64_t base = counter(x, id);

	CU_ASSERT_EQUAL_FATAL(send_from_b(f, len), 0);
	CU_ASSERT(wait_counter(x, id, base, 1));
}

/* ---- tests ---- */

static void test_native_attach(void)
{
	struct bpf_xdp_query_opts q;
	struct bs_xdp *x, *other;
	uint8_t f[128];
	uint32_t id;

	x = open_default();
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	id = bs_xdp_prog_id(x);
	CU_ASSERT(id != 0);
	CU_ASSERT(ip_link_has_no_xdp());

	CU_ASSERT_EQUAL_FATAL(bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_AUTO), 0);
	CU_ASSERT_EQUAL(bs_xdp_mode(x), BS_XDP_MODE_NATIVE); /* veth has native XDP */
	CU_ASSERT(ip_link_has_xdp("xdp", id));
	memset(&q, 0, sizeof(q));
	q.sz = sizeof(q);
	CU_ASSERT_EQUAL(bpf_xdp_query(ifindex_a, 0, &q), 0);
	CU_ASSERT_EQUAL(q.attach_mode, XDP_ATTACHED_DRV);
	CU_ASSERT_EQUAL(q.drv_prog_id, id);

	/* the interface is taken: a second program is refused, clearly */
	CU_ASSERT_EQUAL(bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_AUTO), -EEXIST);
	other = open_default();
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_EQUAL(bs_xdp_attach(other, ifindex_a, BS_XDP_MODE_AUTO), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "already has an XDP program"));
	CU_ASSERT_EQUAL(bs_xdp_attach(other, ifindex_a, BS_XDP_MODE_GENERIC), -EBUSY);
	bs_xdp_destroy(other);
	CU_ASSERT(ip_link_has_xdp("xdp", id)); /* still ours */

	/* real frames through the program: no socket on queue 0 yet */
	expect_counter(x, f, udp_frame(f, 67), BS_XDP_CNT_NO_XSK);
	expect_counter(x, f, udp_frame(f, 4011), BS_XDP_CNT_NO_XSK);
	expect_counter(x, f, udp_frame(f, 53), BS_XDP_CNT_PASS_OTHER_PORT);
	expect_counter(x, f, arp_frame(f), BS_XDP_CNT_PASS_NOT_IP);

	bs_xdp_destroy(x);
	CU_ASSERT(ip_link_has_no_xdp());
	memset(&q, 0, sizeof(q));
	q.sz = sizeof(q);
	CU_ASSERT_EQUAL(bpf_xdp_query(ifindex_a, 0, &q), 0);
	CU_ASSERT_EQUAL(q.prog_id, 0);
	CU_ASSERT_EQUAL(q.attach_mode, XDP_ATTACHED_NONE);
}

static void test_xsk_redirect(void)
{
	struct xsk_min xsk;
	const uint8_t *rx;
	uint8_t f[128];
	struct bs_xdp *x;
	uint32_t len = 0;
	size_t flen;
	int err;

	x = open_default();
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL_FATAL(bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_AUTO), 0);
	err = xsk_min_open(&xsk, ifindex_a, 0);
	if (err) {
		fprintf(stderr, "\n    AF_XDP socket on %s: %s\n", if_a, strerror(-err));
		bs_xdp_destroy(x);
		CU_FAIL_FATAL("cannot bind an AF_XDP socket");
	}
	CU_ASSERT_EQUAL_FATAL(bs_xdp_set_xsk(x, 0, xsk.fd), 0);

	flen = udp_frame(f, 67);
	expect_counter(x, f, flen, BS_XDP_CNT_TO_XSK);
	for (int i = 0; i < 100 && !(rx = xsk_min_rx(&xsk, &len)); i++)
		sleep_ms(10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_EQUAL(len, flen);
	CU_ASSERT_EQUAL(memcmp(rx, f, flen), 0);

	/* not ours: to the kernel, nothing on the socket */
	expect_counter(x, f, udp_frame(f, 53), BS_XDP_CNT_PASS_OTHER_PORT);
	expect_counter(x, f, arp_frame(f), BS_XDP_CNT_PASS_NOT_IP);
	CU_ASSERT_PTR_NULL(xsk_min_rx(&xsk, &len));

	/* socket unregistered: ours falls back to the kernel */
	CU_ASSERT_EQUAL(bs_xdp_clear_xsk(x, 0), 0);
	expect_counter(x, f, udp_frame(f, 69), BS_XDP_CNT_NO_XSK);
	CU_ASSERT_PTR_NULL(xsk_min_rx(&xsk, &len));

	xsk_min_close(&xsk);
	bs_xdp_destroy(x);
	CU_ASSERT(ip_link_has_no_xdp());
}

static void test_generic_attach(void)
{
	struct bs_xdp *x;
	uint8_t f[128];
	uint32_t id;

	x = open_default();
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	id = bs_xdp_prog_id(x);
	CU_ASSERT_EQUAL_FATAL(bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_GENERIC), 0);
	CU_ASSERT_EQUAL(bs_xdp_mode(x), BS_XDP_MODE_GENERIC);
	CU_ASSERT(ip_link_has_xdp("xdpgeneric", id));
	expect_counter(x, f, udp_frame(f, 50010), BS_XDP_CNT_NO_XSK);

	/* detach keeps the loaded program: attach again, natively this time */
	bs_xdp_detach(x);
	CU_ASSERT(ip_link_has_no_xdp());
	CU_ASSERT_EQUAL(bs_xdp_mode(x), BS_XDP_MODE_AUTO);
	CU_ASSERT_EQUAL(bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_NATIVE), 0);
	CU_ASSERT(ip_link_has_xdp("xdp", id));
	bs_xdp_destroy(x);
	CU_ASSERT(ip_link_has_no_xdp());
}

/* A bpf_link dies with its process: kill -9 leaves the interface clean. */
static void test_killed_owner(void)
{
	int pfd[2], status;
	char c = 0;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(pipe(pfd), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct bs_xdp *x = open_default();

		close(pfd[0]);
		if (x && bs_xdp_attach(x, ifindex_a, BS_XDP_MODE_AUTO) == 0)
			c = 1;
		if (write(pfd[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause(); /* killed by the parent */
	}
	close(pfd[1]);
	CU_ASSERT_EQUAL(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	CU_ASSERT_EQUAL(c, 1);
	CU_ASSERT(!ip_link_has_no_xdp()); /* the child's program is there */
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	/* the link is released when the last fd goes; give the kernel a moment */
	for (int i = 0; i < 100 && !ip_link_has_no_xdp(); i++)
		sleep_ms(10);
	CU_ASSERT(ip_link_has_no_xdp());
}

static void test_bad_ifindex(void)
{
	struct bs_xdp *x = open_default();

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(bs_xdp_attach(x, 0x7ffffff0, BS_XDP_MODE_AUTO), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "no interface"));
	CU_ASSERT_EQUAL(bs_xdp_mode(x), BS_XDP_MODE_AUTO);
	bs_xdp_destroy(x);
}

/* ---- setup ---- */

static void cleanup(void)
{
	if (veth_made) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "ip link del dev %s 2>/dev/null", if_a);
		(void)!system(cmd);
		veth_made = 0;
	}
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fputs(s, f) < 0 ? -EIO : 0;
	return fclose(f) ? -errno : rc;
}

static int setup(void)
{
	snprintf(if_a, sizeof(if_a), "bsx-%da", (int)getpid());
	snprintf(if_b, sizeof(if_b), "bsx-%db", (int)getpid());

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "FAIL: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	/* no IPv6 chatter (router solicitations, MLD) on the new links */
	(void)write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	(void)write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	atexit(cleanup);
	if (sh("ip link add %s type veth peer name %s", if_a, if_b))
		return -1;
	veth_made = 1;
	if (sh("ip link set lo up && ip link set %s up && ip link set %s up", if_a, if_b))
		return -1;
	ifindex_a = (int)if_nametoindex(if_a);
	ifindex_b = (int)if_nametoindex(if_b);
	return ifindex_a && ifindex_b ? 0 : -1;
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"native attach, ip link, counters, detach", test_native_attach},
	    {"frames to a real AF_XDP socket", test_xsk_redirect},
	    {"generic attach, detach, re-attach", test_generic_attach},
	    {"kill -9 of the owner detaches", test_killed_owner},
	    {"attach to a missing interface", test_bad_ifindex},
	    {NULL, NULL},
	};

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the XDP attach test needs root (netns, CAP_BPF)\n");
		return 77;
	}
	if (setup())
		return 1;
	return unit_run("bpf_attach", tests);
}
