#include "sflow_counters.h"

#include "ff_bytes.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The table key: agent address then ifIndex, 20 bytes with no padding. */
struct sflow_if_key {
	uint8_t agent[FF_ADDR_LEN];
	uint8_t if_index[4]; /* big-endian, so the key has no alignment padding */
};

struct ff_sflow_counters {
	ff_hmap *ifs; /* sflow_if_key -> ff_sflow_if_counters */
	size_t max_ifs;
	ff_sflow_counter_totals totals;
};

ff_sflow_counters *ff_sflow_counters_new(size_t max_ifs)
{
	ff_sflow_counters *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->max_ifs = max_ifs ? max_ifs : 1;
	c->ifs = ff_hmap_new(sizeof(struct sflow_if_key), sizeof(ff_sflow_if_counters), 16);
	if (c->ifs == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void ff_sflow_counters_free(ff_sflow_counters *c)
{
	if (c == NULL)
		return;
	ff_hmap_free(c->ifs);
	free(c);
}

void ff_sflow_counters_count_sample(ff_sflow_counters *c, uint32_t n_records)
{
	c->totals.samples++;
	c->totals.records += n_records;
}

static void sflow_if_key_make(struct sflow_if_key *k, const uint8_t agent[FF_ADDR_LEN],
			      uint32_t if_index)
{
	memcpy(k->agent, agent, FF_ADDR_LEN);
	ff_put_be32(k->if_index, if_index);
}

int ff_sflow_counters_put_if(ff_sflow_counters *c, const ff_sflow_if_counters *v, uint64_t now_ms)
{
	struct sflow_if_key k;
	sflow_if_key_make(&k, v->agent, v->if_index);
	c->totals.if_records++;
	ff_sflow_if_counters *e = ff_hmap_find(c->ifs, &k);
	if (e == NULL && ff_hmap_count(c->ifs) >= c->max_ifs) {
		c->totals.ifs_dropped++;
		return -1;
	}
	int created = 0;
	if (e == NULL && (e = ff_hmap_upsert(c->ifs, &k, &created)) == NULL) {
		c->totals.ifs_dropped++;
		return -1;
	}
	uint64_t samples = e->samples;
	*e = *v;
	e->samples = samples + 1;
	e->updated_ms = now_ms;
	return 0;
}

const ff_sflow_if_counters *ff_sflow_counters_find(const ff_sflow_counters *c,
						   const uint8_t agent[FF_ADDR_LEN],
						   uint32_t if_index)
{
	struct sflow_if_key k;
	sflow_if_key_make(&k, agent, if_index);
	return ff_hmap_find(c->ifs, &k);
}

const ff_sflow_if_counters *ff_sflow_counters_next(const ff_sflow_counters *c, size_t *cursor)
{
	const void *key;
	void *val;
	if (!ff_hmap_next(c->ifs, cursor, &key, &val))
		return NULL;
	return val;
}

ff_sflow_counter_totals ff_sflow_counters_totals(const ff_sflow_counters *c)
{
	return c->totals;
}

size_t ff_sflow_counters_count(const ff_sflow_counters *c)
{
	return ff_hmap_count(c->ifs);
}

static void sflow_totals_add(ff_sflow_counter_totals *dst, const ff_sflow_counter_totals *src)
{
	dst->samples += src->samples;
	dst->records += src->records;
	dst->if_records += src->if_records;
	dst->ifs_dropped += src->ifs_dropped;
}

/* One entry of another table into `c`: the newer one wins, samples add up. */
static int sflow_merge_entry(ff_sflow_counters *c, const struct sflow_if_key *k,
			     const ff_sflow_if_counters *v)
{
	ff_sflow_if_counters *e = ff_hmap_find(c->ifs, k);
	if (e == NULL) {
		if (ff_hmap_count(c->ifs) >= c->max_ifs) {
			c->totals.ifs_dropped++;
			return 0;
		}
		int created = 0;
		if ((e = ff_hmap_upsert(c->ifs, k, &created)) == NULL)
			return -ENOMEM;
		*e = *v;
		return 0;
	}
	uint64_t samples = e->samples + v->samples;
	if (v->updated_ms > e->updated_ms)
		*e = *v;
	e->samples = samples;
	return 0;
}

int ff_sflow_counters_merge(ff_sflow_counters *dst, const ff_sflow_counters *src)
{
	sflow_totals_add(&dst->totals, &src->totals);
	size_t cursor = 0;
	const void *key;
	void *val;
	while (ff_hmap_next(src->ifs, &cursor, &key, &val)) {
		int rc = sflow_merge_entry(dst, key, val);
		if (rc != 0)
			return rc;
	}
	return 0;
}
