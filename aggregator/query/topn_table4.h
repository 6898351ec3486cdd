#ifndef FF_TOPN_TABLE4_H
#define FF_TOPN_TABLE4_H

/*
 * The IPv4 group table of one top-N scanning thread (private to
 * aggregator/query): the groups of address elements whose key is an IPv4
 * address (v4-mapped, not a wildcard), beside the general table
 * (topn_table.h) that keeps IPv6 addresses and wildcards. A slot is the
 * address and its counters, 48 bytes, where the general table's is 72 (hash,
 * counters, a 17-byte key in three words): on keys that rarely repeat
 * nearly every lookup misses the cache, and a slot that fits one cache line
 * (mostly) is one miss instead of two, in a table two thirds the size.
 *
 * Every IPv4 key of a scan goes here, whatever form its block held it in
 * (ff_block's src_v4 or a v4-mapped src_addr), so a key lives in one table
 * of one thread only, with one hash: the partition a key falls in
 * ((h >> 32) & mask) is the same in every thread and pass.
 */

#include "topn_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A slot: key is FF_TOPN4_USED | the address, 0 when empty. */
typedef struct ff__topn_slot4 {
	uint64_t key;
	ff__topn_counts c;
} ff__topn_slot4;

#define FF_TOPN4_USED ((uint64_t)1 << 32)

typedef struct ff__topn_table4 {
	size_t cap; /* power of two */
	size_t count;
	ff__topn_slot4 *slots;
	ff__topn_budget *budget; /* NULL: unlimited */
	bool over;		 /* a growth was refused by the budget */
} ff__topn_table4;

/* The hash of an IPv4 key (fmix64 of MurmurHash3): never 0, as ff__topn_hash(). */
static inline uint64_t ff__topn_hash4(uint32_t v4)
{
	uint64_t h = FF_TOPN4_USED | v4;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

/* As ff__topn_table_init() (`cap` slots, a power of two, charged to `budget` but never refused). */
int ff__topn_table4_init(ff__topn_table4 *t, size_t cap, ff__topn_budget *budget);

/* Frees the slots and gives their bytes back to the budget; safe to call twice. */
void ff__topn_table4_free(ff__topn_table4 *t);

/* Doubles the table; -1 when out of memory or refused by the budget (then t->over). */
int ff__topn_table4_grow(ff__topn_table4 *t);

/* Grows the table until `n` keys fit without another growth; -1 as ff__topn_table4_grow(). */
int ff__topn_table4_reserve(ff__topn_table4 *t, size_t n);

/* Iterates as ff__topn_table_next() does, giving each group's address and counters. */
int ff__topn_table4_next(const ff__topn_table4 *t, size_t *cursor, uint32_t *v4,
			 ff__topn_counts **val);

/* The first slot probed for `hash`: for prefetching it ahead of the lookup. */
static inline const ff__topn_slot4 *ff__topn_table4_home(const ff__topn_table4 *t, uint64_t hash)
{
	return &t->slots[hash & (t->cap - 1)];
}

/* The slot of `key` (FF_TOPN4_USED | address), or the empty one where it goes. */
static inline ff__topn_slot4 *ff__topn_table4_probe(const ff__topn_table4 *t, uint64_t key,
						    uint64_t hash)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask)
		if (t->slots[i].key == key || t->slots[i].key == 0)
			return &t->slots[i];
}

/*
 * The counters of address `v4` (hash `h` from ff__topn_hash4()), zeroed and
 * *created set when new; NULL when the table cannot grow (t->over tells the
 * budget from a lack of memory).
 */
static inline ff__topn_counts *ff__topn_table4_upsert(ff__topn_table4 *t, uint32_t v4, uint64_t h,
						      int *created)
{
	/* Load at most 1/2 keeps probes short, as in the general table. */
	if ((t->count + 1) * 2 > t->cap && ff__topn_table4_grow(t) != 0)
		return NULL;
	uint64_t key = FF_TOPN4_USED | v4;
	ff__topn_slot4 *s = ff__topn_table4_probe(t, key, h);
	*created = s->key == 0;
	if (s->key == 0) {
		s->key = key;
		t->count++;
	}
	return &s->c;
}

#endif
