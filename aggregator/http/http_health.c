/*
 * GET /healthz and GET /api/v1/stats: the aggregator's own state, answered
 * on the event loop at once, whatever queries the pool is running.
 */
#include "http_impl.h"
#include "http_reply.h"
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

void ff__http_stats(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	ff__http_pool_stats s;
	ff__http_pool_get_stats(h->pool, &s);
	json_t *tls = h->tls != NULL ? ff__http_tls_stats_json(h->tls) : NULL;
	ff_http_reply_json(
	    req, 200, "OK",
	    json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o?}", "queries",
		      "threads", (json_int_t)s.threads, "queue", (json_int_t)s.queue, "timeout_ms",
		      (json_int_t)s.timeout_ms, "running", (json_int_t)s.running, "waiting",
		      (json_int_t)s.waiting, "run", (json_int_t)s.run, "busy", (json_int_t)s.busy,
		      "timed_out", (json_int_t)s.timed_out, "failed", (json_int_t)s.failed, "auth",
		      ff_http_auth_stats_json(h->deps.auth), "tls", tls));
}
