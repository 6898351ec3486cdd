#include "ffgen_rng.h"

#include <math.h>
#include <stdlib.h>

static uint64_t ffgen_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t ffgen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void ffgen_rng_seed(struct ffgen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = ffgen_splitmix64(&seed);
}

uint64_t ffgen_rng_next(struct ffgen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = ffgen_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = ffgen_rotl(s[3], 45);
	return result;
}

uint64_t ffgen_rng_below(struct ffgen_rng *r, uint64_t bound)
{
	/* Rejection keeps the draw unbiased; the loop almost never repeats. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t x;
	do
		x = ffgen_rng_next(r);
	while (x >= limit);
	return x % bound;
}

double ffgen_rng_unit(struct ffgen_rng *r)
{
	return (double)(ffgen_rng_next(r) >> 11) * 0x1.0p-53;
}

int ffgen_zipf_init(struct ffgen_zipf *z, uint32_t n, double s)
{
	z->n = n;
	z->cdf = malloc((size_t)n * sizeof(*z->cdf));
	if (!z->cdf)
		return -1;
	double sum = 0.0;
	for (uint32_t k = 0; k < n; k++) {
		sum += 1.0 / pow((double)k + 1.0, s);
		z->cdf[k] = sum;
	}
	for (uint32_t k = 0; k < n; k++)
		z->cdf[k] /= sum;
	z->cdf[n - 1] = 1.0;
	return 0;
}

uint32_t ffgen_zipf_draw(const struct ffgen_zipf *z, struct ffgen_rng *r)
{
	double u = ffgen_rng_unit(r);
	uint32_t lo = 0, hi = z->n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (z->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void ffgen_zipf_free(struct ffgen_zipf *z)
{
	free(z->cdf);
	z->cdf = NULL;
	z->n = 0;
}
