#include "query_topn.h"

#include "ff_flow.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FF_TOPN_MAX_THREADS 4

/*
 * A group key is [wildcard flag][value]: the flag byte first makes a
 * wildcard sort after every value, and values are big-endian (addresses
 * are already in network order) so memcmp orders them by value. Unused
 * trailing bytes stay zero, so comparing the whole buffer is exact.
 */
#define FF_TOPN_KEY_MAX (1 + FF_AGENT_ID_MAX + 7)

typedef struct ff_topn_key {
	uint8_t b[FF_TOPN_KEY_MAX];
} ff_topn_key;

typedef struct ff_topn_counts {
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
	uint64_t first_ms;
	uint64_t last_ms;
} ff_topn_counts;

/* A group on its way to becoming a row. */
typedef struct ff_topn_group {
	uint64_t metric;
	ff_topn_counts c;
	ff_topn_key key;
} ff_topn_group;

/*
 * The groups of one scanning thread: open addressing with linear probing,
 * like ff_hmap, but with the hash inlined over whole 8-byte words of the
 * key (keys are zero-padded ff_topn_key prefixes) and slots holding the
 * counters next to the key: a query probes it once or twice per record,
 * which made ff_hmap's general hashing and memcmp a third of a top-N.
 */
typedef struct ff_topn_table {
	size_t words; /* of a key, its length rounded up to 8 bytes */
	size_t stride;
	size_t cap; /* power of two */
	size_t count;
	uint8_t *slots; /* [hash][ff_topn_counts][key words] each */
} ff_topn_table;

#define FF_TOPN_SLOT_KEY (8 + sizeof(ff_topn_counts))
_Static_assert(sizeof(ff_topn_key) % 8 == 0, "keys are hashed and compared in whole words");

static uint64_t ff_topn_hash(const void *key, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < words; i++) {
		uint64_t w;
		memcpy(&w, (const uint8_t *)key + 8 * i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

static int ff_topn_table_init(ff_topn_table *t, size_t key_len, size_t cap)
{
	t->words = (key_len + 7) / 8;
	t->stride = FF_TOPN_SLOT_KEY + 8 * t->words;
	t->cap = cap;
	t->count = 0;
	t->slots = calloc(cap, t->stride);
	return t->slots != NULL ? 0 : -1;
}

static void ff_topn_table_free(ff_topn_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

/* The slot of `key`, or the empty one where it goes. */
static uint8_t *ff_topn_table_probe(const ff_topn_table *t, const void *key, uint64_t hash)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		uint8_t *s = t->slots + i * t->stride;
		uint64_t sh;
		memcpy(&sh, s, 8);
		if (sh == 0 || (sh == hash && memcmp(s + FF_TOPN_SLOT_KEY, key, 8 * t->words) == 0))
			return s;
	}
}

static int ff_topn_table_grow(ff_topn_table *t)
{
	ff_topn_table old = *t;
	if (ff_topn_table_init(t, 8 * old.words, old.cap * 2) != 0) {
		*t = old;
		return -1;
	}
	t->count = old.count;
	for (size_t i = 0; i < old.cap; i++) {
		const uint8_t *s = old.slots + i * old.stride;
		uint64_t h;
		memcpy(&h, s, 8);
		if (h != 0)
			memcpy(ff_topn_table_probe(t, s + FF_TOPN_SLOT_KEY, h), s, t->stride);
	}
	free(old.slots);
	return 0;
}

/* The counters of `key` (8 * words readable bytes), zeroed and *created set when new. */
static ff_topn_counts *ff_topn_table_upsert(ff_topn_table *t, const void *key, int *created)
{
	/* Load at most 1/2 keeps probes short. */
	if ((t->count + 1) * 2 > t->cap && ff_topn_table_grow(t) != 0)
		return NULL;
	uint64_t h = ff_topn_hash(key, t->words);
	uint8_t *s = ff_topn_table_probe(t, key, h);
	uint64_t sh;
	memcpy(&sh, s, 8);
	*created = sh == 0;
	if (sh == 0) {
		memcpy(s, &h, 8);
		memcpy(s + FF_TOPN_SLOT_KEY, key, 8 * t->words);
		t->count++;
	}
	return (ff_topn_counts *)(void *)(s + 8);
}

/* Iterates as ff_hmap_next() does. */
static int ff_topn_table_next(const ff_topn_table *t, size_t *cursor, const void **key,
			      ff_topn_counts **val)
{
	for (; *cursor < t->cap; (*cursor)++) {
		uint8_t *s = t->slots + *cursor * t->stride;
		uint64_t h;
		memcpy(&h, s, 8);
		if (h != 0) {
			*key = s + FF_TOPN_SLOT_KEY;
			*val = (ff_topn_counts *)(void *)(s + 8);
			(*cursor)++;
			return 1;
		}
	}
	return 0;
}

/*
 * One scanning thread's state. Ports and protocols group in a direct-indexed
 * array (value, then one slot for the wildcard): far cheaper than hashing
 * for every record. Other elements group in a hash map keyed by the first
 * key_len bytes of an ff_topn_key, the bytes the element's values use.
 */
#define FF_TOPN_DIRECT_SLOTS (65536 + 1)

typedef struct ff_topn_ctx {
	const ff_topn_query *q;
	ff_topn_table groups; /* key prefix -> ff_topn_counts */
	size_t key_len;
	ff_topn_counts *direct; /* FF_TOPN_DIRECT_SLOTS, or NULL */
	uint8_t *seen;		/* which direct slots hold a group */
	ff_topn_total total;
	bool failed;
} ff_topn_ctx;

enum ff_topn_kind { FF_TOPN_ADDR, FF_TOPN_NUMBER, FF_TOPN_AGENT };

static enum ff_topn_kind ff_topn_kind(enum ff_element el)
{
	switch (el) {
	case FF_EL_SRCIP:
	case FF_EL_DSTIP:
	case FF_EL_IP:
	case FF_EL_EXPORTER:
		return FF_TOPN_ADDR;
	case FF_EL_AGENT:
		return FF_TOPN_AGENT;
	default:
		return FF_TOPN_NUMBER;
	}
}

static bool ff_topn_is_direct(enum ff_element el)
{
	return el == FF_EL_SRCPORT || el == FF_EL_DSTPORT || el == FF_EL_PORT || el == FF_EL_PROTO;
}

static size_t ff_topn_key_len(enum ff_element el)
{
	switch (ff_topn_kind(el)) {
	case FF_TOPN_ADDR:
		return 1 + FF_ADDR_LEN;
	case FF_TOPN_NUMBER:
		return 1 + 4;
	default:
		return FF_TOPN_KEY_MAX;
	}
}

static void ff_topn_key_addr(ff_topn_key *k, const uint8_t *addr, bool wild)
{
	memset(k, 0, sizeof *k);
	k->b[0] = wild;
	if (!wild)
		memcpy(k->b + 1, addr, FF_ADDR_LEN);
}

static void ff_topn_key_number(ff_topn_key *k, uint32_t v, bool wild)
{
	memset(k, 0, sizeof *k);
	k->b[0] = wild;
	if (wild)
		return;
	k->b[1] = (uint8_t)(v >> 24);
	k->b[2] = (uint8_t)(v >> 16);
	k->b[3] = (uint8_t)(v >> 8);
	k->b[4] = (uint8_t)v;
}

/* The value of a numeric element and its wildcard bit. */
static uint32_t ff_topn_number(enum ff_element el, const ff_flow *f, uint32_t *field)
{
	switch (el) {
	case FF_EL_SRCPORT:
		*field = FF_FIELD_SRC_PORT;
		return f->src_port;
	case FF_EL_DSTPORT:
		*field = FF_FIELD_DST_PORT;
		return f->dst_port;
	case FF_EL_PROTO:
		*field = FF_FIELD_PROTO;
		return f->proto;
	case FF_EL_SRCAS:
		*field = FF_FIELD_SRC_AS;
		return f->src_as;
	case FF_EL_DSTAS:
		*field = FF_FIELD_DST_AS;
		return f->dst_as;
	case FF_EL_INIF:
		*field = FF_FIELD_IN_IF;
		return f->in_if;
	default:
		*field = FF_FIELD_OUT_IF;
		return f->out_if;
	}
}

/*
 * The keys a record counts under for one element: one, or two for ip and
 * port (source, then destination). Returns how many were written.
 */
static int ff_topn_keys(enum ff_element el, const ff_flow *f, const char *agent_id,
			ff_topn_key k[2])
{
	uint32_t w = f->wildcards;
	uint32_t field;
	switch (el) {
	case FF_EL_SRCIP:
	case FF_EL_IP:
		ff_topn_key_addr(&k[0], f->src_addr, w & FF_FIELD_SRC_ADDR);
		if (el == FF_EL_SRCIP)
			return 1;
		ff_topn_key_addr(&k[1], f->dst_addr, w & FF_FIELD_DST_ADDR);
		return 2;
	case FF_EL_DSTIP:
		ff_topn_key_addr(&k[0], f->dst_addr, w & FF_FIELD_DST_ADDR);
		return 1;
	case FF_EL_EXPORTER:
		ff_topn_key_addr(&k[0], f->exporter, w & FF_FIELD_EXPORTER);
		return 1;
	case FF_EL_PORT:
		ff_topn_key_number(&k[0], f->src_port, w & FF_FIELD_SRC_PORT);
		ff_topn_key_number(&k[1], f->dst_port, w & FF_FIELD_DST_PORT);
		return 2;
	case FF_EL_AGENT:
		memset(&k[0], 0, sizeof k[0]);
		memcpy(k[0].b + 1, agent_id, strnlen(agent_id, FF_AGENT_ID_MAX));
		return 1;
	default: {
		uint32_t v = ff_topn_number(el, f, &field);
		ff_topn_key_number(&k[0], v, w & field);
		return 1;
	}
	}
}

static void ff_topn_count(ff_topn_counts *c, const ff_flow *f, bool created)
{
	c->flows += f->flows;
	c->packets += f->packets;
	c->bytes += f->bytes;
	if (created || f->first_ms < c->first_ms)
		c->first_ms = f->first_ms;
	if (created || f->last_ms > c->last_ms)
		c->last_ms = f->last_ms;
}

/* The direct slot of a port or protocol key: its value, or the last for a wildcard. */
static size_t ff_topn_slot(const ff_topn_key *k)
{
	if (k->b[0] != 0)
		return FF_TOPN_DIRECT_SLOTS - 1;
	return (size_t)k->b[3] << 8 | k->b[4];
}

static ff_topn_counts *ff_topn_group_of(ff_topn_ctx *x, const ff_topn_key *k, int *created)
{
	if (x->direct == NULL)
		return ff_topn_table_upsert(&x->groups, k, created);
	size_t i = ff_topn_slot(k);
	*created = !x->seen[i];
	x->seen[i] = 1;
	return &x->direct[i];
}

static int ff_topn_add(ff_topn_ctx *x, const ff_flow *f, const char *agent_id)
{
	ff_topn_key k[2];
	int nk = ff_topn_keys(x->q->element, f, agent_id, k);
	for (int i = 0; i < nk; i++) {
		int created = 0;
		ff_topn_counts *c = ff_topn_group_of(x, &k[i], &created);
		if (c == NULL)
			return -1;
		ff_topn_count(c, f, created);
	}
	x->total.flows += f->flows;
	x->total.packets += f->packets;
	x->total.bytes += f->bytes;
	x->total.records++;
	if (x->total.first_ms == 0 || f->first_ms < x->total.first_ms)
		x->total.first_ms = f->first_ms;
	if (f->last_ms > x->total.last_ms)
		x->total.last_ms = f->last_ms;
	return 0;
}

static bool ff_topn_selects(const ff_topn_query *q, const ff_flow *f)
{
	if (f->first_ms < q->since_ms || (q->until_ms != 0 && f->last_ms > q->until_ms))
		return false;
	return q->filter == NULL || ff_filter_match(q->filter, f);
}

static int ff_topn_scan_batch(void *arg, const ff_batch *b)
{
	ff_topn_ctx *x = arg;
	if (x->q->agent != NULL && strcmp(x->q->agent, b->agent_id) != 0)
		return 0;
	for (size_t i = 0; i < b->n_records; i++) {
		if (!ff_topn_selects(x->q, &b->records[i]))
			continue;
		if (ff_topn_add(x, &b->records[i], b->agent_id) != 0) {
			x->failed = true;
			return 1;
		}
	}
	return 0;
}

/* pps, bps and bpp as nfdump computes them, truncated to integers. */
static void ff_topn_rates(const ff_topn_counts *c, uint64_t *pps, uint64_t *bps, uint64_t *bpp)
{
	uint64_t dur = c->last_ms > c->first_ms ? c->last_ms - c->first_ms : 0;
	/* 128-bit intermediates: bytes * 8000 overflows 64 bits past 2 PB. */
	*pps = dur ? (uint64_t)((unsigned __int128)c->packets * 1000 / dur) : 0;
	*bps = dur ? (uint64_t)((unsigned __int128)c->bytes * 8000 / dur) : 0;
	*bpp = c->packets ? c->bytes / c->packets : 0;
}

static uint64_t ff_topn_metric(enum ff_order order, const ff_topn_counts *c)
{
	uint64_t pps, bps, bpp;
	switch (order) {
	case FF_ORDER_FLOWS:
		return c->flows;
	case FF_ORDER_PACKETS:
		return c->packets;
	case FF_ORDER_BYTES:
		return c->bytes;
	default:
		ff_topn_rates(c, &pps, &bps, &bpp);
		return order == FF_ORDER_PPS ? pps : order == FF_ORDER_BPS ? bps : bpp;
	}
}

static int ff_topn_cmp(const void *a, const void *b)
{
	const ff_topn_group *x = a, *y = b;
	if (x->metric != y->metric)
		return x->metric > y->metric ? -1 : 1;
	return memcmp(x->key.b, y->key.b, sizeof x->key.b);
}

static void ff_topn_key_format(enum ff_element el, const ff_topn_key *k, char *out)
{
	if (k->b[0] != 0) {
		strcpy(out, "*");
		return;
	}
	switch (ff_topn_kind(el)) {
	case FF_TOPN_ADDR:
		ff_addr_format(k->b + 1, out);
		break;
	case FF_TOPN_AGENT:
		snprintf(out, FF_TOPN_KEY_STRLEN, "%s", (const char *)k->b + 1);
		break;
	case FF_TOPN_NUMBER:
		snprintf(out, FF_TOPN_KEY_STRLEN, "%" PRIu32,
			 (uint32_t)k->b[1] << 24 | (uint32_t)k->b[2] << 16 |
			     (uint32_t)k->b[3] << 8 | k->b[4]);
		break;
	}
}

static void ff_topn_fill_row(enum ff_element el, const ff_topn_group *g, ff_topn_row *r)
{
	ff_topn_key_format(el, &g->key, r->key);
	r->flows = g->c.flows;
	r->packets = g->c.packets;
	r->bytes = g->c.bytes;
	r->first_ms = g->c.first_ms;
	r->last_ms = g->c.last_ms;
	ff_topn_rates(&g->c, &r->pps, &r->bps, &r->bpp);
}

/* Sorts the groups and keeps the first n as rows. */
static int ff_topn_rank(ff_topn_ctx *x, ff_topn_result *out)
{
	size_t n_groups = x->groups.count;
	ff_topn_group *g = calloc(n_groups ? n_groups : 1, sizeof *g);
	if (g == NULL)
		return -1;
	size_t cur = 0, i = 0;
	const void *k;
	ff_topn_counts *v;
	while (ff_topn_table_next(&x->groups, &cur, &k, &v)) {
		memset(&g[i].key, 0, sizeof g[i].key);
		memcpy(&g[i].key, k, x->key_len);
		g[i].c = *v;
		g[i].metric = ff_topn_metric(x->q->order, &g[i].c);
		i++;
	}
	qsort(g, n_groups, sizeof *g, ff_topn_cmp);
	size_t n = x->q->n == 0 || x->q->n > n_groups ? n_groups : x->q->n;
	out->rows = calloc(n ? n : 1, sizeof *out->rows);
	if (out->rows == NULL) {
		free(g);
		return -1;
	}
	for (i = 0; i < n; i++)
		ff_topn_fill_row(x->q->element, &g[i], &out->rows[i]);
	out->n_rows = n;
	free(g);
	return 0;
}

/* The record fields a query reads: everything when a filter may read any. */
static uint32_t ff_topn_fields(const ff_topn_query *q)
{
	static const uint32_t el_fields[] = {
	    [FF_EL_SRCIP] = FF_STORE_F_SRC_ADDR,
	    [FF_EL_DSTIP] = FF_STORE_F_DST_ADDR,
	    [FF_EL_IP] = FF_STORE_F_SRC_ADDR | FF_STORE_F_DST_ADDR,
	    [FF_EL_SRCPORT] = FF_STORE_F_SRC_PORT,
	    [FF_EL_DSTPORT] = FF_STORE_F_DST_PORT,
	    [FF_EL_PORT] = FF_STORE_F_SRC_PORT | FF_STORE_F_DST_PORT,
	    [FF_EL_PROTO] = FF_STORE_F_PROTO,
	    [FF_EL_SRCAS] = FF_STORE_F_SRC_AS,
	    [FF_EL_DSTAS] = FF_STORE_F_DST_AS,
	    [FF_EL_INIF] = FF_STORE_F_IN_IF,
	    [FF_EL_OUTIF] = FF_STORE_F_OUT_IF,
	    [FF_EL_EXPORTER] = FF_STORE_F_EXPORTER,
	    [FF_EL_AGENT] = 0,
	};
	_Static_assert(FF_EL_COUNT == 13, "a new element needs its fields listed here");
	if (q->filter != NULL || (size_t)q->element >= FF_EL_COUNT)
		return 0;
	uint32_t el = el_fields[q->element];
	return FF_STORE_F_TIMES | FF_STORE_F_COUNTERS | el;
}

static int ff_topn_ctx_init(ff_topn_ctx *x, const ff_topn_query *q)
{
	*x = (ff_topn_ctx){.q = q, .key_len = ff_topn_key_len(q->element)};
	int rc = ff_topn_table_init(&x->groups, x->key_len, 4096);
	if (ff_topn_is_direct(q->element)) {
		x->direct = calloc(FF_TOPN_DIRECT_SLOTS, sizeof *x->direct);
		x->seen = calloc(FF_TOPN_DIRECT_SLOTS, 1);
	}
	bool ok = rc == 0 && (!ff_topn_is_direct(q->element) ||
					(x->direct != NULL && x->seen != NULL));
	return ok ? 0 : -1;
}

static void ff_topn_ctx_free(ff_topn_ctx *x)
{
	ff_topn_table_free(&x->groups);
	free(x->direct);
	free(x->seen);
}

static void ff_topn_merge_counts(ff_topn_counts *d, const ff_topn_counts *c, bool created)
{
	d->flows += c->flows;
	d->packets += c->packets;
	d->bytes += c->bytes;
	if (created || c->first_ms < d->first_ms)
		d->first_ms = c->first_ms;
	if (created || c->last_ms > d->last_ms)
		d->last_ms = c->last_ms;
}

/* Moves the direct slots of `x` into its hash map, so ranking sees one kind of group. */
static int ff_topn_fold_direct(ff_topn_ctx *x)
{
	for (size_t i = 0; x->direct != NULL && i < FF_TOPN_DIRECT_SLOTS; i++) {
		if (!x->seen[i])
			continue;
		ff_topn_key k;
		ff_topn_key_number(&k, (uint32_t)i, i == FF_TOPN_DIRECT_SLOTS - 1);
		int created = 0;
		ff_topn_counts *d = ff_topn_table_upsert(&x->groups, &k, &created);
		if (d == NULL)
			return -1;
		ff_topn_merge_counts(d, &x->direct[i], created);
	}
	return 0;
}

/* Adds thread `src`'s groups and totals into `dst`. */
static int ff_topn_merge(ff_topn_ctx *dst, const ff_topn_ctx *src)
{
	size_t cur = 0;
	const void *k;
	ff_topn_counts *v;
	while (ff_topn_table_next(&src->groups, &cur, &k, &v)) {
		int created = 0;
		ff_topn_counts *d = ff_topn_table_upsert(&dst->groups, k, &created);
		if (d == NULL)
			return -1;
		ff_topn_merge_counts(d, v, created);
	}
	ff_topn_total *t = &dst->total;
	const ff_topn_total *o = &src->total;
	t->flows += o->flows;
	t->packets += o->packets;
	t->bytes += o->bytes;
	if (o->records != 0 && (t->records == 0 || o->first_ms < t->first_ms))
		t->first_ms = o->first_ms;
	if (o->last_ms > t->last_ms)
		t->last_ms = o->last_ms;
	t->records += o->records;
	return 0;
}

/* Scanning threads: the machine's cores, a few at most (each holds its own groups). */
static size_t ff_topn_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > FF_TOPN_MAX_THREADS ? FF_TOPN_MAX_THREADS : (size_t)n;
}

/* Scans with one context per thread and merges them all into x[0]. */
static int ff_topn_scan(ff_store *store, const ff_topn_query *q, ff_topn_ctx *x, size_t n)
{
	void *args[FF_TOPN_MAX_THREADS];
	for (size_t i = 0; i < n; i++)
		args[i] = &x[i];
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = q->until_ms ? q->until_ms : UINT64_MAX,
				.agent = q->agent,
				.fields = ff_topn_fields(q)};
	/* A store error (out of memory for its buffers) would leave the answer partial. */
	int rc = ff_store_scan_parallel(store, &range, ff_topn_scan_batch, args, n) < 0 ? -1 : 0;
	for (size_t i = 0; i < n; i++)
		rc |= x[i].failed ? -1 : ff_topn_fold_direct(&x[i]);
	for (size_t i = 1; rc == 0 && i < n; i++)
		rc = ff_topn_merge(&x[0], &x[i]);
	return rc;
}

int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out)
{
	ff_topn_ctx x[FF_TOPN_MAX_THREADS];
	size_t n = ff_topn_threads(), ready = 0;
	int rc = 0;
	memset(out, 0, sizeof *out);
	for (; rc == 0 && ready < n; ready++)
		rc = ff_topn_ctx_init(&x[ready], q);
	if (rc == 0)
		rc = ff_topn_scan(store, q, x, n);
	if (rc == 0)
		rc = ff_topn_rank(&x[0], out);
	if (rc == 0) {
		out->total = x[0].total;
		out->total.rows = x[0].groups.count;
	}
	for (size_t i = 0; i < ready; i++)
		ff_topn_ctx_free(&x[i]);
	return rc;
}

void ff_topn_result_free(ff_topn_result *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
