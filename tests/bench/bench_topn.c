/*
 * bench_topn: the top-N engine alone over a data dir (no HTTP, no CLI), the
 * best wall time of a few runs, for profiling the scan (perf record) and for
 * docs/benchmarks.md. The store is opened read-mostly as the aggregator
 * would open it; nothing is appended.
 *
 * Usage: bench_topn [--window | --reseal N] [--agent ID] DATA_DIR STAT [FILTER [RUNS]]
 *   e.g. bench_topn /tmp/x/data srcip/bytes "proto tcp and dst port 443" 5
 * --window: the raw records of DATA_DIR are first appended to a new store
 * in a temp dir whose open window holds them all (no seal), and the query
 * runs there: the open window's scan over the same records (RAM: about 130
 * bytes a record; the new store's files go to the temp dir, removed at
 * exit). --reseal N: the same, sealing a segment every N records or more
 * (whole batches), as a live aggregator's early seals would. --agent ID:
 * every copied record under that one agent id.
 */

#include "ff_element.h"
#include "ff_filter.h"
#include "query_topn.h"
#include "store.h"
#include "store_columnar.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void bench_replay(void *arg, const ff_batch *b)
{
	(void)arg;
	(void)b;
}

/* CLOCK_MONOTONIC for wall time; CLOCK_PROCESS_CPUTIME_ID for CPU time, less swayed by a busy machine. */
static double bench_now(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Where --window appends the records it reads: one sequence number per batch. */
typedef struct bench_opts {
	bool copy;	   /* --window or --reseal */
	uint64_t reseal;   /* records per sealed segment; 0: keep all in the window */
	const char *agent; /* NULL: the records' own */
} bench_opts;

typedef struct bench_copy {
	ff_store *dst;
	const bench_opts *o;
	uint64_t sequence, since_seal;
	int rc;
} bench_copy;

static int bench_copy_scan(void *arg, const ff_batch *b)
{
	bench_copy *c = arg;
	ff_batch v = *b;
	v.epoch = 1;
	v.sequence = ++c->sequence;
	if (c->o->agent != NULL)
		snprintf(v.agent_id, sizeof v.agent_id, "%s", c->o->agent);
	c->rc = ff_store_append(c->dst, &v);
	c->since_seal += v.n_records;
	if (c->rc == 0 && c->o->reseal != 0 && c->since_seal >= c->o->reseal) {
		c->rc = ff_store_columnar_seal(c->dst);
		c->since_seal = 0;
	}
	return c->rc;
}

/*
 * A new store in `dir` (an existing empty dir) holding every record of
 * `src`, in its open window (window bounds past any test's size) or in
 * segments of o->reseal records. Returns 0 with *out, or a negative error.
 */
static int bench_copy_store(ff_store *src, const char *dir, const bench_opts *o, ff_store **out)
{
	ff_store_columnar_config cfg = {.data_dir = dir,
					.window_ms = 365ull * 86400 * 1000,
					.window_max_records = UINT64_MAX,
					.window_max_bytes = UINT64_MAX};
	bench_copy c = {.o = o};
	int rc = ff_store_columnar_open(&cfg, bench_replay, NULL, &c.dst);
	if (rc != 0)
		return rc;
	rc = ff_store_scan(src, bench_copy_scan, &c);
	if (rc == 0 && o->reseal != 0)
		rc = ff_store_columnar_seal(c.dst);
	if (rc != 0) {
		ff_store_close(c.dst);
		return rc;
	}
	*out = c.dst;
	return 0;
}

/* Runs the query `runs` times; prints the best time, the first rows and what was read. */
static int bench_run(ff_store *s, const ff_topn_query *q, int runs)
{
	double best = 1e9, best_cpu = 1e9;
	ff_topn_result r = {0};
	for (int i = 0; i < runs; i++) {
		ff_topn_result_free(&r);
		double t0 = bench_now(CLOCK_MONOTONIC), c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
		int rc = ff_topn_run(s, q, &r);
		double t = bench_now(CLOCK_MONOTONIC) - t0;
		double c = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		best_cpu = c < best_cpu ? c : best_cpu;
		if (rc != 0) {
			fprintf(stderr, "bench_topn: query failed: %d\n", rc);
			return 1;
		}
		best = t < best ? t : best;
	}
	for (size_t i = 0; i < r.n_rows && i < 3; i++)
		printf("  %-40s bytes %" PRIu64 " packets %" PRIu64 " flows %" PRIu64 "\n",
		       r.rows[i].key, r.rows[i].bytes, r.rows[i].packets, r.rows[i].flows);
	printf("best of %d: %.3f s (cpu %.3f s), %" PRIu64 " records (%.1f M/s), %" PRIu64
	       " segments, %" PRIu64 " minute and %" PRIu64 " hour rollups read\n",
	       runs, best, best_cpu, r.total.records, (double)r.total.records / best / 1e6,
	       r.total.read.segments, r.total.read.minute_rollups, r.total.read.hour_rollups);
	ff_topn_result_free(&r);
	return 0;
}

/* Removes the copy's temp dir (its journal, segments and lock file). */
static void bench_remove(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_topn: could not remove %s\n", dir);
}

/* The leading options into *o; returns how many arguments they took, or -1. */
static int bench_parse_opts(int argc, char **argv, bench_opts *o)
{
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--window") == 0) {
			o->copy = true;
		} else if (strcmp(argv[i], "--reseal") == 0 && i + 1 < argc &&
			   (o->reseal = strtoull(argv[i + 1], NULL, 10)) > 0) {
			o->copy = true;
			i++;
		} else if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc) {
			o->agent = argv[++i];
		} else {
			return -1;
		}
	}
	return i - 1;
}

int main(int argc, char **argv)
{
	bench_opts o = {0};
	int skip = bench_parse_opts(argc, argv, &o);
	if (skip < 0 || argc - skip < 3) {
		fprintf(stderr, "usage: bench_topn [--window | --reseal N] [--agent ID] DATA_DIR STAT "
				"[FILTER [RUNS]]\n");
		return 2;
	}
	argv += skip;
	argc -= skip;
	char err[256];
	ff_topn_query q = {.n = 10};
	ff_filter *filter = NULL;
	if (ff_element_parse_stat(argv[2], &q.element, &q.order, err, sizeof err) != 0 ||
	    (argc > 3 && argv[3][0] != '\0' && ff_filter_compile(argv[3], &filter, err, sizeof err) != 0)) {
		fprintf(stderr, "bench_topn: %s\n", err);
		return 2;
	}
	q.filter = filter;
	int runs = argc > 4 ? atoi(argv[4]) : 3;
	ff_store_columnar_config cfg = {.data_dir = argv[1], .rollup_keys = FF_ROLLUP_KEYS_ALL};
	ff_store *s = NULL;
	int rc = ff_store_columnar_open(&cfg, bench_replay, NULL, &s);
	if (rc != 0) {
		fprintf(stderr, "bench_topn: cannot open the store in %s: %d\n", argv[1], rc);
		ff_filter_free(filter);
		return 1;
	}
	char dir[] = "/tmp/bench_topn_copy_XXXXXX";
	if (o.copy) {
		ff_store *w = NULL;
		if (mkdtemp(dir) == NULL || (rc = bench_copy_store(s, dir, &o, &w)) != 0) {
			fprintf(stderr, "bench_topn: cannot copy the records into %s: %d\n", dir, rc);
			ff_store_close(s);
			ff_filter_free(filter);
			return 1;
		}
		ff_store_close(s);
		s = w;
	}
	rc = bench_run(s, &q, runs > 0 ? runs : 1);
	ff_store_close(s);
	if (o.copy)
		bench_remove(dir);
	ff_filter_free(filter);
	return rc;
}
