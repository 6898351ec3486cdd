#ifndef FF_CLI_HTTP_H
#define FF_CLI_HTTP_H

/*
 * A blocking HTTP GET for the CLI, built on libevent's evhttp client with a
 * private event base: the CLI makes one request at a time, so it runs the
 * loop until that request completes, fails or times out.
 */

#include <stddef.h>

struct ff_cli_http_response {
	int status; /* HTTP status code */
	char *body; /* NUL-terminated; owned, freed by ff_cli_http_response_free() */
	size_t body_len;
};

/*
 * GETs `path_query` (e.g. "/api/v1/top?stat=srcip%2Fbytes") from the server
 * named by `server_url` ("http://HOST[:PORT][/PREFIX]"), waiting at most
 * `timeout_s` seconds. Any HTTP status counts as success here; the caller
 * decides what a non-200 means.
 *
 * Returns 0 and fills `out` (caller frees with ff_cli_http_response_free()),
 * or -1 with a message in `err` such as "cannot reach flowfleet-aggregator at
 * http://127.0.0.1:7480: connection refused".
 */
int ff_cli_http_get(const char *server_url, const char *path_query, int timeout_s,
		    struct ff_cli_http_response *out, char *err, size_t err_len);

/*
 * POSTs the JSON text `body` to `path`, with "Authorization: Bearer
 * `bearer`" when `bearer` is not NULL. Returns and fills `out` as
 * ff_cli_http_get() does.
 */
int ff_cli_http_post(const char *server_url, const char *path, const char *body,
		     const char *bearer, int timeout_s, struct ff_cli_http_response *out,
		     char *err, size_t err_len);

void ff_cli_http_response_free(struct ff_cli_http_response *resp);

#endif
