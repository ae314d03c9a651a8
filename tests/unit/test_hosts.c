/* SPDX-License-Identifier: MIT */
/*
 * Host boot actions (proto/hostact.c): every transition of the state
 * machine as a table (action x event -> action), the target checks, the
 * final-file rule, the state file's word encoding and the snapshot lookup.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/hosts.h"
#include "proto/hostact.h"
#include "proto/ipxe_script.h"

#include <unistd.h>

/* Build an action from "key=value" words; fails the test on a bad word. */
static struct hostact act(const char *const *kv)
{
	struct hostact a = {0};
	char err[200];

	for (; kv && *kv; kv++) {
		char key[32];
		const char *eq = strchr(*kv, '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - *kv), *kv);
		CHECK(*kv, hostact_set(&a, key, eq + 1, err, sizeof(err)) == 0);
	}
	return a;
}

#define A(...) act((const char *const[]){__VA_ARGS__, NULL})

enum ev { EV_DELIVERED, EV_DONE };

static void test_transitions(void)
{
	const struct {
		const char *desc;
		const char *const *kv;
		enum ev ev;
		const char *path; /* EV_DELIVERED */
		bool changed;
		int kind_after;
	} t[] = {
	    {"once: initrd delivered -> local",
	     (const char *const[]){"action=install", "once=1", "kernel=vmlinuz",
				   "initrd=initrd.img", NULL},
	     EV_DELIVERED, "initrd.img", true, HOSTACT_LOCAL},
	    {"once: kernel of a target with initrd is not final",
	     (const char *const[]){"action=install", "once=1", "kernel=vmlinuz",
				   "initrd=initrd.img", NULL},
	     EV_DELIVERED, "vmlinuz", false, HOSTACT_INSTALL},
	    {"once: kernel without initrd is final",
	     (const char *const[]){"action=install", "once=1", "kernel=boot/vmlinuz", NULL},
	     EV_DELIVERED, "/boot/vmlinuz", true, HOSTACT_LOCAL},
	    {"once: boot file is final",
	     (const char *const[]){"action=install", "once=1", "file=pxelinux.0", NULL},
	     EV_DELIVERED, "pxelinux.0", true, HOSTACT_LOCAL},
	    {"once: script is final",
	     (const char *const[]){"action=install", "once=1", "script=http://10.0.0.1/i.ipxe",
				   NULL},
	     EV_DELIVERED, "/i.ipxe", true, HOSTACT_LOCAL},
	    {"once: URL initrd matches its HTTP path",
	     (const char *const[]){"action=install", "once=yes", "kernel=http://s:8080/k",
				   "initrd=http://s:8080/d/initrd?x=1", NULL},
	     EV_DELIVERED, "/d/initrd", true, HOSTACT_LOCAL},
	    {"once: another file",
	     (const char *const[]){"action=install", "once=1", "file=pxelinux.0", NULL},
	     EV_DELIVERED, "ldlinux.c32", false, HOSTACT_INSTALL},
	    {"once: a file whose name ends like the target",
	     (const char *const[]){"action=install", "once=1", "file=pxelinux.0", NULL},
	     EV_DELIVERED, "xpxelinux.0", false, HOSTACT_INSTALL},
	    {"once: done report -> local",
	     (const char *const[]){"action=install", "once=1", "kernel=k", NULL}, EV_DONE, NULL,
	     true, HOSTACT_LOCAL},
	    {"install (not once) stays after the final file",
	     (const char *const[]){"action=install", "kernel=k", "initrd=i", NULL}, EV_DELIVERED,
	     "i", false, HOSTACT_INSTALL},
	    {"install (not once) stays after done",
	     (const char *const[]){"action=install", "kernel=k", NULL}, EV_DONE, NULL, false,
	     HOSTACT_INSTALL},
	    {"local: delivery changes nothing", (const char *const[]){"action=local", NULL},
	     EV_DELIVERED, "vmlinuz", false, HOSTACT_LOCAL},
	    {"local: done changes nothing", (const char *const[]){"action=local", NULL}, EV_DONE,
	     NULL, false, HOSTACT_LOCAL},
	    {"ignore: delivery changes nothing", (const char *const[]){"action=ignore", NULL},
	     EV_DELIVERED, "x", false, HOSTACT_IGNORE},
	    {"ignore: done changes nothing", (const char *const[]){"action=ignore", NULL}, EV_DONE,
	     NULL, false, HOSTACT_IGNORE},
	    {"default: done changes nothing", (const char *const[]){"action=default", NULL},
	     EV_DONE, NULL, false, HOSTACT_DEFAULT},
	    {"default: delivery changes nothing", (const char *const[]){"action=default", NULL},
	     EV_DELIVERED, "x", false, HOSTACT_DEFAULT},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hostact a = act(t[i].kv);
		char err[200];
		bool ch;

		CHECK(t[i].desc, hostact_check(&a, err, sizeof(err)) == 0);
		ch = t[i].ev == EV_DONE
			 ? hostact_done(&a)
			 : hostact_delivered(&a, t[i].path, t[i].path ? strlen(t[i].path) : 0);
		CHECK(t[i].desc, ch == t[i].changed);
		CHECK(t[i].desc, a.kind == t[i].kind_after);
		/* a flip leaves a clean local action, valid on its own */
		if (ch) {
			CHECK(t[i].desc, !a.once && !a.kernel[0] && !a.initrd[0] && !a.file[0]);
			CHECK(t[i].desc, hostact_check(&a, err, sizeof(err)) == 0);
			/* and a second event does nothing more */
			CHECK(t[i].desc, !hostact_done(&a));
		}
	}
}

static void test_bad_input(void)
{
	static const struct {
		const char *desc, *key, *val;
		int rc;
	} t[] = {
	    {"unknown action", "action", "reinstall", -EINVAL},
	    {"empty action", "action", "", -EINVAL},
	    {"unknown key", "initramfs", "x", -ENOENT},
	    {"once garbage", "once", "maybe", -EINVAL},
	    {"path with space", "kernel", "a b", -EINVAL},
	    {"path with ..", "initrd", "../etc/shadow", -EINVAL},
	    {"path with control char", "file", "a\tb", -EINVAL},
	    {"path with non-ASCII", "file", "caf\xc3\xa9", -EINVAL},
	    {"cmdline with newline", "cmdline", "quiet\nboot", -EINVAL},
	    {"cmdline with spaces and ..", "cmdline", "root=/dev/sda1 a=..", 0},
	};
	char longp[HOSTACT_PATH_MAX + 1];
	char err[200];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hostact a = {0};

		err[0] = '\0';
		CHECK(t[i].desc, hostact_set(&a, t[i].key, t[i].val, err, sizeof(err)) == t[i].rc);
		CHECK(t[i].desc, t[i].rc == 0 || err[0]);
	}
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	{
		struct hostact a = {0};

		CHECK("path too long",
		      hostact_set(&a, "kernel", longp, err, sizeof(err)) == -EINVAL);
		longp[HOSTACT_PATH_MAX - 1] = '\0';
		CHECK("longest path", hostact_set(&a, "kernel", longp, err, sizeof(err)) == 0);
		CHECK("NULL value", hostact_set(&a, "kernel", NULL, err, sizeof(err)) == -EINVAL);
	}
}

static void test_check(void)
{
	const struct {
		const char *desc;
		const char *const *kv;
		bool ok;
	} t[] = {
	    {"install without target", (const char *const[]){"action=install", NULL}, false},
	    {"install with two targets",
	     (const char *const[]){"action=install", "file=a", "kernel=b", NULL}, false},
	    {"install file + script",
	     (const char *const[]){"action=install", "file=a", "script=b", NULL}, false},
	    {"initrd without kernel",
	     (const char *const[]){"action=install", "file=a", "initrd=b", NULL}, false},
	    {"cmdline without kernel",
	     (const char *const[]){"action=install", "script=a", "cmdline=b", NULL}, false},
	    {"local with target", (const char *const[]){"action=local", "kernel=a", NULL}, false},
	    {"local once", (const char *const[]){"action=local", "once=1", NULL}, false},
	    {"ignore with target", (const char *const[]){"action=ignore", "file=a", NULL}, false},
	    {"default once", (const char *const[]){"once=1", NULL}, false},
	    {"install kernel only", (const char *const[]){"action=install", "kernel=k", NULL},
	     true},
	    {"install kernel+initrd+cmdline once",
	     (const char *const[]){"action=install", "kernel=k", "initrd=i", "cmdline=a b",
				   "once=1", NULL},
	     true},
	    {"install file", (const char *const[]){"action=install", "file=f", NULL}, true},
	    {"local", (const char *const[]){"action=local", NULL}, true},
	    {"ignore", (const char *const[]){"action=ignore", NULL}, true},
	    {"default", (const char *const[]){"action=default", NULL}, true},
	};
	char err[200];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hostact a = act(t[i].kv);

		err[0] = '\0';
		CHECK(t[i].desc, (hostact_check(&a, err, sizeof(err)) == 0) == t[i].ok);
		CHECK(t[i].desc, t[i].ok || err[0]);
	}
	{
		struct hostact a = {.kind = HOSTACT_KIND_COUNT};

		CHECK("kind out of range", hostact_check(&a, err, sizeof(err)) == -EINVAL);
	}
	CHECK("kind name out of range", strcmp(hostact_kind_name(99), "?") == 0);
	CHECK("kind parse NULL", hostact_kind_parse(NULL) == -1);
	CHECK("image is install", hostact_kind_parse("image") == HOSTACT_INSTALL);
}

static void test_final(void)
{
	struct hostact a = A("action=install", "kernel=k", "initrd=i");
	struct hostact b = A("action=install", "kernel=k");
	struct hostact c = A("action=install", "file=f");
	struct hostact d = A("action=install", "script=s");

	CHECK("initrd", strcmp(hostact_final(&a), "i") == 0);
	CHECK("kernel", strcmp(hostact_final(&b), "k") == 0);
	CHECK("file", strcmp(hostact_final(&c), "f") == 0);
	CHECK("script", strcmp(hostact_final(&d), "s") == 0);
	CHECK("URL without path", !hostact_path_is("http://host", "", 0));
	CHECK("empty target", !hostact_path_is("", "", 0));
	CHECK("leading slashes", hostact_path_is("//a/b", "/a/b", 4));
	CHECK("query cut", hostact_path_is("a?mac=1", "a", 1));
	CHECK("prefix is not the file", !hostact_path_is("abc", "ab", 2));
}

/* Every action survives format -> words -> hostact_set unchanged. */
static void test_format_roundtrip(void)
{
	const struct hostact in[] = {
	    A("action=install", "once=1", "kernel=http://10.0.0.1:8080/vmlinuz",
	      "initrd=initrd.img", "cmdline=console=ttyS0,115200 quiet 100%"),
	    A("action=local"),
	    A("action=ignore"),
	    A("action=install", "script=menu.ipxe"),
	    A("action=default"),
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char line[2048], err[200], *save = NULL;
		struct hostact out = {0};
		size_t n = hostact_format(&in[i], line, sizeof(line));

		CHECK("format", n > 0 && n == strlen(line));
		CHECK("format", strchr(line, '\n') == NULL);
		for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(w, '='), val[HOSTACT_CMDLINE_MAX];

			CHECK(w, eq != NULL);
			*eq = '\0';
			CHECK(w, bs_kv_unescape(eq + 1, strlen(eq + 1), val, sizeof(val)) == 0);
			CHECK(w, hostact_set(&out, w, val, err, sizeof(err)) == 0);
		}
		CHECK("roundtrip", memcmp(&in[i], &out, sizeof(out)) == 0);
	}
	{
		char small[8];
		struct hostact a = A("action=install", "kernel=vmlinuz");

		CHECK("format too small", hostact_format(&a, small, sizeof(small)) == 0);
		CHECK("format cap 0", hostact_format(&a, small, 0) == 0);
	}
}

static void test_unescape_bad(void)
{
	static const struct {
		const char *desc, *in;
		int rc;
	} t[] = {
	    {"plain", "abc", 0},      {"escape", "a%20b", 0},	   {"truncated %", "a%2", -EINVAL},
	    {"lone %", "%", -EINVAL}, {"bad hex", "%zz", -EINVAL}, {"escaped NUL", "%00", -EINVAL},
	};
	char out[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(t[i].desc,
		      bs_kv_unescape(t[i].in, strlen(t[i].in), out, sizeof(out)) == t[i].rc);
	CHECK("too long", bs_kv_unescape("0123456789abcdef", 16, out, sizeof(out)) == -EINVAL);
	CHECK("escape too small", bs_kv_escape("a b", out, 4) == 0);
	CHECK("escape", bs_kv_escape("a b%", out, sizeof(out)) == 8 && !strcmp(out, "a%20b%25"));
}

static void test_snapshot_find(void)
{
	size_t n = 5;
	struct bs_hostsnap *s = calloc(1, sizeof(*s) + n * sizeof(s->e[0]));
	uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 0};

	s->n = n;
	for (size_t i = 0; i < n; i++) {
		memcpy(s->e[i].host.mac, mac, 6);
		s->e[i].host.mac[5] = (uint8_t)(i * 2 + 1); /* 1 3 5 7 9 */
		s->e[i].act.kind = HOSTACT_LOCAL;
	}
	for (int k = 0; k <= 10; k++) {
		const struct bs_hostsnap_entry *e;

		mac[5] = (uint8_t)k;
		e = bs_hostsnap_find(s, mac);
		CHECK("find", (e != NULL) == (k % 2 == 1));
		CHECK("find right one", !e || e->host.mac[5] == k);
	}
	CHECK("NULL snapshot", bs_hostsnap_find(NULL, mac) == NULL);
	free(s);
}

/* The iPXE script of each action (ipxe_boot_from_act + ipxe_render). */
static void test_ipxe_script(void)
{
	const struct {
		const char *desc;
		struct hostact a;
		const char *script; /* NULL: no script (the ipxe-boot lines decide) */
	} t[] = {
	    {"local exits", A("action=local"), "#!ipxe\nexit\n"},
	    {"ignore exits", A("action=ignore"), "#!ipxe\nexit\n"},
	    {"default: none", A("action=default"), NULL},
	    {"kernel, initrd, cmdline",
	     A("action=install", "once=1", "kernel=vmlinuz", "initrd=/d/initrd.img",
	       "cmdline=console=ttyS0 quiet"),
	     "#!ipxe\nkernel http://10.0.0.1:8080/vmlinuz console=ttyS0 quiet\n"
	     "initrd http://10.0.0.1:8080/d/initrd.img\nboot\n"},
	    {"kernel alone", A("action=install", "kernel=http://x/k"),
	     "#!ipxe\nkernel http://x/k\nboot\n"},
	    {"script chained", A("action=install", "script=http://10.0.0.2/menu.ipxe"),
	     "#!ipxe\nchain http://10.0.0.2/menu.ipxe\n"},
	    {"boot file chained", A("action=install", "file=pxelinux.0"),
	     "#!ipxe\nchain http://10.0.0.1:8080/pxelinux.0\n"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ipxe_boot b;
		char out[2048];
		bool has = ipxe_boot_from_act(&t[i].a, &b);
		size_t n = has ? ipxe_render(&b, "10.0.0.1:8080", 13, out, sizeof(out)) : 0;

		CHECK(t[i].desc, has == (t[i].script != NULL));
		if (t[i].script)
			CHECK(t[i].desc, n == strlen(t[i].script) && !memcmp(out, t[i].script, n));
	}
}

/* ---- the registry (control/hosts.c) ---- */

static char tmpdir[] = "/tmp/bs_test_hosts.XXXXXX";

static const char *state_path(void)
{
	static char p[300];

	snprintf(p, sizeof(p), "%s/hosts", tmpdir);
	return p;
}

static void write_state(const char *text)
{
	FILE *f = fopen(state_path(), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* A policy with two dhcp-host lines, tag "lab" interned at bit 4. */
static struct bs_host conf_hosts[] = {
    {.origin = {"t.conf", 7},
     .mac = {0x52, 0x54, 0, 0, 0, 0x20},
     .ip = 0x0a000020,
     .hostname = "c20",
     .set = 1ull << 4},
    {.origin = {"t.conf", 8}, .mac = {0x52, 0x54, 0, 0, 0, 0x10}, .ignore = true},
};
static struct bs_policy pol = {
    .tag_names = {"known", "ipxe", "httpclient", "pxeclient", "lab"},
    .ntags = 5,
    .hosts = conf_hosts,
    .nhosts = 2,
};

static int published;
static const struct bs_hostsnap *last_snap;

static void on_publish(void *arg, const struct bs_hostsnap *s)
{
	(void)arg;
	published++;
	last_snap = s;
}

static void test_registry(void)
{
	const uint8_t m1[6] = {0x52, 0x54, 0, 0, 0, 0x01}, m20[6] = {0x52, 0x54, 0, 0, 0, 0x20},
		      m10[6] = {0x52, 0x54, 0, 0, 0, 0x10};
	struct bs_host_fields f = {
	    .has_ip = true, .ip = 0x0a000001, .has_tags = true, .tags = "lab,other"};
	struct hostact a = A("action=install", "once=1", "kernel=vmlinuz", "initrd=initrd.img",
			     "cmdline=console=ttyS0 quiet");
	const struct bs_hostsnap_entry *e;
	struct bs_hosts *h = NULL;
	char err[400];
	uint64_t gen;

	unlink(state_path());
	CU_ASSERT_EQUAL_FATAL(bs_hosts_open(state_path(), &pol, NULL, &h, err, sizeof(err)), 0);
	bs_hosts_set_publish(h, on_publish, NULL);
	CHECK("publish at once", published == 1 && last_snap == bs_hosts_snapshot(h));
	CHECK("config hosts, sorted", last_snap->n == 2 && last_snap->e[0].host.mac[5] == 0x10);
	CHECK("config ignore kept", last_snap->e[0].host.ignore);
	CHECK("no file pointer", last_snap->e[1].host.origin.file == NULL);
	gen = last_snap->generation;

	CHECK("add", bs_hosts_add(h, m1, &f, err, sizeof(err)) == 0);
	CHECK("add publishes", published == 2 && last_snap->generation == gen + 1);
	e = bs_hostsnap_find(last_snap, m1);
	CHECK("added host", e && e->host.ip == 0x0a000001 && e->host.set == 1ull << 4);
	CHECK("ip of another host",
	      bs_hosts_add(h, (uint8_t[6]){1, 2, 3, 4, 5, 6},
			   &(struct bs_host_fields){.has_ip = true, .ip = 0x0a000020}, err,
			   sizeof(err)) == -EEXIST);
	CHECK("refused change publishes nothing", published == 2);
	CHECK("no once pending", bs_hosts_snapshot(h)->n_once == 0);
	CHECK("action", bs_hosts_action(h, m1, &a, err, sizeof(err)) == 0);
	CHECK("one once pending", bs_hosts_snapshot(h)->n_once == 1);
	CHECK("action on a config ignore host",
	      bs_hosts_action(h, m10, &(struct hostact){.kind = HOSTACT_LOCAL}, err, sizeof(err)) ==
		  0);
	e = bs_hostsnap_find(bs_hosts_snapshot(h), m10);
	CHECK("run-time action beats config ignore", e && !e->host.ignore);
	CHECK("ignore action sets ignore",
	      bs_hosts_action(h, m20, &(struct hostact){.kind = HOSTACT_IGNORE}, err,
			      sizeof(err)) == 0 &&
		  bs_hostsnap_find(bs_hosts_snapshot(h), m20)->host.ignore);
	CHECK("invalid action refused",
	      bs_hosts_action(h, m1, &(struct hostact){.kind = HOSTACT_INSTALL}, err,
			      sizeof(err)) == -EINVAL);
	CHECK("kernel is not final", bs_hosts_delivered(h, m1, "/vmlinuz", 8) == 0);
	bs_hosts_close(h);

	/* replayed as it was */
	h = NULL;
	CU_ASSERT_EQUAL_FATAL(bs_hosts_open(state_path(), &pol, NULL, &h, err, sizeof(err)), 0);
	e = bs_hostsnap_find(bs_hosts_snapshot(h), m1);
	CHECK("replayed", e && e->host.ip == 0x0a000001 && memcmp(&e->act, &a, sizeof(a)) == 0);
	CHECK("initrd delivered flips", bs_hosts_delivered(h, m1, "initrd.img", 10) == 1);
	CHECK("unknown host done", bs_hosts_done(h, (uint8_t[6]){9}) == -ENOENT);
	bs_hosts_close(h);
	h = NULL;
	CU_ASSERT_EQUAL_FATAL(bs_hosts_open(state_path(), &pol, NULL, &h, err, sizeof(err)), 0);
	e = bs_hostsnap_find(bs_hosts_snapshot(h), m1);
	CHECK("the flip was persisted", e && e->act.kind == HOSTACT_LOCAL);
	CHECK("none pending after the flip", bs_hosts_snapshot(h)->n_once == 0);
	{
		char tmp[320];

		snprintf(tmp, sizeof(tmp), "%s.tmp", state_path());
		CHECK("no temp file left", access(tmp, F_OK) != 0);
	}
	CHECK("del", bs_hosts_del(h, m1, err, sizeof(err)) == 0);
	CHECK("del forgets config host state", bs_hosts_del(h, m20, err, sizeof(err)) == 0);
	CHECK("del config host without state",
	      bs_hosts_del(h, m20, err, sizeof(err)) == -ENOENT && strstr(err, "t.conf:7"));
	CHECK("set unknown", bs_hosts_set(h, m1, &f, err, sizeof(err)) == -ENOENT);
	bs_hosts_close(h);
}

static void test_state_file_errors(void)
{
	static const struct {
		const char *desc, *text, *want;
	} t[] = {
	    {"not a host line", "# c\nhost 52:54:00:00:00:01\nbogus\n", ":3: expected \"host"},
	    {"bad MAC", "host 52:54:00:00:01\n", ":1: expected a MAC"},
	    {"duplicate", "host 52:54:00:00:00:01\nhost 52:54:00:00:00:01\n", ":2: 52:54"},
	    {"word without =", "host 52:54:00:00:00:01 once\n", ":1: expected key=value"},
	    {"unknown key", "host 52:54:00:00:00:01 color=red\n", ":1: unknown key"},
	    {"bad escape", "host 52:54:00:00:00:01 name=a%zz\n", ":1: name: bad"},
	    {"bad ip", "host 52:54:00:00:00:01 ip=10.0.0\n", ":1: ip: expected"},
	    {"bad added", "host 52:54:00:00:00:01 added=2\n", ":1: added"},
	    {"inconsistent action", "host 52:54:00:00:00:01 action=install\n", ":1: install"},
	    {"bad tags", "host 52:54:00:00:00:01 tags=a,\n", ":1: tags"},
	};
	char err[400];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bs_hosts *h = NULL;

		write_state(t[i].text);
		err[0] = '\0';
		CHECK(t[i].desc, bs_hosts_open(state_path(), &pol, NULL, &h, err, sizeof(err)) < 0);
		CHECK(t[i].desc, h == NULL);
		CHECK(t[i].desc, strncmp(err, state_path(), strlen(state_path())) == 0);
		CHECK(t[i].desc, strstr(err, t[i].want) != NULL);
		if (!strstr(err, t[i].want))
			fprintf(stderr, "  [%s] got: %s\n", t[i].desc, err);
	}
	write_state("# only a comment\n\n");
	{
		struct bs_hosts *h = NULL;

		CHECK("comments only",
		      bs_hosts_open(state_path(), &pol, NULL, &h, err, sizeof(err)) == 0);
		bs_hosts_close(h);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"transitions", test_transitions},
	    {"bad input", test_bad_input},
	    {"check", test_check},
	    {"final file", test_final},
	    {"format roundtrip", test_format_roundtrip},
	    {"unescape", test_unescape_bad},
	    {"snapshot find", test_snapshot_find},
	    {"ipxe script", test_ipxe_script},
	    {"registry", test_registry},
	    {"state file errors", test_state_file_errors},
	    {NULL, NULL},
	};
	int rc;

	if (!mkdtemp(tmpdir))
		return 1;
	rc = unit_run("hosts", tests);
	unlink(state_path());
	rmdir(tmpdir);
	return rc;
}
