#include "ff_test.h"

#include "decoder.h"
#include "exporter_stats.h"
#include "sampling.h"
#include "template_cache.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Collects what the decoder emits. */
struct sink {
	ff_flow recs[64];
	size_t n;
};

static void sink_emit(void *arg, const ff_flow *f)
{
	struct sink *s = arg;
	if (s->n < 64)
		s->recs[s->n++] = *f;
}

/* A datagram under construction, big-endian writers and set framing. */
struct pkt {
	uint8_t b[4096];
	size_t n;
	size_t set_at;
};

static void p8(struct pkt *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void p16(struct pkt *p, uint16_t v)
{
	p8(p, (uint8_t)(v >> 8));
	p8(p, (uint8_t)v);
}

static void p32(struct pkt *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p, (uint16_t)v);
}

#define UPTIME	  1000000u
#define UNIX_SECS 1700000000u
#define EXPORT_MS (UNIX_SECS * 1000ull)

static void header(struct pkt *p, uint32_t seq, uint32_t source_id)
{
	p->n = 0;
	p16(p, 9);
	p16(p, 0); /* count: not trusted */
	p32(p, UPTIME);
	p32(p, UNIX_SECS);
	p32(p, seq);
	p32(p, source_id);
}

static void set_begin(struct pkt *p, uint16_t id)
{
	p->set_at = p->n;
	p16(p, id);
	p16(p, 0);
}

static void set_end(struct pkt *p)
{
	size_t len = p->n - p->set_at;
	p->b[p->set_at + 2] = (uint8_t)(len >> 8);
	p->b[p->set_at + 3] = (uint8_t)len;
}

/* Template 256: src, dst, ports, proto, flags, tos, ifs, AS, bytes, packets, first, last. */
static const uint16_t tpl4[][2] = {{8, 4},  {12, 4}, {7, 2},  {11, 2}, {4, 1},
				   {6, 1},  {5, 1},  {10, 2}, {14, 2}, {16, 4},
				   {17, 4}, {1, 4},  {2, 4},  {22, 4}, {21, 4}};
#define TPL4_N	 (sizeof tpl4 / sizeof tpl4[0])
#define TPL4_LEN 45

static void template_set(struct pkt *p, uint16_t id, const uint16_t (*f)[2], size_t n)
{
	set_begin(p, 0);
	p16(p, id);
	p16(p, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		p16(p, f[i][0]);
		p16(p, f[i][1]);
	}
	set_end(p);
}

static void record4(struct pkt *p, uint32_t i)
{
	p32(p, 0x0a000001 + i);
	p32(p, 0xc0a80102);
	p16(p, 40000);
	p16(p, 443);
	p8(p, 6);
	p8(p, 0x1b);
	p8(p, 0x10);
	p16(p, 3);
	p16(p, 4);
	p32(p, 65001);
	p32(p, 4200000000u);
	p32(p, 1500 + i);
	p32(p, 10 + i);
	p32(p, UPTIME - 10000); /* first: 10 s before the export */
	p32(p, UPTIME - 1000);
}

static void data_set(struct pkt *p, uint16_t id, uint32_t n)
{
	set_begin(p, id);
	for (uint32_t i = 0; i < n; i++)
		record4(p, i);
	set_end(p);
}

static const uint8_t exporter[FF_ADDR_LEN] = {[10] = 0xff, [11] = 0xff, [12] = 192, [15] = 9};

struct fixture {
	ff_decoder_ctx ctx;
	ff_exporter_stats *stats;
	struct sink sink;
};

static struct fixture *fixture_new(void)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	assert_int_equal(ff_decoder_ctx_init(&fx->ctx, sink_emit, &fx->sink), 0);
	fx->stats = ff_exporter_stats_new(8);
	fx->ctx.stats = fx->stats;
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	ff_decoder_ctx_release(&fx->ctx);
	ff_exporter_stats_free(fx->stats);
	free(fx);
}

static int feed(struct fixture *fx, const struct pkt *p)
{
	int rc = ff_decode_dispatch(&fx->ctx, p->b, p->n, exporter, EXPORT_MS);
	ff_exporter_stats_count(fx->stats, exporter, rc, EXPORT_MS);
	return rc;
}

static const ff_exporter_counters *counters(struct fixture *fx)
{
	size_t cursor = 0;
	const ff_exporter_counters *e = ff_exporter_stats_next(fx->stats, &cursor);
	assert_non_null(e);
	return e;
}

static void template_and_data_in_one_packet(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	data_set(&p, 256, 2);
	assert_int_equal(feed(fx, &p), 2);
	const ff_flow *f = &fx->sink.recs[0];
	uint8_t a[FF_ADDR_LEN];
	ff_addr_from_v4(a, 0x0a000001);
	assert_memory_equal(f->src_addr, a, FF_ADDR_LEN);
	ff_addr_from_v4(a, 0xc0a80102);
	assert_memory_equal(f->dst_addr, a, FF_ADDR_LEN);
	assert_memory_equal(f->exporter, exporter, FF_ADDR_LEN);
	assert_int_equal(f->src_port, 40000);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tcp_flags, 0x1b);
	assert_int_equal(f->tos, 0x10);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 4);
	assert_int_equal(f->src_as, 65001);
	assert_int_equal(f->dst_as, 4200000000u);
	assert_int_equal(f->bytes, 1500);
	assert_int_equal(f->packets, 10);
	assert_int_equal(f->flows, 1);
	assert_int_equal(f->sampling_rate, 1);
	assert_int_equal(f->first_ms, EXPORT_MS - 10000);
	assert_int_equal(f->last_ms, EXPORT_MS - 1000);
	assert_int_equal(fx->sink.recs[1].bytes, 1501);
	assert_int_equal(counters(fx)->events[FF_EV_TEMPLATES], 1);
	fixture_free(fx);
}

static void data_before_template_is_held(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	data_set(&p, 256, 3);
	assert_int_equal(feed(fx, &p), 0);
	assert_int_equal(fx->sink.n, 0);
	assert_int_equal(counters(fx)->events[FF_EV_PENDING_HELD], 1);
	/* A template for another source id does not release it. */
	header(&p, 2, 8);
	template_set(&p, 256, tpl4, TPL4_N);
	assert_int_equal(feed(fx, &p), 0);
	header(&p, 3, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	assert_int_equal(feed(fx, &p), 3);
	assert_int_equal(fx->sink.n, 3);
	/* Times come from the held packet's own header. */
	assert_int_equal(fx->sink.recs[2].last_ms, EXPORT_MS - 1000);
	assert_int_equal(counters(fx)->events[FF_EV_PENDING_DECODED], 1);
	assert_int_equal(counters(fx)->events[FF_EV_NO_TEMPLATE], 0);
	fixture_free(fx);
}

static void held_data_expires_as_no_template(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	data_set(&p, 300, 1);
	assert_int_equal(feed(fx, &p), 0);
	ff_decoder_expire(&fx->ctx, EXPORT_MS + FF_PENDING_MAX_AGE_MS - 1);
	assert_int_equal(counters(fx)->events[FF_EV_NO_TEMPLATE], 0);
	ff_decoder_expire(&fx->ctx, EXPORT_MS + FF_PENDING_MAX_AGE_MS);
	assert_int_equal(counters(fx)->events[FF_EV_NO_TEMPLATE], 1);
	assert_int_equal(counters(fx)->events[FF_EV_PENDING_EXPIRED], 1);
	header(&p, 2, 7);
	template_set(&p, 300, tpl4, TPL4_N);
	assert_int_equal(feed(fx, &p), 0);
	fixture_free(fx);
}

/*
 * The diagnosis lists which (source id, template id) data came for without
 * a template, until that template comes; the list is bounded and the rest
 * counted.
 */
static void missing_templates_listed_until_learned(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	data_set(&p, 256, 2);
	feed(fx, &p);
	header(&p, 2, 7);
	data_set(&p, 256, 1);
	feed(fx, &p);
	const ff_exporter_diag *d = &counters(fx)->diag;
	assert_int_equal(d->n_missing, 1);
	assert_int_equal(d->missing[0].domain, 7);
	assert_int_equal(d->missing[0].template_id, 256);
	assert_int_equal(d->missing[0].data_sets, 2);
	assert_int_equal(d->last_template_ms, 0);
	/* Ten more template ids: eight are listed, the rest only counted. */
	for (uint16_t id = 300; id < 310; id++) {
		header(&p, 3, 9);
		data_set(&p, id, 1);
		feed(fx, &p);
	}
	assert_int_equal(d->n_missing, FF_EXPORTER_MAX_MISSING);
	assert_int_equal(d->missing_unlisted, 3);
	header(&p, 4, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	assert_int_equal(feed(fx, &p), 3);
	assert_int_equal(d->n_missing, FF_EXPORTER_MAX_MISSING - 1);
	assert_int_equal(d->missing_unlisted, 0);
	assert_int_equal(d->last_template_ms, EXPORT_MS);
	for (uint32_t i = 0; i < d->n_missing; i++)
		assert_int_not_equal(d->missing[i].template_id, 256);
	/* The default rate applied, as the exporter announces none. */
	assert_int_equal(d->sampling_source, FF_SAMPLING_DEFAULT);
	assert_int_equal(d->sampling_rate, 1);
	fixture_free(fx);
}

static void template_replacement_counted(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	template_set(&p, 256, tpl4, TPL4_N); /* a refresh: same layout */
	assert_int_equal(feed(fx, &p), 0);
	assert_int_equal(counters(fx)->events[FF_EV_TEMPLATE_REPLACED], 0);
	/* The router reuses 256 for a short layout: bytes and packets only. */
	static const uint16_t small[][2] = {{1, 8}, {2, 8}};
	header(&p, 2, 7);
	template_set(&p, 256, small, 2);
	set_begin(&p, 256);
	p32(&p, 0);
	p32(&p, 5000);
	p32(&p, 0);
	p32(&p, 5);
	set_end(&p);
	assert_int_equal(feed(fx, &p), 1);
	assert_int_equal(fx->sink.recs[0].bytes, 5000);
	assert_int_equal(fx->sink.recs[0].packets, 5);
	assert_int_equal(counters(fx)->events[FF_EV_TEMPLATE_REPLACED], 1);
	assert_int_equal(counters(fx)->events[FF_EV_TEMPLATES], 3);
	fixture_free(fx);
}

static void padding_after_records_ignored(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	set_begin(&p, 256);
	record4(&p, 0);
	p8(&p, 0);
	p8(&p, 0);
	p8(&p, 0);
	set_end(&p);
	assert_int_equal(feed(fx, &p), 1);
	for (int r = 0; r < FF_MAL_N; r++)
		assert_int_equal(counters(fx)->malformed[r], 0);
	fixture_free(fx);
}

static void truncated_set_keeps_earlier_records(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	data_set(&p, 256, 1);
	set_begin(&p, 256);
	record4(&p, 1);
	set_end(&p);
	p.b[p.set_at + 3] += 40; /* the second data set claims more than the packet holds */
	assert_int_equal(feed(fx, &p), 1);
	assert_int_equal(counters(fx)->malformed[FF_MAL_BAD_SET_LENGTH], 1);
	/* The same with nothing decoded before: the packet is rejected. */
	header(&p, 2, 7);
	set_begin(&p, 256);
	set_end(&p);
	p.b[p.set_at + 3] = 2; /* below the set header's own size */
	assert_int_equal(feed(fx, &p), FF_DECODE_EBADSET);
	assert_int_equal(counters(fx)->malformed[FF_MAL_BAD_SET_LENGTH], 2);
	fixture_free(fx);
}

static void zero_length_template_rejected(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	/* Every field 0 bytes long: records of 0 bytes would never advance. */
	static const uint16_t zero[][2] = {{1, 0}, {2, 0}};
	header(&p, 1, 7);
	template_set(&p, 256, zero, 2);
	set_begin(&p, 256);
	p32(&p, 0);
	set_end(&p);
	assert_int_equal(feed(fx, &p), FF_DECODE_EBADTEMPLATE);
	/* A template with no field and an options template with no field either. */
	header(&p, 2, 7);
	template_set(&p, 257, zero, 0);
	assert_int_equal(feed(fx, &p), FF_DECODE_EBADTEMPLATE);
	header(&p, 3, 7);
	set_begin(&p, 1);
	p16(&p, 258);
	p16(&p, 0);
	p16(&p, 0);
	set_end(&p);
	assert_int_equal(feed(fx, &p), FF_DECODE_EBADTEMPLATE);
	assert_int_equal(counters(fx)->malformed[FF_MAL_BAD_TEMPLATE], 3);
	assert_int_equal(fx->sink.n, 0);
	fixture_free(fx);
}

static void ipv6_record(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	static const uint16_t t6[][2] = {{27, 16}, {28, 16}, {7, 2},  {11, 2}, {4, 1},
					 {1, 8},   {2, 8},   {22, 4}, {21, 4}};
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 400, t6, 9);
	set_begin(&p, 400);
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};
	memcpy(p.b + p.n, src, 16);
	p.n += 16;
	memcpy(p.b + p.n, dst, 16);
	p.n += 16;
	p16(&p, 5353);
	p16(&p, 53);
	p8(&p, 17);
	p32(&p, 1);
	p32(&p, 2); /* 2^32 + 2 bytes */
	p32(&p, 0);
	p32(&p, 1u << 17); /* in 2^17 packets: 32 KiB each, a jumbo frame's size */
	p32(&p, UPTIME - 500);
	p32(&p, UPTIME + 20); /* stamped a little after the header: not 49 days ago */
	set_end(&p);
	assert_int_equal(feed(fx, &p), 1);
	const ff_flow *f = &fx->sink.recs[0];
	assert_memory_equal(f->src_addr, src, 16);
	assert_memory_equal(f->dst_addr, dst, 16);
	assert_false(ff_addr_is_v4(f->src_addr));
	assert_int_equal(f->bytes, (1ull << 32) + 2);
	assert_int_equal(f->packets, 1u << 17);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->first_ms, EXPORT_MS - 500);
	assert_int_equal(f->last_ms, EXPORT_MS + 20);
	fixture_free(fx);
}

/*
 * More bytes than packets can carry (the 8-byte byte count near 2^64 that
 * once hid a host from the top-10): dropped and counted per exporter.
 */
static void implausible_bytes_dropped(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	static const uint16_t t[][2] = {{8, 4}, {12, 4}, {1, 8}, {2, 8}, {22, 4}, {21, 4}};
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 401, t, 6);
	set_begin(&p, 401);
	/* 10.0.0.1 -> 10.0.0.2: 2^64 - 1000 bytes in 5 packets; then 1500 bytes in 1 packet. */
	p32(&p, 0x0a000001);
	p32(&p, 0x0a000002);
	p32(&p, 0xffffffffu);
	p32(&p, 0xfffffc18u);
	p32(&p, 0);
	p32(&p, 5);
	p32(&p, UPTIME - 500);
	p32(&p, UPTIME);
	p32(&p, 0x0a000001);
	p32(&p, 0x0a000002);
	p32(&p, 0);
	p32(&p, 1500);
	p32(&p, 0);
	p32(&p, 1);
	p32(&p, UPTIME - 500);
	p32(&p, UPTIME);
	set_end(&p);
	feed(fx, &p);
	assert_int_equal(fx->sink.n, 1);
	assert_int_equal(fx->sink.recs[0].bytes, 1500);
	assert_int_equal(counters(fx)->events[FF_EV_IMPLAUSIBLE], 1);
	fixture_free(fx);
}

/* An options template (scope: system) with SAMPLING_INTERVAL, then its data. */
static void options_sampling_interval_scales(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	set_begin(&p, 1);
	p16(&p, 260);
	p16(&p, 4); /* one scope field */
	p16(&p, 8); /* two option fields */
	p16(&p, 1); /* scope System: type 1 is not octetDeltaCount here */
	p16(&p, 4);
	p16(&p, 34); /* SAMPLING_INTERVAL */
	p16(&p, 4);
	p16(&p, 35); /* SAMPLING_ALGORITHM */
	p16(&p, 1);
	set_end(&p);
	set_begin(&p, 260);
	p32(&p, 0);
	p32(&p, 100);
	p8(&p, 2);
	set_end(&p);
	template_set(&p, 256, tpl4, TPL4_N);
	data_set(&p, 256, 1);
	assert_int_equal(feed(fx, &p), 1);
	const ff_flow *f = &fx->sink.recs[0];
	assert_int_equal(f->sampling_rate, 100);
	assert_int_equal(f->bytes, 150000);
	assert_int_equal(f->packets, 1000);
	assert_int_equal(counters(fx)->events[FF_EV_OPTIONS_RECORDS], 1);
	fixture_free(fx);
}

/* FLOW_SAMPLER_ID tables: the data record names its sampler. */
static void sampler_id_table(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	set_begin(&p, 1);
	p16(&p, 261);
	p16(&p, 4);
	p16(&p, 8);
	p16(&p, 2); /* scope Interface */
	p16(&p, 4);
	p16(&p, 48); /* FLOW_SAMPLER_ID */
	p16(&p, 1);
	p16(&p, 50); /* FLOW_SAMPLER_RANDOM_INTERVAL */
	p16(&p, 4);
	set_end(&p);
	set_begin(&p, 261);
	p32(&p, 3);
	p8(&p, 5);
	p32(&p, 1000);
	p32(&p, 4);
	p8(&p, 6);
	p32(&p, 10);
	set_end(&p);
	static const uint16_t ts[][2] = {{8, 4}, {12, 4}, {1, 4}, {2, 4}, {48, 1}};
	template_set(&p, 262, ts, 5);
	set_begin(&p, 262);
	uint8_t sids[3] = {5, 6, 9};
	for (int i = 0; i < 3; i++) {
		p32(&p, 0x0a000001);
		p32(&p, 0x0a000002);
		p32(&p, 100);
		p32(&p, 2);
		p8(&p, sids[i]);
	}
	set_end(&p);
	assert_int_equal(feed(fx, &p), 3);
	assert_int_equal(fx->sink.recs[0].sampling_rate, 1000);
	assert_int_equal(fx->sink.recs[0].bytes, 100000);
	assert_int_equal(fx->sink.recs[1].sampling_rate, 10);
	assert_int_equal(fx->sink.recs[1].packets, 20);
	/* An unknown sampler: the configured default applies. */
	assert_int_equal(fx->sink.recs[2].sampling_rate, 1);
	assert_int_equal(fx->sink.recs[2].bytes, 100);
	fixture_free(fx);
}

static void override_and_default_rates(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	ff_sampling_set_default(fx->ctx.sampling, 8);
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	data_set(&p, 256, 1);
	assert_int_equal(feed(fx, &p), 1);
	assert_int_equal(fx->sink.recs[0].sampling_rate, 8);
	assert_int_equal(fx->sink.recs[0].bytes, 1500 * 8);
	assert_int_equal(ff_sampling_set_override(fx->ctx.sampling, exporter, 3), 0);
	header(&p, 2, 7);
	data_set(&p, 256, 1);
	assert_int_equal(feed(fx, &p), 1);
	assert_int_equal(fx->sink.recs[1].sampling_rate, 3);
	assert_int_equal(fx->sink.recs[1].packets, 30);
	fixture_free(fx);
}

static void sequence_loss_counts_packets(void **state)
{
	(void)state;
	struct fixture *fx = fixture_new();
	struct pkt p;
	uint32_t seqs[] = {10, 11, 14, 15, 13};
	for (size_t i = 0; i < 5; i++) {
		header(&p, seqs[i], 7);
		template_set(&p, 256, tpl4, TPL4_N);
		feed(fx, &p);
	}
	/* 12 and 13 missing after 11; 13 then arrives late. */
	assert_int_equal(counters(fx)->events[FF_EV_SEQ_LOST_V9_PACKETS], 1);
	/* Another source id is its own stream. */
	header(&p, 500, 8);
	template_set(&p, 256, tpl4, TPL4_N);
	feed(fx, &p);
	assert_int_equal(counters(fx)->events[FF_EV_SEQ_LOST_V9_PACKETS], 1);
	fixture_free(fx);
}

static void state_persists_templates_and_samplers(void **state)
{
	(void)state;
	char dir[] = "/tmp/ff_nf9_stateXXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fixture *fx = fixture_new();
	struct pkt p;
	header(&p, 1, 7);
	template_set(&p, 256, tpl4, TPL4_N);
	assert_int_equal(feed(fx, &p), 0);
	assert_int_equal(ff_sampling_learn(fx->ctx.sampling, exporter, 7, FF_SAMPLER_DOMAIN, 0, 64),
			 0);
	assert_int_equal(ff_decoder_ctx_save(&fx->ctx, dir), 0);
	fixture_free(fx);
	/* A restarted agent decodes data at once, with the sampling it had learned. */
	fx = fixture_new();
	assert_int_equal(ff_decoder_ctx_load(&fx->ctx, dir), 2);
	header(&p, 2, 7);
	data_set(&p, 256, 1);
	assert_int_equal(feed(fx, &p), 1);
	assert_int_equal(fx->sink.recs[0].sampling_rate, 64);
	fixture_free(fx);
	char path[64];
	snprintf(path, sizeof path, "%s/templates", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/samplers", dir);
	unlink(path);
	rmdir(dir);
}

static const struct CMUnitTest nf9_tests[] = {
    cmocka_unit_test(template_and_data_in_one_packet),
    cmocka_unit_test(data_before_template_is_held),
    cmocka_unit_test(held_data_expires_as_no_template),
    cmocka_unit_test(missing_templates_listed_until_learned),
    cmocka_unit_test(template_replacement_counted),
    cmocka_unit_test(padding_after_records_ignored),
    cmocka_unit_test(truncated_set_keeps_earlier_records),
    cmocka_unit_test(zero_length_template_rejected),
    cmocka_unit_test(ipv6_record),
    cmocka_unit_test(implausible_bytes_dropped),
    cmocka_unit_test(options_sampling_interval_scales),
    cmocka_unit_test(sampler_id_table),
    cmocka_unit_test(override_and_default_rates),
    cmocka_unit_test(sequence_loss_counts_packets),
    cmocka_unit_test(state_persists_templates_and_samplers),
};

FF_TEST_MAIN(nf9_tests)
