#include "ff_test.h"

#include "packet_headers.h"

#include <string.h>

/* A packet under construction, written front to back. */
struct pkt {
	uint8_t b[256];
	size_t n;
};

static void put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void put_zeros(struct pkt *p, size_t n)
{
	memset(p->b + p->n, 0, n);
	p->n += n;
}

/* MAC addresses, then `type`. */
static void eth(struct pkt *p, unsigned type)
{
	for (int i = 0; i < 12; i++)
		put8(p, 0x02);
	put16(p, type);
}

static void vlan_tag(struct pkt *p, unsigned vid, unsigned next_type)
{
	put16(p, vid);
	put16(p, next_type);
}

/* An IPv4 header of `ihl` words, 10.0.0.1 -> 192.168.1.2. */
static void ipv4(struct pkt *p, unsigned ihl, unsigned tos, unsigned proto, unsigned frag)
{
	put8(p, 0x40 | ihl);
	put8(p, tos);
	put16(p, 1500);
	put16(p, 1);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, 0x0a000001);
	put32(p, 0xc0a80102);
	put_zeros(p, (ihl - 5) * 4);
}

static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

static void ipv6(struct pkt *p, unsigned tclass, unsigned next)
{
	put32(p, 0x60000000u | tclass << 20 | 0x12345);
	put16(p, 1000);
	put8(p, next);
	put8(p, 64);
	memcpy(p->b + p->n, v6_src, 16);
	memcpy(p->b + p->n + 16, v6_dst, 16);
	p->n += 32;
}

static void tcp(struct pkt *p, unsigned sport, unsigned dport, unsigned flags)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1);
	put32(p, 0);
	put8(p, 0x50);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);
}

static void udp(struct pkt *p, unsigned sport, unsigned dport)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, 8);
	put16(p, 0);
}

static void assert_v4(const uint8_t *addr, uint32_t v4)
{
	uint8_t want[FF_ADDR_LEN];
	ff_addr_from_v4(want, v4);
	assert_memory_equal(addr, want, FF_ADDR_LEN);
}

static enum ff_pkthdr_depth parse(const struct pkt *p, uint32_t proto, ff_flow *f)
{
	memset(f, 0xee, sizeof *f);
	return ff_pkthdr_parse(p->b, p->n, proto, f);
}

static void eth_ipv4_tcp(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x0800);
	ipv4(&p, 5, 0xb8, 6, 0x4000); /* DF set: still the first (only) fragment */
	tcp(&p, 40000, 443, 0x12);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_v4(f.src_addr, 0x0a000001);
	assert_v4(f.dst_addr, 0xc0a80102);
	assert_int_equal(f.proto, 6);
	assert_int_equal(f.tos, 0xb8);
	assert_int_equal(f.src_port, 40000);
	assert_int_equal(f.dst_port, 443);
	assert_int_equal(f.tcp_flags, 0x12);
	/* Fields other than the key ones are left alone. */
	assert_int_equal(f.bytes, 0xeeeeeeeeeeeeeeeeull);
}

static void eth_vlan_udp(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x8100);
	vlan_tag(&p, 100, 0x0800);
	ipv4(&p, 5, 0, 17, 0);
	udp(&p, 5353, 53);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_int_equal(f.proto, 17);
	assert_int_equal(f.src_port, 5353);
	assert_int_equal(f.dst_port, 53);
	assert_int_equal(f.tcp_flags, 0);
}

static void eth_qinq_tcp(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x88a8);
	vlan_tag(&p, 10, 0x8100);
	vlan_tag(&p, 20, 0x86dd);
	ipv6(&p, 0, 6);
	tcp(&p, 1234, 80, 0x02);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_memory_equal(f.src_addr, v6_src, 16);
	assert_int_equal(f.dst_port, 80);
	assert_int_equal(f.tcp_flags, 0x02);
}

static void ipv4_options(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x0800);
	ipv4(&p, 7, 0, 17, 0); /* 8 bytes of options */
	udp(&p, 1000, 2000);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_int_equal(f.src_port, 1000);
	assert_int_equal(f.dst_port, 2000);
}

static void ipv4_later_fragment_has_no_ports(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x0800);
	ipv4(&p, 5, 0, 17, 185); /* offset 185 * 8 bytes */
	udp(&p, 1000, 2000);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L3);
	assert_int_equal(f.proto, 17);
	assert_int_equal(f.src_port, 0);
	assert_int_equal(f.dst_port, 0);
}

static void ipv6_extension_headers(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x86dd);
	ipv6(&p, 0x2e, 0); /* hop-by-hop */
	put8(&p, 60);	   /* next: destination options */
	put8(&p, 0);	   /* 8 bytes */
	put_zeros(&p, 6);
	put8(&p, 44); /* next: fragment */
	put8(&p, 1);  /* 16 bytes */
	put_zeros(&p, 14);
	put8(&p, 17); /* next: UDP; first fragment (offset 0), more fragments */
	put8(&p, 0);
	put16(&p, 1);
	put32(&p, 0xabcd);
	udp(&p, 546, 547);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_int_equal(f.proto, 17);
	assert_int_equal(f.tos, 0x2e);
	assert_memory_equal(f.dst_addr, v6_dst, 16);
	assert_int_equal(f.src_port, 546);
	assert_int_equal(f.dst_port, 547);
}

static void ipv6_later_fragment_has_no_ports(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	ipv6(&p, 0, 44);
	put8(&p, 6);
	put8(&p, 0);
	put16(&p, 100 << 3); /* offset 100 */
	put32(&p, 7);
	tcp(&p, 1, 2, 0x10);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_IPV6, &f), FF_PKTHDR_L3);
	assert_int_equal(f.proto, 6);
	assert_int_equal(f.src_port, 0);
	assert_int_equal(f.tcp_flags, 0);
}

static void ipv6_extension_chain_bounded(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	ipv6(&p, 0, 60);
	for (int i = 0; i < 20; i++) {
		put8(&p, 60);
		put8(&p, 0);
		put_zeros(&p, 6);
	}
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_IPV6, &f), FF_PKTHDR_L3);
	assert_int_equal(f.proto, 60);
	assert_int_equal(f.src_port, 0);
}

static void icmp_type_code_as_dst_port(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	ipv4(&p, 5, 0, 1, 0);
	put8(&p, 3); /* destination unreachable */
	put8(&p, 1); /* host unreachable */
	put16(&p, 0);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_IPV4, &f), FF_PKTHDR_L4);
	assert_int_equal(f.src_port, 0);
	assert_int_equal(f.dst_port, 3 * 256 + 1);

	p.n = 0;
	eth(&p, 0x86dd);
	ipv6(&p, 0, 58);
	put8(&p, 128); /* echo request */
	put8(&p, 0);
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_int_equal(f.proto, 58);
	assert_int_equal(f.dst_port, 128 * 256);
}

static void cut_short_keeps_what_it_reached(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x0800);
	ipv4(&p, 5, 0, 6, 0);
	tcp(&p, 40000, 443, 0x18);
	ff_flow f;
	/* Ports but not the flags byte. */
	assert_int_equal(ff_pkthdr_parse(p.b, 14 + 20 + 10, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L4);
	assert_int_equal(f.dst_port, 443);
	assert_int_equal(f.tcp_flags, 0);
	/* The IP header only. */
	assert_int_equal(ff_pkthdr_parse(p.b, 14 + 20 + 3, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L3);
	assert_int_equal(f.proto, 6);
	assert_int_equal(f.dst_port, 0);
	/* Part of the IP header: nothing of it is trusted. */
	assert_int_equal(ff_pkthdr_parse(p.b, 14 + 19, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L2);
	assert_int_equal(f.proto, 0);
	assert_int_equal(ff_pkthdr_parse(p.b, 13, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_NONE);
	assert_int_equal(ff_pkthdr_parse(p.b, 0, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_NONE);
	/* A VLAN tag cut in the middle. */
	p.n = 0;
	eth(&p, 0x8100);
	put16(&p, 5);
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L2);
}

static void not_ip_or_unknown_protocol(void **state)
{
	(void)state;
	struct pkt p = {.n = 0};
	eth(&p, 0x0806); /* ARP */
	put_zeros(&p, 28);
	ff_flow f;
	assert_int_equal(parse(&p, FF_PKTHDR_ETHERNET, &f), FF_PKTHDR_L2);
	assert_int_equal(f.proto, 0);
	uint8_t zero[FF_ADDR_LEN] = {0};
	assert_memory_equal(f.src_addr, zero, FF_ADDR_LEN);
	/* header_protocol 2 (Token Ring) is not parsed. */
	assert_int_equal(parse(&p, 2, &f), FF_PKTHDR_NONE);
	/* An IPv4 header protocol whose bytes are IPv6. */
	p.n = 0;
	ipv6(&p, 0, 6);
	assert_int_equal(parse(&p, FF_PKTHDR_IPV4, &f), FF_PKTHDR_NONE);
	/* An IHL below the minimum. */
	p.n = 0;
	ipv4(&p, 5, 0, 6, 0);
	p.b[0] = 0x44;
	assert_int_equal(parse(&p, FF_PKTHDR_IPV4, &f), FF_PKTHDR_NONE);
}

static const struct CMUnitTest packet_headers_tests[] = {
    cmocka_unit_test(eth_ipv4_tcp),
    cmocka_unit_test(eth_vlan_udp),
    cmocka_unit_test(eth_qinq_tcp),
    cmocka_unit_test(ipv4_options),
    cmocka_unit_test(ipv4_later_fragment_has_no_ports),
    cmocka_unit_test(ipv6_extension_headers),
    cmocka_unit_test(ipv6_later_fragment_has_no_ports),
    cmocka_unit_test(ipv6_extension_chain_bounded),
    cmocka_unit_test(icmp_type_code_as_dst_port),
    cmocka_unit_test(cut_short_keeps_what_it_reached),
    cmocka_unit_test(not_ip_or_unknown_protocol),
};

FF_TEST_MAIN(packet_headers_tests)
