#include "ff_test.h"

#include <errno.h>

#include "ff_filter.h"
#include "query_flows.h"
#include "query_series.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

/*
 * The raw listing and the time series over a store held in memory: enough
 * of the ff_store interface for queries (as in test_topn.c).
 */
#define MEM_MAX_BATCHES 8
#define MEM_MAX_RECS	64

typedef struct mem_store {
	ff_store base;
	ff_batch batches[MEM_MAX_BATCHES];
	ff_flow recs[MEM_MAX_BATCHES][MEM_MAX_RECS];
	size_t n_batches;
} mem_store;

static int mem_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	mem_store *m = (mem_store *)s;
	for (size_t i = 0; i < m->n_batches; i++) {
		int rc = cb(arg, &m->batches[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const ff_store_ops mem_ops = {.name = "mem", .scan = mem_scan};

static mem_store *mem_new(void)
{
	mem_store *m = calloc(1, sizeof *m);
	assert_non_null(m);
	m->base.ops = &mem_ops;
	return m;
}

static ff_batch *mem_batch(mem_store *m, const char *agent)
{
	assert_true(m->n_batches < MEM_MAX_BATCHES);
	ff_batch *b = &m->batches[m->n_batches];
	strcpy(b->agent_id, agent);
	b->records = m->recs[m->n_batches];
	m->n_batches++;
	return b;
}

/* A record of `bytes` bytes, 1 packet per 10 bytes, from first_ms to first_ms + 500. */
static ff_flow *mem_rec(ff_batch *b, uint64_t first_ms, uint64_t bytes)
{
	assert_true(b->n_records < MEM_MAX_RECS);
	ff_flow *f = &b->records[b->n_records++];
	memset(f, 0, sizeof *f);
	ff_addr_from_v4(f->src_addr, 0x0a000001);
	ff_addr_from_v4(f->dst_addr, 0x0a000002);
	f->bytes = bytes;
	f->packets = bytes / 10;
	f->flows = 1;
	f->first_ms = first_ms;
	f->last_ms = first_ms + 500;
	return f;
}

static ff_filter *compile(const char *expr)
{
	char err[256] = "";
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0)
		fail_msg("filter '%s' does not compile: %s", expr, err);
	return f;
}

/* --- flows --------------------------------------------------------------------- */

/* Records in two batches, out of time order, some with equal start times. */
static mem_store *flows_store(void)
{
	mem_store *m = mem_new();
	ff_batch *a = mem_batch(m, "node-a");
	mem_rec(a, 5000, 50);
	mem_rec(a, 1000, 10);
	mem_rec(a, 3000, 30);
	ff_batch *b = mem_batch(m, "node-b");
	mem_rec(b, 2000, 20);
	mem_rec(b, 3000, 31); /* ties node-a's 3000: the store's order decides */
	mem_rec(b, 4000, 40);
	return m;
}

static void flows_oldest_first_and_limit(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	ff_flows_query q = {.limit = 4};
	ff_flows_result res;
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 4);
	assert_int_equal(res.matched, 6);
	assert_int_equal(res.rows[0].flow.bytes, 10);
	assert_string_equal(res.rows[0].agent, "node-a");
	assert_int_equal(res.rows[1].flow.bytes, 20);
	assert_string_equal(res.rows[1].agent, "node-b");
	assert_int_equal(res.rows[2].flow.bytes, 30);
	assert_int_equal(res.rows[3].flow.bytes, 31);
	ff_flows_result_free(&res);
	free(m);
}

static void flows_newest_first(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	ff_flows_query q = {.limit = 3, .newest_first = true};
	ff_flows_result res;
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 3);
	assert_int_equal(res.rows[0].flow.bytes, 50);
	assert_int_equal(res.rows[1].flow.bytes, 40);
	assert_int_equal(res.rows[2].flow.bytes, 31); /* the later of the tied pair */
	ff_flows_result_free(&res);
	free(m);
}

static void flows_filter_window_agent(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	m->recs[1][2].dst_port = 443; /* node-b's 4000 */
	m->recs[0][0].dst_port = 443; /* node-a's 5000 */
	ff_filter *flt = compile("dst port 443");
	ff_flows_query q = {.limit = 10, .filter = flt};
	ff_flows_result res;
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 2);
	assert_int_equal(res.rows[0].flow.bytes, 40);
	assert_int_equal(res.rows[1].flow.bytes, 50);
	ff_flows_result_free(&res);
	q.agent = "node-b";
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 1);
	assert_int_equal(res.rows[0].flow.bytes, 40);
	ff_flows_result_free(&res);
	/* nfdump's -t: 5000-5500 ends after 5400, so it is out. */
	q = (ff_flows_query){.limit = 10, .since_ms = 2000, .until_ms = 5400};
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 4);
	assert_int_equal(res.rows[0].flow.bytes, 20);
	assert_int_equal(res.rows[3].flow.bytes, 40);
	ff_flows_result_free(&res);
	ff_filter_free(flt);
	free(m);
}

static void flows_limit_bounds(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	ff_flows_result res;
	ff_flows_query q = {.limit = 0};
	assert_int_equal(ff_flows_run(&m->base, &q, &res), -EINVAL);
	q.limit = FF_FLOWS_MAX_LIMIT + 1;
	assert_int_equal(ff_flows_run(&m->base, &q, &res), -EINVAL);
	q.limit = FF_FLOWS_MAX_LIMIT; /* the heap grows with the matches, not the limit */
	assert_int_equal(ff_flows_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 6);
	ff_flows_result_free(&res);
	free(m);
}

/* --- series -------------------------------------------------------------------- */

static void series_bins_by_first_ms(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	mem_rec(b, 60000, 1);	/* bin 0 (60000-119999) */
	mem_rec(b, 119999, 2); /* bin 0, ends in bin 1: counted whole in bin 0 */
	mem_rec(b, 180000, 4); /* bin 2; bin 1 stays empty */
	mem_rec(b, 59999, 8);	/* before since: left out */
	mem_rec(b, 240001, 16); /* after until: left out */
	ff_series_query q = {.metric = FF_SERIES_BYTES, .bin_ms = 60000, .since_ms = 60000,
			     .until_ms = 240000};
	assert_int_equal(ff_series_bins(&q), 4);
	ff_series_result res;
	assert_int_equal(ff_series_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_bins, 4);
	assert_int_equal(res.start_ms, 60000);
	assert_int_equal(res.values[0], 3);
	assert_int_equal(res.values[1], 0);
	assert_int_equal(res.values[2], 4);
	assert_int_equal(res.values[3], 0);
	ff_series_result_free(&res);
	free(m);
}

static void series_metrics_filter_agent(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_flow *f = mem_rec(mem_batch(m, "node-a"), 1500, 100);
	f->proto = 6;
	f->flows = 3;
	f = mem_rec(mem_batch(m, "node-b"), 2500, 200);
	f->proto = 6;
	mem_rec(mem_batch(m, "node-b"), 2600, 400); /* proto 0: not tcp */
	ff_filter *flt = compile("proto tcp");
	/* Bins align to the epoch: since 1500 starts the first bin at 1000. */
	ff_series_query q = {.metric = FF_SERIES_PACKETS, .bin_ms = 1000, .since_ms = 1500,
			     .until_ms = 2999, .filter = flt};
	ff_series_result res;
	assert_int_equal(ff_series_run(&m->base, &q, &res), 0);
	assert_int_equal(res.start_ms, 1000);
	assert_int_equal(res.n_bins, 2);
	assert_int_equal(res.values[0], 10);
	assert_int_equal(res.values[1], 20);
	ff_series_result_free(&res);
	q.metric = FF_SERIES_FLOWS;
	q.agent = "node-a";
	assert_int_equal(ff_series_run(&m->base, &q, &res), 0);
	assert_int_equal(res.values[0], 3);
	assert_int_equal(res.values[1], 0);
	ff_series_result_free(&res);
	ff_filter_free(flt);
	free(m);
}

static void series_bounds_and_names(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_series_result res;
	ff_series_query q = {.bin_ms = 1, .since_ms = 0, .until_ms = FF_SERIES_MAX_BINS};
	assert_int_equal(ff_series_bins(&q), FF_SERIES_MAX_BINS + 1);
	assert_int_equal(ff_series_run(&m->base, &q, &res), -EINVAL);
	q.until_ms = FF_SERIES_MAX_BINS - 1;
	assert_int_equal(ff_series_run(&m->base, &q, &res), 0);
	ff_series_result_free(&res);
	q = (ff_series_query){.bin_ms = 0, .since_ms = 0, .until_ms = 10};
	assert_int_equal(ff_series_bins(&q), 0);
	q = (ff_series_query){.bin_ms = 10, .since_ms = 20, .until_ms = 10};
	assert_int_equal(ff_series_run(&m->base, &q, &res), -EINVAL);
	enum ff_series_metric mt;
	assert_int_equal(ff_series_metric_parse("packets", &mt), 0);
	assert_int_equal(mt, FF_SERIES_PACKETS);
	assert_string_equal(ff_series_metric_name(FF_SERIES_FLOWS), "flows");
	assert_int_equal(ff_series_metric_parse("pps", &mt), -1);
	free(m);
}

/* The range a scan was asked for, kept by a store that scans like mem_scan. */
static ff_store_range seen_range;

static int mem_scan_range(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb, void *arg)
{
	seen_range = *r;
	return mem_scan(s, cb, arg);
}

static const ff_store_ops mem_range_ops = {.name = "mem-range",
					   .scan = mem_scan,
					   .scan_range = mem_scan_range};

/*
 * Both queries hand their filter down for row-group skipping. The listing
 * reads whole records, raw; the series reads times, counters and what the
 * filter reads, and takes rollup rows of its bin when the filter reads no
 * counters, times or TCP flags.
 */
static void range_carries_filter_fields_rollups(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	m->base.ops = &mem_range_ops;
	mem_rec(mem_batch(m, "node-a"), 1500, 100);
	ff_filter *flt = compile("dst port 53");
	ff_flows_query fq = {.limit = 10, .filter = flt};
	ff_flows_result fr;
	assert_int_equal(ff_flows_run(&m->base, &fq, &fr), 0);
	ff_flows_result_free(&fr);
	assert_ptr_equal(seen_range.filter, flt);
	assert_int_equal(seen_range.fields, 0);
	assert_int_equal(seen_range.rollup_bin_ms, 0);
	/* A window ending at a bin's end: rollup rows count as their records would. */
	ff_series_query sq = {.bin_ms = 60000, .since_ms = 0, .until_ms = 599999, .filter = flt};
	ff_series_result sr;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	ff_series_result_free(&sr);
	assert_ptr_equal(seen_range.filter, flt);
	assert_int_equal(seen_range.fields,
			 FF_STORE_F_TIMES | FF_STORE_F_COUNTERS | FF_STORE_F_DST_PORT);
	assert_int_equal(seen_range.rollup_bin_ms, 60000);
	/* One ending inside a bin: a rollup row could hold records after its end. */
	sq.until_ms = 600000;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	ff_series_result_free(&sr);
	assert_int_equal(seen_range.rollup_bin_ms, 0);
	sq.until_ms = 599999;
	ff_filter_free(flt);
	flt = compile("dst port 53 and bytes > 10");
	sq.filter = flt;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	ff_series_result_free(&sr);
	assert_int_equal(seen_range.rollup_bin_ms, 0);
	ff_filter_free(flt);
	sq.filter = NULL;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	ff_series_result_free(&sr);
	assert_int_equal(seen_range.fields, FF_STORE_F_TIMES | FF_STORE_F_COUNTERS);
	assert_int_equal(seen_range.rollup_bin_ms, 60000);
	free(m);
}

/* --- push-downs and errors ------------------------------------------------------ */

/* Scans of the stores below, so a test tells which way a run went. */
static unsigned counted_scans;

static int counted_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	counted_scans++;
	return mem_scan(s, cb, arg);
}

/* Canned answers, unlike anything the store's records would give. */
static int canned_series(ff_store *s, const struct ff_series_query *q, struct ff_series_result *out)
{
	(void)s;
	out->start_ms = q->since_ms;
	out->n_bins = 2;
	out->values = calloc(2, sizeof *out->values);
	assert_non_null(out->values);
	out->values[0] = 11;
	out->values[1] = 22;
	return 0;
}

static int canned_flows(ff_store *s, const struct ff_flows_query *q, struct ff_flows_result *out)
{
	(void)s;
	(void)q;
	out->rows = calloc(1, sizeof *out->rows);
	assert_non_null(out->rows);
	out->rows[0].flow.bytes = 4242;
	strcpy(out->rows[0].agent, "elsewhere");
	out->n_rows = 1;
	out->matched = 99;
	return 0;
}

static const ff_store_ops pushdown_ops = {
    .name = "pushdown", .scan = counted_scan, .series = canned_series, .flows = canned_flows};
static const ff_store_ops no_pushdown_ops = {.name = "no-pushdown", .scan = counted_scan};

/*
 * A store with series and flows ops answers those queries itself; queries
 * the engines refuse are refused before it is asked. Without the ops the
 * C engines scan.
 */
static void pushdown_or_engine(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	m->base.ops = &pushdown_ops;
	counted_scans = 0;
	ff_flows_query fq = {.limit = 10};
	ff_flows_result fr;
	assert_int_equal(ff_flows_run(&m->base, &fq, &fr), 0);
	assert_int_equal(fr.n_rows, 1);
	assert_int_equal(fr.rows[0].flow.bytes, 4242);
	assert_string_equal(fr.rows[0].agent, "elsewhere");
	assert_int_equal(fr.matched, 99);
	ff_flows_result_free(&fr);
	ff_series_query sq = {.bin_ms = 1000, .since_ms = 1000, .until_ms = 2999};
	ff_series_result sr;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	assert_int_equal(sr.n_bins, 2);
	assert_int_equal(sr.values[0], 11);
	assert_int_equal(sr.values[1], 22);
	ff_series_result_free(&sr);
	assert_int_equal(counted_scans, 0);
	fq.limit = 0;
	assert_int_equal(ff_flows_run(&m->base, &fq, &fr), -EINVAL);
	sq.bin_ms = 0;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), -EINVAL);
	/* The C engines, over the same records. */
	m->base.ops = &no_pushdown_ops;
	fq.limit = 10;
	assert_int_equal(ff_flows_run(&m->base, &fq, &fr), 0);
	assert_int_equal(fr.n_rows, 6);
	assert_int_equal(fr.matched, 6);
	assert_int_equal(fr.rows[0].flow.bytes, 10);
	ff_flows_result_free(&fr);
	sq.bin_ms = 1000;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), 0);
	assert_int_equal(sr.n_bins, 2);
	assert_int_equal(sr.values[0], 10);
	assert_int_equal(sr.values[1], 20);
	ff_series_result_free(&sr);
	assert_int_equal(counted_scans, 2);
	free(m);
}

/* A store whose scan fails after a first batch, as an i/o error mid-segment would. */
static int broken_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	mem_store *m = (mem_store *)s;
	if (m->n_batches > 0 && cb(arg, &m->batches[0]) != 0)
		return 0;
	return -EIO;
}

static const ff_store_ops broken_ops = {.name = "broken", .scan = broken_scan};

/* The store's error is the query's, and the partial answer is freed, not returned. */
static void scan_error_reaches_caller(void **state)
{
	(void)state;
	mem_store *m = flows_store();
	m->base.ops = &broken_ops;
	ff_flows_query fq = {.limit = 10};
	ff_flows_result fr;
	assert_int_equal(ff_flows_run(&m->base, &fq, &fr), -EIO);
	assert_null(fr.rows);
	assert_int_equal(fr.n_rows, 0);
	assert_int_equal(fr.matched, 0);
	ff_series_query sq = {.bin_ms = 1000, .since_ms = 0, .until_ms = 9999};
	ff_series_result sr;
	assert_int_equal(ff_series_run(&m->base, &sq, &sr), -EIO);
	assert_null(sr.values);
	assert_int_equal(sr.n_bins, 0);
	free(m);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(flows_oldest_first_and_limit),
    cmocka_unit_test(flows_newest_first),
    cmocka_unit_test(flows_filter_window_agent),
    cmocka_unit_test(flows_limit_bounds),
    cmocka_unit_test(series_bins_by_first_ms),
    cmocka_unit_test(series_metrics_filter_agent),
    cmocka_unit_test(series_bounds_and_names),
    cmocka_unit_test(range_carries_filter_fields_rollups),
    cmocka_unit_test(pushdown_or_engine),
    cmocka_unit_test(scan_error_reaches_caller),
};

FF_TEST_MAIN(tests)
