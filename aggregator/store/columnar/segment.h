#ifndef FF_SEGMENT_H
#define FF_SEGMENT_H

/*
 * Immutable columnar segment files: the sealed part of the columnar store.
 * A segment holds the records of one closed time window, column by column,
 * in row groups of FF_SEGMENT_GROUP_ROWS rows; every column of a row group
 * is one block (cheaply encoded, then lz4-compressed when that pays) with
 * its own CRC-32. The header carries the time bounds of the records, so a
 * query skips a segment outside its window without reading any block, and
 * the agent dictionary, so an agent's query skips segments without it.
 * The batch table keeps each stored batch's identity for the replay at
 * start. The byte layout is in docs/storage.md.
 *
 * A segment is written once (ff_segment_write, atomically: temporary file,
 * fsync, rename, fsync of the directory) and then only read. An opened
 * ff_segment is immutable and may be read by several threads at once.
 */

#include "ff_batch.h"
#include "ff_block.h"
#include "ff_err.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The layout version written; version 1 files are still read. */
#define FF_SEGMENT_VERSION    2
#define FF_SEGMENT_GROUP_ROWS 65536
/*
 * Bytes of scratch ff_segment_read_group() needs: 64 KB for the values of
 * the rows being decoded, then every column of a group decompressed
 * side by side (two addresses of 16 bytes, 18 integers of at most 8 bytes).
 * Most of it is never touched (blocks that were not compressed are read from
 * the mapping, and few columns need 8 bytes), so malloc it, do not calloc it.
 */
#define FF_SEGMENT_SCRATCH (65536 + FF_SEGMENT_GROUP_ROWS * (2 * FF_ADDR_LEN + 18 * 8))

/*
 * What a damaged segment file gives, named for segments; the codes are the
 * shared ones of files on disk (common/ff_err.h). Besides these, functions
 * return -errno when open, read, write, sync or rename fail (logged) and
 * -ENOMEM.
 */
enum ff_segment_error {
	FF_SEG_EMAGIC = FF_EMAGIC,     /* not a segment file */
	FF_SEG_EVERSION = FF_EVERSION, /* a layout version this build does not read */
	FF_SEG_EHEADER = FF_ECHECKSUM, /* header or directory fails its CRC */
	FF_SEG_ETRUNC = FF_ETRUNCATED, /* the file is shorter than its directory says */
	FF_SEG_EBLOCK = FF_EBLOCK,     /* a block fails its CRC or does not decode */
	FF_SEG_EFORMAT = FF_EFORMAT,   /* an intact directory that makes no sense */
};

/* One stored batch's identity, as the batch table keeps it. */
typedef struct ff_segment_batch {
	uint32_t agent; /* index into the segment's agent dictionary */
	uint32_t interval_len_ms;
	uint64_t epoch;
	uint64_t sequence;
	uint64_t interval_start_ms;
	uint64_t policy_version;
	uint32_t n_records;
} ff_segment_batch;

/* What a segment file holds: raw records, or a rollup of raw segments. */
enum ff_segment_kind {
	FF_SEGMENT_RAW = 0,
	FF_SEGMENT_MINUTE = 1, /* a minute rollup */
	FF_SEGMENT_HOUR = 2,   /* an hour rollup */
};

/*
 * What a segment is written from; everything is borrowed. rows[i].agent_ref
 * is an index into `agents` (NUL-terminated agent ids). The writer orders
 * the rows itself (docs/storage.md), so rows come back in another order.
 *
 * The rollup fields: for FF_SEGMENT_RAW, rollup_keys and bin_ms must be 0
 * and covers_first/covers_last are ignored (written as `id`); for a rollup,
 * bin_ms > 0, rollup_keys only enum ff_field bits (common/ff_flow.h) and
 * covers_first <= covers_last, the raw segment ids the rollup summarizes.
 */
typedef struct ff_segment_input {
	uint64_t id;
	const ff_flow *rows;
	size_t n_rows;
	const char *const *agents;
	size_t n_agents;
	const ff_segment_batch *batches;
	size_t n_batches;
	enum ff_segment_kind kind;
	uint32_t rollup_keys; /* enum ff_field bits the rollup keeps */
	uint64_t bin_ms;      /* the rollup's time bin */
	uint64_t covers_first, covers_last;
	uint64_t written_ms; /* when it is written (unix ms, kept to the second); 0: now */
} ff_segment_input;

typedef struct ff_segment_meta {
	uint64_t id;
	uint64_t rows;
	uint64_t file_bytes;
	uint32_t n_batches;
	uint32_t n_agents;
	uint32_t n_exporters;
	uint64_t min_first_ms, max_first_ms; /* all 0 for a segment without rows */
	uint64_t min_last_ms, max_last_ms;
	/* As written (ff_segment_input); a version 1 file reads as raw, covers = id. */
	enum ff_segment_kind kind;
	uint32_t rollup_keys;
	uint64_t bin_ms;
	uint64_t covers_first, covers_last;
	uint16_t version; /* the file's layout version */
	/*
	 * When the file was written (unix ms, to the second): the header's, or
	 * for a file written before the header kept it, the file's mtime.
	 * Retention falls back on it for records stamped far from it.
	 */
	uint64_t written_ms;
} ff_segment_meta;

typedef struct ff_segment ff_segment;

/* "DIR/seg-<id as 16 hex digits>.ffs" into buf; -1 when it does not fit. */
int ff_segment_path(const char *dir, uint64_t id, char *buf, size_t len);

/* The id of a file named like ff_segment_path() makes; -1 for another name. */
int ff_segment_parse_name(const char *name, uint64_t *id);

/*
 * Writes `in` as segment `in->id` into `dir` atomically: a crash leaves
 * either no segment file or the whole one (and maybe a *.tmp the store
 * removes at open). Returns 0 or -errno / -ENOMEM / FF_SEG_EFORMAT
 * (more than 2^32 - 1 rows, batches, agents or exporters, or rollup fields that
 * break the rules above).
 */
int ff_segment_write(const char *dir, const ff_segment_input *in);

/*
 * Opens and maps a segment, checking header, directory, dictionaries and
 * batch table (not the column blocks: ff_segment_verify). Returns 0 with
 * *out set (free with ff_segment_close), or an ff_segment_error, -errno or
 * -ENOMEM.
 */
int ff_segment_open(const char *path, ff_segment **out);

void ff_segment_close(ff_segment *s);

const ff_segment_meta *ff_segment_get_meta(const ff_segment *s);

/* Agent id of dictionary index `i` (borrowed, lives as long as `s`). */
const char *ff_segment_agent(const ff_segment *s, uint32_t i);

/* The dictionary index of `agent_id`, or -1 when the segment has no record of it. */
long ff_segment_find_agent(const ff_segment *s, const char *agent_id);

/*
 * Checks the CRC of every column block once; later calls return the first
 * answer without reading again. Returns 0 or FF_SEG_EBLOCK.
 */
int ff_segment_verify(ff_segment *s);

/* Row groups in the segment; group g holds rows [g * GROUP_ROWS, ...). */
size_t ff_segment_groups(const ff_segment *s);

/*
 * What the directory says of row group `g` without reading it: the bounds
 * of its first_ms and of its agent dictionary indexes, so a scan can skip it.
 */
typedef struct ff_segment_group_info {
	uint64_t min_first_ms, max_first_ms;
	uint32_t min_agent, max_agent;
	uint32_t rows;
} ff_segment_group_info;

void ff_segment_group(const ff_segment *s, size_t g, ff_segment_group_info *out);

/*
 * Decodes row group `g` into `out` (room for FF_SEGMENT_GROUP_ROWS records),
 * using `scratch` (FF_SEGMENT_SCRATCH bytes, caller's, so several threads can
 * read one segment). out[i].agent_ref is the agent's dictionary index.
 * Returns the number of rows, or an ff_segment_error or -ENOMEM.
 */
long ff_segment_read_group(const ff_segment *s, size_t g, ff_flow *out, uint8_t *scratch);

/*
 * Columns to decode, one bit per column in the order docs/storage.md lists
 * them; FF_SEGMENT_COLS_ALL (0) for every column.
 */
enum ff_segment_col_bit {
	FF_SEGMENT_COLS_ALL = 0,
	FF_SEGMENT_COL_FIRST = 1u << 0,
	FF_SEGMENT_COL_LAST = 1u << 1,
	FF_SEGMENT_COL_BYTES = 1u << 2,
	FF_SEGMENT_COL_PACKETS = 1u << 3,
	FF_SEGMENT_COL_FLOWS = 1u << 4,
	FF_SEGMENT_COL_SRC_ADDR = 1u << 5,
	FF_SEGMENT_COL_DST_ADDR = 1u << 6,
	FF_SEGMENT_COL_EXPORTER = 1u << 7,
	FF_SEGMENT_COL_SRC_AS = 1u << 8,
	FF_SEGMENT_COL_DST_AS = 1u << 9,
	FF_SEGMENT_COL_IN_IF = 1u << 10,
	FF_SEGMENT_COL_OUT_IF = 1u << 11,
	FF_SEGMENT_COL_SAMPLING = 1u << 12,
	FF_SEGMENT_COL_WILDCARDS = 1u << 13,
	FF_SEGMENT_COL_AGENT = 1u << 14,
	FF_SEGMENT_COL_SRC_PORT = 1u << 15,
	FF_SEGMENT_COL_DST_PORT = 1u << 16,
	FF_SEGMENT_COL_PROTO = 1u << 17,
	FF_SEGMENT_COL_TCP_FLAGS = 1u << 18,
	FF_SEGMENT_COL_TOS = 1u << 19,
};

/*
 * As ff_segment_read_group(), decoding only the columns in `cols` (agent and
 * wildcards always, first_ms with last_ms): a query reads a few of twenty.
 * The other fields of out[] are left as they were, not zeroed, since
 * clearing 64 K records costs as much as decoding a column.
 */
long ff_segment_read_group_cols(const ff_segment *s, size_t g, uint32_t cols, ff_flow *out,
				uint8_t *scratch);

/*
 * The bounds of column `col_bit` (one FF_SEGMENT_COL_* bit) over row group
 * `g`, from the directory, without reading the group: every value of the
 * column lies in [*min, *max]. They are the exact minimum and maximum for
 * every integer column but last_ms, whose bounds are derived from first_ms
 * and the stored durations and may be wider. The agent column's bounds are
 * dictionary indexes. Returns 0, or -1 (nothing written) for a column
 * without integer bounds (addresses, exporter), a mask that is not exactly
 * one column, or a group out of range.
 */
int ff_segment_group_bounds(const ff_segment *s, size_t g, int col_bit, uint64_t *min,
			    uint64_t *max);

/*
 * A reader of row groups as column blocks (ff_block.h), for scans that
 * aggregate a few columns: no records are built. One per thread; it owns
 * its scratch (FF_SEGMENT_SCRATCH bytes). NULL from new when out of memory.
 */
typedef struct ff_segment_cursor ff_segment_cursor;

ff_segment_cursor *ff_segment_cursor_new(void);
void ff_segment_cursor_free(ff_segment_cursor *c);

/*
 * Starts reading row group `g` of `s` (borrowed until the next start),
 * columns `cols` (FF_SEGMENT_COL_* bits, as ff_segment_read_group_cols();
 * agent and wildcards always). Of those, the ones outside `early` may come
 * lazily (ff_block.lazy: decoded by ff_block_load() for the rows a reader
 * chose, valid until the next call); FF_SEGMENT_COLS_ALL (0) decodes every
 * column for every row. Returns 0, FF_SEG_EBLOCK or FF_SEG_EFORMAT.
 */
int ff_segment_cursor_start(ff_segment_cursor *c, const ff_segment *s, size_t g, uint32_t cols,
			    uint32_t early);

/*
 * Decodes the group's next rows, up to FF_BLOCK_ROWS, into `buf` and points
 * `out` at them (some arrays may point into the cursor's scratch, valid
 * until the next call). buf->agent[i] holds row i's agent dictionary index;
 * out->agent_id is left NULL for the caller. Returns the number of rows,
 * 0 at the group's end, or FF_SEG_EBLOCK.
 */
long ff_segment_cursor_next(ff_segment_cursor *c, ff_block_buf *buf, ff_block *out);

/*
 * Whether a lazy column of the current group failed to decode in
 * ff_block_load() (which then returned FF_SEG_EBLOCK to the reader).
 */
bool ff_segment_cursor_failed(const ff_segment_cursor *c);

/* How one column block of a row group is stored, for tools (ffsegstat). */
typedef struct ff_segment_block_info {
	uint8_t encoding;   /* 0 bytes, 1 frame of reference, 2 delta, 3 IPv4 */
	uint8_t width;	    /* bytes per value as encoded */
	bool shuffled;	    /* bytes grouped by significance before lz4 */
	bool compressed;    /* lz4 */
	uint32_t rows;
	uint32_t encoded_len; /* bytes after encoding, before lz4 */
	uint32_t stored_len;  /* bytes in the file */
} ff_segment_block_info;

/*
 * Describes the block of column `col` (0 .. FF_SEGMENT_COLUMNS - 1, the
 * bit index of its FF_SEGMENT_COL_* bit) in row group `g`. Returns 0, or
 * -1 when either is out of range.
 */
#define FF_SEGMENT_COLUMNS 20
int ff_segment_block(const ff_segment *s, size_t g, int col, ff_segment_block_info *out);

/*
 * Decodes the batch table; *out is malloc'd (caller frees), *n its length.
 * Returns 0, an ff_segment_error or -ENOMEM.
 */
int ff_segment_batches(const ff_segment *s, ff_segment_batch **out, size_t *n);

#endif
