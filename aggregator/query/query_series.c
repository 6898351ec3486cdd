#include "query_series.h"

#include "query_deadline.h"
#include "store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct ff_series_ctx {
	const ff_series_query *q;
	ff_series_result *out;
} ff_series_ctx;

static const char *const ff_series_names[] = {"bytes", "packets", "flows"};

int ff_series_metric_parse(const char *word, enum ff_series_metric *out)
{
	for (size_t i = 0; i < sizeof ff_series_names / sizeof ff_series_names[0]; i++) {
		if (strcmp(word, ff_series_names[i]) == 0) {
			*out = (enum ff_series_metric)i;
			return 0;
		}
	}
	return -1;
}

const char *ff_series_metric_name(enum ff_series_metric m)
{
	return (size_t)m < sizeof ff_series_names / sizeof ff_series_names[0] ? ff_series_names[m]
									      : "?";
}

uint64_t ff_series_bins(const ff_series_query *q)
{
	if (q->bin_ms == 0 || q->until_ms < q->since_ms)
		return 0;
	return q->until_ms / q->bin_ms - q->since_ms / q->bin_ms + 1;
}

static uint64_t ff_series_value(enum ff_series_metric m, const ff_flow *f)
{
	return m == FF_SERIES_BYTES ? f->bytes : m == FF_SERIES_PACKETS ? f->packets : f->flows;
}

static int ff_series_scan_batch(void *arg, const ff_batch *b)
{
	ff_series_ctx *x = arg;
	const ff_series_query *q = x->q;
	if (ff_query_expired(q->deadline_ms))
		return 1;
	if (q->agent != NULL && strcmp(q->agent, b->agent_id) != 0)
		return 0;
	for (size_t i = 0; i < b->n_records; i++) {
		const ff_flow *f = &b->records[i];
		if (f->first_ms < q->since_ms || f->first_ms > q->until_ms)
			continue;
		if (q->filter != NULL && !ff_filter_match(q->filter, f))
			continue;
		ff_counter_add(&x->out->values[(f->first_ms - x->out->start_ms) / q->bin_ms],
			       ff_series_value(q->metric, f));
	}
	return 0;
}

/*
 * Whether rollup rows of bins up to bin_ms answer as the raw records would:
 * a row counts whole in the bin of its first_ms, as its records do when its
 * bin lies inside one series bin (the store's part), and a filter reading no
 * counters, times or TCP flags (summed, widened, ORed in a rollup row)
 * judges the row as it judges each of its records.
 */
static bool ff_series_rollups_answer(const ff_series_query *q)
{
	/*
	 * A rollup row counts when its earliest first_ms is at or before
	 * until_ms; its other records are in the same rollup bin, so they are
	 * too only when until_ms ends a series bin (which ends a rollup bin).
	 */
	bool until_ok = q->until_ms == UINT64_MAX || (q->until_ms + 1) % q->bin_ms == 0;
	return until_ok && ff_store_filter_fits_rollups(q->filter);
}

/* The C engine: bins summed over the store's scan. */
static int ff_series_scan(ff_store *store, const ff_series_query *q, uint64_t bins,
			  ff_series_result *out)
{
	out->values = calloc((size_t)bins, sizeof *out->values);
	if (out->values == NULL)
		return -ENOMEM;
	out->n_bins = (size_t)bins;
	out->start_ms = q->since_ms - q->since_ms % q->bin_ms;
	ff_series_ctx x = {.q = q, .out = out};
	/*
	 * The store's range is nfdump's -t test, which also bounds last_ms; a
	 * record counted by its start may end after until_ms, so only the lower
	 * bound is handed down.
	 */
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = UINT64_MAX,
				.agent = q->agent,
				.fields = FF_STORE_F_TIMES | FF_STORE_F_COUNTERS |
					  ff_store_fields_of_filter(q->filter),
				.filter = q->filter,
				.rollup_bin_ms = ff_series_rollups_answer(q) ? q->bin_ms : 0};
	/* The callback stops the scan (returns 1) only when the deadline passed. */
	int rc = ff_store_scan_range(store, &range, ff_series_scan_batch, &x);
	if (rc != 0) {
		ff_series_result_free(out);
		memset(out, 0, sizeof *out);
		return rc > 0 ? -ETIMEDOUT : rc;
	}
	return 0;
}

int ff_series_run(ff_store *store, const ff_series_query *q, ff_series_result *out)
{
	memset(out, 0, sizeof *out);
	uint64_t bins = ff_series_bins(q);
	if (bins == 0 || bins > FF_SERIES_MAX_BINS)
		return -EINVAL;
	if (store->ops->series != NULL)
		return store->ops->series(store, q, out);
	return ff_series_scan(store, q, bins, out);
}

void ff_series_result_free(ff_series_result *r)
{
	free(r->values);
	r->values = NULL;
	r->n_bins = 0;
}
