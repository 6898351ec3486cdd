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
#include "store_window.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
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

typedef struct ff_cseg {
	ff_segment *seg;
	uint64_t id;
	atomic_bool bad; /* a scan found a damaged block: to be quarantined */
} ff_cseg;

typedef struct ff_cstore {
	ff_store base; /* first: an ff_cstore is an ff_store */
	ff_store_columnar_config cfg;
	char *dir, *seg_dir, *q_dir, *jnl_path;
	int lock_fd;
	ff_journal *jnl;
	bool jnl_stale; /* a seal succeeded but the journal reset failed */
	pthread_rwlock_t lock;
	/* Guarded by lock. */
	ff_window *win;
	ff_cseg **segs; /* sorted by id */
	size_t n_segs, cap_segs;
	uint64_t seg_batches, seg_records, seg_bytes;
	ff_store_stats st;
	atomic_bool any_bad;
	/* Appending thread only. */
	uint64_t next_id;
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

/* --- the segment list --------------------------------------------------------- */

static int ff_cs_add_seg(ff_cstore *cs, ff_segment *seg)
{
	if (cs->n_segs == cs->cap_segs) {
		size_t cap = cs->cap_segs ? cs->cap_segs * 2 : 64;
		ff_cseg **p = realloc(cs->segs, cap * sizeof *p);
		if (p == NULL)
			return FF_STORE_ENOMEM;
		cs->segs = p;
		cs->cap_segs = cap;
	}
	ff_cseg *c = calloc(1, sizeof *c);
	if (c == NULL)
		return FF_STORE_ENOMEM;
	const ff_segment_meta *m = ff_segment_get_meta(seg);
	c->seg = seg;
	c->id = m->id;
	atomic_init(&c->bad, false);
	/* Ids grow with time, so a new segment nearly always goes last. */
	size_t i = cs->n_segs;
	while (i > 0 && cs->segs[i - 1]->id > c->id) {
		cs->segs[i] = cs->segs[i - 1];
		i--;
	}
	cs->segs[i] = c;
	cs->n_segs++;
	cs->seg_batches += m->n_batches;
	cs->seg_records += m->rows;
	cs->seg_bytes += m->file_bytes;
	return 0;
}

/* Takes segment i out of the list (caller holds the write lock) and returns it. */
static ff_cseg *ff_cs_take_seg(ff_cstore *cs, size_t i)
{
	ff_cseg *c = cs->segs[i];
	const ff_segment_meta *m = ff_segment_get_meta(c->seg);
	memmove(cs->segs + i, cs->segs + i + 1, (cs->n_segs - i - 1) * sizeof *cs->segs);
	cs->n_segs--;
	cs->seg_batches -= m->n_batches;
	cs->seg_records -= m->rows;
	cs->seg_bytes -= m->file_bytes;
	return c;
}

static void ff_cs_free_seg(ff_cseg *c)
{
	ff_segment_close(c->seg);
	free(c);
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

/* Quarantines every segment a scan found damaged. */
static void ff_cs_quarantine_bad(ff_cstore *cs)
{
	if (!atomic_exchange(&cs->any_bad, false))
		return;
	pthread_rwlock_wrlock(&cs->lock);
	for (size_t i = cs->n_segs; i-- > 0;) {
		if (!atomic_load(&cs->segs[i]->bad))
			continue;
		ff_cseg *c = ff_cs_take_seg(cs, i);
		char path[FF_CS_PATH_MAX], name[64];
		ff_segment_path(cs->seg_dir, c->id, path, sizeof path);
		snprintf(name, sizeof name, "%s", strrchr(path, '/') + 1);
		ff_cs_quarantine(cs, path, name, ff_segment_strerror(FF_SEG_EBLOCK));
		ff_cs_free_seg(c);
	}
	pthread_rwlock_unlock(&cs->lock);
}

/* --- retention ------------------------------------------------------------------ */

/* Removes the segments whose ids are listed; their files are deleted. */
static void ff_cs_expire(ff_cstore *cs, const uint64_t *ids, size_t n)
{
	pthread_rwlock_wrlock(&cs->lock);
	for (size_t i = cs->n_segs; i-- > 0;) {
		bool hit = false;
		for (size_t k = 0; k < n && !hit; k++)
			hit = cs->segs[i]->id == ids[k];
		if (!hit)
			continue;
		ff_cseg *c = ff_cs_take_seg(cs, i);
		char path[FF_CS_PATH_MAX];
		ff_segment_path(cs->seg_dir, c->id, path, sizeof path);
		if (unlink(path) != 0)
			ff_log_errno(FF_LOG_ERROR, errno, "store: retention: unlink(%s) failed", path);
		ff_cs_free_seg(c);
		cs->st.expired++;
	}
	pthread_rwlock_unlock(&cs->lock);
}

/* The list as retention sees it; *ids and *items are malloc'd. */
static size_t ff_cs_retention_items(ff_cstore *cs, uint64_t **ids, ff_retention_item **items)
{
	pthread_rwlock_rdlock(&cs->lock);
	size_t n = cs->n_segs;
	*ids = calloc(n ? n : 1, sizeof **ids);
	*items = calloc(n ? n : 1, sizeof **items);
	for (size_t i = 0; *ids != NULL && *items != NULL && i < n; i++) {
		const ff_segment_meta *m = ff_segment_get_meta(cs->segs[i]->seg);
		(*ids)[i] = m->id;
		(*items)[i] = (ff_retention_item){.newest_ms = m->max_last_ms,
						  .bytes = m->file_bytes};
	}
	pthread_rwlock_unlock(&cs->lock);
	return *ids != NULL && *items != NULL ? n : 0;
}

/* Applies --retain and --max-disk; called by the appending thread only. */
static void ff_cs_retention(ff_cstore *cs, uint64_t now)
{
	ff_retention_policy p = {.retain_ms = cs->cfg.retain_ms, .max_bytes = cs->cfg.max_bytes};
	/* While the journal still names a sealed segment, that segment must stay. */
	if ((p.retain_ms == 0 && p.max_bytes == 0) || cs->jnl_stale)
		return;
	uint64_t *ids;
	ff_retention_item *items;
	size_t n = ff_cs_retention_items(cs, &ids, &items);
	bool *drop = calloc(n ? n : 1, sizeof *drop);
	if (drop != NULL && n > 0) {
		size_t k = ff_retention_select(&p, items, n, ff_journal_bytes(cs->jnl), now, drop);
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (drop[i])
				ids[m++] = ids[i];
		if (k > 0) {
			ff_log_info("store: retention removes %zu of %zu segments", k, n);
			ff_cs_expire(cs, ids, m);
		}
	}
	free(ids);
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
	if (cs->dir == NULL || cs->seg_dir == NULL || cs->q_dir == NULL || cs->jnl_path == NULL) {
		ff_log_error("store: data dir path too long: %s", data_dir);
		return FF_STORE_EIO;
	}
	int rc = ff_cs_mkdir(cs->dir);
	if (rc == 0)
		rc = ff_cs_mkdir(cs->seg_dir);
	if (rc == 0)
		rc = ff_cs_mkdir(cs->q_dir);
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

/* Opens one listed segment; a damaged one is quarantined, never fatal. */
static int ff_cs_load_one(ff_cstore *cs, const char *name, uint64_t id)
{
	char path[FF_CS_PATH_MAX];
	ff_segment *seg = NULL;
	ff_segment_path(cs->seg_dir, id, path, sizeof path);
	int rc = ff_segment_open(path, &seg);
	if (rc == 0 && ff_segment_get_meta(seg)->id != id)
		rc = FF_SEG_EFORMAT;
	if (rc == 0)
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
	rc = ff_cs_add_seg(cs, seg);
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

static int ff_cs_load_segments(ff_cstore *cs)
{
	DIR *d = opendir(cs->seg_dir);
	if (d == NULL) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: opendir(%s) failed", cs->seg_dir);
		return FF_STORE_EIO;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		uint64_t id;
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0) {
			/* A seal interrupted before its rename: the journal still has it all. */
			char *p = ff_cs_join(cs->seg_dir, e->d_name);
			if (p != NULL)
				unlink(p);
			free(p);
		} else if (ff_segment_parse_name(e->d_name, &id) == 0) {
			rc = ff_cs_load_one(cs, e->d_name, id);
		}
	}
	closedir(d);
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

/* --- sealing ---------------------------------------------------------------------- */

/* Writes the window as segment `id` and lists it; the window is then emptied. */
static int ff_cs_write_window(ff_cstore *cs, uint64_t id)
{
	ff_window_input in;
	if (ff_window_build_input(cs->win, id, &in) != 0)
		return FF_STORE_ENOMEM;
	int rc = ff_segment_write(cs->seg_dir, &in.in);
	ff_window_input_free(&in);
	char path[FF_CS_PATH_MAX];
	ff_segment_path(cs->seg_dir, id, path, sizeof path);
	ff_segment *seg = NULL;
	if (rc == 0)
		rc = ff_segment_open(path, &seg);
	if (rc == 0) {
		pthread_rwlock_wrlock(&cs->lock);
		rc = ff_cs_add_seg(cs, seg);
		if (rc == 0)
			ff_window_clear(cs->win);
		pthread_rwlock_unlock(&cs->lock);
	}
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

static int ff_cs_scan_group(ff_cstore *cs, ff_cseg *c, size_t g, long agent,
			    const ff_cs_scanner *x)
{
	ff_segment_group_info gi;
	ff_segment_group(c->seg, g, &gi);
	if (gi.max_first_ms < x->r->since_ms ||
	    (agent >= 0 && ((uint32_t)agent < gi.min_agent || (uint32_t)agent > gi.max_agent)))
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
	if (!ff_cs_seg_usable(cs, c, x->r, &agent))
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

static int ff_cs_scan_range(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			    void *arg)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_cs_scanner x;
	int rc = ff_cs_scanner_init(&x, r, cb, arg);
	pthread_rwlock_rdlock(&cs->lock);
	for (size_t i = 0; rc == 0 && i < cs->n_segs; i++)
		rc = ff_cs_scan_seg(cs, cs->segs[i], &x);
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
	       (i = atomic_fetch_add(w->next, 1)) < w->cs->n_segs)
		w->rc = ff_cs_scan_seg(w->cs, w->cs->segs[i], &w->x);
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
	out->bytes = cs->seg_bytes + (cs->jnl != NULL ? ff_journal_bytes(cs->jnl) : 0);
	out->segments = cs->n_segs;
	pthread_rwlock_unlock(&cs->lock);
}

static void ff_cs_close(ff_store *base)
{
	ff_cstore *cs = (ff_cstore *)base;
	ff_journal_close(cs->jnl);
	for (size_t i = 0; i < cs->n_segs; i++)
		ff_cs_free_seg(cs->segs[i]);
	free(cs->segs);
	ff_window_free(cs->win);
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);
	pthread_rwlock_destroy(&cs->lock);
	free(cs->dir);
	free(cs->seg_dir);
	free(cs->q_dir);
	free(cs->jnl_path);
	free(cs);
}

const ff_store_ops ff_store_columnar_ops = {
    .name = "columnar",
    .open = ff_cs_open_default,
    .append_batch = ff_cs_append,
    .scan = ff_cs_scan,
    .scan_range = ff_cs_scan_range,
    .scan_parallel = ff_cs_scan_parallel,
    .stats = ff_cs_stats,
    .close = ff_cs_close,
};
