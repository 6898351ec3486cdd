/*
 * The plan goes from coarse to fine: hour rollups, minute rollups, raw
 * segments, then rollups left over where no raw segment remains. Raw ids
 * already answered (read or proven empty) are kept as sorted, merged
 * intervals, looked up by binary search, so a year of hourly rollups over
 * a hundred thousand segments plans in milliseconds.
 */
#include "scan_plan.h"

#include <stdlib.h>

typedef struct ff_plan_span {
	uint64_t lo, hi;
} ff_plan_span;

typedef struct ff_plan_done {
	ff_plan_span *v;
	size_t n, cap;
	size_t sorted; /* v[0 .. sorted) is sorted and merged */
} ff_plan_done;

static int ff_plan_mark(ff_plan_done *d, uint64_t lo, uint64_t hi)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		ff_plan_span *p = realloc(d->v, cap * sizeof *p);
		if (p == NULL)
			return -1;
		d->v = p;
		d->cap = cap;
	}
	d->v[d->n++] = (ff_plan_span){lo, hi};
	return 0;
}

static int ff_plan_cmp_span(const void *a, const void *b)
{
	const ff_plan_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges the marks, so ff_plan_touches() can search them. */
static void ff_plan_settle(ff_plan_done *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, ff_plan_cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (m > 0 && d->v[i].lo <= d->v[m - 1].hi + 1) {
			if (d->v[i].hi > d->v[m - 1].hi)
				d->v[m - 1].hi = d->v[i].hi;
		} else {
			d->v[m++] = d->v[i];
		}
	}
	d->n = m;
	d->sorted = m;
}

/* True when some id of [lo, hi] was answered in an earlier phase. */
static bool ff_plan_touches(const ff_plan_done *d, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = d->sorted;
	while (a < b) { /* the first span ending at or after lo */
		size_t mid = a + (b - a) / 2;
		if (d->v[mid].hi < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < d->sorted && d->v[a].lo <= hi;
}

static bool ff_plan_inside(const ff_plan_query *q, const ff_plan_unit *u)
{
	return u->min_first_ms >= q->since_ms && u->max_last_ms <= q->until_ms;
}

/*
 * No record of the unit can lie wholly inside the window. A rollup's row
 * bounds are not its records' bounds: a row's first_ms is its records'
 * earliest and last_ms their latest, so only min first_ms and max last_ms
 * are true bounds of the records.
 */
static bool ff_plan_outside(const ff_plan_query *q, const ff_plan_unit *u)
{
	if (u->kind != FF_PLAN_RAW)
		return u->min_first_ms > q->until_ms || u->max_last_ms < q->since_ms;
	return u->max_first_ms < q->since_ms || u->min_last_ms > q->until_ms;
}

static bool ff_plan_answers(const ff_plan_query *q, const ff_plan_unit *u)
{
	if (!u->usable)
		return false;
	if (u->kind == FF_PLAN_RAW)
		return true;
	/* A bin that divides the caller's nests in it; UINT64_MAX takes any. */
	bool bin_ok =
	    q->rollup_bin_ms == UINT64_MAX || (u->bin_ms != 0 && q->rollup_bin_ms % u->bin_ms == 0);
	return q->rollup_bin_ms != 0 && bin_ok && (q->keys_read & ~u->keys) == 0;
}

typedef struct ff_plan_run {
	const ff_plan_query *q;
	const ff_plan_unit *units;
	size_t n;
	size_t *chosen;
	size_t n_chosen;
	ff_plan_done done;
} ff_plan_run;

/*
 * One phase: every unit of `kind` not yet answered is read when
 * `exact_only` is false or all its records lie inside; a unit proven
 * outside is answered without reading.
 */
static int ff_plan_phase(ff_plan_run *p, enum ff_plan_kind kind, bool exact_only)
{
	for (size_t i = 0; i < p->n; i++) {
		const ff_plan_unit *u = &p->units[i];
		if (u->kind != kind || !ff_plan_answers(p->q, u) ||
		    ff_plan_touches(&p->done, u->covers_first, u->covers_last))
			continue;
		bool outside = ff_plan_outside(p->q, u);
		if (!outside && exact_only && kind != FF_PLAN_RAW && !ff_plan_inside(p->q, u))
			continue;
		if (!outside)
			p->chosen[p->n_chosen++] = i;
		if (ff_plan_mark(&p->done, u->covers_first, u->covers_last) != 0)
			return -1;
	}
	ff_plan_settle(&p->done);
	return 0;
}

size_t ff_plan_choose(const ff_plan_query *q, const ff_plan_unit *units, size_t n, size_t *chosen)
{
	ff_plan_run p = {.q = q, .units = units, .n = n, .chosen = chosen};
	int rc = 0;
	if (q->rollup_bin_ms != 0) {
		rc = ff_plan_phase(&p, FF_PLAN_HOUR, true);
		if (rc == 0)
			rc = ff_plan_phase(&p, FF_PLAN_MINUTE, true);
	}
	if (rc == 0)
		rc = ff_plan_phase(&p, FF_PLAN_RAW, true);
	if (rc == 0 && q->rollup_bin_ms != 0) {
		/* Raw segments gone: the finest rollup left answers at its granularity. */
		rc = ff_plan_phase(&p, FF_PLAN_MINUTE, false);
		if (rc == 0)
			rc = ff_plan_phase(&p, FF_PLAN_HOUR, false);
	}
	free(p.done.v);
	return rc == 0 ? p.n_chosen : (size_t)-1;
}
