/*
 * The API's token set: digests and scopes, the token files of the data
 * directory, and the constant-time lookup (http_tokens.h).
 */
#include "http_tokens.h"

#include "ff_err.h"
#include "ff_file.h"
#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define FF_TOKEN_DIGEST 32
/* Random bytes of a created token, written as hex. */
#define FF_TOKEN_RANDOM 32
/* An api.tokens larger than this is not a list of tokens. */
#define FF_TOKENS_FILE_MAX (1u << 20)

struct ff_http_token {
	uint8_t digest[FF_TOKEN_DIGEST];
	enum ff_http_scope scope;
	char label[FF_HTTP_TOKEN_LABEL_MAX + 1];
};

struct ff_http_tokens {
	struct ff_http_token *v;
	size_t n, cap;
};

ff_http_tokens *ff_http_tokens_new(void)
{
	return calloc(1, sizeof(ff_http_tokens));
}

void ff_http_tokens_free(ff_http_tokens *t)
{
	if (t == NULL)
		return;
	if (t->v != NULL)
		OPENSSL_cleanse(t->v, t->cap * sizeof t->v[0]);
	free(t->v);
	free(t);
}

size_t ff_http_tokens_count(const ff_http_tokens *t)
{
	return t->n;
}

int ff_http_scope_parse(const char *word, enum ff_http_scope *out)
{
	if (strcmp(word, "read") == 0)
		*out = FF_HTTP_SCOPE_READ;
	else if (strcmp(word, "admin") == 0 || strcmp(word, "write") == 0)
		*out = FF_HTTP_SCOPE_ADMIN;
	else
		return -1;
	return 0;
}

const char *ff_http_scope_name(enum ff_http_scope s)
{
	return s == FF_HTTP_SCOPE_ADMIN ? "admin" : s == FF_HTTP_SCOPE_READ ? "read" : "none";
}

static void ff_token_digest(const char *token, uint8_t out[FF_TOKEN_DIGEST])
{
	unsigned int len = FF_TOKEN_DIGEST;
	/* SHA-256 of a short string in memory cannot fail short of a broken libcrypto. */
	if (EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL) != 1)
		memset(out, 0, FF_TOKEN_DIGEST);
}

int ff_http_tokens_add(ff_http_tokens *t, const char *token, enum ff_http_scope scope,
		       const char *label, char *err, size_t err_len)
{
	uint8_t d[FF_TOKEN_DIGEST];
	ff_token_digest(token, d);
	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(t->v[i].digest, d, sizeof d) == 0) {
			snprintf(err, err_len, "the same token as another (%s%s%s)",
				 ff_http_scope_name(t->v[i].scope), t->v[i].label[0] ? " " : "",
				 t->v[i].label);
			return -1;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4;
		struct ff_http_token *v = calloc(cap, sizeof *v);
		if (v == NULL) {
			snprintf(err, err_len, "out of memory");
			return -1;
		}
		if (t->n > 0)
			memcpy(v, t->v, t->n * sizeof *v);
		if (t->v != NULL)
			OPENSSL_cleanse(t->v, t->cap * sizeof t->v[0]);
		free(t->v);
		t->v = v;
		t->cap = cap;
	}
	struct ff_http_token *e = &t->v[t->n++];
	memcpy(e->digest, d, sizeof d);
	e->scope = scope;
	snprintf(e->label, sizeof e->label, "%s", label != NULL ? label : "");
	return 0;
}

/*
 * Every entry is compared, whatever matched before, and the match is
 * selected with masks rather than branches on secret data.
 */
enum ff_http_scope ff_http_tokens_lookup(const ff_http_tokens *t, const char *presented,
					 const char **label)
{
	static const char none[] = "";
	*label = none;
	if (presented == NULL || presented[0] == '\0')
		return FF_HTTP_SCOPE_NONE;
	uint8_t d[FF_TOKEN_DIGEST];
	ff_token_digest(presented, d);
	unsigned scope = FF_HTTP_SCOPE_NONE;
	size_t hit = 0;
	for (size_t i = 0; i < t->n; i++) {
		/* all ones when equal, zero otherwise */
		size_t eq = (size_t)0 - (size_t)(CRYPTO_memcmp(t->v[i].digest, d, sizeof d) == 0);
		scope |= (unsigned)t->v[i].scope & (unsigned)eq;
		hit |= i & eq;
	}
	if (scope != FF_HTTP_SCOPE_NONE)
		*label = t->v[hit].label;
	return (enum ff_http_scope)scope;
}

/* --- api.tokens ---------------------------------------------------------------- */

/* Splits off the next blank-separated word of [*p, end); NULL when none is left. */
static const char *ff_tokens_word(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	*len = (size_t)(s - w);
	return *len > 0 ? w : NULL;
}

static int ff_tokens_check_token(const char *w, size_t n, char *why, size_t why_len)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)w[i] < 0x21 || (unsigned char)w[i] > 0x7e) {
			snprintf(why, why_len,
				 "the token holds a byte 0x%02x (printable ASCII only)",
				 (unsigned char)w[i]);
			return -1;
		}
	}
	if (n < FF_HTTP_TOKEN_MIN || n > FF_HTTP_TOKEN_MAX) {
		snprintf(why, why_len,
			 "a token of %zu characters (%d to %d, e.g. openssl rand -hex 32)", n,
			 FF_HTTP_TOKEN_MIN, FF_HTTP_TOKEN_MAX);
		return -1;
	}
	return 0;
}

static int ff_tokens_check_label(const char *s, const char *end, char *why, size_t why_len)
{
	if ((size_t)(end - s) > FF_HTTP_TOKEN_LABEL_MAX) {
		snprintf(why, why_len, "a label longer than %d characters",
			 FF_HTTP_TOKEN_LABEL_MAX);
		return -1;
	}
	for (; s < end; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			snprintf(why, why_len,
				 "the label holds a byte 0x%02x (printable ASCII only)",
				 (unsigned char)*s);
			return -1;
		}
	}
	return 0;
}

/* One line of [s, end), without its newline. */
static int ff_tokens_line(ff_http_tokens *t, const char *s, const char *end, char *why,
			  size_t why_len)
{
	size_t n;
	const char *p = s;
	const char *tok = ff_tokens_word(&p, end, &n);
	if (tok == NULL || tok[0] == '#')
		return 0;
	char token[FF_HTTP_TOKEN_MAX + 1], word[16], label[FF_HTTP_TOKEN_LABEL_MAX + 1];
	if (ff_tokens_check_token(tok, n, why, why_len) != 0)
		return -1;
	memcpy(token, tok, n);
	token[n] = '\0';
	const char *sc = ff_tokens_word(&p, end, &n);
	enum ff_http_scope scope;
	if (sc != NULL && n < sizeof word) {
		memcpy(word, sc, n);
		word[n] = '\0';
	}
	if (sc == NULL || n >= sizeof word || ff_http_scope_parse(word, &scope) != 0) {
		snprintf(why, why_len, "%s scope: want 'TOKEN read|admin [LABEL]'",
			 sc == NULL ? "no" : "an unknown");
		OPENSSL_cleanse(token, sizeof token);
		return -1;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	int rc = ff_tokens_check_label(p, end, why, why_len);
	if (rc == 0) {
		memcpy(label, p, (size_t)(end - p));
		label[end - p] = '\0';
		rc = ff_http_tokens_add(t, token, scope, label, why, why_len);
	}
	OPENSSL_cleanse(token, sizeof token);
	return rc;
}

int ff_http_tokens_parse(ff_http_tokens *t, const char *text, size_t len, const char *source,
			 char *err, size_t err_len)
{
	size_t before = t->n, line = 0;
	const char *s = text, *end = text + len;
	char why[256];
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end;
		line++;
		if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
			snprintf(why, sizeof why, "a NUL byte (not a text file)");
			goto bad;
		}
		const char *ce = e > s && e[-1] == '\r' ? e - 1 : e;
		if (ff_tokens_line(t, s, ce, why, sizeof why) != 0)
			goto bad;
		s = nl != NULL ? nl + 1 : end;
	}
	return 0;
bad:
	snprintf(err, err_len, "%s:%zu: %s", source, line, why);
	if (t->n > before)
		OPENSSL_cleanse(t->v + before, (t->n - before) * sizeof t->v[0]);
	t->n = before;
	return -1;
}

/* --- the files ----------------------------------------------------------------- */

static int ff_token_create(const char *dir, const char *name, char *out)
{
	uint8_t raw[FF_TOKEN_RANDOM];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return ff_err_errno(errno);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	char line[2 * FF_TOKEN_RANDOM + 2];
	memcpy(line, out, 2 * FF_TOKEN_RANDOM);
	line[2 * FF_TOKEN_RANDOM] = '\n';
	line[2 * FF_TOKEN_RANDOM + 1] = '\0';
	int rc = ff_file_write_atomic(dir, name, line, strlen(line), 0600);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(line, sizeof line);
	return rc;
}

/*
 * Reads a one-token file: its first word. A file readable by others only
 * warns, as api.token always did, so existing installations keep starting.
 */
static int ff_token_read(const char *path, char *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ff_err_errno(errno);
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		ff_log_warn("%s is readable by group or others (mode %04o): anyone who reads it "
			    "can use the API with it; chmod 600 it",
			    path, (unsigned)(st.st_mode & 07777));
	ssize_t n = read(fd, out, FF_HTTP_TOKEN_MAX);
	int err = errno;
	close(fd);
	if (n < 0)
		return ff_err_errno(err);
	out[n] = '\0';
	size_t skip = strspn(out, " \t\r\n");
	memmove(out, out + skip, (size_t)n - skip + 1);
	out[strcspn(out, " \t\r\n")] = '\0';
	return out[0] != '\0' ? 0 : -EINVAL;
}

static int ff_token_file(ff_http_tokens *t, const char *dir, const char *name,
			 enum ff_http_scope scope, char *err, size_t err_len)
{
	char path[PATH_MAX], token[FF_HTTP_TOKEN_MAX + 1];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int rc = ff_token_read(path, token);
	if (rc == -ENOENT) {
		rc = ff_token_create(dir, name, token);
		if (rc == 0)
			ff_log_info("created the %s token %s", ff_http_scope_name(scope), path);
	}
	if (rc != 0) {
		snprintf(err, err_len, "API token %s: %s", path,
			 rc == -EINVAL ? "empty file" : ff_strerror(rc));
		return rc;
	}
	char why[256];
	rc = ff_http_tokens_add(t, token, scope, name, why, sizeof why);
	OPENSSL_cleanse(token, sizeof token);
	if (rc != 0) {
		snprintf(err, err_len, "API token %s: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

/* Reads all of an open api.tokens into a malloc'd buffer. */
static int ff_tokens_slurp(int fd, const char *path, char **text, size_t *len, char *err,
			   size_t err_len)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return ff_err_errno(errno);
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, err_len, "%s: readable by group or others (mode %04o); chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -EACCES;
	}
	if (st.st_size > FF_TOKENS_FILE_MAX) {
		snprintf(err, err_len, "%s: larger than %u bytes", path, FF_TOKENS_FILE_MAX);
		return -EFBIG;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (*text == NULL) {
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	ssize_t n = read(fd, *text, (size_t)st.st_size + 1);
	if (n < 0 || n > st.st_size) {
		snprintf(err, err_len, "%s: %s", path,
			 n < 0 ? strerror(errno) : "changed while read");
		return n < 0 ? ff_err_errno(errno) : -EAGAIN;
	}
	*len = (size_t)n;
	return 0;
}

static int ff_tokens_file(ff_http_tokens *t, const char *dir, char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", dir, FF_HTTP_TOKENS_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return ff_err_errno(errno);
	}
	int rc = ff_tokens_slurp(fd, path, &text, &len, err, err_len);
	close(fd);
	if (rc == 0 && ff_http_tokens_parse(t, text, len, path, err, err_len) != 0)
		rc = -EINVAL;
	if (text != NULL)
		OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

int ff_http_tokens_load_dir(ff_http_tokens *t, const char *data_dir, char *err, size_t err_len)
{
	int rc = ff_token_file(t, data_dir, FF_HTTP_TOKEN_FILE, FF_HTTP_SCOPE_ADMIN, err, err_len);
	if (rc == 0)
		rc = ff_token_file(t, data_dir, FF_HTTP_READ_TOKEN_FILE, FF_HTTP_SCOPE_READ, err,
				   err_len);
	if (rc == 0)
		rc = ff_tokens_file(t, data_dir, err, err_len);
	return rc;
}
