#ifndef FF_AGENT_POLICY_H
#define FF_AGENT_POLICY_H

/*
 * The central policy as the agent applies it (docs/policy.md). A Policy
 * message from the aggregator is decoded and validated into an
 * ff_agent_policy; the agent keeps it pending until its next interval
 * boundary, then makes it current in one step, so every interval is
 * summarized under exactly one policy. The current policy is kept in the
 * state directory (file `policy`, an ff_frame holding the Policy message,
 * written atomically) so a restarted agent works under it before the
 * aggregator is reachable.
 *
 * Applying a policy to one record (ff_agent_policy_admit) never allocates.
 * Not thread-safe; owned by the agent's context.
 */

#include "ff_filter.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file in the state directory holding the last applied policy. */
#define FF_AGENT_POLICY_FILE "policy"

typedef struct ff_agent_policy {
	uint64_t version;     /* 0: no policy; every record passes with every key */
	ff_filter *filter;    /* owned; NULL matches every record */
	uint32_t wildcards;   /* key fields summarized away (enum ff_field bits) */
	uint32_t interval_s;  /* 0: the agent's own interval */
	uint32_t topk;	      /* 0: no bound */
	uint32_t sample;      /* 0 or 1: every record */
	bool merge;	      /* the policy asks to merge records of one key */
	uint64_t sample_seen; /* records offered to the sampler so far */
	uint8_t *packed;      /* owned: the Policy protobuf as received, to persist */
	size_t packed_len;
} ff_agent_policy;

/*
 * Whether the summarizer merges records of one key under `p`: when the
 * policy says so, drops keys or sets a top-K (which summarize by design);
 * otherwise every exporter flow stays its own record (docs/policy.md).
 */
bool ff_agent_policy_merges(const ff_agent_policy *p);

/*
 * Decodes and validates a Policy protobuf payload (borrowed) into *out,
 * which must be zeroed or released. *version is set whenever the message
 * could be read at all, so a refusal can name the version it refuses.
 * Returns 0, or -1 with the reason in `err` (*out is left empty).
 */
int ff_agent_policy_decode(const uint8_t *payload, size_t len, ff_agent_policy *out,
			   uint64_t *version, char *err, size_t err_len);

/* Frees what `p` owns and zeroes it. */
void ff_agent_policy_release(ff_agent_policy *p);

/* Releases *dst and moves *src into it; *src is left empty. */
void ff_agent_policy_move(ff_agent_policy *dst, ff_agent_policy *src);

/*
 * Applies the policy to one decoded record before it is summarized: false
 * when the filter (or the sampler) drops it; otherwise the record is scaled
 * by the sampling rate and its summarized-away key fields are zeroed and
 * marked in f->wildcards. Never allocates.
 */
bool ff_agent_policy_admit(ff_agent_policy *p, ff_flow *f);

/*
 * Bounds an interval's records to the policy's top-K by bytes (packets
 * break ties): the records beyond K are merged into one "other" record
 * whose key fields are all wildcards, so totals are preserved. Reorders
 * `recs` in place and returns the new count (at most K + 1).
 */
size_t ff_agent_policy_topk(const ff_agent_policy *p, ff_flow *recs, size_t n);

/* Durably writes the policy to dir/FF_AGENT_POLICY_FILE. Returns 0 or -errno. */
int ff_agent_policy_save(const ff_agent_policy *p, const char *dir);

/*
 * Loads dir/FF_AGENT_POLICY_FILE into *out (zeroed or released). Returns 1
 * when a policy was loaded, 0 when there is none, -1 with the reason in
 * `err` when the file is unreadable or holds a policy that does not validate.
 */
int ff_agent_policy_load(const char *dir, ff_agent_policy *out, char *err, size_t err_len);

/*
 * Encodes a framed PolicyAck. On success *frame is malloc'd and the caller
 * frees it with free(). Returns 0, -ENOMEM or FF_FRAME_ETOOBIG.
 */
int ff_agent_policy_ack_encode(const char *agent_id, uint64_t version, bool applied,
			       const char *reason, uint8_t **frame, size_t *len);

#endif
