/*
 * The FlowBatch codec: both wire versions round trip every field, the
 * streaming encoder cuts where it is told, and the version 2 decoder
 * refuses columns that do not agree with the record count.
 */
#include "ff_test.h"

#include "ff_batch.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

enum family { V4, V6, MIXED };

static void rnd_addr(uint8_t out[FF_ADDR_LEN], enum family fam, size_t i)
{
	if (fam == V4 || (fam == MIXED && i % 3 != 0)) {
		ff_addr_from_v4(out, (uint32_t)rnd());
		return;
	}
	for (int k = 0; k < FF_ADDR_LEN; k++)
		out[k] = (uint8_t)rnd();
}

/* Records with every field drawn at random over its whole range. */
static void fill(ff_flow *recs, size_t n, enum family fam)
{
	for (size_t i = 0; i < n; i++) {
		ff_flow *f = &recs[i];
		memset(f, 0, sizeof *f);
		f->first_ms = 1795430000000ull + rnd() % 20000 - 5000;
		f->last_ms = f->first_ms + rnd() % 30000;
		rnd_addr(f->src_addr, fam, i);
		rnd_addr(f->dst_addr, fam, i + 1);
		ff_addr_from_v4(f->exporter, 0x7f000001u + (uint32_t)(rnd() % 3));
		f->src_port = (uint16_t)rnd();
		f->dst_port = (uint16_t)rnd();
		f->proto = (uint8_t)rnd();
		f->tcp_flags = (uint8_t)rnd();
		f->tos = (uint8_t)rnd();
		f->in_if = (uint32_t)rnd();
		f->out_if = (uint32_t)rnd();
		f->src_as = (uint32_t)rnd();
		f->dst_as = (uint32_t)rnd();
		f->bytes = rnd();
		f->packets = rnd() >> (rnd() % 64);
		f->flows = 1 + rnd() % 5;
		f->sampling_rate = (uint32_t)(rnd() % 3);
	}
}

static int cmp_flow(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(ff_flow));
}

static ff_batch head(ff_flow *recs, size_t n)
{
	ff_batch b = {.epoch = 0x1122334455667788ull,
		      .sequence = 7,
		      .interval_start_ms = 1795430000000ull,
		      .interval_len_ms = 10000,
		      .policy_version = 3,
		      .records = recs,
		      .n_records = n};
	strcpy(b.agent_id, "node-a");
	return b;
}

static int decode_frame(const uint8_t *frame, size_t len, ff_batch *out, uint8_t *version)
{
	ff_frame_header h;
	uint8_t *payload;
	size_t plen;
	int rc = ff_frame_decode(frame, len, &h, &payload, &plen);
	if (rc != 0)
		return rc;
	if (version != NULL)
		*version = h.version;
	rc = ff_batch_decode(payload, plen, out);
	free(payload);
	return rc;
}

/* Encodes in `wire`, decodes, and checks the same set of records came back. */
static size_t roundtrip(ff_flow *recs, size_t n, unsigned wire)
{
	ff_batch b = head(recs, n);
	uint8_t *frame, version = 0;
	size_t len;
	assert_int_equal(ff_batch_encode_wire(&b, wire, &frame, &len), 0);
	ff_batch got;
	assert_int_equal(decode_frame(frame, len, &got, &version), 0);
	assert_int_equal(version, wire);
	assert_string_equal(got.agent_id, "node-a");
	assert_int_equal(got.epoch, b.epoch);
	assert_int_equal(got.sequence, 7);
	assert_int_equal(got.interval_start_ms, b.interval_start_ms);
	assert_int_equal(got.interval_len_ms, 10000);
	assert_int_equal(got.policy_version, 3);
	assert_int_equal(got.n_records, n);
	ff_flow *want = malloc((n ? n : 1) * sizeof *want);
	memcpy(want, recs, n * sizeof *want);
	qsort(want, n, sizeof *want, cmp_flow);
	qsort(got.records, n, sizeof *want, cmp_flow);
	if (n > 0)
		assert_memory_equal(got.records, want, n * sizeof *want);
	free(want);
	ff_batch_release(&got);
	free(frame);
	return len;
}

static void v2_roundtrip_ipv4(void **state)
{
	(void)state;
	ff_flow recs[500];
	fill(recs, 500, V4);
	roundtrip(recs, 500, FF_BATCH_WIRE_COLUMNS);
}

static void v2_roundtrip_ipv6(void **state)
{
	(void)state;
	ff_flow recs[300];
	fill(recs, 300, V6);
	roundtrip(recs, 300, FF_BATCH_WIRE_COLUMNS);
}

static void v2_roundtrip_mixed(void **state)
{
	(void)state;
	ff_flow recs[300];
	fill(recs, 300, MIXED);
	roundtrip(recs, 300, FF_BATCH_WIRE_COLUMNS);
}

static void v1_roundtrip(void **state)
{
	(void)state;
	ff_flow recs[200];
	fill(recs, 200, MIXED);
	roundtrip(recs, 200, FF_BATCH_WIRE_RECORDS);
}

/* Wildcarded zero addresses, and the v4-mapped 0.0.0.0 that must not be taken for one. */
static void v2_wildcards(void **state)
{
	(void)state;
	ff_flow recs[4];
	fill(recs, 4, V4);
	memset(recs[0].src_addr, 0, FF_ADDR_LEN);
	recs[0].wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_SRC_PORT;
	recs[0].src_port = 0;
	ff_addr_from_v4(recs[1].dst_addr, 0); /* ::ffff:0.0.0.0, not wildcarded */
	memset(recs[2].dst_addr, 0, FF_ADDR_LEN);
	memset(recs[2].exporter, 0, FF_ADDR_LEN);
	recs[2].wildcards = FF_FIELD_DST_ADDR | FF_FIELD_EXPORTER;
	roundtrip(recs, 4, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 4, FF_BATCH_WIRE_RECORDS);
	/* Every address wildcarded: empty address columns and dictionary. */
	for (int i = 0; i < 4; i++) {
		memset(recs[i].src_addr, 0, FF_ADDR_LEN);
		memset(recs[i].dst_addr, 0, FF_ADDR_LEN);
		memset(recs[i].exporter, 0, FF_ADDR_LEN);
		recs[i].wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR | FF_FIELD_EXPORTER;
	}
	roundtrip(recs, 4, FF_BATCH_WIRE_COLUMNS);
}

static void empty_batch(void **state)
{
	(void)state;
	roundtrip(NULL, 0, FF_BATCH_WIRE_COLUMNS);
	roundtrip(NULL, 0, FF_BATCH_WIRE_RECORDS);
}

static void v2_smaller_than_v1(void **state)
{
	(void)state;
	ff_flow recs[1000];
	fill(recs, 1000, V4);
	for (int i = 0; i < 1000; i++) {
		recs[i].tos = recs[i].in_if = recs[i].out_if = recs[i].src_as = recs[i].dst_as = 0;
		recs[i].bytes %= 100000;
		recs[i].packets %= 100;
	}
	size_t v1 = roundtrip(recs, 1000, FF_BATCH_WIRE_RECORDS);
	size_t v2 = roundtrip(recs, 1000, FF_BATCH_WIRE_COLUMNS);
	print_message("v1 %zu bytes, v2 %zu bytes\n", v1, v2);
	assert_true(v2 * 4 < v1 * 3);
}

typedef struct array_it {
	const ff_flow *recs;
	size_t n, next;
} array_it;

static const ff_flow *array_next(void *arg)
{
	array_it *it = arg;
	return it->next < it->n ? &it->recs[it->next++] : NULL;
}

/* Streams `n` records in batches; returns how many batches it took. */
static size_t stream(const ff_flow *recs, size_t n, size_t max_records, size_t max_bytes,
		     unsigned wire, size_t *largest)
{
	ff_flow recs_head[1];
	ff_batch b = head(recs_head, 0);
	array_it it = {.recs = recs, .n = n};
	size_t batches = 0, total = 0;
	*largest = 0;
	for (;;) {
		uint8_t *frame;
		size_t len, taken;
		assert_int_equal(ff_batch_encode_stream(&b, array_next, &it, max_records, max_bytes,
							wire, &frame, &len, &taken),
				 0);
		ff_batch got;
		assert_int_equal(decode_frame(frame, len, &got, NULL), 0);
		assert_int_equal(got.n_records, taken);
		ff_batch_release(&got);
		free(frame);
		if (taken == 0)
			break;
		if (max_records != 0)
			assert_true(taken <= max_records);
		if (taken > *largest)
			*largest = taken;
		total += taken;
		batches++;
	}
	assert_int_equal(total, n);
	return batches;
}

static void stream_max_records(void **state)
{
	(void)state;
	static ff_flow recs[1000];
	fill(recs, 1000, MIXED);
	size_t largest;
	assert_int_equal(stream(recs, 1000, 300, 0, FF_BATCH_WIRE_COLUMNS, &largest), 4);
	assert_int_equal(largest, 300);
	assert_int_equal(stream(recs, 1000, 1000, 0, FF_BATCH_WIRE_COLUMNS, &largest), 1);
	assert_int_equal(stream(recs, 1000, 999, 0, FF_BATCH_WIRE_RECORDS, &largest), 2);
}

static void stream_max_bytes(void **state)
{
	(void)state;
	static ff_flow recs[1000];
	fill(recs, 1000, V4);
	size_t largest;
	/* About 40 bytes a record of random columns: 4 KiB holds about a hundred. */
	size_t batches = stream(recs, 1000, 0, 4096, FF_BATCH_WIRE_COLUMNS, &largest);
	assert_true(batches >= 5 && batches <= 20);
	assert_true(largest < 4096 / 16);
	batches = stream(recs, 1000, 0, 16384, FF_BATCH_WIRE_RECORDS, &largest);
	assert_true(batches >= 5);
}

static int decode_msg(const Flowfleet__FlowBatch *m)
{
	size_t len = flowfleet__flow_batch__get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	flowfleet__flow_batch__pack(m, buf);
	ff_batch got;
	int rc = ff_batch_decode(buf, len, &got);
	if (rc == 0)
		ff_batch_release(&got);
	free(buf);
	return rc;
}

static void hostile_columns(void **state)
{
	(void)state;
	int64_t first[3] = {0, 1, 2};
	uint32_t ports[3] = {1, 2, 3}, big[3] = {1, 70000, 3}, idx[3] = {0, 0, 1};
	uint8_t addrs[48] = {0}, dict[16] = {0};
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-a";
	m.n_first_ms = 3;
	m.first_ms = first;
	assert_int_equal(decode_msg(&m), 0);
	m.n_src_port = 2; /* shorter than the count */
	m.src_port = ports;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.n_src_port = 3;
	assert_int_equal(decode_msg(&m), 0);
	m.src_port = big; /* a port above 65535 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.src_port = ports;
	m.src_addrs.data = addrs;
	m.src_addrs.len = 12;
	m.src_addr_width = 16; /* 12 bytes is not 3 addresses of 16 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_addr_width = 4;
	assert_int_equal(decode_msg(&m), 0);
	m.src_addr_width = 5;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_addr_width = 0;
	m.src_addrs.len = 0;
	m.n_exporter_index = 3; /* index 1 with a dictionary of one */
	m.exporter_index = idx;
	m.exporter_dict.data = dict;
	m.exporter_dict.len = 16;
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.exporter_dict.len = 15;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.exporter_dict.len = 0;
	m.n_exporter_index = 0;
	/* Records and columns together. */
	Flowfleet__FlowRecord r = FLOWFLEET__FLOW_RECORD__INIT, *rp = &r;
	m.n_records = 1;
	m.records = &rp;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	(void)addrs;
}

static void hostile_huge_count(void **state)
{
	(void)state;
	size_t n = FF_BATCH_MAX_RECORDS + 1;
	int64_t *first = calloc(n, sizeof *first);
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-a";
	m.n_first_ms = n;
	m.first_ms = first;
	assert_int_equal(decode_msg(&m), FF_BATCH_ETOOMANY);
	/* A count column says nothing when the others disagree: one byte short. */
	m.n_first_ms = 1000;
	m.n_bytes = 999;
	m.bytes = (uint64_t *)first;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	free(first);
	uint8_t junk[6] = {0x42, 0xff, 0xff, 0xff, 0xff, 0x0f}; /* first_ms claiming 4 GiB */
	ff_batch got;
	assert_int_equal(ff_batch_decode(junk, sizeof junk, &got), FF_BATCH_EPROTO);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(v2_roundtrip_ipv4),  cmocka_unit_test(v2_roundtrip_ipv6),
    cmocka_unit_test(v2_roundtrip_mixed), cmocka_unit_test(v1_roundtrip),
    cmocka_unit_test(v2_wildcards),	  cmocka_unit_test(empty_batch),
    cmocka_unit_test(v2_smaller_than_v1), cmocka_unit_test(stream_max_records),
    cmocka_unit_test(stream_max_bytes),	  cmocka_unit_test(hostile_columns),
    cmocka_unit_test(hostile_huge_count),
};

FF_TEST_MAIN(tests)
