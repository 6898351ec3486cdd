#include "ff_test.h"

#include "exporter_diag.h"
#include "ff_prom.h"
#include "session.h"
#include "session_exps.h"

#include <stdlib.h>
#include <string.h>

/* --- The rules alone ------------------------------------------------------------------- */

/* An exporter with nothing wrong: a steady stream, announced rate, templates known. */
static ff_diag_input healthy(void)
{
	ff_diag_input in;
	memset(&in, 0, sizeof in);
	in.delta.packets = 300;
	in.delta.records = 9000;
	in.window_ms = FF_DIAG_WINDOW_MS;
	in.has_times = true;
	in.datagram_age_ms = 900;
	in.interval_ms = 1000;
	in.template_ever = true;
	in.template_age_ms = 20000;
	in.sampling_rate = 1000;
	in.sampling_source = FF_DIAG_SAMPLING_ANNOUNCED;
	return in;
}

static size_t run(const ff_diag_input *in, ff_diag_finding f[FF_DIAG_N])
{
	size_t n = ff_diag_run(in, f);
	assert_true(n >= 1 && n < FF_DIAG_N);
	return n;
}

static void assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL) {
		print_error("'%s' does not contain '%s'\n", text, part);
		fail();
	}
}

static void state_ok(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	assert_int_equal(run(&in, f), 1);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	assert_string_equal(ff_diag_state_name(f[0].state), "ok");
	assert_string_equal(f[0].sentence, "receiving, decoding, nothing lost: 300 datagrams, "
					   "9000 records in the last 5m 0s");
}

/* Silent past FF_DIAG_SILENT_FACTOR usual intervals, never before FF_DIAG_SILENT_MIN_MS. */
static void state_silent(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	in.interval_ms = 10000;
	in.datagram_age_ms = 10 * 10000;
	assert_int_equal(run(&in, f), 1);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	in.datagram_age_ms = 10 * 10000 + 1;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SILENT);
	assert_string_equal(ff_diag_state_name(f[0].state), "silent");
	assert_contains(f[0].sentence, "nothing for 1m 40s, 10 times its usual interval of 10s");
	/* A fast exporter is not silent within the floor. */
	in.interval_ms = 100;
	in.datagram_age_ms = FF_DIAG_SILENT_MIN_MS;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	in.datagram_age_ms = FF_DIAG_SILENT_MIN_MS + 1;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SILENT);
	/* An agent without the times: silent only after a whole window without a datagram. */
	in = healthy();
	in.has_times = false;
	in.delta.packets = 0;
	in.window_ms = FF_DIAG_WINDOW_MS - 1;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	in.window_ms = FF_DIAG_WINDOW_MS;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SILENT);
}

/* The top reasons, most frequent first, ties in counter order, at most FF_DIAG_TOP_REASONS. */
static void state_malformed(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	in.delta.malformed[1] = 5;  /* bad_count */
	in.delta.malformed[2] = 30; /* truncated */
	in.delta.malformed[4] = 5;  /* bad_set_length */
	in.delta.malformed[6] = 1;  /* bad_template: fourth, not named */
	assert_int_equal(run(&in, f), 1);
	assert_int_equal(f[0].state, FF_DIAG_MALFORMED);
	assert_contains(f[0].sentence, "41 malformed datagrams in the last 5m 0s: truncated 30, "
				       "bad_count 5, bad_set_length 5;");
	assert_null(strstr(f[0].sentence, "bad_template"));
}

static void state_waiting_for_template(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	ff_diag_missing m[5] = {{1, 260, 4}, {1, 261, 1}, {2, 300, 2}, {2, 301, 1}, {2, 302, 1}};
	in.missing = m;
	in.n_missing = 1;
	in.held = 3;
	in.delta.no_template = 1;
	in.template_ever = false;
	assert_int_equal(run(&in, f), 1);
	assert_int_equal(f[0].state, FF_DIAG_WAITING_TEMPLATE);
	assert_string_equal(ff_diag_state_name(f[0].state), "waiting for template");
	assert_contains(f[0].sentence,
			"template 260 of observation domain 1 (4 data sets); "
			"3 held, 1 dropped in the last 5m 0s; no template ever came");
	/* Five pairs and more beyond the agent's list: three are named. */
	in.n_missing = 5;
	in.missing_unlisted = 9;
	in.template_ever = true;
	in.template_age_ms = 125000;
	run(&in, f);
	assert_contains(f[0].sentence, "template 300 of observation domain 2 (2 data sets) and 2 "
				       "more (+9 data sets of others)");
	assert_contains(f[0].sentence, "the last template came 2m 5s ago");
	assert_null(strstr(f[0].sentence, "template 301"));
	/* Only data of unlisted pairs still counts as waiting. */
	in.n_missing = 0;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_WAITING_TEMPLATE);
}

/* Loss by records (v5, IPFIX, sFlow samples) or by datagrams (v9, sFlow), whichever is worse. */
static void state_sequence_loss(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	in.delta.records = 9910;
	in.delta.lost_records = 90; /* 0.9% */
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	in.delta.lost_records = 1000;
	in.delta.records = 9000; /* 10% */
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SEQUENCE_LOSS);
	assert_string_equal(f[0].sentence,
			    "10.0% lost over the last 5m 0s (1000 of 10000 records by the "
			    "exporter's sequence numbers); check the path for drops and the "
			    "agent's udp.drops (raise --rcvbuf if they grow)");
	in.delta.lost_packets = 100; /* of 400: 25% */
	run(&in, f);
	assert_contains(f[0].sentence, "25.0% lost over the last 5m 0s (100 of 400 datagrams");
}

static void state_no_sampling_rate(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	in.sampling_source = FF_DIAG_SAMPLING_OVERRIDE;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	in.sampling_source = FF_DIAG_SAMPLING_DEFAULT;
	in.sampling_rate = 1;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_NO_SAMPLING);
	assert_contains(f[0].sentence, "counted as 1 in 1 (--sampling-default) because the "
				       "exporter announces no sampling rate");
	assert_contains(f[0].sentence, "--sampling-override ADDRESS=N");
}

static void state_clock_skew(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	in.clock_offset_ms = -7260000;
	in.delta.clock_skewed = 12;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_CLOCK_SKEW);
	assert_contains(f[0].sentence, "record times up to 2h 1m behind the agent's clock (12 "
				       "records beyond --max-clock-skew in the last 5m 0s)");
	in.clock_offset_ms = 4000000;
	run(&in, f);
	assert_contains(f[0].sentence, "up to 1h 6m ahead of the agent's clock");
	/* An agent that sends no offset: the counter alone. */
	in.clock_offset_ms = 0;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_CLOCK_SKEW);
	assert_contains(f[0].sentence, "12 records in the last 5m 0s stamped beyond");
}

/* Every state at once: all listed, most severe first, the first is the state. */
static void ordering_by_severity(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	ff_diag_missing m = {1, 256, 1};
	in.clock_offset_ms = 1;
	in.sampling_source = FF_DIAG_SAMPLING_DEFAULT;
	in.delta.lost_packets = 300;
	in.missing = &m;
	in.n_missing = 1;
	in.delta.malformed[0] = 1;
	in.datagram_age_ms = 3600000;
	assert_int_equal(run(&in, f), FF_DIAG_OK);
	for (int i = 0; i < FF_DIAG_OK; i++)
		assert_int_equal(f[i].state, i);
	const char *names[] = {"silent",	"malformed",	    "waiting for template",
			       "sequence loss", "no sampling rate", "clock skew"};
	for (int i = 0; i < FF_DIAG_OK; i++)
		assert_string_equal(ff_diag_state_name(f[i].state), names[i]);
	in.datagram_age_ms = 0;
	in.delta.malformed[0] = 0;
	assert_int_equal(run(&in, f), 4);
	assert_int_equal(f[0].state, FF_DIAG_WAITING_TEMPLATE);
	assert_int_equal(f[3].state, FF_DIAG_CLOCK_SKEW);
}

/* A sentence never overflows, whatever the numbers. */
static void sentence_bounded(void **state)
{
	(void)state;
	ff_diag_input in = healthy();
	ff_diag_finding f[FF_DIAG_N];
	ff_diag_missing m[8];
	for (int i = 0; i < 8; i++)
		m[i] = (ff_diag_missing){UINT32_MAX, 65535, UINT64_MAX};
	in.missing = m;
	in.n_missing = 8;
	in.missing_unlisted = UINT64_MAX;
	in.held = UINT64_MAX;
	in.delta.no_template = UINT64_MAX;
	in.template_age_ms = UINT64_MAX;
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_WAITING_TEMPLATE);
	assert_true(strlen(f[0].sentence) < FF_DIAG_SENTENCE);
}

/* --- Over Hellos: the window, the history's bound, restarts --------------------------- */

#define MAX_X 12

/* One Hello under construction: up to MAX_X exporters of a few counters each. */
struct hello {
	Flowfleet__Hello h;
	Flowfleet__ExporterStats x[MAX_X], *xp[MAX_X];
	uint8_t addr[MAX_X][16];
	Flowfleet__Counter c[MAX_X][4], *cp[MAX_X][4];
	Flowfleet__MissingTemplate m[20], *mp[20];
};

static void hello_init(struct hello *b, size_t n_exporters, uint64_t sent_ms)
{
	memset(b, 0, sizeof *b);
	flowfleet__hello__init(&b->h);
	b->h.agent_id = "node-a";
	b->h.started_ms = 1000;
	b->h.sent_ms = sent_ms;
	b->h.exporters = b->xp;
	b->h.n_exporters = n_exporters;
	static const char *const names[4] = {"packets", "records", "seq.lost.v5_flows",
					     "malformed.truncated"};
	for (size_t i = 0; i < n_exporters; i++) {
		flowfleet__exporter_stats__init(&b->x[i]);
		b->addr[i][10] = b->addr[i][11] = 0xff;
		b->addr[i][12] = 10;
		b->addr[i][15] = (uint8_t)(i + 1);
		b->x[i].address.data = b->addr[i];
		b->x[i].address.len = 16;
		for (size_t k = 0; k < 4; k++) {
			flowfleet__counter__init(&b->c[i][k]);
			b->c[i][k].name = (char *)names[k];
			b->cp[i][k] = &b->c[i][k];
		}
		b->x[i].counters = b->cp[i];
		b->x[i].n_counters = 4;
		b->x[i].last_datagram_ms = sent_ms;
		b->x[i].sampling_source = FLOWFLEET__SAMPLING_SOURCE__SAMPLING_ANNOUNCED;
		b->x[i].sampling_rate = 1;
		b->xp[i] = &b->x[i];
	}
}

/* Sets exporter 0's records and lost records. */
static void hello_counts(struct hello *b, uint64_t records, uint64_t lost)
{
	b->c[0][0].value = records / 10;
	b->c[0][1].value = records;
	b->c[0][2].value = lost;
}

static ff_diag_input input_of(ff__session_exps *t, size_t i, uint64_t now_ms)
{
	ff_diag_input in;
	uint8_t addr[FF_ADDR_LEN];
	ff__session_exps_input(t, i, now_ms, &in, addr);
	return in;
}

/*
 * Hellos every second for ten minutes: loss only in the first five minutes
 * is out of the window by the end; the window stays between five minutes
 * and five minutes plus the spacing.
 */
static void window_five_minutes(void **state)
{
	(void)state;
	ff__session_exps *t = ff__session_exps_new(8);
	assert_non_null(t);
	struct hello b;
	uint64_t t0 = 21000, records = 0, lost = 0;
	for (uint64_t s = 0; s <= 600; s++) {
		records += 100;
		if (s < 270)
			lost += 10;
		hello_init(&b, 1, t0 + s * 1000);
		hello_counts(&b, records, lost);
		assert_int_equal(ff__session_exps_update(t, &b.h, t0 + s * 1000), 0);
		if (s == 200) {
			/* Started 220 s before: the window reaches back to the agent's start. */
			ff_diag_input in = input_of(t, 0, t0 + s * 1000);
			assert_int_equal(in.window_ms, t0 + s * 1000 - 1000);
			assert_int_equal(in.delta.lost_records, lost);
		}
	}
	ff_diag_input in = input_of(t, 0, t0 + 600000);
	assert_true(in.window_ms >= FF_DIAG_WINDOW_MS);
	assert_true(in.window_ms <= FF_DIAG_WINDOW_MS + FF_EXPS_SPACING_MS);
	assert_int_equal(in.delta.lost_records, 0);
	assert_int_equal(in.delta.records, in.window_ms / 10);
	ff_diag_finding f[FF_DIAG_N];
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_OK);
	/* Loss again now shows at its rate over the window. */
	hello_init(&b, 1, t0 + 601000);
	hello_counts(&b, records + 100, 0 + lost + in.window_ms / 10);
	assert_int_equal(ff__session_exps_update(t, &b.h, t0 + 601000), 0);
	in = input_of(t, 0, t0 + 601000);
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SEQUENCE_LOSS);
	ff__session_exps_free(t);
}

/* The agent restarted (another start time) or its counters went back: the history starts again. */
static void restart_clears_history(void **state)
{
	(void)state;
	ff__session_exps *t = ff__session_exps_new(8);
	struct hello b;
	hello_init(&b, 1, 500000);
	hello_counts(&b, 5000, 4000);
	ff__session_exps_update(t, &b.h, 500000);
	hello_init(&b, 1, 510000);
	b.h.started_ms = 505000;
	hello_counts(&b, 100, 0);
	ff__session_exps_update(t, &b.h, 510000);
	ff_diag_input in = input_of(t, 0, 510000);
	assert_int_equal(in.delta.records, 100);
	assert_int_equal(in.delta.lost_records, 0);
	assert_int_equal(in.window_ms, 5000);
	ff__session_exps_free(t);
}

/*
 * Bounds: at most `max` exporters an agent, FF_DIAG_MISSING_MAX template ids
 * each (the rest counted), and an exporter no longer reported goes.
 */
static void bounds_and_sweep(void **state)
{
	(void)state;
	ff__session_exps *t = ff__session_exps_new(4);
	struct hello b;
	hello_init(&b, 6, 100000);
	for (size_t i = 0; i < 20; i++) {
		flowfleet__missing_template__init(&b.m[i]);
		b.m[i].domain = 1;
		b.m[i].template_id = (uint32_t)(256 + i);
		b.m[i].data_sets = 2;
		b.mp[i] = &b.m[i];
	}
	b.x[0].missing_templates = b.mp;
	b.x[0].n_missing_templates = 20;
	b.x[0].missing_templates_unlisted = 5;
	assert_int_equal(ff__session_exps_update(t, &b.h, 100000), 0);
	assert_int_equal(ff__session_exps_count(t), 4);
	ff_diag_input in = input_of(t, 0, 100000);
	assert_int_equal(in.n_missing, FF_DIAG_MISSING_MAX);
	assert_int_equal(in.missing_unlisted, 5 + 12 * 2);
	assert_int_equal(in.missing[0].template_id, 256);
	hello_init(&b, 2, 101000);
	assert_int_equal(ff__session_exps_update(t, &b.h, 101000), 0);
	assert_int_equal(ff__session_exps_count(t), 2);
	ff__session_exps_free(t);
}

/* The agent's clock is the reference: ages grow by our time since its last Hello. */
static void ages_by_agent_clock(void **state)
{
	(void)state;
	ff__session_exps *t = ff__session_exps_new(4);
	struct hello b;
	/* The agent's clock is an hour behind ours. */
	hello_init(&b, 1, 100000);
	b.x[0].last_datagram_ms = 90000;
	b.x[0].datagram_interval_ms = 1000;
	b.x[0].last_template_ms = 40000;
	ff__session_exps_update(t, &b.h, 3700000);
	ff_diag_input in = input_of(t, 0, 3700000 + 55000);
	assert_int_equal(in.datagram_age_ms, 65000);
	assert_int_equal(in.template_age_ms, 115000);
	assert_true(in.template_ever);
	ff_diag_finding f[FF_DIAG_N];
	run(&in, f);
	assert_int_equal(f[0].state, FF_DIAG_SILENT);
	ff__session_exps_free(t);
}

/* Through the registry: the API's objects and the /metrics gauge. */
static void api_and_metrics(void **state)
{
	(void)state;
	ff_sessions *r = ff_sessions_new();
	struct hello b;
	hello_init(&b, 2, 100000);
	b.h.protocol_version = 2;
	b.h.epoch = 1;
	hello_counts(&b, 1000, 500);
	b.x[1].sampling_source = FLOWFLEET__SAMPLING_SOURCE__SAMPLING_DEFAULT;
	b.c[1][3].value = 2; /* malformed.truncated */
	assert_true(ff_sessions_hello(r, &b.h, "127.0.0.1", 100000) >= 0);
	json_t *a = ff_sessions_exporters_json(r, NULL, 100000);
	assert_int_equal(json_array_size(a), 2);
	json_t *e0 = json_array_get(a, 0), *e1 = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(e0, "agent")), "node-a");
	assert_string_equal(json_string_value(json_object_get(e0, "exporter")), "10.0.0.1");
	assert_string_equal(json_string_value(json_object_get(e0, "state")), "sequence loss");
	assert_string_equal(json_string_value(json_object_get(e1, "state")), "malformed");
	assert_int_equal(json_array_size(json_object_get(e1, "findings")), 2);
	json_t *w = json_object_get(e0, "window");
	assert_int_equal(json_integer_value(json_object_get(w, "lost_records")), 500);
	json_decref(a);
	a = ff_sessions_exporters_json(r, "other", 100000);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);

	ff_prom *p = ff_prom_new();
	assert_int_equal(ff_sessions_metrics(r, p, 100000, FF_SESSIONS_METRICS_MAX_SERIES), 0);
	size_t len;
	char *text = ff_prom_render(p, &len);
	assert_non_null(text);
	assert_contains(text, "# TYPE flowfleet_exporter_state gauge");
	assert_contains(text, "flowfleet_exporter_state{agent=\"node-a\",exporter=\"10.0.0.1\","
			      "state=\"sequence loss\"} 1");
	assert_contains(text, "flowfleet_exporter_state{agent=\"node-a\",exporter=\"10.0.0.2\","
			      "state=\"no sampling rate\"} 1");
	free(text);
	ff_prom_free(p);
	/* Within the agent's series bound: the states are left out and counted. */
	p = ff_prom_new();
	assert_int_equal(ff_sessions_metrics(r, p, 100000, 10), 0);
	text = ff_prom_render(p, &len);
	assert_null(strstr(text, "flowfleet_exporter_state{"));
	assert_contains(text, "flowfleet_metrics_series_dropped{agent=\"node-a\"}");
	free(text);
	ff_prom_free(p);
	ff_sessions_free(r);
}

static const struct CMUnitTest exporter_diag_tests[] = {
    cmocka_unit_test(state_ok),
    cmocka_unit_test(state_silent),
    cmocka_unit_test(state_malformed),
    cmocka_unit_test(state_waiting_for_template),
    cmocka_unit_test(state_sequence_loss),
    cmocka_unit_test(state_no_sampling_rate),
    cmocka_unit_test(state_clock_skew),
    cmocka_unit_test(ordering_by_severity),
    cmocka_unit_test(sentence_bounded),
    cmocka_unit_test(window_five_minutes),
    cmocka_unit_test(restart_clears_history),
    cmocka_unit_test(bounds_and_sweep),
    cmocka_unit_test(ages_by_agent_clock),
    cmocka_unit_test(api_and_metrics),
};

FF_TEST_MAIN(exporter_diag_tests)
