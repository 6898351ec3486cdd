#include "ff_test.h"

#include "agent_hello.h"
#include "agent_state.h"
#include "ff_batch.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"
#include "send_queue.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh state directory per case, removed at the end. */
static char *make_dir(void)
{
	char tmpl[] = "/tmp/ff-test-agent-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		n += l > sl && strcmp(de->d_name + l - sl, suffix) == 0;
	}
	closedir(d);
	return n;
}

/* A framed batch of `n` records. */
static uint8_t *batch_frame(uint64_t epoch, uint64_t seq, size_t n, size_t *len)
{
	ff_batch b = {.epoch = epoch,
		      .sequence = seq,
		      .interval_start_ms = 1000,
		      .interval_len_ms = 10000,
		      .n_records = n};
	strcpy(b.agent_id, "node-a");
	b.records = calloc(n ? n : 1, sizeof *b.records);
	assert_non_null(b.records);
	for (size_t i = 0; i < n; i++) {
		ff_addr_from_v4(b.records[i].src_addr, 0x0a000000 + (uint32_t)i);
		b.records[i].bytes = 100 * (i + 1);
		b.records[i].flows = 1;
	}
	uint8_t *frame;
	assert_int_equal(ff_batch_encode(&b, &frame, len), 0);
	free(b.records);
	return frame;
}

static void sequence_persists_across_reopen(void **state)
{
	(void)state;
	char *dir = make_dir();
	char err[256];
	ff_agent_state st;
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	uint64_t seq;
	for (uint64_t want = 1; want <= 3; want++) {
		assert_int_equal(ff_agent_state_take_seq(&st, &seq), 0);
		assert_int_equal(seq, want);
	}
	ff_agent_state_close(&st);
	/* A restart continues after the last sequence handed out, never reusing one. */
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_int_equal(ff_agent_state_take_seq(&st, &seq), 0);
	assert_int_equal(seq, 4);
	assert_int_equal(ff_agent_state_ensure_above(&st, 10), 0);
	ff_agent_state_close(&st);
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_int_equal(st.next_seq, 11);
	ff_agent_state_close(&st);
	remove_tree(dir);
	free(dir);
}

static void epoch_stays(void **state)
{
	(void)state;
	char *dir = make_dir();
	char err[256];
	ff_agent_state st;
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	uint64_t epoch = st.epoch;
	assert_true(epoch != 0);
	ff_agent_state_close(&st);
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_int_equal(st.epoch, epoch);
	ff_agent_state_close(&st);
	remove_tree(dir);
	free(dir);
}

static void ephemeral_state_is_random(void **state)
{
	(void)state;
	char err[256];
	ff_agent_state a, b;
	assert_int_equal(ff_agent_state_open(&a, NULL, err, sizeof err), 0);
	assert_int_equal(ff_agent_state_open(&b, NULL, err, sizeof err), 0);
	assert_null(a.dir);
	assert_null(a.spool_dir);
	assert_true(a.epoch != b.epoch);
	uint64_t seq;
	assert_int_equal(ff_agent_state_take_seq(&a, &seq), 0);
	assert_int_equal(seq, 1);
	ff_agent_state_close(&a);
	ff_agent_state_close(&b);
}

static void corrupt_state_refused(void **state)
{
	(void)state;
	char *dir = make_dir();
	char err[1024];
	ff_agent_state st;
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	uint64_t epoch = st.epoch, seq;
	assert_int_equal(ff_agent_state_take_seq(&st, &seq), 0);
	ff_agent_state_close(&st);
	write_text(dir, "epoch", "not hex\n");
	/* Refused with the file and its value, never guessed at. */
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "/epoch holds \"not hex\\x0a\""));
	/* Removing the epoch (as the message says) starts a new one, numbering kept. */
	char path[4096];
	snprintf(path, sizeof path, "%s/epoch", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_true(st.epoch != epoch);
	assert_int_equal(st.next_seq, 2);
	ff_agent_state_close(&st);
	remove_tree(dir);
	free(dir);
}

static void spool_reload_in_order(void **state)
{
	(void)state;
	char *dir = make_dir();
	ff_agent_counters c = {0};
	ff_send_queue *q = ff_send_queue_new(dir, 1 << 20, &c);
	assert_non_null(q);
	/* Pushed out of order on purpose; 2 is acked before the "crash". */
	uint64_t seqs[] = {3, 1, 2, 5};
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		uint8_t *f = batch_frame(42, seqs[i], seqs[i], &len);
		assert_int_equal(ff_send_queue_push(q, 42, seqs[i], seqs[i], f, len), 0);
	}
	assert_int_equal(ff_send_queue_ack(q, 42, 2), 0);
	assert_int_equal(c.batches_pending, 3);
	ff_send_queue_free(q);

	ff_agent_counters c2 = {0};
	q = ff_send_queue_new(dir, 1 << 20, &c2);
	assert_non_null(q);
	uint64_t max_seq = 0;
	assert_int_equal(ff_send_queue_load(q, &max_seq), 3);
	assert_int_equal(max_seq, 5);
	assert_int_equal(ff_send_queue_len(q), 3);
	uint64_t want[] = {1, 3, 5};
	for (size_t i = 0; i < 3; i++) {
		ff_send_item *it = ff_send_queue_at(q, i);
		assert_non_null(it);
		assert_int_equal(it->seq, want[i]);
		assert_int_equal(it->epoch, 42);
		assert_int_equal(it->n_records, want[i]);
		assert_int_equal(it->last_send_ms, 0);
	}
	assert_null(ff_send_queue_at(q, 3));
	assert_int_equal(c2.batches_pending, 3);
	ff_send_queue_free(q);
	remove_tree(dir);
	free(dir);
}

static void ack_removes_spool_file(void **state)
{
	(void)state;
	char *dir = make_dir();
	ff_send_queue *q = ff_send_queue_new(dir, 1 << 20, NULL);
	assert_non_null(q);
	size_t len;
	uint8_t *f = batch_frame(7, 1, 2, &len);
	assert_int_equal(ff_send_queue_push(q, 7, 1, 2, f, len), 0);
	assert_int_equal(count_files(dir, ".batch"), 1);
	assert_int_equal(ff_send_queue_bytes(q), len);
	/* An ack naming another epoch is not ours. */
	assert_int_equal(ff_send_queue_ack(q, 8, 1), -1);
	assert_int_equal(ff_send_queue_ack(q, 7, 1), 0);
	assert_int_equal(ff_send_queue_ack(q, 7, 1), -1);
	assert_int_equal(count_files(dir, ".batch"), 0);
	assert_int_equal(ff_send_queue_len(q), 0);
	assert_int_equal(ff_send_queue_bytes(q), 0);
	ff_send_queue_free(q);
	remove_tree(dir);
	free(dir);
}

static void bound_drops_oldest(void **state)
{
	(void)state;
	char *dir = make_dir();
	ff_agent_counters c = {0};
	size_t len;
	uint8_t *probe = batch_frame(1, 1, 4, &len);
	free(probe);
	/* Room for two batches of this size, not three. */
	ff_send_queue *q = ff_send_queue_new(dir, 2 * len + len / 2, &c);
	assert_non_null(q);
	for (uint64_t s = 1; s <= 4; s++) {
		size_t l;
		uint8_t *f = batch_frame(1, s, 4, &l);
		assert_int_equal(l, len);
		assert_int_equal(ff_send_queue_push(q, 1, s, 4, f, l), 0);
	}
	assert_int_equal(c.batches_dropped, 2);
	assert_int_equal(ff_send_queue_len(q), 2);
	assert_int_equal(ff_send_queue_at(q, 0)->seq, 3);
	assert_int_equal(ff_send_queue_at(q, 1)->seq, 4);
	assert_int_equal(count_files(dir, ".batch"), 2);
	ff_send_queue_free(q);
	remove_tree(dir);
	free(dir);
}

static void corrupt_spool_file_skipped(void **state)
{
	(void)state;
	char *dir = make_dir();
	ff_send_queue *q = ff_send_queue_new(dir, 1 << 20, NULL);
	assert_non_null(q);
	size_t len;
	uint8_t *f = batch_frame(9, 4, 1, &len);
	assert_int_equal(ff_send_queue_push(q, 9, 4, 1, f, len), 0);
	ff_send_queue_free(q);
	write_text(dir, "5.batch", "FF garbage that is not a frame");
	write_text(dir, "notes.txt", "ignored");
	q = ff_send_queue_new(dir, 1 << 20, NULL);
	uint64_t max_seq;
	assert_int_equal(ff_send_queue_load(q, &max_seq), 1);
	assert_int_equal(max_seq, 4);
	assert_int_equal(count_files(dir, ".corrupt"), 1);
	ff_send_queue_free(q);
	remove_tree(dir);
	free(dir);
}

static void hello_encodes(void **state)
{
	(void)state;
	ff_strlist labels = {0};
	assert_int_equal(ff_strlist_add(&labels, "rack=r1"), 0);
	assert_int_equal(ff_strlist_add(&labels, "role=compute=x"), 0);
	ff_agent_counters c = {.udp_datagrams = 12, .batches_pending = 3};
	ff_exporter_stats *ex = ff_exporter_stats_new(8);
	uint8_t addr[FF_ADDR_LEN];
	ff_addr_from_v4(addr, 0x7f000001);
	ff_exporter_stats_count(ex, addr, FF_DECODE_ETRUNC, 1);
	ff_agent_hello h = {.agent_id = "node-a",
			    .hostname = "host1",
			    .labels = &labels,
			    .epoch = 0x1234,
			    .started_ms = 99,
			    .counters = &c,
			    .exporters = ex};
	uint8_t *frame, *payload;
	size_t len, plen;
	assert_int_equal(ff_agent_hello_encode(&h, &frame, &len), 0);
	ff_frame_header fh;
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	assert_int_equal(fh.type, FF_MSG_HELLO);
	Flowfleet__Hello *m = flowfleet__hello__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_int_equal(m->protocol_version, FF_PROTOCOL_VERSION);
	assert_string_equal(m->agent_id, "node-a");
	assert_string_equal(m->hostname, "host1");
	assert_int_equal(m->epoch, 0x1234);
	assert_int_equal(m->n_labels, 2);
	assert_string_equal(m->labels[1]->key, "role");
	assert_string_equal(m->labels[1]->value, "compute=x");
	assert_string_equal(m->counters[0]->name, "udp.datagrams");
	assert_int_equal(m->counters[0]->value, 12);
	assert_int_equal(m->n_exporters, 1);
	assert_int_equal(m->exporters[0]->n_counters, 3);
	assert_string_equal(m->exporters[0]->counters[2]->name, "malformed.truncated");
	flowfleet__hello__free_unpacked(m, NULL);
	free(payload);
	free(frame);
	ff_exporter_stats_free(ex);
	ff_strlist_clear(&labels);
}

/* The merged sFlow interface table travels in the Hello, every field in place. */
static void hello_carries_interfaces(void **state)
{
	(void)state;
	ff_sflow_counters *ifs = ff_sflow_counters_new(4);
	assert_non_null(ifs);
	ff_sflow_if_counters v;
	memset(&v, 0, sizeof v);
	ff_addr_from_v4(v.agent, 0x0a000001);
	v.if_index = 7;
	v.if_speed = 10000000000ull;
	v.if_status = 3;
	v.in_octets = 1ull << 40;
	v.out_errors = 5;
	v.promiscuous_mode = 1;
	assert_int_equal(ff_sflow_counters_put_if(ifs, &v, 1234), 0);
	ff_agent_counters c = {0};
	ff_agent_hello h = {.agent_id = "node-a", .counters = &c, .interfaces = ifs};
	uint8_t *frame, *payload;
	size_t len, plen;
	assert_int_equal(ff_agent_hello_encode(&h, &frame, &len), 0);
	ff_frame_header fh;
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	Flowfleet__Hello *m = flowfleet__hello__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_int_equal(m->n_interfaces, 1);
	const Flowfleet__InterfaceCounters *i = m->interfaces[0];
	assert_int_equal(i->exporter.len, FF_ADDR_LEN);
	assert_memory_equal(i->exporter.data, v.agent, FF_ADDR_LEN);
	assert_int_equal(i->if_index, 7);
	assert_int_equal(i->if_speed, 10000000000ull);
	assert_int_equal(i->if_status, 3);
	assert_int_equal(i->in_octets, 1ull << 40);
	assert_int_equal(i->out_errors, 5);
	assert_int_equal(i->promiscuous_mode, 1);
	assert_int_equal(i->samples, 1);
	assert_int_equal(i->updated_ms, 1234);
	flowfleet__hello__free_unpacked(m, NULL);
	free(payload);
	free(frame);
	ff_sflow_counters_free(ifs);
}

/* Each exporter's diagnosis travels in the Hello, with the agent's clock to read its times by. */
static void hello_carries_diagnosis(void **state)
{
	(void)state;
	ff_exporter_stats *ex = ff_exporter_stats_new(8);
	assert_non_null(ex);
	uint8_t addr[FF_ADDR_LEN];
	ff_addr_from_v4(addr, 0x7f000001);
	ff_exporter_stats_count(ex, addr, 1, 5000);
	ff_exporter_stats_count(ex, addr, 1, 7000);
	ff_exporter_stats_missing_template(ex, addr, 3, 260, 6000);
	ff_exporter_stats_missing_template(ex, addr, 3, 261, 6500);
	ff_exporter_stats_template_learned(ex, addr, 3, 261, 6600);
	ff_exporter_stats_sampling(ex, addr, 512, 1);
	ff_exporter_stats_skewed(ex, addr, -90000, 6000);
	ff_agent_counters c = {0};
	ff_agent_hello h = {.agent_id = "node-a", .counters = &c, .exporters = ex, .now_ms = 8000};
	uint8_t *frame, *payload;
	size_t len, plen;
	assert_int_equal(ff_agent_hello_encode(&h, &frame, &len), 0);
	ff_frame_header fh;
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	Flowfleet__Hello *m = flowfleet__hello__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_int_equal(m->sent_ms, 8000);
	assert_int_equal(m->n_exporters, 1);
	const Flowfleet__ExporterStats *x = m->exporters[0];
	assert_int_equal(x->last_datagram_ms, 7000);
	assert_int_equal(x->datagram_interval_ms, 2000);
	assert_int_equal(x->last_template_ms, 6600);
	assert_int_equal(x->n_missing_templates, 1);
	assert_int_equal(x->missing_templates[0]->domain, 3);
	assert_int_equal(x->missing_templates[0]->template_id, 260);
	assert_int_equal(x->missing_templates[0]->data_sets, 1);
	assert_int_equal(x->missing_templates[0]->first_ms, 6000);
	assert_int_equal(x->sampling_rate, 512);
	assert_int_equal(x->sampling_source, FLOWFLEET__SAMPLING_SOURCE__SAMPLING_ANNOUNCED);
	assert_int_equal(x->clock_offset_ms, -90000);
	flowfleet__hello__free_unpacked(m, NULL);
	free(payload);
	free(frame);
	ff_exporter_stats_free(ex);
}

static const struct CMUnitTest sender_queue_tests[] = {
    cmocka_unit_test(sequence_persists_across_reopen),
    cmocka_unit_test(epoch_stays),
    cmocka_unit_test(ephemeral_state_is_random),
    cmocka_unit_test(corrupt_state_refused),
    cmocka_unit_test(spool_reload_in_order),
    cmocka_unit_test(ack_removes_spool_file),
    cmocka_unit_test(bound_drops_oldest),
    cmocka_unit_test(corrupt_spool_file_skipped),
    cmocka_unit_test(hello_encodes),
    cmocka_unit_test(hello_carries_interfaces),
    cmocka_unit_test(hello_carries_diagnosis),
};

FF_TEST_MAIN(sender_queue_tests)
