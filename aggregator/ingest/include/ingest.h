#ifndef FF_INGEST_H
#define FF_INGEST_H

/*
 * The aggregator's receiving side: a ZeroMQ ROUTER socket served by its own
 * thread. Each message is one flowfleet frame (docs/protocol.md):
 * - Hello: the agent's session is updated (ff_sessions);
 * - Hello: also answered with the agent's Policy when it runs another
 *   version (policy_push.h); PolicyAck: recorded by the policy push;
 * - FlowBatch: decoded, checked against ff_dedup, appended to the store
 *   (durable before it returns), marked stored, then acknowledged OK; a batch
 *   already stored is acknowledged DUPLICATE without storing it again; one
 *   that cannot be decoded or stored is acknowledged REJECTED when its agent
 *   id and sequence can be read, else dropped. Every refusal is counted by
 *   reason, and no sequence of bytes can make the thread stop or crash.
 *
 * With a trust (CURVE), every message is first decided by the key it came
 * with (trust.h): only an accepted key naming its own agent id gets the
 * above; a pending key's batches are answered REJECTED "pending enrolment
 * ...", a batch naming another agent id than its key's is answered REJECTED
 * "agent id does not match the key", and their Hellos and PolicyAcks are
 * dropped (no session, no policy). The trust counts every refusal.
 *
 * The thread owns the socket and the de-duplication state; the store and
 * the sessions are shared with the HTTP side, which they allow.
 */

#include "dedup.h"
#include "ingest_conns.h"
#include "policy_push.h"
#include "session.h"
#include "store.h"
#include "trust.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_ingest ff_ingest;

/*
 * Why a message was refused, one counter each (/api/v1/stats "ingest"
 * "refused"). The frame and batch reasons follow their error codes'
 * order in common/ff_err.h.
 */
enum ff_ingest_refusal {
	FF_INGEST_REFUSED_FRAME_SHORT,	     /* FF_FRAME_ESHORT */
	FF_INGEST_REFUSED_FRAME_MAGIC,	     /* FF_FRAME_EMAGIC */
	FF_INGEST_REFUSED_FRAME_VERSION,     /* FF_FRAME_EVERSION */
	FF_INGEST_REFUSED_FRAME_COMPRESSION, /* FF_FRAME_ECOMP */
	FF_INGEST_REFUSED_FRAME_TOO_LARGE,   /* FF_FRAME_ETOOBIG */
	FF_INGEST_REFUSED_FRAME_CORRUPT,     /* FF_FRAME_ECORRUPT */
	FF_INGEST_REFUSED_FRAME_RATIO,	     /* FF_FRAME_ERATIO */
	FF_INGEST_REFUSED_FRAME_ENVELOPE,    /* not [identity][payload] */
	FF_INGEST_REFUSED_FRAME_MEMORY,	     /* out of memory decompressing */
	FF_INGEST_REFUSED_BATCH_DECODE,	     /* FF_BATCH_EPROTO */
	FF_INGEST_REFUSED_BATCH_AGENT,	     /* FF_BATCH_EAGENT */
	FF_INGEST_REFUSED_BATCH_RECORD,	     /* FF_BATCH_ERECORD */
	FF_INGEST_REFUSED_BATCH_COLUMN,	     /* FF_BATCH_ECOLUMN */
	FF_INGEST_REFUSED_BATCH_TOO_MANY,    /* FF_BATCH_ETOOMANY */
	FF_INGEST_REFUSED_BATCH_NO_RECORDS,  /* FF_BATCH_ENORECORDS */
	FF_INGEST_REFUSED_BATCH_EMPTY,	     /* FF_BATCH_EEMPTY */
	FF_INGEST_REFUSED_BATCH_SPARSE,	     /* FF_BATCH_ESPARSE */
	FF_INGEST_REFUSED_BATCH_MEMORY,	     /* out of memory decoding */
	FF_INGEST_REFUSED_COUNT
};

/* The reason's name ("frame.too_large", "batch.empty_records"); "unknown" out of range. */
const char *ff_ingest_refusal_name(enum ff_ingest_refusal r);
/* The reason a frame decode error counts as (FF_FRAME_E*, else out of memory). */
enum ff_ingest_refusal ff_ingest_refusal_of_frame(int err);
/* The reason a batch decode error counts as (FF_BATCH_E*, else out of memory). */
enum ff_ingest_refusal ff_ingest_refusal_of_batch(int err);

typedef struct ff_ingest_stats {
	uint64_t messages;	    /* ZeroMQ messages received */
	uint64_t hellos;	    /* valid Hellos */
	uint64_t batches_stored;    /* acknowledged OK */
	uint64_t batches_duplicate; /* acknowledged DUPLICATE */
	uint64_t batches_conflicting; /* stored though their identity was, with other content */
	uint64_t batches_rejected;  /* acknowledged REJECTED */
	uint64_t bad_frame;	    /* framing refused; dropped */
	uint64_t bad_hello;	    /* Hello not decodable or bad agent id; dropped */
	uint64_t bad_batch;	    /* batch not decodable (REJECTED or dropped) */
	uint64_t store_errors;	    /* append failed; REJECTED */
	uint64_t unknown_type;	    /* message types we do not handle; ignored */
	uint64_t send_errors;	    /* an ack could not be sent */
	uint64_t policy_acks;	    /* valid PolicyAcks */
	uint64_t bad_policy_ack;    /* PolicyAck not decodable; dropped */
	uint64_t untrusted;	    /* refused by the trust (pending, spoofed, revoked key) */
	uint64_t refused[FF_INGEST_REFUSED_COUNT]; /* bad_frame and bad_batch by reason */
	ff_ingest_conn_stats conns; /* the agents' connections (zeros before the start) */
} ff_ingest_stats;

/* What the ingest works on; every pointer is borrowed and must outlive it. */
typedef struct ff_ingest_deps {
	ff_store *store;
	ff_dedup *dedup;
	ff_sessions *sessions;
	ff_policy_push *push; /* NULL: no policies pushed; owned by the ingest thread once started */
	ff_trust *trust;      /* NULL: --insecure-plaintext, no key is asked for */
	const char *curve_secret; /* the server's secret key (Z85) when trust is set; copied */
	size_t max_connections;	  /* agent connections open at most (ingest_conns.h); 0 acts as 1 */
	uint64_t handshake_ms;	  /* ZMQ_HANDSHAKE_IVL; 0 leaves ZeroMQ's 30 s */
	uint64_t heartbeat_ms;	  /* ZMQ_HEARTBEAT_IVL (timeout 3x); 0 for none */
} ff_ingest_deps;

/* An ingest without a socket, for ff_ingest_handle() (tests). NULL when out of memory. */
ff_ingest *ff_ingest_new(const ff_ingest_deps *deps);

/*
 * Binds a ROUTER socket of `zmq_ctx` to `endpoint` and starts the thread.
 * With a trust the socket is a CURVE server of ZAP domain "flowfleet" whose
 * ZAP handler (trust_zap.h) must already run in `zmq_ctx`.
 * Returns 0, or -1 with the reason logged (e.g. the address is in use).
 */
int ff_ingest_start(ff_ingest *ing, void *zmq_ctx, const char *endpoint);

/*
 * Asks the thread to stop after the message in hand (its ack is sent),
 * joins it and closes the socket. Safe on an ingest never started.
 */
void ff_ingest_stop(ff_ingest *ing);

/* Frees an ingest (stopping it first). NULL is accepted. */
void ff_ingest_free(ff_ingest *ing);

/*
 * Handles one received frame from `peer` (may be NULL). When an answer is
 * due, *reply is a malloc'd frame the caller sends and frees; else NULL.
 * Called by the thread; exposed so tests can drive it without sockets.
 */
void ff_ingest_handle(ff_ingest *ing, const uint8_t *frame, size_t len, const char *peer,
		      uint8_t **reply, size_t *reply_len);

/* False after the last append failed, until one succeeds (for /healthz). */
bool ff_ingest_store_ok(const ff_ingest *ing);

/* A snapshot of the counters; callable from any thread. */
void ff_ingest_get_stats(const ff_ingest *ing, ff_ingest_stats *out);

#endif
