#include "query_flows.h"

#include "query_deadline.h"
#include "query_select.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A candidate row and its position in the scan, the last tie-breaker. */
typedef struct ff_flows_entry {
	ff_flows_row row;
	uint64_t seq;
} ff_flows_entry;

/*
 * The heap keeps the `limit` records that come first in listing order; its
 * root is the one that comes last among them, the first to be pushed out.
 */
typedef struct ff_flows_ctx {
	const ff_flows_query *q;
	ff_flows_entry *heap;
	size_t n, cap;
	uint64_t seq;
	uint64_t matched;
	bool failed; /* out of memory growing the heap */
} ff_flows_ctx;

/* True when `a` is listed before `b` in time order, oldest first. */
static bool ff_flows_older(const ff_flows_entry *a, const ff_flows_entry *b)
{
	if (a->row.flow.first_ms != b->row.flow.first_ms)
		return a->row.flow.first_ms < b->row.flow.first_ms;
	if (a->row.flow.last_ms != b->row.flow.last_ms)
		return a->row.flow.last_ms < b->row.flow.last_ms;
	return a->seq < b->seq;
}

/* True when `a` is listed before `b` in the query's order. */
static bool ff_flows_before(const ff_flows_ctx *x, const ff_flows_entry *a,
			    const ff_flows_entry *b)
{
	return x->q->newest_first ? ff_flows_older(b, a) : ff_flows_older(a, b);
}

static void ff_flows_swap(ff_flows_entry *a, ff_flows_entry *b)
{
	ff_flows_entry t = *a;
	*a = *b;
	*b = t;
}

static void ff_flows_sift_up(ff_flows_ctx *x, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ff_flows_before(x, &x->heap[p], &x->heap[i]))
			return;
		ff_flows_swap(&x->heap[p], &x->heap[i]);
		i = p;
	}
}

static void ff_flows_sift_down(ff_flows_ctx *x, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < x->n && ff_flows_before(x, &x->heap[m], &x->heap[l]))
			m = l;
		if (r < x->n && ff_flows_before(x, &x->heap[m], &x->heap[r]))
			m = r;
		if (m == i)
			return;
		ff_flows_swap(&x->heap[m], &x->heap[i]);
		i = m;
	}
}

/* The heap grows with what matches, so a small answer costs little memory. */
static int ff_flows_grow(ff_flows_ctx *x)
{
	size_t cap = x->cap ? x->cap * 2 : 1024;
	if (cap > x->q->limit)
		cap = x->q->limit;
	ff_flows_entry *h = realloc(x->heap, cap * sizeof *h);
	if (h == NULL)
		return -1;
	x->heap = h;
	x->cap = cap;
	return 0;
}

static int ff_flows_offer(ff_flows_ctx *x, const ff_flow *f, const char *agent)
{
	ff_flows_entry e = {.row.flow = *f, .seq = x->seq++};
	if (x->n == x->q->limit && !ff_flows_before(x, &e, &x->heap[0]))
		return 0;
	if (x->n == x->cap && x->n < x->q->limit && ff_flows_grow(x) != 0)
		return -1;
	snprintf(e.row.agent, sizeof e.row.agent, "%s", agent);
	if (x->n < x->q->limit) {
		x->heap[x->n++] = e;
		ff_flows_sift_up(x, x->n - 1);
	} else {
		x->heap[0] = e;
		ff_flows_sift_down(x, 0);
	}
	return 0;
}

static int ff_flows_scan_batch(void *arg, const ff_batch *b)
{
	ff_flows_ctx *x = arg;
	if (ff_query_expired(x->q->deadline_ms)) {
		x->failed = true;
		return 1;
	}
	if (x->q->agent != NULL && strcmp(x->q->agent, b->agent_id) != 0)
		return 0;
	for (size_t i = 0; i < b->n_records; i++) {
		const ff_flow *f = &b->records[i];
		if (!ff__query_selects(x->q->since_ms, x->q->until_ms, x->q->filter, f))
			continue;
		x->matched++;
		if (ff_flows_offer(x, f, b->agent_id) != 0) {
			x->failed = true;
			return 1;
		}
	}
	return 0;
}

/* The heap, emptied root first, gives the rows last to first. */
static void ff_flows_drain(ff_flows_ctx *x, ff_flows_result *out)
{
	size_t n = x->n;
	while (x->n > 0) {
		out->rows[x->n - 1] = x->heap[0].row;
		x->heap[0] = x->heap[--x->n];
		ff_flows_sift_down(x, 0);
	}
	out->n_rows = n;
}

/* The C engine: the best `limit` records of the store's scan, in a heap. */
static int ff_flows_scan(ff_store *store, const ff_flows_query *q, ff_flows_result *out)
{
	ff_flows_ctx x = {.q = q};
	/* Rows carry whole records, so every field is read; rollups would merge them. */
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = q->until_ms ? q->until_ms : UINT64_MAX,
				.agent = q->agent,
				.fields = 0,
				.filter = q->filter,
				.rollup_bin_ms = 0};
	/* A positive return is the callback's stop (x.failed); a negative one the store's error. */
	int rc = ff_store_scan_range(store, &range, ff_flows_scan_batch, &x);
	if (rc < 0) {
		free(x.heap);
		return rc;
	}
	if (!x.failed)
		out->rows = malloc((x.n ? x.n : 1) * sizeof *out->rows);
	if (out->rows == NULL) {
		free(x.heap);
		return ff_query_expired(q->deadline_ms) ? -ETIMEDOUT : -ENOMEM;
	}
	out->matched = x.matched;
	ff_flows_drain(&x, out);
	free(x.heap);
	return 0;
}

int ff_flows_run(ff_store *store, const ff_flows_query *q, ff_flows_result *out)
{
	memset(out, 0, sizeof *out);
	if (q->limit == 0 || q->limit > FF_FLOWS_MAX_LIMIT)
		return -EINVAL;
	if (store->ops->flows != NULL)
		return store->ops->flows(store, q, out);
	return ff_flows_scan(store, q, out);
}

void ff_flows_result_free(ff_flows_result *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
