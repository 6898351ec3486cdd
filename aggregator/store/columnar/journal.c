/*
 * The journal file: a 32-byte header, then entries, each a 16-byte entry
 * header and the batch as framed on the wire (frame header + lz4-compressed
 * FlowBatch): the very bytes the agent sent when the batch came off the
 * wire, else ff_batch_encode()'s. Reusing the wire encoding keeps one
 * encoder for batches, keeps the journal compressed and, for received
 * batches, costs no encoding at all. Layout in
 * docs/storage.md; all fields little-endian.
 *
 * An entry is durable once append returns (pwrite after the last whole
 * entry, then fdatasync). A crash mid-append leaves a torn last entry,
 * which open cuts off: the batch was never acknowledged, so its agent
 * sends it again. A damaged entry in the middle is skipped: open searches
 * for the next whole entry.
 */
#include "journal.h"
#include "ff_bytes.h"
#include "segment_format.h"

#include "ff_frame.h"
#include "ff_log.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FF__JNL_MAGIC	    0x4e4a4646u /* bytes "FFJN" */
#define FF__JNL_HDR_LEN	    FF_JOURNAL_HEADER_LEN
#define FF__JNL_ENTRY_MAGIC 0x454a4646u /* bytes "FFJE" */
#define FF__JNL_ENTRY_HDR   16
#define FF__JNL_ENTRY_VER   1
/* A whole wire frame at most; a larger length field is damage, not data. */
#define FF__JNL_MAX_PAYLOAD (FF_FRAME_HEADER_LEN + (size_t)FF_FRAME_MAX_STORED)

struct ff_journal {
	int fd;
	char *path;
	uint64_t end; /* offset just past the last whole entry */
	uint64_t segment_id;
	uint64_t window_start_ms;
	uint64_t entries;
};

enum ff__jnl_check { FF__JNL_OK, FF__JNL_TRUNCATED, FF__JNL_BAD };

static int ff__jnl_pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno; /* a write of nothing sets no errno */
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* --- header ---------------------------------------------------------------- */

static int ff__jnl_write_header(ff_journal *j)
{
	uint8_t h[FF__JNL_HDR_LEN] = {0};
	ff_put_le32(h, FF__JNL_MAGIC);
	ff_put_le16(h + 4, FF_JOURNAL_VERSION);
	ff_put_le16(h + 6, FF__JNL_HDR_LEN);
	ff_put_le64(h + 8, j->segment_id);
	ff_put_le64(h + 16, j->window_start_ms);
	ff_put_le32(h + 28, ff__seg_crc(h, 28));
	/* Cut first: a crash after it leaves an empty journal under the old, sealed id. */
	if (ftruncate(j->fd, FF__JNL_HDR_LEN) != 0 ||
	    ff__jnl_pwrite_all(j->fd, h, sizeof h, 0) != 0 || fdatasync(j->fd) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: writing the header of %s failed",
			     j->path);
		return ff_err_errno(err);
	}
	j->end = FF__JNL_HDR_LEN;
	j->entries = 0;
	return 0;
}

/*
 * Reads the header of a file of `size` bytes. A header that is short or
 * fails its CRC with nothing after it is what a crash during creation or
 * reset leaves: *fresh is set and the caller writes a new one.
 */
static int ff__jnl_read_header(ff_journal *j, const uint8_t *h, size_t size, bool *fresh)
{
	*fresh = size < FF__JNL_HDR_LEN;
	if (*fresh)
		return 0;
	if (ff_get_le32(h) != FF__JNL_MAGIC)
		return FF_JOURNAL_EMAGIC;
	if (ff_get_le16(h + 4) != FF_JOURNAL_VERSION)
		return FF_JOURNAL_EVERSION;
	if (ff__seg_crc(h, 28) != ff_get_le32(h + 28) || ff_get_le16(h + 6) != FF__JNL_HDR_LEN) {
		*fresh = size == FF__JNL_HDR_LEN;
		return *fresh ? 0 : FF_JOURNAL_EHEADER;
	}
	j->segment_id = ff_get_le64(h + 8);
	j->window_start_ms = ff_get_le64(h + 16);
	return 0;
}

/* --- entries ----------------------------------------------------------------- */

static enum ff__jnl_check ff__jnl_check(const uint8_t *base, size_t size, size_t off,
					size_t *entry_len)
{
	if (size - off < FF__JNL_ENTRY_HDR)
		return FF__JNL_TRUNCATED;
	const uint8_t *h = base + off;
	if (ff_get_le32(h) != FF__JNL_ENTRY_MAGIC || h[4] != FF__JNL_ENTRY_VER)
		return FF__JNL_BAD;
	size_t len = ff_get_le32(h + 8);
	if (len > FF__JNL_MAX_PAYLOAD)
		return FF__JNL_BAD;
	if (size - off - FF__JNL_ENTRY_HDR < len)
		return FF__JNL_TRUNCATED;
	if (ff__seg_crc(h + FF__JNL_ENTRY_HDR, len) != ff_get_le32(h + 12))
		return FF__JNL_BAD;
	*entry_len = FF__JNL_ENTRY_HDR + len;
	return FF__JNL_OK;
}

/* The offset of the next whole entry after `off`, or `size` when there is none. */
static size_t ff__jnl_resync(const uint8_t *base, size_t size, size_t off)
{
	static const uint8_t magic[4] = {0x46, 0x46, 0x4a, 0x45};
	for (size_t i = off + 1; i + FF__JNL_ENTRY_HDR <= size; i++) {
		const uint8_t *p = memmem(base + i, size - i, magic, sizeof magic);
		if (p == NULL)
			break;
		i = (size_t)(p - base);
		size_t len;
		if (ff__jnl_check(base, size, i, &len) == FF__JNL_OK)
			return i;
	}
	return size;
}

/* Decodes one whole entry and replays it; 1 when it does not decode. */
static int ff__jnl_load(const ff_journal *j, const uint8_t *payload, size_t len,
			ff_journal_replay_fn replay, void *arg)
{
	ff_frame_header fh;
	uint8_t *pb = NULL;
	size_t pb_len = 0;
	ff_batch b;
	int rc = ff_frame_decode_stored(payload, len, &fh, &pb, &pb_len);
	if (rc != 0)
		return rc == -ENOMEM ? rc : 1; /* out of memory is no damage: stop, skip nothing */
	rc = fh.type == FF_MSG_BATCH ? ff_batch_decode(pb, pb_len, &b) : FF_BATCH_EPROTO;
	free(pb);
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0)
		return 1;
	rc = replay != NULL ? replay(arg, j->segment_id, &b) : 0;
	rc = rc > 0 ? 0 : rc;
	ff_batch_release(&b);
	return rc;
}

static int ff__jnl_cut_tail(ff_journal *j, size_t good_end, size_t size, ff_journal_info *info)
{
	ff_log_warn("journal: %s: torn last entry at offset %zu (%zu bytes) cut off; a batch "
		    "torn by a crash was never acknowledged, so its agent resends it",
		    j->path, good_end, size - good_end);
	info->torn_tails++;
	if (ftruncate(j->fd, (off_t)good_end) != 0 || fdatasync(j->fd) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: ftruncate(%s, %zu) failed", j->path,
			     good_end);
		return ff_err_errno(err);
	}
	return 0;
}

/* Handles the entry at *off; advances *off and *good_end. Returns <0 to stop. */
static int ff__jnl_step(ff_journal *j, const uint8_t *base, size_t size, size_t *off,
			size_t *good_end, ff_journal_replay_fn replay, void *arg,
			ff_journal_info *info)
{
	size_t len = 0;
	if (ff__jnl_check(base, size, *off, &len) == FF__JNL_OK) {
		int rc = ff__jnl_load(j, base + *off + FF__JNL_ENTRY_HDR, len - FF__JNL_ENTRY_HDR,
				      replay, arg);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			ff_log_error("journal: %s: entry at offset %zu does not decode, skipped",
				     j->path, *off);
			info->corrupt++;
		} else {
			j->entries++;
		}
		*off += len;
		*good_end = *off;
		return 0;
	}
	size_t next = ff__jnl_resync(base, size, *off);
	if (next < size) {
		ff_log_error("journal: %s: damaged bytes at offsets %zu..%zu skipped; the "
			     "batches there are lost",
			     j->path, *off, next);
		info->corrupt++;
		*good_end = next;
	}
	*off = next;
	return 0;
}

static int ff__jnl_walk(ff_journal *j, const uint8_t *base, size_t size,
			ff_journal_replay_fn replay, void *arg, ff_journal_info *info)
{
	size_t off = FF__JNL_HDR_LEN, good_end = FF__JNL_HDR_LEN;
	while (off < size) {
		int rc = ff__jnl_step(j, base, size, &off, &good_end, replay, arg, info);
		if (rc != 0)
			return rc;
	}
	j->end = good_end;
	return good_end < size ? ff__jnl_cut_tail(j, good_end, size, info) : 0;
}

/* --- open / append / reset ------------------------------------------------- */

static int ff__jnl_open_fd(ff_journal *j)
{
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (j->fd < 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: open(%s) failed", j->path);
		return ff_err_errno(err);
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: lock of %s failed", j->path);
		return err == EWOULDBLOCK ? FF_JOURNAL_ELOCKED : ff_err_errno(err);
	}
	return 0;
}

static int ff__jnl_read(ff_journal *j, ff_journal_replay_fn replay, void *arg,
			ff_journal_info *info)
{
	struct stat st;
	if (fstat(j->fd, &st) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: fstat(%s) failed", j->path);
		return ff_err_errno(err);
	}
	size_t size = (size_t)st.st_size;
	void *map = size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, j->fd, 0) : NULL;
	if (map == MAP_FAILED) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: mmap(%s) failed", j->path);
		return ff_err_errno(err);
	}
	bool fresh = true;
	int rc = ff__jnl_read_header(j, map, size, &fresh);
	if (rc == 0 && fresh) {
		if (size > 0) {
			ff_log_warn("journal: %s: torn header (%zu bytes) rewritten", j->path,
				    size);
			info->torn_tails++;
		}
		rc = ff__jnl_write_header(j);
	} else if (rc == 0) {
		rc = ff__jnl_walk(j, map, size, replay, arg, info);
	}
	if (map != NULL)
		munmap(map, size);
	return rc;
}

int ff_journal_open(const char *path, uint64_t new_segment_id, uint64_t new_window_start_ms,
		    ff_journal_replay_fn replay, void *arg, ff_journal **out, ff_journal_info *info)
{
	memset(info, 0, sizeof *info);
	ff_journal *j = calloc(1, sizeof *j);
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		return -ENOMEM;
	}
	j->segment_id = new_segment_id;
	j->window_start_ms = new_window_start_ms;
	int rc = ff__jnl_open_fd(j);
	if (rc == 0)
		rc = ff__jnl_read(j, replay, arg, info);
	if (rc != 0) {
		ff_journal_close(j);
		return rc;
	}
	info->segment_id = j->segment_id;
	info->window_start_ms = j->window_start_ms;
	info->entries = j->entries;
	info->bytes = j->end;
	*out = j;
	return 0;
}

/*
 * The entry's bytes: the frame the batch came in, when it came off the wire
 * (it decoded, so replay decodes it too), else the batch encoded now.
 * *owned is what the caller frees (NULL for a borrowed frame).
 */
static int ff__jnl_frame_of(const ff_batch *b, const uint8_t **frame, size_t *len, uint8_t **owned)
{
	*owned = NULL;
	if (b->wire_frame != NULL) {
		*frame = b->wire_frame;
		*len = b->wire_frame_len;
		return 0;
	}
	int rc = ff_batch_encode(b, owned, len);
	*frame = *owned;
	return rc;
}

int ff_journal_append(ff_journal *j, const ff_batch *b)
{
	const uint8_t *frame = NULL;
	uint8_t *owned = NULL;
	size_t len = 0;
	int rc = ff__jnl_frame_of(b, &frame, &len, &owned);
	if (rc != 0 || len > FF__JNL_MAX_PAYLOAD) {
		free(owned);
		return rc == -ENOMEM ? rc : FF_JOURNAL_ETOOBIG;
	}
	uint8_t h[FF__JNL_ENTRY_HDR] = {0};
	ff_put_le32(h, FF__JNL_ENTRY_MAGIC);
	h[4] = FF__JNL_ENTRY_VER;
	ff_put_le32(h + 8, (uint32_t)len);
	ff_put_le32(h + 12, ff__seg_crc(frame, len));
	if (ff__jnl_pwrite_all(j->fd, h, sizeof h, j->end) == 0 &&
	    ff__jnl_pwrite_all(j->fd, frame, len, j->end + sizeof h) == 0 &&
	    fdatasync(j->fd) == 0) {
		j->end += sizeof h + len;
		j->entries++;
		free(owned);
		return 0;
	}
	int err = errno;
	ff_log_errno(FF_LOG_ERROR, err,
		     "journal: append of %zu bytes to %s failed, batch not acked", sizeof h + len,
		     j->path);
	free(owned);
	if (ftruncate(j->fd, (off_t)j->end) != 0)
		ff_log_errno(FF_LOG_ERROR, errno,
			     "journal: ftruncate(%s) after a failed append failed", j->path);
	return ff_err_errno(err);
}

int ff_journal_reset(ff_journal *j, uint64_t segment_id, uint64_t window_start_ms)
{
	j->segment_id = segment_id;
	j->window_start_ms = window_start_ms;
	return ff__jnl_write_header(j);
}

int ff_journal_rename(ff_journal *j, const char *path)
{
	char *to = strdup(path);
	if (to == NULL)
		return -ENOMEM;
	if (rename(j->path, to) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "journal: rename(%s, %s) failed", j->path, to);
		free(to);
		return ff_err_errno(err);
	}
	free(j->path);
	j->path = to;
	return 0;
}

uint64_t ff_journal_segment_id(const ff_journal *j)
{
	return j->segment_id;
}

uint64_t ff_journal_window_start(const ff_journal *j)
{
	return j->window_start_ms;
}

uint64_t ff_journal_entries(const ff_journal *j)
{
	return j->entries;
}

uint64_t ff_journal_bytes(const ff_journal *j)
{
	return j->end;
}

void ff_journal_close(ff_journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}
