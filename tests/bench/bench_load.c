/*
 * bench_load: fills a flowfleet data dir straight through the store
 * interface, for bench_query.sh. Going through ffgen -> agent -> aggregator
 * would take minutes for 10 M records and would summarize them; this writes
 * exactly the records nfcapd stored, one for one, so both tools answer over
 * the same flows.
 *
 * Input on stdin, one record a line, as nfdump prints it with
 *   nfdump -R DIR -q -N -o "fmt:%tsr,%td,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%in,%out,%sas,%das,%tos"
 * (start as unix seconds with milliseconds, duration in seconds, the rest
 * plain numbers or addresses; fields may be padded with spaces).
 *
 * Usage: bench_load DATA_DIR [WINDOW_SECONDS]
 * The records are spread over three agent ids, in batches of up to 65536,
 * and a segment is sealed whenever a record's first_ms enters the next
 * WINDOW_SECONDS (default 300) of record time, as the aggregator's windows
 * would had the flows arrived live; an hour rollup then merges an hour of
 * them. Rollups keep every key (the aggregator's default).
 */

#include "ff_batch.h"
#include "ff_config.h"
#include "ff_flow.h"
#include "store.h"
#include "store_columnar.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_BATCH	65536
#define BENCH_FIELDS	14
#define BENCH_AGENTS	3
/* A segment never holds more, whatever the window (memory of the open window). */
#define BENCH_MAX_SEGMENT (4u << 20)

static void bench_replay(void *arg, const ff_batch *b)
{
	(void)arg;
	(void)b;
}

/* Splits `line` at commas into trimmed fields; returns how many. */
static int bench_split(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line; n < max;) {
		while (isspace((unsigned char)*p))
			p++;
		f[n++] = p;
		char *c = strchr(p, ',');
		char *end = c ? c : p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		*end = '\0';
		if (c == NULL)
			break;
		p = c + 1;
	}
	return n;
}

static int bench_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (ff_parse_uint(s, &v) != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A port, or ICMP's "type.code" as nfdump prints it in the destination port. */
static int bench_port(char *s, uint32_t *out)
{
	char *dot = strchr(s, '.');
	uint32_t type, code;
	if (dot == NULL)
		return bench_u32(s, out);
	*dot = '\0';
	if (bench_u32(s, &type) != 0 || bench_u32(dot + 1, &code) != 0 || type > 255 || code > 255)
		return -1;
	*out = type << 8 | code;
	return 0;
}

/* nfdump names the common protocols in fmt output even with -N. */
static uint8_t bench_proto(const char *s)
{
	static const struct { const char *name; uint8_t num; } names[] = {
	    {"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMP6", 58}, {"GRE", 47}, {"ESP", 50}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].num;
	return (uint8_t)strtoul(s, NULL, 10);
}

static int bench_parse(char *line, ff_flow *r)
{
	char *f[BENCH_FIELDS];
	uint32_t sp, dp, tos;
	memset(r, 0, sizeof *r);
	if (bench_split(line, f, BENCH_FIELDS) != BENCH_FIELDS)
		return -1;
	r->first_ms = (uint64_t)(strtod(f[0], NULL) * 1000.0 + 0.5);
	r->last_ms = r->first_ms + (uint64_t)(strtod(f[1], NULL) * 1000.0 + 0.5);
	if (ff_addr_parse(f[2], r->src_addr) != 0 || ff_addr_parse(f[3], r->dst_addr) != 0 ||
	    bench_port(f[4], &sp) != 0 || bench_port(f[5], &dp) != 0 ||
	    ff_parse_uint(f[7], &r->packets) != 0 || ff_parse_uint(f[8], &r->bytes) != 0 ||
	    bench_u32(f[9], &r->in_if) != 0 || bench_u32(f[10], &r->out_if) != 0 ||
	    bench_u32(f[11], &r->src_as) != 0 || bench_u32(f[12], &r->dst_as) != 0 ||
	    bench_u32(f[13], &tos) != 0)
		return -1;
	r->src_port = (uint16_t)sp;
	r->dst_port = (uint16_t)dp;
	r->proto = bench_proto(f[6]);
	r->tos = (uint8_t)tos;
	r->flows = 1;
	ff_addr_from_v4(r->exporter, 0x7f000001);
	return 0;
}

/* Appends the batch under the next agent id; the sequence keeps batches distinct. */
static int bench_flush(ff_store *s, ff_batch *b, uint64_t seq)
{
	if (b->n_records == 0)
		return 0;
	snprintf(b->agent_id, sizeof b->agent_id, "bench-%" PRIu64, seq % BENCH_AGENTS);
	b->epoch = 1;
	b->sequence = seq / BENCH_AGENTS + 1;
	b->interval_start_ms = b->records[0].first_ms;
	b->interval_len_ms = 1000;
	int rc = ff_store_append(s, b);
	if (rc != 0)
		fprintf(stderr, "bench_load: append failed: %s\n", ff_strerror(rc));
	b->n_records = 0;
	return rc;
}

static int bench_load(ff_store *s, uint64_t window_ms, uint64_t *total)
{
	ff_batch b = {0};
	char line[1024];
	uint64_t seq = 0, since_seal = 0, bad = 0, window = UINT64_MAX;
	b.records = malloc(BENCH_BATCH * sizeof *b.records);
	if (b.records == NULL)
		return -1;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, stdin) != NULL) {
		ff_flow *f = &b.records[b.n_records];
		if (bench_parse(line, f) != 0) {
			bad++;
			continue;
		}
		uint64_t w = f->first_ms / window_ms;
		if (window == UINT64_MAX)
			window = w;
		if (w > window || since_seal >= BENCH_MAX_SEGMENT) {
			/* This record opens the next window: seal what came before it. */
			ff_flow next = *f;
			*total += b.n_records;
			since_seal = 0;
			window = w;
			rc = bench_flush(s, &b, seq++);
			if (rc == 0)
				rc = ff_store_columnar_seal(s);
			b.records[0] = next;
		}
		since_seal++;
		if (++b.n_records == BENCH_BATCH) {
			*total += b.n_records;
			rc = rc != 0 ? rc : bench_flush(s, &b, seq++);
		}
	}
	*total += b.n_records;
	if (rc == 0)
		rc = bench_flush(s, &b, seq);
	if (rc == 0)
		rc = ff_store_columnar_seal(s);
	if (bad > 0)
		fprintf(stderr, "bench_load: %" PRIu64 " lines not understood, skipped\n", bad);
	free(b.records);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t window_s = 300, total = 0;
	if (argc < 2 || argc > 3 ||
	    (argc == 3 && (ff_parse_uint(argv[2], &window_s) != 0 || window_s == 0))) {
		fprintf(stderr, "usage: bench_load DATA_DIR [WINDOW_SECONDS] < records\n");
		return 2;
	}
	/*
	 * The store's own clock window is far longer than the load: segments are
	 * sealed here by record time instead.
	 */
	ff_store_columnar_config cfg = {.data_dir = argv[1],
					.window_ms = 365ull * 86400 * 1000,
					.rollup_keys = FF_ROLLUP_KEYS_ALL,
					/* Segments end where this program says (BENCH_MAX_SEGMENT). */
					.window_max_records = UINT64_MAX,
					.window_max_bytes = UINT64_MAX};
	ff_store *s = NULL;
	int rc = ff_store_columnar_open(&cfg, bench_replay, NULL, &s);
	if (rc != 0) {
		fprintf(stderr, "bench_load: cannot open the store in %s: %s\n", argv[1],
			ff_strerror(rc));
		return 1;
	}
	rc = bench_load(s, window_s * 1000, &total);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	ff_store_columnar_stats cst;
	ff_store_columnar_get_stats(s, &cst);
	ff_store_close(s);
	fprintf(stderr, "bench_load: %" PRIu64 " records, %" PRIu64 " segments, %" PRIu64
			" minute and %" PRIu64 " hour rollups, %" PRIu64 " bytes on disk (%" PRIu64
			" of them rollups)\n",
		total, cst.segments, cst.rollup_minute, cst.rollup_hour, st.bytes, cst.rollup_bytes);
	return rc == 0 ? 0 : 1;
}
