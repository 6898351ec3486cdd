#include "seqloss.h"

#include "ff_hmap.h"

#include <stdlib.h>
#include <string.h>

struct ff_seqloss_key {
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t domain;
	uint32_t kind;
};

struct ff_seqloss {
	ff_hmap *map; /* ff_seqloss_key -> ff_seqloss_entry */
};

ff_seqloss *ff_seqloss_new(void)
{
	ff_seqloss *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->map = ff_hmap_new(sizeof(struct ff_seqloss_key), sizeof(ff_seqloss_entry), 16);
	if (t->map == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void ff_seqloss_free(ff_seqloss *t)
{
	if (t == NULL)
		return;
	ff_hmap_free(t->map);
	free(t);
}

static ff_seqloss_entry *ff_seqloss_entry_of(ff_seqloss *t, const uint8_t exporter[FF_ADDR_LEN],
					     uint32_t domain, enum ff_seq_kind kind)
{
	struct ff_seqloss_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.exporter, exporter, FF_ADDR_LEN);
	k.domain = domain;
	k.kind = (uint32_t)kind;
	ff_seqloss_entry *e = ff_hmap_find(t->map, &k);
	if (e != NULL)
		return e;
	if (ff_hmap_count(t->map) >= FF_SEQLOSS_MAX)
		return NULL;
	int created = 0;
	e = ff_hmap_upsert(t->map, &k, &created);
	if (e != NULL && created) {
		memcpy(e->exporter, exporter, FF_ADDR_LEN);
		e->domain = domain;
		e->kind = (uint32_t)kind;
	}
	return e;
}

/* A packet behind the expected number: late if close, otherwise a restart. */
static int64_t ff_seqloss_behind(ff_seqloss_entry *e, uint32_t seq, uint32_t back,
				 uint32_t increment)
{
	if (back <= FF_SEQLOSS_LATE_WINDOW * (uint64_t)(increment ? increment : 1) && e->lost > 0) {
		/* A late packet: it was counted missing when its gap was seen. */
		uint64_t back_units = increment < e->lost ? increment : e->lost;
		e->lost -= back_units;
		return -(int64_t)back_units;
	}
	e->resets++;
	e->expected = seq + increment;
	return 0;
}

int64_t ff_seqloss_observe(ff_seqloss *t, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
			   enum ff_seq_kind kind, uint32_t seq, uint32_t increment)
{
	ff_seqloss_entry *e = t != NULL ? ff_seqloss_entry_of(t, exporter, domain, kind) : NULL;
	if (e == NULL)
		return 0;
	if (increment == FF_SEQ_INCREMENT_UNKNOWN) {
		e->synced = 0;
		return 0;
	}
	e->received += increment;
	if (!e->synced) {
		e->synced = 1;
		e->expected = seq + increment;
		return 0;
	}
	uint32_t ahead = seq - e->expected; /* modulo 2^32: counters wrap */
	if (ahead == 0) {
		e->expected = seq + increment;
		return 0;
	}
	if (ahead < FF_SEQLOSS_MAX_GAP) {
		e->lost += ahead;
		e->expected = seq + increment;
		return (int64_t)ahead;
	}
	return ff_seqloss_behind(e, seq, e->expected - seq, increment);
}

const ff_seqloss_entry *ff_seqloss_next(const ff_seqloss *t, size_t *cursor)
{
	const void *key;
	void *val;
	if (!ff_hmap_next(t->map, cursor, &key, &val))
		return NULL;
	return val;
}
