#include "ff_test.h"

#include "dedup.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"
#include "ingest.h"
#include "session.h"
#include "store.h"
#include "store_columnar.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

static void in_order(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	assert_non_null(d);
	for (uint64_t s = 1; s <= 100; s++) {
		assert_false(ff_dedup_seen(d, "node-a", 7, s));
		assert_int_equal(ff_dedup_mark(d, "node-a", 7, s), 0);
		assert_true(ff_dedup_seen(d, "node-a", 7, s));
	}
	assert_int_equal(ff_dedup_watermark(d, "node-a", 7), 100);
	assert_int_equal(ff_dedup_pending(d, "node-a", 7), 0);
	assert_false(ff_dedup_seen(d, "node-a", 7, 101));
	assert_false(ff_dedup_seen(d, "node-b", 7, 1));
	ff_dedup_free(d);
}

static void out_of_order(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	assert_int_equal(ff_dedup_mark(d, "a", 1, 3), 0);
	assert_int_equal(ff_dedup_mark(d, "a", 1, 5), 0);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 0);
	assert_int_equal(ff_dedup_pending(d, "a", 1), 2);
	assert_true(ff_dedup_seen(d, "a", 1, 3));
	assert_true(ff_dedup_seen(d, "a", 1, 5));
	assert_false(ff_dedup_seen(d, "a", 1, 1));
	assert_false(ff_dedup_seen(d, "a", 1, 2));
	assert_false(ff_dedup_seen(d, "a", 1, 4));
	assert_false(ff_dedup_seen(d, "a", 1, 6));
	ff_dedup_free(d);
}

static void duplicate(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	assert_int_equal(ff_dedup_mark(d, "a", 1, 1), 0);
	assert_int_equal(ff_dedup_mark(d, "a", 1, 1), 0);
	assert_int_equal(ff_dedup_mark(d, "a", 1, 4), 0);
	assert_int_equal(ff_dedup_mark(d, "a", 1, 4), 0);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 1);
	assert_int_equal(ff_dedup_pending(d, "a", 1), 1);
	assert_true(ff_dedup_seen(d, "a", 1, 1));
	assert_true(ff_dedup_seen(d, "a", 1, 4));
	ff_dedup_free(d);
}

static void new_epoch(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	for (uint64_t s = 1; s <= 10; s++)
		ff_dedup_mark(d, "a", 0x1111, s);
	/* The agent lost its state: the same sequences in a new epoch are new batches. */
	for (uint64_t s = 1; s <= 10; s++)
		assert_false(ff_dedup_seen(d, "a", 0x2222, s));
	ff_dedup_mark(d, "a", 0x2222, 1);
	assert_true(ff_dedup_seen(d, "a", 0x2222, 1));
	assert_true(ff_dedup_seen(d, "a", 0x1111, 10));
	ff_dedup_stats st;
	ff_dedup_get_stats(d, &st);
	assert_int_equal(st.streams, 2);
	ff_dedup_free(d);
}

static void watermark_compaction(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	/* 2..50 arrive before 1 (a resend of 1 in flight). */
	for (uint64_t s = 2; s <= 50; s++)
		ff_dedup_mark(d, "a", 1, s);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 0);
	assert_int_equal(ff_dedup_pending(d, "a", 1), 49);
	ff_dedup_mark(d, "a", 1, 1);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 50);
	assert_int_equal(ff_dedup_pending(d, "a", 1), 0);
	/* A gap in the middle: 52 stays pending until 51 comes. */
	ff_dedup_mark(d, "a", 1, 52);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 50);
	ff_dedup_mark(d, "a", 1, 51);
	assert_int_equal(ff_dedup_watermark(d, "a", 1), 52);
	assert_int_equal(ff_dedup_pending(d, "a", 1), 0);
	ff_dedup_free(d);
}

static void sequence_zero(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	assert_false(ff_dedup_seen(d, "a", 1, 0));
	ff_dedup_mark(d, "a", 1, 0);
	assert_true(ff_dedup_seen(d, "a", 1, 0));
	assert_false(ff_dedup_seen(d, "a", 1, 1));
	ff_dedup_free(d);
}

static void memory_bound(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	/* Sequence 1 never comes: the pending set must not grow without bound. */
	for (uint64_t s = 2; s <= FF_DEDUP_MAX_PENDING + 10; s++)
		assert_int_equal(ff_dedup_mark(d, "a", 1, s), 0);
	assert_true(ff_dedup_pending(d, "a", 1) < FF_DEDUP_MAX_PENDING);
	assert_true(ff_dedup_seen(d, "a", 1, FF_DEDUP_MAX_PENDING + 10));
	ff_dedup_stats st;
	ff_dedup_get_stats(d, &st);
	assert_int_equal(st.gaps_abandoned, 1);
	/* An over-long agent id is refused, not truncated into another agent's stream. */
	char longid[FF_AGENT_ID_MAX + 2];
	memset(longid, 'x', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	assert_int_equal(ff_dedup_mark(d, longid, 1, 1), -1);
	ff_dedup_free(d);
}

/* --- the ingest path: dedup check, durable append, mark, ack ---------------- */

typedef struct ingest_fixture {
	char dir[64];
	ff_store *store;
	ff_dedup *dedup;
	ff_sessions *sessions;
	ff_ingest *ing;
} ingest_fixture;

static void fixture_open(ingest_fixture *f)
{
	memset(f, 0, sizeof *f);
	strcpy(f->dir, "/tmp/ff_test_dedup_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->dedup = ff_dedup_new();
	f->sessions = ff_sessions_new();
	ff_store_columnar_config sc = {.data_dir = f->dir};
	assert_int_equal(ff_store_columnar_open(&sc, NULL, NULL, &f->store), 0);
	ff_ingest_deps deps = {.store = f->store, .dedup = f->dedup, .sessions = f->sessions};
	f->ing = ff_ingest_new(&deps);
	assert_non_null(f->ing);
}

static void fixture_close(ingest_fixture *f)
{
	char cmd[160];
	ff_ingest_free(f->ing);
	ff_store_close(f->store);
	ff_sessions_free(f->sessions);
	ff_dedup_free(f->dedup);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* A batch of one record of `bytes` (100 unless the test varies the content). */
static void make_batch_frame_of(uint64_t seq, uint64_t bytes, uint8_t **frame, size_t *len)
{
	ff_flow rec = {.bytes = bytes, .packets = 2, .flows = 1, .first_ms = 1000, .last_ms = 2000};
	ff_addr_from_v4(rec.src_addr, 0x0a000001);
	ff_addr_from_v4(rec.dst_addr, 0x0a000002);
	ff_batch b = {.epoch = 42, .sequence = seq, .records = &rec, .n_records = 1};
	strcpy(b.agent_id, "node-a");
	assert_int_equal(ff_batch_encode(&b, frame, len), 0);
}

static void make_batch_frame(uint64_t seq, uint8_t **frame, size_t *len)
{
	make_batch_frame_of(seq, 100, frame, len);
}

/* The new_epoch flag of the last ack ingest_once() read. */
static bool last_new_epoch;

/* Feeds one frame to the ingest; returns the ack status, or -1 without an answer. */
static int ingest_once(ingest_fixture *f, const uint8_t *frame, size_t len)
{
	uint8_t *reply;
	size_t reply_len;
	ff_ingest_handle(f->ing, frame, len, "127.0.0.1", &reply, &reply_len);
	if (reply == NULL)
		return -1;
	ff_frame_header h;
	uint8_t *p;
	size_t plen;
	assert_int_equal(ff_frame_decode(reply, reply_len, &h, &p, &plen), 0);
	assert_int_equal(h.type, FF_MSG_ACK);
	Flowfleet__Ack *ack = flowfleet__ack__unpack(NULL, plen, p);
	assert_non_null(ack);
	int status = ack->status;
	last_new_epoch = ack->new_epoch;
	assert_string_equal(ack->agent_id, "node-a");
	assert_int_equal(ack->epoch, 42);
	flowfleet__ack__free_unpacked(ack, NULL);
	free(p);
	free(reply);
	return status;
}

static void ingest_acks_duplicate(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	uint8_t *frame;
	size_t len;
	make_batch_frame(1, &frame, &len);
	assert_int_equal(ingest_once(&f, frame, len), FLOWFLEET__ACK__STATUS__OK);
	assert_int_equal(ingest_once(&f, frame, len), FLOWFLEET__ACK__STATUS__DUPLICATE);
	free(frame);
	ff_store_stats st;
	ff_store_get_stats(f.store, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.records, 1);
	ff_ingest_stats is;
	ff_ingest_get_stats(f.ing, &is);
	assert_int_equal(is.batches_stored, 1);
	assert_int_equal(is.batches_duplicate, 1);
	fixture_close(&f);
}

/*
 * A restored or cloned agent repeats an identity with other content: that
 * batch is stored too and the agent told to take a new epoch; a resend of
 * either content is a duplicate.
 */
static void ingest_keeps_restored_batch(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	uint8_t *a, *b;
	size_t alen, blen;
	make_batch_frame_of(1, 100, &a, &alen);
	make_batch_frame_of(1, 777, &b, &blen);
	assert_int_equal(ingest_once(&f, a, alen), FLOWFLEET__ACK__STATUS__OK);
	assert_false(last_new_epoch);
	assert_int_equal(ingest_once(&f, b, blen), FLOWFLEET__ACK__STATUS__OK);
	assert_true(last_new_epoch);
	assert_int_equal(ingest_once(&f, a, alen), FLOWFLEET__ACK__STATUS__DUPLICATE);
	assert_int_equal(ingest_once(&f, b, blen), FLOWFLEET__ACK__STATUS__DUPLICATE);
	assert_false(last_new_epoch);
	free(a);
	free(b);
	ff_store_stats st;
	ff_store_get_stats(f.store, &st);
	assert_int_equal(st.batches, 2);
	ff_ingest_stats is;
	ff_ingest_get_stats(f.ing, &is);
	assert_int_equal(is.batches_conflicting, 1);
	assert_int_equal(is.batches_duplicate, 2);
	fixture_close(&f);
}

/* Digests: same content is a duplicate, other content a conflict, two contents both known. */
static void digest_tells_conflict(void **state)
{
	(void)state;
	ff_dedup *d = ff_dedup_new();
	assert_non_null(d);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 111), FF_DEDUP_NEW);
	assert_int_equal(ff_dedup_mark_digest(d, "a", 1, 5, 111), 0);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 111), FF_DEDUP_DUPLICATE);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 222), FF_DEDUP_CONFLICT);
	assert_int_equal(ff_dedup_mark_digest(d, "a", 1, 5, 222), 0);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 222), FF_DEDUP_DUPLICATE);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 111), FF_DEDUP_DUPLICATE);
	/* Another epoch is another stream; a sequence known without digest stays a duplicate. */
	assert_int_equal(ff_dedup_check(d, "a", 2, 5, 222), FF_DEDUP_NEW);
	assert_int_equal(ff_dedup_mark(d, "a", 3, 9), 0);
	assert_int_equal(ff_dedup_check(d, "a", 3, 9, 5), FF_DEDUP_DUPLICATE);
	/* Past FF_DEDUP_DIGESTS later sequences, an old one's content is forgotten. */
	for (uint64_t q = 6; q < 6 + FF_DEDUP_DIGESTS; q++)
		assert_int_equal(ff_dedup_mark_digest(d, "a", 1, q, q), 0);
	assert_int_equal(ff_dedup_check(d, "a", 1, 5, 333), FF_DEDUP_DUPLICATE);
	ff_dedup_free(d);
}

static void ingest_survives_garbage(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	uint8_t junk[300];
	srand(7);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)rand() % sizeof junk;
		for (size_t i = 0; i < len; i++)
			junk[i] = (uint8_t)rand();
		/* Half the time, a valid header over random bytes reaches the decoders. */
		if (round % 2 == 0 && len >= FF_FRAME_HEADER_LEN) {
			junk[0] = 'F';
			junk[1] = 'F';
			junk[2] = FF_FRAME_VERSION;
			junk[3] = (uint8_t)(1 + round % 3);
			junk[4] = FF_COMP_NONE;
			uint32_t raw = (uint32_t)(len - FF_FRAME_HEADER_LEN);
			memcpy(junk + 8, &raw, 4); /* the tests run little-endian */
		}
		uint8_t *reply;
		size_t reply_len;
		ff_ingest_handle(f.ing, junk, len, NULL, &reply, &reply_len);
		free(reply);
	}
	ff_ingest_stats is;
	ff_ingest_get_stats(f.ing, &is);
	assert_int_equal(is.messages, 2000);
	assert_true(is.bad_frame > 0);
	assert_int_equal(is.batches_stored, 0);
	fixture_close(&f);
}

static void ingest_rejects_bad_record(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	/* A record with a 5-byte address: the batch is readable, the record is not. */
	uint8_t addr[5] = {1, 2, 3, 4, 5};
	Flowfleet__FlowRecord rec = FLOWFLEET__FLOW_RECORD__INIT;
	rec.src_addr.data = addr;
	rec.src_addr.len = sizeof addr;
	rec.first_ms = rec.last_ms = 1700000000000;
	rec.flows = 1;
	Flowfleet__FlowRecord *recs[1] = {&rec};
	Flowfleet__FlowBatch msg = FLOWFLEET__FLOW_BATCH__INIT;
	msg.agent_id = "node-a";
	msg.epoch = 42;
	msg.sequence = 9;
	msg.n_records = 1;
	msg.records = recs;
	uint8_t packed[256];
	size_t plen = flowfleet__flow_batch__pack(&msg, packed);
	uint8_t *frame;
	size_t len;
	assert_int_equal(ff_frame_encode(FF_MSG_BATCH, packed, plen, &frame, &len), 0);
	assert_int_equal(ingest_once(&f, frame, len), FLOWFLEET__ACK__STATUS__REJECTED);
	free(frame);
	/* Nothing stored, nothing marked: a corrected resend would be stored. */
	assert_false(ff_dedup_seen(f.dedup, "node-a", 42, 9));
	ff_store_stats st;
	ff_store_get_stats(f.store, &st);
	assert_int_equal(st.batches, 0);
	ff_ingest_stats is;
	ff_ingest_get_stats(f.ing, &is);
	assert_int_equal(is.refused[FF_INGEST_REFUSED_BATCH_RECORD], 1);
	fixture_close(&f);
}

/* Frames `m` (packed) as a batch, uncompressed when lz4 would pass the ratio bound. */
static void frame_msg(const Flowfleet__FlowBatch *m, uint8_t **frame, size_t *len)
{
	size_t plen = flowfleet__flow_batch__get_packed_size(m);
	uint8_t *packed = malloc(plen);
	assert_non_null(packed);
	flowfleet__flow_batch__pack(m, packed);
	assert_int_equal(ff_frame_encode(FF_MSG_BATCH, packed, plen, frame, len), 0);
	free(packed);
}

/* A version 1 batch of `n` records each `rec` (borrowed). */
static void frame_v1(Flowfleet__FlowRecord *rec, size_t n, uint8_t **frame, size_t *len)
{
	Flowfleet__FlowRecord **recs = malloc(n * sizeof *recs);
	assert_non_null(recs);
	for (size_t i = 0; i < n; i++)
		recs[i] = rec;
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-a";
	m.epoch = 42;
	m.sequence = 7;
	m.n_records = n;
	m.records = recs;
	frame_msg(&m, frame, len);
	free(recs);
}

/* Feeds one hostile frame; asserts it was answered REJECTED and counted under `r`. */
static void assert_refused(ingest_fixture *f, uint8_t *frame, size_t len, enum ff_ingest_refusal r)
{
	ff_ingest_stats before, after;
	ff_ingest_get_stats(f->ing, &before);
	int status = ingest_once(f, frame, len);
	free(frame);
	ff_ingest_get_stats(f->ing, &after);
	print_message("%s: %" PRIu64 " -> %" PRIu64 "\n", ff_ingest_refusal_name(r),
		      before.refused[r], after.refused[r]);
	assert_int_equal(after.refused[r], before.refused[r] + 1);
	assert_int_equal(status, FLOWFLEET__ACK__STATUS__REJECTED);
}

static long max_rss_kb(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/*
 * Frames claiming many records, empty records or too many for their bytes
 * are refused by reason before anything is allocated for the records, and
 * a good batch is stored after them.
 */
static void ingest_bounds_record_claims(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	long rss0 = max_rss_kb();
	uint8_t *frame;
	size_t len;
	/* Version 1: 500,000 empty records (2 bytes each, 1 MB), then 4-byte ones. */
	Flowfleet__FlowRecord empty = FLOWFLEET__FLOW_RECORD__INIT;
	frame_v1(&empty, 500000, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_EMPTY);
	Flowfleet__FlowRecord tiny = FLOWFLEET__FLOW_RECORD__INIT;
	tiny.flows = 1;
	tiny.proto = 6;
	frame_v1(&tiny, 300000, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_SPARSE);
	frame_v1(&tiny, FF_BATCH_MAX_RECORDS + 1, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_TOO_MANY);
	/* Version 2: counts without columns, or without the bytes to back them. */
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = "node-a";
	m.epoch = 42;
	m.record_count = 2100000;
	frame_msg(&m, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_TOO_MANY);
	m.record_count = 1000000;
	frame_msg(&m, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_EMPTY);
	static const uint8_t all_one[] = {0x00, 0x01}; /* width 0, base 1 */
	m.flows.data = (uint8_t *)all_one;
	m.flows.len = sizeof all_one;
	frame_msg(&m, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_SPARSE);
	m.record_count = 0;
	frame_msg(&m, &frame, &len);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_NO_RECORDS);
	/* A decoded record of zero flows. */
	ff_flow rec = {.packets = 2, .bytes = 100, .first_ms = 1000, .last_ms = 2000};
	ff_batch b = {.epoch = 42, .sequence = 8, .records = &rec, .n_records = 1};
	strcpy(b.agent_id, "node-a");
	assert_int_equal(ff_batch_encode(&b, &frame, &len), 0);
	assert_refused(&f, frame, len, FF_INGEST_REFUSED_BATCH_EMPTY);
	long grown = max_rss_kb() - rss0;
	print_message("peak RSS grew by %ld KiB\n", grown);
	assert_true(grown < 64 * 1024);
	make_batch_frame(9, &frame, &len);
	assert_int_equal(ingest_once(&f, frame, len), FLOWFLEET__ACK__STATUS__OK);
	free(frame);
	fixture_close(&f);
}

/* Frame headers claiming too much are counted by reason; nothing is answered. */
static void ingest_counts_frame_refusals(void **state)
{
	(void)state;
	ingest_fixture f;
	fixture_open(&f);
	static uint8_t frame[FF_FRAME_HEADER_LEN + 4096];
	memset(frame, 0, sizeof frame);
	frame[0] = frame[1] = 'F';
	frame[2] = FF_FRAME_VERSION;
	frame[3] = FF_MSG_BATCH;
	frame[4] = FF_COMP_LZ4;
	uint32_t raw = 133u << 20; /* 133 MiB: more than any payload */
	memcpy(frame + 8, &raw, 4);
	assert_int_equal(ingest_once(&f, frame, sizeof frame), -1);
	raw = 1u << 20; /* 1 MiB out of 4 KiB: 256:1 */
	memcpy(frame + 8, &raw, 4);
	assert_int_equal(ingest_once(&f, frame, sizeof frame), -1);
	frame[0] = 'X';
	assert_int_equal(ingest_once(&f, frame, sizeof frame), -1);
	ff_ingest_stats is;
	ff_ingest_get_stats(f.ing, &is);
	assert_int_equal(is.refused[FF_INGEST_REFUSED_FRAME_TOO_LARGE], 1);
	assert_int_equal(is.refused[FF_INGEST_REFUSED_FRAME_RATIO], 1);
	assert_int_equal(is.refused[FF_INGEST_REFUSED_FRAME_MAGIC], 1);
	assert_int_equal(is.bad_frame, 3);
	assert_string_equal(ff_ingest_refusal_name(FF_INGEST_REFUSED_FRAME_RATIO), "frame.bad_ratio");
	assert_string_equal(ff_ingest_refusal_name(FF_INGEST_REFUSED_BATCH_SPARSE),
			    "batch.too_sparse");
	fixture_close(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(in_order),
    cmocka_unit_test(out_of_order),
    cmocka_unit_test(duplicate),
    cmocka_unit_test(new_epoch),
    cmocka_unit_test(watermark_compaction),
    cmocka_unit_test(sequence_zero),
    cmocka_unit_test(memory_bound),
    cmocka_unit_test(digest_tells_conflict),
    cmocka_unit_test(ingest_keeps_restored_batch),
    cmocka_unit_test(ingest_acks_duplicate),
    cmocka_unit_test(ingest_survives_garbage),
    cmocka_unit_test(ingest_rejects_bad_record),
    cmocka_unit_test(ingest_bounds_record_claims),
    cmocka_unit_test(ingest_counts_frame_refusals),
};

FF_TEST_MAIN(tests)
