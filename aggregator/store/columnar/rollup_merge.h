#ifndef FF_ROLLUP_MERGE_H
#define FF_ROLLUP_MERGE_H

/*
 * Rollups: stored records merged per key over a time bin, so queries over
 * long windows read summaries instead of every record. A rollup row is an
 * ordinary ff_flow: the rollup's key fields as they were, counters summed,
 * first_ms the earliest and last_ms the latest of the merged records (so a
 * row whose span lies inside a query window stands exactly for records
 * that all lie inside it), and every field the rollup does not keep
 * wildcarded (zero, its ff_field bit set), TCP flags always.
 *
 * Records merge when they share the agent, the bin of first_ms
 * (first_ms / bin_ms), the sampling rate, the wildcards, and every kept
 * field. The builder is fed from one or several sources (a window's rows,
 * or earlier rollups' rows), each with its own agent dictionary; it keeps
 * its own dictionary of agent ids.
 */

#include "ff_flow.h"
#include "store_columnar.h"

#include <stddef.h>
#include <stdint.h>


typedef struct ff_rollup ff_rollup;

/*
 * A new empty rollup keeping the ff_field bits `keys` (within
 * FF_ROLLUP_KEYS_ALL) over bins of `bin_ms` (> 0). `expected` sizes the
 * table (rows, a hint). NULL when out of memory. Free with ff_rollup_free().
 */
ff_rollup *ff_rollup_new(uint32_t keys, uint64_t bin_ms, size_t expected);
void ff_rollup_free(ff_rollup *r);

/*
 * Merges `n` rows into the rollup; rows[i].agent_ref indexes `agents`
 * (n_agents ids, NUL-terminated, borrowed for the call). Returns 0, or -1
 * when out of memory or an agent_ref is out of range (the rollup is then
 * unusable and must be freed).
 */
int ff_rollup_add(ff_rollup *r, const ff_flow *rows, size_t n, const char *const *agents,
		  size_t n_agents);

/*
 * About how many rows a rollup keeping `keys` over bins of `bin_ms` would
 * make of `rows` (agent_ref as the agent: the same partition as interned
 * ids), by linear counting over a bitmap of at least 4 bits a row (at most
 * 8 MiB): within about 1% at any n, for a fraction of a merge's cost and
 * none of its table, so a flood's rollup that cannot pay is never built.
 * Returns n when the bitmap cannot be allocated (as if nothing merged).
 */
size_t ff_rollup_estimate_rows(uint32_t keys, uint64_t bin_ms, const ff_flow *rows, size_t n);

/* Rows so far (distinct keys). */
size_t ff_rollup_rows(const ff_rollup *r);

/*
 * The result, ordered by agent, then first_ms, then key bytes, so equal
 * input gives equal files: rows[i].agent_ref indexes agents. Both arrays
 * are owned by the rollup and valid until ff_rollup_free(). Returns 0 or -1
 * when out of memory.
 */
int ff_rollup_result(ff_rollup *r, const ff_flow **rows, size_t *n_rows, const char *const **agents,
		     size_t *n_agents);

#endif
