/*
 * The column-block path of the top-N engine against a plain oracle: every
 * record's keys formatted as text and summed in a hash map, each record
 * judged by ff_filter_match() (row evaluation). The stores: one that only
 * scans records (its rows transposed into blocks), the columnar store with
 * segments and the open window, and the columnar store with rollups. The
 * records cross block and batch boundaries, mix IPv4 and IPv6 (within a
 * block too), wildcard some fields, and carry two agents.
 */
#include "ff_test.h"

#include "ff_block.h"
#include "ff_filter.h"
#include "ff_hmap.h"
#include "query_topn.h"
#include "store.h"
#include "store_columnar.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TB_BATCHES 6
#define TB_BATCH   5000 /* more than FF_BLOCK_ROWS: blocks split batches */

typedef struct rows_store {
	ff_store base;
	ff_batch batches[TB_BATCHES];
	ff_flow recs[TB_BATCHES][TB_BATCH];
} rows_store;

static int rows_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	rows_store *m = (rows_store *)s;
	for (size_t i = 0; i < TB_BATCHES; i++) {
		int rc = cb(arg, &m->batches[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const ff_store_ops rows_ops = {.name = "rows", .scan = rows_scan};

/* Batch 2 is all IPv6, batch 3 IPv6 one record in seven, the others IPv4. */
static void tb_addr(uint8_t *a, uint32_t v, size_t batch, uint32_t i)
{
	if (batch == 2 || (batch == 3 && i % 7 == 0)) {
		memset(a, 0, FF_ADDR_LEN);
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		memcpy(a + 12, &v, 4);
	} else {
		ff_addr_from_v4(a, 0x0a000000u + v);
	}
}

static void tb_record(ff_flow *f, size_t batch, uint32_t i)
{
	uint32_t k = (i * 7919u + (uint32_t)batch * 131u) % 3001u;
	memset(f, 0, sizeof *f);
	tb_addr(f->src_addr, k % 997, batch, i);
	tb_addr(f->dst_addr, (k * 3u) % 1009, batch, i);
	ff_addr_from_v4(f->exporter, 0xc0000200u + k % 3);
	f->src_port = (uint16_t)(k % 5 == 0 ? 443 : 1024 + k % 50);
	f->dst_port = (uint16_t)(k % 3 == 0 ? 443 : k % 3 == 1 ? 80 : 53);
	f->proto = k % 4 == 0 ? 17 : k % 11 == 0 ? 1 : 6;
	f->tos = (uint8_t)(k % 4);
	f->tcp_flags = (uint8_t)(k % 64);
	f->src_as = k % 20;
	f->dst_as = k % 17;
	f->in_if = k % 5;
	f->out_if = k % 6;
	f->bytes = 40 + k * 13 % 1500 + (i % 9 == 0) * 100000;
	f->packets = 1 + k % 9;
	f->flows = 1 + (i % 13 == 0);
	f->first_ms = 1000 + (uint64_t)batch * 400 + i % 300;
	f->last_ms = f->first_ms + k % 250;
	if (i % 101 == 0)
		f->wildcards |= FF_FIELD_SRC_ADDR;
	if (i % 89 == 0)
		f->wildcards |= FF_FIELD_DST_PORT;
	if (i % 211 == 0)
		f->wildcards |= FF_FIELD_PROTO | FF_FIELD_SRC_AS;
}

static rows_store *tb_rows(void)
{
	rows_store *m = calloc(1, sizeof *m);
	assert_non_null(m);
	m->base.ops = &rows_ops;
	for (size_t b = 0; b < TB_BATCHES; b++) {
		ff_batch *bt = &m->batches[b];
		strcpy(bt->agent_id, b % 2 ? "node-b" : "node-a");
		bt->records = m->recs[b];
		bt->n_records = TB_BATCH;
		bt->epoch = 1;
		bt->sequence = b + 1;
		for (uint32_t i = 0; i < TB_BATCH; i++)
			tb_record(&m->recs[b][i], b, i);
	}
	return m;
}

/* A columnar store holding m's batches, the first four sealed (two per segment), the rest open. */
static ff_store *tb_columnar(const rows_store *m, char *dir, bool rollups)
{
	assert_non_null(mkdtemp(dir));
	ff_store_columnar_config cfg = {.data_dir = dir, .window_ms = 365ull * 86400 * 1000};
	if (rollups) {
		cfg.rollup_keys = FF_ROLLUP_KEYS_ALL;
		cfg.segments_per_hour = 2;
	}
	ff_store *s;
	assert_int_equal(ff_store_columnar_open(&cfg, NULL, NULL, &s), 0);
	for (size_t b = 0; b < TB_BATCHES; b++) {
		assert_int_equal(ff_store_append(s, &m->batches[b]), 0);
		if (b == 1 || b == 3)
			assert_int_equal(ff_store_columnar_seal(s), 0);
	}
	return s;
}

static void tb_remove(ff_store *s, const char *dir)
{
	ff_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The oracle's group: text key -> counters. */
typedef struct tb_group {
	uint64_t flows, packets, bytes, first_ms, last_ms;
	bool seen;
} tb_group;

typedef struct tb_key {
	char s[FF_TOPN_KEY_STRLEN];
} tb_key;

static void tb_fmt_addr(tb_key *k, const uint8_t *a, bool wild)
{
	memset(k, 0, sizeof *k);
	if (wild)
		strcpy(k->s, "*");
	else
		ff_addr_format(a, k->s);
}

static void tb_fmt_num(tb_key *k, uint32_t v, bool wild)
{
	memset(k, 0, sizeof *k);
	if (wild)
		strcpy(k->s, "*");
	else
		snprintf(k->s, sizeof k->s, "%" PRIu32, v);
}

/* The text keys a record counts under for element el: one, or two for ip and port. */
static int tb_keys(enum ff_element el, const ff_flow *f, const char *agent, tb_key k[2])
{
	uint32_t w = f->wildcards;
	switch (el) {
	case FF_EL_SRCIP:
		return tb_fmt_addr(&k[0], f->src_addr, w & FF_FIELD_SRC_ADDR), 1;
	case FF_EL_DSTIP:
		return tb_fmt_addr(&k[0], f->dst_addr, w & FF_FIELD_DST_ADDR), 1;
	case FF_EL_IP:
		tb_fmt_addr(&k[0], f->src_addr, w & FF_FIELD_SRC_ADDR);
		return tb_fmt_addr(&k[1], f->dst_addr, w & FF_FIELD_DST_ADDR), 2;
	case FF_EL_EXPORTER:
		return tb_fmt_addr(&k[0], f->exporter, w & FF_FIELD_EXPORTER), 1;
	case FF_EL_SRCPORT:
		return tb_fmt_num(&k[0], f->src_port, w & FF_FIELD_SRC_PORT), 1;
	case FF_EL_DSTPORT:
		return tb_fmt_num(&k[0], f->dst_port, w & FF_FIELD_DST_PORT), 1;
	case FF_EL_PORT:
		tb_fmt_num(&k[0], f->src_port, w & FF_FIELD_SRC_PORT);
		return tb_fmt_num(&k[1], f->dst_port, w & FF_FIELD_DST_PORT), 2;
	case FF_EL_PROTO:
		return tb_fmt_num(&k[0], f->proto, w & FF_FIELD_PROTO), 1;
	case FF_EL_SRCAS:
		return tb_fmt_num(&k[0], f->src_as, w & FF_FIELD_SRC_AS), 1;
	case FF_EL_DSTAS:
		return tb_fmt_num(&k[0], f->dst_as, w & FF_FIELD_DST_AS), 1;
	case FF_EL_INIF:
		return tb_fmt_num(&k[0], f->in_if, w & FF_FIELD_IN_IF), 1;
	case FF_EL_OUTIF:
		return tb_fmt_num(&k[0], f->out_if, w & FF_FIELD_OUT_IF), 1;
	default:
		memset(&k[0], 0, sizeof k[0]);
		snprintf(k[0].s, sizeof k[0].s, "%s", agent);
		return 1;
	}
}

static void tb_add(ff_hmap *h, const tb_key *k, const ff_flow *f)
{
	int created;
	tb_group *g = ff_hmap_upsert(h, k, &created);
	assert_non_null(g);
	g->flows += f->flows;
	g->packets += f->packets;
	g->bytes += f->bytes;
	if (!g->seen || f->first_ms < g->first_ms)
		g->first_ms = f->first_ms;
	if (!g->seen || f->last_ms > g->last_ms)
		g->last_ms = f->last_ms;
	g->seen = true;
}

/* The oracle's groups of query q over m's records, and how many records it selected. */
static ff_hmap *tb_oracle(const rows_store *m, const ff_topn_query *q, uint64_t *records)
{
	ff_hmap *h = ff_hmap_new(sizeof(tb_key), sizeof(tb_group), 1024);
	assert_non_null(h);
	*records = 0;
	for (size_t b = 0; b < TB_BATCHES; b++)
		for (size_t i = 0; i < TB_BATCH; i++) {
			const ff_flow *f = &m->recs[b][i];
			if (f->first_ms < q->since_ms || (q->until_ms && f->last_ms > q->until_ms))
				continue;
			if (q->filter != NULL && !ff_filter_match(q->filter, f))
				continue;
			tb_key k[2];
			int nk = tb_keys(q->element, f, m->batches[b].agent_id, k);
			for (int j = 0; j < nk; j++)
				tb_add(h, &k[j], f);
			(*records)++;
		}
	return h;
}

/*
 * Every row of the engine's answer (n = 0) is the oracle's group, and every
 * group is a row; the store holds m's records `times` times over.
 */
static void tb_check_times(ff_store *s, const rows_store *m, const ff_topn_query *q, bool raw,
			   uint64_t times)
{
	uint64_t records;
	ff_hmap *h = tb_oracle(m, q, &records);
	ff_topn_result r;
	assert_int_equal(ff_topn_run(s, q, &r), 0);
	assert_int_equal(r.n_rows, ff_hmap_count(h));
	if (raw)
		assert_int_equal(r.total.records, records * times);
	for (size_t i = 0; i < r.n_rows; i++) {
		tb_key k;
		memset(&k, 0, sizeof k);
		snprintf(k.s, sizeof k.s, "%s", r.rows[i].key);
		const tb_group *g = ff_hmap_find(h, &k);
		if (g == NULL)
			fail_msg("row %s is not a group of the oracle", k.s);
		assert_int_equal(r.rows[i].flows, g->flows * times);
		assert_int_equal(r.rows[i].packets, g->packets * times);
		assert_int_equal(r.rows[i].bytes, g->bytes * times);
		assert_int_equal(r.rows[i].first_ms, g->first_ms);
		assert_int_equal(r.rows[i].last_ms, g->last_ms);
		if (i > 0)
			assert_true(r.rows[i - 1].bytes >= r.rows[i].bytes);
	}
	ff_topn_result_free(&r);
	ff_hmap_free(h);
}

static void tb_check(ff_store *s, const rows_store *m, const ff_topn_query *q, bool raw)
{
	tb_check_times(s, m, q, raw, 1);
}

/* One filter of each shape the block way compiles, and a few combinations. */
static const char *const tb_filters[] = {
    NULL,
    "proto tcp and dst port 443",
    "not port 1005",
    "src as 3 or in if 2",
    "port in [80 53 1030]",
    "dst port > 100 and dst port <= 443",
    "src net 10.0.0.0/25",
    "dst net 2001:db8::/32",
    "src ip in [10.0.0.5 10.0.1.0/24 2001:db8::]",
    "inet6",
    "inet and not proto udp",
    "flags S and not flags F",
    "tos 2 or tos > 2",
    "bytes > 1000 and packets < 5",
    "flows 2",
    "duration > 100 or bpp > 200",
    "pps > 10 and bps < 100000000",
    "src as in [1 2 3 4 5 6 7 8 9 10] and not out if 3",
    "(proto udp or proto icmp) and not (dst port 53 or src port 443)",
};

static void tb_all(ff_store *s, const rows_store *m, bool raw)
{
	for (size_t f = 0; f < sizeof tb_filters / sizeof tb_filters[0]; f++) {
		ff_filter *flt = NULL;
		char err[128];
		if (tb_filters[f] != NULL)
			assert_int_equal(ff_filter_compile(tb_filters[f], &flt, err, sizeof err), 0);
		for (int el = 0; el < FF_EL_COUNT; el++) {
			ff_topn_query q = {.element = el, .order = FF_ORDER_BYTES, .filter = flt};
			tb_check(s, m, &q, raw);
		}
		/* A window that cuts through batches, with the filter. */
		ff_topn_query q = {.element = FF_EL_SRCIP, .order = FF_ORDER_BYTES, .filter = flt,
				   .since_ms = 1500, .until_ms = 2600};
		tb_check(s, m, &q, raw);
		ff_filter_free(flt);
	}
}

/* Records scanned as rows and transposed into blocks answer as the oracle. */
static void transposed_rows_match_oracle(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	tb_all(&m->base, m, true);
	free(m);
}

/* Segments decoded into blocks, and the open window transposed, answer as the oracle. */
static void columnar_blocks_match_oracle(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	char dir[] = "/tmp/ff_test_topn_block_XXXXXX";
	ff_store *s = tb_columnar(m, dir, false);
	tb_all(s, m, true);
	tb_remove(s, dir);
	free(m);
}

/* With rollups configured (written where they pay, skipped where not) the answers stay exact. */
static void columnar_rollups_blocks_match_oracle(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	char dir[] = "/tmp/ff_test_topn_block_XXXXXX";
	ff_store *s = tb_columnar(m, dir, true);
	tb_all(s, m, false);
	tb_remove(s, dir);
	free(m);
}

/*
 * A window large enough to be shared out over the scanning threads (m's
 * batches three times over, 90,000 records, none sealed) answers as the
 * oracle does, three times over: every batch counted once, by one thread.
 */
static void columnar_large_window_matches_oracle(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	char dir[] = "/tmp/ff_test_topn_block_XXXXXX";
	assert_non_null(mkdtemp(dir));
	ff_store_columnar_config cfg = {.data_dir = dir, .window_ms = 365ull * 86400 * 1000};
	ff_store *s;
	assert_int_equal(ff_store_columnar_open(&cfg, NULL, NULL, &s), 0);
	for (uint64_t k = 0; k < 3; k++) {
		for (size_t b = 0; b < TB_BATCHES; b++) {
			ff_batch copy = m->batches[b];
			copy.sequence += 100 * k;
			assert_int_equal(ff_store_append(s, &copy), 0);
		}
	}
	ff_filter *flt = NULL;
	char err[128];
	assert_int_equal(ff_filter_compile("proto tcp and dst port 443", &flt, err, sizeof err), 0);
	for (int el = 0; el < FF_EL_COUNT; el++) {
		ff_topn_query q = {.element = el, .order = FF_ORDER_BYTES};
		tb_check_times(s, m, &q, true, 3);
		q.filter = flt;
		tb_check_times(s, m, &q, true, 3);
	}
	ff_filter_free(flt);
	tb_remove(s, dir);
	free(m);
}

/*
 * Address keys split over the IPv4 table and the general one (IPv6 and
 * wildcards; an IPv4 address in a v4 block and v4-mapped in a mixed one is
 * one group): a query partitioned by a small memory limit answers as one
 * without a limit, so every key fell in one partition of one table.
 */
static void columnar_partitioned_addresses_match(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	char dir[] = "/tmp/ff_test_topn_block_XXXXXX";
	ff_store *s = tb_columnar(m, dir, false);
	const enum ff_element els[] = {FF_EL_SRCIP, FF_EL_DSTIP, FF_EL_IP};
	for (size_t e = 0; e < sizeof els / sizeof els[0]; e++) {
		ff_topn_query q = {.element = els[e], .order = FF_ORDER_BYTES, .n = 20};
		ff_topn_result whole, parts;
		assert_int_equal(ff_topn_run(s, &q, &whole), 0);
		q.mem_limit = 64 << 10;
		assert_int_equal(ff_topn_run(s, &q, &parts), 0);
		assert_true(parts.total.partitions > 1);
		assert_int_equal(parts.n_rows, whole.n_rows);
		assert_int_equal(parts.total.records, whole.total.records);
		assert_int_equal(parts.total.rows, whole.total.rows);
		for (size_t i = 0; i < whole.n_rows; i++) {
			assert_string_equal(parts.rows[i].key, whole.rows[i].key);
			assert_int_equal(parts.rows[i].bytes, whole.rows[i].bytes);
			assert_int_equal(parts.rows[i].flows, whole.rows[i].flows);
			assert_int_equal(parts.rows[i].first_ms, whole.rows[i].first_ms);
		}
		ff_topn_result_free(&whole);
		ff_topn_result_free(&parts);
	}
	tb_remove(s, dir);
	free(m);
}

/* A block view of rows gives the rows back, IPv4 columns as integers only when all are IPv4. */
static void block_round_trip(void **state)
{
	(void)state;
	rows_store *m = tb_rows();
	ff_block_buf *buf = malloc(sizeof *buf);
	assert_non_null(buf);
	for (size_t b = 1; b <= 3; b++) {
		ff_block blk;
		ff_block_from_rows(m->recs[b], FF_BLOCK_ROWS, 0, buf, &blk);
		assert_true((blk.src_v4 != NULL) == (b == 1));
		assert_true((blk.src_addr != NULL) == (b != 1));
		for (size_t i = 0; i < FF_BLOCK_ROWS; i++) {
			ff_flow f;
			ff_block_row(&blk, i, &f);
			f.agent_ref = m->recs[b][i].agent_ref;
			assert_memory_equal(&f, &m->recs[b][i], sizeof f);
		}
	}
	free(buf);
	free(m);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(block_round_trip),
    cmocka_unit_test(transposed_rows_match_oracle),
    cmocka_unit_test(columnar_blocks_match_oracle),
    cmocka_unit_test(columnar_rollups_blocks_match_oracle),
    cmocka_unit_test(columnar_partitioned_addresses_match),
    cmocka_unit_test(columnar_large_window_matches_oracle),
};

FF_TEST_MAIN(tests)
