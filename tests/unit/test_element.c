#include "ff_test.h"

#include "ff_element.h"

#include <string.h>

static void parse_stat_default_order(void **state)
{
	(void)state;
	enum ff_element el;
	enum ff_order order;
	char err[256];
	assert_int_equal(ff_element_parse_stat("dstport", &el, &order, err, sizeof err), 0);
	assert_int_equal(el, FF_EL_DSTPORT);
	assert_int_equal(order, FF_ORDER_FLOWS);
	assert_int_equal(ff_element_parse_stat("srcip/bytes", &el, &order, err, sizeof err), 0);
	assert_int_equal(el, FF_EL_SRCIP);
	assert_int_equal(order, FF_ORDER_BYTES);
}

static void parse_stat_unknown_element(void **state)
{
	(void)state;
	enum ff_element el;
	enum ff_order order;
	char err[256];
	assert_int_equal(ff_element_parse_stat("srcipp/bytes", &el, &order, err, sizeof err), -1);
	assert_non_null(strstr(err, "'srcipp'"));
	assert_non_null(strstr(err, "srcip, dstip"));
}

/* nfdump's words for fields the record lacks say so, not "unknown". */
static void parse_stat_not_carried(void **state)
{
	(void)state;
	enum ff_element el;
	enum ff_order order;
	char err[512];
	const char *words[] = {"nhip/bytes", "srcvlan", "mpls3/packets", "insrcmac", "dstmask"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		assert_int_equal(ff_element_parse_stat(words[i], &el, &order, err, sizeof err), -1);
		assert_non_null(strstr(err, "does not carry"));
		assert_null(strstr(err, "unknown"));
	}
	assert_non_null(strstr(err, "network masks"));
}

static void parse_stat_unknown_order(void **state)
{
	(void)state;
	enum ff_element el;
	enum ff_order order;
	char err[256];
	assert_int_equal(ff_element_parse_stat("srcip/octets", &el, &order, err, sizeof err), -1);
	assert_non_null(strstr(err, "'octets'"));
	assert_non_null(strstr(err, "bytes"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(parse_stat_default_order),
	cmocka_unit_test(parse_stat_unknown_element),
	cmocka_unit_test(parse_stat_unknown_order),
	cmocka_unit_test(parse_stat_not_carried),
};

FF_TEST_MAIN(tests)
