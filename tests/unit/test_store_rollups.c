#include "ff_test.h"

#include "ff_filter.h"
#include "query_series.h"
#include "query_topn.h"
#include "segment.h"
#include "store_columnar.h"
#include "rollup_file.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Rollups in the columnar store: built at every seal, read by scans that
 * accept them, equal in totals to the raw records, rebuilt when missing,
 * left out (with the raw segments read instead) when damaged.
 */

#define T0 1795428000000ull /* a whole clock hour, unix ms */

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_rollups_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void remove_all(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A 20-minute window: three segments make an hour rollup. */
static ff_store *open_store(const char *dir, uint32_t keys, uint64_t retain_ms)
{
	ff_store *s;
	/*
	 * The records are stamped long before they are written: a clock skew of a
	 * century lets retention age them by their stamps.
	 */
	ff_store_columnar_config cfg = {.data_dir = dir,
					.window_ms = 20 * 60 * 1000,
					.retain_ms = retain_ms,
					.rollup_keys = keys,
					.max_clock_skew_ms = 36500ull * 86400 * 1000};
	assert_int_equal(ff_store_columnar_open(&cfg, NULL, NULL, &s), 0);
	return s;
}

/*
 * Segment `seg`: 200 records, 10 a minute over the segment's 20 minutes;
 * with `distinct` every record has its own source port (no rollup row
 * merges two: a minute rollup would not pay), else 2 sources and 2 ports
 * (the minute rollups merge 10 records into 2 to 4 rows).
 */
static void fill(ff_store *s, uint64_t seg, bool distinct)
{
	ff_flow recs[200];
	memset(recs, 0, sizeof recs);
	for (uint64_t i = 0; i < 200; i++) {
		ff_flow *f = &recs[i];
		ff_addr_from_v4(f->src_addr, 0x0a000000u + (uint32_t)(i % 2));
		ff_addr_from_v4(f->dst_addr, 0x0a010001u);
		f->src_port = (uint16_t)(40000 + (distinct ? seg * 200 + i : i / 100));
		f->dst_port = 443;
		f->proto = 6;
		f->tcp_flags = 0x18;
		f->bytes = 100 + i;
		f->packets = 1 + i % 3;
		f->flows = 1;
		f->first_ms = T0 + seg * 1200000 + i * 6000;
		f->last_ms = f->first_ms + 2000;
	}
	for (uint64_t b = 0; b < 4; b++) {
		ff_batch batch = {.epoch = 9,
				  .sequence = seg * 4 + b + 1,
				  .records = recs + b * 50,
				  .n_records = 50};
		strcpy(batch.agent_id, b % 2 ? "node-b" : "node-a");
		assert_int_equal(ff_store_append(s, &batch), 0);
	}
	assert_int_equal(ff_store_columnar_seal(s), 0);
}

static void fill_segment(ff_store *s, uint64_t seg)
{
	fill(s, seg, false);
}

/* A new store in a new temp dir (`dir` gets its path) holding segments 0 .. n - 1. */
static ff_store *filled_store(char *dir, uint32_t keys, uint64_t n)
{
	temp_dir(dir);
	ff_store *s = open_store(dir, keys, 0);
	for (uint64_t seg = 0; seg < n; seg++)
		fill_segment(s, seg);
	return s;
}

typedef struct sums {
	uint64_t rows, bytes, packets, flows;
	uint64_t since, until; /* rows counted only when wholly inside */
} sums;

static int add_rows(void *arg, const ff_batch *b)
{
	sums *x = arg;
	for (size_t i = 0; i < b->n_records; i++) {
		const ff_flow *f = &b->records[i];
		if (f->first_ms < x->since || f->last_ms > x->until)
			continue;
		x->rows++;
		x->bytes += f->bytes;
		x->packets += f->packets;
		x->flows += f->flows;
	}
	return 0;
}

static sums scan(ff_store *s, uint64_t since, uint64_t until, uint64_t bin, uint32_t fields)
{
	sums x = {.since = since, .until = until};
	ff_store_range r = {
	    .since_ms = since, .until_ms = until, .fields = fields, .rollup_bin_ms = bin};
	assert_int_equal(ff_store_scan_range(s, &r, add_rows, &x), 0);
	return x;
}

#define KEYS_READ (FF_STORE_F_SRC_ADDR | FF_STORE_F_COUNTERS | FF_STORE_F_TIMES)

static void rollups_built_at_seal(void **state)
{
	(void)state;
	char dir[64];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.segments, 4);
	assert_int_equal(st.rollup_minute, 4);
	/* Segments 1..3 make one clock hour; the 4th's hour is not over: its rollup so far. */
	assert_int_equal(st.rollup_hour, 2);
	assert_int_equal(st.rollup_errors, 0);
	assert_true(st.rollup_bytes > 0);
	ff_store_close(s);
	/*
	 * Records that never merge: no minute rollups, and no hour rollups either
	 * (they would not halve the rows): each hour is judged once, given up.
	 */
	remove_all(dir);
	temp_dir(dir);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	for (uint64_t seg = 0; seg < 4; seg++)
		fill(s, seg, true);
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.rollup_minute, 0);
	assert_int_equal(st.minute_rollups_not_paying, 4);
	assert_int_equal(st.rollup_hour, 0);
	assert_int_equal(st.hour_rollups_not_paying, 2);
	assert_int_equal(st.rollup_errors, 0);
	ff_store_close(s);
	/* No rollups when asked for none. */
	remove_all(dir);
	temp_dir(dir);
	s = open_store(dir, 0, 0);
	fill_segment(s, 0);
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.rollup_minute, 0);
	ff_store_close(s);
	remove_all(dir);
}

/* Rollup rows give the raw totals with far fewer rows, for any window. */
static void rollups_answer_like_raw(void **state)
{
	(void)state;
	char dir[64];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	const uint64_t windows[][2] = {{0, UINT64_MAX},
				       {T0, T0 + 3600000},
				       {T0 + 600000, T0 + 3000000},
				       {T0 + 1200000, UINT64_MAX}};
	for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
		sums raw = scan(s, windows[w][0], windows[w][1], 0, KEYS_READ);
		sums roll = scan(s, windows[w][0], windows[w][1], UINT64_MAX, KEYS_READ);
		assert_true(raw.rows > 0);
		assert_int_equal(roll.bytes, raw.bytes);
		assert_int_equal(roll.packets, raw.packets);
		assert_int_equal(roll.flows, raw.flows);
		assert_int_equal(raw.flows, raw.rows);
		assert_true(roll.rows < raw.rows);
	}
	sums all = scan(s, 0, UINT64_MAX, UINT64_MAX, KEYS_READ);
	assert_int_equal(all.flows, 800);
	/* A field rollups do not keep (TCP flags) or a finer bin: raw rows only. */
	sums flags = scan(s, 0, UINT64_MAX, UINT64_MAX, KEYS_READ | FF_STORE_F_TCP_FLAGS);
	assert_int_equal(flags.rows, 800);
	sums fine = scan(s, 0, UINT64_MAX, 1000, KEYS_READ);
	assert_int_equal(fine.rows, 800);
	ff_store_close(s);
	remove_all(dir);
}

/* Raw segments gone by --retain: the rollups still answer. */
static void rollups_outlive_raw(void **state)
{
	(void)state;
	char dir[64];
	/* The records are from 2026: a retention of a minute removes every raw segment. */
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	sums before = scan(s, 0, UINT64_MAX, 0, KEYS_READ);
	ff_store_close(s);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 60000);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.rollup_minute, 4);
	assert_int_equal(st.rollup_hour, 2);
	assert_int_equal(scan(s, 0, UINT64_MAX, 0, KEYS_READ).rows, 0);
	sums after = scan(s, 0, UINT64_MAX, UINT64_MAX, KEYS_READ);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.flows, 800);
	ff_store_close(s);
	remove_all(dir);
}

static void path_of(char *buf, size_t len, const char *dir, const char *sub, uint64_t id)
{
	char d[128];
	snprintf(d, sizeof d, "%s/%s", dir, sub);
	assert_int_equal(ff_segment_path(d, id, buf, len), 0);
}

/* A crash before a rollup was written: the next open builds it. */
static void missing_rollups_rebuilt(void **state)
{
	(void)state;
	char dir[64], p[256];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	sums want = scan(s, 0, UINT64_MAX, 0, KEYS_READ);
	ff_store_close(s);
	/* A crash loses at most the last files written: segment 4's minute and hour rollups. */
	path_of(p, sizeof p, dir, "rollups/hour", 4);
	assert_int_equal(unlink(p), 0);
	path_of(p, sizeof p, dir, "rollups/minute", 4);
	assert_int_equal(unlink(p), 0);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.rollup_minute, 4);
	assert_int_equal(st.rollup_hour, 2);
	sums got = scan(s, 0, UINT64_MAX, UINT64_MAX, KEYS_READ);
	assert_int_equal(got.bytes, want.bytes);
	assert_int_equal(got.flows, want.flows);
	ff_store_close(s);
	remove_all(dir);
}

/* A damaged rollup is quarantined and the query reads the raw segments instead. */
static void damaged_rollup_falls_back(void **state)
{
	(void)state;
	char dir[64], p[256];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	sums want = scan(s, 0, UINT64_MAX, 0, KEYS_READ);
	ff_store_close(s);
	/* Flip the last byte: inside the last column block, after the header and directory. */
	path_of(p, sizeof p, dir, "rollups/hour", 1);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t c;
	assert_int_equal(pread(fd, &c, 1, end - 1), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, end - 1), 1);
	close(fd);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	sums got = scan(s, 0, UINT64_MAX, UINT64_MAX, KEYS_READ);
	assert_int_equal(got.bytes, want.bytes);
	assert_int_equal(got.flows, want.flows);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(st.rollup_hour, 1);
	char q[256];
	snprintf(q, sizeof q, "%s/quarantine/hour-seg-0000000000000001.ffs", dir);
	assert_int_equal(access(q, F_OK), 0);
	ff_store_close(s);
	remove_all(dir);
}

/* Flips a byte `from_end` bytes before the end of raw segment `id` (a column block). */
static void damage_segment(const char *dir, uint64_t id, long from_end)
{
	char p[256];
	path_of(p, sizeof p, dir, "segments", id);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	off_t at = from_end < 0 ? lseek(fd, 0, SEEK_END) + from_end : from_end;
	uint8_t c;
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

/* Total flows of a top-N over everything: from rollups, or (`filter`) reading raw records. */
static uint64_t top_flows(ff_store *s, const char *filter)
{
	ff_filter *f = NULL;
	char err[128];
	if (filter != NULL)
		assert_int_equal(ff_filter_compile(filter, &f, err, sizeof err), 0);
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_FLOWS, .filter = f};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(s, &q, &res), 0);
	ff_topn_result_free(&res);
	ff_filter_free(f);
	return res.total.flows;
}

static ff_store_columnar_stats stats_of(ff_store *s)
{
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	return st;
}

/* Waits (5 s at most) until the sealer has rebuilt `n` hour rollups. */
static void wait_rebuilt(ff_store *s, uint64_t n)
{
	for (int i = 0; i < 500 && stats_of(s).rollups_rebuilt < n; i++)
		usleep(10000);
	assert_int_equal(stats_of(s).rollups_rebuilt, n);
}

/*
 * A segment found damaged by a raw-reading query: its minute rollup and the
 * hour rollup holding it are set aside, so a top-N over everything (read
 * from rollups) agrees with the filter at once, and again once the hour
 * rollup is rebuilt without it (it said 150,988 flows against 144,448).
 */
static void quarantine_sets_rollups_aside(void **state)
{
	(void)state;
	char dir[64];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4); /* hours: 1..3 and 4 */
	ff_store_close(s);
	damage_segment(dir, 2, -2);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	/* Not found yet: the rollups answer for it. */
	assert_int_equal(top_flows(s, NULL), 800);
	assert_int_equal(top_flows(s, "bytes > 0"), 600); /* reads it: quarantined */
	ff_store_columnar_stats st = stats_of(s);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(st.quarantined_records, 200);
	assert_int_equal(st.rollups_set_aside, 2);
	assert_int_equal(top_flows(s, NULL), 600);
	wait_rebuilt(s, 1);
	st = stats_of(s);
	assert_int_equal(st.rollup_hour, 2);
	assert_int_equal(st.rollup_minute, 3);
	ff_store_read read = {0};
	ff_store_range r = {.until_ms = UINT64_MAX,
			    .fields = KEYS_READ,
			    .rollup_bin_ms = UINT64_MAX,
			    .read = &read};
	sums x = {.until = UINT64_MAX};
	assert_int_equal(ff_store_scan_range(s, &r, add_rows, &x), 0);
	assert_int_equal(x.flows, 600);
	assert_int_equal(read.hour_rollups, 2); /* the rebuilt one is read */
	assert_int_equal(read.segments, 0);
	assert_int_equal(top_flows(s, NULL), top_flows(s, "bytes > 0"));
	ff_store_close(s);
	/* The next start finds nothing more to set aside, and the same answers. */
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	assert_int_equal(stats_of(s).rollups_set_aside, 0);
	assert_int_equal(top_flows(s, NULL), 600);
	assert_int_equal(top_flows(s, "bytes > 0"), 600);
	char q[256];
	snprintf(q, sizeof q, "%s/quarantine/minute-seg-0000000000000002.ffs", dir);
	assert_int_equal(access(q, F_OK), 0);
	snprintf(q, sizeof q, "%s/quarantine/hour-seg-0000000000000001.ffs", dir);
	assert_int_equal(access(q, F_OK), 0);
	ff_store_close(s);
	remove_all(dir);
}

/* A segment whose header is damaged is quarantined at open: its rollups go with it there. */
static void quarantine_at_open_sets_rollups_aside(void **state)
{
	(void)state;
	char dir[64];
	ff_store *s = filled_store(dir, FF_ROLLUP_KEYS_ALL, 4);
	ff_store_close(s);
	damage_segment(dir, 1, 20); /* the header: its first segment, the hour rollup's id */
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	ff_store_columnar_stats st = stats_of(s);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(st.rollups_set_aside, 2);
	assert_int_equal(st.rollups_rebuilt, 1); /* at open, before the first query */
	assert_int_equal(st.rollup_hour, 2);
	assert_int_equal(top_flows(s, NULL), 600);
	assert_int_equal(top_flows(s, "bytes > 0"), 600);
	ff_store_close(s);
	remove_all(dir);
}

/* While its hour is not over, the hour rollup is rewritten at every seal to cover it all. */
static void open_hour_rollup_grows(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	fill_segment(s, 0);
	fill_segment(s, 1);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.rollup_minute, 2);
	assert_int_equal(st.rollup_hour, 1);
	ff_store_read read = {0};
	sums x = {.until = UINT64_MAX};
	ff_store_range r = {.until_ms = UINT64_MAX, .fields = KEYS_READ,
			    .rollup_bin_ms = UINT64_MAX, .read = &read};
	assert_int_equal(ff_store_scan_range(s, &r, add_rows, &x), 0);
	assert_int_equal(read.hour_rollups, 1);
	assert_int_equal(read.minute_rollups, 0);
	assert_int_equal(read.segments, 0);
	assert_int_equal(x.flows, 400);
	/* The same after a restart: the rewritten file covers both segments. */
	ff_store_close(s);
	s = open_store(dir, FF_ROLLUP_KEYS_ALL, 0);
	x = (sums){.until = UINT64_MAX};
	read = (ff_store_read){0};
	assert_int_equal(ff_store_scan_range(s, &r, add_rows, &x), 0);
	assert_int_equal(read.hour_rollups, 1);
	assert_int_equal(x.flows, 400);
	ff_store_close(s);
	remove_all(dir);
}

/*
 * Time series from a store with rollups equal those from the same records
 * without: minute and hour bins, windows ending on a bin's end (rollups
 * answer) or inside one (raw records do), with and without a filter.
 */
static void series_over_rollups_equal_raw(void **state)
{
	(void)state;
	char da[64], db[64];
	ff_store *a = filled_store(da, FF_ROLLUP_KEYS_ALL, 5), *b = filled_store(db, 0, 5);
	ff_filter *tcp = NULL;
	char err[128];
	assert_int_equal(ff_filter_compile("proto tcp and src port 40000", &tcp, err, sizeof err), 0);
	const uint64_t bins[] = {60000, 300000, 3600000};
	const uint64_t untils[] = {T0 + 2 * 3600000 - 1, T0 + 5000000, UINT64_MAX - 1};
	for (size_t i = 0; i < 3; i++)
		for (size_t u = 0; u < 3; u++)
			for (int f = 0; f < 2; f++) {
				ff_series_query q = {.metric = FF_SERIES_BYTES,
						     .bin_ms = bins[i],
						     .since_ms = T0,
						     .until_ms = untils[u] == UINT64_MAX - 1 ? T0 + 3 * 3600000 - 1
											: untils[u],
						     .filter = f ? tcp : NULL};
				ff_series_result ra, rb;
				assert_int_equal(ff_series_run(a, &q, &ra), 0);
				assert_int_equal(ff_series_run(b, &q, &rb), 0);
				assert_int_equal(ra.n_bins, rb.n_bins);
				uint64_t sum = 0;
				for (size_t k = 0; k < ra.n_bins; k++) {
					assert_int_equal(ra.values[k], rb.values[k]);
					sum += ra.values[k];
				}
				assert_true(sum > 0);
				ff_series_result_free(&ra);
				ff_series_result_free(&rb);
			}
	ff_filter_free(tcp);
	ff_store_close(a);
	ff_store_close(b);
	remove_all(da);
	remove_all(db);
}

/*
 * Top-N answers of `a` (rollups) equal those of `b` (raw only) for every
 * element, over all time and over windows cut inside segments.
 */
static void assert_same_topn(ff_store *a, ff_store *b)
{
	static const uint64_t windows[][2] = {
	    {0, 0}, {T0, T0 + 3600000 - 1}, {T0 + 600000, T0 + 3000000}};
	for (int el = 0; el < FF_EL_COUNT; el++)
		for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
			ff_topn_query q = {.element = el,
					   .order = FF_ORDER_BYTES,
					   .since_ms = windows[w][0],
					   .until_ms = windows[w][1]};
			ff_topn_result ra, rb;
			assert_int_equal(ff_topn_run(a, &q, &ra), 0);
			assert_int_equal(ff_topn_run(b, &q, &rb), 0);
			assert_true(rb.n_rows > 0);
			assert_int_equal(ra.n_rows, rb.n_rows);
			assert_int_equal(ra.total.rows, rb.total.rows);
			assert_int_equal(ra.total.flows, rb.total.flows);
			assert_int_equal(ra.total.packets, rb.total.packets);
			assert_int_equal(ra.total.bytes, rb.total.bytes);
			assert_int_equal(ra.total.first_ms, rb.total.first_ms);
			assert_int_equal(ra.total.last_ms, rb.total.last_ms);
			for (size_t i = 0; i < ra.n_rows; i++) {
				assert_string_equal(ra.rows[i].key, rb.rows[i].key);
				assert_memory_equal(&ra.rows[i], &rb.rows[i], sizeof ra.rows[i]);
			}
			ff_topn_result_free(&ra);
			ff_topn_result_free(&rb);
		}
}

/*
 * An hour of records that never merge (a flood of new keys) gets no hour
 * rollup: judged at its first seal, not again at the later ones of the
 * hour, once more after a restart; the answers are the raw ones.
 */
static void distinct_hour_not_rolled(void **state)
{
	(void)state;
	char da[64], db[64];
	temp_dir(da);
	temp_dir(db);
	ff_store *a = open_store(da, FF_ROLLUP_KEYS_ALL, 0), *b = open_store(db, 0, 0);
	for (uint64_t seg = 0; seg < 3; seg++) { /* segments 0 .. 2: one clock hour */
		fill(a, seg, true);
		fill(b, seg, true);
		assert_int_equal(stats_of(a).hour_rollups_not_paying, 1);
	}
	ff_store_columnar_stats st = stats_of(a);
	assert_int_equal(st.rollup_hour, 0);
	assert_int_equal(st.rollup_minute, 0);
	assert_int_equal(st.rollup_errors, 0);
	assert_same_topn(a, b);
	ff_store_close(a);
	a = open_store(da, FF_ROLLUP_KEYS_ALL, 0);
	st = stats_of(a);
	assert_int_equal(st.hour_rollups_not_paying, 1); /* the one retry after a restart */
	assert_int_equal(st.rollup_hour, 0);
	assert_same_topn(a, b);
	ff_store_close(a);
	ff_store_close(b);
	remove_all(da);
	remove_all(db);
}

/*
 * An hour rollup that paid stops being extended once the hour turns into
 * a flood: it keeps covering what it covered, the rest of the hour is read
 * from its segments, and the answers are the raw ones.
 */
static void hour_rollup_stops_extending(void **state)
{
	(void)state;
	char da[64], db[64];
	temp_dir(da);
	temp_dir(db);
	ff_store *a = open_store(da, FF_ROLLUP_KEYS_ALL, 0), *b = open_store(db, 0, 0);
	for (uint64_t seg = 0; seg < 3; seg++) {
		fill(a, seg, seg > 0);
		fill(b, seg, seg > 0);
	}
	ff_store_columnar_stats st = stats_of(a);
	assert_int_equal(st.rollup_hour, 1);
	assert_int_equal(st.rollup_minute, 1);
	assert_int_equal(st.hour_rollups_not_paying, 1);
	assert_int_equal(st.rollup_errors, 0);
	ff_store_read read = {0};
	sums x = {.until = UINT64_MAX};
	ff_store_range r = {.until_ms = UINT64_MAX,
			    .fields = KEYS_READ,
			    .rollup_bin_ms = UINT64_MAX,
			    .read = &read};
	assert_int_equal(ff_store_scan_range(a, &r, add_rows, &x), 0);
	assert_int_equal(read.hour_rollups, 1);
	assert_int_equal(read.segments, 2);
	assert_int_equal(x.flows, 600);
	assert_same_topn(a, b);
	ff_store_close(a);
	ff_store_close(b);
	remove_all(da);
	remove_all(db);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(rollups_built_at_seal),	 cmocka_unit_test(rollups_answer_like_raw),
    cmocka_unit_test(rollups_outlive_raw),	 cmocka_unit_test(missing_rollups_rebuilt),
    cmocka_unit_test(damaged_rollup_falls_back),
    cmocka_unit_test(quarantine_sets_rollups_aside),
    cmocka_unit_test(quarantine_at_open_sets_rollups_aside),
    cmocka_unit_test(open_hour_rollup_grows),
    cmocka_unit_test(series_over_rollups_equal_raw),
    cmocka_unit_test(distinct_hour_not_rolled),
    cmocka_unit_test(hour_rollup_stops_extending),
};

FF_TEST_MAIN(tests)
