#ifndef FF_QUERY_DEADLINE_H
#define FF_QUERY_DEADLINE_H

/*
 * The deadline of a query (the deadline_ms member of ff_topn_query,
 * ff_flows_query and ff_series_query): CLOCK_MONOTONIC milliseconds, 0 for
 * none. A scan callback checks it once per group of records the store hands
 * over and stops the scan once it has passed; the run then returns
 * -ETIMEDOUT. The coarse clock is read there, a few nanoseconds and no
 * system call; it trails CLOCK_MONOTONIC by at most one tick, so a query
 * may run that much past its deadline.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Now on the clock deadlines are set on, in milliseconds. */
static inline uint64_t ff_query_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* True once `deadline_ms` (not 0) has passed. */
static inline bool ff_query_expired(uint64_t deadline_ms)
{
	return deadline_ms != 0 && ff_query_clock_ms() >= deadline_ms;
}

#endif
