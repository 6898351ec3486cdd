#ifndef FF_HMAP_H
#define FF_HMAP_H

/*
 * A hash map of fixed-size keys to fixed-size values, open addressing with
 * linear probing, hashed with XXH3. Used where records are grouped by a key:
 * the agent's summarizer (flow key -> merged flow) and the aggregator's
 * top-N (element value -> counters). Keys are compared bytewise, so callers
 * zero any padding in their key structs.
 *
 * Values are 8-byte aligned and live inside the table: a pointer returned by ff_hmap_upsert() or
 * ff_hmap_find() is valid until the next upsert (which may grow the table),
 * ff_hmap_clear() or ff_hmap_free(). Not thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

typedef struct ff_hmap ff_hmap;

/* A new empty map, or NULL when out of memory. Free with ff_hmap_free(). */
ff_hmap *ff_hmap_new(size_t key_len, size_t val_len, size_t expected);
void ff_hmap_free(ff_hmap *h);

/*
 * The value slot of `key`, inserted zeroed (and *created set to 1) if the
 * key was absent. Returns NULL only when growing the table failed.
 */
void *ff_hmap_upsert(ff_hmap *h, const void *key, int *created);

/*
 * The same in two steps, so a caller can overlap the memory latency of
 * several keys: ff_hmap_hash_key() hashes a key, ff_hmap_prefetch() asks
 * the CPU for the slot that hash starts probing at (a hint: the table may
 * still grow), ff_hmap_upsert_hashed() is ff_hmap_upsert() with the hash
 * already known.
 */
uint64_t ff_hmap_hash_key(const ff_hmap *h, const void *key);
void ff_hmap_prefetch(const ff_hmap *h, uint64_t hash);
void *ff_hmap_upsert_hashed(ff_hmap *h, const void *key, uint64_t hash, int *created);

/* The value slot of `key`, or NULL if absent. */
void *ff_hmap_find(const ff_hmap *h, const void *key);

size_t ff_hmap_count(const ff_hmap *h);

/* Removes every entry, keeping the allocated capacity for reuse. */
void ff_hmap_clear(ff_hmap *h);

/*
 * Iterates: start with *cursor = 0; each call yields the next entry's key
 * and value pointers and returns 1, or returns 0 at the end.
 */
int ff_hmap_next(const ff_hmap *h, size_t *cursor, const void **key, void **val);

#endif
