#ifndef FF_TRUST_TOKEN_H
#define FF_TRUST_TOKEN_H

/*
 * The aggregator's enrolment tokens (--enroll-token FILE): an agent whose
 * Hello carries one of them, unexpired, is accepted at once.
 *
 * The file holds one token per line, `TOKEN [EXPIRES]`: TOKEN at least
 * FF_TRUST_TOKEN_MIN printable characters without white space, EXPIRES an
 * RFC 3339 UTC time (2027-01-31T00:00:00Z) or absent for a token that never
 * expires. Blank lines and lines starting with '#' are ignored.
 *
 * The file is read again when its mtime or size changes (looked at most
 * once a second), so tokens are rotated without a restart; a bad file at
 * that point keeps the tokens read before and is logged, while a bad file
 * at start is an error naming file and line.
 */

#include <stddef.h>
#include <stdint.h>

#define FF_TRUST_TOKEN_MIN 16
#define FF_TRUST_TOKEN_MAX 256

typedef struct ff_trust_token {
	char text[FF_TRUST_TOKEN_MAX + 1];
	uint64_t expires_ms; /* 0: never */
} ff_trust_token;

typedef struct ff_trust_tokens ff_trust_tokens;

/*
 * Parses the text of a token file (`len` bytes, need not end in NUL).
 * `name` names the file in messages. On success *out is a malloc'd array of
 * *n tokens (caller frees; NULL when there is none) and 0 is returned; on
 * error -1 with "NAME:LINE: why" in err.
 */
int ff_trust_tokens_parse(const char *text, size_t len, const char *name, ff_trust_token **out,
			  size_t *n, char *err, size_t err_len);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" into unix ms. Returns 0 or -1. */
int ff_trust_time_parse(const char *text, uint64_t *ms);

/* Reads `path` at once. Returns NULL with "path:line: why" in err. */
ff_trust_tokens *ff_trust_tokens_open(const char *path, char *err, size_t err_len);

void ff_trust_tokens_free(ff_trust_tokens *t);

enum ff_trust_token_result {
	FF_TRUST_TOKEN_NONE = 0,    /* not a token of the file */
	FF_TRUST_TOKEN_VALID = 1,   /* a token, unexpired */
	FF_TRUST_TOKEN_EXPIRED = 2, /* a token whose time is past */
};

/*
 * Looks `token` up (re-reading the file first when it changed). Compares
 * in time independent of the contents. Not thread-safe: the caller locks.
 */
enum ff_trust_token_result ff_trust_tokens_check(ff_trust_tokens *t, const char *token,
						 uint64_t now_ms);

#endif
