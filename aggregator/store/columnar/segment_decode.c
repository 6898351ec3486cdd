/*
 * Decoding a segment's column blocks into records: each block is checked
 * and decompressed once, then decoded in slices of FF__SEG_SLICE rows so a
 * slice's records stay in L1 across columns. Opening and checking the file
 * is segment_read.c's.
 */
#include "segment.h"
#include "ff_bytes.h"
#include "segment_format.h"
#include "segment_impl.h"

#include <errno.h>
#include <lz4.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FF__SEG_SLICE 128
#define FF__SEG_SLICE_BYTES (FF__SEG_SLICE * sizeof(uint64_t))
/*
 * Scratch: the slice's values, then the values of every column whose block
 * holds one value (width 0), filled once per group, then the needed blocks
 * decompressed side by side.
 */
#define FF__SEG_FIXED_AT FF__SEG_SLICE_BYTES
#define FF__SEG_BLOCKS_AT 65536
_Static_assert((1 + FF__COL_COUNT) * FF__SEG_SLICE_BYTES <= FF__SEG_BLOCKS_AT &&
		       FF__COL_COUNT == 18 + 2 &&
		       FF_SEGMENT_SCRATCH >=
			   FF__SEG_BLOCKS_AT + FF_SEGMENT_GROUP_ROWS * (2 * FF_ADDR_LEN + 18 * 8),
	       "FF_SEGMENT_SCRATCH holds the values and every column's widest block");

/* One needed column of the group being decoded. */
typedef struct ff__seg_src {
	const ff__seg_entry *e;
	const uint8_t *p;      /* the block's decoded bytes */
	const uint64_t *fixed; /* a width-0 integer column: its values for any slice */
	uint64_t prev;	       /* delta encoding: the last value of the previous slice */
} ff__seg_src;

/*
 * Unpacks `n` little-endian values of `width` bytes into v[], adding `base`
 * (a frame of reference's min) on the way. One loop per common width, so
 * the compiler turns each into plain loads: this runs for every value a
 * query reads.
 */
static void ff__seg_unpack(const uint8_t *p, uint8_t width, uint32_t n, uint64_t base,
			   uint64_t *v)
{
	switch (width) {
	case 0:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base;
		break;
	case 1:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + p[i];
		break;
	case 2:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le16(p + 2 * (size_t)i);
		break;
	case 3:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (ff_get_le16(p + 3 * (size_t)i) |
				       (uint32_t)p[3 * (size_t)i + 2] << 16);
		break;
	case 4:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le32(p + 4 * (size_t)i);
		break;
	case 8:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le64(p + 8 * (size_t)i);
		break;
	default: /* 5 to 7: rare (counters past 4 GB) */
		for (uint32_t i = 0; i < n; i++) {
			uint64_t x = 0;
			for (uint8_t k = 0; k < width; k++)
				x |= (uint64_t)p[(size_t)i * width + k] << (8 * k);
			v[i] = base + x;
		}
		break;
	}
}

/*
 * As ff__seg_unpack() for shuffled bytes: plane k holds byte k of every
 * value, planes `stride` bytes apart (the block's rows), `p` at the slice's
 * first row in plane 0. One pass per common width, every plane read in step.
 */
static void ff__seg_unshuffle(const uint8_t *p, uint8_t width, size_t stride, uint32_t n,
			      uint64_t base, uint64_t *v)
{
	const uint8_t *p1 = p + stride, *p2 = p1 + stride, *p3 = p2 + stride;
	switch (width) {
	case 2:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8);
		break;
	case 3:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16);
		break;
	case 4:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16 |
				       (uint32_t)p3[i] << 24);
		break;
	default: {
		/*
		 * 5 to 8 bytes (counters of rollups pass 4 GB): one pass over
		 * eight planes, those past the width read from zeros.
		 */
		static const uint8_t zeros[FF__SEG_SLICE];
		const uint8_t *q[8];
		for (uint8_t k = 0; k < 8; k++)
			q[k] = k < width ? p + k * stride : zeros;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t lo = q[0][i] | (uint32_t)q[1][i] << 8 | (uint32_t)q[2][i] << 16 |
				      (uint32_t)q[3][i] << 24;
			uint64_t hi = q[4][i] | (uint32_t)q[5][i] << 8 | (uint32_t)q[6][i] << 16 |
				      (uint32_t)q[7][i] << 24;
			v[i] = base + (lo | hi << 32);
		}
		break;
	}
	}
}

/*
 * Undoes the delta encoding of rows [at, at + n), unpacked without a base:
 * row 0 is an offset from min, every later row a zigzag delta. The running
 * value goes from one slice to the next in src->prev.
 */
static void ff__seg_undo_delta(ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v)
{
	uint32_t i = 0;
	uint64_t prev = src->prev;
	if (at == 0 && n > 0) {
		prev = v[0] += src->e->min;
		i = 1;
	}
	for (; i < n; i++)
		prev = v[i] = prev + ff__unzigzag(v[i]);
	src->prev = prev;
}

/* The values of rows [at, at + n) of an integer (or IPv4 address) block into v[]. */
static void ff__seg_values(ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v)
{
	const ff__seg_entry *e = src->e;
	/* A duration is stored without a reference: min/max bound last_ms itself. */
	uint64_t base = e->encoding == FF__ENC_FOR || e->encoding == FF__ENC_V4 ? e->min : 0;
	if (e->shuffle && e->width > 1)
		ff__seg_unshuffle(src->p + at, e->width, e->rows, n, base, v);
	else
		ff__seg_unpack(src->p + (size_t)at * e->width, e->width, n, base, v);
	if (e->encoding == FF__ENC_DELTA)
		ff__seg_undo_delta(src, at, n, v);
}

/* Dictionary columns must index their dictionary: a bad index is a bad block. */
static int ff__seg_check_refs(const ff_segment *s, int col, const uint64_t *v, uint32_t n)
{
	uint64_t size = col == FF__COL_EXPORTER ? s->meta.n_exporters
			: col == FF__COL_AGENT	? s->meta.n_agents
						: UINT64_MAX;
	if (size == UINT64_MAX)
		return 0;
	/*
	 * The OR of the values bounds their maximum and vectorizes: the exact
	 * check runs only when it does not settle it.
	 */
	uint64_t any = 0;
	for (uint32_t i = 0; i < n; i++)
		any |= v[i];
	if (any < size)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] >= size)
			return FF_SEG_EBLOCK;
	return 0;
}

/* Stores v[i] into field `field` (of type `type`) of out[i], for i < n. */
#define FF__SEG_SCATTER(field, type)              \
	do {                                       \
		for (uint32_t i = 0; i < n; i++)   \
			out[i].field = (type)v[i]; \
	} while (0)
/* One loop per column: this runs for every value a query reads. */
static void ff__seg_scatter(const ff_segment *s, int col, const uint64_t *v, uint32_t n,
			    ff_flow *out)
{
	switch (col) {
	case FF__COL_FIRST:
		FF__SEG_SCATTER(first_ms, uint64_t);
		break;
	case FF__COL_LAST:
		/* Stored as zigzag(last - first): FIRST is decoded before it. */
		for (uint32_t i = 0; i < n; i++)
			out[i].last_ms = out[i].first_ms + ff__unzigzag(v[i]);
		break;
	case FF__COL_BYTES:
		FF__SEG_SCATTER(bytes, uint64_t);
		break;
	case FF__COL_PACKETS:
		FF__SEG_SCATTER(packets, uint64_t);
		break;
	case FF__COL_FLOWS:
		FF__SEG_SCATTER(flows, uint64_t);
		break;
	case FF__COL_EXPORTER:
		for (uint32_t i = 0; i < n; i++)
			memcpy(out[i].exporter, s->exporters + v[i] * FF_ADDR_LEN, FF_ADDR_LEN);
		break;
	case FF__COL_SRC_AS:
		FF__SEG_SCATTER(src_as, uint32_t);
		break;
	case FF__COL_DST_AS:
		FF__SEG_SCATTER(dst_as, uint32_t);
		break;
	case FF__COL_IN_IF:
		FF__SEG_SCATTER(in_if, uint32_t);
		break;
	case FF__COL_OUT_IF:
		FF__SEG_SCATTER(out_if, uint32_t);
		break;
	case FF__COL_SAMPLING:
		FF__SEG_SCATTER(sampling_rate, uint32_t);
		break;
	case FF__COL_WILDCARDS:
		FF__SEG_SCATTER(wildcards, uint32_t);
		break;
	case FF__COL_AGENT:
		FF__SEG_SCATTER(agent_ref, uint32_t);
		break;
	case FF__COL_SRC_PORT:
		FF__SEG_SCATTER(src_port, uint16_t);
		break;
	case FF__COL_DST_PORT:
		FF__SEG_SCATTER(dst_port, uint16_t);
		break;
	case FF__COL_PROTO:
		FF__SEG_SCATTER(proto, uint8_t);
		break;
	case FF__COL_TCP_FLAGS:
		FF__SEG_SCATTER(tcp_flags, uint8_t);
		break;
	case FF__COL_TOS:
		FF__SEG_SCATTER(tos, uint8_t);
		break;
	default:
		break;
	}
}
#undef FF__SEG_SCATTER

/* Writes the v4-mapped form of the IPv4 address v (host order) into a. */
static inline void ff__seg_put_v4(uint8_t *a, uint64_t v)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(a, prefix, sizeof prefix);
	ff_put_be32(a + 12, (uint32_t)v);
}

/* Rows [at, at + n) of an address column into out[0 .. n). */
static void ff__seg_decode_addr(ff__seg_src *src, uint32_t at, uint32_t n, ff_flow *out,
				uint64_t *v)
{
	const ff__seg_entry *e = src->e;
	size_t off = e->column == FF__COL_SRC_ADDR ? offsetof(ff_flow, src_addr)
						   : offsetof(ff_flow, dst_addr);
	if (e->encoding == FF__ENC_BYTES) {
		const uint8_t *p = src->p + (size_t)at * FF_ADDR_LEN;
		for (uint32_t i = 0; i < n; i++)
			memcpy((uint8_t *)&out[i] + off, p + (size_t)i * FF_ADDR_LEN, FF_ADDR_LEN);
		return;
	}
	/* Bits past 32, which only a crafted block could hold, are dropped. */
	ff__seg_values(src, at, n, v);
	for (uint32_t i = 0; i < n; i++)
		ff__seg_put_v4((uint8_t *)&out[i] + off, v[i]);
}

/* Rows [at, at + n) of one column into out[0 .. n). */
static int ff__seg_decode_slice(const ff_segment *s, ff__seg_src *src, uint32_t at, uint32_t n,
				ff_flow *out, uint64_t *v)
{
	int col = src->e->column;
	if (src->fixed != NULL) {
		ff__seg_scatter(s, col, src->fixed, n, out);
		return 0;
	}
	if (ff__seg_is_addr(col)) {
		ff__seg_decode_addr(src, at, n, out, v);
		return 0;
	}
	ff__seg_values(src, at, n, v);
	if (ff__seg_check_refs(s, col, v, n) != 0)
		return FF_SEG_EBLOCK;
	ff__seg_scatter(s, col, v, n, out);
	return 0;
}

/* The columns a mask of FF_SEGMENT_COL_* bits asks for, with those every scan needs. */
static uint32_t ff__seg_cols(uint32_t cols)
{
	if (cols == FF_SEGMENT_COLS_ALL)
		return (1u << FF__COL_COUNT) - 1;
	cols |= 1u << FF__COL_AGENT | 1u << FF__COL_WILDCARDS;
	if (cols & 1u << FF__COL_LAST)
		cols |= 1u << FF__COL_FIRST;
	return cols;
}

/*
 * A width-0 integer column holds one value (min; 0 for durations, which
 * have no reference): fills a slice of it once, checking a dictionary index
 * once, so the slices only copy it into the records.
 */
static int ff__seg_fixed(const ff_segment *s, const ff__seg_entry *e, uint64_t *fixed)
{
	uint64_t value = e->encoding == FF__ENC_DURATION ? 0 : e->min;
	for (uint32_t i = 0; i < FF__SEG_SLICE; i++)
		fixed[i] = value;
	return ff__seg_check_refs(s, e->column, fixed, 1);
}

/*
 * Decompresses every wanted block of a group, each into its own part of the
 * scratch, and fills src[] in column order (FIRST before LAST, which needs
 * it). Returns the number of columns or FF_SEG_EBLOCK.
 */
static int ff__seg_sources(const ff_segment *s, const ff__seg_entry *e, uint32_t want,
			   uint8_t *scratch, ff__seg_src *src)
{
	size_t used = FF__SEG_BLOCKS_AT;
	int n = 0;
	for (int col = 0; col < FF__COL_COUNT; col++) {
		if (!(want & 1u << col))
			continue;
		/* Directory checks bound every block; this keeps a bad one in the scratch anyway. */
		if (e[col].raw_len > FF_SEGMENT_SCRATCH - used)
			return FF_SEG_EBLOCK;
		/* Even an empty (width-0) block must decode, as before. */
		const uint8_t *p = ff__seg_block_bytes(s, &e[col], scratch + used);
		if (p == NULL)
			return FF_SEG_EBLOCK;
		if (p != s->map + e[col].offset)
			used += e[col].raw_len;
		src[n] = (ff__seg_src){.e = &e[col], .p = p};
		if (e[col].width == 0 && !ff__seg_is_addr(col)) {
			uint64_t *fixed = (uint64_t *)(void *)(scratch + FF__SEG_FIXED_AT +
							       (size_t)col * FF__SEG_SLICE_BYTES);
			if (ff__seg_fixed(s, &e[col], fixed) != 0)
				return FF_SEG_EBLOCK;
			src[n].fixed = fixed;
		}
		n++;
	}
	return n;
}

long ff_segment_read_group_cols(const ff_segment *s, size_t g, uint32_t cols, ff_flow *out,
				uint8_t *scratch)
{
	if (g >= ff_segment_groups(s))
		return FF_SEG_EFORMAT;
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT];
	ff__seg_src src[FF__COL_COUNT];
	int n_src = ff__seg_sources(s, e, ff__seg_cols(cols), scratch, src);
	if (n_src < 0)
		return n_src;
	uint64_t *v = (uint64_t *)(void *)scratch;
	uint32_t rows = e->rows;
	for (uint32_t at = 0; at < rows; at += FF__SEG_SLICE) {
		uint32_t n = rows - at < FF__SEG_SLICE ? rows - at : FF__SEG_SLICE;
		/* The reserved byte and the tail padding are zero, as the writer had them. */
		if (cols == FF_SEGMENT_COLS_ALL)
			memset(out + at, 0, n * sizeof *out);
		for (int k = 0; k < n_src; k++)
			if (ff__seg_decode_slice(s, &src[k], at, n, out + at, v) != 0)
				return FF_SEG_EBLOCK;
	}
	return (long)rows;
}

long ff_segment_read_group(const ff_segment *s, size_t g, ff_flow *out, uint8_t *scratch)
{
	return ff_segment_read_group_cols(s, g, FF_SEGMENT_COLS_ALL, out, scratch);
}

int ff_segment_batches(const ff_segment *s, ff_segment_batch **out, size_t *n)
{
	uint8_t *raw;
	int rc = ff__seg_section(s, &s->dir[2], &raw);
	if (rc != 0)
		return rc;
	size_t nb = s->meta.n_batches;
	ff_segment_batch *b = calloc(nb ? nb : 1, sizeof *b);
	for (size_t i = 0; b != NULL && i < nb; i++) {
		const uint8_t *p = raw + i * FF__SEG_BATCH_LEN;
		b[i].agent = ff_get_le32(p);
		b[i].interval_len_ms = ff_get_le32(p + 4);
		b[i].epoch = ff_get_le64(p + 8);
		b[i].sequence = ff_get_le64(p + 16);
		b[i].interval_start_ms = ff_get_le64(p + 24);
		b[i].policy_version = ff_get_le64(p + 32);
		b[i].n_records = ff_get_le32(p + 40);
		if (b[i].agent >= s->meta.n_agents)
			rc = FF_SEG_EFORMAT;
	}
	free(raw);
	if (b == NULL || rc != 0) {
		free(b);
		return b == NULL ? -ENOMEM : rc;
	}
	*out = b;
	*n = nb;
	return 0;
}

/*
 * The column-block reader (segment.h): a group's blocks are decompressed
 * once at start, as for records, and then decoded FF_BLOCK_ROWS rows at a
 * time into typed arrays, 128 values of a column at a time.
 */
struct ff_segment_cursor {
	const ff_segment *s;
	ff__seg_src src[FF__COL_COUNT];
	int n_src;
	uint32_t at, rows;
	uint32_t late;	   /* FF__COL bits decoded only for chosen rows */
	bool load_failed;  /* a late column of this group did not decode */
	uint32_t blk_at;   /* the group row of the block last returned */
	ff_block_buf *buf; /* where that block went */
	/*
	 * Width-0 columns of this group (one value for every row) already
	 * filled into every row of `filled_buf`: a group's blocks go to the
	 * same buffer, so they are filled once per group instead of per block.
	 */
	uint32_t filled;
	ff_block_buf *filled_buf;
	uint8_t *scratch;  /* FF_SEGMENT_SCRATCH bytes */
};

/*
 * Whether a column may wait until rows are chosen: not one asked for early,
 * not a delta-encoded one (its values run on from block to block), not the
 * agent (blocks split by it) nor 16-byte addresses (read in place anyway).
 */
static bool ff__seg_can_be_late(const ff__seg_src *src, uint32_t early)
{
	const ff__seg_entry *e = src->e;
	if (early & 1u << e->column || e->encoding == FF__ENC_DELTA || e->column == FF__COL_AGENT)
		return false;
	return !(ff__seg_is_addr(e->column) && e->encoding == FF__ENC_BYTES);
}

ff_segment_cursor *ff_segment_cursor_new(void)
{
	ff_segment_cursor *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->scratch = malloc(FF_SEGMENT_SCRATCH);
	if (c->scratch == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void ff_segment_cursor_free(ff_segment_cursor *c)
{
	if (c == NULL)
		return;
	free(c->scratch);
	free(c);
}

int ff_segment_cursor_start(ff_segment_cursor *c, const ff_segment *s, size_t g, uint32_t cols,
			    uint32_t early)
{
	c->rows = c->at = 0;
	c->late = c->filled = 0;
	c->load_failed = false;
	if (g >= ff_segment_groups(s))
		return FF_SEG_EFORMAT;
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT];
	int n = ff__seg_sources(s, e, ff__seg_cols(cols), c->scratch, c->src);
	if (n < 0)
		return n;
	c->s = s;
	c->n_src = n;
	c->rows = e->rows;
	for (int k = 0; early != FF_SEGMENT_COLS_ALL && k < n; k++)
		if (ff__seg_can_be_late(&c->src[k], ff__seg_cols(early)))
			c->late |= 1u << c->src[k].e->column;
	return 0;
}

/* Narrows a slice of decoded values v[0 .. n) into rows [off, off + n) of the block's column. */
#define FF__SEG_NARROW(field, type)                         \
	do {                                                \
		for (uint32_t i = 0; i < n; i++)            \
			buf->field[off + i] = (type)v[i];   \
	} while (0)
static void ff__seg_narrow(const ff_segment *s, int col, const uint64_t *v, uint32_t off,
			   uint32_t n, ff_block_buf *buf)
{
	switch (col) {
	case FF__COL_FIRST:
		FF__SEG_NARROW(first_ms, uint64_t);
		break;
	case FF__COL_LAST:
		for (uint32_t i = 0; i < n; i++)
			buf->last_ms[off + i] = buf->first_ms[off + i] + ff__unzigzag(v[i]);
		break;
	case FF__COL_BYTES:
		FF__SEG_NARROW(bytes, uint64_t);
		break;
	case FF__COL_PACKETS:
		FF__SEG_NARROW(packets, uint64_t);
		break;
	case FF__COL_FLOWS:
		FF__SEG_NARROW(flows, uint64_t);
		break;
	case FF__COL_EXPORTER:
		for (uint32_t i = 0; i < n; i++)
			memcpy(buf->exporter[off + i], s->exporters + v[i] * FF_ADDR_LEN, FF_ADDR_LEN);
		break;
	case FF__COL_SRC_AS:
		FF__SEG_NARROW(src_as, uint32_t);
		break;
	case FF__COL_DST_AS:
		FF__SEG_NARROW(dst_as, uint32_t);
		break;
	case FF__COL_IN_IF:
		FF__SEG_NARROW(in_if, uint32_t);
		break;
	case FF__COL_OUT_IF:
		FF__SEG_NARROW(out_if, uint32_t);
		break;
	case FF__COL_SAMPLING:
		FF__SEG_NARROW(sampling, uint32_t);
		break;
	case FF__COL_WILDCARDS:
		FF__SEG_NARROW(wildcards, uint32_t);
		break;
	case FF__COL_AGENT:
		FF__SEG_NARROW(agent, uint32_t);
		break;
	case FF__COL_SRC_ADDR:
		FF__SEG_NARROW(src_v4, uint32_t);
		break;
	case FF__COL_DST_ADDR:
		FF__SEG_NARROW(dst_v4, uint32_t);
		break;
	case FF__COL_SRC_PORT:
		FF__SEG_NARROW(src_port, uint16_t);
		break;
	case FF__COL_DST_PORT:
		FF__SEG_NARROW(dst_port, uint16_t);
		break;
	case FF__COL_PROTO:
		FF__SEG_NARROW(proto, uint8_t);
		break;
	case FF__COL_TCP_FLAGS:
		FF__SEG_NARROW(tcp_flags, uint8_t);
		break;
	default:
		FF__SEG_NARROW(tos, uint8_t);
		break;
	}
}
#undef FF__SEG_NARROW

/* The block's array of a column whose values are its 64-bit integers as decoded; else NULL. */
static uint64_t *ff__seg_u64_column(int col, ff_block_buf *buf)
{
	switch (col) {
	case FF__COL_FIRST:
		return buf->first_ms;
	case FF__COL_BYTES:
		return buf->bytes;
	case FF__COL_PACKETS:
		return buf->packets;
	case FF__COL_FLOWS:
		return buf->flows;
	default:
		return NULL;
	}
}

/*
 * Unpacks rows [at, at + n) of a block of width 1 to 4 straight into `out`
 * (of `type`), adding `base` (p: plane 0 of shuffled bytes at row `at`,
 * plane k at p + k * rows; q: row `at` of values packed plain), without the
 * 64-bit values ff__seg_values() makes for the general case: truncating
 * base + x to the narrow type is the same in either width, so the values are
 * exactly those ff__seg_narrow() would store. One loop per layout, as in ff__seg_unpack().
 */
#define FF__SEG_UNPACK_INTO(type)                                                              \
	do {                                                                                   \
		const uint8_t *p = src->p + at, *q = src->p + e->width * (size_t)at;          \
		size_t r = e->rows;                                                            \
		type b = (type)base;                                                           \
		if (e->width == 1) {                                                           \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + p[i]);                                     \
		} else if (e->width == 2 && e->shuffle) {                                      \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + (p[i] | (uint32_t)p[r + i] << 8));          \
		} else if (e->width == 2) {                                                    \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + ff_get_le16(q + 2 * (size_t)i));           \
		} else if (e->width == 3 && e->shuffle) {                                      \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + (p[i] | (uint32_t)p[r + i] << 8 |           \
						     (uint32_t)p[2 * r + i] << 16));           \
		} else if (e->width == 3) {                                                    \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + (ff_get_le16(q + 3 * (size_t)i) |           \
						     (uint32_t)q[3 * (size_t)i + 2] << 16));    \
		} else if (e->shuffle) {                                                       \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + (p[i] | (uint32_t)p[r + i] << 8 |           \
						     (uint32_t)p[2 * r + i] << 16 |            \
						     (uint32_t)p[3 * r + i] << 24));           \
		} else {                                                                       \
			for (uint32_t i = 0; i < n; i++)                                       \
				out[i] = (type)(b + ff_get_le32(q + 4 * (size_t)i));           \
		}                                                                              \
	} while (0)
static void ff__seg_unpack8(const ff__seg_src *src, uint32_t at, uint32_t n, uint64_t base,
			    uint8_t *out)
{
	const ff__seg_entry *e = src->e;
	FF__SEG_UNPACK_INTO(uint8_t);
}

static void ff__seg_unpack16(const ff__seg_src *src, uint32_t at, uint32_t n, uint64_t base,
			    uint16_t *out)
{
	const ff__seg_entry *e = src->e;
	FF__SEG_UNPACK_INTO(uint16_t);
}

static void ff__seg_unpack32(const ff__seg_src *src, uint32_t at, uint32_t n, uint64_t base,
			    uint32_t *out)
{
	const ff__seg_entry *e = src->e;
	FF__SEG_UNPACK_INTO(uint32_t);
}
#undef FF__SEG_UNPACK_INTO

/*
 * Rows [at, at + n) of a duration block of width 1 to 4 into last_ms, from
 * first_ms already decoded (FIRST comes before LAST): a slice of the raw
 * zigzag values at a time in `v` (FF__SEG_SLICE_BYTES), then one pass
 * adding them, instead of 64-bit values narrowed in a second pass.
 */
static void ff__seg_block_duration(const ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v,
				   ff_block_buf *buf)
{
	uint32_t *z = (uint32_t *)(void *)v;
	for (uint32_t off = 0; off < n; off += FF__SEG_SLICE) {
		uint32_t m = n - off < FF__SEG_SLICE ? n - off : FF__SEG_SLICE;
		ff__seg_unpack32(src, at + off, m, 0, z);
		for (uint32_t i = 0; i < m; i++)
			buf->last_ms[off + i] = buf->first_ms[off + i] + ff__unzigzag(z[i]);
	}
}

/*
 * Rows [at, at + n) of a narrow column (ports, protocol, flags, tos, ASes,
 * interfaces, sampling, wildcards, IPv4 addresses) or of last_ms decoded
 * straight into the block when its block is frame of reference (duration
 * for last_ms) of width 1 to 4, the common case; false, with nothing
 * written, when the general path must do it.
 * Dictionary columns (exporter, agent) always take the general path, which
 * checks their indexes.
 */
static bool ff__seg_block_narrow(const ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v,
				 ff_block_buf *buf)
{
	const ff__seg_entry *e = src->e;
	if (src->fixed != NULL || e->width == 0 || e->width > 4)
		return false;
	if (e->column == FF__COL_LAST && e->encoding == FF__ENC_DURATION) {
		ff__seg_block_duration(src, at, n, v, buf);
		return true;
	}
	if (e->encoding != FF__ENC_FOR && e->encoding != FF__ENC_V4)
		return false;
	uint64_t base = e->min;
	switch (e->column) {
	case FF__COL_PROTO:
		ff__seg_unpack8(src, at, n, base, buf->proto);
		return true;
	case FF__COL_TCP_FLAGS:
		ff__seg_unpack8(src, at, n, base, buf->tcp_flags);
		return true;
	case FF__COL_TOS:
		ff__seg_unpack8(src, at, n, base, buf->tos);
		return true;
	case FF__COL_SRC_PORT:
		ff__seg_unpack16(src, at, n, base, buf->src_port);
		return true;
	case FF__COL_DST_PORT:
		ff__seg_unpack16(src, at, n, base, buf->dst_port);
		return true;
	case FF__COL_SRC_ADDR:
		ff__seg_unpack32(src, at, n, base, buf->src_v4);
		return true;
	case FF__COL_DST_ADDR:
		ff__seg_unpack32(src, at, n, base, buf->dst_v4);
		return true;
	case FF__COL_WILDCARDS:
		ff__seg_unpack32(src, at, n, base, buf->wildcards);
		return true;
	default:
		return false;
	}
}

/* Rows [at, at + n) of one column into the block's arrays. */
static int ff__seg_block_col(const ff_segment *s, ff__seg_src *src, uint32_t at, uint32_t n,
			     uint64_t *v, ff_block_buf *buf)
{
	int col = src->e->column;
	uint64_t *direct = src->fixed == NULL ? ff__seg_u64_column(col, buf) : NULL;
	if (direct == NULL && ff__seg_block_narrow(src, at, n, v, buf))
		return 0;
	for (uint32_t off = 0; off < n; off += FF__SEG_SLICE) {
		uint32_t m = n - off < FF__SEG_SLICE ? n - off : FF__SEG_SLICE;
		const uint64_t *vals = src->fixed;
		if (direct != NULL) {
			/* Counters and first_ms decode in place: nothing to narrow. */
			ff__seg_values(src, at + off, m, direct + off);
			continue;
		}
		if (vals == NULL) {
			ff__seg_values(src, at + off, m, v);
			if (ff__seg_check_refs(s, col, v, m) != 0)
				return FF_SEG_EBLOCK;
			vals = v;
		}
		ff__seg_narrow(s, col, vals, off, m, buf);
	}
	return 0;
}

/* Points the block at the column `src` was decoded into. */
static void ff__seg_block_view(const ff__seg_src *src, uint32_t at, const ff_block_buf *buf,
			       ff_block *out)
{
	const ff__seg_entry *e = src->e;
	bool raw = e->encoding == FF__ENC_BYTES;
	switch (e->column) {
	case FF__COL_FIRST:
		out->first_ms = buf->first_ms;
		break;
	case FF__COL_LAST:
		out->last_ms = buf->last_ms;
		break;
	case FF__COL_BYTES:
		out->bytes = buf->bytes;
		break;
	case FF__COL_PACKETS:
		out->packets = buf->packets;
		break;
	case FF__COL_FLOWS:
		out->flows = buf->flows;
		break;
	case FF__COL_SRC_ADDR:
		/* 16-byte addresses are read in place from the decoded block. */
		if (raw)
			out->src_addr = src->p + (size_t)at * FF_ADDR_LEN;
		else
			out->src_v4 = buf->src_v4;
		break;
	case FF__COL_DST_ADDR:
		if (raw)
			out->dst_addr = src->p + (size_t)at * FF_ADDR_LEN;
		else
			out->dst_v4 = buf->dst_v4;
		break;
	case FF__COL_EXPORTER:
		out->exporter = &buf->exporter[0][0];
		break;
	case FF__COL_SRC_AS:
		out->src_as = buf->src_as;
		break;
	case FF__COL_DST_AS:
		out->dst_as = buf->dst_as;
		break;
	case FF__COL_IN_IF:
		out->in_if = buf->in_if;
		break;
	case FF__COL_OUT_IF:
		out->out_if = buf->out_if;
		break;
	case FF__COL_SAMPLING:
		out->sampling = buf->sampling;
		break;
	case FF__COL_WILDCARDS:
		out->wildcards = buf->wildcards;
		break;
	case FF__COL_SRC_PORT:
		out->src_port = buf->src_port;
		break;
	case FF__COL_DST_PORT:
		out->dst_port = buf->dst_port;
		break;
	case FF__COL_PROTO:
		out->proto = buf->proto;
		break;
	case FF__COL_TCP_FLAGS:
		out->tcp_flags = buf->tcp_flags;
		break;
	case FF__COL_TOS:
		out->tos = buf->tos;
		break;
	default: /* the agent column stays in buf->agent */
		break;
	}
}

/*
 * The values of group rows at[0 .. n) of a column that is not delta-encoded
 * (blocks are random access then) into v[]: one loop per layout.
 */
static void ff__seg_values_at(const ff__seg_src *src, const uint32_t *at, size_t n, uint64_t *v)
{
	const ff__seg_entry *e = src->e;
	const uint8_t *p = src->p;
	uint64_t base = e->encoding == FF__ENC_FOR || e->encoding == FF__ENC_V4 ? e->min : 0;
	if (src->fixed != NULL || e->width == 0) {
		for (size_t j = 0; j < n; j++)
			v[j] = src->fixed != NULL ? src->fixed[0] : base;
	} else if (e->shuffle && e->width > 1) {
		for (size_t j = 0; j < n; j++) {
			uint64_t x = 0;
			for (uint8_t k = 0; k < e->width; k++)
				x |= (uint64_t)p[(size_t)k * e->rows + at[j]] << (8 * k);
			v[j] = base + x;
		}
	} else if (e->width == 1) {
		for (size_t j = 0; j < n; j++)
			v[j] = base + p[at[j]];
	} else if (e->width == 2) {
		for (size_t j = 0; j < n; j++)
			v[j] = base + ff_get_le16(p + 2 * (size_t)at[j]);
	} else if (e->width == 4) {
		for (size_t j = 0; j < n; j++)
			v[j] = base + ff_get_le32(p + 4 * (size_t)at[j]);
	} else {
		for (size_t j = 0; j < n; j++) {
			uint64_t x = 0;
			for (uint8_t k = 0; k < e->width; k++)
				x |= (uint64_t)p[(size_t)at[j] * e->width + k] << (8 * k);
			v[j] = base + x;
		}
	}
}

/* Stores v[j] into field `field` of the block's row idx[j], for j < n. */
#define FF__SEG_PUT(field, type)                         \
	do {                                             \
		for (size_t j = 0; j < n; j++)           \
			buf->field[idx[j]] = (type)v[j]; \
	} while (0)
/* As ff__seg_narrow() for scattered rows: the rows a reader chose. */
static void ff__seg_narrow_at(const ff_segment *s, int col, const uint64_t *v, const uint32_t *idx,
			      size_t n, ff_block_buf *buf)
{
	switch (col) {
	case FF__COL_FIRST:
		FF__SEG_PUT(first_ms, uint64_t);
		break;
	case FF__COL_LAST:
		for (size_t j = 0; j < n; j++)
			buf->last_ms[idx[j]] = buf->first_ms[idx[j]] + ff__unzigzag(v[j]);
		break;
	case FF__COL_BYTES:
		FF__SEG_PUT(bytes, uint64_t);
		break;
	case FF__COL_PACKETS:
		FF__SEG_PUT(packets, uint64_t);
		break;
	case FF__COL_FLOWS:
		FF__SEG_PUT(flows, uint64_t);
		break;
	case FF__COL_SRC_ADDR:
		FF__SEG_PUT(src_v4, uint32_t);
		break;
	case FF__COL_DST_ADDR:
		FF__SEG_PUT(dst_v4, uint32_t);
		break;
	default:
		/* The rarer columns one row at a time. */
		for (size_t j = 0; j < n; j++)
			ff__seg_narrow(s, col, &v[j], idx[j], 1, buf);
		break;
	}
}
#undef FF__SEG_PUT

/* Rows `base + sel[j]` of the last block of one late column into the block's arrays. */
static int ff__seg_load_col(const ff_segment_cursor *c, const ff__seg_src *src, size_t base,
			    const uint16_t *sel, size_t m)
{
	uint64_t *v = (uint64_t *)(void *)c->scratch;
	uint32_t at[FF__SEG_SLICE], idx[FF__SEG_SLICE];
	int col = src->e->column;
	for (size_t j0 = 0; j0 < m; j0 += FF__SEG_SLICE) {
		size_t n = m - j0 < FF__SEG_SLICE ? m - j0 : FF__SEG_SLICE;
		for (size_t j = 0; j < n; j++) {
			idx[j] = (uint32_t)(base + sel[j0 + j]);
			at[j] = c->blk_at + idx[j];
		}
		ff__seg_values_at(src, at, n, v);
		if (ff__seg_check_refs(c->s, col, v, (uint32_t)n) != 0)
			return FF_SEG_EBLOCK;
		ff__seg_narrow_at(c->s, col, v, idx, n, c->buf);
	}
	return 0;
}

/* ff_block's load for a segment block: the late columns of the chosen rows. */
static int ff__seg_cursor_load(void *ctx, ff_block *b, const uint16_t *sel, size_t m)
{
	ff_segment_cursor *c = ctx;
	for (int k = 0; k < c->n_src; k++) {
		const ff__seg_src *src = &c->src[k];
		if (!(c->late & 1u << src->e->column))
			continue;
		if (ff__seg_load_col(c, src, b->base, sel, m) != 0) {
			c->load_failed = true;
			return FF_SEG_EBLOCK;
		}
		ff_block v = {.n = b->n};
		ff__seg_block_view(src, c->blk_at, c->buf, &v);
		ff_block_adopt(b, &v, b->base);
	}
	return 0;
}

bool ff_segment_cursor_failed(const ff_segment_cursor *c)
{
	return c->load_failed;
}

long ff_segment_cursor_next(ff_segment_cursor *c, ff_block_buf *buf, ff_block *out)
{
	uint32_t at = c->at;
	uint32_t n = c->rows - at < FF_BLOCK_ROWS ? c->rows - at : FF_BLOCK_ROWS;
	uint64_t *v = (uint64_t *)(void *)c->scratch;
	*out = (ff_block){.n = n};
	if (c->filled_buf != buf) {
		c->filled = 0;
		c->filled_buf = buf;
	}
	for (int k = 0; k < c->n_src; k++) {
		ff__seg_src *src = &c->src[k];
		uint32_t bit = 1u << src->e->column;
		bool in_place = ff__seg_is_addr(src->e->column) && src->e->encoding == FF__ENC_BYTES;
		if (c->late & bit)
			continue;
		ff__seg_block_view(src, at, buf, out);
		if (in_place || (c->filled & bit))
			continue;
		if (src->fixed != NULL && src->e->column != FF__COL_LAST) {
			/*
			 * Every row of the buffer, so the group's later blocks find
			 * it there (not last_ms: first_ms plus a fixed duration).
			 */
			if (ff__seg_block_col(c->s, src, 0, FF_BLOCK_ROWS, v, buf) != 0)
				return FF_SEG_EBLOCK;
			c->filled |= bit;
		} else if (ff__seg_block_col(c->s, src, at, n, v, buf) != 0) {
			return FF_SEG_EBLOCK;
		}
	}
	if (c->late != 0) {
		out->lazy = true;
		out->load = ff__seg_cursor_load;
		out->load_ctx = c;
	}
	c->blk_at = at;
	c->buf = buf;
	uint32_t any = 0;
	for (uint32_t i = 0; i < n; i++)
		any |= buf->wildcards[i];
	out->any_wildcards = any;
	c->at = at + n;
	return n;
}
