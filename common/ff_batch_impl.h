#ifndef FF_BATCH_IMPL_H
#define FF_BATCH_IMPL_H

/*
 * Shared by the batch codec's files: ff_batch.c (API, version 1 records,
 * decoding either version), ff_batch_stream.c (taking records in bounded
 * batches), ff_batch_columns.c (version 2 and 3 encoding, with
 * ff_batch_columns_code.c choosing version 3's codes) and
 * ff_batch_columns_decode.c (decoding). Not a public header.
 */

#include "ff_batch.h"
#include "flowfleet.pb-c.h"

/* Fills the header fields of `msg` (initialized by the caller) from `head`. */
void ff_batch_head_to_pb(const ff_batch *head, Flowfleet__FlowBatch *msg);

/* Packs `msg` and frames it with framing version `frame_version`. */
int ff_batch_pack_frame(const Flowfleet__FlowBatch *msg, uint8_t frame_version, uint8_t **frame,
			size_t *frame_len);

/* Version 1: one FlowRecord a record. */
int ff_batch_build_records(const ff_batch *head, const ff_flow *const *recs, size_t n,
			   uint8_t **frame, size_t *frame_len);

/*
 * Version 2: columns; with `coded`, integer columns may be coded
 * (ff_batch_huff.h) and the frame is framing version 3. Sorts `recs` (the
 * pointers, not the records).
 */
int ff_batch_build_columns(const ff_batch *head, const ff_flow **recs, size_t n, bool coded,
			   uint8_t **frame, size_t *frame_len);

/* About how many column bytes `f` costs in version 2, addresses excluded. */
size_t ff_batch_column_cost(const ff_flow *f, uint64_t interval_start_ms);

/*
 * True when the address can travel in a 4-byte column: v4-mapped, or the
 * zero address of a wildcarded field (then 0.0.0.0 stands for ::). A
 * v4-mapped 0.0.0.0 in a wildcarded field cannot (it would come back as ::).
 */
/*
 * Puts `recs` in the order a version 2 batch carries them (by source and
 * destination address, then first time). Returns 0 or -ENOMEM (order
 * unchanged).
 */
int ff_batch_order(const ff_flow **recs, size_t n);

bool ff_batch_addr_fits4(const uint8_t addr[FF_ADDR_LEN], bool wildcarded);

/* The integer columns of version 2, in field order; all travel as ff_batch_bits.h columns. */
enum ff_batch_col {
	FF_C_FIRST, /* first_ms - interval start, biased by FF_BATCH_BIAS */
	FF_C_DUR,   /* last_ms - first_ms, biased */
	FF_C_EXP_INDEX,
	FF_C_SRC_PORT,
	FF_C_DST_PORT,
	FF_C_PROTO,
	FF_C_TCP_FLAGS,
	FF_C_TOS,
	FF_C_IN_IF,
	FF_C_OUT_IF,
	FF_C_SRC_AS,
	FF_C_DST_AS,
	FF_C_BPP, /* bytes / packets */
	FF_C_PACKETS,
	FF_C_FLOWS,
	FF_C_SAMPLING,
	FF_C_WILDCARDS,
	FF_C_BYTES_REM, /* bytes % packets (all of bytes when packets is 0) */
	FF_C_N,
};

/*
 * An address column width (version 3): the 32-bit values of a width 4
 * column, as an int column (bit-packed or coded) instead of deltas.
 */
#define FF_BATCH_ADDR_INTCOL 0x84

/*
 * A column batch of more than this many records must have at least as many
 * payload bytes as records, or the aggregator refuses it (FF_BATCH_ESPARSE):
 * n distinct records need log2(n) bits of key columns a record. Records
 * need not be distinct (an sFlow flood samples identical packets in the
 * same millisecond), so the encoder sends such a batch as version 1 instead
 * (ff_batch_build_columns), whose records are never that small.
 */
#define FF_BATCH_V2_FREE_RECORDS 1024

/* Signed times are biased so that their order is the unsigned order of the column. */
#define FF_BATCH_BIAS (1ull << 63)

/* The field of `msg` that carries column `c`. */
ProtobufCBinaryData *ff_batch_col_field(Flowfleet__FlowBatch *msg, enum ff_batch_col c);

/* Version 2 columns of `msg` into a new record array (*recs, malloc'd). */
int ff_batch_decode_columns(Flowfleet__FlowBatch *msg, ff_flow **recs, size_t *n);

#endif
