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

struct ff_summarizer {
	ff_hmap *map; /* ff_summarizer_key -> ff_flow */
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

int ff_summarizer_add(ff_summarizer *s, const ff_flow *f)
{
	struct ff_summarizer_key k;
	ff_summarizer_key(f, &k);
	int created = 0;
	ff_flow *slot = ff_hmap_upsert(s->map, &k, &created);
	if (slot == NULL)
		return -1;
	if (created)
		*slot = *f;
	else
		ff_flow_merge(slot, f);
	return 0;
}

size_t ff_summarizer_count(const ff_summarizer *s)
{
	return ff_hmap_count(s->map);
}

int ff_summarizer_flush(ff_summarizer *s, ff_flow **records, size_t *n)
{
	size_t count = ff_hmap_count(s->map);
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

void ff_summarizer_begin(const ff_summarizer *s, size_t *cursor)
{
	(void)s;
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
	ff_hmap_clear(s->map);
}
