#ifndef FF_HTTP_TOKENS_H
#define FF_HTTP_TOKENS_H

/*
 * The bearer tokens of the HTTP API and their scopes (docs/api.md#tokens).
 * Three files under the data directory hold them:
 *   api.token       the admin token (created at first start, as it always was)
 *   api.read-token  a read token (created at first start beside it)
 *   api.tokens      optional, written by the operator: one token a line,
 *                   "TOKEN read|admin [LABEL]"; '#' starts a comment line
 * Admin implies read. Only SHA-256 digests of the tokens are kept in memory,
 * and a presented token is compared with every one of them in constant
 * time, so neither the position of a first difference nor which entry
 * matched shows in the time an answer takes.
 */

#include <stdbool.h>
#include <stddef.h>

enum ff_http_scope {
	FF_HTTP_SCOPE_NONE = 0,	 /* no token, or one not known */
	FF_HTTP_SCOPE_READ = 1,	 /* the GET endpoints */
	FF_HTTP_SCOPE_ADMIN = 2, /* also every write (policy, agent enrolment) */
};

#define FF_HTTP_TOKEN_FILE	"api.token"
#define FF_HTTP_READ_TOKEN_FILE "api.read-token"
#define FF_HTTP_TOKENS_FILE	"api.tokens"
#define FF_HTTP_TOKEN_MAX	256 /* characters of one token at most */
#define FF_HTTP_TOKEN_MIN	16  /* in api.tokens: a shorter one is guessable */
#define FF_HTTP_TOKEN_LABEL_MAX 64

typedef struct ff_http_tokens ff_http_tokens;

/* An empty set; NULL when out of memory. */
ff_http_tokens *ff_http_tokens_new(void);

void ff_http_tokens_free(ff_http_tokens *t);

/* "read" or "admin" ("write" is taken for admin) to a scope; -1 for another word. */
int ff_http_scope_parse(const char *word, enum ff_http_scope *out);

/* "read", "admin" or "none". */
const char *ff_http_scope_name(enum ff_http_scope s);

/*
 * Adds `token` (borrowed; only its digest is kept) with `scope` and `label`
 * (may be NULL). Returns 0, or -1 with the reason in `err` when the token
 * is already in the set or out of memory.
 */
int ff_http_tokens_add(ff_http_tokens *t, const char *token, enum ff_http_scope scope,
		       const char *label, char *err, size_t err_len);

/*
 * Adds every line of an api.tokens text (`len` bytes, need not be
 * NUL-terminated). A damaged line adds nothing of the text and returns -1
 * with "SOURCE:LINE: reason" in `err`; 0 otherwise.
 */
int ff_http_tokens_parse(ff_http_tokens *t, const char *text, size_t len, const char *source,
			 char *err, size_t err_len);

/*
 * Loads the three files of `data_dir`, creating api.token and api.read-token
 * (0600, fsync'd with their directory) when absent. A damaged or
 * group/other-readable api.tokens is refused. Returns 0, or a negative
 * error with "FILE[:LINE]: reason" in `err`.
 */
int ff_http_tokens_load_dir(ff_http_tokens *t, const char *data_dir, char *err, size_t err_len);

/*
 * The scope of `presented` (a NUL-terminated token, NULL for none), and its
 * label in *label (borrowed from the set; "" when none), or
 * FF_HTTP_SCOPE_NONE when it is not in the set.
 */
enum ff_http_scope ff_http_tokens_lookup(const ff_http_tokens *t, const char *presented,
					 const char **label);

/* How many tokens the set holds. */
size_t ff_http_tokens_count(const ff_http_tokens *t);

#endif
