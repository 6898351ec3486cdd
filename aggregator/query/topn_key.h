#ifndef FF_TOPN_KEY_H
#define FF_TOPN_KEY_H

/*
 * Group keys of the top-N engine (private to aggregator/query): how a
 * record's element value becomes bytes to hash and compare, and how those
 * bytes become the text of a row. The builders are static inline because
 * they run for every record a query reads.
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

/* The bytes of a key the element's values use: the rest stays zero. */
size_t ff__topn_key_len(enum ff_element el);

/* The text form of `k` (FF_TOPN_KEY_STRLEN bytes at `out`): "*" for a wildcard. */
void ff__topn_key_format(enum ff_element el, const ff__topn_key *k, char *out);

static inline void ff__topn_key_addr(ff__topn_key *k, const uint8_t *addr, bool wild)
{
	memset(k, 0, sizeof *k);
	k->b[0] = wild;
	if (!wild)
		memcpy(k->b + 1, addr, FF_ADDR_LEN);
}

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

/* The value of a numeric element and its wildcard bit. */
static inline uint32_t ff__topn_number(enum ff_element el, const ff_flow *f, uint32_t *field)
{
	switch (el) {
	case FF_EL_SRCPORT:
		*field = FF_FIELD_SRC_PORT;
		return f->src_port;
	case FF_EL_DSTPORT:
		*field = FF_FIELD_DST_PORT;
		return f->dst_port;
	case FF_EL_PROTO:
		*field = FF_FIELD_PROTO;
		return f->proto;
	case FF_EL_SRCAS:
		*field = FF_FIELD_SRC_AS;
		return f->src_as;
	case FF_EL_DSTAS:
		*field = FF_FIELD_DST_AS;
		return f->dst_as;
	case FF_EL_INIF:
		*field = FF_FIELD_IN_IF;
		return f->in_if;
	default:
		*field = FF_FIELD_OUT_IF;
		return f->out_if;
	}
}

/*
 * The keys a record counts under for one element: one, or two for ip and
 * port (source, then destination). Returns how many were written.
 */
static inline int ff__topn_keys(enum ff_element el, const ff_flow *f, const char *agent_id,
				ff__topn_key k[2])
{
	uint32_t w = f->wildcards;
	uint32_t field;
	switch (el) {
	case FF_EL_SRCIP:
	case FF_EL_IP:
		ff__topn_key_addr(&k[0], f->src_addr, w & FF_FIELD_SRC_ADDR);
		if (el == FF_EL_SRCIP)
			return 1;
		ff__topn_key_addr(&k[1], f->dst_addr, w & FF_FIELD_DST_ADDR);
		return 2;
	case FF_EL_DSTIP:
		ff__topn_key_addr(&k[0], f->dst_addr, w & FF_FIELD_DST_ADDR);
		return 1;
	case FF_EL_EXPORTER:
		ff__topn_key_addr(&k[0], f->exporter, w & FF_FIELD_EXPORTER);
		return 1;
	case FF_EL_PORT:
		ff__topn_key_number(&k[0], f->src_port, w & FF_FIELD_SRC_PORT);
		ff__topn_key_number(&k[1], f->dst_port, w & FF_FIELD_DST_PORT);
		return 2;
	case FF_EL_AGENT:
		memset(&k[0], 0, sizeof k[0]);
		memcpy(k[0].b + 1, agent_id, strnlen(agent_id, FF_AGENT_ID_MAX));
		return 1;
	default: {
		uint32_t v = ff__topn_number(el, f, &field);
		ff__topn_key_number(&k[0], v, w & field);
		return 1;
	}
	}
}

/* The direct slot of a port or protocol key: its value, or the last for a wildcard. */
static inline size_t ff__topn_slot(const ff__topn_key *k)
{
	if (k->b[0] != 0)
		return FF_TOPN_DIRECT_SLOTS - 1;
	return (size_t)k->b[3] << 8 | k->b[4];
}

#endif
