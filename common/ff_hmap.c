#include "ff_hmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

/*
 * Layout: one slab of slots; a slot is [hash:8][key][value], key and value
 * each padded to 8 bytes so that values holding 64-bit counters are aligned.
 * A stored hash of 0 marks an empty slot (real hashes are forced non-zero),
 * so no separate occupancy array is needed.
 */
struct ff_hmap {
	size_t key_len;
	size_t val_off; /* of the value within a slot */
	size_t val_len;
	size_t slot_len;
	size_t cap; /* power of two */
	size_t count;
	uint8_t *slots;
};

static size_t ff_hmap_round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static uint64_t ff_hmap_hash(const ff_hmap *h, const void *key)
{
	uint64_t x = XXH3_64bits(key, h->key_len);
	return x == 0 ? 1 : x;
}

static uint8_t *ff_hmap_slot(const ff_hmap *h, size_t i)
{
	return h->slots + i * h->slot_len;
}

static uint64_t ff_hmap_slot_hash(const uint8_t *slot)
{
	uint64_t x;
	memcpy(&x, slot, sizeof x);
	return x;
}

/*
 * Tables of a few MB and more are probed at random, one miss a key: on 4 KiB
 * pages most of those misses are TLB misses too. Such tables are aligned to
 * and asked for as huge pages (a hint; the kernel may say no).
 */
#define FF_HMAP_HUGE ((size_t)2 << 20)

static void *ff_hmap_slab(size_t bytes)
{
	if (bytes < 2 * FF_HMAP_HUGE)
		return calloc(1, bytes);
	void *p = NULL;
	size_t rounded = (bytes + FF_HMAP_HUGE - 1) & ~(FF_HMAP_HUGE - 1);
	if (posix_memalign(&p, FF_HMAP_HUGE, rounded) != 0)
		return NULL;
	(void)madvise(p, rounded, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}

static int ff_hmap_alloc(ff_hmap *h, size_t cap)
{
	if (cap > SIZE_MAX / h->slot_len)
		return -1;
	uint8_t *s = ff_hmap_slab(cap * h->slot_len);
	if (s == NULL)
		return -1;
	h->slots = s;
	h->cap = cap;
	return 0;
}

ff_hmap *ff_hmap_new(size_t key_len, size_t val_len, size_t expected)
{
	ff_hmap *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->key_len = key_len;
	h->val_len = val_len;
	h->val_off = 8 + ff_hmap_round8(key_len);
	h->slot_len = h->val_off + ff_hmap_round8(val_len);
	size_t cap = 16;
	while (cap < expected * 2)
		cap <<= 1;
	if (ff_hmap_alloc(h, cap) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void ff_hmap_free(ff_hmap *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h);
}

/* Finds the slot holding `key`, or the empty slot where it would go. */
static uint8_t *ff_hmap_probe(const ff_hmap *h, const void *key, uint64_t hash, bool *found)
{
	size_t mask = h->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		uint8_t *s = ff_hmap_slot(h, i);
		uint64_t sh = ff_hmap_slot_hash(s);
		if (sh == 0) {
			*found = false;
			return s;
		}
		if (sh == hash && memcmp(s + 8, key, h->key_len) == 0) {
			*found = true;
			return s;
		}
	}
}

static int ff_hmap_grow(ff_hmap *h)
{
	uint8_t *old = h->slots;
	size_t old_cap = h->cap;
	if (ff_hmap_alloc(h, old_cap * 2) != 0)
		return -1;
	for (size_t i = 0; i < old_cap; i++) {
		const uint8_t *s = old + i * h->slot_len;
		uint64_t hash = ff_hmap_slot_hash(s);
		if (hash == 0)
			continue;
		bool found;
		uint8_t *d = ff_hmap_probe(h, s + 8, hash, &found);
		memcpy(d, s, h->slot_len);
	}
	free(old);
	return 0;
}

uint64_t ff_hmap_hash_key(const ff_hmap *h, const void *key)
{
	return ff_hmap_hash(h, key);
}

void ff_hmap_prefetch(const ff_hmap *h, uint64_t hash)
{
	__builtin_prefetch(ff_hmap_slot(h, hash & (h->cap - 1)), 1);
}

void *ff_hmap_upsert_hashed(ff_hmap *h, const void *key, uint64_t hash, int *created)
{
	/* Keep the load factor at or below 1/2 so probes stay short. */
	if ((h->count + 1) * 2 > h->cap && ff_hmap_grow(h) != 0)
		return NULL;
	bool found;
	uint8_t *s = ff_hmap_probe(h, key, hash, &found);
	if (created != NULL)
		*created = !found;
	if (!found) {
		memcpy(s, &hash, sizeof hash);
		memcpy(s + 8, key, h->key_len);
		memset(s + h->val_off, 0, h->val_len);
		h->count++;
	}
	return s + h->val_off;
}

void *ff_hmap_upsert(ff_hmap *h, const void *key, int *created)
{
	return ff_hmap_upsert_hashed(h, key, ff_hmap_hash(h, key), created);
}

void *ff_hmap_find(const ff_hmap *h, const void *key)
{
	bool found;
	uint8_t *s = ff_hmap_probe(h, key, ff_hmap_hash(h, key), &found);
	return found ? s + h->val_off : NULL;
}

size_t ff_hmap_count(const ff_hmap *h)
{
	return h->count;
}

void ff_hmap_clear(ff_hmap *h)
{
	memset(h->slots, 0, h->cap * h->slot_len);
	h->count = 0;
}

int ff_hmap_next(const ff_hmap *h, size_t *cursor, const void **key, void **val)
{
	for (size_t i = *cursor; i < h->cap; i++) {
		uint8_t *s = ff_hmap_slot(h, i);
		if (ff_hmap_slot_hash(s) == 0)
			continue;
		*cursor = i + 1;
		*key = s + 8;
		*val = s + h->val_off;
		return 1;
	}
	*cursor = h->cap;
	return 0;
}
