#ifndef FF_POLICY_PUSH_H
#define FF_POLICY_PUSH_H

/*
 * Pushes to every agent the policy that applies to it (policy_store.h) over
 * the agents' own ZeroMQ connection, and tracks what each agent applied.
 *
 * - On every Hello (sent at each (re)connect and then every heartbeat) the
 *   agent's routing identity and labels are remembered; when the agent
 *   reports another version than the one that applies to it, the Policy is
 *   the answer to that Hello. So a reconnecting agent, or one that missed a
 *   push, gets its policy within one heartbeat.
 * - When the store changes (another thread added a policy), the next
 *   ff_policy_push_check() sends the new selection to every agent whose
 *   policy changed.
 * - A PolicyAck records the applied version, or the refusal and its reason;
 *   a refused version is not pushed again to that agent.
 * What each agent applied, should apply and why it refused are mirrored
 * into the sessions for GET /api/v1/agents.
 *
 * Owned and called by the ingest thread only.
 */

#include "flowfleet.pb-c.h"
#include "policy_store.h"
#include "session.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ff_policy_push ff_policy_push;

/* Sends `frame` (ownership passes) to the peer with routing identity `ident`. */
typedef void (*ff_policy_push_send_fn)(void *arg, const uint8_t *ident, size_t ident_len,
				       uint8_t *frame, size_t len);

/* Borrows `store` and `sessions`, which must outlive it. NULL when out of memory. */
ff_policy_push *ff_policy_push_new(ff_policy_store *store, ff_sessions *sessions);
void ff_policy_push_free(ff_policy_push *p);

/*
 * Handles a valid Hello that arrived from routing identity `ident` (may be
 * NULL when unknown). When the agent should get a policy, *frame is a
 * malloc'd framed Policy to answer with (caller sends and frees); else NULL.
 */
void ff_policy_push_hello(ff_policy_push *p, const Flowfleet__Hello *h, const uint8_t *ident,
			  size_t ident_len, uint8_t **frame, size_t *len);

/* Handles a PolicyAck payload. Returns 0, or -1 when it does not decode (caller counts). */
int ff_policy_push_ack(ff_policy_push *p, const uint8_t *payload, size_t len);

/* Pushes to every known agent whose policy changed since the last call, through `send`. */
void ff_policy_push_check(ff_policy_push *p, ff_policy_push_send_fn send, void *arg);

#endif
