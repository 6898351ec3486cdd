/*
 * Filters over column blocks (ff_filter.h): the compiled program run once
 * per block instead of once per record. Each instruction's test is worked
 * out for every row of the block in one loop over the columns it reads
 * (a byte per row), and the rows that reach an instruction travel as a
 * bitmap: those the test passes go to its on_true target, the others to
 * on_false. Targets only point lower (ff_filter_eval.c), so one sweep from
 * the entry down visits each instruction after everything that jumps to it.
 * The answer is ff_filter_match()'s on every row.
 */
#include "ff_filter_impl.h"

#include "ff_block.h"

#include <string.h>

/* Programs longer than this (their bitmaps would crowd the stack) run per row. */
#define FF_FB_MAX_INSNS 64
#define FF_FB_WORDS	(FF_BLOCK_ROWS / 64)

typedef uint64_t ff_fb_bits[FF_FB_WORDS];

/* One loop per comparison, so each vectorizes: out[i] = col[i] CMP want. */
#define FF_FB_CMP_LOOP(col, n, cmp, want, out)                          \
	do {                                                            \
		switch (cmp) {                                          \
		case FF__CMP_GT:                                        \
			for (size_t i = 0; i < (n); i++)                \
				(out)[i] = (col)[i] > (want);           \
			break;                                          \
		case FF__CMP_LT:                                        \
			for (size_t i = 0; i < (n); i++)                \
				(out)[i] = (col)[i] < (want);           \
			break;                                          \
		case FF__CMP_GE:                                        \
			for (size_t i = 0; i < (n); i++)                \
				(out)[i] = (col)[i] >= (want);          \
			break;                                          \
		case FF__CMP_LE:                                        \
			for (size_t i = 0; i < (n); i++)                \
				(out)[i] = (col)[i] <= (want);          \
			break;                                          \
		default:                                                \
			for (size_t i = 0; i < (n); i++)                \
				(out)[i] = (col)[i] == (want);          \
			break;                                          \
		}                                                       \
	} while (0)

static void ff_fb_cmp16(const uint16_t *col, size_t n, uint8_t cmp, uint64_t want, uint8_t *out)
{
	FF_FB_CMP_LOOP(col, n, cmp, want, out);
}

static void ff_fb_cmp8(const uint8_t *col, size_t n, uint8_t cmp, uint64_t want, uint8_t *out)
{
	FF_FB_CMP_LOOP(col, n, cmp, want, out);
}

static void ff_fb_cmp32(const uint32_t *col, size_t n, uint8_t cmp, uint64_t want, uint8_t *out)
{
	FF_FB_CMP_LOOP(col, n, cmp, want, out);
}

static void ff_fb_cmp64(const uint64_t *col, size_t n, uint8_t cmp, uint64_t want, uint8_t *out)
{
	FF_FB_CMP_LOOP(col, n, cmp, want, out);
}
#undef FF_FB_CMP_LOOP

/* A field wildcarded in a row fails every test of it. */
static void ff_fb_unwild(const ff_block *b, uint32_t field, uint8_t *out)
{
	if (!(b->any_wildcards & field))
		return;
	for (size_t i = 0; i < b->n; i++)
		out[i] &= !(b->wildcards[i] & field);
}

/*
 * A port or AS list: sorted values; short lists (the common "port in [80 443]")
 * are tested by comparing with each value, longer ones by binary search.
 */
static void ff_fb_list(const ff_filter *f, const struct ff__ftest *t, const uint16_t *c16,
		       const uint32_t *c32, size_t n, uint8_t *out)
{
	const uint32_t *nums = f->nums + t->list_off;
	if (t->list_len <= 8) {
		memset(out, 0, n);
		for (uint32_t k = 0; k < t->list_len; k++) {
			uint32_t v = nums[k];
			for (size_t i = 0; i < n; i++)
				out[i] |= (c16 != NULL ? c16[i] : c32[i]) == v;
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = ff__filter_in_list(nums, t->list_len, c16 != NULL ? c16[i] : c32[i]);
}

/* Whether a v4-mapped address with the IPv4 value v lies in net/mask. */
static void ff_fb_net_v4(const uint32_t *v4, size_t n, const uint8_t *net, const uint8_t *mask,
			 uint8_t *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	for (int k = 0; k < 12; k++) {
		if ((mapped[k] & mask[k]) != net[k]) {
			memset(out, 0, n);
			return;
		}
	}
	uint32_t m = (uint32_t)mask[12] << 24 | (uint32_t)mask[13] << 16 | (uint32_t)mask[14] << 8 |
		     mask[15];
	uint32_t v = (uint32_t)net[12] << 24 | (uint32_t)net[13] << 16 | (uint32_t)net[14] << 8 |
		     net[15];
	for (size_t i = 0; i < n; i++)
		out[i] = (v4[i] & m) == v;
}

static void ff_fb_net_16(const uint8_t *addr, size_t n, const uint8_t *net, const uint8_t *mask,
			 uint8_t *out)
{
	uint64_t nw[2], mw[2];
	memcpy(nw, net, sizeof nw);
	memcpy(mw, mask, sizeof mw);
	for (size_t i = 0; i < n; i++) {
		uint64_t a[2];
		memcpy(a, addr + i * FF_ADDR_LEN, sizeof a);
		out[i] = (a[0] & mw[0]) == nw[0] && (a[1] & mw[1]) == nw[1];
	}
}

/* An address test of one side: one net, or any of a list's (ORed one net at a time). */
static void ff_fb_addr(const ff_filter *f, const struct ff__ftest *t, const ff_block *b,
		       uint8_t *out, uint8_t *tmp)
{
	bool src = t->side == FF__SIDE_SRC;
	const uint32_t *v4 = src ? b->src_v4 : b->dst_v4;
	const uint8_t *a16 = src ? b->src_addr : b->dst_addr;
	size_t n = b->n;
	if (t->kind == FF__T_ADDR) {
		if (v4 != NULL)
			ff_fb_net_v4(v4, n, t->addr, t->mask, out);
		else
			ff_fb_net_16(a16, n, t->addr, t->mask, out);
	} else {
		memset(out, 0, n);
		for (uint32_t k = 0; k < t->list_len; k++) {
			const struct ff__fnet *net = &f->nets[t->list_off + k];
			if (v4 != NULL)
				ff_fb_net_v4(v4, n, net->addr, net->mask, tmp);
			else
				ff_fb_net_16(a16, n, net->addr, net->mask, tmp);
			for (size_t i = 0; i < n; i++)
				out[i] |= tmp[i];
		}
	}
	ff_fb_unwild(b, src ? FF_FIELD_SRC_ADDR : FF_FIELD_DST_ADDR, out);
}

/* Whether row i's address of one side is IPv4. */
static bool ff_fb_is_v4(const uint32_t *v4, const uint8_t *a16, size_t i)
{
	return v4 != NULL || ff_addr_is_v4(a16 + i * FF_ADDR_LEN);
}

/* inet / inet6: the family of whichever address survived summarization (ff_filter_eval.c). */
static void ff_fb_family(const ff_block *b, int family, uint8_t *out)
{
	for (size_t i = 0; i < b->n; i++) {
		uint32_t w = b->wildcards[i];
		int fam = 0;
		if (!(w & FF_FIELD_SRC_ADDR))
			fam = ff_fb_is_v4(b->src_v4, b->src_addr, i) ? 4 : 6;
		else if (!(w & FF_FIELD_DST_ADDR))
			fam = ff_fb_is_v4(b->dst_v4, b->dst_addr, i) ? 4 : 6;
		out[i] = fam == family;
	}
}

/* duration, pps, bps, bpp with nfdump's integer arithmetic, as ff_filter_eval.c has them. */
static void ff_fb_derived(const struct ff__ftest *t, const ff_block *b, uint8_t *out)
{
	for (size_t i = 0; i < b->n; i++) {
		uint64_t ms = b->last_ms[i] > b->first_ms[i] ? b->last_ms[i] - b->first_ms[i] : 0;
		uint64_t v;
		switch (t->kind) {
		case FF__T_DURATION:
			v = ms;
			break;
		case FF__T_PPS:
			v = ms ? 1000 * b->packets[i] / ms : 0;
			break;
		case FF__T_BPS:
			v = ms ? 8000 * b->bytes[i] / ms : 0;
			break;
		default:
			v = b->packets[i] ? b->bytes[i] / b->packets[i] : 0;
			break;
		}
		out[i] = ff__filter_cmp(t->cmp, v, t->value);
	}
}

/* Flags tests: all of the bits, any of them, or a comparison. */
static void ff_fb_flags(const struct ff__ftest *t, const ff_block *b, uint8_t *out)
{
	uint8_t want = (uint8_t)t->value;
	if (t->kind == FF__T_FLAGS)
		ff_fb_cmp8(b->tcp_flags, b->n, t->cmp, t->value, out);
	else if (t->kind == FF__T_FLAGS_ALL)
		for (size_t i = 0; i < b->n; i++)
			out[i] = (b->tcp_flags[i] & want) == want;
	else
		for (size_t i = 0; i < b->n; i++)
			out[i] = (b->tcp_flags[i] & want) != 0;
	ff_fb_unwild(b, FF_FIELD_TCP_FLAGS, out);
}

/* Ports, ASes and interfaces: a pair of fields chosen by the test's side. */
static void ff_fb_pair(const ff_filter *f, const struct ff__ftest *t, const ff_block *b,
		       uint8_t *out)
{
	bool src = t->side == FF__SIDE_SRC;
	size_t n = b->n;
	switch (t->kind) {
	case FF__T_PORT:
		ff_fb_cmp16(src ? b->src_port : b->dst_port, n, t->cmp, t->value, out);
		ff_fb_unwild(b, src ? FF_FIELD_SRC_PORT : FF_FIELD_DST_PORT, out);
		break;
	case FF__T_PORT_LIST:
		ff_fb_list(f, t, src ? b->src_port : b->dst_port, NULL, n, out);
		ff_fb_unwild(b, src ? FF_FIELD_SRC_PORT : FF_FIELD_DST_PORT, out);
		break;
	case FF__T_AS:
		ff_fb_cmp32(src ? b->src_as : b->dst_as, n, t->cmp, t->value, out);
		ff_fb_unwild(b, src ? FF_FIELD_SRC_AS : FF_FIELD_DST_AS, out);
		break;
	case FF__T_AS_LIST:
		ff_fb_list(f, t, NULL, src ? b->src_as : b->dst_as, n, out);
		ff_fb_unwild(b, src ? FF_FIELD_SRC_AS : FF_FIELD_DST_AS, out);
		break;
	default: /* FF__T_IF: equality only */
		ff_fb_cmp32(src ? b->in_if : b->out_if, n, FF__CMP_EQ, t->value, out);
		ff_fb_unwild(b, src ? FF_FIELD_IN_IF : FF_FIELD_OUT_IF, out);
		break;
	}
}

/* The test of one instruction for every row of the block, a byte per row. */
static void ff_fb_test(const ff_filter *f, const struct ff__ftest *t, const ff_block *b,
		       uint8_t *out, uint8_t *tmp)
{
	switch (t->kind) {
	case FF__T_INET:
	case FF__T_INET6:
		ff_fb_family(b, t->kind == FF__T_INET ? 4 : 6, out);
		break;
	case FF__T_PROTO:
		ff_fb_cmp8(b->proto, b->n, FF__CMP_EQ, t->value, out);
		ff_fb_unwild(b, FF_FIELD_PROTO, out);
		break;
	case FF__T_FLAGS_ALL:
	case FF__T_FLAGS_ANY:
	case FF__T_FLAGS:
		ff_fb_flags(t, b, out);
		break;
	case FF__T_TOS:
		ff_fb_cmp8(b->tos, b->n, t->cmp, t->value, out);
		ff_fb_unwild(b, FF_FIELD_TOS, out);
		break;
	case FF__T_PACKETS:
		ff_fb_cmp64(b->packets, b->n, t->cmp, t->value, out);
		break;
	case FF__T_BYTES:
		ff_fb_cmp64(b->bytes, b->n, t->cmp, t->value, out);
		break;
	case FF__T_FLOWS:
		ff_fb_cmp64(b->flows, b->n, t->cmp, t->value, out);
		break;
	case FF__T_DURATION:
	case FF__T_PPS:
	case FF__T_BPS:
	case FF__T_BPP:
		ff_fb_derived(t, b, out);
		break;
	case FF__T_ADDR:
	case FF__T_ADDR_LIST:
		ff_fb_addr(f, t, b, out, tmp);
		break;
	default:
		ff_fb_pair(f, t, b, out);
		break;
	}
}

/* Whether the block holds every column test `t` reads. */
static bool ff_fb_has_columns(const struct ff__ftest *t, const ff_block *b)
{
	bool src = t->side == FF__SIDE_SRC;
	switch (t->kind) {
	case FF__T_INET:
	case FF__T_INET6:
		return (b->src_v4 || b->src_addr) && (b->dst_v4 || b->dst_addr);
	case FF__T_PROTO:
		return b->proto != NULL;
	case FF__T_FLAGS_ALL:
	case FF__T_FLAGS_ANY:
	case FF__T_FLAGS:
		return b->tcp_flags != NULL;
	case FF__T_TOS:
		return b->tos != NULL;
	case FF__T_PACKETS:
	case FF__T_BYTES:
	case FF__T_FLOWS:
		return b->packets && b->bytes && b->flows;
	case FF__T_DURATION:
	case FF__T_PPS:
	case FF__T_BPS:
	case FF__T_BPP:
		return b->packets && b->bytes && b->first_ms && b->last_ms;
	case FF__T_ADDR:
	case FF__T_ADDR_LIST:
		return src ? (b->src_v4 || b->src_addr) : (b->dst_v4 || b->dst_addr);
	case FF__T_PORT:
	case FF__T_PORT_LIST:
		return (src ? b->src_port : b->dst_port) != NULL;
	case FF__T_AS:
	case FF__T_AS_LIST:
		return (src ? b->src_as : b->dst_as) != NULL;
	default:
		return (src ? b->in_if : b->out_if) != NULL;
	}
}

/* The per-record way, for what the block way does not take. */
static size_t ff_fb_rows(const ff_filter *f, const ff_block *b, uint16_t *sel, size_t m)
{
	size_t k = 0;
	for (size_t j = 0; j < m; j++) {
		ff_flow flow;
		ff_block_row(b, sel[j], &flow);
		sel[k] = sel[j];
		k += ff_filter_match(f, &flow);
	}
	return k;
}

/*
 * Bits k of the result are bytes k of pass[0 .. 64), each 0 or 1 (every test
 * writes a comparison's result): eight bytes at a time, the multiply moving
 * byte k's low bit to bit 56 + k (the bytes' other products land below bit
 * 56 without carrying into it, or past bit 63).
 */
static uint64_t ff_fb_pack64(const uint8_t *pass)
{
	uint64_t t = 0;
	for (int k = 0; k < 8; k++) {
		uint64_t x;
		memcpy(&x, pass + 8 * k, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);
#endif
		t |= ((x & 0x0101010101010101u) * 0x0102040810204080u) >> 56 << (8 * k);
	}
	return t;
}

/* Sends the rows of `reach` that pass (pass[i] is 1) to on_true, the rest (0) to on_false. */
static void ff_fb_route(const ff_fb_bits reach, const uint8_t *pass, size_t n, int32_t on_true,
			int32_t on_false, ff_fb_bits *to, uint64_t *accept)
{
	for (size_t w = 0; w * 64 < n; w++) {
		if (reach[w] == 0)
			continue;
				uint64_t t = ff_fb_pack64(pass + w * 64);
		uint64_t yes = reach[w] & t, no = reach[w] & ~t;
		if (on_true >= 0)
			to[on_true][w] |= yes;
		else if (on_true == FF__ACCEPT)
			accept[w] |= yes;
		if (on_false >= 0)
			to[on_false][w] |= no;
		else if (on_false == FF__ACCEPT)
			accept[w] |= no;
	}
}

static bool ff_fb_any(const ff_fb_bits b)
{
	uint64_t any = 0;
	for (size_t w = 0; w < FF_FB_WORDS; w++)
		any |= b[w];
	return any != 0;
}

/* Runs the program over the block; the rows of sel it accepts end in `accept`. */
static void ff_fb_run(const ff_filter *f, const ff_block *b, const uint16_t *sel, size_t m,
		      uint64_t *accept)
{
	ff_fb_bits reach[FF_FB_MAX_INSNS];
	uint8_t pass[FF_BLOCK_ROWS], tmp[FF_BLOCK_ROWS];
	memset(reach, 0, (size_t)(f->entry + 1) * sizeof reach[0]);
	/* ff_fb_pack64() reads whole words of 64 rows; tests write the first b->n. */
	memset(pass + b->n, 0, FF_BLOCK_ROWS - b->n);
	if (m == b->n) {
		/* Every row (sel ascending and within the block): whole words at once. */
		for (size_t w = 0; w * 64 < m; w++)
			reach[f->entry][w] = m - w * 64 >= 64 ? UINT64_MAX
							      : ((uint64_t)1 << (m - w * 64)) - 1;
	} else {
		for (size_t j = 0; j < m; j++)
			reach[f->entry][sel[j] / 64] |= (uint64_t)1 << (sel[j] % 64);
	}
	for (int32_t i = f->entry; i >= 0; i--) {
		if (!ff_fb_any(reach[i]))
			continue;
		const struct ff__finsn *in = &f->prog[i];
		ff_fb_test(f, &in->test, b, pass, tmp);
		ff_fb_route(reach[i], pass, b->n, in->on_true, in->on_false, reach, accept);
	}
}

size_t ff_filter_select(const ff_filter *f, const ff_block *b, uint16_t *sel, size_t m)
{
	if (f->entry == FF__ACCEPT || m == 0)
		return m;
	if (f->entry == FF__REJECT)
		return 0;
	bool blockwise = f->entry < FF_FB_MAX_INSNS && b->n <= FF_BLOCK_ROWS;
	for (int32_t i = 0; blockwise && i <= f->entry; i++)
		blockwise = ff_fb_has_columns(&f->prog[i].test, b);
	if (!blockwise)
		return ff_fb_rows(f, b, sel, m);
	uint64_t accept[FF_FB_WORDS] = {0};
	ff_fb_run(f, b, sel, m, accept);
	/*
	 * Accepted rows are rows of sel, and sel is ascending: the set bits of
	 * accept, in order, are sel narrowed (a step per kept row, not per row).
	 */
	size_t k = 0;
	for (size_t w = 0; w < FF_FB_WORDS; w++) {
		for (uint64_t bits = accept[w]; bits != 0; bits &= bits - 1)
			sel[k++] = (uint16_t)(w * 64 + (size_t)__builtin_ctzll(bits));
	}
	return k;
}
