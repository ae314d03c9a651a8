/* SPDX-License-Identifier: MIT */
/* iPXE scripts per host (see ipxe_script.h). */
#include "ipxe_script.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hostact.h"
#include "util/bytes.h"

const struct ipxe_boot *ipxe_select(const struct ipxe_boot *v, size_t n, bs_tagset tags)
{
	for (size_t i = 0; i < n; i++)
		if (bs_tagexpr_match(&v[i].match, tags))
			return &v[i];
	return NULL;
}

bool ipxe_boot_from_act(const struct hostact *a, struct ipxe_boot *out)
{
	memset(out, 0, sizeof(*out));
	switch (a->kind) {
	case HOSTACT_LOCAL:
	case HOSTACT_IGNORE:
		out->kind = IPXE_BOOT_LOCAL;
		return true;
	case HOSTACT_INSTALL:
		break;
	default:
		return false;
	}
	if (a->kernel[0]) {
		out->kind = IPXE_BOOT_KERNEL;
		snprintf(out->kernel, sizeof(out->kernel), "%s", a->kernel);
		snprintf(out->cmdline, sizeof(out->cmdline), "%s", a->cmdline);
		if (a->initrd[0]) {
			snprintf(out->initrd[0], sizeof(out->initrd[0]), "%s", a->initrd);
			out->ninitrd = 1;
		}
	} else {
		out->kind = IPXE_BOOT_CHAIN;
		snprintf(out->kernel, sizeof(out->kernel), "%s",
			 a->script[0] ? a->script : a->file);
	}
	return true;
}

struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static bool host_ok(const char *h, size_t n)
{
	if (!h || n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == ':' || c == '-' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

/* A URL stays; a path gets http://host/ in front (when host is usable). */
static void put_url(struct out *o, const char *path, const char *host, size_t host_len)
{
	if (strstr(path, "://") || !host_ok(host, host_len)) {
		put(o, "%s", path);
		return;
	}
	put(o, "http://%.*s%s%s", (int)host_len, host, path[0] == '/' ? "" : "/", path);
}

size_t ipxe_render(const struct ipxe_boot *b, const char *host, size_t host_len, char *out,
		   size_t cap)
{
	struct out o = {.p = out, .cap = cap};

	if (!out || cap == 0)
		return 0;
	put(&o, "#!ipxe\n");
	if (!b) {
		put(&o, "echo bootstorm: no ipxe-boot entry for this client\nexit\n");
	} else if (b->kind == IPXE_BOOT_LOCAL) {
		put(&o, "exit\n");
	} else if (b->kind == IPXE_BOOT_CHAIN) {
		put(&o, "chain ");
		put_url(&o, b->kernel, host, host_len);
		put(&o, "\n");
	} else {
		put(&o, "kernel ");
		put_url(&o, b->kernel, host, host_len);
		if (b->cmdline[0])
			put(&o, " %s", b->cmdline);
		put(&o, "\n");
		for (unsigned i = 0; i < b->ninitrd && i < IPXE_MAX_INITRDS; i++) {
			put(&o, "initrd ");
			put_url(&o, b->initrd[i], host, host_len);
			put(&o, "\n");
		}
		put(&o, "boot\n");
	}
	return o.full ? 0 : o.len;
}

static int parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	size_t i = 0;

	for (int k = 0; k < 6; k++) {
		int h, l;

		if (k > 0) {
			if (i < n && (s[i] == ':' || s[i] == '-'))
				i++;
			else if (i + 2 < n && s[i] == '%' && s[i + 1] == '3' &&
				 (s[i + 2] == 'A' || s[i + 2] == 'a'))
				i += 3;
		}
		if (i + 2 > n)
			return -1;
		h = bs_hex_digit(s[i]);
		l = bs_hex_digit(s[i + 1]);
		if (h < 0 || l < 0)
			return -1;
		mac[k] = (uint8_t)(h << 4 | l);
		i += 2;
	}
	return i == n ? 0 : -1;
}

int ipxe_query_mac(const char *q, size_t n, uint8_t mac[6])
{
	size_t i = 0;

	if (!q)
		return -1;
	while (i < n) {
		size_t e = i;

		while (e < n && q[e] != '&' && q[e] != ';')
			e++;
		if (e - i > 4 && memcmp(q + i, "mac=", 4) == 0)
			return parse_mac(q + i + 4, e - i - 4, mac);
		i = e + 1;
	}
	return -1;
}
