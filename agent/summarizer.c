#include "summarizer.h"

#include "ff_hmap.h"

#include <stdlib.h>
#include <string.h>

/*
 * The key is compared bytewise by ff_hmap, so it is always built by
 * ff_summarizer_key() from a zeroed struct: padding bytes are zero too.
 */
struct ff_summarizer_key {
	uint8_t src_addr[FF_ADDR_LEN];
	uint8_t dst_addr[FF_ADDR_LEN];
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t in_if;
	uint32_t out_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t tos;
	uint8_t pad[2];
};

/*
 * Records wait here a few adds before they are merged: their slot was
 * prefetched when they arrived, so by the time a record is merged its
 * cache miss has overlapped with the next ones'. Under a flood, where
 * nearly every record is a new key in a table far larger than the cache,
 * that miss is most of the cost of an add.
 */
#define FF_SUMMARIZER_PENDING 16

struct ff_summarizer_pending {
	struct ff_summarizer_key key;
	uint64_t hash;
	ff_flow flow;
};

struct ff_summarizer {
	ff_hmap *map; /* ff_summarizer_key -> ff_flow */
	struct ff_summarizer_pending pending[FF_SUMMARIZER_PENDING];
	size_t head, n_pending; /* a ring: the oldest at head */
	int failed;		/* an earlier merge ran out of memory */
};

static void ff_summarizer_key(const ff_flow *f, struct ff_summarizer_key *k)
{
	memset(k, 0, sizeof *k);
	memcpy(k->src_addr, f->src_addr, FF_ADDR_LEN);
	memcpy(k->dst_addr, f->dst_addr, FF_ADDR_LEN);
	memcpy(k->exporter, f->exporter, FF_ADDR_LEN);
	k->in_if = f->in_if;
	k->out_if = f->out_if;
	k->src_as = f->src_as;
	k->dst_as = f->dst_as;
	k->src_port = f->src_port;
	k->dst_port = f->dst_port;
	k->proto = f->proto;
	k->tos = f->tos;
}

ff_summarizer *ff_summarizer_new(size_t expected)
{
	ff_summarizer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->map = ff_hmap_new(sizeof(struct ff_summarizer_key), sizeof(ff_flow), expected);
	if (s->map == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void ff_summarizer_free(ff_summarizer *s)
{
	if (s == NULL)
		return;
	ff_hmap_free(s->map);
	free(s);
}

static int ff_summarizer_merge(ff_summarizer *s, const struct ff_summarizer_pending *p)
{
	int created = 0;
	ff_flow *slot = ff_hmap_upsert_hashed(s->map, &p->key, p->hash, &created);
	if (slot == NULL)
		return -1;
	if (created)
		*slot = p->flow;
	else
		ff_flow_merge(slot, &p->flow);
	return 0;
}

/* Merges every waiting record. Returns 0, or -1 if one of them was lost to memory. */
static int ff_summarizer_settle(ff_summarizer *s)
{
	int rc = 0;
	for (; s->n_pending > 0; s->n_pending--) {
		if (ff_summarizer_merge(s, &s->pending[s->head]) != 0)
			rc = -1;
		s->head = (s->head + 1) % FF_SUMMARIZER_PENDING;
	}
	s->head = 0;
	return rc;
}

int ff_summarizer_add(ff_summarizer *s, const ff_flow *f)
{
	int rc = s->failed ? -1 : 0;
	s->failed = 0;
	if (s->n_pending == FF_SUMMARIZER_PENDING) {
		rc = ff_summarizer_merge(s, &s->pending[s->head]);
		s->head = (s->head + 1) % FF_SUMMARIZER_PENDING;
		s->n_pending--;
	}
	struct ff_summarizer_pending *p =
	    &s->pending[(s->head + s->n_pending) % FF_SUMMARIZER_PENDING];
	ff_summarizer_key(f, &p->key);
	p->hash = ff_hmap_hash_key(s->map, &p->key);
	p->flow = *f;
	ff_hmap_prefetch(s->map, p->hash);
	s->n_pending++;
	return rc;
}

size_t ff_summarizer_count(ff_summarizer *s)
{
	if (ff_summarizer_settle(s) != 0)
		s->failed = 1;
	return ff_hmap_count(s->map);
}

size_t ff_summarizer_count_bound(const ff_summarizer *s)
{
	return ff_hmap_count(s->map) + s->n_pending;
}

int ff_summarizer_flush(ff_summarizer *s, ff_flow **records, size_t *n)
{
	size_t count = ff_summarizer_count(s);
	*records = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	ff_flow *out = malloc(count * sizeof *out);
	if (out == NULL)
		return -1;
	size_t cursor = 0, i = 0;
	const void *key;
	void *val;
	while (i < count && ff_hmap_next(s->map, &cursor, &key, &val))
		out[i++] = *(const ff_flow *)val;
	ff_hmap_clear(s->map);
	*records = out;
	*n = i;
	return 0;
}

void ff_summarizer_begin(ff_summarizer *s, size_t *cursor)
{
	if (ff_summarizer_settle(s) != 0)
		s->failed = 1;
	*cursor = 0;
}

const ff_flow *ff_summarizer_next(const ff_summarizer *s, size_t *cursor)
{
	const void *key;
	void *val;
	return ff_hmap_next(s->map, cursor, &key, &val) ? val : NULL;
}

void ff_summarizer_clear(ff_summarizer *s)
{
	s->head = s->n_pending = 0;
	ff_hmap_clear(s->map);
}
