/*
 * Writing a segment: the rows are ordered (by agent, then second of
 * first_ms, then addresses: docs/storage.md says why), cut into row groups,
 * and each column of a group is encoded (frame of reference or delta at the
 * narrowest byte width its values need, IPv4-only address blocks as 32-bit
 * integers, bytes optionally grouped by significance) and compressed with
 * lz4 HC when that makes it smaller; then header, directory and blocks go
 * to a temporary file that is synced and renamed into place, and the
 * directory is synced, so a crash never leaves a half-written segment under
 * a segment's name.
 */
#include "segment.h"
#include "ff_bytes.h"
#include "segment_format.h"

#include "ff_hmap.h"
#include "ff_log.h"
#include "ff_time.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Below this the lz4 call costs more than it could save. */
#define FF__SEG_LZ4_MIN 64
/*
 * lz4 HC level: HC output decodes with the same decoder as fast lz4, as
 * fast or faster; levels above this one cost seal time for little (the
 * measurements are in docs/storage.md).
 */
#define FF__SEG_LZ4HC_LEVEL 4
/* Blocks fast lz4 leaves above this share of their size skip HC (ff__seg_encode_int). */
#define FF__SEG_HC_RATIO 0.75
/* Rows of an agent are ordered by this bin of first_ms, then by addresses. */
#define FF__SEG_SORT_BIN_MS 1000
/* Rows of a block compressed to choose its encoding (ff__seg_try). */
#define FF__SEG_PROBE_ROWS 16384

typedef struct ff__seg_block {
	ff__seg_entry e;
	uint8_t *data; /* the stored bytes, owned */
} ff__seg_block;

typedef struct ff__seg_writer {
	const ff_segment_input *in;
	uint64_t covers_first, covers_last; /* as the header gets them */
	uint32_t *order;		    /* write position -> index into in->rows */
	ff__seg_block *blocks;
	size_t n_blocks, cap_blocks;
	uint8_t *raw;		      /* encoding scratch */
	size_t raw_cap;
	uint8_t *probe;		      /* fast lz4 output when sizing a choice */
	uint64_t *coded;	      /* one block's values as encoded */
	void *hc;		      /* lz4 HC state, reused by every block */
	uint32_t *exp_idx;	      /* per input row: its exporter's dictionary index */
	size_t n_exporters;
	uint64_t min_first, max_first, min_last, max_last;
	/* The row group being encoded, column by column (ff__seg_transpose). */
	uint64_t *cols;		      /* FF__COL_COUNT arrays of GROUP_ROWS integers */
	uint8_t *addrs;		      /* its source, then its destination addresses */
	bool all_v4[2];		      /* every source / destination address is IPv4 */
	uint64_t grp_min_last, grp_max_last;
} ff__seg_writer;

/* The fewest bytes that hold `max` (0 to 8). */
static uint8_t ff__seg_width(uint64_t max)
{
	uint8_t w = 0;
	while (max != 0) {
		w++;
		max >>= 8;
	}
	return w;
}

/*
 * Packs n values of `width` bytes into p: value by value, or shuffled (every
 * value's byte 0, then every value's byte 1, ...), which lets lz4 find the
 * runs in the high bytes of counters that vary in their low bytes.
 */
static void ff__seg_pack(uint8_t *p, const uint64_t *v, size_t n, uint8_t width, bool shuffle)
{
	if (shuffle) {
		for (uint8_t k = 0; k < width; k++)
			for (size_t i = 0; i < n; i++)
				p[k * n + i] = (uint8_t)(v[i] >> (8 * k));
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (uint8_t k = 0; k < width; k++)
			p[i * width + k] = (uint8_t)(v[i] >> (8 * k));
}

static int ff__seg_raw_reserve(ff__seg_writer *w, size_t len)
{
	if (len <= w->raw_cap)
		return 0;
	uint8_t *p = realloc(w->raw, len);
	if (p == NULL)
		return -ENOMEM;
	w->raw = p;
	w->raw_cap = len;
	return 0;
}

/*
 * Compresses w->raw[0..e->raw_len) (with lz4 HC, or fast lz4 when `fast`)
 * when that pays and appends the block.
 */
static int ff__seg_add_block(ff__seg_writer *w, ff__seg_entry e, bool fast)
{
	if (w->n_blocks == w->cap_blocks) {
		size_t cap = w->cap_blocks ? w->cap_blocks * 2 : 64;
		ff__seg_block *b = realloc(w->blocks, cap * sizeof *b);
		if (b == NULL)
			return -ENOMEM;
		w->blocks = b;
		w->cap_blocks = cap;
	}
	size_t bound = (size_t)LZ4_compressBound((int)e.raw_len);
	uint8_t *data = malloc(bound > e.raw_len ? bound : e.raw_len + 1);
	if (data == NULL)
		return -ENOMEM;
	const char *src = (const char *)w->raw;
	int n = 0;
	if (e.raw_len >= FF__SEG_LZ4_MIN && fast)
		n = LZ4_compress_default(src, (char *)data, (int)e.raw_len, (int)bound);
	else if (e.raw_len >= FF__SEG_LZ4_MIN)
		n = LZ4_compress_HC_extStateHC(w->hc, src, (char *)data, (int)e.raw_len,
					       (int)bound, FF__SEG_LZ4HC_LEVEL);
	if (n > 0 && (uint32_t)n < e.raw_len) {
		e.compression = FF__COMP_LZ4;
		e.stored_len = (uint32_t)n;
	} else {
		e.compression = FF__COMP_NONE;
		e.stored_len = e.raw_len;
		memcpy(data, w->raw, e.raw_len);
	}
	e.crc = ff__seg_crc(data, e.stored_len);
	w->blocks[w->n_blocks].e = e;
	w->blocks[w->n_blocks].data = data;
	w->n_blocks++;
	return 0;
}

/* --- sections ---------------------------------------------------------------- */

/* Interns every row's exporter address. */
static int ff__seg_exporters(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	ff_hmap *map = ff_hmap_new(FF_ADDR_LEN, sizeof(uint32_t), 64);
	w->exp_idx = malloc((in->n_rows ? in->n_rows : 1) * sizeof *w->exp_idx);
	int rc = map != NULL && w->exp_idx != NULL ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < in->n_rows; i++) {
		/* Runs of one exporter are the rule: only a change needs the map. */
		if (i > 0 && memcmp(in->rows[i].exporter, in->rows[i - 1].exporter, FF_ADDR_LEN) == 0) {
			w->exp_idx[i] = w->exp_idx[i - 1];
			continue;
		}
		int created = 0;
		uint32_t *idx = ff_hmap_upsert(map, in->rows[i].exporter, &created);
		if (idx == NULL || (created && ff__seg_raw_reserve(w, (w->n_exporters + 1) *
									 FF_ADDR_LEN) != 0)) {
			rc = -ENOMEM;
			break;
		}
		if (created) {
			memcpy(w->raw + w->n_exporters * FF_ADDR_LEN, in->rows[i].exporter,
			       FF_ADDR_LEN);
			*idx = (uint32_t)w->n_exporters++;
		}
		w->exp_idx[i] = *idx;
	}
	ff_hmap_free(map);
	if (rc != 0)
		return rc;
	ff__seg_entry e = {.column = FF__SEC_EXPORTERS,
			   .rows = (uint32_t)w->n_exporters,
			   .raw_len = (uint32_t)(w->n_exporters * FF_ADDR_LEN)};
	return ff__seg_add_block(w, e, false);
}

static int ff__seg_agents(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	size_t len = 0;
	if (ff__seg_raw_reserve(w, in->n_agents * (FF_AGENT_ID_MAX + 1) + 1) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_agents; i++) {
		size_t n = strnlen(in->agents[i], FF_AGENT_ID_MAX);
		w->raw[len++] = (uint8_t)n;
		memcpy(w->raw + len, in->agents[i], n);
		len += n;
	}
	ff__seg_entry e = {.column = FF__SEC_AGENTS,
			   .rows = (uint32_t)in->n_agents,
			   .raw_len = (uint32_t)len};
	return ff__seg_add_block(w, e, false);
}

static int ff__seg_batches(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	if (ff__seg_raw_reserve(w, in->n_batches * FF__SEG_BATCH_LEN + 1) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_batches; i++) {
		const ff_segment_batch *b = &in->batches[i];
		uint8_t *p = w->raw + i * FF__SEG_BATCH_LEN;
		ff_put_le32(p, b->agent);
		ff_put_le32(p + 4, b->interval_len_ms);
		ff_put_le64(p + 8, b->epoch);
		ff_put_le64(p + 16, b->sequence);
		ff_put_le64(p + 24, b->interval_start_ms);
		ff_put_le64(p + 32, b->policy_version);
		ff_put_le32(p + 40, b->n_records);
		ff_put_le32(p + 44, 0);
	}
	ff__seg_entry e = {.column = FF__SEC_BATCHES,
			   .rows = (uint32_t)in->n_batches,
			   .raw_len = (uint32_t)(in->n_batches * FF__SEG_BATCH_LEN)};
	return ff__seg_add_block(w, e, false);
}

/* --- row order ----------------------------------------------------------------- */

/*
 * The sort key of a row, compared as (k1, k2, ms), ties kept in input order.
 * k1: the agent, so an agent's rows stay contiguous (agent skipping needs
 * that), then the second of first_ms, so row groups cover short time ranges
 * and their first_ms bounds skip well. k2: the source then the destination
 * address, as 32-bit words, so a block's addresses (and with them ports and
 * counters of the same conversation) come in runs that lz4 compresses. An
 * IPv4 address is its own word; an IPv6 address is folded into one, which
 * still brings equal addresses together.
 */
typedef struct ff__seg_key {
	uint64_t k1, k2;
	uint32_t row;
	uint16_t ms; /* first_ms within its second: last, for equal address pairs */
} ff__seg_key;

static uint32_t ff__seg_addr_word(const uint8_t *a)
{
	if (ff_addr_is_v4(a))
		return ff_addr_v4(a);
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < FF_ADDR_LEN; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

/* Byte `d` of a key: 0 and 1 of ms, 2 to 9 of k2, 10 to 17 of k1 (least significant first). */
#define FF__SEG_DIGITS 18
static inline unsigned ff__seg_digit(const ff__seg_key *k, int d)
{
	uint64_t v = d < 2 ? k->ms : d < 10 ? k->k2 >> (8 * (d - 2)) : k->k1 >> (8 * (d - 10));
	return (unsigned)(v & 0xff);
}

/*
 * LSD radix sort of n keys, a byte at a time, into *keys (tmp is as large;
 * count has FF__SEG_DIGITS rows).
 * Stable, so rows of equal keys keep their input order; bytes every key
 * shares (the high bytes of times, usually) cost no pass.
 */
static void ff__seg_radix(ff__seg_key **keys, ff__seg_key **tmp, size_t n, size_t (*count)[256])
{
	memset(count, 0, FF__SEG_DIGITS * sizeof *count);
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < FF__SEG_DIGITS; d++)
			count[d][ff__seg_digit(&(*keys)[i], d)]++;
	for (int d = 0; d < FF__SEG_DIGITS; d++) {
		if (n == 0 || count[d][ff__seg_digit(&(*keys)[0], d)] == n)
			continue;
		size_t at = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = count[d][b];
			count[d][b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			(*tmp)[count[d][ff__seg_digit(&(*keys)[i], d)]++] = (*keys)[i];
		ff__seg_key *t = *keys;
		*keys = *tmp;
		*tmp = t;
	}
}

static int ff__seg_order(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	size_t n = in->n_rows;
	ff__seg_key *keys = malloc((n ? n : 1) * sizeof *keys);
	ff__seg_key *tmp = malloc((n ? n : 1) * sizeof *tmp);
	w->order = malloc((n ? n : 1) * sizeof *w->order);
	int rc = keys != NULL && tmp != NULL && w->order != NULL ? 0 : -ENOMEM;
	uint64_t min_bin = UINT64_MAX;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t bin = in->rows[i].first_ms / FF__SEG_SORT_BIN_MS;
		min_bin = bin < min_bin ? bin : min_bin;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const ff_flow *f = &in->rows[i];
		/* 32 bits of seconds past the oldest: 136 years, more than any window. */
		uint64_t bin = f->first_ms / FF__SEG_SORT_BIN_MS - min_bin;
		keys[i].k1 = (uint64_t)f->agent_ref << 32 | (bin <= UINT32_MAX ? bin : UINT32_MAX);
		keys[i].k2 = (uint64_t)ff__seg_addr_word(f->src_addr) << 32 |
			     ff__seg_addr_word(f->dst_addr);
		keys[i].ms = (uint16_t)(f->first_ms % FF__SEG_SORT_BIN_MS);
		keys[i].row = (uint32_t)i;
	}
	size_t(*count)[256] = calloc(FF__SEG_DIGITS, sizeof *count);
	if (rc == 0 && count == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		ff__seg_radix(&keys, &tmp, n, count);
	free(count);
	for (size_t i = 0; rc == 0 && i < n; i++)
		w->order[i] = keys[i].row;
	free(keys);
	free(tmp);
	return rc;
}

/* --- columns ----------------------------------------------------------------- */

/* Column `col` of the group being encoded. */
static uint64_t *ff__seg_col(const ff__seg_writer *w, int col)
{
	return w->cols + (size_t)col * FF_SEGMENT_GROUP_ROWS;
}

/* The integers of one record into row `i` of the columns c[]. */
static void ff__seg_put_row(uint64_t *const *c, size_t i, const ff_flow *f)
{
	c[FF__COL_FIRST][i] = f->first_ms;
	/* Exact for any pair: exporters do send last before first. */
	c[FF__COL_LAST][i] = ff__zigzag(f->last_ms - f->first_ms);
	c[FF__COL_BYTES][i] = f->bytes;
	c[FF__COL_PACKETS][i] = f->packets;
	c[FF__COL_FLOWS][i] = f->flows;
	c[FF__COL_SRC_ADDR][i] = ff_addr_v4(f->src_addr);
	c[FF__COL_DST_ADDR][i] = ff_addr_v4(f->dst_addr);
	c[FF__COL_SRC_AS][i] = f->src_as;
	c[FF__COL_DST_AS][i] = f->dst_as;
	c[FF__COL_IN_IF][i] = f->in_if;
	c[FF__COL_OUT_IF][i] = f->out_if;
	c[FF__COL_SAMPLING][i] = f->sampling_rate;
	c[FF__COL_WILDCARDS][i] = f->wildcards;
	c[FF__COL_AGENT][i] = f->agent_ref;
	c[FF__COL_SRC_PORT][i] = f->src_port;
	c[FF__COL_DST_PORT][i] = f->dst_port;
	c[FF__COL_PROTO][i] = f->proto;
	c[FF__COL_TCP_FLAGS][i] = f->tcp_flags;
	c[FF__COL_TOS][i] = f->tos;
}

/*
 * Rows are read in sorted order, so from all over the input: asking for
 * the row this many places ahead hides most of each cache miss.
 */
#define FF__SEG_PREFETCH 16

static inline void ff__seg_prefetch(const ff__seg_writer *w, size_t at, size_t end)
{
#if defined(__GNUC__)
	if (at < end) {
		const char *p = (const char *)&w->in->rows[w->order[at]];
		__builtin_prefetch(p);
		__builtin_prefetch(p + sizeof(ff_flow) - 1);
	}
#else
	(void)w;
	(void)at;
	(void)end;
#endif
}

/*
 * Turns rows [a, a + n) of the write order into columns, in one pass: read
 * column by column through the order, every value would be a cache miss.
 */
static void ff__seg_transpose(ff__seg_writer *w, size_t a, size_t n)
{
	uint64_t *c[FF__COL_COUNT];
	for (int k = 0; k < FF__COL_COUNT; k++)
		c[k] = ff__seg_col(w, k);
	uint8_t *src = w->addrs, *dst = w->addrs + FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN;
	w->all_v4[0] = w->all_v4[1] = true;
	w->grp_min_last = UINT64_MAX;
	w->grp_max_last = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = w->order[a + i];
		const ff_flow *f = &w->in->rows[r];
		ff__seg_prefetch(w, a + i + FF__SEG_PREFETCH, a + n);
		ff__seg_put_row(c, i, f);
		c[FF__COL_EXPORTER][i] = w->exp_idx[r];
		memcpy(src + i * FF_ADDR_LEN, f->src_addr, FF_ADDR_LEN);
		memcpy(dst + i * FF_ADDR_LEN, f->dst_addr, FF_ADDR_LEN);
		w->all_v4[0] = w->all_v4[0] && ff_addr_is_v4(f->src_addr);
		w->all_v4[1] = w->all_v4[1] && ff_addr_is_v4(f->dst_addr);
		w->grp_min_last = f->last_ms < w->grp_min_last ? f->last_ms : w->grp_min_last;
		w->grp_max_last = f->last_ms > w->grp_max_last ? f->last_ms : w->grp_max_last;
	}
}

/* w->coded[] as `enc` of v[] (n values, reference `ref`); returns the width. */
static uint8_t ff__seg_code(ff__seg_writer *w, const uint64_t *v, uint8_t enc, size_t n,
			    uint64_t ref)
{
	uint64_t top = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = enc != FF__ENC_DELTA || i == 0 ? v[i] - ref
							    : ff__zigzag(v[i] - v[i - 1]);
		w->coded[i] = d;
		top = d > top ? d : top;
	}
	return ff__seg_width(top);
}

/* What lz4 would make of w->raw[0..len): the fast compressor's size, as an estimate. */
static size_t ff__seg_probe(ff__seg_writer *w, size_t len)
{
	if (len < FF__SEG_LZ4_MIN)
		return len;
	int n = LZ4_compress_default((const char *)w->raw, (char *)w->probe, (int)len,
				     LZ4_compressBound((int)len));
	return n > 0 && (size_t)n < len ? (size_t)n : len;
}

/*
 * Tries encoding `enc` with and without shuffling; records it in *e when
 * fast lz4 makes it the smallest so far (*best). Only the first
 * FF__SEG_PROBE_ROWS rows are compressed to see: a quarter of a group tells
 * nearly always the same, at a quarter of the cost. The packed bytes are
 * left to the caller: the last try is not always the best.
 */
static void ff__seg_try(ff__seg_writer *w, const uint64_t *v, uint8_t enc, size_t n,
			uint64_t ref, ff__seg_entry *e, size_t *best)
{
	uint8_t width = ff__seg_code(w, v, enc, n, ref);
	size_t m = n < FF__SEG_PROBE_ROWS ? n : FF__SEG_PROBE_ROWS;
	for (int shuffle = 0; shuffle <= (width > 1); shuffle++) {
		ff__seg_pack(w->raw, w->coded, m, width, shuffle);
		size_t size = ff__seg_probe(w, m * width);
		if (size < *best) {
			*best = size;
			e->encoding = enc;
			e->width = width;
			e->shuffle = (uint8_t)shuffle;
		}
	}
}

/*
 * Encodes one integer column (or an all-IPv4 address column) of the group's
 * n rows into w->raw, choosing among the encodings the column allows
 * the one lz4 makes smallest; fills e. Returns whether the block is left to
 * fast lz4: HC spends its time searching for matches, and where fast lz4
 * finds few (counters, durations: it keeps more than FF__SEG_HC_RATIO of
 * the bytes), HC finds a few percent more at twice the seal time.
 */
static bool ff__seg_encode_int(ff__seg_writer *w, int col, size_t n, ff__seg_entry *e)
{
	const uint64_t *v = ff__seg_col(w, col);
	uint64_t min = UINT64_MAX, max = 0;
	for (size_t i = 0; i < n; i++) {
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
	}
	e->min = min;
	e->max = max;
	uint8_t enc = ff__seg_is_addr(col) ? FF__ENC_V4 : FF__ENC_FOR;
	uint64_t ref = min;
	if (col == FF__COL_LAST) {
		/* Durations need no reference; the directory bounds last_ms instead. */
		enc = FF__ENC_DURATION;
		ref = 0;
		e->min = w->grp_min_last;
		e->max = w->grp_max_last;
	}
	size_t best = SIZE_MAX;
	ff__seg_try(w, v, enc, n, ref, e, &best);
	/* Delta pays for time, which rows sorted by time keep close together. */
	if (col == FF__COL_FIRST)
		ff__seg_try(w, v, FF__ENC_DELTA, n, ref, e, &best);
	ff__seg_code(w, v, e->encoding, n, ref);
	ff__seg_pack(w->raw, w->coded, n, e->width, e->shuffle);
	e->raw_len = (uint32_t)(n * e->width);
	size_t probed = (n < FF__SEG_PROBE_ROWS ? n : FF__SEG_PROBE_ROWS) * e->width;
	return (double)best >= FF__SEG_HC_RATIO * (double)probed;
}

/* A block with an IPv6 address keeps all 16 bytes of every address. */
static void ff__seg_encode_addr(ff__seg_writer *w, int col, size_t n, ff__seg_entry *e)
{
	size_t at = col == FF__COL_SRC_ADDR ? 0 : FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN;
	memcpy(w->raw, w->addrs + at, n * FF_ADDR_LEN);
	e->encoding = FF__ENC_BYTES;
	e->width = FF_ADDR_LEN;
	e->raw_len = (uint32_t)(n * FF_ADDR_LEN);
}

/* Encodes rows [a, a + n) of the write order as one row group. */
static int ff__seg_group(ff__seg_writer *w, size_t a, size_t n)
{
	ff__seg_transpose(w, a, n);
	for (int col = 0; col < FF__COL_COUNT; col++) {
		ff__seg_entry e = {.column = (uint8_t)col, .rows = (uint32_t)n};
		bool fast = false;
		if (ff__seg_is_addr(col) && !w->all_v4[col == FF__COL_DST_ADDR])
			ff__seg_encode_addr(w, col, n, &e);
		else
			fast = ff__seg_encode_int(w, col, n, &e);
		int rc = ff__seg_add_block(w, e, fast);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void ff__seg_time_bounds(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	w->min_first = w->min_last = in->n_rows ? UINT64_MAX : 0;
	for (size_t i = 0; i < in->n_rows; i++) {
		const ff_flow *f = &in->rows[i];
		w->min_first = f->first_ms < w->min_first ? f->first_ms : w->min_first;
		w->max_first = f->first_ms > w->max_first ? f->first_ms : w->max_first;
		w->min_last = f->last_ms < w->min_last ? f->last_ms : w->min_last;
		w->max_last = f->last_ms > w->max_last ? f->last_ms : w->max_last;
	}
}

/* The buffers every block reuses. */
static int ff__seg_scratch(ff__seg_writer *w)
{
	w->probe = malloc((size_t)LZ4_compressBound(FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN));
	w->coded = malloc(FF_SEGMENT_GROUP_ROWS * sizeof *w->coded);
	w->hc = malloc((size_t)LZ4_sizeofStateHC());
	w->cols = malloc((size_t)FF__COL_COUNT * FF_SEGMENT_GROUP_ROWS * sizeof *w->cols);
	w->addrs = malloc(2 * FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN);
	bool ok = w->probe != NULL && w->coded != NULL && w->hc != NULL && w->cols != NULL &&
		  w->addrs != NULL;
	return ok ? ff__seg_raw_reserve(w, FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN) : -ENOMEM;
}

static int ff__seg_encode(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	int rc = ff__seg_scratch(w);
	if (rc == 0)
		rc = ff__seg_order(w);
	if (rc == 0)
		rc = ff__seg_agents(w);
	if (rc == 0)
		rc = ff__seg_exporters(w);
	if (rc == 0)
		rc = ff__seg_batches(w);
	if (rc == 0)
		rc = ff__seg_raw_reserve(w, FF_SEGMENT_GROUP_ROWS * FF_ADDR_LEN);
	for (size_t a = 0; rc == 0 && a < in->n_rows; a += FF_SEGMENT_GROUP_ROWS) {
		size_t n = in->n_rows - a < FF_SEGMENT_GROUP_ROWS ? in->n_rows - a
								  : FF_SEGMENT_GROUP_ROWS;
		rc = ff__seg_group(w, a, n);
	}
	ff__seg_time_bounds(w);
	return rc;
}

/* --- the file ----------------------------------------------------------------- */

/* Header and directory into `buf`; block offsets are assigned here. */
/*
 * The header's written time: seconds, rounded up (retention never counts a
 * file older than it is), in the 4 bytes once reserved. Past February 2106
 * they do not fit: 0 is written, and readers take the file's mtime.
 */
static uint32_t ff__seg_written_field(uint64_t written_ms)
{
	uint64_t ms = written_ms ? written_ms : ff_time_now_ms();
	uint64_t sec = ms / 1000 + (ms % 1000 != 0);
	return sec <= UINT32_MAX ? (uint32_t)sec : 0;
}

static void ff__seg_header(ff__seg_writer *w, uint8_t *buf)
{
	size_t dir_len = w->n_blocks * FF__SEG_DIR_ENTRY;
	uint64_t off = FF__SEG_HDR_LEN + dir_len;
	for (size_t i = 0; i < w->n_blocks; i++) {
		w->blocks[i].e.offset = off;
		off += w->blocks[i].e.stored_len;
		ff__seg_entry_put(buf + FF__SEG_HDR_LEN + i * FF__SEG_DIR_ENTRY, &w->blocks[i].e);
	}
	memset(buf, 0, FF__SEG_HDR_LEN);
	ff_put_le32(buf, FF__SEG_MAGIC);
	ff_put_le16(buf + 4, FF_SEGMENT_VERSION);
	ff_put_le16(buf + 6, FF__SEG_HDR_LEN);
	ff_put_le64(buf + 8, w->in->id);
	ff_put_le64(buf + 16, w->in->n_rows);
	ff_put_le32(buf + 24, FF_SEGMENT_GROUP_ROWS);
	ff_put_le32(buf + 28, (uint32_t)w->n_blocks);
	ff_put_le64(buf + 32, w->min_first);
	ff_put_le64(buf + 40, w->max_first);
	ff_put_le64(buf + 48, w->min_last);
	ff_put_le64(buf + 56, w->max_last);
	ff_put_le32(buf + 64, (uint32_t)w->in->n_batches);
	ff_put_le32(buf + 68, (uint32_t)w->in->n_agents);
	ff_put_le32(buf + 72, (uint32_t)w->n_exporters);
	ff_put_le32(buf + 76, ff__seg_crc(buf + FF__SEG_HDR_LEN, dir_len));
	buf[80] = (uint8_t)w->in->kind;
	ff_put_le32(buf + 84, w->in->rollup_keys);
	ff_put_le64(buf + 88, w->in->bin_ms);
	ff_put_le64(buf + 96, w->covers_first);
	ff_put_le64(buf + 104, w->covers_last);
	ff_put_le32(buf + 112, ff__seg_written_field(w->in->written_ms));
	ff_put_le32(buf + FF__SEG_HDR_LEN - 4, ff__seg_crc(buf, FF__SEG_HDR_LEN - 4));
}

static int ff__seg_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EIO : -errno; /* a write of nothing sets no errno */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ff__seg_write_file(ff__seg_writer *w, int fd)
{
	size_t head_len = FF__SEG_HDR_LEN + w->n_blocks * FF__SEG_DIR_ENTRY;
	uint8_t *head = malloc(head_len);
	if (head == NULL)
		return -ENOMEM;
	ff__seg_header(w, head);
	int rc = ff__seg_write_all(fd, head, head_len);
	free(head);
	for (size_t i = 0; rc == 0 && i < w->n_blocks; i++)
		rc = ff__seg_write_all(fd, w->blocks[i].data, w->blocks[i].e.stored_len);
	if (rc == 0 && fsync(fd) != 0)
		rc = ff_err_errno(errno);
	return rc;
}

static int ff__seg_sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dfd >= 0 && fsync(dfd) == 0 ? 0 : ff_err_errno(errno);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Writes tmp, syncs, renames into place, syncs the directory. */
static int ff__seg_commit(ff__seg_writer *w, const char *dir)
{
	char path[4096], tmp[4100];
	if (ff_segment_path(dir, w->in->id, path, sizeof path) != 0)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "segment: open(%s) failed", tmp);
		return ff_err_errno(err);
	}
	int rc = ff__seg_write_file(w, fd);
	if (close(fd) != 0 && rc == 0)
		rc = ff_err_errno(errno);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = ff_err_errno(errno);
	if (rc == 0)
		rc = ff__seg_sync_dir(dir);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, rc, "segment: writing %s failed, segment not sealed",
			     path);
		unlink(tmp);
	}
	return rc;
}

/* The rollup fields follow the rules of segment.h (the reader checks the same). */
static bool ff__seg_rollup_ok(const ff_segment_input *in)
{
	if (in->kind == FF_SEGMENT_RAW)
		return in->rollup_keys == 0 && in->bin_ms == 0;
	return (in->kind == FF_SEGMENT_MINUTE || in->kind == FF_SEGMENT_HOUR) &&
	       in->bin_ms > 0 && (in->rollup_keys & ~FF__SEG_ROLLUP_KEYS) == 0 &&
	       in->covers_first <= in->covers_last;
}

int ff_segment_write(const char *dir, const ff_segment_input *in)
{
	if (in->n_batches > UINT32_MAX || in->n_agents > UINT32_MAX ||
	    in->n_agents > (size_t)UINT32_MAX / (FF_AGENT_ID_MAX + 1) || in->n_rows > UINT32_MAX ||
	    !ff__seg_rollup_ok(in))
		return FF_SEG_EFORMAT;
	bool raw = in->kind == FF_SEGMENT_RAW;
	ff__seg_writer w = {.in = in,
			    .covers_first = raw ? in->id : in->covers_first,
			    .covers_last = raw ? in->id : in->covers_last};
	int rc = ff__seg_encode(&w);
	if (rc == 0)
		rc = ff__seg_commit(&w, dir);
	for (size_t i = 0; i < w.n_blocks; i++)
		free(w.blocks[i].data);
	free(w.blocks);
	free(w.raw);
	free(w.probe);
	free(w.coded);
	free(w.hc);
	free(w.cols);
	free(w.addrs);
	free(w.order);
	free(w.exp_idx);
	return rc;
}
