#ifndef FF_FRAME_H
#define FF_FRAME_H

/*
 * Wire framing of every ZeroMQ message between agent and aggregator: a
 * 12-byte header followed by a protobuf payload, lz4-compressed when it pays.
 * The byte layout is specified in docs/protocol.md:
 *
 *   0  2  magic "FF" (0x46 0x46)
 *   2  1  framing version (FF_FRAME_VERSION; 2 or 3 for a columnar FlowBatch)
 *   3  1  message type (enum ff_msg_type)
 *   4  1  compression (enum ff_frame_compression)
 *   5  3  reserved, zero
 *   8  4  payload length after decompression, little-endian
 *  12  .. payload (the rest of the ZeroMQ frame)
 */

#include "ff_err.h"

#include <stddef.h>
#include <stdint.h>

#define FF_FRAME_MAGIC0	 0x46
#define FF_FRAME_MAGIC1	 0x46
#define FF_FRAME_VERSION 1
/*
 * A frame's version byte says how its payload is laid out: every message is
 * version 1 except a columnar (protocol version 2) FlowBatch, which is 2, so
 * an aggregator that predates columns refuses it (and the agent keeps it)
 * instead of storing it as an empty batch; a FlowBatch with coded columns
 * (protocol version 3) is 3, so one that predates those refuses it in turn.
 * Receivers accept 1..MAX.
 */
#define FF_FRAME_VERSION_MAX 3
#define FF_FRAME_HEADER_LEN  12
/* Protocol version carried in Hello; bumped when older peers cannot cope. */
#define FF_PROTOCOL_VERSION 3
/* The oldest protocol version the aggregator still accepts (docs/protocol.md). */
#define FF_PROTOCOL_VERSION_MIN 1
/*
 * Bound on a decompressed payload received over the wire: a hostile header
 * cannot make a peer allocate more. Agents send batches of at most
 * --batch-max-bytes (32M at most, 4M by default), so this leaves room.
 */
#define FF_FRAME_MAX_PAYLOAD (64u * 1024 * 1024)
/*
 * Bound on a frame read back from our own files (journal entries, the
 * agent's spool), which earlier versions wrote with a larger wire bound.
 */
#define FF_FRAME_MAX_STORED (256u * 1024 * 1024)
/*
 * How much an lz4 body may expand. LZ4 reaches about 255:1 only on runs of
 * one byte; real batches compress 2-5:1. A frame claiming more is a small
 * frame built to cost a large allocation and decode, refused before either.
 */
#define FF_FRAME_MAX_RATIO 100

enum ff_msg_type {
	FF_MSG_HELLO = 1,
	FF_MSG_BATCH = 2,
	FF_MSG_ACK = 3,
	FF_MSG_POLICY = 4,     /* aggregator -> agent, docs/policy.md */
	FF_MSG_POLICY_ACK = 5, /* agent -> aggregator */
};

enum ff_frame_compression {
	FF_COMP_NONE = 0,
	FF_COMP_LZ4 = 1, /* LZ4 block format, LZ4_compress_default */
};

typedef struct ff_frame_header {
	uint8_t version;
	uint8_t type;
	uint8_t compression;
	uint32_t raw_len;
} ff_frame_header;

/*
 * Frames `payload` (the packed protobuf message) as message `type`. Payloads
 * of 256 bytes or more are lz4-compressed unless compression does not shrink
 * them. On success *out is a malloc'd buffer the caller frees with free().
 * Returns 0, FF_FRAME_ETOOBIG or -ENOMEM (codes of common/ff_err.h).
 */
int ff_frame_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t **out,
		    size_t *out_len);

/* ff_frame_encode() with an explicit framing version (1..FF_FRAME_VERSION_MAX). */
int ff_frame_encode_version(uint8_t version, uint8_t type, const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *out_len);

/*
 * Parses and checks the header of a received frame: magic, version,
 * compression, the payload length (at most FF_FRAME_MAX_PAYLOAD) and, for
 * lz4, the expansion it claims (at most FF_FRAME_MAX_RATIO). Returns 0 or an
 * FF_FRAME_E* code.
 */
int ff_frame_parse_header(const uint8_t *buf, size_t len, ff_frame_header *h);

/*
 * Checks the header and yields the decompressed payload. *payload is malloc'd
 * (caller frees with free()); it may be empty (len 0, pointer non-NULL).
 * Returns 0, an FF_FRAME_E* code or -ENOMEM; nothing is allocated on error.
 */
int ff_frame_decode(const uint8_t *buf, size_t len, ff_frame_header *h, uint8_t **payload,
		    size_t *payload_len);

/* ff_frame_decode() of a frame from our own files: payloads up to FF_FRAME_MAX_STORED. */
int ff_frame_decode_stored(const uint8_t *buf, size_t len, ff_frame_header *h, uint8_t **payload,
			   size_t *payload_len);

#endif
