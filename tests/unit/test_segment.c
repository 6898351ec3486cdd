#include "ff_test.h"

#include "segment.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/*
 * The file as a whole: round trip, header fields (rollup metadata
 * included), version 1 files, and each failure mode as a fixture the test
 * makes from a good segment in a temporary directory (flip one byte, cut
 * the tail, change the version), each with its exact expected error. The
 * column encodings and the row order are in test_segment_encoding.c.
 */

#define N_ROWS (FF_SEGMENT_GROUP_ROWS + 1234) /* two row groups, the last partial */
#define HDR_LEN 120				 /* version 2 */

static const char *const agents[] = {"node-a", "node-b.example", "n"};

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_segment_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void remove_all(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Row i exercises every column: wide and narrow values, IPv6, last < first. */
static void make_row(ff_flow *f, size_t i)
{
	memset(f, 0, sizeof *f);
	f->first_ms = 1795430000000ull + i * 7 - (i % 5) * 1000;
	f->last_ms = i % 97 == 0 ? f->first_ms - 5 : f->first_ms + (i % 1000) * 13;
	f->bytes = i % 11 == 0 ? UINT64_MAX - i : 40 + i * 3;
	f->packets = 1 + i % 300;
	f->flows = 1 + i % 3;
	if (i % 13 == 0) {
		for (int k = 0; k < FF_ADDR_LEN; k++)
			f->src_addr[k] = (uint8_t)(0x20 + k + i);
	} else {
		ff_addr_from_v4(f->src_addr, 0x0a000000u + (uint32_t)(i % 4000));
	}
	ff_addr_from_v4(f->dst_addr, 0xc0a80000u + (uint32_t)(i % 300));
	ff_addr_from_v4(f->exporter, 0x7f000001u + (uint32_t)(i % 3));
	f->src_as = (uint32_t)(i % 70000);
	f->dst_as = i % 2 ? 4200000000u : 0;
	f->in_if = (uint32_t)(i % 8);
	f->out_if = (uint32_t)(i % 9);
	f->sampling_rate = i % 17 == 0 ? 1000 : 1;
	f->wildcards = i % 19 == 0 ? FF_FIELD_SRC_PORT | FF_FIELD_TOS : 0;
	f->agent_ref = (uint32_t)(i * 3 / N_ROWS); /* sorted by agent, as the store writes */
	f->src_port = (uint16_t)(i * 31);
	f->dst_port = i % 2 ? 443 : 80;
	f->proto = i % 3 ? 6 : 17;
	f->tcp_flags = (uint8_t)i;
	f->tos = (uint8_t)(i % 4);
}

static ff_flow *make_rows(size_t n)
{
	ff_flow *rows = calloc(n ? n : 1, sizeof *rows);
	assert_non_null(rows);
	for (size_t i = 0; i < n; i++)
		make_row(&rows[i], i);
	return rows;
}

static const ff_segment_batch batches[] = {
    {.agent = 0, .interval_len_ms = 10000, .epoch = 7, .sequence = 1,
     .interval_start_ms = 1795430000000ull, .policy_version = 3, .n_records = 30000},
    {.agent = 2, .interval_len_ms = 1000, .epoch = UINT64_MAX, .sequence = 1ull << 40,
     .interval_start_ms = 1795430010000ull, .policy_version = 0, .n_records = N_ROWS - 30000},
};

/* A total order of records, to compare row sets whatever order the writer chose. */
static int cmp_flow(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(ff_flow));
}

/* Writes segment 42 of n rows into dir; returns its path in `path`. */
static ff_flow *write_segment(const char *dir, size_t n, char *path, size_t len)
{
	ff_flow *rows = make_rows(n);
	ff_segment_input in = {.id = 42, .rows = rows, .n_rows = n, .agents = agents,
			       .n_agents = 3, .batches = batches, .n_batches = 2};
	assert_int_equal(ff_segment_write(dir, &in), 0);
	assert_int_equal(ff_segment_path(dir, 42, path, len), 0);
	return rows;
}

static void round_trip_every_column(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	ff_flow *rows = write_segment(dir, N_ROWS, path, sizeof path);
	ff_segment *s;
	assert_int_equal(ff_segment_open(path, &s), 0);
	const ff_segment_meta *m = ff_segment_get_meta(s);
	assert_int_equal(m->id, 42);
	assert_int_equal(m->rows, N_ROWS);
	assert_int_equal(m->n_exporters, 3);
	assert_string_equal(ff_segment_agent(s, 1), "node-b.example");
	assert_int_equal(ff_segment_find_agent(s, "n"), 2);
	assert_int_equal(ff_segment_find_agent(s, "node-x"), -1);
	assert_int_equal(ff_segment_verify(s), 0);
	assert_int_equal(ff_segment_groups(s), 2);
	ff_flow *out = calloc(N_ROWS, sizeof *out);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	size_t at = 0;
	for (size_t g = 0; g < 2; g++) {
		long n = ff_segment_read_group(s, g, out + at, scratch);
		assert_int_equal(n, g == 0 ? FF_SEGMENT_GROUP_ROWS : 1234);
		at += (size_t)n;
	}
	assert_int_equal(at, N_ROWS);
	/* The writer orders rows itself: the same records, in another order. */
	qsort(out, N_ROWS, sizeof *out, cmp_flow);
	qsort(rows, N_ROWS, sizeof *rows, cmp_flow);
	assert_memory_equal(out, rows, N_ROWS * sizeof *out);
	assert_int_equal(m->version, 2);
	assert_int_equal(m->kind, FF_SEGMENT_RAW);
	assert_int_equal(m->covers_first, 42);
	assert_int_equal(m->covers_last, 42);
	assert_int_equal(m->bin_ms, 0);
	assert_int_equal(m->rollup_keys, 0);
	uint64_t min_first = UINT64_MAX, max_last = 0;
	for (size_t i = 0; i < N_ROWS; i++) {
		min_first = rows[i].first_ms < min_first ? rows[i].first_ms : min_first;
		max_last = rows[i].last_ms > max_last ? rows[i].last_ms : max_last;
	}
	assert_int_equal(m->min_first_ms, min_first);
	assert_int_equal(m->max_last_ms, max_last);
	ff_segment_batch *b;
	size_t nb;
	assert_int_equal(ff_segment_batches(s, &b, &nb), 0);
	assert_int_equal(nb, 2);
	assert_memory_equal(b, batches, sizeof batches);
	free(b);
	free(out);
	free(scratch);
	free(rows);
	ff_segment_close(s);
	remove_all(dir);
}

static void empty_segment(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	ff_segment_input in = {.id = 42, .agents = agents};
	assert_int_equal(ff_segment_write(dir, &in), 0);
	assert_int_equal(ff_segment_path(dir, 42, path, sizeof path), 0);
	ff_segment *s;
	assert_int_equal(ff_segment_open(path, &s), 0);
	assert_int_equal(ff_segment_get_meta(s)->rows, 0);
	assert_int_equal(ff_segment_groups(s), 0);
	assert_int_equal(ff_segment_verify(s), 0);
	ff_segment_close(s);
	remove_all(dir);
}

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x5a;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Makes a fixture from a good segment with `damage`, then expects `err` from open. */
static void expect_open_error(void (*damage)(const char *path), int err)
{
	char dir[64], path[128];
	temp_dir(dir);
	free(write_segment(dir, 5000, path, sizeof path));
	damage(path);
	ff_segment *s = NULL;
	assert_int_equal(ff_segment_open(path, &s), err);
	assert_null(s);
	remove_all(dir);
}

static void damage_last_block(const char *path)
{
	flip_byte(path, file_size(path) - 3);
}

static void corrupt_block(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	free(write_segment(dir, 5000, path, sizeof path));
	damage_last_block(path);
	ff_segment *s;
	/* Column blocks are checked before a query reads them, not at open. */
	assert_int_equal(ff_segment_open(path, &s), 0);
	assert_int_equal(ff_segment_verify(s), FF_SEG_EBLOCK);
	assert_int_equal(ff_segment_verify(s), FF_SEG_EBLOCK);
	ff_segment_close(s);
	remove_all(dir);
}

static void damage_header(const char *path)
{
	flip_byte(path, 20); /* inside the row count */
}

static void damage_directory(const char *path)
{
	flip_byte(path, HDR_LEN + 5);
}

static void damage_rollup_field(const char *path)
{
	flip_byte(path, 90); /* inside bin_ms */
}

static void cut_tail(const char *path)
{
	assert_int_equal(truncate(path, file_size(path) - 10), 0);
}

static void cut_to_header(const char *path)
{
	assert_int_equal(truncate(path, 50), 0);
}

static void set_version(const char *path, uint8_t version)
{
	int fd = open(path, O_RDWR);
	uint8_t v[2] = {version, 0};
	assert_int_equal(pwrite(fd, v, 2, 4), 2);
	close(fd);
}

static void set_version_3(const char *path)
{
	set_version(path, 3);
}

static void set_version_0(const char *path)
{
	set_version(path, 0);
}

/* A version 2 file relabelled version 1: its header is then too short for its CRC. */
static void set_version_1(const char *path)
{
	set_version(path, 1);
}

static void damage_magic(const char *path)
{
	flip_byte(path, 0);
}

static void header_checksum(void **state)
{
	(void)state;
	expect_open_error(damage_header, FF_SEG_EHEADER);
	expect_open_error(damage_directory, FF_SEG_EHEADER);
	expect_open_error(damage_rollup_field, FF_SEG_EHEADER);
	expect_open_error(set_version_1, FF_SEG_EHEADER);
}

static void truncated_file(void **state)
{
	(void)state;
	expect_open_error(cut_tail, FF_SEG_ETRUNC);
	expect_open_error(cut_to_header, FF_SEG_ETRUNC);
}

static void wrong_version(void **state)
{
	(void)state;
	expect_open_error(set_version_3, FF_SEG_EVERSION);
	expect_open_error(set_version_0, FF_SEG_EVERSION);
}

static void bad_magic(void **state)
{
	(void)state;
	expect_open_error(damage_magic, FF_SEG_EMAGIC);
}

/* --- rollup metadata ------------------------------------------------------------ */

static void write_rollup(const char *dir, const ff_segment_input *tmpl, int want)
{
	ff_flow *rows = make_rows(100);
	ff_segment_input in = *tmpl;
	in.rows = rows;
	in.n_rows = 100;
	in.agents = agents;
	in.n_agents = 3;
	assert_int_equal(ff_segment_write(dir, &in), want);
	free(rows);
}

static void rollup_header_round_trip(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	ff_segment_input in = {.id = 7, .kind = FF_SEGMENT_HOUR,
			       .rollup_keys = FF_FIELD_SRC_ADDR | FF_FIELD_TCP_FLAGS,
			       .bin_ms = 3600000, .covers_first = 7, .covers_last = 1ull << 40};
	write_rollup(dir, &in, 0);
	assert_int_equal(ff_segment_path(dir, 7, path, sizeof path), 0);
	ff_segment *s;
	assert_int_equal(ff_segment_open(path, &s), 0);
	const ff_segment_meta *m = ff_segment_get_meta(s);
	assert_int_equal(m->kind, FF_SEGMENT_HOUR);
	assert_int_equal(m->rollup_keys, FF_FIELD_SRC_ADDR | FF_FIELD_TCP_FLAGS);
	assert_int_equal(m->bin_ms, 3600000);
	assert_int_equal(m->covers_first, 7);
	assert_int_equal(m->covers_last, 1ull << 40);
	assert_int_equal(m->rows, 100);
	ff_segment_close(s);
	/* A raw segment's covers are its own id, whatever the input said. */
	in = (ff_segment_input){.id = 8, .covers_first = 1, .covers_last = 2};
	write_rollup(dir, &in, 0);
	assert_int_equal(ff_segment_path(dir, 8, path, sizeof path), 0);
	assert_int_equal(ff_segment_open(path, &s), 0);
	m = ff_segment_get_meta(s);
	assert_int_equal(m->kind, FF_SEGMENT_RAW);
	assert_int_equal(m->covers_first, 8);
	assert_int_equal(m->covers_last, 8);
	ff_segment_close(s);
	remove_all(dir);
}

static void rollup_input_checked(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	static const ff_segment_input bad[] = {
	    {.id = 1, .kind = FF_SEGMENT_RAW, .bin_ms = 60000},
	    {.id = 1, .kind = FF_SEGMENT_RAW, .rollup_keys = FF_FIELD_PROTO},
	    {.id = 1, .kind = FF_SEGMENT_MINUTE, .bin_ms = 0, .covers_first = 1, .covers_last = 1},
	    {.id = 1, .kind = FF_SEGMENT_MINUTE, .bin_ms = 60000, .covers_first = 2,
	     .covers_last = 1},
	    {.id = 1, .kind = FF_SEGMENT_MINUTE, .bin_ms = 60000, .rollup_keys = 1u << 12,
	     .covers_first = 1, .covers_last = 1},
	    {.id = 1, .kind = (enum ff_segment_kind)3, .bin_ms = 60000, .covers_first = 1,
	     .covers_last = 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		write_rollup(dir, &bad[i], FF_SEG_EFORMAT);
	remove_all(dir);
}

/* Sets header byte `at` to v and the header CRC to match: an intact header that lies. */
static void rewrite_header_byte(const char *path, off_t at, uint8_t v)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t h[HDR_LEN];
	assert_int_equal(pread(fd, h, HDR_LEN, 0), HDR_LEN);
	h[at] = v;
	uint32_t crc = (uint32_t)crc32(0, h, HDR_LEN - 4);
	for (int i = 0; i < 4; i++)
		h[HDR_LEN - 4 + i] = (uint8_t)(crc >> (8 * i));
	assert_int_equal(pwrite(fd, h, HDR_LEN, 0), HDR_LEN);
	close(fd);
}

static void kind_out_of_range(const char *path)
{
	rewrite_header_byte(path, 80, 3);
}

static void raw_with_bin(const char *path)
{
	rewrite_header_byte(path, 88, 1); /* bin_ms 1 in a raw segment */
}

static void raw_covering_another(const char *path)
{
	rewrite_header_byte(path, 104, 41); /* covers_last != id */
}

static void rollup_fields_checked(void **state)
{
	(void)state;
	expect_open_error(kind_out_of_range, FF_SEG_EFORMAT);
	expect_open_error(raw_with_bin, FF_SEG_EFORMAT);
	expect_open_error(raw_covering_another, FF_SEG_EFORMAT);
}

/* --- version 1 ---------------------------------------------------------------------- */

#define V1_HDR 88
#define V1_ROWS 3
#define V1_BLOCKS (3 + 20)

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Appends one uncompressed block and its directory entry to a version 1
 * file being built in `file`; returns the new file length.
 */
static size_t v1_block(uint8_t *file, size_t len, int k, uint8_t col, uint8_t enc, uint8_t width,
		       uint32_t rows, const uint8_t *data, uint32_t n, uint64_t min)
{
	uint8_t *e = file + V1_HDR + (size_t)k * 48;
	memset(e, 0, 48);
	e[0] = col;
	e[1] = enc;
	e[2] = width;
	put_le(e + 4, rows, 4);
	put_le(e + 8, n, 4);
	put_le(e + 12, n, 4);
	put_le(e + 16, len, 8);
	put_le(e + 24, min, 8);
	put_le(e + 32, min, 8);
	put_le(e + 40, (uint32_t)crc32(0, data, n), 4);
	memcpy(file + len, data, n);
	return len + n;
}

/* The integer column values of v1 rows, as version 1 stored them (FOR from 0, width 8). */
static uint64_t v1_value(const ff_flow *f, int col)
{
	const uint64_t v[20] = {0, 2 * (f->last_ms - f->first_ms), f->bytes, f->packets, f->flows,
				0, 0, 0, f->src_as, f->dst_as, f->in_if, f->out_if,
				f->sampling_rate, f->wildcards, 0, f->src_port, f->dst_port,
				f->proto, f->tcp_flags, f->tos};
	return v[col];
}

/* The column blocks of a version 1 file (first_ms delta-encoded, the rest plain). */
static size_t v1_columns(uint8_t *file, size_t len, const ff_flow *rows)
{
	uint8_t d[V1_ROWS * 16];
	for (int col = 0; col < 20; col++) {
		int k = 3 + col;
		if (col == 5 || col == 6) {
			for (int i = 0; i < V1_ROWS; i++)
				memcpy(d + 16 * i, col == 5 ? rows[i].src_addr : rows[i].dst_addr, 16);
			len = v1_block(file, len, k, (uint8_t)col, 0, 16, V1_ROWS, d, V1_ROWS * 16, 0);
		} else if (col == 0) {
			uint64_t min = rows[0].first_ms; /* rows ascend */
			for (int i = 0; i < V1_ROWS; i++)
				put_le(d + 8 * i, i == 0 ? 0 : 2 * (rows[i].first_ms - rows[i - 1].first_ms), 8);
			len = v1_block(file, len, k, 0, 2, 8, V1_ROWS, d, V1_ROWS * 8, min);
		} else {
			for (int i = 0; i < V1_ROWS; i++)
				put_le(d + 8 * i, v1_value(&rows[i], col), 8);
			len = v1_block(file, len, k, (uint8_t)col, 1, 8, V1_ROWS, d, V1_ROWS * 8, 0);
		}
	}
	return len;
}

/* Builds, byte by byte as docs/storage.md's version 1 said, a 3-row segment 5. */
static size_t v1_file(uint8_t *file, const ff_flow *rows)
{
	size_t len = V1_HDR + V1_BLOCKS * 48;
	static const uint8_t agent[] = {2, 'v', '1'};
	uint8_t exporter[16], batch[48] = {0};
	ff_addr_from_v4(exporter, 0x7f000001u);
	put_le(batch + 16, 9, 8);		/* sequence */
	put_le(batch + 40, V1_ROWS, 4); /* records */
	len = v1_block(file, len, 0, 200, 0, 0, 1, agent, sizeof agent, 0);
	len = v1_block(file, len, 1, 201, 0, 0, 1, exporter, sizeof exporter, 0);
	len = v1_block(file, len, 2, 202, 0, 0, 1, batch, sizeof batch, 0);
	len = v1_columns(file, len, rows);
	memset(file, 0, V1_HDR);
	memcpy(file, "FSSG", 4); /* FF__SEG_MAGIC, little-endian */
	put_le(file + 4, 1, 2);
	put_le(file + 6, V1_HDR, 2);
	put_le(file + 8, 5, 8);
	put_le(file + 16, V1_ROWS, 8);
	put_le(file + 24, FF_SEGMENT_GROUP_ROWS, 4);
	put_le(file + 28, V1_BLOCKS, 4);
	put_le(file + 32, rows[0].first_ms, 8);
	put_le(file + 40, rows[V1_ROWS - 1].first_ms, 8);
	put_le(file + 48, rows[0].last_ms, 8);
	put_le(file + 56, rows[V1_ROWS - 1].last_ms, 8);
	put_le(file + 64, 1, 4);
	put_le(file + 68, 1, 4);
	put_le(file + 72, 1, 4);
	put_le(file + 76, (uint32_t)crc32(0, file + V1_HDR, V1_BLOCKS * 48), 4);
	put_le(file + 84, (uint32_t)crc32(0, file, 84), 4);
	return len;
}

static void reads_version_1(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	ff_flow rows[V1_ROWS];
	for (int i = 0; i < V1_ROWS; i++) {
		make_row(&rows[i], (size_t)i + 1);
		rows[i].first_ms = 1795430000000ull + 1000 * (uint64_t)i;
		rows[i].last_ms = rows[i].first_ms + 10;
		rows[i].agent_ref = 0;
		ff_addr_from_v4(rows[i].exporter, 0x7f000001u);
	}
	uint8_t file[8192];
	size_t len = v1_file(file, rows);
	assert_int_equal(ff_segment_path(dir, 5, path, sizeof path), 0);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	ff_segment *s;
	assert_int_equal(ff_segment_open(path, &s), 0);
	const ff_segment_meta *m = ff_segment_get_meta(s);
	assert_int_equal(m->version, 1);
	assert_int_equal(m->kind, FF_SEGMENT_RAW);
	assert_int_equal(m->covers_first, 5);
	assert_int_equal(m->covers_last, 5);
	assert_int_equal(ff_segment_verify(s), 0);
	assert_string_equal(ff_segment_agent(s, 0), "v1");
	ff_flow out[V1_ROWS];
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	assert_int_equal(ff_segment_read_group(s, 0, out, scratch), V1_ROWS);
	assert_memory_equal(out, rows, sizeof rows);
	uint64_t lo, hi;
	/* Version 1 has no bounds of last_ms; first_ms's are there. */
	assert_int_equal(ff_segment_group_bounds(s, 0, FF_SEGMENT_COL_LAST, &lo, &hi), -1);
	assert_int_equal(ff_segment_group_bounds(s, 0, FF_SEGMENT_COL_FIRST, &lo, &hi), 0);
	assert_int_equal(lo, rows[0].first_ms);
	free(scratch);
	ff_segment_close(s);
	remove_all(dir);
}

/* --- directories that lie, CRCs intact (found by tests/fuzz/fuzz_segment.c) ------- */

/*
 * Sets n little-endian bytes at `at` of a version 2 file to v, then makes the
 * directory and header CRCs hold again: an intact file whose directory lies.
 */
static void rewrite_le(const char *path, off_t at, uint64_t v, int n)
{
	size_t len = (size_t)file_size(path);
	uint8_t *f = malloc(len);
	assert_non_null(f);
	FILE *fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fread(f, 1, len, fp), len);
	put_le(f + at, v, n);
	uint32_t n_dir = (uint32_t)f[28] | (uint32_t)f[29] << 8 | (uint32_t)f[30] << 16;
	put_le(f + 76, (uint32_t)crc32(0, f + HDR_LEN, n_dir * 48), 4);
	put_le(f + HDR_LEN - 4, (uint32_t)crc32(0, f, HDR_LEN - 4), 4);
	rewind(fp);
	assert_int_equal(fwrite(f, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(f);
}

/* Writes `rows` rows, makes the directory lie (rewrite_le), and expects `err` from open. */
static void expect_lie_refused(size_t rows, off_t at, uint64_t v, int n, int err)
{
	char dir[64], path[128];
	temp_dir(dir);
	free(write_segment(dir, rows, path, sizeof path));
	rewrite_le(path, at, v, n);
	ff_segment *s = NULL;
	assert_int_equal(ff_segment_open(path, &s), err);
	assert_null(s);
	remove_all(dir);
}

/* A row count near 2^64 once wrapped to zero row groups and opened as empty. */
static void rows_count_overflow(void **state)
{
	(void)state;
	expect_lie_refused(0, 16, UINT64_MAX, 8, FF_SEG_EFORMAT);
	expect_lie_refused(0, 16, UINT64_MAX - FF_SEGMENT_GROUP_ROWS + 2, 8, FF_SEG_EFORMAT);
}

/*
 * A compressed block decodes to at most 255 bytes per stored byte (lz4's
 * longest match per length byte): a section claiming 1 GB from a few bytes
 * is refused before anything is allocated for it.
 */
static void lz4_length_bounded(void **state)
{
	(void)state;
	/* Entry 0, the agent dictionary: lz4, decoded length 1 GB. */
	char dir[64], path[128];
	temp_dir(dir);
	free(write_segment(dir, 0, path, sizeof path));
	rewrite_le(path, HDR_LEN + 3, 1, 1);
	rewrite_le(path, HDR_LEN + 8, 1u << 30, 4);
	ff_segment *s = NULL;
	assert_int_equal(ff_segment_open(path, &s), FF_SEG_EFORMAT);
	assert_null(s);
	remove_all(dir);
}

/*
 * Each agent takes at least 2 bytes of its dictionary: a count of 2^32 - 16
 * over 24 bytes once allocated 279 GB (-ENOMEM, or an abort under ASan).
 */
static void agent_count_bounded(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_dir(dir);
	free(write_segment(dir, 0, path, sizeof path));
	rewrite_le(path, 68, 0xfffffff0u, 4);	       /* header: agents */
	rewrite_le(path, HDR_LEN + 4, 0xfffffff0u, 4); /* entry 0: rows */
	ff_segment *s = NULL;
	assert_int_equal(ff_segment_open(path, &s), FF_SEG_EFORMAT);
	assert_null(s);
	remove_all(dir);
}

static void file_names(void **state)
{
	(void)state;
	char path[64];
	uint64_t id;
	assert_int_equal(ff_segment_path("d", 0xabc, path, sizeof path), 0);
	assert_string_equal(path, "d/seg-0000000000000abc.ffs");
	assert_int_equal(ff_segment_parse_name(path + 2, &id), 0);
	assert_int_equal(id, 0xabc);
	assert_int_equal(ff_segment_parse_name("seg-0000000000000abc.ffs.tmp", &id), -1);
	assert_int_equal(ff_segment_parse_name("seg-000000000000XYZ0.ffs", &id), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(round_trip_every_column),
    cmocka_unit_test(empty_segment),
    cmocka_unit_test(corrupt_block),
    cmocka_unit_test(header_checksum),
    cmocka_unit_test(truncated_file),
    cmocka_unit_test(wrong_version),
    cmocka_unit_test(bad_magic),
    cmocka_unit_test(file_names),
    cmocka_unit_test(rollup_header_round_trip),
    cmocka_unit_test(rollup_input_checked),
    cmocka_unit_test(rollup_fields_checked),
    cmocka_unit_test(reads_version_1),
    cmocka_unit_test(rows_count_overflow),
    cmocka_unit_test(lz4_length_bounded),
    cmocka_unit_test(agent_count_bounded),
};

FF_TEST_MAIN(tests)
