/* SPDX-License-Identifier: MIT */
/* The host registry and its state file (see hosts.h). */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fdio.h"

/* Run-time state of one MAC: an added host, changed fields, an action. */
struct hostrec {
	uint8_t mac[6];
	bool added; /* host add: host del removes it */
	struct bs_host_fields f;
	struct hostact act;
};

struct bs_hosts {
	char path[PATH_MAX];
	const struct bs_policy *pol;
	const struct bs_log *log;
	struct hostrec *v;
	size_t n;
	struct bs_hostsnap *snap;
	uint64_t gen;
	bs_hosts_publish_fn publish;
	void *publish_arg;
	bs_hosts_store_fn store;
	void *store_arg;
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int bs_parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	char sep[5], end;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep[0], &v[1], &sep[1], &v[2],
		   &sep[2], &v[3], &sep[3], &v[4], &sep[4], &v[5], &end) != 11)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (sep[i] != sep[0] || (sep[0] != ':' && sep[0] != '-'))
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static bool word_char(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr(extra, c);
}

int bs_host_check_tags(const char *tags, char *err, size_t errlen)
{
	size_t n = strlen(tags), word = 0;

	if (n >= BS_HOST_TAGS_MAX)
		return fail(err, errlen, -EINVAL, "tags: at most %d bytes", BS_HOST_TAGS_MAX - 1);
	for (size_t i = 0; i <= n; i++) {
		if (tags[i] == ',' || tags[i] == '\0') {
			if (!word && n)
				return fail(err, errlen, -EINVAL, "tags: empty tag name");
			word = 0;
		} else if (!word_char(tags[i], "_-.")) {
			return fail(err, errlen, -EINVAL,
				    "tags: expected names of letters, digits, '_', '-', '.' "
				    "separated by commas");
		} else {
			word++;
		}
	}
	return 0;
}

int bs_host_check_name(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n > 63)
		return fail(err, errlen, -EINVAL, "name: at most 63 characters");
	for (size_t i = 0; i < n; i++)
		if (!word_char(name[i], "_-"))
			return fail(err, errlen, -EINVAL,
				    "name: expected a host name (letters, digits, '-', '_')");
	return 0;
}

/* ---- lookups ---- */

static const struct bs_host *conf_host(const struct bs_policy *p, const uint8_t mac[6])
{
	for (size_t i = 0; p && i < p->nhosts; i++)
		if (memcmp(p->hosts[i].mac, mac, 6) == 0)
			return &p->hosts[i]; /* the first line for a MAC wins, as in DHCP */
	return NULL;
}

static struct hostrec *rec_find(struct hostrec *v, size_t n, const uint8_t mac[6])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(v[i].mac, mac, 6) == 0)
			return &v[i];
	return NULL;
}

static bs_tagset tag_bits(const struct bs_policy *p, const char *tags)
{
	char buf[BS_HOST_TAGS_MAX], *save = NULL;
	bs_tagset s = 0;

	snprintf(buf, sizeof(buf), "%s", tags);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		/* A tag no config line names cannot change any answer. */
		int i = bs_policy_tag_index(p, t);

		if (i >= 0)
			s |= 1ull << i;
	}
	return s;
}

/* ---- the snapshot ---- */

struct merge {
	const struct bs_host *conf;
	const struct hostrec *rec;
	size_t ord;
};

static int merge_cmp(const void *x, const void *y)
{
	const struct merge *a = x, *b = y;
	const uint8_t *ma = a->conf ? a->conf->mac : a->rec->mac;
	const uint8_t *mb = b->conf ? b->conf->mac : b->rec->mac;
	int c = memcmp(ma, mb, 6);

	return c ? c : (a->ord > b->ord) - (a->ord < b->ord);
}

static void snap_entry(const struct bs_policy *p, const struct bs_host *conf,
		       const struct hostrec *rec, struct bs_hostsnap_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (conf)
		e->host = *conf;
	e->host.origin.file = NULL; /* no pointer into control memory */
	if (rec) {
		memcpy(e->host.mac, rec->mac, 6);
		if (rec->f.has_ip)
			e->host.ip = rec->f.ip;
		if (rec->f.has_name)
			memcpy(e->host.hostname, rec->f.name, sizeof(e->host.hostname));
		if (rec->f.has_tags)
			e->host.set = tag_bits(p, rec->f.tags);
		e->act = rec->act;
	}
	/* An action set at run time overrides a config "ignore". */
	e->host.ignore = e->act.kind == HOSTACT_IGNORE ||
			 (e->act.kind == HOSTACT_DEFAULT && conf && conf->ignore);
}

static struct bs_hostsnap *snap_build(const struct bs_policy *p, const struct hostrec *v, size_t n,
				      uint64_t gen)
{
	size_t nc = p ? p->nhosts : 0, m = 0;
	struct merge *mg = calloc(nc + n + 1, sizeof(*mg));
	struct bs_hostsnap *s = calloc(1, sizeof(*s) + (nc + n) * sizeof(s->e[0]));

	if (!mg || !s) {
		free(mg);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < nc; i++)
		mg[m++] = (struct merge){.conf = &p->hosts[i], .ord = i};
	for (size_t i = 0; i < n; i++)
		mg[m++] = (struct merge){.rec = &v[i], .ord = nc + i};
	qsort(mg, m, sizeof(*mg), merge_cmp);
	for (size_t i = 0; i < m;) {
		const struct bs_host *conf = NULL;
		const struct hostrec *rec = NULL;
		size_t j = i;

		/* one run per MAC: its first config line and its record */
		for (; j < m && merge_cmp(&(struct merge){mg[i].conf, mg[i].rec, 0},
					  &(struct merge){mg[j].conf, mg[j].rec, 0}) == 0;
		     j++) {
			if (mg[j].conf && !conf)
				conf = mg[j].conf;
			if (mg[j].rec)
				rec = mg[j].rec;
		}
		snap_entry(p, conf, rec, &s->e[s->n]);
		s->n_once += s->e[s->n].act.kind == HOSTACT_INSTALL && s->e[s->n].act.once;
		s->n++;
		i = j;
	}
	s->generation = gen;
	free(mg);
	return s;
}

/* Build and publish; the old snapshot is freed after the hook swapped it. */
static int publish(struct bs_hosts *h)
{
	struct bs_hostsnap *s = snap_build(h->pol, h->v, h->n, h->gen + 1), *old = h->snap;

	if (!s)
		return -ENOMEM;
	h->gen++;
	h->snap = s;
	if (h->publish)
		h->publish(h->publish_arg, s);
	free(old);
	return 0;
}

/* ---- the state file ---- */

static bool rec_empty(const struct hostrec *r)
{
	return !r->added && !r->f.has_ip && !r->f.has_name && !r->f.has_tags &&
	       r->act.kind == HOSTACT_DEFAULT;
}

static void put_word(FILE *f, const char *key, const char *val)
{
	char esc[3 * BS_HOST_TAGS_MAX + 1];

	if (bs_kv_escape(val, esc, sizeof(esc)) || !val[0])
		fprintf(f, " %s=%s", key, esc);
}

static void write_rec(FILE *f, const struct hostrec *r)
{
	char mac[18], ip[16] = "";
	char act[4 * (HOSTACT_CMDLINE_MAX + 4 * HOSTACT_PATH_MAX)];
	struct in_addr a = {.s_addr = htonl(r->f.ip)};

	mac_str(r->mac, mac);
	fprintf(f, "host %s", mac);
	if (r->added)
		fprintf(f, " added=1");
	if (r->f.has_ip) {
		if (r->f.ip)
			inet_ntop(AF_INET, &a, ip, sizeof(ip));
		fprintf(f, " ip=%s", ip);
	}
	if (r->f.has_name)
		put_word(f, "name", r->f.name);
	if (r->f.has_tags)
		put_word(f, "tags", r->f.tags);
	if (hostact_format(&r->act, act, sizeof(act)))
		fprintf(f, " %s", act);
	fputc('\n', f);
}

static int fsync_dir(const char *path)
{
	char buf[PATH_MAX];
	int fd, rc = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int bs_hosts_write_file(void *arg, const char *path, const char *text, size_t len, char *err,
			size_t errlen)
{
	char tmp[PATH_MAX + 8];
	int fd, rc = 0;

	(void)arg;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		return fail(err, errlen, rc, "hosts file %s: %s", tmp, strerror(-rc));
	}
	rc = bs_write_all(fd, text, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (!rc)
		rc = fsync_dir(path);
	if (rc) {
		unlink(tmp);
		return fail(err, errlen, rc, "hosts file %s: %s", path, strerror(-rc));
	}
	return 0;
}

/* The whole registry as the state file's text, handed to the store hook
   (bs_hosts_write_file unless the dataplane hands it to control). */
static int save(const struct bs_hosts *h, const struct hostrec *v, size_t n, char *err,
		size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return fail(err, errlen, -ENOMEM, "out of memory");
	fprintf(f, "# bootstorm hosts: run-time hosts and boot actions (bootstormctl host ...).\n"
		   "# Rewritten on every change; edit only while bootstorm is stopped.\n");
	for (size_t i = 0; i < n; i++)
		write_rec(f, &v[i]);
	if (fclose(f) != 0) {
		free(text);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	rc = h->store(h->store_arg, h->path, text, len, err, errlen);
	free(text);
	return rc;
}

/* One key=value word of a state file line into r. */
static int load_word(struct hostrec *r, const char *w, char *err, size_t errlen)
{
	const char *eq = strchr(w, '=');
	char key[16], val[HOSTACT_CMDLINE_MAX];
	struct in_addr a;
	int rc;

	if (!eq || eq == w || (size_t)(eq - w) >= sizeof(key))
		return fail(err, errlen, -EINVAL, "expected key=value, not \"%.40s\"", w);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - w), w);
	if (bs_kv_unescape(eq + 1, strlen(eq + 1), val, sizeof(val)) < 0)
		return fail(err, errlen, -EINVAL, "%s: bad %%-escape or too long", key);
	if (strcmp(key, "added") == 0) {
		r->added = strcmp(val, "1") == 0;
		if (!r->added && strcmp(val, "0") != 0)
			return fail(err, errlen, -EINVAL, "added: expected 0 or 1");
	} else if (strcmp(key, "ip") == 0) {
		r->f.has_ip = true;
		if (val[0] && inet_pton(AF_INET, val, &a) != 1)
			return fail(err, errlen, -EINVAL, "ip: expected an IPv4 address");
		r->f.ip = val[0] ? ntohl(a.s_addr) : 0;
	} else if (strcmp(key, "name") == 0) {
		r->f.has_name = true;
		if (bs_host_check_name(val, err, errlen) < 0)
			return -EINVAL;
		snprintf(r->f.name, sizeof(r->f.name), "%.*s", (int)sizeof(r->f.name) - 1, val);
	} else if (strcmp(key, "tags") == 0) {
		r->f.has_tags = true;
		if (bs_host_check_tags(val, err, errlen) < 0)
			return -EINVAL;
		snprintf(r->f.tags, sizeof(r->f.tags), "%.*s", (int)sizeof(r->f.tags) - 1, val);
	} else if ((rc = hostact_set(&r->act, key, val, err, errlen)) < 0) {
		return -EINVAL;
	}
	return 0;
}

static int load_line(struct bs_hosts *h, char *line, char *err, size_t errlen)
{
	char *save = NULL, *w = strtok_r(line, " \t", &save);
	struct hostrec r = {0}, *nv;

	if (!w || w[0] == '#')
		return 0;
	if (strcmp(w, "host") != 0)
		return fail(err, errlen, -EINVAL, "expected \"host MAC key=value...\"");
	w = strtok_r(NULL, " \t", &save);
	if (!w || bs_parse_mac(w, r.mac) < 0)
		return fail(err, errlen, -EINVAL, "expected a MAC address after \"host\"");
	if (rec_find(h->v, h->n, r.mac))
		return fail(err, errlen, -EINVAL, "%s given twice", w);
	while ((w = strtok_r(NULL, " \t", &save)))
		if (load_word(&r, w, err, errlen) < 0)
			return -EINVAL;
	if (hostact_check(&r.act, err, errlen) < 0)
		return -EINVAL;
	nv = realloc(h->v, (h->n + 1) * sizeof(*nv));
	if (!nv)
		return fail(err, errlen, -ENOMEM, "out of memory");
	h->v = nv;
	h->v[h->n++] = r;
	return 0;
}

static int load(struct bs_hosts *h, char *err, size_t errlen)
{
	FILE *f = fopen(h->path, "re");
	char *line = NULL, why[300];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t len;
	int rc = 0;

	if (!f)
		return errno == ENOENT
			   ? 0
			   : fail(err, errlen, -errno, "%s: %s", h->path, strerror(errno));
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (memchr(line, '\0', (size_t)len)) {
			rc = fail(err, errlen, -EINVAL, "%s:%u: NUL byte in the line", h->path,
				  lineno);
			break;
		}
		rc = load_line(h, line, why, sizeof(why));
		if (rc < 0)
			fail(err, errlen, rc, "%s:%u: %s", h->path, lineno, why);
	}
	if (!rc && ferror(f))
		rc = fail(err, errlen, -EIO, "%s: read error", h->path);
	free(line);
	fclose(f);
	return rc;
}

/* ---- public ---- */

int bs_hosts_open(const char *path, const struct bs_policy *pol, const struct bs_log *log,
		  struct bs_hosts **out, char *err, size_t errlen)
{
	struct bs_hosts *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return fail(err, errlen, -ENOMEM, "out of memory");
	if (strlen(path) >= sizeof(h->path)) {
		free(h);
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", path);
	}
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->pol = pol;
	h->log = log;
	h->store = bs_hosts_write_file;
	rc = load(h, err, errlen);
	if (!rc && publish(h) < 0)
		rc = fail(err, errlen, -ENOMEM, "out of memory");
	if (rc) {
		bs_hosts_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void bs_hosts_close(struct bs_hosts *h)
{
	if (!h)
		return;
	free(h->v);
	free(h->snap);
	free(h);
}

void bs_hosts_set_publish(struct bs_hosts *h, bs_hosts_publish_fn fn, void *arg)
{
	h->publish = fn;
	h->publish_arg = arg;
	if (fn)
		fn(arg, h->snap);
}

void bs_hosts_set_store(struct bs_hosts *h, bs_hosts_store_fn fn, void *arg)
{
	h->store = fn ? fn : bs_hosts_write_file;
	h->store_arg = arg;
}

const struct bs_hostsnap *bs_hosts_snapshot(const struct bs_hosts *h)
{
	return h ? h->snap : NULL;
}

const char *bs_hosts_path(const struct bs_hosts *h)
{
	return h->path;
}

int bs_hosts_set_policy(struct bs_hosts *h, const struct bs_policy *pol)
{
	h->pol = pol;
	return publish(h);
}

/*
 * The one way registry changes happen: apply fn to a copy of the records,
 * drop records left empty, save the copy, and only then make it the
 * registry and publish it.
 */
typedef int (*change_fn)(struct bs_hosts *h, struct hostrec *v, size_t *n, const void *arg,
			 char *err, size_t errlen);

static int change(struct bs_hosts *h, change_fn fn, const void *arg, char *err, size_t errlen)
{
	struct hostrec *v = malloc((h->n + 1) * sizeof(*v));
	size_t n = h->n, k = 0;
	int rc;

	if (!v)
		return fail(err, errlen, -ENOMEM, "out of memory");
	if (h->n)
		memcpy(v, h->v, h->n * sizeof(*v));
	rc = fn(h, v, &n, arg, err, errlen);
	for (size_t i = 0; !rc && i < n; i++)
		if (!rec_empty(&v[i]))
			v[k++] = v[i];
	if (!rc)
		rc = save(h, v, k, err, errlen);
	if (rc) {
		free(v);
		return rc;
	}
	free(h->v);
	h->v = v;
	h->n = k;
	if (publish(h) < 0)
		bs_logf(h->log, LOG_ERR,
			"hosts: out of memory: the change is saved but not in use");
	return 0;
}

/* The record for mac in v, created (empty) at the end if it has none. */
static struct hostrec *rec_get(struct hostrec *v, size_t *n, const uint8_t mac[6])
{
	struct hostrec *r = rec_find(v, *n, mac);

	if (r)
		return r;
	r = &v[(*n)++];
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, mac, 6);
	return r;
}

struct fields_arg {
	const uint8_t *mac;
	const struct bs_host_fields *f;
	bool add;
};

static int check_ip_free(const struct bs_hosts *h, const uint8_t mac[6], uint32_t ip, char *err,
			 size_t errlen)
{
	const struct bs_hostsnap *s = h->snap;

	for (size_t i = 0; ip && s && i < s->n; i++)
		if (s->e[i].host.ip == ip && memcmp(s->e[i].host.mac, mac, 6) != 0) {
			char m[18];

			mac_str(s->e[i].host.mac, m);
			return fail(err, errlen, -EEXIST, "ip: reserved for %s already", m);
		}
	return 0;
}

static int do_fields(struct bs_hosts *h, struct hostrec *v, size_t *n, const void *arg, char *err,
		     size_t errlen)
{
	const struct fields_arg *a = arg;
	const struct bs_host_fields *f = a->f;
	bool known = rec_find(v, *n, a->mac) || conf_host(h->pol, a->mac);
	struct hostrec *r;

	if (a->add && known)
		return fail(err, errlen, -EEXIST, "host is known already (host set changes it)");
	if (!a->add && !known)
		return fail(err, errlen, -ENOENT, "no such host (host add adds it)");
	if (f->has_name && bs_host_check_name(f->name, err, errlen) < 0)
		return -EINVAL;
	if (f->has_tags && bs_host_check_tags(f->tags, err, errlen) < 0)
		return -EINVAL;
	if (f->has_ip && check_ip_free(h, a->mac, f->ip, err, errlen) < 0)
		return -EEXIST;
	r = rec_get(v, n, a->mac);
	r->added |= a->add;
	if (f->has_ip) {
		r->f.has_ip = true;
		r->f.ip = f->ip;
	}
	if (f->has_name) {
		r->f.has_name = true;
		memcpy(r->f.name, f->name, sizeof(r->f.name));
	}
	if (f->has_tags) {
		r->f.has_tags = true;
		memcpy(r->f.tags, f->tags, sizeof(r->f.tags));
	}
	return 0;
}

int bs_hosts_add(struct bs_hosts *h, const uint8_t mac[6], const struct bs_host_fields *f,
		 char *err, size_t errlen)
{
	struct fields_arg a = {mac, f, true};

	return change(h, do_fields, &a, err, errlen);
}

int bs_hosts_set(struct bs_hosts *h, const uint8_t mac[6], const struct bs_host_fields *f,
		 char *err, size_t errlen)
{
	struct fields_arg a = {mac, f, false};

	return change(h, do_fields, &a, err, errlen);
}

static int do_del(struct bs_hosts *h, struct hostrec *v, size_t *n, const void *arg, char *err,
		  size_t errlen)
{
	struct hostrec *r = rec_find(v, *n, arg);
	const struct bs_host *c = conf_host(h->pol, arg);

	if (!r && c)
		return fail(err, errlen, -ENOENT,
			    "host comes from %s:%d and has no run-time state: remove its "
			    "dhcp-host line",
			    c->origin.file ? c->origin.file : "the config", c->origin.line);
	if (!r)
		return fail(err, errlen, -ENOENT, "no such host");
	memset(r, 0, sizeof(*r)); /* empty: dropped by change() */
	return 0;
}

int bs_hosts_del(struct bs_hosts *h, const uint8_t mac[6], char *err, size_t errlen)
{
	return change(h, do_del, mac, err, errlen);
}

struct action_arg {
	const uint8_t *mac;
	const struct hostact *act;
};

static int do_action(struct bs_hosts *h, struct hostrec *v, size_t *n, const void *arg, char *err,
		     size_t errlen)
{
	const struct action_arg *a = arg;

	if (!rec_find(v, *n, a->mac) && !conf_host(h->pol, a->mac))
		return fail(err, errlen, -ENOENT, "no such host (host add adds it)");
	if (hostact_check(a->act, err, errlen) < 0)
		return -EINVAL;
	rec_get(v, n, a->mac)->act = *a->act;
	return 0;
}

int bs_hosts_action(struct bs_hosts *h, const uint8_t mac[6], const struct hostact *act, char *err,
		    size_t errlen)
{
	struct action_arg a = {mac, act};

	return change(h, do_action, &a, err, errlen);
}

/* A completion event: the new action persisted and published, or nothing. */
static int complete(struct bs_hosts *h, const uint8_t mac[6], struct hostact *act, const char *why)
{
	char err[300], m[18];
	int rc = bs_hosts_action(h, mac, act, err, sizeof(err));

	mac_str(mac, m);
	if (rc < 0) {
		bs_logf(h->log, LOG_ERR, "hosts: %s: %s: keeping install once (%s)", m, why, err);
		return rc;
	}
	bs_logf(h->log, LOG_INFO, "hosts: %s: %s: action is local now", m, why);
	return 1;
}

int bs_hosts_delivered(struct bs_hosts *h, const uint8_t mac[6], const char *path, size_t len)
{
	const struct bs_hostsnap_entry *e = bs_hostsnap_find(h->snap, mac);
	struct hostact a;
	char why[128];

	if (!e)
		return 0;
	a = e->act;
	if (!hostact_delivered(&a, path, len))
		return 0;
	snprintf(why, sizeof(why), "final file %.*s delivered", (int)(len > 80 ? 80 : len), path);
	return complete(h, mac, &a, why);
}

int bs_hosts_done(struct bs_hosts *h, const uint8_t mac[6])
{
	const struct bs_hostsnap_entry *e = bs_hostsnap_find(h->snap, mac);
	struct hostact a;

	if (!e)
		return -ENOENT;
	a = e->act;
	if (!hostact_done(&a))
		return 0;
	return complete(h, mac, &a, "installer reported done");
}

void bs_hosts_foreach(const struct bs_hosts *h, void (*fn)(void *arg, const struct bs_host_view *v),
		      void *arg)
{
	const struct bs_hostsnap *s = h->snap;

	for (size_t i = 0; s && i < s->n; i++) {
		const struct bs_hostsnap_entry *e = &s->e[i];
		const struct hostrec *r = rec_find(h->v, h->n, e->host.mac);
		const struct bs_host *c = conf_host(h->pol, e->host.mac);
		char tags[BS_HOST_TAGS_MAX] = "";
		struct bs_host_view v = {
		    .mac = e->host.mac,
		    .ip = e->host.ip,
		    .hostname = e->host.hostname,
		    .tags = tags,
		    .ignore = e->host.ignore,
		    .lease_secs = e->host.lease_secs,
		    .conf = c,
		    .runtime = r != NULL,
		    .act = &e->act,
		};

		if (r && r->f.has_tags) {
			v.tags = r->f.tags;
		} else {
			size_t n = 0;

			for (unsigned t = 0; h->pol && t < h->pol->ntags && t < BS_TAG_MAX; t++)
				if ((e->host.set >> t) & 1 && h->pol->tag_names[t] &&
				    n < sizeof(tags))
					n += (size_t)snprintf(tags + n, sizeof(tags) - n, "%s%s",
							      n ? "," : "", h->pol->tag_names[t]);
		}
		fn(arg, &v);
	}
}
