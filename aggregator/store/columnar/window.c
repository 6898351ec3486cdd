#include "window.h"

#include "ff_hmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct ff_window_agent {
	char id[FF_AGENT_ID_MAX + 8]; /* NUL-padded: the hash key is compared bytewise */
} ff_window_agent;

struct ff_window {
	ff_flow *recs; /* agent_ref: index into agents */
	size_t n_recs, cap_recs;
	ff_segment_batch *batches;
	size_t *first_rec; /* per batch: its first record in recs */
	size_t n_batches, cap_batches;
	ff_window_agent *agents;
	size_t n_agents, cap_agents;
	ff_hmap *agent_refs; /* ff_window_agent -> uint32_t index */
};

/*
 * The records of a window are read back in sort order when it is sealed, one
 * random access a record over tens of megabytes: on 4 KiB pages each is a TLB
 * miss too. Arrays that large are asked for as huge pages (a hint: the
 * kernel may say no, and only their 2 MiB-aligned parts qualify).
 */
#define FF_WINDOW_HUGE ((size_t)4 << 20)

static void ff_window_advise_huge(void *p, size_t bytes)
{
	if (bytes < FF_WINDOW_HUGE)
		return;
	uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

static int ff_window_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *p = realloc(*arr, c * elem);
	if (p == NULL)
		return -1;
	ff_window_advise_huge(p, c * elem);
	*arr = p;
	*cap = c;
	return 0;
}

ff_window *ff_window_new(void)
{
	ff_window *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->agent_refs = ff_hmap_new(sizeof(ff_window_agent), sizeof(uint32_t), 64);
	if (w->agent_refs == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

void ff_window_free(ff_window *w)
{
	if (w == NULL)
		return;
	ff_hmap_free(w->agent_refs);
	free(w->recs);
	free(w->batches);
	free(w->first_rec);
	free(w->agents);
	free(w);
}

static int ff_window_intern(ff_window *w, const char *agent_id, uint32_t *out)
{
	ff_window_agent key;
	memset(&key, 0, sizeof key);
	memcpy(key.id, agent_id, strnlen(agent_id, FF_AGENT_ID_MAX));
	uint32_t *ref = ff_hmap_find(w->agent_refs, &key);
	if (ref == NULL) {
		if (ff_window_grow((void **)&w->agents, &w->cap_agents, w->n_agents + 1,
				   sizeof key) != 0 ||
		    (ref = ff_hmap_upsert(w->agent_refs, &key, NULL)) == NULL)
			return -1;
		w->agents[w->n_agents] = key;
		*ref = (uint32_t)w->n_agents++;
	}
	*out = *ref;
	return 0;
}

int ff_window_reserve(ff_window *w, const ff_batch *b, uint32_t *agent)
{
	size_t nb = w->n_batches + 1, cap = w->cap_batches;
	if (ff_window_grow((void **)&w->recs, &w->cap_recs, w->n_recs + b->n_records,
			   sizeof *w->recs) != 0 ||
	    ff_window_grow((void **)&w->batches, &cap, nb, sizeof *w->batches) != 0 ||
	    ff_window_grow((void **)&w->first_rec, &w->cap_batches, nb, sizeof *w->first_rec) != 0)
		return -1;
	return ff_window_intern(w, b->agent_id, agent);
}

void ff_window_add(ff_window *w, const ff_batch *b, uint32_t agent)
{
	ff_segment_batch *e = &w->batches[w->n_batches];
	w->first_rec[w->n_batches++] = w->n_recs;
	*e = (ff_segment_batch){.agent = agent,
				.interval_len_ms = b->interval_len_ms,
				.epoch = b->epoch,
				.sequence = b->sequence,
				.interval_start_ms = b->interval_start_ms,
				.policy_version = b->policy_version,
				.n_records = (uint32_t)b->n_records};
	for (size_t i = 0; i < b->n_records; i++) {
		w->recs[w->n_recs] = b->records[i];
		w->recs[w->n_recs].agent_ref = agent;
		w->n_recs++;
	}
}

void ff_window_clear(ff_window *w)
{
	w->n_recs = 0;
	w->n_batches = 0;
	w->n_agents = 0;
	ff_hmap_clear(w->agent_refs);
}

size_t ff_window_batches(const ff_window *w)
{
	return w->n_batches;
}

size_t ff_window_records(const ff_window *w)
{
	return w->n_recs;
}

size_t ff_window_bytes_of(const ff_batch *b)
{
	return b->n_records * sizeof(ff_flow) + sizeof(ff_segment_batch) + sizeof(size_t);
}

size_t ff_window_bytes(const ff_window *w)
{
	return w->n_recs * sizeof(ff_flow) +
	       w->n_batches * (sizeof(ff_segment_batch) + sizeof(size_t));
}

int ff_window_scan(const ff_window *w, const char *agent, ff_store_scan_fn cb, void *arg)
{
	return ff_window_scan_part(w, agent, 0, 1, cb, arg);
}

int ff_window_scan_part(const ff_window *w, const char *agent, size_t part, size_t parts,
			ff_store_scan_fn cb, void *arg)
{
	int rc = 0;
	for (size_t i = part; i < w->n_batches && rc == 0; i += parts) {
		const ff_segment_batch *e = &w->batches[i];
		const char *id = w->agents[e->agent].id;
		if (agent != NULL && strcmp(agent, id) != 0)
			continue;
		ff_batch view = {.epoch = e->epoch,
				 .sequence = e->sequence,
				 .interval_start_ms = e->interval_start_ms,
				 .interval_len_ms = e->interval_len_ms,
				 .policy_version = e->policy_version,
				 .records = w->recs + w->first_rec[i],
				 .n_records = e->n_records};
		memcpy(view.agent_id, id, FF_AGENT_ID_MAX + 1);
		rc = cb(arg, &view);
	}
	return rc;
}

int ff_window_build_input(const ff_window *w, uint64_t id, ff_window_input *out)
{
	memset(out, 0, sizeof *out);
	out->agents = malloc((w->n_agents ? w->n_agents : 1) * sizeof *out->agents);
	if (out->agents == NULL)
		return -1;
	for (size_t a = 0; a < w->n_agents; a++)
		out->agents[a] = w->agents[a].id;
	out->in = (ff_segment_input){.id = id,
				     .rows = w->recs,
				     .n_rows = w->n_recs,
				     .agents = out->agents,
				     .n_agents = w->n_agents,
				     .batches = w->batches,
				     .n_batches = w->n_batches};
	return 0;
}

void ff_window_input_free(ff_window_input *in)
{
	free(in->agents);
	in->agents = NULL;
}
