#ifndef FF_HTTP_REQUESTS_H
#define FF_HTTP_REQUESTS_H

/*
 * HTTP requests answered, by path and status code, for /metrics. Paths and
 * codes are bucketed into fixed lists ("other" for the rest), so a client
 * requesting a million distinct paths adds no series. Counted when evhttp
 * has sent the reply; a request whose client went away first is not.
 * Loop thread only. Private to the HTTP API.
 */

#include <event2/http.h>
#include <stdint.h>

struct ff_prom;

#define FF_HTTP_REQ_PATHS 16
#define FF_HTTP_REQ_CODES 16

typedef struct ff__http_requests {
	uint64_t n[FF_HTTP_REQ_PATHS][FF_HTTP_REQ_CODES];
} ff__http_requests;

/* Counts `req` into `r`; called once its reply is sent (evhttp's on-complete callback). */
void ff__http_requests_count(ff__http_requests *r, struct evhttp_request *req);

/* Adds flowfleet_http_requests_total{path,code}. Returns 0 or a negative errno. */
int ff__http_requests_metrics(const ff__http_requests *r, struct ff_prom *p);

#endif
