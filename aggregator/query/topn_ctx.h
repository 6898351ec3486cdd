#ifndef FF_TOPN_CTX_H
#define FF_TOPN_CTX_H

/*
 * One top-N scanning thread's state (private to aggregator/query), shared
 * by the engine (query_topn.c: passes, merging, ranking) and the block
 * aggregation it scans with (topn_block.c).
 *
 * Ports and protocols group in a direct-indexed array (topn_key.h). IPv4
 * addresses of address elements group in the IPv4 table (topn_table4.h).
 * Other keys group in a hash table keyed by the first key_len bytes of an
 * ff__topn_key, the bytes the element's values use.
 */

#include "ff_block.h"
#include "query_topn.h"
#include "topn_sketch.h"
#include "topn_table.h"
#include "topn_table4.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Per-block scratch of the aggregation: selected rows; then, for the general
 * table, the rows it groups, their keys and hashes; for the IPv4 table, the
 * rows it groups, their addresses and hashes.
 */
typedef struct ff__topn_scratch {
	uint16_t sel[FF_BLOCK_ROWS];
	uint16_t rows[FF_BLOCK_ROWS];
	uint64_t keys[FF_BLOCK_ROWS][3]; /* zero-padded key prefixes of up to 24 bytes */
	uint64_t hash[FF_BLOCK_ROWS]; /* or, for direct elements, the rows' slots */
	uint16_t rows4[FF_BLOCK_ROWS];
	uint32_t v4[FF_BLOCK_ROWS];
	uint64_t hash4[FF_BLOCK_ROWS];
} ff__topn_scratch;

typedef struct ff__topn_ctx {
	const ff_topn_query *q;
	ff__topn_table groups; /* key prefix -> ff__topn_counts */
	ff__topn_table4 groups4; /* IPv4 address -> ff__topn_counts (address elements) */
	size_t key_len;
	ff__topn_counts *direct; /* FF_TOPN_DIRECT_SLOTS, or NULL */
	uint8_t *seen;		 /* which direct slots hold a group */
	ff_topn_total total;
	/* Only keys whose hash has (h >> 32) & part_mask == part are grouped. */
	uint32_t part, part_mask;
	/* Once the budget refused a growth: the groups are dropped, keys only counted. */
	uint8_t *hll;
	ff__topn_counts discard; /* where the counters of keys not grouped go */
	ff__topn_scratch *scratch;
	bool failed;
} ff__topn_ctx;

/*
 * The budget refused this thread's table: the pass cannot answer, so its
 * groups are dropped (their memory returned) and the rest of the scan only
 * counts the distinct keys, for sizing the partitions of the next passes.
 * Returns 0 or -1 when out of memory.
 */
int ff__topn_count_only(ff__topn_ctx *x);

/*
 * The counters of the group of key `k` (key_len bytes, zero-padded to whole
 * words) with hash `h`: &x->discard for keys of another partition or once
 * the pass is over budget; NULL when out of memory. Inline: it runs for
 * every row a query groups.
 */
static inline ff__topn_counts *ff__topn_group_hashed(ff__topn_ctx *x, const void *k, uint64_t h,
						     int *created)
{
	if (((h >> 32) & x->part_mask) != x->part)
		return &x->discard;
	if (x->hll == NULL) {
		ff__topn_counts *c = ff__topn_table_upsert(&x->groups, k, h, created);
		if (c != NULL || !x->groups.over || ff__topn_count_only(x) != 0)
			return c;
	}
	ff__topn_hll_add(x->hll, h);
	return &x->discard;
}

/* As ff__topn_group_hashed(), for IPv4 address `v4` with hash `h` from ff__topn_hash4(). */
static inline ff__topn_counts *ff__topn_group4(ff__topn_ctx *x, uint32_t v4, uint64_t h,
					       int *created)
{
	if (((h >> 32) & x->part_mask) != x->part)
		return &x->discard;
	if (x->hll == NULL) {
		ff__topn_counts *c = ff__topn_table4_upsert(&x->groups4, v4, h, created);
		if (c != NULL || !x->groups4.over || ff__topn_count_only(x) != 0)
			return c;
	}
	ff__topn_hll_add(x->hll, h);
	return &x->discard;
}

/* The store scan's block callback: aggregates one block into `arg` (an ff__topn_ctx). */
int ff__topn_scan_block(void *arg, const ff_block *b);

#endif
