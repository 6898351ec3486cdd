#ifndef FF_HTTP_REPLY_H
#define FF_HTTP_REPLY_H

/*
 * JSON answers shared by every HTTP handler of the aggregator
 * (aggregator/http/): one compact JSON document per reply, newline-terminated,
 * `Content-Type: application/json`; errors as {"error": "message"}.
 */

#include <event2/http.h>
#include <jansson.h>

/* Sends `text`, a JSON document already dumped (borrowed), with status `code`. */
void ff_http_reply_json_text(struct evhttp_request *req, int code, const char *reason,
			     const char *text);

/* Sends `doc` with status `code`; takes the reference to `doc` (NULL: 500). */
void ff_http_reply_json(struct evhttp_request *req, int code, const char *reason, json_t *doc);

/* Sends {"error": msg} with status `code`. */
void ff_http_reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg);

#endif
