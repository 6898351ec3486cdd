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
 */

#include "ff_element.h"
#include "ff_filter.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Longest text form of a key, NUL included: an agent id is the longest. */
#define FF_TOPN_KEY_STRLEN (FF_AGENT_ID_MAX + 1)

typedef struct ff_topn_query {
	enum ff_element element;
	enum ff_order order;
	size_t n;	   /* rows to return; 0 for every row */
	const char *agent; /* only this agent's records; NULL for all (borrowed) */
	uint64_t since_ms; /* window start, unix ms; 0 for no lower bound */
	uint64_t until_ms; /* window end, unix ms, inclusive; 0 for no upper bound */
	const ff_filter *filter; /* only records it matches; NULL for all (borrowed) */
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
	uint64_t records; /* stored records the query covered */
	uint64_t first_ms; /* earliest first_ms of the covered records; 0 if none */
	uint64_t last_ms;  /* latest last_ms of the covered records */
} ff_topn_total;

typedef struct ff_topn_result {
	ff_topn_row *rows; /* owned; ff_topn_result_free() */
	size_t n_rows;
	ff_topn_total total;
} ff_topn_result;

/*
 * Runs the query over `store` (which may be appended to concurrently).
 * Returns 0 and fills *out, or -1 when out of memory (nothing to free then).
 */
int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out);

void ff_topn_result_free(ff_topn_result *r);

#endif
