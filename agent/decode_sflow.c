#include "decoder.h"

#include "exporter_stats.h"
#include "ff_bytes.h"
#include "packet_headers.h"
#include "seqloss.h"
#include "sflow_counters.h"

#include <stdbool.h>
#include <string.h>

/*
 * sFlow version 5 (sflow_version_5.txt, InMon 2004): XDR encoding, so every
 * field is a big-endian 32-bit word or a multiple of one. A datagram is a
 * header and a list of samples, each sample a list of records; samples and
 * records carry a data_format (20-bit enterprise, 12-bit format) and a
 * length, so anything unknown is skipped by its length.
 *
 * The whole datagram is checked before anything is emitted or counted: the
 * same walk runs twice, first without effects (any inconsistency rejects
 * the datagram), then emitting. The walk is deterministic, so the second
 * pass cannot fail. Each loop consumes at least one word per iteration from
 * a bounded cursor, so no loop can run without advancing.
 *
 * Each flow sample yields one flow: one sampled packet, whose bytes are the
 * frame length of its raw header record (or the IP length of a sampled
 * IPv4/IPv6 record), with the sample's rate as sampling_rate; scaling by the
 * rate happens in ff_decoder_emit(). The flow's exporter is the datagram's
 * UDP source address, as for every other protocol, not the agent address
 * inside the datagram: per-exporter counters and the `exporter` element then
 * mean the same thing whatever the protocol. The agent address keys only the
 * interface counter table (sflow_counters.h).
 */

#define SFL_VERSION	 5
#define SFL_ADDR_UNKNOWN 0
#define SFL_ADDR_IPV4	 1
#define SFL_ADDR_IPV6	 2

/* data_format values: enterprise 0, the standard formats. */
#define SFL_SAMPLE_FLOW		     1
#define SFL_SAMPLE_COUNTERS	     2
#define SFL_SAMPLE_FLOW_EXPANDED     3
#define SFL_SAMPLE_COUNTERS_EXPANDED 4

#define SFL_REC_RAW_HEADER   1
#define SFL_REC_SAMPLED_IPV4 3
#define SFL_REC_SAMPLED_IPV6 4
#define SFL_REC_EXT_SWITCH   1001
#define SFL_REC_EXT_ROUTER   1002
#define SFL_REC_EXT_GATEWAY  1003
#define SFL_REC_IF_COUNTERS  1

#define SFL_SAMPLED_IPV4_LEN 32
#define SFL_SAMPLED_IPV6_LEN 56
#define SFL_IF_COUNTERS_LEN  88
/* Every sample and record starts with data_format and length. */
#define SFL_TLV_HEADER 8
/* "ifIndex not known" (input) and "internal" (output) in the 30-bit index form. */
#define SFL_IF_UNKNOWN 0x3fffffffu

/* A bounded read position; a failed read leaves it unchanged. */
struct sfl_cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static bool sfl_u32(struct sfl_cur *c, uint32_t *v)
{
	if (c->len - c->off < 4)
		return false;
	*v = ff_get_be32(c->p + c->off);
	c->off += 4;
	return true;
}

/* One bound check for both halves: reading them through sfl_u32 would
 * ignore two results that cannot fail, and leave gcc unsure they are set. */
static bool sfl_u64(struct sfl_cur *c, uint64_t *v)
{
	if (c->len - c->off < 8)
		return false;
	const uint8_t *p = c->p + c->off;
	*v = ff_get_be64(p);
	c->off += 8;
	return true;
}

/* Takes `n` bytes: returns their start or NULL if fewer remain. */
static const uint8_t *sfl_take(struct sfl_cur *c, size_t n)
{
	if (c->len - c->off < n)
		return NULL;
	const uint8_t *p = c->p + c->off;
	c->off += n;
	return p;
}

/* The next `n` bytes as a cursor of their own; false if fewer remain. */
static bool sfl_sub(struct sfl_cur *c, size_t n, struct sfl_cur *sub)
{
	const uint8_t *p = sfl_take(c, n);
	if (p == NULL)
		return false;
	*sub = (struct sfl_cur){.p = p, .len = n, .off = 0};
	return true;
}

/* Reads a data_format/length pair and carves the body; `err` if it runs past `c`. */
static int sfl_tlv(struct sfl_cur *c, uint32_t *format, struct sfl_cur *body, int err)
{
	uint32_t len;
	if (!sfl_u32(c, format) || !sfl_u32(c, &len) || !sfl_sub(c, len, body))
		return err;
	return 0;
}

/* An XDR `address` union; IPv4 comes out v4-mapped, "unknown" as all zeros. */
static bool sfl_address(struct sfl_cur *c, uint8_t out[FF_ADDR_LEN])
{
	uint32_t type;
	const uint8_t *a;
	memset(out, 0, FF_ADDR_LEN);
	if (!sfl_u32(c, &type))
		return false;
	switch (type) {
	case SFL_ADDR_UNKNOWN:
		return true;
	case SFL_ADDR_IPV4:
		if ((a = sfl_take(c, 4)) == NULL)
			return false;
		ff_addr_from_v4(out, ff_get_be32(a));
		return true;
	case SFL_ADDR_IPV6:
		if ((a = sfl_take(c, FF_ADDR_LEN)) == NULL)
			return false;
		memcpy(out, a, FF_ADDR_LEN);
		return true;
	default:
		return false;
	}
}

struct sfl_datagram {
	uint8_t agent[FF_ADDR_LEN];
	uint32_t sub_agent;
	uint32_t sequence;
	uint32_t uptime_ms;
	uint32_t n_samples;
};

/* Everything one walk needs; `emit` is false in the checking pass. */
struct sfl_walk {
	ff_decoder_ctx *ctx;
	const uint8_t *exporter;
	uint64_t now_ms;
	const struct sfl_datagram *dg;
	bool emit;
	int flows;
	uint64_t counter_samples;
};

/* What the records of one flow sample said. */
struct sfl_flow_acc {
	const uint8_t *header; /* raw packet header record: the sampled bytes */
	uint32_t header_len;
	uint32_t header_proto;
	uint32_t frame_len;
	const uint8_t *ip; /* sampled IPv4 or IPv6 record body, when no header came */
	uint32_t ip_format;
	uint32_t src_as;
	uint32_t dst_as;
};

/* Raw packet header (0:1): header_protocol, frame_length, stripped, header_length, header. */
static int sfl_rec_header(struct sfl_cur *r, struct sfl_flow_acc *acc)
{
	uint32_t proto, frame_len, stripped, hlen;
	if (!sfl_u32(r, &proto) || !sfl_u32(r, &frame_len) || !sfl_u32(r, &stripped) ||
	    !sfl_u32(r, &hlen))
		return FF_DECODE_EBADRECORD;
	const uint8_t *h = sfl_take(r, hlen);
	if (h == NULL)
		return FF_DECODE_EBADRECORD;
	/* A sample carries one sampled packet; should a second header come, the first stands. */
	if (acc->header == NULL) {
		acc->header = h;
		acc->header_len = hlen;
		acc->header_proto = proto;
		acc->frame_len = frame_len;
	}
	return 0;
}

static int sfl_rec_sampled_ip(struct sfl_cur *r, uint32_t format, struct sfl_flow_acc *acc)
{
	size_t need = format == SFL_REC_SAMPLED_IPV4 ? SFL_SAMPLED_IPV4_LEN : SFL_SAMPLED_IPV6_LEN;
	const uint8_t *body = sfl_take(r, need);
	if (body == NULL)
		return FF_DECODE_EBADRECORD;
	if (acc->ip == NULL) {
		acc->ip = body;
		acc->ip_format = format;
	}
	return 0;
}

/*
 * Extended gateway (0:1003): next hop, as, src_as, src_peer_as, then the
 * destination AS path as segments of ASes. The destination AS is the last
 * AS of the path (its origin); an empty path means the destination is in
 * the router's own AS, the `as` field. Communities and local preference
 * follow; nothing of them is kept, so they are not required to be present.
 */
static int sfl_rec_gateway(struct sfl_cur *r, struct sfl_flow_acc *acc)
{
	uint8_t next_hop[FF_ADDR_LEN];
	uint32_t my_as, src_as, src_peer_as, n_segments;
	if (!sfl_address(r, next_hop) || !sfl_u32(r, &my_as) || !sfl_u32(r, &src_as) ||
	    !sfl_u32(r, &src_peer_as) || !sfl_u32(r, &n_segments))
		return FF_DECODE_EBADRECORD;
	uint32_t dst_as = my_as;
	for (uint32_t s = 0; s < n_segments; s++) {
		uint32_t type, n_as;
		if (!sfl_u32(r, &type) || !sfl_u32(r, &n_as) || n_as > (r->len - r->off) / 4)
			return FF_DECODE_EBADRECORD;
		if (n_as > 0)
			dst_as = ff_get_be32(r->p + r->off + (size_t)(n_as - 1) * 4);
		r->off += (size_t)n_as * 4;
	}
	acc->src_as = src_as;
	acc->dst_as = dst_as;
	return 0;
}

/*
 * One flow record. Extended switch (VLANs) and router (next hop, masks)
 * records are checked for their size only: the canonical record has no
 * field for what they carry. Other formats and enterprises are skipped.
 */
static int sfl_flow_record(uint32_t format, struct sfl_cur *r, struct sfl_flow_acc *acc)
{
	uint8_t next_hop[FF_ADDR_LEN];
	switch (format) {
	case SFL_REC_RAW_HEADER:
		return sfl_rec_header(r, acc);
	case SFL_REC_SAMPLED_IPV4:
	case SFL_REC_SAMPLED_IPV6:
		return sfl_rec_sampled_ip(r, format, acc);
	case SFL_REC_EXT_SWITCH:
		return sfl_take(r, 16) != NULL ? 0 : FF_DECODE_EBADRECORD;
	case SFL_REC_EXT_ROUTER:
		return sfl_address(r, next_hop) && sfl_take(r, 8) != NULL ? 0
									  : FF_DECODE_EBADRECORD;
	case SFL_REC_EXT_GATEWAY:
		return sfl_rec_gateway(r, acc);
	default:
		return 0;
	}
}

/* The records of one flow sample; those of other enterprises are skipped. */
static int sfl_flow_records(struct sfl_cur *c, uint32_t n, struct sfl_flow_acc *acc)
{
	if (n > (c->len - c->off) / SFL_TLV_HEADER)
		return FF_DECODE_EBADCOUNT;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t format;
		struct sfl_cur r;
		int rc = sfl_tlv(c, &format, &r, FF_DECODE_EBADRECORD);
		if (rc == 0 && (format >> 12) == 0)
			rc = sfl_flow_record(format & 0xfff, &r, acc);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Fields of a sampled IPv4 (0:3) or IPv6 (0:4) record into the flow. */
static void sfl_flow_from_ip(const struct sfl_flow_acc *acc, ff_flow *f)
{
	const uint8_t *p = acc->ip;
	f->bytes = ff_get_be32(p);
	f->proto = (uint8_t)ff_get_be32(p + 4);
	size_t a = acc->ip_format == SFL_REC_SAMPLED_IPV4 ? 4 : FF_ADDR_LEN;
	if (a == 4) {
		ff_addr_from_v4(f->src_addr, ff_get_be32(p + 8));
		ff_addr_from_v4(f->dst_addr, ff_get_be32(p + 12));
	} else {
		memcpy(f->src_addr, p + 8, FF_ADDR_LEN);
		memcpy(f->dst_addr, p + 24, FF_ADDR_LEN);
	}
	const uint8_t *q = p + 8 + 2 * a;
	f->src_port = (uint16_t)ff_get_be32(q);
	f->dst_port = (uint16_t)ff_get_be32(q + 4);
	f->tcp_flags = (uint8_t)ff_get_be32(q + 8);
	/* IPv4 carries the ToS byte; IPv6 its "priority", the traffic class. */
	f->tos = (uint8_t)ff_get_be32(q + 12);
}

/*
 * Format 0 is a single ifIndex; 1 (packet discarded, value = reason) and 2
 * (several output interfaces, value = count) name no one interface, and
 * 0x3fffffff means unknown or internal: all of these become 0, the value
 * NetFlow uses for "no interface".
 */
static uint32_t sfl_if_expanded(uint32_t format, uint32_t value)
{
	return format == 0 && value != SFL_IF_UNKNOWN ? value : 0;
}

/* A sample's input or output interface in the 2-bit format / 30-bit value form. */
static uint32_t sfl_if_compact(uint32_t v)
{
	return sfl_if_expanded(v >> 30, v & 0x3fffffffu);
}

struct sfl_flow_sample {
	uint32_t sequence;
	uint32_t source_id; /* type << 24 | index, the key of the sample sequence */
	uint32_t rate;
	uint32_t in_if;
	uint32_t out_if;
	uint32_t n_records;
};

static int sfl_flow_sample_head(struct sfl_cur *s, bool expanded, struct sfl_flow_sample *h)
{
	uint32_t type = 0, index, pool, drops, in_fmt = 0, in, out_fmt = 0, out;
	bool ok = sfl_u32(s, &h->sequence) && (!expanded || sfl_u32(s, &type)) &&
		  sfl_u32(s, &index) && sfl_u32(s, &h->rate) && sfl_u32(s, &pool) &&
		  sfl_u32(s, &drops) && (!expanded || sfl_u32(s, &in_fmt)) && sfl_u32(s, &in) &&
		  (!expanded || sfl_u32(s, &out_fmt)) && sfl_u32(s, &out) &&
		  sfl_u32(s, &h->n_records);
	if (!ok)
		return FF_DECODE_EBADSET;
	if (expanded) {
		h->source_id = type << 24 | (index & 0xffffff);
		h->in_if = sfl_if_expanded(in_fmt, in);
		h->out_if = sfl_if_expanded(out_fmt, out);
	} else {
		h->source_id = index;
		h->in_if = sfl_if_compact(in);
		h->out_if = sfl_if_compact(out);
	}
	return 0;
}

static void sfl_flow_emit(struct sfl_walk *w, const struct sfl_flow_sample *h,
			  const struct sfl_flow_acc *acc)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	if (acc->header != NULL) {
		ff_pkthdr_parse(acc->header, acc->header_len, acc->header_proto, &f);
		f.bytes = acc->frame_len;
	} else if (acc->ip != NULL) {
		sfl_flow_from_ip(acc, &f);
	}
	f.packets = 1;
	f.flows = 1;
	f.first_ms = f.last_ms = w->now_ms;
	f.in_if = h->in_if;
	f.out_if = h->out_if;
	f.src_as = acc->src_as;
	f.dst_as = acc->dst_as;
	f.sampling_rate = h->rate;
	memcpy(f.exporter, w->exporter, FF_ADDR_LEN);
	ff_decoder_emit(w->ctx, &f);
}

static int sfl_flow_sample(struct sfl_walk *w, struct sfl_cur *s, bool expanded)
{
	struct sfl_flow_sample h;
	struct sfl_flow_acc acc;
	memset(&acc, 0, sizeof acc);
	int rc = sfl_flow_sample_head(s, expanded, &h);
	if (rc == 0)
		rc = sfl_flow_records(s, h.n_records, &acc);
	if (rc != 0)
		return rc;
	w->flows++;
	if (!w->emit)
		return 0;
	ff_decoder_seq(w->ctx, w->exporter, h.source_id, FF_SEQ_SFLOW_SAMPLES, h.sequence, 1,
		       w->now_ms);
	sfl_flow_emit(w, &h, &acc);
	return 0;
}

/* Generic interface counters (0:1), 88 bytes, kept for interface metrics. */
static int sfl_if_counters(struct sfl_walk *w, struct sfl_cur *r)
{
	ff_sflow_if_counters v;
	memset(&v, 0, sizeof v);
	bool ok = sfl_u32(r, &v.if_index) && sfl_u32(r, &v.if_type) && sfl_u64(r, &v.if_speed) &&
		  sfl_u32(r, &v.if_direction) && sfl_u32(r, &v.if_status) &&
		  sfl_u64(r, &v.in_octets) && sfl_u32(r, &v.in_ucast_pkts) &&
		  sfl_u32(r, &v.in_multicast_pkts) && sfl_u32(r, &v.in_broadcast_pkts) &&
		  sfl_u32(r, &v.in_discards) && sfl_u32(r, &v.in_errors) &&
		  sfl_u32(r, &v.in_unknown_protos) && sfl_u64(r, &v.out_octets) &&
		  sfl_u32(r, &v.out_ucast_pkts) && sfl_u32(r, &v.out_multicast_pkts) &&
		  sfl_u32(r, &v.out_broadcast_pkts) && sfl_u32(r, &v.out_discards) &&
		  sfl_u32(r, &v.out_errors) && sfl_u32(r, &v.promiscuous_mode);
	if (!ok)
		return FF_DECODE_EBADRECORD;
	if (w->emit && w->ctx->sflow_counters != NULL) {
		memcpy(v.agent, w->dg->agent, FF_ADDR_LEN);
		ff_sflow_counters_put_if(w->ctx->sflow_counters, &v, w->now_ms);
	}
	return 0;
}

/*
 * A counter sample (0:2) or expanded counter sample (0:4): counted, its
 * generic interface counters kept, every other record skipped by length.
 */
static int sfl_counter_sample(struct sfl_walk *w, struct sfl_cur *s, bool expanded)
{
	uint32_t seq, type, index, n;
	if (!sfl_u32(s, &seq) || (expanded && !sfl_u32(s, &type)) || !sfl_u32(s, &index) ||
	    !sfl_u32(s, &n))
		return FF_DECODE_EBADSET;
	if (n > (s->len - s->off) / SFL_TLV_HEADER)
		return FF_DECODE_EBADCOUNT;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t format;
		struct sfl_cur r;
		int rc = sfl_tlv(s, &format, &r, FF_DECODE_EBADRECORD);
		if (rc == 0 && format == SFL_REC_IF_COUNTERS)
			rc = sfl_if_counters(w, &r);
		if (rc != 0)
			return rc;
	}
	w->counter_samples++;
	if (w->emit && w->ctx->sflow_counters != NULL)
		ff_sflow_counters_count_sample(w->ctx->sflow_counters, n);
	return 0;
}

/* One sample by its data_format; discard samples (0:5) and unknown ones are skipped. */
static int sfl_sample(struct sfl_walk *w, uint32_t format, struct sfl_cur *s)
{
	switch (format) {
	case SFL_SAMPLE_FLOW:
		return sfl_flow_sample(w, s, false);
	case SFL_SAMPLE_FLOW_EXPANDED:
		return sfl_flow_sample(w, s, true);
	case SFL_SAMPLE_COUNTERS:
		return sfl_counter_sample(w, s, false);
	case SFL_SAMPLE_COUNTERS_EXPANDED:
		return sfl_counter_sample(w, s, true);
	default:
		return 0;
	}
}

/*
 * Walks the samples after the header. Bytes after the last declared sample
 * are ignored, as tcpdump and Wireshark do: some agents send them (stale
 * buffer contents), and the samples before them are sound.
 */
static int sfl_walk_samples(struct sfl_walk *w, struct sfl_cur c)
{
	if (w->dg->n_samples > (c.len - c.off) / SFL_TLV_HEADER)
		return FF_DECODE_EBADCOUNT;
	for (uint32_t i = 0; i < w->dg->n_samples; i++) {
		uint32_t format;
		struct sfl_cur s;
		int rc = sfl_tlv(&c, &format, &s, FF_DECODE_EBADSET);
		if (rc == 0)
			rc = sfl_sample(w, format, &s);
		if (rc != 0)
			return rc;
	}
	return w->flows;
}

static int sfl_parse_header(struct sfl_cur *c, struct sfl_datagram *dg)
{
	uint32_t version;
	if (!sfl_u32(c, &version))
		return FF_DECODE_ESHORT;
	if (version != SFL_VERSION)
		return FF_DECODE_EVERSION;
	/* An address type other than unknown, IPv4 and IPv6 is a layout we cannot follow. */
	if (c->len - c->off >= 4 && ff_get_be32(c->p + c->off) > SFL_ADDR_IPV6)
		return FF_DECODE_EVERSION;
	if (!sfl_address(c, dg->agent) || !sfl_u32(c, &dg->sub_agent) ||
	    !sfl_u32(c, &dg->sequence) || !sfl_u32(c, &dg->uptime_ms) ||
	    !sfl_u32(c, &dg->n_samples))
		return FF_DECODE_ESHORT;
	return 0;
}

static int sfl_decode(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		      const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	struct sfl_cur c = {.p = pkt, .len = len, .off = 0};
	struct sfl_datagram dg;
	int rc = sfl_parse_header(&c, &dg);
	if (rc != 0)
		return rc;
	struct sfl_walk w = {.ctx = ctx, .exporter = exporter, .now_ms = now_ms, .dg = &dg};
	rc = sfl_walk_samples(&w, c);
	if (rc < 0)
		return rc;
	w = (struct sfl_walk){
	    .ctx = ctx, .exporter = exporter, .now_ms = now_ms, .dg = &dg, .emit = true};
	ff_decoder_seq(ctx, exporter, dg.sub_agent, FF_SEQ_SFLOW_DATAGRAMS, dg.sequence, 1, now_ms);
	rc = sfl_walk_samples(&w, c);
	if (w.counter_samples > 0)
		ff_decoder_event(ctx, exporter, FF_EV_COUNTER_SAMPLES, w.counter_samples, now_ms);
	return rc;
}

const ff_decoder ff_decoder_sflow = {
    .name = "sflow5",
    .decode = sfl_decode,
};
