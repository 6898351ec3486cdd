#include "ff_test.h"

#include "decoder.h"
#include "exporter_stats.h"
#include "sampling.h"

#include <string.h>

/* Collects what a decoder emits. */
struct sink {
	ff_flow recs[32];
	size_t n;
};

static void sink_emit(void *arg, const ff_flow *f)
{
	struct sink *s = arg;
	if (s->n < 32)
		s->recs[s->n++] = *f;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define UNIX_SECS  1700000000u
#define UNIX_NSECS 250000000u /* .250 s */
#define EXPORT_MS  (UNIX_SECS * 1000ull + 250)

/* A v5 header for `count` records, exported at UNIX_SECS.250 with `uptime`. */
static void header(uint8_t *p, uint16_t version, uint16_t count, uint32_t uptime)
{
	memset(p, 0, 24);
	put16(p, version);
	put16(p + 2, count);
	put32(p + 4, uptime);
	put32(p + 8, UNIX_SECS);
	put32(p + 12, UNIX_NSECS);
	put32(p + 16, 77);
	put16(p + 22, 0x4000 | 100); /* mode 1, 1 in 100 */
}

static void record(uint8_t *r, uint32_t i, uint32_t first, uint32_t last)
{
	memset(r, 0, 48);
	put32(r + 0, 0x0a000001 + i); /* 10.0.0.1 + i */
	put32(r + 4, 0xc0a80102);     /* 192.168.1.2 */
	put32(r + 8, 0x01020304);
	put16(r + 12, 3);
	put16(r + 14, 4);
	put32(r + 16, 10 + i);
	put32(r + 20, 1500 + i);
	put32(r + 24, first);
	put32(r + 28, last);
	put16(r + 32, 40000);
	put16(r + 34, 443);
	r[37] = 0x1b;
	r[38] = 6;
	r[39] = 0x10;
	put16(r + 40, 65001);
	put16(r + 42, 65002);
	r[44] = 24;
	r[45] = 16;
}

static const uint8_t exporter[FF_ADDR_LEN] = {0, 0, 0,	  0,	0,   0, 0, 0,
					      0, 0, 0xff, 0xff, 127, 0, 0, 9};

static int decode(const uint8_t *pkt, size_t len, struct sink *s)
{
	ff_decoder_ctx ctx = {.emit = sink_emit, .emit_arg = s};
	return ff_decoder_nf5.decode(&ctx, pkt, len, exporter, 0);
}

static void valid_packet_maps_every_field(void **state)
{
	(void)state;
	uint8_t pkt[24 + 2 * 48];
	header(pkt, 5, 2, 100000);
	record(pkt + 24, 0, 90000, 99000);
	record(pkt + 72, 1, 95000, 100000);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), 2);
	assert_int_equal(s.n, 2);
	const ff_flow *f = &s.recs[0];
	uint8_t a[FF_ADDR_LEN];
	ff_addr_from_v4(a, 0x0a000001);
	assert_memory_equal(f->src_addr, a, FF_ADDR_LEN);
	ff_addr_from_v4(a, 0xc0a80102);
	assert_memory_equal(f->dst_addr, a, FF_ADDR_LEN);
	assert_memory_equal(f->exporter, exporter, FF_ADDR_LEN);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 4);
	/* Scaled by the header's 1-in-100 sampling. */
	assert_int_equal(f->packets, 1000);
	assert_int_equal(f->bytes, 150000);
	/* First was 10 s and last 1 s before the export. */
	assert_int_equal(f->first_ms, EXPORT_MS - 10000);
	assert_int_equal(f->last_ms, EXPORT_MS - 1000);
	assert_int_equal(f->src_port, 40000);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->tcp_flags, 0x1b);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tos, 0x10);
	assert_int_equal(f->src_as, 65001);
	assert_int_equal(f->dst_as, 65002);
	assert_int_equal(f->sampling_rate, 100);
	assert_int_equal(f->flows, 1);
	assert_int_equal(f->wildcards, 0);
	assert_int_equal(f->agent_ref, 0);
	assert_int_equal(s.recs[1].packets, 1100);
	assert_int_equal(s.recs[1].last_ms, EXPORT_MS);
	ff_addr_from_v4(a, 0x0a000002);
	assert_memory_equal(s.recs[1].src_addr, a, FF_ADDR_LEN);
}

static void uptime_wrap(void **state)
{
	(void)state;
	/* The uptime counter wrapped 500 ms ago; the flow started 1.5 s ago. */
	uint8_t pkt[24 + 48];
	header(pkt, 5, 1, 500);
	record(pkt + 24, 0, 0xffffffffu - 999, 200);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), 1);
	assert_int_equal(s.recs[0].first_ms, EXPORT_MS - 1500);
	assert_int_equal(s.recs[0].last_ms, EXPORT_MS - 300);
}

static void short_header(void **state)
{
	(void)state;
	uint8_t pkt[24];
	header(pkt, 5, 1, 0);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, 23, &s), FF_DECODE_ESHORT);
	assert_int_equal(decode(pkt, 0, &s), FF_DECODE_ESHORT);
	assert_int_equal(s.n, 0);
}

static void truncated_lying_count(void **state)
{
	(void)state;
	/* The header claims 3 records; the packet holds 2 and a half. */
	uint8_t pkt[24 + 2 * 48 + 24];
	header(pkt, 5, 3, 100000);
	record(pkt + 24, 0, 90000, 99000);
	record(pkt + 72, 1, 90000, 99000);
	memset(pkt + 120, 0xee, 24);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), FF_DECODE_ETRUNC);
	assert_int_equal(s.n, 0);
}

static void count_zero(void **state)
{
	(void)state;
	uint8_t pkt[24 + 48];
	header(pkt, 5, 0, 100000);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), FF_DECODE_EBADCOUNT);
	assert_int_equal(s.n, 0);
}

static void count_above_30(void **state)
{
	(void)state;
	static uint8_t pkt[24 + 31 * 48];
	header(pkt, 5, 31, 100000);
	for (uint32_t i = 0; i < 31; i++)
		record(pkt + 24 + i * 48, i, 1, 2);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), FF_DECODE_EBADCOUNT);
	assert_int_equal(s.n, 0);
	/* 30 is the largest count v5 allows. */
	header(pkt, 5, 30, 100000);
	assert_int_equal(decode(pkt, 24 + 30 * 48, &s), 30);
}

static void wrong_version(void **state)
{
	(void)state;
	uint8_t pkt[24 + 48];
	header(pkt, 7, 1, 100000);
	record(pkt + 24, 0, 1, 2);
	struct sink s = {.n = 0};
	assert_int_equal(decode(pkt, sizeof pkt, &s), FF_DECODE_EVERSION);
	assert_int_equal(s.n, 0);
}

static int dispatch(const uint8_t *pkt, size_t len, struct sink *s)
{
	ff_decoder_ctx ctx = {.emit = sink_emit, .emit_arg = s};
	return ff_decode_dispatch(&ctx, pkt, len, exporter, 0);
}

static void dispatch_unsupported_versions(void **state)
{
	(void)state;
	uint8_t pkt[24 + 48];
	struct sink s = {.n = 0};
	header(pkt, 5, 1, 100000);
	record(pkt + 24, 0, 1, 2);
	assert_int_equal(dispatch(pkt, sizeof pkt, &s), 1);
	/* NetFlow v9 and IPFIX need the template cache a bare context lacks. */
	header(pkt, 9, 1, 0);
	assert_int_equal(dispatch(pkt, sizeof pkt, &s), FF_DECODE_EVERSION);
	header(pkt, 10, 1, 0);
	assert_int_equal(dispatch(pkt, sizeof pkt, &s), FF_DECODE_EVERSION);
	/* sFlow v5 (32-bit version) has a decoder: a v5 body read as sFlow is malformed. */
	put32(pkt, 5);
	assert_true(dispatch(pkt, sizeof pkt, &s) < 0);
	memset(pkt, 0xa5, sizeof pkt);
	assert_int_equal(dispatch(pkt, sizeof pkt, &s), FF_DECODE_EVERSION);
	assert_int_equal(s.n, 1);
}

static void dispatch_short(void **state)
{
	(void)state;
	uint8_t pkt[3] = {0, 5, 0};
	struct sink s = {.n = 0};
	assert_int_equal(dispatch(pkt, sizeof pkt, &s), FF_DECODE_ESHORT);
	assert_int_equal(dispatch(pkt, 0, &s), FF_DECODE_ESHORT);
	/* A v5 version field with less than a header is still "short". */
	uint8_t hdr[10] = {0, 5, 0, 1};
	assert_int_equal(dispatch(hdr, sizeof hdr, &s), FF_DECODE_ESHORT);
}

static void exporter_stats_count_reasons(void **state)
{
	(void)state;
	ff_exporter_stats *st = ff_exporter_stats_new(1);
	assert_non_null(st);
	ff_exporter_stats_count(st, exporter, 3, 1000);
	ff_exporter_stats_count(st, exporter, FF_DECODE_ESHORT, 1000);
	ff_exporter_stats_count(st, exporter, FF_DECODE_EBADCOUNT, 1001);
	ff_exporter_stats_count(st, exporter, FF_DECODE_ETRUNC, 1002);
	ff_exporter_stats_count(st, exporter, FF_DECODE_EVERSION, 1003);
	/* The table holds one address: a second exporter goes to the overflow entry. */
	uint8_t other[FF_ADDR_LEN];
	ff_addr_from_v4(other, 0x7f000002);
	ff_exporter_stats_count(st, other, 2, 1004);
	assert_int_equal(ff_exporter_stats_count_exporters(st), 2);
	size_t cursor = 0;
	const ff_exporter_counters *e;
	int seen = 0;
	while ((e = ff_exporter_stats_next(st, &cursor)) != NULL) {
		if (memcmp(e->addr, exporter, FF_ADDR_LEN) == 0) {
			assert_int_equal(e->packets, 5);
			assert_int_equal(e->records, 3);
			assert_int_equal(e->malformed[FF_MAL_SHORT_HEADER], 1);
			assert_int_equal(e->malformed[FF_MAL_BAD_COUNT], 1);
			assert_int_equal(e->malformed[FF_MAL_TRUNCATED], 1);
			assert_int_equal(e->malformed[FF_MAL_UNSUPPORTED_VERSION], 1);
			/* Only the first complaint in the minute was logged. */
			assert_int_equal(e->suppressed, 3);
		} else {
			assert_int_equal(e->packets, 1);
			assert_int_equal(e->records, 2);
		}
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_string_equal(ff_malformed_name(FF_MAL_TRUNCATED), "malformed.truncated");
	ff_exporter_stats_free(st);
}

/*
 * An exporter whose clock says 2106 (or 1970): its records are counted per
 * exporter as clock-skewed and still handed on unchanged; one within the
 * window is not counted.
 */
static void clock_skewed_counted_and_kept(void **state)
{
	(void)state;
	uint8_t pkt[24 + 48];
	header(pkt, 5, 1, 100000);
	record(pkt + 24, 0, 90000, 99000);
	ff_exporter_stats *st = ff_exporter_stats_new(4);
	assert_non_null(st);
	struct sink s = {.n = 0};
	ff_decoder_ctx ctx = {
	    .emit = sink_emit, .emit_arg = &s, .stats = st, .max_clock_skew_ms = 3600000};
	/* Arrives 30 min after its stamp: within the hour, not counted. */
	assert_int_equal(ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, EXPORT_MS + 1800000),
			 1);
	/* The same datagram arriving 136 years earlier, and 2 h later: both counted. */
	put32(pkt + 8, 0xfffffff0u); /* the header says February 2106 */
	assert_int_equal(ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, EXPORT_MS), 1);
	put32(pkt + 8, UNIX_SECS);
	assert_int_equal(
	    ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, EXPORT_MS + 2 * 3600000), 1);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.recs[1].first_ms, 0xfffffff0ull * 1000 + 250 - 10000);
	assert_int_equal(s.recs[2].first_ms, EXPORT_MS - 10000);
	size_t cur = 0;
	const ff_exporter_counters *c = ff_exporter_stats_next(st, &cur);
	assert_non_null(c);
	assert_int_equal(c->events[FF_EV_CLOCK_SKEWED], 2);
	assert_string_equal(ff_exporter_event_name(FF_EV_CLOCK_SKEWED), "records.clock_skewed");
	/* No window: nothing is checked. */
	ctx.max_clock_skew_ms = 0;
	assert_int_equal(ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, 1), 1);
	cur = 0;
	assert_int_equal(ff_exporter_stats_next(st, &cur)->events[FF_EV_CLOCK_SKEWED], 2);
	ff_exporter_stats_free(st);
}

static const ff_exporter_diag *diag_of(const ff_exporter_stats *st)
{
	size_t cur = 0;
	const ff_exporter_counters *c = ff_exporter_stats_next(st, &cur);
	assert_non_null(c);
	return &c->diag;
}

/* The smoothed gap between datagrams, and the rate applied with its source. */
static void diagnosis_interval_and_sampling(void **state)
{
	(void)state;
	uint8_t pkt[24 + 48];
	header(pkt, 5, 1, 100000);
	record(pkt + 24, 0, 90000, 99000);
	ff_exporter_stats *st = ff_exporter_stats_new(4);
	assert_non_null(st);
	struct sink s = {.n = 0};
	ff_decoder_ctx ctx = {.emit = sink_emit, .emit_arg = &s, .stats = st};
	uint64_t at[] = {10000, 11000, 12000, 21000};
	for (size_t i = 0; i < 4; i++) {
		int rc = ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, at[i]);
		ff_exporter_stats_count(st, exporter, rc, at[i]);
	}
	const ff_exporter_diag *d = diag_of(st);
	assert_int_equal(d->last_datagram_ms, 21000);
	/* 1000, then 1000 + (1000 - 1000) / 8, then 1000 + (9000 - 1000) / 8. */
	assert_int_equal(d->interval_ms, 2000);
	assert_int_equal(d->sampling_source, FF_SAMPLING_ANNOUNCED);
	assert_int_equal(d->sampling_rate, 100);
	/* A header without a sampling interval announces none: the default applies. */
	put16(pkt + 22, 0);
	ff_decode_dispatch(&ctx, pkt, sizeof pkt, exporter, 22000);
	assert_int_equal(d->sampling_source, FF_SAMPLING_DEFAULT);
	assert_int_equal(d->sampling_rate, 1);
	ff_exporter_stats_free(st);
}

/* The largest clock offset of the last one or two windows, signed, then forgotten. */
static void clock_offset_windows(void **state)
{
	(void)state;
	ff_exporter_stats *st = ff_exporter_stats_new(4);
	assert_non_null(st);
	uint64_t w = FF_EXPORTER_SKEW_WINDOW_MS, t0 = 1000000;
	ff_exporter_stats_skewed(st, exporter, -7200000, t0);
	ff_exporter_stats_skewed(st, exporter, 3600000, t0 + 1000);
	size_t cur = 0;
	const ff_exporter_counters *c = ff_exporter_stats_next(st, &cur);
	assert_int_equal(c->events[FF_EV_CLOCK_SKEWED], 2);
	assert_int_equal(ff_exporter_clock_offset(c, t0 + 2000), -7200000);
	/* A window later it is still the previous window's; two later it is gone. */
	assert_int_equal(ff_exporter_clock_offset(c, t0 + w + 1), -7200000);
	assert_int_equal(ff_exporter_clock_offset(c, t0 + 2 * w), 0);
	ff_exporter_stats_skewed(st, exporter, 5000000, t0 + w + 10);
	assert_int_equal(ff_exporter_clock_offset(c, t0 + w + 20), -7200000);
	assert_int_equal(ff_exporter_clock_offset(c, t0 + 2 * w + 20), 5000000);
	ff_exporter_stats_free(st);
}

static const struct CMUnitTest nf5_tests[] = {
    cmocka_unit_test(valid_packet_maps_every_field),
    cmocka_unit_test(uptime_wrap),
    cmocka_unit_test(short_header),
    cmocka_unit_test(truncated_lying_count),
    cmocka_unit_test(count_zero),
    cmocka_unit_test(count_above_30),
    cmocka_unit_test(wrong_version),
    cmocka_unit_test(dispatch_unsupported_versions),
    cmocka_unit_test(dispatch_short),
    cmocka_unit_test(exporter_stats_count_reasons),
    cmocka_unit_test(clock_skewed_counted_and_kept),
    cmocka_unit_test(diagnosis_interval_and_sampling),
    cmocka_unit_test(clock_offset_windows),
};

FF_TEST_MAIN(nf5_tests)
