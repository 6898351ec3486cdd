/* GET /api/v1/agents: the session table, answered on the event loop (it only locks it). */
#include "http_impl.h"
#include "http_params.h"
#include "http_reply.h"
#include "session.h"

void ff__http_agents(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	json_t *agents = ff_sessions_to_json(h->deps.sessions);
	json_t *doc = agents != NULL ? json_pack("{s:I, s:o}", "now_ms",
						 (json_int_t)ff__http_now_ms(), "agents", agents)
				     : NULL;
	ff_http_reply_json(req, 200, "OK", doc);
}
