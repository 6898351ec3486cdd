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
#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

#define FF_SEGMENT_VERSION    1
#define FF_SEGMENT_GROUP_ROWS 65536
/*
 * Bytes of scratch ff_segment_read_group() needs: the widest column of a
 * group decompressed, then one 64-bit integer per row.
 */
#define FF_SEGMENT_SCRATCH (FF_SEGMENT_GROUP_ROWS * (FF_ADDR_LEN + 8))

enum ff_segment_error {
	FF_SEG_EIO = -60,      /* open, read, write, sync or rename failed (logged) */
	FF_SEG_EMAGIC = -61,   /* not a segment file */
	FF_SEG_EVERSION = -62, /* a layout version this build does not read */
	FF_SEG_EHEADER = -63,  /* header or directory fails its CRC */
	FF_SEG_ETRUNC = -64,   /* the file is shorter than its directory says */
	FF_SEG_EBLOCK = -65,   /* a block fails its CRC or does not decode */
	FF_SEG_EFORMAT = -66,  /* an intact directory that makes no sense */
	FF_SEG_ENOMEM = -67,
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

/*
 * What a segment is written from; everything is borrowed. rows[i].agent_ref
 * is an index into `agents` (NUL-terminated agent ids).
 */
typedef struct ff_segment_input {
	uint64_t id;
	const ff_flow *rows;
	size_t n_rows;
	const char *const *agents;
	size_t n_agents;
	const ff_segment_batch *batches;
	size_t n_batches;
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
} ff_segment_meta;

typedef struct ff_segment ff_segment;

/* A short word for an ff_segment_error. */
const char *ff_segment_strerror(int err);

/* "DIR/seg-<id as 16 hex digits>.ffs" into buf; -1 when it does not fit. */
int ff_segment_path(const char *dir, uint64_t id, char *buf, size_t len);

/* The id of a file named like ff_segment_path() makes; -1 for another name. */
int ff_segment_parse_name(const char *name, uint64_t *id);

/*
 * Writes `in` as segment `in->id` into `dir` atomically: a crash leaves
 * either no segment file or the whole one (and maybe a *.tmp the store
 * removes at open). Returns 0 or FF_SEG_EIO / FF_SEG_ENOMEM / FF_SEG_EFORMAT
 * (more than 2^32 - 1 batches, agents or exporters).
 */
int ff_segment_write(const char *dir, const ff_segment_input *in);

/*
 * Opens and maps a segment, checking header, directory, dictionaries and
 * batch table (not the column blocks: ff_segment_verify). Returns 0 with
 * *out set (free with ff_segment_close), or a negative ff_segment_error.
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
 * Returns the number of rows, or a negative ff_segment_error.
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
 * Decodes the batch table; *out is malloc'd (caller frees), *n its length.
 * Returns 0 or a negative ff_segment_error.
 */
int ff_segment_batches(const ff_segment *s, ff_segment_batch **out, size_t *n);

#endif
