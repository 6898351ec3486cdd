/*
 * Frame-of-reference bit-packed integer columns and varints for version 2
 * FlowBatches (ff_batch_bits.h). The reader trusts nothing: a column's
 * length is checked against its width and record count before the first
 * value is read, so reading never runs past it.
 */
#include "ff_batch_bits.h"

#include "ff_batch_huff.h"
#include "ff_err.h"

#include <stdlib.h>

#include <string.h>

size_t ff_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

uint8_t *ff_varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

bool ff_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	const uint8_t *q = *p;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (q == end)
			return false;
		uint8_t b = *q++;
		/* The tenth byte may only carry the top bit. */
		if (shift == 63 && b > 1)
			return false;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*p = q;
			*v = x;
			return true;
		}
	}
	return false;
}

void ff_intcol_plan_init(ff_intcol_plan *p)
{
	memset(p, 0, sizeof *p);
	p->min = UINT64_MAX;
}

static unsigned ff_intcol_width(uint64_t range)
{
	unsigned w = 0;
	while (w < 64 && (range >> w) != 0)
		w++;
	return w;
}

/* Payload bytes of n values of `width` bits (n <= 2^20: no overflow). */
static size_t ff_intcol_bits_len(size_t n, unsigned width)
{
	return (size_t)(((uint64_t)n * width + 7) / 8);
}

/*
 * Bytes of the exceptions at width w, at most: a value whose (v - min + 1)
 * is b > w bits long does not fit a slot; its varint takes ceil(b / 7).
 */
static uint64_t ff_intcol_exc_len(const ff_intcol_plan *p, unsigned w)
{
	uint64_t len = 0;
	for (unsigned b = w + 1; b <= 64; b++)
		len += (uint64_t)p->hist[b] * ((b + 6) / 7);
	return len;
}

void ff_intcol_plan_finish(ff_intcol_plan *p)
{
	p->width = p->n ? ff_intcol_width(p->max - p->min) : 0;
	p->escaped = false;
	uint64_t best = (uint64_t)p->n * p->width;
	for (unsigned w = 1; w < p->width; w++) {
		uint64_t bits = (uint64_t)p->n * w + 8 * ff_intcol_exc_len(p, w);
		if (bits < best) {
			best = bits;
			p->width = w;
			p->escaped = true;
		}
	}
}

size_t ff_intcol_len(const ff_intcol_plan *p)
{
	if (p->n == 0 || p->max == 0)
		return 0;
	size_t len = 1 + ff_varint_len(p->min) + ff_intcol_bits_len(p->n, p->width);
	return len + (p->escaped ? (size_t)ff_intcol_exc_len(p, p->width) : 0);
}

void ff_intcol_begin(ff_intcol_writer *w, const ff_intcol_plan *plan, uint8_t *out)
{
	w->start = out;
	w->base = plan->min;
	w->width = plan->width;
	w->escaped = plan->escaped;
	w->mask = plan->width == 64 ? UINT64_MAX : (1ull << plan->width) - 1;
	w->acc = 0;
	w->nbits = 0;
	out[0] = (uint8_t)(w->width | (w->escaped ? 0x80 : 0));
	w->p = ff_varint_put(out + 1, plan->min);
	w->exc = w->p + ff_intcol_bits_len(plan->n, plan->width);
}

size_t ff_intcol_end(ff_intcol_writer *w)
{
	if (w->nbits > 0)
		*w->p++ = (uint8_t)w->acc;
	w->acc = 0;
	w->nbits = 0;
	return (size_t)((w->escaped ? w->exc : w->p) - w->start);
}

int ff_intcol_open(ff_intcol_reader *r, const uint8_t *data, size_t len, size_t n, uint64_t limit)
{
	memset(r, 0, sizeof *r);
	r->room = limit;
	if (len == 0)
		return 0;
	if (data[0] == FF_HUFF_MODE)
		return ff_huffcol_open(r, data, len, n, limit);
	const uint8_t *end = data + len, *q = data + 1;
	unsigned width = data[0] & 0x7f;
	r->escaped = (data[0] & 0x80) != 0;
	if (width > 64 || (r->escaped && width == 0) || !ff_varint_get(&q, end, &r->base))
		return FF_BATCH_ECOLUMN;
	r->width = width;
	r->mask = width == 64 ? UINT64_MAX : (1ull << width) - 1;
	size_t bits = ff_intcol_bits_len(n, width);
	if ((size_t)(end - q) < bits || (!r->escaped && (size_t)(end - q) != bits))
		return FF_BATCH_ECOLUMN;
	if (r->base > limit)
		return FF_BATCH_ERECORD;
	r->room = limit - r->base;
	r->p = q;
	r->exc = q + bits;
	r->end = end;
	return 0;
}

/* The next `k` (at most 32) bits; the length check of open() keeps it inside. */
static uint64_t ff_intcol_get_bits(ff_intcol_reader *r, unsigned k)
{
	while (r->nbits < k) {
		r->acc |= (uint64_t)*r->p++ << r->nbits;
		r->nbits += 8;
	}
	uint64_t v = r->acc & ((1ull << k) - 1);
	r->acc >>= k;
	r->nbits -= k;
	return v;
}

int ff_intcol_get(ff_intcol_reader *r, uint64_t *v)
{
	if (r->coded)
		return ff_huffcol_get(r, v);
	uint64_t off;
	if (r->width <= 32)
		off = ff_intcol_get_bits(r, r->width);
	else {
		off = ff_intcol_get_bits(r, 32);
		off |= ff_intcol_get_bits(r, r->width - 32) << 32;
	}
	if (r->escaped && off == r->mask) {
		uint64_t ex;
		if (!ff_varint_get(&r->exc, r->end, &ex))
			return FF_BATCH_ECOLUMN;
		if (r->mask > r->room || ex > r->room - r->mask)
			return FF_BATCH_ERECORD;
		off = r->mask + ex;
	}
	if (off > r->room)
		return FF_BATCH_ERECORD;
	*v = r->base + off;
	return 0;
}

bool ff_intcol_done(const ff_intcol_reader *r)
{
	if (r->coded)
		return r->p == r->end;
	return !r->escaped || r->exc == r->end;
}

void ff_intcol_close(ff_intcol_reader *r)
{
	free(r->sym);
	r->sym = NULL;
	r->coded = false;
}
