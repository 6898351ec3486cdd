/*
 * Version 3's choices for a planned batch (docs/protocol.md): which int
 * columns travel coded (ff_batch_huff.c), whether IPv4 destinations do,
 * and whether last_ms anchors the times. Each is taken only when shorter
 * than what version 2 would write.
 */
#include "ff_batch_plan.h"

#include <errno.h>
#include <stdlib.h>

/* True when column `c` may be shorter coded: a narrow range of more than two values. */
static bool ff_batch_codable(const ff_intcol_plan *ip)
{
	/* A code is at least a bit a value: two values or fewer gain nothing. */
	return ip->max != 0 && ip->max - ip->min >= 2 && ip->max - ip->min < FF_HUFF_RANGE;
}

/*
 * Which integer columns are shorter coded: the values of every column of a
 * narrow range are counted (in one pass over the rows: a pass a column
 * would read every row again) and given a code, kept when it beats bit
 * packing.
 */
int ff_batch_plan_codes(ff_batch_plan *p, size_t n)
{
	size_t at[FF_C_N], total = 0;
	int cand[FF_C_N], n_cand = 0;
	for (int c = 0; c < FF_C_N; c++) {
		if (!ff_batch_codable(&p->cols[c]))
			continue;
		at[c] = total;
		total += (size_t)(p->cols[c].max - p->cols[c].min) + 1;
		cand[n_cand++] = c;
	}
	if (n_cand == 0)
		return 0;
	uint32_t *counts = calloc(total, sizeof *counts);
	if (counts == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const uint64_t *v = p->vals + i * FF_C_N;
		for (int k = 0; k < n_cand; k++)
			counts[at[cand[k]] + (v[cand[k]] - p->cols[cand[k]].min)]++;
	}
	int rc = 0;
	for (int k = 0; k < n_cand && rc >= 0; k++) {
		int c = cand[k];
		const ff_intcol_plan *ip = &p->cols[c];
		rc = ff_huffcol_plan_build(&p->huff[c], counts + at[c], ip->min,
					   (uint32_t)(ip->max - ip->min), n, ff_intcol_len(ip));
		if (rc == 0 && ff_huffcol_len(&p->huff[c]) < ff_intcol_len(ip))
			p->coded[c] = true;
		else
			ff_huffcol_plan_free(&p->huff[c]);
	}
	free(counts);
	return rc < 0 ? rc : 0;
}

/* Bytes of the destination column as delta varints (as ff_batch_put_addrs4() writes them). */
static size_t ff_batch_dst_delta_len(const ff_batch_plan *p, size_t n)
{
	uint32_t prev = 0, run = 0;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t d = p->dst4[i];
		bool same_src = i > 0 && p->src4[i - 1] == p->src4[i];
		len +=
		    ff_varint_len(ff_batch_zigzag((int64_t)d - (int64_t)(same_src ? prev : run)));
		if (!same_src)
			run = d;
		prev = d;
	}
	return len;
}

/*
 * Whether the IPv4 destinations are shorter coded than as deltas: sources
 * are sorted and cost little as deltas, but destinations repeat across
 * sources (a few servers take most flows), which a code over the batch's
 * distinct destinations sees and a delta does not.
 */
int ff_batch_plan_dst_code(ff_batch_plan *p, size_t n)
{
	if (!p->dst_any || p->dst16 || n < 2)
		return 0;
	uint64_t *pairs = malloc(2 * n * sizeof *pairs);
	uint32_t *counts = malloc(n * sizeof *counts);
	p->dst_off = malloc(n * sizeof *p->dst_off);
	p->dst_ids = malloc(n * sizeof *p->dst_ids);
	int rc = -ENOMEM;
	if (pairs == NULL || counts == NULL || p->dst_off == NULL || p->dst_ids == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		pairs[i] = (uint64_t)p->dst4[i] << 32 | i;
	const uint64_t *sorted = ff_huff_radix_sort(pairs, pairs + n, n, 32, 64);
	uint64_t base = sorted[0] >> 32;
	uint32_t d = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = sorted[i] >> 32;
		if (i == 0 || v != (sorted[i - 1] >> 32)) {
			p->dst_off[d] = v - base;
			counts[d++] = 0;
		}
		counts[d - 1]++;
		p->dst_ids[(uint32_t)sorted[i]] = d - 1;
	}
	size_t delta_len = ff_batch_dst_delta_len(p, n);
	rc = ff_huffcol_plan_build_ids(&p->dst_huff, counts, p->dst_off, d, base, n, delta_len);
	if (rc == 0 && ff_huffcol_len(&p->dst_huff) < delta_len)
		p->dst_coded = true;
	else if (rc == 0)
		ff_huffcol_plan_free(&p->dst_huff);
	rc = rc < 0 ? rc : 0;
out:
	free(pairs);
	free(counts);
	return rc;
}

/* The shorter of a bit-packed or coded column of `plan`'s `n` values at v[0], v[stride], ... */
static int ff_batch_best_len(const ff_intcol_plan *plan, const uint64_t *v, size_t stride, size_t n,
			     ff_huffcol_plan *huff, bool *coded, size_t *len)
{
	*coded = false;
	*len = ff_intcol_len(plan);
	if (!ff_batch_codable(plan))
		return 0;
	uint32_t range = (uint32_t)(plan->max - plan->min);
	uint32_t *counts = calloc((size_t)range + 1, sizeof *counts);
	if (counts == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		counts[v[i * stride] - plan->min]++;
	int rc = ff_huffcol_plan_build(huff, counts, plan->min, range, n, *len);
	free(counts);
	if (rc == 0 && ff_huffcol_len(huff) < *len) {
		*coded = true;
		*len = ff_huffcol_len(huff);
	} else if (rc == 0) {
		ff_huffcol_plan_free(huff);
	}
	return rc < 0 ? rc : 0;
}

/*
 * Whether last_ms anchors the times (version 3): when its column is
 * shorter than first_ms's, it takes first_ms's place in the rows.
 */
int ff_batch_plan_anchor(ff_batch_plan *p, size_t n)
{
	ff_huffcol_plan huff;
	bool coded;
	size_t len;
	int rc = ff_batch_best_len(&p->last_plan, p->last, 1, n, &huff, &coded, &len);
	if (rc != 0 || len >= ff_batch_col_len(p, FF_C_FIRST)) {
		if (rc == 0 && coded)
			ff_huffcol_plan_free(&huff);
		return rc;
	}
	if (p->coded[FF_C_FIRST])
		ff_huffcol_plan_free(&p->huff[FF_C_FIRST]);
	p->cols[FF_C_FIRST] = p->last_plan;
	p->coded[FF_C_FIRST] = coded;
	if (coded)
		p->huff[FF_C_FIRST] = huff;
	for (size_t i = 0; i < n; i++)
		p->vals[i * FF_C_N + FF_C_FIRST] = p->last[i];
	p->anchor_last = true;
	return 0;
}
