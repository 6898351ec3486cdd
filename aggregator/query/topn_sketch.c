#include "topn_sketch.h"

void ff__topn_hll_add_table(uint8_t *regs, const ff__topn_table *t)
{
	for (size_t i = 0; t->slots != NULL && i < t->cap; i++) {
		uint64_t h;
		memcpy(&h, t->slots + i * t->stride, 8);
		if (h != 0)
			ff__topn_hll_add(regs, h);
	}
}

void ff__topn_hll_add_table4(uint8_t *regs, const ff__topn_table4 *t)
{
	for (size_t i = 0; t->slots != NULL && i < t->cap; i++)
		if (t->slots[i].key != 0)
			ff__topn_hll_add(regs, ff__topn_hash4((uint32_t)t->slots[i].key));
}

void ff__topn_hll_merge(uint8_t *dst, const uint8_t *src)
{
	for (size_t r = 0; r < FF_TOPN_HLL_REGS; r++)
		if (src[r] > dst[r])
			dst[r] = src[r];
}

/* Natural logarithm of x >= 1, for the estimate's small range (no libm here). */
static double ff_topn_ln(double x)
{
	int e = 0;
	for (; x >= 2.0; x /= 2.0)
		e++;
	/* ln x = 2 atanh((x - 1) / (x + 1)); |s| <= 1/3, so a few terms suffice. */
	double s = (x - 1) / (x + 1), s2 = s * s, term = s, sum = 0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * 0.6931471805599453 + 2 * sum;
}

double ff__topn_hll_estimate(const uint8_t *regs)
{
	double m = FF_TOPN_HLL_REGS, sum = 0;
	unsigned zeros = 0;
	for (size_t i = 0; i < FF_TOPN_HLL_REGS; i++) {
		uint64_t one = 1;
		sum += 1.0 / (double)(one << (regs[i] < 63 ? regs[i] : 63));
		zeros += regs[i] == 0;
	}
	double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	/* Small range: linear counting of the empty registers is the better estimate. */
	if (e <= 2.5 * m && zeros != 0)
		e = m * ff_topn_ln(m / zeros);
	return e;
}
