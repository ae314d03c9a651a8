/* SPDX-License-Identifier: MIT */
/*
 * Control socket: the JSON reader (a table of valid and hostile inputs),
 * the writer's escaping, the request dispatch (a table of requests against
 * a fake server state) and the server's handling of hostile clients
 * (overlong lines, garbage, a client that never reads).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/config.h"
#include "control/ctl.h"
#include "control/ctl_events.h"
#include "control/hosts.h"
#include "control/json.h"
#include "proto/lease.h"
#include "util/events.h"

#define S(lit) lit, sizeof(lit) - 1

static const struct bs_json_limits lim = {.max_len = 4096, .max_depth = 4, .max_nodes = 64};

/* ---- reader ---- */

static const struct {
	const char *desc;
	const char *in;
	size_t len;
	int rc;
	int type;
} parse_cases[] = {
    {"flat request", S("{\"cmd\":\"status\"}"), 0, BS_JSON_OBJECT},
    {"whitespace around", S(" \t\r\n{ } \n"), 0, BS_JSON_OBJECT},
    {"array", S("[1, -2.5e3, true, false, null, \"x\"]"), 0, BS_JSON_ARRAY},
    {"scalar string", S("\"a\\u00e9\\n\""), 0, BS_JSON_STRING},
    {"surrogate pair", S("\"\\ud83d\\ude00\""), 0, BS_JSON_STRING},
    {"raw UTF-8", S("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), 0, BS_JSON_STRING},
    {"zero", S("0"), 0, BS_JSON_NUMBER},
    {"empty input", S(""), -EINVAL, 0},
    {"only spaces", S("   "), -EINVAL, 0},
    {"unterminated object", S("{"), -EINVAL, 0},
    {"missing value", S("{\"a\":}"), -EINVAL, 0},
    {"trailing comma", S("{\"a\":1,}"), -EINVAL, 0},
    {"trailing comma array", S("[1,]"), -EINVAL, 0},
    {"single quotes", S("{'a':1}"), -EINVAL, 0},
    {"bare key", S("{a:1}"), -EINVAL, 0},
    {"leading zero", S("01"), -EINVAL, 0},
    {"bare dot", S("1."), -EINVAL, 0},
    {"plus sign", S("+1"), -EINVAL, 0},
    {"hex number", S("0x10"), -EINVAL, 0},
    {"NaN", S("NaN"), -EINVAL, 0},
    {"bad escape", S("\"\\x\""), -EINVAL, 0},
    {"short \\u", S("\"\\u12\""), -EINVAL, 0},
    {"unterminated string", S("\"abc"), -EINVAL, 0},
    {"lone high surrogate", S("\"\\ud800\""), -EINVAL, 0},
    {"lone low surrogate", S("\"\\udc00\""), -EINVAL, 0},
    {"escaped NUL", S("\"a\\u0000b\""), -EINVAL, 0},
    {"raw NUL in string", S("\"a\0b\""), -EINVAL, 0},
    {"NUL after value", S("{}\0"), -EINVAL, 0},
    {"NUL instead of value", S("\0"), -EINVAL, 0},
    {"raw control char", S("\"a\tb\""), -EINVAL, 0},
    {"invalid UTF-8 byte", S("\"\xff\""), -EINVAL, 0},
    {"overlong UTF-8", S("\"\xc0\xaf\""), -EINVAL, 0},
    {"UTF-8 surrogate", S("\"\xed\xa0\x80\""), -EINVAL, 0},
    {"truncated UTF-8", S("\"\xe2\x82\""), -EINVAL, 0},
    {"two values", S("{} {}"), -EINVAL, 0},
    {"garbage after", S("{\"a\":1} x"), -EINVAL, 0},
    {"binary", S("\x01\x02\x03"), -EINVAL, 0},
    {"truncated literal", S("tru"), -EINVAL, 0},
    {"nesting at the limit", S("[[[[]]]]"), 0, BS_JSON_ARRAY},
    {"nesting too deep", S("[[[[[]]]]]"), -E2BIG, 0},
    {"deep object nesting", S("{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}"), -E2BIG, 0},
    {"number too long", S("1234567890123456789012345678901234567890123456789012345678901234567890"),
     -EINVAL, 0},
};

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct bs_json_doc *d = NULL;
		char err[200];
		int rc = bs_json_parse(parse_cases[i].in, parse_cases[i].len, &lim, &d, err,
				       sizeof(err));

		CHECK(parse_cases[i].desc, rc == parse_cases[i].rc);
		if (rc == 0) {
			CHECK(parse_cases[i].desc, bs_json_root(d)->type == parse_cases[i].type);
		} else {
			CHECK(parse_cases[i].desc, d == NULL);
			CHECK(parse_cases[i].desc, err[0] != '\0');
		}
		bs_json_free(d);
	}
}

static void test_parse_values(void)
{
	struct bs_json_doc *d = NULL;
	const struct bs_json *r, *v;

	CU_ASSERT_EQUAL_FATAL(
	    bs_json_parse(S("{\"s\":\"a\\u00e9\\\"\\/\",\"n\":-12,\"f\":2.5,\"big\":"
			    "99999999999999999999,\"t\":true,\"e\":\"\\ud83d\\ude00\"}"),
			  &lim, &d, NULL, 0),
	    0);
	r = bs_json_root(d);
	CU_ASSERT_EQUAL(r->len, 6);
	CU_ASSERT_STRING_EQUAL(bs_json_get_str(r, "s"), "a\xc3\xa9\"/");
	v = bs_json_get(r, "n");
	CU_ASSERT(v && v->is_int && v->i == -12);
	v = bs_json_get(r, "f");
	CU_ASSERT(v && !v->is_int && v->num == 2.5);
	v = bs_json_get(r, "big");
	CU_ASSERT(v && !v->is_int && v->num > 9e19);
	CU_ASSERT(bs_json_get(r, "t")->type == BS_JSON_TRUE);
	CU_ASSERT_STRING_EQUAL(bs_json_get_str(r, "e"), "\xf0\x9f\x98\x80");
	CU_ASSERT_PTR_NULL(bs_json_get(r, "missing"));
	CU_ASSERT_PTR_NULL(bs_json_get_str(r, "n"));
	bs_json_free(d);
}

static void test_parse_limits(void)
{
	struct bs_json_limits small = {.max_len = 16, .max_depth = 4, .max_nodes = 3};
	struct bs_json_doc *d = NULL;

	CU_ASSERT_EQUAL(bs_json_parse(S("\"0123456789abcdefgh\""), &small, &d, NULL, 0), -E2BIG);
	CU_ASSERT_EQUAL(bs_json_parse(S("[1,2]"), &small, &d, NULL, 0), 0);
	bs_json_free(d);
	CU_ASSERT_EQUAL(bs_json_parse(S("[1,2,3]"), &small, &d, NULL, 0), -E2BIG);
	CU_ASSERT_PTR_NULL(d);
}

/* ---- writer ---- */

static void test_writer(void)
{
	struct bs_jw w;
	struct bs_json_doc *d = NULL;

	bs_jw_init(&w, 1024);
	bs_jw_obj(&w);
	bs_jw_kstr(&w, "q", "a\"b\\c\n\x01");
	bs_jw_key(&w, "bad");
	bs_jw_strn(&w, "x\xff\xc3y\x7f", 5);
	bs_jw_key(&w, "a");
	bs_jw_arr(&w);
	bs_jw_u64(&w, 18446744073709551615ull);
	bs_jw_i64(&w, -5);
	bs_jw_null(&w);
	bs_jw_obj(&w);
	bs_jw_obj_end(&w);
	bs_jw_arr_end(&w);
	bs_jw_kbool(&w, "t", true);
	bs_jw_obj_end(&w);
	CU_ASSERT_FALSE(w.failed);
	CU_ASSERT_STRING_EQUAL(
	    w.p, "{\"q\":\"a\\\"b\\\\c\\n\\u0001\",\"bad\":\"x\\ufffd\\ufffdy\\u007f\","
		 "\"a\":[18446744073709551615,-5,null,{}],\"t\":true}");
	/* whatever the writer makes, the reader takes */
	CU_ASSERT_EQUAL(bs_json_parse(w.p, w.len, &lim, &d, NULL, 0), 0);
	bs_json_free(d);
	bs_jw_free(&w);

	bs_jw_init(&w, 8);
	bs_jw_kstr(&w, "key", "longer than eight");
	CU_ASSERT_TRUE(w.failed);
	bs_jw_free(&w);
}

/* ---- dispatch against a fake state ---- */

static char tmpdir[] = "/tmp/bs_test_ctl.XXXXXX";
static int syncs, reloads;

static int fake_sync(void *arg, time_t now)
{
	(void)arg, (void)now;
	syncs++;
	return 0;
}

static void fake_reload(void *arg, struct bs_config *cfg)
{
	CU_ASSERT_PTR_NOT_NULL(cfg);
	bs_config_free(cfg);
	(void)arg;
	reloads++;
}

static void fake_stats(void *arg, bs_stat_fn fn, void *fa)
{
	(void)arg;
	fn(fa, "fake_a", 1);
	fn(fa, "tftp_active_transfers", 3);
}

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct {
	const char *desc;
	const char *req;
	bool ok;
	const char *has;   /* substring of the response */
	const char *hasnt; /* must not appear */
} dispatch_cases[] = {
    {"status", "{\"cmd\":\"status\"}", true, "\"leases\":2", NULL},
    {"status transfers", "{\"cmd\":\"status\"}", true, "\"tftp_transfers\":3", NULL},
    {"stats", "{\"cmd\":\"stats\"}", true, "\"stats\":{\"fake_a\":1,", NULL},
    {"leases", "{\"cmd\":\"leases\"}", true, "\"ip\":\"10.0.0.5\",\"mac\":\"52:54:00:00:00:01\"",
     NULL},
    {"leases by mac", "{\"cmd\":\"leases\",\"mac\":\"52-54-00-00-00-02\"}", true, "10.0.0.6",
     "10.0.0.5"},
    {"leases by ip", "{\"cmd\":\"leases\",\"ip\":\"10.0.0.5\"}", true, "pc1", "10.0.0.6"},
    {"leases hostile hostname", "{\"cmd\":\"leases\",\"ip\":\"10.0.0.6\"}", true,
     "\"hostname\":\"a\\\"\\u0001\\ufffd\"", NULL},
    {"leases bad mac", "{\"cmd\":\"leases\",\"mac\":\"52:54:00\"}", false, "mac", NULL},
    {"leases bad ip", "{\"cmd\":\"leases\",\"ip\":\"10.0.0\"}", false, "ip", NULL},
    {"leases filter not a string", "{\"cmd\":\"leases\",\"ip\":5}", false, "must be a string",
     NULL},
    {"release unknown", "{\"cmd\":\"lease-release\",\"ip\":\"10.0.0.99\"}", false, "no lease",
     NULL},
    {"release no ip", "{\"cmd\":\"lease-release\"}", false, "missing member \\\"ip\\\"", NULL},
    {"release", "{\"cmd\":\"lease-release\",\"ip\":\"10.0.0.5\"}", true,
     "\"released\":\"10.0.0.5\"", NULL},
    {"released is gone", "{\"cmd\":\"leases\"}", true, "10.0.0.6", "10.0.0.5"},
    {"hosts", "{\"cmd\":\"hosts\"}", true,
     "\"mac\":\"52:54:00:00:00:01\",\"ip\":\"10.0.0.5\",\"hostname\":\"pc1\",\"tags\":[\"lab\"]",
     NULL},
    {"hosts without ip", "{\"cmd\":\"hosts\"}", true, "\"ip\":null", NULL},
    {"hosts: config entry has the default action", "{\"cmd\":\"hosts\"}", true,
     "\"lease_secs\":0,\"origin\":\"", "\"action\":\"install\""},
    {"hosts: default action", "{\"cmd\":\"hosts\"}", true,
     "\"runtime\":false,\"action\":\"default\",\"once\":false}", NULL},
    {"host-add",
     "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:09\",\"ip\":\"10.0.0.9\","
     "\"name\":\"n9\",\"tags\":\"lab,x\"}",
     true, "\"mac\":\"52:54:00:00:00:09\"", NULL},
    {"host-add twice", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:09\"}", false,
     "known already", NULL},
    {"host-add a config host", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:01\"}", false,
     "known already", NULL},
    {"host-add taken ip",
     "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:0a\",\"ip\":\"10.0.0.5\"}", false,
     "reserved for 52:54:00:00:00:01", NULL},
    {"host-add bad mac", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00\"}", false, "mac", NULL},
    {"host-add bad ip", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:0b\",\"ip\":\"10.0.0\"}",
     false, "ip: expected", NULL},
    {"host-add bad name", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:0b\",\"name\":\"a b\"}",
     false, "name: expected", NULL},
    {"host-add bad tags", "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:0b\",\"tags\":\"a,,b\"}",
     false, "empty tag", NULL},
    {"host-add no mac", "{\"cmd\":\"host-add\"}", false, "missing member", NULL},
    {"host-add unknown member",
     "{\"cmd\":\"host-add\",\"mac\":\"52:54:00:00:00:0b\",\"kernel\":\"k\"}", false,
     "unknown member", NULL},
    {"hosts shows the added host", "{\"cmd\":\"hosts\"}", true,
     "\"mac\":\"52:54:00:00:00:09\",\"ip\":\"10.0.0.9\",\"hostname\":\"n9\",\"tags\":[\"lab\","
     "\"x\"]",
     NULL},
    {"host-set unknown", "{\"cmd\":\"host-set\",\"mac\":\"52:54:00:00:00:0c\",\"name\":\"x\"}",
     false, "no such host", NULL},
    {"host-set", "{\"cmd\":\"host-set\",\"mac\":\"52:54:00:00:00:09\",\"name\":\"n9b\"}", true,
     "\"ok\":true", NULL},
    {"host-action install once",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:09\",\"action\":\"install\",\"once\":"
     "\"yes\","
     "\"kernel\":\"vmlinuz\",\"initrd\":\"initrd.img\",\"cmdline\":\"console=ttyS0 quiet\"}",
     true, "\"ok\":true", NULL},
    {"hosts shows the action", "{\"cmd\":\"hosts\"}", true, "\"hostname\":\"n9b\"", NULL},
    {"hosts shows the target", "{\"cmd\":\"hosts\"}", true,
     "\"action\":\"install\",\"once\":true,\"kernel\":\"vmlinuz\",\"initrd\":\"initrd.img\","
     "\"cmdline\":\"console=ttyS0 quiet\"",
     NULL},
    {"host-action without target",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:09\",\"action\":\"install\"}", false,
     "one target", NULL},
    {"host-action bad kind",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:09\",\"action\":\"wipe\"}", false,
     "action: expected", NULL},
    {"host-action path escape",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:09\",\"action\":\"install\","
     "\"file\":\"../x\"}",
     false, "..", NULL},
    {"host-action unknown host",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:0d\",\"action\":\"local\"}", false,
     "no such host", NULL},
    {"host-action not a string",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:09\",\"action\":1}", false,
     "must be a string", NULL},
    {"host-done flips once", "{\"cmd\":\"host-done\",\"mac\":\"52:54:00:00:00:09\"}", true,
     "\"changed\":true", NULL},
    {"host-done again changes nothing", "{\"cmd\":\"host-done\",\"mac\":\"52:54:00:00:00:09\"}",
     true, "\"changed\":false", NULL},
    {"hosts: now local", "{\"cmd\":\"hosts\"}", true, "\"action\":\"local\",\"once\":false}",
     "initrd.img"},
    {"host-action on a config host",
     "{\"cmd\":\"host-action\",\"mac\":\"52:54:00:00:00:03\",\"action\":\"ignore\"}", true,
     "\"ok\":true", NULL},
    {"host-del a config host forgets its action",
     "{\"cmd\":\"host-del\",\"mac\":\"52:54:00:00:00:03\"}", true, "\"ok\":true", NULL},
    {"host-del a config host without state", "{\"cmd\":\"host-del\",\"mac\":\"52:54:00:00:00:03\"}",
     false, "srv.conf:3", NULL},
    {"host-del", "{\"cmd\":\"host-del\",\"mac\":\"52:54:00:00:00:09\"}", true, "\"ok\":true", NULL},
    {"host-del unknown", "{\"cmd\":\"host-del\",\"mac\":\"52:54:00:00:00:09\"}", false,
     "no such host", NULL},
    {"hosts: deleted", "{\"cmd\":\"hosts\"}", true, "\"ok\":true", "52:54:00:00:00:09"},
    {"reload", "{\"cmd\":\"reload\"}", true, "\"config\":\"", NULL},
    {"config-check relative", "{\"cmd\":\"config-check\",\"file\":\"x.conf\"}", false, "absolute",
     NULL},
    {"config-check missing", "{\"cmd\":\"config-check\",\"file\":\"/nonexistent/b.conf\"}", true,
     "\"valid\":false", NULL},
    {"unknown cmd", "{\"cmd\":\"reboot\"}", false, "unknown cmd", NULL},
    {"no cmd", "{}", false, "\\\"cmd\\\"", NULL},
    {"cmd not a string", "{\"cmd\":1}", false, "\\\"cmd\\\"", NULL},
    {"array", "[\"status\"]", false, "expected a JSON object", NULL},
    {"nested", "{\"cmd\":\"status\",\"x\":{}}", false, "nested", NULL},
    {"nested deep", "{\"cmd\":{\"a\":{\"b\":1}}}", false, "bad request", NULL},
    {"unknown member", "{\"cmd\":\"status\",\"x\":1}", false, "unknown member", NULL},
    {"duplicate", "{\"cmd\":\"status\",\"cmd\":\"stats\"}", false, "twice", NULL},
    {"not JSON", "status", false, "bad request", NULL},
    {"empty", "", false, "bad request", NULL},
    {"binary", "\x80\x81\xfe\xff", false, "bad request", NULL},
};

static void test_dispatch_table(void)
{
	static const struct bs_json_limits rlim = {
	    .max_len = 1 << 20, .max_depth = 8, .max_nodes = 1000};
	struct lease_table *t = lease_table_new(100);
	const uint8_t m1[6] = {0x52, 0x54, 0, 0, 0, 1}, m2[6] = {0x52, 0x54, 0, 0, 0, 2};
	time_t now = 1700000000;
	struct bs_config *cfg = NULL;
	struct bs_diags d = {0};
	const char *conf =
	    write_file("srv.conf", "dhcp-range=10.0.0.10,10.0.0.100,255.255.255.0\n"
				   "dhcp-host=52:54:00:00:00:01,10.0.0.5,pc1,set:lab\n"
				   "dhcp-host=52:54:00:00:00:03,pc3\n");
	char conf_path[256];
	struct bs_ctl_env env = {
	    .version = "0.1.0",
	    .backend = "socket",
	    .conf_path = conf_path,
	    .started = now - 100,
	    .leases = t,
	    .live = &cfg,
	    .sync_leases = fake_sync,
	    .reload = fake_reload,
	    .stats = fake_stats,
	};
	struct bs_ctl_peer root = {0, 1};
	struct bs_hosts *hosts = NULL;
	struct bs_jw w;

	snprintf(conf_path, sizeof(conf_path), "%s", conf);
	CU_ASSERT_EQUAL_FATAL(bs_config_from_file(conf, false, &cfg, &d), 0);
	bs_diags_free(&d);
	{
		char herr[300], hpath[300];

		snprintf(hpath, sizeof(hpath), "%s/hosts.state", tmpdir);
		unlink(hpath);
		CU_ASSERT_EQUAL_FATAL(
		    bs_hosts_open(hpath, cfg->policy, NULL, &hosts, herr, sizeof(herr)), 0);
		env.hosts = hosts;
	}
	CU_ASSERT_EQUAL(lease_set(t, 0x0a000005, m1, LEASE_BOUND, now + 3600, "pc1", now), 0);
	CU_ASSERT_EQUAL(lease_set(t, 0x0a000006, m2, LEASE_OFFERED, now + 60, "a\"\x01\xff", now),
			0);
	bs_jw_init(&w, 1 << 20);
	for (size_t i = 0; i < sizeof(dispatch_cases) / sizeof(dispatch_cases[0]); i++) {
		const char *desc = dispatch_cases[i].desc;
		struct bs_json_doc *doc = NULL;
		const struct bs_json *ok;

		bs_ctl_handle(&env, &root, dispatch_cases[i].req, strlen(dispatch_cases[i].req),
			      now, NULL, &w);
		CHECK(desc, bs_json_parse(w.p, w.len, &rlim, &doc, NULL, 0) == 0);
		ok = bs_json_get(bs_json_root(doc), "ok");
		CHECK(desc,
		      ok && ok->type == (dispatch_cases[i].ok ? BS_JSON_TRUE : BS_JSON_FALSE));
		if (!dispatch_cases[i].ok)
			CHECK(desc, bs_json_get_str(bs_json_root(doc), "error") != NULL);
		CHECK(desc, strstr(w.p, dispatch_cases[i].has) != NULL);
		if (dispatch_cases[i].hasnt)
			CHECK(desc, strstr(w.p, dispatch_cases[i].hasnt) == NULL);
		if (!strstr(w.p, dispatch_cases[i].has) ||
		    (dispatch_cases[i].hasnt && strstr(w.p, dispatch_cases[i].hasnt)))
			fprintf(stderr, "  [%s] got: %s\n", desc, w.p);
		bs_json_free(doc);
	}
	CU_ASSERT_EQUAL(syncs, 1);
	CU_ASSERT_EQUAL(reloads, 1);
	bs_hosts_close(hosts);
	CU_ASSERT_PTR_NULL(lease_find_ip(t, 0x0a000005));

	/* config-check: file:line diagnostics; a bad config is never reloaded */
	const char *bad = write_file("bad.conf", "dhcp-range=10.0.0.10\nbogus-directive=1\n");
	char req[600];

	snprintf(req, sizeof(req), "{\"cmd\":\"config-check\",\"file\":\"%s\"}", bad);
	bs_ctl_handle(&env, &root, req, strlen(req), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"valid\":false"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"line\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"line\":2,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "bad.conf"));
	snprintf(req, sizeof(req), "{\"cmd\":\"config-check\",\"file\":\"%s\"}", conf_path);
	bs_ctl_handle(&env, &root, req, strlen(req), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"valid\":true"));
	/* only root (or the server's user) may have files read for it */
	bs_ctl_handle(&env, &(struct bs_ctl_peer){getuid() ? 0 : 4242, 1}, req, strlen(req), now,
		      NULL, &w);
	if (getuid() == 0)
		CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":false"));
	snprintf(conf_path, sizeof(conf_path), "%s", bad);
	bs_ctl_handle(&env, &root, S("{\"cmd\":\"reload\"}"), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":false"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"line\":2,"));
	CU_ASSERT_EQUAL(reloads, 1);

	/* nothing to act on */
	struct bs_ctl_env none = {.version = "x"};

	bs_ctl_handle(&none, &root, S("{\"cmd\":\"leases\"}"), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":false"));
	bs_ctl_handle(&none, &root, S("{\"cmd\":\"reload\"}"), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":false"));
	bs_ctl_handle(&none, &root, S("{\"cmd\":\"status\"}"), now, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":true"));

	/* a response that does not fit becomes an error */
	struct bs_jw tiny;

	bs_jw_init(&tiny, 64);
	bs_ctl_handle(&env, &root, S("{\"cmd\":\"status\"}"), now, NULL, &tiny);
	CU_ASSERT_STRING_EQUAL(tiny.p, "{\"ok\":false,\"error\":\"response too large\"}");
	bs_jw_free(&tiny);

	bs_jw_free(&w);
	bs_config_free(cfg);
	lease_table_free(t);
}

/* ---- the server with real sockets ---- */

static int client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Run the server until fd has a whole line (or a few rounds passed). */
static ssize_t read_line(struct bs_ctl *c, int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (int round = 0; round < 200; round++) {
		ssize_t n;

		bs_ctl_ready(c, 0);
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			return (ssize_t)len;
		usleep(1000);
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static void test_server(void)
{
	struct bs_ctl_env env = {.version = "0.1.0", .started = time(NULL)};
	char path[256], buf[4096];
	struct bs_ctl *c = NULL;
	struct stat st;
	int fd, fd2;

	snprintf(path, sizeof(path), "%s/ctl.sock", tmpdir);
	CU_ASSERT_EQUAL_FATAL(bs_ctl_open(path, NULL, true, &env, NULL, &c), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* a second server on the same path: refused, the first keeps it */
	struct bs_ctl *c2 = NULL;

	CU_ASSERT_EQUAL(bs_ctl_open(path, NULL, true, &env, NULL, &c2), -EADDRINUSE);

	fd = client_connect(path);
	CU_ASSERT_EQUAL(send(fd, S("{\"cmd\":\"status\"}\n"), 0), 17);
	read_line(c, fd, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"ok\":true,\"version\":\"0.1.0\""));

	/* a 1 MiB line: one error, then the next request is answered */
	size_t big = 1u << 20;
	char *junk = malloc(big);
	size_t sent = 0;

	memset(junk, 'x', big);
	while (sent < big) {
		ssize_t n = send(fd, junk + sent, big - sent, MSG_DONTWAIT);

		if (n > 0)
			sent += (size_t)n;
		bs_ctl_ready(c, 0);
	}
	free(junk);
	CU_ASSERT_EQUAL(send(fd, S("\n{\"cmd\":\"status\"}\n"), 0), 18);
	read_line(c, fd, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "longer than 65536"));
	if (!strstr(buf, "\n{\"ok\":true"))
		read_line(c, fd, buf + strlen(buf), sizeof(buf) - strlen(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"ok\":true,\"version\""));

	/* a client that sends and never reads: disconnected, others served */
	fd2 = client_connect(path);
	size_t queued = 0;

	for (int i = 0; i < 20000; i++) {
		ssize_t n = send(fd2, S("{\"cmd\":\"status\"}\n"), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			queued += (size_t)n;
		bs_ctl_ready(c, 0);
	}
	CU_ASSERT(queued > 0);
	bs_ctl_tick(c, 0);
	bs_ctl_tick(c, 10000); /* stalled for longer than it may be */
	CU_ASSERT_EQUAL(send(fd, S("{\"cmd\":\"nope\"}\n"), 0), 15);
	read_line(c, fd, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "unknown cmd"));
	/* fd2 was closed by the server: reading ends in EOF or a reset */
	ssize_t n;

	while ((n = recv(fd2, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	CU_ASSERT(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd2);
	close(fd);

	/* more clients than allowed: the extra one is told so */
	int many[BS_CTL_MAX_CLIENTS + 1];

	for (int i = 0; i <= BS_CTL_MAX_CLIENTS; i++) {
		many[i] = client_connect(path);
		bs_ctl_ready(c, 0);
	}
	read_line(c, many[BS_CTL_MAX_CLIENTS], buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "too many"));
	for (int i = 0; i <= BS_CTL_MAX_CLIENTS; i++)
		close(many[i]);

	bs_ctl_close(c);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0); /* removed */

	/* stale socket file (a killed server): replaced */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, path, strlen(path) + 1);
	CU_ASSERT_EQUAL(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	CU_ASSERT_EQUAL(bs_ctl_open(path, NULL, true, &env, NULL, &c), 0);
	bs_ctl_close(c);
	/* control-group: that group, mode 0660 (root may chown to any group);
	   an unknown group fails */
	if (getuid() == 0) {
		CU_ASSERT_EQUAL(bs_ctl_open(path, "root", true, &env, NULL, &c), 0);
		CU_ASSERT_EQUAL(stat(path, &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);
		CU_ASSERT_EQUAL(st.st_gid, 0);
		bs_ctl_close(c);
	}
	CU_ASSERT_EQUAL(bs_ctl_open(path, "no-such-group-bs", true, &env, NULL, &c), -ENOENT);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	/* a regular file is never removed */
	write_file("ctl.sock", "precious\n");
	CU_ASSERT_EQUAL(bs_ctl_open(path, NULL, true, &env, NULL, &c), -EEXIST);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	unlink(path);
}

/* ---- events stream (ctl_events.c) ---- */

static void ev_put(struct bs_ev_ring *r, uint8_t type, uint8_t last_mac, uint64_t ms)
{
	struct bs_event e = {.mono_ms = ms,
			     .ip = 0x0a000002u,
			     .arch = BS_EV_ARCH_NONE,
			     .type = type,
			     .mac = {2, 0, 0, 0, 0, last_mac}};

	bs_ev_set_file(&e, "boot.efi", 8);
	bs_ev_emit(r, &e);
}

/* Every line the stream has now, with room bytes of buffer each time;
   the events' names (or "lost:N") into out, comma-separated. */
static int drain(struct ctl_stream *st, const struct bs_ctl_env *env, size_t room, char *out,
		 size_t cap, uint64_t *lost)
{
	static const struct ctl_clock clk = {.mono_ms = 10000, .wall_ms = 1700000000000, .wall = 0};
	struct bs_jw w;
	int n = 0;

	out[0] = '\0';
	bs_jw_init(&w, 1 << 20);
	while (ctl_stream_next(st, env, &clk, room, &w, lost) == 1) {
		struct bs_json_doc *doc = NULL;
		char err[100];
		const struct bs_json *r;
		size_t l = strlen(out);

		CU_ASSERT_FATAL(bs_json_parse(w.p, w.len, &lim, &doc, err, sizeof(err)) == 0);
		r = bs_json_root(doc);
		if (strcmp(bs_json_get_str(r, "event"), "lost") == 0)
			snprintf(out + l, cap - l, "%slost:%lld", l ? "," : "",
				 (long long)bs_json_get(r, "count")->i);
		else
			snprintf(out + l, cap - l, "%s%s", l ? "," : "",
				 bs_json_get_str(r, "event"));
		bs_json_free(doc);
		n++;
	}
	bs_jw_free(&w);
	return n;
}

static void test_events_stream(void)
{
	struct bs_ev_ring *rings[2] = {bs_ev_ring_new(16), bs_ev_ring_new(16)};
	struct bs_ctl_env env = {.ev_rings = rings, .nev_rings = 2};
	struct bs_ctl_sub all = {.on = true}, one = {.on = true, .by_mac = true};
	struct ctl_stream *st, *st1;
	uint64_t lost = 0;
	char out[512];

	ev_put(rings[0], BS_EV_DHCP_DISCOVER, 1, 1); /* before subscribing: not seen */
	st = ctl_stream_new(&env, &all);
	memcpy(one.mac, (uint8_t[]){2, 0, 0, 0, 0, 7}, 6);
	CU_ASSERT_EQUAL(bs_ev_parse_types("dhcp-ack,tftp", &one.types), 0);
	st1 = ctl_stream_new(&env, &one);
	/* two producers, merged by time */
	ev_put(rings[0], BS_EV_DHCP_DISCOVER, 7, 100);
	ev_put(rings[1], BS_EV_DHCP_OFFER, 7, 101);
	ev_put(rings[0], BS_EV_DHCP_ACK, 7, 103);
	ev_put(rings[1], BS_EV_DHCP_ACK, 8, 104);
	ev_put(rings[1], BS_EV_TFTP_START, 7, 105);
	CU_ASSERT_EQUAL(drain(st, &env, 1 << 20, out, sizeof(out), &lost), 5);
	CU_ASSERT_STRING_EQUAL(out, "dhcp-discover,dhcp-offer,dhcp-ack,dhcp-ack,tftp-start");
	/* the filtered one: its MAC, its types */
	CU_ASSERT_EQUAL(drain(st1, &env, 1 << 20, out, sizeof(out), &lost), 2);
	CU_ASSERT_STRING_EQUAL(out, "dhcp-ack,tftp-start");
	CU_ASSERT_EQUAL(lost, 0);
	/* a full buffer: dropped and counted, then said first */
	for (int i = 0; i < 5; i++)
		ev_put(rings[0], BS_EV_TFTP_PROGRESS, 7, 200 + i);
	CU_ASSERT_EQUAL(drain(st, &env, 100, out, sizeof(out), &lost), 0);
	CU_ASSERT_EQUAL(lost, 5);
	ev_put(rings[0], BS_EV_TFTP_DONE, 7, 300);
	CU_ASSERT_EQUAL(drain(st, &env, 1 << 20, out, sizeof(out), &lost), 2);
	CU_ASSERT_STRING_EQUAL(out, "lost:5,tftp-done");
	/* the ring lapped the reader: the gap is said before what follows it */
	for (int i = 0; i < 40; i++)
		ev_put(rings[1], BS_EV_TFTP_PROGRESS, 7, 400 + i);
	lost = 0;
	CU_ASSERT_EQUAL(drain(st, &env, 1 << 20, out, sizeof(out), &lost), 17);
	CU_ASSERT(strncmp(out, "lost:24,tftp-progress", 21) == 0);
	CU_ASSERT_EQUAL(lost, 24);
	ctl_stream_free(st);
	ctl_stream_free(st1);
	free(rings[0]);
	free(rings[1]);
}

/* the command: filters checked, only where a stream can start */
static void test_events_cmd(void)
{
	struct bs_ev_ring *ring = bs_ev_ring_new(16);
	struct bs_ctl_env env = {.ev_rings = &ring, .nev_rings = 1};
	struct bs_ctl_sub sub = {0};
	struct bs_ctl_peer root = {.uid = 0, .sub = &sub}, nostream = {.uid = 0};
	struct bs_jw w;

	bs_jw_init(&w, 1 << 16);
	bs_ctl_handle(&env, &nostream, S("{\"cmd\":\"events\"}"), 0, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "\"ok\":false"));
	bs_ctl_handle(&env, &root, S("{\"cmd\":\"events\",\"mac\":\"02:00:00:00:00\"}"), 0, NULL,
		      &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "mac: expected"));
	bs_ctl_handle(&env, &root, S("{\"cmd\":\"events\",\"types\":\"dhcp,nope\"}"), 0, NULL, &w);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.p, "types: expected"));
	CU_ASSERT_FALSE(sub.on);
	bs_ctl_handle(&env, &root,
		      S("{\"cmd\":\"events\",\"mac\":\"02:00:00:00:00:07\",\"types\":\"tftp\"}"), 0,
		      NULL, &w);
	CU_ASSERT_STRING_EQUAL(w.p, "{\"ok\":true,\"events\":\"subscribed\"}");
	CU_ASSERT_TRUE(sub.on && sub.by_mac && sub.mac[5] == 7);
	CU_ASSERT_EQUAL(sub.types, (1u << BS_EV_TFTP_START) | (1u << BS_EV_TFTP_PROGRESS) |
				       (1u << BS_EV_TFTP_DONE) | (1u << BS_EV_TFTP_ERROR) |
				       (1u << BS_EV_TFTP_TIMEOUT));
	bs_jw_free(&w);
	free(ring);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"json parse table", test_parse_table},
	    {"json parse values", test_parse_values},
	    {"json parse limits", test_parse_limits},
	    {"json writer", test_writer},
	    {"dispatch table", test_dispatch_table},
	    {"server", test_server},
	    {"events stream", test_events_stream},
	    {"events command", test_events_cmd},
	    {NULL, NULL},
	};
	int rc;

	if (!mkdtemp(tmpdir))
		return 1;
	rc = unit_run("ctl", tests);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		(void)!system(cmd);
	}
	return rc;
}
