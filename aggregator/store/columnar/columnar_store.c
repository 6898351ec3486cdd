/*
 * The columnar store: the journal and the in-memory open window (journal.c,
 * window.c), the background sealer (columnar_sealer.c), sealed segments (segment_read.c,
 * segment_write.c), their rollups (columnar_rollups.c), scans (columnar_scan.c) and retention
 * (retention.c), put together behind ff_store_ops. Threads and locking:
 * columnar_impl.h.
 */
#include "columnar_impl.h"

#include "ff_log.h"
#include "ff_time.h"
#include "journal.h"
#include "retention.h"
#include "segment.h"
#include "scan_plan.h"
#include "rollup_file.h"
#include "window.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t ff_cs_window_start(const ff_cstore *cs, uint64_t now)
{
	return now - now % cs->cfg.window_ms;
}

static bool ff_cs_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* --- the segment lists ------------------------------------------------------------ */

const char *const ff__cs_kind_name[] = {"segment", "minute rollup", "hour rollup"};

static ff_cs_list *ff_cs_list_of(ff_cstore *cs, enum ff_plan_kind kind)
{
	return &cs->lists[kind];
}

int ff__cs_add_seg(ff_cstore *cs, enum ff_plan_kind kind, ff_segment *seg)
{
	ff_cs_list *l = ff_cs_list_of(cs, kind);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		ff_cseg **p = realloc(l->v, cap * sizeof *p);
		if (p == NULL)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	ff_cseg *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -ENOMEM;
	const ff_segment_meta *m = ff_segment_get_meta(seg);
	c->seg = seg;
	c->id = m->id;
	c->kind = kind;
	atomic_init(&c->bad, false);
	/* Ids grow with time, so a new segment nearly always goes last. */
	size_t i = l->n;
	while (i > 0 && l->v[i - 1]->id > c->id) {
		l->v[i] = l->v[i - 1];
		i--;
	}
	l->v[i] = c;
	l->n++;
	l->bytes += m->file_bytes;
	if (kind == FF_PLAN_RAW) {
		cs->seg_batches += m->n_batches;
		cs->seg_records += m->rows;
	}
	return 0;
}

size_t ff__cs_after(const ff_cs_list *l, uint64_t id)
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

long ff__cs_find(const ff_cs_list *l, uint64_t id)
{
	size_t a = ff__cs_after(l, id);
	return a > 0 && l->v[a - 1]->id == id ? (long)(a - 1) : -1;
}

/* Takes entry i of a list out (caller holds the write lock) and returns it. */
ff_cseg *ff__cs_take_seg(ff_cstore *cs, enum ff_plan_kind kind, size_t i)
{
	ff_cs_list *l = ff_cs_list_of(cs, kind);
	ff_cseg *c = l->v[i];
	const ff_segment_meta *m = ff_segment_get_meta(c->seg);
	memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
	l->n--;
	l->bytes -= m->file_bytes;
	if (kind == FF_PLAN_RAW) {
		cs->seg_batches -= m->n_batches;
		cs->seg_records -= m->rows;
	}
	return c;
}

void ff__cs_free_seg(ff_cseg *c)
{
	if (c == NULL)
		return;
	ff_segment_close(c->seg);
	free(c);
}

/* --- write health ------------------------------------------------------------- */

void ff__cs_write_result(ff_cstore *cs, enum ff_cs_write kind, int rc)
{
	pthread_mutex_lock(&cs->health_mu);
	ff_cs_write_state *w = &cs->writes[kind];
	if (rc != 0 && w->rc == 0)
		w->since_ms = ff_time_now_ms();
	w->rc = rc;
	if (rc == 0)
		w->since_ms = 0;
	pthread_mutex_unlock(&cs->health_mu);
}

static void ff_cs_health(ff_store *base, ff_store_health *out)
{
	static const char *const what[] = {"appending to the journal", "sealing the open window",
					   "starting a new journal"};
	ff_cstore *cs = (ff_cstore *)base;
	*out = (ff_store_health){.writable = true};
	pthread_mutex_lock(&cs->health_mu);
	for (int k = 0; k < FF_CS_W_COUNT && out->writable; k++) {
		const ff_cs_write_state *w = &cs->writes[k];
		if (w->rc == 0)
			continue;
		out->writable = false;
		out->error = w->rc;
		out->failing_since_ms = w->since_ms;
		uint64_t now = ff_time_now_ms();
		snprintf(out->reason, sizeof out->reason, "%s fails (%s) since %" PRIu64 " s ago",
			 what[k], ff_strerror(w->rc), now > w->since_ms ? (now - w->since_ms) / 1000 : 0);
	}
	pthread_mutex_unlock(&cs->health_mu);
}

/* --- retention ------------------------------------------------------------------ */

/* Removes the listed entries (index into the concatenation raw, minute, hour). */
static void ff_cs_expire(ff_cstore *cs, const ff_cseg *const *gone, size_t n)
{
	pthread_rwlock_wrlock(&cs->lock);
	for (int k = FF_PLAN_RAW; k <= FF_PLAN_HOUR; k++) {
		ff_cs_list *l = ff_cs_list_of(cs, k);
		for (size_t i = l->n; i-- > 0;) {
			bool hit = false;
			for (size_t j = 0; j < n && !hit; j++)
				hit = l->v[i] == gone[j];
			if (!hit)
				continue;
			ff_cseg *c = ff__cs_take_seg(cs, k, i);
			char path[FF_CS_PATH_MAX];
			ff_segment_path(l->dir, c->id, path, sizeof path);
			if (unlink(path) != 0)
				ff_log_errno(FF_LOG_ERROR, errno,
					     "store: retention: unlink(%s) failed", path);
			ff__cs_free_seg(c);
			cs->st.expired++;
		}
	}
	pthread_rwlock_unlock(&cs->lock);
}

/*
 * Every sealed file as retention sees it, raw segments first, then minute,
 * then hour rollups, each oldest first: --max-disk removes raw data before
 * the summaries that keep the history. *segs and *items are malloc'd.
 */
static size_t ff_cs_retention_items(ff_cstore *cs, ff_cseg ***segs, ff_retention_item **items)
{
	const uint64_t retain[] = {cs->cfg.retain_ms, cs->cfg.retain_minute_ms,
				   cs->cfg.retain_hour_ms};
	pthread_rwlock_rdlock(&cs->lock);
	size_t n = 0, k = 0;
	for (int kind = FF_PLAN_RAW; kind <= FF_PLAN_HOUR; kind++)
		n += cs->lists[kind].n;
	*segs = calloc(n ? n : 1, sizeof **segs);
	*items = calloc(n ? n : 1, sizeof **items);
	for (int kind = FF_PLAN_RAW; *segs != NULL && *items != NULL && kind <= FF_PLAN_HOUR;
	     kind++) {
		for (size_t i = 0; i < cs->lists[kind].n; i++, k++) {
			ff_cseg *c = cs->lists[kind].v[i];
			const ff_segment_meta *m = ff_segment_get_meta(c->seg);
			(*segs)[k] = c;
			uint64_t newest = ff_retention_trusted_ms(m->max_last_ms, m->written_ms,
								  cs->cfg.max_clock_skew_ms);
			(*items)[k] = (ff_retention_item){.newest_ms = newest,
							  .bytes = m->file_bytes,
							  .retain_ms = retain[kind]};
		}
	}
	pthread_rwlock_unlock(&cs->lock);
	return *segs != NULL && *items != NULL ? n : 0;
}

/* Applies --retain, --retain-minute, --retain-hour and --max-disk; sealer thread only. */
void ff__cs_retention(ff_cstore *cs, uint64_t now)
{
	ff_retention_policy p = {.max_bytes = cs->cfg.max_bytes};
	bool any_age = cs->cfg.retain_ms || cs->cfg.retain_minute_ms || cs->cfg.retain_hour_ms;
	/* While the journal still names a sealed segment, that segment must stay. */
	if ((!any_age && p.max_bytes == 0) || atomic_load(&cs->jnl_stale))
		return;
	ff_cseg **segs;
	ff_retention_item *items;
	size_t n = ff_cs_retention_items(cs, &segs, &items);
	bool *drop = calloc(n ? n : 1, sizeof *drop);
	if (drop != NULL && n > 0) {
		size_t k =
		    ff_retention_select(&p, items, n, atomic_load(&cs->jnl_bytes), now, drop);
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (drop[i])
				segs[m++] = segs[i];
		if (k > 0) {
			ff_log_info("store: retention removes %zu of %zu files", k, n);
			ff_cs_expire(cs, (const ff_cseg *const *)segs, m);
		}
	}
	free(segs);
	free(items);
	free(drop);
}

/* --- open ------------------------------------------------------------------------- */

static int ff_cs_mkdir(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	int err = errno;
	ff_log_errno(FF_LOG_ERROR, err, "store: mkdir(%s) failed", path);
	return ff_err_errno(err);
}

/* "dir/name", malloc'd; NULL when out of memory or longer than a path may be. */
static char *ff_cs_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = a + b + 2 < FF_CS_PATH_MAX - 32 ? malloc(a + b + 2) : NULL;
	if (p != NULL) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}

static int ff_cs_paths(ff_cstore *cs, const char *data_dir)
{
	cs->dir = strdup(data_dir);
	cs->seg_dir = ff_cs_join(data_dir, "segments");
	cs->q_dir = ff_cs_join(data_dir, "quarantine");
	cs->jnl_path = ff_cs_join(data_dir, "journal.ffj");
	cs->pending_path = ff_cs_join(data_dir, "journal-sealing.ffj");
	cs->roll_dir = ff_cs_join(data_dir, "rollups");
	cs->min_dir = cs->roll_dir ? ff_cs_join(cs->roll_dir, "minute") : NULL;
	cs->hour_dir = cs->roll_dir ? ff_cs_join(cs->roll_dir, "hour") : NULL;
	if (cs->dir == NULL || cs->seg_dir == NULL || cs->q_dir == NULL || cs->jnl_path == NULL ||
	    cs->pending_path == NULL || cs->min_dir == NULL || cs->hour_dir == NULL) {
		ff_log_error("store: data dir path too long: %s", data_dir);
		return -ENAMETOOLONG;
	}
	cs->lists[FF_PLAN_RAW].dir = cs->seg_dir;
	cs->lists[FF_PLAN_MINUTE].dir = cs->min_dir;
	cs->lists[FF_PLAN_HOUR].dir = cs->hour_dir;
	const char *dirs[] = {cs->dir,	    cs->seg_dir, cs->q_dir,
			      cs->roll_dir, cs->min_dir, cs->hour_dir};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++)
		rc = ff_cs_mkdir(dirs[i]);
	return rc;
}

/* Takes DATA_DIR/LOCK; a second aggregator on the same dir fails here. */
static int ff_cs_lock(ff_cstore *cs)
{
	char *path = ff_cs_join(cs->dir, "LOCK");
	if (path == NULL)
		return -ENOMEM;
	cs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	int rc = 0;
	if (cs->lock_fd < 0) {
		rc = ff_err_errno(errno);
		ff_log_errno(FF_LOG_ERROR, rc, "store: open(%s) failed", path);
	} else if (flock(cs->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "store: lock of %s failed", path);
		rc = err == EWOULDBLOCK ? FF_STORE_ELOCKED : ff_err_errno(err);
	}
	free(path);
	return rc;
}

/* Hands a segment's batch identities to the replay callback. */
static int ff_cs_replay_seg(ff_cstore *cs, const ff_segment *seg)
{
	ff_segment_batch *b = NULL;
	size_t n = 0;
	int rc = ff_segment_batches(seg, &b, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; cs->replay != NULL && i < n; i++) {
		ff_batch v = {.epoch = b[i].epoch,
			      .sequence = b[i].sequence,
			      .interval_start_ms = b[i].interval_start_ms,
			      .interval_len_ms = b[i].interval_len_ms,
			      .policy_version = b[i].policy_version,
			      .n_records = b[i].n_records};
		snprintf(v.agent_id, sizeof v.agent_id, "%s", ff_segment_agent(seg, b[i].agent));
		cs->replay(cs->replay_arg, &v);
	}
	free(b);
	return 0;
}

/* A segment file that is not what its directory and name say. */
static bool ff_cs_misplaced(const ff_segment_meta *m, enum ff_plan_kind kind, uint64_t id)
{
	static const enum ff_segment_kind want[] = {FF_SEGMENT_RAW, FF_SEGMENT_MINUTE,
						    FF_SEGMENT_HOUR};
	return m->id != id || m->kind != want[kind] || m->covers_first != id ||
	       m->covers_last < m->covers_first;
}

/* Opens one listed segment or rollup; a damaged one is quarantined, never fatal. */
static int ff_cs_load_one(ff_cstore *cs, enum ff_plan_kind kind, uint64_t id)
{
	char path[FF_CS_PATH_MAX], name[64];
	ff_segment *seg = NULL;
	ff_segment_path(cs->lists[kind].dir, id, path, sizeof path);
	ff__cs_quarantine_name(kind, id, name, sizeof name);
	int rc = ff_segment_open(path, &seg);
	if (rc == 0 && ff_cs_misplaced(ff_segment_get_meta(seg), kind, id))
		rc = FF_SEG_EFORMAT;
	if (rc == 0 && kind == FF_PLAN_RAW)
		rc = ff_cs_replay_seg(cs, seg);
	if (ff_err_is_errno(rc)) {
		/* The system failed (no memory, i/o), not the file: stop, quarantine nothing. */
		ff_segment_close(seg);
		return rc;
	}
	if (rc != 0) {
		ff_segment_close(seg);
		ff__cs_quarantine_file(cs, path, name, ff_strerror(rc));
		return 0;
	}
	rc = ff__cs_add_seg(cs, kind, seg);
	if (rc != 0)
		ff_segment_close(seg);
	return rc;
}

/* The highest segment id named in `dir` (0 when none). */
static uint64_t ff_cs_max_id(const char *dir)
{
	uint64_t max = 0, id;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char name[32];
		/* Quarantined names may carry a time suffix: compare the base name. */
		snprintf(name, sizeof name, "%.24s", e->d_name);
		if (ff_segment_parse_name(name, &id) == 0 && id > max)
			max = id;
	}
	if (d != NULL)
		closedir(d);
	return max;
}

static int ff_cs_load_dir(ff_cstore *cs, enum ff_plan_kind kind)
{
	const char *dir = cs->lists[kind].dir;
	DIR *d = opendir(dir);
	if (d == NULL) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "store: opendir(%s) failed", dir);
		return ff_err_errno(err);
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		uint64_t id;
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0) {
			/* A seal interrupted before its rename: the journal still has it all. */
			char *p = ff_cs_join(dir, e->d_name);
			if (p != NULL)
				unlink(p);
			free(p);
		} else if (ff_segment_parse_name(e->d_name, &id) == 0) {
			rc = ff_cs_load_one(cs, kind, id);
		}
	}
	closedir(d);
	return rc;
}

static int ff_cs_load_segments(ff_cstore *cs)
{
	int rc = 0;
	for (int k = FF_PLAN_RAW; rc == 0 && k <= FF_PLAN_HOUR; k++)
		rc = ff_cs_load_dir(cs, k);
	if (rc == 0)
		rc = ff__cs_quarantine_open(cs);
	uint64_t a = ff_cs_max_id(cs->seg_dir), b = ff_cs_max_id(cs->q_dir);
	cs->next_id = (a > b ? a : b) + 1;
	return rc;
}

/*
 * True when the journal's segment was already written (sealed before a
 * crash cut the journal's reset short). Ids only grow and next_id is past
 * every segment file, kept or quarantined, so any lower id was sealed.
 */
static bool ff_cs_journal_sealed(const ff_cstore *cs, uint64_t id)
{
	return id < cs->next_id;
}

static int ff_cs_journal_entry(void *arg, uint64_t segment_id, const ff_batch *b)
{
	ff_cstore *cs = arg;
	if (ff_cs_journal_sealed(cs, segment_id))
		return 0;
	uint32_t agent;
	if (ff_window_reserve(cs->win, b, &agent) != 0)
		return -ENOMEM;
	ff_window_add(cs->win, b, agent);
	if (cs->replay != NULL)
		cs->replay(cs->replay_arg, b);
	return 0;
}

static int ff_cs_reset_journal(ff_cstore *cs, uint64_t now);

static int ff_cs_open_journal_file(ff_cstore *cs, const char *path, ff_journal **out,
				   ff_journal_info *info)
{
	uint64_t ws = ff_cs_window_start(cs, ff_time_now_ms());
	int rc = ff_journal_open(path, cs->next_id, ws, ff_cs_journal_entry, cs, out, info);
	if (rc == FF_JOURNAL_EMAGIC || rc == FF_JOURNAL_EVERSION || rc == FF_JOURNAL_EHEADER) {
		char name[64];
		snprintf(name, sizeof name, "journal-%" PRIu64 ".ffj", ff_time_now_ms());
		ff_window_clear(cs->win);
		ff__cs_quarantine_file(cs, path, name, ff_strerror(rc));
		rc = ff_journal_open(path, cs->next_id, ws, ff_cs_journal_entry, cs, out, info);
	}
	return rc;
}

/*
 * A journal left by a background seal that a crash cut short: replayed and
 * sealed now, as segment `id` its header names, unless that segment was
 * written (then only removed). So a crash during a seal loses nothing and
 * counts nothing twice, as with the open journal.
 */
static int ff_cs_open_pending(ff_cstore *cs)
{
	if (!ff_cs_exists(cs->pending_path))
		return 0;
	ff_journal_info info;
	ff_journal *j = NULL;
	int rc = ff_cs_open_journal_file(cs, cs->pending_path, &j, &info);
	if (rc != 0) {
		ff_log_error("store: cannot open %s: %s", cs->pending_path, ff_strerror(rc));
		return rc;
	}
	cs->st.torn_tails += info.torn_tails;
	cs->st.corrupt += info.corrupt;
	size_t recs = ff_window_records(cs->win);
	if (!ff_cs_journal_sealed(cs, info.segment_id) && ff_window_batches(cs->win) > 0) {
		rc = ff__cs_write_window(cs, cs->win, info.segment_id);
		if (rc == 0)
			ff_log_info("store: sealed segment %" PRIu64 " (%zu records) from %s, left "
				    "by a seal cut short",
				    info.segment_id, recs, cs->pending_path);
	}
	ff_window_clear(cs->win);
	ff_journal_close(j);
	if (rc != 0)
		return rc;
	if (cs->next_id <= info.segment_id)
		cs->next_id = info.segment_id + 1;
	if (unlink(cs->pending_path) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "store: unlink(%s) failed", cs->pending_path);
		return ff_err_errno(err);
	}
	return 0;
}

static int ff_cs_open_journal(ff_cstore *cs)
{
	ff_journal_info info;
	ff__cs_journal_check(cs, ff_cs_exists(cs->pending_path));
	int rc = ff_cs_open_pending(cs);
	if (rc == 0)
		rc = ff_cs_open_journal_file(cs, cs->jnl_path, &cs->jnl, &info);
	if (rc != 0) {
		ff_log_error("store: cannot open %s: %s", cs->jnl_path, ff_strerror(rc));
		return rc;
	}
	ff__cs_journal_mark(cs);
	cs->st.torn_tails += info.torn_tails;
	cs->st.corrupt += info.corrupt;
	if (!ff_cs_journal_sealed(cs, info.segment_id)) {
		cs->next_id = info.segment_id + 1;
		return 0;
	}
	if (info.entries > 0)
		ff_log_info("store: journal of segment %" PRIu64 " was sealed before the last "
			    "stop; its %" PRIu64 " entries are not replayed twice",
			    info.segment_id, info.entries);
	return ff_cs_reset_journal(cs, ff_time_now_ms());
}

static void ff_cs_close(ff_store *base);

static int ff_cs_open_all(ff_cstore *cs, const ff_store_columnar_config *cfg)
{
	int rc = ff_cs_paths(cs, cfg->data_dir);
	if (rc == 0)
		rc = ff_cs_lock(cs);
	if (rc == 0)
		rc = ff_cs_load_segments(cs);
	if (rc == 0)
		rc = ff_cs_open_journal(cs);
	if (rc != 0)
		return rc;
	atomic_store(&cs->jnl_bytes, ff_journal_bytes(cs->jnl));
	ff__cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
	ff__cs_retention(cs, ff_time_now_ms());
	return ff__cs_sealer_start(cs);
}

static const ff_store_ops ff_store_columnar_ops;

int ff_store_columnar_open(const ff_store_columnar_config *cfg, ff_store_replay_fn replay,
			   void *arg, ff_store **out)
{
	ff_cstore *cs = calloc(1, sizeof *cs);
	if (cs == NULL)
		return -ENOMEM;
	cs->base.ops = &ff_store_columnar_ops;
	cs->cfg = *cfg;
	cs->cfg.window_ms = cfg->window_ms ? cfg->window_ms : FF_STORE_DEFAULT_WINDOW_MS;
	if (cs->cfg.max_clock_skew_ms == 0)
		cs->cfg.max_clock_skew_ms = FF_STORE_DEFAULT_CLOCK_SKEW_MS;
	if (cs->cfg.window_max_records == 0)
		cs->cfg.window_max_records = FF_STORE_DEFAULT_WINDOW_MAX_RECORDS;
	if (cs->cfg.window_max_bytes == 0)
		cs->cfg.window_max_bytes = FF_STORE_DEFAULT_WINDOW_MAX_BYTES;
	cs->lock_fd = -1;
	cs->replay = replay;
	cs->replay_arg = arg;
	atomic_init(&cs->any_bad, false);
	atomic_init(&cs->jnl_stale, false);
	atomic_init(&cs->jnl_bytes, 0);
	atomic_init(&cs->early_seals, 0);
	pthread_rwlock_init(&cs->lock, NULL);
	pthread_rwlock_init(&cs->win_lock, NULL);
	pthread_mutex_init(&cs->sealer.mu, NULL);
	pthread_cond_init(&cs->sealer.cv, NULL);
	pthread_mutex_init(&cs->health_mu, NULL);
	cs->win = ff_window_new();
	int rc = cs->win != NULL ? ff_cs_open_all(cs, cfg) : -ENOMEM;
	cs->replay = NULL;
	if (rc != 0) {
		ff_cs_close(&cs->base);
		return rc;
	}
	*out = &cs->base;
	return 0;
}

/* --- sealing ---------------------------------------------------------------------- */

int ff__cs_write_window(ff_cstore *cs, ff_window *w, uint64_t id)
{
	ff_window_input in;
	if (ff_window_build_input(w, id, &in) != 0)
		return -ENOMEM;
	int rc = ff_segment_write(cs->seg_dir, &in.in);
	/* The rows are at hand: the minute rollup costs no reading back. */
	bool roll = rc == 0 && cs->cfg.rollup_keys != 0;
	size_t source = in.in.n_rows;
	ff_rollup *r = NULL;
	int built = roll ? ff_rollups_minute_of(cs->cfg.rollup_keys, in.in.rows, in.in.n_rows,
						in.in.agents, in.in.n_agents, &r)
			 : 0;
	ff_window_input_free(&in);
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->seg_dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	if (rc == 0)
		rc = ff_segment_open(path, &seg);
	bool dropped = false;
	if (rc == 0) {
		/* Listed and out of the windows under one write lock: counted once, always. */
		pthread_rwlock_wrlock(&cs->lock);
		rc = ff__cs_add_seg(cs, FF_PLAN_RAW, seg);
		pthread_rwlock_wrlock(&cs->win_lock);
		if (rc == 0 && cs->sealing == w) {
			cs->sealing = NULL;
			dropped = true;
		}
		pthread_rwlock_unlock(&cs->win_lock);
		pthread_rwlock_unlock(&cs->lock);
	}
	if (dropped)
		ff_window_free(w); /* before the rollup is written: memory back early */
	if (rc == 0 && roll)
		ff__cs_rollup_window(cs, id, built, r, source);
	ff_rollup_free(r);
	if (rc != 0) {
		/* No half-listed segment may stay: at start it would hide the journal. */
		ff_segment_close(seg);
		unlink(path);
		return rc;
	}
	return 0;
}

static int ff_cs_reset_journal(ff_cstore *cs, uint64_t now)
{
	int rc = ff_journal_reset(cs->jnl, cs->next_id, ff_cs_window_start(cs, now));
	atomic_store(&cs->jnl_stale, rc != 0);
	ff__cs_write_result(cs, FF_CS_W_ROTATE, rc);
	if (rc == 0)
		cs->next_id++;
	return rc;
}

/* fsyncs a directory, so a rename or a new file in it survives a crash. */
static int ff_cs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : ff_err_errno(errno);
	if (rc != 0)
		ff_log_errno(FF_LOG_ERROR, -rc, "store: fsync of %s failed", dir);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Moves the journal aside as journal-sealing.ffj and opens a new one for
 * segment `next_id` in its place, both made durable before any batch is
 * acknowledged into the new one. On failure everything is as before.
 */
static int ff_cs_rotate_journal(ff_cstore *cs, uint64_t now, ff_journal **next)
{
	int rc = ff_journal_rename(cs->jnl, cs->pending_path);
	if (rc != 0)
		return rc;
	ff_journal_info info;
	rc = ff_journal_open(cs->jnl_path, cs->next_id, ff_cs_window_start(cs, now), NULL, NULL,
			     next, &info);
	if (rc == 0)
		rc = ff_cs_sync_dir(cs->dir);
	if (rc == 0)
		return 0;
	ff_journal_close(*next);
	*next = NULL;
	unlink(cs->jnl_path);
	/* Failing that, the journal stays journal-sealing.ffj: appends go on there, and
	 * the next hand-over or start treats it as the sealing journal it nearly was. */
	(void)ff_journal_rename(cs->jnl, cs->jnl_path);
	return rc;
}

/*
 * Hands the open window to the sealer and goes on with a new journal and
 * an empty window: the ingest thread only renames a file, opens one and
 * swaps two pointers. While the sealer still writes the previous window,
 * this waits for it (push back: acks slow down instead of memory growing).
 */
static int ff_cs_hand_over(ff_cstore *cs, uint64_t now, bool early)
{
	int rc = ff__cs_sealer_wait(cs);
	if (rc != 0)
		return rc; /* the sealer is failing: this window goes on growing in its journal */
	ff_window *fresh = ff_window_new();
	if (fresh == NULL)
		return -ENOMEM;
	uint64_t id = ff_journal_segment_id(cs->jnl);
	if (cs->next_id <= id)
		cs->next_id = id + 1;
	ff_journal *next = NULL;
	rc = ff_cs_rotate_journal(cs, now, &next);
	ff__cs_write_result(cs, FF_CS_W_ROTATE, rc);
	if (rc != 0) {
		ff_window_free(fresh);
		return rc;
	}
	ff_journal *old = cs->jnl;
	size_t recs = ff_window_records(cs->win);
	pthread_rwlock_wrlock(&cs->win_lock);
	cs->sealing = cs->win;
	cs->win = fresh;
	pthread_rwlock_unlock(&cs->win_lock);
	cs->jnl = next;
	cs->next_id++;
	atomic_fetch_add(&cs->jnl_bytes, ff_journal_bytes(next));
	if (early)
		atomic_fetch_add(&cs->early_seals, 1);
	ff_log_debug("store: window of segment %" PRIu64 " (%zu records) handed to the sealer%s",
		     id, recs, early ? ", early: it reached its bound" : "");
	ff__cs_sealer_submit(cs, old, id);
	return 0;
}

int ff_store_columnar_seal(ff_store *s)
{
	ff_cstore *cs = (ff_cstore *)s;
	int rc = 0;
	if (!atomic_load(&cs->jnl_stale) && ff_journal_entries(cs->jnl) > 0)
		rc = ff_cs_hand_over(cs, ff_time_now_ms(), false);
	return rc != 0 ? rc : ff__cs_sealer_wait(cs);
}

/* Whether adding `b` would take the open window past its bound. */
static bool ff_cs_window_full(const ff_cstore *cs, const ff_batch *b)
{
	size_t n = ff_window_records(cs->win);
	return n > 0 &&
	       (n + b->n_records > cs->cfg.window_max_records ||
		ff_window_bytes(cs->win) + ff_window_bytes_of(b) > cs->cfg.window_max_bytes);
}

/*
 * Hands a window whose time is over, or that `incoming` (may be NULL)
 * would take past its bound, to the sealer; an empty journal just moves to
 * the current window.
 */
static int ff_cs_rotate(ff_cstore *cs, uint64_t now, const ff_batch *incoming)
{
	if (atomic_load(&cs->jnl_stale))
		return ff_cs_reset_journal(cs, now);
	uint64_t ws = ff_journal_window_start(cs->jnl);
	bool over = !(now >= ws && now - ws < cs->cfg.window_ms);
	bool full = incoming != NULL && ff_cs_window_full(cs, incoming);
	if (!over && !full)
		return 0;
	if (ff_journal_entries(cs->jnl) > 0)
		return ff_cs_hand_over(cs, now, !over);
	int rc = ff_journal_reset(cs->jnl, ff_journal_segment_id(cs->jnl),
				  ff_cs_window_start(cs, now));
	ff__cs_write_result(cs, FF_CS_W_ROTATE, rc);
	return rc;
}

/* --- the ff_store_ops --------------------------------------------------------------- */

/* An idle window whose time is over is sealed now, not at the next batch. */
static int ff_cs_tick(ff_store *base)
{
	ff_cstore *cs = (ff_cstore *)base;
	uint64_t now = ff_time_now_ms(), ws = ff_journal_window_start(cs->jnl);
	if (cs->jnl_stale || ff_journal_entries(cs->jnl) == 0 ||
	    (now >= ws && now - ws < cs->cfg.window_ms))
		return 0;
	return ff_cs_rotate(cs, now, NULL);
}

static int ff_cs_append(ff_store *base, const ff_batch *b)
{
	ff_cstore *cs = (ff_cstore *)base;
	int rc = ff_cs_rotate(cs, ff_time_now_ms(), b);
	/* A failed seal leaves the window in the journal, which can still take batches. */
	if (rc != 0 && atomic_load(&cs->jnl_stale))
		return rc;
	uint32_t agent;
	pthread_rwlock_wrlock(&cs->win_lock);
	rc = ff_window_reserve(cs->win, b, &agent) == 0 ? 0 : -ENOMEM;
	pthread_rwlock_unlock(&cs->win_lock);
	uint64_t before = ff_journal_bytes(cs->jnl), t0 = ff_time_mono_us();
	if (rc == 0)
		rc = ff_journal_append(cs->jnl, b);
	if (rc == 0)
		ff_histogram_observe_us(&cs->journal_append, ff_time_mono_us() - t0);
	atomic_fetch_add(&cs->jnl_bytes, ff_journal_bytes(cs->jnl) - before);
	pthread_rwlock_wrlock(&cs->win_lock);
	if (rc == 0)
		ff_window_add(cs->win, b, agent);
	else
		cs->append_errors++;
	pthread_rwlock_unlock(&cs->win_lock);
	ff__cs_write_result(cs, FF_CS_W_APPEND, rc);
	return rc;
}

static void ff_cs_stats(ff_store *base, ff_store_stats *out)
{
	ff_cstore *cs = (ff_cstore *)base;
	pthread_rwlock_rdlock(&cs->lock);
	pthread_rwlock_rdlock(&cs->win_lock);
	const ff_window *sw = cs->sealing;
	out->batches =
	    cs->seg_batches + ff_window_batches(cs->win) + (sw != NULL ? ff_window_batches(sw) : 0);
	out->records =
	    cs->seg_records + ff_window_records(cs->win) + (sw != NULL ? ff_window_records(sw) : 0);
	out->bytes = cs->lists[FF_PLAN_RAW].bytes + cs->lists[FF_PLAN_MINUTE].bytes +
		     cs->lists[FF_PLAN_HOUR].bytes + atomic_load(&cs->jnl_bytes);
	out->append_errors = cs->append_errors;
	pthread_rwlock_unlock(&cs->win_lock);
	pthread_rwlock_unlock(&cs->lock);
}

void ff_store_columnar_get_stats(ff_store *s, ff_store_columnar_stats *out)
{
	ff_cstore *cs = (ff_cstore *)s;
	pthread_rwlock_rdlock(&cs->lock);
	*out = cs->st;
	out->segments = cs->lists[FF_PLAN_RAW].n;
	out->rollup_minute = cs->lists[FF_PLAN_MINUTE].n;
	out->rollup_hour = cs->lists[FF_PLAN_HOUR].n;
	out->rollup_bytes = cs->lists[FF_PLAN_MINUTE].bytes + cs->lists[FF_PLAN_HOUR].bytes;
	out->early_seals = atomic_load(&cs->early_seals);
	pthread_rwlock_unlock(&cs->lock);
}

/* The JSON names of the counters, in the order of ff_store_columnar_stats. */
static const struct {
	const char *name;
	size_t offset;
} ff_cs_stat_names[] = {
    {"segments", offsetof(ff_store_columnar_stats, segments)},
    {"seals", offsetof(ff_store_columnar_stats, seals)},
    {"seal_errors", offsetof(ff_store_columnar_stats, seal_errors)},
    {"quarantined", offsetof(ff_store_columnar_stats, quarantined)},
    {"expired", offsetof(ff_store_columnar_stats, expired)},
    {"torn_tails", offsetof(ff_store_columnar_stats, torn_tails)},
    {"corrupt", offsetof(ff_store_columnar_stats, corrupt)},
    {"rollup_minute", offsetof(ff_store_columnar_stats, rollup_minute)},
    {"rollup_hour", offsetof(ff_store_columnar_stats, rollup_hour)},
    {"rollup_bytes", offsetof(ff_store_columnar_stats, rollup_bytes)},
    {"rollup_errors", offsetof(ff_store_columnar_stats, rollup_errors)},
    {"early_seals", offsetof(ff_store_columnar_stats, early_seals)},
    {"hour_rollups_not_paying", offsetof(ff_store_columnar_stats, hour_rollups_not_paying)},
    {"minute_rollups_not_paying",
     offsetof(ff_store_columnar_stats, minute_rollups_not_paying)},
    {"quarantined_records", offsetof(ff_store_columnar_stats, quarantined_records)},
    {"rollups_set_aside", offsetof(ff_store_columnar_stats, rollups_set_aside)},
    {"rollups_rebuilt", offsetof(ff_store_columnar_stats, rollups_rebuilt)},
    {"journals_lost", offsetof(ff_store_columnar_stats, journals_lost)},
};
_Static_assert(sizeof ff_cs_stat_names / sizeof ff_cs_stat_names[0] ==
		   sizeof(ff_store_columnar_stats) / sizeof(uint64_t),
	       "every columnar counter has its JSON name");

static json_t *ff_cs_backend_stats(ff_store *base)
{
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(base, &st);
	json_t *doc = json_object();
	for (size_t i = 0; doc != NULL && i < sizeof ff_cs_stat_names / sizeof ff_cs_stat_names[0];
	     i++) {
		uint64_t v;
		memcpy(&v, (const char *)&st + ff_cs_stat_names[i].offset, sizeof v);
		if (json_object_set_new(doc, ff_cs_stat_names[i].name,
					json_integer((json_int_t)v)) != 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	return doc;
}

static void ff_cs_close(ff_store *base)
{
	ff_cstore *cs = (ff_cstore *)base;
	/* A seal in progress finishes; one that keeps failing stays in journal-sealing.ffj. */
	ff__cs_sealer_stop(cs);
	if (cs->sealer.busy)
		ff_journal_close(cs->sealer.jnl);
	ff_window_free(cs->sealing);
	ff_journal_close(cs->jnl);
	for (int k = FF_PLAN_RAW; k <= FF_PLAN_HOUR; k++) {
		for (size_t i = 0; i < cs->lists[k].n; i++)
			ff__cs_free_seg(cs->lists[k].v[i]);
		free(cs->lists[k].v);
	}
	ff_window_free(cs->win);
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);
	pthread_rwlock_destroy(&cs->lock);
	pthread_rwlock_destroy(&cs->win_lock);
	pthread_mutex_destroy(&cs->sealer.mu);
	pthread_cond_destroy(&cs->sealer.cv);
	pthread_mutex_destroy(&cs->health_mu);
	free(cs->dir);
	free(cs->pending_path);
	free(cs->seg_dir);
	free(cs->q_dir);
	free(cs->jnl_path);
	free(cs->unpaid);
	free(cs->q_ids);
	free(cs->rebuild);
	free(cs->roll_dir);
	free(cs->min_dir);
	free(cs->hour_dir);
	free(cs);
}

static const ff_store_ops ff_store_columnar_ops = {
    .name = "columnar",
    .append_batch = ff_cs_append,
    .scan = ff__cs_scan,
    .scan_range = ff__cs_scan_range,
    .scan_parallel = ff__cs_scan_parallel,
    .scan_blocks = ff__cs_scan_blocks,
    .tick = ff_cs_tick,
    .stats = ff_cs_stats,
    .health = ff_cs_health,
    .backend_stats = ff_cs_backend_stats,
    .backend_metrics = ff__cs_metrics,
    .close = ff_cs_close,
};
