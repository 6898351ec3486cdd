/* GET /api/v1/top: nfdump's -s ELEMENT/ORDER -n N, run on the query pool. */
#include "ff_element.h"
#include "http_impl.h"
#include "http_json.h"
#include "http_params.h"
#include "http_query_job.h"
#include "http_reply.h"
#include "query_topn.h"

#include <stdio.h>
#include <stdlib.h>

#define FF_HTTP_DEFAULT_STAT "srcip/flows"
#define FF_HTTP_DEFAULT_N    10

typedef struct ff_http_top_job {
	ff__http_query_job base; /* first */
	ff_topn_query q;
} ff_http_top_job;

/* Reads the query parameters into *q; on error writes the message for a 400. */
static int ff_http_top_params(const struct evkeyvalq *params, const ff__http_scope *sc,
			      ff_topn_query *q, char *err, size_t err_len)
{
	const char *stat = evhttp_find_header(params, "stat");
	if (ff_element_parse_stat(stat ? stat : FF_HTTP_DEFAULT_STAT, &q->element, &q->order, err,
				  err_len) != 0)
		return -1;
	uint64_t nv = FF_HTTP_DEFAULT_N;
	if (ff__http_count_param("n", evhttp_find_header(params, "n"), SIZE_MAX, &nv, err,
				 err_len) != 0)
		return -1;
	q->n = (size_t)nv;
	q->agent = sc->agent;
	q->since_ms = sc->since_ms;
	q->until_ms = sc->until_ms;
	q->filter = sc->filter;
	return 0;
}

static json_t *ff_http_row_json(const ff_topn_row *r)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o}", "key", r->key, "flows",
			 ff_http_json_u64(r->flows), "packets", ff_http_json_u64(r->packets),
			 "bytes", ff_http_json_u64(r->bytes), "first_ms", (json_int_t)r->first_ms,
			 "last_ms", (json_int_t)r->last_ms, "pps", ff_http_json_u64(r->pps), "bps",
			 ff_http_json_u64(r->bps), "bpp", ff_http_json_u64(r->bpp));
}

static json_t *ff_http_top_json(const ff_topn_query *q, const ff__http_scope *sc,
				const ff_topn_result *res)
{
	char stat[64];
	snprintf(stat, sizeof stat, "%s/%s", ff_element_name(q->element), ff_order_name(q->order));
	json_t *rows = json_array();
	for (size_t i = 0; rows != NULL && i < res->n_rows; i++)
		json_array_append_new(rows, ff_http_row_json(&res->rows[i]));
	const ff_topn_total *t = &res->total;
	json_t *doc = json_pack(
	    "{s:s, s:s, s:s, s:I, s:o, s:{s:I, s:o, s:o, s:o, s:o, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I}}",
	    "stat", stat, "element", ff_element_name(q->element), "order", ff_order_name(q->order),
	    "n", (json_int_t)q->n, "rows", rows, "total", "rows", (json_int_t)t->rows, "flows",
	    ff_http_json_u64(t->flows), "packets", ff_http_json_u64(t->packets), "bytes",
	    ff_http_json_u64(t->bytes), "records", ff_http_json_u64(t->records), "first_ms", (json_int_t)t->first_ms, "last_ms",
	    (json_int_t)t->last_ms, "read", "segments", (json_int_t)t->read.segments,
	    "minute_rollups", (json_int_t)t->read.minute_rollups, "hour_rollups",
	    (json_int_t)t->read.hour_rollups, "passes", (json_int_t)t->passes, "partitions",
	    (json_int_t)t->partitions);
	return ff__http_scope_json(doc, sc);
}

/* On a worker thread. */
static int ff_http_top_run(ff__http_job *j, json_t **doc)
{
	ff_http_top_job *t = (ff_http_top_job *)j;
	ff_topn_result res;
	t->q.deadline_ms = j->deadline_ms;
	int rc = ff_topn_run(t->base.store, &t->q, &res);
	if (rc != 0)
		return rc;
	*doc = ff_http_top_json(&t->q, &t->base.sc, &res);
	ff_topn_result_free(&res);
	return 0;
}

void ff__http_top(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	char err[512];
	ff_http_top_job *t = ff__http_query_job_new(req, params, sizeof *t, h->deps.store,
						  ff_http_top_run);
	if (t == NULL)
		return;
	t->q.mem_limit = (size_t)h->deps.query_memory;
	if (ff_http_top_params(params, &t->base.sc, &t->q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff__http_query_job_free(&t->base.job);
		return;
	}
	snprintf(t->base.job.what, sizeof t->base.job.what, "top %s/%s",
		 ff_element_name(t->q.element), ff_order_name(t->q.order));
	ff__http_pool_submit(h->pool, req, &t->base.job);
}
