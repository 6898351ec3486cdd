#ifndef FF_STORE_COLUMNAR_H
#define FF_STORE_COLUMNAR_H

/*
 * The columnar, time-partitioned store (the aggregator's default), an
 * ff_store (store.h). Layout of DATA_DIR:
 *
 *   LOCK              flock'ed while an aggregator uses the dir
 *   journal.ffj       the open window: every batch, fdatasync'd before ack
 *   journal.expected  written once the first journal is durable: one must be there
 *   segments/         sealed windows, one immutable seg-<id>.ffs each
 *   quarantine/       damaged segments and journals, and the rollups that counted
 *                     a quarantined segment, moved aside, never read
 *
 * A window is `window_ms` of wall-clock time (like nfcapd's rotation), or
 * less when it reaches `window_max_records` / `window_max_bytes` first (an
 * early seal). The first append after its end renames the journal to
 * journal-sealing.ffj, starts a new journal under the next id and hands the
 * window to a background sealer thread, which writes segment <id> (to a
 * temporary file, synced, renamed, directory synced), its rollups, removes
 * the old journal and applies retention; queries see the window until its
 * segment is listed.
 * A crash at any point loses nothing acknowledged and counts nothing twice:
 * the journal names the segment it becomes, and a journal whose segment
 * already exists is not replayed again. Bytes on disk: docs/storage.md.
 */

#include "ff_flow.h"
#include "store.h"

#include <stdint.h>

/* Every key field a rollup may keep (TCP flags are an OR, never a key). */
#define FF_ROLLUP_KEYS_ALL                                                                         \
	(FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR | FF_FIELD_SRC_PORT | FF_FIELD_DST_PORT |           \
	 FF_FIELD_PROTO | FF_FIELD_TOS | FF_FIELD_IN_IF | FF_FIELD_OUT_IF | FF_FIELD_SRC_AS |      \
	 FF_FIELD_DST_AS | FF_FIELD_EXPORTER)

#define FF_STORE_DEFAULT_WINDOW_MS (5 * 60 * 1000)
#define FF_STORE_DEFAULT_CLOCK_SKEW_MS (3600ull * 1000)
/*
 * Defaults of the open window's bound: with the sealing window, 128 MiB of
 * records. The aggregator's peak RSS under a flood follows this bound
 * (docs/storage.md, "Memory bound"): 498 MB at 1 M records, 265 MB at 500 k.
 */
#define FF_STORE_DEFAULT_WINDOW_MAX_RECORDS 500000u
#define FF_STORE_DEFAULT_WINDOW_MAX_BYTES   (64ull * 1024 * 1024)

/*
 * Called by the sealer before it writes segment `id` (tests: to hold a seal
 * in progress, or fail it as a crash would). Non-zero: the try fails with
 * that code and is retried.
 */
typedef int (*ff_store_seal_hook)(void *arg, uint64_t id);

typedef struct ff_store_columnar_config {
	const char *data_dir;	   /* borrowed during open */
	uint64_t window_ms;	   /* 0: FF_STORE_DEFAULT_WINDOW_MS */
	uint64_t retain_ms;	   /* 0: keep segments forever */
	uint64_t max_bytes;	   /* 0: no bound on disk use */
	uint32_t rollup_keys;	   /* ff_field bits rollups keep; 0: no rollups */
	uint64_t retain_minute_ms; /* minute rollups; 0: keep forever */
	uint64_t retain_hour_ms;   /* hour rollups; 0: keep forever */
	/*
	 * A file whose newest record lies further than this from when it was
	 * written is aged by retention (and put in its clock hour) by when it
	 * was written instead (retention.h). 0: FF_STORE_DEFAULT_CLOCK_SKEW_MS.
	 */
	uint64_t max_clock_skew_ms;
	/*
	 * 0: an hour rollup merges the segments of one clock hour (by their
	 * latest first_ms), built once a segment of a later hour is sealed.
	 * N: every N segments instead, whatever their times (for tests).
	 */
	uint32_t segments_per_hour;
	/*
	 * The open window's bound: a window that would grow past either is
	 * sealed early (a segment covering less than window_ms). 0: the
	 * FF_STORE_DEFAULT_WINDOW_MAX_* default; UINT64_MAX: no bound.
	 */
	uint64_t window_max_records;
	uint64_t window_max_bytes;    /* record memory of the window */
	ff_store_seal_hook seal_hook; /* NULL but in tests */
	void *seal_hook_arg;
} ff_store_columnar_config;

/*
 * The columnar store's own counters; ff_store_get_stats() has what every
 * store counts. They are shown as the "columnar" object of the store's
 * stats (ff_store_stats_json(), docs/storage.md).
 */
typedef struct ff_store_columnar_stats {
	uint64_t segments;	/* sealed segments */
	uint64_t seals;		/* windows sealed into segments since open */
	uint64_t seal_errors;	/* seals that failed (the window stays in the journal) */
	uint64_t quarantined;	/* damaged segments, rollups or journals moved aside */
	uint64_t expired;	/* segments and rollups removed by retention since open */
	uint64_t torn_tails;	/* torn last journal entries cut off at open */
	uint64_t corrupt;	/* damaged journal entries skipped at open */
	uint64_t rollup_minute; /* minute rollup files */
	uint64_t rollup_hour;	/* hour rollup files */
	uint64_t rollup_bytes;	/* their bytes on disk (part of the store's bytes) */
	uint64_t rollup_errors; /* rollups that could not be built (retried at the next seal) */
	uint64_t early_seals;	/* windows sealed early, at their record or byte bound */
	uint64_t hour_rollups_not_paying; /* hours given up: their hour rollup would not halve */
	uint64_t minute_rollups_not_paying; /* windows whose minute rollup would not halve */
	uint64_t quarantined_records; /* records of segments quarantined since open (lost) */
	uint64_t rollups_set_aside;   /* intact rollups moved aside: they count a quarantined one */
	uint64_t rollups_rebuilt;     /* hour rollups rebuilt without a quarantined segment */
	uint64_t journals_lost;	      /* a journal found missing or emptied at open */
} ff_store_columnar_stats;

/*
 * Opens (creating if needed) the store, replays every stored batch to
 * `replay` (sealed ones without records), and applies retention. Returns 0
 * with *out set, or a negative code (store.h: FF_STORE_ELOCKED when
 * another process uses the dir, -errno, -ENOMEM).
 */
int ff_store_columnar_open(const ff_store_columnar_config *cfg, ff_store_replay_fn replay,
			   void *arg, ff_store **out);

/*
 * Seals the open window now, whatever the clock says (an empty window is
 * left alone), and waits until the sealer has written it. From the
 * appending thread only. Returns 0 or a negative code (store.h); on
 * failure the window stays in its journal (retried in the background).
 */
int ff_store_columnar_seal(ff_store *s);

/* The counters of a columnar store `s` (any thread). */
void ff_store_columnar_get_stats(ff_store *s, ff_store_columnar_stats *out);

#endif
