/*
 * Writing a segment: the records are cut into row groups, each column of a
 * group is encoded (frame of reference or delta, at the narrowest width its
 * values need) and lz4-compressed when that makes it smaller, then header,
 * directory and blocks go to a temporary file that is synced and renamed
 * into place, and the directory is synced, so a crash never leaves a
 * half-written segment under a segment's name.
 */
#include "segment.h"
#include "segment_format.h"

#include "ff_hmap.h"
#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Below this the lz4 call costs more than it could save. */
#define FF__SEG_LZ4_MIN 64

typedef struct ff__seg_block {
	ff__seg_entry e;
	uint8_t *data; /* the stored bytes, owned */
} ff__seg_block;

typedef struct ff__seg_writer {
	const ff_segment_input *in;
	ff__seg_block *blocks;
	size_t n_blocks, cap_blocks;
	uint8_t *raw;		      /* encoding scratch */
	size_t raw_cap;
	uint32_t *exp_idx;	      /* per row: its exporter's dictionary index */
	uint8_t *exporters;	      /* the dictionary, 16 bytes per entry */
	size_t n_exporters;
	uint64_t min_first, max_first, min_last, max_last;
} ff__seg_writer;

static uint8_t ff__seg_width(uint64_t max)
{
	if (max == 0)
		return 0;
	if (max <= 0xff)
		return 1;
	if (max <= 0xffff)
		return 2;
	return max <= 0xffffffffu ? 4 : 8;
}

static void ff__seg_put_width(uint8_t *p, uint8_t width, uint64_t v)
{
	for (uint8_t i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int ff__seg_raw_reserve(ff__seg_writer *w, size_t len)
{
	if (len <= w->raw_cap)
		return 0;
	uint8_t *p = realloc(w->raw, len);
	if (p == NULL)
		return FF_SEG_ENOMEM;
	w->raw = p;
	w->raw_cap = len;
	return 0;
}

/* Compresses w->raw[0..e->raw_len) when that pays and appends the block. */
static int ff__seg_add_block(ff__seg_writer *w, ff__seg_entry e)
{
	if (w->n_blocks == w->cap_blocks) {
		size_t cap = w->cap_blocks ? w->cap_blocks * 2 : 64;
		ff__seg_block *b = realloc(w->blocks, cap * sizeof *b);
		if (b == NULL)
			return FF_SEG_ENOMEM;
		w->blocks = b;
		w->cap_blocks = cap;
	}
	size_t bound = (size_t)LZ4_compressBound((int)e.raw_len);
	uint8_t *data = malloc(bound > e.raw_len ? bound : e.raw_len + 1);
	if (data == NULL)
		return FF_SEG_ENOMEM;
	int n = e.raw_len >= FF__SEG_LZ4_MIN
		    ? LZ4_compress_default((const char *)w->raw, (char *)data, (int)e.raw_len,
					   (int)bound)
		    : 0;
	if (n > 0 && (uint32_t)n < e.raw_len) {
		e.compression = FF__COMP_LZ4;
		e.stored_len = (uint32_t)n;
	} else {
		e.compression = FF__COMP_NONE;
		e.stored_len = e.raw_len;
		memcpy(data, w->raw, e.raw_len);
	}
	e.crc = ff__seg_crc(data, e.stored_len);
	w->blocks[w->n_blocks].e = e;
	w->blocks[w->n_blocks].data = data;
	w->n_blocks++;
	return 0;
}

/* --- sections ---------------------------------------------------------------- */

/* Interns every row's exporter address. */
static int ff__seg_exporters(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	ff_hmap *map = ff_hmap_new(FF_ADDR_LEN, sizeof(uint32_t), 64);
	w->exp_idx = malloc((in->n_rows ? in->n_rows : 1) * sizeof *w->exp_idx);
	int rc = map != NULL && w->exp_idx != NULL ? 0 : FF_SEG_ENOMEM;
	for (size_t i = 0; rc == 0 && i < in->n_rows; i++) {
		int created = 0;
		uint32_t *idx = ff_hmap_upsert(map, in->rows[i].exporter, &created);
		if (idx == NULL || (created && ff__seg_raw_reserve(w, (w->n_exporters + 1) *
									 FF_ADDR_LEN) != 0)) {
			rc = FF_SEG_ENOMEM;
			break;
		}
		if (created) {
			memcpy(w->raw + w->n_exporters * FF_ADDR_LEN, in->rows[i].exporter,
			       FF_ADDR_LEN);
			*idx = (uint32_t)w->n_exporters++;
		}
		w->exp_idx[i] = *idx;
	}
	ff_hmap_free(map);
	if (rc != 0)
		return rc;
	ff__seg_entry e = {.column = FF__SEC_EXPORTERS,
			   .rows = (uint32_t)w->n_exporters,
			   .raw_len = (uint32_t)(w->n_exporters * FF_ADDR_LEN)};
	return ff__seg_add_block(w, e);
}

static int ff__seg_agents(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	size_t len = 0;
	if (ff__seg_raw_reserve(w, in->n_agents * (FF_AGENT_ID_MAX + 1) + 1) != 0)
		return FF_SEG_ENOMEM;
	for (size_t i = 0; i < in->n_agents; i++) {
		size_t n = strnlen(in->agents[i], FF_AGENT_ID_MAX);
		w->raw[len++] = (uint8_t)n;
		memcpy(w->raw + len, in->agents[i], n);
		len += n;
	}
	ff__seg_entry e = {.column = FF__SEC_AGENTS,
			   .rows = (uint32_t)in->n_agents,
			   .raw_len = (uint32_t)len};
	return ff__seg_add_block(w, e);
}

static int ff__seg_batches(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	if (ff__seg_raw_reserve(w, in->n_batches * FF__SEG_BATCH_LEN + 1) != 0)
		return FF_SEG_ENOMEM;
	for (size_t i = 0; i < in->n_batches; i++) {
		const ff_segment_batch *b = &in->batches[i];
		uint8_t *p = w->raw + i * FF__SEG_BATCH_LEN;
		ff__put32(p, b->agent);
		ff__put32(p + 4, b->interval_len_ms);
		ff__put64(p + 8, b->epoch);
		ff__put64(p + 16, b->sequence);
		ff__put64(p + 24, b->interval_start_ms);
		ff__put64(p + 32, b->policy_version);
		ff__put32(p + 40, b->n_records);
		ff__put32(p + 44, 0);
	}
	ff__seg_entry e = {.column = FF__SEC_BATCHES,
			   .rows = (uint32_t)in->n_batches,
			   .raw_len = (uint32_t)(in->n_batches * FF__SEG_BATCH_LEN)};
	return ff__seg_add_block(w, e);
}

/* --- columns ----------------------------------------------------------------- */

static uint64_t ff__seg_value(const ff__seg_writer *w, int col, size_t row)
{
	return col == FF__COL_EXPORTER ? w->exp_idx[row] : ff__seg_col_get(col, &w->in->rows[row]);
}

/* Encodes one integer column of rows [a, a + n) into w->raw; fills e. */
static void ff__seg_encode_int(ff__seg_writer *w, int col, size_t a, size_t n, ff__seg_entry *e)
{
	uint64_t min = UINT64_MAX, max = 0, dmax = 0;
	for (size_t i = a; i < a + n; i++) {
		uint64_t v = ff__seg_value(w, col, i);
		min = v < min ? v : min;
		max = v > max ? v : max;
	}
	bool delta = col == FF__COL_FIRST;
	for (size_t i = a; delta && i < a + n; i++) {
		uint64_t v = ff__seg_value(w, col, i);
		uint64_t d = i == a ? v - min : ff__zigzag(v - ff__seg_value(w, col, i - 1));
		dmax = d > dmax ? d : dmax;
	}
	e->encoding = delta ? FF__ENC_DELTA : FF__ENC_FOR;
	e->width = ff__seg_width(delta ? dmax : max - min);
	e->min = min;
	e->max = max;
	e->raw_len = (uint32_t)(n * e->width);
	for (size_t i = a; i < a + n; i++) {
		uint64_t v = ff__seg_value(w, col, i);
		uint64_t d = !delta || i == a ? v - min
					      : ff__zigzag(v - ff__seg_value(w, col, i - 1));
		ff__seg_put_width(w->raw + (i - a) * e->width, e->width, d);
	}
}

static void ff__seg_encode_addr(ff__seg_writer *w, int col, size_t a, size_t n, ff__seg_entry *e)
{
	for (size_t i = 0; i < n; i++) {
		const ff_flow *f = &w->in->rows[a + i];
		memcpy(w->raw + i * FF_ADDR_LEN, col == FF__COL_SRC_ADDR ? f->src_addr : f->dst_addr,
		       FF_ADDR_LEN);
	}
	e->encoding = FF__ENC_BYTES;
	e->width = FF_ADDR_LEN;
	e->raw_len = (uint32_t)(n * FF_ADDR_LEN);
}

static int ff__seg_group(ff__seg_writer *w, size_t a, size_t n)
{
	for (int col = 0; col < FF__COL_COUNT; col++) {
		ff__seg_entry e = {.column = (uint8_t)col, .rows = (uint32_t)n};
		if (col == FF__COL_SRC_ADDR || col == FF__COL_DST_ADDR)
			ff__seg_encode_addr(w, col, a, n, &e);
		else
			ff__seg_encode_int(w, col, a, n, &e);
		int rc = ff__seg_add_block(w, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void ff__seg_time_bounds(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	w->min_first = w->min_last = in->n_rows ? UINT64_MAX : 0;
	for (size_t i = 0; i < in->n_rows; i++) {
		const ff_flow *f = &in->rows[i];
		w->min_first = f->first_ms < w->min_first ? f->first_ms : w->min_first;
		w->max_first = f->first_ms > w->max_first ? f->first_ms : w->max_first;
		w->min_last = f->last_ms < w->min_last ? f->last_ms : w->min_last;
		w->max_last = f->last_ms > w->max_last ? f->last_ms : w->max_last;
	}
}

static int ff__seg_encode(ff__seg_writer *w)
{
	const ff_segment_input *in = w->in;
	int rc = ff__seg_raw_reserve(w, FF_SEGMENT_SCRATCH);
	if (rc == 0)
		rc = ff__seg_agents(w);
	if (rc == 0)
		rc = ff__seg_exporters(w);
	if (rc == 0)
		rc = ff__seg_batches(w);
	if (rc == 0)
		rc = ff__seg_raw_reserve(w, FF_SEGMENT_SCRATCH);
	for (size_t a = 0; rc == 0 && a < in->n_rows; a += FF_SEGMENT_GROUP_ROWS) {
		size_t n = in->n_rows - a < FF_SEGMENT_GROUP_ROWS ? in->n_rows - a
								  : FF_SEGMENT_GROUP_ROWS;
		rc = ff__seg_group(w, a, n);
	}
	ff__seg_time_bounds(w);
	return rc;
}

/* --- the file ----------------------------------------------------------------- */

/* Header and directory into `buf`; block offsets are assigned here. */
static void ff__seg_header(ff__seg_writer *w, uint8_t *buf)
{
	size_t dir_len = w->n_blocks * FF__SEG_DIR_ENTRY;
	uint64_t off = FF__SEG_HDR_LEN + dir_len;
	for (size_t i = 0; i < w->n_blocks; i++) {
		w->blocks[i].e.offset = off;
		off += w->blocks[i].e.stored_len;
		ff__seg_entry_put(buf + FF__SEG_HDR_LEN + i * FF__SEG_DIR_ENTRY, &w->blocks[i].e);
	}
	memset(buf, 0, FF__SEG_HDR_LEN);
	ff__put32(buf, FF__SEG_MAGIC);
	ff__put16(buf + 4, FF_SEGMENT_VERSION);
	ff__put16(buf + 6, FF__SEG_HDR_LEN);
	ff__put64(buf + 8, w->in->id);
	ff__put64(buf + 16, w->in->n_rows);
	ff__put32(buf + 24, FF_SEGMENT_GROUP_ROWS);
	ff__put32(buf + 28, (uint32_t)w->n_blocks);
	ff__put64(buf + 32, w->min_first);
	ff__put64(buf + 40, w->max_first);
	ff__put64(buf + 48, w->min_last);
	ff__put64(buf + 56, w->max_last);
	ff__put32(buf + 64, (uint32_t)w->in->n_batches);
	ff__put32(buf + 68, (uint32_t)w->in->n_agents);
	ff__put32(buf + 72, (uint32_t)w->n_exporters);
	ff__put32(buf + 76, ff__seg_crc(buf + FF__SEG_HDR_LEN, dir_len));
	ff__put32(buf + 84, ff__seg_crc(buf, 84));
}

static int ff__seg_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ff__seg_write_file(ff__seg_writer *w, int fd)
{
	size_t head_len = FF__SEG_HDR_LEN + w->n_blocks * FF__SEG_DIR_ENTRY;
	uint8_t *head = malloc(head_len);
	if (head == NULL)
		return FF_SEG_ENOMEM;
	ff__seg_header(w, head);
	int rc = ff__seg_write_all(fd, head, head_len);
	free(head);
	for (size_t i = 0; rc == 0 && i < w->n_blocks; i++)
		rc = ff__seg_write_all(fd, w->blocks[i].data, w->blocks[i].e.stored_len);
	return rc == 0 && fsync(fd) == 0 ? 0 : FF_SEG_EIO;
}

static int ff__seg_sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dfd >= 0 && fsync(dfd) == 0 ? 0 : FF_SEG_EIO;
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Writes tmp, syncs, renames into place, syncs the directory. */
static int ff__seg_commit(ff__seg_writer *w, const char *dir)
{
	char path[4096], tmp[4100];
	if (ff_segment_path(dir, w->in->id, path, sizeof path) != 0)
		return FF_SEG_EIO;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "segment: open(%s) failed", tmp);
		return FF_SEG_EIO;
	}
	int rc = ff__seg_write_file(w, fd);
	if (close(fd) != 0 && rc == 0)
		rc = FF_SEG_EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = FF_SEG_EIO;
	if (rc == 0)
		rc = ff__seg_sync_dir(dir);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "segment: writing %s failed, segment not sealed",
			     path);
		unlink(tmp);
	}
	return rc;
}

int ff_segment_write(const char *dir, const ff_segment_input *in)
{
	if (in->n_batches > UINT32_MAX || in->n_agents > UINT32_MAX ||
	    in->n_agents > (size_t)UINT32_MAX / (FF_AGENT_ID_MAX + 1))
		return FF_SEG_EFORMAT;
	ff__seg_writer w = {.in = in};
	int rc = ff__seg_encode(&w);
	if (rc == 0)
		rc = ff__seg_commit(&w, dir);
	for (size_t i = 0; i < w.n_blocks; i++)
		free(w.blocks[i].data);
	free(w.blocks);
	free(w.raw);
	free(w.exp_idx);
	return rc;
}
