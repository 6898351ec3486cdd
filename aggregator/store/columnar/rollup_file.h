#ifndef FF_ROLLUP_FILE_H
#define FF_ROLLUP_FILE_H

/*
 * The rollup files of the columnar store, written as ordinary segment
 * files (segment.h) whose header says what they summarize:
 *
 *   DATA_DIR/rollups/minute/seg-<id>.ffs  raw segment <id>'s records merged
 *                                        per key and minute (rollup_merge.h)
 *   DATA_DIR/rollups/hour/seg-<id>.ffs    a run of minute rollups, raw ids
 *                                        <id> .. covers_last, merged per key
 *                                        and hour
 *
 * This module builds them; the store (columnar_rollups.c) decides when,
 * lists them, and reads them through its plan (scan_plan.h).
 */

#include "ff_flow.h"
#include "rollup_merge.h"
#include "segment.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_ROLLUP_MINUTE_MS 60000ull
#define FF_ROLLUP_HOUR_MS   3600000ull

/*
 * The minute rollup of a window's rows (agent_ref indexing `agents`, both
 * borrowed for the call), keeping the ff_field bits `keys`: built in
 * memory into *out (free with ff_rollup_free()), so the caller can write it
 * once the raw segment is listed. Returns 0 (built; it may still not pay:
 * check ff_rollups_pay), FF_ROLLUPS_UNPAID when an estimate of its rows
 * (ff_rollup_estimate_rows) says it cannot pay, so nothing was built, or
 * -ENOMEM. *out is NULL unless 0 is returned.
 */
int ff_rollups_minute_of(uint32_t keys, const ff_flow *rows, size_t n, const char *const *agents,
			 size_t n_agents, ff_rollup **out);

/*
 * Writes `r` (from ff_rollups_minute_of) as the minute rollup of raw
 * segment `id`. Returns 0 or a negative ff_segment_error.
 */
int ff_rollups_write_minute(const char *dir, uint64_t id, uint32_t keys, ff_rollup *r);

/*
 * Whether a rollup of `rows` rows pays for its file against the `source`
 * raw rows it summarizes: only when it has at most half as many. A rollup
 * that would not is not written: queries read the finer files (minute
 * rollups, raw segments), which cost about the same, and building it would
 * hold a merge table as large as its input (a flood of distinct keys).
 */
bool ff_rollups_pay(size_t rows, size_t source);

/* ff_rollups_write_from() declined a rollup that does not pay. */
#define FF_ROLLUPS_UNPAID 1

/*
 * What ff_rollups_write_from() may spend: `source`, the raw rows its inputs
 * cover (0: the inputs' own rows, right when they are raw segments), and
 * `max_rows`, the most rows its merge table may hold (0: no bound). Both
 * are checked after every row group fed, so a merge that cannot pay stops
 * early: rows only grow as rows are fed.
 */
typedef struct ff_rollups_bound {
	uint64_t source;
	size_t max_rows;
} ff_rollups_bound;

/*
 * Writes a rollup of `kind` (FF_SEGMENT_MINUTE or FF_SEGMENT_HOUR) of `n`
 * opened segments (raw or rollups, sorted by id, borrowed), named after
 * the first one's covered ids and covering through the last one's. Every
 * block of the inputs is read (and so checked): a damaged input returns
 * FF_SEG_EBLOCK and nothing is written. Returns 0, FF_ROLLUPS_UNPAID (more
 * rows than half of `b->source` or than `b->max_rows`: nothing written, the
 * table freed) or a negative ff_segment_error.
 */
int ff_rollups_write_from(const char *dir, enum ff_segment_kind kind, uint32_t keys,
			  ff_segment *const *segs, size_t n, const ff_rollups_bound *b);

#endif
