#ifndef FF_BATCH_HUFF_H
#define FF_BATCH_HUFF_H

/*
 * The coded int column of a version 2 FlowBatch (docs/protocol.md, "Coded
 * int column"): a per-batch canonical Huffman code over the column's
 * frequent values, with one escape symbol for the rest, which follow their
 * escape code as raw bits. Bit packing spends the same bits on every value
 * of a range; flow columns are skewed (a few ports, protocols and flag
 * sets carry most records) and lz4 cannot shorten what is below a byte, so
 * such a column costs about its entropy this way. Not a public header.
 */

#include "ff_batch_bits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Sorts `k` ascending by bits [lo, hi) of each value (hi - lo a multiple of
 * 8), LSD radix a byte a pass, stable, skipping a pass whose byte is the
 * same everywhere; `t` is scratch of n values. Returns where the sorted
 * values are: `k` or `t`. The coded columns sort (value, index) pairs and
 * (count, offset) pairs with it.
 */
uint64_t *ff_huff_radix_sort(uint64_t *k, uint64_t *t, size_t n, unsigned lo, unsigned hi);

/* The header byte of a coded column: a width no bit-packed column has. */
#define FF_HUFF_MODE 0x41
/* Columns whose values span at most this many are counted for a code. */
#define FF_HUFF_RANGE 65536u
/* Records a coded column may hold: every count fits 20 bits. */
#define FF_HUFF_MAXN (1u << 20)

/*
 * What the encoder decided for one column. `code` and `len` are indexed by
 * symbol id (n_ids entries; len 0 means escaped): the offset value - base
 * itself, or an index into `id_off`, the ascending offsets of the distinct
 * values (borrowed: it must outlive the plan). Free with
 * ff_huffcol_plan_free().
 */
typedef struct ff_huffcol_plan {
	uint64_t base, span;
	uint32_t n_ids;
	const uint64_t *id_off;
	uint32_t *code; /* bit-reversed, ready for the LSB-first stream */
	uint8_t *len;
	uint32_t esc_code;
	unsigned esc_len, esc_width, max_len;
	uint32_t n_len[FF_HUFF_MAXLEN + 1];	/* symbols of each length, escape included */
	size_t class_bytes[FF_HUFF_MAXLEN + 1]; /* the table's bytes of each length's values */
	size_t n_sym, esc_ix1, table_len;
	uint64_t bits;
} ff_huffcol_plan;

/*
 * Code lengths of `n` >= 2 weights `w` sorted ascending into `len`, a
 * prefix code of at most FF_HUFF_MAXLEN bits. Returns the longest.
 */
unsigned ff_huff_code_lengths(const uint32_t *w, uint32_t *len, size_t n);

/*
 * Builds the shortest code (over a few escape thresholds) for the n
 * `counts` of values base .. base + range (range < FF_HUFF_RANGE). Returns
 * 0, 1 when there is no code to build (fewer than two values) or when no
 * code could be shorter than `beat` bytes (0: no bound) by the counts'
 * entropy, or -ENOMEM.
 */
int ff_huffcol_plan_build(ff_huffcol_plan *p, const uint32_t *counts, uint64_t base, uint32_t range,
			  size_t n, size_t beat);

/*
 * ff_huffcol_plan_build() for values of any range: `n_ids` distinct ones,
 * `id_off` their offsets from `base` ascending (borrowed), `counts` per id.
 */
int ff_huffcol_plan_build_ids(ff_huffcol_plan *p, const uint32_t *counts, const uint64_t *id_off,
			      uint32_t n_ids, uint64_t base, size_t n, size_t beat);

/* Bytes of the column. */
size_t ff_huffcol_len(const ff_huffcol_plan *p);

/* The offset (value - base) of symbol `id`. */
static inline uint64_t ff_huff_off(const ff_huffcol_plan *p, uint32_t id)
{
	return p->id_off != NULL ? p->id_off[id] : id;
}

/*
 * Writes the column's table at `out` and readies `w` for its codes, one
 * ff_huffcol_put() a record, then ff_intcol_end(). Row by row, so that the
 * encoder writes every column in one pass over its rows.
 */
void ff_huffcol_begin(const ff_huffcol_plan *p, uint8_t *out, ff_intcol_writer *w);

/* Appends symbol `id`'s code, and its offset when escaped. Inline: it runs once a value. */
static inline void ff_huffcol_put(ff_intcol_writer *w, const ff_huffcol_plan *p, uint32_t id)
{
	unsigned l = p->len[id];
	if (l != 0) {
		ff_intcol_put_bits(w, p->code[id], l);
		return;
	}
	uint64_t off = ff_huff_off(p, id);
	ff_intcol_put_bits(w, p->esc_code, p->esc_len);
	if (p->esc_width <= 32) {
		ff_intcol_put_bits(w, off, p->esc_width);
	} else {
		ff_intcol_put_bits(w, off, 32);
		ff_intcol_put_bits(w, off >> 32, p->esc_width - 32);
	}
}

/* Writes the column of the `n` values at v[0], v[stride], ...; returns its length. */
size_t ff_huffcol_write(const ff_huffcol_plan *p, const uint64_t *v, size_t stride, size_t n,
			uint8_t *out);

/* ff_huffcol_write() of a plan by ids: record i is symbol ids[i]. */
size_t ff_huffcol_write_ids(const ff_huffcol_plan *p, const uint32_t *ids, size_t n, uint8_t *out);

void ff_huffcol_plan_free(ff_huffcol_plan *p);

/*
 * Opens a coded column (data[0] == FF_HUFF_MODE) for ff_intcol_reader:
 * every count, value and the code itself are checked; the symbol table is
 * malloc'd into r->sym (freed by ff_intcol_close()). Returns 0,
 * FF_BATCH_ECOLUMN, FF_BATCH_ERECORD or -ENOMEM.
 */
int ff_huffcol_open(ff_intcol_reader *r, const uint8_t *data, size_t len, size_t n, uint64_t limit);

/* The next value of a coded column. Returns 0 or FF_BATCH_ECOLUMN. */
int ff_huffcol_get(ff_intcol_reader *r, uint64_t *v);

#endif
