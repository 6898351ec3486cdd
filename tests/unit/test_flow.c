#include "ff_test.h"

#include "ff_flow.h"

#include <stdint.h>
#include <string.h>

/* Counters stop at 2^64 - 1: a hostile record near the top never wraps a total. */
static void merge_saturates(void **state)
{
	(void)state;
	ff_flow a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.bytes = 1394799648;
	a.packets = 5;
	a.flows = 1;
	b.bytes = UINT64_MAX - 1000;
	b.packets = UINT64_MAX;
	b.flows = 1;
	ff_flow_merge(&a, &b);
	assert_true(a.bytes == UINT64_MAX);
	assert_true(a.packets == UINT64_MAX);
	assert_int_equal(a.flows, 2);
	uint64_t c = 40;
	ff_counter_add(&c, 2);
	assert_int_equal(c, 42);
	ff_counter_add(&c, UINT64_MAX - 42);
	assert_true(c == UINT64_MAX);
	ff_counter_add(&c, 1);
	assert_true(c == UINT64_MAX);
}

/* Merging widens the time span and ORs the flags. */
static void merge_widens_times(void **state)
{
	(void)state;
	ff_flow a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.first_ms = 2000;
	a.last_ms = 3000;
	a.tcp_flags = 0x02;
	b.first_ms = 1000;
	b.last_ms = 4000;
	b.tcp_flags = 0x10;
	ff_flow_merge(&a, &b);
	assert_int_equal(a.first_ms, 1000);
	assert_int_equal(a.last_ms, 4000);
	assert_int_equal(a.tcp_flags, 0x12);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(merge_saturates),
    cmocka_unit_test(merge_widens_times),
};

FF_TEST_MAIN(tests)
