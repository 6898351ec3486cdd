/*
 * bench_topn: the top-N engine alone over a data dir (no HTTP, no CLI), the
 * best wall time of a few runs, for profiling the scan (perf record) and for
 * docs/benchmarks.md. The store is opened read-mostly as the aggregator
 * would open it; nothing is appended.
 *
 * Usage: bench_topn DATA_DIR STAT [FILTER [RUNS]]
 *   e.g. bench_topn /tmp/x/data srcip/bytes "proto tcp and dst port 443" 5
 */

#include "ff_element.h"
#include "ff_filter.h"
#include "query_topn.h"
#include "store.h"
#include "store_columnar.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_topn DATA_DIR STAT [FILTER [RUNS]]\n");
		return 2;
	}
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
	rc = bench_run(s, &q, runs > 0 ? runs : 1);
	ff_store_close(s);
	ff_filter_free(filter);
	return rc;
}
