#include "ff_histogram.h"

/*
 * 1-2.5-5 steps: fine enough to tell a 2 ms fsync from a 20 ms one, few
 * enough that a histogram per query kind and agent stays a small scrape.
 */
const double ff_histogram_le_seconds[FF_HISTOGRAM_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

static const uint64_t ff_histogram_le_us[FF_HISTOGRAM_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

void ff_histogram_init(ff_histogram *h)
{
	for (size_t i = 0; i <= FF_HISTOGRAM_BUCKETS; i++)
		atomic_init(&h->bucket[i], 0);
	atomic_init(&h->sum_us, 0);
}

void ff_histogram_observe_us(ff_histogram *h, uint64_t us)
{
	size_t i = 0;
	while (i < FF_HISTOGRAM_BUCKETS && us > ff_histogram_le_us[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void ff_histogram_snapshot(const ff_histogram *h, uint64_t cumulative[FF_HISTOGRAM_BUCKETS],
			   uint64_t *count, double *sum_seconds)
{
	uint64_t run = 0;
	for (size_t i = 0; i < FF_HISTOGRAM_BUCKETS; i++) {
		run += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		cumulative[i] = run;
	}
	*count = run + atomic_load_explicit(&h->bucket[FF_HISTOGRAM_BUCKETS], memory_order_relaxed);
	*sum_seconds = (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6;
}
