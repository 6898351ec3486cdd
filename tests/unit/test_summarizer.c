#include "ff_test.h"

#include "summarizer.h"

#include "ff_batch.h"
#include "ff_frame.h"

#include <stdlib.h>
#include <string.h>

static ff_flow flow(uint32_t src, uint16_t sport, uint64_t first, uint64_t last, uint64_t bytes,
		    uint8_t flags)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	ff_addr_from_v4(f.src_addr, src);
	ff_addr_from_v4(f.dst_addr, 0xc0a80001);
	ff_addr_from_v4(f.exporter, 0x7f000001);
	f.src_port = sport;
	f.dst_port = 53;
	f.proto = 17;
	f.first_ms = first;
	f.last_ms = last;
	f.bytes = bytes;
	f.packets = bytes / 100;
	f.flows = 1;
	f.tcp_flags = flags;
	return f;
}

static void same_key_merges(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(4);
	assert_non_null(s);
	ff_flow a = flow(0x0a000001, 1000, 5000, 6000, 300, 0x02);
	ff_flow b = flow(0x0a000001, 1000, 4000, 5500, 700, 0x10);
	ff_flow c = flow(0x0a000001, 1000, 5200, 9000, 1000, 0x01);
	assert_int_equal(ff_summarizer_add(s, &a), 0);
	assert_int_equal(ff_summarizer_add(s, &b), 0);
	assert_int_equal(ff_summarizer_add(s, &c), 0);
	assert_int_equal(ff_summarizer_count(s), 1);
	ff_flow *out;
	size_t n;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].bytes, 2000);
	assert_int_equal(out[0].packets, 20);
	assert_int_equal(out[0].flows, 3);
	assert_int_equal(out[0].first_ms, 4000);
	assert_int_equal(out[0].last_ms, 9000);
	assert_int_equal(out[0].tcp_flags, 0x13);
	assert_memory_equal(out[0].src_addr, a.src_addr, FF_ADDR_LEN);
	assert_int_equal(out[0].src_port, 1000);
	free(out);
	ff_summarizer_free(s);
}

static void different_keys_stay_apart(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(4);
	assert_non_null(s);
	ff_flow base = flow(0x0a000001, 1000, 1, 2, 100, 0);
	ff_flow v[8];
	for (int i = 0; i < 8; i++)
		v[i] = base;
	ff_addr_from_v4(v[1].src_addr, 0x0a000002);
	ff_addr_from_v4(v[2].dst_addr, 0x0a000003);
	v[3].src_port = 1001;
	v[4].proto = 6;
	v[5].tos = 4;
	v[6].in_if = 7;
	ff_addr_from_v4(v[7].exporter, 0x7f000002);
	for (int i = 0; i < 8; i++)
		assert_int_equal(ff_summarizer_add(s, &v[i]), 0);
	assert_int_equal(ff_summarizer_count(s), 8);
	/* Adding the base again merges into its own key only. */
	assert_int_equal(ff_summarizer_add(s, &base), 0);
	assert_int_equal(ff_summarizer_count(s), 8);
	ff_flow *out;
	size_t n;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 8);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += out[i].bytes;
	assert_int_equal(total, 900);
	free(out);
	ff_summarizer_free(s);
}

static void flush_returns_all_and_empties(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(4);
	assert_non_null(s);
	/* More keys than the initial size: the table grows. */
	for (uint32_t i = 0; i < 1000; i++) {
		ff_flow f = flow(0x0a000000 + i, (uint16_t)(i % 7), 1, 2, 100, 0);
		assert_int_equal(ff_summarizer_add(s, &f), 0);
		assert_int_equal(ff_summarizer_add(s, &f), 0);
	}
	assert_int_equal(ff_summarizer_count(s), 1000);
	ff_flow *out;
	size_t n;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 1000);
	uint8_t *seen = calloc(1000, 1);
	assert_non_null(seen);
	for (size_t i = 0; i < n; i++) {
		uint32_t idx = ff_addr_v4(out[i].src_addr) - 0x0a000000;
		assert_true(idx < 1000);
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
		assert_int_equal(out[i].bytes, 200);
		assert_int_equal(out[i].flows, 2);
	}
	free(seen);
	free(out);
	assert_int_equal(ff_summarizer_count(s), 0);
	/* The next interval starts from nothing. */
	ff_flow f = flow(0x0a000000, 0, 1, 2, 100, 0);
	assert_int_equal(ff_summarizer_add(s, &f), 0);
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].bytes, 100);
	free(out);
	ff_summarizer_free(s);
}

static void flush_empty_returns_nothing(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(0);
	assert_non_null(s);
	ff_flow *out = (ff_flow *)&out;
	size_t n = 99;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 0);
	assert_null(out);
	ff_summarizer_free(s);
}

static const ff_flow *table_next(void *arg)
{
	void **w = arg;
	return ff_summarizer_next(w[0], w[1]);
}

/* Sends the table as bounded batches, as the agent's flush does; sums what decodes. */
static size_t drain(ff_summarizer *s, size_t max_records, uint64_t *bytes, size_t *batches)
{
	size_t cursor, records = 0;
	ff_summarizer_begin(s, &cursor);
	void *w[2] = {s, &cursor};
	ff_batch head = {.interval_start_ms = 1000, .interval_len_ms = 10000};
	strcpy(head.agent_id, "node-a");
	for (;;) {
		uint8_t *frame, *payload;
		size_t len, taken, plen;
		assert_int_equal(ff_batch_encode_stream(&head, table_next, w, max_records, 0,
							FF_BATCH_WIRE_COLUMNS, &frame, &len,
							&taken),
				 0);
		ff_frame_header h;
		assert_int_equal(ff_frame_decode(frame, len, &h, &payload, &plen), 0);
		ff_batch got;
		assert_int_equal(ff_batch_decode(payload, plen, &got), 0);
		for (size_t i = 0; i < got.n_records; i++)
			*bytes += got.records[i].bytes;
		records += got.n_records;
		ff_batch_release(&got);
		free(payload);
		free(frame);
		if (taken == 0)
			break;
		assert_true(taken <= max_records);
		(*batches)++;
	}
	ff_summarizer_clear(s);
	assert_int_equal(ff_summarizer_count(s), 0);
	return records;
}

/*
 * With a key bound, a table that fills is sent early (as the agent does at
 * --max-keys) and keeps going: every record is counted once, none is lost,
 * and the table never holds more than the bound.
 */
static void max_keys_early_flush_keeps_totals(void **state)
{
	(void)state;
	const size_t max_keys = 1000, n = 25000;
	ff_summarizer *s = ff_summarizer_new(16);
	uint64_t want = 0, got = 0;
	size_t records = 0, early = 0, batches = 0;
	for (size_t i = 0; i < n; i++) {
		/* Every 5th record repeats an earlier key, so some merge. */
		uint32_t key = (uint32_t)(i % 5 == 0 ? i / 2 : i);
		ff_flow f =
		    flow(0x0a000000u + key, (uint16_t)(key * 7), 1000 + i, 2000 + i, 100 + i, 2);
		want += f.bytes;
		assert_int_equal(ff_summarizer_add(s, &f), 0);
		assert_true(ff_summarizer_count(s) <= max_keys);
		if (ff_summarizer_count(s) >= max_keys) {
			records += drain(s, 300, &got, &batches);
			early++;
		}
	}
	records += drain(s, 300, &got, &batches);
	assert_int_equal(got, want);
	assert_true(early >= n / max_keys / 2);
	assert_true(batches >= early * 4);
	assert_true(records <= n);
	ff_summarizer_free(s);
}

/* The walk yields every record once; a saved cursor replays the rest. */
static void walk_yields_every_record(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(16);
	for (uint32_t i = 0; i < 100; i++) {
		ff_flow f = flow(0x0a000000u + i, 1, 1000, 2000, 100, 0);
		assert_int_equal(ff_summarizer_add(s, &f), 0);
	}
	size_t cursor, n = 0, mark = 0;
	ff_summarizer_begin(s, &cursor);
	const ff_flow *f;
	while ((f = ff_summarizer_next(s, &cursor)) != NULL) {
		if (++n == 40)
			mark = cursor;
	}
	assert_int_equal(n, 100);
	size_t rest = 0;
	while (ff_summarizer_next(s, &mark) != NULL)
		rest++;
	assert_int_equal(rest, 60);
	ff_summarizer_clear(s);
	ff_summarizer_begin(s, &cursor);
	assert_null(ff_summarizer_next(s, &cursor));
	ff_summarizer_free(s);
}

/*
 * Many keys from a small start: the index grows several times while keys
 * interleave with repeats of earlier ones, and every key still merges into
 * its own record; each field of the key tells records apart.
 */
static void grows_and_keeps_keys_apart(void **state)
{
	(void)state;
	enum { N = 100000 };
	ff_summarizer *s = ff_summarizer_new(4);
	assert_non_null(s);
	for (uint32_t round = 0; round < 2; round++)
		for (uint32_t i = 0; i < N; i++) {
			ff_flow f = flow(0x0a000000u + i / 7, (uint16_t)(1024 + i % 7), 1000, 2000, 100,
					 0);
			assert_int_equal(ff_summarizer_add(s, &f), 0);
		}
	/* Keys differing in one field only: dst port, proto, tos, exporter, interface, AS. */
	ff_flow base = flow(0xc0000201, 9, 1000, 2000, 100, 0);
	ff_flow v[7];
	for (int i = 0; i < 7; i++)
		v[i] = base;
	v[1].dst_port = 54;
	v[2].proto = 6;
	v[3].tos = 1;
	ff_addr_from_v4(v[4].exporter, 0x7f000002);
	v[5].in_if = 3;
	v[6].dst_as = 65000;
	for (int i = 0; i < 7; i++)
		assert_int_equal(ff_summarizer_add(s, &v[i]), 0);
	assert_int_equal(ff_summarizer_count(s), N + 7);
	size_t cursor;
	ff_summarizer_begin(s, &cursor);
	const ff_flow *f;
	uint64_t flows = 0, records = 0;
	while ((f = ff_summarizer_next(s, &cursor)) != NULL) {
		records++;
		flows += f->flows;
		assert_true(f->flows == 1 || f->flows == 2);
		if (f->flows == 2)
			assert_int_equal(f->bytes, 200);
	}
	assert_int_equal(records, N + 7);
	assert_int_equal(flows, 2 * N + 7);
	ff_summarizer_clear(s);
	assert_int_equal(ff_summarizer_count(s), 0);
	ff_summarizer_begin(s, &cursor);
	assert_null(ff_summarizer_next(s, &cursor));
	ff_summarizer_free(s);
}

/* Kept apart, three flows of one key are three records, each as the exporter sent it. */
static void kept_apart_appends(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(4);
	assert_int_equal(ff_summarizer_set_merge(s, false), 0);
	ff_flow a = flow(0x0a000001, 1000, 5000, 6000, 300, 0x02);
	ff_flow b = flow(0x0a000001, 1000, 4000, 5500, 700, 0x10);
	ff_flow c = flow(0x0a000001, 1000, 5200, 9000, 20000, 0x01);
	assert_int_equal(ff_summarizer_add(s, &a), 0);
	assert_int_equal(ff_summarizer_add(s, &b), 0);
	assert_int_equal(ff_summarizer_add(s, &c), 0);
	ff_flow *out = NULL;
	size_t n = 0;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].bytes, 300);
	assert_int_equal(out[1].bytes, 700);
	assert_int_equal(out[2].bytes, 20000);
	assert_int_equal(out[2].tcp_flags, 0x01);
	assert_int_equal(out[1].flows, 1);
	free(out);
	ff_summarizer_free(s);
}

/*
 * Merging again over records held apart: the index is rebuilt, so a later
 * record of a key held merges into the one held, and none is lost.
 */
static void merge_again_reindexes(void **state)
{
	(void)state;
	ff_summarizer *s = ff_summarizer_new(4);
	assert_int_equal(ff_summarizer_set_merge(s, false), 0);
	for (uint32_t i = 0; i < 300; i++) {
		ff_flow f = flow(0x0a000000 + i, 1000, 5000, 6000, 100, 0);
		assert_int_equal(ff_summarizer_add(s, &f), 0);
	}
	assert_int_equal(ff_summarizer_set_merge(s, true), 0);
	for (uint32_t i = 0; i < 300; i++) {
		ff_flow f = flow(0x0a000000 + i, 1000, 5000, 6000, 50, 0);
		assert_int_equal(ff_summarizer_add(s, &f), 0);
	}
	assert_int_equal(ff_summarizer_count(s), 300);
	ff_flow *out = NULL;
	size_t n = 0;
	assert_int_equal(ff_summarizer_flush(s, &out, &n), 0);
	assert_int_equal(n, 300);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i].bytes, 150);
	free(out);
	ff_summarizer_free(s);
}

static const struct CMUnitTest summarizer_tests[] = {
    cmocka_unit_test(grows_and_keeps_keys_apart),
    cmocka_unit_test(same_key_merges),
    cmocka_unit_test(different_keys_stay_apart),
    cmocka_unit_test(flush_returns_all_and_empties),
    cmocka_unit_test(flush_empty_returns_nothing),
    cmocka_unit_test(max_keys_early_flush_keeps_totals),
    cmocka_unit_test(walk_yields_every_record),
    cmocka_unit_test(kept_apart_appends),
    cmocka_unit_test(merge_again_reindexes),
};

FF_TEST_MAIN(summarizer_tests)
