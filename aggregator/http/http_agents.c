/*
 * GET /api/v1/agents: the session table and the store's counters, answered on
 * the event loop (it only locks them).
 */
#include "http_impl.h"
#include "http_params.h"
#include "http_reply.h"
#include "ff_time.h"
#include "session.h"
#include "store.h"

void ff__http_agents(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	json_t *agents = ff_sessions_to_json(h->deps.sessions);
	json_t *store = ff_store_stats_json(h->deps.store);
	json_t *doc = NULL;
	if (agents != NULL && store != NULL) {
		doc = json_pack("{s:I, s:o, s:o}", "now_ms", (json_int_t)ff_time_now_ms(), "agents",
				agents, "store", store);
	} else {
		json_decref(agents);
		json_decref(store);
	}
	ff_http_reply_json(req, 200, "OK", doc);
}
