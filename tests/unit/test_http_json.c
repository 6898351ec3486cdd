#include "ff_test.h"

#include "http_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Counters above INT64_MAX print as their exact unsigned value, never negative. */
static void u64_prints_unsigned(void **state)
{
	(void)state;
	json_t *doc = json_pack("{s:o, s:o, s:o, s:s}", "max", ff_http_json_u64(UINT64_MAX), "big",
				ff_http_json_u64((uint64_t)INT64_MAX + 1), "small",
				ff_http_json_u64(1394799648), "label", "u64:5");
	assert_non_null(doc);
	char *text = ff_http_json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	assert_string_equal(text, "{\"big\":9223372036854775808,\"label\":\"u64:5\","
				  "\"max\":18446744073709551615,\"small\":1394799648}");
	free(text);
	json_decref(doc);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(u64_prints_unsigned),
};

FF_TEST_MAIN(tests)
