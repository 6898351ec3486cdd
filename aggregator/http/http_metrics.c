/*
 * GET /metrics: the whole fleet in one Prometheus scrape (docs/metrics.md).
 * Answered on the event loop from counters every module already keeps, so
 * a scrape never waits behind a query; building it takes a few ms even for
 * hundreds of agents (docs/benchmarks.md).
 */
#include "ff_err.h"
#include "ff_prom.h"
#include "ff_time.h"
#include "http_impl.h"
#include "http_reply.h"
#include "ingest.h"
#include "session.h"
#include "trust.h"

#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int ff_metrics_add(ff_prom *p, const char *family, enum ff_prom_type t, const char *help,
			  const ff_prom_label *l, size_t n, uint64_t v)
{
	int rc = ff_prom_declare(p, family, t, help);
	return rc != 0 ? rc : ff_prom_add_u64(p, family, "", l, n, v);
}

/* Each integer member of `o` as one sample of `family`, its key the `label`'s value. */
static int ff_metrics_json_family(ff_prom *p, const char *family, const char *help,
				  const char *label, const json_t *o)
{
	int rc = ff_prom_declare(p, family, FF_PROM_COUNTER, help);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		if (rc != 0)
			break;
		if (!json_is_integer(v))
			continue;
		ff_prom_label l = {label, k};
		rc = ff_prom_add_u64(p, family, "", &l, 1, (uint64_t)json_integer_value(v));
	}
	return rc;
}

static int ff_metrics_ingest(ff_prom *p, const ff_ingest *ing)
{
	ff_ingest_stats s;
	ff_ingest_get_stats(ing, &s);
	int rc = ff_metrics_add(p, "flowfleet_ingest_messages_total", FF_PROM_COUNTER,
				"ZeroMQ messages received from agents.", NULL, 0, s.messages);
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_ingest_hellos_total", FF_PROM_COUNTER,
				    "Valid Hellos (agent heartbeats) received.", NULL, 0, s.hellos);
	const char *b = "flowfleet_ingest_batches_total";
	const struct {
		const char *result;
		uint64_t v;
	} batches[] = {{"stored", s.batches_stored},
		       {"duplicate", s.batches_duplicate},
		       {"conflicting", s.batches_conflicting},
		       {"rejected", s.batches_rejected}};
	if (rc == 0)
		rc = ff_prom_declare(p, b, FF_PROM_COUNTER,
				     "Batches received, by how they were acknowledged: stored, "
				     "duplicate, conflicting (stored: state restored or cloned), "
				     "rejected.");
	for (size_t i = 0; rc == 0 && i < sizeof batches / sizeof batches[0]; i++) {
		ff_prom_label l = {"result", batches[i].result};
		rc = ff_prom_add_u64(p, b, "", &l, 1, batches[i].v);
	}
	const char *r = "flowfleet_ingest_refused_total";
	const struct {
		const char *reason;
		uint64_t v;
	} refused[] = {{"bad_frame", s.bad_frame},     {"bad_hello", s.bad_hello},
		       {"bad_batch", s.bad_batch},     {"bad_policy_ack", s.bad_policy_ack},
		       {"unknown_type", s.unknown_type}, {"untrusted", s.untrusted}};
	if (rc == 0)
		rc = ff_prom_declare(p, r, FF_PROM_COUNTER,
				     "Messages from agents refused or dropped, by reason.");
	for (size_t i = 0; rc == 0 && i < sizeof refused / sizeof refused[0]; i++) {
		ff_prom_label l = {"reason", refused[i].reason};
		rc = ff_prom_add_u64(p, r, "", &l, 1, refused[i].v);
	}
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_ingest_store_errors_total", FF_PROM_COUNTER,
				    "Batches the store failed to append (acknowledged REJECTED).", NULL,
				    0, s.store_errors);
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_ingest_ack_send_errors_total", FF_PROM_COUNTER,
				    "Acknowledgements that could not be sent.", NULL, 0, s.send_errors);
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_ingest_policy_acks_total", FF_PROM_COUNTER,
				    "Policy acknowledgements received from agents.", NULL, 0,
				    s.policy_acks);
	return rc;
}

static int ff_metrics_queries(ff_prom *p, ff__http_pool *pool)
{
	ff__http_pool_stats s;
	ff__http_pool_get_stats(pool, &s);
	const char *q = "flowfleet_queries_total";
	int rc = ff_prom_declare(p, q, FF_PROM_COUNTER,
				 "Store queries (top, flows, series) by outcome: answered, busy "
				 "(refused at once: threads and queue full), timed_out, failed.");
	const struct {
		const char *result;
		uint64_t v;
	} res[] = {{"answered", s.run}, {"busy", s.busy}, {"timed_out", s.timed_out},
		   {"failed", s.failed}};
	for (size_t i = 0; rc == 0 && i < sizeof res / sizeof res[0]; i++) {
		ff_prom_label l = {"result", res[i].result};
		rc = ff_prom_add_u64(p, q, "", &l, 1, res[i].v);
	}
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_queries_running", FF_PROM_GAUGE,
				    "Queries running on the query threads.", NULL, 0, s.running);
	if (rc == 0)
		rc = ff_metrics_add(p, "flowfleet_queries_waiting", FF_PROM_GAUGE,
				    "Queries waiting for a query thread.", NULL, 0, s.waiting);
	const char *h = "flowfleet_query_duration_seconds";
	if (rc == 0)
		rc = ff_prom_declare(p, h, FF_PROM_HISTOGRAM,
				     "Time from a query's arrival to its answer, by kind.");
	for (int k = 0; rc == 0 && k < FF_HTTP_QUERY_KINDS; k++) {
		uint64_t cum[FF_HISTOGRAM_BUCKETS], count;
		double sum;
		ff_histogram_snapshot(ff__http_pool_latency(pool, (enum ff__http_query_kind)k), cum,
				      &count, &sum);
		ff_prom_label l = {"kind", ff__http_query_kind_name((enum ff__http_query_kind)k)};
		rc = ff_prom_add_histogram(p, h, &l, 1, ff_histogram_le_seconds, cum,
					   FF_HISTOGRAM_BUCKETS, count, sum);
	}
	return rc;
}

/* The JSON counters the auth, TLS and trust modules keep, as labelled families. */
static int ff_metrics_security(ff_prom *p, ff_http *h)
{
	json_t *auth = ff_http_auth_stats_json(h->deps.auth);
	int rc = auth == NULL ? -ENOMEM
			      : ff_metrics_json_family(p, "flowfleet_http_auth_refused_total",
						       "HTTP requests refused by the token check, by "
						       "reason.",
						       "reason", json_object_get(auth, "refused"));
	json_decref(auth);
	if (rc == 0 && h->tls != NULL) {
		json_t *tls = ff__http_tls_stats_json(h->tls);
		rc = tls == NULL ? -ENOMEM
				 : ff_metrics_json_family(p, "flowfleet_http_tls_events_total",
							  "HTTPS handshakes and their failures.",
							  "event", tls);
		json_decref(tls);
	}
	if (rc == 0 && h->deps.trust != NULL) {
		json_t *t = ff_trust_counters_json(h->deps.trust);
		rc = t == NULL ? -ENOMEM
			       : ff_metrics_json_family(p, "flowfleet_trust_events_total",
							"Agent key decisions and CURVE handshake "
							"outcomes, by event.",
							"event", t);
		json_decref(t);
	}
	return rc;
}

/* Open descriptors: the entries of /proc/self/fd, less the one reading it. */
static uint64_t ff_metrics_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return 0;
	uint64_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

static uint64_t ff_metrics_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;
	if (f == NULL)
		return 0;
	int got = fscanf(f, "%lu %lu", &size, &rss);
	fclose(f);
	return got == 2 ? (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static int ff_metrics_process(ff_prom *p, const ff_http *h)
{
	ff_prom_label v = {"version", FF_VERSION};
	int rc = ff_metrics_add(p, "flowfleet_build_info", FF_PROM_GAUGE,
				"1, with the aggregator's version as a label.", &v, 1, 1);
	struct rlimit rl;
	uint64_t max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
	if (rc == 0)
		rc = ff_metrics_add(p, "process_start_time_seconds", FF_PROM_GAUGE,
				    "Start time of the process since the Unix epoch in seconds.",
				    NULL, 0, h->started_ms / 1000);
	if (rc == 0)
		rc = ff_metrics_add(p, "process_resident_memory_bytes", FF_PROM_GAUGE,
				    "Resident memory size in bytes.", NULL, 0, ff_metrics_rss_bytes());
	if (rc == 0)
		rc = ff_metrics_add(p, "process_open_fds", FF_PROM_GAUGE,
				    "Number of open file descriptors.", NULL, 0, ff_metrics_open_fds());
	if (rc == 0)
		rc = ff_metrics_add(p, "process_max_fds", FF_PROM_GAUGE,
				    "Maximum number of open file descriptors.", NULL, 0, max_fds);
	return rc;
}

static int ff_metrics_build(ff_http *h, ff_prom *p)
{
	int rc = ff_metrics_process(p, h);
	if (rc == 0 && h->deps.ingest != NULL)
		rc = ff_metrics_ingest(p, h->deps.ingest);
	if (rc == 0 && h->deps.store != NULL)
		rc = ff_store_metrics(h->deps.store, p);
	if (rc == 0)
		rc = ff_metrics_queries(p, h->pool);
	if (rc == 0)
		rc = ff__http_requests_metrics(&h->requests, p);
	if (rc == 0)
		rc = ff_metrics_security(p, h);
	size_t max = h->deps.metrics_max_series ? h->deps.metrics_max_series
						: FF_SESSIONS_METRICS_MAX_SERIES;
	if (rc == 0 && h->deps.sessions != NULL)
		rc = ff_sessions_metrics(h->deps.sessions, p, ff_time_now_ms(), max);
	return rc;
}

static void ff_metrics_free_text(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	free((void *)data);
}

/* Sends `text` without a copy: the buffer frees it once written (a scrape can be megabytes). */
static void ff_metrics_send(struct evhttp_request *req, char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();
	if (body == NULL || evbuffer_add_reference(body, text, len, ff_metrics_free_text, NULL) != 0) {
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

void ff__http_metrics(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	(void)params;
	ff_prom *p = ff_prom_new();
	int rc = p != NULL ? ff_metrics_build(h, p) : -ENOMEM;
	size_t len = 0;
	char *text = rc == 0 ? ff_prom_render(p, &len) : NULL;
	ff_prom_free(p);
	if (text == NULL) {
		ff_http_reply_error(req, 500, "Internal Server Error",
				    rc == -ENOMEM || rc == 0 ? "out of memory" : ff_strerror(rc));
		return;
	}
	ff_metrics_send(req, text, len);
}
