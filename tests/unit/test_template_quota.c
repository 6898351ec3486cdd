#include "ff_test.h"

#include "decoder.h"
#include "exporter_stats.h"
#include "template_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exporter `n` as a v4-mapped 10.x.y.z address. */
static void addr_of(uint32_t n, uint8_t out[FF_ADDR_LEN])
{
	memset(out, 0, FF_ADDR_LEN);
	out[10] = out[11] = 0xff;
	out[12] = 10;
	out[13] = (uint8_t)(n >> 16);
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
}

static ff_tpl_key key_of(uint32_t exporter, uint16_t id)
{
	ff_tpl_key k;
	memset(&k, 0, sizeof k);
	addr_of(exporter, k.exporter);
	k.domain = 1;
	k.id = id;
	k.proto = 9;
	return k;
}

/* A finished template of `n` 4-byte fields. */
static ff_template *tpl_n(uint16_t id, uint16_t n)
{
	ff_template *t = ff_template_alloc(n);
	assert_non_null(t);
	t->id = id;
	t->proto = 9;
	t->n_fields = n;
	for (uint16_t i = 0; i < n; i++)
		t->fields[i] = (ff_tpl_field){.id = (uint16_t)(1 + i % 100), .len = 4};
	assert_int_equal(ff_template_finish(t), 0);
	return t;
}

struct evictions {
	size_t n;
	size_t by_reason[4];
	ff_tpl_key last;
};

static void on_evict(void *arg, const ff_tpl_key *victim, enum ff_tpl_evict_reason why)
{
	struct evictions *e = arg;
	e->n++;
	e->by_reason[why]++;
	e->last = *victim;
}

static size_t usage(const ff_template_cache *tc, uint32_t exporter, size_t *bytes)
{
	uint8_t a[FF_ADDR_LEN];
	addr_of(exporter, a);
	return ff_template_cache_exporter_usage(tc, a, bytes);
}

/* 1-field templates: the count quota binds first; the least recently sent go. */
static void exporter_count_quota(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	struct evictions ev = {0};
	for (uint32_t i = 0; i < FF_TPL_EXPORTER_MAX_TEMPLATES + 100; i++) {
		ff_tpl_key k = key_of(1, (uint16_t)(256 + i));
		assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(k.id, 1), on_evict, &ev),
				 FF_TPL_NEW);
		/* The first one is refreshed each time: it stays the most recently sent. */
		ff_tpl_key first = key_of(1, 256);
		if (i > 0)
			assert_int_equal(
			    ff_template_cache_put(tc, &first, tpl_n(256, 1), on_evict, &ev),
			    FF_TPL_REFRESHED);
	}
	assert_int_equal(usage(tc, 1, NULL), FF_TPL_EXPORTER_MAX_TEMPLATES);
	assert_int_equal(ev.n, 100);
	assert_int_equal(ev.by_reason[FF_TPL_EVICT_OWN_QUOTA], 100);
	ff_tpl_key first = key_of(1, 256), second = key_of(1, 257), newest = key_of(1, 256 + 4195);
	assert_non_null(ff_template_cache_get(tc, &first));
	assert_null(ff_template_cache_get(tc, &second));
	assert_non_null(ff_template_cache_get(tc, &newest));
	ff_template_cache_free(tc);
}

/* 512-field templates: the byte quota binds first. */
static void exporter_byte_quota(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	struct evictions ev = {0};
	size_t fit = FF_TPL_EXPORTER_MAX_BYTES / FF_TPL_COST(512);
	for (uint32_t i = 0; i < fit + 10; i++) {
		ff_tpl_key k = key_of(1, (uint16_t)(256 + i));
		assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(k.id, 512), on_evict, &ev),
				 FF_TPL_NEW);
	}
	size_t bytes = 0;
	assert_int_equal(usage(tc, 1, &bytes), fit);
	assert_true(bytes <= FF_TPL_EXPORTER_MAX_BYTES);
	assert_int_equal(ev.by_reason[FF_TPL_EVICT_OWN_QUOTA], 10);
	ff_template_cache_free(tc);
}

/* An exporter that filled its quota takes nothing from the next one. */
static void second_exporter_after_first_full(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	struct evictions ev = {0};
	for (uint32_t i = 0; i < FF_TPL_EXPORTER_MAX_TEMPLATES * 2; i++) {
		ff_tpl_key k = key_of(1, (uint16_t)(256 + i));
		ff_template_cache_put(tc, &k, tpl_n(k.id, 1), on_evict, &ev);
	}
	size_t evicted_before = ev.n;
	for (uint16_t id = 256; id < 266; id++) {
		ff_tpl_key k = key_of(2, id);
		assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(id, 20), on_evict, &ev),
				 FF_TPL_NEW);
	}
	assert_int_equal(usage(tc, 2, NULL), 10);
	assert_int_equal(usage(tc, 1, NULL), FF_TPL_EXPORTER_MAX_TEMPLATES);
	assert_int_equal(evicted_before, FF_TPL_EXPORTER_MAX_TEMPLATES);
	assert_int_equal(ev.n, evicted_before); /* nothing evicted for exporter 2 */
	assert_int_equal(ev.last.exporter[15], 1);
	ff_template_cache_free(tc);
}

/* Fills the cache from `n` spoofed exporters (numbered from 100) sending 512-field templates. */
static void spoofed_fill(ff_template_cache *tc, uint32_t n, uint32_t rounds, struct evictions *ev)
{
	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t x = 0; x < n; x++) {
			ff_tpl_key k = key_of(100 + x, (uint16_t)(256 + r));
			int rc = ff_template_cache_put(tc, &k, tpl_n(k.id, 512), on_evict, ev);
			assert_true(rc == FF_TPL_NEW || rc == -ENOSPC);
		}
}

/* 1,000 spoofed sources fill the 16 MiB; a real exporter still gets, and keeps, its templates. */
static void spoofed_crowd_does_not_lock_out(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	struct evictions ev = {0};
	spoofed_fill(tc, 1000, 4, &ev);
	assert_true(ff_template_cache_bytes(tc) + FF_TPL_COST(512) > FF_TPL_MAX_BYTES);
	struct evictions real = {0};
	for (uint16_t id = 256; id < 276; id++) {
		ff_tpl_key k = key_of(1, id);
		assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(id, 20), on_evict, &real),
				 FF_TPL_NEW);
	}
	/* Room came from the exporters holding the most, never from the real one. */
	assert_true(real.n > 0);
	assert_int_equal(real.by_reason[FF_TPL_EVICT_FOR_OTHER], real.n);
	/* The flood goes on: the real exporter, under its fair share, keeps all 20. */
	struct evictions more = {0};
	spoofed_fill(tc, 1000, 3, &more);
	assert_int_equal(usage(tc, 1, NULL), 20);
	assert_true(ff_template_cache_bytes(tc) <= FF_TPL_MAX_BYTES);
	assert_int_equal(ff_template_cache_exporters(tc), 1001);
	ff_template_cache_free(tc);
}

/* Beyond its fair share with nothing of its own to give: refused, nothing evicted for it. */
static void beyond_fair_share_refused(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	struct evictions ev = {0};
	uint32_t fit = FF_TPL_MAX_BYTES / FF_TPL_COST(512);
	spoofed_fill(tc, fit, 1, &ev);
	assert_int_equal(ev.n, 0);
	ff_tpl_key k = key_of(1, 256);
	size_t before = ff_template_cache_bytes(tc);
	assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(256, 512), on_evict, &ev), -ENOSPC);
	assert_int_equal(ev.n, 0);
	assert_int_equal(ff_template_cache_bytes(tc), before);
	assert_int_equal(ff_template_cache_exporters(tc), fit);
	/* One within its share but beyond the room left evicts from the heaviest. */
	assert_true(FF_TPL_COST(470) <= FF_TPL_MAX_BYTES / (fit + 1));
	assert_true(ff_template_cache_bytes(tc) + FF_TPL_COST(470) > FF_TPL_MAX_BYTES);
	assert_int_equal(ff_template_cache_put(tc, &k, tpl_n(256, 470), on_evict, &ev), FF_TPL_NEW);
	assert_int_equal(ev.by_reason[FF_TPL_EVICT_FOR_OTHER], 1);
	ff_template_cache_free(tc);
}

/* Withdrawing every template frees the exporter and its bytes. */
static void withdraw_releases_quota(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	for (uint16_t id = 256; id < 266; id++) {
		ff_tpl_key k = key_of(1, id);
		ff_template_cache_put(tc, &k, tpl_n(id, 8), NULL, NULL);
	}
	assert_int_equal(ff_template_cache_bytes(tc), 10 * FF_TPL_COST(8));
	ff_tpl_key k = key_of(1, 0);
	assert_int_equal(ff_template_cache_withdraw_all(tc, &k, false), 10);
	assert_int_equal(ff_template_cache_bytes(tc), 0);
	assert_int_equal(ff_template_cache_exporters(tc), 0);
	ff_template_cache_free(tc);
}

/* A full cache saves within FF_TPL_STATE_MAX and loads back whole, through the state dir. */
static void save_load_at_bound(void **state)
{
	(void)state;
	ff_decoder_ctx ctx;
	assert_int_equal(ff_decoder_ctx_init(&ctx, NULL, NULL), 0);
	struct evictions ev = {0};
	spoofed_fill(ctx.templates, 1000, 4, &ev);
	size_t n = ff_template_cache_count(ctx.templates);
	assert_true(ff_template_cache_bytes(ctx.templates) + FF_TPL_COST(512) > FF_TPL_MAX_BYTES);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(ff_template_cache_save(ctx.templates, &buf, &len), 0);
	assert_true(len <= FF_TPL_STATE_MAX);
	assert_true(len > FF_TPL_STATE_MAX / 2);
	free(buf);
	char dir[] = "/tmp/ff_tplq_XXXXXX";
	assert_non_null(mkdtemp(dir));
	ff_template_cache_put(ctx.templates, &(ff_tpl_key){.proto = 9, .id = 256}, tpl_n(256, 1),
			      NULL, NULL);
	assert_int_equal(ff_decoder_ctx_save(&ctx, dir), 0);
	assert_false(ff_decoder_ctx_dirty(&ctx));
	n = ff_template_cache_count(ctx.templates);
	ff_decoder_ctx back;
	assert_int_equal(ff_decoder_ctx_init(&back, NULL, NULL), 0);
	assert_int_equal(ff_decoder_ctx_load(&back, dir), (int)n);
	assert_int_equal(ff_template_cache_bytes(back.templates),
			 ff_template_cache_bytes(ctx.templates));
	assert_false(ff_decoder_ctx_dirty(&back));
	/* A file beyond the bound is not read (and said so): nothing loaded. */
	char path[64];
	snprintf(path, sizeof path, "%s/templates", dir);
	assert_int_equal(truncate(path, (off_t)FF_TPL_STATE_MAX + 1), 0);
	ff_decoder_ctx big;
	assert_int_equal(ff_decoder_ctx_init(&big, NULL, NULL), 0);
	assert_int_equal(ff_decoder_ctx_load(&big, dir), 0);
	unlink(path);
	rmdir(dir);
	ff_decoder_ctx_release(&ctx);
	ff_decoder_ctx_release(&back);
	ff_decoder_ctx_release(&big);
}

/* A v9 packet from `exporter` carrying one template of `n` fields. */
static size_t v9_template(uint8_t *p, uint16_t id, uint16_t n)
{
	size_t len = 20 + 4 + 4 + (size_t)n * 4;
	memset(p, 0, len);
	p[1] = 9;
	p[3] = 1;
	p[20] = 0; /* flowset 0: templates */
	p[22] = (uint8_t)((len - 20) >> 8);
	p[23] = (uint8_t)(len - 20);
	p[24] = (uint8_t)(id >> 8);
	p[25] = (uint8_t)id;
	p[26] = (uint8_t)(n >> 8);
	p[27] = (uint8_t)n;
	for (uint16_t i = 0; i < n; i++) {
		p[28 + 4 * i + 1] = (uint8_t)(1 + i % 100);
		p[28 + 4 * i + 3] = 4;
	}
	return len;
}

static uint64_t event_of(const ff_exporter_stats *s, uint32_t exporter, enum ff_exporter_event ev,
			 uint64_t *suppressed)
{
	uint8_t a[FF_ADDR_LEN];
	addr_of(exporter, a);
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while ((e = ff_exporter_stats_next(s, &cursor)) != NULL)
		if (memcmp(e->addr, a, FF_ADDR_LEN) == 0) {
			if (suppressed != NULL)
				*suppressed = e->tpl_suppressed;
			return e->events[ev];
		}
	return 0;
}

/* Through the v9 decoder: refusals and evictions reach the exporter's counters, logged once a
 * minute. */
static void decoder_counts_refused_and_evicted(void **state)
{
	(void)state;
	ff_decoder_ctx ctx;
	assert_int_equal(ff_decoder_ctx_init(&ctx, NULL, NULL), 0);
	ctx.stats = ff_exporter_stats_new(8192);
	static uint8_t pkt[20 + 8 + 512 * 4];
	uint32_t fit = FF_TPL_MAX_BYTES / FF_TPL_COST(512);
	uint64_t now = 1700000000000ull;
	for (uint32_t x = 0; x <= fit; x++) {
		uint8_t a[FF_ADDR_LEN];
		addr_of(100 + x, a);
		size_t len = v9_template(pkt, 256, 512);
		assert_int_equal(ff_decoder_nf9.decode(&ctx, pkt, len, a, now), 0);
	}
	/* The last crowd member was beyond its share: refused, counted, logged. */
	assert_int_equal(event_of(ctx.stats, 100 + fit, FF_EV_TEMPLATE_REFUSED, NULL), 1);
	assert_int_equal(event_of(ctx.stats, 100 + fit, FF_EV_TEMPLATES, NULL), 0);
	/* Again within the minute: counted, its log line suppressed. */
	uint8_t a[FF_ADDR_LEN];
	addr_of(100 + fit, a);
	size_t len = v9_template(pkt, 257, 512);
	ff_decoder_nf9.decode(&ctx, pkt, len, a, now + 1000);
	uint64_t suppressed = 0;
	assert_int_equal(event_of(ctx.stats, 100 + fit, FF_EV_TEMPLATE_REFUSED, &suppressed), 2);
	assert_int_equal(suppressed, 1);
	/* A real exporter's 14 modest templates get in, the last at the heaviest's expense. */
	addr_of(1, a);
	for (uint16_t id = 300; id < 314; id++) {
		len = v9_template(pkt, id, 20);
		ff_decoder_nf9.decode(&ctx, pkt, len, a, now);
	}
	assert_int_equal(event_of(ctx.stats, 1, FF_EV_TEMPLATES, NULL), 14);
	assert_int_equal(event_of(ctx.stats, 1, FF_EV_TEMPLATE_REFUSED, NULL), 0);
	assert_int_equal(event_of(ctx.stats, 1, FF_EV_TEMPLATE_EVICTED, NULL), 0);
	uint64_t evicted = 0;
	for (uint32_t x = 0; x < fit; x++)
		evicted += event_of(ctx.stats, 100 + x, FF_EV_TEMPLATE_EVICTED, NULL);
	assert_int_equal(evicted, 1);
	assert_string_equal(ff_exporter_event_name(FF_EV_TEMPLATE_EVICTED), "template.evicted");
	assert_string_equal(ff_exporter_event_name(FF_EV_TEMPLATE_REFUSED), "template.refused");
	ff_exporter_stats_free(ctx.stats);
	ff_decoder_ctx_release(&ctx);
}

static const struct CMUnitTest template_quota_tests[] = {
    cmocka_unit_test(exporter_count_quota),
    cmocka_unit_test(exporter_byte_quota),
    cmocka_unit_test(second_exporter_after_first_full),
    cmocka_unit_test(spoofed_crowd_does_not_lock_out),
    cmocka_unit_test(beyond_fair_share_refused),
    cmocka_unit_test(withdraw_releases_quota),
    cmocka_unit_test(save_load_at_bound),
    cmocka_unit_test(decoder_counts_refused_and_evicted),
};

FF_TEST_MAIN(template_quota_tests)
