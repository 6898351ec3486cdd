#ifndef FFGEN_RNG_H
#define FFGEN_RNG_H

/*
 * The generator's own PRNG and Zipf sampler. Written here rather than taken
 * from libc so that a seed means the same stream on every machine and libc:
 * the ground truth of a test must not depend on rand()'s implementation.
 */

#include <stdint.h>

/* xoshiro256**, seeded through splitmix64 (Blackman and Vigna). */
struct ffgen_rng {
	uint64_t s[4];
};

void ffgen_rng_seed(struct ffgen_rng *r, uint64_t seed);
uint64_t ffgen_rng_next(struct ffgen_rng *r);
/* Uniform in [0, bound); bound must be > 0. */
uint64_t ffgen_rng_below(struct ffgen_rng *r, uint64_t bound);
/* Uniform in [0, 1). */
double ffgen_rng_unit(struct ffgen_rng *r);

/* Zipf-like choice of a rank in [0, n): P(k) proportional to 1 / (k + 1)^s. */
struct ffgen_zipf {
	double *cdf; /* owned; cumulative weights, cdf[n - 1] == 1 */
	uint32_t n;
};

/* Returns 0, or -1 when out of memory. Free with ffgen_zipf_free(). */
int ffgen_zipf_init(struct ffgen_zipf *z, uint32_t n, double s);
uint32_t ffgen_zipf_draw(const struct ffgen_zipf *z, struct ffgen_rng *r);
void ffgen_zipf_free(struct ffgen_zipf *z);

#endif
