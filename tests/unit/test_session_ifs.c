#include "ff_test.h"

#include "ff_flow.h"
#include "ff_prom.h"
#include "if_rates.h"
#include "session.h"
#include "session_ifs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-9 * (fabs(want) + 1)) {
		print_error("got %.17g, expected %.17g\n", got, want);
		fail();
	}
}

static ff_if_sample sample(uint64_t at_ms, uint64_t in_octets, uint32_t in_ucast)
{
	return (ff_if_sample){.in_octets = in_octets,
			      .out_octets = 2 * in_octets,
			      .in_ucast = in_ucast,
			      .in_mcast = 1,
			      .out_ucast = 10,
			      .in_errors = 3,
			      .out_discards = 4,
			      .updated_ms = at_ms};
}

/* Every rate is the delta over the seconds between the samples as the agent got them. */
static void rates_between_samples(void **state)
{
	(void)state;
	ff_if_sample a = sample(10000, 1000, 100), b = sample(30000, 5000, 300);
	b.in_mcast = 5;
	b.out_ucast = 50;
	b.in_errors = 7;
	b.out_discards = 24;
	ff_if_rates r;
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_OK);
	assert_near(r.seconds, 20);
	assert_near(r.in_bytes, 4000 / 20.0);
	assert_near(r.out_bytes, 8000 / 20.0);
	assert_near(r.in_packets, (200 + 4) / 20.0);
	assert_near(r.out_packets, 40 / 20.0);
	assert_near(r.in_errors, 4 / 20.0);
	assert_near(r.out_discards, 20 / 20.0);
	assert_near(r.out_errors, 0);
}

/* A 32-bit packet counter that went down while the octets went up has wrapped. */
static void rates_wrap_32bit(void **state)
{
	(void)state;
	assert_int_equal(ff_if_delta32(0xfffffff0u, 0x10u), 0x20u);
	ff_if_sample a = sample(0, 1000, 0xffffff00u), b = sample(1000, 2000, 0x100u);
	ff_if_rates r;
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_OK);
	assert_near(r.in_packets, 0x200);
}

/* Octets going down is a reset: no rate, rather than one of 2^64. */
static void rates_reset_no_rate(void **state)
{
	(void)state;
	ff_if_sample a = sample(0, 5000, 10), b = sample(1000, 100, 20);
	ff_if_rates r;
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_RESET);
	assert_near(r.in_bytes, 0);
	b = sample(1000, 6000, 20);
	b.out_octets = 1;
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_RESET);
	assert_string_equal(ff_if_rates_status_name(FF_IF_RATES_RESET), "counter_reset");
}

static void rates_need_two_samples_apart(void **state)
{
	(void)state;
	ff_if_sample a = sample(5000, 1, 1), b = sample(5000, 2, 2);
	ff_if_rates r;
	assert_int_equal(ff_if_rates_compute(NULL, &a, &r), FF_IF_RATES_FIRST);
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_NO_TIME);
	b.updated_ms = 4000; /* the agent's clock stepped back */
	assert_int_equal(ff_if_rates_compute(&a, &b, &r), FF_IF_RATES_NO_TIME);
}

/* An interface of exporter 10.0.0.N as a Hello carries it. */
static Flowfleet__InterfaceCounters iface(uint8_t addr[FF_ADDR_LEN], uint32_t n, uint32_t if_index,
					  uint64_t in_octets, uint64_t at_ms, uint64_t samples)
{
	ff_addr_from_v4(addr, 0x0a000000u + n);
	Flowfleet__InterfaceCounters m = FLOWFLEET__INTERFACE_COUNTERS__INIT;
	m.exporter.data = addr;
	m.exporter.len = FF_ADDR_LEN;
	m.if_index = if_index;
	m.if_speed = 1000000000;
	m.if_status = 1; /* admin up, oper down */
	m.in_octets = in_octets;
	m.out_octets = 7;
	m.in_ucast_pkts = 11;
	m.out_errors = 2;
	m.updated_ms = at_ms;
	m.samples = samples;
	return m;
}

/* Past its bound the table refuses new interfaces, counted, and still updates known ones. */
static void table_bounded(void **state)
{
	(void)state;
	ff__session_ifs *t = ff__session_ifs_new(2);
	assert_non_null(t);
	uint8_t a[3][FF_ADDR_LEN];
	Flowfleet__InterfaceCounters m[3] = {iface(a[0], 1, 1, 10, 1000, 1),
					     iface(a[1], 1, 2, 20, 1000, 1),
					     iface(a[2], 2, 1, 30, 1000, 1)};
	Flowfleet__InterfaceCounters *v[3] = {&m[0], &m[1], &m[2]};
	assert_int_equal(ff__session_ifs_update(t, v, 3, 5), 0);
	assert_int_equal(ff__session_ifs_count(t), 2);
	assert_int_equal(ff__session_ifs_refused(t), 1);
	m[1].in_octets = 50;
	m[1].updated_ms = 3000;
	m[1].samples = 2;
	m[0].exporter.len = 4; /* malformed: refused too */
	assert_int_equal(ff__session_ifs_update(t, v, 3, 6), 0);
	assert_int_equal(ff__session_ifs_refused(t), 2);
	size_t n;
	const ff__if_entry **e = ff__session_ifs_sorted(t, &n);
	assert_int_equal(n, 2);
	assert_int_equal(e[0]->if_index, 1);
	assert_int_equal(e[1]->if_index, 2);
	assert_int_equal(e[1]->cur.in_octets, 50);
	assert_int_equal(e[1]->prev.in_octets, 20);
	assert_true(e[1]->has_prev);
	assert_false(e[0]->has_prev);
	free(e);
	ff__session_ifs_free(t);
}

static Flowfleet__Hello hello_with(Flowfleet__InterfaceCounters **v, size_t n)
{
	Flowfleet__Hello h = FLOWFLEET__HELLO__INIT;
	h.agent_id = "node-a";
	h.epoch = 1;
	h.interfaces = v;
	h.n_interfaces = n;
	return h;
}

/* A heartbeat repeating the same sample is no new sample: rates come from distinct ones. */
static void repeated_sample_keeps_rates(void **state)
{
	(void)state;
	ff_sessions *r = ff_sessions_new();
	uint8_t a[FF_ADDR_LEN];
	Flowfleet__InterfaceCounters m = iface(a, 1, 3, 1000, 10000, 1), *v = &m;
	Flowfleet__Hello h = hello_with(&v, 1);
	assert_true(ff_sessions_hello(r, &h, NULL, 1) >= 0);
	assert_true(ff_sessions_hello(r, &h, NULL, 2) >= 0);
	json_t *j = ff_sessions_interfaces_json(r, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(j, 0), "rates_status")),
	    "first_sample");
	json_decref(j);
	m.in_octets = 21000;
	m.updated_ms = 30000;
	m.samples = 2;
	assert_true(ff_sessions_hello(r, &h, NULL, 3) >= 0);
	assert_true(ff_sessions_hello(r, &h, NULL, 4) >= 0);
	j = ff_sessions_interfaces_json(r, "node-a");
	json_t *e = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(e, "exporter")), "10.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(e, "if_index")), 3);
	assert_true(json_is_true(json_object_get(e, "admin_up")));
	assert_true(json_is_false(json_object_get(e, "oper_up")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "in"), "octets")),
			 21000);
	json_t *rates = json_object_get(e, "rates");
	assert_near(json_real_value(json_object_get(rates, "seconds")), 20);
	assert_near(json_real_value(json_object_get(rates, "in_bytes_per_s")), 1000);
	json_decref(j);
	j = ff_sessions_interfaces_json(r, "node-b");
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	ff_sessions_free(r);
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

/* The flowfleet_interface_* series, and the agent's series budget counting them. */
static void interface_metrics(void **state)
{
	(void)state;
	ff_sessions *r = ff_sessions_new();
	uint8_t a[2][FF_ADDR_LEN];
	Flowfleet__InterfaceCounters m[2] = {iface(a[0], 1, 3, 1000, 10000, 1),
					     iface(a[1], 1, 4, 9, 10000, 1)};
	Flowfleet__InterfaceCounters *v[2] = {&m[0], &m[1]};
	Flowfleet__Hello h = hello_with(v, 2);
	assert_true(ff_sessions_hello(r, &h, NULL, 1) >= 0);
	char *t = scrape(r, 2000);
	const char *l = "{agent=\"node-a\",exporter=\"10.0.0.1\",if_index=\"3\"";
	char want[256];
	snprintf(want, sizeof want, "flowfleet_interface_bytes_total%s,direction=\"in\"} 1000\n",
		 l);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof want,
		 "flowfleet_interface_packets_total%s,direction=\"in\",cast=\"unicast\"} 11\n", l);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof want, "flowfleet_interface_errors_total%s,direction=\"out\"} 2\n", l);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof want, "flowfleet_interface_speed_bytes%s} 125000000\n", l);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof want, "flowfleet_interface_up%s,kind=\"admin\"} 1\n", l);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof want, "flowfleet_interface_up%s,kind=\"oper\"} 0\n", l);
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(t, "flowfleet_agent_sflow_interfaces{agent=\"node-a\"} 2\n"));
	assert_null(strstr(t, "flowfleet_metrics_series_dropped"));
	free(t);
	/*
	 * 8 own series, 2 table gauges, 15 an interface and one kept for the
	 * dropped gauge: 26 leave the second interface out whole.
	 */
	t = scrape(r, 26);
	assert_non_null(strstr(t, "if_index=\"3\",kind=\"oper\""));
	assert_null(strstr(t, "if_index=\"4\""));
	assert_non_null(strstr(t, "flowfleet_metrics_series_dropped{agent=\"node-a\"} 15\n"));
	free(t);
	ff_sessions_free(r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(rates_between_samples), cmocka_unit_test(rates_wrap_32bit),
    cmocka_unit_test(rates_reset_no_rate),   cmocka_unit_test(rates_need_two_samples_apart),
    cmocka_unit_test(table_bounded),	     cmocka_unit_test(repeated_sample_keeps_rates),
    cmocka_unit_test(interface_metrics),
};

FF_TEST_MAIN(tests)
