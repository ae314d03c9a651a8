/* SPDX-License-Identifier: MIT */
/*
 * Config: the seed config's mistakes, the corrected seed, and tables of
 * inline configs per diagnostic class, value encodings and command lines.
 * A failing row names itself in the CUnit failure message.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config.h"
#include "util/bytes.h"

static char tmpdir[] = "/tmp/bs_test_config.XXXXXX";
static int case_no;

/* Write text to a fresh file under tmpdir ("%SELF%" = the file's own path).
   The returned path is valid until the next call. */
static const char *write_conf(const char *text)
{
	static char path[256];
	const char *self;
	FILE *f;

	snprintf(path, sizeof(path), "%s/case%d.conf", tmpdir, ++case_no);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	while ((self = strstr(text, "%SELF%"))) {
		fwrite(text, 1, (size_t)(self - text), f);
		fputs(path, f);
		text = self + 6;
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct bs_diag *find_diag(const struct bs_diags *d, int level, int line,
				       const char *sub)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].level == level && d->v[i].line == line && strstr(d->v[i].msg, sub))
			return &d->v[i];
	return NULL;
}

/* ---- the seed --------------------------------------------------------- */

static const struct {
	const char *desc;
	int level, line;
	const char *sub;
} seed_expect[] = {
    {"(4) pxelinux without .0", BS_DIAG_ERROR, 14, "write pxelinux.0"},
    {"(5) second untagged dhcp-boot is dead", BS_DIAG_ERROR, 14, "can never take effect: line 9"},
    {"(2) typographic quotes, named", BS_DIAG_ERROR, 22, "U+201E DOUBLE LOW-9 QUOTATION MARK"},
    {"(2) closing quote named", BS_DIAG_ERROR, 22, "U+201C LEFT DOUBLE QUOTATION MARK"},
    {"(2) says to use ASCII quotes", BS_DIAG_ERROR, 22,
     "use ASCII double quotes (U+0022): \"Boot via PXE-Server\""},
    {"(1) netmask written with commas", BS_DIAG_ERROR, 26,
     "netmask \"255\" is not a dotted quad (expected e.g. 255.255.255.0; was it written "
     "with commas: \"255,255,255,0\"?)"},
    {"(3) full and proxy range on one subnet", BS_DIAG_ERROR, 26,
     "192.168.1.1-192.168.1.100 (line 24) and a proxy range (line 26) on the same subnet "
     "192.168.1.0/24"},
    {"(3) says which to keep", BS_DIAG_ERROR, 26, "keep only the proxy range"},
    {"(6) range contains the listen-address", BS_DIAG_WARNING, 24,
     "contains this server's own listen-address 192.168.1.1"},
    {"UEFI clients get no menu", BS_DIAG_NOTE, 22, "UEFI"},
    {"loopback listen-address", BS_DIAG_NOTE, 29, "127.0.0.1 is a loopback address"},
};

static void test_seed(void)
{
	struct bs_diags d = {0};
	struct bs_config *cfg = (struct bs_config *)1;
	int rc = bs_config_from_file(unit_srcpath("tests/data/seed-dnsmasq.conf"), true, &cfg, &d);

	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 5);
	CU_ASSERT_EQUAL(d.warnings, 1);
	for (size_t i = 0; i < BS_ARRAY_SIZE(seed_expect); i++)
		CHECK(seed_expect[i].desc, find_diag(&d, seed_expect[i].level, seed_expect[i].line,
						     seed_expect[i].sub) != NULL);
	/* every diagnostic names the file */
	for (size_t i = 0; i < d.n; i++)
		CHECK(d.v[i].msg, strstr(d.v[i].file, "seed-dnsmasq.conf") != NULL);
	if (d.errors != 5)
		bs_diags_print(&d, stderr);
	bs_diags_free(&d);
}

static void test_seed_corrected(void)
{
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;
	int rc =
	    bs_config_from_file(unit_srcpath("tests/data/seed-corrected.conf"), true, &cfg, &d);
	const struct bs_policy *p;

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(d.errors, 0);
	CU_ASSERT_EQUAL(d.warnings, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	p = cfg->policy;
	CU_ASSERT_EQUAL(p->nranges, 1);
	CU_ASSERT_TRUE(p->nranges == 1 && p->ranges[0].proxy);
	CU_ASSERT_TRUE(p->nranges == 1 && p->ranges[0].start == 0xc0a80101u);
	CU_ASSERT_TRUE(p->nranges == 1 && p->ranges[0].netmask == 0xffffff00u);
	CU_ASSERT_EQUAL(p->nboots, 1);
	CU_ASSERT_TRUE(p->nboots == 1 && strcmp(p->boots[0].file, "pxelinux.0") == 0);
	CU_ASSERT_TRUE(p->nboots == 1 && strcmp(p->boots[0].sname, "pxeserver") == 0);
	CU_ASSERT_TRUE(p->nboots == 1 && p->boots[0].server_ip == 0xc0a80101u);
	CU_ASSERT_EQUAL(p->nservices, 1);
	CU_ASSERT_TRUE(p->nservices == 1 && p->services[0].csa == 0);
	CU_ASSERT_TRUE(p->nservices == 1 &&
		       strcmp(p->services[0].menu, "Boot via PXE-Server") == 0);
	CU_ASSERT_TRUE(p->nservices == 1 && strcmp(p->services[0].basename, "pxelinux") == 0);
	CU_ASSERT_TRUE(p->no_override);
	CU_ASSERT_TRUE(p->log_dhcp);
	CU_ASSERT_TRUE(p->tftp_enabled && cfg->tftp_enabled);
	CU_ASSERT_STRING_EQUAL(cfg->tftp_root, "/var/lib/tftpboot");
	CU_ASSERT_EQUAL(cfg->nifaces, 1);
	CU_ASSERT_STRING_EQUAL(cfg->ifaces[0], "eth0");
	CU_ASSERT_EQUAL(cfg->nlisten, 1);
	CU_ASSERT_EQUAL(cfg->listen[0], 0xc0a80101u);
	/* tags: builtins at their indexes, then the interface */
	CU_ASSERT_EQUAL(p->ntags, 5);
	CU_ASSERT_STRING_EQUAL(p->tag_names[BS_TAG_KNOWN], "known");
	CU_ASSERT_STRING_EQUAL(p->tag_names[BS_TAG_IPXE], "ipxe");
	CU_ASSERT_STRING_EQUAL(p->tag_names[BS_TAG_HTTPCLIENT], "httpclient");
	CU_ASSERT_STRING_EQUAL(p->tag_names[BS_TAG_PXECLIENT], "pxeclient");
	CU_ASSERT_STRING_EQUAL(p->tag_names[4], "eth0");
	/* the origin names the file and line */
	CU_ASSERT_TRUE(p->nboots == 1 && p->boots[0].origin.line == 14);
	CU_ASSERT_TRUE(p->nboots == 1 && strstr(p->boots[0].origin.file, "seed-corrected.conf"));
	bs_config_free(cfg);
	bs_diags_free(&d);
}

/* ---- diagnostics, one row per class ------------------------------------ */

/* appended where a row has boot info: without a range nothing is sent */
#define RANGE "dhcp-range=10.9.0.10,10.9.0.20\n"
#define S10   "abcdefghij"
#define S100  S10 S10 S10 S10 S10 S10 S10 S10 S10 S10
#define S10IP "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"

static const struct diag_case {
	const char *desc;
	const char *text;
	bool strict;
	int errors;	   /* expected error count */
	int warnings;	   /* -1: not checked */
	const char *first; /* substring of the first diagnostic; NULL: none expected */
	int line;	   /* its line */
} diag_cases[] = {
    {"clean minimal", "dhcp-range=10.0.0.10,10.0.0.20\n", true, 0, 0, NULL, 0},
    {"comments: whole line, after whitespace, not inside a word",
     "# top\n  # indented\ndhcp-boot=a#b.0 # trailing\n" RANGE, true, 0, 0, NULL, 0},
    {"bad number", "\ndhcp-lease-max=12x\n", true, 1, 0,
     "dhcp-lease-max: dhcp-lease-max \"12x\" is not a number (expected 1 to 10000000)", 2},
    {"number out of range", "tftp-max=0\n", true, 1, 0, "tftp-max 0 is out of range", 1},
    {"number overflow", "tftp-max=99999999999999999999999\n", true, 1, 0, "out of range", 1},
    {"negative number", "dhcp-lease-max=-5\n", true, 1, 0, "is not a number", 1},
    {"unknown directive, not strict: warning", "frobnicate=1\n", false, 0, 1,
     "unknown directive \"frobnicate\"; ignored", 1},
    {"unknown directive, strict: error", "x=1\nfrobnicate=1\n", true, 2, 0,
     "unknown directive \"x\"", 1},
    {"unknown directive with a suggestion", "dhcp-bot=pxelinux.0\n", true, 1, 0,
     "(did you mean dhcp-boot?)", 1},
    {"DNS directive: warning even when strict", "domain-needed\nbogus-priv\n", true, 0, 2,
     "dnsmasq directive domain-needed has no effect in bootstorm (no DNS server)", 1},
    {"unimplemented dnsmasq directive, strict", "dhcp-script=/bin/true\n", true, 1, 0,
     "dnsmasq directive dhcp-script is not implemented by bootstorm", 1},
    {"missing '='", "dhcp-range 10.0.0.10,10.0.0.20\n", true, 1, 0,
     "dhcp-range: missing '=' between the directive and its value", 1},
    {"missing '=' with colon", "dhcp-boot: pxelinux.0\n", true, 1, 0, "missing '='", 1},
    {"value for a flag", "log-dhcp=yes\n", true, 1, 0, "log-dhcp: takes no value", 1},
    {"no value for a directive that needs one", "dhcp-boot\n", true, 1, 0,
     "dhcp-boot: needs a value (expected dhcp-boot=", 1},
    {"empty value", "dhcp-boot=\n", true, 1, 0, "needs a value", 1},
    {"line starting with =", "=foo\n", true, 1, 0, "line starts with '='", 1},
    {"unterminated quote", "pxe-service=x86PC,\"Boot,pxelinux\n", true, 1, 0,
     "field 2: double quote without its closing quote", 1},
    {"text after closing quote", "pxe-service=x86PC,\"Boot\"x,pxelinux\n", true, 1, 0,
     "text after the closing quote", 1},
    {"stray quote", "pxe-service=x86PC,Bo\"ot,pxelinux\n", true, 1, 0, "stray double quote", 1},
    {"quoted comma and hash", "pxe-prompt=\"Press F8, #1\",10\n", true, 0, 0, NULL, 0},
    {"single typographic quote",
     "pxe-service=x86PC,\xe2\x80\x9c"
     "Boot,pxelinux\n" RANGE,
     true, 1, 0, "U+201C", 1},
    {"guillemets",
     "pxe-prompt=\xc2\xab"
     "Press F8\xc2\xbb,10\n",
     true, 1, 0, "U+00AB LEFT-POINTING DOUBLE ANGLE QUOTATION MARK", 1},
    {"non-ASCII menu text",
     "pxe-service=x86PC,\"Boot \xc3\xbc"
     "ber PXE\",pxelinux\n",
     true, 1, 0, "is not plain ASCII", 1},
    {"non-breaking space", "dhcp-boot=pxelinux.0,\xc2\xa0x\n", true, 1, 0,
     "non-breaking space (U+00A0)", 1},
    {"port other than 0", "port=53\n", true, 1, 0,
     "port: bootstorm runs no DNS server: only port=0", 1},
    {"port 0", "port=0\n", true, 0, 0, NULL, 0},
    {"port with two values", "port=0,1\n", true, 1, 0, "expected one number", 1},
    {"include loop", "conf-file=%SELF%\n", true, 1, 0, "includes itself", 1},
    {"missing include", "\n\nconf-file=/nonexistent/bs.conf\n", true, 1, 0,
     "conf-file: cannot read config file /nonexistent/bs.conf", 3},
    {"range: start after end", "dhcp-range=10.0.0.20,10.0.0.10\n", true, 1, 0,
     "start 10.0.0.20 is after end 10.0.0.10", 1},
    {"range: bad start", "dhcp-range=10.0.0,10.0.0.10\n", true, 1, 0,
     "start address \"10.0.0\" is not an IPv4 address", 1},
    {"range: IPv6", "dhcp-range=fd00::10,fd00::20\n", true, 1, 0, "looks like IPv6", 1},
    {"range: bad netmask", "dhcp-range=10.0.0.1,10.0.0.9,255.0.255.0\n", true, 1, 0,
     "netmask 255.0.255.0 is not a run of ones", 1},
    {"range: not one subnet", "dhcp-range=10.0.0.1,10.0.1.9,255.255.255.0\n", true, 1, 0,
     "are not in one subnet", 1},
    {"range: proxy netmask not dotted", "dhcp-range=10.0.0.1,proxy,24\n", true, 1, 0,
     "netmask \"24\" is not a dotted quad", 1},
    {"range: extra field", "dhcp-range=10.0.0.1,10.0.0.9,1h,foo\n", true, 1, 0,
     "unexpected field \"foo\"", 1},
    {"lease: below minimum is raised", "dhcp-range=10.0.0.1,10.0.0.9,45s\n", true, 0, 1,
     "lease time 45s is below the minimum of 2 minutes", 1},
    {"lease: bad unit", "dhcp-range=10.0.0.1,10.0.0.9,12x\n", true, 1, 0,
     "lease time \"12x\" is not a number with an optional unit", 1},
    {"lease: too long", "dhcp-range=10.0.0.1,10.0.0.9,99999999d\n", true, 1, 0, "is too long", 1},
    {"boot: other loader without extension is a note", "dhcp-boot=grubnet\n" RANGE, true, 0, 0,
     "has no extension", 1},
    {"boot: tagged lines do not shadow",
     "dhcp-userclass=set:a,x\ndhcp-boot=tag:a,a.0\n"
     "dhcp-boot=b.0\n" RANGE,
     true, 0, 0, NULL, 0},
    {"boot: a tagged line shadowed by a broader one",
     "dhcp-userclass=set:a,x\ndhcp-userclass=set:b,y\ndhcp-boot=tag:a,a.0\n"
     "dhcp-boot=tag:a,tag:b,b.0\n" RANGE,
     true, 1, 0, "can never take effect: line 3", 4},
    {"tag never set", "dhcp-boot=tag:nosuch,a.0\n" RANGE, true, 0, 1, "tag:nosuch is never set", 1},
    {"tag both needed and forbidden", "dhcp-boot=tag:a,tag:!a,a.0\n", true, 1, 0,
     "both required and forbidden", 1},
    {"set: where only tag: is allowed", "dhcp-boot=set:a,a.0\n", true, 1, 0,
     "this directive sets no tags", 1},
    {"pxe-service: misspelt CSA", "pxe-service=X86_64_EFI,\"x\",ipxe\n", true, 1, 0,
     "did you mean X86-64_EFI?", 1},
    {"pxe-service: unknown CSA", "pxe-service=amiga,\"x\",ipxe\n", true, 1, 0,
     "unknown client system architecture \"amiga\"", 1},
    {"pxe-service: x86-64_EFI and numbers",
     "pxe-service=x86-64_EFI,\"a\",ipxe\n"
     "pxe-service=7,\"b\",ipxe\npxe-service=x86PC,\"local\",0\n" RANGE,
     true, 0, 0, NULL, 0},
    {"dhcp-match: needs set:", "dhcp-match=175\n", true, 1, 0, "expected set:TAG", 1},
    {"dhcp-match: unknown option name", "dhcp-match=set:a,option:frob\n", true, 1, 0,
     "unknown option name \"frob\"", 1},
    {"dhcp-match: client-arch is numeric", "dhcp-match=set:a,option:client-arch,efi\n", true, 1, 0,
     "client-arch is matched by number", 1},
    {"tag-if without set", "tag-if=tag:a\n", true, 1, 0, "tag-if: expected set:TAG", 1},
    {"host: two addresses", "dhcp-host=52:54:00:12:34:56,10.0.0.5,10.0.0.6\n", true, 1, 0,
     "two addresses", 1},
    {"host: no MAC", "dhcp-host=foo,10.0.0.5\n", true, 1, 0, "no MAC address", 1},
    {"host: bad MAC", "dhcp-host=52:54:00:12:34:5g\n", true, 1, 0,
     "\"52:54:00:12:34:5g\" is not a MAC address", 1},
    {"host: wildcard MAC", "dhcp-host=52:54:00:*:*:*,10.0.0.5\n", true, 1, 0,
     "wildcards are not supported", 1},
    {"host: client id", "dhcp-host=id:01:02:03,10.0.0.5\n", true, 1, 0,
     "client-id matching is not supported", 1},
    {"host: duplicate MAC",
     "dhcp-host=52:54:00:12:34:56,a\n\ndhcp-host=52:54:00:12:34:56,b\n" RANGE, true, 1, 0,
     "already given on line 1", 3},
    {"host: duplicate address",
     "dhcp-host=52:54:00:12:34:56,10.0.0.5\n"
     "dhcp-host=52:54:00:12:34:57,10.0.0.5\n" RANGE,
     true, 1, 0, "already given to another MAC", 2},
    {"option: unknown name", "dhcp-option=option:frob,1\n", true, 1, 0,
     "unknown option name \"frob\"", 1},
    {"option: bad address", "dhcp-option=option:router,10.0.0\n", true, 1, 0,
     "address \"10.0.0\" is not an IPv4 address", 1},
    {"option: u16 too big", "dhcp-option=option:mtu,70000\n", true, 1, 0,
     "value 70000 is out of range (expected 0 to 65535)", 1},
    {"option: protocol option", "dhcp-option=53,1\n", true, 1, 0, "part of the DHCP protocol", 1},
    {"option: code out of range", "dhcp-option=300,1\n", true, 1, 0, "option 300 is out of range",
     1},
    {"option: encap other than 43", "dhcp-option=encap:175,1,1\n", true, 1, 0, "only encap:43", 1},
    {"option: too long", "dhcp-option=option:root-path,\"" S100 S100 S100 "\"\n", true, 1, 0,
     "more than 255 bytes", 1},
    {"too many fields",
     "dhcp-option=option:dns-server," S10IP S10IP S10IP S10IP S10IP S10IP S10IP "\n", true, 1, 0,
     "more than 64 comma-separated fields", 1},
    {"option: 0.0.0.0 is not our address", "dhcp-option=3,0.0.0.0\n", true, 0, 1,
     "0.0.0.0 is sent as written", 1},
    {"tftp-port-range over 69", "tftp-port-range=60,70\n", true, 1, 0, "contains port 67", 1},
    {"tftp-port-range reversed", "tftp-port-range=50010,50000\n", true, 1, 0,
     "low port 50010 is above high port 50000", 1},
    {"log-facility: bad name", "log-facility=dæmon\n", true, 1, 0, "is neither a syslog facility",
     1},
    {"interface: wildcard", "interface=eth*\n", true, 1, 0, "wildcards are not supported", 1},
    {"interface: too long", "interface=abcdefghijklmnop\n", true, 1, 0, "is not an interface name",
     1},
    {"listen-address: bad", "listen-address=192.168.1\n", true, 1, 0,
     "address \"192.168.1\" is not an IPv4 address", 1},
    {"enable-tftp with an interface", "enable-tftp=eth0\n", true, 1, 0, "per-interface TFTP", 1},
    {"tftp-root relative", "tftp-root=tftpboot\n", true, 0, 1, "is a relative path", 1},
    {"byte order mark and CRLF",
     "\xef\xbb\xbf"
     "dhcp-boot=pxelinux.0\r\nlog-dhcp\r\n" RANGE,
     true, 0, 0, NULL, 0},
    {"overlapping address ranges",
     "dhcp-range=10.0.0.10,10.0.0.50\n"
     "dhcp-range=10.0.0.40,10.0.0.90\n",
     true, 1, 0, "overlaps the range on line 1", 2},
    {"ranges on different tags may overlap",
     "interface=eth0\ninterface=eth1\n"
     "dhcp-range=tag:eth0,10.0.0.10,10.0.0.50\ndhcp-range=tag:eth1,10.0.0.40,10.0.0.90\n",
     true, 0, 0, NULL, 0},
    {"boot info without any dhcp-range", "dhcp-boot=pxelinux.0\n", true, 0, 1,
     "there is no dhcp-range", 1},
    {"host gets the server's address",
     "listen-address=10.0.0.1\n"
     "dhcp-range=10.0.0.10,10.0.0.50\ndhcp-host=52:54:00:12:34:56,10.0.0.1\n",
     true, 1, 0, "is this server's own listen-address (line 1)", 3},
    {"backend: unknown name", "\nbackend=xdp\n", true, 1, 0,
     "\"xdp\" is not a backend; expected one of auto, afxdp, socket, dpdk", 2},
    {"backend: names are lower case", "backend=Socket\n", true, 1, 0,
     "expected one of auto, afxdp, socket", 1},
    {"backend: two values", "backend=afxdp,socket\n", true, 1, 0,
     "backend: expected one of auto, afxdp, socket, dpdk", 1},
    {"backend: no value", "backend\n", true, 1, 0, "needs a value", 1},
    {"backend: socket", "backend=socket\n", true, 0, 0, NULL, 0},
    {"http-port: not a number", "http-port=http\n", true, 1, 0,
     "http-port: http-port \"http\" is not a number (expected 0 to 65535)", 1},
    {"http-port: out of range", "http-port=65536\n", true, 1, 0, "out of range", 1},
    {"http-port: a UDP boot port is a warning", "http-port=69\n", true, 0, 1, "DHCP/TFTP/PXE port",
     1},
    {"http-address: not an address", "http-address=eth0\n", true, 1, 0, "http-address", 1},
    {"http-address: bad IPv6", "http-address=fd00::zz\n", true, 1, 0,
     "address \"fd00::zz\" is not an IPv6 address (expected one like fd00::1 or [fd00::1])", 1},
    {"http-address: half a bracket", "http-address=[fd00::1\n", true, 1, 0,
     "is not an IPv6 address", 1},
    {"http-address: two", "http-address=10.0.0.1,fd00::1\n", true, 1, 0,
     "expected one IPv4 or IPv6 address", 1},
    {"http-root: two paths", "http-root=/a,/b\n", true, 1, 0, "expected one path", 1},
    {"http-root: relative", "http-root=srv\n", true, 0, 1, "relative path", 1},
    {"http-max-conns: 0", "http-max-conns=0\n", true, 1, 0, "out of range", 1},
    {"http-timeout: too long", "http-timeout=3601\n", true, 1, 0, "out of range", 1},
    {"http-timeout: two numbers", "http-timeout=1,2\n", true, 1, 0, "expected one number", 1},
    {"control-socket: relative", "control-socket=bs.sock\n", true, 1, 0, "not an absolute path", 1},
    {"control-socket: too long",
     "control-socket=/run/0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456789.sock\n",
     true, 1, 0, "more than the limit of 107", 1},
    {"control-socket: two paths", "control-socket=/a,/b\n", true, 1, 0, "expected one path", 1},
    {"control-socket: ok", "control-socket=/run/bs/ctl.sock\n", true, 0, 0, NULL, 0},
    {"control-group: two", "control-group=adm,wheel\n", true, 1, 0, "one group name", 1},
    {"control-group: odd name", "control-group=a b\n", true, 1, 0, "one group name", 1},
    {"control-group: ok", "control-group=bootstorm-ops\n", true, 0, 0, NULL, 0},
    {"user: two", "user=nobody,daemon\n", true, 1, 0, "one user name", 1},
    {"user: odd name", "user=a/b\n", true, 1, 0, "one user name", 1},
    {"user: ok", "user=nobody\n", true, 0, 0, NULL, 0},
    {"group: odd name", "group=a b\n", true, 1, 0, "one group name", 1},
    {"group: ok", "group=nogroup\n", true, 0, 0, NULL, 0},
    {"cache-size: no number", "cache-size=G\n", true, 1, 0, "is not a size", 1},
    {"cache-size: unknown unit", "cache-size=4X\n", true, 1, 0, "is not a size", 1},
    {"cache-size: zero", "cache-size=0\n", true, 1, 0, "is not a size", 1},
    {"cache-size: overflow", "cache-size=99999999999T\n", true, 1, 0, "is not a size", 1},
    {"cache-size: two", "cache-size=1G,2G\n", true, 1, 0, "one size", 1},
    {"cache-size: ok", "cache-size=512M\n", true, 0, 0, NULL, 0},
    {"http-send-buffer: word", "http-send-buffer=big\n", true, 1, 0, "expected auto, kernel or a size", 1},
    {"http-send-buffer: too small", "http-send-buffer=1K\n", true, 1, 0, "out of range", 1},
    {"http-send-buffer: too big", "http-send-buffer=1G\n", true, 1, 0, "out of range", 1},
    {"http-send-buffer: two", "http-send-buffer=1M,2M\n", true, 1, 0, "one size", 1},
    {"http-send-buffer: ok", "http-send-buffer=256K\nhttp-send-buffer=auto\nhttp-send-buffer=kernel\n", true, 0, 0, NULL, 0},
    {"cache-warm: two paths", "cache-warm=a,b\n", true, 1, 0, "expected one path", 1},
    {"cache-warm: ok", "cache-warm=vmlinuz\ncache-warm=initrd.img\n", true, 0, 0, NULL, 0},
    {"metrics-address: no port", "metrics-address=10.0.0.1\n", true, 1, 0, "ADDRESS:PORT", 1},
    {"metrics-address: port 0", "metrics-address=10.0.0.1:0\n", true, 1, 0, "metrics port", 1},
    {"metrics-address: bad address", "metrics-address=x:9100\n", true, 1, 0, "metrics address",
     1},
    {"metrics-address: IPv6 port without brackets", "metrics-address=fd00::1:9100\n", true, 1, 0,
     "an IPv6 address with a port needs brackets: [fd00::1]:9100", 1},
    {"metrics-address: IPv6 without a port", "metrics-address=[fd00::1]\n", true, 1, 0,
     "expected [IPv6-ADDRESS]:PORT", 1},
    {"metrics-address: bad IPv6", "metrics-address=[fd00::x]:9100\n", true, 1, 0,
     "metrics address \"[fd00::x]\" is not an IPv6 address", 1},
    {"metrics-address: IPv6 port 0", "metrics-address=[fd00::1]:0\n", true, 1, 0, "metrics port",
     1},
    {"ipxe-boot: no kernel", "ipxe-boot=initrd=/i\n", true, 1, 0, "no kernel= field", 1},
    {"ipxe-boot: unknown field", "ipxe-boot=kernel=/k,append=x\n", true, 1, 0,
     "unexpected field \"append=x\"", 1},
    {"ipxe-boot: local takes nothing more", "ipxe-boot=local,kernel=/k\n", true, 1, 0,
     "after \"local\"", 1},
    {"ipxe-boot: empty chain", "ipxe-boot=chain=\n", true, 1, 0, "chain= needs a URL", 1},
    {"ipxe-boot: five initrds",
     "ipxe-boot=kernel=/k,initrd=/1,initrd=/2,initrd=/3,initrd=/4,initrd=/5\n", true, 1, 0,
     "more than 4 initrd= fields", 1},
    {"several errors are all reported", "tftp-max=x\nport=1\ndhcp-lease-max=0\n", true, 3, 0,
     "tftp-max", 1},
};

static void test_diag_table(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(diag_cases); i++) {
		const struct diag_case *t = &diag_cases[i];
		const char *path = write_conf(t->text);
		struct bs_diags d = {0};
		struct bs_config *cfg = NULL;
		int rc;

		CHECK(t->desc, path != NULL);
		if (!path)
			continue;
		rc = bs_config_from_file(path, t->strict, &cfg, &d);
		CHECK(t->desc, (size_t)t->errors == d.errors);
		CHECK(t->desc, t->warnings < 0 || (size_t)t->warnings == d.warnings);
		CHECK(t->desc, rc == (t->errors ? -1 : 0));
		CHECK(t->desc, (cfg != NULL) == (t->errors == 0));
		if (t->first) {
			CHECK(t->desc, d.n > 0 && strstr(d.v[0].msg, t->first) != NULL);
			CHECK(t->desc, d.n > 0 && d.v[0].line == t->line);
			CHECK(t->desc, d.n > 0 && strcmp(d.v[0].file, path) == 0);
		} else {
			CHECK(t->desc, d.n == 0);
		}
		if ((size_t)t->errors != d.errors ||
		    (t->first && (!d.n || !strstr(d.v[0].msg, t->first)))) {
			fprintf(stderr, "\n  row \"%s\" gave:\n", t->desc);
			bs_diags_print(&d, stderr);
		}
		bs_config_free(cfg);
		bs_diags_free(&d);
	}
}

/* 4 builtins + 60 tags fit; the 61st user tag is the 65th. */
static void test_too_many_tags(void)
{
	char text[8192];
	size_t len = 0;
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;
	const char *path;

	for (int i = 0; i < 61; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"dhcp-userclass=set:t%d,class%d\n", i, i);
	path = write_conf(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(bs_config_from_file(path, true, &cfg, &d), -1);
	CU_ASSERT_EQUAL(d.errors, 1);
	CU_ASSERT_TRUE(d.n >= 1 && d.v[0].line == 61 && strstr(d.v[0].msg, "too many tags"));
	bs_diags_free(&d);

	/* 60 is fine */
	text[len - strlen("dhcp-userclass=set:t60,class60\n")] = '\0';
	path = write_conf(text);
	CU_ASSERT_EQUAL(bs_config_from_file(path, true, &cfg, &d), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->policy->ntags, 64);
	CU_ASSERT_STRING_EQUAL(cfg->policy->tag_names[63], "t59");
	bs_config_free(cfg);
	bs_diags_free(&d);
}

/* Garbage costs bounded memory; diagnostics stay in file/line order. */
static void test_many_errors(void)
{
	static char text[40000];
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;
	size_t len = 0;
	char inc[256];
	const char *path = write_conf("tftp-max=x\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	snprintf(inc, sizeof(inc), "%s", path); /* write_conf reuses its buffer */

	len += (size_t)snprintf(text + len, sizeof(text) - len, "conf-file=%s\n", inc);
	for (int i = 0; i < 1500; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "port=%d\n", i + 1);
	path = write_conf(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(bs_config_from_file(path, true, &cfg, &d), -1);
	CU_ASSERT_EQUAL(d.errors, 1501);
	CU_ASSERT_EQUAL(d.n, BS_DIAGS_MAX);
	CU_ASSERT_EQUAL(d.dropped, 1501 - BS_DIAGS_MAX);
	/* the include's error was found first, so its file comes first */
	CU_ASSERT_TRUE(d.n > 2 && strcmp(d.v[0].file, inc) == 0 && d.v[0].line == 1);
	CU_ASSERT_TRUE(d.n > 2 && strcmp(d.v[1].file, path) == 0 && d.v[1].line == 2);
	CU_ASSERT_TRUE(d.n > 2 && d.v[d.n - 1].line == BS_DIAGS_MAX);
	bs_diags_free(&d);
}

/* Nested includes beyond the depth limit. */
static void test_include_depth(void)
{
	char text[512];
	const char *path = write_conf("log-dhcp\n");
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;

	for (int i = 0; i < 20 && path; i++) {
		snprintf(text, sizeof(text), "conf-file=%s\n", path);
		path = write_conf(text);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(bs_config_from_file(path, true, &cfg, &d), -1);
	CU_ASSERT_EQUAL(d.errors, 1);
	CU_ASSERT_TRUE(d.n == 1 && strstr(d.v[0].msg, "nested more than 16 deep"));
	bs_diags_free(&d);

	/* a shallow include works, and its directives count */
	path = write_conf("log-dhcp\n");
	snprintf(text, sizeof(text), "conf-file=%s\n", path);
	path = write_conf(text);
	CU_ASSERT_EQUAL(bs_config_from_file(path, true, &cfg, &d), 0);
	CU_ASSERT_TRUE(cfg && cfg->policy->log_dhcp);
	bs_config_free(cfg);
	bs_diags_free(&d);
}

/* ---- values ----------------------------------------------------------- */

static struct bs_config *parse_ok(const char *desc, const char *text)
{
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;
	const char *path = write_conf(text);

	CHECK(desc, path && bs_config_from_file(path, true, &cfg, &d) == 0);
	CHECK(desc, d.errors == 0);
	if (d.errors)
		bs_diags_print(&d, stderr);
	bs_diags_free(&d);
	return cfg;
}

static const struct {
	const char *desc, *text;
	uint32_t start, end, mask, lease;
	bool proxy;
} range_cases[] = {
    {"default lease 1h", "dhcp-range=10.0.0.10,10.0.0.20\n", 0x0a00000a, 0x0a000014, 0, 3600},
    {"seconds", "dhcp-range=10.0.0.10,10.0.0.20,600\n", 0x0a00000a, 0x0a000014, 0, 600},
    {"minutes", "dhcp-range=10.0.0.10,10.0.0.20,30m\n", 0x0a00000a, 0x0a000014, 0, 1800},
    {"hours", "dhcp-range=10.0.0.10,10.0.0.20,12h\n", 0x0a00000a, 0x0a000014, 0, 43200},
    {"days", "dhcp-range=10.0.0.10,10.0.0.20,1d\n", 0x0a00000a, 0x0a000014, 0, 86400},
    {"weeks", "dhcp-range=10.0.0.10,10.0.0.20,2w\n", 0x0a00000a, 0x0a000014, 0, 1209600},
    {"infinite", "dhcp-range=10.0.0.10,10.0.0.20,infinite\n", 0x0a00000a, 0x0a000014, 0,
     BS_LEASE_INFINITE},
    {"raised to 120", "dhcp-range=10.0.0.10,10.0.0.20,45s\n", 0x0a00000a, 0x0a000014, 0, 120},
    {"netmask and lease", "dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,2h\n", 0x0a00000a,
     0x0a000014, 0xffffff00, 7200},
    {"tags before", "dhcp-range=tag:eth0,set:lab,10.0.0.10,10.0.0.20\ninterface=eth0\n", 0x0a00000a,
     0x0a000014, 0, 3600},
    {"proxy", "dhcp-range=192.168.1.0,proxy\n", 0xc0a80100, 0xc0a80100, 0, 3600, true},
    {"proxy with mask", "dhcp-range=192.168.1.0,proxy,255.255.255.0\n", 0xc0a80100, 0xc0a80100,
     0xffffff00, 3600, true},
};

static void test_ranges(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(range_cases); i++) {
		struct bs_config *cfg = parse_ok(range_cases[i].desc, range_cases[i].text);
		const struct bs_range *r;

		if (!cfg)
			continue;
		CHECK(range_cases[i].desc, cfg->policy->nranges == 1);
		r = &cfg->policy->ranges[0];
		CHECK(range_cases[i].desc, r->start == range_cases[i].start);
		CHECK(range_cases[i].desc, r->end == range_cases[i].end);
		CHECK(range_cases[i].desc, r->netmask == range_cases[i].mask);
		CHECK(range_cases[i].desc, r->lease_secs == range_cases[i].lease);
		CHECK(range_cases[i].desc, r->proxy == range_cases[i].proxy);
		bs_config_free(cfg);
	}
}

static void test_range_tags(void)
{
	struct bs_config *cfg =
	    parse_ok("range tags", "dhcp-range=tag:eth0,tag:!known,set:lab,10.0.0.10,10.0.0.20\n"
				   "interface=eth0\n");
	const struct bs_policy *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	p = cfg->policy;
	/* interface tags come right after the builtins even when written later */
	CU_ASSERT_STRING_EQUAL(p->tag_names[4], "eth0");
	CU_ASSERT_STRING_EQUAL(p->tag_names[5], "lab");
	CU_ASSERT_EQUAL(p->ranges[0].match.need, 1ull << 4);
	CU_ASSERT_EQUAL(p->ranges[0].match.forbid, 1ull << BS_TAG_KNOWN);
	CU_ASSERT_EQUAL(p->ranges[0].set, 1ull << 5);
	bs_config_free(cfg);
}

static const struct {
	const char *desc, *text;
	uint8_t mac[6];
	uint32_t ip, lease;
	const char *hostname, *tag;
	bool ignore;
} host_cases[] = {
    {"mac,ip",
     "dhcp-host=52:54:00:12:34:56,10.0.0.5\n",
     {0x52, 0x54, 0, 0x12, 0x34, 0x56},
     0x0a000005,
     0,
     "",
     NULL},
    {"any order, dashes",
     "dhcp-host=node7,12h,10.0.0.7,52-54-00-AB-cd-EF\n",
     {0x52, 0x54, 0, 0xab, 0xcd, 0xef},
     0x0a000007,
     43200,
     "node7",
     NULL},
    {"tag and infinite",
     "dhcp-host=52:54:00:00:00:01,set:rack1,infinite\n",
     {0x52, 0x54, 0, 0, 0, 1},
     0,
     BS_LEASE_INFINITE,
     "",
     "rack1"},
    {"ignore",
     "dhcp-host=52:54:00:00:00:02,ignore\n",
     {0x52, 0x54, 0, 0, 0, 2},
     0,
     0,
     "",
     NULL,
     true},
    {"bare seconds are a lease",
     "dhcp-host=52:54:00:00:00:03,3600,n-3\n",
     {0x52, 0x54, 0, 0, 0, 3},
     0,
     3600,
     "n-3",
     NULL},
};

static void test_hosts(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(host_cases); i++) {
		struct bs_config *cfg = parse_ok(host_cases[i].desc, host_cases[i].text);
		const struct bs_host *h;

		if (!cfg)
			continue;
		CHECK(host_cases[i].desc, cfg->policy->nhosts == 1);
		h = &cfg->policy->hosts[0];
		CHECK(host_cases[i].desc, memcmp(h->mac, host_cases[i].mac, 6) == 0);
		CHECK(host_cases[i].desc, h->ip == host_cases[i].ip);
		CHECK(host_cases[i].desc, h->lease_secs == host_cases[i].lease);
		CHECK(host_cases[i].desc, strcmp(h->hostname, host_cases[i].hostname) == 0);
		CHECK(host_cases[i].desc, h->ignore == host_cases[i].ignore);
		if (host_cases[i].tag) {
			int t = bs_policy_tag_index(cfg->policy, host_cases[i].tag);

			CHECK(host_cases[i].desc, t >= 0 && h->set == 1ull << t);
		} else {
			CHECK(host_cases[i].desc, h->set == 0);
		}
		bs_config_free(cfg);
	}
}

static const struct {
	const char *desc, *text;
	uint8_t code, encap;
	bool force;
	uint8_t len;
	const uint8_t data[24];
} option_cases[] = {
    {"router by name", "dhcp-option=option:router,192.168.1.1\n", 3, 0, false, 4, {192, 168, 1, 1}},
    {"dns list by number",
     "dhcp-option=6,1.1.1.1, 8.8.8.8\n",
     6,
     0,
     false,
     8,
     {1, 1, 1, 1, 8, 8, 8, 8}},
    {"netmask", "dhcp-option=option:netmask,255.255.255.0\n", 1, 0, false, 4, {255, 255, 255, 0}},
    {"mtu u16", "dhcp-option=option:mtu,1500\n", 26, 0, false, 2, {0x05, 0xdc}},
    {"T1 u32", "dhcp-option=58,1800\n", 58, 0, false, 4, {0, 0, 0x07, 0x08}},
    {"lease-time u32", "dhcp-option=option:lease-time,3600\n", 51, 0, false, 4, {0, 0, 0x0e, 0x10}},
    {"tftp-server is text, not an address", "dhcp-option=66,192.168.1.1\n", 66, 0, false, 11,
     "192.168.1.1"},
    {"bootfile-name", "dhcp-option=option:bootfile-name,\"undionly.kpxe\"\n", 67, 0, false, 13,
     "undionly.kpxe"},
    {"domain-name keeps commas", "dhcp-option=15,a,b\n", 15, 0, false, 3, "a,b"},
    {"domain-search RFC 1035",
     "dhcp-option=option:domain-search,lab.example,ex\n",
     119,
     0,
     false,
     17,
     {3, 'l', 'a', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 2, 'e', 'x', 0}},
    {"classless static route",
     "dhcp-option=121,10.0.0.0/8,192.168.1.1,0.0.0.0/0,192.168.1.254\n",
     121,
     0,
     false,
     11,
     {8, 10, 192, 168, 1, 1, 0, 192, 168, 1, 254}},
    {"unknown code: one byte", "dhcp-option=224,5\n", 224, 0, false, 1, {5}},
    {"unknown code: two bytes", "dhcp-option=224,300\n", 224, 0, false, 2, {1, 44}},
    {"unknown code: four bytes", "dhcp-option=224,70000\n", 224, 0, false, 4, {0, 1, 0x11, 0x70}},
    {"unknown code: size suffix", "dhcp-option=224,5i\n", 224, 0, false, 4, {0, 0, 0, 5}},
    {"unknown code: addresses",
     "dhcp-option=224,10.0.0.1,10.0.0.2\n",
     224,
     0,
     false,
     8,
     {10, 0, 0, 1, 10, 0, 0, 2}},
    {"unknown code: hex", "dhcp-option=224,01:ab:ff\n", 224, 0, false, 3, {1, 0xab, 0xff}},
    {"unknown code: text", "dhcp-option=224,hello\n", 224, 0, false, 5, "hello"},
    {"PXE sub-option", "dhcp-option=encap:43,6,8b\n", 6, 43, false, 1, {8}},
    {"force, tagged",
     "dhcp-userclass=set:ipxe2,iPXE\n"
     "dhcp-option-force=tag:ipxe2,option:mtu,9000\n",
     26,
     0,
     true,
     2,
     {0x23, 0x28}},
    {"empty: suppress", "dhcp-option=3\n", 3, 0, false, 0, {0}},
};

static void test_options(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(option_cases); i++) {
		struct bs_config *cfg = parse_ok(option_cases[i].desc, option_cases[i].text);
		const struct bs_dhcp_option *o;

		if (!cfg)
			continue;
		CHECK(option_cases[i].desc, cfg->policy->noptions == 1);
		o = &cfg->policy->options[0];
		CHECK(option_cases[i].desc, o->code == option_cases[i].code);
		CHECK(option_cases[i].desc, o->encap == option_cases[i].encap);
		CHECK(option_cases[i].desc, o->force == option_cases[i].force);
		CHECK(option_cases[i].desc, o->len == option_cases[i].len);
		CHECK(option_cases[i].desc,
		      o->len == option_cases[i].len &&
			  memcmp(o->data, option_cases[i].data, option_cases[i].len) == 0);
		bs_config_free(cfg);
	}
}

static const struct {
	const char *desc, *text;
	uint8_t option, kind;
	uint32_t number;
	const char *bytes;
} match_cases[] = {
    {"exists", "dhcp-match=set:ipxe2,175\n", 175, BS_MATCH_EXISTS, 0, NULL},
    {"client-arch number", "dhcp-match=set:efi64,option:client-arch,7\n", 93, BS_MATCH_NUMBER, 7,
     NULL},
    {"bytes", "dhcp-match=set:x,60,PXEClient\n", 60, BS_MATCH_BYTES, 0, "PXEClient"},
    {"userclass", "dhcp-userclass=set:u,iPXE\n", 77, BS_MATCH_BYTES, 0, "iPXE"},
    {"vendorclass", "dhcp-vendorclass=set:v,HTTPClient\n", 60, BS_MATCH_BYTES, 0, "HTTPClient"},
};

static void test_matches(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(match_cases); i++) {
		struct bs_config *cfg = parse_ok(match_cases[i].desc, match_cases[i].text);
		const struct bs_match *m;

		if (!cfg)
			continue;
		CHECK(match_cases[i].desc, cfg->policy->nmatches == 1);
		m = &cfg->policy->matches[0];
		CHECK(match_cases[i].desc, m->option == match_cases[i].option);
		CHECK(match_cases[i].desc, m->kind == match_cases[i].kind);
		CHECK(match_cases[i].desc, m->number == match_cases[i].number);
		CHECK(match_cases[i].desc, m->set == 1ull << 4);
		if (match_cases[i].bytes)
			CHECK(match_cases[i].desc,
			      m->len == strlen(match_cases[i].bytes) &&
				  memcmp(m->bytes, match_cases[i].bytes, m->len) == 0);
		bs_config_free(cfg);
	}
}

static void test_pxe_and_settings(void)
{
	struct bs_config *cfg = parse_ok(
	    "pxe and settings", "pxe-service=tag:!ipxe,X86-64_EFI,\"UEFI boot\",ipxe.efi,10.0.0.2\n"
				"pxe-service=x86PC,\"Local disk\",0\n"
				"pxe-service=BC_EFI,\"Discover\",5\n"
				"pxe-prompt=\"Press F8\",10\n"
				"tag-if=set:a,tag:ipxe,tag:!known\n"
				"dhcp-lease-max=50\ndhcp-leasefile=/tmp/l\ndhcp-authoritative\n"
				"tftp-max=7\ntftp-port-range=40000,40010\nlog-facility=local3\n"
				"pid-file=/run/bs.pid\nno-daemon\nkeep-in-foreground\n");
	const struct bs_policy *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	p = cfg->policy;
	CU_ASSERT_EQUAL(p->nservices, 3);
	CU_ASSERT_EQUAL(p->services[0].csa, 9);
	CU_ASSERT_EQUAL(p->services[0].match.forbid, 1ull << BS_TAG_IPXE);
	CU_ASSERT_STRING_EQUAL(p->services[0].basename, "ipxe.efi");
	CU_ASSERT_EQUAL(p->services[0].server_ip, 0x0a000002u);
	CU_ASSERT_EQUAL(p->services[1].type, 0);
	CU_ASSERT_STRING_EQUAL(p->services[1].basename, "");
	CU_ASSERT_EQUAL(p->services[2].csa, 7);
	CU_ASSERT_EQUAL(p->services[2].type, 5);
	CU_ASSERT_EQUAL(p->nprompts, 1);
	CU_ASSERT_STRING_EQUAL(p->prompts[0].text, "Press F8");
	CU_ASSERT_EQUAL(p->prompts[0].timeout, 10);
	CU_ASSERT_EQUAL(p->ntag_ifs, 1);
	CU_ASSERT_EQUAL(p->tag_ifs[0].match.need, 1ull << BS_TAG_IPXE);
	CU_ASSERT_EQUAL(p->tag_ifs[0].match.forbid, 1ull << BS_TAG_KNOWN);
	CU_ASSERT_EQUAL(p->lease_max, 50);
	CU_ASSERT_TRUE(p->authoritative);
	CU_ASSERT_STRING_EQUAL(cfg->lease_file, "/tmp/l");
	CU_ASSERT_EQUAL(cfg->tftp.max_transfers, 7);
	CU_ASSERT_EQUAL(cfg->tftp.port_lo, 40000);
	CU_ASSERT_EQUAL(cfg->tftp.port_hi, 40010);
	CU_ASSERT_EQUAL(cfg->log_facility, LOG_LOCAL3);
	CU_ASSERT_STRING_EQUAL(cfg->pid_file, "/run/bs.pid");
	CU_ASSERT_TRUE(cfg->no_daemon && cfg->keep_foreground);
	bs_config_free(cfg);

	cfg = parse_ok("log file", "log-facility=/var/log/bs.log\n");
	CU_ASSERT_TRUE(cfg && strcmp(cfg->log_file, "/var/log/bs.log") == 0);
	bs_config_free(cfg);
}

/* backend=: the value main reads; the last line wins, like every setting. */
static const struct {
	const char *desc;
	const char *text;
	const char *backend;
} backend_cases[] = {
    {"default", "port=0\n", "auto"},
    {"auto", "backend=auto\n", "auto"},
    {"afxdp", "backend=afxdp\n", "afxdp"},
    {"socket", "backend=socket\n", "socket"},
    {"dpdk", "backend=dpdk\n", "dpdk"},
    {"quoted", "backend=\"socket\"\n", "socket"},
    {"last one wins", "backend=afxdp\nbackend=socket\n", "socket"},
};

static void test_backend(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(backend_cases); i++) {
		struct bs_config *cfg = parse_ok(backend_cases[i].desc, backend_cases[i].text);

		CHECK(backend_cases[i].desc, cfg != NULL);
		CHECK(backend_cases[i].desc,
		      cfg && strcmp(cfg->backend, backend_cases[i].backend) == 0);
		bs_config_free(cfg);
	}
}

/* dpdk-args=: one string for the EAL, the commas of device arguments kept. */
static void test_dpdk_args(void)
{
	struct bs_config *cfg = parse_ok("dpdk-args", "dpdk-args=--no-huge -m 256 "
						      "--vdev=net_af_packet0,iface=s0,qpairs=1\n");

	CHECK("dpdk-args", cfg && strcmp(cfg->dpdk_args, "--no-huge -m 256 "
						     "--vdev=net_af_packet0,iface=s0,qpairs=1") == 0);
	bs_config_free(cfg);
	cfg = parse_ok("no dpdk-args", "port=0\n");
	CHECK("no dpdk-args: empty (derived by the backend)", cfg && cfg->dpdk_args[0] == '\0');
	bs_config_free(cfg);
}

/* http-*: the values main reads; zero means the default. */
static const struct {
	const char *desc;
	const char *text;
	uint16_t port;
	struct http_bind addr;
	uint32_t max_conns, timeout;
	const char *root;
} http_cases[] = {
    {"defaults: HTTP off", "port=0\n", 0, {HTTP_BIND_ANY, 0, {0}}, 0, 0, ""},
    {"port", "http-port=8080\n", 8080, {HTTP_BIND_ANY, 0, {0}}, 0, 0, ""},
    {"all settings",
     "http-port=80\nhttp-address=10.1.2.3\nhttp-root=/srv/http\nhttp-max-conns=50\n"
     "http-timeout=5\n",
     80, {HTTP_BIND_V4, 0x0a010203, {0}}, 50, 5, "/srv/http"},
    {"0.0.0.0: every IPv4 address, no IPv6", "http-address=0.0.0.0\n", 0,
     {HTTP_BIND_V4, 0, {0}}, 0, 0, ""},
    {"IPv6 address", "http-address=fd00:231:240::1\n", 0,
     {HTTP_BIND_V6, 0, {0xfd, 0, 0x02, 0x31, 0x02, 0x40, [15] = 1}}, 0, 0, ""},
    {"IPv6 address in brackets", "http-address=[fd00::1]\n", 0,
     {HTTP_BIND_V6, 0, {0xfd, [15] = 1}}, 0, 0, ""},
    {"port 0: off again", "http-port=80\nhttp-port=0\n", 0, {HTTP_BIND_ANY, 0, {0}}, 0, 0, ""},
};

static void test_http_settings(void)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(http_cases); i++) {
		struct bs_config *cfg = parse_ok(http_cases[i].desc, http_cases[i].text);

		CHECK(http_cases[i].desc, cfg != NULL);
		if (!cfg)
			continue;
		CHECK(http_cases[i].desc, cfg->http_port == http_cases[i].port);
		CHECK(http_cases[i].desc,
		      memcmp(&cfg->http_addr, &http_cases[i].addr, sizeof(cfg->http_addr)) == 0);
		CHECK(http_cases[i].desc, cfg->http_max_conns == http_cases[i].max_conns);
		CHECK(http_cases[i].desc, cfg->http_timeout == http_cases[i].timeout);
		CHECK(http_cases[i].desc, strcmp(cfg->http_root, http_cases[i].root) == 0);
		bs_config_free(cfg);
	}
}

/* control-socket / control-group: "" until named (main applies the default) */
static void test_control_settings(void)
{
	struct bs_config *cfg = parse_ok("control defaults", "port=0\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "");
	CU_ASSERT_STRING_EQUAL(cfg->control_group, "");
	bs_config_free(cfg);
	cfg = parse_ok("control set", "control-socket=/run/x.sock\ncontrol-group=ops\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "/run/x.sock");
	CU_ASSERT_STRING_EQUAL(cfg->control_group, "ops");
	bs_config_free(cfg);
}

/* cache-size (K/M/G/T: powers of 1024) and cache-warm (repeatable) */
static void test_cache_settings(void)
{
	struct bs_config *cfg = parse_ok("cache defaults", "port=0\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cache_size, 0);
	CU_ASSERT_EQUAL(cfg->ncache_warm, 0);
	bs_config_free(cfg);
	cfg =
	    parse_ok("cache set", "cache-size=4G\ncache-warm=a/vmlinuz\ncache-warm=/srv/initrd\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cache_size, 4ull << 30);
	CU_ASSERT_EQUAL(cfg->ncache_warm, 2);
	CU_ASSERT_STRING_EQUAL(cfg->cache_warm[0], "a/vmlinuz");
	CU_ASSERT_STRING_EQUAL(cfg->cache_warm[1], "/srv/initrd");
	bs_config_free(cfg);
	cfg = parse_ok("cache-size bytes", "cache-size=1000\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cache_size, 1000);
	bs_config_free(cfg);
	cfg = parse_ok("cache-size k", "cache-size=512k\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cache_size, 512u << 10);
	bs_config_free(cfg);
}

/* metrics-address and ipxe-boot: what the HTTP server's scripts read */
static void test_ipxe_metrics_settings(void)
{
	struct bs_config *cfg = parse_ok(
	    "ipxe",
	    "metrics-address=127.0.0.1:9100\n"
	    "dhcp-host=52:54:00:00:00:01,set:lab\n"
	    "ipxe-boot=tag:lab,kernel=/vmlinuz,initrd=/initrd.img,initrd=http://x/y,"
	    "\"cmdline=console=ttyS0,115200 quiet\"\n"
	    "ipxe-boot=tag:known,\"chain=http://h/menu.ipxe?a=1,b=2\"\n"
	    "ipxe-boot=tag:x,kernel=/k,cmdline=a b  c\n"
	    "ipxe-boot=local\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->metrics_addr.kind, HTTP_BIND_V4);
	CU_ASSERT_EQUAL(cfg->metrics_addr.v4, 0x7f000001u);
	CU_ASSERT_EQUAL(cfg->metrics_port, 9100);
	CU_ASSERT_EQUAL_FATAL(cfg->nipxe_boots, 4);
	CU_ASSERT_STRING_EQUAL(cfg->ipxe_boots[2].cmdline, "a b  c");
	CU_ASSERT_EQUAL(cfg->ipxe_boots[0].kind, IPXE_BOOT_KERNEL);
	CU_ASSERT_STRING_EQUAL(cfg->ipxe_boots[0].kernel, "/vmlinuz");
	CU_ASSERT_EQUAL(cfg->ipxe_boots[0].ninitrd, 2);
	CU_ASSERT_STRING_EQUAL(cfg->ipxe_boots[0].initrd[1], "http://x/y");
	CU_ASSERT_STRING_EQUAL(cfg->ipxe_boots[0].cmdline, "console=ttyS0,115200 quiet");
	CU_ASSERT_NOT_EQUAL(cfg->ipxe_boots[0].match.need, 0);
	CU_ASSERT_EQUAL(cfg->ipxe_boots[1].kind, IPXE_BOOT_CHAIN);
	CU_ASSERT_STRING_EQUAL(cfg->ipxe_boots[1].kernel, "http://h/menu.ipxe?a=1,b=2");
	CU_ASSERT_EQUAL(cfg->ipxe_boots[1].match.need, 1ull << BS_TAG_KNOWN);
	CU_ASSERT_EQUAL(cfg->ipxe_boots[3].kind, IPXE_BOOT_LOCAL);
	CU_ASSERT_EQUAL(cfg->ipxe_boots[3].match.need, 0);
	bs_config_free(cfg);
	cfg = parse_ok("metrics IPv6", "metrics-address=[fd00::1]:9101\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->metrics_addr.kind, HTTP_BIND_V6);
	CU_ASSERT_EQUAL(cfg->metrics_addr.v6[0], 0xfd);
	CU_ASSERT_EQUAL(cfg->metrics_addr.v6[15], 1);
	CU_ASSERT_EQUAL(cfg->metrics_port, 9101);
	bs_config_free(cfg);
}

/* ipxe-boot's tag: names and the DHCP side's set: names are one table: a
   bit means the same tag in both, whichever line names it first. */
static void test_ipxe_tags_shared(void)
{
	static const char *const texts[] = {
	    "dhcp-match=set:efi-x86_64,option:client-arch,7\n"
	    "dhcp-vendorclass=set:hp,HP\n"
	    "ipxe-boot=tag:efi-x86_64,tag:!hp,kernel=/efi\n"
	    "ipxe-boot=tag:hp,local\n",
	    "ipxe-boot=tag:efi-x86_64,tag:!hp,kernel=/efi\n"
	    "ipxe-boot=tag:hp,local\n"
	    "dhcp-match=set:efi-x86_64,option:client-arch,7\n"
	    "dhcp-vendorclass=set:hp,HP\n",
	};

	for (size_t i = 0; i < BS_ARRAY_SIZE(texts); i++) {
		struct bs_config *cfg =
		    parse_ok(i ? "ipxe-boot first" : "dhcp-match first", texts[i]);
		const struct bs_policy *p;

		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		p = cfg->policy;
		CU_ASSERT_EQUAL_FATAL(p->nmatches, 2);
		CU_ASSERT_EQUAL_FATAL(cfg->nipxe_boots, 2);
		CU_ASSERT_NOT_EQUAL(p->matches[0].set, 0);
		CU_ASSERT_NOT_EQUAL(p->matches[0].set, p->matches[1].set);
		CU_ASSERT_EQUAL(cfg->ipxe_boots[0].match.need, p->matches[0].set);
		CU_ASSERT_EQUAL(cfg->ipxe_boots[0].match.forbid, p->matches[1].set);
		CU_ASSERT_EQUAL(cfg->ipxe_boots[1].match.need, p->matches[1].set);
		CU_ASSERT_EQUAL(p->matches[0].set, 1ull << bs_policy_tag_index(p, "efi-x86_64"));
		bs_config_free(cfg);
	}
}

/* ---- command line ----------------------------------------------------- */

static int run_argv(const char *const *args, struct bs_config **cfg, struct bs_diags *d, char *out,
		    size_t outsz)
{
	char *argv[32];
	int argc = 0, rc;
	FILE *f = fmemopen(out, outsz, "w");

	memset(out, 0, outsz);
	argv[argc++] = (char *)"bootstorm";
	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	rc = bs_config_from_argv(argc, argv, f, cfg, d);
	fclose(f);
	return rc;
}

static void test_cmdline(void)
{
	char out[8192];
	struct bs_diags d = {0};
	struct bs_config *cfg = NULL;
	const char *path = write_conf("dhcp-boot=pxelinux.0\n" RANGE);

	{
		const char *a[] = {"--version", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 1);
		CU_ASSERT_STRING_EQUAL(out, "bootstorm 0.1.0\n");
		CU_ASSERT_PTR_NULL(cfg);
	}
	{
		const char *a[] = {"-h", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "--dhcp-range="));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "-C, --conf-file=FILE"));
	}
	{
		const char *a[] = {"--test",
				   "-C",
				   path,
				   "-dk",
				   "--log-dhcp",
				   "--dhcp-range",
				   "10.0.0.10,10.0.0.20,2h",
				   "-i",
				   "lo",
				   NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 0);
		CU_ASSERT_EQUAL(d.errors, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_TRUE(cfg->test_only);
		CU_ASSERT_TRUE(cfg->no_daemon && cfg->keep_foreground);
		CU_ASSERT_TRUE(cfg->policy->log_dhcp);
		CU_ASSERT_STRING_EQUAL(cfg->conf_file, path);
		/* command line first, then the file (dnsmasq's order) */
		CU_ASSERT_EQUAL(cfg->policy->nranges, 2);
		CU_ASSERT_EQUAL(cfg->policy->ranges[0].lease_secs, 7200);
		CU_ASSERT_EQUAL(cfg->policy->ranges[1].start, 0x0a09000au);
		CU_ASSERT_EQUAL(cfg->policy->nboots, 1);
		CU_ASSERT_EQUAL(cfg->nifaces, 1);
		bs_config_free(cfg);
	}
	{
		/* no file at all; defaults */
		const char *a[] = {"--conf-file=", "--dhcp-boot=x.0", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		CU_ASSERT_EQUAL(cfg->policy->lease_max, 1000);
		CU_ASSERT_EQUAL(cfg->tftp.max_transfers, 1024);
		CU_ASSERT_EQUAL(cfg->tftp.port_lo, 50000);
		CU_ASSERT_EQUAL(cfg->tftp.port_hi, 50063);
		CU_ASSERT_EQUAL(cfg->tftp.timeout_ms, 1000);
		CU_ASSERT_EQUAL(cfg->tftp.max_retries, 5);
		CU_ASSERT_EQUAL(cfg->tftp.max_blksize, 65464);
		CU_ASSERT_EQUAL(cfg->tftp.max_windowsize, 64);
		CU_ASSERT_STRING_EQUAL(cfg->lease_file, "/var/lib/bootstorm/leases");
		CU_ASSERT_STRING_EQUAL(cfg->tftp_root, "/var/lib/tftpboot");
		CU_ASSERT_EQUAL(cfg->log_facility, LOG_DAEMON);
		CU_ASSERT_STRING_EQUAL(cfg->backend, "auto");
		CU_ASSERT_FALSE(cfg->tftp_enabled);
		CU_ASSERT_FALSE(cfg->test_only);
		bs_config_free(cfg);
	}
	if (access("/etc/bootstorm/bootstorm.conf", F_OK) != 0) {
		/* the default file may be absent... */
		const char *a[] = {NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(cfg ? cfg->conf_file : "", "/etc/bootstorm/bootstorm.conf");
		bs_config_free(cfg);
	}
	CU_ASSERT_EQUAL(d.errors, 0);
	bs_diags_free(&d);
	{
		/* ...a named one may not */
		const char *a[] = {"-C", "/nonexistent/bootstorm.conf", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), -1);
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT_TRUE(d.n == 1 && strstr(d.v[0].msg, "cannot read config file"));
		bs_diags_free(&d);
	}
	{
		const char *a[] = {"-C", path, "-Z", "stray", "--frob=1", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), -1);
		CU_ASSERT_EQUAL(d.errors, 2);
		CU_ASSERT_EQUAL(d.warnings, 1); /* not strict: unknown --frob warns */
		CU_ASSERT_TRUE(d.n >= 1 && strcmp(d.v[0].file, "command line") == 0);
		bs_diags_free(&d);
	}
	{
		const char *a[] = {"--test", "-C", path, "--frob=1", "--dhcp-lease-max", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), -1);
		CU_ASSERT_EQUAL(d.errors, 2); /* strict unknown + missing value */
		bs_diags_free(&d);
	}
	{
		/* the same directive as a long option, both spellings */
		const char *a[] = {"--conf-file=", "--backend=afxdp", NULL};
		const char *b[] = {"--conf-file=", "--backend", "socket", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(cfg ? cfg->backend : "", "afxdp");
		bs_config_free(cfg);
		CU_ASSERT_EQUAL(run_argv(b, &cfg, &d, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(cfg ? cfg->backend : "", "socket");
		bs_config_free(cfg);
		CU_ASSERT_EQUAL(d.n, 0);
	}
	{
		const char *a[] = {"--conf-file=", "--backend=xdp", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), -1);
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT_EQUAL(d.errors, 1);
		CU_ASSERT_TRUE(d.n == 1 && strcmp(d.v[0].file, "command line") == 0);
		CU_ASSERT_TRUE(d.n == 1 &&
			       strstr(d.v[0].msg, "expected one of auto, afxdp, socket"));
		bs_diags_free(&d);
	}
	{
		const char *a[] = {"-h", NULL};

		CU_ASSERT_EQUAL(run_argv(a, &cfg, &d, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "--backend=auto|afxdp|socket"));
	}
}

/* ---- the machine ------------------------------------------------------ */

static void touch(const char *dir, const char *name)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

static void test_environment(void)
{
	char root[200], text[2048];
	struct bs_diags d = {0};
	struct bs_config *cfg;

	snprintf(root, sizeof(root), "%s/tftp", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(root, 0755), 0);
	touch(root, "pxelinux.0");
	touch(root, "loader.0");
	touch(root, "menu");
	touch(root, "present.efi");

	snprintf(text, sizeof(text),
		 "enable-tftp\ntftp-root=%s\ninterface=lo\ninterface=nosuchif0\n"
		 "dhcp-boot=tag:ipxe,present.efi\n"	/* 5: fine */
		 "dhcp-boot=tag:pxeclient,loader\n"	/* 6: loader.0 is there */
		 "dhcp-boot=tag:known,http://x/y.efi\n" /* 7: URL: not a file */
		 "pxe-service=x86PC,\"a\",pxelinux\n"	/* 8: pxelinux.0: fine */
		 "pxe-service=x86PC,\"b\",menu\n"	/* 9: menu.0 missing, menu there */
		 "pxe-service=x86PC,\"c\",0\n"		/* 10: local boot: no file */
		 "dhcp-boot=missing.0\n",		/* 11: not there */
		 root);
	cfg = parse_ok("environment config", text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	bs_config_check_environment(cfg, &d);
	CU_ASSERT_EQUAL(d.errors, 4);
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 4, "nosuchif0 does not exist"));
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 6, "did you mean loader.0?"));
	CU_ASSERT_PTR_NOT_NULL(
	    find_diag(&d, BS_DIAG_ERROR, 11, "missing.0 not found in tftp-root"));
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 9, "rename it to menu.0"));
	if (d.errors != 4)
		bs_diags_print(&d, stderr);
	bs_diags_free(&d);

	/* the seed's mistake, should a policy carry it: pxelinux for pxelinux.0 */
	snprintf(cfg->policy->boots[0].file, sizeof(cfg->policy->boots[0].file), "pxelinux");
	bs_config_check_environment(cfg, &d);
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 5, "did you mean pxelinux.0?"));
	bs_diags_free(&d);

	/* tftp-root missing, then not a directory */
	snprintf(cfg->tftp_root, sizeof(cfg->tftp_root), "%s/nonexistent", tmpdir);
	bs_config_check_environment(cfg, &d);
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 2, "No such file or directory"));
	bs_diags_free(&d);
	snprintf(cfg->tftp_root, sizeof(cfg->tftp_root), "%s/menu", root);
	bs_config_check_environment(cfg, &d);
	CU_ASSERT_PTR_NOT_NULL(find_diag(&d, BS_DIAG_ERROR, 2, "is not a directory"));
	bs_diags_free(&d);

	/* TFTP off: boot files are someone else's business */
	cfg->tftp_enabled = false;
	cfg->nifaces = 1;
	bs_config_check_environment(cfg, &d);
	CU_ASSERT_EQUAL(d.n, 0);
	bs_diags_free(&d);
	bs_config_free(cfg);
}

static void cleanup_tmp(void)
{
	char cmd[300];

	/* our own mkdtemp directory only */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"seed: every real mistake, with line", test_seed},
	    {"seed corrected: no errors, right policy", test_seed_corrected},
	    {"diagnostics table", test_diag_table},
	    {"more than 64 tags", test_too_many_tags},
	    {"include depth", test_include_depth},
	    {"many errors", test_many_errors},
	    {"dhcp-range values and lease units", test_ranges},
	    {"dhcp-range tags", test_range_tags},
	    {"dhcp-host shapes", test_hosts},
	    {"dhcp-option encodings", test_options},
	    {"dhcp-match and classes", test_matches},
	    {"pxe-service, prompt, settings", test_pxe_and_settings},
	    {"backend", test_backend},
	    {"dpdk-args", test_dpdk_args},
	    {"http settings", test_http_settings},
	    {"ipxe-boot and metrics-address", test_ipxe_metrics_settings},
	    {"ipxe-boot tags are the DHCP side's", test_ipxe_tags_shared},
	    {"control-socket and control-group", test_control_settings},
	    {"cache-size and cache-warm", test_cache_settings},
	    {"command line", test_cmdline},
	    {"environment checks", test_environment},
	    {0},
	};
	int rc;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	rc = unit_run("config", tests);
	cleanup_tmp();
	return rc;
}
