/*
 * The registry as Prometheus families (session.h, ff_sessions_metrics):
 * what the aggregator counts per agent, and what each agent's last Hello
 * said of itself and of its exporters, renamed from the agent's dotted
 * counter names to Prometheus names in base units (docs/metrics.md).
 *
 * The agent's names are a table here, not derived by rule, so a name
 * means one thing in every scrape; a name the table does not know (a newer
 * agent) is still shown, as flowfleet_*_other_events_total{counter=...},
 * and the per-agent series bound keeps a hostile Hello's 256 counters and
 * 1,024 exporters from becoming a scrape of a million lines.
 */
#include "session_impl.h"

#include "ff_prom.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* How a counter name becomes a sample. */
enum ff_sm_kind {
	FF_SM_EXACT,  /* the whole name matches */
	FF_SM_PREFIX, /* the name starts with `name`; the rest is the label's value */
	FF_SM_SEQ,    /* "seq.lost.PROTO_UNIT": labels protocol and unit */
};

typedef struct ff_sm_name {
	const char *name;
	enum ff_sm_kind kind;
	const char *family;
	enum ff_prom_type type;
	const char *label; /* FF_SM_PREFIX: the label's name */
	double scale;	   /* 0: the value as it is; else a factor (ms -> s) */
	const char *help;
} ff_sm_name;

#define C FF_PROM_COUNTER
#define G FF_PROM_GAUGE

static const ff_sm_name ff_sm_agent_names[] = {
    {"udp.datagrams", FF_SM_EXACT, "flowfleet_agent_udp_datagrams_total", C, NULL, 0,
     "Datagrams the agent received on its UDP sockets."},
    {"udp.bytes", FF_SM_EXACT, "flowfleet_agent_udp_received_bytes_total", C, NULL, 0,
     "Bytes of the datagrams the agent received."},
    {"udp.drops", FF_SM_EXACT, "flowfleet_agent_udp_kernel_drops_total", C, NULL, 0,
     "Datagrams the kernel dropped for lack of socket buffer (SO_RXQ_OVFL)."},
    {"udp.errors", FF_SM_EXACT, "flowfleet_agent_udp_errors_total", C, NULL, 0,
     "Receive errors and datagrams truncated by the receive buffer."},
    {"records.decoded", FF_SM_EXACT, "flowfleet_agent_records_decoded_total", C, NULL, 0,
     "Flow records the agent decoded."},
    {"records.filtered", FF_SM_EXACT, "flowfleet_agent_records_filtered_total", C, NULL, 0,
     "Decoded records the policy's filter or sampler dropped."},
    {"records.sent", FF_SM_EXACT, "flowfleet_agent_records_sent_total", C, NULL, 0,
     "Summarized records the agent sent in batches."},
    {"batches.pending", FF_SM_EXACT, "flowfleet_agent_batches_unacknowledged", G, NULL, 0,
     "Batches sent or spooled and not yet acknowledged."},
    {"batches.", FF_SM_PREFIX, "flowfleet_agent_batches_total", C, "event", 0,
     "Batches by what happened to them (flushed, sent, acked, resent, dropped, rejected)."},
    {"bytes.sent", FF_SM_EXACT, "flowfleet_agent_sent_bytes_total", C, NULL, 0,
     "Frame bytes of batches sent the first time."},
    {"frames.bad", FF_SM_EXACT, "flowfleet_agent_bad_frames_total", C, NULL, 0,
     "Malformed or unknown frames the agent received from the aggregator."},
    {"handoff.drops", FF_SM_EXACT, "flowfleet_agent_handoff_dropped_records_total", C, NULL, 0,
     "Decoded records lost because a receive thread's hand-off ring was full."},
    {"summarizer.early_flushes", FF_SM_EXACT, "flowfleet_agent_early_flushes_total", C, NULL, 0,
     "Batches sent before the interval ended because --max-keys was reached."},
    {"handshake.failures", FF_SM_EXACT, "flowfleet_agent_handshake_failures_total", C, NULL, 0,
     "Connections whose CURVE handshake failed (server key not proved, or never finished)."},
    {"handshake.refused", FF_SM_EXACT, "flowfleet_agent_handshake_refused_total", C, NULL, 0,
     "Handshakes the aggregator refused: the agent's key is pending, rejected or revoked."},
    {"state.epoch_renewals", FF_SM_EXACT, "flowfleet_agent_epoch_renewals_total", C, NULL, 0,
     "Epochs renewed because the aggregator found the agent's state restored or cloned."},
    {"ack_latency.p50_ms", FF_SM_EXACT, "flowfleet_agent_ack_latency_p50_seconds", G, NULL,
     0.001, "Median send-to-acknowledgement time of the agent's last batches."},
    {"ack_latency.p99_ms", FF_SM_EXACT, "flowfleet_agent_ack_latency_p99_seconds", G, NULL,
     0.001, "99th percentile send-to-acknowledgement time of the agent's last batches."},
    {"ack_latency.max_ms", FF_SM_EXACT, "flowfleet_agent_ack_latency_max_seconds", G, NULL,
     0.001, "Longest send-to-acknowledgement time of the agent's last batches."},
    {"", FF_SM_PREFIX, "flowfleet_agent_other_events_total", C, "counter", 0,
     "Agent counters this aggregator has no name for (a newer agent), by the agent's name."},
};

static const ff_sm_name ff_sm_exporter_names[] = {
    {"packets", FF_SM_EXACT, "flowfleet_exporter_datagrams_total", C, NULL, 0,
     "Export datagrams received from the exporter."},
    {"records", FF_SM_EXACT, "flowfleet_exporter_records_total", C, NULL, 0,
     "Flow records decoded from the exporter."},
    {"malformed.", FF_SM_PREFIX, "flowfleet_exporter_malformed_datagrams_total", C, "reason", 0,
     "Datagrams from the exporter skipped as malformed, by reason."},
    {"seq.lost.", FF_SM_SEQ, "flowfleet_exporter_sequence_lost_total", C, NULL, 0,
     "What the exporter's sequence numbers say was lost on the way, by protocol and unit."},
    {"templates", FF_SM_EXACT, "flowfleet_exporter_templates_received_total", C, NULL, 0,
     "NetFlow v9 and IPFIX templates received from the exporter."},
    {"template.", FF_SM_PREFIX, "flowfleet_exporter_template_events_total", C, "event", 0,
     "Template events: replaced, withdrawn, refused (quota), evicted."},
    {"no_template", FF_SM_EXACT, "flowfleet_exporter_records_without_template_total", C, NULL,
     0, "Data records that came before their template and could not be held."},
    {"pending.", FF_SM_PREFIX, "flowfleet_exporter_pending_records_total", C, "event", 0,
     "Records held for a template that had not come: held, decoded later, expired."},
    {"options_records", FF_SM_EXACT, "flowfleet_exporter_options_records_total", C, NULL, 0,
     "Options records (sampling and the like) received from the exporter."},
    {"sflow.counter_samples", FF_SM_EXACT, "flowfleet_exporter_sflow_counter_samples_total", C,
     NULL, 0, "sFlow counter samples (interface counters) received from the exporter."},
    {"records.implausible", FF_SM_EXACT, "flowfleet_exporter_implausible_records_total", C,
     NULL, 0, "Records dropped: more bytes a packet than any packet holds."},
    {"records.clock_skewed", FF_SM_EXACT, "flowfleet_exporter_clock_skewed_records_total", C,
     NULL, 0, "Records stamped far outside the agent's clock (kept, aged by arrival)."},
    {"", FF_SM_PREFIX, "flowfleet_exporter_other_events_total", C, "counter", 0,
     "Exporter counters this aggregator has no name for (a newer agent), by the agent's name."},
};

#undef C
#undef G

#define FF_SM_N(t) (sizeof(t) / sizeof(t)[0])

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

static int ff_sm_declare_table(ff_prom *p, const ff_sm_name *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = ff_prom_declare(p, t[i].family, t[i].type, t[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int ff_sm_declare(ff_prom *p)
{
	for (size_t i = 0; i < FF_SM_N(ff_sm_own); i++) {
		int rc = ff_prom_declare(p, ff_sm_own[i].family, ff_sm_own[i].type, ff_sm_own[i].help);
		if (rc != 0)
			return rc;
	}
	int rc = ff_sm_declare_table(p, ff_sm_agent_names, FF_SM_N(ff_sm_agent_names));
	return rc != 0 ? rc : ff_sm_declare_table(p, ff_sm_exporter_names,
						  FF_SM_N(ff_sm_exporter_names));
}

/* One agent's scrape in progress: its labels and what its bound leaves. */
typedef struct ff_sm_agent {
	ff_prom *p;
	ff_prom_label labels[4]; /* agent, [exporter], then a table entry's own */
	size_t n_labels;
	size_t budget;	/* series this agent may still add */
	size_t dropped; /* series left out */
} ff_sm_agent;

/* Adds one sample within the agent's bound. */
static int ff_sm_add(ff_sm_agent *a, const char *family, size_t extra, double v, bool integer,
		     uint64_t u)
{
	if (a->budget == 0) {
		a->dropped++;
		return 0;
	}
	a->budget--;
	size_t n = a->n_labels + extra;
	return integer ? ff_prom_add_u64(a->p, family, "", a->labels, n, u)
		       : ff_prom_add(a->p, family, "", a->labels, n, v);
}

static const ff_sm_name *ff_sm_match(const ff_sm_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i].name);
		if (t[i].kind == FF_SM_EXACT ? strcmp(name, t[i].name) == 0
					     : strncmp(name, t[i].name, len) == 0)
			return &t[i];
	}
	return NULL; /* not reached: each table ends with a catch-all */
}

/* One counter of the agent's Hello as a sample. */
static int ff_sm_counter(ff_sm_agent *a, const ff_sm_name *t, size_t n, const char *name,
			 uint64_t v)
{
	const ff_sm_name *m = ff_sm_match(t, n, name);
	if (m == NULL)
		return 0;
	const char *rest = name + strlen(m->name);
	char proto[32], unit[32];
	size_t extra = 0;
	if (m->kind == FF_SM_PREFIX) {
		a->labels[a->n_labels] = (ff_prom_label){m->label, rest};
		extra = 1;
	} else if (m->kind == FF_SM_SEQ) {
		const char *us = strchr(rest, '_');
		size_t plen = us != NULL ? (size_t)(us - rest) : strlen(rest);
		snprintf(proto, sizeof proto, "%.*s", (int)(plen < 31 ? plen : 31), rest);
		snprintf(unit, sizeof unit, "%s", us != NULL ? us + 1 : "");
		a->labels[a->n_labels] = (ff_prom_label){"protocol", proto};
		a->labels[a->n_labels + 1] = (ff_prom_label){"unit", unit};
		extra = 2;
	}
	if (m->scale != 0)
		return ff_sm_add(a, m->family, extra, (double)v * m->scale, false, 0);
	return ff_sm_add(a, m->family, extra, 0, true, v);
}

/* Every counter of a Hello's counters object; jansson's integers carry u64 bits as signed. */
static int ff_sm_counters(ff_sm_agent *a, const json_t *counters, const ff_sm_name *t, size_t n)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)counters, name, v)
	{
		if (!json_is_integer(v))
			continue;
		int rc = ff_sm_counter(a, t, n, name, (uint64_t)json_integer_value(v));
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
		int rc = ff_sm_counters(a, json_object_get(e, "counters"), ff_sm_exporter_names,
					FF_SM_N(ff_sm_exporter_names));
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
		rc = ff_sm_add(a, "flowfleet_agent_last_seen_seconds", 0, ago, false, 0);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_stored_batches_total", 0, 0, true, s->batches);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_duplicate_batches_total", 0, 0, true,
			       s->duplicates);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_stored_records_total", 0, 0, true, s->records);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_state_conflicts_total", 0, 0, true,
			       s->state_conflicts);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_policy_version", 0, 0, true, s->policy_applied);
	if (rc == 0)
		rc = ff_sm_add(a, "flowfleet_agent_policy_current", 0, 0, true,
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
		rc = ff_sm_counters(&a, s->counters, ff_sm_agent_names, FF_SM_N(ff_sm_agent_names));
	if (rc == 0 && s->exporters != NULL)
		rc = ff_sm_exporters(&a, s->exporters);
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
