#include "ff_test.h"

#include "cli_format.h"

#include <stdio.h>
#include <string.h>

/*
 * Expected lines are copied from nfdump 1.7.1 (`nfdump -R DIR -s srcip/bytes`,
 * `-o csv`, `-s proto`) run over the same flows, so a passing test means the
 * CLI prints what nfdump prints.
 */

static const struct ff_cli_top_total nf_total = {
    .flows = 37,
    .packets = 4041240,
    .bytes = 125960528642,
    .first_ms = 1795460999000,
    .last_ms = 1795461059000,
};

static const struct ff_cli_top_row nf_row = {
    .key = "2.0.0.5",
    .flows = 31,
    .packets = 20030,
    .bytes = 123456789012,
    .first_ms = 1795460999500,
    .last_ms = 1795461008000,
    .pps = 2356,
    .bps = 116194624952,
    .bpp = 6163594,
};

static void number_scaling(void **state)
{
	(void)state;
	char b[FF_CLI_NUM_LEN];
	ff_cli_fmt_number(b, sizeof b, 999999, true, false);
	assert_string_equal(b, "999999");
	ff_cli_fmt_number(b, sizeof b, 1000000, false, false);
	assert_string_equal(b, "1.0 M");
	ff_cli_fmt_number(b, sizeof b, 3999999, true, false);
	assert_string_equal(b, "  4.0 M");
	ff_cli_fmt_number(b, sizeof b, 2500999999, true, false);
	assert_string_equal(b, "  2.5 G");
	ff_cli_fmt_number(b, sizeof b, 123456789012, true, false);
	assert_string_equal(b, "123.5 G");
	ff_cli_fmt_number(b, sizeof b, 125960528642, false, false);
	assert_string_equal(b, "126.0 G");
	ff_cli_fmt_number(b, sizeof b, 1500000000000, true, false);
	assert_string_equal(b, "  1.5 T");
	ff_cli_fmt_number(b, sizeof b, 123456789012, true, true);
	assert_string_equal(b, "123456789012");
}

static void percent(void **state)
{
	(void)state;
	char b[16];
	assert_true(ff_cli_percent(5, 0) == 0.0);
	snprintf(b, sizeof b, "%4.1f", ff_cli_percent(31, 37));
	assert_string_equal(b, "83.8");
	snprintf(b, sizeof b, "%4.1f", ff_cli_percent(1, 37));
	assert_string_equal(b, " 2.7");
	snprintf(b, sizeof b, "%4.1f", ff_cli_percent(UINT64_MAX, UINT64_MAX));
	assert_string_equal(b, "100.0");
}

static void duration(void **state)
{
	(void)state;
	char b[FF_CLI_NUM_LEN];
	ff_cli_fmt_duration(b, sizeof b, 8500);
	assert_string_equal(b, "    00:00:08.500");
	ff_cli_fmt_duration(b, sizeof b, 60000);
	assert_string_equal(b, "    00:01:00.000");
	ff_cli_fmt_duration(b, sizeof b, 0);
	assert_string_equal(b, "    00:00:00.000");
	ff_cli_fmt_duration(b, sizeof b, 86400000 + 3661001);
	assert_string_equal(b, " 1d 01:01:01.001");
}

static void time_utc(void **state)
{
	(void)state;
	char b[FF_CLI_NUM_LEN];
	ff_cli_fmt_time(b, sizeof b, 1795460999500, true);
	assert_string_equal(b, "2026-11-23 19:09:59.500");
	ff_cli_fmt_time(b, sizeof b, 1795460999500, false);
	assert_string_equal(b, "2026-11-23 19:09:59");
	ff_cli_fmt_time(b, sizeof b, 0, true);
	assert_string_equal(b, "1970-01-01 00:00:00.000");
}

static void proto_names(void **state)
{
	(void)state;
	assert_string_equal(ff_cli_proto_name("6"), "TCP");
	assert_string_equal(ff_cli_proto_name("17"), "UDP");
	assert_string_equal(ff_cli_proto_name("58"), "ICMP6");
	assert_string_equal(ff_cli_proto_name("250"), "250");
	assert_string_equal(ff_cli_proto_name("*"), "*");
	assert_string_equal(ff_cli_proto_name("6x"), "6x");
}

static void condense_v6(void **state)
{
	(void)state;
	char b[64];
	ff_cli_condense_v6(b, sizeof b, "2001:db8:ffff:1234:5678:9abc:def0:1");
	assert_string_equal(b, "2001:db..:def0:1");
	ff_cli_condense_v6(b, sizeof b, "2001:db8::1");
	assert_string_equal(b, "2001:db8::1");
	ff_cli_condense_v6(b, sizeof b, "10.0.0.1");
	assert_string_equal(b, "10.0.0.1");
}

static void rates(void **state)
{
	(void)state;
	uint64_t pps, bps, bpp;
	ff_cli_rates(20030, 123456789012, 8500, &pps, &bps, &bpp);
	assert_int_equal(pps, 2356);
	assert_int_equal(bps, 116194624952);
	assert_int_equal(bpp, 6163594);
	ff_cli_rates(1, 64, 0, &pps, &bps, &bpp);
	assert_int_equal(pps, 0);
	assert_int_equal(bps, 0);
	assert_int_equal(bpp, 64);
	ff_cli_rates(0, 0, 1000, &pps, &bps, &bpp);
	assert_int_equal(bpp, 0);
}

static void table_header(void **state)
{
	(void)state;
	char b[256];
	struct ff_cli_table_style style = {.address_keys = true};
	ff_cli_table_header(b, sizeof b, "Src IP Addr", &style);
	assert_string_equal(b, "Date first seen                 Duration Proto       Src IP Addr"
			       "    Flows(%)     Packets(%)       Bytes(%)         pps      bps   "
			       "bpp\n");
}

static void table_row(void **state)
{
	(void)state;
	char b[256];
	struct ff_cli_table_style style = {.address_keys = true};
	ff_cli_table_row(b, sizeof b, &nf_row, &nf_total, &style);
	assert_string_equal(b, "2026-11-23 19:09:59.500     00:00:08.500 any             2.0.0.5"
			       "       31(83.8)    20030( 0.5)  123.5 G(98.0)     2356  116.2 G "
			       "6163594\n");
	style.plain = true;
	ff_cli_table_row(b, sizeof b, &nf_row, &nf_total, &style);
	assert_string_equal(b, "2026-11-23 19:09:59.500            8.500 any             2.0.0.5"
			       "       31(83.8)    20030( 0.5) 123456789012(98.0)     2356 "
			       "116194624952 6163594\n");
}

static void table_row_proto(void **state)
{
	(void)state;
	char b[256];
	struct ff_cli_table_style style = {.proto_column = true};
	struct ff_cli_top_row r = {.key = "17",
				   .flows = 1,
				   .packets = 1,
				   .bytes = 64,
				   .first_ms = 1795460999100,
				   .last_ms = 1795460999100,
				   .bpp = 64};
	ff_cli_table_row(b, sizeof b, &r, &nf_total, &style);
	assert_string_equal(
	    b, "2026-11-23 19:09:59.100     00:00:00.000 UDP                  17"
	       "        1( 2.7)        1( 0.0)       64( 0.0)        0        0    64\n");
}

static void table_row_long_v6(void **state)
{
	(void)state;
	char b[256];
	struct ff_cli_table_style style = {.address_keys = true};
	struct ff_cli_top_row r = {.key = "2001:db8:ffff:1234:5678:9abc:def0:1",
				   .flows = 1,
				   .packets = 10,
				   .bytes = 5000,
				   .first_ms = 1795461279100,
				   .last_ms = 1795461279100,
				   .bpp = 500};
	struct ff_cli_top_total t = {.flows = 40, .packets = 4042309, .bytes = 126084063144};
	ff_cli_table_row(b, sizeof b, &r, &t, &style);
	assert_string_equal(
	    b, "2026-11-23 19:14:39.100     00:00:00.000 any    2001:db..:def0:1"
	       "        1( 2.5)       10( 0.0)     5000( 0.0)        0        0   500\n");
}

static void table_summary(void **state)
{
	(void)state;
	char b[256];
	ff_cli_table_summary(b, sizeof b, &nf_total, false);
	assert_string_equal(b,
			    "Summary: total flows: 37, total bytes: 126.0 G, total packets: 4.0 M, "
			    "avg bps: 16.8 G, avg pps: 67354, avg bpp: 31168\n");
	struct ff_cli_top_total empty = {0};
	ff_cli_table_summary(b, sizeof b, &empty, false);
	assert_string_equal(b, "Summary: total flows: 0, total bytes: 0, total packets: 0, "
			       "avg bps: 0, avg pps: 0, avg bpp: 0\n");
}

static void csv_row(void **state)
{
	(void)state;
	char b[256];
	assert_string_equal(ff_cli_csv_header(),
			    "ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp\n");
	ff_cli_csv_row(b, sizeof b, &nf_row, &nf_total, false);
	assert_string_equal(b, "2026-11-23 19:09:59,2026-11-23 19:10:08,8.500,any,2.0.0.5,31,83.8,"
			       "20030,0.5,123456789012,98.0,2356,116194624952,6163594\n");
	struct ff_cli_top_row r = {.key = "6",
				   .flows = 36,
				   .packets = 4041239,
				   .bytes = 125960528578,
				   .first_ms = 1795460999000,
				   .last_ms = 1795461059000,
				   .pps = 67353,
				   .bps = 16794737143,
				   .bpp = 31168};
	ff_cli_csv_row(b, sizeof b, &r, &nf_total, true);
	assert_string_equal(b,
			    "2026-11-23 19:09:59,2026-11-23 19:10:59,60.000,TCP,6,36,97.3,4041239,"
			    "100.0,125960528578,100.0,67353,16794737143,31168\n");
}

static void csv_row_quotes_key(void **state)
{
	(void)state;
	char b[256];
	struct ff_cli_top_row r = {.key = "rack \"1\",node-a", .flows = 1};
	struct ff_cli_top_total t = {.flows = 1};
	ff_cli_csv_row(b, sizeof b, &r, &t, false);
	assert_string_equal(b, "1970-01-01 00:00:00,1970-01-01 00:00:00,0.000,any,"
			       "\"rack \"\"1\"\",node-a\",1,100.0,0,0.0,0,0.0,0,0,0\n");
}

static void age(void **state)
{
	(void)state;
	char b[32];
	ff_cli_fmt_age(b, sizeof b, 3400);
	assert_string_equal(b, "3s ago");
	ff_cli_fmt_age(b, sizeof b, 300000);
	assert_string_equal(b, "5m ago");
	ff_cli_fmt_age(b, sizeof b, 3 * 3600000);
	assert_string_equal(b, "3h ago");
	ff_cli_fmt_age(b, sizeof b, 5ull * 86400000);
	assert_string_equal(b, "5d ago");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(number_scaling),
    cmocka_unit_test(percent),
    cmocka_unit_test(duration),
    cmocka_unit_test(time_utc),
    cmocka_unit_test(proto_names),
    cmocka_unit_test(condense_v6),
    cmocka_unit_test(rates),
    cmocka_unit_test(table_header),
    cmocka_unit_test(table_row),
    cmocka_unit_test(table_row_proto),
    cmocka_unit_test(table_row_long_v6),
    cmocka_unit_test(table_summary),
    cmocka_unit_test(csv_row),
    cmocka_unit_test(csv_row_quotes_key),
    cmocka_unit_test(age),
};

FF_TEST_MAIN(tests)
