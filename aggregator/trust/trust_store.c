/*
 * The allow-list on disk: DATA_DIR/trust.log read at open, appended and
 * fsync'd for every event, and the table of decided keys it yields.
 */
#include "trust_impl.h"

#include "ff_err.h"
#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above any real history (a line is about 200 bytes). */
#define FF_TRUST_MAX_FILE (256u * 1024u * 1024u)

static const char *const ff_trust_reason_names[FF_TRUST_R_COUNT] = {
    "unknown_key", "rejected",	"revoked",	    "spoofed_id",
    "id_conflict", "bad_token", "handshake_failed", "pending_full",
};

const char *ff_trust_reason_name(enum ff_trust_reason r)
{
	return (unsigned)r < FF_TRUST_R_COUNT ? ff_trust_reason_names[r] : "?";
}

void ff__trust_copy_text(char *dst, size_t dst_len, const char *src)
{
	size_t i = 0;
	for (; src != NULL && src[i] != '\0' && i + 1 < dst_len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

ff_trust *ff__trust_new(size_t max_pending)
{
	ff_trust *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->fd = -1;
	t->max_pending = max_pending;
	t->pending = calloc(max_pending > 0 ? max_pending : 1, sizeof *t->pending);
	if (t->pending == NULL) {
		ff_trust_close(t);
		return NULL;
	}
	for (int i = 0; i < FF_TRUST_R_COUNT; i++)
		atomic_init(&t->refused[i], 0);
	return t;
}

void ff_trust_close(ff_trust *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_keys; i++)
		free(t->keys[i]);
	free(t->keys);
	for (size_t i = 0; t->pending != NULL && i < t->n_pending; i++)
		json_decref(t->pending[i].labels);
	free(t->pending);
	ff_trust_tokens_free(t->tokens);
	if (t->fd >= 0)
		close(t->fd);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Index of `key` in the sorted table, or where it goes (*found false). */
static size_t ff_trust_search(const ff_trust *t, const char *key, bool *found)
{
	size_t lo = 0, hi = t->n_keys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->keys[mid]->key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

ff__trust_key *ff__trust_find(ff_trust *t, const char *key)
{
	bool found;
	size_t i = ff_trust_search(t, key, &found);
	return found ? t->keys[i] : NULL;
}

ff__trust_key *ff__trust_bound(ff_trust *t, const char *agent_id)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (t->keys[i]->state == FF__TRUST_ACCEPTED &&
		    strcmp(t->keys[i]->agent_id, agent_id) == 0)
			return t->keys[i];
	return NULL;
}

static ff__trust_key *ff_trust_insert(ff_trust *t, const char *key, const char *fp)
{
	bool found;
	size_t i = ff_trust_search(t, key, &found);
	if (found)
		return t->keys[i];
	if (t->n_keys == t->cap_keys) {
		size_t cap = t->cap_keys ? t->cap_keys * 2 : 16;
		ff__trust_key **v = realloc(t->keys, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		t->keys = v;
		t->cap_keys = cap;
	}
	ff__trust_key *k = calloc(1, sizeof *k);
	if (k == NULL)
		return NULL;
	snprintf(k->key, sizeof k->key, "%s", key);
	snprintf(k->fp, sizeof k->fp, "%s", fp);
	k->conn.fd = -1;
	memmove(t->keys + i + 1, t->keys + i, (t->n_keys - i) * sizeof *t->keys);
	t->keys[i] = k;
	t->n_keys++;
	return k;
}

static int ff_trust_op_state(const char *op, enum ff__trust_state *st)
{
	if (strcmp(op, "accepted") == 0)
		*st = FF__TRUST_ACCEPTED;
	else if (strcmp(op, "rejected") == 0)
		*st = FF__TRUST_REJECTED;
	else if (strcmp(op, "revoked") == 0)
		*st = FF__TRUST_REVOKED;
	else
		return strcmp(op, "pending-seen") == 0 ? 1 : -1;
	return 0;
}

/* Applies one event to the table; NULL when out of memory (or pending-seen: no change). */
static ff__trust_key *ff_trust_apply(ff_trust *t, enum ff__trust_state st, const char *key,
				     const char *fp, const char *agent_id, uint64_t time_ms,
				     const char *by, const char *why)
{
	ff__trust_key *k = ff_trust_insert(t, key, fp);
	if (k == NULL)
		return NULL;
	k->state = st;
	snprintf(k->agent_id, sizeof k->agent_id, "%s", agent_id);
	k->since_ms = time_ms;
	ff__trust_copy_text(k->by, sizeof k->by, by);
	ff__trust_copy_text(k->why, sizeof k->why, why);
	k->events++;
	return k;
}

/* Checks one parsed line; every field is required so a damaged line is never half-used. */
static int ff_trust_line_fields(json_t *o, const char **op, const char **key, const char **fp,
				const char **id, json_int_t *time_ms, const char **by,
				const char **why, char *err, size_t err_len)
{
	json_error_t jerr;
	char want[FF_CURVE_FP_LEN + 1], parsed[FF_CURVE_Z85_LEN + 1];
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "op", op,
			   "key", key, "fingerprint", fp, "agent_id", id, "time_ms", time_ms, "by",
			   by, "why", why) != 0) {
		snprintf(err, err_len, "%s", jerr.text);
		return -1;
	}
	enum ff__trust_state st;
	if (ff_trust_op_state(*op, &st) < 0) {
		snprintf(err, err_len, "unknown op '%.32s'", *op);
		return -1;
	}
	if (ff_curve_key_parse(*key, parsed) != 0 || strcmp(parsed, *key) != 0 ||
	    ff_curve_key_fingerprint(*key, want) != 0) {
		snprintf(err, err_len, "'key' is not a Z85 public key");
		return -1;
	}
	if (strcmp(want, *fp) != 0) {
		snprintf(err, err_len, "fingerprint %.20s is not that of the key (%s)", *fp, want);
		return -1;
	}
	if (!ff_agent_id_valid(*id) || *time_ms < 0) {
		snprintf(err, err_len, "invalid agent_id or time_ms");
		return -1;
	}
	return 0;
}

static int ff_trust_line(ff_trust *t, char *line, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);
	if (o == NULL) {
		snprintf(err, err_len, "not JSON: %s", jerr.text);
		return -1;
	}
	const char *op, *key, *fp, *id, *by, *why;
	json_int_t time_ms;
	int rc = ff_trust_line_fields(o, &op, &key, &fp, &id, &time_ms, &by, &why, err, err_len);
	enum ff__trust_state st;
	if (rc == 0 && ff_trust_op_state(op, &st) == 0 &&
	    ff_trust_apply(t, st, key, fp, id, (uint64_t)time_ms, by, why) == NULL) {
		snprintf(err, err_len, "out of memory");
		rc = -1;
	}
	json_decref(o);
	return rc;
}

int ff__trust_load_buffer(ff_trust *t, char *buf, size_t len, size_t *whole, char *err,
			  size_t err_len)
{
	size_t lineno = 0, off = 0;
	char why[512];
	while (off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		if (nl == NULL)
			break;
		*nl = '\0';
		lineno++;
		if (ff_trust_line(t, buf + off, why, sizeof why) != 0) {
			snprintf(err, err_len, "%s:%zu: %s", t->path[0] ? t->path : FF_TRUST_FILE,
				 lineno, why);
			return -1;
		}
		off = (size_t)(nl - buf) + 1;
	}
	*whole = off;
	return 0;
}

static int ff_trust_read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((uint64_t)st.st_size > FF_TRUST_MAX_FILE)
		return -EFBIG;
	size_t size = (size_t)st.st_size, got = 0;
	char *b = malloc(size + 1);
	if (b == NULL)
		return -ENOMEM;
	while (got < size) {
		ssize_t r = pread(fd, b + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(b);
			return r < 0 ? -errno : -EIO;
		}
		got += (size_t)r;
	}
	b[size] = '\0';
	*buf = b;
	*len = size;
	return 0;
}

/* Loads every whole line; a torn last line is cut off the file. */
static int ff_trust_load(ff_trust *t, char *err, size_t err_len)
{
	char *buf = NULL;
	size_t len = 0, whole = 0;
	int rc = ff_trust_read_all(t->fd, &buf, &len);
	if (rc != 0) {
		snprintf(err, err_len, "%s: %s", t->path, ff_strerror(rc));
		return -1;
	}
	rc = ff__trust_load_buffer(t, buf, len, &whole, err, err_len);
	free(buf);
	if (rc != 0)
		return -1;
	if (whole < len) {
		ff_log_warn("%s: cutting a torn last line of %zu bytes (a write cut short by a "
			    "crash)",
			    t->path, len - whole);
		if (ftruncate(t->fd, (off_t)whole) != 0 || fsync(t->fd) != 0) {
			snprintf(err, err_len, "%s: cutting the torn last line: %s", t->path,
				 strerror(errno));
			return -1;
		}
	}
	t->size = (off_t)whole;
	return 0;
}

ff_trust *ff_trust_open(const char *data_dir, size_t max_pending, ff_trust_tokens *tokens,
			char *err, size_t err_len)
{
	ff_trust *t = ff__trust_new(max_pending);
	if (t == NULL) {
		ff_trust_tokens_free(tokens);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	t->tokens = tokens;
	snprintf(t->path, sizeof t->path, "%s/%s", data_dir, FF_TRUST_FILE);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		snprintf(err, err_len, "%s: %s", t->path, strerror(errno));
		ff_trust_close(t);
		return NULL;
	}
	if (ff_trust_load(t, err, err_len) != 0) {
		ff_trust_close(t);
		return NULL;
	}
	return t;
}

static int ff_trust_write(ff_trust *t, const char *line, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(t->fd, line + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return fdatasync(t->fd) == 0 ? 0 : -errno;
}

/* Appends one line durably; on failure the file is cut back so no torn line stays. */
static int ff_trust_append(ff_trust *t, json_t *o)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL)
		return -ENOMEM;
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room: its NUL becomes the newline */
	int rc = t->fd >= 0 ? ff_trust_write(t, text, len + 1) : 0;
	free(text);
	if (rc != 0) {
		if (ftruncate(t->fd, t->size) != 0)
			ff_log_errno(FF_LOG_ERROR, errno, "cutting %s back after a failed write",
				     t->path);
		return rc;
	}
	t->size += (off_t)len + 1;
	return 0;
}

ff__trust_key *ff__trust_record(ff_trust *t, const char *op, const char *key, const char *fp,
				const char *agent_id, uint64_t now_ms, const char *by,
				const char *why, int *rc)
{
	char by_c[FF_TRUST_MAX_TEXT + 1], why_c[FF_TRUST_MAX_TEXT + 1];
	ff__trust_copy_text(by_c, sizeof by_c, by);
	ff__trust_copy_text(why_c, sizeof why_c, why);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "op", op, "key", key,
			      "fingerprint", fp, "agent_id", agent_id, "time_ms",
			      (json_int_t)now_ms, "by", by_c, "why", why_c);
	*rc = ff_trust_append(t, o);
	json_decref(o);
	if (*rc != 0) {
		ff_log_error("%s: writing the %s event of key %s failed: %s", t->path, op, fp,
			     ff_strerror(*rc));
		return NULL;
	}
	enum ff__trust_state st;
	if (ff_trust_op_state(op, &st) != 0)
		return NULL;
	ff__trust_key *k = ff_trust_apply(t, st, key, fp, agent_id, now_ms, by_c, why_c);
	if (k == NULL)
		*rc = -ENOMEM;
	return k;
}

void ff_trust_count(ff_trust *t, enum ff_trust_reason r)
{
	if ((unsigned)r < FF_TRUST_R_COUNT)
		atomic_fetch_add_explicit(&t->refused[r], 1, memory_order_relaxed);
}

json_t *ff_trust_counters_json(ff_trust *t)
{
	json_t *o = json_object();
	for (int i = 0; o != NULL && i < FF_TRUST_R_COUNT; i++)
		json_object_set_new(o, ff_trust_reason_names[i],
				    json_integer((json_int_t)atomic_load_explicit(
					&t->refused[i], memory_order_relaxed)));
	return o;
}
