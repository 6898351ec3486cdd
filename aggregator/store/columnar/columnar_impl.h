#ifndef FF_STORE_COLUMNAR_IMPL_H
#define FF_STORE_COLUMNAR_IMPL_H

/*
 * Internals of the columnar store shared by its files: columnar_store.c
 * (open, append, seal, retention, quarantine), columnar_scan.c (plans and
 * scans, on one thread or several) and columnar_rollups.c (builds rollup
 * files after seals). Not part of any interface: ff__ names.
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
	atomic_bool any_bad;
	atomic_uint_least64_t early_seals; /* counted by the appending thread */
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

/* Closes a file taken out of its list. */
void ff__cs_free_seg(ff_cseg *c);

/* Quarantines every file a scan found damaged (takes the write lock). */
void ff__cs_quarantine_bad(ff_cstore *cs);

/* The ff_store_ops scans (store.h's contract). */
int ff__cs_scan_range(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb, void *arg);
int ff__cs_scan_parallel(ff_store *base, const ff_store_range *r, ff_store_scan_fn cb,
			 void *const *args, size_t n_args);
int ff__cs_scan(ff_store *base, ff_store_scan_fn cb, void *arg);
int ff__cs_scan_blocks(ff_store *base, const ff_store_range *r, ff_store_block_fn cb,
		       void *const *args, size_t n_args);

/*
 * Writes window `w` as segment `id` and lists it; when `w` is the sealing
 * window it leaves queries at the same moment (one write lock), so no
 * record is counted twice or missed. Then its minute rollup. Returns 0 or
 * a negative code; on failure nothing is listed.
 */
int ff__cs_write_window(ff_cstore *cs, ff_window *w, uint64_t id);

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
