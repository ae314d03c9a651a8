/* SPDX-License-Identifier: MIT */
/*
 * The part of an iPXE script a booting client acts on: `kernel` and
 * `initrd` (also spelled imgfetch/module: files to fetch) and `chain` (the
 * next script or loader). Other commands (echo, dhcp, boot, set, ...) are
 * ignored; `exit` ends the script. Image options (--name x) are skipped,
 * arguments after the URL are the kernel's command line. A relative URL is
 * resolved against the script's own URL, ${net0/mac} and ${mac} are
 * expanded as iPXE does. Pure: no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "storm.h"

/* expand ${net0/mac} / ${mac} into buf */
static int expand(const char *in, size_t len, const uint8_t mac[6], char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
			const char *e = memchr(in + i, '}', len - i);
			size_t vl;

			if (!e)
				return -EINVAL;
			vl = (size_t)(e - (in + i + 2));
			if (!((vl == 8 && !memcmp(in + i + 2, "net0/mac", 8)) ||
			      (vl == 3 && !memcmp(in + i + 2, "mac", 3))))
				return -EINVAL; /* a setting we do not have */
			if (o + 18 > cap)
				return -ENOSPC;
			o += (size_t)snprintf(out + o, cap - o, "%02x:%02x:%02x:%02x:%02x:%02x",
					      mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			i = (size_t)(e - in) + 1;
			continue;
		}
		if (o + 1 >= cap)
			return -ENOSPC;
		out[o++] = in[i++];
	}
	out[o] = 0;
	return 0;
}

/* RFC 3986 5.2.4: drop "." and ".." segments of the path in place (up to
 * its query), as iPXE does when it resolves a relative URL */
static void remove_dots(char *path)
{
	size_t q = strcspn(path, "?#"), o = 0, i = 0;
	char tail[STORM_URL_MAX];

	snprintf(tail, sizeof(tail), "%s", path + q);
	while (i < q) {
		size_t e = i + 1;

		while (e < q && path[e] != '/')
			e++;
		/* the segment is path[i+1 .. e) after the '/' at i */
		if (e - i == 2 && path[i + 1] == '.') {
			if (e == q)
				path[o++] = '/';
		} else if (e - i == 3 && path[i + 1] == '.' && path[i + 2] == '.') {
			while (o > 0 && path[--o] != '/')
				;
			if (e == q)
				path[o++] = '/';
		} else {
			memmove(path + o, path + i, e - i);
			o += e - i;
		}
		i = e;
	}
	memcpy(path + o, tail, strlen(tail) + 1); /* o <= q: it fits where it was */
}

int storm_url_resolve(const char *base, const char *ref, size_t ref_len, const uint8_t mac[6],
		      char out[STORM_URL_MAX])
{
	char r[STORM_URL_MAX];
	const char *host, *slash;
	size_t keep;
	int err = expand(ref, ref_len, mac, r, sizeof(r));

	if (err)
		return err;
	if (strstr(r, "://")) {
		snprintf(out, STORM_URL_MAX, "%s", r);
		return 0;
	}
	host = strstr(base, "://");
	if (!host)
		return -EINVAL;
	host += 3;
	if (r[0] == '/') {
		slash = strchr(host, '/');
		keep = slash ? (size_t)(slash - base) : strlen(base);
	} else {
		/* the script's directory: up to its last '/' before any query */
		size_t q = strcspn(base, "?#");

		slash = NULL;
		for (const char *p = host; p < base + q; p++)
			if (*p == '/')
				slash = p;
		keep = slash ? (size_t)(slash - base) + 1 : strlen(base);
	}
	if (keep + strlen(r) + 2 > STORM_URL_MAX)
		return -ENOSPC;
	snprintf(out, STORM_URL_MAX, "%.*s%s%s", (int)keep, base,
		 r[0] != '/' && base[keep - 1] != '/' ? "/" : "", r);
	slash = strchr(strstr(out, "://") + 3, '/');
	if (slash)
		remove_dots((char *)slash);
	return 0;
}

static const char *word(const char **p, const char *end, size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *e = s;

	while (e < end && *e != ' ' && *e != '\t')
		e++;
	*p = e;
	*len = (size_t)(e - s);
	return s;
}

int storm_ipxe_parse(const char *script, size_t len, const char *base, const uint8_t mac[6],
		     struct storm_ipxe *out)
{
	const char *p = script, *end = script + len;

	memset(out, 0, sizeof(*out));
	if (len < 6 || memcmp(script, "#!ipxe", 6))
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *cur = p, *cmd, *arg;
		size_t cl, al;
		int err = 0;

		p = nl ? nl + 1 : end;
		if (le > cur && le[-1] == '\r')
			le--;
		cmd = word(&cur, le, &cl);
		if (cl == 0 || cmd[0] == '#' || cmd[0] == ':')
			continue;
		if (cl == 4 && !memcmp(cmd, "exit", 4))
			break;
		bool fetch = (cl == 6 && (!memcmp(cmd, "kernel", 6) || !memcmp(cmd, "initrd", 6) ||
					  !memcmp(cmd, "module", 6))) ||
			     (cl == 8 && !memcmp(cmd, "imgfetch", 8));
		bool chain = cl == 5 && !memcmp(cmd, "chain", 5);

		if (!fetch && !chain)
			continue;
		/* image options come before the URL; --name and --timeout
		 * (-n, -t) take a value */
		for (;;) {
			arg = word(&cur, le, &al);
			if (!al || arg[0] != '-')
				break;
			if ((al == 6 && !memcmp(arg, "--name", 6)) ||
			    (al == 9 && !memcmp(arg, "--timeout", 9)) ||
			    (al == 2 && (arg[1] == 'n' || arg[1] == 't')))
				word(&cur, le, &al);
		}
		if (!al)
			return -EINVAL;
		if (chain) {
			err = storm_url_resolve(base, arg, al, mac, out->chain);
			out->has_chain = !err;
		} else if (out->nfiles < BS_ARRAY_SIZE(out->files)) {
			err = storm_url_resolve(base, arg, al, mac, out->files[out->nfiles]);
			out->nfiles += !err;
		} else {
			err = -ENOSPC;
		}
		if (err)
			return err;
		if (chain)
			break; /* iPXE does not come back from a chain */
	}
	return 0;
}
