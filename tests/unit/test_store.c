#include "ff_test.h"

#include "store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Collects what a replay hands over. */
typedef struct replay_log {
	size_t batches;
	size_t records;
	uint64_t seqs[16];
	uint64_t bytes;
} replay_log;

static void on_replay(void *arg, const ff_batch *b)
{
	replay_log *r = arg;
	assert_string_equal(b->agent_id, "node-a");
	if (r->batches < 16)
		r->seqs[r->batches] = b->sequence;
	r->batches++;
	r->records += b->n_records;
	for (size_t i = 0; i < b->n_records; i++)
		r->bytes += b->records[i].bytes;
}

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_store_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void log_path(const char *dir, char *path, size_t len)
{
	snprintf(path, len, "%s/batches.log", dir);
}

static void remove_dir(const char *dir)
{
	char path[128];
	log_path(dir, path, sizeof path);
	unlink(path);
	rmdir(dir);
}

/* Batch `seq` of node-a holds `seq` records of 100 bytes each. */
static void append_batch(ff_store *s, uint64_t seq)
{
	ff_flow recs[16];
	memset(recs, 0, sizeof recs);
	for (uint64_t i = 0; i < seq; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000000u + (uint32_t)i);
		ff_addr_from_v4(recs[i].dst_addr, 0x0a000100u);
		recs[i].bytes = 100;
		recs[i].packets = 1;
		recs[i].flows = 1;
	}
	ff_batch b = {.epoch = 5, .sequence = seq, .records = recs, .n_records = seq};
	strcpy(b.agent_id, "node-a");
	assert_int_equal(ff_store_append(s, &b), 0);
}

/* Writes batches 1..n into a new store in `dir` and returns the file size. */
static off_t fill_store(const char *dir, uint64_t n)
{
	ff_store *s;
	assert_int_equal(ff_store_log_ops.open(dir, NULL, NULL, &s), 0);
	for (uint64_t q = 1; q <= n; q++)
		append_batch(s, q);
	ff_store_close(s);
	char path[128];
	struct stat st;
	log_path(dir, path, sizeof path);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static ff_store *reopen(const char *dir, replay_log *r)
{
	ff_store *s;
	memset(r, 0, sizeof *r);
	assert_int_equal(ff_store_log_ops.open(dir, on_replay, r, &s), 0);
	return s;
}

static void append_reopen_replays(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	fill_store(dir, 4);
	replay_log r;
	ff_store *s = reopen(dir, &r);
	assert_int_equal(r.batches, 4);
	assert_int_equal(r.records, 1 + 2 + 3 + 4);
	assert_int_equal(r.bytes, 1000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r.seqs[i], i + 1);
	/* Appending after a reopen continues the same file. */
	append_batch(s, 5);
	ff_store_close(s);
	s = reopen(dir, &r);
	assert_int_equal(r.batches, 5);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	assert_int_equal(st.batches, 5);
	assert_int_equal(st.records, 15);
	assert_int_equal(st.torn_tails, 0);
	assert_int_equal(st.corrupt, 0);
	ff_store_close(s);
	remove_dir(dir);
}

/* Cuts `n` bytes off the end of the log, as a crash in mid-write would. */
static void truncate_log(const char *dir, off_t size)
{
	char path[128];
	log_path(dir, path, sizeof path);
	assert_int_equal(truncate(path, size), 0);
}

static void check_torn(const char *dir, off_t whole_size)
{
	replay_log r;
	ff_store *s = reopen(dir, &r);
	assert_int_equal(r.batches, 2);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	assert_int_equal(st.torn_tails, 1);
	assert_int_equal(st.corrupt, 0);
	assert_int_equal(st.bytes, whole_size);
	/* The file was cut back, so a new append lands on a whole entry. */
	append_batch(s, 3);
	ff_store_close(s);
	s = reopen(dir, &r);
	assert_int_equal(r.batches, 3);
	assert_int_equal(r.seqs[2], 3);
	ff_store_get_stats(s, &st);
	assert_int_equal(st.torn_tails, 0);
	ff_store_close(s);
}

static void torn_tail_cut(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	off_t two = fill_store(dir, 2);
	remove_dir(dir);
	temp_dir(dir);
	off_t three = fill_store(dir, 3);
	truncate_log(dir, three - 5); /* the third entry lost its last bytes */
	check_torn(dir, two);
	remove_dir(dir);
}

static void torn_header_cut(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	off_t two = fill_store(dir, 2);
	remove_dir(dir);
	temp_dir(dir);
	fill_store(dir, 3);
	truncate_log(dir, two + 7); /* only part of the third entry's header made it */
	check_torn(dir, two);
	remove_dir(dir);
}

static void corrupt_middle_skipped(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	off_t one = fill_store(dir, 1);
	remove_dir(dir);
	temp_dir(dir);
	fill_store(dir, 3);
	/* Flip a payload byte of the second entry: its CRC no longer matches. */
	char path[128];
	log_path(dir, path, sizeof path);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t byte;
	off_t at = one + 16 + 3;
	assert_int_equal(pread(fd, &byte, 1, at), 1);
	byte ^= 0xff;
	assert_int_equal(pwrite(fd, &byte, 1, at), 1);
	close(fd);
	replay_log r;
	ff_store *s = reopen(dir, &r);
	assert_int_equal(r.batches, 2);
	assert_int_equal(r.seqs[0], 1);
	assert_int_equal(r.seqs[1], 3);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.torn_tails, 0);
	ff_store_close(s);
	remove_dir(dir);
}

static void second_open_locked(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *a, *b = NULL;
	assert_int_equal(ff_store_log_ops.open(dir, NULL, NULL, &a), 0);
	assert_int_equal(ff_store_log_ops.open(dir, NULL, NULL, &b), FF_STORE_ELOCKED);
	ff_store_close(a);
	remove_dir(dir);
}

static void empty_file(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	replay_log r;
	ff_store *s = reopen(dir, &r);
	ff_store_close(s);
	s = reopen(dir, &r);
	assert_int_equal(r.batches, 0);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	assert_int_equal(st.bytes, 0);
	ff_store_close(s);
	remove_dir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(append_reopen_replays), cmocka_unit_test(torn_tail_cut),
    cmocka_unit_test(torn_header_cut),	     cmocka_unit_test(corrupt_middle_skipped),
    cmocka_unit_test(second_open_locked),    cmocka_unit_test(empty_file),
};

FF_TEST_MAIN(tests)
