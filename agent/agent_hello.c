#include "agent_hello.h"

#include "ff_frame.h"
#include "ff_time.h"
#include "flowfleet.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* Everything a Hello points into while it is packed; freed in one place. */
struct ff_hello_buf {
	Flowfleet__Label *labels;
	Flowfleet__Label **label_ptrs;
	char **label_text; /* writable copies split at '=' */
	Flowfleet__Counter counters[FF_AGENT_N_COUNTERS];
	Flowfleet__Counter *counter_ptrs[FF_AGENT_N_COUNTERS];
	Flowfleet__ExporterStats *exps;
	Flowfleet__ExporterStats **exp_ptrs;
	Flowfleet__Counter *exp_counters; /* 2 + FF_MAL_N + FF_EV_N per exporter */
	Flowfleet__Counter **exp_counter_ptrs;
	Flowfleet__MissingTemplate *missing; /* FF_EXPORTER_MAX_MISSING per exporter */
	Flowfleet__MissingTemplate **missing_ptrs;
	Flowfleet__InterfaceCounters *ifs;
	Flowfleet__InterfaceCounters **if_ptrs;
	size_t n_labels, n_exps, n_ifs;
};

static void ff_hello_buf_free(struct ff_hello_buf *b)
{
	for (size_t i = 0; b->label_text != NULL && i < b->n_labels; i++)
		free(b->label_text[i]);
	free(b->label_text);
	free(b->labels);
	free(b->label_ptrs);
	free(b->exps);
	free(b->exp_ptrs);
	free(b->exp_counters);
	free(b->exp_counter_ptrs);
	free(b->missing);
	free(b->missing_ptrs);
	free(b->ifs);
	free(b->if_ptrs);
}

static int ff_hello_labels(const ff_strlist *l, struct ff_hello_buf *b)
{
	size_t n = l != NULL ? l->n : 0;
	b->labels = calloc(n + 1, sizeof *b->labels);
	b->label_ptrs = calloc(n + 1, sizeof *b->label_ptrs);
	b->label_text = calloc(n + 1, sizeof *b->label_text);
	if (b->labels == NULL || b->label_ptrs == NULL || b->label_text == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *t = strdup(l->v[i]);
		if (t == NULL)
			return -1;
		b->label_text[b->n_labels++] = t;
		char *eq = strchr(t, '=');
		flowfleet__label__init(&b->labels[i]);
		if (eq != NULL)
			*eq = '\0';
		b->labels[i].key = t;
		b->labels[i].value = eq != NULL ? eq + 1 : (char *)"";
		b->label_ptrs[i] = &b->labels[i];
	}
	return 0;
}

static void ff_hello_counter(Flowfleet__Counter *c, const char *name, uint64_t v)
{
	flowfleet__counter__init(c);
	c->name = (char *)name;
	c->value = v;
}

/* The template ids of `d` still waiting for their template; the message borrows nothing. */
static void ff_hello_missing(const ff_exporter_diag *d, Flowfleet__ExporterStats *x,
			     Flowfleet__MissingTemplate *m, Flowfleet__MissingTemplate **mp)
{
	for (uint32_t i = 0; i < d->n_missing; i++) {
		flowfleet__missing_template__init(&m[i]);
		m[i].domain = d->missing[i].domain;
		m[i].template_id = d->missing[i].template_id;
		m[i].data_sets = d->missing[i].data_sets;
		m[i].first_ms = d->missing[i].first_ms;
		m[i].last_ms = d->missing[i].last_ms;
		mp[i] = &m[i];
	}
	x->missing_templates = mp;
	x->n_missing_templates = d->n_missing;
	x->missing_templates_unlisted = d->missing_unlisted;
}

/* What the aggregator's exporter diagnosis reads beside the counters (docs/operations.md). */
static void ff_hello_diag(const ff_exporter_counters *e, uint64_t now_ms,
			  Flowfleet__ExporterStats *x)
{
	const ff_exporter_diag *d = &e->diag;
	x->last_datagram_ms = d->last_datagram_ms;
	x->datagram_interval_ms = d->has_interval ? d->interval_ms : 0;
	x->last_template_ms = d->last_template_ms;
	x->sampling_rate = d->sampling_rate;
	x->sampling_source = (Flowfleet__SamplingSource)d->sampling_source;
	x->clock_offset_ms = ff_exporter_clock_offset(e, now_ms);
}

/* Adds one exporter's counters (ff_exporter_counters_list) and diagnosis. */
static void ff_hello_exporter(const ff_exporter_counters *e, Flowfleet__ExporterStats *x,
			      Flowfleet__Counter *c, Flowfleet__Counter **cp)
{
	flowfleet__exporter_stats__init(x);
	x->address.data = (uint8_t *)e->addr;
	x->address.len = FF_ADDR_LEN;
	ff_counter_ref refs[FF_EXPORTER_MAX_COUNTERS];
	size_t n = ff_exporter_counters_list(e, refs);
	for (size_t i = 0; i < n; i++) {
		ff_hello_counter(&c[i], refs[i].name, refs[i].value);
		cp[i] = &c[i];
	}
	x->counters = cp;
	x->n_counters = n;
}

static int ff_hello_exporters(const ff_exporter_stats *s, uint64_t now_ms, struct ff_hello_buf *b)
{
	size_t n = s != NULL ? ff_exporter_stats_count_exporters(s) : 0;
	size_t per = FF_EXPORTER_MAX_COUNTERS, mper = FF_EXPORTER_MAX_MISSING;
	b->exps = calloc(n + 1, sizeof *b->exps);
	b->exp_ptrs = calloc(n + 1, sizeof *b->exp_ptrs);
	b->exp_counters = calloc(n * per + 1, sizeof *b->exp_counters);
	b->exp_counter_ptrs = calloc(n * per + 1, sizeof *b->exp_counter_ptrs);
	b->missing = calloc(n * mper + 1, sizeof *b->missing);
	b->missing_ptrs = calloc(n * mper + 1, sizeof *b->missing_ptrs);
	if (b->exps == NULL || b->exp_ptrs == NULL || b->exp_counters == NULL ||
	    b->exp_counter_ptrs == NULL || b->missing == NULL || b->missing_ptrs == NULL)
		return -1;
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while (b->n_exps < n && (e = ff_exporter_stats_next(s, &cursor)) != NULL) {
		size_t i = b->n_exps++;
		ff_hello_exporter(e, &b->exps[i], &b->exp_counters[i * per],
				  &b->exp_counter_ptrs[i * per]);
		ff_hello_diag(e, now_ms, &b->exps[i]);
		ff_hello_missing(&e->diag, &b->exps[i], &b->missing[i * mper],
				 &b->missing_ptrs[i * mper]);
		b->exp_ptrs[i] = &b->exps[i];
	}
	return 0;
}

/* One interface's counters; the message borrows the table entry's address. */
static void ff_hello_interface(const ff_sflow_if_counters *v, Flowfleet__InterfaceCounters *m)
{
	flowfleet__interface_counters__init(m);
	m->exporter.data = (uint8_t *)v->agent;
	m->exporter.len = FF_ADDR_LEN;
	m->if_index = v->if_index;
	m->if_type = v->if_type;
	m->if_speed = v->if_speed;
	m->if_direction = v->if_direction;
	m->if_status = v->if_status;
	m->in_octets = v->in_octets;
	m->in_ucast_pkts = v->in_ucast_pkts;
	m->in_multicast_pkts = v->in_multicast_pkts;
	m->in_broadcast_pkts = v->in_broadcast_pkts;
	m->in_discards = v->in_discards;
	m->in_errors = v->in_errors;
	m->in_unknown_protos = v->in_unknown_protos;
	m->out_octets = v->out_octets;
	m->out_ucast_pkts = v->out_ucast_pkts;
	m->out_multicast_pkts = v->out_multicast_pkts;
	m->out_broadcast_pkts = v->out_broadcast_pkts;
	m->out_discards = v->out_discards;
	m->out_errors = v->out_errors;
	m->promiscuous_mode = v->promiscuous_mode;
	m->samples = v->samples;
	m->updated_ms = v->updated_ms;
}

static int ff_hello_interfaces(const ff_sflow_counters *c, struct ff_hello_buf *b)
{
	size_t n = c != NULL ? ff_sflow_counters_count(c) : 0;
	b->ifs = calloc(n + 1, sizeof *b->ifs);
	b->if_ptrs = calloc(n + 1, sizeof *b->if_ptrs);
	if (b->ifs == NULL || b->if_ptrs == NULL)
		return -1;
	size_t cursor = 0;
	const ff_sflow_if_counters *v;
	while (b->n_ifs < n && (v = ff_sflow_counters_next(c, &cursor)) != NULL) {
		ff_hello_interface(v, &b->ifs[b->n_ifs]);
		b->if_ptrs[b->n_ifs] = &b->ifs[b->n_ifs];
		b->n_ifs++;
	}
	return 0;
}

static int ff_hello_pack(const Flowfleet__Hello *msg, uint8_t **frame, size_t *len)
{
	size_t plen = flowfleet__hello__get_packed_size(msg);
	uint8_t *packed = malloc(plen ? plen : 1);
	if (packed == NULL)
		return -ENOMEM;
	flowfleet__hello__pack(msg, packed);
	int rc = ff_frame_encode(FF_MSG_HELLO, packed, plen, frame, len);
	free(packed);
	return rc;
}

int ff_agent_hello_encode(const ff_agent_hello *h, uint8_t **frame, size_t *len)
{
	struct ff_hello_buf b;
	memset(&b, 0, sizeof b);
	int rc = -ENOMEM;
	uint64_t now_ms = h->now_ms != 0 ? h->now_ms : ff_time_now_ms();
	if (ff_hello_labels(h->labels, &b) != 0 ||
	    ff_hello_exporters(h->exporters, now_ms, &b) != 0 ||
	    ff_hello_interfaces(h->interfaces, &b) != 0)
		goto out;
	ff_counter_ref refs[FF_AGENT_N_COUNTERS];
	ff_agent_counters_list(h->counters, refs);
	for (size_t i = 0; i < FF_AGENT_N_COUNTERS; i++) {
		ff_hello_counter(&b.counters[i], refs[i].name, refs[i].value);
		b.counter_ptrs[i] = &b.counters[i];
	}
	Flowfleet__Hello msg = FLOWFLEET__HELLO__INIT;
	msg.protocol_version = h->protocol_version != 0 ? h->protocol_version : FF_PROTOCOL_VERSION;
	msg.agent_id = (char *)h->agent_id;
	msg.hostname = (char *)(h->hostname ? h->hostname : "");
	msg.labels = b.label_ptrs;
	msg.n_labels = b.n_labels;
	msg.epoch = h->epoch;
	msg.software_version = (char *)FF_VERSION;
	msg.started_ms = h->started_ms;
	msg.policy_version = h->policy_version;
	msg.counters = b.counter_ptrs;
	msg.n_counters = FF_AGENT_N_COUNTERS;
	msg.exporters = b.exp_ptrs;
	msg.n_exporters = b.n_exps;
	msg.sent_ms = now_ms;
	msg.interfaces = b.if_ptrs;
	msg.n_interfaces = b.n_ifs;
	if (h->enroll_token != NULL)
		msg.enroll_token = (char *)h->enroll_token;
	rc = ff_hello_pack(&msg, frame, len);
out:
	ff_hello_buf_free(&b);
	return rc;
}
