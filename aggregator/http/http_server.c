/*
 * The HTTP server: evhttp set up on the daemon's event base, requests
 * routed by path to their resource's handler (one file each); the queries
 * among them run on the query pool (http_pool.h).
 */
#include "ff_config.h"
#include "ff_log.h"
#include "ff_time.h"
#include "http_impl.h"
#include "http_reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

/* Requests are small GETs; anything larger is not for us. */
#define FF_HTTP_MAX_BODY    65536
#define FF_HTTP_MAX_HEADERS 16384
#define FF_HTTP_TIMEOUT_S   30

static const struct {
	const char *path;
	ff__http_handler *handler;
} ff_http_routes[] = {
    {"/healthz", ff__http_healthz},	 {"/api/v1/top", ff__http_top},
    {"/api/v1/flows", ff__http_flows},	 {"/api/v1/series", ff__http_series},
    {"/api/v1/agents", ff__http_agents}, {"/api/v1/stats", ff__http_stats},
    {"/metrics", ff__http_metrics},
    {"/api/v1/interfaces", ff__http_interfaces},
    {"/api/v1/exporters", ff__http_exporters},
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

static void ff_http_not_found(struct evhttp_request *req, const char *path)
{
	char msg[320];
	snprintf(msg, sizeof msg,
		 "unknown path '%.128s'; paths: /healthz, /metrics, /api/v1/top, /api/v1/flows, "
		 "/api/v1/series, /api/v1/agents, /api/v1/interfaces, /api/v1/exporters, "
		 "/api/v1/stats",
		 path);
	ff_http_reply_error(req, 404, "Not Found", msg);
}

static void ff_http_dispatch(ff_http *h, struct evhttp_request *req, const char *path,
			     const char *query)
{
	struct evkeyvalq params;
	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", "malformed query string");
		return;
	}
	size_t i = 0, n = sizeof ff_http_routes / sizeof ff_http_routes[0];
	while (i < n && strcmp(path, ff_http_routes[i].path) != 0)
		i++;
	if (i < n)
		ff_http_routes[i].handler(h, req, &params);
	else
		ff_http_not_found(req, path);
	evhttp_clear_headers(&params);
}

/* GET and HEAD read; anything else writes (only the policy takes a POST today). */
static enum ff_http_scope ff_http_needed_scope(struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (strcmp(path, "/healthz") == 0)
		return FF_HTTP_SCOPE_NONE;
	return cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD ? FF_HTTP_SCOPE_READ
							       : FF_HTTP_SCOPE_ADMIN;
}

/* A reply went out: counted by path and code, and its connection waits for the next request. */
static void ff_http_on_complete(struct evhttp_request *req, void *arg)
{
	ff_http *h = arg;
	ff__http_requests_count(&h->requests, req);
	ff__http_conns_answered(h->conns, req);
}

/* Every request comes here first: TLS, then the scope, then the resource. */
static void ff_http_route(struct evhttp_request *req, void *arg)
{
	ff_http *h = arg;
	ff__http_conns_request(h->conns, req);
	evhttp_request_set_on_complete_cb(req, ff_http_on_complete, h);
	if (h->tls != NULL && !ff__http_tls_request_ok(h->tls, req)) {
		evhttp_send_error(req, 503, "TLS set-up failed");
		return;
	}
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || path[0] == '\0') {
		ff_http_reply_error(req, 400, "Bad Request", "malformed request URI");
		return;
	}
	if (!ff_http_require_scope(h->deps.auth, req, ff_http_needed_scope(req, path)))
		return;
	if (h->deps.policy != NULL && ff_http_policy_route(h->deps.policy, req, path))
		return;
	if (ff__http_trust_route(h, req, path))
		return;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		ff_http_reply_error(req, 405, "Method Not Allowed", "only GET is supported");
		return;
	}
	ff_http_dispatch(h, req, path, evhttp_uri_get_query(uri));
}

static int ff_http_setup_tls(ff_http *h, const ff_http_deps *deps)
{
	char err[1024];
	if (deps->tls_cert == NULL && deps->tls_key == NULL)
		return 0;
	if (deps->tls_cert == NULL || deps->tls_key == NULL) {
		ff_log_error("http: --http-cert and --http-key go together");
		return -1;
	}
	h->tls = ff__http_tls_new(deps->tls_cert, deps->tls_key, err, sizeof err);
	if (h->tls == NULL) {
		ff_log_error("http: %s", err);
		return -1;
	}
	return 0;
}

ff_http *ff_http_start(struct event_base *base, const char *listen, const ff_http_deps *deps)
{
	char addr[256];
	if (deps->auth == NULL) {
		ff_log_error("http: no token set given");
		return NULL;
	}
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
	h->started_ms = ff_time_now_ms();
	h->pool = ff__http_pool_new(base, deps->query_threads ? deps->query_threads : 1,
				    deps->query_queue, deps->query_timeout_ms);
	if (h->pool == NULL) {
		ff_http_free(h);
		return NULL;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_body_size(h->http, FF_HTTP_MAX_BODY);
	evhttp_set_max_headers_size(h->http, FF_HTTP_MAX_HEADERS);
	evhttp_set_timeout(h->http, FF_HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, ff_http_route, h);
	if (ff_http_setup_tls(h, deps) != 0) {
		ff_http_free(h);
		return NULL;
	}
	h->conns = ff__http_conns_new(base, h->http, h->tls, deps->max_connections,
				      deps->request_timeout_ms, deps->idle_timeout_ms);
	if (h->conns == NULL) {
		ff_log_error("http: out of memory");
		ff_http_free(h);
		return NULL;
	}
	if (ff__http_listen(h, base, addr, port) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "http: bind to %s failed", listen);
		ff_http_free(h);
		return NULL;
	}
	ff__http_conns_set_listener(h->conns, h->listener);
	ff_log_info("http: API on %s://%s, %s; writes need an admin token",
		    h->tls ? "https" : "http", listen, ff_http_auth_read_mode(deps->auth));
	if (!h->tls && ff_http_auth_reads_need_token(deps->auth))
		ff_log_warn("http: %s is beyond loopback without TLS: tokens cross the network in "
			    "clear; give --http-cert and --http-key",
			    listen);
	return h;
}

/* The pool goes first: its replies need the requests evhttp_free() would free. */
void ff_http_free(ff_http *h)
{
	if (h == NULL)
		return;
	ff__http_unlisten(h);
	ff__http_pool_free(h->pool);
	ff__http_conns_free(h->conns);
	if (h->accept_timer != NULL)
		event_free(h->accept_timer);
	if (h->http != NULL)
		evhttp_free(h->http); /* frees the bound listener too */
	ff__http_tls_free(h->tls);
	free(h);
}
