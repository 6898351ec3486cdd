#ifndef FF_PACKET_HEADERS_H
#define FF_PACKET_HEADERS_H

/*
 * Parses the first bytes of a sampled packet, as sFlow's raw packet header
 * record carries them, into the key fields of a canonical flow: addresses,
 * ports, protocol, TCP flags and ToS. Understood: Ethernet II with any
 * stack of 802.1Q / 802.1ad (QinQ) tags, IPv4 (options, fragments), IPv6
 * (hop-by-hop, routing, fragment, destination options and AH extension
 * headers), TCP, UDP, ICMP and ICMPv6.
 *
 * A sampled header is normally cut short (128 bytes is a common snapshot),
 * so running out of bytes is not an error: the fields reached so far are
 * filled and the rest stay zero. The input is untrusted; every read is
 * bounds-checked and every loop is bounded.
 *
 * ICMP follows nfdump's convention: src_port 0, dst_port type * 256 + code.
 * Only the first fragment of an IP packet carries ports.
 */

#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

/* The header_protocol values of sFlow v5 (sflow_version_5.txt, "header_protocol"). */
enum ff_pkthdr_proto {
	FF_PKTHDR_ETHERNET = 1,
	FF_PKTHDR_IPV4 = 11,
	FF_PKTHDR_IPV6 = 12,
};

/* How deep a header was understood (the return of ff_pkthdr_parse). */
enum ff_pkthdr_depth {
	FF_PKTHDR_NONE = 0, /* unknown header protocol or too short for its first layer */
	FF_PKTHDR_L2 = 2,   /* link layer only: not IP, or IP cut short */
	FF_PKTHDR_L3 = 3,   /* addresses and protocol; no (or no known) transport header */
	FF_PKTHDR_L4 = 4,   /* ports (or ICMP type/code) as well */
};

/*
 * Parses `len` bytes at `hdr` (borrowed), whose first layer is `proto` (an
 * enum ff_pkthdr_proto value; anything else yields FF_PKTHDR_NONE), and
 * sets src_addr, dst_addr, src_port, dst_port, proto, tcp_flags and tos of
 * `f`, zeroing them first. Other fields of `f` are left alone. Returns the
 * depth reached; never fails.
 */
enum ff_pkthdr_depth ff_pkthdr_parse(const uint8_t *hdr, size_t len, uint32_t proto, ff_flow *f);

#endif
