/*
 * The top-N aggregation of a column block (topn_ctx.h): the rows the query
 * selects, then their keys and hashes in one pass, then the group lookups
 * (prefetching a few rows ahead, since on keys that rarely repeat nearly
 * every lookup misses the cache) and the counters. No record is built: a
 * pass reads only the block's arrays of the element, counters and times.
 */
#include "topn_ctx.h"

#include "ff_filter.h"
#include "query_deadline.h"
#include "topn_key.h"

#include <string.h>

/* Rows whose lookup is prefetched ahead of the one being counted. */
#define FF_TB_PREFETCH 16

/* The rows of `b` in the query's window (nfdump's -t) and filter, into sel; how many. */
static size_t ff_tb_select(const ff_topn_query *q, const ff_block *b, uint16_t *sel)
{
	size_t m = 0;
	uint64_t until = q->until_ms ? q->until_ms : UINT64_MAX;
	if (q->since_ms == 0 && until == UINT64_MAX) {
		for (size_t i = 0; i < b->n; i++)
			sel[i] = (uint16_t)i;
		m = b->n;
	} else {
		for (size_t i = 0; i < b->n; i++) {
			sel[m] = (uint16_t)i;
			m += b->first_ms[i] >= q->since_ms && b->last_ms[i] <= until;
		}
	}
	return q->filter != NULL ? ff_filter_select(q->filter, b, sel, m) : m;
}

static inline void ff_tb_key_addr16(uint64_t *w, const uint8_t *addr, bool wild)
{
	uint8_t k[24] = {0};
	k[0] = wild;
	if (!wild)
		memcpy(k + 1, addr, FF_ADDR_LEN);
	memcpy(w, k, sizeof k);
}

/*
 * Splits the selected rows of an address column between the tables: IPv4
 * addresses (every row of a v4 column, v4-mapped ones of a 16-byte column)
 * into rows4/v4, wildcards and IPv6 addresses into rows/keys. Returns how
 * many went to the general table; *n4 gets the others.
 */
static size_t ff_tb_keys_addr(ff__topn_scratch *s, size_t m, const uint32_t *v4,
			      const uint8_t *a16, const uint32_t *wc, uint32_t wbit, size_t *n4)
{
	size_t n = 0, k = 0;
	for (size_t j = 0; j < m; j++) {
		uint16_t i = s->sel[j];
		bool wild = wbit != 0 && (wc[i] & wbit);
		const uint8_t *a = v4 != NULL ? NULL : a16 + (size_t)i * FF_ADDR_LEN;
		if (!wild && (v4 != NULL || ff_addr_is_v4(a))) {
			s->v4[k] = v4 != NULL ? v4[i] : ff_addr_v4(a);
			s->rows4[k++] = i;
			continue;
		}
		ff_tb_key_addr16(s->keys[n], wild ? NULL : a, wild);
		s->rows[n++] = i;
	}
	*n4 = k;
	return n;
}

/* A number key ([wildcard][4 bytes big-endian]) in one word. */
static inline uint64_t ff_tb_key_number(uint32_t v, bool wild)
{
	uint8_t k[8] = {0};
	k[0] = wild;
	if (!wild) {
		k[1] = (uint8_t)(v >> 24);
		k[2] = (uint8_t)(v >> 16);
		k[3] = (uint8_t)(v >> 8);
		k[4] = (uint8_t)v;
	}
	uint64_t w;
	memcpy(&w, k, 8);
	return w;
}

static void ff_tb_keys_number(ff__topn_scratch *s, size_t m, const uint32_t *v,
			      const uint32_t *wc, uint32_t wbit)
{
	for (size_t j = 0; j < m; j++) {
		size_t i = s->sel[j];
		s->keys[j][0] = ff_tb_key_number(v[i], wbit != 0 && (wc[i] & wbit));
		s->rows[j] = (uint16_t)i;
	}
}

static inline void ff_tb_count(ff__topn_counts *c, const ff_block *b, size_t i, bool created)
{
	ff_counter_add(&c->flows, b->flows[i]);
	ff_counter_add(&c->packets, b->packets[i]);
	ff_counter_add(&c->bytes, b->bytes[i]);
	if (created || b->first_ms[i] < c->first_ms)
		c->first_ms = b->first_ms[i];
	if (created || b->last_ms[i] > c->last_ms)
		c->last_ms = b->last_ms[i];
}

/* Looks up and counts rows[0 .. n) of the scratch, whose keys are in keys[]. */
static int ff_tb_group(ff__topn_ctx *x, const ff_block *b, size_t n)
{
	ff__topn_scratch *s = x->scratch;
	size_t words = x->groups.words;
	for (size_t j = 0; j < n; j++)
		s->hash[j] = ff__topn_hash(s->keys[j], words);
	for (size_t j = 0; j < n; j++) {
		if (j + FF_TB_PREFETCH < n && x->hll == NULL) {
			/* A slot of counters and key spans two cache lines: fetch both. */
			const uint8_t *home = ff__topn_table_home(&x->groups, s->hash[j + FF_TB_PREFETCH]);
			__builtin_prefetch(home);
			__builtin_prefetch(home + x->groups.stride - 1);
		}
		int created = 0;
		ff__topn_counts *c = ff__topn_group_hashed(x, s->keys[j], s->hash[j], &created);
		if (c == NULL)
			return -1;
		ff_tb_count(c, b, s->rows[j], created);
	}
	return 0;
}

/* The same for the IPv4 rows rows4[0 .. n) and their addresses v4[]. */
static int ff_tb_group4(ff__topn_ctx *x, const ff_block *b, size_t n)
{
	ff__topn_scratch *s = x->scratch;
	for (size_t j = 0; j < n; j++)
		s->hash4[j] = ff__topn_hash4(s->v4[j]);
	for (size_t j = 0; j < n; j++) {
		if (j + FF_TB_PREFETCH < n && x->hll == NULL) {
			const ff__topn_slot4 *home = ff__topn_table4_home(&x->groups4, s->hash4[j + FF_TB_PREFETCH]);
			__builtin_prefetch(home);
			__builtin_prefetch((const uint8_t *)(home + 1) - 1);
		}
		int created = 0;
		ff__topn_counts *c = ff__topn_group4(x, s->v4[j], s->hash4[j], &created);
		if (c == NULL)
			return -1;
		ff_tb_count(c, b, s->rows4[j], created);
	}
	return 0;
}

/*
 * Ports and protocols: the direct slot of each selected row is its value (or
 * the wildcard's). The slots are worked out first so the counting loop can
 * prefetch: 65,537 slots of counters outgrow a core's L2 cache, and half
 * the ports of a scan are anywhere.
 */
static void ff_tb_direct(ff__topn_ctx *x, const ff_block *b, size_t m, const uint16_t *v16,
			 const uint8_t *v8, uint32_t wbit)
{
	ff__topn_scratch *s = x->scratch;
	bool wilds = (b->any_wildcards & wbit) != 0;
	for (size_t j = 0; j < m; j++) {
		size_t i = s->sel[j];
		s->hash[j] = v16 != NULL ? v16[i] : v8[i];
		if (wilds && (b->wildcards[i] & wbit))
			s->hash[j] = FF_TOPN_DIRECT_SLOTS - 1;
	}
	for (size_t j = 0; j < m; j++) {
		if (j + FF_TB_PREFETCH < m)
			__builtin_prefetch(&x->direct[s->hash[j + FF_TB_PREFETCH]]);
		size_t slot = s->hash[j];
		bool created = !x->seen[slot];
		x->seen[slot] = 1;
		ff_tb_count(&x->direct[slot], b, s->sel[j], created);
	}
}

/* The agent element: one key for the whole block. */
static int ff_tb_agent(ff__topn_ctx *x, const ff_block *b, size_t m)
{
	ff__topn_key k;
	memset(&k, 0, sizeof k);
	memcpy(k.b + 1, b->agent_id, strnlen(b->agent_id, FF_AGENT_ID_MAX));
	int created = 0;
	ff__topn_counts *c =
	    ff__topn_group_hashed(x, &k, ff__topn_hash(&k, x->groups.words), &created);
	if (c == NULL)
		return -1;
	for (size_t j = 0; j < m; j++, created = 0)
		ff_tb_count(c, b, x->scratch->sel[j], created);
	return 0;
}

/* Groups one address column of the block (element side src, dst or exporter). */
static int ff_tb_addr(ff__topn_ctx *x, const ff_block *b, size_t m, enum ff_element el)
{
	ff__topn_scratch *s = x->scratch;
	uint32_t wa = b->any_wildcards;
	size_t n, n4;
	if (el == FF_EL_SRCIP)
		n = ff_tb_keys_addr(s, m, b->src_v4, b->src_addr, b->wildcards,
				    wa & FF_FIELD_SRC_ADDR, &n4);
	else if (el == FF_EL_DSTIP)
		n = ff_tb_keys_addr(s, m, b->dst_v4, b->dst_addr, b->wildcards,
				    wa & FF_FIELD_DST_ADDR, &n4);
	else
		n = ff_tb_keys_addr(s, m, NULL, b->exporter, b->wildcards, wa & FF_FIELD_EXPORTER,
				    &n4);
	if (ff_tb_group4(x, b, n4) != 0)
		return -1;
	return ff_tb_group(x, b, n);
}

/* Groups one number column of the block. */
static int ff_tb_number(ff__topn_ctx *x, const ff_block *b, size_t m, enum ff_element el)
{
	ff__topn_scratch *s = x->scratch;
	uint32_t wa = b->any_wildcards;
	switch (el) {
	case FF_EL_SRCAS:
		ff_tb_keys_number(s, m, b->src_as, b->wildcards, wa & FF_FIELD_SRC_AS);
		break;
	case FF_EL_DSTAS:
		ff_tb_keys_number(s, m, b->dst_as, b->wildcards, wa & FF_FIELD_DST_AS);
		break;
	case FF_EL_INIF:
		ff_tb_keys_number(s, m, b->in_if, b->wildcards, wa & FF_FIELD_IN_IF);
		break;
	default:
		ff_tb_keys_number(s, m, b->out_if, b->wildcards, wa & FF_FIELD_OUT_IF);
		break;
	}
	return ff_tb_group(x, b, m);
}

/* Counts the selected rows under their element's keys: one per row, two for ip and port. */
static int ff_tb_aggregate(ff__topn_ctx *x, const ff_block *b, size_t m)
{
	switch (x->q->element) {
	case FF_EL_SRCPORT:
	case FF_EL_DSTPORT:
	case FF_EL_PORT:
		if (x->q->element != FF_EL_DSTPORT)
			ff_tb_direct(x, b, m, b->src_port, NULL, FF_FIELD_SRC_PORT);
		if (x->q->element != FF_EL_SRCPORT)
			ff_tb_direct(x, b, m, b->dst_port, NULL, FF_FIELD_DST_PORT);
		return 0;
	case FF_EL_PROTO:
		ff_tb_direct(x, b, m, NULL, b->proto, FF_FIELD_PROTO);
		return 0;
	case FF_EL_AGENT:
		return ff_tb_agent(x, b, m);
	case FF_EL_IP:
		if (ff_tb_addr(x, b, m, FF_EL_SRCIP) != 0)
			return -1;
		return ff_tb_addr(x, b, m, FF_EL_DSTIP);
	case FF_EL_SRCIP:
	case FF_EL_DSTIP:
	case FF_EL_EXPORTER:
		return ff_tb_addr(x, b, m, x->q->element);
	default:
		return ff_tb_number(x, b, m, x->q->element);
	}
}

/* The totals of the selected rows: counted once per record, whatever its keys. */
static void ff_tb_totals(ff_topn_total *t, const ff_block *b, const uint16_t *sel, size_t m)
{
	uint64_t flows = 0, packets = 0, bytes = 0, first = UINT64_MAX, last = 0;
	for (size_t j = 0; j < m; j++) {
		size_t i = sel[j];
		ff_counter_add(&flows, b->flows[i]);
		ff_counter_add(&packets, b->packets[i]);
		ff_counter_add(&bytes, b->bytes[i]);
		first = b->first_ms[i] < first ? b->first_ms[i] : first;
		last = b->last_ms[i] > last ? b->last_ms[i] : last;
	}
	if (m == 0)
		return;
	ff_counter_add(&t->flows, flows);
	ff_counter_add(&t->packets, packets);
	ff_counter_add(&t->bytes, bytes);
	t->records += m;
	if (t->first_ms == 0 || first < t->first_ms)
		t->first_ms = first;
	if (last > t->last_ms)
		t->last_ms = last;
}

int ff__topn_scan_block(void *arg, const ff_block *b)
{
	ff__topn_ctx *x = arg;
	if (ff_query_expired(x->q->deadline_ms)) {
		x->failed = true;
		return 1;
	}
	if (x->q->agent != NULL && strcmp(x->q->agent, b->agent_id) != 0)
		return 0;
	size_t m = ff_tb_select(x->q, b, x->scratch->sel);
	if (m == 0)
		return 0;
	/* The columns beyond those rows are chosen by, for the chosen rows only. */
	ff_block full = *b;
	int rc = ff_block_load(&full, x->scratch->sel, m);
	if (rc != 0)
		return rc;
	b = &full;
	if (ff_tb_aggregate(x, b, m) != 0) {
		x->failed = true;
		return 1;
	}
	ff_tb_totals(&x->total, b, x->scratch->sel, m);
	return 0;
}
