#include "topn_partition.h"

#include "topn_key.h"
#include "topn_table.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Scanning threads: the machine's cores, a few at most. */
static size_t ff_topn_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > FF_TOPN_MAX_THREADS ? FF_TOPN_MAX_THREADS : (size_t)n;
}

void ff__topn_plan_init(ff__topn_plan *p, const ff_topn_query *q)
{
	*p = (ff__topn_plan){.threads = ff_topn_threads(),
			     .cap0 = 4096,
			     .stride = ff__topn_stride(ff__topn_key_len(q->element)),
			     .limit = SIZE_MAX};
	/* Direct arrays are fixed; with n = 0 every group is in the answer anyway. */
	if (ff__topn_is_direct(q->element) || q->n == 0)
		return;
	size_t limit = q->mem_limit ? q->mem_limit : FF_TOPN_DEFAULT_MEM_LIMIT;
	while (p->cap0 > 64 && p->threads * p->cap0 * p->stride > limit)
		p->cap0 /= 2;
	size_t floor = p->threads * p->cap0 * p->stride;
	p->limit = limit > floor ? limit : floor;
}

int ff__topn_parts_push(ff__topn_parts *s, ff__topn_part part)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		ff__topn_part *p = realloc(s->p, cap * sizeof *p);
		if (p == NULL)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n++] = part;
	return 0;
}

/* Bytes the tables of a pass may reach for `keys` distinct keys: each thread may see them all. */
static double ff_topn_need(const ff__topn_plan *p, double keys)
{
	double cap = (double)p->cap0;
	while ((keys + 1) * 2 > cap)
		cap *= 2;
	return cap * (double)p->stride * (double)p->threads;
}

/*
 * The k partitions (k a power of two, at least 2) that should each fit are
 * those with keys of hash bits index + i * count under the mask of
 * count * k. A quarter is added to the estimate for its error and for
 * records appended meanwhile.
 */
int ff__topn_split(ff__topn_parts *todo, ff__topn_part part, double keys, const ff__topn_plan *p)
{
	uint64_t k = 2;
	while ((uint64_t)part.count * k < FF_TOPN_MAX_PARTITIONS &&
	       ff_topn_need(p, keys * 1.25 / (double)k) > (double)p->limit)
		k *= 2;
	if ((uint64_t)part.count * k > FF_TOPN_MAX_PARTITIONS)
		return -E2BIG;
	for (uint32_t i = 0; i < k; i++) {
		ff__topn_part sub = {part.index + i * part.count, part.count * (uint32_t)k};
		if (ff__topn_parts_push(todo, sub) != 0)
			return -ENOMEM;
	}
	return 0;
}
