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
 * exporter, with the number of complaints suppressed since the last line;
 * so are templates refused or evicted, on their own clock.
 */

#include "agent_counters.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_EXPORTER_LOG_MS 60000

/* One per enum ff_decode_error (common/ff_err.h), in the same order. */
enum ff_malformed_reason {
	FF_MAL_SHORT_HEADER,
	FF_MAL_BAD_COUNT,
	FF_MAL_TRUNCATED,
	FF_MAL_UNSUPPORTED_VERSION,
	FF_MAL_BAD_SET_LENGTH,
	FF_MAL_BAD_RECORD,
	FF_MAL_BAD_TEMPLATE,
	FF_MAL_N,
};

/*
 * What else is counted per exporter: template-cache events, data that could
 * not be decoded for want of a template, held data, sequence-number loss by
 * protocol unit, and samples that are not flows. Only non-zero ones are
 * reported.
 */
enum ff_exporter_event {
	FF_EV_NO_TEMPLATE,		/* data sets dropped: no template, never arrived in time */
	FF_EV_TEMPLATES,		/* template and options template records learned */
	FF_EV_TEMPLATE_REPLACED,	/* a known template id redefined with another layout */
	FF_EV_TEMPLATE_WITHDRAWN,	/* IPFIX withdrawals (each template removed) */
	FF_EV_PENDING_HELD,		/* data sets held for a template yet to come */
	FF_EV_PENDING_DECODED,		/* held data sets decoded once their template came */
	FF_EV_PENDING_EXPIRED,		/* held data sets dropped (too old or no room) */
	FF_EV_OPTIONS_RECORDS,		/* options data records (sampler tables etc.) */
	FF_EV_SEQ_LOST_V5_FLOWS,	/* v5: flows missing from flow_sequence */
	FF_EV_SEQ_LOST_V9_PACKETS,	/* v9: export packets missing */
	FF_EV_SEQ_LOST_IPFIX_RECORDS,	/* IPFIX: data records missing */
	FF_EV_SEQ_LOST_SFLOW_DATAGRAMS, /* sFlow: datagrams missing */
	FF_EV_SEQ_LOST_SFLOW_SAMPLES,	/* sFlow: flow samples missing */
	FF_EV_COUNTER_SAMPLES,		/* sFlow counter samples (interface metrics, not flows) */
	FF_EV_TEMPLATE_REFUSED, /* templates not stored: beyond its fair share, or no memory */
	FF_EV_TEMPLATE_EVICTED, /* its templates evicted to make room (template_cache.h) */
	FF_EV_IMPLAUSIBLE,	/* records dropped: more bytes a packet than any packet holds */
	FF_EV_CLOCK_SKEWED,	/* records stamped outside now +/- --max-clock-skew (kept) */
	/* Datagrams and decoded records by protocol (an exporter may speak several),
	 * in the order of ff_decoder_ctx.protocol. */
	FF_EV_DATAGRAMS_V5,
	FF_EV_DATAGRAMS_V9,
	FF_EV_DATAGRAMS_IPFIX,
	FF_EV_DATAGRAMS_SFLOW,
	FF_EV_RECORDS_V5,
	FF_EV_RECORDS_V9,
	FF_EV_RECORDS_IPFIX,
	FF_EV_RECORDS_SFLOW,
	FF_EV_N,
};

/*
 * What the aggregator's exporter diagnosis needs beside the counters
 * (docs/operations.md), bounded: at most FF_EXPORTER_MAX_MISSING template
 * ids waiting for their template are listed, the rest only counted; the
 * clock offset is the largest of the last one or two windows of
 * FF_EXPORTER_SKEW_WINDOW_MS, so an exporter whose clock was fixed stops
 * showing it.
 */
#define FF_EXPORTER_MAX_MISSING	   8
#define FF_EXPORTER_SKEW_WINDOW_MS 300000

typedef struct ff_missing_template {
	uint32_t domain; /* v9 source id, IPFIX observation domain */
	uint16_t template_id;
	uint64_t data_sets; /* data sets that came for it without the template */
	uint64_t first_ms, last_ms;
} ff_missing_template;

typedef struct ff_exporter_diag {
	uint64_t last_datagram_ms;
	uint64_t interval_ms; /* EWMA of the gaps between datagrams; valid once has_interval */
	bool has_interval;
	uint64_t last_template_ms; /* 0: none learned */
	ff_missing_template missing[FF_EXPORTER_MAX_MISSING];
	uint32_t n_missing;
	uint32_t missing_unlisted; /* data sets of pairs beyond the list, since the last template */
	uint32_t sampling_rate;	   /* applied to the latest decoded record */
	uint8_t sampling_source;   /* enum ff_sampling_source (sampling.h) */
	int64_t skew_cur, skew_prev; /* signed offset of largest magnitude per window */
	uint64_t skew_window_ms;     /* start of the current window; 0: none yet */
} ff_exporter_diag;

typedef struct ff_exporter_counters {
	uint8_t addr[FF_ADDR_LEN];
	ff_exporter_diag diag;
	uint64_t packets;
	uint64_t records;
	uint64_t malformed[FF_MAL_N];
	uint64_t events[FF_EV_N];
	uint64_t last_log_ms;	  /* when a malformed packet was last logged */
	uint64_t suppressed;	  /* malformed packets not logged since then */
	uint64_t tpl_last_log_ms; /* when a refused or evicted template was last logged */
	uint64_t tpl_suppressed;  /* refused or evicted templates not logged since then */
} ff_exporter_counters;

typedef struct ff_exporter_stats ff_exporter_stats;

/* A table holding at most `max_exporters` addresses; NULL when out of memory. */
ff_exporter_stats *ff_exporter_stats_new(size_t max_exporters);
void ff_exporter_stats_free(ff_exporter_stats *s);

/* The counter name of a reason, e.g. "malformed.bad_count". */
const char *ff_malformed_name(enum ff_malformed_reason r);

/* The counter name of an event, e.g. "template.replaced". */
const char *ff_exporter_event_name(enum ff_exporter_event ev);

/* Room for every counter of one exporter in ff_exporter_counters_list(). */
#define FF_EXPORTER_MAX_COUNTERS (2 + FF_MAL_N + FF_EV_N)

/*
 * The counters of `e` as the Hello and the agent's /metrics name them:
 * "packets" and "records" always, the others when not zero. Fills `out`
 * (names borrowed, static) and returns how many.
 */
/* Protocols counted apart: NetFlow v5, v9, IPFIX, sFlow. */
#define FF_DECODE_PROTOCOLS 4

/*
 * ff_exporter_stats_count() for a datagram the dispatcher gave to decoder
 * `protocol` (ff_decoder_ctx.protocol: 0 NetFlow v5, 1 v9, 2 IPFIX, 3 sFlow;
 * -1 none), counted by protocol too in the same table lookup.
 */
void ff_exporter_stats_count_protocol(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				      int protocol, int decode_rc, uint64_t now_ms);

size_t ff_exporter_counters_list(const ff_exporter_counters *e,
				 ff_counter_ref out[FF_EXPORTER_MAX_COUNTERS]);

/*
 * Counts one datagram from `addr` whose decode returned `decode_rc` (records
 * emitted, or an ff_decode_error), logging malformed ones (rate-limited).
 */
void ff_exporter_stats_count(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN], int decode_rc,
			     uint64_t now_ms);

/*
 * Adds `n` to event `ev` of `addr`; a negative `n` takes back (never below
 * zero), as a late packet does for sequence loss. `s` may be NULL.
 */
void ff_exporter_stats_add(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
			   enum ff_exporter_event ev, int64_t n);

/*
 * Counts a malformed part of a datagram that was otherwise decoded (the
 * datagram itself is counted by ff_exporter_stats_count() with its record
 * count), logging it rate-limited. `decode_err` is an ff_decode_error; `s`
 * may be NULL.
 */
void ff_exporter_stats_malformed(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				 int decode_err, uint64_t now_ms);

/*
 * Counts one template of `addr` refused or evicted (`ev` is
 * FF_EV_TEMPLATE_REFUSED or FF_EV_TEMPLATE_EVICTED) and logs it, naming
 * the exporter, the template id and `why`, at most once per
 * FF_EXPORTER_LOG_MS per exporter. `s` may be NULL.
 */
void ff_exporter_stats_template_lost(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				     enum ff_exporter_event ev, uint16_t template_id,
				     const char *why, uint64_t now_ms);

/*
 * Data of (`domain`, `template_id`) came from `addr` without its template:
 * listed (or counted as unlisted once FF_EXPORTER_MAX_MISSING are). `s` may
 * be NULL.
 */
void ff_exporter_stats_missing_template(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
					uint32_t domain, uint16_t template_id, uint64_t now_ms);

/*
 * A template (`domain`, `template_id`) of `addr` was learned: noted as the
 * last template, its entry leaves the missing list, the unlisted count is
 * cleared (pairs still missing are listed again by their next data). `s`
 * may be NULL.
 */
void ff_exporter_stats_template_learned(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
					uint32_t domain, uint16_t template_id, uint64_t now_ms);

/* The rate applied to the latest records of `addr` and its source. `s` may be NULL. */
void ff_exporter_stats_sampling(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				uint32_t rate, int source);

/*
 * Counts one record of `addr` stamped `offset_ms` from the agent's clock
 * (record time minus arrival) as records.clock_skewed and keeps the largest
 * offset of the window. `s` may be NULL.
 */
void ff_exporter_stats_skewed(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
			      int64_t offset_ms, uint64_t now_ms);

/* The largest clock offset of the last one or two windows at `now_ms`; 0 when none. */
int64_t ff_exporter_clock_offset(const ff_exporter_counters *e, uint64_t now_ms);

/* Iterates: *cursor starts at 0; returns the next entry (borrowed) or NULL at the end. */
const ff_exporter_counters *ff_exporter_stats_next(const ff_exporter_stats *s, size_t *cursor);

size_t ff_exporter_stats_count_exporters(const ff_exporter_stats *s);

/*
 * Adds every counter of `src` into `dst` (the receive threads keep a table
 * each; the Hello carries their sum). Returns 0 or -ENOMEM.
 */
int ff_exporter_stats_merge(ff_exporter_stats *dst, const ff_exporter_stats *src);

#endif
