/* SPDX-License-Identifier: MIT */
/* Per-host boot actions (see hostact.h). */
#include "hostact.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/bytes.h"

static const char *const kind_names[HOSTACT_KIND_COUNT] = {
    [HOSTACT_DEFAULT] = "default",
    [HOSTACT_LOCAL] = "local",
    [HOSTACT_INSTALL] = "install",
    [HOSTACT_IGNORE] = "ignore",
};

const char *hostact_kind_name(unsigned kind)
{
	return kind < HOSTACT_KIND_COUNT ? kind_names[kind] : "?";
}

int hostact_kind_parse(const char *name)
{
	/* "image": the same thing said of a machine that is not installed
	   but boots an image every time */
	if (name && strcmp(name, "image") == 0)
		return HOSTACT_INSTALL;
	for (int i = 0; i < HOSTACT_KIND_COUNT; i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The target parts, by name: where each lives in struct hostact. */
static const struct {
	const char *name;
	size_t off, size;
	bool text; /* cmdline: spaces allowed, ".." allowed */
} parts[] = {
    {"file", offsetof(struct hostact, file), HOSTACT_PATH_MAX, false},
    {"script", offsetof(struct hostact, script), HOSTACT_PATH_MAX, false},
    {"kernel", offsetof(struct hostact, kernel), HOSTACT_PATH_MAX, false},
    {"initrd", offsetof(struct hostact, initrd), HOSTACT_PATH_MAX, false},
    {"cmdline", offsetof(struct hostact, cmdline), HOSTACT_CMDLINE_MAX, true},
};

#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static char *part(struct hostact *a, size_t i)
{
	return (char *)a + parts[i].off;
}

static const char *cpart(const struct hostact *a, size_t i)
{
	return (const char *)a + parts[i].off;
}

static int set_part(struct hostact *a, size_t i, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n >= parts[i].size)
		return fail(err, errlen, "%s: at most %zu bytes", parts[i].name, parts[i].size - 1);
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)val[k];

		if (ch < 0x20 || ch >= 0x7f || (ch == ' ' && !parts[i].text))
			return fail(err, errlen, "%s: expected printable ASCII%s", parts[i].name,
				    parts[i].text ? "" : " without spaces");
	}
	/* A path that climbs out of the root is refused by the file servers
	   anyway; refusing it here says so to the operator at once. */
	if (!parts[i].text && strstr(val, ".."))
		return fail(err, errlen, "%s: \"..\" is not allowed in a path", parts[i].name);
	memcpy(part(a, i), val, n + 1);
	return 0;
}

int hostact_set(struct hostact *a, const char *key, const char *val, char *err, size_t errlen)
{
	if (!key || !val)
		return fail(err, errlen, "missing key or value");
	if (strcmp(key, "action") == 0) {
		int k = hostact_kind_parse(val);

		if (k < 0)
			return fail(
			    err, errlen,
			    "action: expected local, install, ignore or default, not \"%.32s\"",
			    val);
		a->kind = (uint8_t)k;
		return 0;
	}
	if (strcmp(key, "once") == 0) {
		if (!strcmp(val, "1") || !strcmp(val, "yes") || !strcmp(val, "true"))
			a->once = true;
		else if (!strcmp(val, "0") || !strcmp(val, "no") || !strcmp(val, "false"))
			a->once = false;
		else
			return fail(err, errlen, "once: expected yes or no");
		return 0;
	}
	for (size_t i = 0; i < NPARTS; i++)
		if (strcmp(key, parts[i].name) == 0)
			return set_part(a, i, val, err, errlen);
	fail(err, errlen,
	     "unknown key \"%.32s\" (action, once, file, script, kernel, initrd, cmdline)", key);
	return -ENOENT;
}

int hostact_check(const struct hostact *a, char *err, size_t errlen)
{
	bool f = a->file[0], s = a->script[0], k = a->kernel[0];

	if (a->kind >= HOSTACT_KIND_COUNT)
		return fail(err, errlen, "unknown action %u", a->kind);
	if (a->kind != HOSTACT_INSTALL) {
		for (size_t i = 0; i < NPARTS; i++)
			if (cpart(a, i)[0])
				return fail(err, errlen, "%s takes no target (%s=)",
					    kind_names[a->kind], parts[i].name);
		if (a->once)
			return fail(err, errlen, "once goes with install only");
		return 0;
	}
	if (f + s + k != 1)
		return fail(err, errlen,
			    "install: expected one target: file=, script= or kernel= "
			    "(with initrd=, cmdline=)");
	if (!k && (a->initrd[0] || a->cmdline[0]))
		return fail(err, errlen, "install: initrd= and cmdline= go with kernel=");
	return 0;
}

const char *hostact_final(const struct hostact *a)
{
	if (a->initrd[0])
		return a->initrd;
	if (a->kernel[0])
		return a->kernel;
	if (a->file[0])
		return a->file;
	return a->script;
}

bool hostact_path_is(const char *p, const char *path, size_t len)
{
	const char *s = strstr(p, "://");
	size_t n;

	if (s) {
		p = strchr(s + 3, '/'); /* past the host */
		if (!p)
			return false;
	}
	while (*p == '/')
		p++;
	n = strcspn(p, "?#");
	while (len && *path == '/') {
		path++;
		len--;
	}
	return n > 0 && n == len && memcmp(p, path, n) == 0;
}

static void to_local(struct hostact *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = HOSTACT_LOCAL;
}

bool hostact_delivered(struct hostact *a, const char *path, size_t len)
{
	if (a->kind != HOSTACT_INSTALL || !a->once || !path)
		return false;
	if (!hostact_path_is(hostact_final(a), path, len))
		return false;
	to_local(a);
	return true;
}

bool hostact_done(struct hostact *a)
{
	if (a->kind != HOSTACT_INSTALL || !a->once)
		return false;
	to_local(a);
	return true;
}

static bool needs_escape(unsigned char ch)
{
	return ch <= 0x20 || ch >= 0x7f || ch == '%';
}

size_t bs_kv_escape(const char *src, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		if (n + 4 > cap)
			return 0;
		if (needs_escape(*s)) {
			out[n++] = '%';
			out[n++] = hex[*s >> 4];
			out[n++] = hex[*s & 15];
		} else {
			out[n++] = (char)*s;
		}
	}
	if (n + 1 > cap)
		return 0;
	out[n] = '\0';
	return n;
}

int bs_kv_unescape(const char *src, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)src[i];

		if (ch == '%') {
			int h = i + 2 < n ? bs_hex_digit(src[i + 1]) : -1;
			int l = i + 2 < n ? bs_hex_digit(src[i + 2]) : -1;

			if (h < 0 || l < 0)
				return -EINVAL;
			ch = h << 4 | l;
			i += 2;
		}
		if (ch == 0 || o + 1 >= cap)
			return -EINVAL;
		out[o++] = (char)ch;
	}
	if (o >= cap)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

/* " key=escaped" appended at *n; false when it does not fit. */
static bool put_kv(char *out, size_t cap, size_t *n, const char *key, const char *val)
{
	int k = snprintf(out + *n, cap - *n, "%s%s=", *n ? " " : "", key);
	size_t e;

	if (k < 0 || (size_t)k >= cap - *n)
		return false;
	*n += (size_t)k;
	e = bs_kv_escape(val, out + *n, cap - *n);
	if (!e && val[0])
		return false;
	*n += e;
	return true;
}

size_t hostact_format(const struct hostact *a, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return 0;
	out[0] = '\0';
	if (!put_kv(out, cap, &n, "action", hostact_kind_name(a->kind)))
		return 0;
	if (a->once && !put_kv(out, cap, &n, "once", "1"))
		return 0;
	for (size_t i = 0; i < NPARTS; i++)
		if (cpart(a, i)[0] && !put_kv(out, cap, &n, parts[i].name, cpart(a, i)))
			return 0;
	return n;
}

const struct bs_hostsnap_entry *bs_hostsnap_find(const struct bs_hostsnap *s, const uint8_t mac[6])
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s->e[mid].host.mac, mac, 6);

		if (c == 0)
			return &s->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
