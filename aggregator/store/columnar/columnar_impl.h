#ifndef FF_STORE_COLUMNAR_IMPL_H
#define FF_STORE_COLUMNAR_IMPL_H

/*
 * Internals of the columnar store shared by its files: columnar_store.c
 * (open, append, seal, retention, quarantine), columnar_scan.c (plans and
 * scans, on one thread or several) and columnar_rollups.c (builds rollup
 * files after seals). Not part of any interface: ff__ names.
 *
 * Threads: one thread appends (and seals, builds rollups, applies
 * retention); queries scan from others. The rwlock guards the window and
 * the file lists; disk writes happen outside it, so a slow fdatasync never
 * holds up a query. Files are immutable once listed.
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
	uint64_t seg_batches, seg_records, append_errors;
	ff_store_columnar_stats st; /* its file counts are taken from the lists */
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

/*
 * After segment `id` (of `source` rows) is sealed and listed: writes its
 * minute rollup `r` when it pays (r NULL: building it ran out of memory).
 */
void ff__cs_rollup_window(ff_cstore *cs, uint64_t id, ff_rollup *r, size_t source);

/*
 * Builds up to `budget` missing minute rollups, then every hour rollup now
 * complete. Appending thread only.
 */
void ff__cs_rollup_catchup(ff_cstore *cs, size_t budget);

#endif
