/* SPDX-License-Identifier: MIT */
/*
 * bootstormctl: the operator's client of the control socket
 * (docs/control.md). One request, one response; tables for people by
 * default, the raw response line with --json.
 *
 * Exit status: 0 ok, 1 the server answered with an error (or config check
 * found errors), 2 usage or connection errors.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/config.h" /* BS_CONTROL_SOCKET_DEFAULT */
#include "control/ctl.h"    /* limits */
#include "control/json.h"

#define TIMEOUT_MS 30000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bootstormctl [-s SOCKET] [--json] COMMAND\n"
		"commands:\n"
		"  status                      version, uptime, backend, counts\n"
		"  stats                       every counter\n"
		"  leases [--mac M] [--ip A]   active leases\n"
		"  lease release IP            free a lease (written to the journal)\n"
		"  reload                      re-read the configuration (as SIGHUP)\n"
		"  config check FILE           check a config file; nothing is applied\n"
		"  hosts                       known hosts: dhcp-host lines + run-time hosts,\n"
		"                              with their boot actions\n"
		"  host add MAC [ip=A] [name=N] [tags=T1,T2]\n"
		"  host set MAC [ip=A] [name=N] [tags=T1,T2]   (empty value: none)\n"
		"  host del MAC                forget a host's run-time state\n"
		"  host action MAC local|ignore|default\n"
		"  host action MAC install [once] file=F | script=URL |\n"
		"                              kernel=K [initrd=I] [cmdline=C]\n"
		"  host done MAC               as an installer's GET /done: once -> local\n"
		"  cache warm [--wait] PATH..  pin files and read them into memory\n"
		"  cache status                cached files: size, resident, pinned, warming\n"
		"  cache unpin PATH|'*'        drop a pin (the file may then be evicted)\n"
		"  events [--mac M] [--types T] client events as they happen, until Ctrl-C\n"
		"options:\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -j, --json          print the server's JSON response as is\n",
		BS_CONTROL_SOCKET_DEFAULT);
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bootstormctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* Connect and send req + '\n': *fd, or an exit code (message printed). */
static int connect_send(const char *path, const char *req, size_t reqlen, int *fdp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t off = 0;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return die("%s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"bootstormctl: %s: %s (is bootstorm running? -s names the socket)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	while (off < reqlen + 1) {
		const char *p = off < reqlen ? req + off : "\n";
		size_t n = off < reqlen ? reqlen - off : 1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return die("send: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	*fdp = fd;
	return 0;
}

/* Send req + '\n', read one line into *resp (NUL-terminated). 0 or exit code. */
static int exchange(const char *path, const char *req, size_t reqlen, char **resp, size_t *rlen)
{
	size_t cap = 65536, len = 0;
	char *buf;
	int fd = -1, rc = connect_send(path, req, reqlen, &fd);

	if (rc)
		return rc;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return die("%s", "out of memory");
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		char *nl;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > BS_CTL_MAX_RESPONSE + 1) {
				free(buf);
				close(fd);
				return die("%s", "response too large");
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return die("%s", "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		if (poll(&pfd, 1, TIMEOUT_MS) == 0) {
			free(buf);
			close(fd);
			return die("%s", "no response within 30 s");
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return die("%s",
				   n ? strerror(errno) : "connection closed without a response");
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			len = (size_t)(nl - buf);
			break;
		}
	}
	close(fd);
	buf[len] = '\0';
	*resp = buf;
	*rlen = len;
	return 0;
}

static int64_t num(const struct bs_json *o, const char *key)
{
	const struct bs_json *v = bs_json_get(o, key);

	if (!v || v->type != BS_JSON_NUMBER)
		return 0;
	return v->is_int ? v->i : (int64_t)v->num;
}

static bool flag(const struct bs_json *o, const char *key)
{
	const struct bs_json *v = bs_json_get(o, key);

	return v && v->type == BS_JSON_TRUE;
}

static const char *str(const struct bs_json *o, const char *key)
{
	const char *s = bs_json_get_str(o, key);

	return s ? s : "";
}

/* Text from the network goes to a terminal: no control characters. */
static void put_clean(const char *s, int width)
{
	int n = 0;

	for (; *s; s++, n++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	for (; n < width; n++)
		putchar(' ');
}

static void duration(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

static void print_diags(const struct bs_json *r)
{
	const struct bs_json *d = bs_json_get(r, "diagnostics");

	for (const struct bs_json *g = d ? d->child : NULL; g; g = g->next) {
		put_clean(str(g, "file"), 0);
		if (num(g, "line"))
			printf(":%lld", (long long)num(g, "line"));
		printf(": %s: ", str(g, "level"));
		put_clean(str(g, "message"), 0);
		putchar('\n');
	}
}

static void print_status(const struct bs_json *r)
{
	char up[32];

	duration(num(r, "uptime"), up, sizeof(up));
	printf("version           %s\n", str(r, "version"));
	printf("pid               %lld\n", (long long)num(r, "pid"));
	printf("uptime            %s\n", up);
	printf("backend           %s\n", str(r, "backend"));
	printf("config            %s\n", *str(r, "config") ? str(r, "config") : "(none)");
	if (bs_json_get(r, "dhcp") && bs_json_get(r, "dhcp")->type == BS_JSON_TRUE)
		printf("leases            %lld of %lld\n", (long long)num(r, "leases"),
		       (long long)num(r, "leases_max"));
	else
		printf("leases            DHCP off\n");
	printf("tftp transfers    %lld\n", (long long)num(r, "tftp_transfers"));
	printf("http connections  %lld\n", (long long)num(r, "http_connections"));
}

static void print_stats(const struct bs_json *r)
{
	const struct bs_json *s = bs_json_get(r, "stats");

	for (const struct bs_json *v = s ? s->child : NULL; v; v = v->next) {
		put_clean(v->key, 40);
		if (v->type == BS_JSON_NUMBER && v->is_int)
			printf(" %lld\n", (long long)v->i);
		else
			printf(" %.0f\n", v->num);
	}
}

static void print_leases(const struct bs_json *r)
{
	const struct bs_json *l = bs_json_get(r, "leases");
	int64_t now = num(r, "now");

	printf("%-15s  %-17s  %-8s  %-9s  %s\n", "IP", "MAC", "STATE", "EXPIRES", "HOSTNAME");
	for (const struct bs_json *e = l ? l->child : NULL; e; e = e->next) {
		char exp[32] = "never";

		if (num(e, "expires"))
			duration(num(e, "expires") - now, exp, sizeof(exp));
		put_clean(str(e, "ip"), 15);
		printf("  ");
		put_clean(str(e, "mac"), 17);
		printf("  %-8s  %-9s  ", str(e, "state"), exp);
		put_clean(str(e, "hostname"), 0);
		putchar('\n');
	}
}

static void print_action(const struct bs_json *e)
{
	static const char *const target[] = {"file", "script", "kernel", "initrd", "cmdline"};
	const char *a = str(e, "action");

	if (strcmp(a, "default") == 0 || !*a) {
		printf("%s", flag(e, "ignore") ? "ignore (config)" : "-");
		return;
	}
	put_clean(a, 0);
	if (flag(e, "once"))
		printf(" once");
	for (size_t i = 0; i < sizeof(target) / sizeof(target[0]); i++)
		if (*str(e, target[i])) {
			printf(" %s=", target[i]);
			put_clean(str(e, target[i]), 0);
		}
}

static void print_hosts(const struct bs_json *r)
{
	const struct bs_json *h = bs_json_get(r, "hosts");

	printf("%-17s  %-15s  %-20s  %-12s  %s\n", "MAC", "IP", "HOSTNAME", "TAGS", "ACTION");
	for (const struct bs_json *e = h ? h->child : NULL; e; e = e->next) {
		const struct bs_json *tags = bs_json_get(e, "tags");
		char tl[256] = "-";
		size_t n = 0;

		put_clean(str(e, "mac"), 17);
		printf("  ");
		put_clean(*str(e, "ip") ? str(e, "ip") : "-", 15);
		printf("  ");
		put_clean(*str(e, "hostname") ? str(e, "hostname") : "-", 20);
		printf("  ");
		for (const struct bs_json *t = tags ? tags->child : NULL; t; t = t->next)
			if (t->type == BS_JSON_STRING && n < sizeof(tl))
				n += (size_t)snprintf(tl + n, sizeof(tl) - n, "%s%s", n ? "," : "",
						      t->str);
		put_clean(tl, 12);
		printf("  ");
		print_action(e);
		putchar('\n');
	}
}

/* ---- host add/set/del/action/done ---- */

/*
 * The request for "host SUB MAC WORD..." into w: 0, or 2 with the reason
 * on stderr. Words are key=value (the server checks the values), plus
 * the action name and "once" for host action.
 */
static int host_request(int argc, char **argv, struct bs_jw *w)
{
	static const struct {
		const char *sub, *cmd, *keys;
	} subs[] = {
	    {"add", "host-add", " ip name tags "},
	    {"set", "host-set", " ip name tags "},
	    {"del", "host-del", " "},
	    {"done", "host-done", " "},
	    {"action", "host-action", " file script kernel initrd cmdline "},
	};
	int s = -1, i = 2;

	for (int k = 0; argc >= 2 && k < (int)(sizeof(subs) / sizeof(subs[0])); k++)
		if (strcmp(argv[0], subs[k].sub) == 0)
			s = k;
	if (s < 0)
		return usage(stderr), 2;
	bs_jw_kstr(w, "cmd", subs[s].cmd);
	bs_jw_kstr(w, "mac", argv[1]);
	if (strcmp(subs[s].sub, "action") == 0) {
		if (argc < 3)
			return die("host action: expected local, ignore, default or install");
		bs_jw_kstr(w, "action", argv[2]);
		i = 3;
	}
	for (; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char key[16];

		if (strcmp(argv[i], "once") == 0 && strcmp(subs[s].sub, "action") == 0) {
			bs_jw_kstr(w, "once", "yes");
			continue;
		}
		snprintf(key, sizeof(key), " %.*s ", eq ? (int)(eq - argv[i]) : 0, argv[i]);
		if (!eq || eq == argv[i] || !strstr(subs[s].keys, key))
			return die(
			    "host %s: unexpected \"%s\" (expected%s%s)", subs[s].sub, argv[i],
			    strcmp(subs[s].keys, " ") ? " KEY=VALUE, KEY one of" : " nothing more",
			    strcmp(subs[s].keys, " ") ? subs[s].keys : "");
		key[strlen(key) - 1] = '\0';
		bs_jw_kstr(w, key + 1, eq + 1);
	}
	return 0;
}

/* ---- cache warm / status / unpin ---- */

static int cache_request(const char *sock, bool raw, struct bs_jw *w, struct bs_json_doc **doc,
			 const struct bs_json **r)
{
	static const struct bs_json_limits lim = {
	    .max_len = BS_CTL_MAX_RESPONSE, .max_depth = 8, .max_nodes = 8u << 20};
	char *resp = NULL, err[200];
	size_t rlen = 0;
	const struct bs_json *ok;
	int rc;

	if (w->failed)
		return die("%s", "request too long");
	rc = exchange(sock, w->p, w->len, &resp, &rlen);
	if (rc)
		return rc;
	if (raw) {
		fwrite(resp, 1, rlen, stdout);
		putchar('\n');
	}
	rc = bs_json_parse(resp, rlen, &lim, doc, err, sizeof(err));
	free(resp);
	if (rc < 0)
		return die("bad response: %s", err);
	*r = bs_json_root(*doc);
	ok = bs_json_get(*r, "ok");
	if (!ok || ok->type != BS_JSON_TRUE) {
		fprintf(stderr, "bootstormctl: %s\n",
			*str(*r, "error") ? str(*r, "error") : "the server answered with an error");
		return 1;
	}
	return 0;
}

static void print_cache_file(const struct bs_json *f)
{
	printf("%-32s %12lld %12lld %3lld%% %8.1f MB/s refs %lld%s%s%s\n", str(f, "path"),
	       (long long)num(f, "size"), (long long)num(f, "resident"),
	       (long long)num(f, "percent"), (double)num(f, "rate_bps") / 1e6,
	       (long long)num(f, "refs"), flag(f, "pinned") ? " pinned" : "",
	       flag(f, "warming") ? " warming" : "", flag(f, "done") ? " done" : "");
}

/* A status path is relative to the root; the operator may have named it
   as "<root>/path". */
static bool same_file(const char *status_path, const char *arg)
{
	size_t a = strlen(arg), s = strlen(status_path);

	return strcmp(status_path, arg) == 0 ||
	       (a > s && arg[a - s - 1] == '/' && strcmp(arg + a - s, status_path) == 0);
}

static int cache_main(const char *sock, bool json, int argc, char **argv)
{
	struct bs_json_doc *doc = NULL;
	const struct bs_json *r, *files;
	struct bs_jw w;
	bool wait = false;
	int rc, i = 1;

	if (argc < 1)
		return usage(stderr), 2;
	bs_jw_init(&w, BS_CTL_MAX_LINE);
	bs_jw_obj(&w);
	if (strcmp(argv[0], "warm") == 0) {
		if (i < argc && strcmp(argv[i], "--wait") == 0)
			wait = true, i++;
		if (i >= argc)
			return usage(stderr), 2;
		bs_jw_kstr(&w, "cmd", "cache-warm");
		bs_jw_key(&w, "paths");
		bs_jw_arr(&w);
		for (int k = i; k < argc; k++)
			bs_jw_str(&w, argv[k]);
		bs_jw_arr_end(&w);
	} else if (strcmp(argv[0], "status") == 0 && argc == 1) {
		bs_jw_kstr(&w, "cmd", "cache-status");
	} else if (strcmp(argv[0], "unpin") == 0 && argc == 2) {
		bs_jw_kstr(&w, "cmd", "cache-unpin");
		bs_jw_kstr(&w, "path", argv[1]);
	} else {
		return usage(stderr), 2;
	}
	bs_jw_obj_end(&w);
	rc = cache_request(sock, json, &w, &doc, &r);
	bs_jw_free(&w);
	if (rc || json)
		goto out;
	files = bs_json_get(r, "files");
	if (strcmp(argv[0], "warm") == 0) {
		for (const struct bs_json *f = files ? files->child : NULL; f; f = f->next)
			if (*str(f, "error"))
				fprintf(stderr, "bootstormctl: %s: %s\n", str(f, "path"),
					str(f, "error"));
			else if (!wait)
				printf("warming %s\n", str(f, "path"));
	} else if (strcmp(argv[0], "unpin") == 0) {
		printf("unpinned %s\n", str(r, "unpinned"));
	} else {
		printf("%-32s %12s %12s %4s %13s\n", "PATH", "SIZE", "RESIDENT", "%", "RATE");
		for (const struct bs_json *f = files ? files->child : NULL; f; f = f->next)
			print_cache_file(f);
	}
	/* Polled every 50 ms, so that --wait returns soon after the warm
	   ends (scripts time it); progress printed every 200 ms and at the
	   end. */
	for (unsigned tick = 1; wait; tick++) {
		struct timespec ts = {0, 50 * 1000000};
		bool all = true, show = tick % 4 == 0;

		bs_json_free(doc);
		doc = NULL;
		nanosleep(&ts, NULL);
		bs_jw_init(&w, 256);
		bs_jw_obj(&w);
		bs_jw_kstr(&w, "cmd", "cache-status");
		bs_jw_obj_end(&w);
		rc = cache_request(sock, false, &w, &doc, &r);
		bs_jw_free(&w);
		if (rc)
			goto out;
		files = bs_json_get(r, "files");
		for (int pass = 0; pass < 2; pass++) /* 0: all done? 1: print */
			for (int k = i; k < argc && (pass == 0 || show || all); k++) {
				const struct bs_json *hit = NULL;

				for (const struct bs_json *f = files ? files->child : NULL; f;
				     f = f->next)
					if (same_file(str(f, "path"), argv[k]))
						hit = f;
				if (!hit)
					continue; /* could not be opened (reported above) */
				if (pass == 0) {
					all = all && flag(hit, "done");
					continue;
				}
				printf("%s: %lld/%lld bytes (%lld%%) %.1f MB/s%s\n", argv[k],
				       (long long)num(hit, "resident"), (long long)num(hit, "size"),
				       (long long)num(hit, "percent"),
				       (double)num(hit, "rate_bps") / 1e6,
				       flag(hit, "done") ? " done" : "");
			}
		fflush(stdout);
		if (all)
			break;
	}
out:
	bs_json_free(doc);
	return rc;
}

/* ---- events: a stream of lines until the server or Ctrl-C ends it ---- */

static void print_event(const struct bs_json *e)
{
	const char *ev = str(e, "event");
	time_t t = (time_t)(num(e, "time_ms") / 1000);
	struct tm tm;
	char ts[16];

	if (strcmp(ev, "lost") == 0) {
		printf("-- %lld events lost (this client could not keep up) --\n",
		       (long long)num(e, "count"));
		return;
	}
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&t, &tm));
	printf("%s.%03lld  ", ts, (long long)(num(e, "time_ms") % 1000));
	put_clean(*str(e, "mac") ? str(e, "mac") : "-", 17);
	putchar(' ');
	put_clean(*str(e, "ip") ? str(e, "ip") : "-", 15);
	putchar(' ');
	put_clean(ev, 14);
	putchar(' ');
	put_clean(str(e, "file"), 0);
	if (bs_json_get(e, "total") && strncmp(ev, "tftp-", 5) == 0) {
		int64_t b = num(e, "bytes"), tot = num(e, "total");

		printf("  %lld/%lld bytes (%lld%%)", (long long)b, (long long)tot,
		       (long long)(tot ? b * 100 / tot : 100));
	} else if (bs_json_get(e, "bytes")) {
		printf("  %lld bytes", (long long)num(e, "bytes"));
	}
	if (bs_json_get(e, "status"))
		printf("  status %lld", (long long)num(e, "status"));
	if (bs_json_get(e, "arch"))
		printf("  arch %lld", (long long)num(e, "arch"));
	if (flag(e, "proxy"))
		printf("  proxy");
	if (flag(e, "bootsrv"))
		printf("  boot-server");
	putchar('\n');
}

/* The first line answers the request; every further one is an event. */
static int events_line(const char *line, size_t len, bool raw, bool first)
{
	static const struct bs_json_limits lim = {
	    .max_len = BS_CTL_MAX_LINE, .max_depth = 4, .max_nodes = 256};
	struct bs_json_doc *doc = NULL;
	const struct bs_json *r, *ok;
	char err[200];
	int rc = 0;

	if (bs_json_parse(line, len, &lim, &doc, err, sizeof(err)) < 0)
		return die("bad line from the server: %s", err);
	r = bs_json_root(doc);
	ok = bs_json_get(r, "ok");
	if (first && (!ok || ok->type != BS_JSON_TRUE)) {
		fprintf(stderr, "bootstormctl: %s\n",
			*str(r, "error") ? str(r, "error") : "the server answered with an error");
		rc = 1;
	} else if (raw && !first) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else if (!first) {
		print_event(r);
	}
	bs_json_free(doc);
	return rc;
}

static int events_main(const char *sock, bool raw, const char *mac, const char *types)
{
	struct bs_jw w;
	char *buf = malloc(BS_CTL_MAX_LINE + 1);
	size_t len = 0;
	bool first = true;
	int fd = -1, rc;

	if (!buf)
		return die("%s", "out of memory");
	setvbuf(stdout, NULL, _IOLBF, 0); /* each event as it comes, also into a pipe */
	bs_jw_init(&w, BS_CTL_MAX_LINE);
	bs_jw_obj(&w);
	bs_jw_kstr(&w, "cmd", "events");
	if (mac)
		bs_jw_kstr(&w, "mac", mac);
	if (types)
		bs_jw_kstr(&w, "types", types);
	bs_jw_obj_end(&w);
	rc = w.failed ? die("%s", "request too long") : connect_send(sock, w.p, w.len, &fd);
	bs_jw_free(&w);
	while (!rc) {
		ssize_t n = recv(fd, buf + len, BS_CTL_MAX_LINE - len, 0);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = die("%s", n ? strerror(errno) : "the server closed the stream");
			break;
		}
		len += (size_t)n;
		while (!rc && (nl = memchr(buf, '\n', len))) {
			rc = events_line(buf, (size_t)(nl - buf), raw, first);
			first = false;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == BS_CTL_MAX_LINE)
			rc = die("%s", "line too long from the server");
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

struct cli_opts {
	const char *sock, *mac, *ip, *types;
	bool json;
};

/*
 * Options before the command word, and (leases) after it. Returns -1 to go
 * on, else the exit status. help: whether -h prints the usage (before the
 * command word) or is a usage error (after it).
 */
static int parse_opts(int argc, char **argv, struct cli_opts *o, bool help)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"mac", required_argument, NULL, 'm'},
	    {"ip", required_argument, NULL, 'i'},
	    {"types", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sock = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'm':
			o->mac = optarg;
			break;
		case 'i':
			o->ip = optarg;
			break;
		case 't':
			o->types = optarg;
			break;
		case 'h':
			if (help) {
				usage(stdout);
				return 0;
			}
			/* fall through */
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct bs_json_limits lim = {
	    .max_len = BS_CTL_MAX_RESPONSE, .max_depth = 8, .max_nodes = 8u << 20};
	struct cli_opts o = {.sock = BS_CONTROL_SOCKET_DEFAULT};
	const char *sock, *mac, *ip, *cmd, *hostsub = "";
	char path[PATH_MAX], err[200];
	struct bs_json_doc *doc = NULL;
	const struct bs_json *r, *ok, *valid;
	struct bs_jw w;
	char *resp = NULL;
	size_t rlen = 0;
	bool json;
	int rc;

	rc = parse_opts(argc, argv, &o, true);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	/* leases and events take their filters after the command word too */
	if ((strcmp(cmd, "leases") == 0 || strcmp(cmd, "events") == 0) &&
	    (rc = parse_opts(argc, argv, &o, false)) >= 0)
		return rc;
	if (strcmp(cmd, "events") == 0) {
		if (optind < argc) {
			usage(stderr);
			return 2;
		}
		return events_main(o.sock, o.json, o.mac, o.types);
	}
	sock = o.sock;
	mac = o.mac;
	ip = o.ip;
	json = o.json;
	if (strcmp(cmd, "cache") == 0)
		return cache_main(sock, json, argc - optind, argv + optind);
	bs_jw_init(&w, BS_CTL_MAX_LINE);
	bs_jw_obj(&w);
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "stats") == 0 || strcmp(cmd, "reload") == 0 ||
	    strcmp(cmd, "hosts") == 0) {
		bs_jw_kstr(&w, "cmd", cmd);
	} else if (strcmp(cmd, "leases") == 0) {
		bs_jw_kstr(&w, "cmd", cmd);
		if (mac)
			bs_jw_kstr(&w, "mac", mac);
		if (ip)
			bs_jw_kstr(&w, "ip", ip);
	} else if (strcmp(cmd, "lease") == 0 && argc - optind == 2 &&
		   strcmp(argv[optind], "release") == 0) {
		bs_jw_kstr(&w, "cmd", "lease-release");
		bs_jw_kstr(&w, "ip", argv[optind + 1]);
		optind += 2;
	} else if (strcmp(cmd, "host") == 0) {
		hostsub = optind < argc ? argv[optind] : "";
		rc = host_request(argc - optind, argv + optind, &w);
		if (rc)
			return rc;
		optind = argc;
	} else if (strcmp(cmd, "config") == 0 && argc - optind == 2 &&
		   strcmp(argv[optind], "check") == 0) {
		/* The server has its own working directory. */
		if (!realpath(argv[optind + 1], path))
			return die("%s: cannot resolve the path", argv[optind + 1]);
		bs_jw_kstr(&w, "cmd", "config-check");
		bs_jw_kstr(&w, "file", path);
		optind += 2;
	} else {
		usage(stderr);
		return 2;
	}
	if (optind < argc && strcmp(cmd, "leases") != 0) {
		usage(stderr);
		return 2;
	}
	bs_jw_obj_end(&w);
	if (w.failed)
		return die("%s", "request too long");
	rc = exchange(sock, w.p, w.len, &resp, &rlen);
	bs_jw_free(&w);
	if (rc)
		return rc;
	if (bs_json_parse(resp, rlen, &lim, &doc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bootstormctl: bad response: %s\n", err);
		free(resp);
		return 2;
	}
	r = bs_json_root(doc);
	ok = bs_json_get(r, "ok");
	valid = bs_json_get(r, "valid");
	rc = ok && ok->type == BS_JSON_TRUE ? 0 : 1;
	if (!rc && valid && valid->type == BS_JSON_FALSE)
		rc = 1;
	if (json) {
		fwrite(resp, 1, rlen, stdout);
		putchar('\n');
	} else if (!ok || ok->type != BS_JSON_TRUE) {
		print_diags(r);
		fprintf(stderr, "bootstormctl: %s\n",
			*str(r, "error") ? str(r, "error") : "the server answered with an error");
	} else if (strcmp(cmd, "status") == 0) {
		print_status(r);
	} else if (strcmp(cmd, "stats") == 0) {
		print_stats(r);
	} else if (strcmp(cmd, "leases") == 0) {
		print_leases(r);
	} else if (strcmp(cmd, "hosts") == 0) {
		print_hosts(r);
	} else if (strcmp(cmd, "lease") == 0) {
		printf("released %s\n", str(r, "released"));
	} else if (strcmp(cmd, "host") == 0) {
		printf("host %s %s: ok%s\n", hostsub, str(r, "mac"),
		       bs_json_get(r, "changed")
			   ? (flag(r, "changed") ? ", action is local now" : ", nothing to finish")
			   : "");
	} else if (strcmp(cmd, "reload") == 0) {
		print_diags(r);
		printf("reloaded %s\n", str(r, "config"));
	} else if (strcmp(cmd, "config") == 0) {
		print_diags(r);
		printf("%s: %lld errors, %lld warnings%s\n", path, (long long)num(r, "errors"),
		       (long long)num(r, "warnings"), rc ? "" : ": OK");
	}
	bs_json_free(doc);
	free(resp);
	return rc;
}
