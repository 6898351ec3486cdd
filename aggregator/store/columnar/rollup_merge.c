/*
 * The rollup builder: one hash map from a merge key to the index of its
 * row. The merge key is an ff_flow itself with every non-key field zeroed
 * and first_ms holding the bin start: the record struct has no padding,
 * so its bytes compare as the key.
 */
#include "rollup_merge.h"

#include "ff_batch.h"
#include "ff_hmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct ff_rollup {
	uint32_t keys;
	uint64_t bin_ms;
	ff_hmap *index;	   /* merge key -> uint64 row index */
	ff_hmap *agent_ix; /* agent id (FF_AGENT_ID_MAX + 1 bytes) -> uint64 index */
	ff_flow *rows;
	size_t n_rows, cap_rows;
	char **agents; /* owned FF_AGENT_ID_MAX + 1 byte copies, in interning order */
	size_t n_agents, cap_agents;
	/* Sorted result, built by ff_rollup_result(). */
	ff_flow *sorted;
	uint32_t *agent_rank; /* old agent index -> sorted position */
	char **sorted_agents;
};

ff_rollup *ff_rollup_new(uint32_t keys, uint64_t bin_ms, size_t expected)
{
	if (bin_ms == 0)
		return NULL;
	ff_rollup *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->keys = keys & FF_ROLLUP_KEYS_ALL;
	r->bin_ms = bin_ms;
	r->index = ff_hmap_new(sizeof(ff_flow), sizeof(uint64_t), expected);
	r->agent_ix = ff_hmap_new(FF_AGENT_ID_MAX + 1, sizeof(uint64_t), 16);
	if (r->index == NULL || r->agent_ix == NULL) {
		ff_rollup_free(r);
		return NULL;
	}
	return r;
}

void ff_rollup_free(ff_rollup *r)
{
	if (r == NULL)
		return;
	ff_hmap_free(r->index);
	ff_hmap_free(r->agent_ix);
	for (size_t i = 0; i < r->n_agents; i++)
		free(r->agents[i]);
	free(r->agents);
	free(r->rows);
	free(r->sorted);
	free(r->agent_rank);
	free(r->sorted_agents);
	free(r);
}

size_t ff_rollup_rows(const ff_rollup *r)
{
	return r->n_rows;
}

/* The builder's index of agent `id`, interned on first sight; -1 when out of memory. */
static long ff_rollup_agent(ff_rollup *r, const char *id)
{
	char key[FF_AGENT_ID_MAX + 1] = {0};
	strncpy(key, id, FF_AGENT_ID_MAX);
	int created = 0;
	uint64_t *slot = ff_hmap_upsert(r->agent_ix, key, &created);
	if (slot == NULL)
		return -1;
	if (!created)
		return (long)*slot;
	if (r->n_agents == r->cap_agents) {
		size_t cap = r->cap_agents ? r->cap_agents * 2 : 16;
		char **p = realloc(r->agents, cap * sizeof *p);
		if (p == NULL)
			return -1;
		r->agents = p;
		r->cap_agents = cap;
	}
	/* Whole zero-padded buffers, so a stored id is itself a map key. */
	r->agents[r->n_agents] = malloc(sizeof key);
	if (r->agents[r->n_agents] == NULL)
		return -1;
	memcpy(r->agents[r->n_agents], key, sizeof key);
	*slot = r->n_agents;
	return (long)r->n_agents++;
}

/* Copies the kept key fields of `f` into the zeroed merge key `k`. */
static void ff_rollup_key(const ff_rollup *r, const ff_flow *f, uint32_t agent, ff_flow *k)
{
	uint32_t keep = r->keys & ~f->wildcards;
	memset(k, 0, sizeof *k);
	k->first_ms = f->first_ms - f->first_ms % r->bin_ms;
	k->agent_ref = agent;
	k->sampling_rate = f->sampling_rate;
	/* A dropped field reads as a wildcard: a rollup row says what it no longer knows. */
	k->wildcards = (f->wildcards | (FF_ROLLUP_KEYS_ALL & ~r->keys) | FF_FIELD_TCP_FLAGS) &
		       (FF_ROLLUP_KEYS_ALL | FF_FIELD_TCP_FLAGS);
	if (keep & FF_FIELD_SRC_ADDR)
		memcpy(k->src_addr, f->src_addr, FF_ADDR_LEN);
	if (keep & FF_FIELD_DST_ADDR)
		memcpy(k->dst_addr, f->dst_addr, FF_ADDR_LEN);
	if (keep & FF_FIELD_EXPORTER)
		memcpy(k->exporter, f->exporter, FF_ADDR_LEN);
	k->src_port = keep & FF_FIELD_SRC_PORT ? f->src_port : 0;
	k->dst_port = keep & FF_FIELD_DST_PORT ? f->dst_port : 0;
	k->proto = keep & FF_FIELD_PROTO ? f->proto : 0;
	k->tos = keep & FF_FIELD_TOS ? f->tos : 0;
	k->in_if = keep & FF_FIELD_IN_IF ? f->in_if : 0;
	k->out_if = keep & FF_FIELD_OUT_IF ? f->out_if : 0;
	k->src_as = keep & FF_FIELD_SRC_AS ? f->src_as : 0;
	k->dst_as = keep & FF_FIELD_DST_AS ? f->dst_as : 0;
}

size_t ff_rollup_estimate_rows(uint32_t keys, uint64_t bin_ms, const ff_flow *rows, size_t n)
{
	if (n == 0 || bin_ms == 0)
		return 0;
	unsigned bits = 16;
	while (bits < 26 && ((size_t)1 << bits) < 4 * n)
		bits++;
	size_t m = (size_t)1 << bits;
	uint64_t *map = calloc(m / 64, sizeof *map);
	if (map == NULL)
		return n;
	ff_rollup r = {.keys = keys & FF_ROLLUP_KEYS_ALL, .bin_ms = bin_ms};
	ff_flow k;
	for (size_t i = 0; i < n; i++) {
		ff_rollup_key(&r, &rows[i], rows[i].agent_ref, &k);
		uint64_t h = XXH3_64bits(&k, sizeof k) >> (64 - bits);
		map[h / 64] |= (uint64_t)1 << (h % 64);
	}
	size_t set = 0;
	for (size_t i = 0; i < m / 64; i++)
		set += (size_t)__builtin_popcountll(map[i]);
	free(map);
	if (set >= m)
		return n; /* saturated: far more keys than the map can tell */
	double est = -(double)m * log((double)(m - set) / (double)m);
	return est >= (double)n ? n : (size_t)(est + 0.5);
}

static int ff_rollup_push(ff_rollup *r, const ff_flow *k, const ff_flow *f)
{
	if (r->n_rows == r->cap_rows) {
		size_t cap = r->cap_rows ? r->cap_rows * 2 : 1024;
		ff_flow *p = realloc(r->rows, cap * sizeof *p);
		if (p == NULL)
			return -1;
		r->rows = p;
		r->cap_rows = cap;
	}
	ff_flow *row = &r->rows[r->n_rows++];
	*row = *k;
	row->first_ms = f->first_ms;
	row->last_ms = f->last_ms;
	row->bytes = f->bytes;
	row->packets = f->packets;
	row->flows = f->flows;
	return 0;
}

static void ff_rollup_merge(ff_flow *row, const ff_flow *f)
{
	ff_counter_add(&row->bytes, f->bytes);
	ff_counter_add(&row->packets, f->packets);
	ff_counter_add(&row->flows, f->flows);
	if (f->first_ms < row->first_ms)
		row->first_ms = f->first_ms;
	if (f->last_ms > row->last_ms)
		row->last_ms = f->last_ms;
}

int ff_rollup_add(ff_rollup *r, const ff_flow *rows, size_t n, const char *const *agents,
		  size_t n_agents)
{
	uint32_t *map = malloc((n_agents ? n_agents : 1) * sizeof *map);
	if (map == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n_agents; i++) {
		long a = ff_rollup_agent(r, agents[i]);
		rc = a < 0 ? -1 : 0;
		map[i] = (uint32_t)a;
	}
	ff_flow k;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (rows[i].agent_ref >= n_agents) {
			rc = -1;
			break;
		}
		ff_rollup_key(r, &rows[i], map[rows[i].agent_ref], &k);
		int created = 0;
		uint64_t *slot = ff_hmap_upsert(r->index, &k, &created);
		if (slot == NULL) {
			rc = -1;
		} else if (created) {
			*slot = r->n_rows;
			rc = ff_rollup_push(r, &k, &rows[i]);
		} else {
			ff_rollup_merge(&r->rows[*slot], &rows[i]);
		}
	}
	free(map);
	return rc;
}

/* qsort contexts: the agents by id, then rows by (agent rank, first_ms, key bytes). */
static int ff_rollup_cmp_agent(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ff_rollup_cmp_row(const void *a, const void *b)
{
	const ff_flow *x = a, *y = b;
	if (x->agent_ref != y->agent_ref)
		return x->agent_ref < y->agent_ref ? -1 : 1;
	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	/* The key fields up to `reserved`: the struct's tail padding is never compared. */
	return memcmp(x->src_addr, y->src_addr,
		      offsetof(ff_flow, reserved) + 1 - offsetof(ff_flow, src_addr));
}

int ff_rollup_result(ff_rollup *r, const ff_flow **rows, size_t *n_rows, const char *const **agents,
		     size_t *n_agents)
{
	free(r->sorted);
	free(r->agent_rank);
	free(r->sorted_agents);
	size_t na = r->n_agents ? r->n_agents : 1, nr = r->n_rows ? r->n_rows : 1;
	r->sorted_agents = malloc(na * sizeof *r->sorted_agents);
	r->agent_rank = malloc(na * sizeof *r->agent_rank);
	r->sorted = malloc(nr * sizeof *r->sorted);
	if (r->sorted_agents == NULL || r->agent_rank == NULL || r->sorted == NULL)
		return -1;
	for (size_t i = 0; i < r->n_agents; i++)
		r->sorted_agents[i] = r->agents[i];
	qsort(r->sorted_agents, r->n_agents, sizeof *r->sorted_agents, ff_rollup_cmp_agent);
	for (size_t i = 0; i < r->n_agents; i++) {
		uint64_t *old = ff_hmap_find(r->agent_ix, r->sorted_agents[i]);
		r->agent_rank[*old] = (uint32_t)i;
	}
	for (size_t i = 0; i < r->n_rows; i++) {
		r->sorted[i] = r->rows[i];
		r->sorted[i].agent_ref = r->agent_rank[r->rows[i].agent_ref];
	}
	qsort(r->sorted, r->n_rows, sizeof *r->sorted, ff_rollup_cmp_row);
	*rows = r->sorted;
	*n_rows = r->n_rows;
	*agents = (const char *const *)r->sorted_agents;
	*n_agents = r->n_agents;
	return 0;
}
