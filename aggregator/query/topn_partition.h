#ifndef FF_TOPN_PARTITION_H
#define FF_TOPN_PARTITION_H

/*
 * The partition planner of the top-N engine (private to aggregator/query):
 * how many threads a pass scans with and how big their tables start, and,
 * when a pass outgrew its budget, into how many hash partitions its keys
 * are split for the next passes (query_topn.h tells the whole scheme).
 */

#include "query_topn.h"

#include <stddef.h>
#include <stdint.h>

/* Scanning threads of a pass at most (each holds its own groups). */
#define FF_TOPN_MAX_THREADS 4

/* A pass groups the keys whose hash has (h >> 32) & (count - 1) == index. */
typedef struct ff__topn_part {
	uint32_t index, count; /* count: a power of two */
} ff__topn_part;

/* How a query's passes run: threads, and the tables' starting size and budget. */
typedef struct ff__topn_plan {
	size_t threads;
	size_t cap0;   /* slots each thread's table starts with */
	size_t stride; /* bytes per slot */
	size_t limit;  /* bytes for all tables of a pass; SIZE_MAX: none */
} ff__topn_plan;

/* Partitions waiting for their pass: a stack, zero-initialised; the caller frees p. */
typedef struct ff__topn_parts {
	ff__topn_part *p;
	size_t n, cap;
} ff__topn_parts;

/*
 * The plan of query `q` (borrowed for the call): the machine's cores up to
 * FF_TOPN_MAX_THREADS, and a budget only where one can help (not for the
 * fixed direct arrays, nor for n = 0 where every group is in the answer).
 */
void ff__topn_plan_init(ff__topn_plan *p, const ff_topn_query *q);

/* Pushes a partition; 0 or -1 when out of memory. */
int ff__topn_parts_push(ff__topn_parts *s, ff__topn_part part);

/*
 * Replaces `part`, whose pass outgrew the budget after counting about
 * `keys` distinct keys, by the partitions that should each fit, pushed on
 * `todo`. Returns 0, -ENOMEM, or -E2BIG when that would pass
 * FF_TOPN_MAX_PARTITIONS.
 */
int ff__topn_split(ff__topn_parts *todo, ff__topn_part part, double keys, const ff__topn_plan *p);

#endif
