#include "http_query_job.h"

#include "http_reply.h"

#include <stdlib.h>

void ff__http_query_job_free(ff__http_job *j)
{
	ff__http_query_job *q = (ff__http_query_job *)j;
	ff__http_scope_free(&q->sc);
	free(q);
}

void *ff__http_query_job_new(struct evhttp_request *req, const struct evkeyvalq *params,
			     size_t size, ff_store *store, int (*run)(ff__http_job *, json_t **))
{
	char err[512];
	ff__http_query_job *q = calloc(1, size);
	if (q == NULL) {
		ff_http_reply_error(req, 500, "Internal Server Error", "out of memory");
		return NULL;
	}
	q->job.run = run;
	q->job.free = ff__http_query_job_free;
	q->store = store;
	if (ff__http_scope_params(params, &q->sc, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff__http_query_job_free(&q->job);
		return NULL;
	}
	return q;
}
