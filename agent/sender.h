#ifndef FF_SENDER_H
#define FF_SENDER_H

/*
 * Delivers batches to the aggregator over a ZeroMQ DEALER socket, driven by
 * the agent's libevent loop. Batches live in an ff_send_queue until the
 * aggregator acknowledges them (Ack OK or DUPLICATE); a batch not acked
 * within the retry interval is sent again, and every unacked batch is sent
 * again as soon as a (re)connection completes. ZMQ_IMMEDIATE keeps zmq from
 * queueing to a peer that is not there, so "not connected" shows up as
 * EAGAIN and the batch simply waits in our queue.
 *
 * A Hello is sent first and then every heartbeat. Frames from the
 * aggregator that are malformed or of an unexpected type are counted
 * (frames_bad) and ignored: they never stop the agent.
 *
 * With a server key the socket is a CurveZMQ client: zmq encrypts
 * everything and exchanges no message before the server has proved that
 * key, and there is no fallback to plaintext. A socket monitor reports
 * handshakes that fail or never complete (counted in handshake_failures,
 * or handshake_refused when the aggregator refuses our key, ZAP status
 * 400), logged at most once a minute; reconnecting goes on.
 *
 * An Ack REJECTED whose reason says the whole agent is refused for now
 * ("pending enrolment ...", "agent id does not match the key") holds the
 * queue: one batch (the oldest) probes at a growing interval (from the
 * retry interval up to FF_SENDER_HOLD_MAX_MS) instead of every batch every
 * retry, until an Ack OK/DUPLICATE shows the key accepted and everything
 * is sent at once. Rejection lines are logged once a minute per reason,
 * with how many were held back.
 */

#include "agent_counters.h"
#include "ff_curve_key.h"
#include "send_queue.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* Builds a framed Hello on demand (*frame malloc'd, freed by the sender). Returns 0 or < 0. */
typedef int (*ff_sender_hello_fn)(void *arg, uint8_t **frame, size_t *len);

/* Receives the payload of a Policy frame (borrowed for the call). */
typedef void (*ff_sender_policy_fn)(void *arg, const uint8_t *payload, size_t len);

/*
 * The aggregator stored a batch of epoch `epoch` though it held another one
 * under the same identity: this agent's state was restored or cloned.
 */
typedef void (*ff_sender_epoch_fn)(void *arg, uint64_t epoch);

typedef struct ff_sender_opts {
	const char *endpoint; /* e.g. tcp://127.0.0.1:7470; copied */
	uint64_t retry_ms;
	uint64_t heartbeat_ms;
	ff_sender_hello_fn hello;
	void *hello_arg;
	ff_sender_policy_fn on_policy; /* NULL: Policy frames are counted as unexpected */
	void *policy_arg;
	ff_sender_epoch_fn on_new_epoch; /* NULL: ignored */
	void *epoch_arg;
	/* CURVE: the aggregator's public key (Z85) and our key pair, both copied. server_key
	 * NULL: the NULL mechanism (--insecure-plaintext), keys unused. */
	const char *server_key;
	const ff_curve_keypair *keys;
} ff_sender_opts;

/* The longest wait between two probes of a held queue (pending enrolment). */
#define FF_SENDER_HOLD_MAX_MS 10000
/* A connection whose handshake has not succeeded by then counts as failed. */
#define FF_SENDER_HANDSHAKE_WAIT_MS 5000

typedef struct ff_sender ff_sender;

/*
 * Creates the socket, connects (in the background) and registers with
 * `base`. Borrows `q` and `counters`, which must outlive the sender.
 * Returns NULL with a message in `err` on failure.
 */
ff_sender *ff_sender_new(struct event_base *base, const ff_sender_opts *o, ff_send_queue *q,
			 ff_agent_counters *counters, char *err, size_t err_len);

/*
 * Queues a framed batch (ownership of `frame` passes to the queue, see
 * ff_send_queue_push) and tries to send it at once. Returns what
 * ff_send_queue_push returned.
 */
int ff_sender_submit(ff_sender *s, uint64_t epoch, uint64_t seq, uint64_t n_records, uint8_t *frame,
		     size_t len);

/*
 * Sends one frame (borrowed) now if the aggregator is reachable, without
 * queueing or retrying: for messages that are repeated anyway, such as a
 * PolicyAck (the Hello carries the applied version too). Returns 0, or -1
 * when it could not be sent.
 */
int ff_sender_send_now(ff_sender *s, const uint8_t *frame, size_t len);

/* Batches still waiting for an ack. */
size_t ff_sender_pending(const ff_sender *s);

/*
 * True when an Ack REJECTED with this reason refuses the agent as a whole
 * (its key is pending enrolment, or bound to another id) rather than one
 * batch: the queue is then held (see above).
 */
bool ff_sender_reason_holds(const char *reason);

/* Closes the socket without lingering (unacked batches stay in the queue/spool) and frees. */
void ff_sender_free(ff_sender *s);

#endif
