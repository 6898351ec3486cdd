#include "ff_test.h"

#include "ff_hmap.h"

static void insert_find(void **state)
{
	(void)state;
	ff_hmap *h = ff_hmap_new(sizeof(uint32_t), sizeof(uint64_t), 4);
	assert_non_null(h);
	uint32_t k = 7;
	int created = 0;
	uint64_t *v = ff_hmap_upsert(h, &k, &created);
	assert_non_null(v);
	assert_int_equal(created, 1);
	assert_int_equal(*v, 0);
	*v = 99;
	v = ff_hmap_upsert(h, &k, &created);
	assert_int_equal(created, 0);
	assert_int_equal(*v, 99);
	uint32_t other = 8;
	assert_null(ff_hmap_find(h, &other));
	assert_int_equal(ff_hmap_count(h), 1);
	ff_hmap_free(h);
}

static void grow_keeps_entries(void **state)
{
	(void)state;
	ff_hmap *h = ff_hmap_new(sizeof(uint32_t), sizeof(uint64_t), 1);
	for (uint32_t i = 0; i < 100000; i++) {
		uint64_t *v = ff_hmap_upsert(h, &i, NULL);
		assert_non_null(v);
		*v = (uint64_t)i * 3;
	}
	assert_int_equal(ff_hmap_count(h), 100000);
	for (uint32_t i = 0; i < 100000; i++) {
		uint64_t *v = ff_hmap_find(h, &i);
		assert_non_null(v);
		assert_int_equal(*v, (uint64_t)i * 3);
	}
	ff_hmap_free(h);
}

static void clear_reuses(void **state)
{
	(void)state;
	ff_hmap *h = ff_hmap_new(sizeof(uint32_t), sizeof(uint64_t), 16);
	for (uint32_t i = 0; i < 10; i++)
		ff_hmap_upsert(h, &i, NULL);
	ff_hmap_clear(h);
	assert_int_equal(ff_hmap_count(h), 0);
	uint32_t k = 3;
	assert_null(ff_hmap_find(h, &k));
	int created = 0;
	uint64_t *v = ff_hmap_upsert(h, &k, &created);
	assert_int_equal(created, 1);
	assert_int_equal(*v, 0);
	ff_hmap_free(h);
}

static void iterate_all(void **state)
{
	(void)state;
	ff_hmap *h = ff_hmap_new(sizeof(uint32_t), sizeof(uint64_t), 16);
	uint64_t want = 0;
	for (uint32_t i = 1; i <= 1000; i++) {
		*(uint64_t *)ff_hmap_upsert(h, &i, NULL) = i;
		want += i;
	}
	size_t cursor = 0, seen = 0;
	uint64_t sum = 0;
	const void *key;
	void *val;
	while (ff_hmap_next(h, &cursor, &key, &val)) {
		assert_int_equal(*(const uint32_t *)key, *(uint64_t *)val);
		sum += *(uint64_t *)val;
		seen++;
	}
	assert_int_equal(seen, 1000);
	assert_int_equal(sum, want);
	ff_hmap_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(insert_find),
	cmocka_unit_test(grow_keeps_entries),
	cmocka_unit_test(clear_reuses),
	cmocka_unit_test(iterate_all),
};

FF_TEST_MAIN(tests)
