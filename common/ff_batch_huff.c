/*
 * Coded int columns (ff_batch_huff.h): building a length-limited canonical
 * Huffman code from a column's value counts, writing it, and reading it
 * back from untrusted bytes.
 */
#include "ff_batch_huff.h"

#include "ff_err.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Code lengths in place for n >= 2 weights sorted ascending (Moffat and
 * Katajainen, "In-place calculation of minimum-redundancy codes", 1995):
 * on return A[i] is the length of the code of weight i, O(n), no memory.
 */
static void ff_huff_lengths(uint32_t *A, size_t n)
{
	size_t root = 0, leaf = 2;
	A[0] += A[1];
	for (size_t next = 1; next < n - 1; next++) {
		if (leaf >= n || A[root] < A[leaf]) {
			A[next] = A[root];
			A[root++] = (uint32_t)next;
		} else {
			A[next] = A[leaf++];
		}
		if (leaf >= n || (root < next && A[root] < A[leaf])) {
			A[next] += A[root];
			A[root++] = (uint32_t)next;
		} else {
			A[next] += A[leaf++];
		}
	}
	A[n - 2] = 0;
	for (size_t next = n - 2; next-- > 0;)
		A[next] = A[A[next]] + 1;
	size_t avbl = 1, used = 0, next = n - 1;
	uint32_t depth = 0;
	ptrdiff_t r = (ptrdiff_t)n - 2;
	while (avbl > 0) {
		while (r >= 0 && A[r] == depth) {
			used++;
			r--;
		}
		while (avbl > used) {
			A[next--] = depth;
			avbl--;
		}
		avbl = 2 * used;
		depth++;
		used = 0;
	}
}

unsigned ff_huff_code_lengths(const uint32_t *w, uint32_t *len, size_t n)
{
	/* When the code is longer, the weights are halved (which keeps their order) until not. */
	unsigned shift = 0;
	for (;;) {
		for (size_t i = 0; i < n; i++)
			len[i] = shift ? (w[i] >> shift) + 1 : w[i];
		ff_huff_lengths(len, n);
		if (len[0] <= FF_HUFF_MAXLEN)
			return len[0];
		shift++;
	}
}

static unsigned ff_huff_width(uint64_t v)
{
	return v ? 64 - (unsigned)__builtin_clzll(v) : 0;
}

uint64_t *ff_huff_radix_sort(uint64_t *k, uint64_t *t, size_t n, unsigned lo, unsigned hi)
{
	for (unsigned shift = lo; n > 0 && shift < hi; shift += 8) {
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[(k[i] >> shift & 0xff) + 1]++;
		if (count[(k[0] >> shift & 0xff) + 1] == n)
			continue;
		for (size_t d = 1; d < 257; d++)
			count[d] += count[d - 1];
		for (size_t i = 0; i < n; i++)
			t[count[k[i] >> shift & 0xff]++] = k[i];
		uint64_t *x = k;
		k = t;
		t = x;
	}
	return k;
}

/*
 * Sorts `k` (count << 20 | offset, counts up to 2^20) ascending over the
 * count's bytes only: offsets come in ascending already, and the passes are
 * stable. `t` is scratch.
 */
static void ff_huff_sort(uint64_t *k, uint64_t *t, size_t n)
{
	uint64_t *sorted = ff_huff_radix_sort(k, t, n, 20, 44);
	if (sorted != k)
		memcpy(k, sorted, n * sizeof *k);
}

/* Values sorted by count, and what each escape threshold would leave. */
typedef struct ff_huff_syms {
	uint64_t *key; /* count << 20 | offset, ascending */
	uint32_t *w, *len;
	size_t n;
} ff_huff_syms;

#define FF_HUFF_CNT(k) ((uint32_t)((k) >> 20))
#define FF_HUFF_OFF(k) ((uint32_t)((k)&0xfffff))

/*
 * The weights when the first `k` (rarest) symbols are escaped: the kept
 * ones, with the escape's weight (their sum) in its sorted place `*esc`.
 * Returns how many weights.
 */
static size_t ff_huff_weights(const ff_huff_syms *s, size_t k, uint64_t esc_w, size_t *esc)
{
	size_t m = 0;
	*esc = SIZE_MAX;
	for (size_t i = k; i < s->n; i++) {
		if (*esc == SIZE_MAX && esc_w > 0 && esc_w <= FF_HUFF_CNT(s->key[i])) {
			*esc = m;
			s->w[m++] = (uint32_t)esc_w;
		}
		s->w[m++] = FF_HUFF_CNT(s->key[i]);
	}
	if (*esc == SIZE_MAX && esc_w > 0) {
		*esc = m;
		s->w[m++] = (uint32_t)esc_w;
	}
	return m;
}

/* Bits of the code when the `k` rarest are escaped at `esc_width` bits, table estimated. */
static uint64_t ff_huff_cost(const ff_huff_syms *s, size_t k, uint64_t esc_w, unsigned esc_width,
			     uint64_t span)
{
	size_t esc;
	size_t m = ff_huff_weights(s, k, esc_w, &esc);
	if (m < 2)
		return UINT64_MAX;
	ff_huff_code_lengths(s->w, s->len, m);
	uint64_t bits = esc_w * esc_width;
	for (size_t i = 0; i < m; i++)
		bits += (uint64_t)s->w[i] * s->len[i];
	size_t kept = s->n - k;
	uint64_t gap = kept ? span / kept + 1 : 0;
	return bits + 8 * kept * ff_varint_len(gap);
}

/* The threshold's first kept symbol: the rarest ones below `t` are escaped. */
static size_t ff_huff_first_kept(const ff_huff_syms *s, size_t from, uint32_t t)
{
	while (from < s->n && FF_HUFF_CNT(s->key[from]) < t)
		from++;
	return from;
}

/*
 * How many of the rarest symbols to escape: tries a few count thresholds
 * (a value seen once costs a table entry and a long code; escaped it costs
 * the escape's code and its raw bits). `psum`/`pmax`: the count sum and the
 * largest offset of the first k symbols.
 */
static size_t ff_huff_choose(const ff_huff_syms *s, const uint64_t *psum, const uint64_t *pmax,
			     uint64_t span)
{
	static const uint32_t thresholds[] = {1, 2, 3, 4, 6, 8, 16, 32};
	uint64_t best = UINT64_MAX;
	size_t best_k = 0, k = 0, last = SIZE_MAX;
	for (size_t i = 0; i < sizeof thresholds / sizeof thresholds[0]; i++) {
		k = ff_huff_first_kept(s, k, thresholds[i]);
		if (k == last)
			continue;
		last = k;
		uint64_t c = ff_huff_cost(s, k, psum[k], ff_huff_width(pmax[k]), span);
		if (c < best) {
			best = c;
			best_k = k;
		}
	}
	return best_k;
}

static uint32_t ff_huff_reverse(uint32_t code, unsigned len)
{
	uint32_t r = 0;
	for (unsigned i = 0; i < len; i++)
		r |= (code >> i & 1) << (len - 1 - i);
	return r;
}

/* Lengths of the kept symbols (and the escape) into the plan, by offset. */
static void ff_huff_assign(ff_huffcol_plan *p, const ff_huff_syms *s, size_t k, size_t m,
			   size_t esc)
{
	for (size_t j = 0, i = k; j < m; j++) {
		unsigned l = s->len[j];
		p->n_len[l]++;
		if (l > p->max_len)
			p->max_len = l;
		if (j == esc)
			p->esc_len = l;
		else
			p->len[FF_HUFF_OFF(s->key[i++])] = (uint8_t)l;
	}
	p->n_sym = m;
}

/*
 * Canonical codes (by length, then value; the escape first of its length),
 * the table's bytes and the stream's bits.
 */
static void ff_huff_codes(ff_huffcol_plan *p, const uint32_t *counts, size_t n)
{
	uint32_t next[FF_HUFF_MAXLEN + 2] = {0};
	for (unsigned l = 2; l <= p->max_len; l++)
		next[l] = (next[l - 1] + p->n_len[l - 1]) << 1;
	size_t esc_index = 0;
	for (unsigned l = 1; l < p->esc_len; l++)
		esc_index += p->n_len[l];
	uint64_t n_esc = n, bits = 0;
	if (p->esc_len > 0)
		p->esc_code = ff_huff_reverse(next[p->esc_len]++, p->esc_len);
	int64_t prev[FF_HUFF_MAXLEN + 1];
	for (unsigned l = 0; l <= FF_HUFF_MAXLEN; l++)
		prev[l] = -1;
	for (uint32_t id = 0; id < p->n_ids; id++) {
		unsigned l = p->len[id];
		if (l == 0)
			continue;
		int64_t o = (int64_t)ff_huff_off(p, id);
		p->code[id] = ff_huff_reverse(next[l]++, l);
		p->class_bytes[l] += ff_varint_len((uint64_t)(o - prev[l] - 1));
		prev[l] = o;
		bits += (uint64_t)counts[id] * l;
		n_esc -= counts[id];
	}
	p->bits = bits + n_esc * (p->esc_len + p->esc_width);
	p->esc_ix1 = p->esc_len > 0 ? esc_index + 1 : 0;
	size_t t = 1 + ff_varint_len(p->base) + 2 + ff_varint_len(p->esc_ix1);
	for (unsigned l = 1; l <= p->max_len; l++)
		t += ff_varint_len(p->n_len[l]) + p->class_bytes[l];
	p->table_len = t;
}

/* The sorted symbols of `counts`, their prefix sums and maxima; false when out of memory. */
static bool ff_huff_gather(ff_huff_syms *s, uint64_t **psum, uint64_t **pmax,
			   const uint32_t *counts, const ff_huffcol_plan *p)
{
	uint64_t *tmp = malloc(s->n * sizeof *tmp);
	s->key = malloc(s->n * sizeof *s->key);
	s->w = malloc((s->n + 1) * sizeof *s->w);
	s->len = malloc((s->n + 1) * sizeof *s->len);
	*psum = malloc((s->n + 1) * sizeof **psum);
	*pmax = malloc((s->n + 1) * sizeof **pmax);
	if (tmp == NULL || s->key == NULL || s->w == NULL || s->len == NULL || *psum == NULL ||
	    *pmax == NULL) {
		free(tmp);
		return false;
	}
	size_t d = 0;
	for (uint32_t id = 0; id < p->n_ids; id++)
		if (counts[id] != 0)
			s->key[d++] = (uint64_t)counts[id] << 20 | id;
	ff_huff_sort(s->key, tmp, d);
	free(tmp);
	(*psum)[0] = 0;
	(*pmax)[0] = 0;
	for (size_t i = 0; i < d; i++) {
		uint64_t o = ff_huff_off(p, FF_HUFF_OFF(s->key[i]));
		(*psum)[i + 1] = (*psum)[i] + FF_HUFF_CNT(s->key[i]);
		(*pmax)[i + 1] = o > (*pmax)[i] ? o : (*pmax)[i];
	}
	return true;
}

/*
 * Bytes the column takes at least, whatever the code: the counts' entropy
 * (n log2 n - sum c log2 c bits; any prefix code of these values, escapes
 * included, is as long or longer). `*d` gets how many values are present.
 */
static double ff_huff_entropy_len(const uint32_t *counts, uint32_t n_ids, size_t n, size_t *d)
{
	/* Most counts are small: their c log2 c once, not once a symbol. */
	double small[64];
	for (unsigned c = 1; c < 64; c++)
		small[c] = c * log2((double)c);
	double sum = 0;
	*d = 0;
	for (uint32_t id = 0; id < n_ids; id++) {
		uint32_t c = counts[id];
		if (c == 0)
			continue;
		(*d)++;
		sum += c < 64 ? small[c] : c * log2((double)c);
	}
	return ((double)n * log2((double)n) - sum) / 8;
}

/* Builds the code of the plan's n_ids symbols (id_off and span set). */
static int ff_huff_build(ff_huffcol_plan *p, const uint32_t *counts, size_t n, size_t beat)
{
	ff_huff_syms s = {0};
	if (n < 2 || n > FF_HUFF_MAXN)
		return 1;
	/* Near-uniform columns (times, counters) cannot win: known without building a code. */
	double least = ff_huff_entropy_len(counts, p->n_ids, n, &s.n);
	if (s.n < 2 || (beat != 0 && least >= (double)beat))
		return 1;
	uint64_t *psum = NULL, *pmax = NULL;
	int rc = -ENOMEM;
	p->len = calloc(p->n_ids, 1);
	p->code = malloc(p->n_ids * sizeof *p->code);
	if (p->len == NULL || p->code == NULL || !ff_huff_gather(&s, &psum, &pmax, counts, p))
		goto out;
	size_t k = ff_huff_choose(&s, psum, pmax, p->span), esc;
	p->esc_width = k ? ff_huff_width(pmax[k]) : 0;
	size_t m = ff_huff_weights(&s, k, psum[k], &esc);
	ff_huff_code_lengths(s.w, s.len, m);
	ff_huff_assign(p, &s, k, m, esc);
	ff_huff_codes(p, counts, n);
	rc = 0;
out:
	free(s.key);
	free(s.w);
	free(s.len);
	free(psum);
	free(pmax);
	if (rc != 0)
		ff_huffcol_plan_free(p);
	return rc;
}

int ff_huffcol_plan_build(ff_huffcol_plan *p, const uint32_t *counts, uint64_t base, uint32_t range,
			  size_t n, size_t beat)
{
	memset(p, 0, sizeof *p);
	if (range >= FF_HUFF_RANGE)
		return 1;
	p->base = base;
	p->n_ids = range + 1;
	p->span = range;
	return ff_huff_build(p, counts, n, beat);
}

int ff_huffcol_plan_build_ids(ff_huffcol_plan *p, const uint32_t *counts, const uint64_t *id_off,
			      uint32_t n_ids, uint64_t base, size_t n, size_t beat)
{
	memset(p, 0, sizeof *p);
	if (n_ids < 2 || n_ids > FF_HUFF_MAXN)
		return 1;
	p->base = base;
	p->n_ids = n_ids;
	p->id_off = id_off;
	p->span = id_off[n_ids - 1];
	return ff_huff_build(p, counts, n, beat);
}

size_t ff_huffcol_len(const ff_huffcol_plan *p)
{
	return p->table_len + (size_t)((p->bits + 7) / 8);
}

void ff_huffcol_plan_free(ff_huffcol_plan *p)
{
	free(p->len);
	free(p->code);
	p->len = NULL;
	p->code = NULL;
}

/* The table: header, counts of each length, then each length's values ascending. */
static uint8_t *ff_huff_put_table(const ff_huffcol_plan *p, uint8_t *q)
{
	*q++ = FF_HUFF_MODE;
	q = ff_varint_put(q, p->base);
	*q++ = (uint8_t)p->max_len;
	*q++ = (uint8_t)p->esc_width;
	for (unsigned l = 1; l <= p->max_len; l++)
		q = ff_varint_put(q, p->n_len[l]);
	q = ff_varint_put(q, p->esc_ix1);
	uint8_t *cur[FF_HUFF_MAXLEN + 1];
	int64_t prev[FF_HUFF_MAXLEN + 1];
	for (unsigned l = 1; l <= p->max_len; l++) {
		cur[l] = q;
		prev[l] = -1;
		q += p->class_bytes[l];
	}
	for (uint32_t id = 0; id < p->n_ids; id++) {
		unsigned l = p->len[id];
		if (l == 0)
			continue;
		int64_t o = (int64_t)ff_huff_off(p, id);
		cur[l] = ff_varint_put(cur[l], (uint64_t)(o - prev[l] - 1));
		prev[l] = o;
	}
	return q;
}

void ff_huffcol_begin(const ff_huffcol_plan *p, uint8_t *out, ff_intcol_writer *w)
{
	memset(w, 0, sizeof *w);
	w->start = out;
	w->p = ff_huff_put_table(p, out);
}

size_t ff_huffcol_write(const ff_huffcol_plan *p, const uint64_t *v, size_t stride, size_t n,
			uint8_t *out)
{
	ff_intcol_writer w;
	ff_huffcol_begin(p, out, &w);
	for (size_t i = 0; i < n; i++)
		ff_huffcol_put(&w, p, (uint32_t)(v[i * stride] - p->base));
	return ff_intcol_end(&w);
}

size_t ff_huffcol_write_ids(const ff_huffcol_plan *p, const uint32_t *ids, size_t n, uint8_t *out)
{
	ff_intcol_writer w;
	ff_huffcol_begin(p, out, &w);
	for (size_t i = 0; i < n; i++)
		ff_huffcol_put(&w, p, ids[i]);
	return ff_intcol_end(&w);
}

/* Reads the length counts; false unless they form a prefix code (Kraft) of at most `max_sym`. */
static bool ff_huff_get_counts(ff_intcol_reader *r, const uint8_t **q, const uint8_t *end,
			       size_t max_sym)
{
	uint64_t left = 1, total = 0;
	for (unsigned l = 1; l <= r->max_len; l++) {
		uint64_t c;
		left <<= 1;
		if (!ff_varint_get(q, end, &c) || c > left)
			return false;
		left -= c;
		total += c;
		r->n_len[l] = (uint32_t)c;
	}
	r->n_sym = (size_t)total;
	return total >= 1 && total <= max_sym;
}

/* Reads each length's values (ascending, each at most r->room) into r->sym. */
static int ff_huff_get_values(ff_intcol_reader *r, const uint8_t **q, const uint8_t *end)
{
	size_t idx = 0;
	for (unsigned l = 1; l <= r->max_len; l++) {
		bool first = true;
		uint64_t prev = 0;
		for (uint32_t j = 0; j < r->n_len[l]; j++, idx++) {
			uint64_t x;
			if (idx == r->esc_index)
				continue;
			if (!ff_varint_get(q, end, &x))
				return FF_BATCH_ECOLUMN;
			if (!first && (prev >= r->room || x > r->room - prev - 1))
				return FF_BATCH_ERECORD;
			if (first && x > r->room)
				return FF_BATCH_ERECORD;
			prev = first ? x : prev + 1 + x;
			first = false;
			r->sym[idx] = prev;
		}
	}
	return 0;
}

int ff_huffcol_open(ff_intcol_reader *r, const uint8_t *data, size_t len, size_t n, uint64_t limit)
{
	const uint8_t *q = data + 1, *end = data + len;
	uint64_t esc1;
	if (!ff_varint_get(&q, end, &r->base) || end - q < 2)
		return FF_BATCH_ECOLUMN;
	r->max_len = *q++;
	r->esc_width = *q++;
	if (r->max_len < 1 || r->max_len > FF_HUFF_MAXLEN || r->esc_width > 64)
		return FF_BATCH_ECOLUMN;
	if (r->base > limit)
		return FF_BATCH_ERECORD;
	r->room = limit - r->base;
	/* Every record its own value, and the escape: more symbols is nobody's code. */
	if (!ff_huff_get_counts(r, &q, end, n + 1) || !ff_varint_get(&q, end, &esc1) ||
	    esc1 > r->n_sym)
		return FF_BATCH_ECOLUMN;
	r->esc_index = esc1 ? (size_t)esc1 - 1 : r->n_sym;
	/* Each value takes a byte at least: the column's length bounds the table. */
	if (r->n_sym - (esc1 ? 1 : 0) > (size_t)(end - q))
		return FF_BATCH_ECOLUMN;
	if ((r->sym = malloc(r->n_sym * sizeof *r->sym)) == NULL)
		return -ENOMEM;
	r->coded = true;
	int rc = ff_huff_get_values(r, &q, end);
	if (rc != 0)
		return rc;
	r->p = q;
	r->end = end;
	return 0;
}

/* The next `k` (at most 32) bits of the stream; false past its end. */
static bool ff_huff_bits(ff_intcol_reader *r, unsigned k, uint64_t *v)
{
	while (r->nbits < k) {
		if (r->p == r->end)
			return false;
		r->acc |= (uint64_t)*r->p++ << r->nbits;
		r->nbits += 8;
	}
	*v = r->acc & ((1ull << k) - 1);
	r->acc >>= k;
	r->nbits -= k;
	return true;
}

/* The escaped value's raw offset, up to 64 bits. */
static int ff_huff_escaped(ff_intcol_reader *r, uint64_t *off)
{
	uint64_t lo, hi = 0;
	unsigned k = r->esc_width;
	if (!ff_huff_bits(r, k > 32 ? 32 : k, &lo) || (k > 32 && !ff_huff_bits(r, k - 32, &hi)))
		return FF_BATCH_ECOLUMN;
	*off = lo | hi << 32;
	return *off > r->room ? FF_BATCH_ERECORD : 0;
}

int ff_huffcol_get(ff_intcol_reader *r, uint64_t *v)
{
	/* Canonical decoding, a bit at a time (as zlib's puff.c does). */
	uint32_t code = 0, first = 0;
	size_t index = 0;
	for (unsigned l = 1; l <= r->max_len; l++) {
		uint64_t bit;
		if (!ff_huff_bits(r, 1, &bit))
			return FF_BATCH_ECOLUMN;
		code |= (uint32_t)bit;
		uint32_t count = r->n_len[l];
		if (code - first < count) {
			size_t idx = index + (code - first);
			uint64_t off = 0;
			int rc = idx == r->esc_index ? ff_huff_escaped(r, &off) : 0;
			if (idx != r->esc_index)
				off = r->sym[idx];
			*v = r->base + off;
			return rc;
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return FF_BATCH_ECOLUMN; /* a code the table does not have */
}
