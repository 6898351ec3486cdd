#ifndef FF_CLI_HTTP_H
#define FF_CLI_HTTP_H

/*
 * A blocking HTTP(S) request for the CLI, built on libcurl's easy interface:
 * the CLI makes one request at a time over one connection attempt, and a
 * failure is explained from what curl saw on that attempt. The process must
 * have called curl_global_init() first (cli_main.c does).
 */

#include <stddef.h>

/* How requests are made; the same for every request of one command. */
struct ff_cli_http_opts {
	int timeout_s;	    /* whole request, connect included */
	const char *cacert; /* PEM CA bundle for https (--ca-file); NULL: the system's */
	const char *bearer; /* API token sent with every request; NULL: none */
};

struct ff_cli_http_response {
	int status; /* HTTP status code */
	char *body; /* NUL-terminated; owned, freed by ff_cli_http_response_free() */
	size_t body_len;
};

/*
 * The most of an answer the CLI reads: a top-N with n=0 over a large store
 * is big, but never this big.
 */
#define FF_CLI_HTTP_MAX_BODY (256u * 1024 * 1024)

/*
 * GETs `path_query` (e.g. "/api/v1/top?stat=srcip%2Fbytes") from the server
 * named by `server_url` ("http[s]://HOST[:PORT][/PREFIX]"). Any HTTP status
 * counts as success here; the caller decides what a non-200 means.
 *
 * Returns 0 and fills `out` (caller frees with ff_cli_http_response_free()),
 * or -1 with a message in `err` such as "cannot reach flowfleet-aggregator at
 * http://127.0.0.1:7480: connection refused"; `out` then holds nothing.
 */
int ff_cli_http_get(const char *server_url, const char *path_query,
		    const struct ff_cli_http_opts *opts, struct ff_cli_http_response *out,
		    char *err, size_t err_len);

/*
 * POSTs the JSON text `body` to `path`, with "Authorization: Bearer
 * `bearer`" when `bearer` is not NULL (else opts->bearer's, when set).
 * Returns and fills `out` as ff_cli_http_get() does.
 */
int ff_cli_http_post(const char *server_url, const char *path, const char *body, const char *bearer,
		     const struct ff_cli_http_opts *opts, struct ff_cli_http_response *out,
		     char *err, size_t err_len);

void ff_cli_http_response_free(struct ff_cli_http_response *resp);

/*
 * Reads an API token from `path`: the first word of the file (the
 * aggregator's DATA_DIR/api.token or api.read-token as they are). `out`
 * holds `len` bytes. Returns 0, or -1 with the reason in `err`.
 */
int ff_cli_http_token_read(const char *path, char *out, size_t len, char *err, size_t err_len);

#endif
