#ifndef FF_BATCH_PLAN_H
#define FF_BATCH_PLAN_H

/*
 * The plan of a version 2/3 batch, shared by its encoder's files:
 * ff_batch_columns.c (gathering, writing) and ff_batch_columns_code.c
 * (version 3's choices). Not a public header.
 */

#include "ff_batch_bits.h"
#include "ff_batch_huff.h"
#include "ff_batch_impl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the first pass learns: exporters, address widths, column ranges. */
typedef struct ff_batch_plan {
	/*
	 * Every record's integer column values, FF_C_N a record, computed once:
	 * the passes after the first read them here instead of going back to
	 * records scattered over the summarizer's table (a cache miss each) and
	 * dividing bytes by packets again.
	 */
	uint64_t *vals;
	/*
	 * Each record's IPv4 source (with bit 32 set when v4-mapped, so a
	 * wildcarded zero address differs from 0.0.0.0) and destination, so
	 * the write pass needs no second trip to the scattered records when
	 * both address columns are IPv4.
	 */
	uint64_t *src4;
	uint32_t *dst4;
	/*
	 * Each record's last_ms - interval start (biased), and its column's
	 * range: when it is shorter than first_ms's, it takes first_ms's place
	 * (version 3's time_anchor), since records end close to the flush
	 * while they start anywhere before it.
	 */
	uint64_t *last;
	ff_intcol_plan last_plan;
	bool anchor_last;
	uint8_t *dict_bytes;
	size_t n_dict;
	bool src16, dst16, src_any, dst_any;
	ff_intcol_plan cols[FF_C_N];
	/* Columns that travel coded (wire version 3), shorter than bit-packed. */
	bool coded[FF_C_N];
	ff_huffcol_plan huff[FF_C_N];
	/*
	 * The IPv4 destinations coded (wire version 3), when shorter than
	 * deltas: the distinct ones' offsets, each record's symbol id.
	 */
	bool dst_coded;
	ff_huffcol_plan dst_huff;
	uint64_t *dst_off;
	uint32_t *dst_ids;
} ff_batch_plan;

static inline uint64_t ff_batch_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* The planned column's bytes, coded or bit-packed. */
static inline size_t ff_batch_col_len(const ff_batch_plan *p, int c)
{
	return p->coded[c] ? ff_huffcol_len(&p->huff[c]) : ff_intcol_len(&p->cols[c]);
}

/* Codes the int columns that are shorter coded (sets coded[] and huff[]). Returns 0 or -ENOMEM. */
int ff_batch_plan_codes(ff_batch_plan *p, size_t n);

/* Codes the IPv4 destinations when shorter than deltas (dst_coded). Returns 0 or -ENOMEM. */
int ff_batch_plan_dst_code(ff_batch_plan *p, size_t n);

/* Puts last_ms in first_ms's column when shorter (anchor_last). Returns 0 or -ENOMEM. */
int ff_batch_plan_anchor(ff_batch_plan *p, size_t n);

#endif
