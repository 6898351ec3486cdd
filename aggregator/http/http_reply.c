#include "http_reply.h"

#include "http_json.h"
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

void ff_http_reply_json_text(struct evhttp_request *req, int code, const char *reason,
			     const char *text)
{
	struct evbuffer *body = evbuffer_new();
	if (body == NULL || evbuffer_add(body, text, strlen(text)) != 0 ||
	    evbuffer_add(body, "\n", 1) != 0) {
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

void ff_http_reply_json(struct evhttp_request *req, int code, const char *reason, json_t *doc)
{
	char *text = doc != NULL ? ff_http_json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	ff_http_reply_json_text(req, code, reason, text);
	free(text);
}

void ff_http_reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	ff_http_reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}
