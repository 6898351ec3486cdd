#define _DEFAULT_SOURCE /* timegm */
#include "trust_token.h"

#include "ff_log.h"
#include "ff_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A token file is a few lines; anything larger is not one. */
#define FF_TRUST_TOKEN_MAX_FILE (1u << 20)
/* The file's mtime is looked at no more often than this. */
#define FF_TRUST_TOKEN_STAT_MS 1000

struct ff_trust_tokens {
	char path[PATH_MAX];
	ff_trust_token *v;
	size_t n;
	struct timespec mtime;
	off_t size;
	uint64_t checked_ms;
};

static int ff_tt_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int ff_trust_time_parse(const char *s, uint64_t *ms)
{
	int y, mo, d, h, mi, sec;
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return -1;
	if (ff_tt_digits(s, 4, &y) != 0 || ff_tt_digits(s + 5, 2, &mo) != 0 ||
	    ff_tt_digits(s + 8, 2, &d) != 0 || ff_tt_digits(s + 11, 2, &h) != 0 ||
	    ff_tt_digits(s + 14, 2, &mi) != 0 || ff_tt_digits(s + 17, 2, &sec) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec};
	time_t t = timegm(&tm);
	/* timegm normalises 31 February into March: such a date is refused. */
	if (t < 0 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* Splits one line into words; returns the number found (at most 3 are looked for). */
static int ff_tt_words(char *line, char *w[3])
{
	int n = 0;
	char *save = NULL;
	for (char *p = strtok_r(line, " \t\r", &save); p != NULL && n < 3;
	     p = strtok_r(NULL, " \t\r", &save))
		w[n++] = p;
	return n;
}

static int ff_tt_line(char *line, ff_trust_token *tok, char *why, size_t why_len)
{
	char *w[3];
	int n = ff_tt_words(line, w);
	if (n == 0 || w[0][0] == '#')
		return 1; /* nothing on this line */
	size_t len = strlen(w[0]);
	if (n == 3) {
		snprintf(why, why_len, "expected 'TOKEN [EXPIRES]', found a third word");
		return -1;
	}
	if (len < FF_TRUST_TOKEN_MIN || len > FF_TRUST_TOKEN_MAX) {
		snprintf(why, why_len, "a token has %d to %d characters, this one %zu",
			 FF_TRUST_TOKEN_MIN, FF_TRUST_TOKEN_MAX, len);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[0][i];
		if (c < 0x21 || c > 0x7e) {
			snprintf(why, why_len, "a token is printable ASCII");
			return -1;
		}
	}
	memcpy(tok->text, w[0], len + 1);
	tok->expires_ms = 0;
	if (n == 2 && ff_trust_time_parse(w[1], &tok->expires_ms) != 0) {
		snprintf(why, why_len,
			 "'%.40s' is not an RFC 3339 UTC time such as "
			 "2027-01-31T00:00:00Z",
			 w[1]);
		return -1;
	}
	return 0;
}

/* Wipes and frees a token array; v may be NULL (explicit_bzero may not take NULL). */
static void ff_tt_wipe(ff_trust_token *v, size_t n)
{
	if (v != NULL)
		explicit_bzero(v, n * sizeof *v);
	free(v);
}

static int ff_tt_push(ff_trust_token **v, size_t *n, size_t *cap, const ff_trust_token *t)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		ff_trust_token *nv = realloc(*v, c * sizeof *nv);
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *t;
	return 0;
}

int ff_trust_tokens_parse(const char *text, size_t len, const char *name, ff_trust_token **out,
			  size_t *n, char *err, size_t err_len)
{
	ff_trust_token *v = NULL, tok;
	size_t cnt = 0, cap = 0, lineno = 0, off = 0;
	char line[FF_TRUST_TOKEN_MAX * 2 + 64], why[256];
	int rc = 0;
	while (rc == 0 && off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		if (l >= sizeof line || memchr(text + off, '\0', l) != NULL) {
			snprintf(why, sizeof why, "line too long or not text");
			rc = -1;
		} else {
			memcpy(line, text + off, l);
			line[l] = '\0';
			int r = ff_tt_line(line, &tok, why, sizeof why);
			if (r < 0 || (r == 0 && ff_tt_push(&v, &cnt, &cap, &tok) != 0))
				rc = -1;
			if (r == 0 && rc != 0)
				snprintf(why, sizeof why, "out of memory");
		}
		off += l + 1;
	}
	if (rc != 0) {
		snprintf(err, err_len, "%s:%zu: %s", name, lineno, why);
		ff_tt_wipe(v, cap);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Reads and parses the file; on success replaces the tokens held. */
static int ff_tt_load(ff_trust_tokens *t, char *err, size_t err_len)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s: %s", t->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & 007)
		ff_log_warn("%s is readable by others (mode %03o): anyone who reads it can enrol "
			    "an agent; chmod 640 or 600 it",
			    t->path, (unsigned)(st.st_mode & 0777));
	char *buf = st.st_size <= FF_TRUST_TOKEN_MAX_FILE ? malloc((size_t)st.st_size + 1) : NULL;
	ssize_t got = buf != NULL ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	ff_trust_token *v = NULL;
	size_t n = 0;
	int rc = -1;
	if (got < 0)
		snprintf(err, err_len, "%s: cannot read (%s)", t->path,
			 buf == NULL ? "too large or out of memory" : strerror(errno));
	else
		rc = ff_trust_tokens_parse(buf, (size_t)got, t->path, &v, &n, err, err_len);
	free(buf);
	if (rc != 0)
		return -1;
	ff_tt_wipe(t->v, t->n);
	t->v = v;
	t->n = n;
	t->mtime = st.st_mtim;
	t->size = st.st_size;
	return 0;
}

ff_trust_tokens *ff_trust_tokens_open(const char *path, char *err, size_t err_len)
{
	ff_trust_tokens *t = calloc(1, sizeof *t);
	if (t == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	snprintf(t->path, sizeof t->path, "%s", path);
	if (ff_tt_load(t, err, err_len) != 0) {
		free(t);
		return NULL;
	}
	t->checked_ms = ff_time_mono_ms();
	return t;
}

void ff_trust_tokens_free(ff_trust_tokens *t)
{
	if (t == NULL)
		return;
	ff_tt_wipe(t->v, t->n);
	free(t);
}

/* Re-reads the file when it changed; a bad new version keeps the old tokens. */
static void ff_tt_refresh(ff_trust_tokens *t)
{
	uint64_t now = ff_time_mono_ms();
	if (now - t->checked_ms < FF_TRUST_TOKEN_STAT_MS)
		return;
	t->checked_ms = now;
	struct stat st;
	if (stat(t->path, &st) != 0) {
		ff_log_warn("enrolment tokens %s: %s; keeping the %zu tokens read before", t->path,
			    strerror(errno), t->n);
		return;
	}
	if (st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec &&
	    st.st_size == t->size)
		return;
	char err[512];
	if (ff_tt_load(t, err, sizeof err) != 0) {
		ff_log_error("enrolment tokens not re-read: %s; keeping the %zu tokens read before",
			     err, t->n);
		t->mtime = st.st_mtim; /* complain once per change, not once a second */
		t->size = st.st_size;
		return;
	}
	ff_log_info("enrolment tokens re-read from %s: %zu tokens", t->path, t->n);
}

static bool ff_tt_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

enum ff_trust_token_result ff_trust_tokens_check(ff_trust_tokens *t, const char *token,
						 uint64_t now_ms)
{
	if (t == NULL || token == NULL || token[0] == '\0')
		return FF_TRUST_TOKEN_NONE;
	ff_tt_refresh(t);
	enum ff_trust_token_result r = FF_TRUST_TOKEN_NONE;
	for (size_t i = 0; i < t->n; i++) {
		if (!ff_tt_equal(token, t->v[i].text))
			continue;
		bool expired = t->v[i].expires_ms != 0 && now_ms >= t->v[i].expires_ms;
		if (!expired)
			return FF_TRUST_TOKEN_VALID;
		r = FF_TRUST_TOKEN_EXPIRED;
	}
	return r;
}
