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
	/*
	 * The framed message the batch was decoded from, when it came off the
	 * wire (borrowed, NULL otherwise; ff_batch_decode() leaves it NULL and
	 * the receiver sets it): a journal can keep those bytes as they are
	 * instead of encoding the records again.
	 */
	const uint8_t *wire_frame;
	size_t wire_frame_len;
} ff_batch;

/* True if `id` is a valid agent id. */
bool ff_agent_id_valid(const char *id);

/*
 * Records one batch may carry in protocol version 2 (a decoder bound: a
 * hostile count cannot make the aggregator allocate more than this many
 * records, 128 MiB), and in either version when received from a peer
 * (ff_batch_decode_received). ff_batch_decode() of our own files takes
 * larger version 1 batches, which old agents sent and journals kept.
 */
#define FF_BATCH_MAX_RECORDS (1u << 20)

/* The FlowBatch layouts (docs/protocol.md). */
enum ff_batch_wire {
	FF_BATCH_WIRE_RECORDS = 1, /* one FlowRecord message a record */
	FF_BATCH_WIRE_COLUMNS = 2, /* packed columns */
	FF_BATCH_WIRE_CODED = 3,   /* packed columns, skewed ones Huffman-coded */
};

/*
 * Yields the next record to encode, or NULL at the end. The record must stay
 * valid (and unchanged) until ff_batch_encode_stream() returns.
 */
typedef const ff_flow *(*ff_batch_next_fn)(void *arg);

/*
 * Encodes one framed FF_MSG_BATCH of wire version `wire` (enum
 * ff_batch_wire) with the header fields of `head` (its records are
 * ignored), taking records from next(arg) until it yields NULL, or
 * `max_records` were taken, or the encoded columns reach about `max_bytes`
 * (0: no bound; version 2 takes at most FF_BATCH_MAX_RECORDS). It never
 * takes a record it does not encode. *n_taken says how many it took; a
 * batch of 0 records is still encoded. On success *frame is malloc'd (the
 * caller frees it). Returns 0, -ENOMEM, -EINVAL (unknown version) or
 * FF_FRAME_ETOOBIG.
 *
 * Version 2 encodes the records in its own order (the batch is a set).
 */
int ff_batch_encode_stream(const ff_batch *head, ff_batch_next_fn next, void *arg,
			   size_t max_records, size_t max_bytes, unsigned wire, uint8_t **frame,
			   size_t *frame_len, size_t *n_taken);

/*
 * Encodes `b` (borrowed) with every record as one framed FF_MSG_BATCH of
 * FF_PROTOCOL_VERSION (version 1 when it holds more than
 * FF_BATCH_MAX_RECORDS). On success *frame is malloc'd; the caller frees it
 * with free(). Returns 0, -ENOMEM or FF_FRAME_ETOOBIG.
 */
int ff_batch_encode(const ff_batch *b, uint8_t **frame, size_t *frame_len);

/* ff_batch_encode() in an explicit wire version (enum ff_batch_wire). */
int ff_batch_encode_wire(const ff_batch *b, unsigned wire, uint8_t **frame, size_t *frame_len);

/*
 * Decodes the payload of an FF_MSG_BATCH frame (already de-framed), of
 * either wire version, into *out, which the caller releases with
 * ff_batch_release(). Every record and every column length is checked; on
 * error nothing is allocated. Returns 0, an FF_BATCH_E* code
 * (common/ff_err.h) or -ENOMEM.
 */
int ff_batch_decode(const uint8_t *payload, size_t len, ff_batch *out);

/*
 * What a received FlowBatch payload claims, read without decoding it:
 * nothing is allocated, whatever the bytes say.
 */
typedef struct ff_batch_claim {
	char agent_id[FF_AGENT_ID_MAX + 1]; /* "" when absent or not a valid id */
	uint64_t epoch, sequence;
	uint64_t v1_records;  /* FlowRecord messages (version 1) */
	size_t v1_min_record; /* bytes of the smallest of them */
	uint64_t v2_records;  /* record_count (version 2) */
	bool flows_column;    /* version 2: the flows column is not empty */
} ff_batch_claim;

/* Reads the claim of `payload`. Returns 0 or FF_BATCH_EPROTO (not a protobuf message). */
int ff_batch_claim_read(const uint8_t *payload, size_t len, ff_batch_claim *c);

/*
 * Whether a claim is one an agent makes, for a payload of `len` bytes: at
 * least one record (FF_BATCH_ENORECORDS), at most FF_BATCH_MAX_RECORDS
 * (FF_BATCH_ETOOMANY), no record of zero flows where that shows without
 * decoding (an empty version 1 record or version 2 flows column:
 * FF_BATCH_EEMPTY), and enough bytes for the records (16 a version 1
 * record, a byte a version 2 record past 1,024: FF_BATCH_ESPARSE).
 * Returns 0 or that code.
 */
int ff_batch_claim_check(const ff_batch_claim *c, size_t len);

/*
 * ff_batch_decode() of a payload received from a peer: the claim is read
 * into *claim and checked first, so the decoder never allocates for a claim
 * refused, and a decoded record of zero flows refuses the batch
 * (FF_BATCH_EEMPTY). *claim is filled as far as it could be read, also on
 * error (to answer the agent it names). Returns as ff_batch_decode() and
 * ff_batch_claim_check() do; on error nothing is allocated.
 */
int ff_batch_decode_received(const uint8_t *payload, size_t len, ff_batch *out,
			     ff_batch_claim *claim);

/* Frees the records of a batch filled by ff_batch_decode(). */
void ff_batch_release(ff_batch *b);

#endif
