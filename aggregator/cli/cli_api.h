#ifndef FF_CLI_API_H
#define FF_CLI_API_H

/*
 * The aggregator's HTTP API (docs/api.md) as the CLI's commands see it:
 * fetch one JSON document, turn HTTP and JSON failures into a message on
 * stderr and an exit code, and read its numbers safely.
 */

#include <stdint.h>

#include <jansson.h>

#include "cli.h"

/*
 * GETs `path_query` from the server in `ctx` and parses the answer.
 * Returns FF_CLI_OK with `*doc` set (caller releases with json_decref()), or
 * prints why it failed to stderr and returns FF_CLI_ESERVER, or
 * FF_CLI_EUSAGE when the server refused the request as bad (HTTP 400),
 * quoting the server's {"error": ...} message.
 */
int ff_cli_api_get(const struct ff_cli_ctx *ctx, const char *path_query, json_t **doc);

/* An unsigned counter member of `obj`; 0 when absent, negative or not a number. */
uint64_t ff_cli_json_u64(const json_t *obj, const char *name);

/*
 * Parses an API answer; integers beyond INT64_MAX (counters up to 2^64 - 1)
 * become strings of their digits, which ff_cli_json_u64() reads. NULL with
 * `err` (may be NULL) filled when it is not JSON.
 */
json_t *ff_cli_json_parse(const char *body, size_t len, json_error_t *err);

/* A string member of `obj`, or `fallback` when absent or not a string. */
const char *ff_cli_json_str(const json_t *obj, const char *name, const char *fallback);

/*
 * Appends "?name=value" (the first time) or "&name=value" to the malloc'd
 * path in *path, with `value` URI-encoded; *path may be replaced. Returns 0,
 * or -1 when out of memory (*path is then still valid, to be freed).
 */
int ff_cli_query_add(char **path, const char *name, const char *value);

/* As ff_cli_query_add() for an unsigned number. */
int ff_cli_query_add_u64(char **path, const char *name, uint64_t value);

/*
 * Appends what selects the records of a query, each only when set: agent,
 * since/until (unix ms, 0: unset) and filter. Same return as ff_cli_query_add().
 */
int ff_cli_query_add_scope(char **path, const char *agent, uint64_t since_ms, uint64_t until_ms,
			   const char *filter);

/*
 * A filter given as trailing words, nfdump style ("proto tcp and port 443"
 * as several argv words): the words joined by single spaces, malloc'd, or
 * NULL when out of memory.
 */
char *ff_cli_join_words(int argc, char **argv);

/* Prints `doc` to stdout as indented JSON with a final newline. */
int ff_cli_json_print(const json_t *doc);

#endif
