#include "pcap_reader.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
/* More stacked tags than this is not a real frame; it bounds the loop. */
#define PCAP_MAX_VLAN_TAGS 4
/* Extension headers walked before giving up on an IPv6 packet. */
#define PCAP_MAX_IPV6_EXT 8
#define IPPROTO_UDP_ 17

struct ff_pcap_reader {
	pcap_t *pcap;
	int dlt;
	ff_pcap_counts counts;
	char err[PCAP_ERRBUF_SIZE];
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void map_v4(uint8_t out[FF_PCAP_ADDR_LEN], const uint8_t *v4)
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* The UDP header at `p` (`len` bytes of IP payload). */
static int parse_udp(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	if (len < 8) {
		c->truncated++;
		return 0;
	}
	size_t ulen = rd16(p + 4);
	/* A UDP length below the header or beyond the bytes captured cannot be trusted. */
	if (ulen < 8 || ulen > len) {
		c->truncated++;
		return 0;
	}
	out->src_port = rd16(p);
	out->dst_port = rd16(p + 2);
	out->payload = p + 8;
	out->len = ulen - 8;
	c->udp++;
	return 1;
}

static int parse_ipv4(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	if (len < 20 || (p[0] >> 4) != 4) {
		c->truncated++;
		return 0;
	}
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = rd16(p + 2);
	if (ihl < 20 || total < ihl || total > len) {
		c->truncated++;
		return 0;
	}
	/* More-fragments set or a non-zero offset: a piece of a larger datagram. */
	if ((rd16(p + 6) & 0x3fff) != 0) {
		c->fragments++;
		return 0;
	}
	if (p[9] != IPPROTO_UDP_) {
		c->not_udp++;
		return 0;
	}
	map_v4(out->src, p + 12);
	map_v4(out->dst, p + 16);
	return parse_udp(p + ihl, total - ihl, out, c);
}

/* Hop-by-hop (0), routing (43) and destination options (60) share one layout. */
static bool ipv6_skippable_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

static int parse_ipv6(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	if (len < 40 || (p[0] >> 4) != 6) {
		c->truncated++;
		return 0;
	}
	size_t plen = rd16(p + 4);
	if (40 + plen > len) {
		c->truncated++;
		return 0;
	}
	uint8_t nh = p[6];
	size_t off = 40, end = 40 + plen;
	for (int i = 0; i < PCAP_MAX_IPV6_EXT && ipv6_skippable_ext(nh); i++) {
		if (off + 8 > end) {
			c->truncated++;
			return 0;
		}
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (nh == 44) {
		c->fragments++;
		return 0;
	}
	if (nh != IPPROTO_UDP_ || off > end) {
		c->not_udp++;
		return 0;
	}
	memcpy(out->src, p + 8, 16);
	memcpy(out->dst, p + 24, 16);
	return parse_udp(p + off, end - off, out, c);
}

static int parse_ethertype(unsigned type, const uint8_t *p, size_t len, ff_pcap_udp *out,
			   ff_pcap_counts *c)
{
	if (type == ETHERTYPE_IPV4)
		return parse_ipv4(p, len, out, c);
	if (type == ETHERTYPE_IPV6)
		return parse_ipv6(p, len, out, c);
	c->not_ip++;
	return 0;
}

static int parse_ethernet(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	size_t off = 12;
	if (len < off + 2) {
		c->truncated++;
		return 0;
	}
	unsigned type = rd16(p + off);
	for (int i = 0; i < PCAP_MAX_VLAN_TAGS; i++) {
		if (type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ && type != ETHERTYPE_QINQ_OLD)
			break;
		off += 4;
		if (len < off + 2) {
			c->truncated++;
			return 0;
		}
		type = rd16(p + off);
	}
	off += 2;
	return parse_ethertype(type, p + off, len - off, out, c);
}

/* The version nibble decides for link types that carry bare IP of either family. */
static int parse_raw_ip(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	if (len < 1) {
		c->truncated++;
		return 0;
	}
	if ((p[0] >> 4) == 4)
		return parse_ipv4(p, len, out, c);
	if ((p[0] >> 4) == 6)
		return parse_ipv6(p, len, out, c);
	c->not_ip++;
	return 0;
}

/*
 * BSD loopback: a 4-byte address family, in the capturing host's byte order
 * for DLT_NULL and big-endian for DLT_LOOP. AF_INET6 differs between
 * systems (10, 24, 28, 30), so the IP version nibble decides instead.
 */
static int parse_null(const uint8_t *p, size_t len, ff_pcap_udp *out, ff_pcap_counts *c)
{
	if (len < 4) {
		c->truncated++;
		return 0;
	}
	return parse_raw_ip(p + 4, len - 4, out, c);
}

int ff_pcap_parse_frame(int dlt, const uint8_t *frame, size_t caplen, ff_pcap_udp *out,
			ff_pcap_counts *c)
{
	switch (dlt) {
	case DLT_EN10MB:
		return parse_ethernet(frame, caplen, out, c);
	case DLT_LINUX_SLL:
		/* 16-byte header; the protocol (an ethertype) is its last field. */
		if (caplen < 16)
			break;
		return parse_ethertype(rd16(frame + 14), frame + 16, caplen - 16, out, c);
	case DLT_LINUX_SLL2:
		/* 20-byte header; the protocol comes first. */
		if (caplen < 20)
			break;
		return parse_ethertype(rd16(frame), frame + 20, caplen - 20, out, c);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return parse_raw_ip(frame, caplen, out, c);
	case DLT_NULL:
	case DLT_LOOP:
		return parse_null(frame, caplen, out, c);
	default:
		c->not_ip++;
		return 0;
	}
	c->truncated++;
	return 0;
}

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

int ff_pcap_open(const char *path, ff_pcap_reader **out, char *err, size_t errlen)
{
	*out = NULL;
	ff_pcap_reader *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return FF_PCAP_EREAD;
	}
	r->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, r->err);
	if (r->pcap == NULL) {
		snprintf(err, errlen, "%s: %s", path, r->err);
		free(r);
		return FF_PCAP_EREAD;
	}
	r->dlt = pcap_datalink(r->pcap);
	r->err[0] = '\0';
	if (!dlt_supported(r->dlt)) {
		const char *name = pcap_datalink_val_to_name(r->dlt);
		snprintf(err, errlen, "%s: link type %s (%d) is not supported", path,
			 name != NULL ? name : "?", r->dlt);
		ff_pcap_close(r);
		return FF_PCAP_ELINK;
	}
	*out = r;
	return 0;
}

int ff_pcap_next(ff_pcap_reader *r, ff_pcap_udp *out)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc = pcap_next_ex(r->pcap, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			snprintf(r->err, sizeof r->err, "%s", pcap_geterr(r->pcap));
			return -1;
		}
		r->counts.frames++;
		/* A frame shorter on the wire than captured is corrupt; trust the smaller. */
		size_t caplen = h->caplen < h->len ? h->caplen : h->len;
		if (h->caplen < h->len)
			r->counts.truncated++;
		else if (ff_pcap_parse_frame(r->dlt, data, caplen, out, &r->counts) == 1) {
			out->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			return 1;
		}
	}
}

const ff_pcap_counts *ff_pcap_counters(const ff_pcap_reader *r)
{
	return &r->counts;
}

const char *ff_pcap_linktype(const ff_pcap_reader *r)
{
	const char *n = pcap_datalink_val_to_name(r->dlt);
	return n != NULL ? n : "unknown";
}

const char *ff_pcap_error(const ff_pcap_reader *r)
{
	return r->err;
}

void ff_pcap_close(ff_pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->pcap != NULL)
		pcap_close(r->pcap);
	free(r);
}
