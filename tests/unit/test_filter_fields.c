#include "ffgen_rng.h"

#include <stdbool.h>
#include "ff_test.h"

#include "ff_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What a filter reads (ff_filter_fields) and whether a group of records
 * within given bounds may match it (ff_filter_may_match): exact cases, and a
 * randomized check that may_match never rules out a group holding a match.
 */

static ff_filter *compile_ok(const char *expr)
{
	char err[256] = "";
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0)
		fail_msg("'%s' did not compile: %s", expr, err);
	return f;
}

static void expect_fields(const char *expr, uint32_t want)
{
	ff_filter *f = compile_ok(expr);
	uint32_t got = ff_filter_fields(f);
	ff_filter_free(f);
	if (got != want)
		fail_msg("'%s': expected fields 0x%x, got 0x%x", expr, want, got);
}

static void fields_per_primitive(void **state)
{
	(void)state;
	const uint32_t addrs = FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR;
	assert_int_equal(ff_filter_fields(NULL), 0);
	expect_fields("", 0);
	expect_fields("any", 0);
	expect_fields("not any", 0);
	expect_fields("proto tcp", FF_FIELD_PROTO);
	expect_fields("inet", addrs);
	expect_fields("inet6", addrs);
	expect_fields("host 10.0.0.1", addrs);
	expect_fields("ip 2001:db8::1", addrs);
	expect_fields("src host 10.0.0.1", FF_FIELD_SRC_ADDR);
	expect_fields("dst net 10.0.0.0/8", FF_FIELD_DST_ADDR);
	expect_fields("net 10.0.0.0/8", addrs);
	expect_fields("src ip in [10.0.0.1 10.0.0.2]", FF_FIELD_SRC_ADDR);
	expect_fields("port 53", FF_FIELD_SRC_PORT | FF_FIELD_DST_PORT);
	expect_fields("src port > 1024", FF_FIELD_SRC_PORT);
	expect_fields("dst port in [80 443]", FF_FIELD_DST_PORT);
	expect_fields("as 64500", FF_FIELD_SRC_AS | FF_FIELD_DST_AS);
	expect_fields("dst as in [1 2]", FF_FIELD_DST_AS);
	expect_fields("if 3", FF_FIELD_IN_IF | FF_FIELD_OUT_IF);
	expect_fields("in if 3", FF_FIELD_IN_IF);
	expect_fields("out if 3", FF_FIELD_OUT_IF);
	expect_fields("flags S", FF_FIELD_TCP_FLAGS | FF_FIELD_PROTO); /* implies proto tcp */
	expect_fields("flags > 2", FF_FIELD_TCP_FLAGS | FF_FIELD_PROTO);
	expect_fields("tos 4", FF_FIELD_TOS);
	expect_fields("packets > 5", FF_FILTER_READS_COUNTERS);
	expect_fields("bytes < 1k", FF_FILTER_READS_COUNTERS);
	expect_fields("flows 2", FF_FILTER_READS_COUNTERS);
	expect_fields("bpp > 100", FF_FILTER_READS_COUNTERS);
	expect_fields("duration > 1000", FF_FILTER_READS_TIMES);
	expect_fields("pps > 10", FF_FILTER_READS_TIMES | FF_FILTER_READS_COUNTERS);
	expect_fields("bps > 10", FF_FILTER_READS_TIMES | FF_FILTER_READS_COUNTERS);
	expect_fields("not (proto udp or dst port 53) and bytes > 1k",
		      FF_FIELD_PROTO | FF_FIELD_DST_PORT | FF_FILTER_READS_COUNTERS);
	assert_int_equal((FF_FILTER_READS_COUNTERS | FF_FILTER_READS_TIMES) & 0xffff, 0);
}

/* Bounds where every range is known, exact and unwildcarded: one record's values. */
static ff_filter_bounds point_bounds(void)
{
	ff_filter_bounds b;
	memset(&b, 0, sizeof b);
	b.known = 0xffff | FF_FILTER_READS_COUNTERS;
	b.src_port = (ff_filter_range){40000, 40000};
	b.dst_port = (ff_filter_range){443, 443};
	b.proto = (ff_filter_range){6, 6};
	b.tos = (ff_filter_range){0, 0};
	b.tcp_flags = (ff_filter_range){0x12, 0x12};
	b.src_as = (ff_filter_range){64500, 64500};
	b.dst_as = (ff_filter_range){15169, 15169};
	b.in_if = (ff_filter_range){3, 3};
	b.out_if = (ff_filter_range){7, 7};
	b.packets = (ff_filter_range){10, 20};
	b.bytes = (ff_filter_range){1000, 5000};
	b.flows = (ff_filter_range){1, 1};
	return b;
}

static void expect_may(const char *expr, const ff_filter_bounds *b, bool want)
{
	ff_filter *f = compile_ok(expr);
	bool got = ff_filter_may_match(f, b);
	ff_filter_free(f);
	if (got != want)
		fail_msg("'%s': expected may_match %s, got %s", expr, want ? "true" : "false",
			 got ? "true" : "false");
}

static void may_match_exact_cases(void **state)
{
	(void)state;
	ff_filter_bounds b = point_bounds();
	assert_true(ff_filter_may_match(NULL, &b));
	expect_may("", &b, true);
	expect_may("any", &b, true);
	expect_may("not any", &b, false);
	expect_may("proto tcp and dst port 443", &b, true);
	b.proto = (ff_filter_range){17, 17};
	expect_may("proto tcp and dst port 443", &b, false);
	expect_may("proto udp or dst port 80", &b, true);
	b.proto = (ff_filter_range){6, 17};
	expect_may("proto tcp and dst port 443", &b, true);
	expect_may("proto 7", &b, true); /* inside the range: maybe */
	expect_may("proto 18", &b, false);
	b.known &= ~(uint32_t)FF_FIELD_PROTO;
	expect_may("proto 18", &b, true); /* unknown proto: anything */

	/* "not port 53" is false only when both ports are surely 53. */
	b = point_bounds();
	b.src_port = b.dst_port = (ff_filter_range){53, 53};
	expect_may("port 53", &b, true);
	expect_may("not port 53", &b, false);
	expect_may("not dst port 53", &b, false);
	b.wildcards_possible = FF_FIELD_SRC_PORT; /* a wildcarded port is no port 53, */
	expect_may("not src port 53", &b, true);
	expect_may("not port 53", &b, false); /* but the dst port still is */
	expect_may("not dst port 53", &b, false);
	b.wildcards_possible = FF_FIELD_SRC_PORT | FF_FIELD_DST_PORT;
	expect_may("not port 53", &b, true);
	b.wildcards_possible = 0;
	b.known &= ~(uint32_t)FF_FIELD_SRC_PORT;
	expect_may("not port 53", &b, false);
	expect_may("not src port 53", &b, true);
	b.known &= ~(uint32_t)FF_FIELD_DST_PORT;
	expect_may("not port 53", &b, true);

	/* Ranges and lists. */
	b = point_bounds();
	b.src_port = b.dst_port = (ff_filter_range){1000, 2000};
	expect_may("port 53", &b, false);
	expect_may("port > 2000", &b, false);
	expect_may("port >= 2000", &b, true);
	expect_may("src port < 1000", &b, false);
	expect_may("src port <= 1000", &b, true);
	expect_may("port in [80 443 2001]", &b, false);
	expect_may("port in [80 1500]", &b, true);
	expect_may("not port > 999", &b, false);
	b.src_port = b.dst_port = (ff_filter_range){1, 3};
	expect_may("not port in [1 2 3]", &b, false);
	expect_may("not port in [1 3]", &b, true);
	b.dst_port = (ff_filter_range){5, 4}; /* every record wildcards dst port */
	b.wildcards_possible = FF_FIELD_DST_PORT;
	expect_may("dst port 0", &b, false);
	expect_may("not dst port 0", &b, true);

	/* Interfaces, AS, ToS, flags. */
	b = point_bounds();
	b.in_if = (ff_filter_range){0, 2};
	b.out_if = (ff_filter_range){4, 9};
	expect_may("if 3", &b, false);
	expect_may("if 9", &b, true);
	expect_may("src as 64500 and dst as 15169", &b, true);
	expect_may("as in [1 2 3]", &b, false);
	b.known &= ~(uint32_t)FF_FIELD_SRC_AS;
	expect_may("as in [1 2 3]", &b, true);
	b.tos = (ff_filter_range){0, 3};
	expect_may("tos > 3", &b, false);
	expect_may("tos 3", &b, true);
	b.tcp_flags = (ff_filter_range){0x10, 0x11}; /* ACK, ACK|FIN */
	expect_may("flags S", &b, false);
	expect_may("flags A", &b, true);
	expect_may("not flags A", &b, false); /* TCP only, with ACK always set */
	expect_may("flags F", &b, true);
	expect_may("flags > 17", &b, false);
	b.tcp_flags = (ff_filter_range){0x02, 0x02};
	expect_may("not flags S", &b, false);
	expect_may("flags S and not flags AFRPU", &b, true);

	/* Counters and what derives from them. */
	b = point_bounds();
	expect_may("bytes > 5000", &b, false);
	expect_may("bytes > 4999", &b, true);
	expect_may("packets < 10", &b, false);
	expect_may("flows 2", &b, false);
	expect_may("bpp > 500", &b, false); /* at most 5000 / 10 */
	expect_may("bpp < 50", &b, false);  /* at least 1000 / 20 */
	expect_may("bpp 100", &b, true);
	expect_may("pps > 20000", &b, false); /* at most 1000 * 20 over 1 ms */
	expect_may("pps 0", &b, true);	      /* a zero duration */
	expect_may("bps > 40000000", &b, false);
	expect_may("duration > 1000000", &b, true); /* times have no bounds */
	b.known &= ~(uint32_t)FF_FILTER_READS_COUNTERS;
	expect_may("bytes > 5000", &b, true);

	/* Addresses have no bounds: always maybe. */
	b = point_bounds();
	expect_may("host 10.0.0.1", &b, true);
	expect_may("inet6 and proto 17", &b, false);
	expect_may("not host 10.0.0.1 and proto 6", &b, true);
}

/* ---- randomized ---- */

/* The tools' seeded PRNG (tests/tools/ffgen_rng.h): the same stream on every machine. */
static struct ffgen_rng rng_state;
static bool rng_state_seeded;

static uint64_t rnd(void)
{
	if (!rng_state_seeded) {
		ffgen_rng_seed(&rng_state, 42);
		rng_state_seeded = true;
	}
	return ffgen_rng_next(&rng_state);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* Small domains, so random filters often match and often rule groups out. */
static const uint16_t ports[] = {0, 1, 2, 3, 53, 80, 443, 1024, 8080};
static const uint8_t protos[] = {1, 6, 17};

static void random_record(ff_flow *f)
{
	memset(f, 0, sizeof *f);
	ff_addr_from_v4(f->src_addr, 0x0a000000u + rnd_below(4));
	if (rnd_below(4) == 0)
		ff_addr_parse("2001:db8::1", f->dst_addr);
	else
		ff_addr_from_v4(f->dst_addr, 0x0a000000u + rnd_below(4));
	f->src_port = ports[rnd_below(sizeof ports / sizeof ports[0])];
	f->dst_port = ports[rnd_below(sizeof ports / sizeof ports[0])];
	f->proto = protos[rnd_below(3)];
	f->tos = (uint8_t)rnd_below(4);
	f->tcp_flags = (uint8_t)rnd_below(64);
	f->src_as = rnd_below(6);
	f->dst_as = rnd_below(6);
	f->in_if = rnd_below(5);
	f->out_if = rnd_below(5);
	f->packets = rnd_below(12);
	f->bytes = rnd_below(3000);
	f->flows = 1 + rnd_below(3);
	f->first_ms = 1000000;
	f->last_ms = f->first_ms + rnd_below(3000);
	for (uint32_t bit = 0; bit < 12; bit++)
		if (rnd_below(10) == 0)
			f->wildcards |= 1u << bit;
	/* A wildcarded field is stored as zero. */
	if (f->wildcards & FF_FIELD_SRC_PORT)
		f->src_port = 0;
	if (f->wildcards & FF_FIELD_DST_PORT)
		f->dst_port = 0;
	if (f->wildcards & FF_FIELD_PROTO)
		f->proto = 0;
	if (f->wildcards & FF_FIELD_TCP_FLAGS)
		f->tcp_flags = 0;
}

static const char *rnd_cmp(void)
{
	static const char *const cmps[] = {"", "= ", "> ", "< ", ">= ", "<= ", "gt ", "le "};
	return cmps[rnd_below(sizeof cmps / sizeof cmps[0])];
}

static const char *rnd_side(void)
{
	static const char *const sides[] = {"", "src ", "dst ", "src and dst ", "src or dst "};
	return sides[rnd_below(5)];
}

/* Appends one random primitive to `out`. */
static void random_primitive(char *out, size_t len)
{
	static const char *const counters[] = {"packets", "bytes",    "flows", "bpp",
					       "pps",	  "bps",      "duration"};
	static const char *const letters[] = {"S", "A", "F", "SA", "AF", "R", "X", "P"};
	char p[96];
	switch (rnd_below(13)) {
	case 0:
		snprintf(p, sizeof p, "proto %u", protos[rnd_below(3)] + (rnd_below(4) == 0));
		break;
	case 1:
		snprintf(p, sizeof p, "%sport %s%u", rnd_side(), rnd_cmp(),
			 ports[rnd_below(sizeof ports / sizeof ports[0])] + rnd_below(2));
		break;
	case 2:
		snprintf(p, sizeof p, "%sport in [%u %u %u]", rnd_side(), rnd_below(4),
			 ports[rnd_below(sizeof ports / sizeof ports[0])], rnd_below(4));
		break;
	case 3:
		snprintf(p, sizeof p, "%sas %s%u", rnd_side(), rnd_cmp(), rnd_below(7));
		break;
	case 4:
		snprintf(p, sizeof p, "%sas in [%u %u]", rnd_side(), rnd_below(7), rnd_below(7));
		break;
	case 5: {
		static const char *const ifs[] = {"if", "in if", "out if"};
		snprintf(p, sizeof p, "%s %u", ifs[rnd_below(3)], rnd_below(6));
		break;
	}
	case 6:
		snprintf(p, sizeof p, "flags %s", letters[rnd_below(8)]);
		break;
	case 7:
		snprintf(p, sizeof p, "flags %s%u", rnd_cmp(), rnd_below(64));
		break;
	case 8:
		snprintf(p, sizeof p, "tos %s%u", rnd_cmp(), rnd_below(5));
		break;
	case 9: {
		static const uint32_t limits[] = {0, 1, 2, 5, 10, 100, 1000, 2000, 100000};
		snprintf(p, sizeof p, "%s %s%u", counters[rnd_below(7)], rnd_cmp(),
			 limits[rnd_below(9)]);
		break;
	}
	case 10:
		snprintf(p, sizeof p, "%shost 10.0.0.%u", rnd_side(), rnd_below(4));
		break;
	case 11:
		snprintf(p, sizeof p, "%s", rnd_below(2) ? "inet" : "inet6");
		break;
	default:
		snprintf(p, sizeof p, "any");
		break;
	}
	strncat(out, p, len - strlen(out) - 1);
}

/* Appends a random expression of and/or/not/parentheses over primitives. */
static void random_expr(char *out, size_t len, int depth)
{
	uint32_t r = rnd_below(depth > 0 ? 5 : 1);
	if (r == 0) {
		random_primitive(out, len);
	} else if (r == 1) {
		strncat(out, "not ", len - strlen(out) - 1);
		random_expr(out, len, depth - 1);
	} else {
		strncat(out, "(", len - strlen(out) - 1);
		random_expr(out, len, depth - 1);
		strncat(out, r == 2 ? " or " : " and ", len - strlen(out) - 1);
		random_expr(out, len, depth - 1);
		strncat(out, ")", len - strlen(out) - 1);
	}
}

static void widen(ff_filter_range *r, uint64_t v)
{
	if (v < r->min)
		r->min = v;
	if (v > r->max)
		r->max = v;
}

/*
 * The bounds of a group: each range over the records that do not wildcard
 * the field (or, when `with_zeros`, over all of them, as a store keeping
 * plain column min/max gives); some ranges randomly unknown and filled with
 * junk that must not be read.
 */
static ff_filter_bounds group_bounds(const ff_flow *recs, size_t n, bool with_zeros)
{
	ff_filter_bounds b;
	memset(&b, 0, sizeof b);
	ff_filter_range *all[] = {&b.src_port, &b.dst_port, &b.proto,  &b.tos,	  &b.tcp_flags,
				  &b.src_as,   &b.dst_as,   &b.in_if,  &b.out_if, &b.packets,
				  &b.bytes,    &b.flows};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		*all[i] = (ff_filter_range){UINT64_MAX, 0};
	for (size_t i = 0; i < n; i++) {
		const ff_flow *f = &recs[i];
		uint32_t keep = with_zeros ? 0 : f->wildcards;
		b.wildcards_possible |= f->wildcards;
		if (!(keep & FF_FIELD_SRC_PORT))
			widen(&b.src_port, f->src_port);
		if (!(keep & FF_FIELD_DST_PORT))
			widen(&b.dst_port, f->dst_port);
		if (!(keep & FF_FIELD_PROTO))
			widen(&b.proto, f->proto);
		if (!(keep & FF_FIELD_TOS))
			widen(&b.tos, f->tos);
		if (!(keep & FF_FIELD_TCP_FLAGS))
			widen(&b.tcp_flags, f->tcp_flags);
		if (!(keep & FF_FIELD_SRC_AS))
			widen(&b.src_as, f->src_as);
		if (!(keep & FF_FIELD_DST_AS))
			widen(&b.dst_as, f->dst_as);
		if (!(keep & FF_FIELD_IN_IF))
			widen(&b.in_if, f->in_if);
		if (!(keep & FF_FIELD_OUT_IF))
			widen(&b.out_if, f->out_if);
		widen(&b.packets, f->packets);
		widen(&b.bytes, f->bytes);
		widen(&b.flows, f->flows);
	}
	b.known = (uint32_t)(rnd() & (0xfffu | FF_FILTER_READS_COUNTERS));
	if (rnd_below(4) == 0)
		b.known = 0xfffu | FF_FILTER_READS_COUNTERS;
	static const uint32_t bits[] = {FF_FIELD_SRC_PORT, FF_FIELD_DST_PORT, FF_FIELD_PROTO,
					FF_FIELD_TOS,	   FF_FIELD_TCP_FLAGS, FF_FIELD_SRC_AS,
					FF_FIELD_DST_AS,   FF_FIELD_IN_IF,     FF_FIELD_OUT_IF};
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (!(b.known & bits[i]))
			*all[i] = (ff_filter_range){7, 7}; /* junk */
	if (!(b.known & FF_FILTER_READS_COUNTERS))
		b.packets = b.bytes = b.flows = (ff_filter_range){7, 7};
	if (rnd_below(8) == 0)
		b.wildcards_possible |= (uint32_t)rnd() & 0xfffu;
	return b;
}

/*
 * Thousands of random filters over random groups (fixed seed): whenever a
 * record of the group matches, may_match must say true. Also counts how
 * often it rules a group out, so a may_match that always says true fails.
 */
static void may_match_never_misses(void **state)
{
	(void)state;
	enum { FILTERS = 3000, GROUPS = 8, MAX_RECS = 6 };
	size_t ruled_out = 0, matched = 0, cases = 0;
	for (int i = 0; i < FILTERS; i++) {
		char expr[1024] = "";
		random_expr(expr, sizeof expr, 3);
		ff_filter *f = compile_ok(expr);
		for (int g = 0; g < GROUPS; g++) {
			ff_flow recs[MAX_RECS];
			size_t n = 1 + rnd_below(MAX_RECS);
			bool any = false;
			for (size_t r = 0; r < n; r++) {
				random_record(&recs[r]);
				any |= ff_filter_match(f, &recs[r]);
			}
			ff_filter_bounds b = group_bounds(recs, n, rnd_below(2) == 0);
			bool may = ff_filter_may_match(f, &b);
			if (any && !may)
				fail_msg("'%s': a group with a match was ruled out (case %zu)", expr,
					 cases);
			matched += any;
			ruled_out += !may;
			cases++;
		}
		ff_filter_free(f);
	}
	print_message("%zu groups, %zu with a match, %zu ruled out\n", cases, matched, ruled_out);
	assert_true(matched > cases / 10);
	assert_true(ruled_out > cases / 10);
}

/* A long filter takes the allocated path for its verdicts and answers the same. */
static void may_match_long_filter(void **state)
{
	(void)state;
	size_t len = 64 * 1024;
	char *expr = calloc(1, len);
	assert_non_null(expr);
	strcat(expr, "proto tcp and (");
	for (int i = 0; i < 1000; i++)
		snprintf(expr + strlen(expr), len - strlen(expr), "%sdst port %d", i ? " or " : "",
			 10000 + i);
	strcat(expr, ")");
	ff_filter_bounds b = point_bounds();
	expect_may(expr, &b, false); /* dst port 443 */
	b.dst_port = (ff_filter_range){10500, 10500};
	expect_may(expr, &b, true);
	b.proto = (ff_filter_range){17, 17};
	expect_may(expr, &b, false);
	free(expr);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fields_per_primitive),
    cmocka_unit_test(may_match_exact_cases),
    cmocka_unit_test(may_match_never_misses),
    cmocka_unit_test(may_match_long_filter),
};

FF_TEST_MAIN(tests)
