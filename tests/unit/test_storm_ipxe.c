/* SPDX-License-Identifier: MIT */
/*
 * The boot-storm generator's iPXE client side (bench/storm/ipxe.c): URL
 * resolution against the script's URL with ${net0/mac} expansion, and the
 * script parser on a table of scripts (what is fetched, what is chained,
 * what is rejected).
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "storm.h"

static const uint8_t mac[6] = {0x02, 0xb5, 0, 0, 0x01, 0x0a};

static const struct resolve_case {
	const char *desc, *base, *ref, *want; /* want NULL: an error */
} resolve_cases[] = {
    {"absolute stays", "http://10.0.0.1:8080/a/b.ipxe", "http://10.0.0.2/k", "http://10.0.0.2/k"},
    {"rooted path", "http://10.0.0.1:8080/a/b.ipxe?mac=x", "/vmlinuz",
     "http://10.0.0.1:8080/vmlinuz"},
    {"relative to the script's dir", "http://10.0.0.1:8080/a/b.ipxe", "k/vmlinuz",
     "http://10.0.0.1:8080/a/k/vmlinuz"},
    {"relative, query not a dir", "http://10.0.0.1/boot.ipxe?mac=a/b", "initrd.img",
     "http://10.0.0.1/initrd.img"},
    {"relative to a bare host", "http://10.0.0.1", "vmlinuz", "http://10.0.0.1/vmlinuz"},
    {"${net0/mac} expanded", "http://10.0.0.1/", "/boot.ipxe?mac=${net0/mac}",
     "http://10.0.0.1/boot.ipxe?mac=02:b5:00:00:01:0a"},
    {"${mac} expanded", "http://10.0.0.1/", "http://10.0.0.1/${mac}.ipxe",
     "http://10.0.0.1/02:b5:00:00:01:0a.ipxe"},
    {"dot-dot segment", "http://10.0.0.1:8080/scripts/next.ipxe", "../vmlinuz",
     "http://10.0.0.1:8080/vmlinuz"},
    {"dot segments, query kept", "http://10.0.0.1/a/b/c.ipxe", "./d/../../e?x=../y",
     "http://10.0.0.1/a/e?x=../y"},
    {"dot-dot above the root", "http://10.0.0.1/s.ipxe", "../../k", "http://10.0.0.1/k"},
    {"trailing dot-dot", "http://10.0.0.1/a/b/s.ipxe", "..", "http://10.0.0.1/a/"},
    {"unknown setting", "http://10.0.0.1/", "/x?u=${uuid}", NULL},
    {"unterminated ${", "http://10.0.0.1/", "/x?u=${net0/mac", NULL},
    {"base without scheme", "boot.ipxe", "vmlinuz", NULL},
};

static void test_resolve(void)
{
	for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		const struct resolve_case *t = &resolve_cases[i];
		char out[STORM_URL_MAX];
		int err = storm_url_resolve(t->base, t->ref, strlen(t->ref), mac, out);

		if (!t->want) {
			CHECK(t->desc, err < 0);
			continue;
		}
		CHECK(t->desc, err == 0);
		CHECK(t->desc, err == 0 && strcmp(out, t->want) == 0);
	}
}

static const struct script_case {
	const char *desc, *script;
	int err; /* 0 or < 0 */
	unsigned nfiles;
	const char *f0, *f1, *chain; /* NULL: not checked / none */
} script_cases[] = {
    {"bootstorm's render",
     "#!ipxe\nkernel http://10.0.0.1:8080/vmlinuz console=ttyS0\n"
     "initrd http://10.0.0.1:8080/initrd.img\nboot\n",
     0, 2, "http://10.0.0.1:8080/vmlinuz", "http://10.0.0.1:8080/initrd.img", NULL},
    {"CRLF, comments, labels, options",
     "#!ipxe\r\n# hi\r\n:start\r\ndhcp\r\n"
     "kernel --name k /k/vmlinuz a=b\r\ninitrd initrd.img\r\n",
     0, 2, "http://10.0.0.1:8080/k/vmlinuz", "http://10.0.0.1:8080/s/initrd.img", NULL},
    {"chain", "#!ipxe\nchain http://10.0.0.9/next.ipxe\nkernel /never\n", 0, 0, NULL, NULL,
     "http://10.0.0.9/next.ipxe"},
    {"exit ends it", "#!ipxe\nexit\nkernel /never\n", 0, 0, NULL, NULL, NULL},
    {"no #!ipxe", "kernel /vmlinuz\n", -EINVAL, 0, NULL, NULL, NULL},
    {"kernel without URL", "#!ipxe\nkernel --name x\n", -EINVAL, 0, NULL, NULL, NULL},
    {"five files: too many", "#!ipxe\nkernel a\ninitrd b\ninitrd c\ninitrd d\ninitrd e\n", -ENOSPC,
     0, NULL, NULL, NULL},
};

static void test_script(void)
{
	for (size_t i = 0; i < sizeof(script_cases) / sizeof(script_cases[0]); i++) {
		const struct script_case *t = &script_cases[i];
		struct storm_ipxe x;
		int err = storm_ipxe_parse(t->script, strlen(t->script),
					   "http://10.0.0.1:8080/s/boot.ipxe?mac=1", mac, &x);

		CHECK(t->desc, err == t->err);
		if (t->err)
			continue;
		CHECK(t->desc, x.nfiles == t->nfiles);
		if (t->f0)
			CHECK(t->desc, strcmp(x.files[0], t->f0) == 0);
		if (t->f1)
			CHECK(t->desc, strcmp(x.files[1], t->f1) == 0);
		CHECK(t->desc, x.has_chain == (t->chain != NULL));
		if (t->chain)
			CHECK(t->desc, strcmp(x.chain, t->chain) == 0);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"url resolve", test_resolve},
	    {"ipxe script", test_script},
	    {NULL, NULL},
	};

	return unit_run("storm_ipxe", tests);
}
