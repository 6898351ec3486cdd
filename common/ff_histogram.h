#ifndef FF_HISTOGRAM_H
#define FF_HISTOGRAM_H

/*
 * A latency histogram with fixed buckets from 100 us to 10 s, for /metrics
 * (journal fsync, queries, acknowledgements). Observed from any thread
 * without a lock (relaxed atomic adds); a snapshot taken while others
 * observe may be off by the observations in flight, never torn per bucket.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FF_HISTOGRAM_BUCKETS 16

typedef struct ff_histogram {
	_Atomic uint64_t bucket[FF_HISTOGRAM_BUCKETS + 1]; /* the last: above every bound */
	_Atomic uint64_t sum_us;
} ff_histogram;

/* Upper bounds of the buckets in seconds, ascending (Prometheus' "le"). */
extern const double ff_histogram_le_seconds[FF_HISTOGRAM_BUCKETS];

/* Zeroes `h` (or declare it zero-initialised). */
void ff_histogram_init(ff_histogram *h);

/* Counts one observation of `us` microseconds. */
void ff_histogram_observe_us(ff_histogram *h, uint64_t us);

/* Cumulative counts per bound, the total count and the sum in seconds. */
void ff_histogram_snapshot(const ff_histogram *h, uint64_t cumulative[FF_HISTOGRAM_BUCKETS],
			   uint64_t *count, double *sum_seconds);

#endif
