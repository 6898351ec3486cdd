#ifndef FF_HANDOFF_RING_H
#define FF_HANDOFF_RING_H

/*
 * A bounded single-producer single-consumer ring of decoded records: the
 * hand-off from one receive thread (receiver.c) to the main thread. The
 * producer never waits: when the ring is full the record is counted as a
 * drop and discarded, so a slow consumer costs records, never reads of the
 * socket. The consumer drains in batches, reading the producer's position
 * once per drain, so neither side pays a syscall or a lock per record.
 *
 * Exactly one thread may push and one (other) thread may drain.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_handoff_ring ff_handoff_ring;

/* A ring holding at least `min_records` (rounded up to a power of two); NULL when out of memory. */
ff_handoff_ring *ff_handoff_ring_new(size_t min_records);
void ff_handoff_ring_free(ff_handoff_ring *r);

/* Slots the ring holds. */
size_t ff_handoff_ring_capacity(const ff_handoff_ring *r);

/* Producer: copies `f` in. Returns false, and counts a drop, when the ring is full. */
bool ff_handoff_ring_push(ff_handoff_ring *r, const ff_flow *f);

/* Receives each drained record; `f` is borrowed for the duration of the call. */
typedef void (*ff_handoff_fn)(void *arg, const ff_flow *f);

/*
 * Consumer: hands up to `max` records, oldest first, to `fn` and frees their
 * slots. Returns how many were handed over.
 */
size_t ff_handoff_ring_drain(ff_handoff_ring *r, ff_handoff_fn fn, void *arg, size_t max);

/* Records refused because the ring was full, since creation (any thread). */
uint64_t ff_handoff_ring_drops(const ff_handoff_ring *r);

#endif
