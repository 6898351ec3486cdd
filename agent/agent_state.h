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
 * restart can reuse one. If the state is unreadable the agent starts a new
 * epoch: a new epoch can never collide with batches the aggregator holds.
 */

#include <stddef.h>
#include <stdint.h>

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

/* Hands out the next sequence after persisting its successor. Returns 0 or -errno. */
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
