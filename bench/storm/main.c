/* SPDX-License-Identifier: MIT */
/*
 * bootstorm-storm: options and the event loop.
 *
 *   bootstorm-storm -i IF -n CLIENTS [-r RATE] [--kernel K --initrd I]
 *                   [--http URLBASE] [--ipxe PCT] [--proxy] [--json out.json] ...
 *
 * One thread: start due clients -> drain the RX ring -> run expired
 * timers -> flush the TX batch -> epoll until the next frame, TCP event
 * or deadline -> the clients' TCP events.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "util/bytes.h"
#include "storm.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: bootstorm-storm -i IFACE [options]\n"
	       "Emulates N network boot clients (PXE BIOS/UEFI, UEFI HTTP, iPXE; optionally\n"
	       "beside a proxyDHCP server): DHCP DORA, the loader named by DHCP over TFTP or\n"
	       "HTTP, then kernel and initrd, through one AF_PACKET socket on IFACE (HTTP:\n"
	       "kernel TCP sockets bound to the leased addresses).\n\n"
	       "  -i, --interface IF     interface to send and receive on (no address needed)\n"
	       "  -n, --clients N        clients to emulate (default 100)\n"
	       "  -r, --rate R           new clients per second; 0 = all at once (default 0)\n"
	       "  -d, --duration S       stop after S seconds, unfinished clients fail (0: none)\n"
	       "      --time-scale F     DHCP retransmit times 4,8,16,32 s multiplied by F (1)\n"
	       "      --dhcp-tries N     DHCP sends per step before giving up (4)\n"
	       "      --tftp-timeout S   TFTP retransmit timeout in seconds (1)\n"
	       "      --tftp-retries N   TFTP retransmissions before giving up (6)\n"
	       "      --blksize B        TFTP blksize to ask for (1468; 512: no option)\n"
	       "      --windowsize W     TFTP windowsize to ask for (1: no option)\n"
	       "      --no-tsize         do not ask for tsize\n"
	       "      --tsize-probe      fetch the loader as OVMF does: a tsize probe aborted\n"
	       "                         with ERROR 8 after the OACK, then the download\n"
	       "      --dhcp-only        a client is done at its ACK (DORA rate)\n"
	       "      --proxy            proxyDHCP: wait for an address OFFER and a proxy OFFER\n"
	       "                         (PXEClient, no address), REQUEST the address, then\n"
	       "                         ask the proxy's port 4011 for the boot file\n"
	       "      --kernel NAME      after the loader, fetch NAME\n"
	       "      --initrd NAME      after the kernel, fetch NAME\n"
	       "      --http URLBASE     fetch kernel and initrd over HTTP from URLBASE + NAME\n"
	       "                         (e.g. http://10.0.0.1:8080/), one keep-alive connection\n"
	       "      --http-timeout S   HTTP: no progress for S s -> retry / fail (5)\n"
	       "      --http-retries N   HTTP: new connections for a request that got no\n"
	       "                         answer (2)\n"
	       "      --no-netsetup      do not set up routes, arp_ignore and the tc filter\n"
	       "                         HTTP needs on IFACE (docs/storm.md: by hand)\n"
	       "      --arch LIST        architecture mix, ARCH:WEIGHT,... (0:50,7:50);\n"
	       "                         0 BIOS, 6 UEFI ia32, 7 UEFI x64, 9 EBC/x64, 11 arm64;\n"
	       "                         15-20 UEFI HTTP boot (16 x64, 19 arm64): HTTPClient,\n"
	       "                         the boot file is a URL fetched over HTTP\n"
	       "      --ipxe PCT         PCT %% of the PXE clients are iPXE (user class iPXE,\n"
	       "                         option 175): an http:// boot file is a script whose\n"
	       "                         kernel/initrd (or chain) they fetch over HTTP\n"
	       "      --mac-base N       first client's MAC is 02:b5:<N as 32 bits> (0)\n"
	       "      --seed N           seed for xids, UUIDs and the architecture draw\n"
	       "      --json PATH        write the report as JSON\n"
	       "      --pcap-out PREFIX  write PREFIX-dhcp.pcap (DISCOVER, REQUEST) and\n"
	       "                         PREFIX-tftp.pcap (RRQ) for tcpreplay / pktgen-dpdk\n"
	       "      --label NAME       name of this run in the report\n"
	       "      --progress         a status line per second on stderr\n"
	       "      --rx-ring v2|v3    TPACKET version of the RX ring (v3: frames in\n"
	       "                         blocks, 1 ms hand-over; v2: each frame at once)\n"
	       "      --loss PCT         drop PCT %% of received frames (a lossy wire, for tests)\n"
	       "  -v, --verbose          log each failure\n");
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_arch(struct storm_cfg *cfg, const char *list)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	cfg->narch = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		double a, w = 1;

		if (cfg->narch == BS_ARRAY_SIZE(cfg->arch))
			return -EINVAL;
		if (colon)
			*colon = 0;
		if (num(tok, 0, 65535, &a) || (colon && num(colon + 1, 0, 1e6, &w)))
			return -EINVAL;
		cfg->arch[cfg->narch].arch = (uint16_t)a;
		cfg->arch[cfg->narch].weight = (unsigned)w;
		cfg->narch++;
	}
	return cfg->narch ? 0 : -EINVAL;
}

enum {
	O_TIME_SCALE = 256,
	O_DHCP_TRIES,
	O_TFTP_TIMEOUT,
	O_TFTP_RETRIES,
	O_BLKSIZE,
	O_WINDOWSIZE,
	O_NO_TSIZE,
	O_KERNEL,
	O_INITRD,
	O_ARCH,
	O_MAC_BASE,
	O_SEED,
	O_JSON,
	O_PCAP,
	O_LABEL,
	O_PROGRESS,
	O_RX_RING,
	O_TSIZE_PROBE,
	O_LOSS,
	O_DHCP_ONLY,
	O_HTTP,
	O_HTTP_TIMEOUT,
	O_HTTP_RETRIES,
	O_NO_NETSETUP,
	O_IPXE,
	O_PROXY,
};

static const struct option longopts[] = {
    {"interface", required_argument, NULL, 'i'},
    {"clients", required_argument, NULL, 'n'},
    {"rate", required_argument, NULL, 'r'},
    {"duration", required_argument, NULL, 'd'},
    {"time-scale", required_argument, NULL, O_TIME_SCALE},
    {"dhcp-tries", required_argument, NULL, O_DHCP_TRIES},
    {"tftp-timeout", required_argument, NULL, O_TFTP_TIMEOUT},
    {"tftp-retries", required_argument, NULL, O_TFTP_RETRIES},
    {"blksize", required_argument, NULL, O_BLKSIZE},
    {"windowsize", required_argument, NULL, O_WINDOWSIZE},
    {"no-tsize", no_argument, NULL, O_NO_TSIZE},
    {"tsize-probe", no_argument, NULL, O_TSIZE_PROBE},
    {"loss", required_argument, NULL, O_LOSS},
    {"dhcp-only", no_argument, NULL, O_DHCP_ONLY},
    {"http", required_argument, NULL, O_HTTP},
    {"http-timeout", required_argument, NULL, O_HTTP_TIMEOUT},
    {"http-retries", required_argument, NULL, O_HTTP_RETRIES},
    {"no-netsetup", no_argument, NULL, O_NO_NETSETUP},
    {"ipxe", required_argument, NULL, O_IPXE},
    {"proxy", no_argument, NULL, O_PROXY},
    {"kernel", required_argument, NULL, O_KERNEL},
    {"initrd", required_argument, NULL, O_INITRD},
    {"arch", required_argument, NULL, O_ARCH},
    {"mac-base", required_argument, NULL, O_MAC_BASE},
    {"seed", required_argument, NULL, O_SEED},
    {"json", required_argument, NULL, O_JSON},
    {"pcap-out", required_argument, NULL, O_PCAP},
    {"label", required_argument, NULL, O_LABEL},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"rx-ring", required_argument, NULL, O_RX_RING},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_args(struct storm_cfg *cfg, bool *progress, int argc, char **argv)
{
	int o;
	double v;

	*cfg = (struct storm_cfg){
	    .clients = 100,
	    .time_scale = 1.0,
	    .dhcp_tries = 4,
	    .tftp_timeout_s = 1.0,
	    .tftp_retries = 6,
	    .blksize = 1468,
	    .windowsize = 1,
	    .tsize = true,
	    .nfiles = 1,
	    .seed = 1,
	    .rx_ring = 3,
	    .http_timeout_s = 5.0,
	    .http_retries = 2,
	    .netsetup = true,
	};
	parse_arch(cfg, "0:50,7:50");
	while ((o = getopt_long(argc, argv, "i:n:r:d:vh", longopts, NULL)) != -1) {
		int bad = 0;

		switch (o) {
		case 'i':
			cfg->ifname = optarg;
			break;
		case 'n':
			bad = num(optarg, 1, 1 << 24, &v);
			cfg->clients = (unsigned)v;
			break;
		case 'r':
			bad = num(optarg, 0, 1e9, &cfg->rate);
			break;
		case 'd':
			bad = num(optarg, 0, 1e7, &cfg->duration_s);
			break;
		case O_TIME_SCALE:
			bad = num(optarg, 1e-4, 100, &cfg->time_scale);
			break;
		case O_DHCP_TRIES:
			bad = num(optarg, 1, 16, &v);
			cfg->dhcp_tries = (unsigned)v;
			break;
		case O_TFTP_TIMEOUT:
			bad = num(optarg, 0.001, 255, &cfg->tftp_timeout_s);
			break;
		case O_TFTP_RETRIES:
			bad = num(optarg, 0, 100, &v);
			cfg->tftp_retries = (unsigned)v;
			break;
		case O_BLKSIZE:
			bad = num(optarg, 8, 1468, &v);
			cfg->blksize = (unsigned)v;
			break;
		case O_WINDOWSIZE:
			bad = num(optarg, 1, 64, &v);
			cfg->windowsize = (unsigned)v;
			break;
		case O_NO_TSIZE:
			cfg->tsize = false;
			break;
		case O_LOSS:
			bad = num(optarg, 0, 90, &cfg->rx_loss);
			cfg->rx_loss /= 100;
			break;
		case O_DHCP_ONLY:
			cfg->dhcp_only = true;
			break;
		case O_HTTP: {
			uint32_t ip;
			uint16_t port;
			const char *path;

			static char base[STORM_URL_MAX];
			size_t l = strlen(optarg);

			/* URLBASE + NAME: a base without a path ends in / */
			snprintf(base, sizeof(base), "%s%s", optarg,
				 l && optarg[l - 1] != '/' ? "/" : "");
			cfg->http_base = base;
			bad = l + 2 > sizeof(base) || storm_url_split(base, &ip, &port, &path) < 0;
			break;
		}
		case O_HTTP_TIMEOUT:
			bad = num(optarg, 0.01, 3600, &cfg->http_timeout_s);
			break;
		case O_HTTP_RETRIES:
			bad = num(optarg, 0, 100, &v);
			cfg->http_retries = (unsigned)v;
			break;
		case O_IPXE:
			bad = num(optarg, 0, 100, &v);
			cfg->ipxe_pct = (unsigned)v;
			break;
		case O_PROXY:
			cfg->proxy = true;
			break;
		case O_NO_NETSETUP:
			cfg->netsetup = false;
			break;
		case O_TSIZE_PROBE:
			cfg->tsize_probe = true;
			break;
		case O_KERNEL:
			snprintf(cfg->files[1], STORM_NAME_MAX, "%s", optarg);
			if (cfg->nfiles < 2)
				cfg->nfiles = 2;
			break;
		case O_INITRD:
			snprintf(cfg->files[2], STORM_NAME_MAX, "%s", optarg);
			cfg->nfiles = 3;
			break;
		case O_ARCH:
			bad = parse_arch(cfg, optarg);
			break;
		case O_MAC_BASE:
			bad = num(optarg, 0, 4294967295.0, &v);
			cfg->mac_base = (uint32_t)v;
			break;
		case O_SEED:
			bad = num(optarg, 0, 4294967295.0, &v);
			cfg->seed = (unsigned)v;
			break;
		case O_JSON:
			cfg->json_path = optarg;
			break;
		case O_PCAP:
			cfg->pcap_prefix = optarg;
			break;
		case O_LABEL:
			cfg->label = optarg;
			break;
		case O_PROGRESS:
			*progress = true;
			break;
		case O_RX_RING:
			if (!strcmp(optarg, "v2") || !strcmp(optarg, "2"))
				cfg->rx_ring = 2;
			else if (!strcmp(optarg, "v3") || !strcmp(optarg, "3"))
				cfg->rx_ring = 3;
			else
				bad = 1;
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "bootstorm-storm: bad value for option: %s%s\n", optarg,
				o == O_HTTP ? " (expected http://A.B.C.D[:PORT][/PATH/])" : "");
			return -EINVAL;
		}
	}
	if (!cfg->ifname || optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (cfg->nfiles == 3 && !cfg->files[1][0]) {
		fprintf(stderr, "bootstorm-storm: --initrd needs --kernel\n");
		return -EINVAL;
	}
	if (cfg->http_base && cfg->nfiles < 2) {
		fprintf(stderr, "bootstorm-storm: --http needs --kernel (the files it fetches)\n");
		return -EINVAL;
	}
	if ((uint64_t)cfg->mac_base + cfg->clients > 4294967296ull) {
		fprintf(stderr, "bootstorm-storm: --mac-base + --clients overflows 32 bits\n");
		return -EINVAL;
	}
	return 0;
}

static int open_pcaps(struct storm *s)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s-dhcp.pcap", s->cfg.pcap_prefix);
	s->pcap_dhcp = storm_pcap_open(path);
	snprintf(path, sizeof(path), "%s-tftp.pcap", s->cfg.pcap_prefix);
	s->pcap_tftp = storm_pcap_open(path);
	return s->pcap_dhcp && s->pcap_tftp ? 0 : -errno;
}

static void progress_line(const struct storm *s, uint64_t now)
{
	fprintf(stderr, "[%6.1f s] started %llu done %llu failed %llu TFTP %.1f MiB\n",
		(double)(now - s->t0) / 1e9, (unsigned long long)s->st.started,
		(unsigned long long)s->st.done, (unsigned long long)s->st.failed,
		(double)s->st.tftp_bytes / 1048576.0);
	if (s->st.http_requests)
		fprintf(stderr, "           HTTP %.1f MiB, %lld connections open\n",
			(double)s->st.http_bytes / 1048576.0, (long long)s->st.http_open);
}

/* does any client fetch over HTTP? (then the kernel's TCP must be set up) */
static bool uses_http(const struct storm_cfg *cfg)
{
	if (cfg->dhcp_only)
		return false; /* done at the ACK: nothing is fetched */
	if (cfg->http_base || cfg->ipxe_pct)
		return true;
	for (unsigned i = 0; i < cfg->narch; i++)
		if (cfg->arch[i].weight && storm_arch_is_http(cfg->arch[i].arch))
			return true;
	return false;
}

static int setup_events(struct storm *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	struct rlimit rl;
	int err;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, storm_io_fd(s->io), &ev) < 0)
		return -errno;
	err = storm_io_filter_tcp(s->io);
	if (err)
		return err;
	if (!uses_http(&s->cfg))
		return storm_net_open(&s->net, s->cfg.ifname, false);
	/* a socket per client in HTTP at once */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return storm_net_open(&s->net, s->cfg.ifname, s->cfg.netsetup);
}

int main(int argc, char **argv)
{
	static struct storm s;
	bool progress = false;
	uint64_t next_progress, next_timer = UINT64_MAX, now;
	uint32_t next_start = 0;
	int err;

	if (parse_args(&s.cfg, &progress, argc, argv) < 0)
		return 2;
	for (unsigned i = 0; i < s.cfg.narch; i++)
		s.arch_total += s.cfg.arch[i].weight;
	if (!s.arch_total) {
		fprintf(stderr, "bootstorm-storm: --arch weights are all zero\n");
		return 2;
	}
	err = storm_io_open(&s.io, s.cfg.ifname, s.cfg.rx_ring, s.mac);
	if (err < 0) {
		fprintf(stderr, "bootstorm-storm: %s: %s\n", s.cfg.ifname, strerror(-err));
		return 1;
	}
	if (storm_clients_init(&s) < 0) {
		fprintf(stderr, "bootstorm-storm: out of memory\n");
		return 1;
	}
	if (s.cfg.pcap_prefix && open_pcaps(&s) < 0) {
		fprintf(stderr, "bootstorm-storm: %s-*.pcap: %s\n", s.cfg.pcap_prefix,
			strerror(errno));
		return 1;
	}
	err = setup_events(&s);
	if (err < 0) {
		fprintf(stderr, "bootstorm-storm: %s: %s\n", s.cfg.ifname, strerror(-err));
		storm_net_close(s.net);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	s.t0 = storm_now_ns();
	next_progress = s.t0 + NS_PER_S;
	for (;;) {
		uint64_t wake;

		now = storm_now_ns();
		/* start the clients that are due (rate 0: all of them now) */
		while (next_start < s.cfg.clients &&
		       (s.cfg.rate <= 0 ||
			s.t0 + (uint64_t)((double)next_start / s.cfg.rate * 1e9) <= now))
			storm_client_start(&s, &s.c[next_start++], now);
		storm_io_rx(s.io, storm_rx_frame, &s);
		now = storm_now_ns();
		next_timer = storm_timers_run(&s, now);
		storm_io_flush(s.io);

		if (next_start == s.cfg.clients && s.st.done + s.st.failed >= s.cfg.clients)
			break;
		if (stop ||
		    (s.cfg.duration_s > 0 && now - s.t0 >= (uint64_t)(s.cfg.duration_s * 1e9))) {
			storm_fail_remaining(&s, now);
			break;
		}
		if (progress && now >= next_progress) {
			progress_line(&s, now);
			next_progress += NS_PER_S;
		}
		wake = next_timer;
		if (next_start < s.cfg.clients && s.cfg.rate > 0) {
			uint64_t t = s.t0 + (uint64_t)((double)next_start / s.cfg.rate * 1e9);

			if (t < wake)
				wake = t;
		}
		int ms = 100;

		if (wake <= now)
			ms = 0;
		else if (wake - now < 100 * NS_PER_MS)
			ms = (int)((wake - now + NS_PER_MS - 1) / NS_PER_MS);
		struct epoll_event ev[256];
		int nev = epoll_wait(s.epfd, ev, BS_ARRAY_SIZE(ev), ms);

		now = storm_now_ns();
		for (int i = 0; i < nev; i++)
			if (ev[i].data.u32 < s.cfg.clients)
				storm_http_event(&s, &s.c[ev[i].data.u32], ev[i].events, now);
	}
	s.t_end = storm_now_ns();
	storm_net_close(s.net); /* every client's socket is closed by now */
	s.end_bucket = (uint32_t)((s.t_end - s.t0) / (100 * NS_PER_MS) + 1);
	if (progress)
		progress_line(&s, s.t_end);
	storm_report(&s, stdout);
	if (s.pcap_dhcp)
		fclose(s.pcap_dhcp);
	if (s.pcap_tftp)
		fclose(s.pcap_tftp);
	if (s.cfg.json_path) {
		err = storm_report_json(&s, s.cfg.json_path);
		if (err < 0) {
			fprintf(stderr, "bootstorm-storm: %s: %s\n", s.cfg.json_path,
				strerror(-err));
			return 1;
		}
	}
	storm_io_close(s.io);
	return s.st.done == s.cfg.clients ? 0 : 3;
}
