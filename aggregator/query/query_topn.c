/*
 * The top-N engine: the column-block scan that groups records per thread
 * (its aggregation is topn_block's), the merge of the threads' groups, the
 * ranking of a pass and the run over the passes the partition planner asks
 * for. Its parts live beside it: thread state (topn_ctx), group keys
 * (topn_key), the group table (topn_table), the distinct-key sketch
 * (topn_sketch) and the planner (topn_partition).
 */
#include "query_topn.h"

#include "ff_flow.h"
#include "query_deadline.h"
#include "query_select.h"
#include "topn_ctx.h"
#include "topn_key.h"
#include "topn_partition.h"
#include "topn_sketch.h"
#include "topn_table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A group on its way to becoming a row. */
typedef struct ff_topn_group {
	uint64_t metric;
	ff__topn_counts c;
	ff__topn_key key;
} ff_topn_group;

int ff__topn_count_only(ff__topn_ctx *x)
{
	x->hll = calloc(FF_TOPN_HLL_REGS, 1);
	if (x->hll == NULL)
		return -1;
	ff__topn_hll_add_table(x->hll, &x->groups);
	ff__topn_hll_add_table4(x->hll, &x->groups4);
	ff__topn_table_free(&x->groups);
	ff__topn_table4_free(&x->groups4);
	return 0;
}

/* pps, bps and bpp as nfdump computes them, truncated to integers. */
static void ff_topn_rates(const ff__topn_counts *c, uint64_t *pps, uint64_t *bps, uint64_t *bpp)
{
	uint64_t dur = c->last_ms > c->first_ms ? c->last_ms - c->first_ms : 0;
	/* 128-bit intermediates: bytes * 8000 overflows 64 bits past 2 PB. */
	*pps = dur ? (uint64_t)((unsigned __int128)c->packets * 1000 / dur) : 0;
	*bps = dur ? (uint64_t)((unsigned __int128)c->bytes * 8000 / dur) : 0;
	*bpp = c->packets ? c->bytes / c->packets : 0;
}

static uint64_t ff_topn_metric(enum ff_order order, const ff__topn_counts *c)
{
	uint64_t pps, bps, bpp;
	switch (order) {
	case FF_ORDER_FLOWS:
		return c->flows;
	case FF_ORDER_PACKETS:
		return c->packets;
	case FF_ORDER_BYTES:
		return c->bytes;
	default:
		ff_topn_rates(c, &pps, &bps, &bpp);
		return order == FF_ORDER_PPS ? pps : order == FF_ORDER_BPS ? bps : bpp;
	}
}

static int ff_topn_cmp(const void *a, const void *b)
{
	const ff_topn_group *x = a, *y = b;
	if (x->metric != y->metric)
		return x->metric > y->metric ? -1 : 1;
	return memcmp(x->key.b, y->key.b, sizeof x->key.b);
}

static void ff_topn_fill_row(enum ff_element el, const ff_topn_group *g, ff_topn_row *r)
{
	ff__topn_key_format(el, &g->key, r->key);
	r->flows = g->c.flows;
	r->packets = g->c.packets;
	r->bytes = g->c.bytes;
	r->first_ms = g->c.first_ms;
	r->last_ms = g->c.last_ms;
	ff_topn_rates(&g->c, &r->pps, &r->bps, &r->bpp);
}

/*
 * A pass's groups sorted, cut to the first n (all for n = 0): the rows its
 * keys can contribute to the answer. Caller frees *out.
 */
/* Sifts the worst kept group down from slot i: h[0] is the worst of a heap of n. */
static void ff_topn_sift(ff_topn_group *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && ff_topn_cmp(&h[l], &h[w]) > 0)
			w = l;
		if (r < n && ff_topn_cmp(&h[r], &h[w]) > 0)
			w = r;
		if (w == i)
			return;
		ff_topn_group t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/*
 * Keeps group `c` if it is among the best `keep` so far: a heap whose root
 * is the worst kept, so a pass of many groups sorts only the n it returns.
 */
static void ff_topn_offer(ff_topn_group *h, size_t *n, size_t keep, const ff_topn_group *c)
{
	if (*n < keep) {
		size_t i = (*n)++;
		h[i] = *c;
		/* Sift up: a parent is never better than its children. */
		while (i > 0 && ff_topn_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
			ff_topn_group t = h[i];
			h[i] = h[(i - 1) / 2];
			h[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
		return;
	}
	if (ff_topn_cmp(c, &h[0]) < 0) {
		h[0] = *c;
		ff_topn_sift(h, *n, 0);
	}
}

/*
 * A pass's groups sorted, cut to the first n (all for n = 0): the rows its
 * keys can contribute to the answer. Caller frees *out.
 */
static int ff_topn_rank(ff__topn_ctx *x, ff_topn_group **out, size_t *n_out)
{
	size_t n_groups = x->groups.count + x->groups4.count;
	size_t keep = x->q->n == 0 || x->q->n > n_groups ? n_groups : x->q->n;
	ff_topn_group *g = calloc(keep ? keep : 1, sizeof *g);
	if (g == NULL)
		return -1;
	size_t cur = 0, n = 0;
	const void *k;
	ff__topn_counts *v;
	ff_topn_group c;
	while (ff__topn_table_next(&x->groups, &cur, &k, &v)) {
		memset(&c.key, 0, sizeof c.key);
		memcpy(&c.key, k, x->key_len);
		c.c = *v;
		c.metric = ff_topn_metric(x->q->order, &c.c);
		ff_topn_offer(g, &n, keep, &c);
	}
	cur = 0;
	uint32_t v4;
	while (ff__topn_table4_next(&x->groups4, &cur, &v4, &v)) {
		ff__topn_key_v4(&c.key, v4);
		c.c = *v;
		c.metric = ff_topn_metric(x->q->order, &c.c);
		ff_topn_offer(g, &n, keep, &c);
	}
	qsort(g, n, sizeof *g, ff_topn_cmp);
	*out = g;
	*n_out = n;
	return 0;
}

/* The best n groups of the passes so far, sorted. */
typedef struct ff_topn_best {
	ff_topn_group *g;
	size_t n;
} ff_topn_best;

/*
 * Adds a pass's sorted candidates (taking ownership of `g`). The order is
 * total (metric, then key) and every key lives in one partition only, so
 * the first n of all passes' first n are the first n of all groups.
 */
static int ff_topn_best_add(ff_topn_best *b, ff_topn_group *g, size_t n, size_t keep)
{
	if (b->g == NULL) {
		b->g = g;
		b->n = n;
		return 0;
	}
	ff_topn_group *all = realloc(b->g, (b->n + n + 1) * sizeof *all);
	if (all == NULL) {
		free(g);
		return -1;
	}
	memcpy(all + b->n, g, n * sizeof *g);
	free(g);
	b->g = all;
	b->n += n;
	qsort(all, b->n, sizeof *all, ff_topn_cmp);
	if (keep != 0 && b->n > keep)
		b->n = keep;
	return 0;
}

static int ff_topn_fill_rows(const ff_topn_query *q, const ff_topn_best *b, ff_topn_result *out)
{
	out->rows = calloc(b->n ? b->n : 1, sizeof *out->rows);
	if (out->rows == NULL)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		ff_topn_fill_row(q->element, &b->g[i], &out->rows[i]);
	out->n_rows = b->n;
	return 0;
}

/* The record fields a query reads: its element's, the counters, times, and the filter's. */
static uint32_t ff_topn_fields(const ff_topn_query *q)
{
	static const uint32_t el_fields[] = {
	    [FF_EL_SRCIP] = FF_STORE_F_SRC_ADDR,
	    [FF_EL_DSTIP] = FF_STORE_F_DST_ADDR,
	    [FF_EL_IP] = FF_STORE_F_SRC_ADDR | FF_STORE_F_DST_ADDR,
	    [FF_EL_SRCPORT] = FF_STORE_F_SRC_PORT,
	    [FF_EL_DSTPORT] = FF_STORE_F_DST_PORT,
	    [FF_EL_PORT] = FF_STORE_F_SRC_PORT | FF_STORE_F_DST_PORT,
	    [FF_EL_PROTO] = FF_STORE_F_PROTO,
	    [FF_EL_SRCAS] = FF_STORE_F_SRC_AS,
	    [FF_EL_DSTAS] = FF_STORE_F_DST_AS,
	    [FF_EL_INIF] = FF_STORE_F_IN_IF,
	    [FF_EL_OUTIF] = FF_STORE_F_OUT_IF,
	    [FF_EL_EXPORTER] = FF_STORE_F_EXPORTER,
	    [FF_EL_AGENT] = 0,
	};
	_Static_assert(FF_EL_COUNT == 13, "a new element needs its fields listed here");
	if ((size_t)q->element >= FF_EL_COUNT)
		return 0;
	return FF_STORE_F_TIMES | FF_STORE_F_COUNTERS | el_fields[q->element] |
	       ff_store_fields_of_filter(q->filter);
}

/*
 * The fields rows are chosen by: the filter's, and the times for a window.
 * With neither every row counts, and every column is read for every row.
 */
static uint32_t ff_topn_select_fields(const ff_topn_query *q)
{
	uint32_t f = ff_store_fields_of_filter(q->filter);
	if (q->since_ms != 0 || q->until_ms != 0)
		f |= FF_STORE_F_TIMES;
	return f;
}

static int ff_topn_ctx_init(ff__topn_ctx *x, const ff_topn_query *q, const ff__topn_plan *p,
			    ff__topn_part part, ff__topn_budget *budget)
{
	*x = (ff__topn_ctx){.q = q,
			   .key_len = ff__topn_key_len(q->element),
			   .part = part.index,
			   .part_mask = part.count - 1};
	ff__topn_budget *b = p->limit == SIZE_MAX ? NULL : budget;
	int rc = ff__topn_table_init(&x->groups, x->key_len, p->cap0, b);
	if (rc == 0 && ff__topn_is_addr(q->element))
		rc = ff__topn_table4_init(&x->groups4, p->cap0, b);
	if (ff__topn_is_direct(q->element)) {
		x->direct = calloc(FF_TOPN_DIRECT_SLOTS, sizeof *x->direct);
		x->seen = calloc(FF_TOPN_DIRECT_SLOTS, 1);
	}
	x->scratch = malloc(sizeof *x->scratch);
	bool ok =
	    rc == 0 && x->scratch != NULL &&
	    (!ff__topn_is_direct(q->element) || (x->direct != NULL && x->seen != NULL));
	return ok ? 0 : -1;
}

static void ff_topn_ctx_free(ff__topn_ctx *x)
{
	ff__topn_table_free(&x->groups);
	ff__topn_table4_free(&x->groups4);
	free(x->direct);
	free(x->seen);
	free(x->hll);
	free(x->scratch);
}

/*
 * A pass's tables outgrew the budget: try again partitioned. Positive, so
 * it stays distinct from -1 (out of memory) and from any negative error a
 * store's scan returns.
 */
#define FF_TOPN_EOVER 1

/* Moves the direct slots of `x` into its hash map, so ranking sees one kind of group. */
static int ff_topn_fold_direct(ff__topn_ctx *x)
{
	if (x->direct == NULL)
		return 0;
	size_t seen = 0;
	for (size_t i = 0; x->direct != NULL && i < FF_TOPN_DIRECT_SLOTS; i++)
		seen += x->seen[i];
	/* Sized once for every slot to come, rather than doubled on the way. */
	if (ff__topn_table_reserve(&x->groups, x->groups.count + seen) != 0)
		return -1;
	for (size_t i = 0; x->direct != NULL && i < FF_TOPN_DIRECT_SLOTS; i++) {
		if (!x->seen[i])
			continue;
		ff__topn_key k;
		ff__topn_key_number(&k, (uint32_t)i, i == FF_TOPN_DIRECT_SLOTS - 1);
		int created = 0;
		ff__topn_counts *d = ff__topn_table_upsert(
		    &x->groups, &k, ff__topn_hash(&k, x->groups.words), &created);
		if (d == NULL)
			return -1;
		ff__topn_counts_add(d, &x->direct[i], created);
	}
	return 0;
}

/* Adds thread `src`'s direct slots into `dst`'s, before either is folded. */
static void ff_topn_merge_direct(ff__topn_ctx *dst, const ff__topn_ctx *src)
{
	for (size_t i = 0; dst->direct != NULL && i < FF_TOPN_DIRECT_SLOTS; i++) {
		if (!src->seen[i])
			continue;
		ff__topn_counts_add(&dst->direct[i], &src->direct[i], !dst->seen[i]);
		dst->seen[i] = 1;
	}
}

/* Adds thread `src`'s groups and totals into `dst`: 0, -1 or FF_TOPN_EOVER. */
static int ff_topn_merge(ff__topn_ctx *dst, const ff__topn_ctx *src)
{
	size_t cur = 0;
	const void *k;
	ff__topn_counts *v;
	while (ff__topn_table_next(&src->groups, &cur, &k, &v)) {
		int created = 0;
		uint64_t h = ff__topn_hash(k, dst->groups.words);
		ff__topn_counts *d = ff__topn_table_upsert(&dst->groups, k, h, &created);
		if (d == NULL)
			return dst->groups.over ? FF_TOPN_EOVER : -1;
		ff__topn_counts_add(d, v, created);
	}
	cur = 0;
	uint32_t v4;
	while (ff__topn_table4_next(&src->groups4, &cur, &v4, &v)) {
		int created = 0;
		ff__topn_counts *d =
		    ff__topn_table4_upsert(&dst->groups4, v4, ff__topn_hash4(v4), &created);
		if (d == NULL)
			return dst->groups4.over ? FF_TOPN_EOVER : -1;
		ff__topn_counts_add(d, v, created);
	}
	ff_topn_total *t = &dst->total;
	const ff_topn_total *o = &src->total;
	ff_counter_add(&t->flows, o->flows);
	ff_counter_add(&t->packets, o->packets);
	ff_counter_add(&t->bytes, o->bytes);
	if (o->records != 0 && (t->records == 0 || o->first_ms < t->first_ms))
		t->first_ms = o->first_ms;
	if (o->last_ms > t->last_ms)
		t->last_ms = o->last_ms;
	t->records += o->records;
	return 0;
}

/*
 * Scans with one context per thread and merges them all into x[0]. Returns
 * 0, -1 (out of memory), the store's negative error when its scan failed,
 * or FF_TOPN_EOVER when a table outgrew the budget (the scan still runs to
 * its end then, counting keys for ff_topn_estimate()).
 */
static int ff_topn_scan(ff_store *store, const ff_topn_query *q, ff__topn_ctx *x, size_t n,
			ff_store_read *read)
{
	void *args[FF_TOPN_MAX_THREADS];
	for (size_t i = 0; i < n; i++)
		args[i] = &x[i];
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = q->until_ms ? q->until_ms : UINT64_MAX,
				.agent = q->agent,
				.fields = ff_topn_fields(q),
				.select_fields = ff_topn_select_fields(q),
				.filter = q->filter,
				.rollup_bin_ms = ff_store_filter_fits_rollups(q->filter) ? UINT64_MAX : 0,
				.read = read};
	/*
	 * A store error (i/o, out of memory for its buffers) would leave the
	 * answer partial: it is the query's. A positive return is a callback
	 * that stopped the scan, and its context tells why.
	 */
	int rc = ff_store_scan_blocks(store, &range, ff__topn_scan_block, args, n);
	if (rc > 0)
		rc = 0;
	bool over = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		over |= x[i].hll != NULL;
		rc = x[i].failed ? -1 : 0;
	}
	if (rc == 0 && over)
		return FF_TOPN_EOVER;
	/* Direct slots merge slot by slot; only the sum becomes hash-table groups. */
	for (size_t i = 1; rc == 0 && i < n; i++)
		ff_topn_merge_direct(&x[0], &x[i]);
	if (rc == 0)
		rc = ff_topn_fold_direct(&x[0]);
	for (size_t i = 1; rc == 0 && i < n; i++) {
		rc = ff_topn_merge(&x[0], &x[i]);
		/* Merged keys live in x[0] now: the budget gets their room back. */
		if (rc == 0) {
			ff__topn_table_free(&x[i].groups);
			ff__topn_table4_free(&x[i].groups4);
		}
	}
	return rc;
}

/* The distinct keys of a pass that outgrew its budget: the threads' sketches and tables. */
static double ff_topn_estimate(const ff__topn_ctx *x, size_t n)
{
	uint8_t *regs = calloc(FF_TOPN_HLL_REGS, 1);
	if (regs == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].hll != NULL)
			ff__topn_hll_merge(regs, x[i].hll);
		ff__topn_hll_add_table(regs, &x[i].groups);
		ff__topn_hll_add_table4(regs, &x[i].groups4);
	}
	double keys = ff__topn_hll_estimate(regs);
	free(regs);
	return keys;
}

/* What one pass leaves: its candidate rows and totals, or, over budget, its keys. */
typedef struct ff_topn_pass {
	ff_topn_group *top; /* owned */
	size_t n_top;
	ff_topn_total total;
	double keys;
} ff_topn_pass;

/*
 * Runs one pass over partition `part`: 0, -1, the store's negative error,
 * or FF_TOPN_EOVER with out->keys.
 */
static int ff_topn_pass_run(ff_store *store, const ff_topn_query *q, const ff__topn_plan *p,
			    ff__topn_part part, ff_topn_pass *out)
{
	ff__topn_ctx x[FF_TOPN_MAX_THREADS];
	ff__topn_budget budget = {.limit = p->limit};
	atomic_init(&budget.used, 0);
	size_t ready = 0;
	int rc = 0;
	ff_store_read read = {0};
	memset(out, 0, sizeof *out);
	for (; rc == 0 && ready < p->threads; ready++)
		rc = ff_topn_ctx_init(&x[ready], q, p, part, &budget);
	if (rc == 0)
		rc = ff_topn_scan(store, q, x, p->threads, &read);
	if (rc == FF_TOPN_EOVER)
		out->keys = ff_topn_estimate(x, p->threads);
	if (rc == 0)
		rc = ff_topn_rank(&x[0], &out->top, &out->n_top);
	if (rc == 0) {
		out->total = x[0].total;
		out->total.rows = x[0].groups.count + x[0].groups4.count;
		out->total.read = read;
	}
	for (size_t i = 0; i < ready; i++)
		ff_topn_ctx_free(&x[i]);
	return rc;
}

/* Takes a pass's rows (ownership too) and totals into the answer so far. */
static int ff_topn_keep(ff_topn_best *best, ff_topn_pass *pass, size_t n, ff_topn_total *t)
{
	ff_topn_total sum = pass->total; /* record totals: every pass sees all records */
	sum.rows += t->rows;
	sum.passes = t->passes;
	sum.partitions = t->partitions + 1;
	*t = sum;
	return ff_topn_best_add(best, pass->top, pass->n_top, n);
}

/* The C engine: passes over the store's scans until every partition is answered. */
static int ff_topn_run_passes(ff_store *store, const ff_topn_query *q, ff_topn_result *out)
{
	ff__topn_plan plan;
	ff__topn_parts todo = {0};
	ff_topn_best best = {0};
	ff__topn_plan_init(&plan, q);
	int rc = ff__topn_parts_push(&todo, (ff__topn_part){0, 1});
	while (rc == 0 && todo.n > 0) {
		ff__topn_part part = todo.p[--todo.n];
		ff_topn_pass pass;
		rc = ff_topn_pass_run(store, q, &plan, part, &pass);
		out->total.passes++;
		if (rc == FF_TOPN_EOVER)
			rc = ff__topn_split(&todo, part, pass.keys, &plan);
		else if (rc == 0)
			rc = ff_topn_keep(&best, &pass, q->n, &out->total);
	}
	if (rc == 0)
		rc = ff_topn_fill_rows(q, &best, out);
	/* A scan stopped by the deadline failed its pass; say why. */
	if (rc != 0 && ff_query_expired(q->deadline_ms))
		rc = -ETIMEDOUT;
	/* The engine's own allocations fail with -1. */
	else if (rc == -1)
		rc = -ENOMEM;
	if (rc != 0)
		memset(&out->total, 0, sizeof out->total);
	free(best.g);
	free(todo.p);
	return rc;
}

int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out)
{
	memset(out, 0, sizeof *out);
	if (store->ops->topn != NULL)
		return store->ops->topn(store, q, out);
	return ff_topn_run_passes(store, q, out);
}

void ff_topn_result_free(ff_topn_result *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
