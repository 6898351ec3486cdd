#ifndef FF_QUERY_FLOWS_H
#define FF_QUERY_FLOWS_H

/*
 * The raw listing, nfdump's plain `-c LIMIT` listing ordered by time
 * (`-O tstart`): the stored records that a window, an agent and a filter
 * select, oldest first (or newest first), at most `limit` of them.
 *
 * The window test is nfdump's -t, as for top-N: a record is listed when
 * since_ms <= first_ms and last_ms <= until_ms. Records are ordered by
 * first_ms, then last_ms, then the order the store holds them in, so the
 * same data always lists the same way. Memory is bounded by `limit`: the
 * scan keeps only the best `limit` records in a heap, whatever it reads.
 */

#include "ff_batch.h"
#include "ff_filter.h"
#include "ff_flow.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most records one query may return: bounds the memory of a listing. */
#define FF_FLOWS_MAX_LIMIT 1000000

typedef struct ff_flows_query {
	size_t limit;		 /* 1..FF_FLOWS_MAX_LIMIT records */
	bool newest_first;	 /* false: oldest first */
	const char *agent;	 /* only this agent's records; NULL for all (borrowed) */
	uint64_t since_ms;	 /* window start, unix ms; 0 for no lower bound */
	uint64_t until_ms;	 /* window end, inclusive; 0 for no upper bound */
	const ff_filter *filter; /* only records it matches; NULL for all (borrowed) */
	uint64_t deadline_ms;	 /* query_deadline.h: CLOCK_MONOTONIC ms; 0 for none */
} ff_flows_query;

/* A listed record and the agent that collected it (agent_ref is meaningless here). */
typedef struct ff_flows_row {
	ff_flow flow;
	char agent[FF_AGENT_ID_MAX + 1];
} ff_flows_row;

typedef struct ff_flows_result {
	ff_flows_row *rows; /* owned, in listing order; ff_flows_result_free() */
	size_t n_rows;
	uint64_t matched; /* records the window, agent and filter selected, before the limit */
} ff_flows_result;

/*
 * Runs the query over `store` (which may be appended to concurrently):
 * through the store's `flows` push-down when it has one (store.h), else
 * over its scan_range. Returns 0 and fills *out (caller frees with
 * ff_flows_result_free()), or, with *out zeroed and nothing to free:
 * -ENOMEM when out of memory, -EINVAL when `limit` is out of range;
 * -ETIMEDOUT when deadline_ms passed first;
 * the store's negative error (common/ff_err.h: -errno or an FF_* code)
 *    when its scan or push-down failed: a partial listing is never returned.
 */
int ff_flows_run(ff_store *store, const ff_flows_query *q, ff_flows_result *out);

void ff_flows_result_free(ff_flows_result *r);

#endif
