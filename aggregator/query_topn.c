#include "query_topn.h"

#include "ff_flow.h"
#include "ff_hmap.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct ff_topn_ctx {
	const ff_topn_query *q;
	ff_hmap *groups; /* ff_topn_key -> ff_topn_counts */
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

static int ff_topn_add(ff_topn_ctx *x, const ff_flow *f, const char *agent_id)
{
	ff_topn_key k[2];
	int nk = ff_topn_keys(x->q->element, f, agent_id, k);
	for (int i = 0; i < nk; i++) {
		int created = 0;
		ff_topn_counts *c = ff_hmap_upsert(x->groups, &k[i], &created);
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
	size_t n_groups = ff_hmap_count(x->groups);
	ff_topn_group *g = calloc(n_groups ? n_groups : 1, sizeof *g);
	if (g == NULL)
		return -1;
	size_t cur = 0, i = 0;
	const void *k;
	void *v;
	while (ff_hmap_next(x->groups, &cur, &k, &v)) {
		memcpy(&g[i].key, k, sizeof g[i].key);
		g[i].c = *(const ff_topn_counts *)v;
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

int ff_topn_run(ff_store *store, const ff_topn_query *q, ff_topn_result *out)
{
	ff_topn_ctx x = {.q = q};
	memset(out, 0, sizeof *out);
	x.groups = ff_hmap_new(sizeof(ff_topn_key), sizeof(ff_topn_counts), 1024);
	if (x.groups == NULL)
		return -1;
	ff_store_range range = {.since_ms = q->since_ms,
				.until_ms = q->until_ms ? q->until_ms : UINT64_MAX,
				.agent = q->agent};
	ff_store_scan_range(store, &range, ff_topn_scan_batch, &x);
	int rc = x.failed ? -1 : ff_topn_rank(&x, out);
	if (rc == 0) {
		out->total = x.total;
		out->total.rows = ff_hmap_count(x.groups);
	}
	ff_hmap_free(x.groups);
	return rc;
}

void ff_topn_result_free(ff_topn_result *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
