#ifndef FFGEN_KEYS_H
#define FFGEN_KEYS_H

/*
 * The table of distinct flow keys a run draws its records from. Key i has
 * popularity rank i; its fields are themselves drawn Zipf-like from address
 * and port pools, so a few sources, destinations and services dominate as
 * they do on a real network.
 */

#include <stdint.h>

#include "ffgen_rng.h"

struct ffgen_key {
	uint32_t src; /* host byte order, in 10.0.0.0/16 */
	uint32_t dst; /* host byte order, in 10.1.0.0/16 */
	uint16_t sport;
	uint16_t dport;
	uint16_t in_if;
	uint16_t out_if;
	uint8_t proto;
	uint8_t tos;
};

struct ffgen_keytab {
	struct ffgen_key *keys; /* owned */
	uint32_t n;
};

/*
 * Builds `n` distinct keys (distinct by src, dst, ports, proto and ToS) with
 * field skew `s`. Returns 0, or -1 when out of memory. Free with
 * ffgen_keytab_free().
 */
int ffgen_keytab_build(struct ffgen_keytab *kt, struct ffgen_rng *r, uint32_t n, double s);
void ffgen_keytab_free(struct ffgen_keytab *kt);

#endif
