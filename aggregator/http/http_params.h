#ifndef FF_HTTP_PARAMS_H
#define FF_HTTP_PARAMS_H

/*
 * Query-string parameters the resources share (docs/api.md): the scope of a
 * query (agent, since, until, filter), counts, and its echo in an answer.
 * A parse error writes the message of a 400 into `err`. Private to the
 * HTTP API; runs on the event loop.
 */

#include "ff_batch.h"
#include "ff_filter.h"

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The selection every query takes. It owns what it holds, so it can go
 * with a query to a worker thread after the query string is gone.
 */
typedef struct ff__http_scope {
	const char *agent; /* NULL: not given; else points at agent_buf */
	char agent_buf[FF_AGENT_ID_MAX + 1];
	uint64_t since_ms; /* 0: not given */
	uint64_t until_ms; /* 0: not given */
	ff_filter *filter; /* NULL: not given; freed by ff__http_scope_free() */
} ff__http_scope;

/*
 * Reads agent, since, until and filter into *sc (the scope must not move
 * afterwards: sc->agent points into it). Returns 0, or -1 with the message
 * for a 400; call ff__http_scope_free() either way.
 */
int ff__http_scope_params(const struct evkeyvalq *params, ff__http_scope *sc, char *err,
			  size_t err_len);

void ff__http_scope_free(ff__http_scope *sc);

/* Reads an integer 0..max; an absent one leaves *out. Returns 0 or -1 with the message. */
int ff__http_count_param(const char *name, const char *v, uint64_t max, uint64_t *out, char *err,
			 size_t err_len);

/* Adds the scope's members shared by every query's answer to `doc`; NULL stays NULL. */
json_t *ff__http_scope_json(json_t *doc, const ff__http_scope *sc);

#endif
