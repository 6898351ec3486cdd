#include "ff_test.h"

#include "journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Fixtures per failure mode are made by the test from a good journal in a
 * temporary directory; each has its exact expected result.
 */

typedef struct seen {
	size_t batches;
	size_t records;
	uint64_t seqs[16];
	uint64_t segment_id;
} seen;

static int on_entry(void *arg, uint64_t segment_id, const ff_batch *b)
{
	seen *r = arg;
	assert_string_equal(b->agent_id, "node-a");
	if (r->batches < 16)
		r->seqs[r->batches] = b->sequence;
	r->batches++;
	r->records += b->n_records;
	r->segment_id = segment_id;
	return 0;
}

static void temp_path(char *dir, char *path)
{
	strcpy(dir, "/tmp/ff_test_journal_XXXXXX");
	assert_non_null(mkdtemp(dir));
	sprintf(path, "%s/journal.ffj", dir);
}

static void remove_all(const char *dir, const char *path)
{
	unlink(path);
	rmdir(dir);
}

static void append(ff_journal *j, uint64_t seq)
{
	ff_flow recs[8];
	memset(recs, 0, sizeof recs);
	for (uint64_t i = 0; i < seq && i < 8; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000000u + (uint32_t)i);
		recs[i].bytes = 100;
		recs[i].packets = 1;
		recs[i].flows = 1;
	}
	ff_batch b = {.epoch = 9, .sequence = seq, .records = recs, .n_records = seq < 8 ? seq : 8};
	strcpy(b.agent_id, "node-a");
	assert_int_equal(ff_journal_append(j, &b), 0);
}

/* Journal of segment 7 holding batches 1..n; returns the file size. */
static off_t fill(const char *path, uint64_t n)
{
	ff_journal *j;
	ff_journal_info info;
	assert_int_equal(ff_journal_open(path, 7, 1000, NULL, NULL, &j, &info), 0);
	for (uint64_t q = 1; q <= n; q++)
		append(j, q);
	ff_journal_close(j);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static ff_journal *reopen(const char *path, seen *r, ff_journal_info *info)
{
	ff_journal *j;
	memset(r, 0, sizeof *r);
	assert_int_equal(ff_journal_open(path, 99, 5000, on_entry, r, &j, info), 0);
	return j;
}

static void append_reopen_replays(void **state)
{
	(void)state;
	char dir[64], path[96];
	temp_path(dir, path);
	fill(path, 3);
	seen r;
	ff_journal_info info;
	ff_journal *j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 3);
	assert_int_equal(r.records, 6);
	assert_int_equal(r.segment_id, 7);
	assert_int_equal(info.segment_id, 7); /* the file's ids win over the defaults */
	assert_int_equal(info.window_start_ms, 1000);
	assert_int_equal(info.entries, 3);
	assert_int_equal(info.torn_tails, 0);
	/* A reset empties it and names the next segment. */
	assert_int_equal(ff_journal_reset(j, 8, 2000), 0);
	assert_int_equal(ff_journal_entries(j), 0);
	append(j, 4);
	ff_journal_close(j);
	j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 1);
	assert_int_equal(r.seqs[0], 4);
	assert_int_equal(info.segment_id, 8);
	assert_int_equal(info.window_start_ms, 2000);
	ff_journal_close(j);
	remove_all(dir, path);
}

static void check_torn(const char *path, off_t whole)
{
	seen r;
	ff_journal_info info;
	ff_journal *j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 2);
	assert_int_equal(info.torn_tails, 1);
	assert_int_equal(info.corrupt, 0);
	assert_int_equal(info.bytes, whole);
	append(j, 3); /* lands on a whole entry */
	ff_journal_close(j);
	j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 3);
	assert_int_equal(r.seqs[2], 3);
	assert_int_equal(info.torn_tails, 0);
	ff_journal_close(j);
}

static void torn_tail_cut(void **state)
{
	(void)state;
	char dir[64], path[96];
	temp_path(dir, path);
	off_t two = fill(path, 2);
	unlink(path);
	off_t three = fill(path, 3);
	assert_int_equal(truncate(path, three - 5), 0);
	check_torn(path, two);
	unlink(path);
	fill(path, 3);
	assert_int_equal(truncate(path, two + 7), 0); /* part of an entry header */
	check_torn(path, two);
	remove_all(dir, path);
}

static void patch(const char *path, off_t at, const uint8_t *bytes, size_t n)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, at), (ssize_t)n);
	close(fd);
}

static void corrupt_middle_skipped(void **state)
{
	(void)state;
	char dir[64], path[96];
	temp_path(dir, path);
	off_t one = fill(path, 1);
	unlink(path);
	fill(path, 3);
	uint8_t x = 0xee;
	patch(path, one + 16 + 3, &x, 1); /* a payload byte of the second entry */
	seen r;
	ff_journal_info info;
	ff_journal *j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 2);
	assert_int_equal(r.seqs[1], 3);
	assert_int_equal(info.corrupt, 1);
	assert_int_equal(info.torn_tails, 0);
	ff_journal_close(j);
	remove_all(dir, path);
}

static void expect_error(const uint8_t *bytes, size_t n, off_t at, int err)
{
	char dir[64], path[96];
	temp_path(dir, path);
	fill(path, 2);
	patch(path, at, bytes, n);
	ff_journal *j = NULL;
	ff_journal_info info;
	assert_int_equal(ff_journal_open(path, 1, 1, NULL, NULL, &j, &info), err);
	assert_null(j);
	remove_all(dir, path);
}

static void wrong_version(void **state)
{
	(void)state;
	const uint8_t v[2] = {2, 0};
	expect_error(v, 2, 4, FF_JOURNAL_EVERSION);
}

static void bad_magic(void **state)
{
	(void)state;
	const uint8_t m[4] = {'N', 'O', 'P', 'E'};
	expect_error(m, 4, 0, FF_JOURNAL_EMAGIC);
}

static void header_checksum(void **state)
{
	(void)state;
	const uint8_t b = 0x77;
	expect_error(&b, 1, 9, FF_JOURNAL_EHEADER); /* inside the segment id */
}

static void torn_header_rewritten(void **state)
{
	(void)state;
	char dir[64], path[96];
	temp_path(dir, path);
	fill(path, 0);
	const uint8_t b = 0x77;
	patch(path, 9, &b, 1); /* a reset torn by a crash: header only, CRC wrong */
	seen r;
	ff_journal_info info;
	ff_journal *j = reopen(path, &r, &info);
	assert_int_equal(info.torn_tails, 1);
	assert_int_equal(info.segment_id, 99); /* started afresh with the caller's ids */
	assert_int_equal(r.batches, 0);
	ff_journal_close(j);
	remove_all(dir, path);
}

static void second_open_locked(void **state)
{
	(void)state;
	char dir[64], path[96];
	temp_path(dir, path);
	ff_journal *a, *b = NULL;
	ff_journal_info info;
	assert_int_equal(ff_journal_open(path, 1, 1, NULL, NULL, &a, &info), 0);
	assert_int_equal(ff_journal_open(path, 1, 1, NULL, NULL, &b, &info), FF_JOURNAL_ELOCKED);
	ff_journal_close(a);
	remove_all(dir, path);
}

/*
 * A batch that came off the wire is journaled as the bytes it came in (a
 * version 1 frame here, while the journal's own encoding is version 2),
 * and replays to the same records.
 */
static void wire_frame_kept_as_is(void **state)
{
	(void)state;
	char dir[64], path[128];
	temp_path(dir, path);
	ff_flow recs[3];
	memset(recs, 0, sizeof recs);
	for (uint32_t i = 0; i < 3; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000001u + i);
		recs[i].bytes = 1000 + i;
		recs[i].packets = 2;
		recs[i].flows = 1;
	}
	ff_batch b = {.epoch = 9, .sequence = 5, .records = recs, .n_records = 3};
	strcpy(b.agent_id, "node-a");
	uint8_t *frame = NULL;
	size_t len = 0;
	assert_int_equal(ff_batch_encode_wire(&b, FF_BATCH_WIRE_RECORDS, &frame, &len), 0);
	b.wire_frame = frame;
	b.wire_frame_len = len;
	ff_journal *j;
	ff_journal_info info;
	assert_int_equal(ff_journal_open(path, 7, 1000, NULL, NULL, &j, &info), 0);
	assert_int_equal(ff_journal_append(j, &b), 0);
	ff_journal_close(j);
	/* The file holds the frame byte for byte after its two headers. */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, 32 + 16 + len);
	uint8_t *back = malloc(len);
	assert_non_null(back);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, len, 48), (ssize_t)len);
	close(fd);
	assert_memory_equal(back, frame, len);
	free(back);
	seen r = {0};
	j = reopen(path, &r, &info);
	assert_int_equal(r.batches, 1);
	assert_int_equal(r.records, 3);
	assert_int_equal(r.seqs[0], 5);
	ff_journal_close(j);
	free(frame);
	remove_all(dir, path);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(wire_frame_kept_as_is),
    cmocka_unit_test(append_reopen_replays), cmocka_unit_test(torn_tail_cut),
    cmocka_unit_test(corrupt_middle_skipped), cmocka_unit_test(wrong_version),
    cmocka_unit_test(bad_magic),	      cmocka_unit_test(header_checksum),
    cmocka_unit_test(torn_header_rewritten), cmocka_unit_test(second_open_locked),
};

FF_TEST_MAIN(tests)
