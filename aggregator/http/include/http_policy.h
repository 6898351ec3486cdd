#ifndef FF_HTTP_POLICY_H
#define FF_HTTP_POLICY_H

/*
 * The policy endpoints of the HTTP API (docs/api.md):
 *   GET  /api/v1/policy          the current policy of every target
 *   GET  /api/v1/policy/history  every policy ever stored, oldest first
 *   POST /api/v1/policy          store a new policy (JSON body); it is pushed
 *                                to the agents by the ingest thread
 * Reading needs no token; writing needs "Authorization: Bearer TOKEN" with
 * the token of DATA_DIR/api.token, which is created (mode 0600, 32 random
 * bytes as hex) on the first start. A policy that does not validate is
 * answered 400 with the reason and nothing is stored or pushed.
 *
 * Handlers run on the thread of the event base the evhttp belongs to.
 */

#include "policy_store.h"

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ff_http_policy ff_http_policy;

/* The token file under the data directory. */
#define FF_HTTP_TOKEN_FILE "api.token"

/*
 * Reads DATA_DIR/api.token, creating it first if absent. Borrows `store`,
 * which must outlive the result. Returns NULL with the reason in `err`.
 */
ff_http_policy *ff_http_policy_new(ff_policy_store *store, const char *data_dir, char *err,
				   size_t err_len);

/*
 * True when `req` carries "Authorization: Bearer TOKEN" with the API token:
 * the check of every write (policies here, agent keys in http_trust.c).
 */
bool ff_http_policy_authorized(const ff_http_policy *p, struct evhttp_request *req);

/* Registers the endpoints on `http`. Returns 0, or -1 when evhttp refuses. */
int ff_http_policy_register(ff_http_policy *p, struct evhttp *http);

void ff_http_policy_free(ff_http_policy *p);

#endif
