#ifndef FF_HTTP_JSON_H
#define FF_HTTP_JSON_H

/*
 * Unsigned 64-bit numbers in the API's JSON. jansson's integers are signed:
 * a counter above 2^63 - 1 (totals saturate at 2^64 - 1, never wrap) would
 * print negative. ff_http_json_u64() makes such a value a marked string and
 * ff_http_json_dumps() writes the marked strings back as the bare decimal
 * numbers they stand for, so the client reads the exact value. (A string
 * sent by an agent that happened to hold the marker, U+0001 "u64:" and
 * digits, would come out as a number too; agent ids cannot hold it.)
 */

#include <jansson.h>
#include <stdint.h>

/* A JSON value for v: an integer up to INT64_MAX, a marked string beyond (new reference). */
json_t *ff_http_json_u64(uint64_t v);

/* json_dumps() with marked u64 strings written as numbers; free() the result. NULL on error. */
char *ff_http_json_dumps(const json_t *doc, size_t flags);

#endif
