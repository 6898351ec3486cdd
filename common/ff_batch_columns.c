/*
 * Version 2 FlowBatch encoding: the records as columns (docs/protocol.md),
 * in the order of ff_batch_order() (ff_batch_order.c). Integer columns are
 * frame-of-reference bit-packed (ff_batch_bits.c): one pass gathers each
 * column's range, a second writes the bits, so a batch costs one output
 * buffer and no per-record allocation. IPv4 address columns travel as
 * varint deltas, which the sort keeps mostly small. Version 3's coded
 * columns are chosen in ff_batch_columns_code.c and written here with the
 * others, row by row.
 */
#include "ff_batch_plan.h"

#include "ff_bytes.h"
#include "ff_frame.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t ff_batch_column_cost(const ff_flow *f, uint64_t interval_start_ms)
{
	/* An upper bound of the packed columns: varints are never shorter than the bits. */
	int64_t d_first = (int64_t)(f->first_ms - interval_start_ms);
	int64_t d_len = (int64_t)(f->last_ms - f->first_ms);
	return ff_varint_len(ff_batch_zigzag(d_first)) + ff_varint_len(ff_batch_zigzag(d_len)) +
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

ProtobufCBinaryData *ff_batch_col_field(Flowfleet__FlowBatch *m, enum ff_batch_col c)
{
	switch (c) {
	case FF_C_FIRST:
		return &m->first_ms;
	case FF_C_DUR:
		return &m->duration_ms;
	case FF_C_EXP_INDEX:
		return &m->exporter_index;
	case FF_C_SRC_PORT:
		return &m->src_port;
	case FF_C_DST_PORT:
		return &m->dst_port;
	case FF_C_PROTO:
		return &m->proto;
	case FF_C_TCP_FLAGS:
		return &m->tcp_flags;
	case FF_C_TOS:
		return &m->tos;
	case FF_C_IN_IF:
		return &m->in_if;
	case FF_C_OUT_IF:
		return &m->out_if;
	case FF_C_SRC_AS:
		return &m->src_as;
	case FF_C_DST_AS:
		return &m->dst_as;
	case FF_C_BPP:
		return &m->bytes_per_packet;
	case FF_C_PACKETS:
		return &m->packets;
	case FF_C_FLOWS:
		return &m->flows;
	case FF_C_SAMPLING:
		return &m->sampling_rate;
	case FF_C_WILDCARDS:
		return &m->wildcards;
	case FF_C_BYTES_REM:
		return &m->bytes_remainder;
	case FF_C_N:
		break;
	}
	return NULL;
}

/*
 * Records are read in address order, which is no order in the summarizer's
 * table: each first touch would be a cache miss (most of an encode's time
 * under a flood). Asking for the record a few rows ahead overlaps them.
 */
#define FF_BATCH_AHEAD 8

static inline void ff_batch_prefetch(const ff_flow *const *recs, size_t i, size_t n)
{
	if (i + FF_BATCH_AHEAD < n) {
		const char *r = (const char *)recs[i + FF_BATCH_AHEAD];
		__builtin_prefetch(r);
		__builtin_prefetch(r + sizeof(ff_flow) - 1);
	}
}

/* Record `f`'s value in every integer column. */
static void ff_batch_row_values(const ff_flow *f, uint64_t start, uint32_t exp_index,
				uint64_t v[FF_C_N])
{
	v[FF_C_FIRST] = (f->first_ms - start) ^ FF_BATCH_BIAS;
	v[FF_C_DUR] = (f->last_ms - f->first_ms) ^ FF_BATCH_BIAS;
	v[FF_C_EXP_INDEX] = exp_index;
	v[FF_C_SRC_PORT] = f->src_port;
	v[FF_C_DST_PORT] = f->dst_port;
	v[FF_C_PROTO] = f->proto;
	v[FF_C_TCP_FLAGS] = f->tcp_flags;
	v[FF_C_TOS] = f->tos;
	v[FF_C_IN_IF] = f->in_if;
	v[FF_C_OUT_IF] = f->out_if;
	v[FF_C_SRC_AS] = f->src_as;
	v[FF_C_DST_AS] = f->dst_as;
	/* Packet sizes are bounded where byte counts are not: a few bits fewer. */
	v[FF_C_BPP] = f->packets ? f->bytes / f->packets : 0;
	v[FF_C_BYTES_REM] = f->packets ? f->bytes % f->packets : f->bytes;
	v[FF_C_PACKETS] = f->packets;
	v[FF_C_FLOWS] = f->flows;
	v[FF_C_SAMPLING] = f->sampling_rate;
	v[FF_C_WILDCARDS] = f->wildcards;
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

static int ff_batch_plan_rows(ff_batch_plan *p, const ff_flow *const *recs, size_t n,
			      uint64_t start)
{
	static const uint8_t zero[FF_ADDR_LEN];
	ff_hmap *dict = ff_hmap_new(FF_ADDR_LEN, sizeof(uint32_t), 16);
	if (dict == NULL)
		return -ENOMEM;
	for (int c = 0; c < FF_C_N; c++)
		ff_intcol_plan_init(&p->cols[c]);
	ff_intcol_plan_init(&p->last_plan);
	/* Exporters come in runs (most agents hear one): look up only a change. */
	const uint8_t *last_exp = NULL;
	int64_t ix = 0;
	for (size_t i = 0; i < n; i++) {
		ff_batch_prefetch(recs, i, n);
		const ff_flow *f = recs[i];
		if (last_exp == NULL || memcmp(last_exp, f->exporter, FF_ADDR_LEN) != 0) {
			ix = ff_batch_exporter_index(dict, p->dict_bytes, &p->n_dict, f->exporter);
			last_exp = f->exporter;
		}
		if (ix < 0) {
			ff_hmap_free(dict);
			return -ENOMEM;
		}
		uint64_t *v = p->vals + i * FF_C_N;
		ff_batch_row_values(f, start, (uint32_t)ix, v);
		for (int c = 0; c < FF_C_N; c++)
			ff_intcol_plan_add(&p->cols[c], v[c]);
		p->last[i] = (f->last_ms - start) ^ FF_BATCH_BIAS;
		ff_intcol_plan_add(&p->last_plan, p->last[i]);
		p->src16 |= !ff_batch_addr_fits4(f->src_addr, f->wildcards & FF_FIELD_SRC_ADDR);
		p->dst16 |= !ff_batch_addr_fits4(f->dst_addr, f->wildcards & FF_FIELD_DST_ADDR);
		p->src_any |= memcmp(f->src_addr, zero, FF_ADDR_LEN) != 0;
		p->dst_any |= memcmp(f->dst_addr, zero, FF_ADDR_LEN) != 0;
		p->src4[i] =
		    (uint64_t)ff_addr_is_v4(f->src_addr) << 32 | ff_get_be32(f->src_addr + 12);
		p->dst4[i] = ff_get_be32(f->dst_addr + 12);
	}
	ff_hmap_free(dict);
	/* Now that every base is known: how long each offset is, to choose widths. */
	for (size_t i = 0; i < n; i++) {
		const uint64_t *v = p->vals + i * FF_C_N;
		for (int c = 0; c < FF_C_N; c++)
			ff_intcol_plan_count(&p->cols[c], v[c]);
		ff_intcol_plan_count(&p->last_plan, p->last[i]);
	}
	for (int c = 0; c < FF_C_N; c++)
		ff_intcol_plan_finish(&p->cols[c]);
	ff_intcol_plan_finish(&p->last_plan);
	return 0;
}

/* Bytes an address column may take at most (width 4: a 5-byte varint a record). */
static size_t ff_batch_addr_bound(bool any, bool wide, size_t n)
{
	return any ? n * (wide ? FF_ADDR_LEN : 5) : 0;
}

/*
 * The IPv4 address columns. Sources are sorted: a delta against the
 * previous record's. Destinations are sorted within a run of one source:
 * a delta against the previous record's when the source is the same, else
 * against the first destination of the previous run (both small). Deltas
 * are zigzag varints, so no order is assumed.
 */
typedef struct ff_batch_addr4 {
	uint8_t *src, *dst;
	uint32_t prev_src, prev_dst, run_dst;
} ff_batch_addr4;

static void ff_batch_put_addrs(ff_batch_addr4 *a, const ff_batch_plan *p, const ff_flow *f,
			       const ff_flow *prev)
{
	if (p->src_any && p->src16) {
		memcpy(a->src, f->src_addr, FF_ADDR_LEN);
		a->src += FF_ADDR_LEN;
	} else if (p->src_any) {
		uint32_t s = ff_get_be32(f->src_addr + 12);
		a->src = ff_varint_put(a->src, ff_batch_zigzag((int64_t)s - (int64_t)a->prev_src));
		a->prev_src = s;
	}
	if (p->dst_any && p->dst16) {
		memcpy(a->dst, f->dst_addr, FF_ADDR_LEN);
		a->dst += FF_ADDR_LEN;
	} else if (p->dst_any && !p->dst_coded) {
		uint32_t d = ff_get_be32(f->dst_addr + 12);
		bool same_src =
		    prev != NULL && memcmp(prev->src_addr, f->src_addr, FF_ADDR_LEN) == 0;
		uint32_t ref = same_src ? a->prev_dst : a->run_dst;
		a->dst = ff_varint_put(a->dst, ff_batch_zigzag((int64_t)d - (int64_t)ref));
		if (!same_src)
			a->run_dst = d;
		a->prev_dst = d;
	}
}

/* ff_batch_put_addrs() for IPv4 columns, from the plan's copies of the addresses. */
static void ff_batch_put_addrs4(ff_batch_addr4 *a, const ff_batch_plan *p, size_t i)
{
	if (p->src_any) {
		uint32_t s = (uint32_t)p->src4[i];
		a->src = ff_varint_put(a->src, ff_batch_zigzag((int64_t)s - (int64_t)a->prev_src));
		a->prev_src = s;
	}
	if (p->dst_any && !p->dst_coded) {
		uint32_t d = p->dst4[i];
		bool same_src = i > 0 && p->src4[i - 1] == p->src4[i];
		uint32_t ref = same_src ? a->prev_dst : a->run_dst;
		a->dst = ff_varint_put(a->dst, ff_batch_zigzag((int64_t)d - (int64_t)ref));
		if (!same_src)
			a->run_dst = d;
		a->prev_dst = d;
	}
}

/* Writes every column of the planned records into `out`, pointing `m`'s fields at them. */
static void ff_batch_write_cols(const ff_batch_plan *p, const ff_flow *const *recs, size_t n,
				uint8_t *out, Flowfleet__FlowBatch *m)
{
	ff_intcol_writer w[FF_C_N];
	int active[FF_C_N], n_active = 0; /* the bit-packed columns not empty, row by row */
	int coded[FF_C_N], n_coded = 0;	  /* the coded ones, row by row too */
	for (int c = 0; c < FF_C_N; c++) {
		size_t len = ff_batch_col_len(p, c);
		ProtobufCBinaryData *field = ff_batch_col_field(m, (enum ff_batch_col)c);
		field->data = out;
		field->len = len;
		if (p->coded[c]) {
			ff_huffcol_begin(&p->huff[c], out, &w[c]);
			coded[n_coded++] = c;
		} else if (len > 0) { /* an empty column has no header either */
			ff_intcol_begin(&w[c], &p->cols[c], out);
			active[n_active++] = c;
		}
		out += len;
	}
	ff_batch_addr4 a = {.src = out, .dst = out + ff_batch_addr_bound(p->src_any, p->src16, n)};
	m->src_addrs.data = a.src;
	m->dst_addrs.data = a.dst;
	bool addrs4 = !p->src16 && !p->dst16;
	for (size_t i = 0; i < n; i++) {
		const uint64_t *v = p->vals + i * FF_C_N;
		for (int k = 0; k < n_active; k++)
			ff_intcol_put(&w[active[k]], v[active[k]]);
		for (int k = 0; k < n_coded; k++) {
			int c = coded[k];
			ff_huffcol_put(&w[c], &p->huff[c], (uint32_t)(v[c] - p->huff[c].base));
		}
		if (addrs4) {
			ff_batch_put_addrs4(&a, p, i);
		} else {
			ff_batch_prefetch(recs, i, n);
			ff_batch_put_addrs(&a, p, recs[i], i > 0 ? recs[i - 1] : NULL);
		}
	}
	for (int k = 0; k < n_active; k++)
		ff_batch_col_field(m, (enum ff_batch_col)active[k])->len =
		    ff_intcol_end(&w[active[k]]);
	for (int k = 0; k < n_coded; k++)
		ff_batch_col_field(m, (enum ff_batch_col)coded[k])->len =
		    ff_intcol_end(&w[coded[k]]);
	if (p->dst_coded)
		a.dst += ff_huffcol_write_ids(&p->dst_huff, p->dst_ids, n, a.dst);
	m->src_addrs.len = (size_t)(a.src - m->src_addrs.data);
	m->dst_addrs.len = (size_t)(a.dst - m->dst_addrs.data);
	m->src_addr_width = p->src_any ? (p->src16 ? FF_ADDR_LEN : 4) : 0;
	m->dst_addr_width = p->dst_any ? (p->dst16 ? FF_ADDR_LEN : 4) : 0;
	if (p->dst_coded)
		m->dst_addr_width = FF_BATCH_ADDR_INTCOL;
}

static int ff_batch_build_one(const ff_batch *head, const ff_flow **recs, size_t n, bool coded,
			      uint8_t **frame, size_t *frame_len)
{
	static const uint8_t zero[FF_ADDR_LEN];
	ff_batch_plan p = {0};
	uint8_t *out = NULL;
	int rc = -ENOMEM;
	p.vals = malloc((n ? n : 1) * FF_C_N * sizeof *p.vals);
	p.src4 = malloc((n ? n : 1) * sizeof *p.src4);
	p.dst4 = malloc((n ? n : 1) * sizeof *p.dst4);
	p.last = malloc((n ? n : 1) * sizeof *p.last);
	p.dict_bytes = malloc((n ? n : 1) * FF_ADDR_LEN);
	if (p.vals == NULL || p.src4 == NULL || p.dst4 == NULL || p.last == NULL ||
	    p.dict_bytes == NULL)
		goto out;
	if ((rc = ff_batch_order(recs, n)) != 0 ||
	    (rc = ff_batch_plan_rows(&p, recs, n, head->interval_start_ms)) != 0 ||
	    (coded && (rc = ff_batch_plan_codes(&p, n)) != 0) ||
	    (coded && (rc = ff_batch_plan_dst_code(&p, n)) != 0) ||
	    (coded && (rc = ff_batch_plan_anchor(&p, n)) != 0))
		goto out;
	size_t total = ff_batch_addr_bound(p.src_any, p.src16, n) +
		       (p.dst_coded ? ff_huffcol_len(&p.dst_huff)
				    : ff_batch_addr_bound(p.dst_any, p.dst16, n));
	for (int c = 0; c < FF_C_N; c++)
		total += ff_batch_col_len(&p, c);
	rc = -ENOMEM;
	if ((out = malloc(total ? total : 1)) == NULL)
		goto out;
	Flowfleet__FlowBatch msg = FLOWFLEET__FLOW_BATCH__INIT;
	ff_batch_head_to_pb(head, &msg);
	msg.record_count = (uint32_t)n;
	msg.time_anchor = p.anchor_last ? 1 : 0;
	ff_batch_write_cols(&p, recs, n, out, &msg);
	/* One exporter at zero (the agent's own tests) needs no dictionary. */
	if (p.n_dict > 1 || (p.n_dict == 1 && memcmp(p.dict_bytes, zero, FF_ADDR_LEN) != 0)) {
		msg.exporter_dict.data = p.dict_bytes;
		msg.exporter_dict.len = p.n_dict * FF_ADDR_LEN;
	}
	rc = FF_BATCH_ESPARSE;
	if (n > FF_BATCH_V2_FREE_RECORDS && flowfleet__flow_batch__get_packed_size(&msg) < n)
		goto out;
	/* Version 3 goes in framing version 3: an older aggregator refuses the frame. */
	rc = ff_batch_pack_frame(&msg, coded ? FF_BATCH_WIRE_CODED : FF_BATCH_WIRE_COLUMNS, frame,
				 frame_len);
out:
	for (int c = 0; c < FF_C_N; c++)
		if (p.coded[c])
			ff_huffcol_plan_free(&p.huff[c]);
	if (p.dst_coded)
		ff_huffcol_plan_free(&p.dst_huff);
	free(p.dst_off);
	free(p.dst_ids);
	free(out);
	free(p.vals);
	free(p.src4);
	free(p.dst4);
	free(p.last);
	free(p.dict_bytes);
	return rc;
}

/*
 * Codes are chosen on the bytes before lz4. A small batch's bit-packed
 * columns repeat whole bytes that lz4 finds across the frame, so there the
 * uncoded frame can come out shorter (softflowd's exports do): both are
 * built and the shorter one is sent. A large batch is not built twice.
 */
#define FF_BATCH_TRY_BOTH 8192

int ff_batch_build_columns(const ff_batch *head, const ff_flow **recs, size_t n, bool coded,
			   uint8_t **frame, size_t *frame_len)
{
	int rc = ff_batch_build_one(head, recs, n, coded, frame, frame_len);
	if (rc != 0 || !coded || n > FF_BATCH_TRY_BOTH)
		return rc;
	uint8_t *plain;
	size_t plain_len;
	if ((rc = ff_batch_build_one(head, recs, n, false, &plain, &plain_len)) != 0) {
		free(*frame);
		*frame = NULL;
		return rc;
	}
	if (plain_len < *frame_len) {
		free(*frame);
		*frame = plain;
		*frame_len = plain_len;
	} else {
		free(plain);
	}
	return 0;
}
