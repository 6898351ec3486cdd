#ifndef FF_TOPN_KEY_H
#define FF_TOPN_KEY_H

/*
 * Group keys of the top-N engine (private to aggregator/query): how an
 * element's value becomes bytes to hash and compare, and how those bytes
 * become the text of a row. The block aggregation (topn_block.c) builds
 * them straight from a block's columns, in whole words.
 *
 * A group key is [wildcard flag][value]: the flag byte first makes a
 * wildcard sort after every value, and values are big-endian (addresses
 * are already in network order) so memcmp orders them by value. Unused
 * trailing bytes stay zero, so comparing the whole buffer is exact.
 */

#include "ff_batch.h"
#include "ff_element.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FF_TOPN_KEY_MAX (1 + FF_AGENT_ID_MAX + 7)

typedef struct ff__topn_key {
	uint8_t b[FF_TOPN_KEY_MAX];
} ff__topn_key;

/*
 * Ports and protocols group in a direct-indexed array (value, then one slot
 * for the wildcard): far cheaper than hashing for every record.
 */
#define FF_TOPN_DIRECT_SLOTS (65536 + 1)

/* Whether the element groups in the direct array (ports and protocols). */
static inline bool ff__topn_is_direct(enum ff_element el)
{
	return el == FF_EL_SRCPORT || el == FF_EL_DSTPORT || el == FF_EL_PORT || el == FF_EL_PROTO;
}

/* Whether the element's values are addresses (whose IPv4 ones group in topn_table4.h). */
static inline bool ff__topn_is_addr(enum ff_element el)
{
	return el == FF_EL_SRCIP || el == FF_EL_DSTIP || el == FF_EL_IP || el == FF_EL_EXPORTER;
}

/* The bytes of a key the element's values use: the rest stays zero. */
size_t ff__topn_key_len(enum ff_element el);

/* The text form of `k` (FF_TOPN_KEY_STRLEN bytes at `out`): "*" for a wildcard. */
void ff__topn_key_format(enum ff_element el, const ff__topn_key *k, char *out);

static inline void ff__topn_key_number(ff__topn_key *k, uint32_t v, bool wild)
{
	memset(k, 0, sizeof *k);
	k->b[0] = wild;
	if (wild)
		return;
	k->b[1] = (uint8_t)(v >> 24);
	k->b[2] = (uint8_t)(v >> 16);
	k->b[3] = (uint8_t)(v >> 8);
	k->b[4] = (uint8_t)v;
}

/* The key of IPv4 address `v4` (host order): the value v4-mapped, as every address key is. */
static inline void ff__topn_key_v4(ff__topn_key *k, uint32_t v4)
{
	memset(k, 0, sizeof *k);
	k->b[11] = k->b[12] = 0xff;
	k->b[13] = (uint8_t)(v4 >> 24);
	k->b[14] = (uint8_t)(v4 >> 16);
	k->b[15] = (uint8_t)(v4 >> 8);
	k->b[16] = (uint8_t)v4;
}

#endif
