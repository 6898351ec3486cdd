/*
 * Version 2 FlowBatch decoding (docs/protocol.md). The bytes are untrusted:
 * the record count is the length of the first_ms column, which protobuf-c
 * could only fill from at least one payload byte a record, and is bounded
 * by FF_BATCH_MAX_RECORDS; every other column must be empty or exactly that
 * long, and every value must fit its field.
 */
#include "ff_batch_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The column lengths a batch of n records may have. */
static bool ff_batch_col_ok(size_t len, size_t n)
{
	return len == 0 || len == n;
}

static bool ff_batch_addr_col_ok(uint32_t width, size_t len, size_t n)
{
	if (len == 0)
		return width == 0 || width == 4 || width == FF_ADDR_LEN;
	return (width == 4 || width == FF_ADDR_LEN) && len / width == n && len % width == 0;
}

static int ff_batch_check_columns(const Flowfleet__FlowBatch *m, size_t n)
{
	const size_t lens[] = {
	    m->n_duration_ms, m->n_exporter_index, m->n_src_port,      m->n_dst_port,
	    m->n_proto,	      m->n_tcp_flags,	   m->n_tos,	       m->n_in_if,
	    m->n_out_if,      m->n_src_as,	   m->n_dst_as,	       m->n_bytes,
	    m->n_packets,     m->n_flows,	   m->n_sampling_rate, m->n_wildcards,
	};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		if (!ff_batch_col_ok(lens[i], n))
			return FF_BATCH_ECOLUMN;
	if (!ff_batch_addr_col_ok(m->src_addr_width, m->src_addrs.len, n) ||
	    !ff_batch_addr_col_ok(m->dst_addr_width, m->dst_addrs.len, n) ||
	    m->exporter_dict.len % FF_ADDR_LEN != 0)
		return FF_BATCH_ECOLUMN;
	size_t n_dict = m->exporter_dict.len / FF_ADDR_LEN;
	for (size_t i = 0; i < m->n_exporter_index; i++)
		if (m->exporter_index[i] >= n_dict)
			return FF_BATCH_ERECORD;
	/* An empty index column with a dictionary means entry 0 for every record. */
	return 0;
}

/* Entry i of a column that may be empty (then every entry is 0). */
#define FF_COL(m, field, i) ((m)->n_##field ? (m)->field[i] : 0)

static void ff_batch_addr_at(const ProtobufCBinaryData *col, uint32_t width, size_t i,
			     bool wildcarded, uint8_t out[FF_ADDR_LEN])
{
	memset(out, 0, FF_ADDR_LEN);
	if (col->len == 0)
		return;
	if (width == FF_ADDR_LEN) {
		memcpy(out, col->data + i * FF_ADDR_LEN, FF_ADDR_LEN);
		return;
	}
	const uint8_t *v4 = col->data + i * 4;
	/* 0.0.0.0 in a wildcarded field stands for the zero address (ff_batch_addr_fits4). */
	if (wildcarded && (v4[0] | v4[1] | v4[2] | v4[3]) == 0)
		return;
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static int ff_batch_column_row(const Flowfleet__FlowBatch *m, size_t i, ff_flow *f)
{
	uint32_t src_port = FF_COL(m, src_port, i), dst_port = FF_COL(m, dst_port, i);
	uint32_t proto = FF_COL(m, proto, i), flags = FF_COL(m, tcp_flags, i);
	uint32_t tos = FF_COL(m, tos, i);
	if (src_port > 0xffff || dst_port > 0xffff || proto > 0xff || flags > 0xff || tos > 0xff)
		return FF_BATCH_ERECORD;
	memset(f, 0, sizeof *f);
	f->first_ms = m->interval_start_ms + (uint64_t)m->first_ms[i];
	f->last_ms = f->first_ms + (uint64_t)FF_COL(m, duration_ms, i);
	f->src_port = (uint16_t)src_port;
	f->dst_port = (uint16_t)dst_port;
	f->proto = (uint8_t)proto;
	f->tcp_flags = (uint8_t)flags;
	f->tos = (uint8_t)tos;
	f->in_if = FF_COL(m, in_if, i);
	f->out_if = FF_COL(m, out_if, i);
	f->src_as = FF_COL(m, src_as, i);
	f->dst_as = FF_COL(m, dst_as, i);
	f->bytes = FF_COL(m, bytes, i);
	f->packets = FF_COL(m, packets, i);
	f->flows = FF_COL(m, flows, i);
	f->sampling_rate = FF_COL(m, sampling_rate, i);
	f->wildcards = FF_COL(m, wildcards, i);
	ff_batch_addr_at(&m->src_addrs, m->src_addr_width, i, f->wildcards & FF_FIELD_SRC_ADDR,
			 f->src_addr);
	ff_batch_addr_at(&m->dst_addrs, m->dst_addr_width, i, f->wildcards & FF_FIELD_DST_ADDR,
			 f->dst_addr);
	if (m->exporter_dict.len > 0)
		memcpy(f->exporter,
		       m->exporter_dict.data + FF_COL(m, exporter_index, i) * FF_ADDR_LEN,
		       FF_ADDR_LEN);
	return 0;
}

int ff_batch_decode_columns(const Flowfleet__FlowBatch *m, ff_flow **out, size_t *n_out)
{
	size_t n = m->n_first_ms;
	if (n > FF_BATCH_MAX_RECORDS)
		return FF_BATCH_ETOOMANY;
	int rc = ff_batch_check_columns(m, n);
	if (rc != 0)
		return rc;
	ff_flow *recs = malloc((n ? n : 1) * sizeof *recs);
	if (recs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((rc = ff_batch_column_row(m, i, &recs[i])) != 0) {
			free(recs);
			return rc;
		}
	}
	*out = recs;
	*n_out = n;
	return 0;
}
