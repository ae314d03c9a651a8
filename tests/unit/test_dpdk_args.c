/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's EAL command line (dataplane/io/dpdk_args.c): the
 * default, dpdk-args= split at white space with commas kept, net_af_packet
 * vdevs derived from interface= only when no device is named, limits.
 */
#include <errno.h>
#include <string.h>

#include "io/dpdk_args.h"
#include "unit.h"

static const char ifs2[][BS_IO_IFNAMSIZ] = {"eth1", "br0"};
static const char ifs_wild[][BS_IO_IFNAMSIZ] = {"eth*", "s0"};

/* argv[1..] joined with single spaces, for comparing with a table. */
static void joined(char **argv, int argc, char *out, size_t size)
{
	out[0] = '\0';
	for (int i = 1; i < argc; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i > 1 ? " " : "", argv[i]);
}

static const struct {
	const char *desc;
	const char *args;
	const char (*ifaces)[BS_IO_IFNAMSIZ];
	unsigned nifaces;
	const char *want;
} cases[] = {
    {"default, no interface", NULL, NULL, 0,
     "--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 3 --log-level=notice"},
    {"empty string is the default", "", NULL, 0,
     "--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 3 --log-level=notice"},
    {"default + a vdev per interface", NULL, ifs2, 2,
     "--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 3 --log-level=notice "
     "--vdev=net_af_packet0,iface=eth1 --vdev=net_af_packet1,iface=br0"},
    {"wildcards get no vdev", NULL, ifs_wild, 2,
     "--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 3 --log-level=notice "
     "--vdev=net_af_packet1,iface=s0"},
    {"given args without a device: vdevs added", "--no-huge  -m 128\t--no-pci", ifs2, 1,
     "--no-huge -m 128 --no-pci --vdev=net_af_packet0,iface=eth1"},
    {"--vdev named: nothing added, commas kept", "--no-huge --vdev=net_tap0,iface=t0,mac=x", ifs2,
     2, "--no-huge --vdev=net_tap0,iface=t0,mac=x"},
    {"-a named: nothing added", "-l 2 -a 0000:3b:00.0", ifs2, 2, "-l 2 -a 0000:3b:00.0"},
    {"--allow named: nothing added", "--allow=0000:3b:00.0", ifs2, 2, "--allow=0000:3b:00.0"},
    {"-a inside a word is not a device", "--no-huge --file-prefix=x-a", ifs2, 1,
     "--no-huge --file-prefix=x-a --vdev=net_af_packet0,iface=eth1"},
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[1024], got[1024];
		char *argv[BS_DPDK_ARGV_MAX];
		int argc = -1;
		int r = bs_dpdk_eal_argv(cases[i].args, cases[i].ifaces, cases[i].nifaces, 3, buf,
					 sizeof(buf), argv, &argc);

		CHECK(cases[i].desc, r == 0);
		CHECK(cases[i].desc, argc >= 1 && strcmp(argv[0], "bootstorm") == 0);
		CHECK(cases[i].desc, argc >= 1 && argv[argc] == NULL);
		joined(argv, argc, got, sizeof(got));
		CHECK(cases[i].desc, strcmp(got, cases[i].want) == 0);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "  got:  %s\n  want: %s\n", got, cases[i].want);
	}
}

static void test_limits(void)
{
	char buf[2048], small[40], many[400];
	char *argv[BS_DPDK_ARGV_MAX];
	int argc;

	/* the default does not fit */
	CU_ASSERT_EQUAL(bs_dpdk_eal_argv(NULL, NULL, 0, 0, small, sizeof(small), argv, &argc),
			-E2BIG);
	/* the derived vdevs do not fit */
	CU_ASSERT_EQUAL(bs_dpdk_eal_argv("--no-pci", ifs2, 2, 0, small, sizeof(small), argv, &argc),
			-E2BIG);
	/* more words than argv has room for */
	many[0] = '\0';
	for (int i = 0; i < BS_DPDK_ARGV_MAX; i++)
		strcat(many, "-v ");
	CU_ASSERT_EQUAL(bs_dpdk_eal_argv(many, NULL, 0, 0, buf, sizeof(buf), argv, &argc), -E2BIG);
	/* exactly as many as fit */
	many[0] = '\0';
	for (int i = 0; i < BS_DPDK_ARGV_MAX - 2; i++)
		strcat(many, "-v ");
	CU_ASSERT_EQUAL(bs_dpdk_eal_argv(many, NULL, 0, 0, buf, sizeof(buf), argv, &argc), 0);
	CU_ASSERT_EQUAL(argc, BS_DPDK_ARGV_MAX - 1);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"table", test_table},
	    {"limits", test_limits},
	    {NULL, NULL},
	};

	return unit_run("dpdk_args", tests);
}
