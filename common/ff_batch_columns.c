/*
 * Version 2 FlowBatch encoding: the records as packed columns
 * (docs/protocol.md), in the order of ff_batch_order() (ff_batch_order.c).
 * A column that is zero for every record is left empty.
 */
#include "ff_batch_impl.h"

#include "ff_frame.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t ff_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint64_t ff_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

size_t ff_batch_column_cost(const ff_flow *f, uint64_t interval_start_ms)
{
	int64_t d_first = (int64_t)(f->first_ms - interval_start_ms);
	int64_t d_len = (int64_t)(f->last_ms - f->first_ms);
	return ff_varint_len(ff_zigzag(d_first)) + ff_varint_len(ff_zigzag(d_len)) +
	       ff_varint_len(f->src_port) + ff_varint_len(f->dst_port) + 2 /* proto, flags */ +
	       ff_varint_len(f->bytes) + ff_varint_len(f->packets) + ff_varint_len(f->flows) +
	       4 /* tos, interfaces, exporter index: usually one byte or empty */;
}

bool ff_batch_addr_fits4(const uint8_t addr[FF_ADDR_LEN], bool wildcarded)
{
	static const uint8_t zero[FF_ADDR_LEN];
	if (memcmp(addr, zero, FF_ADDR_LEN) == 0)
		return wildcarded;
	if (!ff_addr_is_v4(addr))
		return false;
	return !(wildcarded && memcmp(addr + 12, zero, 4) == 0);
}

/* Every column's storage, one allocation. */
typedef struct ff_batch_cols {
	int64_t *first, *dur;
	uint64_t *bytes, *packets, *flows;
	uint32_t *u32[12]; /* in the order of enum ff_batch_u32_field */
	uint8_t *src, *dst;
	void *mem;
} ff_batch_cols;

enum ff_batch_u32_field {
	FF_C_EXP_INDEX,
	FF_C_SRC_PORT,
	FF_C_DST_PORT,
	FF_C_PROTO,
	FF_C_TCP_FLAGS,
	FF_C_TOS,
	FF_C_IN_IF,
	FF_C_OUT_IF,
	FF_C_SRC_AS,
	FF_C_DST_AS,
	FF_C_SAMPLING,
	FF_C_WILDCARDS,
	FF_C_N_U32 = 12,
};

static int ff_batch_cols_alloc(ff_batch_cols *c, size_t n)
{
	size_t m = n ? n : 1;
	size_t sz = m * (5 * sizeof(uint64_t) + FF_C_N_U32 * sizeof(uint32_t) + 2 * FF_ADDR_LEN);
	uint8_t *p = malloc(sz);
	if (p == NULL)
		return -ENOMEM;
	c->mem = p;
	c->first = (int64_t *)p;
	c->dur = c->first + m;
	c->bytes = (uint64_t *)(c->dur + m);
	c->packets = c->bytes + m;
	c->flows = c->packets + m;
	uint32_t *u = (uint32_t *)(c->flows + m);
	for (int i = 0; i < FF_C_N_U32; i++, u += m)
		c->u32[i] = u;
	c->src = (uint8_t *)u;
	c->dst = c->src + m * FF_ADDR_LEN;
	return 0;
}

/* The dictionary index of `addr`, adding it when new; -1 when out of memory. */
static int64_t ff_batch_exporter_index(ff_hmap *dict, uint8_t *dict_bytes, size_t *n_dict,
				       const uint8_t addr[FF_ADDR_LEN])
{
	int created = 0;
	uint32_t *slot = ff_hmap_upsert(dict, addr, &created);
	if (slot == NULL)
		return -1;
	if (created) {
		*slot = (uint32_t)*n_dict;
		memcpy(dict_bytes + *n_dict * FF_ADDR_LEN, addr, FF_ADDR_LEN);
		(*n_dict)++;
	}
	return *slot;
}

static void ff_batch_fill_row(ff_batch_cols *c, size_t i, const ff_flow *f, uint64_t start,
			      uint32_t exp_index)
{
	c->first[i] = (int64_t)(f->first_ms - start);
	c->dur[i] = (int64_t)(f->last_ms - f->first_ms);
	c->bytes[i] = f->bytes;
	c->packets[i] = f->packets;
	c->flows[i] = f->flows;
	const uint32_t row[FF_C_N_U32] = {
	    exp_index, f->src_port, f->dst_port, f->proto,  f->tcp_flags,     f->tos,
	    f->in_if,  f->out_if,   f->src_as,	 f->dst_as, f->sampling_rate, f->wildcards,
	};
	for (int k = 0; k < FF_C_N_U32; k++)
		c->u32[k][i] = row[k];
	memcpy(c->src + i * FF_ADDR_LEN, f->src_addr, FF_ADDR_LEN);
	memcpy(c->dst + i * FF_ADDR_LEN, f->dst_addr, FF_ADDR_LEN);
}

/* Narrows a 16-byte address column to 4 bytes a record in place. */
static void ff_batch_narrow(uint8_t *col, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memmove(col + i * 4, col + i * FF_ADDR_LEN + 12, 4);
}

static bool ff_batch_u32_zero(const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != 0)
			return false;
	return true;
}

static bool ff_batch_u64_zero(const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != 0)
			return false;
	return true;
}

static bool ff_batch_bytes_zero(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != 0)
			return false;
	return true;
}

/* Sets a column of the message, left empty when every entry is zero. */
#define FF_BATCH_SET_COL(msg, field, vals, n, zero_fn)                                             \
	do {                                                                                       \
		if (!zero_fn((vals), (n))) {                                                       \
			(msg).n_##field = (n);                                                     \
			(msg).field = (vals);                                                      \
		}                                                                                  \
	} while (0)

static void ff_batch_set_addrs(uint8_t *col, size_t n, bool wide, uint32_t *width,
			       ProtobufCBinaryData *out)
{
	if (ff_batch_bytes_zero(col, n * FF_ADDR_LEN))
		return; /* every address wildcarded away: an empty column */
	if (!wide)
		ff_batch_narrow(col, n);
	*width = wide ? FF_ADDR_LEN : 4;
	out->data = col;
	out->len = n * *width;
}

static void ff_batch_cols_to_pb(ff_batch_cols *c, size_t n, bool src16, bool dst16,
				Flowfleet__FlowBatch *m)
{
	/* first_ms is always there: its length is the record count. */
	m->n_first_ms = n;
	m->first_ms = c->first;
	if (!ff_batch_u64_zero((const uint64_t *)c->dur, n)) {
		m->n_duration_ms = n;
		m->duration_ms = c->dur;
	}
	ff_batch_set_addrs(c->src, n, src16, &m->src_addr_width, &m->src_addrs);
	ff_batch_set_addrs(c->dst, n, dst16, &m->dst_addr_width, &m->dst_addrs);
	FF_BATCH_SET_COL(*m, exporter_index, c->u32[FF_C_EXP_INDEX], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, src_port, c->u32[FF_C_SRC_PORT], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, dst_port, c->u32[FF_C_DST_PORT], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, proto, c->u32[FF_C_PROTO], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, tcp_flags, c->u32[FF_C_TCP_FLAGS], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, tos, c->u32[FF_C_TOS], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, in_if, c->u32[FF_C_IN_IF], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, out_if, c->u32[FF_C_OUT_IF], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, src_as, c->u32[FF_C_SRC_AS], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, dst_as, c->u32[FF_C_DST_AS], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, bytes, c->bytes, n, ff_batch_u64_zero);
	FF_BATCH_SET_COL(*m, packets, c->packets, n, ff_batch_u64_zero);
	FF_BATCH_SET_COL(*m, flows, c->flows, n, ff_batch_u64_zero);
	FF_BATCH_SET_COL(*m, sampling_rate, c->u32[FF_C_SAMPLING], n, ff_batch_u32_zero);
	FF_BATCH_SET_COL(*m, wildcards, c->u32[FF_C_WILDCARDS], n, ff_batch_u32_zero);
}

int ff_batch_build_columns(const ff_batch *head, const ff_flow **recs, size_t n, uint8_t **frame,
			   size_t *frame_len)
{
	ff_batch_cols c = {0};
	uint8_t *dict_bytes = NULL;
	ff_hmap *dict = NULL;
	int rc = -ENOMEM;
	if (ff_batch_cols_alloc(&c, n) != 0)
		goto out;
	dict = ff_hmap_new(FF_ADDR_LEN, sizeof(uint32_t), 16);
	dict_bytes = malloc((n ? n : 1) * FF_ADDR_LEN);
	if (dict == NULL || dict_bytes == NULL)
		goto out;
	if ((rc = ff_batch_order(recs, n)) != 0)
		goto out;
	rc = -ENOMEM;
	size_t n_dict = 0;
	bool src16 = false, dst16 = false;
	/* Exporters come in runs (most agents hear one): look up only a change. */
	const uint8_t *last_exp = NULL;
	int64_t ix = 0;
	for (size_t i = 0; i < n; i++) {
		const ff_flow *f = recs[i];
		if (last_exp == NULL || memcmp(last_exp, f->exporter, FF_ADDR_LEN) != 0) {
			ix = ff_batch_exporter_index(dict, dict_bytes, &n_dict, f->exporter);
			last_exp = f->exporter;
		}
		if (ix < 0)
			goto out;
		ff_batch_fill_row(&c, i, f, head->interval_start_ms, (uint32_t)ix);
		src16 |= !ff_batch_addr_fits4(f->src_addr, f->wildcards & FF_FIELD_SRC_ADDR);
		dst16 |= !ff_batch_addr_fits4(f->dst_addr, f->wildcards & FF_FIELD_DST_ADDR);
	}
	Flowfleet__FlowBatch msg = FLOWFLEET__FLOW_BATCH__INIT;
	ff_batch_head_to_pb(head, &msg);
	ff_batch_cols_to_pb(&c, n, src16, dst16, &msg);
	/* One exporter at zero (the agent's own tests) needs no dictionary either. */
	if (!ff_batch_bytes_zero(dict_bytes, n_dict * FF_ADDR_LEN)) {
		msg.exporter_dict.data = dict_bytes;
		msg.exporter_dict.len = n_dict * FF_ADDR_LEN;
	}
	rc = ff_batch_pack_frame(&msg, FF_BATCH_WIRE_COLUMNS, frame, frame_len);
out:
	ff_hmap_free(dict);
	free(dict_bytes);
	free(c.mem);
	return rc;
}
