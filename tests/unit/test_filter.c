#include "ff_test.h"

#include "ff_filter.h"
#include "ff_filter_impl.h"

#include <stdio.h>
#include <string.h>

/*
 * The filter language, primitive by primitive, against hand-made records.
 * The expected answers are nfdump 1.7.1's (checked with `nfdump -X`, which
 * dumps its compiled filter); tests/integration/filter_nfdump.sh checks the
 * same against nfdump itself on real exports.
 */

/* A TCP flow 10.0.0.1:1234 -> 192.168.1.20:80, 10 packets, 5000 bytes, 2 s. */
static ff_flow base_flow(void)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	ff_addr_from_v4(f.src_addr, 0x0a000001);
	ff_addr_from_v4(f.dst_addr, 0xc0a80114);
	ff_addr_from_v4(f.exporter, 0x7f000001);
	f.src_port = 1234;
	f.dst_port = 80;
	f.proto = 6;
	f.tcp_flags = 0x12; /* SYN ACK */
	f.tos = 0x10;
	f.in_if = 3;
	f.out_if = 7;
	f.src_as = 64500;
	f.dst_as = 15169;
	f.packets = 10;
	f.bytes = 5000;
	f.flows = 1;
	f.first_ms = 1700000000000ull;
	f.last_ms = f.first_ms + 2000;
	return f;
}

static ff_flow v6_flow(void)
{
	ff_flow f = base_flow();
	assert_int_equal(ff_addr_parse("2001:db8:1::5", f.src_addr), 0);
	assert_int_equal(ff_addr_parse("2001:db8:2::9", f.dst_addr), 0);
	f.proto = 17;
	f.dst_port = 53;
	return f;
}

/* Compiles or fails the test, printing the compiler's message. */
static ff_filter *compile_ok(const char *expr)
{
	char err[256] = "";
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0)
		fail_msg("'%s' did not compile: %s", expr, err);
	return f;
}

/* Asserts whether `expr` matches `flow`, naming the expression on failure. */
static void expect(const char *expr, const ff_flow *flow, bool want)
{
	ff_filter *f = compile_ok(expr);
	bool got = ff_filter_match(f, flow);
	ff_filter_free(f);
	if (got != want)
		fail_msg("'%s': expected %s, got %s", expr, want ? "match" : "no match",
			 got ? "match" : "no match");
}

/* Asserts that `expr` is refused with a message containing `needle`. */
static void expect_error(const char *expr, const char *needle)
{
	char err[256] = "";
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) == 0) {
		ff_filter_free(f);
		fail_msg("'%s' compiled but should be refused", expr);
	}
	assert_null(f);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", expr, err, needle);
}

static void any_and_empty(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("any", &f, true);
	expect("", &f, true);
	expect("   # only a comment", &f, true);
	expect("not any", &f, false);
	expect("not not any", &f, true);
}

static void proto_names_and_numbers(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("proto tcp", &f, true);
	expect("proto TCP", &f, true);
	expect("proto 6", &f, true);
	expect("proto udp", &f, false);
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {{"icmp", 1}, {"icmp6", 58}, {"gre", 47}, {"esp", 50}, {"udp", 17},
		     {"ah", 51}, {"sctp", 132}};
	char expr[64];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		f.proto = names[i].num;
		snprintf(expr, sizeof expr, "proto %s", names[i].name);
		expect(expr, &f, true);
		snprintf(expr, sizeof expr, "proto %u", names[i].num);
		expect(expr, &f, true);
	}
	f.proto = 0;
	expect("proto 0", &f, true);
}

static void family(void **state)
{
	(void)state;
	ff_flow f4 = base_flow(), f6 = v6_flow();
	expect("inet", &f4, true);
	expect("ipv4", &f4, true);
	expect("inet6", &f4, false);
	expect("ipv6", &f6, true);
	expect("inet", &f6, false);
	/* The family survives as long as one address does. */
	f6.wildcards = FF_FIELD_SRC_ADDR;
	expect("inet6", &f6, true);
	f6.wildcards |= FF_FIELD_DST_ADDR;
	expect("inet6", &f6, false);
	expect("inet", &f6, false);
}

static void host_v4_v6(void **state)
{
	(void)state;
	ff_flow f = base_flow(), f6 = v6_flow();
	expect("host 10.0.0.1", &f, true);
	expect("ip 192.168.1.20", &f, true);
	expect("src host 10.0.0.1", &f, true);
	expect("dst host 10.0.0.1", &f, false);
	expect("dst ip 192.168.1.20", &f, true);
	expect("host 10.0.0.2", &f, false);
	expect("host ::ffff:10.0.0.1", &f, true);
	expect("host 2001:db8:1::5", &f6, true);
	expect("src host 2001:db8:1::5", &f6, true);
	expect("dst host 2001:db8:1::5", &f6, false);
	expect("host 2001:db8:1::6", &f6, false);
	/* An IPv4 address never matches an IPv6 record and vice versa. */
	expect("host 0.0.0.5", &f6, false);
	expect("host ::a00:1", &f, false);
}

static void net_prefix_and_mask(void **state)
{
	(void)state;
	ff_flow f = base_flow(), f6 = v6_flow();
	expect("net 10.0.0.0/8", &f, true);
	expect("src net 10.0.0.0/8", &f, true);
	expect("dst net 10.0.0.0/8", &f, false);
	expect("net 192.168.1.0/24", &f, true);
	expect("net 192.168.1.16/28", &f, true);
	expect("net 192.168.1.32/28", &f, false);
	expect("net 10.1.0.0/8", &f, true); /* host bits are masked off, as nfdump does */
	expect("net 0.0.0.0/0", &f, true);
	expect("net 0.0.0.0/0", &f6, false);
	expect("net 10.0.0.0 255.0.0.0", &f, true);
	expect("net 192.168.0.0 255.255.0.0", &f, true);
	expect("net 192.0.1.0 255.0.255.0", &f, true); /* a sparse mask, as nfdump allows */
	expect("net 192.0.2.0 255.0.255.0", &f, false);
	expect("net 2001:db8::/32", &f6, true);
	expect("src net 2001:db8:1::/48", &f6, true);
	expect("dst net 2001:db8:1::/48", &f6, false);
	expect("net 2001:db8::/32", &f, false);
	expect("net ::/0", &f6, true);
}

static void net_partial_v4(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("net 10.0/16", &f, true);
	expect("net 192.168.1/24", &f, true);
	expect("net 192.168.2/24", &f, false);
}

static void ip_in_list(void **state)
{
	(void)state;
	ff_flow f = base_flow(), f6 = v6_flow();
	expect("ip in [10.0.0.1]", &f, true);
	expect("ip in [ 1.2.3.4 192.168.1.0/24 ]", &f, true);
	expect("src ip in [1.2.3.4, 192.168.1.0/24]", &f, false);
	expect("dst ip in [1.2.3.4,192.168.1.0/24]", &f, true);
	expect("host in [10.0.0.1]", &f, true);
	expect("ip in [1.2.3.4 5.6.7.8]", &f, false);
	expect("ip in [2001:db8:2::/48 10.9.9.9]", &f6, true);
	expect("src ip in [2001:db8:2::/48 10.9.9.9]", &f6, false);
	expect("src and dst ip in [10.0.0.0/8 192.168.0.0/16]", &f, true);
	expect("src and dst ip in [10.0.0.0/8]", &f, false);
}

static void port_compare(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("port 80", &f, true);
	expect("port 1234", &f, true);
	expect("port 81", &f, false);
	expect("src port 80", &f, false);
	expect("dst port 80", &f, true);
	expect("port > 1024", &f, true);
	expect("dst port > 1024", &f, false);
	expect("src port >= 1234", &f, true);
	expect("src port > 1234", &f, false);
	expect("dst port < 80", &f, false);
	expect("dst port <= 80", &f, true);
	expect("port = 80", &f, true);
	expect("port == 80", &f, true);
	expect("port eq 80", &f, true);
	expect("src port gt 1000", &f, true);
	expect("src port lt 1000", &f, false);
	expect("dst port ge 80", &f, true);
	expect("dst port le 79", &f, false);
	expect("port<80", &f, false);
	expect("port>=1234", &f, true);
	expect("port 0x50", &f, true);
	expect("port 0080", &f, true);
}

static void port_list(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("port in [80 443]", &f, true);
	expect("port in [443,8080]", &f, false);
	expect("src port in [443 1234 8080]", &f, true);
	expect("dst port in [443 1234 8080]", &f, false);
	expect("dst port in [ 80 80 80 ]", &f, true);
	expect("port in [65535 0 22]", &f, false);
}

static void as_compare_and_list(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("as 64500", &f, true);
	expect("src as 64500", &f, true);
	expect("dst as 64500", &f, false);
	expect("dst as 15169", &f, true);
	expect("as > 64500", &f, false);
	expect("as >= 64500", &f, true);
	expect("src as < 100000", &f, true);
	expect("as in [1 15169]", &f, true);
	expect("src as in [1 15169]", &f, false);
	expect("as 4294967295", &f, false);
	f.src_as = 4294967295u;
	expect("src as 4294967295", &f, true);
}

static void interfaces(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("if 3", &f, true);
	expect("if 7", &f, true);
	expect("if 4", &f, false);
	expect("in if 3", &f, true);
	expect("in if 7", &f, false);
	expect("out if 7", &f, true);
	expect("out if 3", &f, false);
}

static void flags_all_and_compare(void **state)
{
	(void)state;
	ff_flow f = base_flow(); /* SYN ACK */
	expect("flags S", &f, true);
	expect("flags A", &f, true);
	expect("flags AS", &f, true);
	expect("flags SA", &f, true);
	expect("flags F", &f, false);
	expect("flags SF", &f, false); /* every named flag must be set */
/*
	 * Under `not`, nfdump tests whether any listed flag is set, so "not
	 * flags AFRPU" means none of them: "flags S and not flags AFRPU" is its
	 * man page's "SYN only". Two `not`s cancel.
	 */
	expect("flags S and not flags AFRPU", &f, false);
	expect("not flags FR", &f, true);
	expect("not flags AF", &f, false);
	expect("not not flags AF", &f, false);
	expect("not (not flags AF)", &f, false);
	expect("not (proto tcp and flags AF)", &f, false);
	f.tcp_flags = 0x02;
	expect("flags S and not flags AFRPU", &f, true);
	f.tcp_flags = 0x12;
	expect("flags X", &f, false);
	f.tcp_flags = 0x3f;
	expect("flags X", &f, true);
	expect("flags UAPRSF", &f, true);
	f.tcp_flags = 0x12;
	expect("flags 18", &f, true);
	expect("flags = 18", &f, true);
	expect("flags > 17", &f, true);
	expect("flags < 18", &f, false);
	/* Flags imply TCP, as in nfdump. */
	f.proto = 17;
	expect("flags S", &f, false);
	expect("flags 18", &f, false);
	expect("not flags S", &f, true);
}

static void tos(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("tos 16", &f, true);
	expect("src tos 16", &f, true);
	expect("tos 0", &f, false);
	expect("tos > 8", &f, true);
	expect("tos lt 16", &f, false);
	expect("tos 0x10", &f, true);
}

static void counters_and_suffixes(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("packets 10", &f, true);
	expect("packets > 9", &f, true);
	expect("in packets > 9", &f, true);
	expect("packets > 10", &f, false);
	expect("bytes 5000", &f, true);
	expect("bytes 5k", &f, true);
	expect("bytes 5K", &f, true);
	expect("in bytes > 4k", &f, true);
	expect("bytes > 5k", &f, false);
	expect("bytes < 1m", &f, true);
	f.bytes = 2000000;
	expect("bytes 2M", &f, true);
	expect("bytes 2m", &f, true);
	f.bytes = 3000000000ull;
	expect("bytes 3g", &f, true);
	f.bytes = 4000000000000ull;
	expect("bytes 4t", &f, true);
	expect("flows 1", &f, true);
	expect("flows > 1", &f, false);
	f.flows = 7;
	expect("flows >= 7", &f, true);
}

static void duration_and_rates(void **state)
{
	(void)state;
	ff_flow f = base_flow(); /* 2000 ms, 10 packets, 5000 bytes */
	expect("duration 2000", &f, true);
	expect("duration > 1999", &f, true);
	expect("duration > 2k", &f, false);
	expect("pps 5", &f, true);     /* 1000 * 10 / 2000 */
	expect("bps 20000", &f, true); /* 8000 * 5000 / 2000 */
	expect("bps 20k", &f, true);
	expect("bpp 500", &f, true);
	/* nfdump rounds down: 7 packets in 2 s are 3 pps, 5001 bytes in 10 packets 500 bpp. */
	f.packets = 7;
	expect("pps 3", &f, true);
	f.packets = 10;
	f.bytes = 5009;
	expect("bpp 500", &f, true);
	expect("bps 20036", &f, true);
	/* No duration: rates are zero, as in nfdump. */
	f.last_ms = f.first_ms;
	expect("duration 0", &f, true);
	expect("pps 0", &f, true);
	expect("bps 0", &f, true);
	expect("bpp 500", &f, true);
	f.packets = 0;
	expect("bpp 0", &f, true);
	/* A last before first counts as no duration rather than wrapping. */
	f.last_ms = f.first_ms - 5;
	expect("duration 0", &f, true);
}

static void precedence_and_parens(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	/* and binds tighter than or; not tighter than and. */
	expect("proto udp and port 1 or port 80", &f, true);
	expect("proto udp and (port 1 or port 80)", &f, false);
	expect("port 80 or proto udp and port 1", &f, true);
	expect("(port 80 or proto udp) and port 1", &f, false);
	expect("not proto udp and port 80", &f, true);
	expect("not (proto tcp and port 80)", &f, false);
	expect("not proto tcp or port 80", &f, true);
	expect("not (proto tcp or port 81) and any", &f, false);
	expect("((((port 80))))", &f, true);
	expect("not(port 80)", &f, false);
	expect("proto tcp and port 80 and host 10.0.0.1 and not flags F", &f, true);
	expect("port 1 or port 2 or port 3 or port 80", &f, true);
	expect("port 1 or port 2 or port 3 or port 4", &f, false);
	expect("ANY AND NOT PROTO UDP", &f, true);
}

static void direction_qualifiers(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("src and dst port > 50", &f, true);
	expect("src and dst port > 100", &f, false);
	expect("src or dst port 80", &f, true);
	expect("src or dst host 10.0.0.1", &f, true);
	expect("src and dst net 10.0.0.0/8", &f, false);
	expect("src and dst as > 1000", &f, true);
	/* "src and ..." only joins when dst follows; otherwise it is the operator. */
	expect("src port 1234 and dst port 80", &f, true);
}

static void wildcards_never_match(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	f.wildcards = FF_FIELD_SRC_PORT | FF_FIELD_DST_PORT | FF_FIELD_PROTO | FF_FIELD_TOS |
		      FF_FIELD_TCP_FLAGS | FF_FIELD_IN_IF | FF_FIELD_SRC_AS;
	expect("port 80", &f, false);
	expect("not port 80", &f, true);
	expect("port 0", &f, false);
	expect("port in [80]", &f, false);
	expect("proto tcp", &f, false);
	expect("proto 0", &f, false);
	expect("tos 16", &f, false);
	expect("flags S", &f, false);
	expect("flags 0", &f, false);
	expect("in if 3", &f, false);
	expect("if 7", &f, true); /* the output interface survived */
	expect("src as 64500", &f, false);
	expect("dst as 15169", &f, true);
	expect("as in [64500]", &f, false);
	f.wildcards = FF_FIELD_DST_ADDR;
	expect("host 192.168.1.20", &f, false);
	expect("host 10.0.0.1", &f, true);
	expect("dst net 0.0.0.0/0", &f, false);
	expect("dst ip in [192.168.1.20]", &f, false);
}

static void errors_name_line_and_column(void **state)
{
	(void)state;
	expect_error("proto tcp and port", "filter:1:19: expected a port number after 'port'");
	expect_error("proto tcp and port abc", "filter:1:20: expected a port number after 'port'");
	expect_error("port 70000", "filter:1:6: a port number '70000' is out of range 0..65535");
	expect_error("proto tcp\n  and host x", "filter:2:12: expected an IPv4 or IPv6 address");
	expect_error("(port 80", "filter:1:9: expected ')' to close the '(' at 1:1");
	expect_error("port 80)", "filter:1:8: expected 'and', 'or' or the end of the filter, found ')'");
	expect_error("any any", "filter:1:5: expected 'and', 'or'");
	expect_error("frobnicate", "filter:1:1: expected a filter primitive");
	expect_error("src frob", "filter:1:5: expected host, ip, net, port, as or tos after 'src'");
	expect_error("proto bogus", "filter:1:7: unknown protocol 'bogus'");
	expect_error("port != 80", "filter:1:6: unexpected '!'");
	expect_error("port in [80 443", "filter:1:16: expected ']' to close the list opened at 1:9");
	expect_error("port in []", "filter:1:10: the list is empty");
	expect_error("flags sa", "filter:1:7: TCP flags are distinct upper-case letters");
	expect_error("net 10.0.0.0/33", "prefix length must be 0..32");
	expect_error("net 2001:db8::/129", "prefix length must be 0..128");
	expect_error("net 10.0.0.0", "filter:1:13: expected '/bits' or a dotted IPv4 netmask");
	expect_error("host 1.2.3.4/24", "for a network use 'net A/bits'");
	expect_error("bytes > 99999999999999999999", "out of range");
	expect_error("bytes > 20000000000000t", "out of range");
	expect_error("dst tos 4", "one ToS");
	expect_error("out bytes > 1", "no reverse counters");
}

static void error_cases_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "not",	    "and",	     "any and",	     "or any",	   "()",
	    "(",	    ")",	     "[",	     "proto",	   "proto 256",
	    "tos 256",	    "flags 64",	     "flags SS",     "flags",	   "if",
	    "if > 3",	    "as 4294967296", "port 1.5k",    "host",	   "host 1.2.3",
	    "ip in [x]",    "ip in 1.2.3.4", "port in 80",   "src",	   "src and dst",
	    "packets",	    "packets >",     "bytes > k",    "net",	   "net 10.0.0.0 255",
	    "net ::1 255.0.0.0", "duration = = 1", "port 80 port 81", "in if",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_error(bad[i], "filter:");
	/* Nesting is bounded, so hostile input cannot exhaust the stack. */
	char deep[1024] = "";
	for (int i = 0; i < 300; i++)
		strcat(deep, "(");
	expect_error(deep, "nested deeper than");
	char nots[2048] = "";
	for (int i = 0; i < 300; i++)
		strcat(nots, "not ");
	strcat(nots, "any");
	expect_error(nots, "nested deeper than");
}

static void normalized_roundtrip(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"PROTO TCP and  PORT  80", "(proto tcp and port 80)"},
	    {"not port 53", "not port 53"},
	    {"proto udp and port 1 or port 80", "((proto udp and port 1) or port 80)"},
	    {"flags AS", "flags AS"},
	    {"port<80", "port < 80"},
	    {"src ip in [1.2.3.4,10.0.0.0/8]", "src ip in [ 1.2.3.4 , 10.0.0.0/8 ]"},
	    {"not (port 80 or port 81)", "not (port 80 or port 81)"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ff_filter *f = compile_ok(cases[i].in);
		assert_string_equal(ff_filter_source(f), cases[i].out);
		/* The normalized text compiles to itself. */
		ff_filter *g = compile_ok(ff_filter_source(f));
		assert_string_equal(ff_filter_source(g), cases[i].out);
		ff_filter_free(g);
		ff_filter_free(f);
	}
}

/*
 * The evaluator's termination argument: every jump goes to a lower index or
 * to a terminal. Checked on a filter that uses every construct.
 */
static void jumps_go_backwards(void **state)
{
	(void)state;
	ff_filter *f = compile_ok("not (proto tcp and (port 80 or port in [1 2])) or "
				  "(src and dst net 10.0.0.0/8 and not flags S) or any and bytes > 1k");
	assert_true(f->nprog > 0);
	assert_true(f->entry < (int32_t)f->nprog);
	for (size_t i = 0; i < f->nprog; i++) {
		assert_true(f->prog[i].on_true < (int32_t)i);
		assert_true(f->prog[i].on_false < (int32_t)i);
		assert_true(f->prog[i].on_true >= FF__REJECT);
		assert_true(f->prog[i].on_false >= FF__REJECT);
	}
	ff_filter_free(f);
}

static void comments_and_case(void **state)
{
	(void)state;
	ff_flow f = base_flow();
	expect("proto tcp # web traffic\nand port 80", &f, true);
	expect("Src Port 1234 AND Dst Port 80", &f, true);
	expect("\tproto\ttcp\r\n", &f, true);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(any_and_empty),
	cmocka_unit_test(proto_names_and_numbers),
	cmocka_unit_test(family),
	cmocka_unit_test(host_v4_v6),
	cmocka_unit_test(net_prefix_and_mask),
	cmocka_unit_test(net_partial_v4),
	cmocka_unit_test(ip_in_list),
	cmocka_unit_test(port_compare),
	cmocka_unit_test(port_list),
	cmocka_unit_test(as_compare_and_list),
	cmocka_unit_test(interfaces),
	cmocka_unit_test(flags_all_and_compare),
	cmocka_unit_test(tos),
	cmocka_unit_test(counters_and_suffixes),
	cmocka_unit_test(duration_and_rates),
	cmocka_unit_test(precedence_and_parens),
	cmocka_unit_test(direction_qualifiers),
	cmocka_unit_test(wildcards_never_match),
	cmocka_unit_test(errors_name_line_and_column),
	cmocka_unit_test(error_cases_refused),
	cmocka_unit_test(normalized_roundtrip),
	cmocka_unit_test(jumps_go_backwards),
	cmocka_unit_test(comments_and_case),
};

FF_TEST_MAIN(tests)
