#ifndef FF_STORE_COLUMNAR_H
#define FF_STORE_COLUMNAR_H

/*
 * The columnar, time-partitioned store (the aggregator's default), an
 * ff_store (store.h). Layout of DATA_DIR:
 *
 *   LOCK              flock'ed while an aggregator uses the dir
 *   journal.ffj       the open window: every batch, fdatasync'd before ack
 *   segments/         sealed windows, one immutable seg-<id>.ffs each
 *   quarantine/       damaged segments and journals, moved aside, never read
 *
 * A window is `window_ms` of wall-clock time (like nfcapd's rotation). The
 * first append after its end seals the journal into segment <id> (written
 * to a temporary file, synced, renamed, directory synced), then resets the
 * journal under the next id; retention then removes the oldest segments.
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

typedef struct ff_store_columnar_config {
	const char *data_dir; /* borrowed during open */
	uint64_t window_ms;   /* 0: FF_STORE_DEFAULT_WINDOW_MS */
	uint64_t retain_ms;   /* 0: keep segments forever */
	uint64_t max_bytes;   /* 0: no bound on disk use */
	uint32_t rollup_keys; /* ff_field bits rollups keep; 0: no rollups */
	uint64_t retain_minute_ms; /* minute rollups; 0: keep forever */
	uint64_t retain_hour_ms;   /* hour rollups; 0: keep forever */
	/*
	 * 0: an hour rollup merges the segments of one clock hour (by their
	 * latest first_ms), built once a segment of a later hour is sealed.
	 * N: every N segments instead, whatever their times (for tests).
	 */
	uint32_t segments_per_hour;
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
 * left alone). From the appending thread only. Returns 0 or a negative
 * code (store.h); on failure the window stays in the journal.
 */
int ff_store_columnar_seal(ff_store *s);

/* The counters of a columnar store `s` (any thread). */
void ff_store_columnar_get_stats(ff_store *s, ff_store_columnar_stats *out);

#endif
