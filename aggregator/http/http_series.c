/* GET /api/v1/series: one metric summed per time bin, run on the query pool. */
#include "ff_config.h"
#include "ff_time.h"
#include "http_impl.h"
#include "http_json.h"
#include "http_params.h"
#include "http_query_job.h"
#include "http_reply.h"
#include "query_series.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define FF_HTTP_DEFAULT_BIN_MS 60000
/* A series without since covers the last hour, what a dashboard graph shows. */
#define FF_HTTP_DEFAULT_SPAN_MS (3600 * 1000)

typedef struct ff_http_series_job {
	ff__http_query_job base; /* first */
	ff_series_query q;
} ff_http_series_job;

static int ff_http_series_params(const struct evkeyvalq *params, const ff__http_scope *sc,
				 ff_series_query *q, char *err, size_t err_len)
{
	const char *metric = evhttp_find_header(params, "metric");
	const char *bin = evhttp_find_header(params, "bin");
	uint64_t now = ff_time_now_ms();
	*q = (ff_series_query){
	    .bin_ms = FF_HTTP_DEFAULT_BIN_MS, .agent = sc->agent, .filter = sc->filter};
	if (metric != NULL && ff_series_metric_parse(metric, &q->metric) != 0) {
		snprintf(err, err_len, "metric must be bytes, packets or flows, not '%.64s'",
			 metric);
		return -1;
	}
	if (bin != NULL && (ff_parse_duration_ms(bin, &q->bin_ms) != 0 || q->bin_ms == 0)) {
		snprintf(err, err_len, "bin must be a duration such as 60s, 5m, 1h, not '%.64s'",
			 bin);
		return -1;
	}
	/*
	 * Without an end the series runs to the end of the current bin, so that
	 * it ends on a bin boundary and rollups can answer it (query_series.c).
	 */
	q->until_ms = sc->until_ms ? sc->until_ms : now - now % q->bin_ms + q->bin_ms - 1;
	q->since_ms = sc->since_ms ? sc->since_ms
		      : q->until_ms > FF_HTTP_DEFAULT_SPAN_MS
			  ? q->until_ms - FF_HTTP_DEFAULT_SPAN_MS
			  : 0;
	uint64_t bins = ff_series_bins(q);
	if (bins == 0 || bins > FF_SERIES_MAX_BINS) {
		snprintf(err, err_len,
			 "the window from %" PRIu64 " to %" PRIu64 " holds %" PRIu64
			 " bins of %" PRIu64 " ms; at most %d are answered: use a larger bin",
			 q->since_ms, q->until_ms, bins, q->bin_ms, FF_SERIES_MAX_BINS);
		return -1;
	}
	return 0;
}

static json_t *ff_http_series_json(const ff_series_query *q, const ff__http_scope *sc,
				   const ff_series_result *res)
{
	json_t *points = json_array();
	for (size_t i = 0; points != NULL && i < res->n_bins; i++)
		json_array_append_new(points, json_pack("{s:I, s:o}", "t",
							(json_int_t)(res->start_ms + i * q->bin_ms),
							"value", ff_http_json_u64(res->values[i])));
	json_t *doc =
	    json_pack("{s:s, s:I, s:I, s:I, s:o}", "metric", ff_series_metric_name(q->metric),
		      "bin_ms", (json_int_t)q->bin_ms, "from_ms", (json_int_t)q->since_ms, "to_ms",
		      (json_int_t)q->until_ms, "series", points);
	return ff__http_scope_json(doc, sc);
}

/* On a worker thread. */
static int ff_http_series_run(ff__http_job *j, json_t **doc)
{
	ff_http_series_job *t = (ff_http_series_job *)j;
	ff_series_result res;
	t->q.deadline_ms = j->deadline_ms;
	int rc = ff_series_run(t->base.store, &t->q, &res);
	if (rc != 0)
		return rc;
	*doc = ff_http_series_json(&t->q, &t->base.sc, &res);
	ff_series_result_free(&res);
	return 0;
}

void ff__http_series(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	char err[512];
	ff_http_series_job *t = ff__http_query_job_new(req, params, sizeof *t, h->deps.store,
						  ff_http_series_run);
	if (t == NULL)
		return;
	if (ff_http_series_params(params, &t->base.sc, &t->q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff__http_query_job_free(&t->base.job);
		return;
	}
	snprintf(t->base.job.what, sizeof t->base.job.what, "series of %" PRIu64 " bins",
		 ff_series_bins(&t->q));
	ff__http_pool_submit(h->pool, req, &t->base.job);
}
