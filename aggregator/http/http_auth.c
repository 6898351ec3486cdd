/*
 * The API's access rule (http_auth.h): which scope a request has, the
 * 401/403 answers, their counters and their rate-limited log lines.
 */
#include "http_auth.h"

#include "ff_log.h"
#include "ff_time.h"
#include "http_ratelog.h"
#include "http_reply.h"

#include <arpa/inet.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ff_http_auth {
	ff_http_tokens *tokens;
	bool reads_need_token;
	bool public_read; /* reads open beyond loopback by --http-public-read */
	ff_http_auth_stats stats;
	ff__http_ratelog log;
};

bool ff_http_addr_is_loopback(const char *addr)
{
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, addr, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &v6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&v6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool ff_http_reads_need_token(const char *addr, bool public_read)
{
	return !public_read && !ff_http_addr_is_loopback(addr);
}

ff_http_auth *ff_http_auth_new(const char *data_dir, const char *addr, bool public_read, char *err,
			       size_t err_len)
{
	ff_http_auth *a = calloc(1, sizeof *a);
	if (a == NULL || (a->tokens = ff_http_tokens_new()) == NULL) {
		snprintf(err, err_len, "out of memory");
		free(a);
		return NULL;
	}
	a->reads_need_token = ff_http_reads_need_token(addr, public_read);
	a->public_read = public_read && !ff_http_addr_is_loopback(addr);
	if (ff_http_tokens_load_dir(a->tokens, data_dir, err, err_len) != 0) {
		ff_http_auth_free(a);
		return NULL;
	}
	return a;
}

void ff_http_auth_free(ff_http_auth *a)
{
	if (a == NULL)
		return;
	ff_http_tokens_free(a->tokens);
	free(a);
}

bool ff_http_auth_reads_need_token(const ff_http_auth *a)
{
	return a->reads_need_token;
}

const char *ff_http_auth_read_mode(const ff_http_auth *a)
{
	if (a->reads_need_token)
		return "reads need a read token (the API listens beyond loopback)";
	return a->public_read ? "reads open to anyone who can connect (--http-public-read)"
			      : "reads open (loopback only)";
}

/* The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750 2.1), or NULL. */
static const char *ff_auth_bearer(const char *h, char *out, size_t len)
{
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	h += strspn(h, " ");
	size_t n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= len)
		return NULL;
	memcpy(out, h, n);
	out[n] = '\0';
	return out;
}

enum ff_http_auth_result ff_http_auth_check(const ff_http_auth *a, const char *authorization,
					    enum ff_http_scope need, const char **label)
{
	const char *dummy;
	const char **l = label != NULL ? label : &dummy;
	*l = "";
	if (need == FF_HTTP_SCOPE_NONE || (need == FF_HTTP_SCOPE_READ && !a->reads_need_token))
		return FF_HTTP_AUTH_OK;
	if (authorization == NULL || authorization[0] == '\0')
		return FF_HTTP_AUTH_NO_TOKEN;
	char buf[FF_HTTP_TOKEN_MAX + 1];
	const char *token = ff_auth_bearer(authorization, buf, sizeof buf);
	enum ff_http_scope have = ff_http_tokens_lookup(a->tokens, token, l);
	if (token != NULL)
		explicit_bzero(buf, sizeof buf);
	if (have == FF_HTTP_SCOPE_NONE)
		return FF_HTTP_AUTH_BAD_TOKEN;
	return have >= need ? FF_HTTP_AUTH_OK : FF_HTTP_AUTH_SCOPE;
}

/* --- refusals -------------------------------------------------------------------- */

static const char *ff_auth_method(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "a request";
	}
}

static void ff_auth_log(ff_http_auth *a, struct evhttp_request *req, const char *why)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char *peer = NULL;
	ev_uint16_t port = 0;
	if (conn != NULL)
		evhttp_connection_get_peer(conn, &peer, &port);
	const char *who = peer != NULL ? peer : "?";
	uint64_t held;
	if (!ff__http_ratelog_may(&a->log, who, ff_time_mono_ms(), &held))
		return;
	const char *uri = evhttp_request_get_uri(req);
	char more[128] = "";
	if (held > 0)
		snprintf(more, sizeof more, " (and %llu refusals not logged since the last line)",
			 (unsigned long long)held);
	ff_log_warn("http: refused %s %.128s from %s: %s%s; more from %s this minute are only "
		    "counted (/api/v1/stats)",
		    ff_auth_method(req), uri != NULL ? uri : "?", who, why, more, who);
}

static void ff_auth_refuse(ff_http_auth *a, struct evhttp_request *req, enum ff_http_auth_result r,
			   enum ff_http_scope need, const char *label)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *scope = ff_http_scope_name(need);
	char msg[512], why[160];
	if (r == FF_HTTP_AUTH_SCOPE) {
		a->stats.scope++;
		snprintf(msg, sizeof msg,
			 "this needs a token of scope %s; the token sent (%.64s) has scope read",
			 scope, label);
		snprintf(why, sizeof why, "token %.64s has scope read, %s needed (403)", label,
			 scope);
		evhttp_add_header(out, "WWW-Authenticate",
				  "Bearer realm=\"flowfleet\", error=\"insufficient_scope\"");
		ff_auth_log(a, req, why);
		ff_http_reply_error(req, 403, "Forbidden", msg);
		return;
	}
	bool none = r == FF_HTTP_AUTH_NO_TOKEN;
	none ? a->stats.no_token++ : a->stats.bad_token++;
	snprintf(msg, sizeof msg,
		 "%s; this needs %s token in 'Authorization: Bearer TOKEN' (flowfleet "
		 "--token-file FILE or $FLOWFLEET_TOKEN): DATA_DIR/" FF_HTTP_TOKEN_FILE
		 " is admin, DATA_DIR/" FF_HTTP_READ_TOKEN_FILE
		 " read, more in DATA_DIR/" FF_HTTP_TOKENS_FILE,
		 none ? "no token sent" : "the token sent is not one of this aggregator's",
		 need == FF_HTTP_SCOPE_ADMIN ? "an admin" : "a read");
	snprintf(why, sizeof why, "%s (401)", none ? "no token" : "unknown token");
	evhttp_add_header(out, "WWW-Authenticate",
			  none ? "Bearer realm=\"flowfleet\""
			       : "Bearer realm=\"flowfleet\", error=\"invalid_token\"");
	ff_auth_log(a, req, why);
	ff_http_reply_error(req, 401, "Unauthorized", msg);
}

bool ff_http_require_scope(ff_http_auth *a, struct evhttp_request *req, enum ff_http_scope need)
{
	const char *label = "";
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	enum ff_http_auth_result r = ff_http_auth_check(a, h, need, &label);
	if (r == FF_HTTP_AUTH_OK)
		return true;
	ff_auth_refuse(a, req, r, need, label);
	return false;
}

void ff_http_auth_get_stats(const ff_http_auth *a, ff_http_auth_stats *out)
{
	*out = a->stats;
}

json_t *ff_http_auth_stats_json(const ff_http_auth *a)
{
	return json_pack("{s:b, s:I, s:{s:I, s:I, s:I}}", "reads_need_token", a->reads_need_token,
			 "tokens", (json_int_t)ff_http_tokens_count(a->tokens), "refused",
			 "no_token", (json_int_t)a->stats.no_token, "bad_token",
			 (json_int_t)a->stats.bad_token, "scope", (json_int_t)a->stats.scope);
}
