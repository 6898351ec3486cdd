#include "ff_test.h"

#include "rollup_merge.h"
#include "scan_plan.h"

#include <stdlib.h>
#include <string.h>

static ff_flow rec(uint64_t first, uint32_t src, uint16_t sport, uint16_t dport, uint64_t bytes,
		   uint32_t agent)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	f.first_ms = first;
	f.last_ms = first + 500;
	ff_addr_from_v4(f.src_addr, src);
	ff_addr_from_v4(f.dst_addr, 0x0a010001);
	f.src_port = sport;
	f.dst_port = dport;
	f.proto = 6;
	f.tcp_flags = 0x12;
	f.bytes = bytes;
	f.packets = 1;
	f.flows = 1;
	f.agent_ref = agent;
	return f;
}

/* Same key and bin merge; counters add, first/last widen; another port stays apart. */
static void merges_same_key_in_bin(void **state)
{
	(void)state;
	const char *agents[] = {"a"};
	ff_flow in[3] = {rec(60000, 1, 40000, 443, 100, 0), rec(61000, 1, 40000, 443, 50, 0),
			 rec(62000, 1, 40001, 443, 7, 0)};
	in[1].last_ms = 119000;
	ff_rollup *r = ff_rollup_new(FF_ROLLUP_KEYS_ALL, 60000, 4);
	assert_non_null(r);
	assert_int_equal(ff_rollup_add(r, in, 3, agents, 1), 0);
	const ff_flow *rows;
	size_t n, na;
	const char *const *ag;
	assert_int_equal(ff_rollup_result(r, &rows, &n, &ag, &na), 0);
	assert_int_equal(n, 2);
	assert_int_equal(na, 1);
	assert_string_equal(ag[0], "a");
	assert_int_equal(rows[0].src_port, 40000);
	assert_int_equal(rows[0].bytes, 150);
	assert_int_equal(rows[0].flows, 2);
	assert_int_equal(rows[0].first_ms, 60000);
	assert_int_equal(rows[0].last_ms, 119000);
	assert_int_equal(rows[1].bytes, 7);
	/* TCP flags are an OR, never a key: always wildcarded. */
	assert_true(rows[0].wildcards & FF_FIELD_TCP_FLAGS);
	assert_int_equal(rows[0].tcp_flags, 0);
	ff_rollup_free(r);
}

/* Fields the rollup drops are wildcarded and merge; another bin stays apart. */
static void drops_fields_and_splits_bins(void **state)
{
	(void)state;
	const char *agents[] = {"a"};
	ff_flow in[3] = {rec(60000, 1, 40000, 443, 100, 0), rec(61000, 1, 40001, 443, 50, 0),
			 rec(120000, 1, 40002, 443, 7, 0)};
	ff_rollup *r = ff_rollup_new(FF_FIELD_SRC_ADDR | FF_FIELD_DST_PORT, 60000, 4);
	assert_int_equal(ff_rollup_add(r, in, 3, agents, 1), 0);
	const ff_flow *rows;
	size_t n, na;
	const char *const *ag;
	assert_int_equal(ff_rollup_result(r, &rows, &n, &ag, &na), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].bytes, 150);
	assert_int_equal(rows[0].src_port, 0);
	assert_true(rows[0].wildcards & FF_FIELD_SRC_PORT);
	assert_true(rows[0].wildcards & FF_FIELD_DST_ADDR);
	assert_false(rows[0].wildcards & FF_FIELD_SRC_ADDR);
	assert_false(rows[0].wildcards & FF_FIELD_DST_PORT);
	assert_int_equal(rows[0].dst_port, 443);
	assert_int_equal(rows[1].first_ms, 120000);
	ff_rollup_free(r);
}

/* Two sources with their own agent dictionaries: agents interned by id, sorted. */
static void agents_from_two_sources(void **state)
{
	(void)state;
	const char *s1[] = {"zeta", "alpha"};
	const char *s2[] = {"alpha"};
	ff_flow a[2] = {rec(0, 1, 1, 2, 10, 0), rec(0, 1, 1, 2, 20, 1)};
	ff_flow b[1] = {rec(10, 1, 1, 2, 5, 0)};
	ff_rollup *r = ff_rollup_new(FF_ROLLUP_KEYS_ALL, 3600000, 4);
	assert_int_equal(ff_rollup_add(r, a, 2, s1, 2), 0);
	assert_int_equal(ff_rollup_add(r, b, 1, s2, 1), 0);
	const ff_flow *rows;
	size_t n, na;
	const char *const *ag;
	assert_int_equal(ff_rollup_result(r, &rows, &n, &ag, &na), 0);
	assert_int_equal(na, 2);
	assert_string_equal(ag[0], "alpha");
	assert_string_equal(ag[1], "zeta");
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].agent_ref, 0);
	assert_int_equal(rows[0].bytes, 25);
	assert_int_equal(rows[1].agent_ref, 1);
	assert_int_equal(rows[1].bytes, 10);
	/* An agent_ref outside the dictionary is refused. */
	ff_flow bad = rec(0, 1, 1, 2, 1, 5);
	assert_int_equal(ff_rollup_add(r, &bad, 1, s2, 1), -1);
	ff_rollup_free(r);
}

/* --- the plan ------------------------------------------------------------------- */

/* The estimate is within 2% of the exact merge on distinct, pooled and binned rows. */
static void estimate_matches_merge(void **state)
{
	(void)state;
	enum { N = 200000 };
	ff_flow *rows = malloc(N * sizeof *rows);
	assert_non_null(rows);
	/* Shapes: every key new; 1,000 keys over and over; 5 bins of 3,000 keys. */
	for (int shape = 0; shape < 3; shape++) {
		for (uint32_t i = 0; i < N; i++) {
			uint32_t key = shape == 0 ? i : shape == 1 ? i % 1000 : i % 3000;
			uint64_t first = shape == 2 ? (uint64_t)(i % 5) * 60000 + i % 977 : 1000 + i % 50;
			rows[i] = rec(first, 0x0a000000u + key, (uint16_t)(key % 60000 + 1), 80, 10,
				      key % 3 == 0 ? 1 : 0);
		}
		ff_rollup *r = ff_rollup_new(FF_ROLLUP_KEYS_ALL, 60000, 1024);
		assert_non_null(r);
		const char *agents[] = {"a", "b"};
		assert_int_equal(ff_rollup_add(r, rows, N, agents, 2), 0);
		double exact = (double)ff_rollup_rows(r);
		double est = (double)ff_rollup_estimate_rows(FF_ROLLUP_KEYS_ALL, 60000, rows, N);
		assert_true(est >= exact * 0.98 && est <= exact * 1.02);
		ff_rollup_free(r);
	}
	assert_int_equal(ff_rollup_estimate_rows(FF_ROLLUP_KEYS_ALL, 60000, rows, 0), 0);
	free(rows);
}

static ff_plan_unit unit(enum ff_plan_kind kind, uint64_t lo, uint64_t hi, uint64_t t0, uint64_t t1)
{
	return (ff_plan_unit){.kind = kind,
			      .covers_first = lo,
			      .covers_last = hi,
			      .min_first_ms = t0,
			      .max_first_ms = t1 - 10,
			      .min_last_ms = t0 + 10,
			      .max_last_ms = t1,
			      .keys = kind == FF_PLAN_RAW ? 0xffffffffu : FF_ROLLUP_KEYS_ALL,
			      .bin_ms = kind == FF_PLAN_HOUR	 ? 3600000
					: kind == FF_PLAN_MINUTE ? 60000
								 : 0,
			      .usable = true};
}

/* Raw ids 1..4 (t 0..400), minutes for each, an hour over 1..2. */
static size_t fixture(ff_plan_unit *u)
{
	size_t n = 0;
	for (uint64_t id = 1; id <= 4; id++) {
		u[n++] = unit(FF_PLAN_RAW, id, id, (id - 1) * 100, id * 100);
		u[n++] = unit(FF_PLAN_MINUTE, id, id, (id - 1) * 100, id * 100);
	}
	u[n++] = unit(FF_PLAN_HOUR, 1, 2, 0, 200);
	return n;
}

static bool has(const size_t *c, size_t n, size_t want)
{
	for (size_t i = 0; i < n; i++)
		if (c[i] == want)
			return true;
	return false;
}

/* Everything inside: the hour for 1..2, minutes for 3..4, no raw segment. */
static void plan_coarsest_inside(void **state)
{
	(void)state;
	ff_plan_unit u[16];
	size_t n = fixture(u), c[16];
	ff_plan_query q = {.since_ms = 0,
			   .until_ms = UINT64_MAX,
			   .keys_read = FF_FIELD_SRC_ADDR,
			   .rollup_bin_ms = UINT64_MAX};
	size_t k = ff_plan_choose(&q, u, n, c);
	assert_int_equal(k, 3);
	assert_true(has(c, k, 8)); /* the hour */
	assert_true(has(c, k, 5)); /* minute 3 */
	assert_true(has(c, k, 7)); /* minute 4 */
}

/* A window cutting segment 2 and 4: raw there, minute for 3, nothing of 1 read. */
static void plan_edges_read_raw(void **state)
{
	(void)state;
	ff_plan_unit u[16];
	size_t n = fixture(u), c[16];
	ff_plan_query q = {.since_ms = 150,
			   .until_ms = 350,
			   .keys_read = FF_FIELD_SRC_ADDR,
			   .rollup_bin_ms = UINT64_MAX};
	size_t k = ff_plan_choose(&q, u, n, c);
	assert_int_equal(k, 3);
	assert_true(has(c, k, 2)); /* raw 2 */
	assert_true(has(c, k, 5)); /* minute 3 */
	assert_true(has(c, k, 6)); /* raw 4 */
}

/* Keys the rollups lack, or a caller that wants raw records: raw only. */
static void plan_raw_when_rollups_cannot(void **state)
{
	(void)state;
	ff_plan_unit u[16];
	size_t n = fixture(u), c[16];
	ff_plan_query q = {
	    .until_ms = UINT64_MAX, .keys_read = FF_FIELD_TCP_FLAGS, .rollup_bin_ms = UINT64_MAX};
	assert_int_equal(ff_plan_choose(&q, u, n, c), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(u[c[i]].kind, FF_PLAN_RAW);
	q = (ff_plan_query){.until_ms = UINT64_MAX, .keys_read = FF_FIELD_SRC_ADDR};
	assert_int_equal(ff_plan_choose(&q, u, n, c), 4);
	/* A series bin finer than the rollup's: the minute rollups do not do. */
	q.rollup_bin_ms = 1000;
	assert_int_equal(ff_plan_choose(&q, u, n, c), 4);
}

/* Raw 1..4 expired: a straddling window reads the minute rollups that remain. */
static void plan_rollups_after_raw_expired(void **state)
{
	(void)state;
	ff_plan_unit u[16];
	size_t n = fixture(u), c[16], m = 0;
	for (size_t i = 0; i < n; i++)
		if (u[i].kind != FF_PLAN_RAW &&
		    !(u[i].kind == FF_PLAN_MINUTE && u[i].covers_first <= 2))
			u[m++] = u[i];
	/* Left: minute 3, minute 4, hour 1..2. */
	ff_plan_query q = {.since_ms = 150,
			   .until_ms = 350,
			   .keys_read = FF_FIELD_SRC_ADDR,
			   .rollup_bin_ms = UINT64_MAX};
	size_t k = ff_plan_choose(&q, u, m, c);
	assert_int_equal(k, 3);
	assert_true(has(c, k, 0) && has(c, k, 1) && has(c, k, 2));
	/* A damaged file is never chosen. */
	u[2].usable = false;
	assert_int_equal(ff_plan_choose(&q, u, m, c), 2);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(estimate_matches_merge),
    cmocka_unit_test(merges_same_key_in_bin),
    cmocka_unit_test(drops_fields_and_splits_bins),
    cmocka_unit_test(agents_from_two_sources),
    cmocka_unit_test(plan_coarsest_inside),
    cmocka_unit_test(plan_edges_read_raw),
    cmocka_unit_test(plan_raw_when_rollups_cannot),
    cmocka_unit_test(plan_rollups_after_raw_expired),
};

FF_TEST_MAIN(tests)
