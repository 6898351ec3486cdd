#ifndef FFGEN_FLOOD_H
#define FFGEN_FLOOD_H

/*
 * Flood-shaped keys: every record draws a fresh key, as in a port scan, a
 * DDoS or a storm of short connections. Sources and destinations follow a
 * Zipf law over a host population (a few hosts dominate, as attackers and
 * victims do), source ports are uniform over the ephemeral range, so
 * almost no two records share a 5-tuple. The summarizer can merge nearly
 * nothing: the shape benchmarks must also be measured on.
 *
 * The set of keys drawn so far (ffgen_keyset) gives each distinct key an
 * index, so the ground truth is kept per key as with the pooled table.
 */

#include <stddef.h>
#include <stdint.h>

#include "ffgen_keys.h"
#include "ffgen_rng.h"

/* Largest host population: a /9 per side. */
#define FFGEN_FLOOD_MAX_HOSTS (1u << 23)

struct ffgen_flood {
	struct ffgen_zipf hosts;
	struct ffgen_zipf services;
};

/* `hosts` in 1..FFGEN_FLOOD_MAX_HOSTS, skew `s`. Returns 0, or -1 when out of memory. */
int ffgen_flood_init(struct ffgen_flood *f, uint32_t hosts, double s);
void ffgen_flood_draw(const struct ffgen_flood *f, struct ffgen_rng *r, struct ffgen_key *k);
void ffgen_flood_free(struct ffgen_flood *f);

/* Distinct keys seen so far, each with its index (order of first appearance). */
struct ffgen_keyset {
	struct ffgen_key *keys; /* owned, n of cap used */
	uint32_t *slots;	/* owned, open addressing over keys, mask + 1 entries */
	size_t mask;
	uint32_t n, cap;
};

/*
 * Sets *index to k's index, adding k when new. Returns 1 when it was new,
 * 0 when seen before, -1 when out of memory (nothing changed).
 */
int ffgen_keyset_add(struct ffgen_keyset *s, const struct ffgen_key *k, uint32_t *index);
void ffgen_keyset_free(struct ffgen_keyset *s);

#endif
