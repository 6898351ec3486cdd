#include "decoder.h"
#include "ff_bytes.h"
#include "seqloss.h"

#include <string.h>

/*
 * NetFlow v5: a 24-byte header followed by `count` 48-byte records, all
 * fields big-endian. Layout as published by Cisco ("NetFlow Export Datagram
 * Format", version 5); every offset used below is checked against the packet
 * length before it is read.
 */
#define NF5_HEADER_LEN 24
#define NF5_RECORD_LEN 48
#define NF5_MAX_COUNT  30

struct nf5_header {
	uint16_t count;
	uint32_t sys_uptime; /* ms since the exporter booted */
	uint64_t unix_ms;    /* export time */
	uint32_t sampling;   /* 1 in N; 0 when not sampled */
	uint32_t flow_seq;   /* flows exported before this packet */
	uint32_t engine;     /* engine type << 8 | engine id: the sequence's domain */
};

/*
 * Converts a sysUptime stamp to unix ms. The age is taken as a signed 32-bit
 * difference so the uptime counter wrapping (every 49.7 days) between the
 * flow's start and the export gives the right answer, and an exporter that
 * stamps a flow a few ms after its own header time does not jump 49 days.
 */
static uint64_t nf5_abs_ms(const struct nf5_header *h, uint32_t uptime_stamp)
{
	int64_t age = (int32_t)(h->sys_uptime - uptime_stamp);
	int64_t abs_ms = (int64_t)h->unix_ms - age;
	return abs_ms < 0 ? 0 : (uint64_t)abs_ms;
}

static int nf5_parse_header(const uint8_t *pkt, size_t len, struct nf5_header *h)
{
	if (len < NF5_HEADER_LEN)
		return FF_DECODE_ESHORT;
	if (ff_get_be16(pkt) != 5)
		return FF_DECODE_EVERSION;
	h->count = ff_get_be16(pkt + 2);
	if (h->count == 0 || h->count > NF5_MAX_COUNT)
		return FF_DECODE_EBADCOUNT;
	if (len < NF5_HEADER_LEN + (size_t)h->count * NF5_RECORD_LEN)
		return FF_DECODE_ETRUNC;
	h->sys_uptime = ff_get_be32(pkt + 4);
	h->unix_ms = (uint64_t)ff_get_be32(pkt + 8) * 1000 + ff_get_be32(pkt + 12) / 1000000;
	/* The top two bits are the sampling mode; the low 14 the interval. */
	h->sampling = ff_get_be16(pkt + 22) & 0x3fff;
	h->flow_seq = ff_get_be32(pkt + 16);
	h->engine = ff_get_be16(pkt + 20);
	return 0;
}

static void nf5_record(const struct nf5_header *h, const uint8_t *r,
		       const uint8_t exporter[FF_ADDR_LEN], ff_flow *f)
{
	memset(f, 0, sizeof *f);
	ff_addr_from_v4(f->src_addr, ff_get_be32(r + 0));
	ff_addr_from_v4(f->dst_addr, ff_get_be32(r + 4));
	/* r + 8 is the next hop, which the canonical record does not carry. */
	f->in_if = ff_get_be16(r + 12);
	f->out_if = ff_get_be16(r + 14);
	f->packets = ff_get_be32(r + 16);
	f->bytes = ff_get_be32(r + 20);
	f->first_ms = nf5_abs_ms(h, ff_get_be32(r + 24));
	f->last_ms = nf5_abs_ms(h, ff_get_be32(r + 28));
	f->src_port = ff_get_be16(r + 32);
	f->dst_port = ff_get_be16(r + 34);
	f->tcp_flags = r[37];
	f->proto = r[38];
	f->tos = r[39];
	f->src_as = ff_get_be16(r + 40);
	f->dst_as = ff_get_be16(r + 42);
	/* r[44], r[45] are the prefix masks, not part of the canonical record. */
	f->sampling_rate = h->sampling;
	f->flows = 1;
	memcpy(f->exporter, exporter, FF_ADDR_LEN);
}

static int nf5_decode(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		      const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	struct nf5_header h;
	int rc = nf5_parse_header(pkt, len, &h);
	if (rc != 0)
		return rc;
	ff_decoder_seq(ctx, exporter, h.engine, FF_SEQ_V5_FLOWS, h.flow_seq, h.count, now_ms);
	for (size_t i = 0; i < h.count; i++) {
		ff_flow f;
		nf5_record(&h, pkt + NF5_HEADER_LEN + i * NF5_RECORD_LEN, exporter, &f);
		/* Scales bytes and packets by the header's sampling interval. */
		ff_decoder_emit(ctx, &f);
	}
	return h.count;
}

const ff_decoder ff_decoder_nf5 = {
    .name = "netflow5",
    .decode = nf5_decode,
};
