#include "ff_filter_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The lexer knows only punctuation and comparators; every other run of
 * characters is a word that the parser reads by context. That keeps values
 * such as "AS" in "flags AS" or an IPv6 address with colons intact, and lets
 * "port<80" split the way nfdump splits it.
 */

void ff__filter_error(char *err, size_t err_len, uint32_t line, uint32_t col, const char *fmt,
		      ...)
{
	if (err == NULL || err_len == 0)
		return;
	int n = snprintf(err, err_len, "filter:%u:%u: ", line, col);
	if (n < 0 || (size_t)n >= err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
	va_end(ap);
}

struct ff__flexer {
	const char *p;
	uint32_t line, col;
	struct ff__ftok *toks;
	size_t ntoks, cap;
};

static bool lex_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters that end a word: white space, punctuation, comparators, comments. */
static bool lex_is_delim(char c)
{
	return c == '\0' || lex_is_space(c) || strchr("()[],=<>!#", c) != NULL;
}

static void lex_advance(struct ff__flexer *lx, size_t n)
{
	for (size_t i = 0; i < n; i++, lx->p++) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->col = 1;
		} else {
			lx->col++;
		}
	}
}

static void lex_skip_blank(struct ff__flexer *lx)
{
	for (;;) {
		if (lex_is_space(*lx->p)) {
			lex_advance(lx, 1);
		} else if (*lx->p == '#') {
			/* A comment runs to the end of the line, as in nfdump's filter files. */
			while (*lx->p != '\0' && *lx->p != '\n')
				lex_advance(lx, 1);
		} else {
			return;
		}
	}
}

static int lex_push(struct ff__flexer *lx, enum ff__ftok_type type, size_t len, uint8_t cmp)
{
	if (lx->ntoks == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 32;
		struct ff__ftok *t = realloc(lx->toks, cap * sizeof *t);
		if (t == NULL)
			return -1;
		lx->toks = t;
		lx->cap = cap;
	}
	lx->toks[lx->ntoks++] = (struct ff__ftok){
	    .type = type, .s = lx->p, .len = (uint32_t)len, .line = lx->line, .col = lx->col,
	    .cmp = cmp};
	lex_advance(lx, len);
	return 0;
}

/* Reads a comparator at lx->p; returns its length, or 0 when there is none. */
static size_t lex_cmp(const char *p, uint8_t *cmp)
{
	if (p[0] == '=') {
		*cmp = FF__CMP_EQ;
		return p[1] == '=' ? 2 : 1;
	}
	if (p[0] == '>' || p[0] == '<') {
		bool eq = p[1] == '=';
		*cmp = p[0] == '>' ? (eq ? FF__CMP_GE : FF__CMP_GT) : (eq ? FF__CMP_LE : FF__CMP_LT);
		return eq ? 2 : 1;
	}
	return 0;
}

static int lex_one(struct ff__flexer *lx, char *err, size_t err_len)
{
	static const char punct[] = "()[],";
	static const enum ff__ftok_type punct_type[] = {FF__TOK_LPAREN, FF__TOK_RPAREN,
							FF__TOK_LBRACK, FF__TOK_RBRACK,
							FF__TOK_COMMA};
	const char *pc = strchr(punct, *lx->p);
	if (pc != NULL)
		return lex_push(lx, punct_type[pc - punct], 1, 0);
	uint8_t cmp = 0;
	size_t n = lex_cmp(lx->p, &cmp);
	if (n > 0)
		return lex_push(lx, FF__TOK_CMP, n, cmp);
	if (*lx->p == '!') {
		ff__filter_error(err, err_len, lx->line, lx->col,
				 "unexpected '!': write 'not' to negate and 'not (port 80)' "
				 "instead of 'port != 80'");
		return -2;
	}
	n = 0;
	while (!lex_is_delim(lx->p[n]))
		n++;
	return lex_push(lx, FF__TOK_WORD, n, 0);
}

int ff__filter_lex(const char *src, struct ff__ftok **toks, size_t *ntoks, char *err,
		   size_t err_len)
{
	struct ff__flexer lx = {.p = src, .line = 1, .col = 1};
	int rc = 0;
	for (;;) {
		lex_skip_blank(&lx);
		if (*lx.p == '\0')
			break;
		rc = lex_one(&lx, err, err_len);
		if (rc != 0)
			goto fail;
	}
	rc = lex_push(&lx, FF__TOK_END, 0, 0);
	if (rc != 0)
		goto fail;
	*toks = lx.toks;
	*ntoks = lx.ntoks;
	return 0;
fail:
	if (rc == -1)
		ff__filter_error(err, err_len, lx.line, lx.col, "out of memory");
	free(lx.toks);
	return -1;
}
