#include "handoff_ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Keeps the two positions on separate cache lines so the threads do not share one. */
#define FF_RING_LINE 64
/* Slots given back to the producer at a time during a drain. */
#define FF_RING_RELEASE 4096
/* How many records ahead the drain asks for the slots it will read. */
#define FF_RING_PREFETCH 8

struct ff_handoff_ring {
	ff_flow *slots;
	size_t mask;
	alignas(FF_RING_LINE) _Atomic size_t head; /* next slot to drain: written by the consumer */
	alignas(FF_RING_LINE) _Atomic size_t tail; /* next slot to fill: written by the producer */
	size_t head_cache; /* the producer's last view of head, refreshed only when full */
	_Atomic uint64_t drops;
};

ff_handoff_ring *ff_handoff_ring_new(size_t min_records)
{
	size_t cap = 1;
	while (cap < min_records && cap < ((size_t)1 << 40))
		cap <<= 1;
	ff_handoff_ring *r = aligned_alloc(FF_RING_LINE, (sizeof *r + FF_RING_LINE - 1) /
							     FF_RING_LINE * FF_RING_LINE);
	if (r == NULL)
		return NULL;
	/* Pages of the slot array are only touched as the ring fills. */
	r->slots = malloc(cap * sizeof *r->slots);
	if (r->slots == NULL) {
		free(r);
		return NULL;
	}
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->drops, 0);
	r->head_cache = 0;
	return r;
}

void ff_handoff_ring_free(ff_handoff_ring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r);
}

size_t ff_handoff_ring_capacity(const ff_handoff_ring *r)
{
	return r->mask + 1;
}

bool ff_handoff_ring_push(ff_handoff_ring *r, const ff_flow *f)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail - r->head_cache > r->mask) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail - r->head_cache > r->mask) {
			atomic_fetch_add_explicit(&r->drops, 1, memory_order_relaxed);
			return false;
		}
	}
	r->slots[tail & r->mask] = *f;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

size_t ff_handoff_ring_drain(ff_handoff_ring *r, ff_handoff_fn fn, void *arg, size_t max)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t n = tail - head < max ? tail - head : max;
	for (size_t i = 0; i < n; i++) {
		/*
		 * The slots were written on another core: each record's two cache
		 * lines are a coherence miss. Asking for them a few records ahead
		 * overlaps those misses instead of waiting on each in turn.
		 */
		if (i + FF_RING_PREFETCH < n) {
			const ff_flow *ahead = &r->slots[(head + i + FF_RING_PREFETCH) & r->mask];
			__builtin_prefetch(ahead);
			__builtin_prefetch((const char *)ahead + 64);
		}
		fn(arg, &r->slots[(head + i) & r->mask]);
		/* Frees slots as it goes, so a long drain does not keep the ring full. */
		if ((i + 1) % FF_RING_RELEASE == 0)
			atomic_store_explicit(&r->head, head + i + 1, memory_order_release);
	}
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

uint64_t ff_handoff_ring_drops(const ff_handoff_ring *r)
{
	return atomic_load_explicit(&((ff_handoff_ring *)r)->drops, memory_order_relaxed);
}
