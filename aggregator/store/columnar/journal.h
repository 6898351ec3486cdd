#ifndef FF_JOURNAL_H
#define FF_JOURNAL_H

/*
 * The journal of the open window: one file, DATA_DIR/journal.ffj, to which
 * every batch is appended and fdatasync'd before it is acknowledged. When
 * the window is sealed into a segment, the store renames the journal aside
 * (ff_journal_rename) and opens a new one with the id of the next segment,
 * so one journal file never holds more than one window; an empty window
 * whose time is over is reset in place. Its header names that future segment id: if
 * a segment of that id already exists at start, the journal was sealed but
 * not yet reset when the process died, and its entries must not be
 * replayed a second time (columnar_store.c does that check).
 *
 * The file is flock'ed: a second process on the same data dir fails to
 * open it with FF_JOURNAL_ELOCKED. Byte layout: docs/storage.md.
 * One thread appends; nothing here is shared between threads.
 */

#include "ff_batch.h"
#include "ff_err.h"

#include <stddef.h>
#include <stdint.h>

#define FF_JOURNAL_VERSION 1
/* The file's header: a journal file shorter than this holds nothing (docs/storage.md). */
#define FF_JOURNAL_HEADER_LEN 32

/*
 * The journal's own errors, named for it; the codes are the shared ones of
 * common/ff_err.h. Besides these, functions return -errno when open, read,
 * write, sync or truncate fail (logged) and -ENOMEM.
 */
enum ff_journal_error {
	FF_JOURNAL_ELOCKED = FF_STORE_ELOCKED, /* another process holds the journal */
	FF_JOURNAL_EMAGIC = FF_EMAGIC,	       /* the file is not a journal */
	FF_JOURNAL_EVERSION = FF_EVERSION,     /* a journal version this build does not read */
	FF_JOURNAL_EHEADER = FF_ECHECKSUM, /* the header fails its CRC while entries follow it */
	FF_JOURNAL_ETOOBIG = FF_STORE_ETOOBIG, /* a batch too large for one entry */
};

typedef struct ff_journal ff_journal;

/* What open found. */
typedef struct ff_journal_info {
	uint64_t segment_id;	  /* the segment this journal becomes when sealed */
	uint64_t window_start_ms; /* start of the window it holds */
	uint64_t entries;	  /* whole entries replayed */
	uint64_t torn_tails;	  /* 1 when a torn last entry was cut off */
	uint64_t corrupt;	  /* damaged or undecodable entries skipped */
	uint64_t bytes;		  /* file size after open */
} ff_journal_info;

/*
 * Called once per whole entry at open with the journal's segment id (so the
 * caller can tell a journal that was already sealed); `b` is borrowed for
 * the call. A negative return stops the open with that code.
 */
typedef int (*ff_journal_replay_fn)(void *arg, uint64_t segment_id, const ff_batch *b);

/*
 * Opens (creating if missing or empty, with `new_segment_id` and
 * `new_window_start_ms`) and locks the journal at `path`, hands every whole
 * entry to `replay` (may be NULL; a non-zero return stops open with that
 * code), cuts a torn last entry off (counted, logged) and skips damaged
 * entries in the middle (counted, logged). Returns 0 with *out set, or a
 * negative code: an ff_journal_error, -errno, -ENOMEM (or the callback's).
 */
int ff_journal_open(const char *path, uint64_t new_segment_id, uint64_t new_window_start_ms,
		    ff_journal_replay_fn replay, void *arg, ff_journal **out, ff_journal_info *info);

/* Appends `b` (borrowed) durably. Returns 0, -errno, -ENOMEM or FF_JOURNAL_ETOOBIG. */
int ff_journal_append(ff_journal *j, const ff_batch *b);

/*
 * Empties the journal and starts the next window: the file is cut to its
 * header, which is rewritten with the new ids, then synced. Returns 0 or
 * -errno.
 */
int ff_journal_reset(ff_journal *j, uint64_t segment_id, uint64_t window_start_ms);

/*
 * Renames the journal's file to `path` (the store's sealing journal), which
 * stays open and locked: a new journal can then be opened at the old path.
 * Not synced: the caller syncs the directory. Returns 0, -errno or -ENOMEM.
 */
int ff_journal_rename(ff_journal *j, const char *path);

uint64_t ff_journal_segment_id(const ff_journal *j);
uint64_t ff_journal_window_start(const ff_journal *j);
/* Whole entries in the journal since open or the last reset. */
uint64_t ff_journal_entries(const ff_journal *j);
uint64_t ff_journal_bytes(const ff_journal *j);

/* Closes (unlocking) and frees; NULL is accepted. */
void ff_journal_close(ff_journal *j);

#endif
