#include "cli_http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <netdb.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

/* A top-N with n=0 over a large store is big, but never this big. */
#define FF_CLI_HTTP_MAX_BODY (256u * 1024 * 1024)

/* The state of the one request in flight, shared with the callbacks. */
struct ff_cli_http_call {
	struct event_base *base;
	struct ff_cli_http_response *out;
	bool answered;	    /* a response with a status arrived */
	bool out_of_memory; /* the body could not be copied */
	enum evhttp_request_error error;
	bool have_error;
	const char *probe_reason; /* why a second, plain connect failed; NULL if it worked */
};

static void ff_cli_http_on_error(enum evhttp_request_error error, void *arg)
{
	struct ff_cli_http_call *call = arg;

	call->error = error;
	call->have_error = true;
}

static int ff_cli_http_copy_body(struct evhttp_request *req, struct ff_cli_http_response *out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	out->body = malloc(len + 1);
	if (out->body == NULL)
		return -1;
	evbuffer_remove(in, out->body, len);
	out->body[len] = '\0';
	out->body_len = len;
	return 0;
}

static void ff_cli_http_on_done(struct evhttp_request *req, void *arg)
{
	struct ff_cli_http_call *call = arg;
	int status = req != NULL ? evhttp_request_get_response_code(req) : 0;

	/*
	 * evhttp reports a refused or broken connection with no request or
	 * status 0; `answered` then stays false and the caller names the reason.
	 */
	if (status != 0 && ff_cli_http_copy_body(req, call->out) != 0)
		call->out_of_memory = true;
	else if (status != 0) {
		call->out->status = status;
		call->answered = true;
	}
	event_base_loopbreak(call->base);
}

/*
 * evhttp closes the socket of a failed connect before it tells us, so the
 * errno we see is that of the close, not why the connect failed. To name the
 * real reason ("connection refused", "no route to host", an unknown host
 * name) the address is resolved and connected once more, plainly. Returns
 * that reason, or NULL when the connect succeeds this time.
 */
static const char *ff_cli_http_probe(const char *host, int port, int timeout_s)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct timeval tv = {.tv_sec = timeout_s};
	const char *reason = NULL;
	char service[16];
	int fd = -1, rc;

	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &ai);
	if (rc != 0)
		return rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0) {
		reason = strerror(errno);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		reason = errno == ECONNREFUSED ? "connection refused" : strerror(errno);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return reason;
}

static const char *ff_cli_http_reason(const struct ff_cli_http_call *call)
{
	if (call->have_error && call->error == EVREQ_HTTP_TIMEOUT)
		return "timed out";
	if (call->probe_reason != NULL)
		return call->probe_reason;
	if (call->have_error && call->error == EVREQ_HTTP_INVALID_HEADER)
		return "invalid HTTP response";
	if (call->have_error && call->error == EVREQ_HTTP_DATA_TOO_LONG)
		return "response too large";
	return "connection closed without a response";
}

/* The parts of the server URL the request needs; strings borrowed from `uri`. */
struct ff_cli_http_target {
	const char *host;
	int port;
	const char *prefix; /* path before /api, without a trailing slash */
	size_t prefix_len;
};

static int ff_cli_http_target(const struct evhttp_uri *uri, struct ff_cli_http_target *t)
{
	const char *scheme = evhttp_uri_get_scheme(uri);
	const char *path = evhttp_uri_get_path(uri);

	if (scheme == NULL || strcasecmp(scheme, "http") != 0)
		return -1;
	t->host = evhttp_uri_get_host(uri);
	if (t->host == NULL || t->host[0] == '\0')
		return -1;
	t->port = evhttp_uri_get_port(uri);
	if (t->port < 0)
		t->port = 80;
	t->prefix = path != NULL ? path : "";
	t->prefix_len = strlen(t->prefix);
	while (t->prefix_len > 0 && t->prefix[t->prefix_len - 1] == '/')
		t->prefix_len--;
	return 0;
}

/* What is sent beyond the path: a POST body and its bearer token, or nothing (GET). */
struct ff_cli_http_payload {
	const char *body;   /* NULL: GET */
	const char *bearer; /* NULL: no Authorization header */
};

static int ff_cli_http_add_payload(struct evhttp_request *req,
				   const struct ff_cli_http_payload *p)
{
	char auth[1024];
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (p->bearer != NULL) {
		snprintf(auth, sizeof auth, "Bearer %s", p->bearer);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (p->body == NULL)
		return 0;
	evhttp_add_header(h, "Content-Type", "application/json");
	return evbuffer_add(evhttp_request_get_output_buffer(req), p->body, strlen(p->body));
}

/* Sends the request and runs the loop until a callback ends it. */
static int ff_cli_http_run(struct ff_cli_http_call *call, struct evhttp_connection *conn,
			   const struct ff_cli_http_target *t, const char *path_query,
			   const struct ff_cli_http_payload *payload)
{
	struct evhttp_request *req = evhttp_request_new(ff_cli_http_on_done, call);
	char target[4096];

	if (req == NULL)
		return -1;
	evhttp_request_set_error_cb(req, ff_cli_http_on_error);
	snprintf(target, sizeof target, "%.*s%s", (int)t->prefix_len, t->prefix, path_query);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", t->host);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Accept", "application/json");
	if (ff_cli_http_add_payload(req, payload) != 0) {
		evhttp_request_free(req);
		return -1;
	}
	/* On failure evhttp_make_request() has already freed the request. */
	if (evhttp_make_request(conn, req, payload->body != NULL ? EVHTTP_REQ_POST : EVHTTP_REQ_GET,
				target) != 0)
		return -1;
	event_base_dispatch(call->base);
	return 0;
}

static int ff_cli_http_request(const char *server_url, const char *path_query,
			       const struct ff_cli_http_payload *payload, int timeout_s,
			       struct ff_cli_http_response *out, char *err, size_t err_len)
{
	struct ff_cli_http_call call = {.out = out};
	struct ff_cli_http_target t;
	struct evhttp_uri *uri = NULL;
	struct evhttp_connection *conn = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	uri = evhttp_uri_parse(server_url);
	if (uri == NULL || ff_cli_http_target(uri, &t) != 0) {
		snprintf(err, err_len, "bad server URL '%s': expected http://HOST[:PORT]",
			 server_url);
		goto out;
	}
	call.base = event_base_new();
	if (call.base != NULL)
		conn = evhttp_connection_base_new(call.base, NULL, t.host, (unsigned short)t.port);
	if (conn == NULL) {
		snprintf(err, err_len, "cannot set up an HTTP connection to %s", server_url);
		goto out;
	}
	evhttp_connection_set_timeout(conn, timeout_s);
	evhttp_connection_set_max_body_size(conn, FF_CLI_HTTP_MAX_BODY);
	if (ff_cli_http_run(&call, conn, &t, path_query, payload) != 0) {
		snprintf(err, err_len, "cannot send a request to %s", server_url);
		goto out;
	}
	if (call.out_of_memory) {
		snprintf(err, err_len, "out of memory reading the answer of %s", server_url);
		goto out;
	}
	if (!call.answered) {
		if (!(call.have_error && call.error == EVREQ_HTTP_TIMEOUT))
			call.probe_reason = ff_cli_http_probe(t.host, t.port, timeout_s);
		snprintf(err, err_len, "cannot reach flowfleet-aggregator at %s: %s", server_url,
			 ff_cli_http_reason(&call));
		goto out;
	}
	rc = 0;
out:
	if (conn != NULL)
		evhttp_connection_free(conn);
	if (call.base != NULL)
		event_base_free(call.base);
	if (uri != NULL)
		evhttp_uri_free(uri);
	if (rc != 0)
		ff_cli_http_response_free(out);
	return rc;
}

int ff_cli_http_get(const char *server_url, const char *path_query, int timeout_s,
		    struct ff_cli_http_response *out, char *err, size_t err_len)
{
	const struct ff_cli_http_payload none = {NULL, NULL};

	return ff_cli_http_request(server_url, path_query, &none, timeout_s, out, err, err_len);
}

int ff_cli_http_post(const char *server_url, const char *path, const char *body,
		     const char *bearer, int timeout_s, struct ff_cli_http_response *out,
		     char *err, size_t err_len)
{
	const struct ff_cli_http_payload p = {body, bearer};

	return ff_cli_http_request(server_url, path, &p, timeout_s, out, err, err_len);
}

void ff_cli_http_response_free(struct ff_cli_http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}
