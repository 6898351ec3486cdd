#include "ff_filter_impl.h"

#include <stdlib.h>
#include <string.h>

/*
 * The compiled form is nfdump's idea made explicit: a flat array of tests,
 * each with a jump for true and one for false, so and/or/not cost nothing at
 * run time (they are only wiring) and evaluation short-circuits without a
 * stack. The tree is flattened bottom-up: an operand is emitted knowing
 * where to go on true and on false, which is why a later instruction only
 * ever jumps to an earlier one.
 */

struct ff__femit {
	struct ff__fast *ast;
	struct ff__finsn *prog;
	size_t n, cap;
	bool oom;
};

static int32_t emit_test(struct ff__femit *e, const struct ff__ftest *t, int32_t on_true,
			 int32_t on_false)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct ff__finsn *p = realloc(e->prog, cap * sizeof *p);
		if (p == NULL) {
			e->oom = true;
			return FF__REJECT;
		}
		e->prog = p;
		e->cap = cap;
	}
	e->prog[e->n] = (struct ff__finsn){.test = *t, .on_true = on_true, .on_false = on_false};
	return (int32_t)e->n++;
}

/*
 * nfdump evaluates a letters flags test under `not` as "any of the flags
 * set" (nftree.c, CMP_FLAGS with invert), so "not flags AFRPU" means none of
 * them is set and its man page's "flags S and not flags AFRPU" selects
 * SYN-only flows. Negation here is wiring, so the test is swapped for its
 * any-variant when it sits under an odd number of `not`.
 */
static int32_t emit_leaf(struct ff__femit *e, const struct ff__ftest *t, bool negated,
			 int32_t on_true, int32_t on_false)
{
	struct ff__ftest copy = *t;
	if (negated && copy.kind == FF__T_FLAGS_ALL)
		copy.kind = FF__T_FLAGS_ANY;
	return emit_test(e, &copy, on_true, on_false);
}

/*
 * Emits node `i` and returns its entry. An and-chain a1..an becomes: a1 on
 * true goes to a2, ..., an on true goes to on_true; any false goes to
 * on_false. So the chain is emitted from its last operand back to its first.
 * Recursion depth is the nesting of parentheses and `not`, which the parser
 * bounds; chains are walked in a loop. `negated`: under an odd number of `not`.
 */
static int32_t emit_node(struct ff__femit *e, int32_t i, bool negated, int32_t on_true,
			 int32_t on_false)
{
	const struct ff__fnode *nodes = e->ast->nodes;
	switch (nodes[i].kind) {
	case FF__N_TRUE:
		return on_true;
	case FF__N_NOT:
		return emit_node(e, nodes[i].first, !negated, on_false, on_true);
	case FF__N_AND:
	case FF__N_OR: {
		bool and = nodes[i].kind == FF__N_AND;
		int32_t entry = -1;
		for (int32_t c = nodes[i].last; c >= 0; c = e->ast->nodes[c].prev) {
			bool last = c == nodes[i].last;
			if (and)
				entry = emit_node(e, c, negated, last ? on_true : entry, on_false);
			else
				entry = emit_node(e, c, negated, on_true, last ? on_false : entry);
			nodes = e->ast->nodes;
		}
		return entry;
	}
	default:
		return emit_leaf(e, &nodes[i].test, negated, on_true, on_false);
	}
}

int ff__filter_emit(struct ff__fast *ast, struct ff_filter *f)
{
	struct ff__femit e = {.ast = ast};
	f->entry = ast->root < 0 ? FF__ACCEPT : emit_node(&e, ast->root, false, FF__ACCEPT, FF__REJECT);
	if (e.oom) {
		free(e.prog);
		return -1;
	}
	f->prog = e.prog;
	f->nprog = e.n;
	f->nets = ast->nets;
	f->nnets = ast->nnets;
	f->nums = ast->nums;
	f->nnums = ast->nnums;
	ast->nets = NULL;
	ast->nums = NULL;
	ast->nnets = ast->nnums = 0;
	return 0;
}

/* ---- evaluation ---- */

static bool addr_in(const uint8_t *addr, const uint8_t *net, const uint8_t *mask)
{
	uint64_t a[2], n[2], m[2];
	memcpy(a, addr, sizeof a);
	memcpy(n, net, sizeof n);
	memcpy(m, mask, sizeof m);
	return (a[0] & m[0]) == n[0] && (a[1] & m[1]) == n[1];
}

static bool addr_in_list(const struct ff_filter *f, const struct ff__ftest *t,
			 const uint8_t *addr)
{
	const struct ff__fnet *nets = f->nets + t->list_off;
	for (uint32_t i = 0; i < t->list_len; i++)
		if (addr_in(addr, nets[i].addr, nets[i].mask))
			return true;
	return false;
}

static bool num_in_list(const struct ff_filter *f, const struct ff__ftest *t, uint32_t v)
{
	return ff__filter_in_list(f->nums + t->list_off, t->list_len, v);
}

/*
 * The record's address family, from whichever address survived
 * summarization: 4, 6, or 0 when both were wildcarded.
 */
static int flow_family(const ff_flow *flow)
{
	if (!(flow->wildcards & FF_FIELD_SRC_ADDR))
		return ff_addr_is_v4(flow->src_addr) ? 4 : 6;
	if (!(flow->wildcards & FF_FIELD_DST_ADDR))
		return ff_addr_is_v4(flow->dst_addr) ? 4 : 6;
	return 0;
}

/* Duration in ms and the rates derived from it, with nfdump's integer arithmetic. */
static uint64_t flow_duration(const ff_flow *flow)
{
	return flow->last_ms > flow->first_ms ? flow->last_ms - flow->first_ms : 0;
}

static uint64_t flow_derived(uint8_t kind, const ff_flow *flow)
{
	uint64_t ms = flow_duration(flow);
	switch (kind) {
	case FF__T_DURATION:
		return ms;
	case FF__T_PPS:
		return ms ? 1000 * flow->packets / ms : 0;
	case FF__T_BPS:
		return ms ? 8000 * flow->bytes / ms : 0;
	default: /* FF__T_BPP */
		return flow->packets ? flow->bytes / flow->packets : 0;
	}
}

/* A pair of fields (src/dst or in/out) chosen by the test's side. */
static bool test_pair(const struct ff_filter *f, const struct ff__ftest *t, const ff_flow *flow)
{
	bool src = t->side == FF__SIDE_SRC;
	switch (t->kind) {
	case FF__T_ADDR:
		if (flow->wildcards & (src ? FF_FIELD_SRC_ADDR : FF_FIELD_DST_ADDR))
			return false;
		return addr_in(src ? flow->src_addr : flow->dst_addr, t->addr, t->mask);
	case FF__T_ADDR_LIST:
		if (flow->wildcards & (src ? FF_FIELD_SRC_ADDR : FF_FIELD_DST_ADDR))
			return false;
		return addr_in_list(f, t, src ? flow->src_addr : flow->dst_addr);
	case FF__T_PORT:
	case FF__T_PORT_LIST:
		if (flow->wildcards & (src ? FF_FIELD_SRC_PORT : FF_FIELD_DST_PORT))
			return false;
		if (t->kind == FF__T_PORT_LIST)
			return num_in_list(f, t, src ? flow->src_port : flow->dst_port);
		return ff__filter_cmp(t->cmp, src ? flow->src_port : flow->dst_port, t->value);
	case FF__T_AS:
	case FF__T_AS_LIST:
		if (flow->wildcards & (src ? FF_FIELD_SRC_AS : FF_FIELD_DST_AS))
			return false;
		if (t->kind == FF__T_AS_LIST)
			return num_in_list(f, t, src ? flow->src_as : flow->dst_as);
		return ff__filter_cmp(t->cmp, src ? flow->src_as : flow->dst_as, t->value);
	default: /* FF__T_IF */
		if (flow->wildcards & (src ? FF_FIELD_IN_IF : FF_FIELD_OUT_IF))
			return false;
		return (src ? flow->in_if : flow->out_if) == t->value;
	}
}

/* The test of one instruction. */
static bool filter_test(const struct ff_filter *f, const struct ff__ftest *t, const ff_flow *flow)
{
	switch (t->kind) {
	case FF__T_INET:
		return flow_family(flow) == 4;
	case FF__T_INET6:
		return flow_family(flow) == 6;
	case FF__T_PROTO:
		return !(flow->wildcards & FF_FIELD_PROTO) && flow->proto == t->value;
	case FF__T_FLAGS_ALL:
		return !(flow->wildcards & FF_FIELD_TCP_FLAGS) &&
		       (flow->tcp_flags & t->value) == t->value;
	case FF__T_FLAGS_ANY:
		return !(flow->wildcards & FF_FIELD_TCP_FLAGS) && (flow->tcp_flags & t->value) != 0;
	case FF__T_FLAGS:
		return !(flow->wildcards & FF_FIELD_TCP_FLAGS) &&
		       ff__filter_cmp(t->cmp, flow->tcp_flags, t->value);
	case FF__T_TOS:
		return !(flow->wildcards & FF_FIELD_TOS) && ff__filter_cmp(t->cmp, flow->tos, t->value);
	case FF__T_PACKETS:
		return ff__filter_cmp(t->cmp, flow->packets, t->value);
	case FF__T_BYTES:
		return ff__filter_cmp(t->cmp, flow->bytes, t->value);
	case FF__T_FLOWS:
		return ff__filter_cmp(t->cmp, flow->flows, t->value);
	case FF__T_DURATION:
	case FF__T_PPS:
	case FF__T_BPS:
	case FF__T_BPP:
		return ff__filter_cmp(t->cmp, flow_derived(t->kind, flow), t->value);
	default:
		return test_pair(f, t, flow);
	}
}

bool ff_filter_match(const ff_filter *f, const ff_flow *flow)
{
	int32_t i = f->entry;
	while (i >= 0) {
		const struct ff__finsn *in = &f->prog[i];
		i = filter_test(f, &in->test, flow) ? in->on_true : in->on_false;
	}
	return i == FF__ACCEPT;
}
