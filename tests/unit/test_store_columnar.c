#include "ff_test.h"

#include "query_topn.h"
#include "retention.h"
#include "ff_time.h"
#include "segment.h"
#include "store_columnar.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct replay_log {
	size_t batches;
	size_t records;
} replay_log;

static void on_replay(void *arg, const ff_batch *b)
{
	replay_log *r = arg;
	r->batches++;
	r->records += b->n_records;
}

static void temp_dir(char *dir)
{
	strcpy(dir, "/tmp/ff_test_cstore_XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void remove_all(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static ff_store *open_store(const char *dir, replay_log *r)
{
	ff_store *s;
	ff_store_columnar_config cfg = {.data_dir = dir, .window_ms = 3600 * 1000};
	if (r != NULL)
		memset(r, 0, sizeof *r);
	assert_int_equal(ff_store_columnar_open(&cfg, on_replay, r, &s), 0);
	return s;
}

/* Batch `seq`: `seq` records of 100 bytes from 10.0.0.seq, times at t_ms. */
static void append(ff_store *s, const char *agent, uint64_t seq, uint64_t t_ms)
{
	ff_flow recs[8];
	memset(recs, 0, sizeof recs);
	for (uint64_t i = 0; i < seq; i++) {
		ff_addr_from_v4(recs[i].src_addr, 0x0a000000u + (uint32_t)seq);
		recs[i].bytes = 100;
		recs[i].packets = 1;
		recs[i].flows = 1;
		recs[i].first_ms = t_ms;
		recs[i].last_ms = t_ms + 1000;
	}
	ff_batch b = {.epoch = 5, .sequence = seq, .records = recs, .n_records = seq};
	strcpy(b.agent_id, agent);
	assert_int_equal(ff_store_append(s, &b), 0);
}

static uint64_t total_bytes(ff_store *s, uint64_t since, uint64_t until, const char *agent)
{
	ff_topn_query q = {.element = FF_EL_SRCIP,
			   .order = FF_ORDER_BYTES,
			   .agent = agent,
			   .since_ms = since,
			   .until_ms = until};
	ff_topn_result res;
	assert_int_equal(ff_topn_run(s, &q, &res), 0);
	ff_topn_result_free(&res);
	return res.total.bytes;
}

static void seal_reopen_replays(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_store(dir, NULL);
	for (uint64_t q = 1; q <= 3; q++)
		append(s, "node-a", q, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), 0);
	append(s, "node-b", 4, 2000000);
	append(s, "node-a", 5, 2000000);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 1500);
	ff_store_close(s);
	replay_log r;
	s = open_store(dir, &r);
	assert_int_equal(r.batches, 5);
	assert_int_equal(r.records, 15);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	ff_store_columnar_stats cst;
	ff_store_columnar_get_stats(s, &cst);
	assert_int_equal(cst.segments, 1);
	assert_int_equal(st.batches, 5);
	assert_int_equal(st.records, 15);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 1500);
	assert_int_equal(total_bytes(s, 0, 0, "node-b"), 400);
	ff_store_close(s);
	remove_all(dir);
}

static void read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	*buf = malloc(1 << 20);
	*len = fread(*buf, 1, 1 << 20, f);
	fclose(f);
}

/* A crash after the segment was written but before the journal was reset. */
static void sealed_journal_not_replayed_twice(void **state)
{
	(void)state;
	char dir[64], jpath[96];
	temp_dir(dir);
	snprintf(jpath, sizeof jpath, "%s/journal.ffj", dir);
	ff_store *s = open_store(dir, NULL);
	append(s, "node-a", 2, 1000000);
	append(s, "node-a", 3, 1000000);
	uint8_t *old;
	size_t len;
	read_file(jpath, &old, &len);
	assert_int_equal(ff_store_columnar_seal(s), 0);
	ff_store_close(s);
	FILE *f = fopen(jpath, "wb");
	assert_int_equal(fwrite(old, 1, len, f), len);
	fclose(f);
	free(old);
	replay_log r;
	s = open_store(dir, &r);
	assert_int_equal(r.batches, 2);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 500);
	/* The journal now names the next segment: a new seal does not clash. */
	append(s, "node-a", 4, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), 0);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 900);
	ff_store_close(s);
	s = open_store(dir, &r);
	assert_int_equal(r.batches, 3);
	ff_store_close(s);
	remove_all(dir);
}

static void flip_segment_byte(const char *dir, uint64_t id, long from_end)
{
	char path[128];
	snprintf(path, sizeof path, "%s/segments/seg-%016llx.ffs", dir, (unsigned long long)id);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	off_t at = from_end < 0 ? st.st_size + from_end : from_end;
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x33;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static int quarantined_files(const char *dir)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "exit $(ls '%s/quarantine' | wc -l)", dir);
	return WEXITSTATUS(system(cmd));
}

static void corrupt_segment_quarantined(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_store(dir, NULL);
	append(s, "node-a", 3, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), 0); /* segment 1 */
	append(s, "node-a", 2, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), 0); /* segment 1 */
	ff_store_close(s);
	flip_segment_byte(dir, 1, -2); /* a column block */
	flip_segment_byte(dir, 2, 20); /* the header */
	replay_log r;
	s = open_store(dir, &r);
	/* The damaged header is found at open, the damaged block by the first query. */
	assert_int_equal(r.batches, 1);
	assert_int_equal(quarantined_files(dir), 1);
	append(s, "node-b", 4, 1000000);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 400);
	assert_int_equal(quarantined_files(dir), 2);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.quarantined, 2);
	assert_int_equal(st.segments, 0);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 400);
	/* A new seal takes an id no quarantined file has. */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	ff_store_close(s);
	s = open_store(dir, &r);
	assert_int_equal(r.batches, 1);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 400);
	ff_store_close(s);
	remove_all(dir);
}

/* nfdump's -t: a record counts when [first, last] lies inside the window. */
static void time_window(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_store(dir, NULL);
	append(s, "node-a", 1, 10000); /* [10000, 11000] */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	append(s, "node-a", 2, 20000); /* [20000, 21000] */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	append(s, "node-a", 3, 30000); /* in the journal */
	assert_int_equal(total_bytes(s, 0, 0, NULL), 600);
	assert_int_equal(total_bytes(s, 10000, 11000, NULL), 100);
	assert_int_equal(total_bytes(s, 10001, 0, NULL), 500);
	assert_int_equal(total_bytes(s, 0, 20999, NULL), 100);
	assert_int_equal(total_bytes(s, 15000, 31000, NULL), 500);
	assert_int_equal(total_bytes(s, 20500, 0, NULL), 300);
	assert_int_equal(total_bytes(s, 40000, 0, NULL), 0);
	ff_store_close(s);
	remove_all(dir);
}

static void second_open_locked(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *a = open_store(dir, NULL), *b = NULL;
	ff_store_columnar_config cfg = {.data_dir = dir};
	assert_int_equal(ff_store_columnar_open(&cfg, NULL, NULL, &b), FF_STORE_ELOCKED);
	ff_store_close(a);
	remove_all(dir);
}

static void retention_policy(void **state)
{
	(void)state;
	const ff_retention_item items[] = {{.newest_ms = 1000, .bytes = 10},
					   {.newest_ms = 5000, .bytes = 10},
					   {.newest_ms = 2000, .bytes = 10},
					   {.newest_ms = 9000, .bytes = 10}};
	bool drop[4];
	ff_retention_policy age = {.retain_ms = 6000};
	assert_int_equal(ff_retention_select(&age, items, 4, 0, 10000, drop), 2);
	assert_true(drop[0] && !drop[1] && drop[2] && !drop[3]);
	ff_retention_policy size = {.max_bytes = 25};
	assert_int_equal(ff_retention_select(&size, items, 4, 3, 10000, drop), 2);
	assert_true(drop[0] && drop[1] && !drop[2] && !drop[3]);
	ff_retention_policy both = {.retain_ms = 6000, .max_bytes = 15};
	assert_int_equal(ff_retention_select(&both, items, 4, 0, 10000, drop), 3);
	assert_true(drop[0] && drop[1] && drop[2] && !drop[3]);
	ff_retention_policy none = {0};
	assert_int_equal(ff_retention_select(&none, items, 4, 1u << 30, 10000, drop), 0);
}

static void retention_removes_files(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_store(dir, NULL);
	append(s, "node-a", 1, 10000); /* far in the past */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	ff_store_close(s);
	/* A skew of a century: the 1970 stamp is trusted, and the segment is a day old. */
	ff_store_columnar_config cfg = {.data_dir = dir,
					.retain_ms = 24ull * 3600 * 1000,
					.max_clock_skew_ms = 36500ull * 86400 * 1000};
	replay_log r = {0};
	assert_int_equal(ff_store_columnar_open(&cfg, on_replay, &r, &s), 0);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 0);
	ff_store_close(s);
	remove_all(dir);
}

/* The age rule: a file's newest stamp when it is near the file's writing, else the writing. */
static void retention_trusts_stamps_near_writing(void **state)
{
	(void)state;
	const uint64_t hour = 3600000, written = 1800000000000ull;
	assert_int_equal(ff_retention_trusted_ms(written - 5000, written, hour), written - 5000);
	assert_int_equal(ff_retention_trusted_ms(written + hour, written, hour), written + hour);
	assert_int_equal(ff_retention_trusted_ms(written - hour, written, hour), written - hour);
	/* 2106 and 1970: the writing. */
	assert_int_equal(ff_retention_trusted_ms(4294967295000ull, written, hour), written);
	assert_int_equal(ff_retention_trusted_ms(10000, written, hour), written);
	assert_int_equal(ff_retention_trusted_ms(written + hour + 1, written, hour), written);
	/* Not known when written, or no window: the stamp. */
	assert_int_equal(ff_retention_trusted_ms(10000, 0, hour), 10000);
	assert_int_equal(ff_retention_trusted_ms(10000, written, 0), 10000);
}

static ff_store *open_retain(const char *dir, uint64_t retain_ms)
{
	ff_store *s;
	ff_store_columnar_config cfg = {
	    .data_dir = dir, .window_ms = 3600 * 1000, .retain_ms = retain_ms};
	assert_int_equal(ff_store_columnar_open(&cfg, NULL, NULL, &s), 0);
	return s;
}

/*
 * Segments of records stamped 2106 and 1970 beside an honest one, under a
 * retention of 3 s: the stamps neither keep them past their time nor make
 * them go at once; each lives as long as the honest one written with it.
 */
static void retention_skewed_neither_pinned_nor_vanishing(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	ff_store *s = open_retain(dir, 3000);
	uint64_t now = ff_time_now_ms();
	append(s, "node-a", 1, now - 1000);
	assert_int_equal(ff_store_columnar_seal(s), 0);
	append(s, "node-a", 2, 4294967290000ull); /* February 2106 */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	append(s, "node-a", 3, 10000); /* January 1970 */
	assert_int_equal(ff_store_columnar_seal(s), 0);
	ff_store_close(s);
	s = open_retain(dir, 3000); /* retention at open */
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.segments, 3);
	assert_int_equal(st.expired, 0);
	assert_int_equal(total_bytes(s, 4294967290000ull, UINT64_MAX, NULL), 200);
	assert_int_equal(total_bytes(s, 0, 20000, NULL), 300);
	ff_store_close(s);
	/* Past the retention of every one of them (written up to a second late). */
	while (ff_time_now_ms() < now + 5100)
		usleep(100000);
	s = open_retain(dir, 3000);
	ff_store_columnar_get_stats(s, &st);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.expired, 3);
	ff_store_close(s);
	remove_all(dir);
}

/* --- early seals and the background sealer ------------------------------------------ */

static ff_store *open_cfg(const char *dir, uint64_t max_records, ff_store_seal_hook hook,
			  void *hook_arg, replay_log *r)
{
	ff_store *s;
	ff_store_columnar_config cfg = {.data_dir = dir,
					.window_ms = 3600 * 1000,
					.rollup_keys = FF_ROLLUP_KEYS_ALL,
					.window_max_records = max_records,
					.seal_hook = hook,
					.seal_hook_arg = hook_arg};
	if (r != NULL)
		memset(r, 0, sizeof *r);
	assert_int_equal(ff_store_columnar_open(&cfg, on_replay, r, &s), 0);
	return s;
}

/* 40 batches of 1..8 records from two agents, times spread over 40 minutes. */
static void append_many(ff_store *s, uint64_t from)
{
	for (uint64_t q = from; q < from + 40; q++)
		append(s, q % 3 ? "node-a" : "node-b", 1 + q % 8, 1000000 + q * 60000);
}

static void assert_same_answers(ff_store *a, ff_store *b)
{
	const uint64_t cuts[][2] = {
	    {0, 0}, {1000000, 1000000 + 20 * 60000}, {1000000 + 7 * 60000, 1000000 + 33 * 60000}};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		assert_int_equal(total_bytes(a, cuts[i][0], cuts[i][1], NULL),
				 total_bytes(b, cuts[i][0], cuts[i][1], NULL));
		assert_int_equal(total_bytes(a, cuts[i][0], cuts[i][1], "node-b"),
				 total_bytes(b, cuts[i][0], cuts[i][1], "node-b"));
	}
	ff_store_stats x, y;
	ff_store_get_stats(a, &x);
	ff_store_get_stats(b, &y);
	assert_int_equal(x.batches, y.batches);
	assert_int_equal(x.records, y.records);
}

static void early_seal_keeps_totals(void **state)
{
	(void)state;
	char d1[64], d2[64];
	temp_dir(d1);
	temp_dir(d2);
	ff_store *bounded = open_cfg(d1, 10, NULL, NULL, NULL);
	ff_store *whole = open_cfg(d2, UINT64_MAX, NULL, NULL, NULL);
	append_many(bounded, 1);
	append_many(whole, 1);
	assert_same_answers(bounded, whole);
	assert_int_equal(ff_store_columnar_seal(bounded), 0);
	assert_int_equal(ff_store_columnar_seal(whole), 0);
	ff_store_columnar_stats cb, cw;
	ff_store_columnar_get_stats(bounded, &cb);
	ff_store_columnar_get_stats(whole, &cw);
	assert_true(cb.early_seals > 5);
	assert_int_equal(cb.segments, cb.early_seals + 1);
	assert_int_equal(cw.early_seals, 0);
	assert_int_equal(cw.segments, 1);
	assert_true(cb.rollup_hour >= 1);
	assert_int_equal(cb.seal_errors + cb.rollup_errors, 0);
	assert_same_answers(bounded, whole);
	append_many(bounded, 100); /* an open window after the early seals */
	append_many(whole, 100);
	ff_store_close(bounded);
	ff_store_close(whole);
	replay_log r1, r2;
	bounded = open_cfg(d1, 10, NULL, NULL, &r1);
	whole = open_cfg(d2, UINT64_MAX, NULL, NULL, &r2);
	assert_int_equal(r1.batches, 80);
	assert_int_equal(r1.records, r2.records);
	assert_same_answers(bounded, whole);
	ff_store_close(bounded);
	ff_store_close(whole);
	remove_all(d1);
	remove_all(d2);
}

/* A seal hook that holds the sealer until released, or fails every try. */
typedef struct hold {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int entered;
	bool release;
	int fail;			 /* returned instead of waiting when non-zero */
	int pass_first;			 /* this many calls pass at once */
	char copy_from[96], copy_to[96]; /* copied while held: a snapshot of the sealing journal */
} hold;

static int hold_hook(void *arg, uint64_t id)
{
	(void)id;
	hold *h = arg;
	pthread_mutex_lock(&h->mu);
	h->entered++;
	pthread_cond_broadcast(&h->cv);
	if (h->copy_from[0] != '\0') {
		char cmd[256];
		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", h->copy_from, h->copy_to);
		h->copy_from[0] = system(cmd) == 0 ? '\0' : 'x';
	}
	while (h->fail == 0 && !h->release && h->entered > h->pass_first)
		pthread_cond_wait(&h->cv, &h->mu);
	int rc = h->fail;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

static void hold_init(hold *h)
{
	memset(h, 0, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
}

static void hold_wait_entered(hold *h, int n)
{
	pthread_mutex_lock(&h->mu);
	while (h->entered < n)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

static void hold_release(hold *h)
{
	pthread_mutex_lock(&h->mu);
	h->release = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static void hold_destroy(hold *h)
{
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
}

static void query_during_background_seal(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	hold h;
	hold_init(&h);
	snprintf(h.copy_from, sizeof h.copy_from, "%s/journal-sealing.ffj", dir);
	snprintf(h.copy_to, sizeof h.copy_to, "%s/sealing.copy", dir);
	ff_store *s = open_cfg(dir, 10, hold_hook, &h, NULL);
	append(s, "node-a", 6, 1000000);
	append(s, "node-b", 5, 1000000); /* past the bound: handed to the (held) sealer */
	hold_wait_entered(&h, 1);
	append(s, "node-a", 3, 1000000); /* acked while the seal is held */
	assert_int_equal(total_bytes(s, 0, 0, NULL), 1400);
	assert_int_equal(total_bytes(s, 0, 0, "node-b"), 500);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	assert_int_equal(st.records, 14);
	ff_store_columnar_stats cst;
	ff_store_columnar_get_stats(s, &cst);
	assert_int_equal(cst.seals, 0);
	assert_int_equal(cst.early_seals, 1);
	hold_release(&h);
	assert_int_equal(ff_store_columnar_seal(s), 0); /* waits for the held seal, then seals */
	assert_int_equal(total_bytes(s, 0, 0, NULL), 1400);
	ff_store_columnar_get_stats(s, &cst);
	assert_int_equal(cst.seals, 2);
	assert_int_equal(cst.segments, 2);
	ff_store_close(s);
	/* A crash after the segment was listed, before its journal was removed: not twice. */
	char pending[96];
	snprintf(pending, sizeof pending, "%s/journal-sealing.ffj", dir);
	assert_int_equal(h.copy_from[0], '\0');
	assert_int_equal(rename(h.copy_to, pending), 0);
	replay_log r;
	s = open_cfg(dir, 10, NULL, NULL, &r);
	assert_int_equal(r.batches, 3);
	assert_int_equal(r.records, 14);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 1400);
	assert_int_equal(access(pending, F_OK), -1);
	ff_store_close(s);
	hold_destroy(&h);
	remove_all(dir);
}

/* A seal that fails (a crash would cut it the same way) leaves its journal, replayed whole. */
static void crash_during_background_seal_replays(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	hold h;
	hold_init(&h);
	h.pass_first = 2;
	ff_store *s = open_cfg(dir, 10, hold_hook, &h, NULL);
	for (uint64_t q = 1; q <= 7; q++) /* 28 records: two early seals pass, the third is held */
		append(s, "node-a", q, 1000000 + q * 1000);
	hold_wait_entered(&h, 3);
	pthread_mutex_lock(&h.mu);
	h.fail = -EIO;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mu);
	/* The held third hand-over is now failing: batches still go on into the open window. */
	for (uint64_t q = 8; q <= 12; q++)
		append(s, "node-b", 1 + q % 8, 2000000);
	uint64_t want = total_bytes(s, 0, 0, NULL);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	ff_store_close(s); /* no seal: as a crash */
	replay_log r;
	s = open_cfg(dir, 10, NULL, NULL, &r);
	assert_int_equal(r.batches, 12);
	assert_int_equal(r.records, st.records);
	assert_int_equal(total_bytes(s, 0, 0, NULL), want);
	ff_store_stats st2;
	ff_store_get_stats(s, &st2);
	assert_int_equal(st2.records, st.records);
	assert_int_equal(st2.batches, 12);
	ff_store_close(s);
	s = open_cfg(dir, 10, NULL, NULL, &r); /* and a second start counts the same */
	assert_int_equal(r.batches, 12);
	assert_int_equal(total_bytes(s, 0, 0, NULL), want);
	ff_store_close(s);
	hold_destroy(&h);
	remove_all(dir);
}

/* --- a seal that fails (a full disk): backoff and health ---------------------------- */

/* A seal hook that fails with `fail` while it is set, noting when each try came. */
typedef struct failing {
	pthread_mutex_t mu;
	int fail;
	size_t calls;
	uint64_t at_ms[64];
} failing;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int failing_hook(void *arg, uint64_t id)
{
	(void)id;
	failing *f = arg;
	pthread_mutex_lock(&f->mu);
	if (f->calls < 64)
		f->at_ms[f->calls] = mono_ms();
	f->calls++;
	int rc = f->fail;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static size_t failing_calls(failing *f)
{
	pthread_mutex_lock(&f->mu);
	size_t n = f->calls;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* Waits up to `ms` for the hook to have been called `n` times. */
static void wait_calls(failing *f, size_t n, uint64_t ms)
{
	uint64_t end = mono_ms() + ms;
	while (failing_calls(f) < n && mono_ms() < end)
		usleep(10000);
	assert_true(failing_calls(f) >= n);
}

static uint64_t seals_of(ff_store *s)
{
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	return st.seals;
}

/*
 * ENOSPC at every seal: tries back off from 0.2 s doubling (not one a
 * second, not several), the store says it is not writable and why; once a
 * seal works it is writable again.
 */
static void seal_failure_backs_off(void **state)
{
	(void)state;
	char dir[64];
	temp_dir(dir);
	failing f = {.fail = -ENOSPC};
	pthread_mutex_init(&f.mu, NULL);
	ff_store *s = open_cfg(dir, UINT64_MAX, failing_hook, &f, NULL);
	ff_store_health h;
	ff_store_get_health(s, &h);
	assert_true(h.writable);
	append(s, "node-a", 3, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), -ENOSPC);
	ff_store_get_health(s, &h);
	assert_false(h.writable);
	assert_int_equal(h.error, -ENOSPC);
	assert_non_null(strstr(h.reason, "sealing"));
	assert_non_null(strstr(h.reason, ff_strerror(-ENOSPC)));
	json_t *doc = ff_store_stats_json(s);
	assert_true(json_is_false(json_object_get(doc, "writable")));
	assert_non_null(strstr(json_string_value(json_object_get(doc, "write_error")), "sealing"));
	json_decref(doc);
	append(s, "node-a", 4, 1000000); /* acks go on meanwhile, into the open window */
	wait_calls(&f, 4, 5000);
	pthread_mutex_lock(&f.mu);
	/* Waits of 0.2, 0.4, 0.8 s: a busy machine only makes them longer. */
	assert_true(f.at_ms[1] - f.at_ms[0] >= 190);
	assert_true(f.at_ms[2] - f.at_ms[1] >= 390);
	assert_true(f.at_ms[3] - f.at_ms[2] >= 790);
	size_t in_first_second = 0;
	for (size_t i = 0; i < f.calls && i < 64; i++)
		in_first_second += f.at_ms[i] - f.at_ms[0] < 1000;
	assert_true(in_first_second <= 3);
	f.fail = 0; /* space is back: the next try (1.6 s later) works */
	pthread_mutex_unlock(&f.mu);
	uint64_t end = mono_ms() + 10000;
	while (seals_of(s) == 0 && mono_ms() < end)
		usleep(10000);
	assert_int_equal(seals_of(s), 1);
	ff_store_get_health(s, &h);
	assert_true(h.writable);
	assert_int_equal(h.error, 0);
	assert_string_equal(h.reason, "");
	assert_int_equal(total_bytes(s, 0, 0, NULL), 700);
	/* A second run of failures starts over at 0.2 s, not at the first run's 3.2 s. */
	pthread_mutex_lock(&f.mu);
	f.fail = -ENOSPC;
	size_t c0 = f.calls;
	pthread_mutex_unlock(&f.mu);
	append(s, "node-a", 5, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), -ENOSPC);
	assert_true(failing_calls(&f) >= c0 + 1);
	wait_calls(&f, c0 + 2, 5000);
	pthread_mutex_lock(&f.mu);
	uint64_t gap = f.at_ms[c0 + 1] - f.at_ms[c0];
	f.fail = 0;
	pthread_mutex_unlock(&f.mu);
	assert_true(gap >= 190 && gap < 1500);
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(s, &st);
	assert_true(st.seal_errors >= 4);
	ff_store_close(s);
	pthread_mutex_destroy(&f.mu);
	remove_all(dir);
}

/* --- a journal lost ----------------------------------------------------------------- */

/* Opens the store in `dir` with stderr (the log) in `log` (a path), and its counters. */
static ff_store *open_logged(const char *dir, const char *log, ff_store_columnar_stats *st)
{
	fflush(stderr);
	int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	replay_log r;
	ff_store *s = open_store(dir, &r);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	ff_store_columnar_get_stats(s, st);
	return s;
}

static bool file_has(const char *path, const char *text)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/*
 * A journal deleted or emptied where the store had one drops the open
 * window: an error says so (and what was sealed last), a counter counts it.
 * A fresh store, a clean restart and a hand-over cut short say nothing.
 */
static void journal_lost_is_an_error(void **state)
{
	(void)state;
	char dir[64], jnl[128], log[128];
	temp_dir(dir);
	snprintf(jnl, sizeof jnl, "%s/journal.ffj", dir);
	snprintf(log, sizeof log, "%s.log", dir);
	ff_store_columnar_stats st;
	ff_store *s = open_logged(dir, log, &st); /* fresh: no journal expected yet */
	assert_int_equal(st.journals_lost, 0);
	append(s, "node-a", 3, 1000000);
	ff_store_close(s);
	s = open_logged(dir, log, &st); /* a clean restart replays it */
	assert_int_equal(st.journals_lost, 0);
	assert_int_equal(total_bytes(s, 0, 0, NULL), 300);
	ff_store_close(s);
	assert_int_equal(unlink(jnl), 0); /* deleted, no segment yet: the marker tells */
	s = open_logged(dir, log, &st);
	assert_int_equal(st.journals_lost, 1);
	assert_true(file_has(log, "journal.ffj is missing, yet this store keeps its open window"));
	assert_int_equal(total_bytes(s, 0, 0, NULL), 0);
	append(s, "node-a", 2, 1000000);
	assert_int_equal(ff_store_columnar_seal(s), 0); /* segment 1 */
	append(s, "node-a", 4, 1000000);
	ff_store_close(s);
	assert_int_equal(truncate(jnl, 0), 0); /* emptied */
	s = open_logged(dir, log, &st);
	assert_int_equal(st.journals_lost, 1);
	assert_true(file_has(log, "was emptied (0 bytes)"));
	assert_true(file_has(log, "The last sealed segment is 1,"));
	assert_int_equal(total_bytes(s, 0, 0, NULL), 200);
	append(s, "node-a", 1, 1000000);
	ff_store_close(s);
	/* A hand-over cut short: journal-sealing.ffj holds the window, journal.ffj is not yet. */
	char pending[128];
	snprintf(pending, sizeof pending, "%s/journal-sealing.ffj", dir);
	assert_int_equal(rename(jnl, pending), 0);
	s = open_logged(dir, log, &st);
	assert_int_equal(st.journals_lost, 0);
	assert_false(file_has(log, "yet this store keeps"));
	assert_int_equal(total_bytes(s, 0, 0, NULL), 300);
	ff_store_close(s);
	remove_all(dir);
	unlink(log);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(seal_reopen_replays),
    cmocka_unit_test(sealed_journal_not_replayed_twice),
    cmocka_unit_test(corrupt_segment_quarantined),
    cmocka_unit_test(time_window),
    cmocka_unit_test(second_open_locked),
    cmocka_unit_test(retention_policy),
    cmocka_unit_test(retention_removes_files),
    cmocka_unit_test(retention_trusts_stamps_near_writing),
    cmocka_unit_test(retention_skewed_neither_pinned_nor_vanishing),
    cmocka_unit_test(early_seal_keeps_totals),
    cmocka_unit_test(query_during_background_seal),
    cmocka_unit_test(crash_during_background_seal_replays),
    cmocka_unit_test(seal_failure_backs_off),
    cmocka_unit_test(journal_lost_is_an_error),
};

FF_TEST_MAIN(tests)
