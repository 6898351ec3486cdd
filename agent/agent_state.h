#ifndef FF_AGENT_STATE_H
#define FF_AGENT_STATE_H

/*
 * The agent's identity across restarts: an epoch and the next batch
 * sequence. With a state directory both are kept there (files `epoch` and
 * `sequence`, one text line each) so a restarted agent continues its
 * sequence within the same epoch, and the aggregator recognises a batch it
 * already stored. Without one, the epoch is random per start and nothing is
 * kept; (agent id, epoch, sequence) is still unique.
 *
 * The next sequence is persisted before a sequence is handed out, so no
 * restart can reuse one. When neither file exists (a first start), or one
 * of them is missing, the agent starts a new epoch: a new epoch can never
 * collide with batches the aggregator holds. A file that exists but does
 * not hold exactly one number of its kind (ff_agent_state_parse) is
 * refused: the agent does not start, and says which file, what it holds
 * and what to do. A negative, signed, spaced, prefixed, overflowing, zero
 * or trailing-garbage value is never reinterpreted.
 */

#include <stddef.h>
#include <stdint.h>

/* Larger than any number file the agent writes (17 bytes), small enough to print. */
#define FF_AGENT_STATE_FILE_MAX 64

enum ff_agent_state_kind {
	FF_STATE_KIND_EPOCH,	/* hex, 1-16 digits, not 0 */
	FF_STATE_KIND_SEQUENCE, /* decimal, 1 .. 2^64-2 */
};

/*
 * Parses the `len` bytes of a state file: the digits of its kind and at
 * most one final newline, nothing else. Returns 0 with *out set, -EINVAL
 * (not digits of that kind, or empty) or -ERANGE (overflow, 0, or for a
 * sequence 2^64-1, which would leave no successor).
 */
int ff_agent_state_parse(const char *text, size_t len, enum ff_agent_state_kind kind,
			 uint64_t *out);

typedef struct ff_agent_state {
	char *dir;	   /* owned; NULL when nothing is kept */
	char *spool_dir;   /* owned; dir/spool, NULL without dir */
	uint64_t epoch;	   /* never 0 */
	uint64_t next_seq; /* >= 1 */
} ff_agent_state;

/*
 * Opens (creating as needed) the state in `dir`, or an ephemeral state
 * when `dir` is NULL. Returns 0, or -1 with a message in `err`.
 */
int ff_agent_state_open(ff_agent_state *st, const char *dir, char *err, size_t err_len);

/*
 * Hands out the next sequence after persisting its successor. Returns 0 or
 * -errno (-EOVERFLOW when the sequences are used up).
 */
int ff_agent_state_take_seq(ff_agent_state *st, uint64_t *seq);

/*
 * Makes sure the next sequence is above `seen` (e.g. the highest spooled
 * batch), persisting it if it moved. Returns 0 or -errno.
 */
int ff_agent_state_ensure_above(ff_agent_state *st, uint64_t seen);

/*
 * Starts a new random epoch (persisted with the state dir), the sequence
 * going on: after the aggregator found this state restored or cloned.
 * Returns 0 or -errno (the new epoch is in use either way).
 */
int ff_agent_state_renew_epoch(ff_agent_state *st);

void ff_agent_state_close(ff_agent_state *st);

#endif
