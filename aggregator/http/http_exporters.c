/*
 * GET /api/v1/exporters[?agent=ID]: every exporter of every agent with its
 * state and a sentence a person can act on (docs/api.md, the rules in
 * docs/operations.md), from the agents' last Hellos. Answered on the event
 * loop: it only locks the session registry.
 */
#include "http_impl.h"
#include "http_reply.h"

#include "ff_batch.h"
#include "ff_time.h"
#include "session.h"

#include <stdio.h>

void ff__http_exporters(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	const char *agent = evhttp_find_header(params, "agent");
	if (agent != NULL && !ff_agent_id_valid(agent)) {
		char msg[128];
		snprintf(msg, sizeof msg,
			 "agent must be an agent id (1-%d characters of A-Z a-z 0-9 . _ -)",
			 FF_AGENT_ID_MAX);
		ff_http_reply_error(req, 400, "Bad Request", msg);
		return;
	}
	uint64_t now = ff_time_now_ms();
	json_t *exps = ff_sessions_exporters_json(h->deps.sessions, agent, now);
	json_t *doc = exps == NULL
			  ? NULL
			  : json_pack("{s:I, s:o}", "now_ms", (json_int_t)now, "exporters", exps);
	ff_http_reply_json(req, 200, "OK", doc);
}
