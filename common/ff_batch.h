#ifndef FF_BATCH_H
#define FF_BATCH_H

/*
 * A flow batch: everything one agent summarized over one interval, and its
 * conversion to and from the wire (FlowBatch in proto/flowfleet.proto,
 * framed by ff_frame). (agent_id, epoch, sequence) identifies a batch.
 */

#include "ff_err.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Agent ids: 1..64 characters of [A-Za-z0-9._-]. */
#define FF_AGENT_ID_MAX 64

typedef struct ff_batch {
	char agent_id[FF_AGENT_ID_MAX + 1];
	uint64_t epoch;
	uint64_t sequence;
	uint64_t interval_start_ms;
	uint32_t interval_len_ms;
	uint64_t policy_version;
	ff_flow *records; /* owned; freed by ff_batch_release() */
	size_t n_records;
} ff_batch;

/* True if `id` is a valid agent id. */
bool ff_agent_id_valid(const char *id);

/*
 * Encodes `b` (borrowed) as a framed FF_MSG_BATCH message. On success *frame
 * is malloc'd; the caller frees it with free(). Returns 0, -ENOMEM or
 * FF_FRAME_ETOOBIG (codes of common/ff_err.h).
 */
int ff_batch_encode(const ff_batch *b, uint8_t **frame, size_t *frame_len);

/*
 * Decodes the payload of an FF_MSG_BATCH frame (already de-framed) into *out,
 * which the caller releases with ff_batch_release(). Every record is checked;
 * on error nothing is allocated. Returns 0, an FF_BATCH_E* code
 * (common/ff_err.h) or -ENOMEM.
 */
int ff_batch_decode(const uint8_t *payload, size_t len, ff_batch *out);

/* Frees the records of a batch filled by ff_batch_decode(). */
void ff_batch_release(ff_batch *b);

#endif
