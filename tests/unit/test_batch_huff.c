/*
 * Coded int columns (common/ff_batch_huff.c): the code round trips every
 * shape of column (one entry and escapes, all distinct, every value of the
 * range, codes long enough to be limited), FlowBatches in wire version 3
 * carry skewed fields coded and come back whole (IPv4, IPv6, wildcards),
 * and the reader refuses every malformed column with the right code.
 */
#include "ff_test.h"

#include "ff_batch.h"
#include "ff_batch_bits.h"
#include "ff_batch_huff.h"
#include "ff_batch_impl.h"
#include "ff_err.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * Codes `n` values (their range below FF_HUFF_RANGE), reads them back and
 * checks each. Returns the column's length, 0 when no code was built.
 */
static size_t code_and_read(const uint64_t *v, size_t n, unsigned *max_len)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	uint32_t range = (uint32_t)(hi - lo);
	uint32_t *counts = calloc((size_t)range + 1, sizeof *counts);
	assert_non_null(counts);
	for (size_t i = 0; i < n; i++)
		counts[v[i] - lo]++;
	ff_huffcol_plan p;
	int rc = ff_huffcol_plan_build(&p, counts, lo, range, n, 0);
	free(counts);
	assert_true(rc == 0 || rc == 1);
	if (rc == 1)
		return 0;
	assert_true(p.max_len >= 1 && p.max_len <= FF_HUFF_MAXLEN);
	if (max_len != NULL)
		*max_len = p.max_len;
	size_t len = ff_huffcol_len(&p);
	uint8_t *col = malloc(len);
	assert_non_null(col);
	assert_int_equal(ff_huffcol_write(&p, v, 1, n, col), len);
	ff_huffcol_plan_free(&p);
	ff_intcol_reader r;
	assert_int_equal(ff_intcol_open(&r, col, len, n, hi), 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t got;
		assert_int_equal(ff_intcol_get(&r, &got), 0);
		assert_int_equal(got, v[i]);
	}
	assert_true(ff_intcol_done(&r));
	ff_intcol_close(&r);
	/* The same bytes with one record fewer leave a byte unread; one more runs out. */
	if (n > 64) {
		assert_int_equal(ff_intcol_open(&r, col, len, n, hi), 0);
		uint64_t got;
		int bad = 0;
		for (size_t i = 0; i < n + 64 && bad == 0; i++)
			bad = ff_intcol_get(&r, &got);
		assert_int_equal(bad, FF_BATCH_ECOLUMN);
		ff_intcol_close(&r);
	}
	free(col);
	return len;
}

/* One frequent value, the rest escaped: a table of one entry and the escape. */
static void code_one_entry(void **state)
{
	(void)state;
	uint64_t v[1000];
	for (size_t i = 0; i < 1000; i++)
		v[i] = i % 100 == 0 ? 1000 + rnd() % 60000 : 443;
	assert_true(code_and_read(v, 1000, NULL) > 0);
	/* Two values only, no escape. */
	for (size_t i = 0; i < 1000; i++)
		v[i] = i % 7 == 0 ? 17 : 6;
	size_t len = code_and_read(v, 1000, NULL);
	assert_true(len > 0 && len < 1000 / 8 + 16);
	/* Every value the same: bit packing's width 0 is shorter, no code. */
	for (size_t i = 0; i < 1000; i++)
		v[i] = 80;
	assert_int_equal(code_and_read(v, 1000, NULL), 0);
}

/* Every value distinct, and every value of a 16-bit range (the most entries). */
static void code_all_distinct(void **state)
{
	(void)state;
	size_t n = 3000;
	uint64_t *v = malloc((2 * FF_HUFF_RANGE + 1000) * sizeof *v);
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = 5 + i * 21;
	assert_true(code_and_read(v, n, NULL) > 0);
	/* 65536 symbols, each value twice but the first 100 ten times. */
	n = 0;
	for (size_t i = 0; i < FF_HUFF_RANGE; i++)
		for (int k = 0; k < (i < 100 ? 10 : 2); k++)
			v[n++] = 1 + i;
	assert_true(code_and_read(v, n, NULL) > 0);
	free(v);
}

/* Fibonacci weights make a code 27 bits deep: it must be limited and stay a prefix code. */
static void code_long_codes(void **state)
{
	(void)state;
	uint32_t w[28] = {1, 1}, len[28];
	for (int i = 2; i < 28; i++)
		w[i] = w[i - 1] + w[i - 2];
	unsigned longest = ff_huff_code_lengths(w, len, 28);
	assert_true(longest <= FF_HUFF_MAXLEN && longest >= 10);
	uint64_t kraft = 0; /* sum of 2^(MAXLEN - len): exactly 2^MAXLEN for a full code */
	for (int i = 0; i < 28; i++) {
		assert_true(len[i] >= 1 && len[i] <= longest);
		kraft += 1ull << (FF_HUFF_MAXLEN - len[i]);
	}
	assert_int_equal(kraft, 1ull << FF_HUFF_MAXLEN);
	/* Rarer weights never get shorter codes. */
	for (int i = 1; i < 28; i++)
		assert_true(len[i] <= len[i - 1]);
	/* A column of those counts (rare values escaped or not) still round trips. */
	size_t n = 0;
	for (int i = 0; i < 28; i++)
		n += w[i];
	uint64_t *v = malloc(n * sizeof *v);
	assert_non_null(v);
	size_t k = 0;
	for (int i = 0; i < 28; i++)
		for (uint32_t j = 0; j < w[i]; j++)
			v[k++] = (uint64_t)i * 3;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint64_t t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	assert_true(code_and_read(v, n, NULL) > 0);
	free(v);
}

static int open_col(const uint8_t *col, size_t len, size_t n, uint64_t limit, uint64_t *first)
{
	ff_intcol_reader r;
	int rc = ff_intcol_open(&r, col, len, n, limit);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = ff_intcol_get(&r, i == 0 ? first : &(uint64_t){0});
	if (rc == 0 && !ff_intcol_done(&r))
		rc = FF_BATCH_ECOLUMN;
	ff_intcol_close(&r);
	return rc;
}

/*
 * Hand-made columns: mode, base, max_len, esc_width, counts of lengths 1..,
 * escape index + 1, values, bits. Each is refused for one reason.
 */
static void hostile_coded(void **state)
{
	(void)state;
	uint64_t v = 0;
	/* Lengths 1, 1: values 7 and 9 (base 2: 5, then 5 + 1 + 1); bits 0 1 1 (9 9 7 -> 1 1 0). */
	static const uint8_t ok[] = {0x41, 0x02, 0x02, 0x00, 0x02, 0x00, 0x00, 0x05, 0x01, 0x03};
	assert_int_equal(open_col(ok, sizeof ok, 3, 100, &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(open_col(ok, sizeof ok - 1, 3, 100, &v), FF_BATCH_ECOLUMN); /* no bits */
	uint8_t b[sizeof ok + 1];
	memcpy(b, ok, sizeof ok);
	b[sizeof ok] = 0;
	assert_int_equal(open_col(b, sizeof ok + 1, 3, 100, &v),
			 FF_BATCH_ECOLUMN);				       /* a byte over */
	assert_int_equal(open_col(ok, sizeof ok, 3, 8, &v), FF_BATCH_ERECORD); /* 9 > 8 */
	memcpy(b, ok, sizeof ok);
	b[4] = 0x03; /* three codes of one bit: not a prefix code */
	assert_int_equal(open_col(b, sizeof ok, 3, 100, &v), FF_BATCH_ECOLUMN);
	memcpy(b, ok, sizeof ok);
	b[2] = 0x00; /* no length */
	assert_int_equal(open_col(b, sizeof ok, 3, 100, &v), FF_BATCH_ECOLUMN);
	b[2] = FF_HUFF_MAXLEN + 1;
	assert_int_equal(open_col(b, sizeof ok, 3, 100, &v), FF_BATCH_ECOLUMN);
	memcpy(b, ok, sizeof ok);
	b[3] = 65; /* escapes wider than 64 bits */
	assert_int_equal(open_col(b, sizeof ok, 3, 100, &v), FF_BATCH_ECOLUMN);
	memcpy(b, ok, sizeof ok);
	b[6] = 0x03; /* the escape past the last symbol */
	assert_int_equal(open_col(b, sizeof ok, 3, 100, &v), FF_BATCH_ECOLUMN);
	/* Two symbols in a column of no record: more than n + 1 symbols. */
	assert_int_equal(open_col(ok, sizeof ok, 0, 100, &v), FF_BATCH_ECOLUMN);
	/* One code of one bit ("0"), the escape absent: a "1" is no code. */
	static const uint8_t incomplete[] = {0x41, 0x00, 0x01, 0x00, 0x01, 0x00, 0x04, 0x02};
	assert_int_equal(open_col(incomplete, sizeof incomplete, 2, 100, &v), FF_BATCH_ECOLUMN);
	/* Symbol 0 the escape (16 bits wide), symbol 1 the value 4: an escape "0" + 0xffff. */
	static const uint8_t esc[] = {0x41, 0x00, 0x01, 0x10, 0x02, 0x01, 0x04, 0xfe, 0xff, 0x01};
	assert_int_equal(open_col(esc, sizeof esc, 1, 0xffff, &v), 0);
	assert_int_equal(v, 0xffff);
	assert_int_equal(open_col(esc, sizeof esc, 1, 0xfffe, &v), FF_BATCH_ERECORD);
	assert_int_equal(open_col(esc, sizeof esc - 1, 1, 0xffff, &v), FF_BATCH_ECOLUMN);
	/* A value's delta past the limit, and a table cut short. */
	static const uint8_t far[] = {0x41, 0x00, 0x01, 0x00, 0x02, 0x00,
				      0x05, 0xff, 0xff, 0x03, 0x00};
	assert_int_equal(open_col(far, sizeof far, 1, 0xffff, &v), FF_BATCH_ERECORD);
	assert_int_equal(open_col(far, 8, 1, UINT64_MAX, &v), FF_BATCH_ECOLUMN);
}

/* Records whose every field is skewed, as flows are: a few ports, protocols, flag sets. */
static void fill_skewed(ff_flow *recs, size_t n, bool v6)
{
	static const uint16_t ports[] = {443, 80, 53, 22, 443, 443, 80, 8080};
	for (size_t i = 0; i < n; i++) {
		ff_flow *f = &recs[i];
		memset(f, 0, sizeof *f);
		f->first_ms = 1795430000000ull + rnd() % 10000;
		f->last_ms = f->first_ms + (rnd() % 4 == 0 ? rnd() % 60000 : 0);
		if (v6 && i % 2 == 0) {
			ff_addr_parse("2001:db8::1", f->src_addr);
			f->src_addr[15] = (uint8_t)(rnd() % 40);
			ff_addr_parse("2001:db8:1::", f->dst_addr);
			f->dst_addr[14] = (uint8_t)rnd();
		} else {
			ff_addr_from_v4(f->src_addr, 0x0a000000u + (uint32_t)(rnd() % 300));
			ff_addr_from_v4(f->dst_addr, 0xc0a80000u + (uint32_t)(rnd() % 3000));
		}
		ff_addr_from_v4(f->exporter, 0x7f000001u + (uint32_t)(rnd() % 2));
		f->dst_port = rnd() % 10 == 0 ? (uint16_t)rnd() : ports[rnd() % 8];
		f->src_port = rnd() % 3 == 0 ? ports[rnd() % 8] : (uint16_t)(32768 + rnd() % 28000);
		f->proto = rnd() % 10 < 7 ? 6 : rnd() % 3 ? 17 : 1;
		f->tcp_flags = f->proto == 6 ? (uint8_t)(0x10 | (rnd() % 4 ? 0x08 : 0x03)) : 0;
		f->tos = rnd() % 20 == 0 ? 0xb8 : 0;
		f->in_if = 1 + (uint32_t)(rnd() % 3 == 0);
		f->out_if = rnd() % 50 == 0 ? 200 : 2;
		f->packets = rnd() % 2 ? 1 : 1 + rnd() % (rnd() % 8 == 0 ? 100000 : 30);
		f->bytes = f->packets * (rnd() % 2 ? 40 : 40 + rnd() % 1460) + rnd() % 3;
		f->flows = 1 + (rnd() % 10 == 0);
		f->sampling_rate = rnd() % 4 == 0 ? 100 : 0;
	}
	/* Wildcarded fields travel as zero. */
	for (size_t i = 0; i < n; i += 17) {
		memset(recs[i].dst_addr, 0, FF_ADDR_LEN);
		recs[i].src_port = 0;
		recs[i].wildcards = FF_FIELD_DST_ADDR | FF_FIELD_SRC_PORT;
	}
}

static int cmp_flow(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(ff_flow));
}

/* Encodes in wire version 3, checks the frame, the coded columns and every record. */
static void coded_batch(ff_flow *recs, size_t n, uint32_t dst_width, uint32_t anchor)
{
	ff_batch b = {.epoch = 5,
		      .sequence = 9,
		      .interval_start_ms = 1795430000000ull,
		      .interval_len_ms = 10000,
		      .records = recs,
		      .n_records = n};
	strcpy(b.agent_id, "node-h");
	uint8_t *frame, *payload;
	size_t len, plen;
	assert_int_equal(ff_batch_encode_wire(&b, FF_BATCH_WIRE_CODED, &frame, &len), 0);
	ff_frame_header h;
	assert_int_equal(ff_frame_decode(frame, len, &h, &payload, &plen), 0);
	assert_int_equal(h.version, 3);
	Flowfleet__FlowBatch *m = flowfleet__flow_batch__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_int_equal(m->dst_port.data[0], FF_HUFF_MODE);
	assert_int_equal(m->proto.data[0], FF_HUFF_MODE);
	assert_int_equal(m->tcp_flags.data[0], FF_HUFF_MODE);
	assert_int_equal(m->dst_addr_width, dst_width);
	assert_int_equal(m->time_anchor, anchor);
	flowfleet__flow_batch__free_unpacked(m, NULL);
	ff_batch got;
	assert_int_equal(ff_batch_decode(payload, plen, &got), 0);
	assert_int_equal(got.n_records, n);
	qsort(recs, n, sizeof *recs, cmp_flow);
	qsort(got.records, n, sizeof *recs, cmp_flow);
	assert_memory_equal(got.records, recs, n * sizeof *recs);
	ff_batch_release(&got);
	free(payload);
	free(frame);
}

static void coded_batch_ipv4(void **state)
{
	(void)state;
	static ff_flow recs[5000];
	fill_skewed(recs, 5000, false);
	/* ::ffff:0.0.0.0 not wildcarded must come back as itself, not as ::. */
	ff_addr_from_v4(recs[1].dst_addr, 0);
	coded_batch(recs, 5000, FF_BATCH_ADDR_INTCOL, 0);
}

static void coded_batch_ipv6(void **state)
{
	(void)state;
	static ff_flow recs[5000];
	fill_skewed(recs, 5000, true);
	coded_batch(recs, 5000, FF_ADDR_LEN, 0);
}

/* Flows that end together (at the flush) but started any time before: last_ms anchors. */
static void coded_batch_last_anchor(void **state)
{
	(void)state;
	static ff_flow recs[5000];
	fill_skewed(recs, 5000, false);
	for (size_t i = 0; i < 5000; i++) {
		recs[i].last_ms = 1795430009000ull + rnd() % 1000;
		recs[i].first_ms = recs[i].last_ms - rnd() % 300000;
	}
	recs[7].first_ms = 0; /* long before the interval */
	coded_batch(recs, 5000, FF_BATCH_ADDR_INTCOL, 1);
}

static int decode_msg(const Flowfleet__FlowBatch *m)
{
	size_t len = flowfleet__flow_batch__get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	assert_non_null(buf);
	flowfleet__flow_batch__pack(m, buf);
	ff_batch got;
	int rc = ff_batch_decode(buf, len, &got);
	if (rc == 0)
		ff_batch_release(&got);
	free(buf);
	return rc;
}

/* A destination column of 32-bit values as an int column: bounded like any other. */
static void hostile_addr_intcol(void **state)
{
	(void)state;
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-h";
	m.record_count = 3;
	m.dst_addr_width = FF_BATCH_ADDR_INTCOL;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN); /* three records, no column */
	static const uint8_t ok[] = {0x02, 0x01, 0x24};	    /* 1, 2, 3: 0.0.0.1 ... */
	m.dst_addrs = (ProtobufCBinaryData){.data = (uint8_t *)ok, .len = sizeof ok};
	assert_int_equal(decode_msg(&m), 0);
	static const uint8_t big[] = {0x00, 0x80, 0x80, 0x80, 0x80, 0x10}; /* 2^32 */
	m.dst_addrs = (ProtobufCBinaryData){.data = (uint8_t *)big, .len = sizeof big};
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	/* A coded column of values 7 and 9 whose stream has a byte too many. */
	static const uint8_t over[] = {0x41, 0x02, 0x02, 0x00, 0x02, 0x00,
				       0x00, 0x05, 0x01, 0x03, 0x00};
	m.dst_addrs = (ProtobufCBinaryData){.data = (uint8_t *)over, .len = sizeof over};
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.dst_addrs.len = sizeof over - 1;
	assert_int_equal(decode_msg(&m), 0);
	m.time_anchor = 1;
	assert_int_equal(decode_msg(&m), 0);
	m.time_anchor = 2; /* no such anchor */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(code_one_entry),	       cmocka_unit_test(code_all_distinct),
    cmocka_unit_test(code_long_codes),	       cmocka_unit_test(hostile_coded),
    cmocka_unit_test(coded_batch_ipv4),	       cmocka_unit_test(coded_batch_ipv6),
    cmocka_unit_test(coded_batch_last_anchor), cmocka_unit_test(hostile_addr_intcol),
};

FF_TEST_MAIN(tests)
