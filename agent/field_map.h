#ifndef FF_FIELD_MAP_H
#define FF_FIELD_MAP_H

/*
 * From NetFlow v9 field types and IPFIX information elements to the
 * canonical record. v9 field types 1..127 are the IPFIX element ids of the
 * same meaning (RFC 7012 section 4 keeps them), so one table serves both;
 * enterprise-specific elements map to nothing and are skipped by their
 * length. docs/fields.md lists every mapping.
 *
 * ff_field_map_record() reads one data record with its template into an
 * ff_field_values (everything the record said, before interpretation);
 * ff_field_map_flow() then derives the canonical flow: times from whichever
 * form the exporter used, bytes and packets from the first counter present,
 * the announced sampling rate.
 */

#include "ff_flow.h"
#include "template_cache.h"

#include <stddef.h>
#include <stdint.h>

enum ff_field_action {
	FF_FA_SKIP = 0,
	FF_FA_SRC_V4,
	FF_FA_DST_V4,
	FF_FA_SRC_V6,
	FF_FA_DST_V6,
	FF_FA_SRC_PORT,
	FF_FA_DST_PORT,
	FF_FA_PROTO,
	FF_FA_TOS,
	FF_FA_TCP_FLAGS,
	FF_FA_IN_IF,
	FF_FA_OUT_IF,
	FF_FA_SRC_AS,
	FF_FA_DST_AS,
	FF_FA_ICMP_TYPE_CODE,
	/* Counters and times, kept in ff_field_values.v[] by action. */
	FF_FA_BYTES,
	FF_FA_PACKETS,
	FF_FA_OUT_BYTES,
	FF_FA_OUT_PACKETS,
	FF_FA_TOTAL_BYTES,
	FF_FA_TOTAL_PACKETS,
	FF_FA_FIRST_UPTIME,
	FF_FA_LAST_UPTIME,
	FF_FA_START_SEC,
	FF_FA_END_SEC,
	FF_FA_START_MS,
	FF_FA_END_MS,
	FF_FA_START_US,
	FF_FA_END_US,
	FF_FA_START_NS,
	FF_FA_END_NS,
	FF_FA_START_DELTA_US,
	FF_FA_END_DELTA_US,
	FF_FA_SYSINIT_MS,
	FF_FA_SAMPLER_ID,
	FF_FA_SELECTOR_ID,
	FF_FA_SAMPLING_INTERVAL,
	FF_FA_SAMPLER_RANDOM_INTERVAL,
	FF_FA_PKT_INTERVAL,
	FF_FA_PKT_SPACE,
	FF_FA_N,
};

/* The action for an element (`len` rules out sizes it cannot have, e.g. a 3-byte address). */
enum ff_field_action ff_field_action_of(uint32_t enterprise, uint16_t id, uint16_t len);

/* What one record said: the key fields in `flow`, the rest by action. */
typedef struct ff_field_values {
	ff_flow flow;
	uint64_t v[FF_FA_N];
	uint64_t seen; /* bit (1 << action) for each action found */
} ff_field_values;

/*
 * Reads one record of template `t` from `rec` (at most `avail` bytes).
 * Returns the record's length, or 0 when the record does not fit (its
 * varlen fields or fixed part run past `avail`).
 */
size_t ff_field_map_record(const ff_template *t, const uint8_t *rec, size_t avail,
			   ff_field_values *out);

/*
 * Completes the canonical flow from the values: times (sysUptime-relative
 * ones against `hdr` or the record's or domain's `sysinit_ms`, absolute ones
 * as given, deltas back from the export time), counters, and the sampling
 * rate announced in the record (`table_rate` from a sampler table when the
 * record names a sampler, 0 when unknown). The exporter is not set.
 */
void ff_field_map_flow(ff_field_values *v, const ff_export_hdr *hdr, uint64_t sysinit_ms,
		       uint32_t table_rate);

/* The sampling rate an options record announces (0: none): interval, random interval or space. */
uint32_t ff_field_map_rate(const ff_field_values *v);

/* True when the record carries the action's element. */
static inline int ff_field_has(const ff_field_values *v, enum ff_field_action a)
{
	return (v->seen >> a) & 1;
}

#endif
