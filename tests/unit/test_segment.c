#include "ff_test.h"

#include "segment.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Each failure mode is a fixture the test makes from a good segment in a
 * temporary directory (flip one byte, cut the tail, change the version) and
 * each has its exact expected error.
 */

#define N_ROWS (FF_SEGMENT_GROUP_ROWS + 1234) /* two row groups, the last partial */

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
	ff_flow *out = calloc(FF_SEGMENT_GROUP_ROWS, sizeof *out);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	size_t at = 0;
	for (size_t g = 0; g < 2; g++) {
		long n = ff_segment_read_group(s, g, out, scratch);
		assert_int_equal(n, g == 0 ? FF_SEGMENT_GROUP_ROWS : 1234);
		for (long i = 0; i < n; i++, at++)
			assert_memory_equal(&out[i], &rows[at], sizeof *out);
	}
	assert_int_equal(at, N_ROWS);
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
	flip_byte(path, 88 + 5);
}

static void cut_tail(const char *path)
{
	assert_int_equal(truncate(path, file_size(path) - 10), 0);
}

static void cut_to_header(const char *path)
{
	assert_int_equal(truncate(path, 50), 0);
}

static void set_version_2(const char *path)
{
	int fd = open(path, O_RDWR);
	uint8_t v[2] = {2, 0};
	assert_int_equal(pwrite(fd, v, 2, 4), 2);
	close(fd);
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
	expect_open_error(set_version_2, FF_SEG_EVERSION);
}

static void bad_magic(void **state)
{
	(void)state;
	expect_open_error(damage_magic, FF_SEG_EMAGIC);
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
};

FF_TEST_MAIN(tests)
