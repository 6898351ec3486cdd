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

/* Sections first, then FF__COL_COUNT blocks per row group. */
#define FF__SEG_SECTIONS 3

struct ff_segment {
	ff_segment_meta meta;
	const uint8_t *map;
	size_t size;
	ff__seg_entry *dir;
	size_t n_dir;
	char (*agents)[FF_AGENT_ID_MAX + 1];
	uint8_t *exporters; /* 16 bytes per dictionary entry */
	size_t hdr_len;	    /* the directory starts here */
	/* 0 not yet verified, 1 verified good, else the negative error. */
	atomic_int verified;
};

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
static const uint8_t *ff__seg_block_bytes(const ff_segment *s, const ff__seg_entry *e, uint8_t *buf)
{
	const uint8_t *p = s->map + e->offset;
	if (e->compression == FF__COMP_NONE)
		return e->stored_len == e->raw_len ? p : NULL;
	int n = LZ4_decompress_safe((const char *)p, (char *)buf, (int)e->stored_len,
				    (int)e->raw_len);
	return n >= 0 && (uint32_t)n == e->raw_len ? buf : NULL;
}

/* A section's bytes, checked and decompressed into a malloc'd copy. */
static int ff__seg_section(const ff_segment *s, const ff__seg_entry *e, uint8_t **out)
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
#define FF__SEG_SLICE 128
#define FF__SEG_SLICE_BYTES (FF__SEG_SLICE * sizeof(uint64_t))
/*
 * Scratch: the slice's values, then the values of every column whose block
 * holds one value (width 0), filled once per group, then the needed blocks
 * decompressed side by side.
 */
#define FF__SEG_FIXED_AT FF__SEG_SLICE_BYTES
#define FF__SEG_BLOCKS_AT 65536
_Static_assert((1 + FF__COL_COUNT) * FF__SEG_SLICE_BYTES <= FF__SEG_BLOCKS_AT &&
		       FF__COL_COUNT == 18 + 2 &&
		       FF_SEGMENT_SCRATCH >=
			   FF__SEG_BLOCKS_AT + FF_SEGMENT_GROUP_ROWS * (2 * FF_ADDR_LEN + 18 * 8),
	       "FF_SEGMENT_SCRATCH holds the values and every column's widest block");

/* One needed column of the group being decoded. */
typedef struct ff__seg_src {
	const ff__seg_entry *e;
	const uint8_t *p;      /* the block's decoded bytes */
	const uint64_t *fixed; /* a width-0 integer column: its values for any slice */
	uint64_t prev;	       /* delta encoding: the last value of the previous slice */
} ff__seg_src;

/*
 * Unpacks `n` little-endian values of `width` bytes into v[], adding `base`
 * (a frame of reference's min) on the way. One loop per common width, so
 * the compiler turns each into plain loads: this runs for every value a
 * query reads.
 */
static void ff__seg_unpack(const uint8_t *p, uint8_t width, uint32_t n, uint64_t base,
			   uint64_t *v)
{
	switch (width) {
	case 0:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base;
		break;
	case 1:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + p[i];
		break;
	case 2:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le16(p + 2 * (size_t)i);
		break;
	case 3:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (ff_get_le16(p + 3 * (size_t)i) |
				       (uint32_t)p[3 * (size_t)i + 2] << 16);
		break;
	case 4:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le32(p + 4 * (size_t)i);
		break;
	case 8:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + ff_get_le64(p + 8 * (size_t)i);
		break;
	default: /* 5 to 7: rare (counters past 4 GB) */
		for (uint32_t i = 0; i < n; i++) {
			uint64_t x = 0;
			for (uint8_t k = 0; k < width; k++)
				x |= (uint64_t)p[(size_t)i * width + k] << (8 * k);
			v[i] = base + x;
		}
		break;
	}
}

/*
 * As ff__seg_unpack() for shuffled bytes: plane k holds byte k of every
 * value, planes `stride` bytes apart (the block's rows), `p` at the slice's
 * first row in plane 0. One pass per common width, every plane read in step.
 */
static void ff__seg_unshuffle(const uint8_t *p, uint8_t width, size_t stride, uint32_t n,
			      uint64_t base, uint64_t *v)
{
	const uint8_t *p1 = p + stride, *p2 = p1 + stride, *p3 = p2 + stride;
	switch (width) {
	case 2:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8);
		break;
	case 3:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16);
		break;
	case 4:
		for (uint32_t i = 0; i < n; i++)
			v[i] = base + (p[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16 |
				       (uint32_t)p3[i] << 24);
		break;
	default: {
		/*
		 * 5 to 8 bytes (counters of rollups pass 4 GB): one pass over
		 * eight planes, those past the width read from zeros.
		 */
		static const uint8_t zeros[FF__SEG_SLICE];
		const uint8_t *q[8];
		for (uint8_t k = 0; k < 8; k++)
			q[k] = k < width ? p + k * stride : zeros;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t lo = q[0][i] | (uint32_t)q[1][i] << 8 | (uint32_t)q[2][i] << 16 |
				      (uint32_t)q[3][i] << 24;
			uint64_t hi = q[4][i] | (uint32_t)q[5][i] << 8 | (uint32_t)q[6][i] << 16 |
				      (uint32_t)q[7][i] << 24;
			v[i] = base + (lo | hi << 32);
		}
		break;
	}
	}
}

/*
 * Undoes the delta encoding of rows [at, at + n), unpacked without a base:
 * row 0 is an offset from min, every later row a zigzag delta. The running
 * value goes from one slice to the next in src->prev.
 */
static void ff__seg_undo_delta(ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v)
{
	uint32_t i = 0;
	uint64_t prev = src->prev;
	if (at == 0 && n > 0) {
		prev = v[0] += src->e->min;
		i = 1;
	}
	for (; i < n; i++)
		prev = v[i] = prev + ff__unzigzag(v[i]);
	src->prev = prev;
}

/* The values of rows [at, at + n) of an integer (or IPv4 address) block into v[]. */
static void ff__seg_values(ff__seg_src *src, uint32_t at, uint32_t n, uint64_t *v)
{
	const ff__seg_entry *e = src->e;
	/* A duration is stored without a reference: min/max bound last_ms itself. */
	uint64_t base = e->encoding == FF__ENC_FOR || e->encoding == FF__ENC_V4 ? e->min : 0;
	if (e->shuffle && e->width > 1)
		ff__seg_unshuffle(src->p + at, e->width, e->rows, n, base, v);
	else
		ff__seg_unpack(src->p + (size_t)at * e->width, e->width, n, base, v);
	if (e->encoding == FF__ENC_DELTA)
		ff__seg_undo_delta(src, at, n, v);
}

/* Dictionary columns must index their dictionary: a bad index is a bad block. */
static int ff__seg_check_refs(const ff_segment *s, int col, const uint64_t *v, uint32_t n)
{
	uint64_t size = col == FF__COL_EXPORTER ? s->meta.n_exporters
			: col == FF__COL_AGENT	? s->meta.n_agents
						: UINT64_MAX;
	if (size == UINT64_MAX)
		return 0;
	/*
	 * The OR of the values bounds their maximum and vectorizes: the exact
	 * check runs only when it does not settle it.
	 */
	uint64_t any = 0;
	for (uint32_t i = 0; i < n; i++)
		any |= v[i];
	if (any < size)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] >= size)
			return FF_SEG_EBLOCK;
	return 0;
}

/* Stores v[i] into field `field` (of type `type`) of out[i], for i < n. */
#define FF__SEG_SCATTER(field, type)              \
	do {                                       \
		for (uint32_t i = 0; i < n; i++)   \
			out[i].field = (type)v[i]; \
	} while (0)
/* One loop per column: this runs for every value a query reads. */
static void ff__seg_scatter(const ff_segment *s, int col, const uint64_t *v, uint32_t n,
			    ff_flow *out)
{
	switch (col) {
	case FF__COL_FIRST:
		FF__SEG_SCATTER(first_ms, uint64_t);
		break;
	case FF__COL_LAST:
		/* Stored as zigzag(last - first): FIRST is decoded before it. */
		for (uint32_t i = 0; i < n; i++)
			out[i].last_ms = out[i].first_ms + ff__unzigzag(v[i]);
		break;
	case FF__COL_BYTES:
		FF__SEG_SCATTER(bytes, uint64_t);
		break;
	case FF__COL_PACKETS:
		FF__SEG_SCATTER(packets, uint64_t);
		break;
	case FF__COL_FLOWS:
		FF__SEG_SCATTER(flows, uint64_t);
		break;
	case FF__COL_EXPORTER:
		for (uint32_t i = 0; i < n; i++)
			memcpy(out[i].exporter, s->exporters + v[i] * FF_ADDR_LEN, FF_ADDR_LEN);
		break;
	case FF__COL_SRC_AS:
		FF__SEG_SCATTER(src_as, uint32_t);
		break;
	case FF__COL_DST_AS:
		FF__SEG_SCATTER(dst_as, uint32_t);
		break;
	case FF__COL_IN_IF:
		FF__SEG_SCATTER(in_if, uint32_t);
		break;
	case FF__COL_OUT_IF:
		FF__SEG_SCATTER(out_if, uint32_t);
		break;
	case FF__COL_SAMPLING:
		FF__SEG_SCATTER(sampling_rate, uint32_t);
		break;
	case FF__COL_WILDCARDS:
		FF__SEG_SCATTER(wildcards, uint32_t);
		break;
	case FF__COL_AGENT:
		FF__SEG_SCATTER(agent_ref, uint32_t);
		break;
	case FF__COL_SRC_PORT:
		FF__SEG_SCATTER(src_port, uint16_t);
		break;
	case FF__COL_DST_PORT:
		FF__SEG_SCATTER(dst_port, uint16_t);
		break;
	case FF__COL_PROTO:
		FF__SEG_SCATTER(proto, uint8_t);
		break;
	case FF__COL_TCP_FLAGS:
		FF__SEG_SCATTER(tcp_flags, uint8_t);
		break;
	case FF__COL_TOS:
		FF__SEG_SCATTER(tos, uint8_t);
		break;
	default:
		break;
	}
}
#undef FF__SEG_SCATTER

/* Writes the v4-mapped form of the IPv4 address v (host order) into a. */
static inline void ff__seg_put_v4(uint8_t *a, uint64_t v)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(a, prefix, sizeof prefix);
	ff_put_be32(a + 12, (uint32_t)v);
}

/* Rows [at, at + n) of an address column into out[0 .. n). */
static void ff__seg_decode_addr(ff__seg_src *src, uint32_t at, uint32_t n, ff_flow *out,
				uint64_t *v)
{
	const ff__seg_entry *e = src->e;
	size_t off = e->column == FF__COL_SRC_ADDR ? offsetof(ff_flow, src_addr)
						   : offsetof(ff_flow, dst_addr);
	if (e->encoding == FF__ENC_BYTES) {
		const uint8_t *p = src->p + (size_t)at * FF_ADDR_LEN;
		for (uint32_t i = 0; i < n; i++)
			memcpy((uint8_t *)&out[i] + off, p + (size_t)i * FF_ADDR_LEN, FF_ADDR_LEN);
		return;
	}
	/* Bits past 32, which only a crafted block could hold, are dropped. */
	ff__seg_values(src, at, n, v);
	for (uint32_t i = 0; i < n; i++)
		ff__seg_put_v4((uint8_t *)&out[i] + off, v[i]);
}

/* Rows [at, at + n) of one column into out[0 .. n). */
static int ff__seg_decode_slice(const ff_segment *s, ff__seg_src *src, uint32_t at, uint32_t n,
				ff_flow *out, uint64_t *v)
{
	int col = src->e->column;
	if (src->fixed != NULL) {
		ff__seg_scatter(s, col, src->fixed, n, out);
		return 0;
	}
	if (ff__seg_is_addr(col)) {
		ff__seg_decode_addr(src, at, n, out, v);
		return 0;
	}
	ff__seg_values(src, at, n, v);
	if (ff__seg_check_refs(s, col, v, n) != 0)
		return FF_SEG_EBLOCK;
	ff__seg_scatter(s, col, v, n, out);
	return 0;
}

/* The columns a mask of FF_SEGMENT_COL_* bits asks for, with those every scan needs. */
static uint32_t ff__seg_cols(uint32_t cols)
{
	if (cols == FF_SEGMENT_COLS_ALL)
		return (1u << FF__COL_COUNT) - 1;
	cols |= 1u << FF__COL_AGENT | 1u << FF__COL_WILDCARDS;
	if (cols & 1u << FF__COL_LAST)
		cols |= 1u << FF__COL_FIRST;
	return cols;
}

/*
 * A width-0 integer column holds one value (min; 0 for durations, which
 * have no reference): fills a slice of it once, checking a dictionary index
 * once, so the slices only copy it into the records.
 */
static int ff__seg_fixed(const ff_segment *s, const ff__seg_entry *e, uint64_t *fixed)
{
	uint64_t value = e->encoding == FF__ENC_DURATION ? 0 : e->min;
	for (uint32_t i = 0; i < FF__SEG_SLICE; i++)
		fixed[i] = value;
	return ff__seg_check_refs(s, e->column, fixed, 1);
}

/*
 * Decompresses every wanted block of a group, each into its own part of the
 * scratch, and fills src[] in column order (FIRST before LAST, which needs
 * it). Returns the number of columns or FF_SEG_EBLOCK.
 */
static int ff__seg_sources(const ff_segment *s, const ff__seg_entry *e, uint32_t want,
			   uint8_t *scratch, ff__seg_src *src)
{
	size_t used = FF__SEG_BLOCKS_AT;
	int n = 0;
	for (int col = 0; col < FF__COL_COUNT; col++) {
		if (!(want & 1u << col))
			continue;
		/* Directory checks bound every block; this keeps a bad one in the scratch anyway. */
		if (e[col].raw_len > FF_SEGMENT_SCRATCH - used)
			return FF_SEG_EBLOCK;
		/* Even an empty (width-0) block must decode, as before. */
		const uint8_t *p = ff__seg_block_bytes(s, &e[col], scratch + used);
		if (p == NULL)
			return FF_SEG_EBLOCK;
		if (p != s->map + e[col].offset)
			used += e[col].raw_len;
		src[n] = (ff__seg_src){.e = &e[col], .p = p};
		if (e[col].width == 0 && !ff__seg_is_addr(col)) {
			uint64_t *fixed = (uint64_t *)(void *)(scratch + FF__SEG_FIXED_AT +
							       (size_t)col * FF__SEG_SLICE_BYTES);
			if (ff__seg_fixed(s, &e[col], fixed) != 0)
				return FF_SEG_EBLOCK;
			src[n].fixed = fixed;
		}
		n++;
	}
	return n;
}

long ff_segment_read_group_cols(const ff_segment *s, size_t g, uint32_t cols, ff_flow *out,
				uint8_t *scratch)
{
	if (g >= ff_segment_groups(s))
		return FF_SEG_EFORMAT;
	const ff__seg_entry *e = &s->dir[FF__SEG_SECTIONS + g * FF__COL_COUNT];
	ff__seg_src src[FF__COL_COUNT];
	int n_src = ff__seg_sources(s, e, ff__seg_cols(cols), scratch, src);
	if (n_src < 0)
		return n_src;
	uint64_t *v = (uint64_t *)(void *)scratch;
	uint32_t rows = e->rows;
	for (uint32_t at = 0; at < rows; at += FF__SEG_SLICE) {
		uint32_t n = rows - at < FF__SEG_SLICE ? rows - at : FF__SEG_SLICE;
		/* The reserved byte and the tail padding are zero, as the writer had them. */
		if (cols == FF_SEGMENT_COLS_ALL)
			memset(out + at, 0, n * sizeof *out);
		for (int k = 0; k < n_src; k++)
			if (ff__seg_decode_slice(s, &src[k], at, n, out + at, v) != 0)
				return FF_SEG_EBLOCK;
	}
	return (long)rows;
}

long ff_segment_read_group(const ff_segment *s, size_t g, ff_flow *out, uint8_t *scratch)
{
	return ff_segment_read_group_cols(s, g, FF_SEGMENT_COLS_ALL, out, scratch);
}

int ff_segment_batches(const ff_segment *s, ff_segment_batch **out, size_t *n)
{
	uint8_t *raw;
	int rc = ff__seg_section(s, &s->dir[2], &raw);
	if (rc != 0)
		return rc;
	size_t nb = s->meta.n_batches;
	ff_segment_batch *b = calloc(nb ? nb : 1, sizeof *b);
	for (size_t i = 0; b != NULL && i < nb; i++) {
		const uint8_t *p = raw + i * FF__SEG_BATCH_LEN;
		b[i].agent = ff_get_le32(p);
		b[i].interval_len_ms = ff_get_le32(p + 4);
		b[i].epoch = ff_get_le64(p + 8);
		b[i].sequence = ff_get_le64(p + 16);
		b[i].interval_start_ms = ff_get_le64(p + 24);
		b[i].policy_version = ff_get_le64(p + 32);
		b[i].n_records = ff_get_le32(p + 40);
		if (b[i].agent >= s->meta.n_agents)
			rc = FF_SEG_EFORMAT;
	}
	free(raw);
	if (b == NULL || rc != 0) {
		free(b);
		return b == NULL ? -ENOMEM : rc;
	}
	*out = b;
	*n = nb;
	return 0;
}
