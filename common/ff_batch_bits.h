#ifndef FF_BATCH_BITS_H
#define FF_BATCH_BITS_H

/*
 * The integer column of a version 2 FlowBatch (docs/protocol.md): frame of
 * reference and bit packing with exceptions. A column of n values is one
 * byte `width` (0..64, plus 0x80 when the column has exceptions), the
 * smallest value `base` as a varint, then each value minus base in
 * `width` bits, least significant bit first, n * width bits padded to a
 * whole byte. With exceptions, a slot of all ones stands for a value too
 * large for its width: the value minus base minus that all-ones slot
 * follows the bits, as a varint, in record order, so a few merged records
 * with huge counters do not widen every slot. A column whose values are
 * all equal is two or so bytes (width 0); an empty column means 0 for
 * every record. No entropy coder: three passes of shifts and compares.
 * Not a public header.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest varint of a 64-bit value. */
#define FF_VARINT_MAX 10

/* Bytes of the varint of `v`. */
size_t ff_varint_len(uint64_t v);

/* Writes the varint of `v` at `p`; returns the byte after it. */
uint8_t *ff_varint_put(uint8_t *p, uint64_t v);

/*
 * Reads a varint at *p, not past `end`, into *v and advances *p. Returns
 * false when it runs past `end` or does not fit 64 bits.
 */
bool ff_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* The range of a column's values, gathered before it is written. */
typedef struct ff_intcol_plan {
	uint64_t min, max;
	size_t n;
	/* Second pass: how many values v have bit length b of (v - min + 1). */
	uint32_t hist[65];
	unsigned width;
	bool escaped;
} ff_intcol_plan;

static inline void ff_intcol_plan_add(ff_intcol_plan *p, uint64_t v)
{
	if (v < p->min)
		p->min = v;
	if (v > p->max)
		p->max = v;
	p->n++;
}

void ff_intcol_plan_init(ff_intcol_plan *p);

/* Second pass over the same values, once every one was added. */
static inline void ff_intcol_plan_count(ff_intcol_plan *p, uint64_t v)
{
	uint64_t x = v - p->min + 1;
	p->hist[x == 0 ? 64 : 64 - __builtin_clzll(x)]++;
}

/* Chooses the width once every value was counted. */
void ff_intcol_plan_finish(ff_intcol_plan *p);

/* Bytes the column takes at most: 0 (left empty) when every value is 0. */
size_t ff_intcol_len(const ff_intcol_plan *p);

/* Writes one column of `plan`'s values, in the order they were planned. */
typedef struct ff_intcol_writer {
	uint8_t *start, *p, *exc;
	uint64_t base, acc, mask;
	unsigned width, nbits;
	bool escaped;
} ff_intcol_writer;

/* Writes the column's header at `out` (ff_intcol_len(plan) bytes must be there). */
void ff_intcol_begin(ff_intcol_writer *w, const ff_intcol_plan *plan, uint8_t *out);

/* Appends the low `k` (at most 32) bits of `v`. Inline: it runs once a value. */
static inline void ff_intcol_put_bits(ff_intcol_writer *w, uint64_t v, unsigned k)
{
	w->acc |= (v & ((1ull << k) - 1)) << w->nbits;
	w->nbits += k;
	while (w->nbits >= 8) {
		*w->p++ = (uint8_t)w->acc;
		w->acc >>= 8;
		w->nbits -= 8;
	}
}

static inline void ff_intcol_put(ff_intcol_writer *w, uint64_t v)
{
	uint64_t off = v - w->base;
	if (w->escaped && off >= w->mask) {
		w->exc = ff_varint_put(w->exc, off - w->mask);
		off = w->mask;
	}
	if (w->width <= 32) {
		ff_intcol_put_bits(w, off, w->width);
		return;
	}
	ff_intcol_put_bits(w, off, 32);
	ff_intcol_put_bits(w, off >> 32, w->width - 32);
}
/* Flushes the last partial byte; returns the bytes the column took. */
size_t ff_intcol_end(ff_intcol_writer *w);

/* Longest code of a coded column (ff_batch_huff.h). */
#define FF_HUFF_MAXLEN 20

/* Reads a column back, value by value; every value is checked against a limit. */
typedef struct ff_intcol_reader {
	const uint8_t *p, *exc, *end;
	uint64_t base, room, acc, mask;
	unsigned width, nbits;
	bool escaped;
	/* A coded column (ff_batch_huff.c): its symbols in canonical order, owned. */
	bool coded;
	uint64_t *sym;
	size_t n_sym, esc_index; /* esc_index == n_sym: no escape */
	unsigned max_len, esc_width;
	uint32_t n_len[FF_HUFF_MAXLEN + 1];
} ff_intcol_reader;

/*
 * Opens a column of `len` bytes at `data` that must hold exactly `n`
 * values, each at most `limit`: bit-packed, or coded (ff_batch_huff.h).
 * Returns 0, FF_BATCH_ECOLUMN (bad width, length or code),
 * FF_BATCH_ERECORD (a value above limit) or -ENOMEM. Once open, the reader
 * is released with ff_intcol_close(), even after an error of ff_intcol_get().
 */
int ff_intcol_open(ff_intcol_reader *r, const uint8_t *data, size_t len, size_t n, uint64_t limit);

/*
 * The next value into *v. Returns 0, FF_BATCH_ERECORD (above the limit)
 * or FF_BATCH_ECOLUMN (an exception's varint runs past the column).
 */
int ff_intcol_get(ff_intcol_reader *r, uint64_t *v);

/* True when the column was used up exactly (after n values). */
bool ff_intcol_done(const ff_intcol_reader *r);

/* Frees what ff_intcol_open() allocated (a coded column's symbols). */
void ff_intcol_close(ff_intcol_reader *r);

#endif
