/*
 * GET /api/v1/agents: the session table, the store's counters and the
 * transport (CURVE with its refusal counters, or insecure plaintext),
 * answered on the event loop (it only locks them).
 */
#include "http_impl.h"
#include "http_params.h"
#include "http_reply.h"
#include "ff_time.h"
#include "session.h"
#include "store.h"
#include "trust.h"

/* {"refused": {reason: N}, "accepted": N, "pending": N}, or null without CURVE. */
static json_t *ff_http_agents_trust(ff_trust *t)
{
	if (t == NULL)
		return json_null();
	return json_pack("{s:o, s:I, s:I}", "refused", ff_trust_counters_json(t), "accepted",
			 (json_int_t)ff_trust_accepted_count(t), "pending",
			 (json_int_t)ff_trust_pending_count(t));
}

void ff__http_agents(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	json_t *agents = ff_sessions_to_json(h->deps.sessions);
	json_t *store = ff_store_stats_json(h->deps.store);
	json_t *doc = NULL;
	if (agents != NULL && store != NULL) {
		doc = json_pack("{s:I, s:o, s:o, s:s, s:o, s:I}", "now_ms",
				(json_int_t)ff_time_now_ms(), "agents", agents, "store", store,
				"transport", h->deps.trust != NULL ? "curve" : "insecure-plaintext",
				"trust", ff_http_agents_trust(h->deps.trust), "agents_refused",
				(json_int_t)ff_sessions_refused(h->deps.sessions));
	} else {
		json_decref(agents);
		json_decref(store);
	}
	ff_http_reply_json(req, 200, "OK", doc);
}
