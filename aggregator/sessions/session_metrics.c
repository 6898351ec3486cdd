/*
 * The registry as Prometheus families (session.h, ff_sessions_metrics):
 * what the aggregator counts per agent, and what each agent's last Hello
 * said of itself and of its exporters, renamed from the agent's dotted
 * counter names to Prometheus names in base units (docs/metrics.md).
 *
 * The names come from common/ff_metric_names.c, which the agent's own
 * --metrics shares; the per-agent series bound keeps a hostile Hello's 256
 * counters and 1,024 exporters from becoming a scrape of a million lines.
 */
#include "session_impl.h"

#include "ff_metric_names.h"
#include "ff_prom.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The aggregator's own per-agent families: name, type, help. */
static const struct {
	const char *family;
	enum ff_prom_type type;
	const char *help;
} ff_sm_own[] = {
    {"flowfleet_agent_info", FF_PROM_GAUGE,
     "1 for every agent known: its host name, version, epoch and wire protocol version."},
    {"flowfleet_agent_last_seen_seconds", FF_PROM_GAUGE,
     "Seconds since the aggregator last heard from the agent."},
    {"flowfleet_agent_stored_batches_total", FF_PROM_COUNTER,
     "Batches of the agent stored and acknowledged (rebuilt from the store at start)."},
    {"flowfleet_agent_duplicate_batches_total", FF_PROM_COUNTER,
     "Batches of the agent acknowledged as duplicates (sent again after a lost ack)."},
    {"flowfleet_agent_stored_records_total", FF_PROM_COUNTER, "Records of the agent stored."},
    {"flowfleet_agent_state_conflicts_total", FF_PROM_COUNTER,
     "Batches whose identity repeated with other content: the agent's state restored or cloned."},
    {"flowfleet_agent_policy_version", FF_PROM_GAUGE, "The policy version the agent applies."},
    {"flowfleet_agent_policy_current", FF_PROM_GAUGE,
     "1 when the agent applies the policy that applies to it, else 0."},
    {"flowfleet_metrics_series_dropped", FF_PROM_GAUGE,
     "Series of the agent left out of this scrape: past the per-agent bound."},
};

static int ff_sm_declare(ff_prom *p)
{
	for (size_t i = 0; i < sizeof ff_sm_own / sizeof ff_sm_own[0]; i++) {
		int rc = ff_prom_declare(p, ff_sm_own[i].family, ff_sm_own[i].type, ff_sm_own[i].help);
		if (rc != 0)
			return rc;
	}
	int rc = ff_metric_names_declare(p);
	if (rc == 0)
		rc = ff__session_exps_declare(p);
	return rc == 0 ? ff__session_ifs_declare(p) : rc;
}

/* One agent's scrape in progress: its labels and what its bound leaves. */
typedef struct ff_sm_agent {
	ff_prom *p;
	ff_prom_label labels[2]; /* agent, [exporter] */
	size_t n_labels;
	size_t budget;	/* series this agent may still add */
	size_t dropped; /* series left out */
} ff_sm_agent;

/* Adds one of the aggregator's own samples of the agent within its bound. */
static int ff_sm_add(ff_sm_agent *a, const char *family, double v, bool integer, uint64_t u)
{
	if (a->budget == 0) {
		a->dropped++;
		return 0;
	}
	a->budget--;
	return integer ? ff_prom_add_u64(a->p, family, "", a->labels, a->n_labels, u)
		       : ff_prom_add(a->p, family, "", a->labels, a->n_labels, v);
}

/* One counter of the agent's Hello as a sample, within the agent's bound. */
static int ff_sm_counter(ff_sm_agent *a, enum ff_metric_scope scope, const char *name, uint64_t v)
{
	if (a->budget == 0) {
		a->dropped++;
		return 0;
	}
	a->budget--;
	ff_metric_sample m;
	ff_metric_names_map(scope, name, v, &m);
	return ff_metric_sample_add(a->p, &m, a->labels, a->n_labels);
}

/* Every counter of a Hello's counters object; jansson's integers carry u64 bits as signed. */
static int ff_sm_counters(ff_sm_agent *a, const json_t *counters, enum ff_metric_scope scope)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)counters, name, v)
	{
		if (!json_is_integer(v))
			continue;
		int rc = ff_sm_counter(a, scope, name, (uint64_t)json_integer_value(v));
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int ff_sm_exporters(ff_sm_agent *a, const json_t *exporters)
{
	size_t i;
	json_t *e;
	json_array_foreach(exporters, i, e)
	{
		const char *addr = json_string_value(json_object_get(e, "address"));
		a->labels[1] = (ff_prom_label){"exporter", addr != NULL ? addr : "?"};
		a->n_labels = 2;
		int rc = ff_sm_counters(a, json_object_get(e, "counters"), FF_METRIC_EXPORTER);
		a->n_labels = 1;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int ff_sm_info(ff_sm_agent *a, const ff_session *s)
{
	char epoch[17], proto[12];
	snprintf(epoch, sizeof epoch, "%016" PRIx64, s->epoch);
	snprintf(proto, sizeof proto, "%u", s->protocol_version);
	ff_prom_label l[5] = {a->labels[0],
			      {"hostname", s->hostname},
			      {"version", s->version},
			      {"epoch", epoch},
			      {"protocol_version", proto}};
	a->budget--;
	return ff_prom_add_u64(a->p, "flowfleet_agent_info", "", l, 5, 1);
}

/* What the aggregator itself knows of the agent. */
static int ff_sm_own_samples(ff_sm_agent *a, const ff_session *s, uint64_t now_ms)
{
	int rc = ff_sm_info(a, s);
	double ago = now_ms > s->last_seen_ms ? (double)(now_ms - s->last_seen_ms) / 1000.0 : 0;
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_last_seen_seconds", ago, false, 0);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_stored_batches_total", 0, true, s->batches);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_duplicate_batches_total", 0, true,
			       s->duplicates);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_stored_records_total", 0, true, s->records);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_state_conflicts_total", 0, true,
			       s->state_conflicts);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_policy_version", 0, true, s->policy_applied);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_policy_current", 0, true,
			       s->policy_applied == s->policy_expected);
	return rc;
}

static int ff_sm_session(ff_prom *p, const ff_session *s, uint64_t now_ms, size_t max_series)
{
	/* The info and the dropped gauge always show, whatever the bound. */
	ff_sm_agent a = {.p = p, .n_labels = 1, .budget = max_series > 2 ? max_series - 1 : 1};
	a.labels[0] = (ff_prom_label){"agent", s->id};
	int rc = ff_sm_own_samples(&a, s, now_ms);
	if (rc == 0 && s->counters != NULL)
		rc = ff_sm_counters(&a, s->counters, FF_METRIC_AGENT);
	if (rc == 0 && s->exporters != NULL)
		rc = ff_sm_exporters(&a, s->exporters);
	if (rc == 0 && s->exps != NULL)
		rc = ff__session_exps_metrics(s->exps, p, s->id, now_ms, &a.budget, &a.dropped);
	if (rc == 0 && s->ifs != NULL)
		rc = ff__session_ifs_metrics(s->ifs, p, s->id, &a.budget, &a.dropped);
	if (rc == 0 && a.dropped > 0)
		rc = ff_prom_add_u64(p, "flowfleet_metrics_series_dropped", "", a.labels, 1,
				     a.dropped);
	return rc;
}

int ff_sessions_metrics(ff_sessions *r, ff_prom *p, uint64_t now_ms, size_t max_series)
{
	int rc = ff_prom_declare(p, "flowfleet_agents", FF_PROM_GAUGE,
				 "Agents the aggregator knows (heard from, or found in the store).");
	if (rc == 0)
		rc = ff_prom_declare(p, "flowfleet_agents_refused_total", FF_PROM_COUNTER,
				     "New agent ids refused because --max-agents was reached.");
	if (rc == 0)
		rc = ff_sm_declare(p);
	pthread_mutex_lock(&r->mu);
	if (rc == 0)
		rc = ff_prom_add_u64(p, "flowfleet_agents", "", NULL, 0, r->n);
	if (rc == 0)
		rc = ff_prom_add_u64(p, "flowfleet_agents_refused_total", "", NULL, 0, r->refused);
	for (size_t i = 0; rc == 0 && i < r->n; i++)
		rc = ff_sm_session(p, r->v[i], now_ms, max_series);
	pthread_mutex_unlock(&r->mu);
	return rc;
}
