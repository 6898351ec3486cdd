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

/* Index of the first entry with an id above `id` (the list's length if none); lock held. */
static size_t ff_cs_after(const ff_cs_list *l, uint64_t id)
{
	size_t a = 0, b = l->n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (l->v[mid]->id <= id)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/* Index of the entry with `id` in a list, or -1; caller holds the lock. */
static long ff_cs_find(const ff_cs_list *l, uint64_t id)
{
	size_t a = ff_cs_after(l, id);
	return a > 0 && l->v[a - 1]->id == id ? (long)(a - 1) : -1;
}

/*
 * Lists the rollup file of `kind` and `id` just written. `replace`: it was
 * written over a listed one (an hour rollup extended), which is swapped
 * out; queries hold the read lock for their whole scan, so none still reads
 * it. When a new file cannot be listed it is removed again (a replacing one
 * stays: the next start lists it).
 */
static int ff_cs_list_put(ff_cstore *cs, enum ff_plan_kind kind, uint64_t id, bool replace)
{
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->lists[kind].dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	int rc = ff_segment_open(path, &seg);
	ff_cseg *old = NULL;
	if (rc == 0) {
		pthread_rwlock_wrlock(&cs->lock);
		long i = replace ? ff_cs_find(&cs->lists[kind], id) : -1;
		old = i >= 0 ? ff__cs_take_seg(cs, kind, (size_t)i) : NULL;
		rc = ff__cs_add_seg(cs, kind, seg) == 0 ? 0 : -ENOMEM;
		pthread_rwlock_unlock(&cs->lock);
	}
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

/* Forgets the ids an hour rollup now covers. */
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
 * count the window twice, from the rollup and from the journal. `r` NULL:
 * building it ran out of memory.
 */
void ff__cs_rollup_window(ff_cstore *cs, uint64_t id, ff_rollup *r, size_t source)
{
	if (r != NULL && !ff_rollups_pay(ff_rollup_rows(r), source)) {
		ff_cs_mark_unpaid(cs, id);
		return;
	}
	int rc =
	    r != NULL ? ff_rollups_write_minute(cs->min_dir, id, cs->cfg.rollup_keys, r) : -ENOMEM;
	if (rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_MINUTE, id, false);
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
 * Builds the minute rollup of the oldest raw segment past the hour frontier
 * that has none (one left behind by a crash or a failed build). Returns 1
 * when it built or tried one, 0 when none is missing.
 */
static int ff_cs_rollup_missing_minute(ff_cstore *cs)
{
	int tried = 0;
	pthread_rwlock_rdlock(&cs->lock);
	uint64_t frontier = ff_cs_hour_frontier(cs);
	const ff_cs_list *raw = &cs->lists[FF_PLAN_RAW];
	ff_cseg *todo = NULL;
	for (size_t i = ff_cs_after(raw, frontier); todo == NULL && i < raw->n; i++)
		if (!atomic_load(&raw->v[i]->bad) && !ff_cs_unpaid(cs, raw->v[i]->id) &&
		    ff_cs_find(&cs->lists[FF_PLAN_MINUTE], raw->v[i]->id) < 0)
			todo = raw->v[i];
	int rc = 0;
	uint64_t id = todo != NULL ? todo->id : 0;
	if (todo != NULL) {
		/* Reading under the read lock keeps the segment from being quarantined meanwhile.
		 */
		rc = ff_rollups_write_from(cs->min_dir, FF_SEGMENT_MINUTE, cs->cfg.rollup_keys,
					   &todo->seg, 1);
		tried = 1;
	}
	pthread_rwlock_unlock(&cs->lock);
	if (tried && rc == FF_ROLLUPS_UNPAID) {
		ff_cs_mark_unpaid(cs, id);
		return tried;
	}
	if (tried && rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_MINUTE, id, false);
	if (tried && rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_MINUTE, id, rc);
	return tried;
}

/* The clock hour a segment or rollup belongs to: that of its latest first_ms. */
static uint64_t ff_cs_hour_of(const ff_segment *seg)
{
	return ff_segment_get_meta(seg)->max_first_ms / FF_ROLLUP_HOUR_MS;
}

/*
 * The files of the raw ids past the hour frontier, in id order, for the
 * hour rollup of clock hour `hour` (with segments_per_hour set: the next
 * that many, whatever their hour): each id's minute rollup, or its raw
 * segment where a minute rollup would not pay. Stops at the first file of
 * a later hour, at `cap` files, or at the end of the lists. Returns how many
 * went into segs; *complete says whether the hour is over (a later hour's
 * file follows, or the count is reached); *keys the keys all of them keep.
 * Returns 0 when an id is not judged yet (the catch-up builds its minute
 * rollup first) or a file is damaged. `hour` UINT64_MAX: the hour of the
 * first file. A segment's hour is that of its latest first_ms: records
 * start before their window is sealed, so that is the hour the window lies
 * in. Caller holds the lock.
 */
static size_t ff_cs_hour_inputs(const ff_cstore *cs, uint64_t hour, size_t cap, ff_segment **segs,
				uint32_t *keys, bool *complete)
{
	uint64_t frontier = ff_cs_hour_frontier(cs);
	size_t want = cs->cfg.segments_per_hour ? cs->cfg.segments_per_hour : cap;
	const ff_cs_list *mins = &cs->lists[FF_PLAN_MINUTE], *raw = &cs->lists[FF_PLAN_RAW];
	size_t n = 0, i = ff_cs_after(mins, frontier), j = ff_cs_after(raw, frontier);
	uint64_t rows = 0;
	*keys = cs->cfg.rollup_keys;
	*complete = false;
	/* A merge of the two lists by id. */
	while (n < want && (i < mins->n || j < raw->n)) {
		ff_cseg *m = i < mins->n ? mins->v[i] : NULL, *r = j < raw->n ? raw->v[j] : NULL;
		uint64_t id = m != NULL && (r == NULL || m->id <= r->id) ? m->id : r->id;
		ff_cseg *use = m != NULL && m->id == id ? m : NULL;
		if (use == NULL && ff_cs_unpaid(cs, id))
			use = r;
		if (use == NULL || atomic_load(&use->bad))
			return 0;
		if (hour == UINT64_MAX)
			hour = ff_cs_hour_of(use->seg);
		if (!cs->cfg.segments_per_hour && ff_cs_hour_of(use->seg) > hour) {
			*complete = true; /* the next hour has begun */
			return n;
		}
		/* Rows bounded like a window's: the merge holds them all in memory. */
		rows += ff_segment_get_meta(use->seg)->rows;
		if (n > 0 && !cs->cfg.segments_per_hour && rows > cs->cfg.window_max_records)
			return n;
		segs[n++] = use->seg;
		if (use->kind == FF_PLAN_MINUTE)
			*keys &= ff_segment_get_meta(use->seg)->rollup_keys;
		i += m != NULL && m->id == id;
		j += r != NULL && r->id == id;
	}
	*complete = n == want;
	return n;
}

/* Writes and lists (or, `extend`, swaps in) the hour rollup of segs[0 .. n). */
static int ff_cs_write_hour(ff_cstore *cs, ff_segment **segs, size_t n, uint32_t keys, bool extend)
{
	uint64_t id = ff_segment_get_meta(segs[0])->covers_first;
	int rc = ff_rollups_write_from(cs->hour_dir, FF_SEGMENT_HOUR, keys, segs, n);
	pthread_rwlock_unlock(&cs->lock);
	if (rc == 0)
		rc = ff_cs_list_put(cs, FF_PLAN_HOUR, id, extend);
	if (rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_HOUR, id, rc);
	return rc;
}

/*
 * One step of the hour rollups; 1 when it wrote one. While a clock hour is
 * not over, its hour rollup is kept up to date: each seal merges the new
 * segment's rows into it (the old hour rollup plus the new files, written
 * over it under the same id), so a query reads one file for the hour so far
 * instead of its minute rollups. Then the next hour starts its own.
 */
static int ff_cs_rollup_next_hour(ff_cstore *cs)
{
	/* A bound for a clock that never leaves its hour: about 3.5 days of 5-minute windows. */
	size_t cap = FF_CS_HOUR_MAX_FILES + cs->cfg.segments_per_hour;
	ff_segment **segs = calloc(cap + 1, sizeof *segs);
	if (segs == NULL)
		return 0;
	uint32_t keys;
	bool complete, extend = false;
	pthread_rwlock_rdlock(&cs->lock);
	const ff_cs_list *hours = &cs->lists[FF_PLAN_HOUR];
	ff_cseg *last = hours->n ? hours->v[hours->n - 1] : NULL;
	size_t n = 0;
	/*
	 * An hour rollup as large as a window is not extended (with distinct keys,
	 * a flood, it would hold the whole hour in memory at every seal): the
	 * next files start another hour rollup of the same hour.
	 */
	if (last != NULL && !cs->cfg.segments_per_hour && !atomic_load(&last->bad) &&
	    ff_segment_get_meta(last->seg)->rows < cs->cfg.window_max_records) {
		/* Files of the last hour rollup's own hour sealed since: extend it. */
		n = ff_cs_hour_inputs(cs, ff_cs_hour_of(last->seg), cap, segs + 1, &keys,
				      &complete);
		extend = n > 0;
	}
	if (extend) {
		segs[0] = last->seg;
		keys &= ff_segment_get_meta(last->seg)->rollup_keys;
		n++;
	} else {
		n = ff_cs_hour_inputs(cs, UINT64_MAX, cap, segs, &keys, &complete);
		/* With a count (tests), an hour rollup is written only whole. */
		if (cs->cfg.segments_per_hour && !complete)
			n = 0;
	}
	int rc = n > 0 ? ff_cs_write_hour(cs, segs, n, keys, extend) : -1;
	if (n == 0)
		pthread_rwlock_unlock(&cs->lock);
	free(segs);
	if (rc == 0) {
		pthread_rwlock_rdlock(&cs->lock);
		uint64_t frontier = ff_cs_hour_frontier(cs);
		pthread_rwlock_unlock(&cs->lock);
		ff_cs_prune_unpaid(cs, frontier);
	}
	return rc == 0;
}

/*
 * Catches rollups up: at most `budget` missing minute rollups (so a store
 * that had none does not stall one seal for long), then every hour rollup
 * now complete. Appending thread only.
 */
void ff__cs_rollup_catchup(ff_cstore *cs, size_t budget)
{
	if (cs->cfg.rollup_keys == 0)
		return;
	while (budget-- > 0 && ff_cs_rollup_missing_minute(cs))
		;
	while (ff_cs_rollup_next_hour(cs))
		;
}
