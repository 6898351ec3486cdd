#include "ff_test.h"

#include "store_open.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_sopen_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void remove_all(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void count_replay(void *arg, const ff_batch *b)
{
	(void)b;
	(*(size_t *)arg)++;
}

/* Batch `seq` of `n` records of 100 bytes each. */
static void append(ff_store *s, uint64_t seq, size_t n)
{
	ff_flow recs[4];
	memset(recs, 0, sizeof recs);
	for (size_t i = 0; i < n; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000001u);
		recs[i].bytes = 100;
		recs[i].packets = 1;
		recs[i].flows = 1;
		recs[i].first_ms = 1000000;
		recs[i].last_ms = 1001000;
	}
	ff_batch b = {.epoch = 1, .sequence = seq, .records = recs, .n_records = n};
	strcpy(b.agent_id, "node-a");
	assert_int_equal(ff_store_append(s, &b), 0);
}

static ff_store *open_named(const char *backend, const char *dir, size_t *replayed)
{
	ff_store_config cfg = {.backend = backend, .columnar = {.data_dir = dir}};
	ff_store *s = NULL;
	assert_int_equal(ff_store_open(&cfg, count_replay, replayed, &s), 0);
	assert_non_null(s);
	return s;
}

static void opens_columnar_by_name(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	size_t replayed = 0;
	ff_store *s = open_named("columnar", dir, &replayed);
	assert_string_equal(s->ops->name, "columnar");
	append(s, 1, 2);
	ff_store_close(s);
	/* No name is the default, the same store: it replays what was stored. */
	s = open_named(NULL, dir, &replayed);
	assert_string_equal(s->ops->name, FF_STORE_DEFAULT_BACKEND);
	assert_int_equal(replayed, 1);
	ff_store_close(s);
	remove_all(dir);
}

static void unknown_backend_refused(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store_config cfg = {.backend = "nope", .columnar = {.data_dir = dir}};
	ff_store *s = NULL;
	size_t replayed = 0;
	assert_int_equal(ff_store_open(&cfg, count_replay, &replayed, &s), FF_STORE_EBACKEND);
	assert_null(s);
	assert_int_equal(dir_entries(dir), 0);
	assert_string_equal(ff_strerror(FF_STORE_EBACKEND), "no such store backend");
	assert_false(ff_store_backend_known("nope"));
	assert_false(ff_store_backend_known(""));
	assert_false(ff_store_backend_known("Columnar"));
	assert_false(ff_store_backend_known(NULL));
	remove_all(dir);
}

/* Every name the list offers (--help, config errors) is one ff_store_open() opens. */
static void backends_list_opens(void **state)
{
	(void)state;
	char names[256];
	snprintf(names, sizeof names, "%s", ff_store_backends());
	assert_non_null(strstr(names, FF_STORE_DEFAULT_BACKEND));
	size_t n = 0;
	char *save = NULL;
	for (char *name = strtok_r(names, ", ", &save); name != NULL;
	     name = strtok_r(NULL, ", ", &save), n++) {
		assert_true(ff_store_backend_known(name));
		char dir[64];
		temp_dir(dir);
		size_t replayed = 0;
		ff_store *s = open_named(name, dir, &replayed);
		assert_string_equal(s->ops->name, name);
		ff_store_close(s);
		remove_all(dir);
	}
	assert_true(n >= 1);
}

static uint64_t member(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);
	assert_true(json_is_integer(v));
	return (uint64_t)json_integer_value(v);
}

static void stats_json_columnar(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	size_t replayed = 0;
	ff_store *s = open_named("columnar", dir, &replayed);
	append(s, 1, 2);
	append(s, 2, 3);
	assert_int_equal(ff_store_columnar_seal(s), 0);
	json_t *doc = ff_store_stats_json(s);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "backend")), "columnar");
	assert_int_equal(member(doc, "batches"), 2);
	assert_int_equal(member(doc, "records"), 5);
	assert_true(member(doc, "bytes") > 0);
	assert_int_equal(member(doc, "append_errors"), 0);
	/* Its own counters only under its name. */
	assert_null(json_object_get(doc, "segments"));
	const json_t *own = json_object_get(doc, "columnar");
	assert_true(json_is_object(own));
	assert_int_equal(json_object_size(own), 18);
	assert_int_equal(member(own, "journals_lost"), 0);
	assert_int_equal(member(own, "quarantined_records"), 0);
	assert_int_equal(member(own, "rollups_set_aside"), 0);
	assert_int_equal(member(own, "rollups_rebuilt"), 0);
	assert_int_equal(member(own, "segments"), 1);
	assert_int_equal(member(own, "seals"), 1);
	assert_int_equal(member(own, "seal_errors"), 0);
	assert_int_equal(member(own, "quarantined"), 0);
	assert_int_equal(member(own, "expired"), 0);
	assert_int_equal(member(own, "torn_tails"), 0);
	assert_int_equal(member(own, "corrupt"), 0);
	assert_int_equal(member(own, "rollup_errors"), 0);
	assert_int_equal(member(own, "early_seals"), 0);
	assert_int_equal(member(own, "hour_rollups_not_paying"), 0);
	ff_store_columnar_stats cst;
	ff_store_columnar_get_stats(s, &cst);
	assert_int_equal(member(own, "rollup_minute"), cst.rollup_minute);
	assert_int_equal(member(own, "rollup_hour"), cst.rollup_hour);
	assert_int_equal(member(own, "rollup_bytes"), cst.rollup_bytes);
	assert_int_equal(member(own, "minute_rollups_not_paying"), cst.minute_rollups_not_paying);
	json_decref(doc);
	ff_store_close(s);
	remove_all(dir);
}

/* A backend without counters of its own: the generic ones, and no other backend's. */
static void fake_stats(ff_store *s, ff_store_stats *out)
{
	(void)s;
	*out = (ff_store_stats){.batches = 3, .records = 7, .bytes = 0, .append_errors = 1};
}

static void stats_json_generic_only(void **state)
{
	(void)state;
	static const ff_store_ops ops = {.name = "fake", .stats = fake_stats};
	ff_store fake = {.ops = &ops};
	json_t *doc = ff_store_stats_json(&fake);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "backend")), "fake");
	assert_int_equal(member(doc, "batches"), 3);
	assert_int_equal(member(doc, "records"), 7);
	assert_int_equal(member(doc, "append_errors"), 1);
	/* Without a health op a store is writable. */
	assert_true(json_is_true(json_object_get(doc, "writable")));
	assert_int_equal(json_object_size(doc), 6);
	json_decref(doc);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(opens_columnar_by_name),  cmocka_unit_test(unknown_backend_refused),
    cmocka_unit_test(backends_list_opens),     cmocka_unit_test(stats_json_columnar),
    cmocka_unit_test(stats_json_generic_only),
};

FF_TEST_MAIN(tests)
