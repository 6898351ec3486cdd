/*
 * The table of ff_metric_names.h. Each table ends in a catch-all, so every
 * counter maps somewhere.
 */
#include "ff_metric_names.h"

#include <errno.h>
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
    {"spool.bytes", FF_SM_EXACT, "flowfleet_agent_spool_bytes", G, NULL, 0,
     "Frame bytes of the batches kept until acknowledged, in memory and spooled."},
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
    {"sflow.counter_samples", FF_SM_EXACT, "flowfleet_exporter_sflow_polled_samples_total", C,
     NULL, 0, "sFlow counter samples (counter polling: interface counters and others) received."},
    {"datagrams.", FF_SM_PREFIX, "flowfleet_exporter_protocol_datagrams_total", C, "protocol", 0,
     "Export datagrams received from the exporter, by protocol."},
    {"decoded.", FF_SM_PREFIX, "flowfleet_exporter_protocol_records_total", C, "protocol", 0,
     "Flow records decoded from the exporter, by protocol."},
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

static int ff_sm_declare_table(ff_prom *p, const ff_sm_name *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = ff_prom_declare(p, t[i].family, t[i].type, t[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ff_metric_names_declare(ff_prom *p)
{
	int rc = ff_sm_declare_table(p, ff_sm_agent_names, FF_SM_N(ff_sm_agent_names));
	return rc != 0 ? rc : ff_sm_declare_table(p, ff_sm_exporter_names,
						  FF_SM_N(ff_sm_exporter_names));
}

static const ff_sm_name *ff_sm_match(const ff_sm_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i + 1 < n; i++) {
		size_t len = strlen(t[i].name);
		if (t[i].kind == FF_SM_EXACT ? strcmp(name, t[i].name) == 0
					     : strncmp(name, t[i].name, len) == 0)
			return &t[i];
	}
	return &t[n - 1];
}

/* "seq.lost.v5_flows": protocol v5, unit flows. */
static void ff_sm_seq_labels(const char *rest, ff_metric_sample *out)
{
	const char *us = strchr(rest, '_');
	int plen = us != NULL ? (int)(us - rest) : (int)strlen(rest);
	snprintf(out->text[0], sizeof out->text[0], "%.*s", plen < 31 ? plen : 31, rest);
	snprintf(out->text[1], sizeof out->text[1], "%s", us != NULL ? us + 1 : "");
	out->extra[0] = (ff_prom_label){"protocol", out->text[0]};
	out->extra[1] = (ff_prom_label){"unit", out->text[1]};
	out->n_extra = 2;
}

void ff_metric_names_map(enum ff_metric_scope scope, const char *counter, uint64_t v,
			 ff_metric_sample *out)
{
	const ff_sm_name *m = scope == FF_METRIC_AGENT
				  ? ff_sm_match(ff_sm_agent_names, FF_SM_N(ff_sm_agent_names), counter)
				  : ff_sm_match(ff_sm_exporter_names, FF_SM_N(ff_sm_exporter_names),
						counter);
	memset(out, 0, sizeof *out);
	out->family = m->family;
	const char *rest = counter + strlen(m->name);
	if (m->kind == FF_SM_PREFIX) {
		out->extra[0] = (ff_prom_label){m->label, rest};
		out->n_extra = 1;
	} else if (m->kind == FF_SM_SEQ) {
		ff_sm_seq_labels(rest, out);
	}
	out->is_double = m->scale != 0;
	out->value = (double)v * m->scale;
	out->count = v;
}

int ff_metric_sample_add(ff_prom *p, const ff_metric_sample *s, const ff_prom_label *labels,
			 size_t n)
{
	ff_prom_label all[6];
	if (n > 4)
		return -EINVAL;
	memcpy(all, labels, n * sizeof *labels);
	memcpy(all + n, s->extra, s->n_extra * sizeof *s->extra);
	size_t k = n + s->n_extra;
	return s->is_double ? ff_prom_add(p, s->family, "", all, k, s->value)
			    : ff_prom_add_u64(p, s->family, "", all, k, s->count);
}
