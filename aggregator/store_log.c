/*
 * The first store: an append-only log of batches, DATA_DIR/batches.log,
 * plus every record kept in memory so queries never reread the file.
 * Each entry is (all fields little-endian):
 *
 *   0  4  magic 0x424c4646 ("FFLB" as bytes), little-endian
 *   4  1  entry version (1)
 *   5  3  reserved, zero
 *   8  4  payload length, little-endian
 *  12  4  CRC-32 (IEEE, zlib's crc32) of the payload, little-endian
 *  16  .. payload: the batch framed exactly as on the wire (ff_batch_encode:
 *         ff_frame header + lz4-compressed FlowBatch protobuf)
 *
 * Storing the wire frame reuses the one encoder we have and keeps the file
 * lz4-compressed. The CRC is zlib's standard CRC-32 rather than a private
 * CRC32C table: zlib is on every machine, and `python3 -c zlib.crc32` or any
 * other tool can check an entry without our code.
 *
 * An entry is durable once append returns: it is written with pwrite at the
 * end of the last whole entry and fdatasync'd. A crash mid-write leaves a
 * torn last entry, which the next open cuts off (counted, logged). A damaged
 * entry in the middle is skipped: open searches for the next whole entry.
 */
#include "store.h"

#include "ff_frame.h"
#include "ff_hmap.h"
#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FF_SLOG_FILE	"batches.log"
#define FF_SLOG_MAGIC	0x424c4646u
#define FF_SLOG_VERSION 1
#define FF_SLOG_HDR_LEN 16
/* A whole wire frame at most; a larger length field is damage, not data. */
#define FF_SLOG_MAX_PAYLOAD (FF_FRAME_HEADER_LEN + (size_t)FF_FRAME_MAX_PAYLOAD)

/* What the index keeps of a batch; its records live in ff_slog.recs. */
typedef struct ff_slog_batch {
	uint64_t epoch;
	uint64_t sequence;
	uint64_t interval_start_ms;
	uint64_t policy_version;
	size_t first_rec;
	size_t n_recs;
	uint32_t interval_len_ms;
	uint32_t agent_ref; /* 1-based index into ff_slog.agents */
} ff_slog_batch;

typedef struct ff_slog_agent_key {
	char id[FF_AGENT_ID_MAX + 8]; /* NUL-padded for the byte-compared hash key */
} ff_slog_agent_key;

typedef struct ff_slog {
	ff_store base; /* first: an ff_slog is an ff_store */
	int fd;
	uint64_t end; /* offset just past the last whole entry */
	/* Guards everything below against concurrent scans. */
	pthread_rwlock_t lock;
	ff_flow *recs;
	size_t n_recs, cap_recs;
	ff_slog_batch *batches;
	size_t n_batches, cap_batches;
	ff_slog_agent_key *agents;
	size_t n_agents, cap_agents;
	ff_hmap *agent_refs; /* ff_slog_agent_key -> uint32_t ref */
	ff_store_stats stats;
} ff_slog;

enum ff_slog_check { FF_SLOG_OK, FF_SLOG_TRUNCATED, FF_SLOG_BAD };

static uint32_t ff_slog_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void ff_slog_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t ff_slog_crc(const uint8_t *p, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	/* zlib takes uInt lengths; feed large payloads in pieces. */
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

/* --- in-memory index --------------------------------------------------- */

static int ff_slog_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *p = realloc(*arr, c * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/* The agent's reference, interned on first use; 0 when out of memory. */
static uint32_t ff_slog_intern(ff_slog *s, const char *agent_id)
{
	ff_slog_agent_key key;
	memset(&key, 0, sizeof key);
	memcpy(key.id, agent_id, strnlen(agent_id, FF_AGENT_ID_MAX));
	uint32_t *ref = ff_hmap_find(s->agent_refs, &key);
	if (ref != NULL)
		return *ref;
	if (ff_slog_grow((void **)&s->agents, &s->cap_agents, s->n_agents + 1, sizeof key) != 0)
		return 0;
	ref = ff_hmap_upsert(s->agent_refs, &key, NULL);
	if (ref == NULL)
		return 0;
	s->agents[s->n_agents++] = key;
	*ref = (uint32_t)s->n_agents;
	return *ref;
}

/*
 * Makes room for one more batch of `n` records and interns its agent, so
 * that ff_slog_remember() cannot fail once the batch is on disk. Caller
 * holds the write lock. Returns the agent ref, or 0 when out of memory.
 */
static uint32_t ff_slog_reserve(ff_slog *s, const ff_batch *b)
{
	if (ff_slog_grow((void **)&s->recs, &s->cap_recs, s->n_recs + b->n_records,
			 sizeof *s->recs) != 0 ||
	    ff_slog_grow((void **)&s->batches, &s->cap_batches, s->n_batches + 1,
			 sizeof *s->batches) != 0)
		return 0;
	return ff_slog_intern(s, b->agent_id);
}

/* Adds a batch to the index; room was made by ff_slog_reserve(). */
static void ff_slog_remember(ff_slog *s, const ff_batch *b, uint32_t ref)
{
	ff_slog_batch *e = &s->batches[s->n_batches++];
	e->epoch = b->epoch;
	e->sequence = b->sequence;
	e->interval_start_ms = b->interval_start_ms;
	e->interval_len_ms = b->interval_len_ms;
	e->policy_version = b->policy_version;
	e->agent_ref = ref;
	e->first_rec = s->n_recs;
	e->n_recs = b->n_records;
	for (size_t i = 0; i < b->n_records; i++) {
		s->recs[s->n_recs] = b->records[i];
		s->recs[s->n_recs].agent_ref = ref;
		s->n_recs++;
	}
	s->stats.batches++;
	s->stats.records += b->n_records;
}

/* A borrowed view of an indexed batch, as scan and replay hand it out. */
static void ff_slog_view(const ff_slog *s, const ff_slog_batch *e, ff_batch *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->agent_id, s->agents[e->agent_ref - 1].id, FF_AGENT_ID_MAX + 1);
	out->epoch = e->epoch;
	out->sequence = e->sequence;
	out->interval_start_ms = e->interval_start_ms;
	out->interval_len_ms = e->interval_len_ms;
	out->policy_version = e->policy_version;
	out->records = s->recs + e->first_rec;
	out->n_records = e->n_recs;
}

/* --- reading the log at open ------------------------------------------- */

/* Checks the entry at `off`; on FF_SLOG_OK sets *entry_len (header included). */
static enum ff_slog_check ff_slog_check(const uint8_t *base, size_t size, size_t off,
					size_t *entry_len)
{
	if (size - off < FF_SLOG_HDR_LEN)
		return FF_SLOG_TRUNCATED;
	const uint8_t *h = base + off;
	if (ff_slog_get32(h) != FF_SLOG_MAGIC || h[4] != FF_SLOG_VERSION)
		return FF_SLOG_BAD;
	size_t len = ff_slog_get32(h + 8);
	if (len > FF_SLOG_MAX_PAYLOAD)
		return FF_SLOG_BAD;
	if (size - off - FF_SLOG_HDR_LEN < len)
		return FF_SLOG_TRUNCATED;
	if (ff_slog_crc(h + FF_SLOG_HDR_LEN, len) != ff_slog_get32(h + 12))
		return FF_SLOG_BAD;
	*entry_len = FF_SLOG_HDR_LEN + len;
	return FF_SLOG_OK;
}

/* The offset of the next whole entry after `off`, or `size` when there is none. */
static size_t ff_slog_resync(const uint8_t *base, size_t size, size_t off)
{
	static const uint8_t magic[4] = {0x46, 0x46, 0x4c, 0x42};
	for (size_t i = off + 1; i + FF_SLOG_HDR_LEN <= size; i++) {
		const uint8_t *p = memmem(base + i, size - i, magic, sizeof magic);
		if (p == NULL)
			break;
		i = (size_t)(p - base);
		size_t len;
		if (ff_slog_check(base, size, i, &len) == FF_SLOG_OK)
			return i;
	}
	return size;
}

/* Decodes one whole entry into the index and replays it. */
static int ff_slog_load_entry(ff_slog *s, const uint8_t *payload, size_t len,
			      ff_store_replay_fn replay, void *arg)
{
	ff_frame_header fh;
	uint8_t *pb = NULL;
	size_t pb_len = 0;
	ff_batch b;
	int rc = ff_frame_decode(payload, len, &fh, &pb, &pb_len);
	if (rc != 0)
		return rc;
	rc = fh.type == FF_MSG_BATCH ? ff_batch_decode(pb, pb_len, &b) : FF_BATCH_EPROTO;
	free(pb);
	if (rc != 0)
		return rc;
	uint32_t ref = ff_slog_reserve(s, &b);
	if (ref == 0) {
		ff_batch_release(&b);
		return FF_STORE_ENOMEM;
	}
	ff_slog_remember(s, &b, ref);
	ff_batch_release(&b);
	if (replay != NULL) {
		ff_batch view;
		ff_slog_view(s, &s->batches[s->n_batches - 1], &view);
		replay(arg, &view);
	}
	return 0;
}

/* Cuts a torn last entry off so the next append starts at a whole entry. */
static int ff_slog_cut_tail(ff_slog *s, size_t good_end, size_t size)
{
	ff_log_warn("store: %s: torn last entry at offset %zu (%zu bytes) cut off; a batch "
		    "torn by a crash was never acknowledged, so its agent resends it",
		    FF_SLOG_FILE, good_end, size - good_end);
	s->stats.torn_tails++;
	if (ftruncate(s->fd, (off_t)good_end) != 0 || fdatasync(s->fd) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: ftruncate(%s, %zu) failed", FF_SLOG_FILE,
			     good_end);
		return FF_STORE_EIO;
	}
	return 0;
}

/* Walks every entry of the mapped file. Sets s->end past the last whole one. */
static int ff_slog_walk(ff_slog *s, const uint8_t *base, size_t size, ff_store_replay_fn replay,
			void *arg)
{
	size_t off = 0, good_end = 0;
	while (off < size) {
		size_t len = 0;
		enum ff_slog_check c = ff_slog_check(base, size, off, &len);
		if (c == FF_SLOG_OK) {
			int rc = ff_slog_load_entry(s, base + off + FF_SLOG_HDR_LEN,
						    len - FF_SLOG_HDR_LEN, replay, arg);
			if (rc == FF_STORE_ENOMEM)
				return rc;
			if (rc != 0) {
				/* Intact bytes that do not decode: a foreign or future entry. */
				ff_log_error("store: %s: entry at offset %zu does not decode (%s), "
					     "skipped",
					     FF_SLOG_FILE, off, ff_batch_strerror(rc));
				s->stats.corrupt++;
			}
			off += len;
			good_end = off;
			continue;
		}
		size_t next = ff_slog_resync(base, size, off);
		if (next >= size)
			break;
		ff_log_error("store: %s: damaged bytes at offsets %zu..%zu skipped; the batches "
			     "there are lost",
			     FF_SLOG_FILE, off, next);
		s->stats.corrupt++;
		off = next;
		good_end = off;
	}
	s->end = good_end;
	return good_end < size ? ff_slog_cut_tail(s, good_end, size) : 0;
}

static int ff_slog_read_all(ff_slog *s, ff_store_replay_fn replay, void *arg)
{
	struct stat st;
	if (fstat(s->fd, &st) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: fstat(%s) failed", FF_SLOG_FILE);
		return FF_STORE_EIO;
	}
	size_t size = (size_t)st.st_size;
	s->end = 0;
	if (size == 0)
		return 0;
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, s->fd, 0);
	if (map == MAP_FAILED) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: mmap(%s, %zu bytes) failed", FF_SLOG_FILE,
			     size);
		return FF_STORE_EIO;
	}
	int rc = ff_slog_walk(s, map, size, replay, arg);
	munmap(map, size);
	s->stats.bytes = s->end;
	return rc;
}

/* --- the ff_store_ops ---------------------------------------------------- */

static void ff_slog_close(ff_store *base)
{
	ff_slog *s = (ff_slog *)base;
	if (s->fd >= 0)
		close(s->fd);
	pthread_rwlock_destroy(&s->lock);
	ff_hmap_free(s->agent_refs);
	free(s->recs);
	free(s->batches);
	free(s->agents);
	free(s);
}

/* Opens the file and takes the data dir's lock; a second aggregator fails here. */
static int ff_slog_open_file(ff_slog *s, const char *data_dir)
{
	char path[4096];
	if (mkdir(data_dir, 0750) != 0 && errno != EEXIST) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: mkdir(%s) failed", data_dir);
		return FF_STORE_EIO;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, FF_SLOG_FILE) >= sizeof path) {
		ff_log_error("store: data dir path too long: %s", data_dir);
		return FF_STORE_EIO;
	}
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "store: open(%s) failed", path);
		return FF_STORE_EIO;
	}
	if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "store: lock of %s failed", path);
		return err == EWOULDBLOCK ? FF_STORE_ELOCKED : FF_STORE_EIO;
	}
	/* Make the file's directory entry durable too, not only its contents. */
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int ff_slog_open(const char *data_dir, ff_store_replay_fn replay, void *arg, ff_store **out)
{
	ff_slog *s = calloc(1, sizeof *s);
	if (s == NULL)
		return FF_STORE_ENOMEM;
	s->base.ops = &ff_store_log_ops;
	s->fd = -1;
	pthread_rwlock_init(&s->lock, NULL);
	s->agent_refs = ff_hmap_new(sizeof(ff_slog_agent_key), sizeof(uint32_t), 64);
	int rc = s->agent_refs != NULL ? ff_slog_open_file(s, data_dir) : FF_STORE_ENOMEM;
	if (rc == 0)
		rc = ff_slog_read_all(s, replay, arg);
	if (rc != 0) {
		ff_slog_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

static int ff_slog_pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Writes one entry at the end and syncs it; on failure the file is cut back. */
static int ff_slog_write_entry(ff_slog *s, const uint8_t *frame, size_t len)
{
	uint8_t h[FF_SLOG_HDR_LEN] = {0};
	ff_slog_put32(h, FF_SLOG_MAGIC);
	h[4] = FF_SLOG_VERSION;
	ff_slog_put32(h + 8, (uint32_t)len);
	ff_slog_put32(h + 12, ff_slog_crc(frame, len));
	if (ff_slog_pwrite_all(s->fd, h, sizeof h, s->end) == 0 &&
	    ff_slog_pwrite_all(s->fd, frame, len, s->end + sizeof h) == 0 &&
	    fdatasync(s->fd) == 0) {
		s->end += sizeof h + len;
		return 0;
	}
	int err = errno;
	ff_log_errno(FF_LOG_ERROR, err, "store: append of %zu bytes to %s failed, batch not acked",
		     sizeof h + len, FF_SLOG_FILE);
	if (ftruncate(s->fd, (off_t)s->end) != 0)
		ff_log_errno(FF_LOG_ERROR, errno, "store: ftruncate(%s) after failed append failed",
			     FF_SLOG_FILE);
	return FF_STORE_EIO;
}

static int ff_slog_append(ff_store *base, const ff_batch *b)
{
	ff_slog *s = (ff_slog *)base;
	uint8_t *frame = NULL;
	size_t len = 0;
	int rc = ff_batch_encode(b, &frame, &len);
	if (rc != 0 || len > FF_SLOG_MAX_PAYLOAD) {
		free(frame);
		return rc == FF_BATCH_ENOMEM || rc == FF_FRAME_ENOMEM ? FF_STORE_ENOMEM
								      : FF_STORE_EINVAL;
	}
	pthread_rwlock_wrlock(&s->lock);
	uint32_t ref = ff_slog_reserve(s, b);
	pthread_rwlock_unlock(&s->lock);
	/*
	 * The disk write happens outside the lock: only this thread appends,
	 * and scans only read the index, so a slow fdatasync never holds up a query.
	 */
	rc = ref == 0 ? FF_STORE_ENOMEM : ff_slog_write_entry(s, frame, len);
	free(frame);
	pthread_rwlock_wrlock(&s->lock);
	if (rc == 0) {
		ff_slog_remember(s, b, ref);
		s->stats.bytes = s->end;
	} else {
		s->stats.append_errors++;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

static int ff_slog_scan(ff_store *base, ff_store_scan_fn cb, void *arg)
{
	ff_slog *s = (ff_slog *)base;
	int rc = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n_batches && rc == 0; i++) {
		ff_batch view;
		ff_slog_view(s, &s->batches[i], &view);
		rc = cb(arg, &view);
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

static void ff_slog_stats(ff_store *base, ff_store_stats *out)
{
	ff_slog *s = (ff_slog *)base;
	pthread_rwlock_rdlock(&s->lock);
	*out = s->stats;
	pthread_rwlock_unlock(&s->lock);
}

const ff_store_ops ff_store_log_ops = {
    .name = "log",
    .open = ff_slog_open,
    .append_batch = ff_slog_append,
    .scan = ff_slog_scan,
    .stats = ff_slog_stats,
    .close = ff_slog_close,
};
