#ifndef FF_HTTP_POLICY_H
#define FF_HTTP_POLICY_H

/*
 * The policy endpoints of the HTTP API (docs/api.md):
 *   GET  /api/v1/policy          the current policy of every target
 *   GET  /api/v1/policy/history  every policy ever stored, oldest first
 *   POST /api/v1/policy          store a new policy (JSON body); it is pushed
 *                                to the agents by the ingest thread
 * Reading needs what every read of the API needs (http_auth.h; the server
 * checks it); writing needs an admin token, checked here as well. A policy
 * that does not validate is answered 400 with the reason and nothing is
 * stored or pushed.
 *
 * Handlers run on the thread of the event base the evhttp belongs to.
 */

#include "http_auth.h"
#include "policy_store.h"

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ff_http_policy ff_http_policy;

/*
 * Borrows `store` and `auth`, which must outlive the result. Returns NULL
 * with the reason in `err` (out of memory).
 */
ff_http_policy *ff_http_policy_new(ff_policy_store *store, ff_http_auth *auth, char *err,
				   size_t err_len);

/* Answers `req` when `path` is one of the policy endpoints and returns true; false otherwise. */
bool ff_http_policy_route(ff_http_policy *p, struct evhttp_request *req, const char *path);

void ff_http_policy_free(ff_http_policy *p);

#endif
