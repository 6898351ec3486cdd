/*
 * GET /api/v1/interfaces[?agent=ID]: the sFlow interface counters every
 * agent's last Hellos carried, the latest values and the rates between the
 * latest two samples (docs/api.md). Answered on the event loop: it only
 * locks the session registry.
 */
#include "http_impl.h"
#include "http_reply.h"

#include "ff_batch.h"
#include "ff_time.h"
#include "session.h"

#include <stdio.h>

void ff__http_interfaces(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
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
	json_t *ifs = ff_sessions_interfaces_json(h->deps.sessions, agent);
	json_t *doc = ifs == NULL ? NULL
				  : json_pack("{s:I, s:o}", "now_ms", (json_int_t)ff_time_now_ms(),
					      "interfaces", ifs);
	ff_http_reply_json(req, 200, "OK", doc);
}
