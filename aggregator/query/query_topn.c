#include "query_topn.h"

#include "ff_flow.h"
#include "query_deadline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
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
/*
 * The bytes the group tables of one pass may hold, shared by its threads:
 * a table takes its share before it grows and gives it back when freed.
 */
typedef struct ff_topn_budget {
	_Atomic size_t used;
	size_t limit;
} ff_topn_budget;

typedef struct ff_topn_table {
	size_t words; /* of a key, its length rounded up to 8 bytes */
	size_t stride;
	size_t cap; /* power of two */
	size_t count;
	uint8_t *slots;		/* [hash][ff_topn_counts][key words] each */
	ff_topn_budget *budget; /* NULL: unlimited */
	bool over;		/* a growth was refused by the budget */
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

/* Takes `bytes` from the budget; false (and nothing taken) when they are not there. */
static bool ff_topn_budget_take(ff_topn_budget *b, size_t bytes)
{
	size_t before = atomic_fetch_add(&b->used, bytes);
	if (before + bytes <= b->limit && before + bytes >= before)
		return true;
	atomic_fetch_sub(&b->used, bytes);
	return false;
}

static size_t ff_topn_stride(size_t key_len)
{
	return FF_TOPN_SLOT_KEY + 8 * ((key_len + 7) / 8);
}

/* A table's first slots are charged to the budget but never refused: they are its floor. */
static int ff_topn_table_init(ff_topn_table *t, size_t key_len, size_t cap,
			      ff_topn_budget *budget)
{
	*t = (ff_topn_table){.words = (key_len + 7) / 8, .stride = ff_topn_stride(key_len),
			     .cap = cap, .budget = budget};
	t->slots = calloc(cap, t->stride);
	if (t->slots == NULL)
		return -1;
	if (budget != NULL)
		atomic_fetch_add(&budget->used, cap * t->stride);
	return 0;
}

static void ff_topn_table_free(ff_topn_table *t)
{
	if (t->slots != NULL && t->budget != NULL)
		atomic_fetch_sub(&t->budget->used, t->cap * t->stride);
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

/* Doubles the table; -1 when out of memory or refused by the budget (then t->over). */
static int ff_topn_table_grow(ff_topn_table *t)
{
	size_t more = t->cap * t->stride;
	if (t->budget != NULL && !ff_topn_budget_take(t->budget, more)) {
		t->over = true;
		return -1;
	}
	uint8_t *slots = calloc(t->cap * 2, t->stride);
	if (slots == NULL) {
		if (t->budget != NULL)
			atomic_fetch_sub(&t->budget->used, more);
		return -1;
	}
	ff_topn_table old = *t;
	t->slots = slots;
	t->cap *= 2;
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

/*
 * The counters of `key` (8 * words readable bytes, hash `h` from
 * ff_topn_hash()), zeroed and *created set when new; NULL when the table
 * cannot grow (t->over tells the budget from a lack of memory).
 */
static ff_topn_counts *ff_topn_table_upsert(ff_topn_table *t, const void *key, uint64_t h,
					    int *created)
{
	/* Load at most 1/2 keeps probes short. */
	if ((t->count + 1) * 2 > t->cap && ff_topn_table_grow(t) != 0)
		return NULL;
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
 * A HyperLogLog sketch of the distinct keys (Flajolet et al. 2007): 4096
 * one-byte registers, about 1.6% error, merged across threads by taking
 * each register's maximum. Only a pass that ran out of room fills one, to
 * size the partitions of the next passes.
 */
#define FF_TOPN_HLL_BITS 12
#define FF_TOPN_HLL_REGS (1u << FF_TOPN_HLL_BITS)

static void ff_topn_hll_add(uint8_t *regs, uint64_t h)
{
	/* Remixed (splitmix64's finalizer): the keys of one partition share bits of h. */
	uint64_t g = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
	g = (g ^ (g >> 27)) * 0x94d049bb133111ebu;
	g ^= g >> 31;
	size_t i = (size_t)(g >> (64 - FF_TOPN_HLL_BITS));
	uint64_t rest = g << FF_TOPN_HLL_BITS | 1u << (FF_TOPN_HLL_BITS - 1);
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > regs[i])
		regs[i] = rank;
}

/* Natural logarithm of x >= 1, for the estimate's small range (no libm here). */
static double ff_topn_ln(double x)
{
	int e = 0;
	for (; x >= 2.0; x /= 2.0)
		e++;
	/* ln x = 2 atanh((x - 1) / (x + 1)); |s| <= 1/3, so a few terms suffice. */
	double s = (x - 1) / (x + 1), s2 = s * s, term = s, sum = 0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * 0.6931471805599453 + 2 * sum;
}

static double ff_topn_hll_estimate(const uint8_t *regs)
{
	double m = FF_TOPN_HLL_REGS, sum = 0;
	unsigned zeros = 0;
	for (size_t i = 0; i < FF_TOPN_HLL_REGS; i++) {
		uint64_t one = 1;
		sum += 1.0 / (double)(one << (regs[i] < 63 ? regs[i] : 63));
		zeros += regs[i] == 0;
	}
	double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	/* Small range: linear counting of the empty registers is the better estimate. */
	if (e <= 2.5 * m && zeros != 0)
		e = m * ff_topn_ln(m / zeros);
	return e;
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
	/* Only keys whose hash has (h >> 32) & part_mask == part are grouped. */
	uint32_t part, part_mask;
	/* Once the budget refused a growth: the groups are dropped, keys only counted. */
	uint8_t *hll;
	ff_topn_counts discard; /* where the counters of keys not grouped go */
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

/* Every key in a table, into a sketch. */
static void ff_topn_hll_add_table(uint8_t *regs, const ff_topn_table *t)
{
	for (size_t i = 0; t->slots != NULL && i < t->cap; i++) {
		uint64_t h;
		memcpy(&h, t->slots + i * t->stride, 8);
		if (h != 0)
			ff_topn_hll_add(regs, h);
	}
}

/*
 * The budget refused this thread's table: the pass cannot answer, so its
 * groups are dropped (their memory returned) and the rest of the scan only
 * counts the distinct keys, for sizing the partitions of the next passes.
 */
static int ff_topn_count_only(ff_topn_ctx *x)
{
	x->hll = calloc(FF_TOPN_HLL_REGS, 1);
	if (x->hll == NULL)
		return -1;
	ff_topn_hll_add_table(x->hll, &x->groups);
	ff_topn_table_free(&x->groups);
	return 0;
}

static ff_topn_counts *ff_topn_group_of(ff_topn_ctx *x, const ff_topn_key *k, int *created)
{
	if (x->direct == NULL) {
		uint64_t h = ff_topn_hash(k, x->groups.words);
		if (((h >> 32) & x->part_mask) != x->part)
			return &x->discard;
		if (x->hll == NULL) {
			ff_topn_counts *c = ff_topn_table_upsert(&x->groups, k, h, created);
			if (c != NULL || !x->groups.over || ff_topn_count_only(x) != 0)
				return c;
		}
		ff_topn_hll_add(x->hll, h);
		return &x->discard;
	}
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
	if (ff_query_expired(x->q->deadline_ms)) {
		x->failed = true;
		return 1;
	}
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

/*
 * A pass's groups sorted, cut to the first n (all for n = 0): the rows its
 * keys can contribute to the answer. Caller frees *out.
 */
static int ff_topn_rank(ff_topn_ctx *x, ff_topn_group **out, size_t *n_out)
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
	if (n < n_groups) {
		/* Later passes keep only these: give the rest back now. */
		ff_topn_group *shrunk = realloc(g, (n ? n : 1) * sizeof *g);
		g = shrunk != NULL ? shrunk : g;
	}
	*out = g;
	*n_out = n;
	return 0;
}

/* The best n groups of the passes so far, sorted. */
typedef struct ff_topn_best {
	ff_topn_group *g;
	size_t n;
} ff_topn_best;

/*
 * Adds a pass's sorted candidates (taking ownership of `g`). The order is
 * total (metric, then key) and every key lives in one partition only, so
 * the first n of all passes' first n are the first n of all groups.
 */
static int ff_topn_best_add(ff_topn_best *b, ff_topn_group *g, size_t n, size_t keep)
{
	if (b->g == NULL) {
		b->g = g;
		b->n = n;
		return 0;
	}
	ff_topn_group *all = realloc(b->g, (b->n + n + 1) * sizeof *all);
	if (all == NULL) {
		free(g);
		return -1;
	}
	memcpy(all + b->n, g, n * sizeof *g);
	free(g);
	b->g = all;
	b->n += n;
	qsort(all, b->n, sizeof *all, ff_topn_cmp);
	if (keep != 0 && b->n > keep)
		b->n = keep;
	return 0;
}

static int ff_topn_fill_rows(const ff_topn_query *q, const ff_topn_best *b, ff_topn_result *out)
{
	out->rows = calloc(b->n ? b->n : 1, sizeof *out->rows);
	if (out->rows == NULL)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		ff_topn_fill_row(q->element, &b->g[i], &out->rows[i]);
	out->n_rows = b->n;
	return 0;
}

/* The record fields a query reads: its element's, the counters, times, and the filter's. */
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
	if ((size_t)q->element >= FF_EL_COUNT)
		return 0;
	return FF_STORE_F_TIMES | FF_STORE_F_COUNTERS | el_fields[q->element] |
	       ff_store_fields_of_filter(q->filter);
}

/* A pass groups the keys whose hash has (h >> 32) & (count - 1) == index. */
typedef struct ff_topn_part {
	uint32_t index, count; /* count: a power of two */
} ff_topn_part;

/* How a query's passes run: threads, and the tables' starting size and budget. */
typedef struct ff_topn_plan {
	size_t threads;
	size_t cap0;   /* slots each thread's table starts with */
	size_t stride; /* bytes per slot */
	size_t limit;  /* bytes for all tables of a pass; SIZE_MAX: none */
} ff_topn_plan;

/* Scanning threads: the machine's cores, a few at most (each holds its own groups). */
static size_t ff_topn_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > FF_TOPN_MAX_THREADS ? FF_TOPN_MAX_THREADS : (size_t)n;
}

static void ff_topn_plan_init(ff_topn_plan *p, const ff_topn_query *q)
{
	*p = (ff_topn_plan){.threads = ff_topn_threads(), .cap0 = 4096,
			    .stride = ff_topn_stride(ff_topn_key_len(q->element)),
			    .limit = SIZE_MAX};
	/* Direct arrays are fixed; with n = 0 every group is in the answer anyway. */
	if (ff_topn_is_direct(q->element) || q->n == 0)
		return;
	size_t limit = q->mem_limit ? q->mem_limit : FF_TOPN_DEFAULT_MEM_LIMIT;
	while (p->cap0 > 64 && p->threads * p->cap0 * p->stride > limit)
		p->cap0 /= 2;
	size_t floor = p->threads * p->cap0 * p->stride;
	p->limit = limit > floor ? limit : floor;
}

static int ff_topn_ctx_init(ff_topn_ctx *x, const ff_topn_query *q, const ff_topn_plan *p,
			    ff_topn_part part, ff_topn_budget *budget)
{
	*x = (ff_topn_ctx){.q = q, .key_len = ff_topn_key_len(q->element), .part = part.index,
			   .part_mask = part.count - 1};
	int rc = ff_topn_table_init(&x->groups, x->key_len, p->cap0,
				    p->limit == SIZE_MAX ? NULL : budget);
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
	free(x->hll);
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

/* A pass's tables outgrew the budget; distinct from -1, out of memory. */
#define FF_TOPN_EOVER (-2)

/* Moves the direct slots of `x` into its hash map, so ranking sees one kind of group. */
static int ff_topn_fold_direct(ff_topn_ctx *x)
{
	for (size_t i = 0; x->direct != NULL && i < FF_TOPN_DIRECT_SLOTS; i++) {
		if (!x->seen[i])
			continue;
		ff_topn_key k;
		ff_topn_key_number(&k, (uint32_t)i, i == FF_TOPN_DIRECT_SLOTS - 1);
		int created = 0;
		ff_topn_counts *d = ff_topn_table_upsert(&x->groups, &k,
							 ff_topn_hash(&k, x->groups.words), &created);
		if (d == NULL)
			return -1;
		ff_topn_merge_counts(d, &x->direct[i], created);
	}
	return 0;
}

/* Adds thread `src`'s groups and totals into `dst`: 0, -1 or FF_TOPN_EOVER. */
static int ff_topn_merge(ff_topn_ctx *dst, const ff_topn_ctx *src)
{
	size_t cur = 0;
	const void *k;
	ff_topn_counts *v;
	while (ff_topn_table_next(&src->groups, &cur, &k, &v)) {
		int created = 0;
		uint64_t h = ff_topn_hash(k, dst->groups.words);
		ff_topn_counts *d = ff_topn_table_upsert(&dst->groups, k, h, &created);
		if (d == NULL)
			return dst->groups.over ? FF_TOPN_EOVER : -1;
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

/*
 * Scans with one context per thread and merges them all into x[0]. Returns
 * 0, -1, or FF_TOPN_EOVER when a table outgrew the budget (the scan still
 * runs to its end then, counting keys for ff_topn_estimate()).
 */
static int ff_topn_scan(ff_store *store, const ff_topn_query *q, ff_topn_ctx *x, size_t n,
			ff_store_read *read)
{
	void *args[FF_TOPN_MAX_THREADS];
	for (size_t i = 0; i < n; i++)
		args[i] = &x[i];
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = q->until_ms ? q->until_ms : UINT64_MAX,
				.agent = q->agent,
				.fields = ff_topn_fields(q),
				.filter = q->filter,
				.rollup_bin_ms = ff_store_filter_fits_rollups(q->filter) ? UINT64_MAX : 0,
				.read = read};
	/* A store error (out of memory for its buffers) would leave the answer partial. */
	int rc = ff_store_scan_parallel(store, &range, ff_topn_scan_batch, args, n) < 0 ? -1 : 0;
	bool over = false;
	for (size_t i = 0; i < n; i++) {
		over |= x[i].hll != NULL;
		rc |= x[i].failed ? -1 : ff_topn_fold_direct(&x[i]);
	}
	if (rc == 0 && over)
		return FF_TOPN_EOVER;
	for (size_t i = 1; rc == 0 && i < n; i++) {
		rc = ff_topn_merge(&x[0], &x[i]);
		/* Merged keys live in x[0] now: the budget gets their room back. */
		if (rc == 0)
			ff_topn_table_free(&x[i].groups);
	}
	return rc;
}

/* The distinct keys of a pass that outgrew its budget: the threads' sketches and tables. */
static double ff_topn_estimate(const ff_topn_ctx *x, size_t n)
{
	uint8_t *regs = calloc(FF_TOPN_HLL_REGS, 1);
	if (regs == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; x[i].hll != NULL && r < FF_TOPN_HLL_REGS; r++)
			if (x[i].hll[r] > regs[r])
				regs[r] = x[i].hll[r];
		ff_topn_hll_add_table(regs, &x[i].groups);
	}
	double keys = ff_topn_hll_estimate(regs);
	free(regs);
	return keys;
}

/* What one pass leaves: its candidate rows and totals, or, over budget, its keys. */
typedef struct ff_topn_pass {
	ff_topn_group *top; /* owned */
	size_t n_top;
	ff_topn_total total;
	double keys;
} ff_topn_pass;

/* Runs one pass over partition `part`: 0, -1, or FF_TOPN_EOVER with out->keys. */
static int ff_topn_pass_run(ff_store *store, const ff_topn_query *q, const ff_topn_plan *p,
			    ff_topn_part part, ff_topn_pass *out)
{
	ff_topn_ctx x[FF_TOPN_MAX_THREADS];
	ff_topn_budget budget = {.limit = p->limit};
	atomic_init(&budget.used, 0);
	size_t ready = 0;
	int rc = 0;
	ff_store_read read = {0};
	memset(out, 0, sizeof *out);
	for (; rc == 0 && ready < p->threads; ready++)
		rc = ff_topn_ctx_init(&x[ready], q, p, part, &budget);
	if (rc == 0)
		rc = ff_topn_scan(store, q, x, p->threads, &read);
	if (rc == FF_TOPN_EOVER)
		out->keys = ff_topn_estimate(x, p->threads);
	if (rc == 0)
		rc = ff_topn_rank(&x[0], &out->top, &out->n_top);
	if (rc == 0) {
		out->total = x[0].total;
		out->total.rows = x[0].groups.count;
		out->total.read = read;
	}
	for (size_t i = 0; i < ready; i++)
		ff_topn_ctx_free(&x[i]);
	return rc;
}

/* Partitions waiting for their pass. */
typedef struct ff_topn_parts {
	ff_topn_part *p;
	size_t n, cap;
} ff_topn_parts;

static int ff_topn_parts_push(ff_topn_parts *s, ff_topn_part part)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		ff_topn_part *p = realloc(s->p, cap * sizeof *p);
		if (p == NULL)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n++] = part;
	return 0;
}

/* Bytes the tables of a pass may reach for `keys` distinct keys: each thread may see them all. */
static double ff_topn_need(const ff_topn_plan *p, double keys)
{
	double cap = (double)p->cap0;
	while ((keys + 1) * 2 > cap)
		cap *= 2;
	return cap * (double)p->stride * (double)p->threads;
}

/*
 * Replaces a partition that outgrew the budget by the k that should each
 * fit (k a power of two, at least 2): with keys of hash bits
 * index + i * count under the mask of count * k. A quarter is added to the
 * estimate for its error and for records appended meanwhile.
 */
static int ff_topn_split(ff_topn_parts *todo, ff_topn_part part, double keys,
			 const ff_topn_plan *p)
{
	uint64_t k = 2;
	while ((uint64_t)part.count * k < FF_TOPN_MAX_PARTITIONS &&
	       ff_topn_need(p, keys * 1.25 / (double)k) > (double)p->limit)
		k *= 2;
	if ((uint64_t)part.count * k > FF_TOPN_MAX_PARTITIONS)
		return -1;
	for (uint32_t i = 0; i < k; i++) {
		ff_topn_part sub = {part.index + i * part.count, part.count * (uint32_t)k};
		if (ff_topn_parts_push(todo, sub) != 0)
			return -1;
	}
	return 0;
}

/* Takes a pass's rows (ownership too) and totals into the answer so far. */
static int ff_topn_keep(ff_topn_best *best, ff_topn_pass *pass, size_t n, ff_topn_total *t)
{
	ff_topn_total sum = pass->total; /* record totals: every pass sees all records */
	sum.rows += t->rows;
	sum.passes = t->passes;
	sum.partitions = t->partitions + 1;
	*t = sum;
	return ff_topn_best_add(best, pass->top, pass->n_top, n);
}

int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out)
{
	ff_topn_plan plan;
	ff_topn_parts todo = {0};
	ff_topn_best best = {0};
	memset(out, 0, sizeof *out);
	ff_topn_plan_init(&plan, q);
	int rc = ff_topn_parts_push(&todo, (ff_topn_part){0, 1});
	while (rc == 0 && todo.n > 0) {
		ff_topn_part part = todo.p[--todo.n];
		ff_topn_pass pass;
		rc = ff_topn_pass_run(store, q, &plan, part, &pass);
		out->total.passes++;
		if (rc == FF_TOPN_EOVER)
			rc = ff_topn_split(&todo, part, pass.keys, &plan);
		else if (rc == 0)
			rc = ff_topn_keep(&best, &pass, q->n, &out->total);
	}
	if (rc == 0)
		rc = ff_topn_fill_rows(q, &best, out);
	/* A scan stopped by the deadline failed its pass; say why. */
	if (rc != 0 && ff_query_expired(q->deadline_ms))
		rc = -ETIMEDOUT;
	if (rc != 0)
		memset(&out->total, 0, sizeof out->total);
	free(best.g);
	free(todo.p);
	return rc;
}

void ff_topn_result_free(ff_topn_result *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
