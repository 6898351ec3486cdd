#ifndef FF_HTTP_API_H
#define FF_HTTP_API_H

/*
 * The aggregator's HTTP API on libevent's evhttp, exactly as docs/api.md
 * specifies it (that document is the contract the CLI is written against):
 * GET /healthz, GET /api/v1/top, /api/v1/flows, /api/v1/series,
 * GET /api/v1/agents, /api/v1/stats. Answers are JSON (jansson); a bad
 * parameter gets 400 with {"error": ...} naming the valid words. Requests
 * are parsed and answered on the thread that runs the event base; the
 * queries (top, flows, series) run on a pool of query threads meanwhile,
 * and past its bounds are answered 503 with Retry-After.
 */

#include "http_auth.h"
#include "http_policy.h"
#include "ingest.h"
#include "session.h"
#include "store.h"
#include "trust.h"

#include <event2/event.h>

typedef struct ff_http ff_http;

/* What the handlers read; every pointer is borrowed and must outlive the ff_http. */
typedef struct ff_http_deps {
	ff_store *store;
	ff_sessions *sessions;
	const ff_ingest *ingest; /* for the store health of /healthz */
	ff_http_auth *auth;	 /* who may read and write (http_auth.h); required */
	ff_http_policy *policy;	 /* the /api/v1/policy endpoints (http_policy.h); may be NULL */
	ff_trust *trust;	 /* the agent keys (CURVE); NULL with --insecure-plaintext */
	const char *tls_cert;	 /* PEM certificate chain: HTTPS only; NULL with tls_key: HTTP */
	const char *tls_key;	 /* PEM private key of tls_cert */
	uint64_t query_memory;	 /* bytes a top-N's group tables may use; 0: the default */
	size_t query_threads;	 /* threads running queries; 0 acts as 1 */
	size_t query_queue;	 /* queries that may wait for a thread; more get 503 */
	uint64_t query_timeout_ms; /* a query not answered by then gets 503; 0 for none */
	size_t metrics_max_series; /* /metrics series per agent; 0: FF_SESSIONS_METRICS_MAX_SERIES */
} ff_http_deps;

/*
 * Splits "ADDR:PORT" ("[v6]:PORT" for IPv6) into its parts. `addr` holds
 * `addr_len` bytes. Returns 0, or -1 when the text is not of that form.
 */
int ff_http_parse_listen(const char *text, char *addr, size_t addr_len, uint16_t *port);

/*
 * Serves the API on `listen` ("ADDR:PORT") from `base`, over TLS when
 * deps->tls_cert is set. Every request but GET /healthz goes through
 * deps->auth: reads with FF_HTTP_SCOPE_READ, anything else with
 * FF_HTTP_SCOPE_ADMIN. Returns the server, or NULL with the reason logged
 * (bad address, port in use, unusable certificate or key).
 */
ff_http *ff_http_start(struct event_base *base, const char *listen, const ff_http_deps *deps);

/*
 * Stops serving and frees: waiting queries are answered 503, running ones
 * end (within their timeout) and are answered, then open connections are
 * closed. NULL is accepted.
 */
void ff_http_free(ff_http *h);

#endif
