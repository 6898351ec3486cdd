#include "packet_headers.h"

#include "ff_bytes.h"

#include <stdbool.h>
#include <string.h>

#define ETH_HEADER_LEN	   14
#define ETHERTYPE_IPV4	   0x0800
#define ETHERTYPE_IPV6	   0x86dd
#define ETHERTYPE_VLAN	   0x8100
#define ETHERTYPE_QINQ	   0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still sent by some switches */
/* More tags than any real network stacks; the bound keeps a crafted header from looping long. */
#define ETH_MAX_TAGS 8

#define IPV4_MIN_HEADER 20
#define IPV6_HEADER_LEN 40
/* Extension headers followed before giving up on finding the transport header. */
#define IPV6_MAX_EXT 8

#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_ 58
#define IP6_HOPOPTS	0
#define IP6_ROUTING	43
#define IP6_FRAGMENT	44
#define IP6_AH		51
#define IP6_DSTOPTS	60

/* Ports, flags or ICMP type/code of the transport header at `p`; L3 if it is cut short. */
static enum ff_pkthdr_depth pkthdr_l4(const uint8_t *p, size_t len, ff_flow *f)
{
	switch (f->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		if (len < 4)
			return FF_PKTHDR_L3;
		f->src_port = ff_get_be16(p);
		f->dst_port = ff_get_be16(p + 2);
		/* The flags byte is at offset 13 of a TCP header; a short snapshot may lack it. */
		if (f->proto == IPPROTO_TCP_ && len >= 14)
			f->tcp_flags = p[13];
		return FF_PKTHDR_L4;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		if (len < 2)
			return FF_PKTHDR_L3;
		f->dst_port = ff_get_be16(p);
		return FF_PKTHDR_L4;
	default:
		return FF_PKTHDR_L3;
	}
}

static enum ff_pkthdr_depth pkthdr_ipv4(const uint8_t *p, size_t len, ff_flow *f)
{
	if (len < IPV4_MIN_HEADER || p[0] >> 4 != 4)
		return FF_PKTHDR_L2;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IPV4_MIN_HEADER)
		return FF_PKTHDR_L2;
	f->tos = p[1];
	f->proto = p[9];
	ff_addr_from_v4(f->src_addr, ff_get_be32(p + 12));
	ff_addr_from_v4(f->dst_addr, ff_get_be32(p + 16));
	/* Later fragments start with payload, not with the transport header. */
	if ((ff_get_be16(p + 6) & 0x1fff) != 0 || ihl > len)
		return FF_PKTHDR_L3;
	return pkthdr_l4(p + ihl, len - ihl, f);
}

/*
 * Length of the IPv6 extension header `nh` at `p`, or 0 when `nh` is not an
 * extension header we skip (it is then the upper-layer protocol). RFC 8200
 * section 4 gives the lengths in 8-octet units; AH (RFC 4302) in 4-octet ones.
 */
static size_t pkthdr_ipv6_ext_len(uint8_t nh, const uint8_t *p)
{
	switch (nh) {
	case IP6_HOPOPTS:
	case IP6_ROUTING:
	case IP6_DSTOPTS:
		return ((size_t)p[1] + 1) * 8;
	case IP6_FRAGMENT:
		return 8;
	case IP6_AH:
		return ((size_t)p[1] + 2) * 4;
	default:
		return 0;
	}
}

static bool pkthdr_is_ipv6_ext(uint8_t nh)
{
	return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_DSTOPTS || nh == IP6_FRAGMENT ||
	       nh == IP6_AH;
}

/*
 * Follows the extension header chain from `off`. When the chain is cut
 * short, proto is left at the last next-header value read, which is what
 * the header can tell about the packet.
 */
static enum ff_pkthdr_depth pkthdr_ipv6_chain(const uint8_t *p, size_t len, size_t off, ff_flow *f)
{
	for (int i = 0; i < IPV6_MAX_EXT && pkthdr_is_ipv6_ext(f->proto); i++) {
		if (len - off < 8)
			return FF_PKTHDR_L3;
		const uint8_t *ext = p + off;
		size_t ext_len = pkthdr_ipv6_ext_len(f->proto, ext);
		/* A fragment other than the first carries no transport header. */
		bool later_fragment = f->proto == IP6_FRAGMENT && (ff_get_be16(ext + 2) >> 3) != 0;
		f->proto = ext[0];
		if (later_fragment || ext_len > len - off)
			return FF_PKTHDR_L3;
		off += ext_len;
	}
	if (pkthdr_is_ipv6_ext(f->proto))
		return FF_PKTHDR_L3;
	return pkthdr_l4(p + off, len - off, f);
}

static enum ff_pkthdr_depth pkthdr_ipv6(const uint8_t *p, size_t len, ff_flow *f)
{
	if (len < IPV6_HEADER_LEN || p[0] >> 4 != 6)
		return FF_PKTHDR_L2;
	/* The traffic class straddles the first two bytes, after the version nibble. */
	f->tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
	f->proto = p[6];
	memcpy(f->src_addr, p + 8, FF_ADDR_LEN);
	memcpy(f->dst_addr, p + 24, FF_ADDR_LEN);
	return pkthdr_ipv6_chain(p, len, IPV6_HEADER_LEN, f);
}

static enum ff_pkthdr_depth pkthdr_ip_by_type(uint16_t type, const uint8_t *p, size_t len,
					      ff_flow *f)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		return pkthdr_ipv4(p, len, f);
	case ETHERTYPE_IPV6:
		return pkthdr_ipv6(p, len, f);
	default:
		return FF_PKTHDR_L2;
	}
}

static bool pkthdr_is_vlan_tag(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

/* Ethernet II: skips the MAC addresses and any stack of VLAN tags to the EtherType. */
static enum ff_pkthdr_depth pkthdr_ethernet(const uint8_t *p, size_t len, ff_flow *f)
{
	if (len < ETH_HEADER_LEN)
		return FF_PKTHDR_NONE;
	size_t off = 12;
	uint16_t type = ff_get_be16(p + off);
	for (int i = 0; i < ETH_MAX_TAGS && pkthdr_is_vlan_tag(type); i++) {
		/* A tag is 4 bytes: its own TPID (already read) and the TCI; then the next type. */
		off += 4;
		if (len < off + 2)
			return FF_PKTHDR_L2;
		type = ff_get_be16(p + off);
	}
	off += 2;
	return pkthdr_ip_by_type(type, p + off, len - off, f);
}

enum ff_pkthdr_depth ff_pkthdr_parse(const uint8_t *hdr, size_t len, uint32_t proto, ff_flow *f)
{
	memset(f->src_addr, 0, FF_ADDR_LEN);
	memset(f->dst_addr, 0, FF_ADDR_LEN);
	f->src_port = 0;
	f->dst_port = 0;
	f->proto = 0;
	f->tcp_flags = 0;
	f->tos = 0;
	enum ff_pkthdr_depth d;
	switch (proto) {
	case FF_PKTHDR_ETHERNET:
		return pkthdr_ethernet(hdr, len, f);
	case FF_PKTHDR_IPV4:
		d = pkthdr_ipv4(hdr, len, f);
		break;
	case FF_PKTHDR_IPV6:
		d = pkthdr_ipv6(hdr, len, f);
		break;
	default:
		return FF_PKTHDR_NONE;
	}
	/* Without a link layer, "link layer only" means nothing was understood. */
	return d == FF_PKTHDR_L2 ? FF_PKTHDR_NONE : d;
}
