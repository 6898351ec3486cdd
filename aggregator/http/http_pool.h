#ifndef FF_HTTP_POOL_H
#define FF_HTTP_POOL_H

/*
 * The query pool: the requests that scan the store (top, flows, series) run
 * on a few worker threads, so the event loop stays free for /healthz and
 * every other request while a long query runs.
 *
 * The loop parses a request and submits a job; a worker runs it (the query,
 * then its answer as JSON text) and hands it back through a pipe the loop
 * watches; the loop sends the reply (evhttp is not thread-safe) and frees
 * the job. At most `threads` jobs run and `queue` more wait; a job submitted
 * beyond that, or after the pool stopped, is answered 503 with Retry-After
 * at once. A job not answered `timeout_ms` after its submission is answered
 * 503 too: the query's deadline_ms stops its scan (query_deadline.h), and a
 * job still waiting then is not run at all.
 *
 * Every function but the job's run is called on the loop's thread.
 */

#include "ff_histogram.h"

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds a client is told to wait before retrying a refused or timed-out query. */
#define FF_HTTP_RETRY_AFTER "1"

typedef struct ff__http_job ff__http_job;

/*
 * One query on its way. A resource embeds it as the first member of its own
 * job struct and sets run, free and what; the pool owns the rest.
 */
struct ff__http_job {
	/*
	 * Runs the query on a worker thread, reading deadline_ms; returns 0 with
	 * the answer in *doc (a new reference), or the run's negative result.
	 */
	int (*run)(ff__http_job *j, json_t **doc);
	/* Frees the resource's job (the pool has freed what it owns). */
	void (*free)(ff__http_job *j);
	char what[128]; /* the query, for logs: "top srcip/bytes" */

	/* The pool's. */
	struct evhttp_request *req;
	uint64_t deadline_ms; /* query_deadline.h clock; 0 for none */
	uint64_t submitted_us; /* ff_time_mono_us() at submission: the latency's start */
	int rc;		      /* run's result */
	char *body;	      /* JSON text of the answer (rc 0), owned */
	ff__http_job *next;
};

typedef struct ff__http_pool ff__http_pool;

/* What the pool has done since it started, and what it does now. */
typedef struct ff__http_pool_stats {
	size_t threads, queue;
	uint64_t timeout_ms;
	uint64_t running, waiting;
	uint64_t run;	    /* answered 200 */
	uint64_t busy;	    /* refused: threads and queue full, or stopping */
	uint64_t timed_out; /* answered 503 past the timeout */
	uint64_t failed;    /* answered 500: the run failed */
} ff__http_pool_stats;

/*
 * Starts `threads` workers (signals blocked in them) that hand answers back
 * on `base`. Returns the pool, or NULL with the reason logged.
 */
ff__http_pool *ff__http_pool_new(struct event_base *base, size_t threads, size_t queue,
				 uint64_t timeout_ms);

/*
 * Takes ownership of `j` and answers `req` with it later, or now with a 503
 * when the pool is full or stopped.
 */
void ff__http_pool_submit(ff__http_pool *p, struct evhttp_request *req, ff__http_job *j);

void ff__http_pool_get_stats(ff__http_pool *p, ff__http_pool_stats *out);

/* The kinds of query the latency histograms tell apart, from the first word of `what`. */
enum ff__http_query_kind {
	FF_HTTP_QUERY_TOP,
	FF_HTTP_QUERY_FLOWS,
	FF_HTTP_QUERY_SERIES,
	FF_HTTP_QUERY_OTHER,
	FF_HTTP_QUERY_KINDS
};

const char *ff__http_query_kind_name(enum ff__http_query_kind k);

/*
 * Submission-to-answer time of the queries of kind `k` answered (200, 500
 * or 503 past the timeout; not those refused at once). Any thread.
 */
const ff_histogram *ff__http_pool_latency(const ff__http_pool *p, enum ff__http_query_kind k);

/*
 * Stops the pool: waiting jobs are answered 503, running ones finish (their
 * deadline bounds them) and are answered, the workers are joined and
 * everything freed. Call before the evhttp is freed. NULL is accepted.
 */
void ff__http_pool_free(ff__http_pool *p);

#endif
