/* GET /api/v1/flows: the stored records in time order, run on the query pool. */
#include "ff_flow.h"
#include "http_impl.h"
#include "http_json.h"
#include "http_params.h"
#include "http_query_job.h"
#include "http_reply.h"
#include "query_flows.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A listing without a limit stays a page, not the whole store. */
#define FF_HTTP_DEFAULT_LIMIT 1000

typedef struct ff_http_flows_job {
	ff__http_query_job base; /* first */
	ff_flows_query q;
} ff_http_flows_job;

/* An address field, or "*" when a policy summarized it away. */
static json_t *ff_http_addr_json(const uint8_t *addr, bool wild)
{
	char text[FF_ADDR_STRLEN];
	return json_string(wild ? "*" : ff_addr_format(addr, text));
}

static json_t *ff_http_num_json(uint64_t v, bool wild)
{
	return wild ? json_string("*") : ff_http_json_u64(v);
}

static json_t *ff_http_flow_json(const ff_flows_row *r)
{
	const ff_flow *f = &r->flow;
	uint32_t w = f->wildcards;
	return json_pack(
	    "{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:I}",
	    "agent", r->agent, "first_ms", (json_int_t)f->first_ms, "last_ms",
	    (json_int_t)f->last_ms, "src", ff_http_addr_json(f->src_addr, w & FF_FIELD_SRC_ADDR),
	    "dst", ff_http_addr_json(f->dst_addr, w & FF_FIELD_DST_ADDR), "src_port",
	    ff_http_num_json(f->src_port, w & FF_FIELD_SRC_PORT), "dst_port",
	    ff_http_num_json(f->dst_port, w & FF_FIELD_DST_PORT), "proto",
	    ff_http_num_json(f->proto, w & FF_FIELD_PROTO), "tcp_flags",
	    ff_http_num_json(f->tcp_flags, w & FF_FIELD_TCP_FLAGS), "tos",
	    ff_http_num_json(f->tos, w & FF_FIELD_TOS), "in_if",
	    ff_http_num_json(f->in_if, w & FF_FIELD_IN_IF), "out_if",
	    ff_http_num_json(f->out_if, w & FF_FIELD_OUT_IF), "src_as",
	    ff_http_num_json(f->src_as, w & FF_FIELD_SRC_AS), "dst_as",
	    ff_http_num_json(f->dst_as, w & FF_FIELD_DST_AS), "exporter",
	    ff_http_addr_json(f->exporter, w & FF_FIELD_EXPORTER), "packets",
	    ff_http_json_u64(f->packets), "bytes", ff_http_json_u64(f->bytes), "flows",
	    ff_http_json_u64(f->flows),
	    "sampling_rate", (json_int_t)f->sampling_rate);
}

static json_t *ff_http_flows_json(const ff_flows_query *q, const ff__http_scope *sc,
				  const ff_flows_result *res)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows != NULL && i < res->n_rows; i++)
		json_array_append_new(rows, ff_http_flow_json(&res->rows[i]));
	json_t *doc = json_pack("{s:I, s:s, s:I, s:o}", "limit", (json_int_t)q->limit, "order",
				q->newest_first ? "desc" : "asc", "matched",
				(json_int_t)res->matched, "rows", rows);
	return ff__http_scope_json(doc, sc);
}

static int ff_http_flows_params(const struct evkeyvalq *params, const ff__http_scope *sc,
				ff_flows_query *q, char *err, size_t err_len)
{
	uint64_t limit = FF_HTTP_DEFAULT_LIMIT;
	const char *order = evhttp_find_header(params, "order");
	if (ff__http_count_param("limit", evhttp_find_header(params, "limit"), FF_FLOWS_MAX_LIMIT,
				 &limit, err, err_len) != 0)
		return -1;
	if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		snprintf(err, err_len, "order must be asc (oldest first) or desc, not '%.64s'",
			 order);
		return -1;
	}
	*q = (ff_flows_query){.limit = limit ? (size_t)limit : FF_FLOWS_MAX_LIMIT,
			      .newest_first = order != NULL && strcmp(order, "desc") == 0,
			      .agent = sc->agent,
			      .since_ms = sc->since_ms,
			      .until_ms = sc->until_ms,
			      .filter = sc->filter};
	return 0;
}

/* On a worker thread. */
static int ff_http_flows_run(ff__http_job *j, json_t **doc)
{
	ff_http_flows_job *t = (ff_http_flows_job *)j;
	ff_flows_result res;
	t->q.deadline_ms = j->deadline_ms;
	int rc = ff_flows_run(t->base.store, &t->q, &res);
	if (rc != 0)
		return rc;
	*doc = ff_http_flows_json(&t->q, &t->base.sc, &res);
	ff_flows_result_free(&res);
	return 0;
}

void ff__http_flows(ff_http *h, struct evhttp_request *req, const struct evkeyvalq *params)
{
	char err[512];
	ff_http_flows_job *t = ff__http_query_job_new(req, params, sizeof *t, h->deps.store,
						  ff_http_flows_run);
	if (t == NULL)
		return;
	if (ff_http_flows_params(params, &t->base.sc, &t->q, err, sizeof err) != 0) {
		ff_http_reply_error(req, 400, "Bad Request", err);
		ff__http_query_job_free(&t->base.job);
		return;
	}
	snprintf(t->base.job.what, sizeof t->base.job.what, "flows limit %zu", t->q.limit);
	ff__http_pool_submit(h->pool, req, &t->base.job);
}
