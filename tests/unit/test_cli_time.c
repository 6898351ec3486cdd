#include "ff_test.h"

#include "cli_time.h"

#include <stdlib.h>

/* Every case runs in UTC so that local-time answers are known. */
static int utc(void **state)
{
	(void)state;
	return setenv("TZ", "UTC", 1);
}

#define T0 1763899950000ull /* 2025-11-23 12:12:30 UTC */

static void durations_before_now(void **state)
{
	(void)state;
	uint64_t t;
	assert_int_equal(ff_cli_time_parse("1h", T0, &t), 0);
	assert_int_equal(t, T0 - 3600000);
	assert_int_equal(ff_cli_time_parse("90s", T0, &t), 0);
	assert_int_equal(t, T0 - 90000);
	assert_int_equal(ff_cli_time_parse("7d", T0, &t), 0);
	assert_int_equal(t, T0 - 7 * 86400000ull);
	assert_int_equal(ff_cli_time_parse("now", T0, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(ff_cli_time_parse("1763899950", T0, &t), -1); /* unit missing */
	assert_int_equal(ff_cli_time_parse("bogus", T0, &t), -1);
}

static void dates(void **state)
{
	(void)state;
	uint64_t t;
	assert_int_equal(ff_cli_time_parse("2025-11-23T12:12:30", T0, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(ff_cli_time_parse("2025-11-23T12:12", T0, &t), 0);
	assert_int_equal(t, T0 - 30000);
	assert_int_equal(ff_cli_time_parse("2025/11/23.12:12:30", T0, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(ff_cli_time_parse("2025-11-23T12:12:30Z", T0, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(ff_cli_time_parse("2025-11-23", T0, &t), 0);
	assert_int_equal(t, 1763856000000ull);
	assert_int_equal(ff_cli_time_parse("2025-13-01", T0, &t), -1);
	assert_int_equal(ff_cli_time_parse("2025-11-23T25:00", T0, &t), -1);
	assert_int_equal(ff_cli_time_parse("2025-11-23T12:12:30x", T0, &t), -1);
}

static void nfdump_windows(void **state)
{
	(void)state;
	uint64_t a, b;
	assert_int_equal(ff_cli_time_window("2025/11/23.12:12:30-2025/11/23.12:12:40", &a, &b), 0);
	assert_int_equal(a, T0);
	assert_int_equal(b, T0 + 10000);
	assert_int_equal(ff_cli_time_window("2025/11/23.12", &a, &b), 0);
	assert_int_equal(a, T0 - 12 * 60000 - 30000);
	assert_int_equal(b, 0);
	assert_int_equal(ff_cli_time_window("2025/11/23-2025/11/22", &a, &b), -1);
	assert_int_equal(ff_cli_time_window("+10", &a, &b), -1);
	assert_int_equal(ff_cli_time_window("2025/11/23.12:12:30-", &a, &b), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(durations_before_now, utc),
    cmocka_unit_test_setup(dates, utc),
    cmocka_unit_test_setup(nfdump_windows, utc),
};

FF_TEST_MAIN(tests)
