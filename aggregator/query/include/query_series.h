#ifndef FF_QUERY_SERIES_H
#define FF_QUERY_SERIES_H

/*
 * Time series, the data behind a graph: one metric (bytes, packets or
 * flows) summed per time bin over the records an agent and a filter
 * select. A record counts in the bin of its first_ms, whole: a long flow
 * is not spread over the bins it spans, as nfdump's own profiles count.
 *
 * Bins are aligned to multiples of bin_ms since the unix epoch, so two
 * graphs of the same bin size line up. The first bin is the one holding
 * since_ms, the last the one holding until_ms; a record is counted when
 * since_ms <= first_ms <= until_ms (its end does not matter, unlike the
 * -t window of top-N and the listing). Empty bins are present with 0.
 */

#include "ff_filter.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* The most bins one query may ask for: bounds the answer's memory. */
#define FF_SERIES_MAX_BINS 100000

enum ff_series_metric { FF_SERIES_BYTES, FF_SERIES_PACKETS, FF_SERIES_FLOWS };

typedef struct ff_series_query {
	enum ff_series_metric metric;
	uint64_t bin_ms;	 /* > 0 */
	uint64_t since_ms;	 /* first instant counted, unix ms */
	uint64_t until_ms;	 /* last instant counted, inclusive; >= since_ms */
	const char *agent;	 /* only this agent's records; NULL for all (borrowed) */
	const ff_filter *filter; /* only records it matches; NULL for all (borrowed) */
	uint64_t deadline_ms;	 /* query_deadline.h: CLOCK_MONOTONIC ms; 0 for none */
} ff_series_query;

typedef struct ff_series_result {
	uint64_t start_ms; /* the first bin's start; bin i starts at start_ms + i * bin_ms */
	uint64_t *values;  /* owned; ff_series_result_free() */
	size_t n_bins;
} ff_series_result;

/* Parses "bytes", "packets" or "flows"; returns 0 or -1. */
int ff_series_metric_parse(const char *word, enum ff_series_metric *out);
const char *ff_series_metric_name(enum ff_series_metric m);

/* Bins the query spans; 0 when its bounds are inverted or bin_ms is 0. */
uint64_t ff_series_bins(const ff_series_query *q);

/*
 * Runs the query over `store` (which may be appended to concurrently):
 * through the store's `series` push-down when it has one (store.h), else
 * by summing the records of its scan_range. Returns 0 and fills *out
 * (caller frees with ff_series_result_free()), or, with *out zeroed and
 * nothing to free:
 * -ENOMEM when out of memory, -EINVAL when the query spans no bin or more than
 *    FF_SERIES_MAX_BINS;
 * -ETIMEDOUT when deadline_ms passed first;
 * the store's negative error (common/ff_err.h: -errno or an FF_* code)
 *    when its scan or push-down failed: a partial series is never returned.
 */
int ff_series_run(ff_store *store, const ff_series_query *q, ff_series_result *out);

void ff_series_result_free(ff_series_result *r);

#endif
