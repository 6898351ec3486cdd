/*
 * Quarantine in the columnar store (columnar_impl.h): damaged files move to
 * quarantine/, and rollups never count what a quarantined segment held.
 *
 * When raw segment X is quarantined, its records are gone from every raw
 * scan; its minute rollup and the hour rollups covering X still hold them,
 * so a top-N answered from rollups would count flows a filter reading raw
 * records does not (150,988 against 144,448 once). So X's minute rollup is
 * set aside (moved to quarantine/, intact) and so is each hour rollup
 * covering X, which the sealer rebuilds from the minute rollups and
 * segments left in its range. An hour rollup whose range has ids no listed
 * file answers for (retention removed their segment and minute rollup) is
 * the only copy of those flows: it is kept, and a warning says it still
 * counts X. The ids of raw segments in quarantine/ are kept, sorted, under
 * the store's lock, so a rollup a build made from X before X was found
 * damaged is set aside as it is listed; at open they are read back from
 * quarantine/, which also settles a crash between the two moves.
 */
#include "columnar_impl.h"

#include "ff_log.h"
#include "ff_time.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ff__cs_quarantine_name(enum ff_plan_kind kind, uint64_t id, char *buf, size_t len)
{
	static const char *const prefix[] = {"", "minute-", "hour-"};
	snprintf(buf, len, "%sseg-%016" PRIx64 ".ffs", prefix[kind], id);
}

/* Moves `path` to quarantine/`name` (plus a time when taken), the destination in `to`. */
static int ff_cs_move_aside(ff_cstore *cs, const char *path, const char *name, char *to,
			    size_t len)
{
	struct stat st;
	snprintf(to, len, "%s/%s", cs->q_dir, name);
	if (stat(to, &st) == 0)
		snprintf(to, len, "%s/%s.%" PRIu64, cs->q_dir, name, ff_time_now_ms());
	return rename(path, to) == 0 ? 0 : -errno;
}

void ff__cs_quarantine_file(ff_cstore *cs, const char *path, const char *name, const char *why)
{
	char to[FF_CS_PATH_MAX];
	cs->st.quarantined++;
	int rc = ff_cs_move_aside(cs, path, name, to, sizeof to);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, -rc,
			     "store: %s is damaged (%s) and could not be moved to %s; it is left out",
			     path, why, to);
		return;
	}
	ff_log_error("store: %s is damaged (%s): moved to %s, its flows are left out of queries",
		     path, why, to);
}

/* --- the quarantined raw ids ------------------------------------------------------- */

static size_t ff_cs_q_after(const ff_cstore *cs, uint64_t id)
{
	size_t a = 0, b = cs->n_q_ids;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (cs->q_ids[mid].id <= id)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/* Remembers quarantined raw id `id` of generation `gen`; lock held. Returns 0 or -ENOMEM. */
static int ff_cs_q_add(ff_cstore *cs, uint64_t id, uint64_t gen)
{
	size_t i = ff_cs_q_after(cs, id);
	if (i > 0 && cs->q_ids[i - 1].id == id)
		return 0;
	if (cs->n_q_ids == cs->cap_q_ids) {
		size_t cap = cs->cap_q_ids ? cs->cap_q_ids * 2 : 16;
		ff_cs_qid *p = realloc(cs->q_ids, cap * sizeof *p);
		if (p == NULL)
			return -ENOMEM;
		cs->q_ids = p;
		cs->cap_q_ids = cap;
	}
	memmove(cs->q_ids + i + 1, cs->q_ids + i, (cs->n_q_ids - i) * sizeof *cs->q_ids);
	cs->q_ids[i] = (ff_cs_qid){.id = id, .gen = gen};
	cs->n_q_ids++;
	return 0;
}

/* --- setting rollups aside ---------------------------------------------------------- */

/*
 * Whether every raw id of [lo, hi] is quarantined or has a listed minute
 * rollup or segment: then an hour rollup over the range can be rebuilt
 * without losing a flow. Lock held.
 */
static bool ff_cs_range_answerable(const ff_cstore *cs, uint64_t lo, uint64_t hi)
{
	const ff_cs_list *mins = &cs->lists[FF_PLAN_MINUTE], *raw = &cs->lists[FF_PLAN_RAW];
	size_t i = lo > 0 ? ff__cs_after(mins, lo - 1) : 0;
	size_t j = lo > 0 ? ff__cs_after(raw, lo - 1) : 0;
	uint64_t held = 0;
	while ((i < mins->n && mins->v[i]->id <= hi) || (j < raw->n && raw->v[j]->id <= hi)) {
		uint64_t a = i < mins->n && mins->v[i]->id <= hi ? mins->v[i]->id : UINT64_MAX;
		uint64_t b = j < raw->n && raw->v[j]->id <= hi ? raw->v[j]->id : UINT64_MAX;
		uint64_t id = a < b ? a : b;
		i += a == id;
		j += b == id;
		held++;
	}
	/* Quarantined ids whose minute rollup is still listed were counted above. */
	for (size_t q = lo > 0 ? ff_cs_q_after(cs, lo - 1) : 0;
	     q < cs->n_q_ids && cs->q_ids[q].id <= hi; q++)
		held += ff__cs_find(mins, cs->q_ids[q].id) < 0;
	return held >= hi - lo + 1;
}

/* Queues [lo, hi] for an hour rollup rebuild, merged with a span it overlaps; lock held. */
static void ff_cs_queue_rebuild(ff_cstore *cs, uint64_t lo, uint64_t hi, uint32_t keys)
{
	for (size_t i = 0; i < cs->n_rebuild; i++) {
		ff_cs_span *s = &cs->rebuild[i];
		if (s->lo <= hi && lo <= s->hi) {
			s->lo = s->lo < lo ? s->lo : lo;
			s->hi = s->hi > hi ? s->hi : hi;
			s->keys &= keys;
			return;
		}
	}
	if (cs->n_rebuild == cs->cap_rebuild) {
		size_t cap = cs->cap_rebuild ? cs->cap_rebuild * 2 : 8;
		ff_cs_span *p = realloc(cs->rebuild, cap * sizeof *p);
		if (p == NULL) {
			/* Not rebuilt: queries read the minute rollups of the range instead. */
			ff_log_error("store: out of memory: the hour rollup of segments %" PRIu64
				     "..%" PRIu64 " is not rebuilt",
				     lo, hi);
			return;
		}
		cs->rebuild = p;
		cs->cap_rebuild = cap;
	}
	cs->rebuild[cs->n_rebuild++] = (ff_cs_span){.lo = lo, .hi = hi, .keys = keys};
}

/* Moves listed rollup i of `kind` into quarantine/, as counting segment `id`; lock held. */
static void ff_cs_set_aside(ff_cstore *cs, enum ff_plan_kind kind, size_t i, uint64_t id)
{
	ff_cseg *c = ff__cs_take_seg(cs, kind, i);
	const ff_segment_meta *m = ff_segment_get_meta(c->seg);
	char path[FF_CS_PATH_MAX], name[64], to[FF_CS_PATH_MAX];
	ff_segment_path(cs->lists[kind].dir, c->id, path, sizeof path);
	ff__cs_quarantine_name(kind, c->id, name, sizeof name);
	int rc = ff_cs_move_aside(cs, path, name, to, sizeof to);
	cs->st.rollups_set_aside++;
	if (kind == FF_PLAN_HOUR)
		ff_cs_queue_rebuild(cs, m->covers_first, m->covers_last, m->rollup_keys);
	if (rc != 0)
		ff_log_errno(FF_LOG_ERROR, -rc,
			     "store: the %s of segments %" PRIu64 "..%" PRIu64
			     " counts quarantined segment %" PRIu64 " and could not be moved to %s; "
			     "it is left out",
			     ff__cs_kind_name[kind], m->covers_first, m->covers_last, id, to);
	else
		ff_log_warn("store: the %s of segments %" PRIu64 "..%" PRIu64
			    " counts quarantined segment %" PRIu64 ": set aside as %s%s",
			    ff__cs_kind_name[kind], m->covers_first, m->covers_last, id, to,
			    kind == FF_PLAN_HOUR ? ", rebuilt without it" : "");
	ff__cs_free_seg(c);
}

/* Sets aside every listed rollup counting quarantined segment `id`; lock held. */
static size_t ff_cs_set_aside_covering(ff_cstore *cs, uint64_t id)
{
	size_t n = 0;
	long m = ff__cs_find(&cs->lists[FF_PLAN_MINUTE], id);
	if (m >= 0) {
		ff_cs_set_aside(cs, FF_PLAN_MINUTE, (size_t)m, id);
		n++;
	}
	ff_cs_list *hours = &cs->lists[FF_PLAN_HOUR];
	for (size_t i = hours->n; i-- > 0;) {
		const ff_segment_meta *h = ff_segment_get_meta(hours->v[i]->seg);
		if (h->covers_first > id || h->covers_last < id)
			continue;
		if (!ff_cs_range_answerable(cs, h->covers_first, h->covers_last)) {
			ff_log_warn("store: the hour rollup of segments %" PRIu64 "..%" PRIu64
				    " still counts quarantined segment %" PRIu64 ": it alone holds "
				    "segments of its range that retention removed, so it is kept",
				    h->covers_first, h->covers_last, id);
			continue;
		}
		ff_cs_set_aside(cs, FF_PLAN_HOUR, i, id);
		n++;
	}
	return n;
}

size_t ff__cs_set_aside_built(ff_cstore *cs, enum ff_plan_kind kind, uint64_t lo, uint64_t hi,
			      uint64_t gen)
{
	size_t n = 0;
	for (size_t q = lo > 0 ? ff_cs_q_after(cs, lo - 1) : 0;
	     q < cs->n_q_ids && cs->q_ids[q].id <= hi; q++)
		if (kind == FF_PLAN_MINUTE || cs->q_ids[q].gen > gen)
			n += ff_cs_set_aside_covering(cs, cs->q_ids[q].id);
	return n;
}

/* --- quarantining ---------------------------------------------------------------------- */

/*
 * A raw segment's file in quarantine/ gets SETTLED appended once every
 * rollup counting it is set aside: later rollups never count it (their
 * inputs leave it out), so the next start sets aside only what a crash
 * between the two steps left, not rollups rebuilt without it.
 */
#define FF_CS_SETTLED ".settled"

static bool ff_cs_settled(const char *name)
{
	size_t n = strlen(name), k = strlen(FF_CS_SETTLED);
	return n > k && strcmp(name + n - k, FF_CS_SETTLED) == 0;
}

/* Renames quarantine/`name` to its settled name; a failure only costs a rebuild at start. */
static void ff_cs_settle(ff_cstore *cs, const char *name)
{
	char from[FF_CS_PATH_MAX], to[FF_CS_PATH_MAX + sizeof FF_CS_SETTLED];
	snprintf(from, sizeof from, "%s/%s", cs->q_dir, name);
	snprintf(to, sizeof to, "%s%s", from, FF_CS_SETTLED);
	if (rename(from, to) != 0)
		ff_log_errno(FF_LOG_WARN, errno,
			     "store: rename(%s, %s) failed; the next start sets aside the rollups "
			     "of the segment again",
			     from, to);
}

/* Quarantines a raw segment a scan found damaged, and what counts it; lock held. */
static size_t ff_cs_quarantine_raw(ff_cstore *cs, ff_cseg *c, const char *path)
{
	uint64_t rows = ff_segment_get_meta(c->seg)->rows;
	char name[64], to[FF_CS_PATH_MAX];
	ff__cs_quarantine_name(FF_PLAN_RAW, c->id, name, sizeof name);
	cs->st.quarantined++;
	cs->st.quarantined_records += rows;
	if (ff_cs_q_add(cs, c->id, ++cs->q_gen) != 0)
		ff_log_error("store: out of memory: a rollup built from segment %" PRIu64
			     " meanwhile may still count it",
			     c->id);
	size_t n = ff_cs_set_aside_covering(cs, c->id);
	int rc = ff_cs_move_aside(cs, path, name, to, sizeof to);
	if (rc != 0)
		ff_log_errno(FF_LOG_ERROR, -rc,
			     "store: %s is damaged (%s) and could not be moved to %s; it is left out",
			     path, ff_strerror(FF_SEG_EBLOCK), to);
	else
		ff_cs_settle(cs, strrchr(to, '/') + 1);
	ff_log_error("store: %s is damaged (%s): its %" PRIu64 " records are lost from every "
		     "answer; moved to %s%s, %zu rollups counting them set aside",
		     path, ff_strerror(FF_SEG_EBLOCK), rows, to, rc == 0 ? FF_CS_SETTLED : "", n);
	return n;
}

void ff__cs_quarantine_bad(ff_cstore *cs)
{
	if (!atomic_exchange(&cs->any_bad, false))
		return;
	size_t moved = 0;
	pthread_rwlock_wrlock(&cs->lock);
	for (int k = FF_PLAN_RAW; k <= FF_PLAN_HOUR; k++) {
		ff_cs_list *l = &cs->lists[k];
		for (size_t i = l->n; i-- > 0;) {
			if (i >= l->n || !atomic_load(&l->v[i]->bad))
				continue;
			ff_cseg *c = ff__cs_take_seg(cs, k, i);
			char path[FF_CS_PATH_MAX], name[64];
			ff_segment_path(l->dir, c->id, path, sizeof path);
			if (k == FF_PLAN_RAW) {
				moved += ff_cs_quarantine_raw(cs, c, path);
			} else {
				ff__cs_quarantine_name(k, c->id, name, sizeof name);
				ff__cs_quarantine_file(cs, path, name, ff_strerror(FF_SEG_EBLOCK));
				moved++;
			}
			ff__cs_free_seg(c);
		}
	}
	pthread_rwlock_unlock(&cs->lock);
	/* The sealer rebuilds what was taken out (hour rollups, the frontier's rollups). */
	if (moved > 0)
		ff__cs_sealer_kick(cs);
}

/* The raw id a quarantine/ name holds ("seg-<id>.ffs", maybe with a ".<time>" suffix). */
static int ff_cs_q_name_id(const char *name, uint64_t *id)
{
	char base[32];
	snprintf(base, sizeof base, "%.24s", name);
	return strlen(name) >= 24 && ff_segment_parse_name(base, id) == 0 ? 0 : -1;
}

/* Reads one quarantine/ entry back; an unsettled raw segment's rollups are set aside. */
static int ff_cs_q_reopen(ff_cstore *cs, const char *name)
{
	uint64_t id;
	if (ff_cs_q_name_id(name, &id) != 0)
		return 0;
	int rc = ff_cs_q_add(cs, id, 0);
	if (rc != 0 || ff_cs_settled(name))
		return rc;
	size_t n = ff_cs_set_aside_covering(cs, id);
	ff_log_error("store: quarantined segment %" PRIu64 " (%s): its records are lost from "
		     "every answer; %zu rollups still counting them set aside",
		     id, name, n);
	ff_cs_settle(cs, name);
	return 0;
}

int ff__cs_quarantine_open(ff_cstore *cs)
{
	DIR *d = opendir(cs->q_dir);
	if (d == NULL)
		return 0; /* created at open: nothing quarantined */
	int rc = 0;
	struct dirent *e;
	pthread_rwlock_wrlock(&cs->lock);
	/* Renames while reading the directory: settled names are skipped if seen again. */
	while (rc == 0 && (e = readdir(d)) != NULL)
		rc = ff_cs_q_reopen(cs, e->d_name);
	pthread_rwlock_unlock(&cs->lock);
	closedir(d);
	return rc;
}
