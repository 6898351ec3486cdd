#include "agent_metrics.h"

#include "ff_flow.h"
#include "ff_log.h"
#include "ff_metric_iface.h"
#include "ff_metric_names.h"
#include "ff_prom.h"
#include "udp_listener.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A scrape is one small GET; nothing bigger is read, nobody is waited for long. */
#define FF_AGENT_METRICS_MAX_HEADERS 8192
#define FF_AGENT_METRICS_TIMEOUT_S   10
/* sFlow interfaces a scrape shows at most, as many as the aggregator keeps an agent. */
#define FF_AGENT_METRICS_MAX_IFS 4096

struct ff_agent_metrics {
	struct evhttp *http;
	ff_agent_metrics_fill_fn fill;
	void *arg;
};

static int ff_am_info(ff_prom *p, const ff_agent_metrics_view *v, const ff_prom_label *agent)
{
	char epoch[17];
	snprintf(epoch, sizeof epoch, "%016" PRIx64, v->epoch);
	ff_prom_label l[4] = {*agent,
			      {"hostname", v->hostname != NULL ? v->hostname : ""},
			      {"version", FF_VERSION},
			      {"epoch", epoch}};
	int rc = ff_prom_declare(p, "flowfleet_agent_info", FF_PROM_GAUGE,
				 "1, with the agent's host name, version and epoch as labels.");
	if (rc == 0)
		rc = ff_prom_add_u64(p, "flowfleet_agent_info", "", l, 4, 1);
	if (rc == 0)
		rc = ff_prom_declare(p, "flowfleet_agent_policy_version", FF_PROM_GAUGE,
				     "The policy version the agent applies.");
	if (rc == 0)
		rc = ff_prom_add_u64(p, "flowfleet_agent_policy_version", "", agent, 1,
				     v->policy_version);
	if (rc == 0)
		rc = ff_prom_declare(p, "process_start_time_seconds", FF_PROM_GAUGE,
				     "Start time of the process since the Unix epoch in seconds.");
	if (rc == 0)
		rc = ff_prom_add_u64(p, "process_start_time_seconds", "", NULL, 0,
				     v->started_ms / 1000);
	return rc;
}

static int ff_am_counters(ff_prom *p, const ff_agent_metrics_view *v, const ff_prom_label *agent)
{
	ff_counter_ref refs[FF_AGENT_N_COUNTERS];
	ff_agent_counters_list(&v->counters, refs);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < FF_AGENT_N_COUNTERS; i++) {
		ff_metric_sample m;
		ff_metric_names_map(FF_METRIC_AGENT, refs[i].name, refs[i].value, &m);
		rc = ff_metric_sample_add(p, &m, agent, 1);
	}
	return rc;
}

static int ff_am_exporters(ff_prom *p, ff_exporter_stats *s, const ff_prom_label *agent)
{
	size_t cursor = 0;
	const ff_exporter_counters *e;
	int rc = 0;
	while (rc == 0 && s != NULL && (e = ff_exporter_stats_next(s, &cursor)) != NULL) {
		char addr[FF_ADDR_STRLEN];
		ff_addr_format(e->addr, addr);
		ff_prom_label l[2] = {*agent, {"exporter", addr}};
		ff_counter_ref refs[FF_EXPORTER_MAX_COUNTERS];
		size_t n = ff_exporter_counters_list(e, refs);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			ff_metric_sample m;
			ff_metric_names_map(FF_METRIC_EXPORTER, refs[i].name, refs[i].value, &m);
			rc = ff_metric_sample_add(p, &m, l, 2);
		}
	}
	return rc;
}

static void ff_am_iface_view(const ff_sflow_if_counters *c, ff_metric_iface *m)
{
	*m = (ff_metric_iface){
	    .if_index = c->if_index,
	    .if_status = c->if_status,
	    .if_speed = c->if_speed,
	    .octets = {c->in_octets, c->out_octets},
	    .ucast = {c->in_ucast_pkts, c->out_ucast_pkts},
	    .mcast = {c->in_multicast_pkts, c->out_multicast_pkts},
	    .bcast = {c->in_broadcast_pkts, c->out_broadcast_pkts},
	    .errors = {c->in_errors, c->out_errors},
	    .discards = {c->in_discards, c->out_discards},
	};
	memcpy(m->exporter, c->agent, FF_ADDR_LEN);
}

/*
 * Every interface, up to the aggregator's per-agent bound of interfaces
 * (its table holds up to 65,536: a million lines is no scrape); the series
 * left out are counted in flowfleet_metrics_series_dropped.
 */
static int ff_am_interfaces(ff_prom *p, const ff_sflow_counters *c, const ff_prom_label *agent)
{
	size_t budget = FF_AGENT_METRICS_MAX_IFS * FF_METRIC_IFACE_SERIES, dropped = 0;
	int rc = ff_metric_iface_declare(p);
	size_t cursor = 0;
	const ff_sflow_if_counters *e;
	while (rc == 0 && c != NULL && (e = ff_sflow_counters_next(c, &cursor)) != NULL) {
		ff_metric_iface m;
		ff_am_iface_view(e, &m);
		rc = ff_metric_iface_add(p, agent->value, &m, &budget, &dropped);
	}
	if (rc == 0 && dropped > 0)
		rc = ff_prom_declare(p, "flowfleet_metrics_series_dropped", FF_PROM_GAUGE,
				     "Series left out of this scrape: past the interface bound.");
	if (rc == 0 && dropped > 0)
		rc = ff_prom_add_u64(p, "flowfleet_metrics_series_dropped", "", agent, 1, dropped);
	return rc;
}

char *ff_agent_metrics_render(const ff_agent_metrics_view *v, size_t *len)
{
	ff_prom *p = ff_prom_new();
	if (p == NULL)
		return NULL;
	ff_prom_label agent = {"agent", v->agent_id != NULL ? v->agent_id : ""};
	int rc = ff_am_info(p, v, &agent);
	if (rc == 0)
		rc = ff_metric_names_declare(p);
	if (rc == 0)
		rc = ff_am_counters(p, v, &agent);
	if (rc == 0)
		rc = ff_am_exporters(p, v->exporters, &agent);
	if (rc == 0)
		rc = ff_am_interfaces(p, v->interfaces, &agent);
	char *text = rc == 0 ? ff_prom_render(p, len) : NULL;
	ff_prom_free(p);
	return text;
}

static void ff_am_free_text(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	free((void *)data);
}

static void ff_am_reply(struct evhttp_request *req, char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();
	if (body == NULL || evbuffer_add_reference(body, text, len, ff_am_free_text, NULL) != 0) {
		if (body != NULL)
			evbuffer_free(body);
		free(text);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

static void ff_am_request(struct evhttp_request *req, void *arg)
{
	ff_agent_metrics *m = arg;
	const char *uri = evhttp_request_get_uri(req);
	size_t plen = uri != NULL ? strcspn(uri, "?") : 0;
	if (plen != strlen("/metrics") || strncmp(uri, "/metrics", plen) != 0) {
		evhttp_send_error(req, 404, "only /metrics is served here");
		return;
	}
	ff_agent_metrics_view v = {0};
	m->fill(m->arg, &v);
	size_t len = 0;
	char *text = ff_agent_metrics_render(&v, &len);
	ff_exporter_stats_free(v.exporters);
	ff_sflow_counters_free(v.interfaces);
	if (text == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	ff_am_reply(req, text, len);
}

static int ff_am_bind(ff_agent_metrics *m, struct event_base *base, const char *listen,
		      char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	unsigned ss_len = 0;
	if (ff_udp_parse_addr(listen, &ss, &ss_len) != 0) {
		snprintf(err, err_len, "--metrics '%s': expected ADDR:PORT", listen);
		return -1;
	}
	struct evconnlistener *l = evconnlistener_new_bind(
	    base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&ss, (int)ss_len);
	if (l == NULL || evhttp_bind_listener(m->http, l) == NULL) {
		if (l != NULL)
			evconnlistener_free(l);
		snprintf(err, err_len, "--metrics %s: cannot listen: %s", listen,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	return 0;
}

ff_agent_metrics *ff_agent_metrics_start(struct event_base *base, const char *listen,
					 ff_agent_metrics_fill_fn fill, void *arg, char *err,
					 size_t err_len)
{
	ff_agent_metrics *m = calloc(1, sizeof *m);
	if (m == NULL || (m->http = evhttp_new(base)) == NULL) {
		free(m);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	m->fill = fill;
	m->arg = arg;
	evhttp_set_max_headers_size(m->http, FF_AGENT_METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, FF_AGENT_METRICS_TIMEOUT_S);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(m->http, ff_am_request, m);
	if (ff_am_bind(m, base, listen, err, err_len) != 0) {
		ff_agent_metrics_free(m);
		return NULL;
	}
	ff_log_info("metrics: serving GET /metrics on %s", listen);
	return m;
}

void ff_agent_metrics_free(ff_agent_metrics *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
