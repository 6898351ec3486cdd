#ifndef FF_STORE_H
#define FF_STORE_H

/*
 * The storage interface of the aggregator: a role (this header) and
 * backends behind a struct of function pointers, so the embedded columnar
 * store (store/columnar/), ClickHouse later, or a test's in-memory store can
 * serve it without touching ingest or queries. The aggregator opens its
 * backend by name through ff_store_open() (store/open/), the one place that
 * names them; a backend's own tests may call its open function directly.
 *
 * Contract every implementation keeps:
 * - append_batch() returns only once the batch is durable (it survives
 *   kill -9 and power loss); the ingest acks a batch only after that.
 * - append_batch() is called by one thread at a time (the ingest thread);
 *   scan() and stats() may run concurrently from other threads and see
 *   either all of a batch or none of it.
 * - opening hands every stored batch's identity to the replay callback
 *   before it returns, so the caller can rebuild what it derives from the
 *   store (de-duplication state, per-agent counters).
 */

#include "ff_batch.h"
#include "ff_block.h"
#include "ff_filter.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_store ff_store;

/*
 * The queries a store may answer itself (push-downs, see ff_store_ops):
 * declared by the query library (query_topn.h, query_series.h,
 * query_flows.h), named here only so the role does not depend on it.
 */
struct ff_topn_query;
struct ff_topn_result;
struct ff_series_query;
struct ff_series_result;
struct ff_flows_query;
struct ff_flows_result;
struct ff_prom;

/*
 * A replay callback is called once per stored batch; `b` is borrowed for
 * the call and its `records` may be NULL (a sealed batch of the columnar
 * store: only its identity and n_records are kept apart from the columns).
 * A scan callback is called with groups of stored records of one agent:
 * whole batches (the columnar store's open window) or runs
 * of a segment's rows (then epoch and sequence are 0). It returns 0 to go
 * on, non-zero to stop.
 */
typedef void (*ff_store_replay_fn)(void *arg, const ff_batch *b);
typedef int (*ff_store_scan_fn)(void *arg, const ff_batch *b);

/*
 * A block callback gets a column block (ff_block.h) of one agent's stored
 * records, `b` and its arrays borrowed for the call. It returns 0 to go on,
 * non-zero to stop.
 */
typedef int (*ff_store_block_fn)(void *arg, const ff_block *b);

/*
 * What every store counts. A backend's own counters (files, seals, repairs)
 * come from its optional backend_stats op, under its name.
 */
typedef struct ff_store_stats {
	uint64_t batches; /* batches stored */
	uint64_t records; /* records stored */
	uint64_t bytes;	  /* bytes on disk */
	uint64_t append_errors;
} ff_store_stats;

/*
 * Whether the store can write: false while appends or the background
 * writes behind them (a seal of the open window) fail, e.g. on a full
 * disk; true again once they work. /healthz answers 503 with `reason`
 * while it is false.
 */
typedef struct ff_store_health {
	bool writable;
	int error;		   /* the failing write's error (common/ff_err.h), 0 when writable */
	uint64_t failing_since_ms; /* when it began to fail, 0 when writable */
	char reason[192];	   /* what fails and why, "" when writable */
} ff_store_health;

/*
 * What a scan needs, so a store can skip what cannot match without reading
 * it. A store may still hand out records outside the range: callers check
 * each record themselves. The time test is nfdump's -t: a record matches
 * when since_ms <= first_ms and last_ms <= until_ms.
 */
/* What a scan read, by kind of file, for a query to report (ff_store_range.read). */
typedef struct ff_store_read {
	uint64_t segments;	 /* raw segments */
	uint64_t minute_rollups; /* minute rollup files */
	uint64_t hour_rollups;	 /* hour rollup files */
} ff_store_read;

typedef struct ff_store_range {
	uint64_t since_ms;  /* 0: no lower bound */
	uint64_t until_ms;  /* UINT64_MAX: no upper bound */
	const char *agent;  /* only this agent's records; NULL for all (borrowed) */
	uint32_t fields;    /* FF_STORE_F_* bits the caller reads; 0 for all */
	/*
	 * Of `fields`, those a block scan's caller chooses rows by (its
	 * filter's, times for a window): the others may come lazily
	 * (ff_block.lazy), decoded only for the rows it chose. 0: every
	 * column of every row.
	 */
	uint32_t select_fields;
	/*
	 * The filter the caller tests every record with (borrowed; NULL for
	 * none): a store may skip row groups whose column bounds cannot match.
	 */
	const ff_filter *filter;
	/*
	 * 0: raw records only. Otherwise the caller also accepts rollup rows
	 * (stored records merged per key over a time bin that divides this
	 * many ms, UINT64_MAX for any bin; counters summed, first/last widened)
	 * wherever the rollup keeps every field in `fields` and the rows answer
	 * the window exactly.
	 */
	uint64_t rollup_bin_ms;
	/* Optional, filled by stores that keep files (NULL: not wanted). */
	ff_store_read *read;
} ff_store_range;

/*
 * Record fields a scan's caller reads, so a columnar store decodes only
 * those columns (the column groups of ff_block.h, by the same bits). In records handed out under a non-zero mask the fields
 * outside it hold unspecified values; agent_ref and wildcards are always
 * valid. Stores that keep whole records ignore the mask.
 */
enum ff_store_field {
	FF_STORE_F_TIMES = FF_BLOCK_F_TIMES, /* first_ms, last_ms */
	FF_STORE_F_COUNTERS = FF_BLOCK_F_COUNTERS, /* bytes, packets, flows */
	FF_STORE_F_SRC_ADDR = FF_BLOCK_F_SRC_ADDR,
	FF_STORE_F_DST_ADDR = FF_BLOCK_F_DST_ADDR,
	FF_STORE_F_EXPORTER = FF_BLOCK_F_EXPORTER,
	FF_STORE_F_SRC_AS = FF_BLOCK_F_SRC_AS,
	FF_STORE_F_DST_AS = FF_BLOCK_F_DST_AS,
	FF_STORE_F_IN_IF = FF_BLOCK_F_IN_IF,
	FF_STORE_F_OUT_IF = FF_BLOCK_F_OUT_IF,
	FF_STORE_F_SAMPLING = FF_BLOCK_F_SAMPLING,
	FF_STORE_F_SRC_PORT = FF_BLOCK_F_SRC_PORT,
	FF_STORE_F_DST_PORT = FF_BLOCK_F_DST_PORT,
	FF_STORE_F_PROTO = FF_BLOCK_F_PROTO,
	FF_STORE_F_TCP_FLAGS = FF_BLOCK_F_TCP_FLAGS,
	FF_STORE_F_TOS = FF_BLOCK_F_TOS,
};

/*
 * Errors of every store operation: -errno when the system failed (the
 * call and errno are logged), -ENOMEM, FF_STORE_ELOCKED (another process
 * uses the data dir) and FF_STORE_ETOOBIG (a batch too large to store), all
 * of common/ff_err.h; ff_strerror() names them.
 */

typedef struct ff_store_ops {
	const char *name;
	/* Stores `b` (borrowed) durably. Returns 0 or a negative ff_store_error. */
	int (*append_batch)(ff_store *s, const ff_batch *b);
	/* Calls `cb` for every stored batch; returns 0 or the callback's non-zero. */
	int (*scan)(ff_store *s, ff_store_scan_fn cb, void *arg);
	/* Optional: as scan, skipping what cannot match `r` (borrowed). */
	int (*scan_range)(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb, void *arg);
	/*
	 * Optional: as scan_range with up to n_args threads; each thread calls
	 * `cb` with its own args[i] only, so callbacks need no locking. Every
	 * group of records goes to exactly one of them.
	 */
	int (*scan_parallel)(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb,
			     void *const *args, size_t n_args);
	/*
	 * Optional: as scan_parallel, handing out column blocks of the
	 * columns in r->fields (all for 0) instead of records. Stores without
	 * it have their records transposed (ff_store_scan_blocks()).
	 */
	int (*scan_blocks)(ff_store *s, const ff_store_range *r, ff_store_block_fn cb,
			   void *const *args, size_t n_args);
	/*
	 * Optional: called by the appending thread when it is idle (about every
	 * 100 ms), so a store can seal a window whose time is over without
	 * waiting for the next batch. Returns 0 or a negative ff_store_error.
	 */
	int (*tick)(ff_store *s);
	void (*stats)(ff_store *s, ff_store_stats *out);
	/* Optional (any thread): whether writes work; a store without it is writable. */
	void (*health)(ff_store *s, ff_store_health *out);
	/*
	 * Optional: the backend's own counters as a new JSON object of
	 * integers (NULL when out of memory), shown under the backend's name.
	 */
	json_t *(*backend_stats)(ff_store *s);
	/*
	 * Optional: adds the backend's own families to a /metrics scrape
	 * (docs/metrics.md). Returns 0 or a negative errno.
	 */
	int (*backend_metrics)(ff_store *s, struct ff_prom *p);
	void (*close)(ff_store *s);
	/*
	 * Optional push-downs: a store that can answer a query kind itself (a
	 * database computing it where the data is) sets the op, and
	 * ff_topn_run(), ff_series_run() and ff_flows_run() call it instead of
	 * running their C engines over scan_parallel/scan_range; NULL (the
	 * columnar store) keeps the C engine. `q` is borrowed for the call;
	 * `out` arrives zeroed. The contract is the C engine's answer:
	 * - the same rows in the same order (the ties and wildcard rules of
	 *   query_topn.h, the listing order of query_flows.h, the bins of
	 *   query_series.h), with the same totals semantics (top-N rows before
	 *   the cut, flows, packets, bytes, records, first/last; a listing's
	 *   matched count);
	 * - memory the caller frees with ff_topn_result_free() and its kin,
	 *   i.e. rows/values from malloc;
	 * - how the answer was worked out is the store's own: a top-N's
	 *   total.passes, total.partitions and total.read may stay zero.
	 * Each returns 0 with *out filled, or a negative error (an
	 * ff_store_error, or -1 for an invalid query or out of memory as the
	 * C engines do) and *out zeroed, nothing to free. Queries the engines
	 * refuse before reading (a listing's limit, a series' bins) are
	 * refused before the op is called.
	 */
	int (*topn)(ff_store *s, const struct ff_topn_query *q, struct ff_topn_result *out);
	int (*series)(ff_store *s, const struct ff_series_query *q, struct ff_series_result *out);
	int (*flows)(ff_store *s, const struct ff_flows_query *q, struct ff_flows_result *out);
} ff_store_ops;

/* Every implementation's handle starts with its operations. */
struct ff_store {
	const ff_store_ops *ops;
};

/*
 * The FF_STORE_F_* bits of the record fields `filter` reads
 * (ff_filter_fields(): key fields, counters, times); 0 for NULL.
 */
uint32_t ff_store_fields_of_filter(const ff_filter *filter);

/* The ff_field bits of the key fields an FF_STORE_F_* mask names; every key for 0 (all). */
uint32_t ff_store_keys_of_fields(uint32_t fields);

/*
 * Whether rollup rows judge `filter` as they would each of their records:
 * a rollup row sums counters, widens first/last and ORs TCP flags, so a
 * filter testing any of them (packets, bytes, flows, duration, pps, bps,
 * bpp, flags) needs raw records. True for NULL.
 */
bool ff_store_filter_fits_rollups(const ff_filter *filter);

static inline int ff_store_append(ff_store *s, const ff_batch *b)
{
	return s->ops->append_batch(s, b);
}

static inline int ff_store_scan(ff_store *s, ff_store_scan_fn cb, void *arg)
{
	return s->ops->scan(s, cb, arg);
}

/* A scan limited to `r`; stores without scan_range scan everything. */
static inline int ff_store_scan_range(ff_store *s, const ff_store_range *r, ff_store_scan_fn cb,
				      void *arg)
{
	if (s->ops->scan_range != NULL)
		return s->ops->scan_range(s, r, cb, arg);
	return s->ops->scan(s, cb, arg);
}

/* A scan over up to n_args threads; stores without scan_parallel use args[0] alone. */
static inline int ff_store_scan_parallel(ff_store *s, const ff_store_range *r,
					 ff_store_scan_fn cb, void *const *args, size_t n_args)
{
	if (s->ops->scan_parallel != NULL && n_args > 1)
		return s->ops->scan_parallel(s, r, cb, args, n_args);
	return ff_store_scan_range(s, r, cb, args[0]);
}

/*
 * A scan as column blocks over up to n_args threads: the store's
 * scan_blocks, or else its record scans (ff_store_scan_parallel) with each
 * group of records transposed into blocks of r->fields. Each thread calls
 * `cb` with its own args[i] only. Returns 0, the callback's non-zero, or
 * the store's negative error (-ENOMEM when the blocks' buffers cannot be had).
 */
int ff_store_scan_blocks(ff_store *s, const ff_store_range *r, ff_store_block_fn cb,
			 void *const *args, size_t n_args);

/*
 * Hands the records of `b` (borrowed) to `cb` as blocks of `fields`
 * (FF_BLOCK_F_* bits, 0 for all), transposed in `buf`: for backends that
 * hold records as rows. Fields outside `early` (a range's select_fields;
 * 0: none outside) come lazily, transposed only for the rows the reader
 * chose (ff_block_load()). Returns 0 or the callback's non-zero.
 */
int ff_store_blocks_of_batch(const ff_batch *b, uint32_t fields, uint32_t early,
			     ff_block_buf *buf, ff_store_block_fn cb, void *arg);

static inline int ff_store_tick(ff_store *s)
{
	return s->ops->tick != NULL ? s->ops->tick(s) : 0;
}

static inline void ff_store_get_stats(ff_store *s, ff_store_stats *out)
{
	s->ops->stats(s, out);
}

static inline void ff_store_get_health(ff_store *s, ff_store_health *out)
{
	if (s->ops->health != NULL) {
		s->ops->health(s, out);
		return;
	}
	*out = (ff_store_health){.writable = true};
}

/*
 * The stats as a new JSON object: {"backend": name, "batches", "records",
 * "bytes", "append_errors", "writable" (a boolean), "write_error" (the
 * health's reason, only while not writable), and <name>: the backend's own
 * counters when it has any}. NULL when out of memory.
 */
json_t *ff_store_stats_json(ff_store *s);

/*
 * Adds what every store counts (batches, records, bytes on disk, append
 * errors, whether it is writable) and the backend's own families to a
 * /metrics scrape. Returns 0 or a negative errno.
 */
int ff_store_metrics(ff_store *s, struct ff_prom *p);

/* Closes and frees the store; NULL is accepted. */
static inline void ff_store_close(ff_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

#endif
