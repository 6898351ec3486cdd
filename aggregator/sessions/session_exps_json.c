/*
 * The exporters' diagnosis as GET /api/v1/exporters shows it (docs/api.md)
 * and as /metrics' flowfleet_exporter_state gauge (docs/metrics.md).
 */
#include "session_exps.h"

#include "ff_prom.h"

#include <errno.h>

static const char *const ff_exps_sampling_names[] = {"unknown", "announced", "default", "override"};

static const char *ff_exps_sampling_name(int source)
{
	return source >= 0 && source <= FF_DIAG_SAMPLING_OVERRIDE ? ff_exps_sampling_names[source]
								  : "unknown";
}

static json_t *ff_exps_window_json(const ff_diag_input *in)
{
	const ff_diag_counts *d = &in->delta;
	json_t *mal = json_object();
	for (int r = 0; mal != NULL && r < FF_DIAG_MAL_N; r++)
		if (d->malformed[r] > 0)
			json_object_set_new(mal, ff_diag_malformed_names[r],
					    json_integer((json_int_t)d->malformed[r]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o*}", "ms",
			 (json_int_t)in->window_ms, "datagrams", (json_int_t)d->packets, "records",
			 (json_int_t)d->records, "lost_records", (json_int_t)d->lost_records,
			 "lost_datagrams", (json_int_t)d->lost_packets, "no_template",
			 (json_int_t)d->no_template, "clock_skewed", (json_int_t)d->clock_skewed,
			 "malformed", mal);
}

static json_t *ff_exps_missing_json(const ff_diag_input *in)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < in->n_missing; i++)
		json_array_append_new(
		    a, json_pack("{s:I, s:I, s:I}", "domain", (json_int_t)in->missing[i].domain,
				 "template_id", (json_int_t)in->missing[i].template_id, "data_sets",
				 (json_int_t)in->missing[i].data_sets));
	return a;
}

static json_t *ff_exps_findings_json(const ff_diag_finding *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "state",
						   ff_diag_state_name(f[i].state), "sentence",
						   f[i].sentence));
	return a;
}

/* Times the agent does not send (older agents) are null. */
static json_t *ff_exps_ms_or_null(bool known, uint64_t ms)
{
	return known ? json_integer((json_int_t)ms) : json_null();
}

static json_t *ff_exps_one_json(const char *agent, const uint8_t addr[FF_ADDR_LEN],
				const ff_diag_input *in)
{
	ff_diag_finding f[FF_DIAG_N];
	size_t n = ff_diag_run(in, f);
	char a[FF_ADDR_STRLEN];
	ff_addr_format(addr, a);
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:o*, s:o, s:o, s:o, s:I, s:I, s:{s:I, s:s}, s:I, s:o*}", "agent",
	    agent, "exporter", a, "state", ff_diag_state_name(f[0].state), "sentence",
	    f[0].sentence, "findings", ff_exps_findings_json(f, n), "datagram_age_ms",
	    ff_exps_ms_or_null(in->has_times, in->datagram_age_ms), "interval_ms",
	    ff_exps_ms_or_null(in->has_times, in->interval_ms), "template_age_ms",
	    ff_exps_ms_or_null(in->template_ever, in->template_age_ms), "held_data_sets",
	    (json_int_t)in->held, "missing_templates_unlisted", (json_int_t)in->missing_unlisted,
	    "sampling", "rate", (json_int_t)in->sampling_rate, "source",
	    ff_exps_sampling_name(in->sampling_source), "clock_offset_ms",
	    (json_int_t)in->clock_offset_ms, "window", ff_exps_window_json(in));
}

int ff__session_exps_json(const ff__session_exps *t, const char *agent, uint64_t now_ms, json_t *a)
{
	for (size_t i = 0; i < ff__session_exps_count(t); i++) {
		ff_diag_input in;
		uint8_t addr[FF_ADDR_LEN];
		ff__session_exps_input(t, i, now_ms, &in, addr);
		json_t *o = ff_exps_one_json(agent, addr, &in);
		if (o != NULL)
			json_object_set_new(o, "missing_templates", ff_exps_missing_json(&in));
		if (o == NULL || json_array_append_new(a, o) != 0)
			return -ENOMEM;
	}
	return 0;
}

int ff__session_exps_declare(struct ff_prom *p)
{
	int rc = ff_prom_declare(
	    p, "flowfleet_exporter_state", FF_PROM_GAUGE,
	    "1 for each state that applies to the exporter (docs/operations.md); "
	    "ok alone when none does.");
	return rc != 0 ? rc
		       : ff_prom_declare(p, "flowfleet_exporter_sampling_rate", FF_PROM_GAUGE,
					 "The 1-in-N sampling rate applied to the exporter's latest "
					 "records, by where it came from (announced, default, "
					 "override).");
}

/* The sampling rate in use, when the agent reports one (agents before diagnostics do not). */
static int ff_exps_sampling_metric(struct ff_prom *p, const ff_diag_input *in, const char *agent,
				   const char *addr, size_t *budget, size_t *dropped)
{
	if (in->sampling_rate == 0)
		return 0;
	if (*budget == 0) {
		(*dropped)++;
		return 0;
	}
	(*budget)--;
	ff_prom_label l[3] = {{"agent", agent},
			      {"exporter", addr},
			      {"source", ff_exps_sampling_name(in->sampling_source)}};
	return ff_prom_add_u64(p, "flowfleet_exporter_sampling_rate", "", l, 3, in->sampling_rate);
}

int ff__session_exps_metrics(const ff__session_exps *t, struct ff_prom *p, const char *agent,
			     uint64_t now_ms, size_t *budget, size_t *dropped)
{
	for (size_t i = 0; i < ff__session_exps_count(t); i++) {
		ff_diag_input in;
		uint8_t addr[FF_ADDR_LEN];
		ff__session_exps_input(t, i, now_ms, &in, addr);
		ff_diag_finding f[FF_DIAG_N];
		size_t n = ff_diag_run(&in, f);
		char a[FF_ADDR_STRLEN];
		ff_addr_format(addr, a);
		int src = ff_exps_sampling_metric(p, &in, agent, a, budget, dropped);
		if (src != 0)
			return src;
		for (size_t k = 0; k < n; k++) {
			if (*budget == 0) {
				(*dropped)++;
				continue;
			}
			(*budget)--;
			ff_prom_label l[3] = {{"agent", agent},
					      {"exporter", a},
					      {"state", ff_diag_state_name(f[k].state)}};
			int rc = ff_prom_add_u64(p, "flowfleet_exporter_state", "", l, 3, 1);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}
