/*
 * The columnar store's rollups (columnar_impl.h): the minute rollup of
 * each sealed window, hour rollups over runs of them, and the catch-up
 * that builds whatever a crash or a failure left missing. Files are built
 * by rollup_file.c; this file decides when and lists them.
 */
#include "columnar_impl.h"

#include "ff_log.h"
#include "rollup_file.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

/* The most files one hour rollup merges. */
#define FF_CS_HOUR_MAX_FILES 1024
/*
 * The most rows an hour rollup's merge table holds (a few hundred bytes
 * each with its hash slots): past them the hour gets no hour rollup.
 */
#define FF_CS_HOUR_MAX_ROWS 2000000

/*
 * Lists the rollup file of `kind` and `id` just written. `replace`: it was
 * written over a listed one (an hour rollup extended), which is swapped
 * out; queries hold the read lock for their whole scan, so none still reads
 * it. When a new file cannot be listed it is removed again (a replacing one
 * stays: the next start lists it).
 */
static int ff_cs_list_put(ff_cstore *cs, enum ff_plan_kind kind, uint64_t id, bool replace,
			  uint64_t gen)
{
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->lists[kind].dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	int rc = ff_segment_open(path, &seg);
	ff_cseg *old = NULL;
	size_t aside = 0;
	if (rc == 0) {
		uint64_t lo = ff_segment_get_meta(seg)->covers_first;
		uint64_t hi = ff_segment_get_meta(seg)->covers_last;
		pthread_rwlock_wrlock(&cs->lock);
		long i = replace ? ff__cs_find(&cs->lists[kind], id) : -1;
		old = i >= 0 ? ff__cs_take_seg(cs, kind, (size_t)i) : NULL;
		rc = ff__cs_add_seg(cs, kind, seg) == 0 ? 0 : -ENOMEM;
		/* Built from a segment found damaged since: set aside at once (not a failure). */
		aside = rc == 0 ? ff__cs_set_aside_built(cs, kind, lo, hi, gen) : 0;
		pthread_rwlock_unlock(&cs->lock);
	}
	if (aside > 0)
		ff__cs_sealer_kick(cs);
	if (rc != 0) {
		ff_segment_close(seg);
		if (!replace)
			unlink(path);
	}
	ff__cs_free_seg(old);
	return rc;
}

/* Logs and counts a rollup that could not be built; the next seal tries again. */
static void ff_cs_rollup_failed(ff_cstore *cs, enum ff_plan_kind kind, uint64_t id, int rc)
{
	pthread_rwlock_wrlock(&cs->lock);
	cs->st.rollup_errors++;
	pthread_rwlock_unlock(&cs->lock);
	ff_log_error("store: building the %s of segment %" PRIu64 " failed (%s); queries read "
		     "the segment instead, and the next seal tries again",
		     ff__cs_kind_name[kind], id, ff_strerror(rc));
}

static bool ff_cs_unpaid(const ff_cstore *cs, uint64_t id)
{
	for (size_t i = 0; i < cs->n_unpaid; i++)
		if (cs->unpaid[i] == id)
			return true;
	return false;
}

/*
 * Remembers that segment `id` has no minute rollup by design. Only in
 * memory: after a restart the catch-up judges such a segment again, once.
 */
static void ff_cs_mark_unpaid(ff_cstore *cs, uint64_t id)
{
	cs->st.minute_rollups_not_paying++;
	if (cs->n_unpaid == cs->cap_unpaid) {
		size_t cap = cs->cap_unpaid ? cs->cap_unpaid * 2 : 32;
		uint64_t *p = realloc(cs->unpaid, cap * sizeof *p);
		if (p == NULL)
			return; /* judged again at the next seal: slower, never wrong */
		cs->unpaid = p;
		cs->cap_unpaid = cap;
	}
	cs->unpaid[cs->n_unpaid++] = id;
	ff_log_debug("store: segment %" PRIu64 " gets no minute rollup: it would not halve "
		     "the rows",
		     id);
}

/* Forgets the ids at or before `frontier`: the hour rollups are done with them. */
static void ff_cs_prune_unpaid(ff_cstore *cs, uint64_t frontier)
{
	size_t m = 0;
	for (size_t i = 0; i < cs->n_unpaid; i++)
		if (cs->unpaid[i] > frontier)
			cs->unpaid[m++] = cs->unpaid[i];
	cs->n_unpaid = m;
}

/*
 * Writes and lists the minute rollup `r` of segment `id` (of `source`
 * rows), sealed and listed just before: never earlier, or a query would
 * count the window twice, from the rollup and from the journal. `built` is
 * what ff_rollups_minute_of() returned: FF_ROLLUPS_UNPAID (no `r`: it
 * cannot pay), or `r` NULL: building it ran out of memory.
 */
void ff__cs_rollup_window(ff_cstore *cs, uint64_t id, int built, ff_rollup *r, size_t source)
{
	if (built == FF_ROLLUPS_UNPAID || (r != NULL && !ff_rollups_pay(ff_rollup_rows(r), source))) {
		ff_cs_mark_unpaid(cs, id);
		return;
	}
	int rc =
	    r != NULL ? ff_rollups_write_minute(cs->min_dir, id, cs->cfg.rollup_keys, r) : -ENOMEM;
	if (rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_MINUTE, id, false, 0);
	if (rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_MINUTE, id, rc);
}

/* The last raw id hour rollups cover (0 when none); caller holds the lock. */
static uint64_t ff_cs_hour_frontier(const ff_cstore *cs)
{
	const ff_cs_list *h = &cs->lists[FF_PLAN_HOUR];
	return h->n ? ff_segment_get_meta(h->v[h->n - 1]->seg)->covers_last : 0;
}

/*
 * The last raw id the hour rollups are done with: the frontier, or past it
 * the end of the run judged not to pay. Caller holds the lock.
 */
static uint64_t ff_cs_hour_start(const ff_cstore *cs)
{
	uint64_t frontier = ff_cs_hour_frontier(cs);
	return cs->hour_skip && cs->hour_skip_last > frontier ? cs->hour_skip_last : frontier;
}

/*
 * Builds the minute rollup of the oldest raw segment past the hour frontier
 * that has none (one left behind by a crash or a failed build). Returns 1
 * when it built or tried one, 0 when none is missing.
 */
static int ff_cs_rollup_missing_minute(ff_cstore *cs)
{
	int tried = 0;
	pthread_rwlock_rdlock(&cs->lock);
	uint64_t frontier = ff_cs_hour_start(cs);
	const ff_cs_list *raw = &cs->lists[FF_PLAN_RAW];
	ff_cseg *todo = NULL;
	for (size_t i = ff__cs_after(raw, frontier); todo == NULL && i < raw->n; i++)
		if (!atomic_load(&raw->v[i]->bad) && !ff_cs_unpaid(cs, raw->v[i]->id) &&
		    ff__cs_find(&cs->lists[FF_PLAN_MINUTE], raw->v[i]->id) < 0)
			todo = raw->v[i];
	int rc = 0;
	uint64_t id = todo != NULL ? todo->id : 0;
	if (todo != NULL) {
		/* Reading under the read lock keeps the segment from being quarantined meanwhile.
		 */
		ff_rollups_bound b = {0};
		rc = ff_rollups_write_from(cs->min_dir, FF_SEGMENT_MINUTE, cs->cfg.rollup_keys,
					   &todo->seg, 1, &b);
		tried = 1;
	}
	pthread_rwlock_unlock(&cs->lock);
	if (tried && rc == FF_ROLLUPS_UNPAID) {
		ff_cs_mark_unpaid(cs, id);
		return tried;
	}
	if (tried && rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_MINUTE, id, false, 0);
	if (tried && rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_MINUTE, id, rc);
	return tried;
}

/*
 * The clock hour a segment or rollup belongs to: that of its latest
 * first_ms, or of when it was written when that lies further in the future
 * than the clock skew allows (a record from 2106 would otherwise start an
 * hour that every later file joins). Late records (a spool delivered after
 * an outage) keep their own, earlier hour.
 */
static uint64_t ff_cs_hour_of(const ff_cstore *cs, const ff_segment *seg)
{
	const ff_segment_meta *m = ff_segment_get_meta(seg);
	uint64_t t = m->max_first_ms;
	if (m->written_ms != 0 && t > m->written_ms && t - m->written_ms > cs->cfg.max_clock_skew_ms)
		t = m->written_ms;
	return t / FF_ROLLUP_HOUR_MS;
}

/*
 * Raw rows a file covers: a raw segment's own, a rollup's raw segments'
 * (twice its own rows where they are gone: it was written because it paid).
 * Caller holds the lock.
 */
static uint64_t ff_cs_source_rows(const ff_cstore *cs, const ff_cseg *c)
{
	const ff_segment_meta *m = ff_segment_get_meta(c->seg);
	if (c->kind == FF_PLAN_RAW)
		return m->rows;
	const ff_cs_list *raw = &cs->lists[FF_PLAN_RAW];
	uint64_t rows = 0;
	size_t i = m->covers_first > 0 ? ff__cs_after(raw, m->covers_first - 1) : 0;
	for (; i < raw->n && raw->v[i]->id <= m->covers_last; i++)
		rows += ff_segment_get_meta(raw->v[i]->seg)->rows;
	return rows > 0 ? rows : 2 * m->rows;
}

/* The inputs of one hour rollup being gathered. */
typedef struct ff_cs_hour_run {
	ff_segment **segs; /* room for cap + 1 */
	size_t n, cap;
	uint64_t hour;	 /* the clock hour merged (UINT64_MAX: that of the first file) */
	uint64_t source; /* raw rows the inputs cover */
	uint64_t last;	 /* the last raw id they cover */
	uint32_t keys;	 /* the keys all of them keep */
	bool complete; /* the hour is over (a later hour's file follows, or the count is reached) */
	uint64_t skipped; /* the last raw id passed over as part of the hour given up (0: none) */
	uint64_t gen;	  /* the store's q_gen when the inputs were gathered */
} ff_cs_hour_run;

/* Adds one file to the run; caller holds the lock. */
static void ff_cs_hour_take(const ff_cstore *cs, ff_cs_hour_run *run, const ff_cseg *use)
{
	const ff_segment_meta *m = ff_segment_get_meta(use->seg);
	run->segs[run->n++] = use->seg;
	run->source += ff_cs_source_rows(cs, use);
	run->last = m->covers_last;
	if (use->kind != FF_PLAN_RAW)
		run->keys &= m->rollup_keys;
}

/*
 * Adds to `run` the files of the raw ids past ff_cs_hour_start(), in id
 * order, for the hour rollup of clock hour run->hour (with
 * segments_per_hour set: the next that many, whatever their hour): each
 * id's minute rollup, or its raw segment where a minute rollup would not
 * pay. Files of the hour given up (hour_skip) at the head are passed over
 * (run->skipped). Stops at the first file of a later hour, at run->cap
 * files, or at the end of the lists. Adds none when an id is not judged yet
 * (the catch-up builds its minute rollup first) or a file is damaged. A
 * segment's hour is that of its latest first_ms: records start before their
 * window is sealed, so that is the hour the window lies in. Caller holds
 * the lock.
 */
static void ff_cs_hour_inputs(const ff_cstore *cs, ff_cs_hour_run *run)
{
	size_t base = run->n;
	size_t want = cs->cfg.segments_per_hour ? cs->cfg.segments_per_hour : run->cap;
	const ff_cs_list *mins = &cs->lists[FF_PLAN_MINUTE], *raw = &cs->lists[FF_PLAN_RAW];
	uint64_t start = ff_cs_hour_start(cs);
	size_t i = ff__cs_after(mins, start), j = ff__cs_after(raw, start);
	uint64_t rows = 0;
	/* A merge of the two lists by id. */
	while (run->n - base < want && (i < mins->n || j < raw->n)) {
		ff_cseg *m = i < mins->n ? mins->v[i] : NULL, *r = j < raw->n ? raw->v[j] : NULL;
		uint64_t id = m != NULL && (r == NULL || m->id <= r->id) ? m->id : r->id;
		ff_cseg *use = m != NULL && m->id == id ? m : NULL;
		if (use == NULL && ff_cs_unpaid(cs, id))
			use = r;
		if (use == NULL || atomic_load(&use->bad)) {
			run->n = base;
			return;
		}
		i += m != NULL && m->id == id;
		j += r != NULL && r->id == id;
		uint64_t hour = ff_cs_hour_of(cs, use->seg);
		if (run->n == base && cs->hour_skip && hour == cs->hour_skip_hour) {
			run->skipped = id; /* judged already: not merged again */
			continue;
		}
		if (run->hour == UINT64_MAX)
			run->hour = hour;
		if (!cs->cfg.segments_per_hour && hour > run->hour) {
			run->complete = true; /* the next hour has begun */
			return;
		}
		/* Rows bounded like a window's: the merge holds them all in memory. */
		rows += ff_segment_get_meta(use->seg)->rows;
		if (run->n > base && !cs->cfg.segments_per_hour &&
		    rows > cs->cfg.window_max_records)
			return;
		ff_cs_hour_take(cs, run, use);
	}
	run->complete = run->n - base == want;
}

/*
 * Whether the last hour rollup is extended by the files sealed since: not
 * when its hour was given up, nor when it is as large as a window (with
 * distinct keys it would hold the whole hour in memory at every seal: the
 * next files start another hour rollup of the same hour). Lock held.
 */
static bool ff_cs_may_extend(const ff_cstore *cs, const ff_cseg *last)
{
	if (last == NULL || cs->cfg.segments_per_hour || atomic_load(&last->bad))
		return false;
	if (cs->hour_skip && (ff_cs_hour_start(cs) > ff_cs_hour_frontier(cs) ||
			      ff_cs_hour_of(cs, last->seg) == cs->hour_skip_hour))
		return false;
	return ff_segment_get_meta(last->seg)->rows < cs->cfg.window_max_records;
}

/*
 * Records that the hour rollup of `run` does not pay (more rows than half
 * the raw rows it covers, or than FF_CS_HOUR_MAX_ROWS): its files, and
 * every later file of its hour, get none; queries read their minute
 * rollups and raw segments instead. Sealer thread.
 */
static void ff_cs_hour_give_up(ff_cstore *cs, const ff_cs_hour_run *run)
{
	cs->hour_skip = true;
	cs->hour_skip_hour = run->hour;
	cs->hour_skip_last = run->last;
	pthread_rwlock_wrlock(&cs->lock);
	cs->st.hour_rollups_not_paying++;
	pthread_rwlock_unlock(&cs->lock);
	ff_log_info("store: clock hour %" PRIu64 " gets no more hour rollup: it would not halve "
		    "the %" PRIu64 " rows of segments up to %" PRIu64 " (or outgrow %d rows); "
		    "queries read its minute rollups and segments",
		    run->hour, run->source, run->last, FF_CS_HOUR_MAX_ROWS);
}

/* Writes and lists (or, `extend`, swaps in) the hour rollup of `run`; unlocks. */
static int ff_cs_write_hour(ff_cstore *cs, const ff_cs_hour_run *run, bool extend)
{
	uint64_t id = ff_segment_get_meta(run->segs[0])->covers_first;
	ff_rollups_bound b = {.source = run->source, .max_rows = FF_CS_HOUR_MAX_ROWS};
	int rc =
	    ff_rollups_write_from(cs->hour_dir, FF_SEGMENT_HOUR, run->keys, run->segs, run->n, &b);
	pthread_rwlock_unlock(&cs->lock);
	if (rc == FF_ROLLUPS_UNPAID) {
		ff_cs_hour_give_up(cs, run);
		return rc;
	}
	if (rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_HOUR, id, extend, run->gen);
	if (rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_HOUR, id, rc);
	return rc;
}

/* Gathers the inputs of the next hour rollup; *extend: over the last one. Lock held. */
static void ff_cs_hour_plan(const ff_cstore *cs, ff_cs_hour_run *run, bool *extend)
{
	const ff_cs_list *hours = &cs->lists[FF_PLAN_HOUR];
	ff_cseg *last = hours->n ? hours->v[hours->n - 1] : NULL;
	*extend = ff_cs_may_extend(cs, last);
	if (*extend) {
		/* Files of the last hour rollup's own hour sealed since: extend it. */
		run->hour = ff_cs_hour_of(cs, last->seg);
		ff_cs_hour_take(cs, run, last);
		ff_cs_hour_inputs(cs, run);
		*extend = run->n > 1;
		if (*extend)
			return;
		run->n = 0;
		run->source = 0;
		run->keys = cs->cfg.rollup_keys;
	}
	run->hour = UINT64_MAX;
	ff_cs_hour_inputs(cs, run);
	/* With a count (tests), an hour rollup is written only whole. */
	if (cs->cfg.segments_per_hour && !run->complete)
		run->n = 0;
}

/*
 * One step of the hour rollups; 1 when it wrote one or gave one up (so
 * the catch-up goes on with the next hour). While a clock hour is not
 * over, its hour rollup is kept up to date: each seal merges the new
 * segment's rows into it (the old hour rollup plus the new files, written
 * over it under the same id), so a query reads one file for the hour so far
 * instead of its minute rollups. Then the next hour starts its own. An hour
 * rollup is built or extended only while it pays (ff_rollups_pay against
 * the raw rows it covers, checked as it is merged): else its hour is given
 * up (ff_cs_hour_give_up).
 */
static int ff_cs_rollup_next_hour(ff_cstore *cs)
{
	/* A bound for a clock that never leaves its hour: about 3.5 days of 5-minute windows. */
	size_t cap = FF_CS_HOUR_MAX_FILES + cs->cfg.segments_per_hour;
	ff_cs_hour_run run = {
	    .segs = calloc(cap + 1, sizeof *run.segs), .cap = cap, .keys = cs->cfg.rollup_keys};
	if (run.segs == NULL)
		return 0;
	bool extend;
	pthread_rwlock_rdlock(&cs->lock);
	run.gen = cs->q_gen;
	ff_cs_hour_plan(cs, &run, &extend);
	int rc = run.n > 0 ? ff_cs_write_hour(cs, &run, extend) : -1;
	if (run.n == 0)
		pthread_rwlock_unlock(&cs->lock);
	free(run.segs);
	if (run.skipped > cs->hour_skip_last)
		cs->hour_skip_last = run.skipped;
	if (rc == 0 || rc == FF_ROLLUPS_UNPAID || run.skipped != 0) {
		pthread_rwlock_rdlock(&cs->lock);
		uint64_t done = ff_cs_hour_start(cs);
		pthread_rwlock_unlock(&cs->lock);
		ff_cs_prune_unpaid(cs, done);
	}
	return rc == 0 || rc == FF_ROLLUPS_UNPAID;
}

/* --- rebuilding what a quarantine set aside --------------------------------------------- */

/* Takes the next range to rebuild off the queue; false when there is none. */
static bool ff_cs_rebuild_pop(ff_cstore *cs, ff_cs_span *out)
{
	pthread_rwlock_wrlock(&cs->lock);
	bool any = cs->n_rebuild > 0;
	if (any)
		*out = cs->rebuild[--cs->n_rebuild];
	pthread_rwlock_unlock(&cs->lock);
	return any;
}

/* Whether a listed hour rollup covers part of [lo, hi] (rebuilt by the catch-up); lock held. */
static bool ff_cs_hour_overlaps(const ff_cstore *cs, uint64_t lo, uint64_t hi)
{
	const ff_cs_list *h = &cs->lists[FF_PLAN_HOUR];
	for (size_t i = 0; i < h->n; i++) {
		const ff_segment_meta *m = ff_segment_get_meta(h->v[i]->seg);
		if (m->covers_first <= hi && lo <= m->covers_last)
			return true;
	}
	return false;
}

/*
 * The files left in `sp`'s range, in id order, into `run`: each id's minute
 * rollup, or its segment where it has none (or a damaged one). Lock held.
 */
static void ff_cs_rebuild_inputs(const ff_cstore *cs, const ff_cs_span *sp, ff_cs_hour_run *run)
{
	const ff_cs_list *mins = &cs->lists[FF_PLAN_MINUTE], *raw = &cs->lists[FF_PLAN_RAW];
	size_t i = sp->lo > 0 ? ff__cs_after(mins, sp->lo - 1) : 0;
	size_t j = sp->lo > 0 ? ff__cs_after(raw, sp->lo - 1) : 0;
	while (run->n < run->cap &&
	       ((i < mins->n && mins->v[i]->id <= sp->hi) || (j < raw->n && raw->v[j]->id <= sp->hi))) {
		ff_cseg *m = i < mins->n && mins->v[i]->id <= sp->hi ? mins->v[i] : NULL;
		ff_cseg *r = j < raw->n && raw->v[j]->id <= sp->hi ? raw->v[j] : NULL;
		uint64_t id = m != NULL && (r == NULL || m->id <= r->id) ? m->id : r->id;
		bool has_m = m != NULL && m->id == id, has_r = r != NULL && r->id == id;
		i += has_m;
		j += has_r;
		ff_cseg *use = has_m && !atomic_load(&m->bad) ? m : has_r ? r : NULL;
		if (use != NULL && !atomic_load(&use->bad))
			ff_cs_hour_take(cs, run, use);
	}
}

/* Rebuilds the hour rollup of one range set aside; 1 when there was one to do. */
static int ff_cs_rebuild_next(ff_cstore *cs)
{
	ff_cs_span sp;
	if (!ff_cs_rebuild_pop(cs, &sp))
		return 0;
	size_t cap = FF_CS_HOUR_MAX_FILES + cs->cfg.segments_per_hour;
	ff_cs_hour_run run = {.segs = calloc(cap + 1, sizeof *run.segs),
			      .cap = cap,
			      .keys = sp.keys & cs->cfg.rollup_keys};
	if (run.segs == NULL)
		return 1; /* queries read the range's minute rollups */
	pthread_rwlock_rdlock(&cs->lock);
	if (!ff_cs_hour_overlaps(cs, sp.lo, sp.hi))
		ff_cs_rebuild_inputs(cs, &sp, &run);
	if (run.n == 0) {
		pthread_rwlock_unlock(&cs->lock);
		free(run.segs);
		return 1;
	}
	uint64_t gen = cs->q_gen, id = ff_segment_get_meta(run.segs[0])->covers_first;
	ff_rollups_bound b = {.source = run.source, .max_rows = FF_CS_HOUR_MAX_ROWS};
	int rc = ff_rollups_write_from(cs->hour_dir, FF_SEGMENT_HOUR, run.keys, run.segs, run.n, &b);
	pthread_rwlock_unlock(&cs->lock);
	free(run.segs);
	if (rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_HOUR, id, false, gen);
	if (rc == FF_ROLLUPS_UNPAID)
		ff_log_info("store: segments %" PRIu64 "..%" PRIu64 " get no hour rollup again: it "
			    "would not pay; queries read their minute rollups",
			    sp.lo, sp.hi);
	else if (rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_HOUR, id, rc);
	else {
		pthread_rwlock_wrlock(&cs->lock);
		cs->st.rollups_rebuilt++;
		pthread_rwlock_unlock(&cs->lock);
		ff_log_info("store: hour rollup of segments %" PRIu64 "..%" PRIu64 " rebuilt from "
			    "the files left in its range, without the quarantined one",
			    sp.lo, sp.hi);
	}
	return 1;
}

/*
 * Catches rollups up: the hour rollups a quarantine set aside, at most
 * `budget` missing minute rollups (so a store that had none does not stall
 * one seal for long), then every hour rollup now complete. Appending thread only.
 */
void ff__cs_rollup_catchup(ff_cstore *cs, size_t budget)
{
	if (cs->cfg.rollup_keys == 0)
		return;
	while (ff_cs_rebuild_next(cs))
		;
	while (budget-- > 0 && ff_cs_rollup_missing_minute(cs))
		;
	while (ff_cs_rollup_next_hour(cs))
		;
}
