#ifndef FF_SUMMARIZER_H
#define FF_SUMMARIZER_H

/*
 * The summarizer merges decoded records that share a key over one interval,
 * so an agent sends one record per conversation per interval however many
 * times the exporter reported it. The default key is the full 5-tuple plus
 * ToS, interfaces, AS numbers and the exporter; fields outside the key
 * (counters, times, TCP flags) are merged with ff_flow_merge().
 *
 * Or it keeps records apart (ff_summarizer_set_merge(false)): then every
 * record added is one record out, as the exporter sent it, and the table is
 * only the interval's bounded buffer. The agent keeps them apart unless its
 * policy summarizes (docs/policy.md), so a stored record is one exporter
 * flow and per-flow predicates (`bytes > 10000`) answer as nfdump's do.
 *
 * Not thread-safe; owned by the agent's context.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ff_summarizer ff_summarizer;

/* An empty summarizer sized for about `expected` keys; NULL when out of memory. */
ff_summarizer *ff_summarizer_new(size_t expected);
void ff_summarizer_free(ff_summarizer *s);

/*
 * Merges `f` (borrowed, copied) into its key's record. The merge may wait
 * for a few later adds (up to 16 records are held to overlap their table
 * lookups); every other call sees it done. Returns 0, or -1 when out of
 * memory (an earlier record was lost).
 */
int ff_summarizer_add(ff_summarizer *s, const ff_flow *f);

/*
 * Merges records that share a key (true, as made) or keeps them apart
 * (false). Records held stay as they are. Returns 0, or -1 when out of
 * memory rebuilding the index (merging then finds no earlier record: two
 * records of one key, never a lost one).
 */
int ff_summarizer_set_merge(ff_summarizer *s, bool merge);

/* Distinct keys held now (merges every waiting record first). */
size_t ff_summarizer_count(ff_summarizer *s);

/*
 * At least the distinct keys held once the waiting records are merged, and
 * at most 16 more: a check per add that does not force the merges.
 */
size_t ff_summarizer_count_bound(const ff_summarizer *s);

/*
 * Moves every merged record into a new array (*records, malloc'd, the caller
 * frees it with free(); NULL when *n is 0) and empties the table. Returns 0,
 * or -1 when out of memory (the table is then left untouched).
 */
int ff_summarizer_flush(ff_summarizer *s, ff_flow **records, size_t *n);

/*
 * Walks the merged records in place, so a flush can encode them without
 * copying the table: ff_summarizer_begin() starts a walk (*cursor = 0),
 * ff_summarizer_next() yields the next record (borrowed, valid until the
 * next add or clear) or NULL at the end. Saving and restoring the cursor
 * replays a part of the walk. Adding records during a walk invalidates it.
 */
void ff_summarizer_begin(ff_summarizer *s, size_t *cursor);
const ff_flow *ff_summarizer_next(const ff_summarizer *s, size_t *cursor);

/* Forgets every record, keeping the table's capacity. */
void ff_summarizer_clear(ff_summarizer *s);

#endif
