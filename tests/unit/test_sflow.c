#include "ff_test.h"

#include "decoder.h"
#include "exporter_stats.h"
#include "sflow_counters.h"

#include <string.h>

/*
 * Hand-built sFlow v5 datagrams (layouts from sflow_version_5.txt), decoded
 * through the dispatcher as the agent does.
 */

struct sink {
	ff_flow recs[16];
	size_t n;
};

static void sink_emit(void *arg, const ff_flow *f)
{
	struct sink *s = arg;
	if (s->n < 16)
		s->recs[s->n++] = *f;
}

/* A datagram under construction; samples and records patch their length when closed. */
struct dg {
	uint8_t b[2048];
	size_t n;
};

static void put32(struct dg *d, uint32_t v)
{
	d->b[d->n++] = (uint8_t)(v >> 24);
	d->b[d->n++] = (uint8_t)(v >> 16);
	d->b[d->n++] = (uint8_t)(v >> 8);
	d->b[d->n++] = (uint8_t)v;
}

static void put_bytes(struct dg *d, const void *p, size_t n)
{
	memcpy(d->b + d->n, p, n);
	d->n += n;
	while (d->n % 4 != 0)
		d->b[d->n++] = 0; /* XDR pads opaque data to a word */
}

/* Writes data_format and a length to patch; returns where the length is. */
static size_t open_tlv(struct dg *d, uint32_t format)
{
	put32(d, format);
	put32(d, 0);
	return d->n - 4;
}

static void close_tlv(struct dg *d, size_t at)
{
	uint32_t len = (uint32_t)(d->n - at - 4);
	for (int i = 0; i < 4; i++)
		d->b[at + (size_t)i] = (uint8_t)(len >> (24 - 8 * i));
}

#define AGENT_V4 0xc0000202u /* 192.0.2.2 */

static void header_v4(struct dg *d, uint32_t seq, uint32_t n_samples)
{
	d->n = 0;
	put32(d, 5);
	put32(d, 1);
	put32(d, AGENT_V4);
	put32(d, 7); /* sub-agent */
	put32(d, seq);
	put32(d, 123456); /* uptime */
	put32(d, n_samples);
}

/* A compact flow sample header, `n_records` records to follow. */
static size_t flow_sample(struct dg *d, uint32_t rate, uint32_t in, uint32_t out,
			  uint32_t n_records)
{
	size_t at = open_tlv(d, 1);
	put32(d, 42);	      /* sample sequence */
	put32(d, 0x00000003); /* source id: ifIndex 3 */
	put32(d, rate);
	put32(d, 1000); /* sample pool */
	put32(d, 0);	/* drops */
	put32(d, in);
	put32(d, out);
	put32(d, n_records);
	return at;
}

/* Ethernet / IPv4 / TCP 10.1.1.1:40000 -> 10.2.2.2:443, flags SYN|ACK, ToS 0x20. */
static size_t eth_ipv4_tcp(uint8_t *p, int vlan)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	size_t n = 0;
	memcpy(p, mac, 12);
	n = 12;
	if (vlan) {
		const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x64};
		memcpy(p + n, tag, 4);
		n += 4;
	}
	const uint8_t rest[] = {0x08,
				0x00,
				/* IPv4 */ 0x45,
				0x20,
				0x05,
				0xdc,
				0,
				1,
				0x40,
				0,
				64,
				6,
				0,
				0,
				10,
				1,
				1,
				1,
				10,
				2,
				2,
				2,
				/* TCP */ 0x9c,
				0x40,
				0x01,
				0xbb,
				0,
				0,
				0,
				1,
				0,
				0,
				0,
				0,
				0x50,
				0x12,
				0xff,
				0xff,
				0,
				0,
				0,
				0};
	memcpy(p + n, rest, sizeof rest);
	return n + sizeof rest;
}

static void raw_header_record(struct dg *d, uint32_t frame_len, const uint8_t *h, size_t hlen)
{
	size_t at = open_tlv(d, 1);
	put32(d, 1); /* Ethernet */
	put32(d, frame_len);
	put32(d, 4); /* stripped: the FCS */
	put32(d, (uint32_t)hlen);
	put_bytes(d, h, hlen);
	close_tlv(d, at);
}

static const uint8_t exporter[FF_ADDR_LEN] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 9};

static int dispatch(const struct dg *d, size_t len, struct sink *s)
{
	ff_decoder_ctx ctx = {.emit = sink_emit, .emit_arg = s};
	return ff_decode_dispatch(&ctx, d->b, len, exporter, 1700000000000ull);
}

static void assert_v4(const uint8_t *addr, uint32_t v4)
{
	uint8_t want[FF_ADDR_LEN];
	ff_addr_from_v4(want, v4);
	assert_memory_equal(addr, want, FF_ADDR_LEN);
}

/* One flow sample with a raw Ethernet/IPv4/TCP header, 1 in 512. */
static void build_raw_ipv4(struct dg *d, int vlan)
{
	uint8_t h[128];
	size_t hlen = eth_ipv4_tcp(h, vlan);
	header_v4(d, 1, 1);
	size_t s = flow_sample(d, 512, 3, 5, 1);
	raw_header_record(d, 1518, h, hlen);
	close_tlv(d, s);
}

static void raw_header_ipv4_tcp(void **state)
{
	(void)state;
	struct dg d;
	build_raw_ipv4(&d, 0);
	struct sink s = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &s), 1);
	assert_int_equal(s.n, 1);
	const ff_flow *f = &s.recs[0];
	assert_v4(f->src_addr, 0x0a010101);
	assert_v4(f->dst_addr, 0x0a020202);
	assert_int_equal(f->src_port, 40000);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tcp_flags, 0x12);
	assert_int_equal(f->tos, 0x20);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 5);
	/* One sampled packet of 1518 bytes stands for 512 of them. */
	assert_int_equal(f->sampling_rate, 512);
	assert_int_equal(f->packets, 512);
	assert_int_equal(f->bytes, 1518ull * 512);
	assert_int_equal(f->flows, 1);
	assert_int_equal(f->first_ms, 1700000000000ull);
	assert_int_equal(f->last_ms, 1700000000000ull);
	/* The exporter is the UDP source, not the agent address in the datagram. */
	assert_memory_equal(f->exporter, exporter, FF_ADDR_LEN);
}

static void raw_header_vlan(void **state)
{
	(void)state;
	struct dg d;
	build_raw_ipv4(&d, 1);
	struct sink s = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &s), 1);
	assert_v4(s.recs[0].src_addr, 0x0a010101);
	assert_int_equal(s.recs[0].dst_port, 443);
}

static void raw_header_ipv6_extension(void **state)
{
	(void)state;
	uint8_t h[128] = {2,
			  0,
			  0,
			  0,
			  0,
			  1,
			  2,
			  0,
			  0,
			  0,
			  0,
			  2,
			  0x86,
			  0xdd,
			  /* IPv6, next header hop-by-hop */ 0x60,
			  0,
			  0,
			  0,
			  0,
			  16,
			  0,
			  64};
	size_t n = 22;
	h[n++] = 0x20; /* src 2001:db8::1 */
	h[n++] = 0x01;
	h[n++] = 0x0d;
	h[n++] = 0xb8;
	n += 11;
	h[n++] = 1;
	h[n++] = 0x20; /* dst 2001:db8::2 */
	h[n++] = 0x01;
	h[n++] = 0x0d;
	h[n++] = 0xb8;
	n += 11;
	h[n++] = 2;
	h[20] = 0;   /* next header: hop-by-hop */
	h[n++] = 17; /* hop-by-hop: next UDP, 8 bytes */
	n += 7;
	const uint8_t udp[8] = {0x02, 0x22, 0x02, 0x23, 0, 8, 0, 0};
	memcpy(h + n, udp, 8);
	n += 8;
	struct dg d;
	header_v4(&d, 1, 1);
	size_t s = flow_sample(&d, 1, 1, 2, 1);
	raw_header_record(&d, 90, h, n);
	close_tlv(&d, s);
	struct sink sk = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &sk), 1);
	const ff_flow *f = &sk.recs[0];
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->src_port, 546);
	assert_int_equal(f->dst_port, 547);
	assert_int_equal(f->src_addr[0], 0x20);
	assert_int_equal(f->src_addr[15], 1);
	assert_int_equal(f->dst_addr[15], 2);
	assert_int_equal(f->bytes, 90);
	assert_int_equal(f->packets, 1);
}

static void expanded_flow_sample(void **state)
{
	(void)state;
	struct dg d;
	header_v4(&d, 1, 1);
	size_t s = open_tlv(&d, 3);
	put32(&d, 9);	  /* sequence */
	put32(&d, 0);	  /* source id type */
	put32(&d, 70000); /* source id index: beyond the compact form's 24 bits is fine */
	put32(&d, 1000);  /* rate */
	put32(&d, 5000);
	put32(&d, 0);
	put32(&d, 0);	    /* input format: ifIndex */
	put32(&d, 2000000); /* input */
	put32(&d, 2);	    /* output format: several interfaces */
	put32(&d, 3);
	put32(&d, 1); /* one record: sampled IPv4 */
	size_t r = open_tlv(&d, 3);
	put32(&d, 576);	       /* IP length */
	put32(&d, 17);	       /* protocol */
	put32(&d, 0xc6336401); /* 198.51.100.1 */
	put32(&d, 0xcb007102); /* 203.0.113.2 */
	put32(&d, 53);
	put32(&d, 33000);
	put32(&d, 0);
	put32(&d, 0x10);
	close_tlv(&d, r);
	close_tlv(&d, s);
	struct sink sk = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &sk), 1);
	const ff_flow *f = &sk.recs[0];
	assert_int_equal(f->in_if, 2000000);
	assert_int_equal(f->out_if, 0);
	assert_v4(f->src_addr, 0xc6336401);
	assert_v4(f->dst_addr, 0xcb007102);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->src_port, 53);
	assert_int_equal(f->dst_port, 33000);
	assert_int_equal(f->tos, 0x10);
	assert_int_equal(f->bytes, 576ull * 1000);
	assert_int_equal(f->packets, 1000);
}

static void sampled_ipv6_and_gateway(void **state)
{
	(void)state;
	struct dg d;
	header_v4(&d, 1, 1);
	size_t s = flow_sample(&d, 10, 0x3fffffff, 0x40000001, 2);
	size_t r = open_tlv(&d, 4);
	put32(&d, 1280);
	put32(&d, 6);
	const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	put_bytes(&d, a, 16);
	put_bytes(&d, a, 16);
	put32(&d, 22);
	put32(&d, 50000);
	put32(&d, 0x18);
	put32(&d, 0);
	close_tlv(&d, r);
	r = open_tlv(&d, 1003);
	put32(&d, 1); /* next hop, IPv4 */
	put32(&d, 0x0a000001);
	put32(&d, 64500); /* router's AS */
	put32(&d, 64501); /* source AS */
	put32(&d, 64502); /* source peer AS */
	put32(&d, 2);	  /* two path segments */
	put32(&d, 2);	  /* AS_SEQUENCE */
	put32(&d, 2);
	put32(&d, 64510);
	put32(&d, 64511);
	put32(&d, 1); /* AS_SET */
	put32(&d, 1);
	put32(&d, 64999);
	put32(&d, 0);	/* communities */
	put32(&d, 100); /* local pref */
	close_tlv(&d, r);
	close_tlv(&d, s);
	struct sink sk = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &sk), 1);
	const ff_flow *f = &sk.recs[0];
	assert_memory_equal(f->src_addr, a, 16);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->dst_port, 50000);
	assert_int_equal(f->tcp_flags, 0x18);
	assert_int_equal(f->bytes, 12800);
	assert_int_equal(f->src_as, 64501);
	assert_int_equal(f->dst_as, 64999);
	/* Unknown ifIndex and a discard code are no interface. */
	assert_int_equal(f->in_if, 0);
	assert_int_equal(f->out_if, 0);
}

/* A counter sample with generic interface counters (0:1) and a host record (0:2000). */
static void counter_sample(struct dg *d, uint32_t format)
{
	size_t s = open_tlv(d, format);
	put32(d, 11); /* sequence */
	if (format == 4) {
		put32(d, 0);
		put32(d, 12);
	} else {
		put32(d, 12);
	}
	put32(d, 2);
	size_t r = open_tlv(d, 1);
	put32(d, 12); /* ifIndex */
	put32(d, 6);  /* ethernetCsmacd */
	put32(d, 0);
	put32(d, 1000000000); /* 1 Gbit/s */
	put32(d, 1);
	put32(d, 3);
	put32(d, 0);
	put32(d, 987654); /* in octets */
	for (int i = 0; i < 6; i++)
		put32(d, (uint32_t)i);
	put32(d, 1);
	put32(d, 0); /* out octets 2^32 */
	for (int i = 0; i < 5; i++)
		put32(d, 0);
	put32(d, 0);
	close_tlv(d, r);
	r = open_tlv(d, 2000);
	put32(d, 0xdeadbeef);
	close_tlv(d, r);
	close_tlv(d, s);
}

static void counter_samples_are_not_flows(void **state)
{
	(void)state;
	struct dg d;
	header_v4(&d, 1, 3);
	counter_sample(&d, 2);
	counter_sample(&d, 4);
	size_t s = flow_sample(&d, 1, 1, 2, 0);
	close_tlv(&d, s);
	struct sink sk = {.n = 0};
	ff_decoder_ctx ctx = {.emit = sink_emit, .emit_arg = &sk};
	ctx.sflow_counters = ff_sflow_counters_new(4);
	assert_non_null(ctx.sflow_counters);
	assert_int_equal(ff_decode_dispatch(&ctx, d.b, d.n, exporter, 5000), 1);
	/* Only the flow sample is a flow: one packet of unknown size. */
	assert_int_equal(sk.n, 1);
	assert_int_equal(sk.recs[0].packets, 1);
	assert_int_equal(sk.recs[0].bytes, 0);
	ff_sflow_counter_totals t = ff_sflow_counters_totals(ctx.sflow_counters);
	assert_int_equal(t.samples, 2);
	assert_int_equal(t.records, 4);
	assert_int_equal(t.if_records, 2);
	assert_int_equal(t.ifs_dropped, 0);
	uint8_t agent[FF_ADDR_LEN];
	ff_addr_from_v4(agent, AGENT_V4);
	const ff_sflow_if_counters *c = ff_sflow_counters_find(ctx.sflow_counters, agent, 12);
	assert_non_null(c);
	assert_int_equal(c->if_speed, 1000000000);
	assert_int_equal(c->if_status, 3);
	assert_int_equal(c->in_octets, 987654);
	assert_int_equal(c->in_unknown_protos, 5);
	assert_int_equal(c->out_octets, 1ull << 32);
	assert_int_equal(c->samples, 2);
	assert_int_equal(c->updated_ms, 5000);
	ff_sflow_counters_free(ctx.sflow_counters);
}

static void counter_table_bounded(void **state)
{
	(void)state;
	ff_sflow_counters *c = ff_sflow_counters_new(2);
	assert_non_null(c);
	ff_sflow_if_counters v;
	memset(&v, 0, sizeof v);
	for (uint32_t i = 1; i <= 3; i++) {
		v.if_index = i;
		assert_int_equal(ff_sflow_counters_put_if(c, &v, i), i <= 2 ? 0 : -1);
	}
	/* A known interface still updates when the table is full. */
	v.if_index = 2;
	assert_int_equal(ff_sflow_counters_put_if(c, &v, 9), 0);
	ff_sflow_counter_totals t = ff_sflow_counters_totals(c);
	assert_int_equal(t.if_records, 4);
	assert_int_equal(t.ifs_dropped, 1);
	size_t cursor = 0, n = 0;
	while (ff_sflow_counters_next(c, &cursor) != NULL)
		n++;
	assert_int_equal(n, 2);
	ff_sflow_counters_free(c);
}

/* One thread's entry for (agent 10.0.0.N, if_index) with `octets` in, received at `at`. */
static void put_if(ff_sflow_counters *c, uint32_t agent_v4, uint32_t if_index, uint64_t octets,
		   uint64_t at)
{
	ff_sflow_if_counters v;
	memset(&v, 0, sizeof v);
	ff_addr_from_v4(v.agent, agent_v4);
	v.if_index = if_index;
	v.in_octets = octets;
	assert_int_equal(ff_sflow_counters_put_if(c, &v, at), 0);
}

/* Two threads' tables: the newer sample of a shared interface wins, samples add up. */
static void counter_tables_merge(void **state)
{
	(void)state;
	ff_sflow_counters *a = ff_sflow_counters_new(8), *b = ff_sflow_counters_new(8);
	ff_sflow_counters *sum = ff_sflow_counters_new(3);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(sum);
	put_if(a, 0x0a000001, 1, 100, 1000);
	put_if(a, 0x0a000001, 2, 200, 1000);
	put_if(a, 0x0a000001, 2, 250, 3000); /* a's newest of if 2 */
	put_if(b, 0x0a000001, 2, 240, 2000); /* older than a's */
	put_if(b, 0x0a000001, 1, 150, 4000); /* newer than a's */
	put_if(b, 0x0a000002, 1, 7, 500);
	put_if(b, 0x0a000003, 1, 9, 500); /* a fourth interface: sum holds three */
	assert_int_equal(ff_sflow_counters_merge(sum, a), 0);
	assert_int_equal(ff_sflow_counters_merge(sum, b), 0);
	assert_int_equal(ff_sflow_counters_count(sum), 3);
	uint8_t agent[FF_ADDR_LEN];
	ff_addr_from_v4(agent, 0x0a000001);
	const ff_sflow_if_counters *e = ff_sflow_counters_find(sum, agent, 1);
	assert_non_null(e);
	assert_int_equal(e->in_octets, 150);
	assert_int_equal(e->updated_ms, 4000);
	assert_int_equal(e->samples, 2);
	e = ff_sflow_counters_find(sum, agent, 2);
	assert_non_null(e);
	assert_int_equal(e->in_octets, 250);
	assert_int_equal(e->updated_ms, 3000);
	assert_int_equal(e->samples, 3);
	ff_sflow_counter_totals t = ff_sflow_counters_totals(sum);
	assert_int_equal(t.if_records, 7);
	assert_int_equal(t.ifs_dropped, 1);
	/* Which of the two new agents found the table full is up to the hash order. */
	uint8_t agent3[FF_ADDR_LEN];
	ff_addr_from_v4(agent, 0x0a000002);
	ff_addr_from_v4(agent3, 0x0a000003);
	assert_true((ff_sflow_counters_find(sum, agent, 1) == NULL) !=
		    (ff_sflow_counters_find(sum, agent3, 1) == NULL));
	ff_sflow_counters_free(a);
	ff_sflow_counters_free(b);
	ff_sflow_counters_free(sum);
}

static void truncated_sample_rejected(void **state)
{
	(void)state;
	struct dg d;
	build_raw_ipv4(&d, 0);
	struct sink s = {.n = 0};
	/* The sample's length runs past the datagram's end. */
	assert_int_equal(dispatch(&d, d.n - 4, &s), FF_DECODE_EBADSET);
	/* A sample length far beyond the datagram (tcpdump's sflow_print-segv). */
	d.b[28 + 4] = 0x03;
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EBADSET);
	assert_int_equal(s.n, 0);
}

static void record_overrunning_sample_rejected(void **state)
{
	(void)state;
	struct dg d;
	build_raw_ipv4(&d, 0);
	struct sink s = {.n = 0};
	/* The raw header's header_length claims more than its record holds. */
	size_t hlen_at = 28 + 8 + 32 + 8 + 12;
	assert_int_equal(d.b[hlen_at + 3], 54);
	d.b[hlen_at + 3] = 200;
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EBADRECORD);
	/* A record count the sample cannot hold. */
	build_raw_ipv4(&d, 0);
	d.b[28 + 8 + 28 + 3] = 50;
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EBADCOUNT);
	/* A good sample before a bad one: nothing of the datagram is emitted. */
	header_v4(&d, 1, 2);
	size_t sm = flow_sample(&d, 1, 1, 2, 0);
	close_tlv(&d, sm);
	sm = flow_sample(&d, 1, 1, 2, 1);
	size_t r = open_tlv(&d, 1003);
	put32(&d, 9); /* next hop of an unknown address type */
	close_tlv(&d, r);
	close_tlv(&d, sm);
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EBADRECORD);
	assert_int_equal(s.n, 0);
}

static void unknown_records_and_samples_skipped(void **state)
{
	(void)state;
	uint8_t h[128];
	size_t hlen = eth_ipv4_tcp(h, 0);
	struct dg d;
	header_v4(&d, 1, 3);
	size_t s = open_tlv(&d, 5); /* a discard sample (0:5) */
	put32(&d, 1);
	put32(&d, 2);
	close_tlv(&d, s);
	s = open_tlv(&d, 4413u << 12 | 1); /* an enterprise sample */
	put32(&d, 0xffffffff);
	close_tlv(&d, s);
	s = flow_sample(&d, 2, 1, 2, 4);
	size_t r = open_tlv(&d, 4413u << 12 | 1); /* enterprise format 1 is not a header */
	put32(&d, 0xdeadbeef);
	close_tlv(&d, r);
	r = open_tlv(&d, 2100); /* an unknown standard format */
	close_tlv(&d, r);
	r = open_tlv(&d, 1001); /* extended switch */
	for (int i = 0; i < 4; i++)
		put32(&d, 100);
	close_tlv(&d, r);
	raw_header_record(&d, 60, h, hlen);
	close_tlv(&d, s);
	struct sink sk = {.n = 0};
	assert_int_equal(dispatch(&d, d.n, &sk), 1);
	assert_int_equal(sk.recs[0].dst_port, 443);
	assert_int_equal(sk.recs[0].bytes, 120);
	/* Stale bytes after the declared samples are ignored. */
	memset(d.b + d.n, 0xa5, 64);
	assert_int_equal(dispatch(&d, d.n + 64, &sk), 1);
}

static void header_variants(void **state)
{
	(void)state;
	struct dg d;
	struct sink s = {.n = 0};
	/* An IPv6 agent address. */
	d.n = 0;
	put32(&d, 5);
	put32(&d, 2);
	for (int i = 0; i < 4; i++)
		put32(&d, 0x20010db8);
	put32(&d, 0);
	put32(&d, 1);
	put32(&d, 1);
	put32(&d, 1);
	size_t sm = flow_sample(&d, 1, 1, 2, 0);
	close_tlv(&d, sm);
	assert_int_equal(dispatch(&d, d.n, &s), 1);
	/* Short of a full header. */
	assert_int_equal(dispatch(&d, 39, &s), FF_DECODE_ESHORT);
	assert_int_equal(dispatch(&d, 40, &s), FF_DECODE_EBADCOUNT);
	assert_int_equal(dispatch(&d, 4, &s), FF_DECODE_ESHORT);
	/* An address type that does not exist. */
	d.b[7] = 3;
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EVERSION);
	/* More samples than the datagram could hold. */
	header_v4(&d, 1, 1000);
	assert_int_equal(dispatch(&d, d.n, &s), FF_DECODE_EBADCOUNT);
	/* No samples at all is a valid, empty datagram. */
	header_v4(&d, 1, 0);
	assert_int_equal(dispatch(&d, d.n, &s), 0);
	assert_int_equal(s.n, 1);
}

static void sequence_loss_counted(void **state)
{
	(void)state;
	struct sink s = {.n = 0};
	ff_decoder_ctx ctx;
	assert_int_equal(ff_decoder_ctx_init(&ctx, sink_emit, &s), 0);
	ff_exporter_stats *st = ff_exporter_stats_new(4);
	assert_non_null(st);
	ctx.stats = st;
	struct dg d;
	/* Datagrams 1, 2 and 5 (two lost) carrying flow samples 42, 45 and 48 of one source (four
	 * lost). */
	const uint32_t seqs[] = {1, 2, 5};
	for (size_t i = 0; i < 3; i++) {
		build_raw_ipv4(&d, 0);
		d.b[16 + 3] = (uint8_t)seqs[i];
		d.b[28 + 8 + 3] = (uint8_t)(42 + i * 3);
		assert_int_equal(ff_decode_dispatch(&ctx, d.b, d.n, exporter, 1000), 1);
	}
	header_v4(&d, 6, 1);
	counter_sample(&d, 2);
	assert_int_equal(ff_decode_dispatch(&ctx, d.b, d.n, exporter, 1000), 0);
	size_t cursor = 0;
	const ff_exporter_counters *e = ff_exporter_stats_next(st, &cursor);
	assert_non_null(e);
	assert_int_equal(e->events[FF_EV_SEQ_LOST_SFLOW_DATAGRAMS], 2);
	assert_int_equal(e->events[FF_EV_SEQ_LOST_SFLOW_SAMPLES], 4);
	assert_int_equal(e->events[FF_EV_COUNTER_SAMPLES], 1);
	ff_decoder_ctx_release(&ctx);
	ff_exporter_stats_free(st);
}

static const struct CMUnitTest sflow_tests[] = {
    cmocka_unit_test(raw_header_ipv4_tcp),
    cmocka_unit_test(raw_header_vlan),
    cmocka_unit_test(raw_header_ipv6_extension),
    cmocka_unit_test(expanded_flow_sample),
    cmocka_unit_test(sampled_ipv6_and_gateway),
    cmocka_unit_test(counter_samples_are_not_flows),
    cmocka_unit_test(counter_table_bounded),
    cmocka_unit_test(counter_tables_merge),
    cmocka_unit_test(truncated_sample_rejected),
    cmocka_unit_test(record_overrunning_sample_rejected),
    cmocka_unit_test(unknown_records_and_samples_skipped),
    cmocka_unit_test(header_variants),
    cmocka_unit_test(sequence_loss_counted),
};

FF_TEST_MAIN(sflow_tests)
