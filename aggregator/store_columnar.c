/*
 * The columnar store: the journal and the in-memory open window (journal.c,
 * store_window.c), sealed segments (segment.c, segment_write.c) and
 * retention (retention.c), put together behind ff_store_ops.
 *
 * Threads: one thread appends (and seals, and applies retention); queries
 * scan from others. The rwlock guards the window and the segment list;
 * disk writes of an append or a seal happen outside it, so a slow
 * fdatasync never holds up a query. Segments are immutable once listed.
 */
#include "store_columnar.h"

#include "ff_log.h"
#include "journal.h"
#include "retention.h"
#include "segment.h"
#include "store_plan.h"
#include "store_rollups.h"
#include "store_window.h"

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
#include <time.h>
#include <unistd.h>

#define FF_CS_PATH_MAX 4096
/* Missing minute rollups built per seal and at open (each reads one segment back). */
#define FF_CS_CATCHUP_PER_SEAL 4

typedef struct ff_cseg {
	ff_segment *seg;
	uint64_t id;
	enum ff_plan_kind kind;
	atomic_bool bad; /* a scan found a damaged block: to be quarantined */
} ff_cseg;

/* The sealed files of one kind, sorted by id. */
typedef struct ff_cs_list {
	ff_cseg **v;
	size_t n, cap;
	uint64_t bytes;
	const char *dir; /* borrowed from the store */
} ff_cs_list;

typedef struct ff_cstore {
	ff_store base; /* first: an ff_cstore is an ff_store */
	ff_store_columnar_config cfg;
	char *dir, *seg_dir, *q_dir, *jnl_path, *roll_dir, *min_dir, *hour_dir;
	int lock_fd;
	ff_journal *jnl;
	bool jnl_stale; /* a seal succeeded but the journal reset failed */
	pthread_rwlock_t lock;
	/* Guarded by lock. */
	ff_window *win;
	ff_cs_list lists[3]; /* indexed by enum ff_plan_kind: raw, minute, hour */
	uint64_t seg_batches, seg_records;
	ff_store_stats st;
	atomic_bool any_bad;
	/* Appending thread only. */
	uint64_t next_id;
	/* Raw ids past the hour frontier whose minute rollup would not pay (not written). */
	uint64_t *unpaid;
	size_t n_unpaid, cap_unpaid;
	/* During open only. */
	ff_store_replay_fn replay;
	void *replay_arg;
} ff_cstore;

static uint64_t ff_cs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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

static const char *const ff_cs_kind_name[] = {"segment", "minute rollup", "hour rollup"};

static ff_cs_list *ff_cs_list_of(ff_cstore *cs, enum ff_plan_kind kind)
{
	return &cs->lists[kind];
}

static int ff_cs_add_seg(ff_cstore *cs, enum ff_plan_kind kind, ff_segment *seg)
{
	ff_cs_list *l = ff_cs_list_of(cs, kind);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		ff_cseg **p = realloc(l->v, cap * sizeof *p);
		if (p == NULL)
			return FF_STORE_ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	ff_cseg *c = calloc(1, sizeof *c);
	if (c == NULL)
		return FF_STORE_ENOMEM;
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

/* Takes entry i of a list out (caller holds the write lock) and returns it. */
static ff_cseg *ff_cs_take_seg(ff_cstore *cs, enum ff_plan_kind kind, size_t i)
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

static void ff_cs_free_seg(ff_cseg *c)
{
	ff_segment_close(c->seg);
	free(c);
}

/* The name a file of this kind gets in quarantine/, so kinds never collide there. */
static void ff_cs_quarantine_name(enum ff_plan_kind kind, uint64_t id, char *buf, size_t len)
{
	static const char *const prefix[] = {"", "minute-", "hour-"};
	snprintf(buf, len, "%sseg-%016" PRIx64 ".ffs", prefix[kind], id);
}

/* Moves a damaged file into quarantine/ under its own name (plus a time when taken). */
static void ff_cs_quarantine(ff_cstore *cs, const char *path, const char *name, const char *why)
{
	char to[FF_CS_PATH_MAX];
	snprintf(to, sizeof to, "%s/%s", cs->q_dir, name);
	if (ff_cs_exists(to))
		snprintf(to, sizeof to, "%s/%s.%" PRIu64, cs->q_dir, name, ff_cs_now_ms());
	cs->st.quarantined++;
	if (rename(path, to) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: %s is damaged (%s) and could not be "
			     "moved to %s; it is left out", path, why, to);
		return;
	}
	ff_log_error("store: %s is damaged (%s): moved to %s, its flows are left out of queries",
		     path, why, to);
}

/* Quarantines every segment or rollup a scan found damaged. */
static void ff_cs_quarantine_bad(ff_cstore *cs)
{
	if (!atomic_exchange(&cs->any_bad, false))
		return;
	pthread_rwlock_wrlock(&cs->lock);
	for (int k = FF_PLAN_RAW; k <= FF_PLAN_HOUR; k++) {
		ff_cs_list *l = ff_cs_list_of(cs, k);
		for (size_t i = l->n; i-- > 0;) {
			if (!atomic_load(&l->v[i]->bad))
				continue;
			ff_cseg *c = ff_cs_take_seg(cs, k, i);
			char path[FF_CS_PATH_MAX], name[64];
			ff_segment_path(l->dir, c->id, path, sizeof path);
			ff_cs_quarantine_name(k, c->id, name, sizeof name);
			ff_cs_quarantine(cs, path, name, ff_segment_strerror(FF_SEG_EBLOCK));
			ff_cs_free_seg(c);
		}
	}
	pthread_rwlock_unlock(&cs->lock);
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
			ff_cseg *c = ff_cs_take_seg(cs, k, i);
			char path[FF_CS_PATH_MAX];
			ff_segment_path(l->dir, c->id, path, sizeof path);
			if (unlink(path) != 0)
				ff_log_errno(FF_LOG_ERROR, errno, "store: retention: unlink(%s) failed",
					     path);
			ff_cs_free_seg(c);
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
			(*items)[k] = (ff_retention_item){.newest_ms = m->max_last_ms,
							  .bytes = m->file_bytes,
							  .retain_ms = retain[kind]};
		}
	}
	pthread_rwlock_unlock(&cs->lock);
	return *segs != NULL && *items != NULL ? n : 0;
}

/* Applies --retain, --retain-minute, --retain-hour and --max-disk; appending thread only. */
static void ff_cs_retention(ff_cstore *cs, uint64_t now)
{
	ff_retention_policy p = {.max_bytes = cs->cfg.max_bytes};
	bool any_age = cs->cfg.retain_ms || cs->cfg.retain_minute_ms || cs->cfg.retain_hour_ms;
	/* While the journal still names a sealed segment, that segment must stay. */
	if ((!any_age && p.max_bytes == 0) || cs->jnl_stale)
		return;
	ff_cseg **segs;
	ff_retention_item *items;
	size_t n = ff_cs_retention_items(cs, &segs, &items);
	bool *drop = calloc(n ? n : 1, sizeof *drop);
	if (drop != NULL && n > 0) {
		size_t k = ff_retention_select(&p, items, n, ff_journal_bytes(cs->jnl), now, drop);
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
	ff_log_errno(FF_LOG_ERROR, errno, "store: mkdir(%s) failed", path);
	return FF_STORE_EIO;
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
	cs->roll_dir = ff_cs_join(data_dir, "rollups");
	cs->min_dir = cs->roll_dir ? ff_cs_join(cs->roll_dir, "minute") : NULL;
	cs->hour_dir = cs->roll_dir ? ff_cs_join(cs->roll_dir, "hour") : NULL;
	if (cs->dir == NULL || cs->seg_dir == NULL || cs->q_dir == NULL || cs->jnl_path == NULL ||
	    cs->min_dir == NULL || cs->hour_dir == NULL) {
		ff_log_error("store: data dir path too long: %s", data_dir);
		return FF_STORE_EIO;
	}
	cs->lists[FF_PLAN_RAW].dir = cs->seg_dir;
	cs->lists[FF_PLAN_MINUTE].dir = cs->min_dir;
	cs->lists[FF_PLAN_HOUR].dir = cs->hour_dir;
	const char *dirs[] = {cs->dir, cs->seg_dir, cs->q_dir, cs->roll_dir, cs->min_dir,
			      cs->hour_dir};
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
		return FF_STORE_ENOMEM;
	cs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	int rc = 0;
	if (cs->lock_fd < 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: open(%s) failed", path);
		rc = FF_STORE_EIO;
	} else if (flock(cs->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "store: lock of %s failed", path);
		rc = err == EWOULDBLOCK ? FF_STORE_ELOCKED : FF_STORE_EIO;
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
	ff_cs_quarantine_name(kind, id, name, sizeof name);
	int rc = ff_segment_open(path, &seg);
	if (rc == 0 && ff_cs_misplaced(ff_segment_get_meta(seg), kind, id))
		rc = FF_SEG_EFORMAT;
	if (rc == 0 && kind == FF_PLAN_RAW)
		rc = ff_cs_replay_seg(cs, seg);
	if (rc == FF_SEG_ENOMEM || rc == FF_SEG_EIO) {
		ff_segment_close(seg);
		return rc == FF_SEG_ENOMEM ? FF_STORE_ENOMEM : FF_STORE_EIO;
	}
	if (rc != 0) {
		ff_segment_close(seg);
		ff_cs_quarantine(cs, path, name, ff_segment_strerror(rc));
		return 0;
	}
	rc = ff_cs_add_seg(cs, kind, seg);
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
		ff_log_errno(FF_LOG_ERROR, errno, "store: opendir(%s) failed", dir);
		return FF_STORE_EIO;
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
		return FF_JOURNAL_ENOMEM;
	ff_window_add(cs->win, b, agent);
	if (cs->replay != NULL)
		cs->replay(cs->replay_arg, b);
	return 0;
}

static int ff_cs_reset_journal(ff_cstore *cs, uint64_t now);

static int ff_cs_open_journal_file(ff_cstore *cs, ff_journal_info *info)
{
	uint64_t ws = ff_cs_window_start(cs, ff_cs_now_ms());
	int rc = ff_journal_open(cs->jnl_path, cs->next_id, ws, ff_cs_journal_entry, cs, &cs->jnl,
				 info);
	if (rc == FF_JOURNAL_EMAGIC || rc == FF_JOURNAL_EVERSION || rc == FF_JOURNAL_EHEADER) {
		char name[64];
		snprintf(name, sizeof name, "journal-%" PRIu64 ".ffj", ff_cs_now_ms());
		ff_window_clear(cs->win);
		ff_cs_quarantine(cs, cs->jnl_path, name, ff_journal_strerror(rc));
		rc = ff_journal_open(cs->jnl_path, cs->next_id, ws, ff_cs_journal_entry, cs,
				     &cs->jnl, info);
	}
	return rc;
}

static int ff_cs_open_journal(ff_cstore *cs)
{
	ff_journal_info info;
	int rc = ff_cs_open_journal_file(cs, &info);
	if (rc != 0) {
		ff_log_error("store: cannot open %s: %s", cs->jnl_path,
			     rc == FF_JOURNAL_ELOCKED ? "locked" : ff_journal_strerror(rc));
		return rc == FF_JOURNAL_ELOCKED	  ? FF_STORE_ELOCKED
		       : rc == FF_JOURNAL_ENOMEM ? FF_STORE_ENOMEM
						 : FF_STORE_EIO;
	}
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
	return ff_cs_reset_journal(cs, ff_cs_now_ms());
}

static void ff_cs_close(ff_store *base);
static void ff_cs_rollup_catchup(ff_cstore *cs, size_t budget);

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
	ff_cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
	ff_cs_retention(cs, ff_cs_now_ms());
	return 0;
}

int ff_store_columnar_open(const ff_store_columnar_config *cfg, ff_store_replay_fn replay,
			   void *arg, ff_store **out)
{
	ff_cstore *cs = calloc(1, sizeof *cs);
	if (cs == NULL)
		return FF_STORE_ENOMEM;
	cs->base.ops = &ff_store_columnar_ops;
	cs->cfg = *cfg;
	cs->cfg.window_ms = cfg->window_ms ? cfg->window_ms : FF_STORE_DEFAULT_WINDOW_MS;
	cs->lock_fd = -1;
	cs->replay = replay;
	cs->replay_arg = arg;
	atomic_init(&cs->any_bad, false);
	pthread_rwlock_init(&cs->lock, NULL);
	cs->win = ff_window_new();
	int rc = cs->win != NULL ? ff_cs_open_all(cs, cfg) : FF_STORE_ENOMEM;
	cs->replay = NULL;
	if (rc != 0) {
		ff_cs_close(&cs->base);
		return rc;
	}
	*out = &cs->base;
	return 0;
}

static int ff_cs_open_default(const char *data_dir, ff_store_replay_fn replay, void *arg,
			      ff_store **out)
{
	ff_store_columnar_config cfg = {.data_dir = data_dir};
	return ff_store_columnar_open(&cfg, replay, arg, out);
}

/* --- rollups ---------------------------------------------------------------------- */

/* Opens and lists a rollup file just written; on failure it is removed again. */
static int ff_cs_list_new(ff_cstore *cs, enum ff_plan_kind kind, uint64_t id)
{
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->lists[kind].dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	int rc = ff_segment_open(path, &seg);
	if (rc == 0) {
		pthread_rwlock_wrlock(&cs->lock);
		rc = ff_cs_add_seg(cs, kind, seg) == 0 ? 0 : FF_SEG_ENOMEM;
		pthread_rwlock_unlock(&cs->lock);
	}
	if (rc != 0) {
		ff_segment_close(seg);
		unlink(path);
	}
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
		     ff_cs_kind_name[kind], id, ff_segment_strerror(rc));
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
		     "the rows", id);
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
static void ff_cs_rollup_window(ff_cstore *cs, uint64_t id, ff_rollup *r, size_t source)
{
	if (r != NULL && !ff_rollups_pay(ff_rollup_rows(r), source)) {
		ff_cs_mark_unpaid(cs, id);
		return;
	}
	int rc = r != NULL ? ff_rollups_write_minute(cs->min_dir, id, cs->cfg.rollup_keys, r)
			   : FF_SEG_ENOMEM;
	if (rc == 0)
		rc = ff_cs_list_new(cs, FF_PLAN_MINUTE, id);
	if (rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_MINUTE, id, rc);
}

/* The last raw id hour rollups cover (0 when none); caller holds the lock. */
static uint64_t ff_cs_hour_frontier(const ff_cstore *cs)
{
	const ff_cs_list *h = &cs->lists[FF_PLAN_HOUR];
	return h->n ? ff_segment_get_meta(h->v[h->n - 1]->seg)->covers_last : 0;
}

/* Index of the entry with `id` in a list, or -1; caller holds the lock. */
static long ff_cs_find(const ff_cs_list *l, uint64_t id)
{
	size_t a = 0, b = l->n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (l->v[mid]->id < id)
			a = mid + 1;
		else
			b = mid;
	}
	return a < l->n && l->v[a]->id == id ? (long)a : -1;
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
	for (size_t i = 0; todo == NULL && i < raw->n; i++)
		if (raw->v[i]->id > frontier && !atomic_load(&raw->v[i]->bad) &&
		    !ff_cs_unpaid(cs, raw->v[i]->id) &&
		    ff_cs_find(&cs->lists[FF_PLAN_MINUTE], raw->v[i]->id) < 0)
			todo = raw->v[i];
	int rc = 0;
	uint64_t id = todo != NULL ? todo->id : 0;
	if (todo != NULL) {
		/* Reading under the read lock keeps the segment from being quarantined meanwhile. */
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
		rc = ff_cs_list_new(cs, FF_PLAN_MINUTE, id);
	if (tried && rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_MINUTE, id, rc);
	return tried;
}

/*
 * What the next hour rollup merges: for each of the next `want` raw ids
 * past the hour frontier, its minute rollup, or the raw segment itself
 * where a minute rollup would not pay. Returns how many went into segs, or
 * 0 while that hour is not complete (fewer ids, or one not yet judged).
 * Caller holds the lock.
 */
static size_t ff_cs_hour_inputs(const ff_cstore *cs, size_t want, ff_segment **segs,
				uint32_t *keys)
{
	uint64_t frontier = ff_cs_hour_frontier(cs);
	const ff_cs_list *mins = &cs->lists[FF_PLAN_MINUTE], *raw = &cs->lists[FF_PLAN_RAW];
	size_t n = 0, i = 0, j = 0;
	*keys = cs->cfg.rollup_keys;
	while (i < mins->n && mins->v[i]->id <= frontier)
		i++;
	while (j < raw->n && raw->v[j]->id <= frontier)
		j++;
	/* A merge of the two lists by id. */
	while (n < want && (i < mins->n || j < raw->n)) {
		ff_cseg *m = i < mins->n ? mins->v[i] : NULL, *r = j < raw->n ? raw->v[j] : NULL;
		uint64_t id = m != NULL && (r == NULL || m->id <= r->id) ? m->id : r->id;
		ff_cseg *use = m != NULL && m->id == id ? m : NULL;
		if (use == NULL && ff_cs_unpaid(cs, id))
			use = r;
		if (use == NULL || atomic_load(&use->bad))
			return 0;
		segs[n++] = use->seg;
		if (use->kind == FF_PLAN_MINUTE)
			*keys &= ff_segment_get_meta(use->seg)->rollup_keys;
		i += m != NULL && m->id == id;
		j += r != NULL && r->id == id;
	}
	return n == want ? n : 0;
}

/* Builds the next hour rollup when its minute rollups are all there; 1 when it tried. */
static int ff_cs_rollup_next_hour(ff_cstore *cs)
{
	uint64_t per_hour = cs->cfg.segments_per_hour ? cs->cfg.segments_per_hour
						      : FF_ROLLUP_HOUR_MS / cs->cfg.window_ms;
	size_t want = per_hour > 0 ? (size_t)per_hour : 1;
	ff_segment **segs = calloc(want, sizeof *segs);
	if (segs == NULL)
		return 0;
	uint32_t keys;
	pthread_rwlock_rdlock(&cs->lock);
	size_t n = ff_cs_hour_inputs(cs, want, segs, &keys);
	uint64_t id = n ? ff_segment_get_meta(segs[0])->covers_first : 0;
	int rc = n ? ff_rollups_write_from(cs->hour_dir, FF_SEGMENT_HOUR, keys, segs, n) : 0;
	pthread_rwlock_unlock(&cs->lock);
	free(segs);
	if (n && rc == 0)
		rc = ff_cs_list_new(cs, FF_PLAN_HOUR, id);
	if (n && rc != 0)
		ff_cs_rollup_failed(cs, FF_PLAN_HOUR, id, rc);
	if (n && rc == 0) {
		pthread_rwlock_rdlock(&cs->lock);
		uint64_t frontier = ff_cs_hour_frontier(cs);
		pthread_rwlock_unlock(&cs->lock);
		ff_cs_prune_unpaid(cs, frontier);
	}
	return n && rc == 0;
}

/*
 * Catches rollups up: at most `budget` missing minute rollups (so a store
 * that had none does not stall one seal for long), then every hour rollup
 * now complete. Appending thread only.
 */
static void ff_cs_rollup_catchup(ff_cstore *cs, size_t budget)
{
	if (cs->cfg.rollup_keys == 0)
		return;
	while (budget-- > 0 && ff_cs_rollup_missing_minute(cs))
		;
	while (ff_cs_rollup_next_hour(cs))
		;
}

/* --- sealing ---------------------------------------------------------------------- */

/* Writes the window as segment `id` and lists it; the window is then emptied. */
static int ff_cs_write_window(ff_cstore *cs, uint64_t id)
{
	ff_window_input in;
	if (ff_window_build_input(cs->win, id, &in) != 0)
		return FF_STORE_ENOMEM;
	int rc = ff_segment_write(cs->seg_dir, &in.in);
	/* The rows are at hand: the minute rollup costs no reading back. */
	bool roll = rc == 0 && cs->cfg.rollup_keys != 0;
	size_t source = in.in.n_rows;
	ff_rollup *r = roll ? ff_rollups_minute_of(cs->cfg.rollup_keys, in.in.rows, in.in.n_rows,
						   in.in.agents, in.in.n_agents)
			    : NULL;
	ff_window_input_free(&in);
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->seg_dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	if (rc == 0)
		rc = ff_segment_open(path, &seg);
	if (rc == 0) {
		pthread_rwlock_wrlock(&cs->lock);
		rc = ff_cs_add_seg(cs, FF_PLAN_RAW, seg);
		if (rc == 0)
			ff_window_clear(cs->win);
		pthread_rwlock_unlock(&cs->lock);
	}
	if (rc == 0 && roll)
		ff_cs_rollup_window(cs, id, r, source);
	ff_rollup_free(r);
	if (rc != 0) {
		/* No half-listed segment may stay: at start it would hide the journal. */
		ff_segment_close(seg);
		unlink(path);
		ff_log_error("store: sealing segment %" PRIu64 " failed (%s); the window stays in "
			     "the journal and is sealed later",
			     id, ff_segment_strerror(rc));
		return rc == FF_SEG_ENOMEM || rc == FF_STORE_ENOMEM ? FF_STORE_ENOMEM
								    : FF_STORE_EIO;
	}
	return 0;
}

static int ff_cs_reset_journal(ff_cstore *cs, uint64_t now)
{
	int rc = ff_journal_reset(cs->jnl, cs->next_id, ff_cs_window_start(cs, now));
	cs->jnl_stale = rc != 0;
	if (rc == 0)
		cs->next_id++;
	return rc == 0 ? 0 : FF_STORE_EIO;
}

static int ff_cs_seal_at(ff_cstore *cs, uint64_t now)
{
	if (ff_journal_entries(cs->jnl) == 0)
		return 0;
	uint64_t id = ff_journal_segment_id(cs->jnl);
	size_t recs = ff_window_records(cs->win);
	int rc = ff_cs_write_window(cs, id);
	pthread_rwlock_wrlock(&cs->lock);
	if (rc == 0)
		cs->st.seals++;
	else
		cs->st.seal_errors++;
	pthread_rwlock_unlock(&cs->lock);
	if (rc != 0)
		return rc;
	ff_log_info("store: sealed segment %" PRIu64 " (%zu records)", id, recs);
	if (cs->next_id <= id)
		cs->next_id = id + 1;
	rc = ff_cs_reset_journal(cs, now);
	ff_cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
	ff_cs_retention(cs, now);
	return rc;
}

int ff_store_columnar_seal(ff_store *s)
{
	ff_cstore *cs = (ff_cstore *)s;
	return ff_cs_seal_at(cs, ff_cs_now_ms());
}

/* Seals a window whose time is over; an empty journal just moves to the current window. */
static int ff_cs_rotate(ff_cstore *cs, uint64_t now)
{
	if (cs->jnl_stale)
		return ff_cs_reset_journal(cs, now);
	uint64_t ws = ff_journal_window_start(cs->jnl);
	if (now >= ws && now - ws < cs->cfg.window_ms)
		return 0;
	if (ff_journal_entries(cs->jnl) > 0)
		return ff_cs_seal_at(cs, now);
	int rc = ff_journal_reset(cs->jnl, ff_journal_segment_id(cs->jnl),
				  ff_cs_window_start(cs, now));
	return rc == 0 ? 0 : FF_STORE_EIO;
}

/* --- the ff_store_ops --------------------------------------------------------------- */

/* An idle window whose time is over is sealed now, not at the next batch. */
static int ff_cs_tick(ff_store *base)
{
	ff_cstore *cs = (ff_cstore *)base;
	uint64_t now = ff_cs_now_ms(), ws = ff_journal_window_start(cs->jnl);
	if (cs->jnl_stale || ff_journal_entries(cs->jnl) == 0 ||
	    (now >= ws && now - ws < cs->cfg.window_ms))
		return 0;
	return ff_cs_rotate(cs, now);
}

static int ff_cs_append(ff_store *base, const ff_batch *b)
{
	ff_cstore *cs = (ff_cstore *)base;
	int rc = ff_cs_rotate(cs, ff_cs_now_ms());
	/* A failed seal leaves the window in the journal, which can still take batches. */
	if (rc != 0 && cs->jnl_stale)
		return FF_STORE_EIO;
	uint32_t agent;
	pthread_rwlock_wrlock(&cs->lock);
	rc = ff_window_reserve(cs->win, b, &agent) == 0 ? 0 : FF_STORE_ENOMEM;
	pthread_rwlock_unlock(&cs->lock);
	if (rc == 0) {
		int jrc = ff_journal_append(cs->jnl, b);
		rc = jrc == 0 ? 0 : jrc == FF_JOURNAL_ENOMEM ? FF_STORE_ENOMEM
			    : jrc == FF_JOURNAL_EINVAL  ? FF_STORE_EINVAL
							: FF_STORE_EIO;
	}
	pthread_rwlock_wrlock(&cs->lock);
	if (rc == 0)
		ff_window_add(cs->win, b, agent);
	else
		cs->st.append_errors++;
	pthread_rwlock_unlock(&cs->lock);
	return rc;
}

/* The scan of one segment's groups; per-thread buffers in `rows` and `scratch`. */
typedef struct ff_cs_scanner {
	const ff_store_range *r;
	uint32_t cols; /* FF_SEGMENT_COL_* bits */
	ff_store_scan_fn cb;
	void *arg;
	ff_flow *rows;
	uint8_t *scratch;
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
		b.wildcards_possible =
		    wmax == 0 ? 0 : wmax > UINT32_MAX ? UINT32_MAX
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

static int ff_cs_scan_group(ff_cstore *cs, ff_cseg *c, size_t g, long agent,
			    const ff_cs_scanner *x)
{
	ff_segment_group_info gi;
	ff_segment_group(c->seg, g, &gi);
	if (gi.max_first_ms < x->r->since_ms ||
	    (agent >= 0 && ((uint32_t)agent < gi.min_agent || (uint32_t)agent > gi.max_agent)) ||
	    !ff_cs_group_may_match(c->seg, g, x->r->filter))
		return 0;
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
			      void *arg)
{
	*x = (ff_cs_scanner){.r = r, .cols = ff_cs_columns(r->fields), .cb = cb, .arg = arg};
	/* calloc: fields a column mask leaves out must still be defined bytes. */
	x->rows = calloc(FF_SEGMENT_GROUP_ROWS, sizeof *x->rows);
	x->scratch = malloc(FF_SEGMENT_SCRATCH);
	return x->rows != NULL && x->scratch != NULL ? 0 : FF_STORE_ENOMEM;
}

static void ff_cs_scanner_free(ff_cs_scanner *x)
{
	free(x->rows);
	free(x->scratch);
}

/* The ff_field bits of the key fields an FF_STORE_F_* mask reads (0: all of them). */
static uint32_t ff_cs_keys_read(uint32_t fields)
{
	static const uint32_t map[][2] = {
	    {FF_STORE_F_SRC_ADDR, FF_FIELD_SRC_ADDR}, {FF_STORE_F_DST_ADDR, FF_FIELD_DST_ADDR},
	    {FF_STORE_F_EXPORTER, FF_FIELD_EXPORTER}, {FF_STORE_F_SRC_AS, FF_FIELD_SRC_AS},
	    {FF_STORE_F_DST_AS, FF_FIELD_DST_AS},     {FF_STORE_F_IN_IF, FF_FIELD_IN_IF},
	    {FF_STORE_F_OUT_IF, FF_FIELD_OUT_IF},     {FF_STORE_F_SRC_PORT, FF_FIELD_SRC_PORT},
	    {FF_STORE_F_DST_PORT, FF_FIELD_DST_PORT}, {FF_STORE_F_PROTO, FF_FIELD_PROTO},
	    {FF_STORE_F_TCP_FLAGS, FF_FIELD_TCP_FLAGS}, {FF_STORE_F_TOS, FF_FIELD_TOS},
	};
	if (fields == 0)
		return UINT32_MAX;
	uint32_t keys = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (fields & map[i][0])
			keys |= map[i][1];
	return keys;
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
 * The files a scan reads (store_plan.h), into *out (malloc'd, caller
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
			   .keys_read = ff_cs_keys_read(r->fields),
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

static int ff_cs_scan_range(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			    void *arg)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_cs_scanner x;
	ff_cseg **plan = NULL;
	int rc = ff_cs_scanner_init(&x, r, cb, arg);
	pthread_rwlock_rdlock(&cs->lock);
	long n = rc == 0 ? ff_cs_plan(cs, r, &plan) : 0;
	if (n < 0)
		rc = FF_STORE_ENOMEM;
	for (long i = 0; rc == 0 && i < n; i++)
		rc = ff_cs_scan_seg(cs, plan[i], &x);
	free(plan);
	if (rc == 0)
		rc = ff_window_scan(cs->win, r->agent, cb, arg);
	pthread_rwlock_unlock(&cs->lock);
	ff_cs_scanner_free(&x);
	ff_cs_quarantine_bad(cs);
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

static int ff_cs_scan_parallel(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			       void *const *args, size_t n_args)
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
		w[i].rc = ff_cs_scanner_init(&w[i].x, r, cb, args[i]);
		rc = rc != 0 ? rc : w[i].rc;
	}
	pthread_rwlock_rdlock(&cs->lock);
	ff_cseg **plan = NULL;
	long n_plan = rc == 0 ? ff_cs_plan(cs, r, &plan) : 0;
	if (n_plan < 0)
		rc = FF_STORE_ENOMEM;
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
		ff_cs_scanner_free(&w[i].x);
	}
	free(plan);
	if (rc == 0)
		rc = ff_window_scan(cs->win, r->agent, cb, args[0]);
	pthread_rwlock_unlock(&cs->lock);
	ff_cs_quarantine_bad(cs);
	return rc;
}

static int ff_cs_scan(ff_store *base, ff_store_scan_fn cb, void *arg)
{
	ff_store_range all = {.since_ms = 0, .until_ms = UINT64_MAX};
	return ff_cs_scan_range(base, &all, cb, arg);
}

static void ff_cs_stats(ff_store *base, ff_store_stats *out)
{
	ff_cstore *cs = (ff_cstore *)base;
	pthread_rwlock_rdlock(&cs->lock);
	*out = cs->st;
	out->batches = cs->seg_batches + ff_window_batches(cs->win);
	out->records = cs->seg_records + ff_window_records(cs->win);
	out->bytes = cs->lists[FF_PLAN_RAW].bytes + cs->lists[FF_PLAN_MINUTE].bytes +
		     cs->lists[FF_PLAN_HOUR].bytes +
		     (cs->jnl != NULL ? ff_journal_bytes(cs->jnl) : 0);
	out->segments = cs->lists[FF_PLAN_RAW].n;
	out->rollup_minute = cs->lists[FF_PLAN_MINUTE].n;
	out->rollup_hour = cs->lists[FF_PLAN_HOUR].n;
	out->rollup_bytes = cs->lists[FF_PLAN_MINUTE].bytes + cs->lists[FF_PLAN_HOUR].bytes;
	pthread_rwlock_unlock(&cs->lock);
}

static void ff_cs_close(ff_store *base)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_journal_close(cs->jnl);
	for (int k = FF_PLAN_RAW; k <= FF_PLAN_HOUR; k++) {
		for (size_t i = 0; i < cs->lists[k].n; i++)
			ff_cs_free_seg(cs->lists[k].v[i]);
		free(cs->lists[k].v);
	}
	ff_window_free(cs->win);
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);
	pthread_rwlock_destroy(&cs->lock);
	free(cs->dir);
	free(cs->seg_dir);
	free(cs->q_dir);
	free(cs->jnl_path);
	free(cs->unpaid);
	free(cs->roll_dir);
	free(cs->min_dir);
	free(cs->hour_dir);
	free(cs);
}

const ff_store_ops ff_store_columnar_ops = {
    .name = "columnar",
    .open = ff_cs_open_default,
    .append_batch = ff_cs_append,
    .scan = ff_cs_scan,
    .scan_range = ff_cs_scan_range,
    .scan_parallel = ff_cs_scan_parallel,
    .tick = ff_cs_tick,
    .stats = ff_cs_stats,
    .close = ff_cs_close,
};
