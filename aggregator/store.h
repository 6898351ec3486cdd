#ifndef FF_STORE_H
#define FF_STORE_H

/*
 * The storage interface of the aggregator: a role (this header) and
 * implementations behind a struct of function pointers, so the embedded
 * append-only log of today (store_log.c) can be replaced by the columnar
 * store or ClickHouse without touching ingest or queries.
 *
 * Contract every implementation keeps:
 * - append_batch() returns only once the batch is durable (it survives
 *   kill -9 and power loss); the ingest acks a batch only after that.
 * - append_batch() is called by one thread at a time (the ingest thread);
 *   scan() and stats() may run concurrently from other threads and see
 *   either all of a batch or none of it.
 * - open() hands every stored batch to the replay callback, in storage
 *   order, before it returns, so the caller can rebuild what it derives
 *   from the store (de-duplication state, per-agent counters).
 */

#include "ff_batch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ff_store ff_store;

/*
 * Called once per stored batch. `b` and its records are borrowed for the
 * duration of the call. A scan callback returns 0 to go on, non-zero to stop.
 */
typedef void (*ff_store_replay_fn)(void *arg, const ff_batch *b);
typedef int (*ff_store_scan_fn)(void *arg, const ff_batch *b);

typedef struct ff_store_stats {
	uint64_t batches;    /* batches stored */
	uint64_t records;    /* records stored */
	uint64_t bytes;	     /* bytes on disk */
	uint64_t torn_tails; /* torn last entries cut off at open */
	uint64_t corrupt;    /* damaged entries skipped at open */
	uint64_t append_errors;
} ff_store_stats;

enum ff_store_error {
	FF_STORE_EIO = -40, /* a read, write or sync failed (errno is logged) */
	FF_STORE_ENOMEM = -41,
	FF_STORE_ELOCKED = -42, /* another process uses the data dir */
	FF_STORE_EINVAL = -43,	/* a batch the store cannot represent */
};

typedef struct ff_store_ops {
	const char *name;
	/* Opens (creating if needed) the store in `data_dir`, replaying it. */
	int (*open)(const char *data_dir, ff_store_replay_fn replay, void *arg, ff_store **out);
	/* Stores `b` (borrowed) durably. Returns 0 or a negative ff_store_error. */
	int (*append_batch)(ff_store *s, const ff_batch *b);
	/* Calls `cb` for every stored batch; returns 0 or the callback's non-zero. */
	int (*scan)(ff_store *s, ff_store_scan_fn cb, void *arg);
	void (*stats)(ff_store *s, ff_store_stats *out);
	void (*close)(ff_store *s);
} ff_store_ops;

/* Every implementation's handle starts with its operations. */
struct ff_store {
	const ff_store_ops *ops;
};

/* The append-only batch log in DATA_DIR/batches.log (store_log.c). */
extern const ff_store_ops ff_store_log_ops;

/* A short word for an ff_store_error. */
const char *ff_store_strerror(int err);

static inline int ff_store_append(ff_store *s, const ff_batch *b)
{
	return s->ops->append_batch(s, b);
}

static inline int ff_store_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	return s->ops->scan(s, cb, arg);
}

static inline void ff_store_get_stats(ff_store *s, ff_store_stats *out)
{
	s->ops->stats(s, out);
}

/* Closes and frees the store; NULL is accepted. */
static inline void ff_store_close(ff_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

#endif
