#include "ffgen_rng.h"

#include <stdbool.h>
#include "ff_test.h"

#include "ff_block.h"
#include "segment.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The version 2 column encodings and row order, each through a real file:
 * IPv4-only address blocks as integers, blocks with an IPv6 address as 16
 * bytes (chosen per block), byte widths 0 to 8 packed plain or shuffled,
 * rows ordered by agent then second of first_ms then addresses, and the
 * per-group bounds scans skip with. The file-level cases (header, failure
 * modes, version 1) are in test_segment.c.
 */

#define GROUP FF_SEGMENT_GROUP_ROWS

static const char *const agents[] = {"a0", "a1", "a2"};

/* The tools' seeded PRNG (tests/tools/ffgen_rng.h): the same stream on every machine. */
static struct ffgen_rng rnd_state;
static bool rnd_state_seeded;

static uint64_t rnd(void)
{
	if (!rnd_state_seeded) {
		ffgen_rng_seed(&rnd_state, 7);
		rnd_state_seeded = true;
	}
	return ffgen_rng_next(&rnd_state);
}

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_segenc_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void remove_all(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void v6_addr(uint8_t *a, uint64_t seed)
{
	a[0] = 0x20;
	a[1] = 0x01;
	for (int k = 2; k < FF_ADDR_LEN; k++)
		a[k] = (uint8_t)(seed >> (k % 8 * 8));
}

/* A record with IPv4 addresses and counters of every width. */
static void make_row(ff_flow *f, size_t i, uint32_t agent)
{
	memset(f, 0, sizeof *f);
	f->first_ms = 1795430000000ull + rnd() % 600000;
	f->last_ms = i % 50 == 0 ? f->first_ms - rnd() % 100 : f->first_ms + rnd() % 30000;
	f->bytes = 40 + rnd() % 1500 + (i % 7 == 0 ? 1ull << (32 + i % 30) : 0);
	f->packets = 1 + rnd() % 70000;
	f->flows = 1;
	ff_addr_from_v4(f->src_addr, 0x0a000000u + (uint32_t)(rnd() % 5000));
	ff_addr_from_v4(f->dst_addr, 0xc0a80000u + (uint32_t)(rnd() % 300));
	ff_addr_from_v4(f->exporter, 0x7f000001u + (uint32_t)(i % 2));
	f->src_as = (uint32_t)rnd(); /* incompressible: stays unshuffled */
	f->in_if = (uint32_t)(rnd() % 4);
	f->sampling_rate = 1;
	f->agent_ref = agent;
	f->src_port = (uint16_t)rnd();
	f->dst_port = i % 3 ? 443 : 53;
	f->proto = i % 3 ? 6 : 17;
	f->tcp_flags = (uint8_t)(i % 64);
}

static int cmp_flow(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(ff_flow));
}

typedef struct seg_fixture {
	char dir[64];
	ff_segment *s;
	ff_flow *rows; /* as written, sorted by cmp_flow */
	ff_flow *out;  /* as read, in file order */
	size_t n;
} seg_fixture;

/* Writes rows as segment 1, opens it and reads every row back in file order. */
static void write_read(seg_fixture *x, ff_flow *rows, size_t n)
{
	temp_dir(x->dir);
	ff_segment_input in = {.id = 1, .rows = rows, .n_rows = n, .agents = agents,
			       .n_agents = 3};
	assert_int_equal(ff_segment_write(x->dir, &in), 0);
	char path[128];
	assert_int_equal(ff_segment_path(x->dir, 1, path, sizeof path), 0);
	assert_int_equal(ff_segment_open(path, &x->s), 0);
	assert_int_equal(ff_segment_verify(x->s), 0);
	x->out = calloc(n ? n : 1, sizeof *x->out);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	assert_non_null(x->out);
	size_t at = 0;
	for (size_t g = 0; g < ff_segment_groups(x->s); g++) {
		long k = ff_segment_read_group(x->s, g, x->out + at, scratch);
		assert_true(k > 0);
		at += (size_t)k;
	}
	assert_int_equal(at, n);
	free(scratch);
	x->rows = rows;
	x->n = n;
}

/* The rows read are exactly the rows written, as a set. */
static void assert_same_rows(seg_fixture *x)
{
	ff_flow *sorted = malloc(x->n * sizeof *sorted);
	assert_non_null(sorted);
	memcpy(sorted, x->out, x->n * sizeof *sorted);
	qsort(sorted, x->n, sizeof *sorted, cmp_flow);
	qsort(x->rows, x->n, sizeof *x->rows, cmp_flow);
	assert_memory_equal(sorted, x->rows, x->n * sizeof *sorted);
	free(sorted);
}

static void fixture_free(seg_fixture *x)
{
	ff_segment_close(x->s);
	free(x->out);
	free(x->rows);
	remove_all(x->dir);
}

static ff_segment_block_info block(const seg_fixture *x, size_t g, int col)
{
	ff_segment_block_info b;
	assert_int_equal(ff_segment_block(x->s, g, col, &b), 0);
	return b;
}

enum { COL_SRC = 5, COL_DST = 6, COL_BYTES = 2, COL_SRC_AS = 8, COL_PACKETS = 3 };

static void ipv4_only_block(void **state)
{
	(void)state;
	size_t n = GROUP + 500;
	ff_flow *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i++)
		make_row(&rows[i], i, 0);
	seg_fixture x;
	write_read(&x, rows, n);
	assert_same_rows(&x);
	for (size_t g = 0; g < 2; g++) {
		ff_segment_block_info s = block(&x, g, COL_SRC), d = block(&x, g, COL_DST);
		assert_int_equal(s.encoding, 3); /* IPv4 integers */
		assert_int_equal(d.encoding, 3);
		assert_int_equal(s.width, 2); /* 5000 addresses from 10.0.0.0 */
		assert_true(d.width <= 2);
		assert_int_equal(s.encoded_len, s.rows * s.width);
	}
	fixture_free(&x);
}

/* Group 0 (agent 0) has IPv6 sources among IPv4 ones; group 1 (agent 1) has none. */
static void mixed_v4_v6_block(void **state)
{
	(void)state;
	size_t n = 2 * GROUP;
	ff_flow *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		make_row(&rows[i], i, i % 2);
		if (i % 2 == 0 && i % 10 == 0)
			v6_addr(rows[i].src_addr, rnd());
	}
	seg_fixture x;
	write_read(&x, rows, n);
	assert_same_rows(&x);
	ff_segment_block_info s0 = block(&x, 0, COL_SRC), s1 = block(&x, 1, COL_SRC);
	assert_int_equal(s0.encoding, 0); /* 16 raw bytes */
	assert_int_equal(s0.width, 16);
	assert_false(s0.shuffled);
	assert_int_equal(s1.encoding, 3);
	assert_int_equal(block(&x, 0, COL_DST).encoding, 3);
	uint64_t lo, hi;
	assert_int_equal(ff_segment_group_bounds(x.s, 0, FF_SEGMENT_COL_SRC_ADDR, &lo, &hi), -1);
	fixture_free(&x);
}

/* Every width from 0 to 8 bytes decodes exactly, packed plain or shuffled. */
static void widths_and_shuffle(void **state)
{
	(void)state;
	for (unsigned w = 0; w <= 8; w++) {
		size_t n = 3000;
		ff_flow *rows = malloc(n * sizeof *rows);
		for (size_t i = 0; i < n; i++) {
			make_row(&rows[i], i, 0);
			uint64_t mask = w == 8 ? UINT64_MAX : (1ull << (8 * w)) - 1;
			/* One value at the top of the range: the block needs all w bytes. */
			rows[i].bytes = 7 + (i == 0 ? mask : rnd() & mask) - (w == 8 && i == 0 ? 7 : 0);
			if (w == 0)
				rows[i].bytes = 7;
		}
		seg_fixture x;
		write_read(&x, rows, n);
		assert_same_rows(&x);
		assert_int_equal(block(&x, 0, COL_BYTES).width, w);
		/* Random 32-bit values do not compress either way: kept plain. */
		ff_segment_block_info b = block(&x, 0, COL_SRC_AS);
		assert_int_equal(b.width, 4);
		assert_false(b.shuffled);
		/* Packet counts below 70000: a top byte of 0 or 1 that shuffling lines up. */
		b = block(&x, 0, COL_PACKETS);
		assert_int_equal(b.width, 3);
		assert_true(b.shuffled);
		fixture_free(&x);
	}
}

/* Row i of a cursor's block as a record: its columns, its agent from the dictionary index. */
static void block_record(const ff_block *b, const ff_block_buf *buf, size_t i, ff_flow *f)
{
	ff_block_row(b, i, f);
	f->agent_ref = buf->agent[i];
}

/*
 * Group g read through a block cursor matches the records read: every
 * column at once, and lazily (only src_addr, ports and counters late, for
 * every third row).
 */
static void assert_cursor_group(const seg_fixture *x, size_t g, const ff_flow *ref,
				ff_segment_cursor *c, ff_block_buf *buf)
{
	uint32_t early[] = {FF_SEGMENT_COLS_ALL, FF_SEGMENT_COL_PROTO | FF_SEGMENT_COL_FIRST};
	for (size_t e = 0; e < 2; e++) {
		assert_int_equal(ff_segment_cursor_start(c, x->s, g, FF_SEGMENT_COLS_ALL, early[e]), 0);
		size_t at = 0;
		ff_block b;
		long n;
		while ((n = ff_segment_cursor_next(c, buf, &b)) > 0) {
			uint16_t sel[FF_BLOCK_ROWS];
			size_t m = 0;
			for (size_t i = 0; i < (size_t)n; i += e == 0 ? 1 : 3)
				sel[m++] = (uint16_t)i;
			assert_int_equal(ff_block_load(&b, sel, m), 0);
			for (size_t j = 0; j < m; j++) {
				ff_flow f;
				block_record(&b, buf, sel[j], &f);
				assert_memory_equal(&f, &ref[at + sel[j]], sizeof f);
			}
			at += (size_t)n;
		}
		assert_int_equal(n, 0);
		assert_int_equal(at, block(x, g, COL_SRC).rows);
	}
}

static void assert_cursor_rows(const seg_fixture *x, size_t g, const ff_flow *ref)
{
	ff_segment_cursor *c = ff_segment_cursor_new();
	ff_block_buf *buf = malloc(sizeof *buf);
	assert_non_null(c);
	assert_non_null(buf);
	assert_cursor_group(x, g, ref, c, buf);
	free(buf);
	ff_segment_cursor_free(c);
}

/*
 * Width-0 columns are filled once per group into the cursor's buffer: two
 * groups (one per agent) whose src_as is one value each, another value in
 * each, and a last_ms of a fixed duration over varying first_ms, read with
 * one cursor and buffer, group 1 then 0 then 1 again.
 */
static void cursor_fixed_columns_per_group(void **state)
{
	(void)state;
	size_t n = 2 * GROUP;
	ff_flow *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		make_row(&rows[i], i, i % 2);
		rows[i].src_as = i % 2 ? 9 : 5;
		rows[i].last_ms = rows[i].first_ms;
	}
	seg_fixture x;
	write_read(&x, rows, n);
	ff_segment_cursor *c = ff_segment_cursor_new();
	ff_block_buf *buf = malloc(sizeof *buf);
	assert_non_null(c);
	assert_non_null(buf);
	for (size_t g = 0; g < 2; g++) {
		assert_int_equal(block(&x, g, COL_SRC_AS).width, 0);
		assert_int_equal(block(&x, g, 1).width, 0); /* last_ms: duration 0 */
	}
	const size_t order[] = {1, 0, 1};
	for (size_t k = 0; k < 3; k++)
		assert_cursor_group(&x, order[k], x.out + order[k] * GROUP, c, buf);
	free(buf);
	ff_segment_cursor_free(c);
	fixture_free(&x);
}

/*
 * Narrow columns (addresses, ports, AS numbers) of every width from 1 to 4,
 * packed plain (random values) or shuffled (a high byte mostly zero), read
 * through the block cursor, which decodes them straight into typed arrays.
 */
static void cursor_narrow_widths(void **state)
{
	(void)state;
	bool seen[5][2] = {{false}};
	for (unsigned w = 1; w <= 4; w++) {
		for (int skew = 0; skew < 2; skew++) {
			size_t n = 5000;
			ff_flow *rows = malloc(n * sizeof *rows);
			uint32_t top = w == 4 ? UINT32_MAX : (1u << (8 * w)) - 1;
			for (size_t i = 0; i < n; i++) {
				make_row(&rows[i], i, 0);
				uint32_t v = (uint32_t)rnd() & top;
				if (skew && w > 1 && i % 97 != 0)
					v &= top >> 8; /* the top byte zero in most rows */
				ff_addr_from_v4(rows[i].src_addr, i == 0 ? top : v);
				rows[i].src_as = i == 0 ? top : v;
				rows[i].src_port = (uint16_t)(w <= 2 ? (i == 0 ? top : v) : rnd());
			}
			seg_fixture x;
			write_read(&x, rows, n);
			ff_segment_block_info b = block(&x, 0, COL_SRC);
			assert_int_equal(b.encoding, 3);
			assert_int_equal(b.width, w);
			seen[w][b.shuffled] = true;
			assert_cursor_rows(&x, 0, x.out);
			fixture_free(&x);
		}
	}
	for (unsigned w = 1; w <= 4; w++)
		assert_true(seen[w][0]);
	assert_true(seen[3][1] || seen[4][1]);
}

/* Agents stay contiguous; within one, rows go by second of first_ms, then addresses. */
static void sorted_rows(void **state)
{
	(void)state;
	size_t n = GROUP + 7000;
	ff_flow *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i++)
		make_row(&rows[i], i, (uint32_t)(rnd() % 3)); /* agents interleaved */
	seg_fixture x;
	write_read(&x, rows, n);
	assert_same_rows(&x);
	for (size_t i = 1; i < n; i++) {
		const ff_flow *a = &x.out[i - 1], *b = &x.out[i];
		assert_true(a->agent_ref <= b->agent_ref);
		if (a->agent_ref != b->agent_ref)
			continue;
		assert_true(a->first_ms / 1000 <= b->first_ms / 1000);
		if (a->first_ms / 1000 == b->first_ms / 1000)
			assert_true(memcmp(a->src_addr, b->src_addr, FF_ADDR_LEN) <= 0);
	}
	fixture_free(&x);
}

/* The bounds from the directory are the exact min and max of each group's values. */
static void group_bounds(void **state)
{
	(void)state;
	size_t n = GROUP + 3000;
	ff_flow *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i++)
		make_row(&rows[i], i, (uint32_t)(i % 2));
	seg_fixture x;
	write_read(&x, rows, n);
	static const struct {
		int bit;
		size_t off, size;
	} cols[] = {
	    {FF_SEGMENT_COL_FIRST, offsetof(ff_flow, first_ms), 8},
	    {FF_SEGMENT_COL_LAST, offsetof(ff_flow, last_ms), 8},
	    {FF_SEGMENT_COL_BYTES, offsetof(ff_flow, bytes), 8},
	    {FF_SEGMENT_COL_SRC_AS, offsetof(ff_flow, src_as), 4},
	    {FF_SEGMENT_COL_AGENT, offsetof(ff_flow, agent_ref), 4},
	    {FF_SEGMENT_COL_DST_PORT, offsetof(ff_flow, dst_port), 2},
	    {FF_SEGMENT_COL_PROTO, offsetof(ff_flow, proto), 1},
	};
	for (size_t g = 0, at = 0; g < ff_segment_groups(x.s); g++) {
		size_t k = g == 0 ? GROUP : n - GROUP;
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
			uint64_t lo = UINT64_MAX, hi = 0, blo, bhi;
			for (size_t i = at; i < at + k; i++) {
				uint64_t v = 0;
				memcpy(&v, (const uint8_t *)&x.out[i] + cols[c].off, cols[c].size);
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
			assert_int_equal(ff_segment_group_bounds(x.s, g, cols[c].bit, &blo, &bhi), 0);
			assert_int_equal(blo, lo);
			assert_int_equal(bhi, hi);
		}
		at += k;
	}
	uint64_t lo, hi;
	assert_int_equal(ff_segment_group_bounds(x.s, 0, FF_SEGMENT_COL_DST_ADDR, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(x.s, 0, FF_SEGMENT_COL_EXPORTER, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(x.s, 0, 0, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(x.s, 0, 3, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(x.s, 0, 1 << 20, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(x.s, 2, FF_SEGMENT_COL_FIRST, &lo, &hi), -1);
	fixture_free(&x);
}

/* Where column bit c (FF_SEGMENT_COL_* order) lives in a record. */
static const struct {
	size_t off, size;
} col_field[FF_SEGMENT_COLUMNS] = {
    {offsetof(ff_flow, first_ms), 8},	   {offsetof(ff_flow, last_ms), 8},
    {offsetof(ff_flow, bytes), 8},	   {offsetof(ff_flow, packets), 8},
    {offsetof(ff_flow, flows), 8},	   {offsetof(ff_flow, src_addr), FF_ADDR_LEN},
    {offsetof(ff_flow, dst_addr), FF_ADDR_LEN}, {offsetof(ff_flow, exporter), FF_ADDR_LEN},
    {offsetof(ff_flow, src_as), 4},	   {offsetof(ff_flow, dst_as), 4},
    {offsetof(ff_flow, in_if), 4},	   {offsetof(ff_flow, out_if), 4},
    {offsetof(ff_flow, sampling_rate), 4}, {offsetof(ff_flow, wildcards), 4},
    {offsetof(ff_flow, agent_ref), 4},	   {offsetof(ff_flow, src_port), 2},
    {offsetof(ff_flow, dst_port), 2},	   {offsetof(ff_flow, proto), 1},
    {offsetof(ff_flow, tcp_flags), 1},	   {offsetof(ff_flow, tos), 1},
};

/*
 * Three groups, one per agent, each stressing other encodings: IPv6 among
 * IPv4 sources (16-byte block) and flows of 5 bytes; IPv4 only and flows of
 * 6 bytes; a short last group (not a whole number of any slice) with one
 * destination (a width-0 address block) and flows of 7 bytes. The rest
 * gives widths 0 to 4 and 8, shuffled blocks and the delta of first_ms.
 */
static ff_flow *every_encoding_rows(size_t n)
{
	ff_flow *rows = malloc(n * sizeof *rows);
	assert_non_null(rows);
	for (size_t i = 0; i < n; i++) {
		uint32_t agent = (uint32_t)(i / GROUP);
		make_row(&rows[i], i, agent);
		rows[i].flows = 1 + rnd() % (1ull << (8 * (5 + agent)));
		rows[i].wildcards = agent == 1 ? (uint32_t)(i % 3) : 0;
		if (agent == 0 && i % 10 == 0)
			v6_addr(rows[i].src_addr, rnd());
		if (agent == 2)
			ff_addr_from_v4(rows[i].dst_addr, 0xc0a80101u);
	}
	return rows;
}

/* The blocks of the every-encoding segment cover what they are meant to. */
static void assert_every_encoding(const seg_fixture *x)
{
	unsigned widths = 0, shuffled = 0, delta = 0;
	for (size_t g = 0; g < ff_segment_groups(x->s); g++)
		for (int c = 0; c < FF_SEGMENT_COLUMNS; c++) {
			ff_segment_block_info b = block(x, g, c);
			widths |= 1u << b.width;
			shuffled += b.shuffled;
			delta += b.encoding == 2;
		}
	for (unsigned w = 0; w <= 8; w++)
		assert_true(widths & 1u << w);
	assert_true(shuffled > 0 && delta > 0);
	assert_int_equal(block(x, 0, COL_SRC).encoding, 0);
	assert_int_equal(block(x, 1, COL_SRC).encoding, 3);
	assert_int_equal(block(x, 2, COL_DST).encoding, 3);
	assert_int_equal(block(x, 2, COL_DST).width, 0);
}

/*
 * Group g read for `cols` matches the full read `ref` in every column asked
 * for (agent and wildcards always, first_ms with last_ms) and leaves every
 * other field as it was.
 */
static void assert_cols_read(const seg_fixture *x, size_t g, uint32_t cols, const ff_flow *ref,
			     size_t rows, ff_flow *out, uint8_t *scratch)
{
	memset(out, 0xa5, rows * sizeof *out);
	assert_int_equal(ff_segment_read_group_cols(x->s, g, cols, out, scratch), (long)rows);
	if (cols == FF_SEGMENT_COLS_ALL) {
		assert_memory_equal(out, ref, rows * sizeof *out);
		return;
	}
	uint32_t want = cols | FF_SEGMENT_COL_AGENT | FF_SEGMENT_COL_WILDCARDS |
			(cols & FF_SEGMENT_COL_LAST ? FF_SEGMENT_COL_FIRST : 0);
	uint8_t untouched[FF_ADDR_LEN];
	memset(untouched, 0xa5, sizeof untouched);
	for (size_t i = 0; i < rows; i++)
		for (int c = 0; c < FF_SEGMENT_COLUMNS; c++) {
			const uint8_t *got = (const uint8_t *)&out[i] + col_field[c].off;
			const uint8_t *exp = want & 1u << c
						 ? (const uint8_t *)&ref[i] + col_field[c].off
						 : untouched;
			if (memcmp(got, exp, col_field[c].size) != 0)
				fail_msg("group %zu, cols %#x, row %zu, column %d differs", g,
					 (unsigned)cols, i, c);
		}
}

/* Reading some columns gives, bit for bit, what reading the whole group gives. */
static void read_cols_match_read_group(void **state)
{
	(void)state;
	size_t n = 2 * GROUP + 5037;
	seg_fixture x;
	write_read(&x, every_encoding_rows(n), n);
	assert_same_rows(&x);
	assert_every_encoding(&x);
	static const uint32_t masks[] = {
	    FF_SEGMENT_COL_SRC_ADDR | FF_SEGMENT_COL_BYTES,
	    FF_SEGMENT_COL_DST_PORT | FF_SEGMENT_COL_PACKETS,
	    FF_SEGMENT_COL_FIRST | FF_SEGMENT_COL_LAST | FF_SEGMENT_COL_BYTES |
		FF_SEGMENT_COL_PACKETS | FF_SEGMENT_COL_FLOWS | FF_SEGMENT_COL_DST_ADDR,
	    FF_SEGMENT_COL_LAST | FF_SEGMENT_COL_EXPORTER | FF_SEGMENT_COL_TOS,
	    FF_SEGMENT_COLS_ALL,
	};
	ff_flow *out = malloc(GROUP * sizeof *out);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	assert_non_null(out);
	assert_non_null(scratch);
	for (size_t g = 0, at = 0; g < ff_segment_groups(x.s); g++) {
		size_t rows = g < 2 ? GROUP : n - 2 * GROUP;
		for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++)
			assert_cols_read(&x, g, masks[m], x.out + at, rows, out, scratch);
		for (int c = 0; c < FF_SEGMENT_COLUMNS; c++)
			assert_cols_read(&x, g, 1u << c, x.out + at, rows, out, scratch);
		at += rows;
	}
	free(out);
	free(scratch);
	fixture_free(&x);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(ipv4_only_block),	    cmocka_unit_test(mixed_v4_v6_block),
    cmocka_unit_test(widths_and_shuffle), cmocka_unit_test(sorted_rows),
    cmocka_unit_test(group_bounds),	    cmocka_unit_test(read_cols_match_read_group),
    cmocka_unit_test(cursor_narrow_widths),
    cmocka_unit_test(cursor_fixed_columns_per_group),
};

FF_TEST_MAIN(tests)
