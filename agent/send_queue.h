#ifndef FF_SEND_QUEUE_H
#define FF_SEND_QUEUE_H

/*
 * Batches the agent has framed but the aggregator has not acknowledged, in
 * sequence order. Every batch stays here until an Ack for its (epoch,
 * sequence) arrives. With a spool directory each batch is also written to
 * SPOOL/<seq>.batch (fsync'd) before it is first sent and unlinked on ack,
 * and ff_send_queue_load() brings back what a previous run left.
 *
 * The queue is bounded by the total size of its frames: when a new batch
 * does not fit, the oldest are dropped (counted in batches_dropped, with a
 * warning), as the delivery contract allows. The newest batch is always
 * kept, even alone above the bound.
 *
 * No networking here, so the queue is testable on its own; sender.c drives it.
 */

#include "agent_counters.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_send_item {
	uint64_t epoch;
	uint64_t seq;
	uint8_t *frame; /* owned: the framed FF_MSG_BATCH */
	size_t len;
	uint64_t n_records;
	uint64_t last_send_ms; /* 0: not sent yet */
} ff_send_item;

typedef struct ff_send_queue ff_send_queue;

/*
 * A queue holding at most `max_bytes` of frames, spooling into `spool_dir`
 * (borrowed, NULL for memory only), counting into `counters` (borrowed,
 * may be NULL). NULL when out of memory.
 */
ff_send_queue *ff_send_queue_new(const char *spool_dir, uint64_t max_bytes,
				 ff_agent_counters *counters);
void ff_send_queue_free(ff_send_queue *q);

/*
 * Loads the batches spooled by a previous run, in sequence order. Files that
 * do not hold a valid batch are renamed to *.corrupt and skipped with a
 * warning. Sets *max_seq to the highest sequence seen (0 if none). Returns
 * the number of batches loaded, or -errno when the directory is unreadable.
 */
int ff_send_queue_load(ff_send_queue *q, uint64_t *max_seq);

/*
 * Appends a batch; takes ownership of `frame` (malloc'd) in every case. The
 * batch is spooled first when a spool directory is set. Returns 0, or
 * -errno when spooling failed (the batch is then kept in memory only).
 */
int ff_send_queue_push(ff_send_queue *q, uint64_t epoch, uint64_t seq, uint64_t n_records,
		       uint8_t *frame, size_t len);

/* Forgets the batch (epoch, seq) and its spool file. Returns 0, or -1 if not queued. */
int ff_send_queue_ack(ff_send_queue *q, uint64_t epoch, uint64_t seq);

size_t ff_send_queue_len(const ff_send_queue *q);
uint64_t ff_send_queue_bytes(const ff_send_queue *q);

/* The i-th oldest batch (borrowed; valid until the next push, ack or free), or NULL. */
ff_send_item *ff_send_queue_at(ff_send_queue *q, size_t i);

#endif
