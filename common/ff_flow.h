#ifndef FF_FLOW_H
#define FF_FLOW_H

/*
 * The canonical flow record: one fixed-size struct used by every decoder,
 * the summarizer, the wire encoding and the aggregator's store and queries.
 *
 * Addresses are 16 bytes in network order; IPv4 is stored v4-mapped
 * (::ffff:a.b.c.d) so one code path handles both families. A field whose bit
 * is set in `wildcards` was aggregated away by a summarization policy: its
 * value is zero and it is shown as '*', never as the zero.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_ADDR_LEN 16
/* Longest text form of an address, including the terminating NUL. */
#define FF_ADDR_STRLEN 46

/* Bits of ff_flow.wildcards, one per key field. */
enum ff_field {
	FF_FIELD_SRC_ADDR = 1u << 0,
	FF_FIELD_DST_ADDR = 1u << 1,
	FF_FIELD_SRC_PORT = 1u << 2,
	FF_FIELD_DST_PORT = 1u << 3,
	FF_FIELD_PROTO = 1u << 4,
	FF_FIELD_TOS = 1u << 5,
	FF_FIELD_IN_IF = 1u << 6,
	FF_FIELD_OUT_IF = 1u << 7,
	FF_FIELD_SRC_AS = 1u << 8,
	FF_FIELD_DST_AS = 1u << 9,
	FF_FIELD_EXPORTER = 1u << 10,
	FF_FIELD_TCP_FLAGS = 1u << 11,
};

typedef struct ff_flow {
	uint64_t first_ms; /* unix time of the first packet, milliseconds */
	uint64_t last_ms;  /* unix time of the last packet, milliseconds */
	uint64_t bytes;
	uint64_t packets;
	uint64_t flows; /* how many exported flow records were merged here */
	uint8_t src_addr[FF_ADDR_LEN];
	uint8_t dst_addr[FF_ADDR_LEN];
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t src_as;
	uint32_t dst_as;
	uint32_t in_if;
	uint32_t out_if;
	uint32_t sampling_rate; /* 1 in N packets; 0 or 1: unsampled */
	uint32_t wildcards;	/* enum ff_field bits */
	uint32_t agent_ref;	/* the aggregator's interned agent id; 0 in the agent */
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t tcp_flags; /* OR of every packet's flags */
	uint8_t tos;
	uint8_t reserved; /* zero; the struct still has 4 bytes of tail padding (124 -> 128),
			     so code hashing whole records memsets them first */
} ff_flow;

/* Writes the v4-mapped form of an IPv4 address given in host byte order. */
void ff_addr_from_v4(uint8_t out[FF_ADDR_LEN], uint32_t v4_host);

/* True when the address is v4-mapped (an IPv4 address). */
bool ff_addr_is_v4(const uint8_t addr[FF_ADDR_LEN]);

/* The IPv4 address of a v4-mapped address, host byte order. */
uint32_t ff_addr_v4(const uint8_t addr[FF_ADDR_LEN]);

/*
 * Writes the text form: dotted quad for v4-mapped, RFC 5952 otherwise.
 * `buf` must hold FF_ADDR_STRLEN bytes. Returns buf.
 */
char *ff_addr_format(const uint8_t addr[FF_ADDR_LEN], char *buf);

/* Parses an IPv4 or IPv6 address. Returns 0, or -1 if it is neither. */
int ff_addr_parse(const char *text, uint8_t out[FF_ADDR_LEN]);

/*
 * Merges `src` into `dst`: counters add, first/last widen, TCP flags OR.
 * Key fields are left alone; the caller merges only records of one key.
 */
void ff_flow_merge(ff_flow *dst, const ff_flow *src);

/*
 * Adds `v` to a counter, stopping at UINT64_MAX instead of wrapping: a
 * total that wrapped would turn the busiest host into a small one (one
 * hostile record near 2^64 did). Every sum of bytes, packets or flows
 * (merges, rollups, query totals) goes through it.
 */
static inline void ff_counter_add(uint64_t *dst, uint64_t v)
{
	*dst = v > UINT64_MAX - *dst ? UINT64_MAX : *dst + v;
}

#endif
