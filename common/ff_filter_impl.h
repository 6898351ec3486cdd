#ifndef FF_FILTER_IMPL_H
#define FF_FILTER_IMPL_H

/*
 * Internals of the filter module shared by its three files: the lexer
 * (ff_filter_lex.c) turns text into tokens, the parser (ff_filter_parse.c)
 * turns tokens into a syntax tree of tests joined by and/or/not, and the
 * evaluator (ff_filter_eval.c) flattens the tree into a jump table and runs
 * it. Not part of the public API.
 */

#include "ff_filter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- tokens ---- */

enum ff__ftok_type {
	FF__TOK_END,
	FF__TOK_WORD, /* keyword, number, address, protocol name, flag letters */
	FF__TOK_LPAREN,
	FF__TOK_RPAREN,
	FF__TOK_LBRACK,
	FF__TOK_RBRACK,
	FF__TOK_COMMA,
	FF__TOK_CMP, /* = == > < >= <= ; the comparison is in `cmp` */
};

enum ff__fcmp { FF__CMP_EQ, FF__CMP_GT, FF__CMP_LT, FF__CMP_GE, FF__CMP_LE };

struct ff__ftok {
	enum ff__ftok_type type;
	const char *s; /* points into the source text; not NUL-terminated */
	uint32_t len;
	uint32_t line, col; /* 1-based, of the first character */
	uint8_t cmp;	    /* enum ff__fcmp, for FF__TOK_CMP */
	bool keyword;	    /* set by the parser when it read the word as a keyword */
};

/*
 * Splits `src` into tokens ending with one FF__TOK_END. Returns 0 and a new
 * array in *toks (caller frees with free()), or -1 with a message in `err`.
 */
int ff__filter_lex(const char *src, struct ff__ftok **toks, size_t *ntoks, char *err,
		   size_t err_len);

/* Formats "filter:LINE:COL: message" into err. */
void ff__filter_error(char *err, size_t err_len, uint32_t line, uint32_t col, const char *fmt,
		      ...) __attribute__((format(printf, 5, 6)));

/* ---- tests: the leaves of a filter ---- */

enum ff__ftest_kind {
	FF__T_INET,
	FF__T_INET6,
	FF__T_PROTO,
	FF__T_ADDR,	 /* (address & mask) == value, one side */
	FF__T_ADDR_LIST, /* any of nets[list_off .. list_off + list_len) */
	FF__T_PORT,
	FF__T_PORT_LIST, /* value in nums[list_off ..), sorted */
	FF__T_AS,
	FF__T_AS_LIST,
	FF__T_IF,
	FF__T_FLAGS_ALL, /* every bit of `value` set */
	FF__T_FLAGS_ANY, /* some bit of `value` set: FLAGS_ALL under an odd number of `not` */
	FF__T_FLAGS,	 /* flags compared with `value` */
	FF__T_TOS,
	FF__T_PACKETS,
	FF__T_BYTES,
	FF__T_FLOWS,
	FF__T_DURATION,
	FF__T_PPS,
	FF__T_BPS,
	FF__T_BPP,
};

/* Which field of a pair: source/destination, or input/output interface. */
enum ff__fside { FF__SIDE_SRC, FF__SIDE_DST };

struct ff__ftest {
	uint8_t kind; /* enum ff__ftest_kind */
	uint8_t side; /* enum ff__fside */
	uint8_t cmp;  /* enum ff__fcmp */
	uint8_t reserved;
	uint32_t list_off, list_len;
	uint64_t value;
	uint8_t addr[FF_ADDR_LEN]; /* FF__T_ADDR: the network, already masked */
	uint8_t mask[FF_ADDR_LEN];
};

/* One entry of an address list: an address with a (possibly sparse) mask. */
struct ff__fnet {
	uint8_t addr[FF_ADDR_LEN];
	uint8_t mask[FF_ADDR_LEN];
};

/* ---- syntax tree ---- */

enum ff__fnode_kind { FF__N_TEST, FF__N_TRUE, FF__N_AND, FF__N_OR, FF__N_NOT };

/*
 * Nodes live in one array and refer to each other by index (-1: none). An
 * and/or node has any number of children, linked both ways so the compiler
 * can walk them from the last while the printer walks from the first; a not
 * node has one child in `first`. A node that came from one primitive of the
 * text remembers its tokens so the normalized text can reprint them.
 */
struct ff__fnode {
	uint8_t kind;
	int32_t first, last; /* children */
	int32_t next, prev;  /* siblings */
	int32_t tok_first, tok_last; /* -1 unless the node is a whole primitive */
	struct ff__ftest test;
};

/* Everything the parser produces; the compiler takes ownership of the lists. */
struct ff__fast {
	struct ff__fnode *nodes;
	size_t nnodes, cap_nodes;
	struct ff__fnet *nets;
	size_t nnets, cap_nets;
	uint32_t *nums;
	size_t nnums, cap_nums;
	int32_t root; /* -1 for an empty filter */
};

/*
 * Parses the tokens. Returns 0 with the tree in `ast` (release with
 * ff__fast_free()), or -1 with a message in `err`.
 */
int ff__filter_parse(struct ff__ftok *toks, size_t ntoks, struct ff__fast *ast, char *err,
		     size_t err_len);
void ff__fast_free(struct ff__fast *ast);

/* ---- the compiled filter ---- */

/* A jump target below zero ends the evaluation. */
#define FF__ACCEPT (-1)
#define FF__REJECT (-2)

/*
 * One instruction: run the test and continue at on_true or on_false. Targets
 * always point at a lower index or at a terminal, so evaluation ends after at
 * most one visit per instruction.
 */
struct ff__finsn {
	struct ff__ftest test;
	int32_t on_true, on_false;
};

struct ff_filter {
	struct ff__finsn *prog;
	size_t nprog;
	int32_t entry;
	struct ff__fnet *nets;
	size_t nnets;
	uint32_t *nums;
	size_t nnums;
	char *source;
};

/*
 * Flattens the tree into `f` (prog, entry) and moves its lists over. Returns
 * 0, or -1 when memory runs out.
 */
int ff__filter_emit(struct ff__fast *ast, struct ff_filter *f);

/* `have CMP want`: the one comparison both evaluators (per row, per block) make. */
static inline bool ff__filter_cmp(uint8_t cmp, uint64_t have, uint64_t want)
{
	switch (cmp) {
	case FF__CMP_GT:
		return have > want;
	case FF__CMP_LT:
		return have < want;
	case FF__CMP_GE:
		return have >= want;
	case FF__CMP_LE:
		return have <= want;
	default:
		return have == want;
	}
}

/* Whether `v` is in the sorted list nums[0..len) (port and AS lists). */
static inline bool ff__filter_in_list(const uint32_t *nums, uint32_t len, uint32_t v)
{
	size_t lo = 0, hi = len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nums[mid] == v)
			return true;
		if (nums[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

#endif
