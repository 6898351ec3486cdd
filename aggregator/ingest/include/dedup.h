#ifndef FF_DEDUP_H
#define FF_DEDUP_H

/*
 * Which batches are already stored, per (agent id, epoch), so that a batch
 * the agent resends (it did not see our ack) is acknowledged as DUPLICATE
 * instead of being counted twice.
 *
 * Per (agent, epoch) the set is kept as a low watermark W, meaning every
 * sequence 1..W is stored, plus a small sorted array of stored sequences
 * above W. Agents send sequences in order, so the array normally holds a
 * handful of entries while a resend is in flight and collapses into W again.
 * Sequence 0 is tracked by its own flag, so agents counting from 0 or from 1
 * both work.
 *
 * Memory is bounded: when the array above W reaches FF_DEDUP_MAX_PENDING the
 * oldest gap is given up (W jumps over it) and counted in `gaps_abandoned`.
 * An agent keeps at most a bounded spool, so a gap that old can no longer
 * be filled by it.
 *
 * Content: a batch's identity repeating with other content is not a resend
 * but a restored or cloned agent state (its sequence counter went back, or
 * two machines share one epoch). For the last FF_DEDUP_DIGESTS sequences of
 * each stream the set keeps digests of the contents stored under them (up
 * to two each), so such a batch is told apart (FF_DEDUP_CONFLICT) and kept
 * instead of being acknowledged as a duplicate and lost. Older sequences,
 * and streams known only from the store replay, have no digest: a batch
 * repeating them counts as a duplicate, as before.
 *
 * Not thread-safe: the aggregator touches it from the ingest thread only
 * (and from the store replay before that thread starts).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_DEDUP_MAX_PENDING 65536
#define FF_DEDUP_DIGESTS 1024 /* recent sequences of a stream whose contents are known */

enum ff_dedup_verdict {
	FF_DEDUP_NEW = 0,	/* not stored yet */
	FF_DEDUP_DUPLICATE = 1, /* stored, with this content (or content unknown) */
	FF_DEDUP_CONFLICT = 2,	/* stored, with other content: state restored or cloned */
};

typedef struct ff_dedup ff_dedup;

typedef struct ff_dedup_stats {
	uint64_t streams;	 /* (agent, epoch) pairs known */
	uint64_t gaps_abandoned; /* watermark jumps forced by the memory bound */
} ff_dedup_stats;

/* A new, empty set; NULL when out of memory. Free with ff_dedup_free(). */
ff_dedup *ff_dedup_new(void);
void ff_dedup_free(ff_dedup *d);

/* True when the batch (agent_id, epoch, seq) was marked stored. */
bool ff_dedup_seen(const ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq);

/*
 * Marks the batch stored. Marking a sequence twice is harmless. Returns 0,
 * or -1 when out of memory or when agent_id is longer than FF_AGENT_ID_MAX
 * (nothing is marked then).
 */
int ff_dedup_mark(ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq);

/* What storing (agent_id, epoch, seq) with content `digest` would be. */
enum ff_dedup_verdict ff_dedup_check(const ff_dedup *d, const char *agent_id, uint64_t epoch,
				     uint64_t seq, uint64_t digest);

/*
 * ff_dedup_mark() that also remembers the content's digest (a second,
 * conflicting content is remembered beside the first). Returns 0 or -1 as
 * ff_dedup_mark().
 */
int ff_dedup_mark_digest(ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq,
			 uint64_t digest);

/* The watermark W of a stream (0 when unknown), for tests and diagnostics. */
uint64_t ff_dedup_watermark(const ff_dedup *d, const char *agent_id, uint64_t epoch);

/* How many sequences above the watermark a stream holds. */
size_t ff_dedup_pending(const ff_dedup *d, const char *agent_id, uint64_t epoch);

void ff_dedup_get_stats(const ff_dedup *d, ff_dedup_stats *out);

#endif
