#include "http_reply.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>

void ff_http_reply_json(struct evhttp_request *req, int code, const char *reason, json_t *doc)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	struct evbuffer *body = text != NULL ? evbuffer_new() : NULL;
	if (body == NULL) {
		free(text);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(body, "%s\n", text);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

void ff_http_reply_error(struct evhttp_request *req, int code, const char *reason,
			 const char *msg)
{
	ff_http_reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}
