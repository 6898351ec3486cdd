#ifndef FF_CLI_HTTP_URL_H
#define FF_CLI_HTTP_URL_H

/*
 * The URL of one request: the server's base URL ("http[s]://HOST[:PORT]
 * [/PREFIX]") joined with an API path. Kept apart from the transfer so the
 * rules for what a server URL may be are tested without a network.
 */

#include <stddef.h>

/*
 * Joins `server_url` and `path_query` (starting with "/", e.g.
 * "/api/v1/top?stat=srcip%2Fbytes"), dropping the prefix's trailing slashes
 * so "http://h:1/ff/" + "/api" is "http://h:1/ff/api".
 *
 * Returns 0 with `*url` malloc'd (caller frees), or -1 with a message in
 * `err` when the server URL is not http or https with a host, or when out of
 * memory.
 */
int ff_cli_http_url(const char *server_url, const char *path_query, char **url, char *err,
		    size_t err_len);

#endif
