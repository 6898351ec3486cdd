#ifndef FF_SCAN_PLAN_H
#define FF_SCAN_PLAN_H

/*
 * Which files a scan of the columnar store reads: raw segments, minute
 * rollups or hour rollups. A pure decision over descriptions the store
 * hands in, so it is tested without files.
 *
 * Every raw segment is summarized by one minute rollup (same id), and runs
 * of minute rollups by hour rollups (covering a range of raw ids). A scan
 * that accepts rollup rows (ff_store_range.rollup_bin_ms, fields the
 * rollup keeps) reads, for each raw id, the coarsest file that answers
 * exactly: an hour rollup whose records all lie inside the window, else
 * the minute rollup whose records all do, else the raw segment, whose
 * records the caller tests one by one. A file none of whose records can
 * lie inside the window is not read at all.
 *
 * Where the raw segment is gone (retention keeps rollups longer), a
 * rollup that straddles the window edge is read anyway: the caller then
 * counts the rollup rows whose whole span lies inside the window, so at
 * the edges of such a window the answer has the rollup's granularity.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ff_plan_kind { FF_PLAN_RAW, FF_PLAN_MINUTE, FF_PLAN_HOUR };

typedef struct ff_plan_unit {
	enum ff_plan_kind kind;
	uint64_t covers_first, covers_last; /* raw segment ids summarized (raw: its own id) */
	uint64_t min_first_ms, max_first_ms, min_last_ms, max_last_ms;
	uint32_t keys;	 /* ff_field bits a rollup keeps (raw: every field) */
	uint64_t bin_ms; /* a rollup's bin (raw: 0) */
	bool usable;	 /* false: damaged or empty, never chosen */
} ff_plan_unit;

typedef struct ff_plan_query {
	uint64_t since_ms, until_ms; /* nfdump's -t, both inclusive */
	uint32_t keys_read;	     /* ff_field bits the caller reads */
	uint64_t rollup_bin_ms; /* 0: raw only; UINT64_MAX: any rollup; else bins dividing it */
} ff_plan_query;

/*
 * Chooses among `units` (any order): writes the indexes to read into
 * `chosen` (room for n) and returns how many. Returns (size_t)-1 when out
 * of memory.
 */
size_t ff_plan_choose(const ff_plan_query *q, const ff_plan_unit *units, size_t n, size_t *chosen);

#endif
