/*
 * Building rollup files: feed a rollup (rollup_merge.c) and write its result as
 * a segment whose header names its kind, keys, bin and covered raw ids.
 */
#include "rollup_file.h"

#include <errno.h>

#include <stdlib.h>

/* Rows fed to a minute rollup at a time, between checks that it still pays. */
#define FF_ROLLUP_SLICE 65536

static int ff_rollups_write(const char *dir, ff_rollup *r, enum ff_segment_kind kind, uint32_t keys,
			    uint64_t bin_ms, uint64_t first, uint64_t last)
{
	const ff_flow *rows;
	const char *const *agents;
	size_t n_rows, n_agents;
	if (ff_rollup_result(r, &rows, &n_rows, &agents, &n_agents) != 0)
		return -ENOMEM;
	ff_segment_input in = {.id = first,
			       .rows = rows,
			       .n_rows = n_rows,
			       .agents = agents,
			       .n_agents = n_agents,
			       .kind = kind,
			       .rollup_keys = keys,
			       .bin_ms = bin_ms,
			       .covers_first = first,
			       .covers_last = last};
	return ff_segment_write(dir, &in);
}

/*
 * Windows smaller than this are merged without an estimate first: the
 * estimate costs a pass over the rows and saves little on them.
 */
#define FF_ROLLUP_ESTIMATE_MIN 4096

int ff_rollups_minute_of(uint32_t keys, const ff_flow *rows, size_t n, const char *const *agents,
			 size_t n_agents, ff_rollup **out)
{
	*out = NULL;
	/*
	 * The estimate errs by about 1%: only a clear miss (10% above the half
	 * that pays) skips the merge; a close one is built and judged exactly.
	 */
	if (n >= FF_ROLLUP_ESTIMATE_MIN &&
	    ff_rollup_estimate_rows(keys, FF_ROLLUP_MINUTE_MS, rows, n) * 20 > n * 11)
		return FF_ROLLUPS_UNPAID;
	ff_rollup *r = ff_rollup_new(keys, FF_ROLLUP_MINUTE_MS, n / 4 + 16);
	/*
	 * Fed in slices, and given up once it holds more than half the rows:
	 * such a rollup does not pay (ff_rollups_pay), and with every key
	 * distinct (a flood) building it whole would cost a second window's
	 * memory.
	 */
	for (size_t i = 0; r != NULL && i < n; i += FF_ROLLUP_SLICE) {
		size_t m = n - i < FF_ROLLUP_SLICE ? n - i : FF_ROLLUP_SLICE;
		if (ff_rollup_add(r, rows + i, m, agents, n_agents) != 0) {
			ff_rollup_free(r);
			r = NULL;
		} else if (!ff_rollups_pay(ff_rollup_rows(r), n)) {
			break;
		}
	}
	*out = r;
	return r != NULL ? 0 : -ENOMEM;
}

bool ff_rollups_pay(size_t rows, size_t source)
{
	return rows * 2 <= source;
}

int ff_rollups_write_minute(const char *dir, uint64_t id, uint32_t keys, ff_rollup *r)
{
	return ff_rollups_write(dir, r, FF_SEGMENT_MINUTE, keys, FF_ROLLUP_MINUTE_MS, id, id);
}

/* Whether the merge so far can still pay and fits its bound. */
static bool ff_rollups_within(const ff_rollup *r, uint64_t source, size_t max_rows)
{
	size_t rows = ff_rollup_rows(r);
	return ff_rollups_pay(rows, source) && (max_rows == 0 || rows <= max_rows);
}

/*
 * Adds every row of one opened segment to the rollup, a row group at a
 * time; FF_ROLLUPS_UNPAID as soon as the rollup leaves its bound.
 */
static int ff_rollups_add_segment(ff_rollup *r, const ff_segment *seg, ff_flow *rows,
				  uint8_t *scratch, uint64_t source, size_t max_rows)
{
	const ff_segment_meta *m = ff_segment_get_meta(seg);
	const char **agents = calloc(m->n_agents ? m->n_agents : 1, sizeof *agents);
	if (agents == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->n_agents; i++)
		agents[i] = ff_segment_agent(seg, i);
	int rc = 0;
	for (size_t g = 0; rc == 0 && g < ff_segment_groups(seg); g++) {
		long n = ff_segment_read_group(seg, g, rows, scratch);
		if (n < 0)
			rc = (int)n;
		else if (ff_rollup_add(r, rows, (size_t)n, agents, m->n_agents) != 0)
			rc = -ENOMEM;
		else if (!ff_rollups_within(r, source, max_rows))
			rc = FF_ROLLUPS_UNPAID;
	}
	free(agents);
	return rc;
}

int ff_rollups_write_from(const char *dir, enum ff_segment_kind kind, uint32_t keys,
			  ff_segment *const *segs, size_t n, const ff_rollups_bound *b)
{
	uint64_t bin = kind == FF_SEGMENT_HOUR ? FF_ROLLUP_HOUR_MS : FF_ROLLUP_MINUTE_MS;
	if (n == 0 || kind == FF_SEGMENT_RAW)
		return FF_SEG_EFORMAT;
	uint64_t source = b->source;
	for (size_t i = 0; source == 0 && i < n; i++)
		source += ff_segment_get_meta(segs[i])->rows;
	ff_rollup *r = ff_rollup_new(keys, bin, 1024);
	ff_flow *rows = malloc(FF_SEGMENT_GROUP_ROWS * sizeof *rows);
	uint8_t *scratch = malloc(FF_SEGMENT_SCRATCH);
	int rc = r != NULL && rows != NULL && scratch != NULL ? 0 : -ENOMEM;
	/* Every input checked first: a damaged one is told apart from one that does not pay. */
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = ff_segment_verify(segs[i]);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = ff_rollups_add_segment(r, segs[i], rows, scratch, source, b->max_rows);
	free(rows);
	free(scratch);
	if (rc == 0) {
		const ff_segment_meta *a = ff_segment_get_meta(segs[0]);
		const ff_segment_meta *z = ff_segment_get_meta(segs[n - 1]);
		rc = ff_rollups_write(dir, r, kind, keys, bin, a->covers_first, z->covers_last);
	}
	ff_rollup_free(r);
	return rc;
}
