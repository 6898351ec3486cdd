#include "ff_test.h"

#include "sampling.h"
#include "seqloss.h"
#include "template_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t ex1[FF_ADDR_LEN] = {[10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1};

static ff_tpl_key key(uint32_t domain, uint16_t id)
{
	ff_tpl_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.exporter, ex1, FF_ADDR_LEN);
	k.domain = domain;
	k.id = id;
	k.proto = 10;
	return k;
}

static ff_template *tpl(uint16_t id, uint16_t bytes_len, int options)
{
	ff_template *t = ff_template_alloc(2);
	assert_non_null(t);
	t->id = id;
	t->proto = 10;
	t->n_fields = 2;
	t->options = (uint8_t)options;
	t->n_scope = options ? 1 : 0;
	t->fields[0] = (ff_tpl_field){.id = 8, .len = 4};
	t->fields[1] = (ff_tpl_field){.id = 1, .len = bytes_len};
	assert_int_equal(ff_template_finish(t), 0);
	return t;
}

static void put_refresh_replace(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	ff_tpl_key k = key(1, 256);
	assert_int_equal(ff_template_cache_put(tc, &k, tpl(256, 4, 0), NULL, NULL), FF_TPL_NEW);
	assert_int_equal(ff_template_cache_put(tc, &k, tpl(256, 4, 0), NULL, NULL),
			 FF_TPL_REFRESHED);
	assert_int_equal(ff_template_cache_put(tc, &k, tpl(256, 8, 0), NULL, NULL),
			 FF_TPL_REPLACED);
	assert_int_equal(ff_template_cache_get(tc, &k)->min_len, 12);
	/* The same id in another domain is another template. */
	ff_tpl_key k2 = key(2, 256);
	assert_null(ff_template_cache_get(tc, &k2));
	assert_int_equal(ff_template_cache_count(tc), 1);
	ff_template_cache_free(tc);
}

static void withdraw_all_by_kind(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	for (uint16_t id = 256; id < 260; id++) {
		ff_tpl_key k = key(1, id);
		ff_template_cache_put(tc, &k, tpl(id, 4, id >= 258), NULL, NULL);
	}
	ff_tpl_key other = key(2, 256);
	ff_template_cache_put(tc, &other, tpl(256, 4, 0), NULL, NULL);
	ff_tpl_key k = key(1, 0);
	assert_int_equal(ff_template_cache_withdraw_all(tc, &k, true), 2);
	assert_int_equal(ff_template_cache_withdraw_all(tc, &k, false), 2);
	assert_int_equal(ff_template_cache_count(tc), 1);
	assert_non_null(ff_template_cache_get(tc, &other));
	k = key(1, 256);
	assert_int_equal(ff_template_cache_withdraw(tc, &k), 0);
	/* A withdrawn key can be defined again. */
	assert_int_equal(ff_template_cache_put(tc, &k, tpl(256, 4, 0), NULL, NULL), FF_TPL_NEW);
	ff_template_cache_free(tc);
}

static void finish_rejects_empty_records(void **state)
{
	(void)state;
	ff_template *t = ff_template_alloc(1);
	t->n_fields = 1;
	t->fields[0] = (ff_tpl_field){.id = 1, .len = 0};
	assert_int_equal(ff_template_finish(t), -EINVAL);
	t->fields[0].len = FF_TPL_VARLEN; /* a varlen field takes at least its length byte */
	assert_int_equal(ff_template_finish(t), 0);
	assert_int_equal(t->min_len, 1);
	t->n_fields = 0;
	assert_int_equal(ff_template_finish(t), -EINVAL);
	free(t);
}

struct seen {
	int n;
	uint16_t ids[FF_PENDING_MAX_SETS + 8];
};

static void on_pending(void *arg, const ff_pending_set *p)
{
	struct seen *s = arg;
	s->ids[s->n++] = p->key.id;
}

static void pending_bounded_and_ordered(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	ff_export_hdr h = {.export_ms = 1};
	uint8_t body[16] = {0};
	struct seen dropped = {0};
	for (int i = 0; i < FF_PENDING_MAX_SETS + 2; i++) {
		ff_tpl_key k = key(1, (uint16_t)(256 + i % 2));
		assert_int_equal(ff_template_cache_hold(tc, &k, &h, body, sizeof body, 1000,
							on_pending, &dropped),
				 0);
	}
	/* Full: the two oldest made room. */
	assert_int_equal(dropped.n, 2);
	assert_int_equal(ff_template_cache_pending(tc), FF_PENDING_MAX_SETS);
	struct seen released = {0};
	ff_tpl_key k = key(1, 257);
	assert_int_equal(ff_template_cache_release(tc, &k, on_pending, &released),
			 FF_PENDING_MAX_SETS / 2);
	assert_int_equal(released.ids[0], 257);
	/* Too large for the byte bound: refused, nothing dropped for it. */
	static uint8_t big[FF_PENDING_MAX_BYTES + 1];
	assert_int_equal(ff_template_cache_hold(tc, &k, &h, big, sizeof big, 1000, NULL, NULL),
			 -E2BIG);
	struct seen expired = {0};
	assert_int_equal(
	    ff_template_cache_expire(tc, 1000 + FF_PENDING_MAX_AGE_MS, on_pending, &expired),
	    FF_PENDING_MAX_SETS / 2);
	assert_int_equal(ff_template_cache_pending(tc), 0);
	ff_template_cache_free(tc);
}

static void save_load_roundtrip(void **state)
{
	(void)state;
	ff_template_cache *tc = ff_template_cache_new();
	ff_tpl_key k = key(7, 300);
	ff_template_cache_put(tc, &k, tpl(300, 8, 1), NULL, NULL);
	ff_tpl_key k2 = key(7, 301);
	ff_template_cache_put(tc, &k2, tpl(301, 4, 0), NULL, NULL);
	assert_true(ff_template_cache_dirty(tc));
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(ff_template_cache_save(tc, &buf, &len), 0);
	assert_false(ff_template_cache_dirty(tc));
	ff_template_cache *back = ff_template_cache_new();
	assert_int_equal(ff_template_cache_load(back, buf, len, NULL, NULL), 2);
	const ff_template *t = ff_template_cache_get(back, &k);
	assert_non_null(t);
	assert_int_equal(t->options, 1);
	assert_int_equal(t->n_scope, 1);
	assert_int_equal(t->min_len, 12);
	/* One flipped bit: refused whole. */
	buf[len / 2] ^= 1;
	ff_template_cache *bad = ff_template_cache_new();
	assert_int_equal(ff_template_cache_load(bad, buf, len, NULL, NULL), -EINVAL);
	assert_int_equal(ff_template_cache_count(bad), 0);
	assert_int_equal(ff_template_cache_load(bad, buf, 5, NULL, NULL), -EINVAL);
	free(buf);
	ff_template_cache_free(tc);
	ff_template_cache_free(back);
	ff_template_cache_free(bad);
}

/* Two receive threads load the same state; only the one the exporter lands on learns a new layout.
 */
static void merge_keeps_freshest(void **state)
{
	(void)state;
	ff_template_cache *src = ff_template_cache_new();
	ff_tpl_key k = key(7, 300);
	ff_template_cache_put(src, &k, tpl(300, 8, 0), NULL, NULL);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(ff_template_cache_save(src, &buf, &len), 0);
	ff_template_cache *a = ff_template_cache_new(), *b = ff_template_cache_new();
	assert_int_equal(ff_template_cache_load(a, buf, len, NULL, NULL), 1);
	assert_int_equal(ff_template_cache_load(b, buf, len, NULL, NULL), 1);
	assert_int_equal(ff_template_cache_put(b, &k, tpl(300, 4, 0), NULL, NULL), FF_TPL_REPLACED);
	for (int order = 0; order < 2; order++) {
		ff_template_cache *sum = ff_template_cache_new();
		assert_int_equal(ff_template_cache_merge(sum, order ? b : a), 0);
		assert_int_equal(ff_template_cache_merge(sum, order ? a : b), 0);
		const ff_template *t = ff_template_cache_get(sum, &k);
		assert_non_null(t);
		assert_int_equal(t->fields[1].len, 4);
		ff_template_cache_free(sum);
	}
	ff_sampling *sa = ff_sampling_new(), *sb = ff_sampling_new(), *ss = ff_sampling_new();
	assert_int_equal(ff_sampling_learn(sa, ex1, 3, FF_SAMPLER_ID, 5, 100), 0);
	assert_int_equal(ff_sampling_learn(sb, ex1, 3, FF_SAMPLER_ID, 5, 512), 0);
	assert_int_equal(ff_sampling_merge(ss, sb), 0);
	assert_int_equal(ff_sampling_merge(ss, sa), 0);
	assert_int_equal(ff_sampling_lookup(ss, ex1, 3, FF_SAMPLER_ID, 5), 512); /* learned last */
	assert_true(ff_sampling_dirty(ss));
	free(buf);
	ff_sampling_free(sa);
	ff_sampling_free(sb);
	ff_sampling_free(ss);
	ff_template_cache_free(src);
	ff_template_cache_free(a);
	ff_template_cache_free(b);
}

static void sampling_save_load_and_parse(void **state)
{
	(void)state;
	ff_sampling *s = ff_sampling_new();
	assert_int_equal(ff_sampling_learn(s, ex1, 3, FF_SAMPLER_ID, 5, 512), 0);
	assert_int_equal(ff_sampling_set_sysinit(s, ex1, 3, 1234567), 0);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(ff_sampling_save(s, &buf, &len), 0);
	ff_sampling *back = ff_sampling_new();
	assert_int_equal(ff_sampling_load(back, buf, len), 2);
	assert_int_equal(ff_sampling_lookup(back, ex1, 3, FF_SAMPLER_ID, 5), 512);
	assert_int_equal(ff_sampling_lookup(back, ex1, 3, FF_SAMPLER_SELECTOR, 5), 0);
	assert_int_equal(ff_sampling_sysinit(back, ex1, 3), 1234567);
	buf[len - 1] ^= 0x80;
	assert_int_equal(ff_sampling_load(back, buf, len), -EINVAL);
	free(buf);
	uint8_t addr[FF_ADDR_LEN];
	uint32_t rate = 0;
	char err[128];
	assert_int_equal(
	    ff_sampling_parse_override("2001:db8::1=100", addr, &rate, err, sizeof err), 0);
	assert_int_equal(rate, 100);
	assert_int_equal(ff_sampling_parse_override("10.0.0.1=0", addr, &rate, err, sizeof err),
			 -1);
	assert_int_equal(ff_sampling_parse_override("10.0.0.1", addr, &rate, err, sizeof err), -1);
	assert_int_equal(ff_sampling_parse_override("nohost=5", addr, &rate, err, sizeof err), -1);
	ff_sampling_free(s);
	ff_sampling_free(back);
}

static void sampling_scale_saturates(void **state)
{
	(void)state;
	ff_flow f = {.bytes = UINT64_MAX / 2, .packets = 3, .sampling_rate = 4};
	ff_sampling_apply(NULL, &f);
	assert_int_equal(f.bytes, UINT64_MAX);
	assert_int_equal(f.packets, 12);
	assert_int_equal(f.sampling_rate, 4);
}

static void seqloss_gap_late_reset_wrap(void **state)
{
	(void)state;
	ff_seqloss *t = ff_seqloss_new();
	assert_int_equal(ff_seqloss_observe(t, ex1, 0, FF_SEQ_V5_FLOWS, 100, 30), 0);
	assert_int_equal(ff_seqloss_observe(t, ex1, 0, FF_SEQ_V5_FLOWS, 160, 30), 30);
	assert_int_equal(ff_seqloss_observe(t, ex1, 0, FF_SEQ_V5_FLOWS, 130, 30), -30);
	/* A restart far behind: counted as a reset, no loss. */
	assert_int_equal(ff_seqloss_observe(t, ex1, 0, FF_SEQ_V5_FLOWS, 1, 30), 0);
	/* The 32-bit counter wraps without a loss. */
	assert_int_equal(ff_seqloss_observe(t, ex1, 1, FF_SEQ_V9_PACKETS, UINT32_MAX, 1), 0);
	assert_int_equal(ff_seqloss_observe(t, ex1, 1, FF_SEQ_V9_PACKETS, 0, 1), 0);
	assert_int_equal(ff_seqloss_observe(t, ex1, 1, FF_SEQ_V9_PACKETS, 2, 1), 1);
	/* An unknown increment resynchronises instead of counting a gap. */
	ff_seqloss_observe(t, ex1, 1, FF_SEQ_V9_PACKETS, 3, FF_SEQ_INCREMENT_UNKNOWN);
	assert_int_equal(ff_seqloss_observe(t, ex1, 1, FF_SEQ_V9_PACKETS, 50, 1), 0);
	size_t cursor = 0, n = 0;
	const ff_seqloss_entry *e;
	while ((e = ff_seqloss_next(t, &cursor)) != NULL) {
		n++;
		if (e->kind == FF_SEQ_V5_FLOWS) {
			assert_int_equal(e->lost, 0);
			assert_int_equal(e->resets, 1);
		} else {
			assert_int_equal(e->lost, 1);
		}
	}
	assert_int_equal(n, 2);
	ff_seqloss_free(t);
}

static const struct CMUnitTest template_cache_tests[] = {
    cmocka_unit_test(put_refresh_replace),	    cmocka_unit_test(withdraw_all_by_kind),
    cmocka_unit_test(finish_rejects_empty_records), cmocka_unit_test(pending_bounded_and_ordered),
    cmocka_unit_test(save_load_roundtrip),	    cmocka_unit_test(sampling_save_load_and_parse),
    cmocka_unit_test(sampling_scale_saturates),	    cmocka_unit_test(seqloss_gap_late_reset_wrap),
    cmocka_unit_test(merge_keeps_freshest),
};

FF_TEST_MAIN(template_cache_tests)
