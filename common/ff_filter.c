#include "ff_filter_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * The public entry points: text to tokens to tree to jump table. The tree
 * and tokens are dropped once the table and the normalized text exist, so a
 * compiled filter holds only what evaluation reads.
 */

struct ff__fbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void buf_put(struct ff__fbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* A primitive as written, one space between tokens, keywords in lower case. */
static void print_tokens(struct ff__fbuf *b, const struct ff__ftok *toks, int32_t first,
			 int32_t last)
{
	for (int32_t i = first; i <= last; i++) {
		const struct ff__ftok *t = &toks[i];
		if (i > first)
			buf_put(b, " ", 1);
		if (!t->keyword) {
			buf_put(b, t->s, t->len);
			continue;
		}
		for (uint32_t k = 0; k < t->len; k++) {
			char c = (char)tolower((unsigned char)t->s[k]);
			buf_put(b, &c, 1);
		}
	}
}

static void print_node(struct ff__fbuf *b, const struct ff__fast *ast,
		       const struct ff__ftok *toks, int32_t i)
{
	const struct ff__fnode *n = &ast->nodes[i];
	if (n->tok_first >= 0) {
		print_tokens(b, toks, n->tok_first, n->tok_last);
	} else if (n->kind == FF__N_NOT) {
		buf_put(b, "not ", 4);
		print_node(b, ast, toks, n->first);
	} else {
		/* Only and/or chains are left: the parser marks every other node as a primitive. */
		const char *op = n->kind == FF__N_AND ? " and " : " or ";
		buf_put(b, "(", 1);
		for (int32_t c = n->first; c >= 0; c = ast->nodes[c].next) {
			if (c != n->first)
				buf_put(b, op, strlen(op));
			print_node(b, ast, toks, c);
		}
		buf_put(b, ")", 1);
	}
}

/*
 * Writes the normalized text of the tree into a new string (caller frees), or
 * returns NULL when memory runs out.
 */
static char *filter_print(const struct ff__fast *ast, const struct ff__ftok *toks)
{
	struct ff__fbuf b = {0};
	buf_put(&b, "", 0);
	if (ast->root >= 0)
		print_node(&b, ast, toks, ast->root);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

int ff_filter_compile(const char *expr, ff_filter **out, char *err, size_t err_len)
{
	struct ff__ftok *toks = NULL;
	size_t ntoks = 0;
	struct ff__fast ast = {.root = -1};
	ff_filter *f = NULL;
	*out = NULL;
	if (strlen(expr) > FF_FILTER_MAX_LEN) {
		ff__filter_error(err, err_len, 1, 1, "the filter is longer than %u bytes",
				 FF_FILTER_MAX_LEN);
		return -1;
	}
	if (ff__filter_lex(expr, &toks, &ntoks, err, err_len) != 0)
		return -1;
	if (ff__filter_parse(toks, ntoks, &ast, err, err_len) != 0)
		goto fail;
	f = calloc(1, sizeof *f);
	if (f == NULL || ff__filter_emit(&ast, f) != 0 ||
	    (f->source = filter_print(&ast, toks)) == NULL) {
		ff__filter_error(err, err_len, 1, 1, "out of memory");
		goto fail;
	}
	ff__fast_free(&ast);
	free(toks);
	*out = f;
	return 0;
fail:
	ff__fast_free(&ast);
	free(toks);
	ff_filter_free(f);
	return -1;
}

const char *ff_filter_source(const ff_filter *f)
{
	return f->source;
}

void ff_filter_free(ff_filter *f)
{
	if (f == NULL)
		return;
	free(f->prog);
	free(f->nets);
	free(f->nums);
	free(f->source);
	free(f);
}
