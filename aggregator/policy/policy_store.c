#include "policy_store.h"

#include "ff_err.h"
#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above any real history (a policy line is a few hundred bytes). */
#define FF_POLICY_STORE_MAX_FILE (256u * 1024u * 1024u)

struct ff_policy_store {
	pthread_mutex_t mu;
	int fd; /* O_APPEND */
	char path[PATH_MAX];
	ff_policy_spec *v; /* every stored policy, by version */
	size_t n, cap;
	off_t size; /* bytes of whole lines in the file */
	_Atomic uint64_t generation;
};

json_t *ff_policy_spec_to_json(const ff_policy_spec *p)
{
	char keys[160];
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "version",
			 (json_int_t)p->version, "created_ms", (json_int_t)p->created_ms, "target",
			 p->target ? p->target : "", "filter", p->filter ? p->filter : "", "keys",
			 ff_policy_keys_format(p->keys, keys, sizeof keys), "interval_s",
			 (json_int_t)p->interval_s, "topk", (json_int_t)p->topk, "sample",
			 (json_int_t)p->sample, "merge", p->merge);
}

/*
 * Reads one history line; every field is required so a damaged line is
 * never half-used, but "merge", which lines written before it lack (false).
 */
static int ff_policy_from_json(const json_t *o, ff_policy_spec *p, char *err, size_t err_len)
{
	json_int_t version, created, interval, topk, sample;
	int merge = 0;
	const char *target, *filter, *keys;
	json_error_t jerr;
	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT,
			   "{s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s?b}", "version", &version,
			   "created_ms", &created, "target", &target, "filter", &filter, "keys",
			   &keys, "interval_s", &interval, "topk", &topk, "sample", &sample,
			   "merge", &merge) != 0) {
		snprintf(err, err_len, "%s", jerr.text);
		return -1;
	}
	if (version <= 0 || created < 0 || interval < 0 || interval > UINT32_MAX || topk < 0 ||
	    topk > UINT32_MAX || sample < 0 || sample > UINT32_MAX) {
		snprintf(err, err_len, "a number is out of range");
		return -1;
	}
	ff_policy_spec tmp = {.version = (uint64_t)version,
			      .created_ms = (uint64_t)created,
			      .target = (char *)target,
			      .filter = (char *)filter,
			      .interval_s = (uint32_t)interval,
			      .topk = (uint32_t)topk,
			      .sample = (uint32_t)sample,
			      .merge = merge != 0};
	if (ff_policy_keys_parse(keys, &tmp.keys, err, err_len) != 0 ||
	    ff_policy_validate(&tmp, err, err_len) != 0)
		return -1;
	if (ff_policy_spec_copy(p, &tmp) != 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

static int ff_policy_store_push(ff_policy_store *s, const ff_policy_spec *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		ff_policy_spec *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *p;
	return 0;
}

/* Parses line `lineno` (NUL-terminated) and keeps it. */
static int ff_policy_store_line(ff_policy_store *s, char *line, size_t lineno, char *err,
				size_t err_len)
{
	json_error_t jerr;
	char why[512];
	ff_policy_spec p = {0};
	json_t *o = json_loads(line, 0, &jerr);
	int rc = o == NULL ? -1 : ff_policy_from_json(o, &p, why, sizeof why);
	json_decref(o);
	if (o == NULL)
		snprintf(why, sizeof why, "not JSON: %s", jerr.text);
	else if (rc == 0 && s->n > 0 && p.version <= s->v[s->n - 1].version) {
		snprintf(why, sizeof why, "version %llu does not follow %llu",
			 (unsigned long long)p.version, (unsigned long long)s->v[s->n - 1].version);
		rc = -1;
	}
	if (rc == 0 && ff_policy_store_push(s, &p) != 0) {
		snprintf(why, sizeof why, "out of memory");
		rc = -1;
	}
	if (rc != 0) {
		ff_policy_spec_clear(&p);
		snprintf(err, err_len, "%s:%zu: %s", s->path, lineno, why);
	}
	return rc;
}

static int ff_policy_store_read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((uint64_t)st.st_size > FF_POLICY_STORE_MAX_FILE)
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
static int ff_policy_store_load(ff_policy_store *s, char *err, size_t err_len)
{
	char *buf = NULL;
	size_t len = 0, lineno = 0, off = 0;
	int rc = ff_policy_store_read_all(s->fd, &buf, &len);
	if (rc != 0) {
		snprintf(err, err_len, "%s: %s", s->path, ff_strerror(rc));
		return -1;
	}
	while (rc == 0 && off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		if (nl == NULL)
			break;
		*nl = '\0';
		lineno++;
		rc = ff_policy_store_line(s, buf + off, lineno, err, err_len);
		off = (size_t)(nl - buf) + 1;
	}
	free(buf);
	if (rc != 0)
		return -1;
	if (off < len) {
		ff_log_warn(
		    "%s: cutting a torn last line of %zu bytes (a write cut short by a crash)",
		    s->path, len - off);
		if (ftruncate(s->fd, (off_t)off) != 0 || fsync(s->fd) != 0) {
			snprintf(err, err_len, "%s: cutting the torn last line: %s", s->path,
				 strerror(errno));
			return -1;
		}
	}
	s->size = (off_t)off;
	return 0;
}

ff_policy_store *ff_policy_store_open(const char *data_dir, char *err, size_t err_len)
{
	ff_policy_store *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->fd = -1;
	snprintf(s->path, sizeof s->path, "%s/%s", data_dir, FF_POLICY_STORE_FILE);
	s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		snprintf(err, err_len, "%s: %s", s->path, strerror(errno));
		ff_policy_store_close(s);
		return NULL;
	}
	if (ff_policy_store_load(s, err, err_len) != 0) {
		ff_policy_store_close(s);
		return NULL;
	}
	return s;
}

void ff_policy_store_close(ff_policy_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		ff_policy_spec_clear(&s->v[i]);
	free(s->v);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int ff_policy_store_write(ff_policy_store *s, const char *line, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(s->fd, line + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return fdatasync(s->fd) == 0 ? 0 : -errno;
}

/* Appends one line durably; on failure the file is cut back so no torn line stays. */
static int ff_policy_store_append(ff_policy_store *s, const ff_policy_spec *p, char *err,
				  size_t err_len)
{
	json_t *o = ff_policy_spec_to_json(p);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room: its NUL becomes the newline */
	int rc = ff_policy_store_write(s, text, len + 1);
	free(text);
	if (rc != 0) {
		snprintf(err, err_len, "writing %s: %s", s->path, ff_strerror(rc));
		if (ftruncate(s->fd, s->size) != 0)
			ff_log_errno(FF_LOG_ERROR, errno, "cutting %s back after a failed write",
				     s->path);
		return -1;
	}
	s->size += (off_t)len + 1;
	return 0;
}

int ff_policy_store_add(ff_policy_store *s, ff_policy_spec *p, uint64_t now_ms, char *err,
			size_t err_len)
{
	if (ff_policy_validate(p, err, err_len) != 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	ff_policy_spec copy;
	p->version = s->n > 0 ? s->v[s->n - 1].version + 1 : 1;
	p->created_ms = now_ms;
	int rc = -2;
	if (ff_policy_spec_copy(&copy, p) != 0) {
		snprintf(err, err_len, "out of memory");
	} else if (ff_policy_store_append(s, &copy, err, err_len) != 0 ||
		   ff_policy_store_push(s, &copy) != 0) {
		ff_policy_spec_clear(&copy);
	} else {
		atomic_fetch_add(&s->generation, 1);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* True when v[i] is the latest policy stored for its target. */
static bool ff_policy_store_is_current(const ff_policy_store *s, size_t i)
{
	for (size_t j = i + 1; j < s->n; j++)
		if (strcmp(s->v[j].target, s->v[i].target) == 0)
			return false;
	return true;
}

int ff_policy_store_select(ff_policy_store *s, const char *const *keys, const char *const *values,
			   size_t n, ff_policy_spec *out)
{
	pthread_mutex_lock(&s->mu);
	const ff_policy_spec *best = NULL;
	int best_score = -1;
	/* Newest first: on equal specificity the latest wins without comparing versions. */
	for (size_t i = s->n; i-- > 0;) {
		int score = ff_policy_target_match(s->v[i].target, keys, values, n);
		if (score > best_score && ff_policy_store_is_current(s, i)) {
			best = &s->v[i];
			best_score = score;
		}
	}
	int rc = 0;
	if (best != NULL)
		rc = ff_policy_spec_copy(out, best) == 0 ? 1 : -1;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

uint64_t ff_policy_store_generation(const ff_policy_store *s)
{
	return atomic_load(&((ff_policy_store *)s)->generation);
}

static int ff_policy_store_by_target(const void *a, const void *b)
{
	const ff_policy_spec *const *x = a, *const *y = b;
	return strcmp((*x)->target, (*y)->target);
}

json_t *ff_policy_store_list_json(ff_policy_store *s, bool current)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&s->mu);
	const ff_policy_spec **pick = calloc(s->n + 1, sizeof *pick);
	size_t k = 0;
	for (size_t i = 0; pick != NULL && i < s->n; i++)
		if (!current || ff_policy_store_is_current(s, i))
			pick[k++] = &s->v[i];
	if (pick != NULL && current)
		qsort(pick, k, sizeof *pick, ff_policy_store_by_target);
	for (size_t i = 0; arr != NULL && pick != NULL && i < k; i++)
		if (json_array_append_new(arr, ff_policy_spec_to_json(pick[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	pthread_mutex_unlock(&s->mu);
	if (pick == NULL) {
		json_decref(arr);
		arr = NULL;
	}
	free(pick);
	return arr;
}
