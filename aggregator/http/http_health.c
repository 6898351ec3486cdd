/*
 * GET /healthz and GET /api/v1/stats: the aggregator's own state, answered
 * on the event loop at once, whatever queries the pool is running.
 */
#include "http_impl.h"
#include "http_reply.h"
#include "http_json.h"
#include "ingest.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

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

void ff__http_healthz(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	/* The store's own health covers the writes behind an ack (a seal on a full disk). */
	ff_store_health sh = {.writable = true};
	if (h->deps.store != NULL)
		ff_store_get_health(h->deps.store, &sh);
	char text[256];
	snprintf(text, sizeof text, "store not writable: %s\n", sh.reason);
	if (!sh.writable)
		ff_http_send_text(req, 503, "Service Unavailable", text);
	else if (h->deps.ingest == NULL || ff_ingest_store_ok(h->deps.ingest))
		ff_http_send_text(req, 200, "OK", "ok\n");
	else
		ff_http_send_text(req, 503, "Service Unavailable",
				  "store not writable: the last append failed\n");
}

static void ff_http_json_put(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, ff_http_json_u64(v));
}

/* The agents' connections (ingest_conns.h). */
static json_t *ff_http_ingest_conns_json(const ff_ingest_conn_stats *c)
{
	json_t *o = json_object();
	ff_http_json_put(o, "open", c->open);
	ff_http_json_put(o, "max", c->max);
	ff_http_json_put(o, "accepted", c->accepted);
	ff_http_json_put(o, "refused", c->refused);
	ff_http_json_put(o, "evicted_silent", c->evicted);
	ff_http_json_put(o, "dropped_silent", c->dropped_silent);
	ff_http_json_put(o, "handshake_failed", c->handshake_failed);
	ff_http_json_put(o, "accept_failed", c->accept_failed);
	return o;
}

/* The ingest's counters; refusals by reason, only those that happened. */
static json_t *ff_http_ingest_json(const ff_ingest *ing)
{
	if (ing == NULL)
		return json_null();
	ff_ingest_stats s;
	ff_ingest_get_stats(ing, &s);
	json_t *o = json_object(), *refused = json_object();
	ff_http_json_put(o, "messages", s.messages);
	ff_http_json_put(o, "hellos", s.hellos);
	ff_http_json_put(o, "batches_stored", s.batches_stored);
	ff_http_json_put(o, "batches_duplicate", s.batches_duplicate);
	ff_http_json_put(o, "batches_conflicting", s.batches_conflicting);
	ff_http_json_put(o, "batches_rejected", s.batches_rejected);
	ff_http_json_put(o, "bad_frame", s.bad_frame);
	ff_http_json_put(o, "bad_hello", s.bad_hello);
	ff_http_json_put(o, "bad_batch", s.bad_batch);
	ff_http_json_put(o, "store_errors", s.store_errors);
	ff_http_json_put(o, "unknown_type", s.unknown_type);
	ff_http_json_put(o, "send_errors", s.send_errors);
	ff_http_json_put(o, "untrusted", s.untrusted);
	for (int r = 0; r < FF_INGEST_REFUSED_COUNT; r++)
		if (s.refused[r] > 0)
			ff_http_json_put(refused, ff_ingest_refusal_name(r), s.refused[r]);
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, "connections", ff_http_ingest_conns_json(&s.conns));
	return o;
}

void ff__http_stats(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	ff__http_pool_stats s;
	ff__http_pool_get_stats(h->pool, &s);
	json_t *tls = h->tls != NULL ? ff__http_tls_stats_json(h->tls) : NULL;
	ff_http_reply_json(
	    req, 200, "OK",
	    json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o?, s:o, s:o}",
		      "queries",
		      "threads", (json_int_t)s.threads, "queue", (json_int_t)s.queue, "timeout_ms",
		      (json_int_t)s.timeout_ms, "running", (json_int_t)s.running, "waiting",
		      (json_int_t)s.waiting, "run", (json_int_t)s.run, "busy", (json_int_t)s.busy,
		      "timed_out", (json_int_t)s.timed_out, "failed", (json_int_t)s.failed, "auth",
		      ff_http_auth_stats_json(h->deps.auth), "tls", tls, "connections",
		      ff__http_conns_stats_json(h->conns), "ingest",
		      ff_http_ingest_json(h->deps.ingest)));
}
