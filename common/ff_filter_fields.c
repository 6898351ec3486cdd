#include "ff_filter_impl.h"

#include <stdlib.h>

/*
 * Two questions a store asks a compiled filter before it reads a group of
 * records: which fields do its tests read (so only those columns are
 * decoded), and could any record within the group's column bounds match (so
 * a group that cannot is skipped unread). Both walk the jump table that
 * ff_filter_eval.c builds, never the records.
 */

_Static_assert(((FF_FILTER_READS_COUNTERS | FF_FILTER_READS_TIMES) & 0xffffu) == 0,
	       "the filter's own field bits must stay clear of enum ff_field");

/* ---- fields ---- */

/* The bit of a paired test's field: source/input or destination/output. */
static uint32_t side_field(const struct ff__ftest *t, uint32_t src, uint32_t dst)
{
	return t->side == FF__SIDE_SRC ? src : dst;
}

static uint32_t test_fields(const struct ff__ftest *t)
{
	switch (t->kind) {
	case FF__T_INET:
	case FF__T_INET6:
		/* The family comes from whichever address survived summarization. */
		return FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR;
	case FF__T_PROTO:
		return FF_FIELD_PROTO;
	case FF__T_ADDR:
	case FF__T_ADDR_LIST:
		return side_field(t, FF_FIELD_SRC_ADDR, FF_FIELD_DST_ADDR);
	case FF__T_PORT:
	case FF__T_PORT_LIST:
		return side_field(t, FF_FIELD_SRC_PORT, FF_FIELD_DST_PORT);
	case FF__T_AS:
	case FF__T_AS_LIST:
		return side_field(t, FF_FIELD_SRC_AS, FF_FIELD_DST_AS);
	case FF__T_IF:
		return side_field(t, FF_FIELD_IN_IF, FF_FIELD_OUT_IF);
	case FF__T_FLAGS_ALL:
	case FF__T_FLAGS_ANY:
	case FF__T_FLAGS:
		return FF_FIELD_TCP_FLAGS;
	case FF__T_TOS:
		return FF_FIELD_TOS;
	case FF__T_PACKETS:
	case FF__T_BYTES:
	case FF__T_FLOWS:
	case FF__T_BPP:
		return FF_FILTER_READS_COUNTERS;
	case FF__T_DURATION:
		return FF_FILTER_READS_TIMES;
	default: /* FF__T_PPS, FF__T_BPS */
		return FF_FILTER_READS_TIMES | FF_FILTER_READS_COUNTERS;
	}
}

/*
 * Every test in the program counts, even one that `any or ...` makes
 * unreachable: reading a column too many is harmless, one too few is not.
 * A side-less primitive was already split into one test per side.
 */
uint32_t ff_filter_fields(const ff_filter *f)
{
	uint32_t fields = 0;
	if (f == NULL)
		return 0;
	for (size_t i = 0; i < f->nprog; i++)
		fields |= test_fields(&f->prog[i].test);
	return fields;
}

/* ---- may a group match ---- */

/* Whether a test, or the rest of the program, holds for the records in the bounds. */
enum ff__verdict { FF__NEVER, FF__ALWAYS, FF__MAYBE };

/* Programs up to this many tests keep their verdicts on the stack. */
#define FF__VERDICTS_ON_STACK 512

/*
 * The values a test's field may take, lo..hi (empty when lo > hi), and
 * whether some record may wildcard it, which makes the test false there.
 */
struct ff__span {
	uint64_t lo, hi;
	bool wild;
};

/* An unknown field may hold anything its type holds; a known one is clipped to that. */
static struct ff__span key_span(const ff_filter_bounds *b, const ff_filter_range *r,
				uint32_t field, uint64_t type_max)
{
	struct ff__span s = {0, type_max, (b->wildcards_possible & field) != 0};
	if (b->known & field) {
		s.lo = r->min;
		s.hi = r->max < type_max ? r->max : type_max;
	}
	return s;
}

/* Counters are never wildcarded. */
static struct ff__span counter_span(const ff_filter_bounds *b, const ff_filter_range *r)
{
	struct ff__span s = {0, UINT64_MAX, false};
	if (b->known & FF_FILTER_READS_COUNTERS)
		s = (struct ff__span){r->min, r->max, false};
	return s;
}

/*
 * bytes / packets (0 without packets) rises with bytes and falls with
 * packets, so its extremes come from the corners of the two ranges.
 */
static struct ff__span bpp_span(const ff_filter_bounds *b)
{
	if (!(b->known & FF_FILTER_READS_COUNTERS) || b->bytes.min > b->bytes.max ||
	    b->packets.min > b->packets.max)
		return (struct ff__span){0, UINT64_MAX, false};
	const ff_filter_range *p = &b->packets, *y = &b->bytes;
	uint64_t lo = p->min == 0 ? 0 : y->min / p->max;
	uint64_t hi = p->max == 0 ? 0 : y->max / (p->min ? p->min : 1);
	return (struct ff__span){lo, hi, false};
}

/*
 * pps and bps: factor * counter / duration with the duration unknown, so
 * anything from 0 (zero duration) to factor * the counter's maximum (1 ms);
 * past 64 bits the evaluator's product wraps and any value is possible.
 */
static struct ff__span rate_span(const ff_filter_bounds *b, const ff_filter_range *r,
				 uint64_t factor)
{
	if (!(b->known & FF_FILTER_READS_COUNTERS) || r->max > UINT64_MAX / factor)
		return (struct ff__span){0, UINT64_MAX, false};
	return (struct ff__span){0, r->max * factor, false};
}

/* The span of a test's field; false for tests the bounds say nothing about. */
static bool test_span(const struct ff__ftest *t, const ff_filter_bounds *b, struct ff__span *s)
{
	bool src = t->side == FF__SIDE_SRC;
	switch (t->kind) {
	case FF__T_PORT:
	case FF__T_PORT_LIST:
		*s = src ? key_span(b, &b->src_port, FF_FIELD_SRC_PORT, UINT16_MAX)
			 : key_span(b, &b->dst_port, FF_FIELD_DST_PORT, UINT16_MAX);
		return true;
	case FF__T_AS:
	case FF__T_AS_LIST:
		*s = src ? key_span(b, &b->src_as, FF_FIELD_SRC_AS, UINT32_MAX)
			 : key_span(b, &b->dst_as, FF_FIELD_DST_AS, UINT32_MAX);
		return true;
	case FF__T_IF:
		*s = src ? key_span(b, &b->in_if, FF_FIELD_IN_IF, UINT32_MAX)
			 : key_span(b, &b->out_if, FF_FIELD_OUT_IF, UINT32_MAX);
		return true;
	case FF__T_PROTO:
		*s = key_span(b, &b->proto, FF_FIELD_PROTO, UINT8_MAX);
		return true;
	case FF__T_TOS:
		*s = key_span(b, &b->tos, FF_FIELD_TOS, UINT8_MAX);
		return true;
	case FF__T_FLAGS_ALL:
	case FF__T_FLAGS_ANY:
	case FF__T_FLAGS:
		*s = key_span(b, &b->tcp_flags, FF_FIELD_TCP_FLAGS, UINT8_MAX);
		return true;
	case FF__T_PACKETS:
		*s = counter_span(b, &b->packets);
		return true;
	case FF__T_BYTES:
		*s = counter_span(b, &b->bytes);
		return true;
	case FF__T_FLOWS:
		*s = counter_span(b, &b->flows);
		return true;
	case FF__T_DURATION:
		*s = (struct ff__span){0, UINT64_MAX, false};
		return true;
	case FF__T_BPP:
		*s = bpp_span(b);
		return true;
	case FF__T_PPS:
		*s = rate_span(b, &b->packets, 1000);
		return true;
	case FF__T_BPS:
		*s = rate_span(b, &b->bytes, 8000);
		return true;
	default: /* addresses and the family: no bounds */
		return false;
	}
}

/* `any`: some value of the span passes; `all`: every value does. */
static enum ff__verdict verdict(bool any, bool all, bool wild)
{
	if (!any)
		return FF__NEVER;
	return all && !wild ? FF__ALWAYS : FF__MAYBE;
}

static enum ff__verdict cmp_verdict(uint8_t cmp, struct ff__span s, uint64_t w)
{
	if (s.lo > s.hi)
		return FF__NEVER;
	switch (cmp) {
	case FF__CMP_GT:
		return verdict(s.hi > w, s.lo > w, s.wild);
	case FF__CMP_LT:
		return verdict(s.lo < w, s.hi < w, s.wild);
	case FF__CMP_GE:
		return verdict(s.hi >= w, s.lo >= w, s.wild);
	case FF__CMP_LE:
		return verdict(s.lo <= w, s.hi <= w, s.wild);
	default:
		return verdict(s.lo <= w && w <= s.hi, s.lo == w && s.hi == w, s.wild);
	}
}

/* The first index of the sorted list holding a value >= v. */
static size_t lower_bound(const uint32_t *nums, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nums[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A list's values are sorted and distinct: it covers the span when it counts every value. */
static enum ff__verdict list_verdict(const struct ff_filter *f, const struct ff__ftest *t,
				     struct ff__span s)
{
	if (s.lo > s.hi)
		return FF__NEVER;
	const uint32_t *nums = f->nums + t->list_off;
	size_t first = lower_bound(nums, t->list_len, s.lo);
	size_t end = s.hi >= UINT32_MAX ? t->list_len : lower_bound(nums, t->list_len, s.hi + 1);
	return verdict(end > first, end - first == s.hi - s.lo + 1, s.wild);
}

/* Bit tests are not monotone in the value, but a flag byte has only 256 values to try. */
static enum ff__verdict flags_verdict(const struct ff__ftest *t, struct ff__span s)
{
	bool any = false, all = true;
	for (uint64_t v = s.lo; v <= s.hi; v++) {
		bool m = t->kind == FF__T_FLAGS_ALL ? (v & t->value) == t->value
						    : (v & t->value) != 0;
		any |= m;
		all &= m;
	}
	return verdict(any, all, s.wild);
}

static enum ff__verdict test_verdict(const struct ff_filter *f, const struct ff__ftest *t,
				     const ff_filter_bounds *b)
{
	struct ff__span s;
	if (!test_span(t, b, &s))
		return FF__MAYBE;
	switch (t->kind) {
	case FF__T_PORT_LIST:
	case FF__T_AS_LIST:
		return list_verdict(f, t, s);
	case FF__T_FLAGS_ALL:
	case FF__T_FLAGS_ANY:
		return flags_verdict(t, s);
	case FF__T_PROTO:
	case FF__T_IF:
		return cmp_verdict(FF__CMP_EQ, s, t->value);
	default:
		return cmp_verdict(t->cmp, s, t->value);
	}
}

static enum ff__verdict target_verdict(int32_t target, const uint8_t *verdicts)
{
	if (target == FF__ACCEPT)
		return FF__ALWAYS;
	return target < 0 ? FF__NEVER : (enum ff__verdict)verdicts[target];
}

/*
 * Jumps only go to lower instructions, so one pass from the first computes,
 * for each instruction, whether the records reaching it end in accept
 * never, always or maybe. A test that may go either way is only as sure as
 * both its targets agree: each target's verdict covers every record in the
 * bounds, a superset of those the test sends there, so agreement is sound.
 */
bool ff_filter_may_match(const ff_filter *f, const ff_filter_bounds *b)
{
	uint8_t on_stack[FF__VERDICTS_ON_STACK];
	if (f == NULL)
		return true;
	uint8_t *v = f->nprog <= sizeof on_stack ? on_stack : malloc(f->nprog);
	if (v == NULL)
		return true;
	for (size_t i = 0; i < f->nprog; i++) {
		const struct ff__finsn *in = &f->prog[i];
		enum ff__verdict t = test_verdict(f, &in->test, b);
		enum ff__verdict yes = target_verdict(in->on_true, v);
		enum ff__verdict no = target_verdict(in->on_false, v);
		if (t == FF__MAYBE)
			v[i] = yes == no ? yes : FF__MAYBE;
		else
			v[i] = t == FF__ALWAYS ? yes : no;
	}
	bool may = target_verdict(f->entry, v) != FF__NEVER;
	if (v != on_stack)
		free(v);
	return may;
}
