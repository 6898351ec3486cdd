#include "send_queue.h"

#include "ff_file.h"
#include "ff_batch.h"
#include "ff_frame.h"
#include "ff_log.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ff_send_queue {
	ff_send_item *items; /* oldest first */
	size_t n, cap;
	uint64_t bytes;
	uint64_t max_bytes;
	char *spool_dir;
	ff_agent_counters *counters;
};

ff_send_queue *ff_send_queue_new(const char *spool_dir, uint64_t max_bytes,
				 ff_agent_counters *counters)
{
	ff_send_queue *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->max_bytes = max_bytes;
	q->counters = counters;
	if (spool_dir != NULL && (q->spool_dir = strdup(spool_dir)) == NULL) {
		free(q);
		return NULL;
	}
	return q;
}

void ff_send_queue_free(ff_send_queue *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->items[i].frame);
	free(q->items);
	free(q->spool_dir);
	free(q);
}

static void ff_send_queue_set_pending(ff_send_queue *q)
{
	if (q->counters != NULL) {
		q->counters->batches_pending = q->n;
		q->counters->spool_bytes = q->bytes;
	}
}

static void ff_spool_name(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".batch", seq);
}

static void ff_spool_unlink(const ff_send_queue *q, uint64_t seq)
{
	if (q->spool_dir == NULL)
		return;
	char name[32], path[PATH_MAX];
	ff_spool_name(seq, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", q->spool_dir, name);
	if (unlink(path) != 0 && errno != ENOENT)
		ff_log_errno(FF_LOG_WARN, errno,
			     "unlink(%s) failed, the batch may be resent "
			     "after a restart (the aggregator drops duplicates)",
			     path);
}

/* Removes item i, releasing its frame and spool file. */
static void ff_send_queue_remove(ff_send_queue *q, size_t i)
{
	ff_spool_unlink(q, q->items[i].seq);
	q->bytes -= q->items[i].len;
	free(q->items[i].frame);
	memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof q->items[0]);
	q->n--;
	ff_send_queue_set_pending(q);
}

/* Drops the oldest batches until `incoming` more bytes fit the bound. */
static void ff_send_queue_make_room(ff_send_queue *q, size_t incoming)
{
	while (q->n > 0 && q->max_bytes != 0 && q->bytes + incoming > q->max_bytes) {
		ff_log_warn("spool full (%" PRIu64 " bytes, bound %" PRIu64
			    "): dropping the oldest unacknowledged batch, sequence %" PRIu64
			    " (%" PRIu64 " records)",
			    q->bytes, q->max_bytes, q->items[0].seq, q->items[0].n_records);
		ff_send_queue_remove(q, 0);
		if (q->counters != NULL)
			q->counters->batches_dropped++;
	}
}

/* Inserts keeping sequence order; batches normally arrive in order, so this appends. */
static int ff_send_queue_insert(ff_send_queue *q, const ff_send_item *it)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		ff_send_item *v = realloc(q->items, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		q->items = v;
		q->cap = cap;
	}
	size_t i = q->n;
	while (i > 0 && q->items[i - 1].seq > it->seq)
		i--;
	memmove(&q->items[i + 1], &q->items[i], (q->n - i) * sizeof q->items[0]);
	q->items[i] = *it;
	q->n++;
	q->bytes += it->len;
	ff_send_queue_set_pending(q);
	return 0;
}

int ff_send_queue_push(ff_send_queue *q, uint64_t epoch, uint64_t seq, uint64_t n_records,
		       uint8_t *frame, size_t len)
{
	int spool_rc = 0;
	if (q->spool_dir != NULL) {
		char name[32];
		ff_spool_name(seq, name, sizeof name);
		spool_rc = ff_file_write_atomic(q->spool_dir, name, frame, len, 0600);
		if (spool_rc != 0)
			ff_log_errno(FF_LOG_WARN, -spool_rc,
				     "spooling batch %" PRIu64 " to %s failed, kept in memory only",
				     seq, q->spool_dir);
	}
	ff_send_queue_make_room(q, len);
	ff_send_item it = {
	    .epoch = epoch, .seq = seq, .frame = frame, .len = len, .n_records = n_records};
	int rc = ff_send_queue_insert(q, &it);
	if (rc != 0) {
		ff_log_error("out of memory queueing batch %" PRIu64 ", dropped", seq);
		ff_spool_unlink(q, seq);
		free(frame);
		if (q->counters != NULL)
			q->counters->batches_dropped++;
		return rc;
	}
	return spool_rc;
}

int ff_send_queue_ack(ff_send_queue *q, uint64_t epoch, uint64_t seq)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->items[i].seq == seq && q->items[i].epoch == epoch) {
			ff_send_queue_remove(q, i);
			return 0;
		}
	}
	return -1;
}

size_t ff_send_queue_len(const ff_send_queue *q)
{
	return q->n;
}

uint64_t ff_send_queue_bytes(const ff_send_queue *q)
{
	return q->bytes;
}

ff_send_item *ff_send_queue_at(ff_send_queue *q, size_t i)
{
	return i < q->n ? &q->items[i] : NULL;
}

/* Checks a spooled frame is a whole batch and reads its identity from inside it. */
static int ff_spool_parse(const uint8_t *frame, size_t len, ff_send_item *it)
{
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen;
	int rc = ff_frame_decode_stored(frame, len, &h, &payload, &plen);
	if (rc != 0)
		return rc;
	ff_batch b;
	rc = h.type == FF_MSG_BATCH ? ff_batch_decode(payload, plen, &b) : FF_BATCH_EPROTO;
	free(payload);
	if (rc != 0)
		return rc;
	it->epoch = b.epoch;
	it->seq = b.sequence;
	it->n_records = b.n_records;
	ff_batch_release(&b);
	return 0;
}

static void ff_spool_quarantine(const char *path, const char *why)
{
	char bad[PATH_MAX];
	int n = snprintf(bad, sizeof bad, "%s.corrupt", path);
	if (n < 0 || (size_t)n >= sizeof bad) {
		ff_log_warn("spool file %s is not a valid batch (%s): path too long to rename, "
			    "left in place",
			    path, why);
		return;
	}
	ff_log_warn("spool file %s is not a valid batch (%s): renamed to %s and skipped", path, why,
		    bad);
	rename(path, bad);
}

/* Loads one spool file; returns 1 if a batch was queued, 0 if skipped, -errno on failure. */
static int ff_spool_load_one(ff_send_queue *q, const char *name)
{
	size_t nl = strlen(name);
	if (nl < 7 || strcmp(name + nl - 6, ".batch") != 0 || name[0] < '0' || name[0] > '9')
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", q->spool_dir, name);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = ff_file_read(path, FF_FRAME_MAX_STORED, &buf, &len);
	if (rc != 0) {
		ff_log_errno(FF_LOG_WARN, -rc, "reading spool file %s failed, skipped", path);
		return 0;
	}
	ff_send_item it = {.frame = buf, .len = len};
	char expect[32];
	rc = ff_spool_parse(buf, len, &it);
	if (ff_err_is_errno(rc)) {
		/* Out of memory says nothing about the file: keep it for the next start. */
		free(buf);
		return rc;
	}
	if (rc != 0 || (ff_spool_name(it.seq, expect, sizeof expect), strcmp(expect, name) != 0)) {
		ff_spool_quarantine(path, rc != 0 ? ff_strerror(rc) : "name and sequence differ");
		free(buf);
		return 0;
	}
	if ((rc = ff_send_queue_insert(q, &it)) != 0) {
		free(buf);
		return rc;
	}
	return 1;
}

int ff_send_queue_load(ff_send_queue *q, uint64_t *max_seq)
{
	*max_seq = 0;
	if (q->spool_dir == NULL)
		return 0;
	DIR *d = opendir(q->spool_dir);
	if (d == NULL)
		return -errno;
	int loaded = 0, rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if ((rc = ff_spool_load_one(q, de->d_name)) < 0)
			break;
		loaded += rc;
		rc = 0;
	}
	closedir(d);
	for (size_t i = 0; i < q->n; i++)
		if (q->items[i].seq > *max_seq)
			*max_seq = q->items[i].seq;
	return rc < 0 ? rc : loaded;
}
