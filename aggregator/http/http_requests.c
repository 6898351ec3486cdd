#include "http_requests.h"

#include "ff_prom.h"

#include <stdio.h>
#include <string.h>

/* The last entry of each list is the bucket for everything else. */
static const char *const ff_http_req_paths[FF_HTTP_REQ_PATHS] = {
    "/healthz",		   "/metrics",		   "/api/v1/top",	 "/api/v1/flows",
    "/api/v1/series",	   "/api/v1/agents",	   "/api/v1/stats",	 "/api/v1/policy",
    "/api/v1/agents/pending", "/api/v1/agents/keys", "/api/v1/agents/accept",
    "/api/v1/agents/reject", "/api/v1/agents/revoke", "/api/v1/interfaces", "/api/v1/exporters", "other"};

static const int ff_http_req_codes[FF_HTTP_REQ_CODES] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 413, 429, 500, 501, 503, 0};

static size_t ff_http_req_path_index(const char *uri)
{
	size_t len = uri != NULL ? strcspn(uri, "?#") : 0;
	for (size_t i = 0; i + 1 < FF_HTTP_REQ_PATHS; i++)
		if (strlen(ff_http_req_paths[i]) == len && strncmp(uri, ff_http_req_paths[i], len) == 0)
			return i;
	return FF_HTTP_REQ_PATHS - 1;
}

static size_t ff_http_req_code_index(int code)
{
	for (size_t i = 0; i + 1 < FF_HTTP_REQ_CODES; i++)
		if (ff_http_req_codes[i] == code)
			return i;
	return FF_HTTP_REQ_CODES - 1;
}

void ff__http_requests_count(ff__http_requests *r, struct evhttp_request *req)
{
	size_t p = ff_http_req_path_index(evhttp_request_get_uri(req));
	r->n[p][ff_http_req_code_index(evhttp_request_get_response_code(req))]++;
}

int ff__http_requests_metrics(const ff__http_requests *r, struct ff_prom *p)
{
	const char *f = "flowfleet_http_requests_total";
	int rc = ff_prom_declare(p, f, FF_PROM_COUNTER,
				 "HTTP requests answered, by path and status code (other paths and "
				 "codes counted together).");
	for (size_t i = 0; rc == 0 && i < FF_HTTP_REQ_PATHS; i++) {
		for (size_t c = 0; rc == 0 && c < FF_HTTP_REQ_CODES; c++) {
			if (r->n[i][c] == 0)
				continue;
			char code[8];
			if (ff_http_req_codes[c] != 0)
				snprintf(code, sizeof code, "%d", ff_http_req_codes[c]);
			else
				snprintf(code, sizeof code, "other");
			ff_prom_label l[2] = {{"path", ff_http_req_paths[i]}, {"code", code}};
			rc = ff_prom_add_u64(p, f, "", l, 2, r->n[i][c]);
		}
	}
	return rc;
}
