#ifndef FF_HTTP_IMPL_H
#define FF_HTTP_IMPL_H

/*
 * What the HTTP API's files share and no one else sees: the server
 * (http_server.c routes a request to its resource's handler) and one
 * handler per resource, each in its file. Handlers run on the event loop;
 * those that scan the store parse the request there and submit the query
 * to the pool (http_pool.h). Not part of any interface: ff__ names.
 */

#include "http_auth.h"
#include "http_conn.h"
#include "http_pool.h"
#include "http_requests.h"
#include "http_server.h"
#include "http_tls.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct ff_http {
	struct evhttp *http;
	ff_http_deps deps;
	ff__http_pool *pool;
	ff__http_tls *tls; /* NULL: plain http */
	ff__http_conns *conns;
	/* The listening socket and its accept back-off (http_listen.c). */
	struct evconnlistener *listener; /* owned by `http` once bound */
	struct event *accept_timer;
	uint64_t accept_pause_ms, accept_last_error_ms, accept_log_ms, accept_errors;
	ff__http_requests requests; /* answered, by path and code (http_requests.h) */
	uint64_t started_ms;	    /* wall clock at ff_http_start, for /metrics */
};

/*
 * Binds the API to addr:port (ADDR without brackets) on a listener whose
 * accept errors pause it instead of spinning. Returns 0, or -1 with errno.
 */
int ff__http_listen(ff_http *h, struct event_base *base, const char *addr, uint16_t port);
/* Forgets what ff__http_listen() registered, before `h` is freed. */
void ff__http_unlisten(ff_http *h);

/* A resource's handler: `params` is the parsed query string, freed after the call. */
typedef void ff__http_handler(ff_http *h, struct evhttp_request *req,
			      const struct evkeyvalq *params);

ff__http_handler ff__http_top;	   /* GET /api/v1/top (http_top.c) */
ff__http_handler ff__http_flows;   /* GET /api/v1/flows (http_flows.c) */
ff__http_handler ff__http_series;  /* GET /api/v1/series (http_series.c) */
ff__http_handler ff__http_agents;  /* GET /api/v1/agents (http_agents.c) */
ff__http_handler ff__http_interfaces; /* GET /api/v1/interfaces (http_interfaces.c) */
ff__http_handler ff__http_exporters;  /* GET /api/v1/exporters (http_exporters.c) */
ff__http_handler ff__http_healthz; /* GET /healthz (http_health.c) */
ff__http_handler ff__http_stats;   /* GET /api/v1/stats (http_health.c) */
ff__http_handler ff__http_metrics; /* GET /metrics (http_metrics.c) */

/*
 * Answers `req` when `path` is one of the agent key endpoints (after the
 * router's TLS and scope checks) and returns true; false otherwise.
 */
bool ff__http_trust_route(ff_http *h, struct evhttp_request *req, const char *path);

#endif
