/*
 * The agent key endpoints (docs/api.md, docs/security.md):
 *   GET  /api/v1/agents/pending  keys seen but not decided
 *   GET  /api/v1/agents/keys     every decided key and its state
 *   POST /api/v1/agents/accept   {"agent": "ID|FINGERPRINT", "why": "..."}
 *   POST /api/v1/agents/reject   likewise; also cuts an accepted key's connection
 *   POST /api/v1/agents/revoke   likewise, for an accepted key
 * Reads need no token; writes need the API token of the policy endpoints.
 * Answered on the event loop: a decision is one fsync'd line.
 */
#include "ff_log.h"
#include "ff_time.h"
#include "http_impl.h"
#include "http_reply.h"
#include "trust.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

/* What the peer is called in the allow-list's "by" field. */
static void ff_ht_who(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const char *addr = NULL;
	ev_uint16_t port = 0;
	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	snprintf(out, len, "api %s", addr != NULL ? addr : "?");
}

static bool ff_ht_method(struct evhttp_request *req, enum evhttp_cmd_type want)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == want || (want == EVHTTP_REQ_GET && cmd == EVHTTP_REQ_HEAD))
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			  want == EVHTTP_REQ_GET ? "GET, HEAD" : "POST");
	ff_http_reply_error(req, 405, "Method Not Allowed",
			    want == EVHTTP_REQ_GET ? "only GET is supported"
						   : "only POST is supported");
	return false;
}

static void ff_ht_on_pending(struct evhttp_request *req, void *arg)
{
	ff_http *h = arg;
	if (!ff_ht_method(req, EVHTTP_REQ_GET))
		return;
	json_t *list = h->deps.trust != NULL ? ff_trust_pending_json(h->deps.trust) : json_array();
	ff_http_reply_json(
	    req, 200, "OK",
	    list != NULL
		? json_pack("{s:I, s:s, s:o}", "now_ms", (json_int_t)ff_time_now_ms(), "transport",
			    h->deps.trust != NULL ? "curve" : "insecure-plaintext", "pending", list)
		: NULL);
}

static void ff_ht_on_keys(struct evhttp_request *req, void *arg)
{
	ff_http *h = arg;
	if (!ff_ht_method(req, EVHTTP_REQ_GET))
		return;
	json_t *list = h->deps.trust != NULL ? ff_trust_keys_json(h->deps.trust) : json_array();
	ff_http_reply_json(req, 200, "OK", list != NULL ? json_pack("{s:o}", "keys", list) : NULL);
}

/* The body's "agent" (and optional "why"); NULL with the reason in err. */
static json_t *ff_ht_body(struct evhttp_request *req, const char **which, const char **why,
			  char *err, size_t err_len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *data = (const char *)evbuffer_pullup(in, -1);
	json_error_t jerr;
	json_t *doc = json_loadb(data != NULL ? data : "", len, 0, &jerr);
	*why = "";
	if (doc == NULL) {
		snprintf(err, err_len, "the body is not JSON (line %d: %s)", jerr.line, jerr.text);
		return NULL;
	}
	if (json_unpack_ex(doc, &jerr, JSON_STRICT, "{s:s, s?s}", "agent", which, "why", why) !=
	    0) {
		snprintf(
		    err, err_len,
		    "the body must be {\"agent\": \"ID or FINGERPRINT\", \"why\": \"...\"}: %s",
		    jerr.text);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static void ff_ht_decide_reply(struct evhttp_request *req, int rc, json_t *record, const char *err)
{
	if (rc == 0)
		ff_http_reply_json(req, 200, "OK", json_pack("{s:o}", "key", record));
	else if (rc == FF_TRUST_ENOTFOUND)
		ff_http_reply_error(req, 404, "Not Found", err);
	else if (rc == FF_TRUST_ECONFLICT)
		ff_http_reply_error(req, 409, "Conflict", err);
	else
		ff_http_reply_error(req, 500, "Internal Server Error", err);
}

static void ff_ht_decide(ff_http *h, struct evhttp_request *req, enum ff_trust_op op)
{
	char err[512], who[128];
	if (!ff_ht_method(req, EVHTTP_REQ_POST))
		return;
	/* The router already asked for an admin token (a POST is a write: http_auth.h). */
	if (h->deps.trust == NULL) {
		ff_http_reply_error(req, 409, "Conflict",
				    "the aggregator runs with --insecure-plaintext: agents have no "
				    "keys to accept, reject or revoke");
		return;
	}
	const char *which, *why;
	json_t *body = ff_ht_body(req, &which, &why, err, sizeof err);
	if (body == NULL) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		return;
	}
	ff_ht_who(req, who, sizeof who);
	json_t *record = NULL;
	int rc = ff_trust_decide(h->deps.trust, op, which, who, why, ff_time_now_ms(), &record, err,
				 sizeof err);
	ff_ht_decide_reply(req, rc, record, err);
	json_decref(body);
}

static void ff_ht_on_accept(struct evhttp_request *req, void *arg)
{
	ff_ht_decide(arg, req, FF_TRUST_ACCEPT);
}

static void ff_ht_on_reject(struct evhttp_request *req, void *arg)
{
	ff_ht_decide(arg, req, FF_TRUST_REJECT);
}

static void ff_ht_on_revoke(struct evhttp_request *req, void *arg)
{
	ff_ht_decide(arg, req, FF_TRUST_REVOKE);
}

bool ff__http_trust_route(ff_http *h, struct evhttp_request *req, const char *path)
{
	static const struct {
		const char *path;
		void (*fn)(struct evhttp_request *, void *);
	} routes[] = {
	    {"/api/v1/agents/pending", ff_ht_on_pending}, {"/api/v1/agents/keys", ff_ht_on_keys},
	    {"/api/v1/agents/accept", ff_ht_on_accept},	  {"/api/v1/agents/reject", ff_ht_on_reject},
	    {"/api/v1/agents/revoke", ff_ht_on_revoke},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(path, routes[i].path) == 0) {
			routes[i].fn(req, h);
			return true;
		}
	return false;
}
