#include "ff_filter_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * A recursive-descent parser for nfdump's grammar: `or` binds weakest, then
 * `and`, then `not`, as in nfdump's yacc grammar (%left OR, %left AND,
 * %left NEGATE). Untrusted text reaches this code (policies come over HTTP),
 * so every error returns with a message and the nesting depth is bounded to
 * keep the recursion off the end of the stack.
 */

/* Deepest nesting of parentheses and `not` accepted. */
#define FF__MAX_DEPTH 128
/* Longest word copied for interpretation (an IPv6 address with a prefix fits). */
#define FF__WORD_MAX 64

enum ff__fdir { DIR_NONE, DIR_SRC, DIR_DST, DIR_SRC_AND_DST, DIR_SRC_OR_DST };

struct ff__fparser {
	struct ff__ftok *toks;
	size_t pos, ntoks;
	struct ff__fast *ast;
	unsigned depth;
	char *err;
	size_t err_len;
	bool failed;
};

static struct ff__ftok *p_tok(struct ff__fparser *p)
{
	return &p->toks[p->pos];
}

static struct ff__ftok *p_peek(struct ff__fparser *p, size_t k)
{
	size_t i = p->pos + k;
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

/* Records the first error only: later ones are consequences of it. */
static int32_t p_fail(struct ff__fparser *p, const struct ff__ftok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int32_t p_fail(struct ff__fparser *p, const struct ff__ftok *t, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ff__filter_error(p->err, p->err_len, t->line, t->col, "%s", msg);
	return -1;
}

static int32_t p_oom(struct ff__fparser *p)
{
	return p_fail(p, p_tok(p), "out of memory");
}

/* How a token is named in messages: the word in quotes, or "the end of the filter". */
static const char *p_what(const struct ff__ftok *t, char *buf, size_t len)
{
	if (t->type == FF__TOK_END)
		return "the end of the filter";
	snprintf(buf, len, "'%.*s'", (int)(t->len < 40 ? t->len : 40), t->s);
	return buf;
}

static bool tok_is(const struct ff__ftok *t, const char *kw)
{
	return t->type == FF__TOK_WORD && strlen(kw) == t->len && strncasecmp(t->s, kw, t->len) == 0;
}

static bool p_accept(struct ff__fparser *p, const char *kw)
{
	if (!tok_is(p_tok(p), kw))
		return false;
	p_tok(p)->keyword = true;
	p->pos++;
	return true;
}

/* Copies a word into buf; false when it is no word or too long to be a value. */
static bool tok_cstr(const struct ff__ftok *t, char *buf, size_t len)
{
	if (t->type != FF__TOK_WORD || t->len >= len)
		return false;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return true;
}

/* ---- values ---- */

/*
 * nfdump's numbers: decimal (leading zeros are still decimal) or 0x hex,
 * optionally scaled by k, m, g or t, each a factor of 1000 as in nfdump's
 * scanner. Returns 0, -1 when the word is no number, -2 when it overflows.
 */
static int parse_number(const struct ff__ftok *t, uint64_t *out)
{
	char buf[FF__WORD_MAX];
	if (!tok_cstr(t, buf, sizeof buf))
		return -1;
	size_t n = strlen(buf);
	if (n == 0)
		return -1;
	uint64_t scale = 1;
	const char *sfx = strchr("kKmMgGtT", buf[n - 1]);
	bool hex = n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
	if (sfx != NULL && !hex) {
		static const uint64_t scales[] = {1000ull, 1000000ull, 1000000000ull,
						  1000000000000ull};
		scale = scales[(sfx - "kKmMgGtT") / 2];
		buf[--n] = '\0';
	}
	const char *digits = hex ? buf + 2 : buf;
	if (*digits == '\0' || strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789") !=
				   strlen(digits))
		return -1;
	uint64_t v = 0;
	for (const char *c = digits; *c; c++) {
		unsigned d = (unsigned)(*c <= '9' ? *c - '0' : (*c | 0x20) - 'a' + 10);
		unsigned base = hex ? 16 : 10;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
	}
	if (v > UINT64_MAX / scale)
		return -2;
	*out = v * scale;
	return 0;
}

/* Reads a number no greater than `max` after keyword `kw`; `what` names it. */
static int p_number(struct ff__fparser *p, const char *what, const char *kw, uint64_t max,
		    uint64_t *out)
{
	struct ff__ftok *t = p_tok(p);
	int rc = parse_number(t, out);
	if (rc == -1)
		return p_fail(p, t, "expected %s after '%s'", what, kw);
	if (rc == -2 || *out > max)
		return p_fail(p, t, "%s '%.*s' is out of range 0..%llu", what, (int)t->len, t->s,
			      (unsigned long long)max);
	p->pos++;
	return 0;
}

/* An optional comparator; nfdump assumes '==' when it is left out. */
static uint8_t p_cmp(struct ff__fparser *p)
{
	static const char *const words[] = {"eq", "gt", "lt", "ge", "le"};
	struct ff__ftok *t = p_tok(p);
	if (t->type == FF__TOK_CMP) {
		p->pos++;
		return t->cmp;
	}
	for (uint8_t i = 0; i < 5; i++)
		if (p_accept(p, words[i]))
			return i;
	return FF__CMP_EQ;
}

/* The mask of a prefix; IPv4 prefixes count from the start of the v4-mapped part. */
static void prefix_mask(bool v4, unsigned bits, uint8_t mask[FF_ADDR_LEN])
{
	unsigned total = v4 ? 96 + bits : bits;
	for (unsigned i = 0; i < FF_ADDR_LEN; i++) {
		unsigned have = total > i * 8 ? total - i * 8 : 0;
		mask[i] = have >= 8 ? 0xff : (uint8_t)(0xff << (8 - have));
	}
}

static void apply_mask(uint8_t addr[FF_ADDR_LEN], const uint8_t mask[FF_ADDR_LEN])
{
	for (unsigned i = 0; i < FF_ADDR_LEN; i++)
		addr[i] &= mask[i];
}

/*
 * nfdump accepts a shortened IPv4 network ("10.0/16" is 10.0.0.0/16); pads
 * such a word to four parts. Leaves anything else alone.
 */
static void pad_partial_v4(char *buf, size_t len)
{
	if (strspn(buf, "0123456789.") != strlen(buf))
		return;
	size_t dots = 0;
	for (const char *c = buf; *c; c++)
		dots += *c == '.';
	while (dots++ < 3 && strlen(buf) + 3 < len)
		strcat(buf, ".0");
}

/*
 * Parses "A" or "A/bits" into a network and mask. Returns 0, -1 for no
 * address, -2 for bad bits (message in `why`).
 */
static int parse_prefix(const struct ff__ftok *t, bool partial, struct ff__fnet *net,
			bool *had_bits, const char **why)
{
	char buf[FF__WORD_MAX];
	if (!tok_cstr(t, buf, sizeof buf))
		return -1;
	char *slash = strchr(buf, '/');
	char bits_text[FF__WORD_MAX] = "";
	*had_bits = slash != NULL;
	if (slash != NULL) {
		/* Copied out first: padding a partial address writes over it. */
		memcpy(bits_text, slash + 1, strlen(slash + 1) + 1);
		*slash = '\0';
	}
	if (partial && slash != NULL)
		pad_partial_v4(buf, sizeof buf);
	if (ff_addr_parse(buf, net->addr) != 0)
		return -1;
	bool v4 = ff_addr_is_v4(net->addr);
	unsigned max = v4 ? 32 : 128;
	uint64_t bits = max;
	if (slash != NULL) {
		struct ff__ftok bt = {.type = FF__TOK_WORD, .s = bits_text,
				      .len = (uint32_t)strlen(bits_text)};
		if (parse_number(&bt, &bits) != 0 || bits > max) {
			*why = v4 ? "prefix length must be 0..32 for an IPv4 network"
				  : "prefix length must be 0..128 for an IPv6 network";
			return -2;
		}
	}
	prefix_mask(v4, (unsigned)bits, net->mask);
	apply_mask(net->addr, net->mask);
	return 0;
}

/* ---- tree building ---- */

static int32_t node_new(struct ff__fparser *p, uint8_t kind)
{
	struct ff__fast *a = p->ast;
	if (a->nnodes == a->cap_nodes) {
		size_t cap = a->cap_nodes ? a->cap_nodes * 2 : 16;
		struct ff__fnode *n = realloc(a->nodes, cap * sizeof *n);
		if (n == NULL)
			return p_oom(p);
		a->nodes = n;
		a->cap_nodes = cap;
	}
	a->nodes[a->nnodes] = (struct ff__fnode){.kind = kind, .first = -1, .last = -1,
						 .next = -1, .prev = -1, .tok_first = -1,
						 .tok_last = -1};
	return (int32_t)a->nnodes++;
}

static void node_append(struct ff__fparser *p, int32_t parent, int32_t child)
{
	struct ff__fnode *n = p->ast->nodes;
	n[child].prev = n[parent].last;
	if (n[parent].last >= 0)
		n[n[parent].last].next = child;
	else
		n[parent].first = child;
	n[parent].last = child;
}

static int32_t node_test(struct ff__fparser *p, const struct ff__ftest *t)
{
	int32_t n = node_new(p, FF__N_TEST);
	if (n >= 0)
		p->ast->nodes[n].test = *t;
	return n;
}

/* Joins two nodes under a new and/or node. */
static int32_t node_pair(struct ff__fparser *p, uint8_t kind, int32_t a, int32_t b)
{
	if (a < 0 || b < 0)
		return -1;
	int32_t n = node_new(p, kind);
	if (n < 0)
		return -1;
	node_append(p, n, a);
	node_append(p, n, b);
	return n;
}

/*
 * One test per side as the direction asks: nfdump's default for a field
 * without src/dst is "source or destination".
 */
static int32_t node_dir(struct ff__fparser *p, enum ff__fdir dir, struct ff__ftest t)
{
	if (dir == DIR_SRC || dir == DIR_DST) {
		t.side = dir == DIR_SRC ? FF__SIDE_SRC : FF__SIDE_DST;
		return node_test(p, &t);
	}
	t.side = FF__SIDE_SRC;
	int32_t a = node_test(p, &t);
	t.side = FF__SIDE_DST;
	int32_t b = a < 0 ? -1 : node_test(p, &t);
	return node_pair(p, dir == DIR_SRC_AND_DST ? FF__N_AND : FF__N_OR, a, b);
}

static int push_net(struct ff__fparser *p, const struct ff__fnet *net)
{
	struct ff__fast *a = p->ast;
	if (a->nnets == a->cap_nets) {
		size_t cap = a->cap_nets ? a->cap_nets * 2 : 8;
		struct ff__fnet *n = realloc(a->nets, cap * sizeof *n);
		if (n == NULL)
			return p_oom(p);
		a->nets = n;
		a->cap_nets = cap;
	}
	a->nets[a->nnets++] = *net;
	return 0;
}

static int push_num(struct ff__fparser *p, uint32_t v)
{
	struct ff__fast *a = p->ast;
	if (a->nnums == a->cap_nums) {
		size_t cap = a->cap_nums ? a->cap_nums * 2 : 8;
		uint32_t *n = realloc(a->nums, cap * sizeof *n);
		if (n == NULL)
			return p_oom(p);
		a->nums = n;
		a->cap_nums = cap;
	}
	a->nums[a->nnums++] = v;
	return 0;
}

/* ---- lists: "[ a b, c ]" ---- */

static int p_open_list(struct ff__fparser *p, const char *kw)
{
	char w[48];
	if (p_tok(p)->type != FF__TOK_LBRACK)
		return p_fail(p, p_tok(p), "expected '[' after '%s in', found %s", kw,
			      p_what(p_tok(p), w, sizeof w));
	p->pos++;
	return 0;
}

/* Skips separators; true at the closing bracket (consumed), fails at the end. */
static int p_list_next(struct ff__fparser *p, const struct ff__ftok *open, size_t count,
		       bool *done)
{
	while (p_tok(p)->type == FF__TOK_COMMA)
		p->pos++;
	*done = false;
	if (p_tok(p)->type == FF__TOK_RBRACK) {
		if (count == 0)
			return p_fail(p, p_tok(p), "the list is empty");
		p->pos++;
		*done = true;
	} else if (p_tok(p)->type == FF__TOK_END) {
		return p_fail(p, p_tok(p), "expected ']' to close the list opened at %u:%u",
			      open->line, open->col);
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A list of numbers up to `max`, stored sorted and without duplicates. */
static int p_num_list(struct ff__fparser *p, const char *kw, const char *what, uint64_t max,
		      struct ff__ftest *t)
{
	if (p_open_list(p, kw) != 0)
		return -1;
	const struct ff__ftok *open = p_tok(p) - 1;
	size_t start = p->ast->nnums;
	for (bool done = false;;) {
		if (p_list_next(p, open, p->ast->nnums - start, &done) != 0)
			return -1;
		if (done)
			break;
		uint64_t v;
		if (p_number(p, what, kw, max, &v) != 0 || push_num(p, (uint32_t)v) != 0)
			return -1;
	}
	uint32_t *nums = p->ast->nums + start;
	size_t n = p->ast->nnums - start, kept = 0;
	qsort(nums, n, sizeof *nums, cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || nums[kept - 1] != nums[i])
			nums[kept++] = nums[i];
	p->ast->nnums = start + kept;
	t->list_off = (uint32_t)start;
	t->list_len = (uint32_t)kept;
	return 0;
}

static int p_addr_list(struct ff__fparser *p, const char *kw, struct ff__ftest *t)
{
	if (p_open_list(p, kw) != 0)
		return -1;
	const struct ff__ftok *open = p_tok(p) - 1;
	size_t start = p->ast->nnets;
	for (bool done = false;;) {
		if (p_list_next(p, open, p->ast->nnets - start, &done) != 0)
			return -1;
		if (done)
			break;
		struct ff__fnet net;
		bool had_bits;
		const char *why = NULL;
		int rc = parse_prefix(p_tok(p), false, &net, &had_bits, &why);
		if (rc == -1)
			return p_fail(p, p_tok(p), "expected an address or network in the list");
		if (rc == -2)
			return p_fail(p, p_tok(p), "%s", why);
		if (push_net(p, &net) != 0)
			return -1;
		p->pos++;
	}
	t->list_off = (uint32_t)start;
	t->list_len = (uint32_t)(p->ast->nnets - start);
	return 0;
}

/* ---- primitives ---- */

static int32_t p_host(struct ff__fparser *p, enum ff__fdir dir, const char *kw)
{
	struct ff__ftest t = {.kind = FF__T_ADDR};
	if (p_accept(p, "in")) {
		t.kind = FF__T_ADDR_LIST;
		return p_addr_list(p, kw, &t) != 0 ? -1 : node_dir(p, dir, t);
	}
	struct ff__fnet net;
	bool had_bits;
	const char *why = NULL;
	if (parse_prefix(p_tok(p), false, &net, &had_bits, &why) != 0 || had_bits)
		return p_fail(p, p_tok(p),
			      "expected an IPv4 or IPv6 address after '%s' (for a network use "
			      "'net A/bits'; host names are not resolved)",
			      kw);
	p->pos++;
	memcpy(t.addr, net.addr, FF_ADDR_LEN);
	memcpy(t.mask, net.mask, FF_ADDR_LEN);
	return node_dir(p, dir, t);
}

/* "net A/bits", or "net A M" with a dotted IPv4 mask (which may be sparse). */
static int32_t p_net(struct ff__fparser *p, enum ff__fdir dir)
{
	struct ff__ftest t = {.kind = FF__T_ADDR};
	struct ff__fnet net;
	bool had_bits;
	const char *why = NULL;
	int rc = parse_prefix(p_tok(p), true, &net, &had_bits, &why);
	if (rc == -1)
		return p_fail(p, p_tok(p), "expected a network (A/bits or A MASK) after 'net'");
	if (rc == -2)
		return p_fail(p, p_tok(p), "%s", why);
	p->pos++;
	if (!had_bits) {
		struct ff__fnet mask;
		bool mb;
		if (parse_prefix(p_tok(p), false, &mask, &mb, &why) != 0 || mb ||
		    !ff_addr_is_v4(mask.addr) || !ff_addr_is_v4(net.addr))
			return p_fail(p, p_tok(p),
				      "expected '/bits' or a dotted IPv4 netmask after the network "
				      "in 'net'");
		p->pos++;
		memcpy(net.mask, mask.addr, FF_ADDR_LEN);
		memset(net.mask, 0xff, 12);
		apply_mask(net.addr, net.mask);
	}
	memcpy(t.addr, net.addr, FF_ADDR_LEN);
	memcpy(t.mask, net.mask, FF_ADDR_LEN);
	return node_dir(p, dir, t);
}

/* port / as: a comparison or "in [list]". */
static int32_t p_cmp_or_list(struct ff__fparser *p, enum ff__fdir dir, const char *kw,
			     const char *what, uint64_t max, uint8_t kind, uint8_t list_kind)
{
	struct ff__ftest t = {.kind = kind};
	if (p_accept(p, "in")) {
		t.kind = list_kind;
		return p_num_list(p, kw, what, max, &t) != 0 ? -1 : node_dir(p, dir, t);
	}
	t.cmp = p_cmp(p);
	if (p_number(p, what, kw, max, &t.value) != 0)
		return -1;
	return node_dir(p, dir, t);
}

static int32_t p_tos(struct ff__fparser *p, enum ff__fdir dir, const struct ff__ftok *kw)
{
	if (dir != DIR_NONE && dir != DIR_SRC)
		return p_fail(p, kw,
			      "flowfleet records carry one ToS (the source's): use 'tos' or "
			      "'src tos'");
	struct ff__ftest t = {.kind = FF__T_TOS};
	t.cmp = p_cmp(p);
	if (p_number(p, "a ToS value", "tos", 255, &t.value) != 0)
		return -1;
	return node_test(p, &t);
}

static int32_t p_if(struct ff__fparser *p, enum ff__fdir dir)
{
	struct ff__ftest t = {.kind = FF__T_IF};
	if (p_number(p, "an interface number", "if", UINT32_MAX, &t.value) != 0)
		return -1;
	return node_dir(p, dir, t);
}

/*
 * "flags ASF": every named flag set; "flags [cmp] N": the flag byte compared.
 * Both imply TCP, as nfdump's grammar adds "proto tcp" to either.
 */
static int32_t p_flags(struct ff__fparser *p)
{
	struct ff__ftest t = {.kind = FF__T_FLAGS_ALL};
	struct ff__ftok *w = p_tok(p);
	uint64_t v;
	if (w->type == FF__TOK_CMP || parse_number(w, &v) != -1 || tok_is(w, "eq") ||
	    tok_is(w, "gt") || tok_is(w, "lt") || tok_is(w, "ge") || tok_is(w, "le")) {
		t.kind = FF__T_FLAGS;
		t.cmp = p_cmp(p);
		if (p_number(p, "a flags value", "flags", 63, &t.value) != 0)
			return -1;
	} else {
		static const char letters[] = "FSRPAU";
		if (w->type != FF__TOK_WORD || w->len > 7)
			return p_fail(p, w, "expected TCP flags (letters of ASFRPUX) after 'flags'");
		for (uint32_t i = 0; i < w->len; i++) {
			const char *l = strchr(letters, w->s[i]);
			uint64_t bit = w->s[i] == 'X' ? 63 : l ? 1u << (l - letters) : 0;
			if (bit == 0 || memchr(w->s, w->s[i], i) != NULL)
				return p_fail(p, w,
					      "TCP flags are distinct upper-case letters of "
					      "ASFRPUX, found '%.*s'",
					      (int)w->len, w->s);
			t.value |= bit;
		}
		p->pos++;
	}
	struct ff__ftest tcp = {.kind = FF__T_PROTO, .value = 6};
	return node_pair(p, FF__N_AND, node_test(p, &tcp), node_test(p, &t));
}

static int32_t p_proto(struct ff__fparser *p)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {{"icmp", 1},  {"igmp", 2},  {"ggp", 3},   {"ipip", 4},	{"tcp", 6},
		     {"egp", 8},   {"udp", 17},  {"rsvp", 46}, {"gre", 47},	{"esp", 50},
		     {"ah", 51},   {"icmp6", 58}, {"ospf", 89}, {"pim", 103}, {"vrrp", 112},
		     {"l2tp", 115}, {"sctp", 132}};
	struct ff__ftest t = {.kind = FF__T_PROTO};
	struct ff__ftok *w = p_tok(p);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (tok_is(w, names[i].name)) {
			w->keyword = true;
			p->pos++;
			t.value = names[i].num;
			return node_test(p, &t);
		}
	}
	if (w->type == FF__TOK_WORD && parse_number(w, &t.value) == -1)
		return p_fail(p, w,
			      "unknown protocol '%.*s': use a number 0..255 or tcp, udp, icmp, "
			      "icmp6, gre, esp, ah, sctp, ...",
			      (int)w->len, w->s);
	if (p_number(p, "a protocol name or number", "proto", 255, &t.value) != 0)
		return -1;
	return node_test(p, &t);
}

static int32_t p_counter(struct ff__fparser *p, uint8_t kind, const char *kw)
{
	struct ff__ftest t = {.kind = kind};
	t.cmp = p_cmp(p);
	if (p_number(p, "a number", kw, UINT64_MAX, &t.value) != 0)
		return -1;
	return node_test(p, &t);
}

static enum ff__fdir p_dir(struct ff__fparser *p)
{
	bool src = tok_is(p_tok(p), "src"), dst = tok_is(p_tok(p), "dst");
	if (!src && !dst)
		return DIR_NONE;
	bool both = src && tok_is(p_peek(p, 2), "dst") &&
		    (tok_is(p_peek(p, 1), "and") || tok_is(p_peek(p, 1), "or"));
	if (!both) {
		p_accept(p, src ? "src" : "dst");
		return src ? DIR_SRC : DIR_DST;
	}
	p_accept(p, "src");
	bool and = p_accept(p, "and");
	if (!and)
		p_accept(p, "or");
	p_accept(p, "dst");
	return and ? DIR_SRC_AND_DST : DIR_SRC_OR_DST;
}

/* Primitives that take src/dst in front. */
static int32_t p_directed(struct ff__fparser *p, enum ff__fdir dir, const struct ff__ftok *start)
{
	struct ff__ftok *kw = p_tok(p);
	if (p_accept(p, "host") || p_accept(p, "ip"))
		return p_host(p, dir, tok_is(kw, "ip") ? "ip" : "host");
	if (p_accept(p, "net"))
		return p_net(p, dir);
	if (p_accept(p, "port"))
		return p_cmp_or_list(p, dir, "port", "a port number", 65535, FF__T_PORT,
				     FF__T_PORT_LIST);
	if (p_accept(p, "as"))
		return p_cmp_or_list(p, dir, "as", "an AS number", UINT32_MAX, FF__T_AS,
				     FF__T_AS_LIST);
	if (p_accept(p, "tos"))
		return p_tos(p, dir, kw);
	char w[48];
	if (dir != DIR_NONE)
		return p_fail(p, kw, "expected host, ip, net, port, as or tos after '%.*s', found %s",
			      (int)start->len, start->s, p_what(kw, w, sizeof w));
	return p_fail(p, kw,
		      "expected a filter primitive (any, proto, host, net, port, as, if, flags, "
		      "tos, packets, bytes, ...), found %s",
		      p_what(kw, w, sizeof w));
}

static int32_t p_primitive_body(struct ff__fparser *p)
{
	static const struct {
		const char *kw;
		uint8_t kind;
	} counters[] = {{"packets", FF__T_PACKETS}, {"bytes", FF__T_BYTES},
			{"flows", FF__T_FLOWS},	    {"duration", FF__T_DURATION},
			{"pps", FF__T_PPS},	    {"bps", FF__T_BPS},
			{"bpp", FF__T_BPP}};
	struct ff__ftok *start = p_tok(p);
	if (p_accept(p, "any"))
		return node_new(p, FF__N_TRUE);
	if (p_accept(p, "inet") || p_accept(p, "ipv4"))
		return node_test(p, &(struct ff__ftest){.kind = FF__T_INET});
	if (p_accept(p, "inet6") || p_accept(p, "ipv6"))
		return node_test(p, &(struct ff__ftest){.kind = FF__T_INET6});
	if (p_accept(p, "proto"))
		return p_proto(p);
	if (p_accept(p, "flags"))
		return p_flags(p);
	if (p_accept(p, "if"))
		return p_if(p, DIR_NONE);
	if ((tok_is(start, "in") || tok_is(start, "out")) && tok_is(p_peek(p, 1), "if")) {
		p_accept(p, tok_is(start, "in") ? "in" : "out");
		p_accept(p, "if");
		return p_if(p, tok_is(start, "in") ? DIR_SRC : DIR_DST);
	}
	if (tok_is(start, "out") && (tok_is(p_peek(p, 1), "packets") || tok_is(p_peek(p, 1), "bytes")))
		return p_fail(p, start, "flowfleet records carry no reverse counters ('out %.*s')",
			      (int)p_peek(p, 1)->len, p_peek(p, 1)->s);
	/* "in packets" and "in bytes" are nfdump's long names for the flow's counters. */
	if (tok_is(start, "in") && (tok_is(p_peek(p, 1), "packets") || tok_is(p_peek(p, 1), "bytes")))
		p_accept(p, "in");
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		if (p_accept(p, counters[i].kw))
			return p_counter(p, counters[i].kind, counters[i].kw);
	return p_directed(p, p_dir(p), start);
}

static int32_t p_primitive(struct ff__fparser *p)
{
	size_t first = p->pos;
	int32_t n = p_primitive_body(p);
	if (n >= 0) {
		p->ast->nodes[n].tok_first = (int32_t)first;
		p->ast->nodes[n].tok_last = (int32_t)p->pos - 1;
	}
	return n;
}

/* ---- expressions ---- */

static int32_t p_or(struct ff__fparser *p);

static int32_t p_unary(struct ff__fparser *p)
{
	struct ff__ftok *t = p_tok(p);
	bool nots = tok_is(t, "not");
	if (!nots && t->type != FF__TOK_LPAREN)
		return p_primitive(p);
	if (++p->depth > FF__MAX_DEPTH)
		return p_fail(p, t, "nested deeper than %d levels", FF__MAX_DEPTH);
	int32_t n;
	if (nots) {
		p_accept(p, "not");
		int32_t child = p_unary(p);
		n = child < 0 ? -1 : node_new(p, FF__N_NOT);
		if (n >= 0)
			node_append(p, n, child);
	} else {
		p->pos++;
		n = p_or(p);
		char w[48];
		if (n >= 0 && p_tok(p)->type != FF__TOK_RPAREN)
			n = p_fail(p, p_tok(p), "expected ')' to close the '(' at %u:%u, found %s",
				   t->line, t->col, p_what(p_tok(p), w, sizeof w));
		p->pos += n >= 0;
	}
	p->depth--;
	return n;
}

/* A chain of operands joined by `op` becomes one node with every operand as a child. */
static int32_t p_chain(struct ff__fparser *p, const char *op, uint8_t kind,
		       int32_t (*operand)(struct ff__fparser *))
{
	int32_t first = operand(p);
	if (first < 0 || !tok_is(p_tok(p), op))
		return first;
	int32_t n = node_new(p, kind);
	if (n < 0)
		return -1;
	node_append(p, n, first);
	while (p_accept(p, op)) {
		int32_t next = operand(p);
		if (next < 0)
			return -1;
		node_append(p, n, next);
	}
	return n;
}

static int32_t p_and(struct ff__fparser *p)
{
	return p_chain(p, "and", FF__N_AND, p_unary);
}

static int32_t p_or(struct ff__fparser *p)
{
	return p_chain(p, "or", FF__N_OR, p_and);
}

int ff__filter_parse(struct ff__ftok *toks, size_t ntoks, struct ff__fast *ast, char *err,
		     size_t err_len)
{
	struct ff__fparser p = {.toks = toks, .ntoks = ntoks, .ast = ast, .err = err,
				.err_len = err_len};
	memset(ast, 0, sizeof *ast);
	ast->root = -1;
	if (toks[0].type == FF__TOK_END)
		return 0;
	ast->root = p_or(&p);
	char w[48];
	if (ast->root >= 0 && p_tok(&p)->type != FF__TOK_END)
		p_fail(&p, p_tok(&p), "expected 'and', 'or' or the end of the filter, found %s",
		       p_what(p_tok(&p), w, sizeof w));
	if (p.failed) {
		ff__fast_free(ast);
		return -1;
	}
	return 0;
}

void ff__fast_free(struct ff__fast *ast)
{
	free(ast->nodes);
	free(ast->nets);
	free(ast->nums);
	memset(ast, 0, sizeof *ast);
	ast->root = -1;
}
