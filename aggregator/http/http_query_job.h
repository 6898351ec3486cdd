#ifndef FF_HTTP_QUERY_JOB_H
#define FF_HTTP_QUERY_JOB_H

/*
 * What every store query's job starts with: the pool's job, the store it
 * reads and the request's scope. A resource (top, flows, series) embeds it
 * first in its own job struct, beside its query. Private to the HTTP API.
 */

#include "http_params.h"
#include "http_pool.h"
#include "store.h"

#include <event2/http.h>
#include <stddef.h>

typedef struct ff__http_query_job {
	ff__http_job job; /* first: the pool's view of it */
	ff_store *store;  /* borrowed */
	ff__http_scope sc;
} ff__http_query_job;

/*
 * A zeroed job of `size` bytes (a struct whose first member is an
 * ff__http_query_job) that runs `run` over `store`, its scope read from
 * `params`. NULL after it replied 500 (out of memory) or 400 (a bad scope
 * parameter). The pool frees a submitted job; before that,
 * ff__http_query_job_free() does.
 */
void *ff__http_query_job_new(struct evhttp_request *req, const struct evkeyvalq *params,
			     size_t size, ff_store *store, int (*run)(ff__http_job *, json_t **));

void ff__http_query_job_free(ff__http_job *j);

#endif
