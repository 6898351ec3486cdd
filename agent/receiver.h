#ifndef FF_RECEIVER_H
#define FF_RECEIVER_H

/*
 * The receive threads: each owns one socket per listen address (the
 * sockets of one address share it with SO_REUSEPORT, so the kernel hashes
 * each exporter to one thread), its own libevent loop, decoder context
 * (templates, sampler tables, sequence loss), per-exporter stats and
 * counters, and a hand-off ring (handoff_ring.h) of decoded records to the
 * main thread. A thread never waits for the main thread: when its ring is
 * full the record is counted as handoff.drops.
 *
 * The main thread is woken through one eventfd registered on its loop
 * when records wait, and drains every ring in batches into `on_record`.
 * Everything else the main thread reads of a thread's state (counters,
 * stats, templates) is taken under that thread's mutex, which the thread
 * holds per batch of datagrams, never per record.
 */

#include "agent_counters.h"
#include "exporter_stats.h"
#include "ff_config.h"
#include "handoff_ring.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_receivers ff_receivers;

typedef struct ff_receivers_opts {
	const ff_strlist *listen; /* ADDR:PORT each */
	uint64_t rcvbuf;
	unsigned threads;	/* 0: one per core, at most FF_RECEIVERS_AUTO_MAX */
	size_t handoff_records; /* ring size per thread */
	uint32_t sampling_default;
	const ff_strlist *sampling_overrides; /* EXPORTER=N */
	size_t max_exporters;		      /* per thread */
	uint64_t max_clock_skew_ms; /* records.clock_skewed beyond it (decoder.h); 0: no check */
	ff_handoff_fn on_record;	      /* called on the main thread */
	void *arg;
} ff_receivers_opts;

#define FF_RECEIVERS_AUTO_MAX 2

/*
 * Opens every socket and decoder context; the threads start with
 * ff_receivers_start(). Records are drained on `main_base`'s thread.
 * Returns NULL with a message in `err`.
 */
ff_receivers *ff_receivers_new(struct event_base *main_base, const ff_receivers_opts *o, char *err,
			       size_t err_len);

/* Starts the threads. Returns 0, or -1 with a message in `err`. */
int ff_receivers_start(ff_receivers *g, char *err, size_t err_len);

/* Stops and joins the threads (sockets stay open, unread); records already handed off remain. */
void ff_receivers_stop(ff_receivers *g);

/* Hands every record waiting in the rings to on_record. Returns how many. */
size_t ff_receivers_drain(ff_receivers *g);

size_t ff_receivers_count(const ff_receivers *g);

/* Adds the receive side's counters (udp.*, records.decoded, handoff.drops) to `dst`. */
void ff_receivers_add_counters(ff_receivers *g, ff_agent_counters *dst);

/* The per-exporter stats of every thread summed in a new table (caller frees), or NULL. */
ff_exporter_stats *ff_receivers_exporters(ff_receivers *g);

struct ff_sflow_counters;

/*
 * The sFlow interface counters of every thread merged in a new table
 * (ff_sflow_counters_merge: the newest sample of each interface), bounded
 * like one thread's; the caller frees it with ff_sflow_counters_free().
 * NULL when out of memory.
 */
struct ff_sflow_counters *ff_receivers_interfaces(ff_receivers *g);

/* ff_decoder_expire() on every thread's context. */
void ff_receivers_expire(ff_receivers *g, uint64_t now_ms);

/*
 * Saves the templates and sampler tables of every thread, merged, in
 * `dir` when any changed (ff_decoder_ctx_save). Returns 0 or -errno.
 */
int ff_receivers_save(ff_receivers *g, const char *dir);

/*
 * Loads the saved templates and sampler tables into every thread's context:
 * which thread an exporter lands on is up to the kernel. Returns what one
 * context loaded.
 */
int ff_receivers_load(ff_receivers *g, const char *dir);

/* Stops the threads if running and frees everything. */
void ff_receivers_free(ff_receivers *g);

#endif
