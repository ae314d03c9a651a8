/* SPDX-License-Identifier: MIT */
#include "dhcp_wire.h"

#include <errno.h>
#include <string.h>

#include "../util/bytes.h"

static bool in_cat(const struct dhcp_msg *m, const uint8_t *p)
{
	/* Compare as integers: relational operators on unrelated pointers are UB. */
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)m->cat;

	return a >= b && a < b + sizeof(m->cat);
}

/*
 * Record one option instance. A code seen again is concatenated with the
 * earlier instances (RFC 3396); the result is copied into m->cat, which is
 * bounded, so a packet of 1-byte fragments cannot make this grow.
 */
static int opt_record(struct dhcp_msg *m, uint8_t code, const uint8_t *d, size_t l)
{
	uint64_t bit = 1ull << (code & 63);
	const uint8_t *old;
	size_t oldlen;

	if (!(m->present[code >> 6] & bit)) {
		m->present[code >> 6] |= bit;
		m->opt[code].data = d;
		m->opt[code].len = (uint16_t)l;
		return 0;
	}
	old = m->opt[code].data;
	oldlen = m->opt[code].len;
	if (in_cat(m, old) && old + oldlen == m->cat + m->catlen) {
		/* Already the last thing in cat[]: append in place. */
		if (l > sizeof(m->cat) - m->catlen)
			return -EBADMSG;
		memcpy(m->cat + m->catlen, d, l);
		m->catlen += l;
		m->opt[code].len = (uint16_t)(oldlen + l);
		return 0;
	}
	if (oldlen + l > sizeof(m->cat) - m->catlen)
		return -EBADMSG;
	memmove(m->cat + m->catlen, old, oldlen);
	memcpy(m->cat + m->catlen + oldlen, d, l);
	m->opt[code].data = m->cat + m->catlen;
	m->opt[code].len = (uint16_t)(oldlen + l);
	m->catlen += oldlen + l;
	return 0;
}

/*
 * Walk one option area (the options field, or file/sname when overloaded).
 * Does not assume the data is well formed: every length is checked against
 * the area before a byte of the option is read.
 */
static int walk_area(struct dhcp_msg *m, const uint8_t *a, size_t len, bool main_area)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = a[i];
		size_t l;

		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (code == DHO_END)
			return 0;
		if (len - i < 2)
			return -EBADMSG;
		l = a[i + 1];
		if (l > len - i - 2)
			return -EBADMSG;
		if (code == DHO_OVERLOAD) {
			/* Only valid once, in the options field: an overload
			   inside file/sname would make the fields loop. */
			if (!main_area || l != 1 || m->overload || a[i + 2] < 1 || a[i + 2] > 3)
				return -EBADMSG;
			m->overload = a[i + 2];
		}
		if (opt_record(m, code, a + i + 2, l) < 0)
			return -EBADMSG;
		i += 2 + l;
	}
	/* RFC 2131 4.1: the options must be terminated by the end option. */
	return -EBADMSG;
}

int dhcp_msg_decode(struct dhcp_msg *m, const uint8_t *pkt, size_t len)
{
	int err;

	if (len < DHCP_OFF_OPTIONS)
		return -EBADMSG;
	m->op = pkt[DHCP_OFF_OP];
	m->htype = pkt[DHCP_OFF_HTYPE];
	m->hlen = pkt[DHCP_OFF_HLEN];
	m->hops = pkt[DHCP_OFF_HOPS];
	if (m->op != BOOTREQUEST || m->htype != 1 || m->hlen != 6)
		return -EPROTONOSUPPORT;
	if (get_be32(pkt + DHCP_OFF_COOKIE) != DHCP_MAGIC)
		return -EBADMSG;
	m->xid = get_be32(pkt + DHCP_OFF_XID);
	m->secs = get_be16(pkt + DHCP_OFF_SECS);
	m->flags = get_be16(pkt + DHCP_OFF_FLAGS);
	m->ciaddr = get_be32(pkt + DHCP_OFF_CIADDR);
	m->yiaddr = get_be32(pkt + DHCP_OFF_YIADDR);
	m->siaddr = get_be32(pkt + DHCP_OFF_SIADDR);
	m->giaddr = get_be32(pkt + DHCP_OFF_GIADDR);
	memcpy(m->chaddr, pkt + DHCP_OFF_CHADDR, 6);
	m->msgtype = 0;
	m->overload = 0;
	memset(m->present, 0, sizeof(m->present));
	m->catlen = 0;

	err = walk_area(m, pkt + DHCP_OFF_OPTIONS, len - DHCP_OFF_OPTIONS, true);
	if (!err && (m->overload & 1))
		err = walk_area(m, pkt + DHCP_OFF_FILE, DHCP_FILE_LEN, false);
	if (!err && (m->overload & 2))
		err = walk_area(m, pkt + DHCP_OFF_SNAME, DHCP_SNAME_LEN, false);
	if (err)
		return err;

	if (dhcp_opt_has(m, DHO_MSG_TYPE)) {
		if (m->opt[DHO_MSG_TYPE].len != 1)
			return -EBADMSG;
		m->msgtype = m->opt[DHO_MSG_TYPE].data[0];
		if (m->msgtype < DHCPDISCOVER || m->msgtype > DHCP_MSGTYPE_MAX)
			return -EPROTONOSUPPORT;
	}
	return 0;
}

uint32_t dhcp_opt_ip(const struct dhcp_msg *m, uint8_t code)
{
	size_t l;
	const uint8_t *d = dhcp_opt_get(m, code, &l);

	return d && l == 4 ? get_be32(d) : 0;
}

bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix)
{
	size_t l, pl = strlen(prefix);
	const uint8_t *d = dhcp_opt_get(m, code, &l);

	return d && l >= pl && memcmp(d, prefix, pl) == 0;
}

bool dhcp_opt_contains(const struct dhcp_msg *m, uint8_t code, const uint8_t *needle, size_t nlen)
{
	size_t l;
	const uint8_t *d = dhcp_opt_get(m, code, &l);

	if (!d || nlen > l)
		return false;
	if (nlen == 0)
		return true;
	return memmem(d, l, needle, nlen) != NULL;
}

size_t dhcp_reply_max(const struct dhcp_msg *m)
{
	size_t l, v = DHCP_MIN_MAX_MSG;
	const uint8_t *d = dhcp_opt_get(m, DHO_MAX_MSG_SIZE, &l);

	if (d && l == 2 && get_be16(d) > DHCP_MIN_MAX_MSG)
		v = get_be16(d);
	v -= 28; /* the limit counts the IP and UDP headers */
	return v > DHCP_MAX_REPLY ? DHCP_MAX_REPLY : v;
}

/* ---- reply options ---- */

void dhcp_opts_init(struct dhcp_opts *o)
{
	o->n = 0;
	o->used = 0;
	o->overflow = false;
}

bool dhcp_opts_has(const struct dhcp_opts *o, uint8_t code)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].code == code)
			return true;
	return false;
}

int dhcp_opts_add(struct dhcp_opts *o, uint8_t code, const void *data, size_t len)
{
	size_t i;

	if (code == DHO_PAD || code == DHO_END)
		return -EINVAL;
	if (len > sizeof(o->store) - o->used)
		goto full;
	for (i = 0; i < o->n; i++)
		if (o->v[i].code == code)
			break;
	if (i == o->n) {
		if (o->n == DHCP_OPTS_MAX)
			goto full;
		o->n++;
	}
	/* A replaced option's old bytes stay in the store: replacing is rare. */
	o->v[i].code = code;
	o->v[i].len = (uint16_t)len;
	o->v[i].off = (uint16_t)o->used;
	if (len)
		memcpy(o->store + o->used, data, len);
	o->used += len;
	return 0;
full:
	o->overflow = true;
	return -ENOSPC;
}

int dhcp_opts_add_u8(struct dhcp_opts *o, uint8_t code, uint8_t v)
{
	return dhcp_opts_add(o, code, &v, 1);
}

int dhcp_opts_add_u32(struct dhcp_opts *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return dhcp_opts_add(o, code, b, 4);
}

/* Bytes an option takes on the wire, split into 255-byte instances. */
static size_t wire_size(size_t len)
{
	size_t chunks = len ? (len + 254) / 255 : 1;

	return 2 * chunks + len;
}

static size_t put_opt(uint8_t *p, uint8_t code, const uint8_t *d, size_t len)
{
	size_t w = 0;

	do {
		size_t c = len > 255 ? 255 : len;

		p[w] = code;
		p[w + 1] = (uint8_t)c;
		memcpy(p + w + 2, d, c);
		w += 2 + c;
		d += c;
		len -= c;
	} while (len);
	return w;
}

int dhcp_opts_finish(const struct dhcp_opts *o, uint8_t *reply, size_t cap, bool overload,
		     bool file_free, bool sname_free, unsigned *dropped)
{
	/* Areas in the order RFC 3396 concatenates them: options, file, sname. */
	uint8_t *base[3] = {reply + DHCP_OFF_OPTIONS, reply + DHCP_OFF_FILE,
			    reply + DHCP_OFF_SNAME};
	size_t limit[3], pos[3] = {0, 0, 0};
	uint8_t where[DHCP_OPTS_MAX];
	size_t need = 1, total;
	bool ovl = false;
	uint8_t used = 0;

	*dropped = 0;
	if (cap < DHCP_OFF_OPTIONS + 1)
		return -ENOSPC;
	for (size_t i = 0; i < o->n; i++)
		need += wire_size(o->v[i].len);
	limit[0] = cap - DHCP_OFF_OPTIONS - 1; /* room for the end option */
	limit[1] = limit[2] = 0;
	if (need > cap - DHCP_OFF_OPTIONS && overload && (file_free || sname_free) &&
	    limit[0] >= 3) {
		ovl = true;
		limit[0] -= 3; /* room for option 52 */
		limit[1] = file_free ? DHCP_FILE_LEN - 1 : 0;
		limit[2] = sname_free ? DHCP_SNAME_LEN - 1 : 0;
	}
	/* First fit, in order: an option never straddles two areas. */
	for (size_t i = 0; i < o->n; i++) {
		size_t ws = wire_size(o->v[i].len);

		where[i] = 3;
		for (uint8_t a = 0; a < 3; a++) {
			if (limit[a] >= ws && pos[a] <= limit[a] - ws) {
				where[i] = a;
				pos[a] += ws;
				if (a)
					used |= a;
				break;
			}
		}
		if (where[i] == 3)
			(*dropped)++;
	}
	pos[0] = pos[1] = pos[2] = 0;
	if (ovl && used) {
		base[0][0] = DHO_OVERLOAD;
		base[0][1] = 1;
		base[0][2] = used;
		pos[0] = 3;
	}
	for (size_t i = 0; i < o->n; i++) {
		uint8_t a = where[i];

		if (a == 3)
			continue;
		pos[a] +=
		    put_opt(base[a] + pos[a], o->v[i].code, o->store + o->v[i].off, o->v[i].len);
	}
	for (uint8_t a = 1; a < 3; a++) {
		if (!(used & a))
			continue;
		base[a][pos[a]++] = DHO_END;
		memset(base[a] + pos[a], 0, (a == 1 ? DHCP_FILE_LEN : DHCP_SNAME_LEN) - pos[a]);
	}
	base[0][pos[0]++] = DHO_END;
	total = DHCP_OFF_OPTIONS + pos[0];
	if (total < DHCP_MIN_REPLY && cap >= DHCP_MIN_REPLY) {
		memset(reply + total, 0, DHCP_MIN_REPLY - total);
		total = DHCP_MIN_REPLY;
	}
	return (int)total;
}
