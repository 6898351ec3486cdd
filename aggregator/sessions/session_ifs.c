#include "session_ifs.h"

#include "ff_bytes.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* (exporter, ifIndex big-endian): 20 bytes, no padding. */
struct ff_if_key {
	uint8_t exporter[FF_ADDR_LEN];
	uint8_t if_index[4];
};

struct ff__session_ifs {
	ff_hmap *map; /* ff_if_key -> ff__if_entry */
	size_t max;
	size_t refused; /* in the last Hello */
};

ff__session_ifs *ff__session_ifs_new(size_t max)
{
	ff__session_ifs *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->max = max;
	t->map = ff_hmap_new(sizeof(struct ff_if_key), sizeof(ff__if_entry), 16);
	if (t->map == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void ff__session_ifs_free(ff__session_ifs *t)
{
	if (t == NULL)
		return;
	ff_hmap_free(t->map);
	free(t);
}

static void ff_if_sample_from(ff_if_sample *s, const Flowfleet__InterfaceCounters *m)
{
	*s = (ff_if_sample){
	    .in_octets = m->in_octets,
	    .out_octets = m->out_octets,
	    .in_ucast = m->in_ucast_pkts,
	    .in_mcast = m->in_multicast_pkts,
	    .in_bcast = m->in_broadcast_pkts,
	    .in_discards = m->in_discards,
	    .in_errors = m->in_errors,
	    .out_ucast = m->out_ucast_pkts,
	    .out_mcast = m->out_multicast_pkts,
	    .out_bcast = m->out_broadcast_pkts,
	    .out_discards = m->out_discards,
	    .out_errors = m->out_errors,
	    .updated_ms = m->updated_ms,
	};
}

/* A new sample for `e` (created zeroed, or holding the one before). */
static void ff_if_entry_take(ff__if_entry *e, const Flowfleet__InterfaceCounters *m, bool created,
			     uint64_t now_ms)
{
	if (!created) {
		e->prev = e->cur;
		e->has_prev = true;
	}
	memcpy(e->exporter, m->exporter.data, FF_ADDR_LEN);
	e->if_index = m->if_index;
	e->if_type = m->if_type;
	e->if_direction = m->if_direction;
	e->if_status = m->if_status;
	e->promiscuous = m->promiscuous_mode;
	e->in_unknown_protos = m->in_unknown_protos;
	e->if_speed = m->if_speed;
	e->samples = m->samples;
	ff_if_sample_from(&e->cur, m);
	e->received_ms = now_ms;
}

/* One interface of a Hello: 1 when kept or unchanged, 0 when refused, -ENOMEM. */
static int ff_if_update_one(ff__session_ifs *t, const Flowfleet__InterfaceCounters *m,
			    uint64_t now_ms)
{
	if (m == NULL || m->exporter.len != FF_ADDR_LEN)
		return 0;
	struct ff_if_key k;
	memcpy(k.exporter, m->exporter.data, FF_ADDR_LEN);
	ff_put_be32(k.if_index, m->if_index);
	ff__if_entry *e = ff_hmap_find(t->map, &k);
	if (e != NULL && e->cur.updated_ms == m->updated_ms && e->samples == m->samples)
		return 1; /* the same sample again, a heartbeat later */
	if (e == NULL && ff_hmap_count(t->map) >= t->max)
		return 0;
	int created = 0;
	if (e == NULL && (e = ff_hmap_upsert(t->map, &k, &created)) == NULL)
		return -ENOMEM;
	ff_if_entry_take(e, m, created != 0, now_ms);
	return 1;
}

int ff__session_ifs_update(ff__session_ifs *t, Flowfleet__InterfaceCounters *const *v, size_t n,
			   uint64_t now_ms)
{
	t->refused = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = ff_if_update_one(t, v[i], now_ms);
		if (rc < 0)
			return rc;
		if (rc == 0)
			t->refused++;
	}
	return 0;
}

size_t ff__session_ifs_count(const ff__session_ifs *t)
{
	return ff_hmap_count(t->map);
}

size_t ff__session_ifs_refused(const ff__session_ifs *t)
{
	return t->refused;
}

static int ff_if_entry_cmp(const void *a, const void *b)
{
	const ff__if_entry *x = *(const ff__if_entry *const *)a;
	const ff__if_entry *y = *(const ff__if_entry *const *)b;
	int c = memcmp(x->exporter, y->exporter, FF_ADDR_LEN);
	if (c != 0)
		return c;
	return x->if_index < y->if_index ? -1 : x->if_index > y->if_index;
}

const ff__if_entry **ff__session_ifs_sorted(const ff__session_ifs *t, size_t *n)
{
	*n = ff_hmap_count(t->map);
	if (*n == 0)
		return NULL;
	const ff__if_entry **v = malloc(*n * sizeof *v);
	if (v == NULL)
		return NULL;
	size_t cursor = 0, i = 0;
	const void *key;
	void *val;
	while (i < *n && ff_hmap_next(t->map, &cursor, &key, &val))
		v[i++] = val;
	*n = i;
	qsort(v, i, sizeof *v, ff_if_entry_cmp);
	return v;
}
