#include "ff_test.h"

#include "ff_prom.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Hello from `id` with `n` agent counters named by `names` (or "c.N"), one exporter. */
static void hello(ff_sessions *r, const char *id, size_t n, const char *const *names,
		  size_t exporter_counters)
{
	Flowfleet__Hello h = FLOWFLEET__HELLO__INIT;
	h.protocol_version = 2;
	h.agent_id = (char *)id;
	h.hostname = "host\"x";
	h.software_version = "0.1.0";
	h.epoch = 7;
	Flowfleet__Counter *c = calloc(n, sizeof *c), **cp = calloc(n, sizeof *cp);
	char (*buf)[32] = calloc(n > exporter_counters ? n : exporter_counters, sizeof *buf);
	for (size_t i = 0; i < n; i++) {
		flowfleet__counter__init(&c[i]);
		snprintf(buf[i], sizeof buf[i], "c.%zu", i);
		c[i].name = names != NULL ? (char *)names[i] : buf[i];
		c[i].value = i + 1;
		cp[i] = &c[i];
	}
	h.counters = cp;
	h.n_counters = n;
	Flowfleet__ExporterStats e = FLOWFLEET__EXPORTER_STATS__INIT, *ep = &e;
	uint8_t addr[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1};
	e.address.data = addr;
	e.address.len = sizeof addr;
	Flowfleet__Counter *ec = calloc(exporter_counters + 1, sizeof *ec);
	Flowfleet__Counter **ecp = calloc(exporter_counters + 1, sizeof *ecp);
	char (*ebuf)[32] = calloc(exporter_counters + 1, sizeof *ebuf);
	for (size_t i = 0; i < exporter_counters; i++) {
		flowfleet__counter__init(&ec[i]);
		snprintf(ebuf[i], sizeof ebuf[i], "malformed.r%zu", i);
		ec[i].name = ebuf[i];
		ec[i].value = 1;
		ecp[i] = &ec[i];
	}
	e.counters = ecp;
	e.n_counters = exporter_counters;
	h.exporters = &ep;
	h.n_exporters = 1;
	assert_true(ff_sessions_hello(r, &h, "127.0.0.1", 1000) >= 0);
	free(c);
	free(cp);
	free(buf);
	free(ec);
	free(ecp);
	free(ebuf);
}

static char *scrape(ff_sessions *r, size_t max_series)
{
	ff_prom *p = ff_prom_new();
	assert_int_equal(ff_sessions_metrics(r, p, 3500, max_series), 0);
	char *text = ff_prom_render(p, NULL);
	assert_non_null(text);
	ff_prom_free(p);
	return text;
}

/* Known names get their Prometheus names, unknown ones a labelled catch-all; text escaped. */
static void names_and_catch_all(void **state)
{
	(void)state;
	ff_sessions *r = ff_sessions_new();
	const char *names[] = {"udp.datagrams", "batches.acked", "ack_latency.p99_ms", "new.thing"};
	hello(r, "node-a", 4, names, 1);
	char *t = scrape(r, 2000);
	assert_non_null(strstr(t, "flowfleet_agent_udp_datagrams_total{agent=\"node-a\"} 1\n"));
	assert_non_null(strstr(t, "flowfleet_agent_batches_total{agent=\"node-a\",event=\"acked\"} 2\n"));
	assert_non_null(strstr(t, "flowfleet_agent_ack_latency_p99_seconds{agent=\"node-a\"} 0.003\n"));
	assert_non_null(
	    strstr(t, "flowfleet_agent_other_events_total{agent=\"node-a\",counter=\"new.thing\"} 4\n"));
	assert_non_null(strstr(t, "flowfleet_exporter_malformed_datagrams_total{agent=\"node-a\","
				  "exporter=\"10.0.0.1\",reason=\"r0\"} 1\n"));
	assert_non_null(strstr(t, "hostname=\"host\\\"x\""));
	assert_non_null(strstr(t, "flowfleet_agent_last_seen_seconds{agent=\"node-a\"} 2.5\n"));
	assert_non_null(strstr(t, "flowfleet_agents 1\n"));
	assert_null(strstr(t, "flowfleet_metrics_series_dropped"));
	free(t);
	ff_sessions_free(r);
}

/* A Hello with 256 counters and an exporter with 200 is cut at the bound, and says so. */
static void series_bound_per_agent(void **state)
{
	(void)state;
	ff_sessions *r = ff_sessions_new();
	hello(r, "node-h", 256, NULL, 200);
	hello(r, "node-q", 2, NULL, 0);
	char *t = scrape(r, 100);
	size_t lines_h = 0;
	for (char *s = t; (s = strstr(s, "agent=\"node-h\"")) != NULL; s++)
		lines_h++;
	assert_true(lines_h <= 100);
	/*
	 * 8 own series + 256 + 200 exporter series + the exporter's state, 99 kept
	 * (one for the dropped gauge).
	 */
	assert_non_null(strstr(t, "flowfleet_metrics_series_dropped{agent=\"node-h\"} 366\n"));
	/* The small agent is whole. */
	assert_non_null(
	    strstr(t, "flowfleet_agent_other_events_total{agent=\"node-q\",counter=\"c.1\"} 2\n"));
	assert_null(strstr(t, "flowfleet_metrics_series_dropped{agent=\"node-q\"}"));
	free(t);
	ff_sessions_free(r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(names_and_catch_all),
    cmocka_unit_test(series_bound_per_agent),
};

FF_TEST_MAIN(tests)
