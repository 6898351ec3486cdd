/*
 * Reading a segment. The file is mapped once; open checks everything but
 * the column blocks (header and directory CRCs, that every block lies in
 * the file and that row groups are whole), so a damaged file is refused
 * before anything reads it, with an error saying which kind of damage.
 * Column blocks are checked by ff_segment_verify() once, before the first
 * query decodes them, so a query never counts half a corrupt segment.
 */
#include "segment.h"
#include "ff_bytes.h"
#include "segment_format.h"
#include "segment_impl.h"

#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <lz4.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(FF_SEGMENT_COL_AGENT == 1u << FF__COL_AGENT &&
		       FF_SEGMENT_COL_TOS == 1u << FF__COL_TOS && FF__COL_COUNT == 20 &&
		       FF_SEGMENT_COLUMNS == FF__COL_COUNT,
	       "the public column bits follow the on-disk column order");


int ff_segment_path(const char *dir, uint64_t id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/seg-%016" PRIx64 ".ffs", dir, id);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int ff_segment_parse_name(const char *name, uint64_t *id)
{
	if (strlen(name) != 24 || strncmp(name, "seg-", 4) != 0 || strcmp(name + 20, ".ffs") != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 4; i < 20; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*id = v;
	return 0;
}

/* --- blocks ------------------------------------------------------------------- */

static int ff__seg_block_crc(const ff_segment *s, const ff__seg_entry *e)
{
	return ff__seg_crc(s->map + e->offset, e->stored_len) == e->crc ? 0 : FF_SEG_EBLOCK;
}

/* The decoded bytes of a block: the mapping itself, or `buf` after lz4. */
const uint8_t *ff__seg_block_bytes(const ff_segment *s, const ff__seg_entry *e, uint8_t *buf)
{
	const uint8_t *p = s->map + e->offset;
	if (e->compression == FF__COMP_NONE)
		return e->stored_len == e->raw_len ? p : NULL;
	int n = LZ4_decompress_safe((const char *)p, (char *)buf, (int)e->stored_len,
				    (int)e->raw_len);
	return n >= 0 && (uint32_t)n == e->raw_len ? buf : NULL;
}

/* A section's bytes, checked and decompressed into a malloc'd copy. */
int ff__seg_section(const ff_segment *s, const ff__seg_entry *e, uint8_t **out)
{
	uint8_t *buf = malloc(e->raw_len ? e->raw_len : 1);
	if (buf == NULL)
		return -ENOMEM;
	const uint8_t *p = ff__seg_block_crc(s, e) == 0 ? ff__seg_block_bytes(s, e, buf) : NULL;
	if (p == NULL) {
		free(buf);
		return FF_SEG_EBLOCK;
	}
	if (p != buf)
		memcpy(buf, p, e->raw_len);
	*out = buf;
	return 0;
}

/* --- open ----------------------------------------------------------------------- */

/* The rollup fields of a version 2 header; version 1 has none: raw, covers = id. */
static int ff__seg_read_rollup(ff_segment *s, const uint8_t *h)
{
	ff_segment_meta *m = &s->meta;
	if (m->version == 1) {
		m->kind = FF_SEGMENT_RAW;
		m->covers_first = m->covers_last = m->id;
		return 0;
	}
	m->kind = (enum ff_segment_kind)h[80];
	uint64_t written = ff_get_le32(h + 112) * (uint64_t)FF__SEG_WRITTEN_UNIT_MS;
	if (written != 0)
		m->written_ms = written;
	m->rollup_keys = ff_get_le32(h + 84);
	m->bin_ms = ff_get_le64(h + 88);
	m->covers_first = ff_get_le64(h + 96);
	m->covers_last = ff_get_le64(h + 104);
	if (h[80] == FF_SEGMENT_RAW)
		return m->rollup_keys == 0 && m->bin_ms == 0 && m->covers_first == m->id &&
			       m->covers_last == m->id
			   ? 0
			   : FF_SEG_EFORMAT;
	return h[80] <= FF_SEGMENT_HOUR && m->bin_ms > 0 &&
		       (m->rollup_keys & ~FF__SEG_ROLLUP_KEYS) == 0 &&
		       m->covers_first <= m->covers_last
		   ? 0
		   : FF_SEG_EFORMAT;
}

static int ff__seg_read_header(ff_segment *s)
{
	const uint8_t *h = s->map;
	if (s->size < 4 || ff_get_le32(h) != FF__SEG_MAGIC)
		return FF_SEG_EMAGIC;
	/* The version comes before the CRC: another version may lay the header out otherwise. */
	if (s->size < 6)
		return FF_SEG_ETRUNC;
	uint16_t version = ff_get_le16(h + 4);
	if (version != 1 && version != FF_SEGMENT_VERSION)
		return FF_SEG_EVERSION;
	size_t hdr_len = version == 1 ? FF__SEG_HDR_LEN_V1 : FF__SEG_HDR_LEN;
	if (s->size < hdr_len)
		return FF_SEG_ETRUNC;
	if (ff__seg_crc(h, hdr_len - 4) != ff_get_le32(h + hdr_len - 4) ||
	    ff_get_le16(h + 6) != hdr_len)
		return FF_SEG_EHEADER;
	ff_segment_meta *m = &s->meta;
	m->version = version;
	m->id = ff_get_le64(h + 8);
	m->rows = ff_get_le64(h + 16);
	m->min_first_ms = ff_get_le64(h + 32);
	m->max_first_ms = ff_get_le64(h + 40);
	m->min_last_ms = ff_get_le64(h + 48);
	m->max_last_ms = ff_get_le64(h + 56);
	m->n_batches = ff_get_le32(h + 64);
	m->n_agents = ff_get_le32(h + 68);
	m->n_exporters = ff_get_le32(h + 72);
	m->file_bytes = s->size;
	m->written_ms = s->mtime_ms; /* a version 2 header that says overrides it */
	s->hdr_len = hdr_len;
	s->n_dir = ff_get_le32(h + 28);
	if ((s->size - hdr_len) / FF__SEG_DIR_ENTRY < s->n_dir)
		return FF_SEG_ETRUNC;
	if (ff__seg_crc(h + hdr_len, s->n_dir * FF__SEG_DIR_ENTRY) != ff_get_le32(h + 76))
		return FF_SEG_EHEADER;
	if (ff_get_le32(h + 24) != FF_SEGMENT_GROUP_ROWS)
		return FF_SEG_EFORMAT;
	return ff__seg_read_rollup(s, h);
}

/*
 * The encodings a column may have. Widths are whole bytes up to 8;
 * addresses are 16 raw bytes, or (all IPv4) integers of up to 4 bytes.
 */
static bool ff__seg_width_ok(const ff__seg_entry *e, int col)
{
	if (e->shuffle > 1)
		return false;
	if (ff__seg_is_addr(col))
		return (e->encoding == FF__ENC_BYTES && e->width == FF_ADDR_LEN && !e->shuffle) ||
		       (e->encoding == FF__ENC_V4 && e->width <= 4 && e->min <= e->max &&
			e->max <= UINT32_MAX);
	bool enc = e->encoding == FF__ENC_FOR ||
		   (col == FF__COL_FIRST && e->encoding == FF__ENC_DELTA) ||
		   (col == FF__COL_LAST && e->encoding == FF__ENC_DURATION && e->min <= e->max);
	return enc && e->width <= 8;
}

/* Entry i must be column i % COUNT of its group, with the group's rows. */
static int ff__seg_check_entry(const ff_segment *s, size_t i, const ff__seg_entry *e)
{
	if (e->offset > s->size || s->size - e->offset < e->stored_len)
		return FF_SEG_ETRUNC;
	if (e->compression > FF__COMP_LZ4 || (e->compression == FF__COMP_NONE &&
					      e->stored_len != e->raw_len))
		return FF_SEG_EFORMAT;
	/*
	 * lz4 gives at most 255 bytes per stored byte (a match length byte adds
	 * 255): a longer decoded length is a lie, refused before a section's
	 * buffer of that length is allocated.
	 */
	if (e->compression == FF__COMP_LZ4 && e->raw_len / 255 > e->stored_len)
		return FF_SEG_EFORMAT;
	if (i < FF__SEG_SECTIONS)
		return e->column == FF__SEC_AGENTS + i && e->shuffle == 0 ? 0 : FF_SEG_EFORMAT;
	size_t k = i - FF__SEG_SECTIONS, g = k / FF__COL_COUNT;
	uint64_t left = s->meta.rows - (uint64_t)g * FF_SEGMENT_GROUP_ROWS;
	uint64_t rows = left < FF_SEGMENT_GROUP_ROWS ? left : FF_SEGMENT_GROUP_ROWS;
	int col = (int)(k % FF__COL_COUNT);
	if (e->column != col || e->rows != rows || !ff__seg_width_ok(e, col) ||
	    (uint64_t)e->rows * e->width != e->raw_len)
		return FF_SEG_EFORMAT;
	return 0;
}

static int ff__seg_read_dir(ff_segment *s)
{
	/* Not (rows + GROUP_ROWS - 1) / GROUP_ROWS, which wraps to 0 near 2^64 rows. */
	uint64_t groups =
	    s->meta.rows / FF_SEGMENT_GROUP_ROWS + (s->meta.rows % FF_SEGMENT_GROUP_ROWS != 0);
	if (s->n_dir != FF__SEG_SECTIONS + groups * FF__COL_COUNT)
		return FF_SEG_EFORMAT;
	s->dir = calloc(s->n_dir, sizeof *s->dir);
	if (s->dir == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_dir; i++) {
		ff__seg_entry_get(s->map + s->hdr_len + i * FF__SEG_DIR_ENTRY, &s->dir[i]);
		int rc = ff__seg_check_entry(s, i, &s->dir[i]);
		if (rc != 0)
			return rc;
	}
	const ff__seg_entry *a = &s->dir[0], *x = &s->dir[1], *b = &s->dir[2];
	/* An agent takes 2 bytes at least: a larger count would size a huge table. */
	if (a->rows != s->meta.n_agents || a->rows > a->raw_len / 2 ||
	    x->rows != s->meta.n_exporters || x->raw_len != (uint64_t)x->rows * FF_ADDR_LEN ||
	    b->rows != s->meta.n_batches || b->raw_len != (uint64_t)b->rows * FF__SEG_BATCH_LEN)
		return FF_SEG_EFORMAT;
	return 0;
}

static int ff__seg_read_agents(ff_segment *s)
{
	uint8_t *raw;
	int rc = ff__seg_section(s, &s->dir[0], &raw);
	if (rc != 0)
		return rc;
	s->agents = calloc(s->meta.n_agents ? s->meta.n_agents : 1, sizeof *s->agents);
	size_t off = 0, len = s->dir[0].raw_len;
	for (uint32_t i = 0; s->agents != NULL && i < s->meta.n_agents; i++) {
		size_t n = off < len ? raw[off] : 0;
		if (off >= len || n == 0 || n > FF_AGENT_ID_MAX || len - off - 1 < n) {
			rc = FF_SEG_EFORMAT;
			break;
		}
		memcpy(s->agents[i], raw + off + 1, n);
		off += 1 + n;
		if (!ff_agent_id_valid(s->agents[i])) {
			rc = FF_SEG_EFORMAT;
			break;
		}
	}
	free(raw);
	if (s->agents == NULL)
		return -ENOMEM;
	return rc == 0 && off != len ? FF_SEG_EFORMAT : rc;
}

static int ff__seg_map(const char *path, ff_segment *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int err = errno;
		ff_log_errno(FF_LOG_ERROR, err, "segment: open(%s) failed", path);
		if (fd >= 0)
			close(fd);
		return ff_err_errno(err);
	}
	s->size = (size_t)st.st_size;
	s->mtime_ms = (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
	int rc = 0;
	if (s->size > 0) {
		void *m = mmap(NULL, s->size, PROT_READ, MAP_SHARED, fd, 0);
		s->map = m == MAP_FAILED ? NULL : m;
		if (s->map == NULL) {
			rc = ff_err_errno(errno);
			ff_log_errno(FF_LOG_ERROR, rc, "segment: mmap(%s) failed", path);
		}
	}
	close(fd);
	return s->size == 0 ? FF_SEG_EMAGIC : rc;
}

int ff_segment_open(const char *path, ff_segment **out)
{
	ff_segment *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	atomic_init(&s->verified, 0);
	int rc = ff__seg_map(path, s);
	if (rc == 0)
		rc = ff__seg_read_header(s);
	if (rc == 0)
		rc = ff__seg_read_dir(s);
	if (rc == 0)
		rc = ff__seg_read_agents(s);
	if (rc == 0)
		rc = ff__seg_section(s, &s->dir[1], &s->exporters);
	if (rc != 0) {
		ff_segment_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ff_segment_close(ff_segment *s)
{
	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap((void *)s->map, s->size);
	free(s->dir);
	free(s->agents);
	free(s->exporters);
	free(s);
}

const ff_segment_meta *ff_segment_get_meta(const ff_segment *s)
{
	return &s->meta;
}

const char *ff_segment_agent(const ff_segment *s, uint32_t i)
{
	return i < s->meta.n_agents ? s->agents[i] : "";
}

long ff_segment_find_agent(const ff_segment *s, const char *agent_id)
{
	for (uint32_t i = 0; i < s->meta.n_agents; i++)
		if (strcmp(s->agents[i], agent_id) == 0)
			return (long)i;
	return -1;
}

int ff_segment_verify(ff_segment *s)
{
	int v = atomic_load(&s->verified);
	if (v != 0)
		return v > 0 ? 0 : v;
	int rc = 0;
	for (size_t i = FF__SEG_SECTIONS; i < s->n_dir && rc == 0; i++)
		rc = ff__seg_block_crc(s, &s->dir[i]);
	atomic_store(&s->verified, rc == 0 ? 1 : rc);
	return rc;
}

size_t ff_segment_groups(const ff_segment *s)
{
	return (s->n_dir - FF__SEG_SECTIONS) / FF__COL_COUNT;
}

void ff_segment_group(const ff_segment *s, size_t g, ff_segment_group_info *out)
{
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT];
	out->min_first_ms = e[FF__COL_FIRST].min;
	out->max_first_ms = e[FF__COL_FIRST].max;
	out->min_agent = (uint32_t)e[FF__COL_AGENT].min;
	out->max_agent = (uint32_t)e[FF__COL_AGENT].max;
	out->rows = e->rows;
}

int ff_segment_group_bounds(const ff_segment *s, size_t g, int col_bit, uint64_t *min,
			    uint64_t *max)
{
	uint32_t bit = (uint32_t)col_bit;
	if (g >= ff_segment_groups(s) || bit == 0 || (bit & (bit - 1)) != 0 ||
	    bit >= 1u << FF__COL_COUNT)
		return -1;
	int col = 0;
	while (bit >> col != 1)
		col++;
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT + (size_t)col];
	/* Version 1 kept last_ms as offsets from its durations' min: no bounds of last_ms. */
	if (ff__seg_is_addr(col) || col == FF__COL_EXPORTER ||
	    (col == FF__COL_LAST && e->encoding != FF__ENC_DURATION))
		return -1;
	*min = e->min;
	*max = e->max;
	return 0;
}

int ff_segment_block(const ff_segment *s, size_t g, int col, ff_segment_block_info *out)
{
	if (g >= ff_segment_groups(s) || col < 0 || col >= FF__COL_COUNT)
		return -1;
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT + (size_t)col];
	*out = (ff_segment_block_info){.encoding = e->encoding,
				       .width = e->width,
				       .shuffled = e->shuffle != 0,
				       .compressed = e->compression == FF__COMP_LZ4,
				       .rows = e->rows,
				       .encoded_len = e->raw_len,
				       .stored_len = e->stored_len};
	return 0;
}

/* --- decoding ------------------------------------------------------------------ */

/*
 * A group is decoded in slices of this many rows: every needed column writes
 * its fields of one slice's records (16 KB) before the next slice starts, so
 * the records stay in L1 across the columns instead of the whole 8 MB array
 * streaming through the cache once per column.
 */
