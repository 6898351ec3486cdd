/*
 * Filter evaluations per second, for a simple and a complex expression, over
 * a pool of varied records (so branches are not all predicted the same way).
 *
 *   bench_filter [SECONDS_PER_EXPRESSION]     (default 1)
 */
#include "ff_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL 4096

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deterministic spread of records: a few protocols, ports, nets, sizes. */
static void fill_pool(ff_flow *pool)
{
	static const uint8_t protos[] = {6, 6, 6, 17, 17, 1};
	static const uint16_t ports[] = {80, 443, 53, 22, 8080, 123, 25, 3306};
	uint32_t x = 12345;
	for (size_t i = 0; i < POOL; i++) {
		x = x * 1103515245u + 12345u;
		ff_flow *f = &pool[i];
		memset(f, 0, sizeof *f);
		ff_addr_from_v4(f->src_addr, 0x0a000000u | (x >> 12 & 0xffff));
		ff_addr_from_v4(f->dst_addr, (x & 1 ? 0xc0a80000u : 0xac100000u) | (x >> 20));
		f->proto = protos[x % sizeof protos];
		f->src_port = (uint16_t)(1024 + (x >> 5) % 60000);
		f->dst_port = ports[(x >> 9) % 8];
		f->tcp_flags = (uint8_t)(x >> 3 & 0x3f);
		f->packets = 1 + (x >> 7) % 1000;
		f->bytes = f->packets * (40 + (x >> 11) % 1400);
		f->flows = 1;
		f->first_ms = 1700000000000ull;
		f->last_ms = f->first_ms + (x >> 13) % 60000;
	}
}

static int bench(const char *expr, const ff_flow *pool, double seconds)
{
	char err[256];
	ff_filter *f;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	uint64_t evals = 0, matches = 0;
	double start = now_s(), elapsed;
	do {
		for (size_t i = 0; i < POOL; i++)
			matches += ff_filter_match(f, &pool[i]);
		evals += POOL;
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	printf("%-12.0f evals/s  %5.1f%% match  %s\n", (double)evals / elapsed,
	       100.0 * (double)matches / (double)evals, expr);
	ff_filter_free(f);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	static ff_flow pool[POOL];
	fill_pool(pool);
	static const char *const exprs[] = {
	    "not port 53",
	    "proto tcp and (dst port in [80 443 8080] or src net 10.0.0.0/12) and not flags R "
	    "and bytes > 10k and bpp < 1400 and not (dst net 172.16.0.0/12 and pps > 100)",
	};
	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
		if (bench(exprs[i], pool, seconds) != 0)
			return 1;
	return 0;
}
