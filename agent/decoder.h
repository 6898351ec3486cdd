#ifndef FF_DECODER_H
#define FF_DECODER_H

/*
 * The decoder interface: one implementation per export protocol (NetFlow v5
 * today; v9, IPFIX and sFlow plug in the same way). A decoder turns one
 * datagram into canonical ff_flow records and hands each to a sink; it never
 * keeps a pointer to the packet.
 *
 * A packet is checked whole before any record is emitted, so a malformed
 * packet contributes nothing: it is rejected with one ff_decode_error, which
 * the caller counts per exporter (exporter_stats.h).
 */

#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

/* Why a packet was rejected. The values are stable: exporter_stats maps them to counter names. */
enum ff_decode_error {
	FF_DECODE_ESHORT = -1,	  /* shorter than the protocol's header */
	FF_DECODE_EBADCOUNT = -2, /* record count outside what the protocol allows */
	FF_DECODE_ETRUNC = -3,	  /* the header promises more records than the packet holds */
	FF_DECODE_EVERSION = -4,  /* a version no decoder handles (yet) */
};

/* Receives each decoded record; `f` is borrowed for the duration of the call. */
typedef void (*ff_decode_emit_fn)(void *arg, const ff_flow *f);

/*
 * Per-listener decoding context. Stateless protocols (v5) only use the sink;
 * template-based ones (v9, IPFIX) will keep their template cache here.
 */
typedef struct ff_decoder_ctx {
	ff_decode_emit_fn emit;
	void *emit_arg;
} ff_decoder_ctx;

typedef struct ff_decoder {
	const char *name;
	/*
	 * Decodes one datagram from `exporter` (16-byte address, v4-mapped for
	 * IPv4) received at `now_ms` (unix ms). Returns the number of records
	 * emitted (>= 0) or an ff_decode_error; on error nothing was emitted.
	 */
	int (*decode)(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		      const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms);
} ff_decoder;

/* NetFlow v5 (decode_nf5.c). */
extern const ff_decoder ff_decoder_nf5;

/*
 * Picks the decoder by the datagram's leading version field and runs it
 * (decode_dispatch.c). Same return convention as ff_decoder.decode.
 */
int ff_decode_dispatch(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		       const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms);

#endif
