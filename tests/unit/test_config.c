#include "ff_test.h"

#include "ff_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct demo_cfg {
	char *name;
	uint64_t count;
	uint64_t interval_ms;
	uint64_t buf;
	bool verbose;
	ff_strlist labels;
};

static const ff_option demo_opts[] = {
	{"name", 'n', FF_OPT_STRING, offsetof(struct demo_cfg, name), "alpha", 0, 0, NULL, "N", ""},
	{"count", 0, FF_OPT_UINT, offsetof(struct demo_cfg, count), "3", 1, 10, NULL, "N", ""},
	{"interval", 0, FF_OPT_DURATION, offsetof(struct demo_cfg, interval_ms), "10s", 1000, 0,
	 NULL, "T", ""},
	{"buf", 0, FF_OPT_SIZE, offsetof(struct demo_cfg, buf), "8M", 0, 0, NULL, "B", ""},
	{"verbose", 0, FF_OPT_BOOL, offsetof(struct demo_cfg, verbose), "false", 0, 0, NULL, NULL,
	 ""},
	{"label", 0, FF_OPT_LIST, offsetof(struct demo_cfg, labels), NULL, 0, 0, NULL, "K=V", ""},
};

static const ff_config_table demo_table = {
	.program = "demo",
	.opts = demo_opts,
	.n_opts = sizeof demo_opts / sizeof demo_opts[0],
	.synopsis = "[options]",
};

/* Writes `text` to a temp file; the caller unlinks and frees the path. */
static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/ff_test_config_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load(struct demo_cfg *c, int argc, char **argv, char *err)
{
	memset(c, 0, sizeof *c);
	int first;
	return ff_config_load(&demo_table, c, argc, argv, &first, err, 512);
}

static void defaults(void **state)
{
	(void)state;
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", NULL};
	assert_int_equal(load(&c, 1, argv, err), 0);
	assert_string_equal(c.name, "alpha");
	assert_int_equal(c.count, 3);
	assert_int_equal(c.interval_ms, 10000);
	assert_int_equal(c.buf, 8u << 20);
	assert_false(c.verbose);
	ff_config_free(&demo_table, &c);
}

static void file_then_flags(void **state)
{
	(void)state;
	char *path = write_tmp("# comment\nname = beta\ncount = 5\nverbose = yes\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, "--count", "7", NULL};
	assert_int_equal(load(&c, 5, argv, err), 0);
	assert_string_equal(c.name, "beta");
	assert_int_equal(c.count, 7);
	assert_true(c.verbose);
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

static void unknown_key_names_line(void **state)
{
	(void)state;
	char *path = write_tmp("name = x\n\nbogus-key = 1\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	char want[600];
	snprintf(want, sizeof want, "%s:3: unknown key 'bogus-key'", path);
	assert_string_equal(err, want);
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

static void bad_value_names_key(void **state)
{
	(void)state;
	char *path = write_tmp("count = 11\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, ":1: key 'count': '11' is out of range"));
	ff_config_free(&demo_table, &c);
	char *argv2[] = {"demo", "--interval", "soon", NULL};
	assert_int_equal(load(&c, 3, argv2, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "option --interval: 'soon' is not a duration"));
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

/* A duration or size without its unit is refused with how to write it; 0 needs none. */
static void bare_numbers_need_units(void **state)
{
	(void)state;
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "--interval", "30", NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	assert_string_equal(err, "option --interval: '30' has no unit: write 30s, 30m, 30h or 30d "
				 "(30ms for milliseconds)");
	ff_config_free(&demo_table, &c);
	char *argv2[] = {"demo", "--buf", "50", NULL};
	assert_int_equal(load(&c, 3, argv2, err), FF_CONFIG_ERROR);
	assert_string_equal(err, "option --buf: '50' has no unit: write 50G, 50M or 50k (50B for bytes)");
	ff_config_free(&demo_table, &c);
	char *argv3[] = {"demo", "--buf", "0", "--interval", "90s", NULL};
	assert_int_equal(load(&c, 5, argv3, err), 0);
	assert_int_equal(c.buf, 0);
	assert_int_equal(c.interval_ms, 90000);
	ff_config_free(&demo_table, &c);
	char *argv4[] = {"demo", "--buf", "4096B", NULL};
	assert_int_equal(load(&c, 3, argv4, err), 0);
	assert_int_equal(c.buf, 4096);
	ff_config_free(&demo_table, &c);
	/* Out of range says the bounds, in units. */
	char *argv5[] = {"demo", "--interval", "500ms", NULL};
	assert_int_equal(load(&c, 3, argv5, err), FF_CONFIG_ERROR);
	assert_string_equal(err, "option --interval: '500ms' is out of range: at least 1s");
	ff_config_free(&demo_table, &c);
	char *argv6[] = {"demo", "--count", "11", NULL};
	assert_int_equal(load(&c, 3, argv6, err), FF_CONFIG_ERROR);
	assert_string_equal(err, "option --count: '11' is out of range: 1 to 10");
	ff_config_free(&demo_table, &c);
}

/* A key set twice in one file names both lines; a list key may repeat. */
static void duplicate_key_names_both_lines(void **state)
{
	(void)state;
	char *path = write_tmp("name = a\nlabel = x=1\nlabel = y=2\n\nname = b\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	char want[600];
	snprintf(want, sizeof want, "%s:5: key 'name' is set twice: here and on line 1", path);
	assert_string_equal(err, want);
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

static void syntax_error_then_bad_key(void **state)
{
	(void)state;
	char *path = write_tmp("name = x\nthis line is wrong\ncount = 99\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	char want[600];
	snprintf(want, sizeof want, "%s:2: syntax error: expected 'key = value'", path);
	assert_string_equal(err, want);
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

static void durations_and_sizes(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(ff_parse_duration_ms("10", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(ff_parse_duration_ms("500ms", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(ff_parse_duration_ms("7d", &v), 0);
	assert_int_equal(v, 7ull * 86400 * 1000);
	assert_int_equal(ff_parse_duration_ms("10x", &v), -1);
	assert_int_equal(ff_parse_duration_ms("-1", &v), -1);
	assert_int_equal(ff_parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ff_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(ff_parse_size("99999999999999999999", &v), -1);
}

static void list_flag_replaces_file(void **state)
{
	(void)state;
	char *path = write_tmp("label = a=1\nlabel = b=2\n");
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", path, NULL};
	assert_int_equal(load(&c, 3, argv, err), 0);
	assert_int_equal(c.labels.n, 2);
	ff_config_free(&demo_table, &c);
	char *argv2[] = {"demo", "-c", path, "--label", "c=3", NULL};
	assert_int_equal(load(&c, 5, argv2, err), 0);
	assert_int_equal(c.labels.n, 1);
	assert_string_equal(c.labels.v[0], "c=3");
	ff_config_free(&demo_table, &c);
	unlink(path);
	free(path);
}

static void missing_file(void **state)
{
	(void)state;
	struct demo_cfg c;
	char err[512];
	char *argv[] = {"demo", "-c", "/nonexistent/ff.conf", NULL};
	assert_int_equal(load(&c, 3, argv, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "/nonexistent/ff.conf: cannot open"));
	ff_config_free(&demo_table, &c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(defaults),	      cmocka_unit_test(file_then_flags),
	cmocka_unit_test(unknown_key_names_line), cmocka_unit_test(bad_value_names_key),
	cmocka_unit_test(durations_and_sizes),    cmocka_unit_test(list_flag_replaces_file),
	cmocka_unit_test(missing_file),	      cmocka_unit_test(syntax_error_then_bad_key),
	cmocka_unit_test(bare_numbers_need_units), cmocka_unit_test(duplicate_key_names_both_lines),
};

FF_TEST_MAIN(tests)
