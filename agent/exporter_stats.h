#ifndef FF_EXPORTER_STATS_H
#define FF_EXPORTER_STATS_H

/*
 * Per-exporter counters: datagrams, decoded records and malformed datagrams
 * by reason, keyed by the exporter's UDP source address. The table is
 * bounded so a flood of spoofed sources cannot grow it without limit: once
 * full, new sources are counted together under the all-zero address (shown
 * as "::"), and a warning says so once.
 *
 * Malformed datagrams are logged at most once per FF_EXPORTER_LOG_MS per
 * exporter, with the number of complaints suppressed since the last line.
 */

#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

#define FF_EXPORTER_LOG_MS 60000

enum ff_malformed_reason {
	FF_MAL_SHORT_HEADER,
	FF_MAL_BAD_COUNT,
	FF_MAL_TRUNCATED,
	FF_MAL_UNSUPPORTED_VERSION,
	FF_MAL_N,
};

typedef struct ff_exporter_counters {
	uint8_t addr[FF_ADDR_LEN];
	uint64_t packets;
	uint64_t records;
	uint64_t malformed[FF_MAL_N];
	uint64_t last_log_ms; /* when a malformed packet was last logged */
	uint64_t suppressed;  /* malformed packets not logged since then */
} ff_exporter_counters;

typedef struct ff_exporter_stats ff_exporter_stats;

/* A table holding at most `max_exporters` addresses; NULL when out of memory. */
ff_exporter_stats *ff_exporter_stats_new(size_t max_exporters);
void ff_exporter_stats_free(ff_exporter_stats *s);

/* The counter name of a reason, e.g. "malformed.bad_count". */
const char *ff_malformed_name(enum ff_malformed_reason r);

/*
 * Counts one datagram from `addr` whose decode returned `decode_rc` (records
 * emitted, or an ff_decode_error), logging malformed ones (rate-limited).
 */
void ff_exporter_stats_count(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN], int decode_rc,
			     uint64_t now_ms);

/* Iterates: *cursor starts at 0; returns the next entry (borrowed) or NULL at the end. */
const ff_exporter_counters *ff_exporter_stats_next(const ff_exporter_stats *s, size_t *cursor);

size_t ff_exporter_stats_count_exporters(const ff_exporter_stats *s);

#endif
