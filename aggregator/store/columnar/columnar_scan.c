/*
 * Scans of the columnar store (columnar_impl.h): the plan of which files
 * to read (scan_plan.h), then their row groups, skipping what the
 * window, the agent or the filter's column bounds rule out, on one thread
 * or one per core.
 */
#include "columnar_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The scan of one segment's groups, handing out records (cb, with per-thread
 * buffers in `rows` and `scratch`) or column blocks (bcb, with `cur` and `buf`).
 */
typedef struct ff_cs_scanner {
	const ff_store_range *r;
	uint32_t cols;	/* FF_SEGMENT_COL_* bits */
	uint32_t early; /* of those, decoded for every row; FF_SEGMENT_COLS_ALL: all */
	ff_store_scan_fn cb;
	ff_store_block_fn bcb;
	void *arg;
	ff_flow *rows;
	uint8_t *scratch;
	ff_segment_cursor *cur;
	ff_block_buf *buf;
} ff_cs_scanner;

/* The segment columns that hold the record fields of an FF_STORE_F_* mask. */
static uint32_t ff_cs_columns(uint32_t fields)
{
	static const uint32_t map[][2] = {
	    {FF_STORE_F_TIMES, FF_SEGMENT_COL_FIRST | FF_SEGMENT_COL_LAST},
	    {FF_STORE_F_COUNTERS,
	     FF_SEGMENT_COL_BYTES | FF_SEGMENT_COL_PACKETS | FF_SEGMENT_COL_FLOWS},
	    {FF_STORE_F_SRC_ADDR, FF_SEGMENT_COL_SRC_ADDR},
	    {FF_STORE_F_DST_ADDR, FF_SEGMENT_COL_DST_ADDR},
	    {FF_STORE_F_EXPORTER, FF_SEGMENT_COL_EXPORTER},
	    {FF_STORE_F_SRC_AS, FF_SEGMENT_COL_SRC_AS},
	    {FF_STORE_F_DST_AS, FF_SEGMENT_COL_DST_AS},
	    {FF_STORE_F_IN_IF, FF_SEGMENT_COL_IN_IF},
	    {FF_STORE_F_OUT_IF, FF_SEGMENT_COL_OUT_IF},
	    {FF_STORE_F_SAMPLING, FF_SEGMENT_COL_SAMPLING},
	    {FF_STORE_F_SRC_PORT, FF_SEGMENT_COL_SRC_PORT},
	    {FF_STORE_F_DST_PORT, FF_SEGMENT_COL_DST_PORT},
	    {FF_STORE_F_PROTO, FF_SEGMENT_COL_PROTO},
	    {FF_STORE_F_TCP_FLAGS, FF_SEGMENT_COL_TCP_FLAGS},
	    {FF_STORE_F_TOS, FF_SEGMENT_COL_TOS},
	};
	uint32_t cols = 0;
	if (fields == 0)
		return FF_SEGMENT_COLS_ALL;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (fields & map[i][0])
			cols |= map[i][1];
	return cols;
}

static bool ff_cs_seg_may_match(const ff_segment *seg, const ff_store_range *r, long *agent)
{
	const ff_segment_meta *m = ff_segment_get_meta(seg);
	*agent = r->agent != NULL ? ff_segment_find_agent(seg, r->agent) : -1;
	if (m->rows == 0 || (r->agent != NULL && *agent < 0))
		return false;
	return m->max_first_ms >= r->since_ms && m->min_last_ms <= r->until_ms;
}

/* Hands out the rows of one group as runs of one agent. */
static int ff_cs_emit(const ff_segment *seg, const ff_flow *rows, size_t n, long agent,
		      const ff_cs_scanner *x)
{
	for (size_t i = 0, j; i < n; i = j) {
		uint32_t a = rows[i].agent_ref;
		for (j = i + 1; j < n && rows[j].agent_ref == a; j++)
			;
		if (agent >= 0 && a != (uint32_t)agent)
			continue;
		ff_batch v = {.records = (ff_flow *)rows + i, .n_records = j - i};
		snprintf(v.agent_id, sizeof v.agent_id, "%s", ff_segment_agent(seg, a));
		int rc = x->cb(x->arg, &v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void ff_cs_mark_bad(ff_cstore *cs, ff_cseg *c)
{
	atomic_store(&c->bad, true);
	atomic_store(&cs->any_bad, true);
}

/* Whether segment c may be read for this scan, verifying its blocks on first use. */
static bool ff_cs_seg_usable(ff_cstore *cs, ff_cseg *c, const ff_store_range *r, long *agent)
{
	if (atomic_load(&c->bad) || !ff_cs_seg_may_match(c->seg, r, agent))
		return false;
	if (ff_segment_verify(c->seg) != 0) {
		ff_cs_mark_bad(cs, c);
		return false;
	}
	return true;
}

/* The key fields whose bounds the directory gives, as the filter module names them. */
static const struct ff_cs_bound_map {
	uint32_t field;
	uint32_t col;
	size_t off;
} ff_cs_bound_maps[] = {
    {FF_FIELD_SRC_PORT, FF_SEGMENT_COL_SRC_PORT, offsetof(ff_filter_bounds, src_port)},
    {FF_FIELD_DST_PORT, FF_SEGMENT_COL_DST_PORT, offsetof(ff_filter_bounds, dst_port)},
    {FF_FIELD_PROTO, FF_SEGMENT_COL_PROTO, offsetof(ff_filter_bounds, proto)},
    {FF_FIELD_TOS, FF_SEGMENT_COL_TOS, offsetof(ff_filter_bounds, tos)},
    {FF_FIELD_TCP_FLAGS, FF_SEGMENT_COL_TCP_FLAGS, offsetof(ff_filter_bounds, tcp_flags)},
    {FF_FIELD_SRC_AS, FF_SEGMENT_COL_SRC_AS, offsetof(ff_filter_bounds, src_as)},
    {FF_FIELD_DST_AS, FF_SEGMENT_COL_DST_AS, offsetof(ff_filter_bounds, dst_as)},
    {FF_FIELD_IN_IF, FF_SEGMENT_COL_IN_IF, offsetof(ff_filter_bounds, in_if)},
    {FF_FIELD_OUT_IF, FF_SEGMENT_COL_OUT_IF, offsetof(ff_filter_bounds, out_if)},
};

/* One column's bounds in row group g into *out; false when the directory has none. */
static bool ff_cs_bound(const ff_segment *seg, size_t g, uint32_t col, ff_filter_range *out)
{
	return ff_segment_group_bounds(seg, g, (int)col, &out->min, &out->max) == 0;
}

/*
 * Whether row group g may hold a record `f` matches, judged from the
 * directory's column bounds alone (nothing is read): a filter on a port or
 * protocol a group never has skips it.
 */
static bool ff_cs_group_may_match(const ff_segment *seg, size_t g, const ff_filter *f)
{
	if (f == NULL)
		return true;
	ff_filter_bounds b = {.wildcards_possible = UINT32_MAX};
	for (size_t i = 0; i < sizeof ff_cs_bound_maps / sizeof ff_cs_bound_maps[0]; i++) {
		const struct ff_cs_bound_map *m = &ff_cs_bound_maps[i];
		if (ff_cs_bound(seg, g, m->col, (ff_filter_range *)((char *)&b + m->off)))
			b.known |= m->field;
	}
	if (ff_cs_bound(seg, g, FF_SEGMENT_COL_BYTES, &b.bytes) &&
	    ff_cs_bound(seg, g, FF_SEGMENT_COL_PACKETS, &b.packets) &&
	    ff_cs_bound(seg, g, FF_SEGMENT_COL_FLOWS, &b.flows))
		b.known |= FF_FILTER_READS_COUNTERS;
	uint64_t wmin, wmax;
	if (ff_segment_group_bounds(seg, g, FF_SEGMENT_COL_WILDCARDS, &wmin, &wmax) == 0)
		/* Only bits at or below the highest one of the largest value can be set. */
		b.wildcards_possible = wmax == 0 ? 0
				       : wmax > UINT32_MAX
					   ? UINT32_MAX
					   : UINT32_MAX >> __builtin_clz((uint32_t)wmax);
	return ff_filter_may_match(f, &b);
}

/* Whether any row group of the segment may hold a match: if none, it is not read at all. */
static bool ff_cs_seg_filter_may_match(const ff_segment *seg, const ff_filter *f)
{
	for (size_t g = 0; f != NULL && g < ff_segment_groups(seg); g++)
		if (ff_cs_group_may_match(seg, g, f))
			return true;
	return f == NULL;
}

/* Hands out a decoded block as runs of one agent (`agent` alone when >= 0). */
static int ff_cs_emit_block(const ff_segment *seg, const ff_block *blk, const uint32_t *refs,
			    long agent, const ff_cs_scanner *x)
{
	for (size_t i = 0, j; i < blk->n; i = j) {
		uint32_t a = refs[i];
		for (j = i + 1; j < blk->n && refs[j] == a; j++)
			;
		if (agent >= 0 && a != (uint32_t)agent)
			continue;
		ff_block run;
		ff_block_advance(blk, i, j - i, &run);
		run.agent_id = ff_segment_agent(seg, a);
		int rc = x->bcb(x->arg, &run);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A row group as column blocks; a block that does not decode marks the segment bad. */
static int ff_cs_scan_group_blocks(ff_cstore *cs, ff_cseg *c, size_t g, long agent,
				   const ff_cs_scanner *x)
{
	ff_block blk;
	long n = ff_segment_cursor_start(x->cur, c->seg, g, x->cols, x->early);
	int rc = 0;
	while (n == 0 && rc == 0 && (n = ff_segment_cursor_next(x->cur, x->buf, &blk)) > 0) {
		rc = ff_cs_emit_block(c->seg, &blk, x->buf->agent, agent, x);
		n = 0;
	}
	/*
	 * A block that does not decode, now or when the reader loads its lazy
	 * columns (it then stops with the error, having counted none of the
	 * block): the file changed under us, as for records.
	 */
	if (n < 0 || (rc != 0 && ff_segment_cursor_failed(x->cur))) {
		ff_cs_mark_bad(cs, c);
		return 0;
	}
	return rc;
}

static int ff_cs_scan_group(ff_cstore *cs, ff_cseg *c, size_t g, long agent, const ff_cs_scanner *x)
{
	ff_segment_group_info gi;
	ff_segment_group(c->seg, g, &gi);
	if (gi.max_first_ms < x->r->since_ms ||
	    (agent >= 0 && ((uint32_t)agent < gi.min_agent || (uint32_t)agent > gi.max_agent)) ||
	    !ff_cs_group_may_match(c->seg, g, x->r->filter))
		return 0;
	if (x->bcb != NULL)
		return ff_cs_scan_group_blocks(cs, c, g, agent, x);
	long n = ff_segment_read_group_cols(c->seg, g, x->cols, x->rows, x->scratch);
	if (n < 0) {
		/* Verified blocks that do not decode: the file changed under us. */
		ff_cs_mark_bad(cs, c);
		return 0;
	}
	return ff_cs_emit(c->seg, x->rows, (size_t)n, agent, x);
}

static int ff_cs_scan_seg(ff_cstore *cs, ff_cseg *c, const ff_cs_scanner *x)
{
	long agent;
	if (!ff_cs_seg_filter_may_match(c->seg, x->r->filter) ||
	    !ff_cs_seg_usable(cs, c, x->r, &agent))
		return 0;
	for (size_t g = 0; g < ff_segment_groups(c->seg); g++) {
		int rc = ff_cs_scan_group(cs, c, g, agent, x);
		if (rc != 0 || atomic_load(&c->bad))
			return rc;
	}
	return 0;
}

static int ff_cs_scanner_init(ff_cs_scanner *x, const ff_store_range *r, ff_store_scan_fn cb,
			      ff_store_block_fn bcb, void *arg)
{
	*x = (ff_cs_scanner){
	    .r = r, .cols = ff_cs_columns(r->fields), .cb = cb, .bcb = bcb, .arg = arg};
	/* ff_cs_columns(0) is every column: no select_fields means none is late. */
	x->early = r->select_fields != 0 ? ff_cs_columns(r->select_fields) : FF_SEGMENT_COLS_ALL;
	if (bcb != NULL) {
		x->cur = ff_segment_cursor_new();
		x->buf = malloc(sizeof *x->buf);
		return x->cur != NULL && x->buf != NULL ? 0 : -ENOMEM;
	}
	/* calloc: fields a column mask leaves out must still be defined bytes. */
	x->rows = calloc(FF_SEGMENT_GROUP_ROWS, sizeof *x->rows);
	x->scratch = malloc(FF_SEGMENT_SCRATCH);
	return x->rows != NULL && x->scratch != NULL ? 0 : -ENOMEM;
}

static void ff_cs_scanner_free(ff_cs_scanner *x)
{
	free(x->rows);
	free(x->scratch);
	ff_segment_cursor_free(x->cur);
	free(x->buf);
}

static int ff_cs_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static ff_plan_unit ff_cs_unit(const ff_cseg *c)
{
	const ff_segment_meta *m = ff_segment_get_meta(c->seg);
	return (ff_plan_unit){.kind = c->kind,
			      .covers_first = m->covers_first,
			      .covers_last = m->covers_last,
			      .min_first_ms = m->min_first_ms,
			      .max_first_ms = m->max_first_ms,
			      .min_last_ms = m->min_last_ms,
			      .max_last_ms = m->max_last_ms,
			      .keys = c->kind == FF_PLAN_RAW ? UINT32_MAX : m->rollup_keys,
			      .bin_ms = m->bin_ms,
			      .usable = m->rows > 0 && !atomic_load(&c->bad)};
}

/*
 * Chosen rollups are checked (every block's CRC, once per file) before the
 * scan: a damaged rollup is marked for quarantine and the plan made again
 * without it, so the query reads the raw segments instead of losing rows.
 */
static bool ff_cs_plan_verified(ff_cstore *cs, ff_cseg *const *all, ff_plan_unit *units,
				const size_t *chosen, size_t m)
{
	bool ok = true;
	for (size_t i = 0; i < m; i++) {
		ff_cseg *c = all[chosen[i]];
		if (c->kind != FF_PLAN_RAW && ff_segment_verify(c->seg) != 0) {
			ff_cs_mark_bad(cs, c);
			units[chosen[i]].usable = false;
			ok = false;
		}
	}
	return ok;
}

/*
 * The files a scan reads (scan_plan.h), into *out (malloc'd, caller
 * frees); caller holds the lock. Returns how many, or -1 when out of memory.
 */
static long ff_cs_plan(ff_cstore *cs, const ff_store_range *r, ff_cseg ***out)
{
	size_t n = 0, k = 0, m = 0;
	for (int kind = FF_PLAN_RAW; kind <= FF_PLAN_HOUR; kind++)
		n += cs->lists[kind].n;
	ff_cseg **all = malloc((n ? n : 1) * sizeof *all);
	ff_plan_unit *units = malloc((n ? n : 1) * sizeof *units);
	size_t *chosen = malloc((n ? n : 1) * sizeof *chosen);
	long rc = all != NULL && units != NULL && chosen != NULL ? 0 : -1;
	for (int kind = FF_PLAN_RAW; rc == 0 && kind <= FF_PLAN_HOUR; kind++) {
		for (size_t i = 0; i < cs->lists[kind].n; i++, k++) {
			all[k] = cs->lists[kind].v[i];
			units[k] = ff_cs_unit(all[k]);
		}
	}
	ff_plan_query q = {.since_ms = r->since_ms,
			   .until_ms = r->until_ms,
			   .keys_read = ff_store_keys_of_fields(r->fields),
			   .rollup_bin_ms = r->rollup_bin_ms};
	/* Each round drops at least one damaged rollup, so this ends. */
	do {
		m = rc == 0 ? ff_plan_choose(&q, units, n, chosen) : 0;
		if (rc == 0 && m == (size_t)-1)
			rc = -1;
	} while (rc == 0 && !ff_cs_plan_verified(cs, all, units, chosen, m));
	if (rc == 0)
		qsort(chosen, m, sizeof *chosen, ff_cs_cmp_size);
	for (size_t i = 0; rc == 0 && r->read != NULL && i < m; i++) {
		enum ff_plan_kind kind = all[chosen[i]]->kind;
		r->read->segments += kind == FF_PLAN_RAW;
		r->read->minute_rollups += kind == FF_PLAN_MINUTE;
		r->read->hour_rollups += kind == FF_PLAN_HOUR;
	}
	for (size_t i = 0; rc == 0 && i < m; i++)
		all[i] = all[chosen[i]]; /* sorted and distinct, chosen[i] >= i: in place */
	free(units);
	free(chosen);
	if (rc != 0) {
		free(all);
		return -1;
	}
	*out = all;
	return (long)m;
}

/* A window's batches to a block scanner: transposed, they are records in memory. */
static int ff_cs_window_blocks(void *arg, const ff_batch *b)
{
	const ff_cs_scanner *x = arg;
	return ff_store_blocks_of_batch(b, x->r->fields, x->r->select_fields, x->buf, x->bcb,
					x->arg);
}

/* The sealing window, then the open one: together, so a hand-over moves nothing past a scan. */
static int ff_cs_scan_windows(ff_cstore *cs, const char *agent, ff_store_scan_fn cb, void *arg)
{
	pthread_rwlock_rdlock(&cs->win_lock);
	int rc = cs->sealing != NULL ? ff_window_scan(cs->sealing, agent, cb, arg) : 0;
	if (rc == 0)
		rc = ff_window_scan(cs->win, agent, cb, arg);
	pthread_rwlock_unlock(&cs->win_lock);
	return rc;
}

int ff__cs_scan_range(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb, void *arg)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_cs_scanner x;
	ff_cseg **plan = NULL;
	int rc = ff_cs_scanner_init(&x, r, cb, NULL, arg);
	pthread_rwlock_rdlock(&cs->lock);
	long n = rc == 0 ? ff_cs_plan(cs, r, &plan) : 0;
	if (n < 0)
		rc = -ENOMEM;
	for (long i = 0; rc == 0 && i < n; i++)
		rc = ff_cs_scan_seg(cs, plan[i], &x);
	free(plan);
	if (rc == 0)
		rc = ff_cs_scan_windows(cs, r->agent, cb, arg);
	pthread_rwlock_unlock(&cs->lock);
	ff_cs_scanner_free(&x);
	ff__cs_quarantine_bad(cs);
	return rc;
}

/*
 * A parallel scan shares out segments one at a time from an atomic counter:
 * segments are a few minutes of flows each, enough work per step, and a
 * segment's verification then happens in one thread.
 */
typedef struct ff_cs_worker {
	ff_cstore *cs;
	ff_cseg *const *plan;
	size_t n_plan;
	ff_cs_scanner x;
	atomic_size_t *next;
	atomic_int *stop;
	int rc;
	size_t part, parts; /* its share of the windows' batches, for block scans */
} ff_cs_worker;

static void *ff_cs_worker_run(void *arg)
{
	ff_cs_worker *w = arg;
	size_t i;
	while (w->rc == 0 && !atomic_load(w->stop) &&
	       (i = atomic_fetch_add(w->next, 1)) < w->n_plan)
		w->rc = ff_cs_scan_seg(w->cs, w->plan[i], &w->x);
	if (w->rc != 0)
		atomic_store(w->stop, 1);
	return NULL;
}

#define FF_CS_MAX_WORKERS 16
/*
 * Windows of fewer records are scanned by one thread: starting threads
 * costs more than sharing out a few batches saves.
 */
#define FF_CS_WINDOW_PAR_RECORDS 65536

/* A worker's share of the windows (the caller holds win_lock for every share). */
static void *ff_cs_window_run(void *arg)
{
	ff_cs_worker *w = arg;
	ff_cstore *cs = w->cs;
	const char *agent = w->x.r->agent;
	if (cs->sealing != NULL)
		w->rc = ff_window_scan_part(cs->sealing, agent, w->part, w->parts,
					    ff_cs_window_blocks, &w->x);
	if (w->rc == 0)
		w->rc = ff_window_scan_part(cs->win, agent, w->part, w->parts, ff_cs_window_blocks,
					    &w->x);
	return NULL;
}

/*
 * The sealing and open windows as blocks, their batches shared out over the
 * workers when they are large (ff_cs_scan_windows() on one thread otherwise).
 * One hold of win_lock covers every share, so a hand-over moves nothing past
 * the scan. A share whose thread cannot start runs here.
 */
static int ff_cs_scan_windows_par(ff_cstore *cs, ff_cs_worker *w, size_t n)
{
	pthread_t tid[FF_CS_MAX_WORKERS];
	bool started[FF_CS_MAX_WORKERS] = {false};
	pthread_rwlock_rdlock(&cs->win_lock);
	size_t recs = ff_window_records(cs->win) +
		      (cs->sealing != NULL ? ff_window_records(cs->sealing) : 0);
	size_t parts = recs >= FF_CS_WINDOW_PAR_RECORDS ? n : 1;
	for (size_t i = 0; i < parts; i++) {
		w[i].part = i;
		w[i].parts = parts;
		w[i].rc = 0;
	}
	for (size_t i = 1; i < parts; i++)
		started[i] = pthread_create(&tid[i], NULL, ff_cs_window_run, &w[i]) == 0;
	ff_cs_window_run(&w[0]);
	int rc = w[0].rc;
	for (size_t i = 1; i < parts; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			ff_cs_window_run(&w[i]);
		rc = rc != 0 ? rc : w[i].rc;
	}
	pthread_rwlock_unlock(&cs->win_lock);
	return rc;
}

/* The parallel scan of records (cb) or of blocks (bcb). */
static int ff_cs_scan_par(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			  ff_store_block_fn bcb, void *const *args, size_t n_args)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_cs_worker w[FF_CS_MAX_WORKERS];
	pthread_t tid[FF_CS_MAX_WORKERS];
	bool started[FF_CS_MAX_WORKERS] = {false};
	atomic_size_t next = 0;
	atomic_int stop = 0;
	size_t n = n_args < FF_CS_MAX_WORKERS ? n_args : FF_CS_MAX_WORKERS;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		w[i] = (ff_cs_worker){.cs = cs, .next = &next, .stop = &stop};
		w[i].rc = ff_cs_scanner_init(&w[i].x, r, cb, bcb, args[i]);
		rc = rc != 0 ? rc : w[i].rc;
	}
	pthread_rwlock_rdlock(&cs->lock);
	ff_cseg **plan = NULL;
	long n_plan = rc == 0 ? ff_cs_plan(cs, r, &plan) : 0;
	if (n_plan < 0)
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		w[i].plan = plan;
		w[i].n_plan = (size_t)n_plan;
	}
	/* Worker 0 runs in this thread; a worker that cannot start leaves its share to others. */
	for (size_t i = 1; rc == 0 && i < n; i++)
		started[i] = pthread_create(&tid[i], NULL, ff_cs_worker_run, &w[i]) == 0;
	if (rc == 0)
		ff_cs_worker_run(&w[0]);
	for (size_t i = 0; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		rc = rc != 0 ? rc : w[i].rc;
	}
	free(plan);
	if (rc == 0 && bcb != NULL)
		rc = ff_cs_scan_windows_par(cs, w, n);
	else if (rc == 0)
		rc = ff_cs_scan_windows(cs, r->agent, cb, args[0]);
	for (size_t i = 0; i < n; i++)
		ff_cs_scanner_free(&w[i].x);
	pthread_rwlock_unlock(&cs->lock);
	ff__cs_quarantine_bad(cs);
	return rc;
}

int ff__cs_scan_parallel(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			 void *const *args, size_t n_args)
{
	return ff_cs_scan_par(base, r, cb, NULL, args, n_args);
}

int ff__cs_scan_blocks(ff_store *base, const ff_store_range *r, ff_store_block_fn cb,
		       void *const *args, size_t n_args)
{
	return ff_cs_scan_par(base, r, NULL, cb, args, n_args);
}

int ff__cs_scan(ff_store *base, ff_store_scan_fn cb, void *arg)
{
	ff_store_range all = {.since_ms = 0, .until_ms = UINT64_MAX};
	return ff__cs_scan_range(base, &all, cb, arg);
}
