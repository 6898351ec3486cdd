#include "ff_test.h"

#include "ff_prom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Samples added family by family, out of order, come out grouped, each family's HELP/TYPE once. */
static void groups_families(void **state)
{
	(void)state;
	ff_prom *p = ff_prom_new();
	assert_non_null(p);
	assert_int_equal(ff_prom_declare(p, "ff_a_total", FF_PROM_COUNTER, "A things."), 0);
	assert_int_equal(ff_prom_declare(p, "ff_b", FF_PROM_GAUGE, "B now."), 0);
	assert_int_equal(ff_prom_declare(p, "ff_a_total", FF_PROM_COUNTER, "again"), 0);
	ff_prom_label x = {"agent", "x"}, y = {"agent", "y"};
	assert_int_equal(ff_prom_add_u64(p, "ff_a_total", "", &x, 1, 1), 0);
	assert_int_equal(ff_prom_add(p, "ff_b", "", &x, 1, 0.5), 0);
	assert_int_equal(ff_prom_add_u64(p, "ff_a_total", "", &y, 1, UINT64_MAX), 0);
	size_t len = 0;
	char *text = ff_prom_render(p, &len);
	assert_non_null(text);
	assert_string_equal(text, "# HELP ff_a_total A things.\n"
				  "# TYPE ff_a_total counter\n"
				  "ff_a_total{agent=\"x\"} 1\n"
				  "ff_a_total{agent=\"y\"} 18446744073709551615\n"
				  "# HELP ff_b B now.\n"
				  "# TYPE ff_b gauge\n"
				  "ff_b{agent=\"x\"} 0.5\n");
	assert_int_equal(len, strlen(text));
	assert_int_equal(ff_prom_samples(p), 3);
	free(text);
	ff_prom_free(p);
}

/* A hostile label value cannot end the label or the line; bad names are refused. */
static void escapes_and_refuses(void **state)
{
	(void)state;
	ff_prom *p = ff_prom_new();
	assert_int_equal(ff_prom_declare(p, "ff_x_total", FF_PROM_COUNTER, "back\\slash\nnewline"), 0);
	assert_int_equal(ff_prom_declare(p, "9bad", FF_PROM_GAUGE, ""), -EINVAL);
	assert_int_equal(ff_prom_declare(p, "bad-name", FF_PROM_GAUGE, ""), -EINVAL);
	assert_int_equal(ff_prom_declare(p, "ff_x_total", FF_PROM_GAUGE, ""), -EINVAL);
	ff_prom_label l = {"exporter", "a\"b\\c\nd"};
	assert_int_equal(ff_prom_add_u64(p, "ff_x_total", "", &l, 1, 2), 0);
	ff_prom_label bad = {"__reserved", "v"};
	assert_int_equal(ff_prom_add_u64(p, "ff_x_total", "", &bad, 1, 2), -EINVAL);
	assert_int_equal(ff_prom_add_u64(p, "ff_none", "", NULL, 0, 2), -ENOENT);
	char *text = ff_prom_render(p, NULL);
	assert_string_equal(text, "# HELP ff_x_total back\\\\slash\\nnewline\n"
				  "# TYPE ff_x_total counter\n"
				  "ff_x_total{exporter=\"a\\\"b\\\\c\\nd\"} 2\n");
	free(text);
	ff_prom_free(p);
}

static void histogram_buckets(void **state)
{
	(void)state;
	ff_prom *p = ff_prom_new();
	assert_int_equal(ff_prom_declare(p, "ff_h_seconds", FF_PROM_HISTOGRAM, "H."), 0);
	const double le[] = {0.001, 0.01};
	const uint64_t cum[] = {3, 5};
	ff_prom_label k = {"kind", "top"};
	assert_int_equal(ff_prom_add_histogram(p, "ff_h_seconds", &k, 1, le, cum, 2, 7, 0.25), 0);
	char *text = ff_prom_render(p, NULL);
	assert_string_equal(text, "# HELP ff_h_seconds H.\n"
				  "# TYPE ff_h_seconds histogram\n"
				  "ff_h_seconds_bucket{kind=\"top\",le=\"0.001\"} 3\n"
				  "ff_h_seconds_bucket{kind=\"top\",le=\"0.01\"} 5\n"
				  "ff_h_seconds_bucket{kind=\"top\",le=\"+Inf\"} 7\n"
				  "ff_h_seconds_sum{kind=\"top\"} 0.25\n"
				  "ff_h_seconds_count{kind=\"top\"} 7\n");
	free(text);
	ff_prom_free(p);
}

/* A family with nothing in it is left out, so a scrape never shows a bare TYPE line. */
static void empty_family_left_out(void **state)
{
	(void)state;
	ff_prom *p = ff_prom_new();
	assert_int_equal(ff_prom_declare(p, "ff_empty", FF_PROM_GAUGE, "E."), 0);
	char *text = ff_prom_render(p, NULL);
	assert_string_equal(text, "");
	free(text);
	ff_prom_free(p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(groups_families),
    cmocka_unit_test(escapes_and_refuses),
    cmocka_unit_test(histogram_buckets),
    cmocka_unit_test(empty_family_left_out),
};

FF_TEST_MAIN(tests)
