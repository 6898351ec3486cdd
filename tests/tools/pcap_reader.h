#ifndef FF_PCAP_READER_H
#define FF_PCAP_READER_H

/*
 * Reads the UDP datagrams out of a capture file, for the tools that replay
 * captured flow exports through the agent's decoders (ffdecode) without a
 * live capture.
 *
 * The file formats (classic pcap in either byte order, micro- or nanosecond
 * stamps, and pcapng) are libpcap's job: it is a dependency already (the
 * agent's capture mode) and its offline reader is well tested against far
 * more files than ours would be. The layers above the file format are
 * parsed here, because libpcap does not: Ethernet (with 802.1Q/802.1ad
 * tags), Linux cooked SLL and SLL2, raw IPv4/IPv6 and BSD null/loopback
 * link types; IPv4 and IPv6 (extension headers skipped); UDP.
 *
 * IP fragments are skipped and counted rather than reassembled: no export
 * datagram in the corpus is fragmented, and a counted skip is visible where
 * a silent partial datagram would not be.
 */

#include <stddef.h>
#include <stdint.h>

#define FF_PCAP_ADDR_LEN 16

/* One UDP datagram. Addresses are 16 bytes, IPv4 v4-mapped (::ffff:a.b.c.d). */
typedef struct ff_pcap_udp {
	uint8_t src[FF_PCAP_ADDR_LEN];
	uint8_t dst[FF_PCAP_ADDR_LEN];
	uint16_t src_port;
	uint16_t dst_port;
	uint64_t ts_us;		/* capture time, unix microseconds */
	const uint8_t *payload; /* borrowed: valid until the next ff_pcap_next() */
	size_t len;
} ff_pcap_udp;

/* What the reader saw besides the datagrams it returned. */
typedef struct ff_pcap_counts {
	uint64_t frames;    /* every frame in the file */
	uint64_t udp;	    /* UDP datagrams returned */
	uint64_t not_udp;   /* IP packets of another protocol (TCP, ICMP, ...) */
	uint64_t not_ip;    /* frames that carry no IP packet (ARP, LLDP, ...) */
	uint64_t fragments; /* IPv4 or IPv6 fragments, skipped */
	uint64_t truncated; /* frames cut short by the snap length or lying lengths */
} ff_pcap_counts;

typedef struct ff_pcap_reader ff_pcap_reader;

/* ff_pcap_open() failures. */
enum ff_pcap_open_error {
	FF_PCAP_EREAD = -1, /* not readable, or not a pcap/pcapng file */
	FF_PCAP_ELINK = -2, /* a link type not listed above */
};

/*
 * Opens `path` into *out (caller closes with ff_pcap_close()). Returns 0, or
 * an ff_pcap_open_error with a message in `err` (at least 256 bytes).
 */
int ff_pcap_open(const char *path, ff_pcap_reader **out, char *err, size_t errlen);

/*
 * Fills `out` with the next UDP datagram. Returns 1 when it did, 0 at the end
 * of the file, -1 when the file is corrupt past this point (message in
 * ff_pcap_error()).
 */
int ff_pcap_next(ff_pcap_reader *r, ff_pcap_udp *out);

/* The reader's counters so far (borrowed). */
const ff_pcap_counts *ff_pcap_counters(const ff_pcap_reader *r);

/* libpcap's link-layer name of the file, e.g. "EN10MB" (borrowed). */
const char *ff_pcap_linktype(const ff_pcap_reader *r);

/* The last read error (borrowed); empty when there was none. */
const char *ff_pcap_error(const ff_pcap_reader *r);

void ff_pcap_close(ff_pcap_reader *r);

/*
 * Parses one frame of libpcap link type `dlt` down to UDP. Returns 1 and
 * fills `out` for a complete UDP datagram, 0 for anything else, counting the
 * reason in `counts`. Exposed for the fuzz and unit tests of the parser.
 */
int ff_pcap_parse_frame(int dlt, const uint8_t *frame, size_t caplen, ff_pcap_udp *out,
			ff_pcap_counts *counts);

#endif
