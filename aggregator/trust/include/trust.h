#ifndef FF_TRUST_H
#define FF_TRUST_H

/*
 * Which agent keys the aggregator trusts (docs/security.md).
 *
 * The allow-list is DATA_DIR/trust.log: one JSON line per event, appended
 * and fsync'd before the call that makes it returns, never rewritten:
 *   {"op":"accepted"|"rejected"|"revoked"|"pending-seen", "key":Z85,
 *    "fingerprint":HEX16, "agent_id":ID, "time_ms":N, "by":WHO, "why":TEXT}
 * The latest accepted/rejected/revoked line of a key is its state; an
 * accepted key is bound to its agent_id. "pending-seen" lines are history
 * only. As in the policy store, a last line cut short by a crash is dropped
 * (and cut off the file) with a warning; any other damaged line stops the
 * open with file and line.
 *
 * Keys never decided are *pending*: held in memory only (claimed id, host,
 * labels, address, first/last seen, count), at most `max_pending` of them;
 * an unknown key beyond that is refused and counted ("pending_full").
 *
 * Thread-safe: the ZAP thread asks ff_trust_zap_allows(), the ingest thread
 * ff_trust_check(), the HTTP thread decides and lists.
 */

#include "trust_token.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_TRUST_FILE "trust.log"

typedef struct ff_trust ff_trust;

/* Why a key or message was refused; each has a counter (ff_trust_counters_json). */
enum ff_trust_reason {
	FF_TRUST_R_UNKNOWN_KEY,	     /* a key never accepted: pending */
	FF_TRUST_R_REJECTED,	     /* a rejected key */
	FF_TRUST_R_REVOKED,	     /* a revoked key */
	FF_TRUST_R_SPOOFED_ID,	     /* an accepted key claiming another agent id */
	FF_TRUST_R_ID_CONFLICT,	     /* an unknown key claiming an id bound to another key */
	FF_TRUST_R_BAD_TOKEN,	     /* a Hello with an enrolment token that is not valid */
	FF_TRUST_R_HANDSHAKE_FAILED, /* a CURVE handshake that failed (socket monitor) */
	FF_TRUST_R_PENDING_FULL,     /* an unknown key not recorded: the pending table is full */
	FF_TRUST_R_COUNT
};

/* The counter's name in the API: "unknown_key", "spoofed_id", ... */
const char *ff_trust_reason_name(enum ff_trust_reason r);

/*
 * Opens (creating, 0600) DATA_DIR/trust.log and reads it. `tokens` (may be
 * NULL) becomes owned by the trust. Returns NULL with the reason in err
 * (then `tokens` is freed too).
 */
ff_trust *ff_trust_open(const char *data_dir, size_t max_pending, ff_trust_tokens *tokens,
			char *err, size_t err_len);

void ff_trust_close(ff_trust *t);

/*
 * The ZAP question for a client key (Z85): false for a rejected or revoked
 * key (counted and logged at most once a minute per key), true otherwise,
 * so an unknown key can finish its handshake and be recorded as pending.
 */
bool ff_trust_zap_allows(ff_trust *t, const char *key);

/* Counts a refusal the trust does not see itself (e.g. a failed handshake). */
void ff_trust_count(ff_trust *t, enum ff_trust_reason r);

/* What one message claims: borrowed for the call. */
typedef struct ff_trust_claim {
	const char *key;      /* the sender's key (ZMQ "User-Id"); NULL: none */
	const char *agent_id; /* the agent id the message names (already valid) */
	const char *peer;     /* "Peer-Address", may be NULL */
	int fd;		      /* the connection's socket (ZMQ_SRCFD), -1 when unknown */
	bool hello;	      /* a Hello: the fields below are set */
	const char *hostname, *token;
	const char *const *label_keys, *const *label_values;
	size_t n_labels;
} ff_trust_claim;

enum ff_trust_verdict {
	FF_TRUST_OK,	  /* an accepted key naming its own agent id */
	FF_TRUST_PENDING, /* not accepted (yet): recorded as pending; keep the data */
	FF_TRUST_SPOOFED, /* an accepted key naming another agent id */
	FF_TRUST_REFUSED, /* a rejected or revoked key (its connection is cut) */
};

/*
 * Decides one message. An unknown key is recorded or refreshed as pending
 * (reason "unknown key", or "id conflict" when its id is bound to another
 * key); a Hello whose token is valid binds the key to its id at once when
 * that id is free. Every refusal is counted and logged at most once a minute
 * per key. The fd of an accepted key's message is remembered so a later
 * revocation can cut the connection.
 */
enum ff_trust_verdict ff_trust_check(ff_trust *t, const ff_trust_claim *c, uint64_t now_ms);

enum ff_trust_op { FF_TRUST_ACCEPT, FF_TRUST_REJECT, FF_TRUST_REVOKE };

/* ff_trust_decide's results besides 0. */
enum {
	FF_TRUST_ENOTFOUND = -1, /* no key matches */
	FF_TRUST_ECONFLICT = -2, /* ambiguous, or the id is bound to another key */
	FF_TRUST_EWRITE = -3,	 /* the allow-list could not be written; nothing changed */
};

/*
 * Accepts, rejects or revokes the key named by `which`: a fingerprint (16
 * hex digits) or an agent id. accept: a pending key (bound to the id it
 * claims) or a rejected/revoked one (bound again to its last id); reject: a
 * pending or accepted key; revoke: an accepted key. A rejected or revoked
 * key's live connection is cut at once (shutdown(2)). `who` and `why` go to
 * the log line. Returns 0 with *record (a new JSON reference: the key's
 * record) set, or an FF_TRUST_E* code with the reason in err.
 */
int ff_trust_decide(ff_trust *t, enum ff_trust_op op, const char *which, const char *who,
		    const char *why, uint64_t now_ms, json_t **record, char *err, size_t err_len);

/* The pending keys, oldest first (docs/api.md). New reference; NULL when out of memory. */
json_t *ff_trust_pending_json(ff_trust *t);

/* Every decided key with its state, sorted by agent id. New reference or NULL. */
json_t *ff_trust_keys_json(ff_trust *t);

/* {"unknown_key": N, ...} for every reason. New reference or NULL. */
json_t *ff_trust_counters_json(ff_trust *t);

/* The number of keys with `state` accepted; of pending keys. */
size_t ff_trust_accepted_count(ff_trust *t);
size_t ff_trust_pending_count(ff_trust *t);

#endif
