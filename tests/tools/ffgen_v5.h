#ifndef FFGEN_V5_H
#define FFGEN_V5_H

/*
 * Writes NetFlow v5 export datagrams (Cisco's layout: a 24-byte header and
 * up to 30 records of 48 bytes, all big-endian) and the deliberately broken
 * datagrams the malformed-input tests send.
 */

#include <stddef.h>
#include <stdint.h>

#include "ffgen_keys.h"
#include "ffgen_rng.h"

#define FFGEN_V5_HEADER_LEN 24
#define FFGEN_V5_RECORD_LEN 48
/* Cisco's limit per datagram; receivers may reject a larger count. */
#define FFGEN_V5_MAX_RECORDS 30
#define FFGEN_V5_MAX_LEN (FFGEN_V5_HEADER_LEN + FFGEN_V5_MAX_RECORDS * FFGEN_V5_RECORD_LEN)

/*
 * One datagram under construction. The per-record key index and counters
 * are kept beside the bytes so the caller can count the records into its
 * ground truth once the datagram was actually sent.
 */
struct ffgen_v5_writer {
	uint8_t buf[FFGEN_V5_MAX_LEN];
	size_t count;
	uint32_t sequence; /* flow_sequence of the next datagram */
	uint32_t uptime;
	uint32_t unix_secs;
	uint32_t unix_nsecs;
	uint8_t engine_type;
	uint8_t engine_id;
	uint32_t key_index[FFGEN_V5_MAX_RECORDS];
	uint32_t packets[FFGEN_V5_MAX_RECORDS];
	uint32_t bytes[FFGEN_V5_MAX_RECORDS];
};

void ffgen_v5_init(struct ffgen_v5_writer *w, uint8_t engine_type, uint8_t engine_id);
/* Starts a datagram stamped with the exporter's uptime (ms) and the wall clock. */
void ffgen_v5_begin(struct ffgen_v5_writer *w, uint32_t uptime_ms);
/*
 * Appends a record; at most FFGEN_V5_MAX_RECORDS per datagram. The flow
 * ended `age_ms` before the header's uptime and lasted `dur_ms`.
 */
void ffgen_v5_add(struct ffgen_v5_writer *w, uint32_t key_index, const struct ffgen_key *k,
		  uint32_t packets, uint32_t bytes, uint32_t age_ms, uint32_t dur_ms,
		  uint8_t tcp_flags);
/* Writes the header; returns the datagram length. Advances flow_sequence. */
size_t ffgen_v5_finish(struct ffgen_v5_writer *w);

/* A plausible OR of TCP flags for the protocol (0 for anything but TCP). */
uint8_t ffgen_v5_tcp_flags(struct ffgen_rng *r, uint8_t proto);

/*
 * Writes one bad datagram of `kind` ("random", "short", "lying-count",
 * "bad-count", "bad-version") into buf; returns its length, or 0 for an unknown kind.
 */
size_t ffgen_v5_malformed(const char *kind, struct ffgen_rng *r, uint32_t uptime_ms, uint8_t *buf,
			  size_t cap);

#endif
