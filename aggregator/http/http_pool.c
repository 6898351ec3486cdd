#include "http_pool.h"

#include "http_json.h"
#include "ff_log.h"
#include "ff_time.h"
#include "http_reply.h"
#include "query_deadline.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ff__http_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Under lock: jobs waiting (oldest first), jobs answered, and the counts. */
	ff__http_job *todo_head, *todo_tail;
	ff__http_job *done;
	size_t running, waiting;
	bool stopping;
	/* Workers write a byte to pipe_fd[1] when `done` was empty; the loop watches [0]. */
	int pipe_fd[2];
	struct event *on_done;
	pthread_t *tids;
	size_t started;
	size_t threads, queue;
	uint64_t timeout_ms;
	/* Only the loop's thread touches these. */
	uint64_t n_run, n_busy, n_timed_out, n_failed;
	ff_histogram latency[FF_HTTP_QUERY_KINDS];
};

static void ff_http_job_free(ff__http_job *j)
{
	free(j->body);
	j->free(j);
}

/* On a worker: the query and its answer as text, so the loop only sends it. */
static void ff_http_job_execute(ff__http_job *j)
{
	json_t *doc = NULL;
	j->rc = ff_query_expired(j->deadline_ms) ? -ETIMEDOUT : j->run(j, &doc);
	if (j->rc == 0) {
		j->body = doc != NULL ? ff_http_json_dumps(doc, JSON_COMPACT) : NULL;
		if (j->body == NULL)
			j->rc = -ENOMEM;
	}
	json_decref(doc);
}

/* A worker waiting for the loop is woken once per batch of answers, not per answer. */
static void ff_http_pool_hand_back(ff__http_pool *p, ff__http_job *j)
{
	pthread_mutex_lock(&p->lock);
	p->running--;
	bool first = p->done == NULL;
	j->next = p->done;
	p->done = j;
	pthread_mutex_unlock(&p->lock);
	/* EAGAIN: the pipe is full of wake-ups the loop has not read yet, enough. */
	if (first && write(p->pipe_fd[1], "", 1) < 0 && errno != EAGAIN)
		ff_log_errno(FF_LOG_ERROR, errno, "http: waking the event loop failed");
}

static void *ff_http_pool_worker(void *arg)
{
	ff__http_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && p->todo_head == NULL)
			pthread_cond_wait(&p->wake, &p->lock);
		ff__http_job *j = p->todo_head;
		if (j == NULL)
			break;
		p->todo_head = j->next;
		if (p->todo_head == NULL)
			p->todo_tail = NULL;
		p->waiting--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		ff_http_job_execute(j);
		ff_http_pool_hand_back(p, j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* The reason of a failed run: a code of common/ff_err.h. */
static const char *ff_http_pool_reason(int rc)
{
	return ff_strerror(rc);
}

static void ff_http_reply_busy(struct evhttp_request *req, const char *msg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
			  FF_HTTP_RETRY_AFTER);
	ff_http_reply_error(req, 503, "Service Unavailable", msg);
}

static const char *const ff_http_query_kinds[FF_HTTP_QUERY_KINDS] = {"top", "flows", "series",
									 "other"};

const char *ff__http_query_kind_name(enum ff__http_query_kind k)
{
	return (unsigned)k < FF_HTTP_QUERY_KINDS ? ff_http_query_kinds[k] : "other";
}

static enum ff__http_query_kind ff_http_query_kind_of(const char *what)
{
	for (int k = 0; k < FF_HTTP_QUERY_OTHER; k++) {
		size_t n = strlen(ff_http_query_kinds[k]);
		if (strncmp(what, ff_http_query_kinds[k], n) == 0 && (what[n] == ' ' || what[n] == '\0'))
			return (enum ff__http_query_kind)k;
	}
	return FF_HTTP_QUERY_OTHER;
}

const ff_histogram *ff__http_pool_latency(const ff__http_pool *p, enum ff__http_query_kind k)
{
	return &p->latency[(unsigned)k < FF_HTTP_QUERY_KINDS ? k : FF_HTTP_QUERY_OTHER];
}

/* On the loop: sends a worker's answer and frees the job. */
static void ff_http_pool_answer(ff__http_pool *p, ff__http_job *j)
{
	char msg[256];
	ff_histogram_observe_us(&p->latency[ff_http_query_kind_of(j->what)],
				ff_time_mono_us() - j->submitted_us);
	if (j->rc == 0) {
		p->n_run++;
		ff_http_reply_json_text(j->req, 200, "OK", j->body);
	} else if (j->rc == -ETIMEDOUT) {
		p->n_timed_out++;
		snprintf(msg, sizeof msg,
			 "the query ran past the query timeout of %" PRIu64
			 " ms; narrow its window, agent or filter, or retry later",
			 p->timeout_ms);
		ff_log_warn("http: %s: stopped after %" PRIu64 " ms (--query-timeout)", j->what,
			    p->timeout_ms);
		ff_http_reply_busy(j->req, msg);
	} else {
		p->n_failed++;
		ff_log_error("http: %s: %s", j->what, ff_http_pool_reason(j->rc));
		ff_http_reply_error(j->req, 500, "Internal Server Error",
				    ff_http_pool_reason(j->rc));
	}
	ff_http_job_free(j);
}

static void ff_http_pool_deliver(ff__http_pool *p)
{
	pthread_mutex_lock(&p->lock);
	ff__http_job *j = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->lock);
	while (j != NULL) {
		ff__http_job *next = j->next;
		ff_http_pool_answer(p, j);
		j = next;
	}
}

/* The pipe is drained before the list is taken, so no answer waits for a later wake-up. */
static void ff_http_pool_on_done(evutil_socket_t fd, short events, void *arg)
{
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
	ff_http_pool_deliver(arg);
}

/* Workers block every signal: they go to the loop's thread, which handles them. */
static int ff_http_pool_start_workers(ff__http_pool *p)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = 0;
	for (; p->started < p->threads; p->started++) {
		rc = pthread_create(&p->tids[p->started], NULL, ff_http_pool_worker, p);
		if (rc != 0) {
			ff_log_errno(FF_LOG_ERROR, rc, "http: starting query thread %zu failed",
				     p->started + 1);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

ff__http_pool *ff__http_pool_new(struct event_base *base, size_t threads, size_t queue,
				 uint64_t timeout_ms)
{
	ff__http_pool *p = calloc(1, sizeof *p);
	if (p == NULL) {
		ff_log_error("http: out of memory");
		return NULL;
	}
	*p = (ff__http_pool){
	    .pipe_fd = {-1, -1}, .threads = threads, .queue = queue, .timeout_ms = timeout_ms};
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (pipe2(p->pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "http: pipe for the query threads failed");
		goto err;
	}
	p->on_done = event_new(base, p->pipe_fd[0], EV_READ | EV_PERSIST, ff_http_pool_on_done, p);
	p->tids = calloc(threads, sizeof *p->tids);
	if (p->on_done == NULL || event_add(p->on_done, NULL) != 0 || p->tids == NULL) {
		ff_log_error("http: out of memory");
		goto err;
	}
	if (ff_http_pool_start_workers(p) != 0)
		goto err;
	return p;
err:
	ff__http_pool_free(p);
	return NULL;
}

void ff__http_pool_submit(ff__http_pool *p, struct evhttp_request *req, ff__http_job *j)
{
	char msg[256];
	j->req = req;
	j->deadline_ms = p->timeout_ms ? ff_query_clock_ms() + p->timeout_ms : 0;
	j->submitted_us = ff_time_mono_us();
	pthread_mutex_lock(&p->lock);
	size_t running = p->running, waiting = p->waiting;
	bool admit = !p->stopping && running + waiting < p->threads + p->queue;
	if (admit) {
		j->next = NULL;
		if (p->todo_tail != NULL)
			p->todo_tail->next = j;
		else
			p->todo_head = j;
		p->todo_tail = j;
		p->waiting++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	if (admit)
		return;
	p->n_busy++;
	snprintf(msg, sizeof msg,
		 "too many queries at once (%zu running, %zu waiting, of --query-threads %zu and "
		 "--query-queue %zu); retry later",
		 running, waiting, p->threads, p->queue);
	ff_log_debug("http: %s refused: %s", j->what, msg);
	ff_http_reply_busy(req, msg);
	ff_http_job_free(j);
}

void ff__http_pool_get_stats(ff__http_pool *p, ff__http_pool_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = (ff__http_pool_stats){.threads = p->threads,
				     .queue = p->queue,
				     .timeout_ms = p->timeout_ms,
				     .running = p->running,
				     .waiting = p->waiting,
				     .run = p->n_run,
				     .busy = p->n_busy,
				     .timed_out = p->n_timed_out,
				     .failed = p->n_failed};
	pthread_mutex_unlock(&p->lock);
}

/* Under stop: the jobs that never started are refused, as if they had come too late. */
static void ff_http_pool_refuse_waiting(ff__http_pool *p, ff__http_job *j)
{
	while (j != NULL) {
		ff__http_job *next = j->next;
		p->n_busy++;
		ff_http_reply_busy(j->req, "the aggregator is shutting down");
		ff_http_job_free(j);
		j = next;
	}
}

void ff__http_pool_free(ff__http_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	ff__http_job *waiting = p->todo_head;
	p->todo_head = p->todo_tail = NULL;
	p->waiting = 0;
	size_t running = p->running;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	ff_http_pool_refuse_waiting(p, waiting);
	if (running > 0)
		ff_log_info("http: waiting for %zu running quer%s to end", running,
			    running == 1 ? "y" : "ies");
	for (size_t i = 0; i < p->started; i++)
		pthread_join(p->tids[i], NULL);
	ff_http_pool_deliver(p);
	ff_log_info("http: queries answered %" PRIu64 ", refused busy %" PRIu64
		    ", timed out %" PRIu64 ", failed %" PRIu64,
		    p->n_run, p->n_busy, p->n_timed_out, p->n_failed);
	if (p->on_done != NULL)
		event_free(p->on_done);
	for (int i = 0; i < 2; i++)
		if (p->pipe_fd[i] >= 0)
			close(p->pipe_fd[i]);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->tids);
	free(p);
}
