#include "ff_test.h"

#include <errno.h>

#include "ff_filter.h"
#include "query_topn.h"
#include "store.h"
#include "store_columnar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A store held in memory: enough of the ff_store interface for queries, and
 * proof that the query engine needs nothing but that interface.
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

/*
 * The same store with a parallel scan that deals batch i to args[i % n]
 * (in one thread: the contract is about whose callback sees what) and
 * keeps the range it was asked for.
 */
static ff_store_range mem_par_range;

static int mem_scan_parallel(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb,
			     void *const *args, size_t n_args)
{
	mem_store *m = (mem_store *)s;
	mem_par_range = *r;
	for (size_t i = 0; i < m->n_batches; i++) {
		int rc = cb(args[i % n_args], &m->batches[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The serial fallback a single-core machine takes, keeping the mask too. */
static int mem_scan_range(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb, void *arg)
{
	mem_par_range = *r;
	return mem_scan(s, cb, arg);
}

static const ff_store_ops mem_par_ops = {.name = "mem-par",
					 .scan = mem_scan,
					 .scan_range = mem_scan_range,
					 .scan_parallel = mem_scan_parallel};

static mem_store *mem_new(void)
{
	mem_store *m = calloc(1, sizeof *m);
	assert_non_null(m);
	m->base.ops = &mem_ops;
	return m;
}

/* Adds a batch for `agent` and returns it, for records to be added to. */
static ff_batch *mem_batch(mem_store *m, const char *agent)
{
	assert_true(m->n_batches < MEM_MAX_BATCHES);
	ff_batch *b = &m->batches[m->n_batches];
	strcpy(b->agent_id, agent);
	b->records = m->recs[m->n_batches];
	m->n_batches++;
	return b;
}

static ff_flow *mem_rec(ff_batch *b, uint32_t src, uint32_t dst, uint64_t bytes, uint64_t packets)
{
	assert_true(b->n_records < MEM_MAX_RECS);
	ff_flow *f = &b->records[b->n_records++];
	memset(f, 0, sizeof *f);
	ff_addr_from_v4(f->src_addr, src);
	ff_addr_from_v4(f->dst_addr, dst);
	f->bytes = bytes;
	f->packets = packets;
	f->flows = 1;
	f->first_ms = 1000;
	f->last_ms = 2000;
	return f;
}

static void run(mem_store *m, enum ff_element el, enum ff_order order, size_t n, const char *agent,
		ff_topn_result *res)
{
	ff_topn_query q = {.element = el, .order = order, .n = n, .agent = agent};
	assert_int_equal(ff_topn_run(&m->base, &q, res), 0);
}

static void srcip_bytes_order_and_ties(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	mem_rec(b, 0x0a000003, 0x0a0000ff, 500, 5);
	mem_rec(b, 0x0a000001, 0x0a0000ff, 300, 3);
	mem_rec(b, 0x0a000002, 0x0a0000ff, 300, 3); /* ties 10.0.0.1: key ascending */
	mem_rec(b, 0x0a000001, 0x0a0000ff, 100, 1); /* merged into 10.0.0.1 */
	mem_rec(b, 0x0b000000, 0x0a0000ff, 400, 4);
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 3, NULL, &res);
	assert_int_equal(res.n_rows, 3);
	assert_string_equal(res.rows[0].key, "10.0.0.3");
	assert_int_equal(res.rows[0].bytes, 500);
	assert_string_equal(res.rows[1].key, "10.0.0.1");
	assert_int_equal(res.rows[1].bytes, 400);
	assert_int_equal(res.rows[1].flows, 2);
	assert_string_equal(res.rows[2].key, "11.0.0.0"); /* 400 bytes, after 10.0.0.1 */
	assert_int_equal(res.total.rows, 4);
	assert_int_equal(res.total.records, 5);
	assert_int_equal(res.total.bytes, 1600);
	ff_topn_result_free(&res);
	/* By flows: 10.0.0.1 first (2), then the 1-flow rows by address. */
	run(m, FF_EL_SRCIP, FF_ORDER_FLOWS, 10, NULL, &res);
	assert_int_equal(res.n_rows, 4);
	assert_string_equal(res.rows[0].key, "10.0.0.1");
	assert_string_equal(res.rows[1].key, "10.0.0.2");
	assert_string_equal(res.rows[2].key, "10.0.0.3");
	assert_string_equal(res.rows[3].key, "11.0.0.0");
	ff_topn_result_free(&res);
	free(m);
}

static void ip_counts_both_sides(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	mem_rec(b, 0x0a000001, 0x0a000002, 100, 1);
	mem_rec(b, 0x0a000002, 0x0a000003, 10, 1);
	mem_rec(b, 0x0a000004, 0x0a000004, 1, 1); /* equal ends count twice, as in nfdump */
	ff_topn_result res;
	run(m, FF_EL_IP, FF_ORDER_BYTES, 0, NULL, &res);
	assert_int_equal(res.n_rows, 4);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	assert_int_equal(res.rows[0].bytes, 110);
	assert_int_equal(res.rows[0].flows, 2);
	assert_string_equal(res.rows[1].key, "10.0.0.1");
	assert_int_equal(res.rows[1].bytes, 100);
	assert_string_equal(res.rows[2].key, "10.0.0.3");
	assert_string_equal(res.rows[3].key, "10.0.0.4");
	assert_int_equal(res.rows[3].flows, 2);
	assert_int_equal(res.rows[3].bytes, 2);
	/* Totals count each record once. */
	assert_int_equal(res.total.flows, 3);
	assert_int_equal(res.total.bytes, 111);
	ff_topn_result_free(&res);
	free(m);
}

static void port_counts_both_sides(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 1, 2, 100, 1);
	f->src_port = 40000;
	f->dst_port = 443;
	f = mem_rec(b, 1, 2, 50, 1);
	f->src_port = 443;
	f->dst_port = 40001;
	ff_topn_result res;
	run(m, FF_EL_PORT, FF_ORDER_BYTES, 0, NULL, &res);
	assert_int_equal(res.n_rows, 3);
	assert_string_equal(res.rows[0].key, "443");
	assert_int_equal(res.rows[0].bytes, 150);
	assert_string_equal(res.rows[1].key, "40000");
	assert_string_equal(res.rows[2].key, "40001");
	ff_topn_result_free(&res);
	run(m, FF_EL_DSTPORT, FF_ORDER_FLOWS, 0, NULL, &res);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "443"); /* tie on flows: 443 < 40001 */
	ff_topn_result_free(&res);
	free(m);
}

static void n_zero_all_rows(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	for (uint32_t i = 0; i < 40; i++)
		mem_rec(b, 0x0a000000 + i, 1, 100 + i, 1);
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 0, NULL, &res);
	assert_int_equal(res.n_rows, 40);
	assert_string_equal(res.rows[0].key, "10.0.0.39");
	assert_string_equal(res.rows[39].key, "10.0.0.0");
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 10, NULL, &res);
	assert_int_equal(res.n_rows, 10);
	assert_int_equal(res.total.rows, 40);
	ff_topn_result_free(&res);
	free(m);
}

static void agent_filter(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	mem_rec(mem_batch(m, "node-a"), 0x0a000001, 1, 100, 1);
	mem_rec(mem_batch(m, "node-b"), 0x0a000001, 1, 10, 1);
	mem_rec(mem_batch(m, "node-b"), 0x0a000002, 1, 20, 1);
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 10, "node-b", &res);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	assert_int_equal(res.rows[1].bytes, 10);
	assert_int_equal(res.total.records, 2);
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 10, "node-c", &res);
	assert_int_equal(res.n_rows, 0);
	assert_int_equal(res.total.records, 0);
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 10, NULL, &res);
	assert_int_equal(res.rows[0].bytes, 110);
	ff_topn_result_free(&res);
	free(m);
}

static void rates_pps_bps_bpp(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 0x0a000001, 1, 10000, 100); /* 2 s: 50 pps, 40000 bps, bpp 100 */
	f->first_ms = 1000;
	f->last_ms = 3000;
	f = mem_rec(b, 0x0a000002, 1, 3000, 10); /* 0.5 s: 20 pps, 48000 bps, bpp 300 */
	f->first_ms = 1000;
	f->last_ms = 1500;
	f = mem_rec(b, 0x0a000003, 1, 7, 3); /* zero duration: rates 0, bpp 2 */
	f->first_ms = f->last_ms = 5000;
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_PPS, 0, NULL, &res);
	assert_string_equal(res.rows[0].key, "10.0.0.1");
	assert_int_equal(res.rows[0].pps, 50);
	assert_int_equal(res.rows[0].bps, 40000);
	assert_int_equal(res.rows[0].bpp, 100);
	assert_int_equal(res.rows[1].pps, 20);
	assert_int_equal(res.rows[2].pps, 0);
	assert_int_equal(res.rows[2].bpp, 2);
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCIP, FF_ORDER_BPS, 0, NULL, &res);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	assert_int_equal(res.rows[0].bps, 48000);
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCIP, FF_ORDER_BPP, 0, NULL, &res);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	assert_string_equal(res.rows[1].key, "10.0.0.1");
	assert_string_equal(res.rows[2].key, "10.0.0.3");
	ff_topn_result_free(&res);
	free(m);
}

static void wildcard_key(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 0, 0x0a000009, 100, 1);
	f->wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_SRC_PORT;
	f = mem_rec(b, 0, 0x0a000009, 100, 1);
	f->wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_SRC_PORT;
	mem_rec(b, 0x00000000, 0x0a000009, 200, 1); /* a real 0.0.0.0, not a wildcard */
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 0, NULL, &res);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "0.0.0.0");
	assert_string_equal(res.rows[1].key, "*"); /* a tie sorts the wildcard last */
	assert_int_equal(res.rows[1].flows, 2);
	ff_topn_result_free(&res);
	run(m, FF_EL_SRCPORT, FF_ORDER_FLOWS, 0, NULL, &res);
	assert_string_equal(res.rows[0].key, "*");
	assert_string_equal(res.rows[1].key, "0");
	ff_topn_result_free(&res);
	free(m);
}

static void agent_element(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	mem_rec(mem_batch(m, "node-b"), 1, 2, 10, 1);
	mem_rec(mem_batch(m, "node-a"), 1, 2, 10, 1);
	mem_rec(mem_batch(m, "node-c"), 1, 2, 30, 1);
	ff_topn_result res;
	run(m, FF_EL_AGENT, FF_ORDER_BYTES, 0, NULL, &res);
	assert_int_equal(res.n_rows, 3);
	assert_string_equal(res.rows[0].key, "node-c");
	assert_string_equal(res.rows[1].key, "node-a");
	assert_string_equal(res.rows[2].key, "node-b");
	ff_topn_result_free(&res);
	free(m);
}

static void first_last_widen(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 1, 2, 10, 1);
	f->first_ms = 5000;
	f->last_ms = 6000;
	f = mem_rec(b, 1, 3, 10, 1);
	f->first_ms = 2000;
	f->last_ms = 4000;
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_FLOWS, 0, NULL, &res);
	assert_int_equal(res.rows[0].first_ms, 2000);
	assert_int_equal(res.rows[0].last_ms, 6000);
	ff_topn_result_free(&res);
	free(m);
}

/* Compiles `expr`, failing the test with the compiler's message if it does not compile. */
static ff_filter *compile(const char *expr)
{
	char err[256] = "";
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0)
		fail_msg("filter '%s' does not compile: %s", expr, err);
	return f;
}

static void filter_selects_records(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 0x0a000001, 0x0a000101, 1000, 10);
	f->proto = 6;
	f->dst_port = 443;
	f = mem_rec(b, 0x0a000002, 0x0a000101, 500, 5);
	f->proto = 17;
	f->dst_port = 443; /* UDP: not matched */
	f = mem_rec(b, 0x0a000001, 0x0a000102, 300, 3);
	f->proto = 6;
	f->dst_port = 80; /* another port: not matched */
	f = mem_rec(b, 0x0a000003, 0x0a000101, 200, 2);
	f->proto = 6;
	f->dst_port = 443;
	ff_filter *flt = compile("proto tcp and dst port 443");
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .n = 0, .filter = flt};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "10.0.0.1");
	assert_int_equal(res.rows[0].bytes, 1000); /* the port-80 record is left out */
	assert_string_equal(res.rows[1].key, "10.0.0.3");
	assert_int_equal(res.total.records, 2);
	assert_int_equal(res.total.bytes, 1200);
	ff_topn_result_free(&res);
	ff_filter_free(flt);
	free(m);
}

static void filter_and_window_and_agent(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_flow *f = mem_rec(mem_batch(m, "node-a"), 0x0a000001, 1, 100, 1);
	f->src_port = 53; /* "not port 53" drops it */
	mem_rec(mem_batch(m, "node-a"), 0x0a000002, 1, 200, 1);
	f = mem_rec(mem_batch(m, "node-a"), 0x0a000003, 1, 400, 1);
	f->first_ms = 500; /* starts before the window */
	mem_rec(mem_batch(m, "node-b"), 0x0a000004, 1, 800, 1);
	ff_filter *flt = compile("not port 53");
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .agent = "node-a",
			   .since_ms = 1000, .until_ms = 2000, .filter = flt};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 1);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	ff_topn_result_free(&res);
	ff_filter_free(flt);
	free(m);
}

/* A summarized-away port is no port: "port 53" misses it, "not port 53" keeps it. */
static void filter_on_wildcards(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	ff_batch *b = mem_batch(m, "node-a");
	ff_flow *f = mem_rec(b, 0x0a000001, 1, 100, 1);
	f->wildcards = FF_FIELD_SRC_PORT | FF_FIELD_DST_PORT;
	f = mem_rec(b, 0x0a000002, 1, 50, 1);
	f->dst_port = 53;
	ff_filter *flt = compile("port 53");
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .filter = flt};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 1);
	assert_string_equal(res.rows[0].key, "10.0.0.2");
	ff_topn_result_free(&res);
	ff_filter_free(flt);
	flt = compile("not port 53");
	q.filter = flt;
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	assert_int_equal(res.n_rows, 1);
	assert_string_equal(res.rows[0].key, "10.0.0.1");
	ff_topn_result_free(&res);
	ff_filter_free(flt);
	free(m);
}

/* Three agents, records spread so every element sees repeated and wildcard keys. */
static void fill_mixed(mem_store *m)
{
	static const char *agents[] = {"node-a", "node-b", "node-c"};
	for (size_t b = 0; b < 6; b++) {
		ff_batch *bt = mem_batch(m, agents[b % 3]);
		for (uint32_t i = 0; i < 40; i++) {
			uint32_t k = (uint32_t)(b * 7 + i * 3) % 17;
			ff_flow *f = mem_rec(bt, 0x0a000000u + k, 0xc0a80000u + (k * 5) % 11,
					     100 + 37 * k + b, 1 + k % 4);
			f->src_port = (uint16_t)(1000 + k);
			f->dst_port = k % 3 == 0 ? 443 : (uint16_t)(60000 + k);
			f->proto = k % 2 ? 6 : 17;
			f->src_as = k % 5;
			f->dst_as = k % 3;
			f->in_if = k % 4;
			f->out_if = k % 6;
			ff_addr_from_v4(f->exporter, 0x7f000001u + k % 2);
			f->first_ms = 1000 + 10 * i;
			f->last_ms = 1500 + 20 * i + k;
			if (k == 16)
				f->wildcards = FF_FIELD_SRC_PORT | FF_FIELD_SRC_ADDR;
		}
	}
}

/* Equal answers; `read` says which files a store read, so it is left out. */
static void assert_same_result(const ff_topn_result *a, const ff_topn_result *b)
{
	ff_topn_total ta = a->total, tb = b->total;
	memset(&ta.read, 0, sizeof ta.read);
	memset(&tb.read, 0, sizeof tb.read);
	assert_int_equal(a->n_rows, b->n_rows);
	assert_memory_equal(&ta, &tb, sizeof ta);
	for (size_t i = 0; i < a->n_rows; i++) {
		assert_string_equal(a->rows[i].key, b->rows[i].key);
		assert_memory_equal(&a->rows[i], &b->rows[i], sizeof a->rows[i]);
	}
}

/* Every element and order gives the same answer from one thread's groups or several merged. */
static void parallel_merge_matches_serial(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	fill_mixed(m);
	mem_store *p = malloc(sizeof *p);
	assert_non_null(p);
	memcpy(p, m, sizeof *p);
	p->base.ops = &mem_par_ops;
	for (size_t i = 0; i < p->n_batches; i++)
		p->batches[i].records = p->recs[i];
	for (int el = 0; el < FF_EL_COUNT; el++) {
		for (int order = FF_ORDER_FLOWS; order <= FF_ORDER_BPP; order++) {
			ff_topn_result a, b;
			run(m, el, order, 0, NULL, &a);
			run(p, el, order, 0, NULL, &b);
			assert_true(a.n_rows > 1);
			assert_same_result(&a, &b);
			ff_topn_result_free(&a);
			ff_topn_result_free(&b);
		}
	}
	free(m);
	free(p);
}

/*
 * A query asks only for the fields its element and its filter read, hands
 * the filter down for row-group skipping, and accepts rollup rows only when
 * the filter reads no counters, times or TCP flags.
 */
static void scan_asks_for_needed_fields(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	m->base.ops = &mem_par_ops;
	fill_mixed(m);
	ff_topn_result res;
	run(m, FF_EL_DSTPORT, FF_ORDER_PACKETS, 3, NULL, &res);
	ff_topn_result_free(&res);
	assert_int_equal(mem_par_range.fields,
			 FF_STORE_F_TIMES | FF_STORE_F_COUNTERS | FF_STORE_F_DST_PORT);
	assert_null(mem_par_range.filter);
	assert_true(mem_par_range.rollup_bin_ms == UINT64_MAX);
	ff_filter *flt = compile("proto tcp and dst port 443");
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .filter = flt};
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	ff_topn_result_free(&res);
	assert_int_equal(mem_par_range.fields, FF_STORE_F_TIMES | FF_STORE_F_COUNTERS |
						   FF_STORE_F_SRC_ADDR | FF_STORE_F_PROTO |
						   FF_STORE_F_DST_PORT);
	assert_ptr_equal(mem_par_range.filter, flt);
	assert_true(mem_par_range.rollup_bin_ms == UINT64_MAX);
	ff_filter_free(flt);
	/* Counters, times and flags are merged in rollup rows: raw records only. */
	static const char *const raw_only[] = {"bytes > 100", "duration > 5", "flags S",
					       "not (port 53 or pps > 10)"};
	for (size_t i = 0; i < sizeof raw_only / sizeof raw_only[0]; i++) {
		flt = compile(raw_only[i]);
		q.filter = flt;
		assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
		ff_topn_result_free(&res);
		assert_int_equal(mem_par_range.rollup_bin_ms, 0);
		ff_filter_free(flt);
	}
	flt = compile("inet6 or in if 3");
	q.filter = flt;
	assert_int_equal(ff_topn_run(&m->base, &q, &res), 0);
	ff_topn_result_free(&res);
	assert_int_equal(mem_par_range.fields, FF_STORE_F_TIMES | FF_STORE_F_COUNTERS |
						   FF_STORE_F_SRC_ADDR | FF_STORE_F_DST_ADDR |
						   FF_STORE_F_IN_IF);
	ff_filter_free(flt);
	free(m);
}

/*
 * A store that makes its records up as it scans: GEN_RECORDS records in
 * batches of GEN_BATCH, record i from source 10.0.x.y = 10.0.0.0 + i * 7919
 * mod GEN_KEYS, so a top-N over it holds GEN_KEYS distinct sources (and
 * destinations for `ip`) with many ties. With `parallel`, batch b goes to
 * args[b % n], as the columnar store's threads would share them.
 */
#define GEN_RECORDS 20000u
#define GEN_BATCH 500u
#define GEN_KEYS 5000u

typedef struct gen_store {
	ff_store base;
	ff_flow recs[GEN_BATCH];
} gen_store;

static void gen_fill(gen_store *g, ff_batch *b, uint32_t first)
{
	memset(b, 0, sizeof *b);
	strcpy(b->agent_id, first % 3 ? "node-a" : "node-b");
	b->records = g->recs;
	b->n_records = GEN_BATCH;
	for (uint32_t j = 0; j < GEN_BATCH; j++) {
		uint32_t i = first + j, k = (i * 7919u) % GEN_KEYS;
		ff_flow *f = &g->recs[j];
		memset(f, 0, sizeof *f);
		ff_addr_from_v4(f->src_addr, 0x0a000000u + k);
		ff_addr_from_v4(f->dst_addr, 0x0a000000u + (k * 3u) % (GEN_KEYS + 17));
		f->bytes = 1 + k % 13 + (i % 5 == 0);
		f->packets = 1 + k % 3;
		f->flows = 1;
		f->src_as = k;
		f->first_ms = 1000 + i % 100;
		f->last_ms = f->first_ms + 10 * (k % 7);
		if (k % 997 == 0)
			f->wildcards = FF_FIELD_SRC_ADDR;
	}
}

static int gen_scan_parallel(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb,
			     void *const *args, size_t n_args)
{
	(void)r;
	gen_store *g = (gen_store *)s;
	for (uint32_t b = 0; b < GEN_RECORDS / GEN_BATCH; b++) {
		ff_batch bt;
		gen_fill(g, &bt, b * GEN_BATCH);
		int rc = cb(args[b % n_args], &bt);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int gen_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	void *args[1] = {arg};
	return gen_scan_parallel(s, NULL, cb, args, 1);
}

static const ff_store_ops gen_ops = {.name = "gen", .scan = gen_scan};
static const ff_store_ops gen_par_ops = {.name = "gen-par",
					 .scan = gen_scan,
					 .scan_parallel = gen_scan_parallel};

/* Same rows, order and totals; only the pass counts may differ. */
static void assert_same_answer(const ff_topn_result *a, const ff_topn_result *b)
{
	ff_topn_total ta = a->total, tb = b->total;
	ta.passes = tb.passes = 0;
	ta.partitions = tb.partitions = 0;
	assert_memory_equal(&ta, &tb, sizeof ta);
	assert_int_equal(a->n_rows, b->n_rows);
	for (size_t i = 0; i < a->n_rows; i++) {
		assert_string_equal(a->rows[i].key, b->rows[i].key);
		assert_memory_equal(&a->rows[i], &b->rows[i], sizeof a->rows[i]);
	}
}

/*
 * A top-N whose groups outgrow a small mem_limit is answered in partitions,
 * and exactly as the query without a limit answers it: for several
 * elements, orders (with many ties), n, and for one scanning thread or
 * several.
 */
static void partitioned_matches_unlimited(void **state)
{
	(void)state;
	gen_store *g = calloc(1, sizeof *g);
	assert_non_null(g);
	static const struct {
		enum ff_element el;
		enum ff_order order;
		size_t n;
	} cases[] = {{FF_EL_SRCIP, FF_ORDER_BYTES, 10},	  {FF_EL_SRCIP, FF_ORDER_FLOWS, 100},
		     {FF_EL_IP, FF_ORDER_PACKETS, 25},	  {FF_EL_SRCAS, FF_ORDER_BPS, 7},
		     {FF_EL_DSTIP, FF_ORDER_BPP, 1000}, {FF_EL_SRCIP, FF_ORDER_FLOWS, 1}};
	const ff_store_ops *ops[] = {&gen_ops, &gen_par_ops};
	for (size_t o = 0; o < 2; o++) {
		g->base.ops = ops[o];
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			ff_topn_query q = {.element = cases[c].el, .order = cases[c].order,
					   .n = cases[c].n};
			ff_topn_result whole, parts;
			assert_int_equal(ff_topn_run(&g->base, &q, &whole), 0);
			assert_int_equal(whole.total.passes, 1);
			assert_int_equal(whole.total.partitions, 1);
			assert_true(whole.total.rows >= GEN_KEYS - 10);
			q.mem_limit = 128 * 1024;
			assert_int_equal(ff_topn_run(&g->base, &q, &parts), 0);
			print_message("element %d order %d n %zu, %s: %u partitions, %u passes\n",
				      cases[c].el, cases[c].order, cases[c].n, ops[o]->name,
				      parts.total.partitions, parts.total.passes);
			assert_same_answer(&whole, &parts);
			assert_true(parts.total.partitions >= 8);
			/* The sketch sized the partitions: one failed pass, then one each. */
			assert_int_equal(parts.total.passes, parts.total.partitions + 1);
			ff_topn_result_free(&whole);
			ff_topn_result_free(&parts);
		}
	}
	free(g);
}

/* Ports and protocols group in fixed arrays, and n = 0 keeps every row: no partitions. */
static void partition_only_when_it_helps(void **state)
{
	(void)state;
	gen_store *g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->base.ops = &gen_par_ops;
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .n = 0,
			   .mem_limit = 1};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(&g->base, &q, &res), 0);
	assert_int_equal(res.total.passes, 1);
	assert_true(res.n_rows >= GEN_KEYS - 10);
	ff_topn_result_free(&res);
	q.element = FF_EL_SRCPORT;
	q.n = 5;
	assert_int_equal(ff_topn_run(&g->base, &q, &res), 0);
	assert_int_equal(res.total.passes, 1);
	ff_topn_result_free(&res);
	/* A limit below the tables' starting size acts as that size: it still answers. */
	q.element = FF_EL_SRCIP;
	assert_int_equal(ff_topn_run(&g->base, &q, &res), 0);
	assert_true(res.total.partitions > 1);
	assert_int_equal(res.n_rows, 5);
	ff_topn_result_free(&res);
	free(g);
}

/*
 * A columnar store in `dir` (a mkdtemp template) holding m's batches: sealed
 * after every `seal_every` batches, the last ones left in the open window
 * unless seal_every is 1.
 */
static ff_store *columnar_from(const mem_store *m, ff_store_columnar_config *cfg, char *dir,
			       size_t seal_every)
{
	assert_non_null(mkdtemp(dir));
	cfg->data_dir = dir;
	cfg->window_ms = 365ull * 86400 * 1000;
	ff_store *s;
	assert_int_equal(ff_store_columnar_open(cfg, NULL, NULL, &s), 0);
	for (size_t i = 0; i < m->n_batches; i++) {
		ff_batch b = m->batches[i];
		b.epoch = 1;
		b.sequence = i + 1;
		assert_int_equal(ff_store_append(s, &b), 0);
		if ((i + 1) % seal_every == 0 && (seal_every == 1 || i + 1 < m->n_batches))
			assert_int_equal(ff_store_columnar_seal(s), 0);
	}
	return s;
}

static void columnar_done(ff_store *s, const char *dir, mem_store *m)
{
	ff_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(m);
}

/*
 * The columnar store, over several sealed segments and the open window,
 * decoding only the query's columns on both cores, answers as the memory
 * store holding the same records does.
 */
static void columnar_matches_memory(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	fill_mixed(m);
	char dir[] = "/tmp/ff_test_topn_XXXXXX";
	ff_store_columnar_config cfg = {0};
	ff_store *s = columnar_from(m, &cfg, dir, 2);
	static const enum ff_element els[] = {FF_EL_SRCIP, FF_EL_IP, FF_EL_PORT, FF_EL_SRCPORT,
					      FF_EL_PROTO, FF_EL_SRCAS, FF_EL_INIF, FF_EL_AGENT};
	for (size_t e = 0; e < sizeof els / sizeof els[0]; e++) {
		ff_topn_result a, b;
		run(m, els[e], FF_ORDER_BPS, 0, NULL, &a);
		ff_topn_query q = {.element = els[e], .order = FF_ORDER_BPS};
		assert_int_equal(ff_topn_run(s, &q, &b), 0);
		assert_same_result(&a, &b);
		ff_topn_result_free(&a);
		ff_topn_result_free(&b);
	}
	columnar_done(s, dir, m);
}

/*
 * With rollups (every seal writes a minute rollup, every two an hour
 * rollup) the columnar store answers exactly as the memory store does over
 * the raw records, for every element, filters rollups can answer and
 * windows that cut through segments; only `records` (rollup rows) differs.
 */
static void columnar_rollups_match_memory(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	fill_mixed(m);
	char dir[] = "/tmp/ff_test_topn_XXXXXX";
	ff_store_columnar_config cfg = {.rollup_keys = FF_ROLLUP_KEYS_ALL, .segments_per_hour = 2};
	ff_store *s = columnar_from(m, &cfg, dir, 1);
	static const char *const filters[] = {NULL, "proto tcp and dst port 443", "not port 1005",
					      "src as 3 or in if 2"};
	static const uint64_t windows[][2] = {{0, 0}, {1000, 1800}, {1200, 0}};
	uint64_t rollup_files = 0;
	for (int el = 0; el < FF_EL_COUNT; el++)
		for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++)
			for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
				ff_filter *flt = NULL;
				char err[128];
				if (filters[f] != NULL)
					assert_int_equal(ff_filter_compile(filters[f], &flt, err, sizeof err), 0);
				ff_topn_query q = {.element = el, .order = FF_ORDER_BYTES, .filter = flt,
						   .since_ms = windows[w][0], .until_ms = windows[w][1]};
				ff_topn_result a, b;
				assert_int_equal(ff_topn_run(&m->base, &q, &a), 0);
				assert_int_equal(ff_topn_run(s, &q, &b), 0);
				rollup_files += b.total.read.minute_rollups + b.total.read.hour_rollups;
				a.total.records = b.total.records = 0;
				assert_same_result(&a, &b);
				ff_topn_result_free(&a);
				ff_topn_result_free(&b);
				ff_filter_free(flt);
			}
	assert_true(rollup_files > 0);
	columnar_done(s, dir, m);
}

/* --- push-downs and errors ------------------------------------------------------ */

/* Scans of the stores below, so a test tells which way ff_topn_run() went. */
static unsigned counted_scans;

static int counted_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	counted_scans++;
	return mem_scan(s, cb, arg);
}

/* Canned rows, different from anything the store's records would give. */
static int canned_topn(ff_store *s, const struct ff_topn_query *q, struct ff_topn_result *out)
{
	(void)s;
	assert_int_equal(q->element, FF_EL_SRCIP);
	assert_int_equal(q->n, 2);
	out->rows = calloc(2, sizeof *out->rows);
	assert_non_null(out->rows);
	strcpy(out->rows[0].key, "192.0.2.1");
	out->rows[0].bytes = 900;
	strcpy(out->rows[1].key, "*");
	out->rows[1].bytes = 7;
	out->n_rows = 2;
	out->total.rows = 5;
	out->total.bytes = 1000;
	out->total.records = 42;
	return 0;
}

static int failing_topn(ff_store *s, const struct ff_topn_query *q, struct ff_topn_result *out)
{
	(void)s;
	(void)q;
	(void)out;
	return -EIO;
}

static const ff_store_ops pushdown_ops = {
    .name = "pushdown", .scan = counted_scan, .topn = canned_topn};
static const ff_store_ops pushdown_failing_ops = {
    .name = "pushdown-failing", .scan = counted_scan, .topn = failing_topn};
static const ff_store_ops no_pushdown_ops = {.name = "no-pushdown", .scan = counted_scan};

/* A store with a topn op answers the query itself: its rows, its totals, no scan. */
static void pushdown_answers_instead_of_scan(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	m->base.ops = &pushdown_ops;
	mem_rec(mem_batch(m, "node-a"), 0x0a000001, 0x0a000002, 100, 1);
	counted_scans = 0;
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 2, NULL, &res);
	assert_int_equal(counted_scans, 0);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "192.0.2.1");
	assert_int_equal(res.rows[0].bytes, 900);
	assert_string_equal(res.rows[1].key, "*");
	assert_int_equal(res.total.rows, 5);
	assert_int_equal(res.total.records, 42);
	ff_topn_result_free(&res);
	/* Its error is the query's. */
	m->base.ops = &pushdown_failing_ops;
	ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .n = 2};
	assert_int_equal(ff_topn_run(&m->base, &q, &res), -EIO);
	assert_null(res.rows);
	assert_int_equal(res.n_rows, 0);
	assert_int_equal(counted_scans, 0);
	free(m);
}

/* Without the op, the C engine answers from the store's scans. */
static void no_pushdown_runs_engine(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	m->base.ops = &no_pushdown_ops;
	ff_batch *b = mem_batch(m, "node-a");
	mem_rec(b, 0x0a000001, 0x0a000002, 100, 1);
	mem_rec(b, 0x0a000003, 0x0a000002, 300, 1);
	counted_scans = 0;
	ff_topn_result res;
	run(m, FF_EL_SRCIP, FF_ORDER_BYTES, 2, NULL, &res);
	assert_true(counted_scans > 0);
	assert_int_equal(res.n_rows, 2);
	assert_string_equal(res.rows[0].key, "10.0.0.3");
	assert_int_equal(res.rows[0].bytes, 300);
	assert_string_equal(res.rows[1].key, "10.0.0.1");
	assert_int_equal(res.total.records, 2);
	assert_int_equal(res.total.passes, 1);
	ff_topn_result_free(&res);
	free(m);
}

/*
 * Stores whose scan fails after handing out a first batch, as an i/o error
 * in the middle of a segment would: serially and in parallel.
 */
static int broken_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	mem_store *m = (mem_store *)s;
	if (m->n_batches > 0 && cb(arg, &m->batches[0]) != 0)
		return 0;
	return -EIO;
}

static int broken_scan_parallel(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb,
				void *const *args, size_t n_args)
{
	(void)r;
	(void)n_args;
	mem_store *m = (mem_store *)s;
	if (m->n_batches > 0 && cb(args[0], &m->batches[0]) != 0)
		return 0;
	return -ENOMEM;
}

static const ff_store_ops broken_ops = {.name = "broken", .scan = broken_scan};
static const ff_store_ops broken_par_ops = {
    .name = "broken-par", .scan = broken_scan, .scan_parallel = broken_scan_parallel};

/* Nothing of a failed run is left: no rows, no totals. */
static void assert_failed_empty(const ff_topn_result *res)
{
	assert_null(res->rows);
	assert_int_equal(res->n_rows, 0);
	assert_int_equal(res->total.records, 0);
	assert_int_equal(res->total.passes, 0);
}

static void scan_error_reaches_caller(void **state)
{
	(void)state;
	mem_store *m = mem_new();
	mem_rec(mem_batch(m, "node-a"), 0x0a000001, 0x0a000002, 100, 1);
	mem_rec(mem_batch(m, "node-b"), 0x0a000003, 0x0a000002, 300, 1);
	/* One scanning thread (one core) takes the serial scan even where a parallel one exists. */
	bool parallel = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	const struct {
		const ff_store_ops *ops;
		int err;
	} stores[] = {{&broken_ops, -EIO},
		      {&broken_par_ops, parallel ? -ENOMEM : -EIO}};
	/* Hash-table and direct-array elements. */
	const enum ff_element els[] = {FF_EL_SRCIP, FF_EL_DSTPORT, FF_EL_AGENT};
	for (size_t o = 0; o < 2; o++) {
		m->base.ops = stores[o].ops;
		for (size_t e = 0; e < 3; e++) {
			ff_topn_query q = {.element = els[e], .order = FF_ORDER_BYTES, .n = 10};
			ff_topn_result res;
			assert_int_equal(ff_topn_run(&m->base, &q, &res), stores[o].err);
			assert_failed_empty(&res);
		}
	}
	free(m);
}

/* The gen store, failing its second scan: the first pass of a partitioned query succeeded. */
static unsigned gen_scans;

static int gen_second_scan_fails(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	if (++gen_scans == 2)
		return -EIO;
	return gen_scan(s, cb, arg);
}

static const ff_store_ops gen_second_fails_ops = {.name = "gen-second-fails",
						  .scan = gen_second_scan_fails};

static void later_pass_error_reaches_caller(void **state)
{
	(void)state;
	gen_store *g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->base.ops = &gen_second_fails_ops;
	gen_scans = 0;
	ff_topn_query q = {
	    .element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .n = 10, .mem_limit = 128 * 1024};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(&g->base, &q, &res), -EIO);
	assert_int_equal(gen_scans, 2);
	assert_failed_empty(&res);
	free(g);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(srcip_bytes_order_and_ties),
    cmocka_unit_test(ip_counts_both_sides),
    cmocka_unit_test(port_counts_both_sides),
    cmocka_unit_test(n_zero_all_rows),
    cmocka_unit_test(agent_filter),
    cmocka_unit_test(rates_pps_bps_bpp),
    cmocka_unit_test(wildcard_key),
    cmocka_unit_test(agent_element),
    cmocka_unit_test(first_last_widen),
    cmocka_unit_test(filter_selects_records),
    cmocka_unit_test(filter_and_window_and_agent),
    cmocka_unit_test(filter_on_wildcards),
    cmocka_unit_test(parallel_merge_matches_serial),
    cmocka_unit_test(scan_asks_for_needed_fields),
    cmocka_unit_test(columnar_matches_memory),
    cmocka_unit_test(columnar_rollups_match_memory),
    cmocka_unit_test(partitioned_matches_unlimited),
    cmocka_unit_test(partition_only_when_it_helps),
    cmocka_unit_test(pushdown_answers_instead_of_scan),
    cmocka_unit_test(no_pushdown_runs_engine),
    cmocka_unit_test(scan_error_reaches_caller),
    cmocka_unit_test(later_pass_error_reaches_caller),
};

FF_TEST_MAIN(tests)
