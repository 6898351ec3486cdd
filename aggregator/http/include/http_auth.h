#ifndef FF_HTTP_AUTH_H
#define FF_HTTP_AUTH_H

/*
 * Who may call what on the HTTP API (docs/api.md#tokens): every request
 * that needs a scope asks ff_http_require_scope(), which answers the
 * refusals itself. Writes need an admin token; reads need a read (or admin)
 * token when the API listens beyond loopback, unless --http-public-read;
 * /healthz needs nothing. A refusal is 401 without a token or with one not
 * known, 403 with a token of too small a scope; each is counted by reason
 * (/api/v1/stats "auth") and logged at most once a minute per peer.
 *
 * Everything here runs on the event loop's thread.
 */

#include "http_tokens.h"

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_http_auth ff_http_auth;

/* What a request's Authorization header amounts to for one needed scope. */
enum ff_http_auth_result {
	FF_HTTP_AUTH_OK = 0,
	FF_HTTP_AUTH_NO_TOKEN,	/* none sent where one is needed: 401 */
	FF_HTTP_AUTH_BAD_TOKEN, /* not "Bearer TOKEN", or a token not known: 401 */
	FF_HTTP_AUTH_SCOPE,	/* a known token of too small a scope: 403 */
};

/* Refusals since the start, by reason. */
typedef struct ff_http_auth_stats {
	uint64_t no_token, bad_token, scope;
} ff_http_auth_stats;

/*
 * True when `addr` (the ADDR of --http ADDR:PORT, without brackets) is a
 * numeric loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. A name,
 * even "localhost", is not: what it resolves to is not ours to trust.
 */
bool ff_http_addr_is_loopback(const char *addr);

/* Whether reads need a read token on `addr`: beyond loopback, unless `public_read`. */
bool ff_http_reads_need_token(const char *addr, bool public_read);

/*
 * Loads (and at first start creates) the tokens of `data_dir`
 * (http_tokens.h) for an API on `addr` (the ADDR of --http). Returns NULL
 * with "FILE[:LINE]: reason" in `err`.
 */
ff_http_auth *ff_http_auth_new(const char *data_dir, const char *addr, bool public_read, char *err,
			       size_t err_len);

void ff_http_auth_free(ff_http_auth *a);

bool ff_http_auth_reads_need_token(const ff_http_auth *a);

/* Why reads are open or not, for the start-up log: "loopback", "--http-public-read", ... */
const char *ff_http_auth_read_mode(const ff_http_auth *a);

/*
 * The decision alone: `authorization` is the header's value (NULL when
 * absent); *label (may be NULL) is set to the matching token's label.
 */
enum ff_http_auth_result ff_http_auth_check(const ff_http_auth *a, const char *authorization,
					    enum ff_http_scope need, const char **label);

/*
 * True when `req` may go on with scope `need` (FF_HTTP_SCOPE_READ for a
 * read, FF_HTTP_SCOPE_ADMIN for a write). False when it was refused: the
 * 401 or 403 reply is sent, the refusal counted and logged; the caller
 * then returns without touching `req` again.
 */
bool ff_http_require_scope(ff_http_auth *a, struct evhttp_request *req, enum ff_http_scope need);

void ff_http_auth_get_stats(const ff_http_auth *a, ff_http_auth_stats *out);

/* {"reads_need_token": b, "tokens": n, "refused": {"no_token": n, "bad_token": n, "scope": n}} */
json_t *ff_http_auth_stats_json(const ff_http_auth *a);

#endif
