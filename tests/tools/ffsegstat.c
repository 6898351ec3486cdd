/*
 * ffsegstat: where the bytes of a segment file go, column by column.
 *
 *   ffsegstat FILE...
 *       per column over all row groups: bytes after encoding, bytes stored
 *       (after lz4), stored bytes per row, and which encodings the blocks use;
 *       then the rest of the file (header, directory, dictionaries, batches).
 *   ffsegstat --time-read FILE
 *       decodes every row group three times for a few column sets, as
 *       queries do, then for each column alone, and prints the best time
 *       per million rows.
 *   ffsegstat --rewrite DIR FILE
 *       writes FILE's rows again, with this build's writer, as a segment of
 *       the same id and kind into DIR (which must exist), and prints how
 *       long the write took; then the new file's columns.
 *
 * A measuring tool for people (docs/storage.md quotes it); no test runs it.
 */
#include "segment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const col_names[FF_SEGMENT_COLUMNS] = {
    "first_ms", "last_ms", "bytes",	"packets",  "flows",	 "src_addr", "dst_addr",
    "exporter", "src_as",  "dst_as",	"in_if",    "out_if",	 "sampling", "wildcards",
    "agent",    "src_port", "dst_port", "proto",    "tcp_flags", "tos"};

static const char *const enc_names[] = {"bytes", "for", "delta", "v4", "duration"};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_seg(const char *path, ff_segment **s)
{
	int rc = ff_segment_open(path, s);
	if (rc == 0)
		rc = ff_segment_verify(*s);
	if (rc != 0) {
		fprintf(stderr, "ffsegstat: %s: %s\n", path, ff_strerror(rc));
		if (*s != NULL)
			ff_segment_close(*s);
	}
	return rc;
}

/* One column's line: sums over the groups, and the set of encodings seen. */
static uint64_t print_column(const ff_segment *s, int col, uint64_t rows)
{
	uint64_t enc = 0, stored = 0;
	unsigned seen = 0, widths = 0, shuffled = 0;
	for (size_t g = 0; g < ff_segment_groups(s); g++) {
		ff_segment_block_info b;
		if (ff_segment_block(s, g, col, &b) != 0)
			continue;
		enc += b.encoded_len;
		stored += b.stored_len;
		seen |= 1u << (b.encoding < 5 ? b.encoding : 0);
		widths |= 1u << (b.width < 17 ? b.width : 0);
		shuffled += b.shuffled;
	}
	char what[96] = "";
	for (int e = 0; e < 5; e++)
		if (seen & 1u << e)
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s",
				 what[0] ? "," : "", enc_names[e]);
	snprintf(what + strlen(what), sizeof what - strlen(what), " w");
	for (int k = 0; k < 17; k++)
		if (widths & 1u << k)
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%d",
				 what[strlen(what) - 1] == 'w' ? "" : "/", k);
	printf("%-10s %12" PRIu64 " %12" PRIu64 " %8.3f  %s%s\n", col_names[col], enc, stored,
	       rows ? (double)stored / (double)rows : 0.0, what, shuffled ? " shuffled" : "");
	return stored;
}

static int stat_file(const char *path)
{
	ff_segment *s = NULL;
	if (open_seg(path, &s) != 0)
		return 1;
	const ff_segment_meta *m = ff_segment_get_meta(s);
	printf("%s: version %u, kind %d, %" PRIu64 " rows, %zu groups, %" PRIu64 " bytes\n", path,
	       m->version, (int)m->kind, m->rows, ff_segment_groups(s), m->file_bytes);
	printf("%-10s %12s %12s %8s  %s\n", "column", "encoded", "stored", "B/row", "encodings");
	uint64_t cols = 0;
	for (int c = 0; c < FF_SEGMENT_COLUMNS; c++)
		cols += print_column(s, c, m->rows);
	uint64_t rest = m->file_bytes - cols;
	double per = m->rows ? 1.0 / (double)m->rows : 0.0;
	printf("%-10s %12s %12" PRIu64 " %8.3f  header, directory, dictionaries, batches\n",
	       "(rest)", "", rest, (double)rest * per);
	printf("%-10s %12s %12" PRIu64 " %8.3f\n", "total", "", m->file_bytes,
	       (double)m->file_bytes * per);
	ff_segment_close(s);
	return 0;
}

/* Best of three decodes of every group for `cols`, in ms per million rows. */
static double time_read(const ff_segment *s, uint32_t cols, ff_flow *rows, uint8_t *scratch)
{
	double best = 1e30;
	for (int run = 0; run < 3; run++) {
		double t0 = now_s();
		for (size_t g = 0; g < ff_segment_groups(s); g++)
			if (ff_segment_read_group_cols(s, g, cols, rows, scratch) < 0)
				return -1;
		double t = now_s() - t0;
		best = t < best ? t : best;
	}
	uint64_t n = ff_segment_get_meta(s)->rows;
	return n ? best * 1e3 * 1e6 / (double)n : 0.0;
}

static int time_file(const char *path)
{
	static const struct {
		const char *name;
		uint32_t cols;
	} sets[] = {
	    {"src_addr+bytes", FF_SEGMENT_COL_SRC_ADDR | FF_SEGMENT_COL_BYTES},
	    {"dst_port+packets", FF_SEGMENT_COL_DST_PORT | FF_SEGMENT_COL_PACKETS},
	    {"src_addr+bytes+proto+dst_port",
	     FF_SEGMENT_COL_SRC_ADDR | FF_SEGMENT_COL_BYTES | FF_SEGMENT_COL_PROTO |
		 FF_SEGMENT_COL_DST_PORT},
	    /* What a top-N reads: the counters and times, and its key. */
	    {"top-N src_addr",
	     FF_SEGMENT_COL_FIRST | FF_SEGMENT_COL_LAST | FF_SEGMENT_COL_BYTES |
		 FF_SEGMENT_COL_PACKETS | FF_SEGMENT_COL_FLOWS | FF_SEGMENT_COL_SRC_ADDR},
	    {"top-N dst_port",
	     FF_SEGMENT_COL_FIRST | FF_SEGMENT_COL_LAST | FF_SEGMENT_COL_BYTES |
		 FF_SEGMENT_COL_PACKETS | FF_SEGMENT_COL_FLOWS | FF_SEGMENT_COL_DST_PORT},
	    {"all", FF_SEGMENT_COLS_ALL},
	};
	ff_segment *s = NULL;
	if (open_seg(path, &s) != 0)
		return 1;
	ff_flow *rows = calloc(FF_SEGMENT_GROUP_ROWS, sizeof *rows);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	int rc = rows != NULL && scratch != NULL ? 0 : 1;
	for (size_t i = 0; rc == 0 && i < sizeof sets / sizeof sets[0]; i++) {
		double ms = time_read(s, sets[i].cols, rows, scratch);
		rc = ms < 0;
		printf("decode %-30s %8.2f ms per million rows\n", sets[i].name, ms);
	}
	/* Each column alone (agent and wildcards come with every set). */
	for (int c = 0; rc == 0 && c < FF_SEGMENT_COLUMNS; c++) {
		double ms = time_read(s, 1u << c, rows, scratch);
		rc = ms < 0;
		printf("decode %-30s %8.2f ms per million rows\n", col_names[c], ms);
	}
	free(rows);
	free(scratch);
	ff_segment_close(s);
	return rc;
}

/* Every row of `s` into one array (agent_ref as the segment's dictionary index). */
static ff_flow *read_all(const ff_segment *s, uint8_t *scratch)
{
	uint64_t n = ff_segment_get_meta(s)->rows;
	ff_flow *rows = malloc((n ? n : 1) * sizeof *rows);
	for (size_t g = 0; rows != NULL && g < ff_segment_groups(s); g++) {
		long k = ff_segment_read_group(s, g, rows + g * FF_SEGMENT_GROUP_ROWS, scratch);
		if (k < 0) {
			free(rows);
			return NULL;
		}
	}
	return rows;
}

static int rewrite_file(const char *dir, const char *path)
{
	ff_segment *s = NULL;
	if (open_seg(path, &s) != 0)
		return 1;
	const ff_segment_meta *m = ff_segment_get_meta(s);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	const char **agents = calloc(m->n_agents ? m->n_agents : 1, sizeof *agents);
	ff_flow *rows = scratch != NULL ? read_all(s, scratch) : NULL;
	ff_segment_batch *batches = NULL;
	size_t n_batches = 0;
	int rc = rows != NULL && agents != NULL ? ff_segment_batches(s, &batches, &n_batches) : 1;
	for (uint32_t i = 0; rc == 0 && i < m->n_agents; i++)
		agents[i] = ff_segment_agent(s, i);
	ff_segment_input in = {.id = m->id, .rows = rows, .n_rows = m->rows, .agents = agents,
			       .n_agents = m->n_agents, .batches = batches,
			       .n_batches = n_batches, .kind = m->kind,
			       .rollup_keys = m->rollup_keys, .bin_ms = m->bin_ms,
			       .covers_first = m->covers_first, .covers_last = m->covers_last};
	double t0 = now_s();
	if (rc == 0)
		rc = ff_segment_write(dir, &in);
	double t = now_s() - t0;
	char out[4096];
	if (rc == 0 && ff_segment_path(dir, m->id, out, sizeof out) == 0) {
		printf("rewrote %" PRIu64 " rows in %.3f s\n", m->rows, t);
		rc = stat_file(out);
	} else {
		fprintf(stderr, "ffsegstat: rewriting %s failed: %s\n", path, ff_strerror(rc));
		rc = 1;
	}
	free(batches);
	free(rows);
	free(agents);
	free(scratch);
	ff_segment_close(s);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--time-read") == 0)
		return time_file(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--rewrite") == 0)
		return rewrite_file(argv[2], argv[3]);
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: ffsegstat FILE... | --time-read FILE | --rewrite DIR FILE\n");
		return 2;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= stat_file(argv[i]);
	return rc;
}
