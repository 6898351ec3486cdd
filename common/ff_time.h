#ifndef FF_TIME_H
#define FF_TIME_H

/*
 * The two clocks the daemons read. Wall time stamps what leaves the process
 * (flow times, file names, "last seen"); monotonic time measures intervals
 * that must not jump when the wall clock is set (retry back-off, timeouts).
 */

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t ff_time_now_ms(void);

/* Milliseconds on CLOCK_MONOTONIC: only differences between two readings mean anything. */
uint64_t ff_time_mono_ms(void);

/* Microseconds on CLOCK_MONOTONIC, for latencies below a millisecond (an fsync, a query). */
uint64_t ff_time_mono_us(void);

#endif
