/*
 * Version 2 FlowBatch decoding (docs/protocol.md). The bytes are untrusted:
 * the record count is bounded by FF_BATCH_MAX_RECORDS, every integer column
 * must be empty or exactly as long as its width and the count say
 * (ff_intcol_open), every value must fit its field, exceptions must end
 * inside their column, address varints must
 * end inside their column and land on a 32-bit address, and every column
 * must be used up exactly.
 */
#include "ff_batch_impl.h"

#include "ff_batch_bits.h"
#include "ff_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Everything a row is read from: one reader a column, the address cursors. */
typedef struct ff_batch_reader {
	ff_intcol_reader cols[FF_C_N];
	ff_intcol_reader dst_col; /* dst_width FF_BATCH_ADDR_INTCOL */
	const uint8_t *src, *src_end, *dst, *dst_end;
	uint32_t src_width, dst_width;
	uint32_t prev_src, prev_dst, run_dst;
	const uint8_t *dict;
	bool has_dict;
	bool anchor_last; /* field 8 carries last_ms (time_anchor 1) */
} ff_batch_reader;

static uint64_t ff_batch_col_limit(enum ff_batch_col c, size_t n_dict)
{
	switch (c) {
	case FF_C_FIRST:
	case FF_C_DUR:
	case FF_C_BPP:
	case FF_C_PACKETS:
	case FF_C_FLOWS:
	case FF_C_BYTES_REM:
		return UINT64_MAX;
	case FF_C_EXP_INDEX:
		return n_dict ? n_dict - 1 : 0;
	case FF_C_SRC_PORT:
	case FF_C_DST_PORT:
		return 0xffff;
	case FF_C_PROTO:
	case FF_C_TCP_FLAGS:
	case FF_C_TOS:
		return 0xff;
	default:
		return UINT32_MAX;
	}
}

static bool ff_batch_addr_col_ok(uint32_t width, size_t len, size_t n)
{
	if (width == FF_ADDR_LEN)
		return len == n * FF_ADDR_LEN;
	if (width == 4 || width == FF_BATCH_ADDR_INTCOL)
		return len > 0 || n == 0;
	return width == 0 && len == 0;
}

static void ff_batch_reader_close(ff_batch_reader *r)
{
	for (int c = 0; c < FF_C_N; c++)
		ff_intcol_close(&r->cols[c]);
	ff_intcol_close(&r->dst_col);
}

/* On error the caller still closes `r` (some columns may be open). */
static int ff_batch_reader_open(ff_batch_reader *r, Flowfleet__FlowBatch *m, size_t n)
{
	memset(r, 0, sizeof *r);
	if (m->time_anchor > 1 || m->exporter_dict.len % FF_ADDR_LEN != 0 ||
	    !ff_batch_addr_col_ok(m->src_addr_width, m->src_addrs.len, n) ||
	    !ff_batch_addr_col_ok(m->dst_addr_width, m->dst_addrs.len, n))
		return FF_BATCH_ECOLUMN;
	size_t n_dict = m->exporter_dict.len / FF_ADDR_LEN;
	for (int c = 0; c < FF_C_N; c++) {
		const ProtobufCBinaryData *col = ff_batch_col_field(m, (enum ff_batch_col)c);
		int rc = ff_intcol_open(&r->cols[c], col->data, col->len, n,
					ff_batch_col_limit((enum ff_batch_col)c, n_dict));
		if (rc != 0)
			return rc;
	}
	/* An empty column may have no data pointer at all: no arithmetic on NULL. */
	r->src = r->src_end = m->src_addrs.data;
	if (m->src_addrs.len > 0)
		r->src_end += m->src_addrs.len;
	r->dst = r->dst_end = m->dst_addrs.data;
	if (m->dst_addrs.len > 0)
		r->dst_end += m->dst_addrs.len;
	if (m->dst_addr_width == FF_BATCH_ADDR_INTCOL) {
		int rc =
		    ff_intcol_open(&r->dst_col, m->dst_addrs.data, m->dst_addrs.len, n, UINT32_MAX);
		if (rc != 0)
			return rc;
	}
	r->src_width = m->src_addr_width;
	r->dst_width = m->dst_addr_width;
	r->dict = m->exporter_dict.data;
	r->has_dict = n_dict > 0;
	r->anchor_last = m->time_anchor == 1;
	return 0;
}

static uint64_t ff_unzigzag(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

/* The next 32-bit address of a delta column: `ref` plus a zigzag delta. */
static int ff_batch_get_addr4(const uint8_t **p, const uint8_t *end, uint32_t ref, uint32_t *out)
{
	uint64_t z;
	if (!ff_varint_get(p, end, &z))
		return FF_BATCH_ECOLUMN;
	/* No delta between two 32-bit addresses needs more than 33 bits. */
	if (z >> 33 != 0)
		return FF_BATCH_ERECORD;
	int64_t v = (int64_t)ref + (int64_t)ff_unzigzag(z);
	if (v < 0 || v > (int64_t)UINT32_MAX)
		return FF_BATCH_ERECORD;
	*out = (uint32_t)v;
	return 0;
}

/* A 4-byte address into the 16-byte form (ff_batch_addr_fits4). */
static void ff_batch_widen(uint32_t v4, bool wildcarded, uint8_t out[FF_ADDR_LEN])
{
	memset(out, 0, FF_ADDR_LEN);
	/* 0.0.0.0 in a wildcarded field stands for the zero address. */
	if (wildcarded && v4 == 0)
		return;
	out[10] = out[11] = 0xff;
	ff_put_be32(out + 12, v4);
}

static int ff_batch_row_addrs(ff_batch_reader *r, ff_flow *f, const ff_flow *prev)
{
	int rc;
	if (r->src_width == FF_ADDR_LEN) {
		memcpy(f->src_addr, r->src, FF_ADDR_LEN);
		r->src += FF_ADDR_LEN;
	} else if (r->src_width == 4) {
		if ((rc = ff_batch_get_addr4(&r->src, r->src_end, r->prev_src, &r->prev_src)) != 0)
			return rc;
		ff_batch_widen(r->prev_src, f->wildcards & FF_FIELD_SRC_ADDR, f->src_addr);
	}
	if (r->dst_width == FF_ADDR_LEN) {
		memcpy(f->dst_addr, r->dst, FF_ADDR_LEN);
		r->dst += FF_ADDR_LEN;
	} else if (r->dst_width == 4) {
		bool same_src =
		    prev != NULL && memcmp(prev->src_addr, f->src_addr, FF_ADDR_LEN) == 0;
		uint32_t d;
		if ((rc = ff_batch_get_addr4(&r->dst, r->dst_end,
					     same_src ? r->prev_dst : r->run_dst, &d)) != 0)
			return rc;
		if (!same_src)
			r->run_dst = d;
		r->prev_dst = d;
		ff_batch_widen(d, f->wildcards & FF_FIELD_DST_ADDR, f->dst_addr);
	} else if (r->dst_width == FF_BATCH_ADDR_INTCOL) {
		uint64_t d;
		if ((rc = ff_intcol_get(&r->dst_col, &d)) != 0)
			return rc;
		ff_batch_widen((uint32_t)d, f->wildcards & FF_FIELD_DST_ADDR, f->dst_addr);
	}
	return 0;
}

static int ff_batch_row(ff_batch_reader *r, uint64_t start, ff_flow *f, const ff_flow *prev)
{
	uint64_t v[FF_C_N];
	for (int c = 0; c < FF_C_N; c++) {
		int rc = ff_intcol_get(&r->cols[c], &v[c]);
		if (rc != 0)
			return rc;
	}
	memset(f, 0, sizeof *f);
	if (r->anchor_last) {
		f->last_ms = start + (v[FF_C_FIRST] ^ FF_BATCH_BIAS);
		f->first_ms = f->last_ms - (v[FF_C_DUR] ^ FF_BATCH_BIAS);
	} else {
		f->first_ms = start + (v[FF_C_FIRST] ^ FF_BATCH_BIAS);
		f->last_ms = f->first_ms + (v[FF_C_DUR] ^ FF_BATCH_BIAS);
	}
	f->src_port = (uint16_t)v[FF_C_SRC_PORT];
	f->dst_port = (uint16_t)v[FF_C_DST_PORT];
	f->proto = (uint8_t)v[FF_C_PROTO];
	f->tcp_flags = (uint8_t)v[FF_C_TCP_FLAGS];
	f->tos = (uint8_t)v[FF_C_TOS];
	f->in_if = (uint32_t)v[FF_C_IN_IF];
	f->out_if = (uint32_t)v[FF_C_OUT_IF];
	f->src_as = (uint32_t)v[FF_C_SRC_AS];
	f->dst_as = (uint32_t)v[FF_C_DST_AS];
	f->packets = v[FF_C_PACKETS];
	if (__builtin_mul_overflow(v[FF_C_BPP], f->packets, &f->bytes) ||
	    __builtin_add_overflow(f->bytes, v[FF_C_BYTES_REM], &f->bytes))
		return FF_BATCH_ERECORD;
	f->flows = v[FF_C_FLOWS];
	f->sampling_rate = (uint32_t)v[FF_C_SAMPLING];
	f->wildcards = (uint32_t)v[FF_C_WILDCARDS];
	if (r->has_dict)
		memcpy(f->exporter, r->dict + v[FF_C_EXP_INDEX] * FF_ADDR_LEN, FF_ADDR_LEN);
	return ff_batch_row_addrs(r, f, prev);
}

int ff_batch_decode_columns(Flowfleet__FlowBatch *m, ff_flow **out, size_t *n_out)
{
	size_t n = m->record_count;
	if (n > FF_BATCH_MAX_RECORDS)
		return FF_BATCH_ETOOMANY;
	ff_batch_reader r;
	ff_flow *recs = NULL;
	int rc = ff_batch_reader_open(&r, m, n);
	if (rc != 0)
		goto fail;
	rc = -ENOMEM;
	if ((recs = malloc((n ? n : 1) * sizeof *recs)) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = ff_batch_row(&r, m->interval_start_ms, &recs[i],
				       i > 0 ? &recs[i - 1] : NULL)) != 0)
			goto fail;
	/* Delta columns must end where their last record does. */
	rc = FF_BATCH_ECOLUMN;
	if ((r.src_width == 4 && r.src != r.src_end) || (r.dst_width == 4 && r.dst != r.dst_end))
		goto fail;
	for (int c = 0; c < FF_C_N; c++)
		if (!ff_intcol_done(&r.cols[c]))
			goto fail;
	if (r.dst_width == FF_BATCH_ADDR_INTCOL && !ff_intcol_done(&r.dst_col))
		goto fail;
	ff_batch_reader_close(&r);
	*out = recs;
	*n_out = n;
	return 0;
fail:
	ff_batch_reader_close(&r);
	free(recs);
	return rc;
}
