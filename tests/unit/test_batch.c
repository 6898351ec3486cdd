/*
 * The FlowBatch codec: every wire version round trips every field, the
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
	/* Version 3 sends a small batch as version 2 when that frame is shorter. */
	if (wire == FF_BATCH_WIRE_CODED)
		assert_true(version == 2 || version == 3);
	else
		assert_int_equal(version, wire);
	assert_string_equal(got.agent_id, "node-a");
	assert_int_equal(got.epoch, b.epoch);
	assert_int_equal(got.sequence, 7);
	assert_int_equal(got.interval_start_ms, b.interval_start_ms);
	assert_int_equal(got.interval_len_ms, 10000);
	assert_int_equal(got.policy_version, 3);
	assert_int_equal(got.n_records, n);
	if (n > 0) {
		ff_flow *want = malloc(n * sizeof *want);
		assert_non_null(want);
		memcpy(want, recs, n * sizeof *want);
		qsort(want, n, sizeof *want, cmp_flow);
		qsort(got.records, n, sizeof *want, cmp_flow);
		assert_memory_equal(got.records, want, n * sizeof *want);
		free(want);
	}
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
	roundtrip(recs, 500, FF_BATCH_WIRE_CODED);
}

static void v2_roundtrip_ipv6(void **state)
{
	(void)state;
	ff_flow recs[300];
	fill(recs, 300, V6);
	roundtrip(recs, 300, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 300, FF_BATCH_WIRE_CODED);
}

static void v2_roundtrip_mixed(void **state)
{
	(void)state;
	ff_flow recs[300];
	fill(recs, 300, MIXED);
	roundtrip(recs, 300, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 300, FF_BATCH_WIRE_CODED);
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
	roundtrip(recs, 4, FF_BATCH_WIRE_CODED);
	roundtrip(recs, 4, FF_BATCH_WIRE_RECORDS);
	/* Every address wildcarded: empty address columns and dictionary. */
	for (int i = 0; i < 4; i++) {
		memset(recs[i].src_addr, 0, FF_ADDR_LEN);
		memset(recs[i].dst_addr, 0, FF_ADDR_LEN);
		memset(recs[i].exporter, 0, FF_ADDR_LEN);
		recs[i].wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR | FF_FIELD_EXPORTER;
	}
	roundtrip(recs, 4, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 4, FF_BATCH_WIRE_CODED);
}

static void empty_batch(void **state)
{
	(void)state;
	roundtrip(NULL, 0, FF_BATCH_WIRE_COLUMNS);
	roundtrip(NULL, 0, FF_BATCH_WIRE_CODED);
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

static ProtobufCBinaryData bin(const uint8_t *p, size_t len)
{
	return (ProtobufCBinaryData){.data = (uint8_t *)p, .len = len};
}

/* A header of three records and no column: three zero records. */
static Flowfleet__FlowBatch three(void)
{
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-a";
	m.record_count = 3;
	return m;
}

static void hostile_int_columns(void **state)
{
	(void)state;
	Flowfleet__FlowBatch m = three();
	assert_int_equal(decode_msg(&m), 0);
	/* Width 2, base 1, values 0 1 2 (ports 1 2 3). */
	static const uint8_t ports[] = {0x02, 0x01, 0x24, 0x00};
	m.src_port = bin(ports, 3);
	assert_int_equal(decode_msg(&m), 0);
	m.src_port = bin(ports, 2); /* the bits are missing */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_port = bin(ports, 4); /* a byte too many */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	static const uint8_t wide[] = {0x41, 0x00, 0x00};
	m.src_port = bin(wide, sizeof wide); /* width 65 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	static const uint8_t cut[] = {0x00, 0x80};
	m.src_port = bin(cut, sizeof cut); /* the base's varint runs past the end */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	static const uint8_t big_base[] = {0x00, 0xf0, 0xa2, 0x04};
	m.src_port = bin(big_base, sizeof big_base); /* every port 70000 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	static const uint8_t big_off[] = {0x01, 0xff, 0xff, 0x03, 0x04};
	m.src_port = bin(big_off, sizeof big_off); /* 65535, 65535, 65536 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.src_port = bin(NULL, 0);
	/* bytes = 2^63 * 2 packets overflows. */
	static const uint8_t bpp[] = {0x00, 0x80, 0x80, 0x80, 0x80, 0x80,
				      0x80, 0x80, 0x80, 0x80, 0x01};
	static const uint8_t two[] = {0x00, 0x02};
	m.bytes_per_packet = bin(bpp, sizeof bpp);
	m.packets = bin(two, sizeof two);
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	static const uint8_t bad_varint[] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x02};
	m.bytes_per_packet = bin(bad_varint, sizeof bad_varint); /* 65 bits */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.bytes_per_packet = bin(NULL, 0);
	m.packets = bin(NULL, 0);
	/* Exporter index 1 with a dictionary of one. */
	static const uint8_t dict[16] = {0}, idx[] = {0x00, 0x01};
	m.exporter_index = bin(idx, sizeof idx);
	m.exporter_dict = bin(dict, 16);
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.exporter_dict = bin(dict, 15);
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.exporter_index = bin(NULL, 0);
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.exporter_dict = bin(NULL, 0);
	/* Records and columns together. */
	Flowfleet__FlowRecord r = FLOWFLEET__FLOW_RECORD__INIT, *rp = &r;
	m.n_records = 1;
	m.records = &rp;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
}

static void hostile_addr_columns(void **state)
{
	(void)state;
	Flowfleet__FlowBatch m = three();
	static const uint8_t ok[] = {0x02, 0x00, 0x00, 0x00}; /* 0.0.0.1 three times */
	m.src_addr_width = 4;
	m.src_addrs = bin(ok, 3);
	assert_int_equal(decode_msg(&m), 0);
	m.src_addrs = bin(ok, 4); /* a delta after the last record */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	static const uint8_t cut[] = {0x02, 0x00, 0x80};
	m.src_addrs = bin(cut, sizeof cut); /* the last varint runs past the end */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	static const uint8_t below[] = {0x01, 0x00, 0x00};
	m.src_addrs = bin(below, sizeof below); /* 0 - 1 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	static const uint8_t above[] = {0xfe, 0xff, 0xff, 0xff, 0x1f, 0x02, 0x00};
	m.src_addrs = bin(above, sizeof above); /* 255.255.255.255 + 1 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0};
	m.src_addrs = bin(huge, sizeof huge); /* a delta of 2^63 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.dst_addr_width = 4;
	m.dst_addrs = bin(below, sizeof below);
	m.src_addrs = bin(ok, 3);
	assert_int_equal(decode_msg(&m), FF_BATCH_ERECORD);
	m.dst_addrs = bin(ok, 3);
	assert_int_equal(decode_msg(&m), 0);
	static const uint8_t addrs[48] = {0};
	m.src_addrs = bin(addrs, 12);
	m.src_addr_width = 16; /* 12 bytes is not 3 addresses of 16 */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_addrs = bin(addrs, 48);
	assert_int_equal(decode_msg(&m), 0);
	m.src_addr_width = 5;
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_addr_width = 0; /* bytes without a width */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	m.src_addr_width = 4;
	m.src_addrs = bin(NULL, 0); /* three records, no delta */
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
}

static void hostile_huge_count(void **state)
{
	(void)state;
	Flowfleet__FlowBatch m = three();
	m.record_count = FF_BATCH_MAX_RECORDS + 1;
	assert_int_equal(decode_msg(&m), FF_BATCH_ETOOMANY);
	/* A column sized for 1000 records in a batch that says 1001. */
	uint8_t *col = calloc(1 + 1 + 1000, 1);
	col[0] = 8;
	m.record_count = 1001;
	m.tos = bin(col, 1002);
	assert_int_equal(decode_msg(&m), FF_BATCH_ECOLUMN);
	free(col);
	uint8_t junk[6] = {0x42, 0xff, 0xff, 0xff, 0xff, 0x0f}; /* first_ms claiming 4 GiB */
	ff_batch got;
	assert_int_equal(ff_batch_decode(junk, sizeof junk, &got), FF_BATCH_EPROTO);
}

/* One record, constant columns, address deltas at the ends of the range. */
static void v2_edges(void **state)
{
	(void)state;
	ff_flow recs[6];
	fill(recs, 1, V4);
	roundtrip(recs, 1, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 1, FF_BATCH_WIRE_CODED);
	fill(recs, 6, V4);
	for (int i = 0; i < 6; i++) {
		recs[i].packets = 0; /* all of bytes in the remainder */
		recs[i].bytes = UINT64_MAX - (uint64_t)i;
		recs[i].first_ms = recs[i].last_ms = 0; /* before the interval: negative */
		recs[i].proto = 17;
	}
	ff_addr_from_v4(recs[0].src_addr, 0xffffffffu);
	memset(recs[1].src_addr, 0, FF_ADDR_LEN);
	recs[1].wildcards = FF_FIELD_SRC_ADDR;
	ff_addr_from_v4(recs[2].dst_addr, 0xffffffffu);
	ff_addr_from_v4(recs[3].dst_addr, 0);
	memcpy(recs[4].src_addr, recs[5].src_addr, FF_ADDR_LEN); /* a run of one source */
	ff_addr_from_v4(recs[4].dst_addr, 0xfffffff0u);
	ff_addr_from_v4(recs[5].dst_addr, 1);
	roundtrip(recs, 6, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 6, FF_BATCH_WIRE_CODED);
	recs[2].packets = UINT64_MAX;
	recs[3].packets = 3;
	recs[3].bytes = UINT64_MAX;
	roundtrip(recs, 6, FF_BATCH_WIRE_COLUMNS);
	roundtrip(recs, 6, FF_BATCH_WIRE_CODED);
}

/* Decodes `recs` encoded in `wire` through the receiver's checks; returns the code. */
static int decode_received(ff_flow *recs, size_t n, unsigned wire)
{
	ff_batch b = head(recs, n), got;
	uint8_t *frame, *payload;
	size_t len, plen;
	assert_int_equal(ff_batch_encode_wire(&b, wire, &frame, &len), 0);
	ff_frame_header h;
	assert_int_equal(ff_frame_decode(frame, len, &h, &payload, &plen), 0);
	ff_batch_claim c;
	int rc = ff_batch_decode_received(payload, plen, &got, &c);
	if (rc == 0) {
		assert_int_equal(got.n_records, n);
		ff_batch_release(&got);
	}
	assert_string_equal(c.agent_id, "node-a");
	assert_int_equal(c.sequence, 7);
	assert_int_equal(c.epoch, b.epoch);
	free(payload);
	free(frame);
	return rc;
}

/*
 * What our encoder makes passes the receiver's bounds, down to the
 * thinnest batch of distinct records (only the port differs), and a batch
 * it makes of nothing or of zero-flow records does not.
 */
static void received_bounds_admit_own_batches(void **state)
{
	(void)state;
	enum { N = 65536 };
	ff_flow *recs = calloc(N, sizeof *recs);
	assert_non_null(recs);
	fill(recs, 5000, V4);
	assert_int_equal(decode_received(recs, 5000, FF_BATCH_WIRE_COLUMNS), 0);
	assert_int_equal(decode_received(recs, 5000, FF_BATCH_WIRE_RECORDS), 0);
	memset(recs, 0, N * sizeof *recs);
	for (size_t i = 0; i < N; i++) {
		recs[i].dst_port = (uint16_t)i;
		recs[i].flows = 1;
		recs[i].wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR;
	}
	assert_int_equal(decode_received(recs, N, FF_BATCH_WIRE_COLUMNS), 0);
	assert_int_equal(decode_received(recs, N, FF_BATCH_WIRE_RECORDS), 0);
	assert_int_equal(decode_received(recs, 0, FF_BATCH_WIRE_COLUMNS), FF_BATCH_ENORECORDS);
	/* 65,536 identical flows with the addresses summarized away (a policy keeping ports
	 * only, a flood of one packet): the densest batch the encoder makes (2 bytes a
	 * record today) is still admitted; were it under a byte a record, the encoder
	 * would send it as version 1 (FF_BATCH_V2_FREE_RECORDS). */
	memset(recs, 0, N * sizeof *recs);
	for (size_t i = 0; i < N; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000001);
		ff_addr_from_v4(recs[i].dst_addr, 0x0a000002);
		recs[i].first_ms = recs[i].last_ms = 1000;
		recs[i].packets = 1;
		recs[i].bytes = 64;
		recs[i].flows = 1;
		recs[i].proto = 17;
		recs[i].wildcards = FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR;
	}
	assert_int_equal(decode_received(recs, N, FF_BATCH_WIRE_CODED), 0);
	assert_int_equal(decode_received(recs, N, FF_BATCH_WIRE_COLUMNS), 0);
	recs[3].flows = 0;
	assert_int_equal(decode_received(recs, 10, FF_BATCH_WIRE_COLUMNS), FF_BATCH_EEMPTY);
	assert_int_equal(decode_received(recs, 10, FF_BATCH_WIRE_RECORDS), FF_BATCH_EEMPTY);
	free(recs);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(v2_roundtrip_ipv4),
    cmocka_unit_test(v2_roundtrip_ipv6),
    cmocka_unit_test(v2_roundtrip_mixed),
    cmocka_unit_test(v1_roundtrip),
    cmocka_unit_test(v2_wildcards),
    cmocka_unit_test(empty_batch),
    cmocka_unit_test(v2_smaller_than_v1),
    cmocka_unit_test(stream_max_records),
    cmocka_unit_test(stream_max_bytes),
    cmocka_unit_test(hostile_int_columns),
    cmocka_unit_test(hostile_addr_columns),
    cmocka_unit_test(hostile_huge_count),
    cmocka_unit_test(v2_edges),
    cmocka_unit_test(received_bounds_admit_own_batches),
};

FF_TEST_MAIN(tests)
