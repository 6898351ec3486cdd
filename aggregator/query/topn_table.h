#ifndef FF_TOPN_TABLE_H
#define FF_TOPN_TABLE_H

/*
 * The group table of one top-N scanning thread (private to
 * aggregator/query): open addressing with linear probing, like ff_hmap, but
 * with the hash inlined over whole 8-byte words of the key (keys are
 * zero-padded ff__topn_key prefixes) and slots holding the counters next to
 * the key: a query probes it once or twice per record, which made ff_hmap's
 * general hashing and memcmp a third of a top-N. Hashing, probing and
 * upserting are static inline for that reason; only growing, which is
 * rare, is a call.
 */

#include "ff_flow.h"
#include "topn_key.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ff__topn_counts {
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
	uint64_t first_ms;
	uint64_t last_ms;
} ff__topn_counts;

/* Adds counters `c` into `d`; `created`: d was empty. Saturating, as ff_counter_add(). */
static inline void ff__topn_counts_add(ff__topn_counts *d, const ff__topn_counts *c, bool created)
{
	ff_counter_add(&d->flows, c->flows);
	ff_counter_add(&d->packets, c->packets);
	ff_counter_add(&d->bytes, c->bytes);
	if (created || c->first_ms < d->first_ms)
		d->first_ms = c->first_ms;
	if (created || c->last_ms > d->last_ms)
		d->last_ms = c->last_ms;
}

/*
 * The bytes the group tables of one pass may hold, shared by its threads:
 * a table takes its share before it grows and gives it back when freed.
 */
typedef struct ff__topn_budget {
	_Atomic size_t used;
	size_t limit;
} ff__topn_budget;

/* Takes `bytes` from the budget; false (and nothing taken) when they are not there. */
bool ff__topn_budget_take(ff__topn_budget *b, size_t bytes);

/*
 * Zeroed room for `cap` slots of `stride` bytes (NULL when out of memory;
 * caller frees), asked for as huge pages when large.
 */
void *ff__topn_slots_alloc(size_t cap, size_t stride);

typedef struct ff__topn_table {
	size_t words; /* of a key, its length rounded up to 8 bytes */
	size_t stride;
	size_t cap; /* power of two */
	size_t count;
	uint8_t *slots;		 /* [hash][ff__topn_counts][key words] each */
	ff__topn_budget *budget; /* NULL: unlimited */
	bool over;		 /* a growth was refused by the budget */
} ff__topn_table;

#define FF_TOPN_SLOT_KEY (8 + sizeof(ff__topn_counts))
_Static_assert(sizeof(ff__topn_key) % 8 == 0, "keys are hashed and compared in whole words");

/* The hash of `words` 8-byte words at `key`; never 0, which marks an empty slot. */
static inline uint64_t ff__topn_hash(const void *key, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < words; i++) {
		uint64_t w;
		memcpy(&w, (const uint8_t *)key + 8 * i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

/* Whether two keys of `words` 8-byte words are equal: inline, as memcmp() is a call per probe. */
static inline bool ff__topn_key_eq(const uint8_t *a, const void *b, size_t words)
{
	for (size_t i = 0; i < words; i++) {
		uint64_t x, y;
		memcpy(&x, a + 8 * i, 8);
		memcpy(&y, (const uint8_t *)b + 8 * i, 8);
		if (x != y)
			return false;
	}
	return true;
}

/* Bytes of a slot for keys of `key_len` bytes. */
static inline size_t ff__topn_stride(size_t key_len)
{
	return FF_TOPN_SLOT_KEY + 8 * ((key_len + 7) / 8);
}

/*
 * Makes an empty table of `cap` slots (a power of two). Its first slots are
 * charged to `budget` (borrowed; NULL for none) but never refused: they are
 * its floor. Returns 0 or -1 when out of memory; ff__topn_table_free() in
 * both cases.
 */
int ff__topn_table_init(ff__topn_table *t, size_t key_len, size_t cap, ff__topn_budget *budget);

/* Frees the slots and gives their bytes back to the budget; safe to call twice. */
void ff__topn_table_free(ff__topn_table *t);

/* Doubles the table; -1 when out of memory or refused by the budget (then t->over). */
int ff__topn_table_grow(ff__topn_table *t);

/* Grows the table until `n` keys fit without another growth; -1 as ff__topn_table_grow(). */
int ff__topn_table_reserve(ff__topn_table *t, size_t n);

/*
 * Iterates as ff_hmap_next() does: starting with *cursor = 0, returns 1 and
 * the next group's key and counters (both in the table), or 0 at the end.
 */
int ff__topn_table_next(const ff__topn_table *t, size_t *cursor, const void **key,
			ff__topn_counts **val);

/* The first slot probed for `hash`: for prefetching it ahead of the lookup. */
static inline const uint8_t *ff__topn_table_home(const ff__topn_table *t, uint64_t hash)
{
	return t->slots + (hash & (t->cap - 1)) * t->stride;
}

/* The slot of `key`, or the empty one where it goes. */
static inline uint8_t *ff__topn_table_probe(const ff__topn_table *t, const void *key, uint64_t hash)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		uint8_t *s = t->slots + i * t->stride;
		uint64_t sh;
		memcpy(&sh, s, 8);
		if (sh == 0 || (sh == hash && ff__topn_key_eq(s + FF_TOPN_SLOT_KEY, key, t->words)))
			return s;
	}
}

/*
 * The counters of `key` (8 * words readable bytes, hash `h` from
 * ff__topn_hash()), zeroed and *created set when new; NULL when the table
 * cannot grow (t->over tells the budget from a lack of memory).
 */
static inline ff__topn_counts *ff__topn_table_upsert(ff__topn_table *t, const void *key, uint64_t h,
						     int *created)
{
	/* Load at most 1/2 keeps probes short. */
	if ((t->count + 1) * 2 > t->cap && ff__topn_table_grow(t) != 0)
		return NULL;
	uint8_t *s = ff__topn_table_probe(t, key, h);
	uint64_t sh;
	memcpy(&sh, s, 8);
	*created = sh == 0;
	if (sh == 0) {
		memcpy(s, &h, 8);
		memcpy(s + FF_TOPN_SLOT_KEY, key, 8 * t->words);
		t->count++;
	}
	return (ff__topn_counts *)(void *)(s + 8);
}

#endif
