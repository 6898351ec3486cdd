#ifndef FF_DECODE_TEMPLATE_H
#define FF_DECODE_TEMPLATE_H

/*
 * What NetFlow v9 (decode_nf9.c) and IPFIX (decode_ipfix.c) share once a
 * set has been framed: learning and withdrawing templates, decoding data
 * sets with their template (flows to the sink, options records to the
 * sampler tables), holding data sets whose template is still to come and
 * decoding them when it arrives. Internal to the two decoders.
 */

#include "decoder.h"
#include "template_cache.h"

#include <stddef.h>
#include <stdint.h>

/* One datagram being decoded. */
typedef struct ff__tpl_packet {
	ff_decoder_ctx *ctx;
	const uint8_t *exporter;
	uint64_t now_ms;
	ff_tpl_key key; /* exporter, proto and domain; the id is set per set */
	ff_export_hdr hdr;
	int records;	       /* flows emitted, held ones included */
	uint32_t data_records; /* flow and options records of this datagram's own sets */
	int unknown;	       /* a data set of unknown record count was seen */
} ff__tpl_packet;

/* Starts decoding a datagram of protocol `proto` (9 or 10) from `domain`. */
void ff__tpl_packet_init(ff__tpl_packet *pk, ff_decoder_ctx *ctx,
			 const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms, uint8_t proto,
			 uint32_t domain, const ff_export_hdr *hdr);

/*
 * Stores a parsed template (ownership taken; it is finished here and
 * rejected with FF_DECODE_EBADTEMPLATE if unusable), counts it, and
 * decodes the data sets held for it. Returns 0 or an ff_decode_error.
 */
int ff__tpl_learn(ff__tpl_packet *pk, ff_template *t);

/*
 * Counts template `id` of this packet's exporter as refused (`err`:
 * -ENOSPC beyond its fair share, -ENOMEM) and logs it, rate-limited.
 */
void ff__tpl_refused(ff__tpl_packet *pk, uint16_t id, int err);

/* IPFIX withdrawal of template `id`, or all (options or not) when id is 2 or 3. */
void ff__tpl_withdraw(ff__tpl_packet *pk, uint16_t set_id, uint16_t id);

/*
 * Decodes a data set `body` (after the set header) of set id `id`, or holds
 * it when its template is unknown. Returns 0 or FF_DECODE_EBADRECORD (a
 * record ran past the set; the records before it were kept).
 */
int ff__tpl_data_set(ff__tpl_packet *pk, uint16_t id, const uint8_t *body, size_t len);

/*
 * Ends a datagram: a partial malformation `err` (0 if none) is counted
 * when records were kept. Returns the decode result for the caller.
 */
int ff__tpl_packet_end(ff__tpl_packet *pk, int err);

/* Drops held data sets that waited too long, counting them as no_template. */
void ff__tpl_expire(ff_decoder_ctx *ctx, uint64_t now_ms);

#endif
