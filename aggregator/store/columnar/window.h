#ifndef FF_STORE_WINDOW_H
#define FF_STORE_WINDOW_H

/*
 * The open window of the columnar store, in memory: the batches of the
 * journal (each batch's identity and its records), so queries see them
 * before they are sealed, and so sealing does not reread the journal. It
 * is the only part of the store held in RAM besides the window being
 * sealed, and its size is bounded by the store (early seals). Not thread-safe: the columnar store guards it with its lock.
 */

#include "ff_batch.h"
#include "segment.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ff_window ff_window;

/* A new empty window, or NULL when out of memory. */
ff_window *ff_window_new(void);
void ff_window_free(ff_window *w);

/*
 * Makes room for `b` and interns its agent, so that ff_window_add() cannot
 * fail once the batch is durable. Returns 0 with *agent set, or -1 when
 * out of memory.
 */
int ff_window_reserve(ff_window *w, const ff_batch *b, uint32_t *agent);

/* Adds `b` (copied) with the agent ff_window_reserve() returned. */
void ff_window_add(ff_window *w, const ff_batch *b, uint32_t agent);

void ff_window_clear(ff_window *w);

size_t ff_window_batches(const ff_window *w);
size_t ff_window_records(const ff_window *w);
/* Memory the window's records and batches take (what its byte bound counts). */
size_t ff_window_bytes(const ff_window *w);
/* What ff_window_bytes() grows by when `b` is added. */
size_t ff_window_bytes_of(const ff_batch *b);

/*
 * Hands each batch (agent `agent` only, when not NULL) to `cb` as the
 * scan contract of store.h says. Returns 0 or the callback's non-zero.
 */
int ff_window_scan(const ff_window *w, const char *agent, ff_store_scan_fn cb, void *arg);

/*
 * As ff_window_scan() for batches part, part + parts, part + 2 * parts, ...
 * only (0 <= part < parts): one thread's share when `parts` threads scan
 * the window together, each its own part (the window must not change
 * meanwhile: callers hold the store's window lock for all of them).
 */
int ff_window_scan_part(const ff_window *w, const char *agent, size_t part, size_t parts,
			ff_store_scan_fn cb, void *arg);

/*
 * The window as a segment's input: its records are borrowed as they lie
 * (the segment writer orders rows itself); the agent list is owned and freed
 * by ff_window_input_free(). Valid until the window changes.
 */
typedef struct ff_window_input {
	ff_segment_input in;
	const char **agents; /* the window's agent ids, borrowed from it */
} ff_window_input;

/* Fills *out for segment `id`. Returns 0 or -1 when out of memory. */
int ff_window_build_input(const ff_window *w, uint64_t id, ff_window_input *out);
void ff_window_input_free(ff_window_input *in);

#endif
