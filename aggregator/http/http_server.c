#include "http_server.h"

#include "ff_config.h"
#include "ff_element.h"
#include "ff_log.h"
#include "ff_time.h"
#include "http_reply.h"
#include "ff_filter.h"
#include "query_flows.h"
#include "query_series.h"
#include "query_topn.h"

#include <errno.h>
#include <inttypes.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

/* Requests are small GETs; anything larger is not for us. */
#define FF_HTTP_MAX_BODY     65536
#define FF_HTTP_MAX_HEADERS  16384
#define FF_HTTP_TIMEOUT_S    30
#define FF_HTTP_DEFAULT_STAT "srcip/flows"
#define FF_HTTP_DEFAULT_N    10
/* A listing without a limit stays a page, not the whole store. */
#define FF_HTTP_DEFAULT_LIMIT 1000
#define FF_HTTP_DEFAULT_BIN_MS 60000
/* A series without since covers the last hour, what a dashboard graph shows. */
#define FF_HTTP_DEFAULT_SPAN_MS (3600 * 1000)

struct ff_http {
	struct evhttp *http;
	ff_http_deps deps;
};

int ff_http_parse_listen(const char *text, char *addr, size_t addr_len, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	if (colon == NULL || colon == text)
		return -1;
	const char *a = text;
	size_t n = (size_t)(colon - text);
	if (text[0] == '[') {
		if (colon[-1] != ']' || n < 3)
			return -1;
		a++;
		n -= 2;
	}
	uint64_t p;
	if (n >= addr_len || ff_parse_uint(colon + 1, &p) != 0 || p == 0 || p > 65535)
		return -1;
	memcpy(addr, a, n);
	addr[n] = '\0';
	*port = (uint16_t)p;
	return 0;
}

/* --- answers (JSON ones are in http_reply.c) -------------------------------- */

static void ff_http_send_text(struct evhttp_request *req, int code, const char *reason,
			      const char *text)
{
	struct evbuffer *body = evbuffer_new();
	if (body == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add(body, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

/* --- GET /api/v1/top ------------------------------------------------------- */

/*
 * A time bound: unix milliseconds (digits only), or a duration with a unit
 * ("90s", "1h", "7d") meaning that long before now.
 */
static int ff_http_time_param(const char *name, const char *v, uint64_t *out, char *err,
			      size_t err_len)
{
	uint64_t x;
	if (v == NULL)
		return 0;
	size_t digits = strspn(v, "0123456789");
	if (digits > 0 && v[digits] == '\0' && ff_parse_uint(v, &x) == 0) {
		*out = x;
		return 0;
	}
	uint64_t now = ff_time_now_ms();
	if (digits > 0 && ff_parse_duration_ms(v, &x) == 0 && x <= now) {
		*out = now - x;
		return 0;
	}
	snprintf(err, err_len,
		 "%s must be unix milliseconds or a duration before now such as 90s, 1h, 7d, "
		 "not '%.64s'",
		 name, v);
	return -1;
}

/* The selection every query takes; `filter` is owned (ff_filter_free()). */
typedef struct ff_http_scope {
	const char *agent; /* borrowed from the query string */
	uint64_t since_ms; /* 0: not given */
	uint64_t until_ms; /* 0: not given */
	ff_filter *filter; /* NULL: not given */
} ff_http_scope;

static int ff_http_agent_param(const char *agent, char *err, size_t err_len)
{
	if (agent == NULL || ff_agent_id_valid(agent))
		return 0;
	snprintf(err, err_len, "agent must be an agent id (1-%d characters of A-Z a-z 0-9 . _ -)",
		 FF_AGENT_ID_MAX);
	return -1;
}

/* Compiled once per request; the compiler's message names line and column. */
static int ff_http_filter_param(const char *text, ff_filter **out, char *err, size_t err_len)
{
	char msg[400];
	*out = NULL;
	if (text == NULL)
		return 0;
	if (ff_filter_compile(text, out, msg, sizeof msg) == 0)
		return 0;
	snprintf(err, err_len, "bad filter: %s", msg);
	return -1;
}

/* Reads agent, since, until and filter; on error writes the message for a 400. */
static int ff_http_scope_params(const struct evkeyvalq *params, ff_http_scope *sc, char *err,
				size_t err_len)
{
	memset(sc, 0, sizeof *sc);
	sc->agent = evhttp_find_header(params, "agent");
	if (ff_http_agent_param(sc->agent, err, err_len) != 0 ||
	    ff_http_time_param("since", evhttp_find_header(params, "since"), &sc->since_ms, err,
			       err_len) != 0 ||
	    ff_http_time_param("until", evhttp_find_header(params, "until"), &sc->until_ms, err,
			       err_len) != 0)
		return -1;
	if (sc->until_ms != 0 && sc->until_ms < sc->since_ms) {
		snprintf(err, err_len, "until (%" PRIu64 ") is before since (%" PRIu64 ")",
			 sc->until_ms, sc->since_ms);
		return -1;
	}
	return ff_http_filter_param(evhttp_find_header(params, "filter"), &sc->filter, err,
				    err_len);
}

static int ff_http_count_param(const char *name, const char *v, uint64_t max, uint64_t *out,
			       char *err, size_t err_len)
{
	if (v == NULL || (ff_parse_uint(v, out) == 0 && *out <= max))
		return 0;
	snprintf(err, err_len, "%s must be an integer from 0 to %" PRIu64 ", not '%.64s'", name,
		 max, v);
	return -1;
}

/* Reads the query parameters into *q; on error writes the message for a 400. */
static int ff_http_top_params(const struct evkeyvalq *params, const ff_http_scope *sc,
			      ff_topn_query *q, char *err, size_t err_len)
{
	const char *stat = evhttp_find_header(params, "stat");
	if (ff_element_parse_stat(stat ? stat : FF_HTTP_DEFAULT_STAT, &q->element, &q->order, err,
				  err_len) != 0)
		return -1;
	uint64_t nv = FF_HTTP_DEFAULT_N;
	if (ff_http_count_param("n", evhttp_find_header(params, "n"), SIZE_MAX, &nv, err,
				err_len) != 0)
		return -1;
	q->n = (size_t)nv;
	q->agent = sc->agent;
	q->since_ms = sc->since_ms;
	q->until_ms = sc->until_ms;
	q->filter = sc->filter;
	return 0;
}

static json_t *ff_http_row_json(const ff_topn_row *r)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "key", r->key, "flows",
			 (json_int_t)r->flows, "packets", (json_int_t)r->packets, "bytes",
			 (json_int_t)r->bytes, "first_ms", (json_int_t)r->first_ms, "last_ms",
			 (json_int_t)r->last_ms, "pps", (json_int_t)r->pps, "bps",
			 (json_int_t)r->bps, "bpp", (json_int_t)r->bpp);
}

/* The scope's members shared by every query's answer, added to `doc`. */
static json_t *ff_http_scope_json(json_t *doc, const ff_http_scope *sc)
{
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "agent", sc->agent ? json_string(sc->agent) : json_null());
	json_object_set_new(doc, "since_ms",
			    sc->since_ms ? json_integer((json_int_t)sc->since_ms) : json_null());
	json_object_set_new(doc, "until_ms",
			    sc->until_ms ? json_integer((json_int_t)sc->until_ms) : json_null());
	json_object_set_new(doc, "filter",
			    sc->filter ? json_string(ff_filter_source(sc->filter)) : json_null());
	return doc;
}

static json_t *ff_http_top_json(const ff_topn_query *q, const ff_http_scope *sc,
				const ff_topn_result *res)
{
	char stat[64];
	snprintf(stat, sizeof stat, "%s/%s", ff_element_name(q->element), ff_order_name(q->order));
	json_t *rows = json_array();
	for (size_t i = 0; rows != NULL && i < res->n_rows; i++)
		json_array_append_new(rows, ff_http_row_json(&res->rows[i]));
	const ff_topn_total *t = &res->total;
	json_t *doc = json_pack(
	    "{s:s, s:s, s:s, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I}}",
	    "stat", stat, "element", ff_element_name(q->element), "order", ff_order_name(q->order),
	    "n", (json_int_t)q->n, "rows", rows, "total", "rows", (json_int_t)t->rows, "flows",
	    (json_int_t)t->flows, "packets", (json_int_t)t->packets, "bytes", (json_int_t)t->bytes,
	    "records", (json_int_t)t->records, "first_ms", (json_int_t)t->first_ms, "last_ms",
	    (json_int_t)t->last_ms, "read", "segments", (json_int_t)t->read.segments,
	    "minute_rollups", (json_int_t)t->read.minute_rollups, "hour_rollups",
	    (json_int_t)t->read.hour_rollups, "passes", (json_int_t)t->passes, "partitions",
	    (json_int_t)t->partitions);
	return ff_http_scope_json(doc, sc);
}

static void ff_http_top(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	ff_topn_query q = {.mem_limit = (size_t)h->deps.query_memory};
	ff_http_scope sc;
	char err[512];
	if (ff_http_scope_params(params, &sc, err, sizeof err) != 0 ||
	    ff_http_top_params(params, &sc, &q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff_filter_free(sc.filter);
		return;
	}
	ff_topn_result res;
	if (ff_topn_run(h->deps.store, &q, &res) != 0) {
		ff_log_error("http: top %s/%s: out of memory", ff_element_name(q.element),
			     ff_order_name(q.order));
		ff_http_reply_error(req, 500, "Internal Server Error", "out of memory");
	} else {
		ff_http_reply_json(req, 200, "OK", ff_http_top_json(&q, &sc, &res));
		ff_topn_result_free(&res);
	}
	ff_filter_free(sc.filter);
}

/* --- GET /api/v1/flows ----------------------------------------------------- */

/* An address field, or "*" when a policy summarized it away. */
static json_t *ff_http_addr_json(const uint8_t *addr, bool wild)
{
	char text[FF_ADDR_STRLEN];
	return json_string(wild ? "*" : ff_addr_format(addr, text));
}

static json_t *ff_http_num_json(uint64_t v, bool wild)
{
	return wild ? json_string("*") : json_integer((json_int_t)v);
}

static json_t *ff_http_flow_json(const ff_flows_row *r)
{
	const ff_flow *f = &r->flow;
	uint32_t w = f->wildcards;
	return json_pack(
	    "{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, "
	    "s:I, s:I}",
	    "agent", r->agent, "first_ms", (json_int_t)f->first_ms, "last_ms",
	    (json_int_t)f->last_ms, "src", ff_http_addr_json(f->src_addr, w & FF_FIELD_SRC_ADDR),
	    "dst", ff_http_addr_json(f->dst_addr, w & FF_FIELD_DST_ADDR), "src_port",
	    ff_http_num_json(f->src_port, w & FF_FIELD_SRC_PORT), "dst_port",
	    ff_http_num_json(f->dst_port, w & FF_FIELD_DST_PORT), "proto",
	    ff_http_num_json(f->proto, w & FF_FIELD_PROTO), "tcp_flags",
	    ff_http_num_json(f->tcp_flags, w & FF_FIELD_TCP_FLAGS), "tos",
	    ff_http_num_json(f->tos, w & FF_FIELD_TOS), "in_if",
	    ff_http_num_json(f->in_if, w & FF_FIELD_IN_IF), "out_if",
	    ff_http_num_json(f->out_if, w & FF_FIELD_OUT_IF), "src_as",
	    ff_http_num_json(f->src_as, w & FF_FIELD_SRC_AS), "dst_as",
	    ff_http_num_json(f->dst_as, w & FF_FIELD_DST_AS), "exporter",
	    ff_http_addr_json(f->exporter, w & FF_FIELD_EXPORTER), "packets",
	    (json_int_t)f->packets, "bytes", (json_int_t)f->bytes, "flows", (json_int_t)f->flows,
	    "sampling_rate", (json_int_t)f->sampling_rate);
}

static json_t *ff_http_flows_json(const ff_flows_query *q, const ff_http_scope *sc,
				  const ff_flows_result *res)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows != NULL && i < res->n_rows; i++)
		json_array_append_new(rows, ff_http_flow_json(&res->rows[i]));
	json_t *doc = json_pack("{s:I, s:s, s:I, s:o}", "limit", (json_int_t)q->limit, "order",
				q->newest_first ? "desc" : "asc", "matched",
				(json_int_t)res->matched, "rows", rows);
	return ff_http_scope_json(doc, sc);
}

static int ff_http_flows_params(const struct evkeyvalq *params, const ff_http_scope *sc,
				ff_flows_query *q, char *err, size_t err_len)
{
	uint64_t limit = FF_HTTP_DEFAULT_LIMIT;
	const char *order = evhttp_find_header(params, "order");
	if (ff_http_count_param("limit", evhttp_find_header(params, "limit"), FF_FLOWS_MAX_LIMIT,
				&limit, err, err_len) != 0)
		return -1;
	if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		snprintf(err, err_len, "order must be asc (oldest first) or desc, not '%.64s'",
			 order);
		return -1;
	}
	*q = (ff_flows_query){.limit = limit ? (size_t)limit : FF_FLOWS_MAX_LIMIT,
			      .newest_first = order != NULL && strcmp(order, "desc") == 0,
			      .agent = sc->agent,
			      .since_ms = sc->since_ms,
			      .until_ms = sc->until_ms,
			      .filter = sc->filter};
	return 0;
}

static void ff_http_flows(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	ff_flows_query q;
	ff_http_scope sc;
	char err[512];
	if (ff_http_scope_params(params, &sc, err, sizeof err) != 0 ||
	    ff_http_flows_params(params, &sc, &q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff_filter_free(sc.filter);
		return;
	}
	ff_flows_result res;
	if (ff_flows_run(h->deps.store, &q, &res) != 0) {
		ff_log_error("http: flows limit %zu: out of memory", q.limit);
		ff_http_reply_error(req, 500, "Internal Server Error", "out of memory");
	} else {
		ff_http_reply_json(req, 200, "OK", ff_http_flows_json(&q, &sc, &res));
		ff_flows_result_free(&res);
	}
	ff_filter_free(sc.filter);
}

/* --- GET /api/v1/series ---------------------------------------------------- */

static int ff_http_series_params(const struct evkeyvalq *params, const ff_http_scope *sc,
				 ff_series_query *q, char *err, size_t err_len)
{
	const char *metric = evhttp_find_header(params, "metric");
	const char *bin = evhttp_find_header(params, "bin");
	uint64_t now = ff_time_now_ms();
	*q = (ff_series_query){.bin_ms = FF_HTTP_DEFAULT_BIN_MS, .agent = sc->agent,
			       .filter = sc->filter};
	if (metric != NULL && ff_series_metric_parse(metric, &q->metric) != 0) {
		snprintf(err, err_len, "metric must be bytes, packets or flows, not '%.64s'",
			 metric);
		return -1;
	}
	if (bin != NULL && (ff_parse_duration_ms(bin, &q->bin_ms) != 0 || q->bin_ms == 0)) {
		snprintf(err, err_len, "bin must be a duration such as 60s, 5m, 1h, not '%.64s'",
			 bin);
		return -1;
	}
	/*
	 * Without an end the series runs to the end of the current bin, so that
	 * it ends on a bin boundary and rollups can answer it (query_series.c).
	 */
	q->until_ms = sc->until_ms ? sc->until_ms : now - now % q->bin_ms + q->bin_ms - 1;
	q->since_ms = sc->since_ms ? sc->since_ms
		      : q->until_ms > FF_HTTP_DEFAULT_SPAN_MS ? q->until_ms - FF_HTTP_DEFAULT_SPAN_MS
							       : 0;
	uint64_t bins = ff_series_bins(q);
	if (bins == 0 || bins > FF_SERIES_MAX_BINS) {
		snprintf(err, err_len,
			 "the window from %" PRIu64 " to %" PRIu64 " holds %" PRIu64
			 " bins of %" PRIu64 " ms; at most %d are answered: use a larger bin",
			 q->since_ms, q->until_ms, bins, q->bin_ms, FF_SERIES_MAX_BINS);
		return -1;
	}
	return 0;
}

static json_t *ff_http_series_json(const ff_series_query *q, const ff_http_scope *sc,
				   const ff_series_result *res)
{
	json_t *points = json_array();
	for (size_t i = 0; points != NULL && i < res->n_bins; i++)
		json_array_append_new(points,
				      json_pack("{s:I, s:I}", "t",
						(json_int_t)(res->start_ms + i * q->bin_ms),
						"value", (json_int_t)res->values[i]));
	json_t *doc = json_pack("{s:s, s:I, s:I, s:I, s:o}", "metric",
				ff_series_metric_name(q->metric), "bin_ms", (json_int_t)q->bin_ms,
				"from_ms", (json_int_t)q->since_ms, "to_ms",
				(json_int_t)q->until_ms, "series", points);
	return ff_http_scope_json(doc, sc);
}

static void ff_http_series(ff_http *h, struct evhttp_request *req,
			   const struct evkeyvalq *params)
{
	ff_series_query q;
	ff_http_scope sc;
	char err[512];
	if (ff_http_scope_params(params, &sc, err, sizeof err) != 0 ||
	    ff_http_series_params(params, &sc, &q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff_filter_free(sc.filter);
		return;
	}
	ff_series_result res;
	if (ff_series_run(h->deps.store, &q, &res) != 0) {
		ff_log_error("http: series of %zu bins: out of memory", (size_t)ff_series_bins(&q));
		ff_http_reply_error(req, 500, "Internal Server Error", "out of memory");
	} else {
		ff_http_reply_json(req, 200, "OK", ff_http_series_json(&q, &sc, &res));
		ff_series_result_free(&res);
	}
	ff_filter_free(sc.filter);
}

/* --- GET /api/v1/agents, /healthz ------------------------------------------ */

static void ff_http_agents(ff_http *h, struct evhttp_request *req)
{
	json_t *agents = ff_sessions_to_json(h->deps.sessions);
	json_t *store = ff_store_stats_json(h->deps.store);
	json_t *doc = NULL;
	if (agents != NULL && store != NULL) {
		doc = json_pack("{s:I, s:o, s:o}", "now_ms", (json_int_t)ff_time_now_ms(), "agents",
				agents, "store", store);
	} else {
		json_decref(agents);
		json_decref(store);
	}
	ff_http_reply_json(req, 200, "OK", doc);
}

static void ff_http_healthz(ff_http *h, struct evhttp_request *req)
{
	if (h->deps.ingest == NULL || ff_ingest_store_ok(h->deps.ingest))
		ff_http_send_text(req, 200, "OK", "ok\n");
	else
		ff_http_send_text(req, 503, "Service Unavailable",
				  "store not writable: the last append failed\n");
}

/* --- routing ----------------------------------------------------------------- */

static void ff_http_dispatch(ff_http *h, struct evhttp_request *req, const char *path,
			     const char *query)
{
	struct evkeyvalq params;
	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", "malformed query string");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		ff_http_healthz(h, req);
	} else if (strcmp(path, "/api/v1/top") == 0) {
		ff_http_top(h, req, &params);
	} else if (strcmp(path, "/api/v1/flows") == 0) {
		ff_http_flows(h, req, &params);
	} else if (strcmp(path, "/api/v1/series") == 0) {
		ff_http_series(h, req, &params);
	} else if (strcmp(path, "/api/v1/agents") == 0) {
		ff_http_agents(h, req);
	} else {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "unknown path '%.128s'; paths: /healthz, /api/v1/top, /api/v1/flows, "
			 "/api/v1/series, /api/v1/agents",
			 path);
		ff_http_reply_error(req, 404, "Not Found", msg);
	}
	evhttp_clear_headers(&params);
}

static void ff_http_route(struct evhttp_request *req, void *arg)
{
	ff_http *h = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		ff_http_reply_error(req, 405, "Method Not Allowed", "only GET is supported");
		return;
	}
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || path[0] == '\0') {
		ff_http_reply_error(req, 400, "Bad Request", "malformed request URI");
		return;
	}
	ff_http_dispatch(h, req, path, evhttp_uri_get_query(uri));
}

ff_http *ff_http_start(struct event_base *base, const char *listen, const ff_http_deps *deps)
{
	char addr[256];
	uint16_t port;
	if (ff_http_parse_listen(listen, addr, sizeof addr, &port) != 0) {
		ff_log_error("http: listen address '%s' is not ADDR:PORT", listen);
		return NULL;
	}
	ff_http *h = calloc(1, sizeof *h);
	if (h == NULL || (h->http = evhttp_new(base)) == NULL) {
		ff_log_error("http: out of memory");
		free(h);
		return NULL;
	}
	h->deps = *deps;
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_body_size(h->http, FF_HTTP_MAX_BODY);
	evhttp_set_max_headers_size(h->http, FF_HTTP_MAX_HEADERS);
	evhttp_set_timeout(h->http, FF_HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, ff_http_route, h);
	if (deps->policy != NULL && ff_http_policy_register(deps->policy, h->http) != 0) {
		ff_http_free(h);
		return NULL;
	}
	if (evhttp_bind_socket(h->http, addr, port) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "http: bind to %s failed", listen);
		ff_http_free(h);
		return NULL;
	}
	return h;
}

void ff_http_free(ff_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}
