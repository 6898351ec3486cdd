#ifndef FF_SEGMENT_IMPL_H
#define FF_SEGMENT_IMPL_H

/*
 * What the segment reader's two halves share: the open file
 * (segment_read.c maps and checks it) and its column blocks
 * (segment_decode.c decodes them). Internal to the segment module.
 */

#include "segment.h"
#include "segment_format.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Sections first, then FF__COL_COUNT blocks per row group. */
#define FF__SEG_SECTIONS 3

struct ff_segment {
	ff_segment_meta meta;
	const uint8_t *map;
	size_t size;
	uint64_t mtime_ms; /* the file's, for meta.written_ms of files that do not say */
	ff__seg_entry *dir;
	size_t n_dir;
	char (*agents)[FF_AGENT_ID_MAX + 1];
	uint8_t *exporters; /* 16 bytes per dictionary entry */
	size_t hdr_len;	    /* the directory starts here */
	/* 0 not yet verified, 1 verified good, else the negative error. */
	atomic_int verified;
};

/*
 * A block's bytes (directory entry `e`, its CRC not checked): in the
 * mapping when stored plain, else decompressed into `buf` (raw_len bytes).
 * NULL when it does not decompress to raw_len.
 */
const uint8_t *ff__seg_block_bytes(const ff_segment *s, const ff__seg_entry *e, uint8_t *buf);

/*
 * A section's bytes (directory entry `e`), CRC-checked and decompressed
 * into a malloc'd copy the caller frees. Returns 0, -ENOMEM or FF_SEG_EBLOCK.
 */
int ff__seg_section(const ff_segment *s, const ff__seg_entry *e, uint8_t **out);

#endif
