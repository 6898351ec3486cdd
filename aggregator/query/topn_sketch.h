#ifndef FF_TOPN_SKETCH_H
#define FF_TOPN_SKETCH_H

/*
 * A HyperLogLog sketch of the distinct keys of a top-N pass (private to
 * aggregator/query; Flajolet et al. 2007): FF_TOPN_HLL_REGS one-byte
 * registers, about 1.6% error, merged across threads by taking each
 * register's maximum. Only a pass that ran out of room fills one, to size
 * the partitions of the next passes; it then adds every record's key, so
 * ff__topn_hll_add() is static inline.
 */

#include "topn_table.h"
#include "topn_table4.h"

#include <stddef.h>
#include <stdint.h>

#define FF_TOPN_HLL_BITS 12
#define FF_TOPN_HLL_REGS (1u << FF_TOPN_HLL_BITS)

/* Adds a key by its ff__topn_hash() to the registers `regs` (FF_TOPN_HLL_REGS bytes). */
static inline void ff__topn_hll_add(uint8_t *regs, uint64_t h)
{
	/* Remixed (splitmix64's finalizer): the keys of one partition share bits of h. */
	uint64_t g = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
	g = (g ^ (g >> 27)) * 0x94d049bb133111ebu;
	g ^= g >> 31;
	size_t i = (size_t)(g >> (64 - FF_TOPN_HLL_BITS));
	uint64_t rest = g << FF_TOPN_HLL_BITS | 1u << (FF_TOPN_HLL_BITS - 1);
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > regs[i])
		regs[i] = rank;
}

/* Adds every key in table `t` (which may have been freed: then none). */
void ff__topn_hll_add_table(uint8_t *regs, const ff__topn_table *t);

/* The same for the IPv4 table. */
void ff__topn_hll_add_table4(uint8_t *regs, const ff__topn_table4 *t);

/* Folds the registers `src` into `dst`: afterwards `dst` counts the keys of both. */
void ff__topn_hll_merge(uint8_t *dst, const uint8_t *src);

/* The estimated number of distinct keys added to `regs`. */
double ff__topn_hll_estimate(const uint8_t *regs);

#endif
