#ifndef FF_STORE_COLUMNAR_IMPL_H
#define FF_STORE_COLUMNAR_IMPL_H

/*
 * Internals of the columnar store shared by its files: columnar_store.c
 * (open, append, seal, retention), columnar_quarantine.c (damaged files and
 * the rollups counting them), columnar_journal_check.c (a journal lost),
 * columnar_scan.c (plans and scans, on one thread or several) and
 * columnar_rollups.c (builds rollup files after seals). Not part of any
 * interface: ff__ names.
 *
 * Threads: one thread appends (and rotates the journal when a window is
 * over or full); the sealer thread (columnar_sealer.c) writes the full
 * window as a segment, builds rollups and applies retention; queries scan
 * from others. `lock` guards the file lists, `win_lock` the open and the
 * sealing window; when both are taken, `lock` first. The appending thread
 * takes only `win_lock`, briefly, so a rollup the sealer builds under
 * `lock` never holds up an ack. Disk writes happen outside both, so a slow
 * fdatasync never holds up a query. Files are immutable once listed.
 */

#include "store_columnar.h"

#include "ff_histogram.h"
#include "journal.h"
#include "rollup_merge.h"
#include "segment.h"
#include "scan_plan.h"
#include "window.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_CS_PATH_MAX 4096
/* Missing minute rollups built per seal and at open (each reads one segment back). */
#define FF_CS_CATCHUP_PER_SEAL 4

typedef struct ff_cseg {
	ff_segment *seg;
	uint64_t id;
	enum ff_plan_kind kind;
	atomic_bool bad; /* a scan found a damaged block: to be quarantined */
} ff_cseg;

/* A range of raw segment ids whose hour rollup was set aside, to be rebuilt. */
typedef struct ff_cs_span {
	uint64_t lo, hi;
	uint32_t keys; /* the keys the set-aside rollup kept */
} ff_cs_span;

/* A quarantined raw segment: its id and the q_gen it was quarantined at (0: before open). */
typedef struct ff_cs_qid {
	uint64_t id, gen;
} ff_cs_qid;

/* The sealed files of one kind, sorted by id. */
typedef struct ff_cs_list {
	ff_cseg **v;
	size_t n, cap;
	uint64_t bytes;
	const char *dir; /* borrowed from the store */
} ff_cs_list;

/*
 * The background sealer: at most one window is being sealed; the appending
 * thread waits for it before handing over the next (push back). Guarded by
 * its mutex.
 */
typedef struct ff_cs_sealer {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool busy;	 /* a job is handed over and not yet sealed */
	int last_rc;	 /* 0, or the error of the last failed try (retried) */
	ff_journal *jnl; /* the job's journal, renamed to journal-sealing.ffj */
	uint64_t id;	 /* the segment it becomes */
	/* Failed tries since the last seal that worked, and the backoff they earned. */
	uint64_t fail_tries, fail_since_ms, retry_ms, logged_ms;
	bool rollup_work; /* rollups to rebuild (a quarantine): wakes the thread without a job */
} ff_cs_sealer;

/*
 * A write that fails and keeps failing (a full disk): what the store's
 * health reports (ff_store_health), by kind of write. Guarded by the
 * store's health_mu.
 */
enum ff_cs_write { FF_CS_W_APPEND, FF_CS_W_SEAL, FF_CS_W_ROTATE, FF_CS_W_COUNT };

typedef struct ff_cs_write_state {
	int rc;		   /* 0 when the last try worked */
	uint64_t since_ms; /* when it began to fail */
} ff_cs_write_state;

typedef struct ff_cstore {
	ff_store base; /* first: an ff_cstore is an ff_store */
	ff_store_columnar_config cfg;
	char *dir, *seg_dir, *q_dir, *jnl_path, *pending_path, *roll_dir, *min_dir, *hour_dir;
	int lock_fd;
	ff_journal *jnl;
	atomic_bool jnl_stale; /* a sealed journal's reset failed: it still names its segment */
	atomic_uint_least64_t jnl_bytes; /* the open and the sealing journal's bytes */
	pthread_rwlock_t lock, win_lock;
	/* Guarded by win_lock. */
	ff_window *win;
	ff_window *sealing; /* handed to the sealer; read by queries until its segment is listed */
	uint64_t append_errors;
	/* Guarded by lock. */
	ff_cs_list lists[3]; /* indexed by enum ff_plan_kind: raw, minute, hour */
	uint64_t seg_batches, seg_records;
	ff_store_columnar_stats st; /* its file counts are taken from the lists */
	ff_cs_qid *q_ids; /* raw segments in quarantine/, sorted by id (columnar_quarantine.c) */
	size_t n_q_ids, cap_q_ids;
	uint64_t q_gen; /* raw segments quarantined since open */
	ff_cs_span *rebuild; /* hour rollups set aside for a quarantined segment, to rebuild */
	size_t n_rebuild, cap_rebuild;
	atomic_bool any_bad;
	atomic_uint_least64_t early_seals; /* counted by the appending thread */
	ff_histogram journal_append;	   /* a journal write with its fdatasync, per batch */
	ff_cs_sealer sealer;
	pthread_mutex_t health_mu;
	ff_cs_write_state writes[FF_CS_W_COUNT];
	/* Appending thread only. */
	uint64_t next_id;
	/* Sealer thread only (the opening thread before it starts). */
	/* Raw ids past the hour frontier whose minute rollup would not pay (not written). */
	uint64_t *unpaid;
	size_t n_unpaid, cap_unpaid;
	/*
	 * Raw ids past the hour frontier whose hour rollup was judged not to pay
	 * (columnar_rollups.c): every id through hour_skip_last, and every later
	 * file of clock hour hour_skip_hour, gets none. Only in memory: after a
	 * restart the catch-up judges that hour once more.
	 */
	bool hour_skip;
	uint64_t hour_skip_hour, hour_skip_last;
	/* During open only. */
	ff_store_replay_fn replay;
	void *replay_arg;
} ff_cstore;

/* "segment", "minute rollup", "hour rollup", by enum ff_plan_kind. */
extern const char *const ff__cs_kind_name[];

/* Lists an opened file of `kind` (caller holds the write lock). */
int ff__cs_add_seg(ff_cstore *cs, enum ff_plan_kind kind, ff_segment *seg);

/* Takes entry i of a list out (caller holds the write lock) and returns it. */
ff_cseg *ff__cs_take_seg(ff_cstore *cs, enum ff_plan_kind kind, size_t i);

/* Index of the first entry with an id above `id` (the list's length if none); lock held. */
size_t ff__cs_after(const ff_cs_list *l, uint64_t id);

/* Index of the entry with `id` in a list, or -1; lock held. */
long ff__cs_find(const ff_cs_list *l, uint64_t id);

/* Closes a file taken out of its list. */
void ff__cs_free_seg(ff_cseg *c);

/*
 * Quarantine (columnar_quarantine.c). The rule: rollups never count what a
 * quarantined segment held. Quarantining raw segment X sets its minute
 * rollup aside (into quarantine/) and each hour rollup covering X, which
 * the sealer rebuilds from the files left in its range (ff__cs_rollup_catchup);
 * an hour rollup that alone holds segments retention removed is kept, and
 * said. So a query answered from rollups and one reading raw records agree.
 */

/* The name a file of this kind gets in quarantine/, so kinds never collide there. */
void ff__cs_quarantine_name(enum ff_plan_kind kind, uint64_t id, char *buf, size_t len);

/* Moves the damaged file `path` into quarantine/ as `name`, logged and counted. */
void ff__cs_quarantine_file(ff_cstore *cs, const char *path, const char *name, const char *why);

/* Quarantines every file a scan found damaged (takes the write lock; any thread). */
void ff__cs_quarantine_bad(ff_cstore *cs);

/*
 * At open, after the files are listed: reads back which raw ids are in
 * quarantine/ and sets aside the rollups that still count them. Returns 0
 * or -ENOMEM.
 */
int ff__cs_quarantine_open(ff_cstore *cs);

/*
 * Sets aside a rollup of `kind` over raw ids [lo, hi] just listed when it
 * counts a quarantined segment: a minute rollup of one; an hour rollup
 * whose inputs were gathered (the store's q_gen then: `gen`) before one of
 * its range was quarantined. Write lock held; returns how many files it set
 * aside.
 */
size_t ff__cs_set_aside_built(ff_cstore *cs, enum ff_plan_kind kind, uint64_t lo, uint64_t hi,
			      uint64_t gen);

/* The ff_store_ops scans (store.h's contract). */
int ff__cs_scan_range(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb, void *arg);
int ff__cs_scan_parallel(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			 void *const *args, size_t n_args);
int ff__cs_scan(ff_store *base, ff_store_scan_fn cb, void *arg);
int ff__cs_scan_blocks(ff_store *base, const ff_store_range *r, ff_store_block_fn cb,
		       void *const *args, size_t n_args);

/* The backend_metrics op (columnar_metrics.c). */
int ff__cs_metrics(ff_store *base, struct ff_prom *p);

/*
 * Writes window `w` as segment `id` and lists it; when `w` is the sealing
 * window it leaves queries at the same moment (one write lock), so no
 * record is counted twice or missed. Then its minute rollup. Returns 0 or
 * a negative code; on failure nothing is listed.
 */
int ff__cs_write_window(ff_cstore *cs, ff_window *w, uint64_t id);

/*
 * At open, before the journal is opened (columnar_journal_check.c): logs as
 * an error and counts a journal that is missing or emptied where the store
 * had one (`pending`: a sealing journal was found, which explains it).
 */
void ff__cs_journal_check(ff_cstore *cs, bool pending);

/* Once the journal is open: writes the marker saying this store keeps one (once). */
void ff__cs_journal_mark(ff_cstore *cs);

/* Applies retention (sealer thread, or the opening thread). */
void ff__cs_retention(ff_cstore *cs, uint64_t now);

/*
 * Records the outcome of a write of `kind` (0: it worked) for the store's
 * health; any thread.
 */
void ff__cs_write_result(ff_cstore *cs, enum ff_cs_write kind, int rc);

/* Starts the sealer thread. Returns 0 or -errno. */
int ff__cs_sealer_start(ff_cstore *cs);

/*
 * Stops the sealer thread once the seal it is writing is done; a job that
 * keeps failing is left in its journal, replayed at the next open.
 */
void ff__cs_sealer_stop(ff_cstore *cs);

/*
 * Waits until the sealer has no job, or its job is failing (then returns
 * that error without waiting for the retry). Appending thread only.
 */
int ff__cs_sealer_wait(ff_cstore *cs);

/* Wakes the sealer to rebuild the rollups a quarantine took out (any thread, no lock held). */
void ff__cs_sealer_kick(ff_cstore *cs);

/* Hands the journal `jnl` of segment `id` (cs->sealing holds its window) to the sealer. */
void ff__cs_sealer_submit(ff_cstore *cs, ff_journal *jnl, uint64_t id);

/*
 * After segment `id` (of `source` rows) is sealed and listed: writes its
 * minute rollup `r` when it pays (r NULL: building it ran out of memory).
 */
void ff__cs_rollup_window(ff_cstore *cs, uint64_t id, int built, ff_rollup *r, size_t source);

/*
 * Builds up to `budget` missing minute rollups, then every hour rollup now
 * complete. Appending thread only.
 */
void ff__cs_rollup_catchup(ff_cstore *cs, size_t budget);

#endif
