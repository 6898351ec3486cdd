#include "ff_time.h"

#include <time.h>

static uint64_t ff_time_ms(clockid_t clock)
{
	struct timespec ts;
	/* Both clocks exist on every Linux; the call cannot fail with a valid pointer. */
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ff_time_now_ms(void)
{
	return ff_time_ms(CLOCK_REALTIME);
}

uint64_t ff_time_mono_ms(void)
{
	return ff_time_ms(CLOCK_MONOTONIC);
}

uint64_t ff_time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
