/* SPDX-License-Identifier: MIT */
#include "pkt.h"

#include <string.h>

#include "util/bytes.h"

#define IP_FLAG_MF	    0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff
#define IP_MAX_LEN	    65535u

uint32_t bs_csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get_be16(p + i);
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	/* Fold back to 32 bits so callers can chain partial sums. */
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t bs_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(uint32_t src_ip, uint32_t dst_ip, size_t udp_len)
{
	uint32_t sum = 0;

	sum += src_ip >> 16;
	sum += src_ip & 0xffff;
	sum += dst_ip >> 16;
	sum += dst_ip & 0xffff;
	sum += BS_IPPROTO_UDP;
	sum += (uint32_t)udp_len;
	return sum;
}

uint16_t bs_udp_csum(uint32_t src_ip, uint32_t dst_ip, const uint8_t *udp, size_t udp_len)
{
	uint16_t c =
	    bs_csum_fold(bs_csum_partial(udp, udp_len, pseudo_sum(src_ip, dst_ip, udp_len)));

	/* RFC 768: a computed zero is sent as all ones; zero means "none". */
	return c ? c : 0xffff;
}

enum bs_pkt_verdict bs_pkt_parse_ipv4(const uint8_t *ip, size_t len, struct bs_pkt_udp *out)
{
	struct bs_cursor c;
	const uint8_t *h, *u;
	size_t ihl, tot, udp_len;
	uint16_t frag;

	bs_cursor_init(&c, ip, len);
	h = bs_cursor_pull(&c, BS_IPV4_HLEN);
	if (!h)
		return BS_PKT_TRUNC_IP;
	if (h[0] >> 4 != 4)
		return BS_PKT_BAD_VERSION;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < BS_IPV4_HLEN || ihl > len)
		return BS_PKT_BAD_IHL;
	tot = get_be16(h + 2);
	if (tot < ihl || tot > len)
		return BS_PKT_BAD_TOTLEN;
	/* Options are covered by the checksum, so verify over the whole IHL. */
	if (bs_csum_fold(bs_csum_partial(h, ihl, 0)) != 0)
		return BS_PKT_BAD_IP_CSUM;
	frag = get_be16(h + 6);
	if ((frag & IP_FLAG_MF) || (frag & IP_FRAG_OFFSET_MASK))
		return BS_PKT_FRAGMENT;
	if (h[9] != BS_IPPROTO_UDP)
		return BS_PKT_NOT_UDP;

	/* From here on the datagram ends at the IP total length, not at the
	   end of the frame (Ethernet pads short frames to 60 bytes). */
	bs_cursor_init(&c, ip + ihl, tot - ihl);
	u = bs_cursor_pull(&c, BS_UDP_HLEN);
	if (!u)
		return BS_PKT_TRUNC_UDP;
	udp_len = get_be16(u + 4);
	if (udp_len < BS_UDP_HLEN || udp_len > tot - ihl)
		return BS_PKT_BAD_UDP_LEN;
	if (get_be16(u + 6) != 0 &&
	    bs_csum_fold(bs_csum_partial(
		u, udp_len, pseudo_sum(get_be32(h + 12), get_be32(h + 16), udp_len))) != 0)
		return BS_PKT_BAD_UDP_CSUM;

	memset(out->dst_mac, 0, sizeof(out->dst_mac));
	memset(out->src_mac, 0, sizeof(out->src_mac));
	out->vlan = -1;
	out->src_ip = get_be32(h + 12);
	out->dst_ip = get_be32(h + 16);
	out->ttl = h[8];
	out->src_port = get_be16(u);
	out->dst_port = get_be16(u + 2);
	out->ip_hdr = h;
	out->payload = u + BS_UDP_HLEN;
	out->payload_len = udp_len - BS_UDP_HLEN;
	return BS_PKT_OK;
}

enum bs_pkt_verdict bs_pkt_parse_eth(const uint8_t *frame, size_t len, struct bs_pkt_udp *out)
{
	struct bs_cursor c;
	const uint8_t *eth, *tag;
	uint16_t type;
	int vlan = -1;
	enum bs_pkt_verdict v;

	bs_cursor_init(&c, frame, len);
	eth = bs_cursor_pull(&c, BS_ETH_HLEN);
	if (!eth)
		return BS_PKT_TRUNC_ETH;
	type = get_be16(eth + 12);
	if (type == BS_ETHERTYPE_VLAN) {
		tag = bs_cursor_pull(&c, BS_VLAN_HLEN);
		if (!tag)
			return BS_PKT_TRUNC_VLAN;
		vlan = get_be16(tag) & 0x0fff;
		type = get_be16(tag + 2);
	}
	/* A second tag (QinQ) lands here too: not ours to serve. */
	if (type != BS_ETHERTYPE_IPV4)
		return BS_PKT_NOT_IPV4;

	v = bs_pkt_parse_ipv4(c.p, bs_cursor_left(&c), out);
	if (v != BS_PKT_OK)
		return v;
	memcpy(out->dst_mac, eth, BS_ETH_ALEN);
	memcpy(out->src_mac, eth + BS_ETH_ALEN, BS_ETH_ALEN);
	out->vlan = vlan;
	return BS_PKT_OK;
}

size_t bs_pkt_build_udp(uint8_t *frame, const struct bs_pkt_hdr *h, size_t payload_len)
{
	uint8_t *eth = frame;
	uint8_t *ip = eth + BS_ETH_HLEN;
	uint8_t *udp = ip + BS_IPV4_HLEN;
	size_t udp_len = BS_UDP_HLEN + payload_len;
	size_t ip_len = BS_IPV4_HLEN + udp_len;

	if (payload_len > IP_MAX_LEN - BS_IPV4_HLEN - BS_UDP_HLEN)
		return 0;

	memcpy(eth, h->dst_mac, BS_ETH_ALEN);
	memcpy(eth + BS_ETH_ALEN, h->src_mac, BS_ETH_ALEN);
	put_be16(eth + 12, BS_ETHERTYPE_IPV4);

	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)ip_len);
	put_be16(ip + 4, h->ip_id);
	put_be16(ip + 6, 0);
	ip[8] = h->ttl ? h->ttl : 64;
	ip[9] = BS_IPPROTO_UDP;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, h->src_ip);
	put_be32(ip + 16, h->dst_ip);
	put_be16(ip + 10, bs_csum_fold(bs_csum_partial(ip, BS_IPV4_HLEN, 0)));

	put_be16(udp, h->src_port);
	put_be16(udp + 2, h->dst_port);
	put_be16(udp + 4, (uint16_t)udp_len);
	put_be16(udp + 6, 0);
	put_be16(udp + 6, bs_udp_csum(h->src_ip, h->dst_ip, udp, udp_len));

	return BS_ETH_HLEN + ip_len;
}

static const char *const verdict_names[BS_PKT_VERDICT_COUNT] = {
    [BS_PKT_OK] = "ok",
    [BS_PKT_TRUNC_ETH] = "trunc_eth",
    [BS_PKT_TRUNC_VLAN] = "trunc_vlan",
    [BS_PKT_NOT_IPV4] = "not_ipv4",
    [BS_PKT_TRUNC_IP] = "trunc_ip",
    [BS_PKT_BAD_VERSION] = "bad_version",
    [BS_PKT_BAD_IHL] = "bad_ihl",
    [BS_PKT_BAD_TOTLEN] = "bad_totlen",
    [BS_PKT_BAD_IP_CSUM] = "bad_ip_csum",
    [BS_PKT_FRAGMENT] = "fragment",
    [BS_PKT_NOT_UDP] = "not_udp",
    [BS_PKT_TRUNC_UDP] = "trunc_udp",
    [BS_PKT_BAD_UDP_LEN] = "bad_udp_len",
    [BS_PKT_BAD_UDP_CSUM] = "bad_udp_csum",
};

const char *bs_pkt_verdict_name(enum bs_pkt_verdict v)
{
	if ((unsigned)v >= BS_PKT_VERDICT_COUNT)
		return "unknown";
	return verdict_names[v];
}
