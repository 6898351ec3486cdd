#include "summarizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

/*
 * Layout: the merged records live in one dense array in arrival order, and
 * a small open-addressing index maps a key's hash to its record. An index
 * slot is 8 bytes (record number + 1, and the hash's high 32 bits as a tag),
 * so the index of the default 131,072 keys is 2 MiB and stays in cache,
 * while the records (128 bytes each) are written one after the other. Under
 * a flood, where nearly every record is a new key, an add then costs no
 * cache miss at all: the probe hits the cached index and the record is
 * appended. (A table of whole records, as before, took one miss a key and
 * was scanned and cleared whole, empty slots included, at every flush.)
 *
 * A record's key is its address block (source, destination, exporter, AS
 * numbers and interfaces: 64 contiguous bytes of ff_flow) plus ports,
 * protocol and ToS. The hash is seeded per summarizer from getrandom(), so
 * an exporter cannot choose keys that all collide.
 */

#define FF_SUMM_KEY_OFF offsetof(ff_flow, src_addr)
#define FF_SUMM_KEY_LEN (offsetof(ff_flow, out_if) + sizeof(uint32_t) - FF_SUMM_KEY_OFF)
_Static_assert(FF_SUMM_KEY_LEN == 3 * FF_ADDR_LEN + 4 * sizeof(uint32_t),
	       "the key's address block is contiguous in ff_flow");

/*
 * Records wait here a few adds before they are merged, in two steps: on
 * arrival the index slot of their hash is prefetched; FF_SUMM_LOOKAHEAD adds
 * later the slot is read (by then in cache) and the record it may merge
 * into prefetched; as many adds later again they merge. So neither the
 * index miss (a flood: a new key every add) nor the record miss (keys that
 * repeat in a table larger than the cache) is waited for: each overlaps
 * with the next adds'.
 */
#define FF_SUMMARIZER_PENDING 16
#define FF_SUMM_LOOKAHEAD 8

typedef struct ff_summ_slot {
	uint32_t ref; /* record number + 1; 0: empty */
	uint32_t tag; /* the hash's high 32 bits */
} ff_summ_slot;

struct ff_summarizer_pending {
	uint64_t hash;
	uint32_t candidate; /* record number + 1 whose tag matched at look-up; 0: none */
	ff_flow flow;
};

struct ff_summarizer {
	ff_flow *recs; /* dense, in arrival order */
	uint64_t *hashes; /* each record's hash, for growing the index */
	size_t n_recs, cap_recs;
	ff_summ_slot *index;
	size_t index_cap; /* power of two, at least twice n_recs */
	uint64_t seed;
	struct ff_summarizer_pending pending[FF_SUMMARIZER_PENDING];
	size_t head, n_pending; /* a ring: the oldest at head */
	int failed;		/* an earlier merge ran out of memory */
	bool apart;		/* keep records apart: append, no index (hashes unset) */
};

static uint64_t ff_summ_extra(const ff_flow *f)
{
	return (uint64_t)f->src_port | (uint64_t)f->dst_port << 16 | (uint64_t)f->proto << 32 |
	       (uint64_t)f->tos << 40;
}

static uint64_t ff_summ_hash(const ff_summarizer *s, const ff_flow *f)
{
	const uint8_t *key = (const uint8_t *)f + FF_SUMM_KEY_OFF;
	return XXH3_64bits_withSeed(key, FF_SUMM_KEY_LEN, s->seed ^ ff_summ_extra(f));
}

static bool ff_summ_same_key(const ff_flow *a, const ff_flow *b)
{
	return ff_summ_extra(a) == ff_summ_extra(b) &&
	       memcmp((const uint8_t *)a + FF_SUMM_KEY_OFF, (const uint8_t *)b + FF_SUMM_KEY_OFF,
		      FF_SUMM_KEY_LEN) == 0;
}

static int ff_summ_alloc_index(ff_summarizer *s, size_t cap)
{
	ff_summ_slot *ix = calloc(cap, sizeof *ix);
	if (ix == NULL)
		return -1;
	free(s->index);
	s->index = ix;
	s->index_cap = cap;
	return 0;
}

ff_summarizer *ff_summarizer_new(size_t expected)
{
	ff_summarizer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	size_t cap = 64;
	while (cap < 2 * expected)
		cap *= 2;
	/* Without randomness the seed is fixed: slower under crafted keys, never wrong. */
	if (getrandom(&s->seed, sizeof s->seed, GRND_NONBLOCK) != (ssize_t)sizeof s->seed)
		s->seed = 0x9e3779b97f4a7c15ull;
	if (ff_summ_alloc_index(s, cap) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void ff_summarizer_free(ff_summarizer *s)
{
	if (s == NULL)
		return;
	free(s->recs);
	free(s->hashes);
	free(s->index);
	free(s);
}

/* The slot holding `hash`'s record equal to `f`, or the empty slot where it goes. */
static ff_summ_slot *ff_summ_probe(const ff_summarizer *s, const ff_flow *f, uint64_t hash)
{
	size_t mask = s->index_cap - 1;
	uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		ff_summ_slot *slot = &s->index[i];
		if (slot->ref == 0 ||
		    (slot->tag == tag && ff_summ_same_key(&s->recs[slot->ref - 1], f)))
			return slot;
	}
}

/* The first record whose tag matches, without comparing keys (a hint to prefetch). */
static uint32_t ff_summ_candidate(const ff_summarizer *s, uint64_t hash)
{
	size_t mask = s->index_cap - 1;
	uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const ff_summ_slot *slot = &s->index[i];
		if (slot->ref == 0 || slot->tag == tag)
			return slot->ref;
	}
}

static int ff_summ_grow_index(ff_summarizer *s)
{
	ff_summ_slot *old = s->index;
	size_t cap = s->index_cap * 2;
	s->index = NULL;
	if (ff_summ_alloc_index(s, cap) != 0) {
		s->index = old;
		return -1;
	}
	free(old);
	size_t mask = cap - 1;
	for (size_t r = 0; r < s->n_recs; r++) {
		size_t i = s->hashes[r] & mask;
		while (s->index[i].ref != 0)
			i = (i + 1) & mask;
		s->index[i] = (ff_summ_slot){(uint32_t)(r + 1), (uint32_t)(s->hashes[r] >> 32)};
	}
	return 0;
}

static int ff_summ_grow_recs(ff_summarizer *s)
{
	size_t cap = s->cap_recs ? s->cap_recs * 2 : 1024;
	ff_flow *recs = realloc(s->recs, cap * sizeof *recs);
	if (recs == NULL)
		return -1;
	s->recs = recs;
	uint64_t *hashes = realloc(s->hashes, cap * sizeof *hashes);
	if (hashes == NULL)
		return -1;
	s->hashes = hashes;
	s->cap_recs = cap;
	return 0;
}

static int ff_summ_insert(ff_summarizer *s, ff_summ_slot *slot, const struct ff_summarizer_pending *p)
{
	/* Record numbers are 32-bit; --max-keys is far below. */
	if (s->n_recs >= UINT32_MAX - 1)
		return -1;
	if (s->n_recs == s->cap_recs && ff_summ_grow_recs(s) != 0)
		return -1;
	s->recs[s->n_recs] = p->flow;
	s->hashes[s->n_recs] = p->hash;
	s->n_recs++;
	*slot = (ff_summ_slot){(uint32_t)s->n_recs, (uint32_t)(p->hash >> 32)};
	/* Keep the load factor at or below 1/2 so probes stay short. */
	if (s->n_recs * 2 > s->index_cap && ff_summ_grow_index(s) != 0)
		return -1;
	return 0;
}

static int ff_summarizer_merge(ff_summarizer *s, const struct ff_summarizer_pending *p)
{
	if (p->candidate != 0 && ff_summ_same_key(&s->recs[p->candidate - 1], &p->flow)) {
		ff_flow_merge(&s->recs[p->candidate - 1], &p->flow);
		return 0;
	}
	ff_summ_slot *slot = ff_summ_probe(s, &p->flow, p->hash);
	if (slot->ref != 0) {
		ff_flow_merge(&s->recs[slot->ref - 1], &p->flow);
		return 0;
	}
	return ff_summ_insert(s, slot, p);
}

/* Merges every waiting record. Returns 0, or -1 if one of them was lost to memory. */
static int ff_summarizer_settle(ff_summarizer *s)
{
	int rc = 0;
	for (; s->n_pending > 0; s->n_pending--) {
		if (ff_summarizer_merge(s, &s->pending[s->head]) != 0)
			rc = -1;
		s->head = (s->head + 1) % FF_SUMMARIZER_PENDING;
	}
	s->head = 0;
	return rc;
}

/* Kept apart: the record is appended as it came, one record per exporter flow. */
static int ff_summ_append(ff_summarizer *s, const ff_flow *f)
{
	if (s->n_recs >= UINT32_MAX - 1 ||
	    (s->n_recs == s->cap_recs && ff_summ_grow_recs(s) != 0))
		return -1;
	s->recs[s->n_recs++] = *f;
	return 0;
}

/* The index of every record held, rebuilt when merging starts again over appended records. */
static int ff_summ_reindex(ff_summarizer *s)
{
	for (size_t r = 0; r < s->n_recs; r++)
		s->hashes[r] = ff_summ_hash(s, &s->recs[r]);
	size_t cap = s->index_cap;
	while (cap < 2 * s->n_recs + 2)
		cap *= 2;
	/* Growing to the same capacity after a fresh allocation reinserts every record. */
	if (ff_summ_alloc_index(s, cap / 2) != 0)
		return -1;
	return ff_summ_grow_index(s);
}

int ff_summarizer_set_merge(ff_summarizer *s, bool merge)
{
	if (s->apart == !merge)
		return 0;
	if (ff_summarizer_settle(s) != 0)
		s->failed = 1;
	s->apart = !merge;
	return merge && s->n_recs > 0 ? ff_summ_reindex(s) : 0;
}

int ff_summarizer_add(ff_summarizer *s, const ff_flow *f)
{
	if (s->apart) {
		int rc = s->failed ? -1 : 0;
		s->failed = 0;
		return ff_summ_append(s, f) != 0 ? -1 : rc;
	}
	int rc = s->failed ? -1 : 0;
	s->failed = 0;
	if (s->n_pending == FF_SUMMARIZER_PENDING) {
		if (ff_summarizer_merge(s, &s->pending[s->head]) != 0)
			rc = -1;
		s->head = (s->head + 1) % FF_SUMMARIZER_PENDING;
		s->n_pending--;
	}
	if (s->n_pending >= FF_SUMM_LOOKAHEAD) {
		struct ff_summarizer_pending *q =
		    &s->pending[(s->head + s->n_pending - FF_SUMM_LOOKAHEAD) % FF_SUMMARIZER_PENDING];
		q->candidate = ff_summ_candidate(s, q->hash);
		if (q->candidate != 0)
			__builtin_prefetch(&s->recs[q->candidate - 1], 1);
	}
	struct ff_summarizer_pending *p =
	    &s->pending[(s->head + s->n_pending) % FF_SUMMARIZER_PENDING];
	p->flow = *f;
	p->hash = ff_summ_hash(s, f);
	p->candidate = 0;
	__builtin_prefetch(&s->index[p->hash & (s->index_cap - 1)]);
	s->n_pending++;
	return rc;
}

size_t ff_summarizer_count(ff_summarizer *s)
{
	if (ff_summarizer_settle(s) != 0)
		s->failed = 1;
	return s->n_recs;
}

size_t ff_summarizer_count_bound(const ff_summarizer *s)
{
	return s->n_recs + s->n_pending;
}

int ff_summarizer_flush(ff_summarizer *s, ff_flow **records, size_t *n)
{
	size_t count = ff_summarizer_count(s);
	*records = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	ff_flow *out = malloc(count * sizeof *out);
	if (out == NULL)
		return -1;
	memcpy(out, s->recs, count * sizeof *out);
	ff_summarizer_clear(s);
	*records = out;
	*n = count;
	return 0;
}

void ff_summarizer_begin(ff_summarizer *s, size_t *cursor)
{
	if (ff_summarizer_settle(s) != 0)
		s->failed = 1;
	*cursor = 0;
}

const ff_flow *ff_summarizer_next(const ff_summarizer *s, size_t *cursor)
{
	return *cursor < s->n_recs ? &s->recs[(*cursor)++] : NULL;
}

void ff_summarizer_clear(ff_summarizer *s)
{
	s->head = s->n_pending = 0;
	s->n_recs = 0;
	memset(s->index, 0, s->index_cap * sizeof *s->index);
}
