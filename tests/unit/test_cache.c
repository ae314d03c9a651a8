/* SPDX-License-Identifier: MIT */
/*
 * Image cache tests on a temporary directory tree:
 *
 *   <tmp>/outside.txt
 *   <tmp>/root/file.bin  empty  dir/sub.txt  fifo
 *              link-in -> file.bin   link-out -> /etc/passwd
 *              link-up -> ../outside.txt   link-abs -> <tmp>/root/file.bin
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "cache.h"
#include "proto/tftp.h"
#include "proto/tftp_wire.h"
#include "util/bytes.h"

static char tmp[64], root[128];

static void write_file(const char *dir, const char *name, const char *content)
{
	char p[512];
	FILE *f;

	CU_ASSERT_FATAL(snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p));
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(content, f);
	fclose(f);
}

static void setup_tree(void)
{
	char p[512], target[512];

	strcpy(tmp, "/tmp/bs-cache-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/root", tmp);
	CU_ASSERT_EQUAL_FATAL(mkdir(root, 0755), 0);
	write_file(tmp, "outside.txt", "secret");
	write_file(root, "file.bin", "hello world");
	write_file(root, "empty", "");
	snprintf(p, sizeof(p), "%s/dir", root);
	CU_ASSERT_EQUAL_FATAL(mkdir(p, 0755), 0);
	write_file(p, "sub.txt", "sub");
	snprintf(p, sizeof(p), "%s/fifo", root);
	CU_ASSERT_EQUAL(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/link-in", root);
	CU_ASSERT_EQUAL(symlink("file.bin", p), 0);
	snprintf(p, sizeof(p), "%s/link-out", root);
	CU_ASSERT_EQUAL(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/link-up", root);
	CU_ASSERT_EQUAL(symlink("../outside.txt", p), 0);
	snprintf(p, sizeof(p), "%s/link-abs", root);
	snprintf(target, sizeof(target), "%s/file.bin", root);
	CU_ASSERT_EQUAL(symlink(target, p), 0);
}

static void teardown_tree(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

struct stat_find {
	const char *name;
	uint64_t v;
	bool found;
};

static void stat_cb(void *arg, const char *name, uint64_t v)
{
	struct stat_find *s = arg;

	if (strcmp(s->name, name) == 0) {
		s->v = v;
		s->found = true;
	}
}

static uint64_t cstat(const struct bs_cache *c, const char *name)
{
	struct stat_find s = {name, 0, false};

	bs_cache_stats_foreach(c, stat_cb, &s);
	CU_ASSERT(s.found);
	return s.v;
}

/* ---- lookups ------------------------------------------------------------ */

struct get_case {
	const char *desc;
	const char *path;
	size_t len;	 /* 0: strlen(path) */
	bool under_root; /* prefix the path with "<root>" */
	int err;
	const char *content; /* expected bytes when err == 0 */
};

static const struct get_case get_cases[] = {
    {"regular file", "file.bin", 0, false, 0, "hello world"},
    {"empty file: no mapping", "empty", 0, false, 0, ""},
    {"file in a subdirectory", "dir/sub.txt", 0, false, 0, "sub"},
    {".. that stays inside the root", "dir/../file.bin", 0, false, 0, "hello world"},
    {"symlink inside the root", "link-in", 0, false, 0, "hello world"},
    {"missing", "missing", 0, false, -ENOENT, NULL},
    {"file used as a directory", "file.bin/x", 0, false, -ENOENT, NULL},
    {"directory", "dir", 0, false, -EISDIR, NULL},
    {"fifo: refused, and does not block", "fifo", 0, false, -EACCES, NULL},
    {"symlink to /etc/passwd", "link-out", 0, false, -EACCES, NULL},
    {"symlink up out of the root", "link-up", 0, false, -EACCES, NULL},
    {"absolute symlink, even into the root", "link-abs", 0, false, -EACCES, NULL},
    {"../ escape", "../outside.txt", 0, false, -EACCES, NULL},
    {"a/../../ escape", "dir/../../outside.txt", 0, false, -EACCES, NULL},
    {"absolute /etc/passwd", "/etc/passwd", 0, false, -EACCES, NULL},
    {"absolute /", "/", 0, false, -EACCES, NULL},
    {"<root>/file accepted (dnsmasq)", "/file.bin", 0, true, 0, "hello world"},
    {"<root>/dir/sub.txt accepted", "/dir/sub.txt", 0, true, 0, "sub"},
    {"<root>/../ escape", "/../outside.txt", 0, true, -EACCES, NULL},
    {"<root>x/ is not the root", "x/file.bin", 0, true, -EACCES, NULL},
    {"<root> alone", "", 0, true, -EACCES, NULL},
    {"empty", "", 0, false, -EINVAL, NULL},
    {"control character", "file\001.bin", 0, false, -EINVAL, NULL},
    {"embedded NUL", "file.bin\0x", 10, false, -EINVAL, NULL},
    {"newline", "file.bin\n", 0, false, -EINVAL, NULL},
    {"256 bytes", NULL, 256, false, -ENAMETOOLONG, NULL},
    {"255 bytes (allowed, missing)", NULL, 255, false, -ENOENT, NULL},
};

static void test_get(void)
{
	struct bs_cache *c;

	setup_tree();
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (size_t i = 0; i < BS_ARRAY_SIZE(get_cases); i++) {
		const struct get_case *t = &get_cases[i];
		char path[512];
		size_t len = t->len || !t->path ? t->len : strlen(t->path);
		struct bs_file *f = NULL;
		int err;

		fprintf(stderr, "  case: %s\n", t->desc);
		if (!t->path) {
			memset(path, 'a', len);
		} else if (t->under_root) {
			snprintf(path, sizeof(path), "%s%s", root, t->path);
			len = strlen(path);
		} else {
			memcpy(path, t->path, len);
		}
		err = bs_cache_get(c, path, len, &f);
		CU_ASSERT_EQUAL(err, t->err);
		if (err == 0 && t->err == 0) {
			CU_ASSERT_EQUAL(f->size, strlen(t->content));
			if (f->size) {
				CU_ASSERT(memcmp(f->data, t->content, f->size) == 0);
			} else {
				CU_ASSERT_PTR_NULL(f->data);
			}
			bs_cache_put(c, f);
		} else if (err == 0) {
			bs_cache_put(c, f);
		}
	}
	bs_cache_free(c);
	teardown_tree();
}

static void test_new_errors(void)
{
	char p[256];

	setup_tree();
	snprintf(p, sizeof(p), "%s/nope", tmp);
	errno = 0;
	CU_ASSERT_PTR_NULL(bs_cache_new(p, NULL));
	CU_ASSERT_EQUAL(errno, ENOENT);
	snprintf(p, sizeof(p), "%s/file.bin", root);
	errno = 0;
	CU_ASSERT_PTR_NULL(bs_cache_new(p, NULL));
	CU_ASSERT_EQUAL(errno, ENOTDIR);
	teardown_tree();
}

/* ---- sharing, replacement, eviction -------------------------------------- */

static void test_hits_and_refs(void)
{
	struct bs_file *a, *b;
	struct bs_cache *c;
	char withslash[256];

	setup_tree();
	/* A root given with a trailing slash still matches "<root>/x". */
	snprintf(withslash, sizeof(withslash), "%s/", root);
	c = bs_cache_new(withslash, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &a), 0);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &b), 0);
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_EQUAL(cstat(c, "cache_misses"), 1);
	CU_ASSERT_EQUAL(cstat(c, "cache_hits"), 1);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 1);
	CU_ASSERT_EQUAL(cstat(c, "cache_bytes_mapped"), 11);
	bs_cache_put(c, a);
	bs_cache_put(c, b);
	/* Unreferenced but kept: the next get is a hit. */
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 1);
	snprintf(withslash, sizeof(withslash), "%s/file.bin", root);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, withslash, strlen(withslash), &a), 0);
	CU_ASSERT_EQUAL(cstat(c, "cache_hits"), 2);
	bs_cache_put(c, a);
	bs_cache_free(c);
	teardown_tree();
}

/* A holder keeps the old mapping; a new get sees the renamed-in file. */
static void test_replace_by_rename(void)
{
	struct bs_file *old, *old2, *neu;
	struct bs_cache *c;
	char from[256], to[256];

	setup_tree();
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &old), 0);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &old2), 0);
	write_file(root, ".file.bin.new", "new contents, longer");
	snprintf(from, sizeof(from), "%s/.file.bin.new", root);
	snprintf(to, sizeof(to), "%s/file.bin", root);
	CU_ASSERT_EQUAL_FATAL(rename(from, to), 0);

	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &neu), 0);
	CU_ASSERT_PTR_NOT_EQUAL(old, neu);
	CU_ASSERT_EQUAL(neu->size, 20);
	CU_ASSERT(memcmp(neu->data, "new contents, longer", 20) == 0);
	CU_ASSERT_EQUAL(old->size, 11);
	CU_ASSERT(memcmp(old->data, "hello world", 11) == 0);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 2);
	CU_ASSERT_EQUAL(cstat(c, "cache_bytes_mapped"), 31);
	bs_cache_put(c, old);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 2); /* old2 still holds it */
	CU_ASSERT(memcmp(old2->data, "hello world", 11) == 0);
	bs_cache_put(c, old2);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 1); /* unmapped at last put */
	CU_ASSERT_EQUAL(cstat(c, "cache_bytes_mapped"), 20);
	bs_cache_put(c, neu);
	/* Replaced while nobody held it: dropped at the next get. */
	write_file(root, ".file.bin.new", "third");
	CU_ASSERT_EQUAL_FATAL(rename(from, to), 0);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "file.bin", 8, &neu), 0);
	CU_ASSERT_EQUAL(neu->size, 5);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 1);
	bs_cache_put(c, neu);
	bs_cache_free(c);
	teardown_tree();
}

/* More idle files than the bound: the least recently used are unmapped. */
static void test_lru_bound(void)
{
	struct bs_cache *c;
	struct bs_file *f;
	char name[32];

	setup_tree();
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		write_file(root, name, "x");
	}
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, name, 4, &f), 0);
		bs_cache_put(c, f);
	}
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 256);
	CU_ASSERT_EQUAL(cstat(c, "cache_misses"), 300);
	/* f299 is recent (hit); f000 was evicted (miss). */
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "f299", 4, &f), 0);
	bs_cache_put(c, f);
	CU_ASSERT_EQUAL(cstat(c, "cache_hits"), 1);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, "f000", 4, &f), 0);
	bs_cache_put(c, f);
	CU_ASSERT_EQUAL(cstat(c, "cache_misses"), 301);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 256);
	bs_cache_free(c);
	teardown_tree();
}

/* Opt-in dnsmasq behaviour: other absolute names resolve under the root. */
static void test_abs_under_root(void)
{
	/* clang-format off */
	static const struct {
		const char *path;
		int err;
	} cases[] = {
		{ "/file.bin", 0 },
		{ "//dir/sub.txt", 0 },
		{ "/etc/passwd", -ENOENT },       /* <root>/etc/passwd */
		{ "/../outside.txt", -EACCES },   /* still confined */
		{ "/link-out", -EACCES },
		{ "/", -EISDIR },
		{ "///", -EISDIR },
	};
	/* clang-format on */
	struct bs_cache *c;

	setup_tree();
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(bs_cache_get(c, "/file.bin", 9, &(struct bs_file *){NULL}), -EACCES);
	bs_cache_set_abs_under_root(c, true);
	for (size_t i = 0; i < BS_ARRAY_SIZE(cases); i++) {
		struct bs_file *f = NULL;
		int err = bs_cache_get(c, cases[i].path, strlen(cases[i].path), &f);

		fprintf(stderr, "  case: %s\n", cases[i].path);
		CU_ASSERT_EQUAL(err, cases[i].err);
		if (err == 0)
			bs_cache_put(c, f);
	}
	bs_cache_free(c);
	teardown_tree();
}

/* Root "/": every absolute name is "under the root". */
static void test_slash_root(void)
{
	struct bs_cache *c;
	struct bs_file *f;
	char p[256];

	setup_tree();
	c = bs_cache_new("/", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	snprintf(p, sizeof(p), "%s/file.bin", root);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, p, strlen(p), &f), 0);
	CU_ASSERT_EQUAL(f->size, 11);
	bs_cache_put(c, f);
	CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, p + 1, strlen(p + 1), &f), 0);
	bs_cache_put(c, f);
	CU_ASSERT_EQUAL(cstat(c, "cache_hits"), 1);
	bs_cache_free(c);
	teardown_tree();
}

/* ---- the TFTP adapter ---------------------------------------------------- */

static struct bs_udp_meta rrq_meta(uint16_t cport)
{
	return (struct bs_udp_meta){.ifindex = 1,
				    .src_ip = 0x0a000005u,
				    .dst_ip = 0x0a000001u,
				    .src_port = cport,
				    .dst_port = TFTP_PORT,
				    .if_addr = 0x0a000001u};
}

struct tftp_cache_case {
	const char *desc;
	const char *name; /* "@" is replaced by the root */
	int code;	  /* -1: DATA expected */
};

static const struct tftp_cache_case tftp_cases[] = {
    {"plain name", "file.bin", -1},
    {"<root>/name", "@/file.bin", -1},
    {"missing -> 1", "nothere", TFTP_ERR_NOTFOUND},
    {"symlink out -> 2", "link-out", TFTP_ERR_ACCESS},
    {"../ -> 2", "../outside.txt", TFTP_ERR_ACCESS},
    {"/etc/passwd -> 2", "/etc/passwd", TFTP_ERR_ACCESS},
    {"directory -> 2", "dir", TFTP_ERR_ACCESS},
};

static void test_tftp_adapter(void)
{
	struct tftp_config cfg = {.max_transfers = 4, .port_lo = 5000, .port_hi = 5010};
	struct tftp_files files;
	struct tftp_server *srv;
	struct bs_cache *c;
	struct txcap cap;

	setup_tree();
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	bs_cache_tftp_files(c, &files);
	srv = tftp_server_new(&cfg, &files, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	txcap_init(&cap);
	for (size_t i = 0; i < BS_ARRAY_SIZE(tftp_cases); i++) {
		const struct tftp_cache_case *t = &tftp_cases[i];
		struct bs_udp_meta m = rrq_meta((uint16_t)(2000 + i));
		uint8_t pkt[512];
		size_t n = 2;
		const struct txcap_pkt *p;

		fprintf(stderr, "  case: %s\n", t->desc);
		put_be16(pkt, TFTP_OP_RRQ);
		n += (size_t)snprintf((char *)pkt + n, 300, "%s%s", t->name[0] == '@' ? root : "",
				      t->name[0] == '@' ? t->name + 1 : t->name) +
		     1;
		memcpy(pkt + n, "octet", 6);
		n += 6;
		CU_ASSERT_EQUAL(tftp_input(srv, &m, pkt, n, 0, &cap.tx), TFTP_OK);
		CU_ASSERT_EQUAL_FATAL(cap.n, 1);
		p = &cap.pkts[0];
		if (t->code < 0) {
			uint8_t ack[4] = {0, TFTP_OP_ACK, 0, 1};

			CU_ASSERT_EQUAL(get_be16(p->data), TFTP_OP_DATA);
			CU_ASSERT_EQUAL(p->len, 4 + 11);
			CU_ASSERT(memcmp(p->data + 4, "hello world", 11) == 0);
			m.dst_port = p->to.src_port;
			tftp_input(srv, &m, ack, 4, 0, &cap.tx);
		} else {
			CU_ASSERT_EQUAL(get_be16(p->data), TFTP_OP_ERROR);
			CU_ASSERT_EQUAL(get_be16(p->data + 2), t->code);
		}
		CU_ASSERT_EQUAL(tftp_active_transfers(srv), 0);
		txcap_reset(&cap);
	}
	/* A transfer still running when the server is freed returns its file. */
	{
		struct bs_udp_meta m = rrq_meta(3000);
		static const uint8_t rrq[] = "\0\1file.bin\0octet";

		tftp_input(srv, &m, rrq, sizeof(rrq), 0, &cap.tx);
		CU_ASSERT_EQUAL(tftp_active_transfers(srv), 1);
	}
	tftp_server_free(srv);
	CU_ASSERT_EQUAL(cstat(c, "cache_files"), 1);
	CU_ASSERT_EQUAL(cstat(c, "cache_hits"), 2);
	txcap_free(&cap);
	bs_cache_free(c);
	teardown_tree();
}

/* ---- cache-size budget, pins, warming ------------------------------------ */

static void write_sized(const char *name, size_t n)
{
	char p[512];
	char *buf = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 'x', n);
	buf[n] = '\0';
	snprintf(p, sizeof(p), "%s", root);
	write_file(p, name, buf);
	free(buf);
}

struct seen {
	char paths[8][32];
	struct bs_cache_file_status st[8];
	unsigned n;
};

static void seen_cb(void *arg, const struct bs_cache_file_status *s)
{
	struct seen *v = arg;

	if (v->n < 8) {
		snprintf(v->paths[v->n], sizeof(v->paths[0]), "%s", s->path);
		v->st[v->n] = *s;
		v->st[v->n].path = v->paths[v->n];
		v->n++;
	}
}

/* The files present, as one letter each, sorted ("ac"). */
static void present(struct bs_cache *c, char *out)
{
	struct seen v = {0};
	size_t k = 0;

	bs_cache_status_foreach(c, 0, seen_cb, &v);
	for (char l = 'a'; l <= 'z'; l++)
		for (unsigned i = 0; i < v.n; i++)
			if (v.paths[i][0] == l && v.paths[i][1] == '\0')
				out[k++] = l;
	out[k] = '\0';
}

/*
 * Steps: "gX" get and put X (1000 bytes each), "hX" get and hold,
 * "rX" put the held X, "wX" warm (pin), "uX" unpin, "B<n>" set the budget.
 */
struct budget_case {
	const char *name;
	uint64_t budget;
	const char *steps[8];
	const char *present;
	uint64_t evictions, pinned_files, pinned_bytes;
};

static const struct budget_case budget_cases[] = {
    {"unlimited: all stay", 0, {"ga", "gb", "gc"}, "abc", 0, 0, 0},
    {"over budget: LRU first", 2500, {"ga", "gb", "gc"}, "bc", 1, 0, 0},
    {"a touch moves it to the front", 2500, {"ga", "gb", "ga", "gc"}, "ac", 1, 0, 0},
    {"in use: never evicted, not counted", 1500, {"ha", "gb", "gc"}, "ac", 1, 0, 0},
    {"held then put: evicted in order", 1500, {"ha", "gb", "ra"}, "a", 1, 0, 0},
    {"pinned: never evicted", 1500, {"wa", "gb", "gc"}, "ac", 1, 1, 1000},
    /* an unpinned file joins the idle list as the most recent */
    {"unpinned: idle again, newest", 1500, {"wa", "gb", "gc", "ua"}, "a", 2, 0, 0},
    {"budget lowered: trimmed at once", 0, {"ga", "gb", "gc", "B1000"}, "c", 2, 0, 0},
    {"warm twice: one pin", 0, {"wa", "wa", "ua"}, "a", 0, 0, 0},
};

static void test_budget(void)
{
	setup_tree();
	write_sized("a", 1000);
	write_sized("b", 1000);
	write_sized("c", 1000);
	for (size_t i = 0; i < sizeof(budget_cases) / sizeof(budget_cases[0]); i++) {
		const struct budget_case *t = &budget_cases[i];
		struct bs_cache *c = bs_cache_new(root, NULL);
		struct bs_file *held[26] = {0};
		char got[27];

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		bs_cache_set_budget(c, t->budget);
		for (int k = 0; k < 8 && t->steps[k]; k++) {
			const char *st = t->steps[k];
			char name[2] = {st[1], '\0'};
			struct bs_file *f;

			switch (st[0]) {
			case 'g':
				CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, name, 1, &f), 0);
				bs_cache_put(c, f);
				break;
			case 'h':
				CU_ASSERT_EQUAL_FATAL(bs_cache_get(c, name, 1, &held[name[0] - 'a']), 0);
				break;
			case 'r':
				bs_cache_put(c, held[name[0] - 'a']);
				held[name[0] - 'a'] = NULL;
				break;
			case 'w':
				CU_ASSERT_EQUAL(bs_cache_warm(c, name, 1, 0), 0);
				break;
			case 'u':
				CU_ASSERT_EQUAL(bs_cache_unpin(c, name, 1), 0);
				break;
			case 'B':
				bs_cache_set_budget(c, strtoull(st + 1, NULL, 10));
				break;
			}
		}
		present(c, got);
		fprintf(stderr, "  case: %s: files \"%s\"\n", t->name, got);
		CU_ASSERT_STRING_EQUAL(got, t->present);
		CU_ASSERT_EQUAL(cstat(c, "cache_evictions"), t->evictions);
		CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), t->pinned_files);
		CU_ASSERT_EQUAL(cstat(c, "cache_pinned_bytes"), t->pinned_bytes);
		for (int k = 0; k < 26; k++)
			if (held[k])
				bs_cache_put(c, held[k]);
		bs_cache_unpin_all(c);
		bs_cache_free(c);
	}
	teardown_tree();
}

/* Out of the page cache: only this file's clean pages. */
static void evict(const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	fd = open(p, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	fdatasync(fd);
	CU_ASSERT_EQUAL(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
}

/* Resident bytes of a file, seen through a mapping of our own. */
static uint64_t file_resident(const char *name)
{
	static unsigned char vec[(64u << 20) / 4096];
	long ps = sysconf(_SC_PAGESIZE);
	char p[512];
	struct stat st;
	uint64_t res = 0;
	void *m;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	fd = open(p, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(fstat(fd, &st) == 0);
	CU_ASSERT_FATAL(st.st_size > 0 && (size_t)st.st_size / (size_t)ps < sizeof(vec));
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	CU_ASSERT_FATAL(m != MAP_FAILED);
	CU_ASSERT_FATAL(mincore(m, (size_t)st.st_size, vec) == 0);
	for (off_t i = 0; i * ps < st.st_size; i++)
		if (vec[i] & 1)
			res += (uint64_t)(st.st_size - i * ps < ps ? st.st_size - i * ps : ps);
	munmap(m, (size_t)st.st_size);
	return res;
}

static void test_warm(void)
{
	const size_t size = 3u << 20, quota = 1u << 20;
	struct bs_cache *c;
	struct seen v = {0};
	struct bs_file *f;
	char p[512];
	int steps = 0;

	setup_tree();
	write_sized("w.bin", size);
	evict("w.bin");
	snprintf(p, sizeof(p), "%s/w.bin", root);

	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(bs_cache_warm_step(c, quota, 0)); /* nothing to do */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "nope", 4, 0), -ENOENT);
	CU_ASSERT_EQUAL(bs_cache_warm(c, "../outside.txt", 14, 0), -EACCES);
	CU_ASSERT_EQUAL(bs_cache_warm(c, "w.bin", 5, 1000), 0);
	CU_ASSERT_EQUAL(bs_cache_warm(c, "empty", 5, 1000), 0);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 2);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_bytes"), size);

	/* Newest first: "empty" is done in one step. */
	CU_ASSERT_TRUE(bs_cache_warm_step(c, quota, 1001));
	/* Then w.bin, a quota per step: not done before it reached the end. */
	CU_ASSERT_TRUE(bs_cache_warm_step(c, quota, 1002));
	CU_ASSERT_TRUE(bs_cache_warm_step(c, quota, 1003));
	bs_cache_status_foreach(c, 1003, seen_cb, &v);
	for (unsigned i = 0; i < v.n; i++)
		if (strcmp(v.paths[i], "w.bin") == 0) {
			CU_ASSERT_TRUE(v.st[i].pinned);
			CU_ASSERT_TRUE(v.st[i].warming);
			CU_ASSERT_FALSE(v.st[i].done);
			CU_ASSERT_EQUAL(v.st[i].refs, 0); /* the pin is not a transfer */
		} else if (strcmp(v.paths[i], "empty") == 0) {
			CU_ASSERT_TRUE(v.st[i].done);
			CU_ASSERT_EQUAL(v.st[i].percent, 100);
		}
	/* The third quota reaches the end; reads may still be in flight. */
	while (bs_cache_warm_step(c, quota, 2000) && steps < 100000) {
		steps++;
		if (steps % 100 == 0)
			usleep(1000);
	}
	CU_ASSERT(steps < 100000);
	v.n = 0;
	bs_cache_status_foreach(c, 3000, seen_cb, &v);
	for (unsigned i = 0; i < v.n; i++)
		if (strcmp(v.paths[i], "w.bin") == 0) {
			CU_ASSERT_TRUE(v.st[i].done);
			CU_ASSERT_FALSE(v.st[i].warming);
			CU_ASSERT_EQUAL(v.st[i].resident, size);
			CU_ASSERT_EQUAL(v.st[i].percent, 100);
			/* 1000 .. 2000 and the time the last step took */
			CU_ASSERT(v.st[i].warm_ms >= 1000 && v.st[i].warm_ms < 2000);
			CU_ASSERT_EQUAL(v.st[i].rate_bps, (uint64_t)size * 1000 / v.st[i].warm_ms);
		}
	CU_ASSERT(cstat(c, "cache_resident_bytes") >= size);

	/* A transfer holds it too: unpinning leaves it to the transfer. */
	CU_ASSERT_EQUAL(bs_cache_get(c, "w.bin", 5, &f), 0);
	CU_ASSERT_EQUAL(bs_cache_unpin(c, "w.bin", 5), 0);
	CU_ASSERT_EQUAL(bs_cache_unpin(c, "w.bin", 5), -ENOENT);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 1);
	bs_cache_put(c, f);

	/* A pinned file replaced by rename(): the pin moves to the new
	   version with the next open; the old one is freed. */
	{
		char tmpname[600];

		CU_ASSERT_EQUAL(bs_cache_warm(c, "w.bin", 5, 4000), 0);
		snprintf(tmpname, sizeof(tmpname), "%s/w.new", root);
		write_file(root, "w.new", "new version");
		CU_ASSERT_EQUAL(rename(tmpname, p), 0);
		CU_ASSERT_EQUAL(bs_cache_get(c, "w.bin", 5, &f), 0);
		CU_ASSERT_EQUAL(f->size, 11);
		bs_cache_put(c, f);
		CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 2);
		CU_ASSERT_EQUAL(cstat(c, "cache_pinned_bytes"), 11);
		CU_ASSERT_EQUAL(bs_cache_unpin(c, "w.bin", 5), 0);
		CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 1); /* "empty" */
	}
	bs_cache_unpin_all(c);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 0);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_bytes"), 0);
	bs_cache_free(c);
	teardown_tree();
}

/* ---- the warm thread ----------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct find_status {
	const char *path;
	struct bs_cache_file_status s;
	bool found;
};

static void find_cb(void *arg, const struct bs_cache_file_status *s)
{
	struct find_status *f = arg;

	if (strcmp(s->path, f->path) == 0) {
		f->s = *s;
		f->found = true;
	}
}

static struct bs_cache_file_status status_of(struct bs_cache *c, const char *path)
{
	struct find_status f = {.path = path};

	bs_cache_status_foreach(c, now_ms(), find_cb, &f);
	CU_ASSERT(f.found);
	return f.s;
}

/* Until the thread has nothing left to warm (at most 20 s). */
static bool wait_idle(struct bs_cache *c)
{
	struct seen v;

	for (int i = 0; i < 4000; i++) {
		bool busy = false;

		v.n = 0;
		bs_cache_status_foreach(c, now_ms(), seen_cb, &v);
		for (unsigned k = 0; k < v.n; k++)
			busy |= v.st[k].warming;
		if (!busy)
			return true;
		usleep(5000);
	}
	return false;
}

/* Evicted, warmed by the thread: all of it resident, done. */
static void warm_evicted(struct bs_cache *c, const char *name, uint64_t size, const char *how)
{
	struct bs_cache_file_status s;
	uint64_t before = cstat(c, "cache_warm_bytes");

	evict(name);
	/* Only a file system that drops clean pages on request shows a warm
	   (not tmpfs): the test needs one. */
	CHECK(how, file_resident(name) < size / 2);
	CHECK(how, bs_cache_warm(c, name, strlen(name), now_ms()) == 0);
	CHECK(how, wait_idle(c));
	s = status_of(c, name);
	fprintf(stderr, "  %s: %llu/%llu bytes in %llu ms\n", how, (unsigned long long)s.resident,
		(unsigned long long)s.size, (unsigned long long)s.warm_ms);
	CHECK(how, s.done && !s.warming && s.pinned);
	CHECK(how, s.resident == size && s.percent == 100);
	CHECK(how, s.refs == 0); /* the thread's reference is gone */
	CHECK(how, file_resident(name) == size);
	CHECK(how, cstat(c, "cache_warm_bytes") - before >= size / 2);
}

/*
 * Each case its own file, evicted before: a file the cache has warmed once
 * cannot be evicted while mapped (the warm maps its pages into our page
 * tables, and DONTNEED skips mapped pages).
 */
static void test_warm_thread(void)
{
	const uint64_t size = 16u << 20;
	struct bs_cache_file_status s;
	struct bs_cache *c;
	char p[512], q[512];

	setup_tree();
	for (const char *n = "tpraboqe"; *n; n++) {
		char name[8] = {*n, '.', 'b', 'i', 'n', '\0'};

		write_sized(name, size);
		evict(name);
	}
	c = bs_cache_new(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* queued before the thread runs: waits for it */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "t.bin", 5, now_ms()), 0);
	usleep(20000);
	s = status_of(c, "t.bin");
	CU_ASSERT(s.warming && !s.done);
	CU_ASSERT_EQUAL(bs_cache_warm_start(c), 0);
	CU_ASSERT_EQUAL(bs_cache_warm_start(c), 0); /* once */
	CU_ASSERT(wait_idle(c));
	s = status_of(c, "t.bin");
	CU_ASSERT(s.done && s.percent == 100);

	warm_evicted(c, "p.bin", size, "MADV_POPULATE_READ");
	bs_cache_warm_set_readahead(c, true);
	warm_evicted(c, "r.bin", size, "readahead()");
	bs_cache_warm_set_readahead(c, false);

	/* Unpinned while it reads: the thread's reference is the last,
	   the entry goes idle when it puts it. */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "a.bin", 5, now_ms()), 0);
	CU_ASSERT_EQUAL(bs_cache_unpin(c, "a.bin", 5), 0);
	CU_ASSERT(wait_idle(c));
	usleep(50000); /* a chunk being read when it was unpinned */
	s = status_of(c, "a.bin");
	CU_ASSERT(!s.pinned && !s.warming && s.refs == 0);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 3); /* t p r */

	/* Replaced by rename() while it reads: the pin moves to the new
	   version with the next open, which is warmed in turn; the old
	   entry is freed by the thread's put (ASan: no leak, no use after). */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "b.bin", 5, now_ms()), 0);
	snprintf(p, sizeof(p), "%s/o.bin", root);
	snprintf(q, sizeof(q), "%s/b.bin", root);
	CU_ASSERT_EQUAL(rename(p, q), 0);
	{
		struct bs_file *f;

		CU_ASSERT_EQUAL(bs_cache_get(c, "b.bin", 5, &f), 0);
		bs_cache_put(c, f);
	}
	CU_ASSERT(wait_idle(c));
	s = status_of(c, "b.bin");
	CU_ASSERT(s.pinned && s.done && s.percent == 100);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 4);

	/* Warmed again while it reads: restarts from the first byte (the
	   chunk in flight is not published), ends at 100%. */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "q.bin", 5, now_ms()), 0);
	CU_ASSERT_EQUAL(bs_cache_warm(c, "q.bin", 5, now_ms()), 0);
	CU_ASSERT(wait_idle(c));
	s = status_of(c, "q.bin");
	CU_ASSERT(s.done && s.percent == 100);
	CU_ASSERT_EQUAL(cstat(c, "cache_pinned_files"), 5);

	/* Freed while it reads: the thread is stopped and joined first. */
	CU_ASSERT_EQUAL(bs_cache_warm(c, "e.bin", 5, now_ms()), 0);
	bs_cache_unpin_all(c);
	bs_cache_free(c);
	teardown_tree();
}

/*
 * A file truncated under its mapping (rewritten in place, which the cache
 * cannot prevent), pinned before: MADV_POPULATE_READ fails with EFAULT
 * past the new end, the warm stops there with a warning; readahead() finds
 * nothing to read there, and the passes without progress end it. Both end
 * as done below 100%, and nothing touches those pages (no SIGBUS).
 */
static void capture_log(void *arg, int prio, const char *msg)
{
	(void)prio;
	snprintf(arg, 256, "%s", msg);
}

static void test_warm_truncated(void)
{
	const uint64_t size = 8u << 20;
	char logged[256] = "", p[512];
	struct bs_log log = {capture_log, logged, LOG_DEBUG};
	struct bs_cache_file_status s;
	struct bs_cache *c;

	for (int readahead = 0; readahead <= 1; readahead++) {
		const char *how = readahead ? "readahead()" : "MADV_POPULATE_READ";

		setup_tree();
		write_sized("x.bin", size);
		c = bs_cache_new(root, &log);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		bs_cache_warm_set_readahead(c, readahead);
		logged[0] = '\0';
		CHECK(how, bs_cache_warm(c, "x.bin", 5, now_ms()) == 0); /* queued */
		snprintf(p, sizeof(p), "%s/x.bin", root);
		CHECK(how, truncate(p, (off_t)size / 2) == 0);
		CHECK(how, bs_cache_warm_start(c) == 0);
		CHECK(how, wait_idle(c));
		s = status_of(c, "x.bin");
		fprintf(stderr, "  %s: %u%% in %llu ms, log \"%s\"\n", how, s.percent,
			(unsigned long long)s.warm_ms, logged);
		CHECK(how, s.size == size && s.pinned);
		CHECK(how, s.done && !s.warming && s.percent <= 50);
		if (!readahead)
			CHECK(how, strstr(logged, "cache warm x.bin: Bad address") != NULL);
		bs_cache_free(c);
		teardown_tree();
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"lookups: confinement, types, names", test_get},
	    {"bs_cache_new errors", test_new_errors},
	    {"hits, misses, shared references", test_hits_and_refs},
	    {"replace by rename keeps old mapping for holders", test_replace_by_rename},
	    {"idle entries bounded, LRU", test_lru_bound},
	    {"opt-in: absolute names under the root", test_abs_under_root},
	    {"root /", test_slash_root},
	    {"TFTP server over the cache", test_tftp_adapter},
	    {"cache-size: budget eviction, refs and pins protect", test_budget},
	    {"warming: steps advance, then done", test_warm},
	    {"warm thread: evicted to resident, unpin, replace, free", test_warm_thread},
	    {"warm of a file truncated under its mapping", test_warm_truncated},
	    {NULL, NULL},
	};

	return unit_run("cache", tests);
}
