#ifndef FF_QUERY_TOPN_H
#define FF_QUERY_TOPN_H

/*
 * The top-N statistic, nfdump's `-s ELEMENT/ORDER -n N`, over everything a
 * store holds: records are grouped by the element's value, counters summed,
 * first/last widened; rows are sorted by the order, descending, ties by the
 * key ascending (addresses and numbers by value, agents by id), so the same
 * data always gives the same answer. `ip` and `port` count each record once
 * for its source and once for its destination value, as nfdump does.
 *
 * A record whose element field is a wildcard (aggregated away by the agent)
 * groups under the key "*", which sorts after every value on ties.
 *
 * A time window selects records as nfdump's -t does (checked against
 * nfdump 1.7.1): a record counts when it lies wholly inside the window,
 * since_ms <= first_ms and last_ms <= until_ms, both ends inclusive.
 * A filter (ff_filter.h, nfdump's language) then selects among those.
 *
 * The store is asked only for the columns the element, the counters and the
 * filter read, and, when the filter reads no counters, times or TCP flags,
 * it may answer with rollup rows (store.h) instead of raw records.
 *
 * Memory: ports and protocols group in fixed arrays (about 2.7 MB per
 * scanning thread). Other elements group in hash tables that grow with the
 * number of distinct keys; their tables (all threads together) are kept
 * under mem_limit by partitioning: when a scan would pass it, the query is
 * rerun in P passes (P a power of two, sized from an estimate of the
 * distinct keys, taken by finishing the first scan with a 4 KiB sketch),
 * pass p grouping only the keys whose hash selects partition p and keeping
 * its top n rows; the rows of the passes merge into exactly the answer one
 * pass would give (same rows, order and totals; records appended while the
 * passes run may be counted by later passes only). Each pass reads the
 * store again. A partition that still does not fit is split further, up to
 * FF_TOPN_MAX_PARTITIONS; past that the query fails. With n = 0 (every row)
 * all groups are in the answer anyway, so the limit does not apply.
 * A limit below the tables' starting size (n_threads x 64 slots of 48-72
 * bytes) acts as that size.
 */

#include "ff_element.h"
#include "ff_filter.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Longest text form of a key, NUL included: an agent id is the longest. */
#define FF_TOPN_KEY_STRLEN (FF_AGENT_ID_MAX + 1)

/* Group-table memory of a query with mem_limit 0. */
#define FF_TOPN_DEFAULT_MEM_LIMIT ((size_t)512 << 20)

/* The most partitions a query is split into before it gives up. */
#define FF_TOPN_MAX_PARTITIONS 4096u

typedef struct ff_topn_query {
	enum ff_element element;
	enum ff_order order;
	size_t n;	   /* rows to return; 0 for every row */
	const char *agent; /* only this agent's records; NULL for all (borrowed) */
	uint64_t since_ms; /* window start, unix ms; 0 for no lower bound */
	uint64_t until_ms; /* window end, unix ms, inclusive; 0 for no upper bound */
	const ff_filter *filter; /* only records it matches; NULL for all (borrowed) */
	size_t mem_limit;	 /* bytes for the group tables; 0: FF_TOPN_DEFAULT_MEM_LIMIT */
	uint64_t deadline_ms;	 /* query_deadline.h: CLOCK_MONOTONIC ms; 0 for none */
} ff_topn_query;

typedef struct ff_topn_row {
	char key[FF_TOPN_KEY_STRLEN];
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
	uint64_t first_ms;
	uint64_t last_ms;
	uint64_t pps; /* per second over last_ms - first_ms; 0 for a zero duration */
	uint64_t bps;
	uint64_t bpp; /* bytes per packet; 0 without packets */
} ff_topn_row;

typedef struct ff_topn_total {
	uint64_t rows; /* distinct keys, before the cut to n */
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
	/*
	 * Rows the store handed out that the query covered: raw records, or
	 * rollup rows where the store used rollups (one row, however many
	 * records it merges, so flows is the figure to compare with nfdump).
	 */
	uint64_t records;
	uint64_t first_ms; /* earliest first_ms of the covered records; 0 if none */
	uint64_t last_ms;  /* latest last_ms of the covered records */
	uint32_t passes;     /* scans of the store, those that ran out of room included */
	uint32_t partitions; /* key partitions answered: 1 unless mem_limit was reached */
	ff_store_read read;  /* files the (last) pass read: segments and rollups */
} ff_topn_total;

typedef struct ff_topn_result {
	ff_topn_row *rows; /* owned; ff_topn_result_free() */
	size_t n_rows;
	ff_topn_total total;
} ff_topn_result;

/*
 * Runs the query over `store` (which may be appended to concurrently):
 * through the store's `topn` push-down when it has one (store.h), else by
 * the passes above over its scan_parallel. Returns 0 and fills *out
 * (caller frees with ff_topn_result_free()), or, with *out zeroed and
 * nothing to free:
 * -ENOMEM when out of memory, -EINVAL -E2BIG when the keys do not fit mem_limit even in
 *    FF_TOPN_MAX_PARTITIONS partitions;
 * -ETIMEDOUT when deadline_ms passed first;
 * the store's negative error (common/ff_err.h: -errno or an FF_* code)
 *    when a scan or the push-down failed: a partial answer is never returned.
 */
int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out);

void ff_topn_result_free(ff_topn_result *r);

#endif
