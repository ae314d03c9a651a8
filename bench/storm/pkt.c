/* SPDX-License-Identifier: MIT */
/*
 * Wire formats of the generator: Ethernet, ARP, IPv4, UDP, the client side
 * of DHCP/PXE and TFTP. Every parser checks a length before it reads.
 * Checksums are always computed here: over veth a frame sent from a packet
 * socket is not finished by any offload, and servers that read from packet
 * sockets or XDP drop bad ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/bytes.h"
#include "storm.h"

uint32_t storm_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t storm_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int storm_parse(const uint8_t *f, size_t len, struct storm_rx *rx)
{
	const uint8_t *ip, *udp;
	size_t ihl, tot, ulen;

	memset(rx, 0, sizeof(*rx));
	if (len < 14)
		return -EINVAL;
	rx->frame = f;
	rx->len = len;
	rx->dst_mac = f;
	rx->src_mac = f + 6;
	rx->ethertype = get_be16(f + 12);
	if (rx->ethertype == 0x0806) {
		/* Ethernet/IPv4 ARP only: htype 1, ptype 0x800, hlen 6, plen 4 */
		if (len < 14 + 28 || get_be16(f + 14) != 1 || get_be16(f + 16) != 0x0800 ||
		    f[18] != 6 || f[19] != 4)
			return -EINVAL;
		rx->arp_op = get_be16(f + 20);
		rx->arp_sha = f + 22;
		rx->arp_sip = get_be32(f + 28);
		rx->arp_tip = get_be32(f + 38);
		return 0;
	}
	if (rx->ethertype != 0x0800 || len < 14 + 20)
		return -EINVAL;
	ip = f + 14;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20)
		return -EINVAL;
	tot = get_be16(ip + 2);
	if (tot < ihl + 8 || 14 + tot > len)
		return -EINVAL;
	if (ip[9] != 17 || (get_be16(ip + 6) & 0x3fff)) /* UDP, not a fragment */
		return -EINVAL;
	rx->saddr = get_be32(ip + 12);
	rx->daddr = get_be32(ip + 16);
	udp = ip + ihl;
	ulen = get_be16(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return -EINVAL;
	rx->sport = get_be16(udp);
	rx->dport = get_be16(udp + 2);
	rx->payload = udp + 8;
	rx->plen = ulen - 8;
	return 0;
}

size_t storm_build_udp(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, size_t plen,
		       uint16_t ip_id)
{
	uint8_t *ip = f + 14, *udp = f + 34;
	uint32_t sum;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, 0x0800);

	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(20 + 8 + plen));
	put_be16(ip + 4, ip_id);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, saddr);
	put_be32(ip + 16, daddr);
	put_be16(ip + 10, storm_csum_fold(storm_csum_add(0, ip, 20)));

	put_be16(udp, sport);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, (uint16_t)(8 + plen));
	put_be16(udp + 6, 0);
	/* pseudo-header: saddr, daddr, zero + protocol, UDP length */
	sum = storm_csum_add(0, ip + 12, 8);
	sum += 17 + (uint32_t)(8 + plen);
	sum = storm_csum_add(sum, udp, 8 + plen);
	uint16_t c = storm_csum_fold(sum);
	put_be16(udp + 6, c ? c : 0xffff);
	return 14 + 20 + 8 + plen;
}

size_t storm_build_arp(uint8_t *f, uint16_t op, const uint8_t my_mac[6], uint32_t my_ip,
		       const uint8_t peer_mac[6], uint32_t peer_ip)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	memcpy(f, op == 1 ? bcast : peer_mac, 6);
	memcpy(f + 6, my_mac, 6);
	put_be16(f + 12, 0x0806);
	put_be16(f + 14, 1);
	put_be16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, op);
	memcpy(f + 22, my_mac, 6);
	put_be32(f + 28, my_ip);
	if (op == 1)
		memset(f + 32, 0, 6);
	else
		memcpy(f + 32, peer_mac, 6);
	put_be32(f + 38, peer_ip);
	memset(f + 42, 0, 18); /* pad to the 60-byte minimum */
	return 60;
}

/* ---- DHCP --------------------------------------------------------------- */

#define BOOTP_FIXED 236
static const uint8_t dhcp_cookie[4] = {99, 130, 83, 99};

/* the options every PXE client request carries: 57, 55, 93, 94, 97, 60
 * (and iPXE's 77 and 175) */
static size_t client_opts(uint8_t *p, size_t n, const struct storm_client *c)
{
	/* what PXE ROMs ask for: subnet, router, vendor options, class, TFTP
	 * server name, boot file, and the PXE-reserved 128-135 */
	static const uint8_t prl[] = {1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135};
	char vc[40];
	size_t vlen;

	p[n++] = 57, p[n++] = 2, put_be16(p + n, 1464), n += 2;
	p[n++] = 55, p[n++] = sizeof(prl);
	memcpy(p + n, prl, sizeof(prl));
	n += sizeof(prl);
	p[n++] = 93, p[n++] = 2, put_be16(p + n, c->arch), n += 2;
	p[n++] = 94, p[n++] = 3, p[n++] = 1, p[n++] = 3, p[n++] = 0; /* UNDI 3.0 */
	p[n++] = 97, p[n++] = 17, p[n++] = 0;
	memcpy(p + n, c->uuid, 16);
	n += 16;
	/* UEFI 2.5+ 24.7: HTTP boot clients say HTTPClient; iPXE says it is
	 * UNDI 2.1 (and who it is in 77 and 175) */
	vlen = (size_t)snprintf(vc, sizeof(vc), "%s:Arch:%05u:UNDI:%s",
				c->kind == KIND_UEFI_HTTP ? "HTTPClient" : "PXEClient", c->arch,
				c->kind == KIND_IPXE ? "002001" : "003000");
	p[n++] = 60, p[n++] = (uint8_t)vlen;
	memcpy(p + n, vc, vlen);
	n += vlen;
	if (c->kind == KIND_IPXE) {
		/* iPXE's feature list: PXE extensions, HTTP, DNS, TFTP, bzImage
		 * (sub-option code, length 1, value 1) */
		static const uint8_t eb[] = {0x10, 1,	 1, 0x13, 1,	1, 0x17, 1,
					     1,	   0x15, 1, 1,	  0x18, 1, 1};

		p[n++] = 77, p[n++] = 4;
		memcpy(p + n, "iPXE", 4);
		n += 4;
		p[n++] = 175, p[n++] = sizeof(eb);
		memcpy(p + n, eb, sizeof(eb));
		n += sizeof(eb);
	}
	return n;
}

/* BOOTREQUEST fixed part and the message type; returns the offset */
static size_t bootreq(uint8_t *p, const struct storm_client *c, uint8_t type, uint16_t secs,
		      bool broadcast, uint32_t ciaddr)
{
	size_t n;

	memset(p, 0, BOOTP_FIXED);
	p[0] = 1; /* BOOTREQUEST */
	p[1] = 1; /* Ethernet */
	p[2] = 6;
	put_be32(p + 4, c->xid);
	put_be16(p + 8, secs);
	/* PXE ROMs set the broadcast flag: replies come to ff:ff:ff:ff:ff:ff */
	put_be16(p + 10, broadcast ? 0x8000 : 0);
	put_be32(p + 12, ciaddr);
	memcpy(p + 28, c->mac, 6);
	memcpy(p + BOOTP_FIXED, dhcp_cookie, 4);
	n = BOOTP_FIXED + 4;
	p[n++] = 53, p[n++] = 1, p[n++] = type;
	return n;
}

static size_t finish(uint8_t *p, size_t n)
{
	p[n++] = 255;
	while (n < 300) /* BOOTP minimum */
		p[n++] = 0;
	return n;
}

size_t storm_dhcp_build(uint8_t *p, size_t room, const struct storm_client *c, uint8_t type,
			uint16_t secs)
{
	size_t n;

	if (room < 400)
		return 0;
	n = bootreq(p, c, type, secs, true, 0);
	if (type == DHCPREQUEST) {
		p[n++] = 50, p[n++] = 4, put_be32(p + n, c->ip), n += 4;
		p[n++] = 54, p[n++] = 4, put_be32(p + n, c->server_id), n += 4;
	}
	return finish(p, client_opts(p, n, c));
}

size_t storm_dhcp_build_bootsrv(uint8_t *p, size_t room, const struct storm_client *c,
				uint16_t secs)
{
	size_t n;

	if (room < 400)
		return 0;
	n = bootreq(p, c, DHCPREQUEST, secs, false, c->ip);
	n = client_opts(p, n, c);
	/* 43: sub-option 71 (PXE_BOOT_ITEM): type, layer 0 */
	p[n++] = 43, p[n++] = 7, p[n++] = 71, p[n++] = 4;
	put_be16(p + n, c->proxy_type), n += 2;
	put_be16(p + n, 0), n += 2;
	p[n++] = 255;
	return finish(p, n);
}

static void copy_name(char *dst, const uint8_t *src, size_t max)
{
	size_t i;

	for (i = 0; i < max && i < STORM_URL_MAX - 1 && src[i]; i++)
		dst[i] = (char)src[i];
	dst[i] = 0;
}

/* option 43 of a PXE offer: sub-options 6 (discovery control) and 9
 * (boot menu: type 2 bytes, description length, description, ...) */
static void pxe_opts(struct storm_dhcp_opts *o, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i + 2 <= len && v[i] != 255;) {
		uint8_t code = v[i], l;

		if (code == 0) {
			i++;
			continue;
		}
		l = v[i + 1];
		if (i + 2 + l > len)
			return;
		if (code == 6 && l >= 1)
			o->pxe_disc = v[i + 2];
		if (code == 9 && l >= 3) {
			o->has_menu = true;
			o->menu_type = get_be16(v + i + 2);
		}
		i += 2 + (size_t)l;
	}
}

int storm_dhcp_parse(const uint8_t *p, size_t len, struct storm_dhcp_opts *o)
{
	size_t i;
	bool file_overloaded = false;

	memset(o, 0, sizeof(*o));
	if (len < BOOTP_FIXED + 4 || p[0] != 2 || memcmp(p + BOOTP_FIXED, dhcp_cookie, 4))
		return -EINVAL;
	o->xid = get_be32(p + 4);
	o->yiaddr = get_be32(p + 16);
	o->siaddr = get_be32(p + 20);
	memcpy(o->chaddr, p + 28, 6);
	/* options: never assume they are well formed */
	for (i = BOOTP_FIXED + 4; i < len;) {
		uint8_t code = p[i], olen;

		if (code == 255)
			break;
		if (code == 0) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EINVAL;
		olen = p[i + 1];
		if (i + 2 + olen > len)
			return -EINVAL;
		const uint8_t *v = p + i + 2;
		switch (code) {
		case 53:
			if (olen >= 1)
				o->type = v[0];
			break;
		case 54:
			if (olen >= 4)
				o->server_id = get_be32(v);
			break;
		case 52:
			if (olen >= 1 && (v[0] & 1))
				file_overloaded = true;
			break;
		case 67:
			copy_name(o->file, v, olen);
			break;
		case 43:
			pxe_opts(o, v, olen);
			break;
		case 60: {
			size_t l =
			    olen < sizeof(o->vendor_class) - 1 ? olen : sizeof(o->vendor_class) - 1;

			memcpy(o->vendor_class, v, l);
			o->vendor_class[l] = 0;
			break;
		}
		}
		i += 2 + (size_t)olen;
	}
	if (!o->file[0] && !file_overloaded)
		copy_name(o->file, p + 108, 128);
	return o->type ? 0 : -EINVAL;
}

/* ---- TFTP ---------------------------------------------------------------- */

static size_t put_str(uint8_t *p, size_t room, size_t n, const char *s)
{
	size_t l = strlen(s) + 1;

	if (n + l > room)
		return room + 1;
	memcpy(p + n, s, l);
	return n + l;
}

size_t storm_tftp_rrq(uint8_t *p, size_t room, const char *file, unsigned blksize,
		      unsigned windowsize, bool tsize)
{
	char num[16];
	size_t n = 2;

	put_be16(p, TFTP_RRQ);
	n = put_str(p, room, n, file);
	n = put_str(p, room, n, "octet");
	if (blksize && blksize != 512) {
		snprintf(num, sizeof(num), "%u", blksize);
		n = put_str(p, room, n, "blksize");
		n = put_str(p, room, n, num);
	}
	if (tsize) {
		n = put_str(p, room, n, "tsize");
		n = put_str(p, room, n, "0");
	}
	if (windowsize > 1) {
		snprintf(num, sizeof(num), "%u", windowsize);
		n = put_str(p, room, n, "windowsize");
		n = put_str(p, room, n, num);
	}
	return n > room ? 0 : n;
}

size_t storm_tftp_ack(uint8_t *p, uint16_t block)
{
	put_be16(p, TFTP_ACK);
	put_be16(p + 2, block);
	return 4;
}

size_t storm_tftp_error(uint8_t *p, size_t room, uint16_t code, const char *msg)
{
	size_t n;

	put_be16(p, TFTP_ERROR);
	put_be16(p + 2, code);
	n = put_str(p, room, 4, msg);
	return n > room ? 0 : n;
}

int storm_tftp_parse_oack(const uint8_t *p, size_t len, struct storm_oack *o)
{
	size_t i = 2;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		const uint8_t *k = p + i, *v, *e;

		e = memchr(k, 0, len - i);
		if (!e)
			return -EINVAL;
		v = e + 1;
		if (v >= p + len)
			return -EINVAL;
		e = memchr(v, 0, (size_t)(p + len - v));
		if (!e)
			return -EINVAL;
		unsigned long long val = 0;
		for (const uint8_t *d = v; d < e; d++) {
			if (*d < '0' || *d > '9' || val > (1ull << 50))
				return -EINVAL;
			val = val * 10 + (unsigned)(*d - '0');
		}
		if (!strcasecmp((const char *)k, "blksize"))
			o->blksize = (unsigned)val;
		else if (!strcasecmp((const char *)k, "windowsize"))
			o->windowsize = (unsigned)val;
		else if (!strcasecmp((const char *)k, "tsize"))
			o->tsize = val, o->has_tsize = true;
		i = (size_t)(e + 1 - p);
	}
	return 0;
}
