#ifndef FF_SEGMENT_FORMAT_H
#define FF_SEGMENT_FORMAT_H

/*
 * The byte layout of a segment file (version 2; version 1 is read too),
 * shared by the writer
 * (segment_write.c) and the reader (segment_read.c); docs/storage.md documents
 * the same layout for people. Internal to the segment module: ff__ names.
 * Every field is little-endian and read or written byte by byte, never as
 * a struct, so the file is the same on every machine.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF__SEG_MAGIC	  0x47535346u /* bytes "FSSG" (46 53 53 47), as files have always had */
#define FF__SEG_HDR_LEN_V1 88  /* version 1: no rollup fields */
#define FF__SEG_HDR_LEN	   120 /* version 2 */
#define FF__SEG_DIR_ENTRY  48
/* The header's written time (offset 112, u32; 0 in older files) counts seconds. */
#define FF__SEG_WRITTEN_UNIT_MS 1000u

/* Column ids; the order is the order of a row group's blocks on disk. */
enum ff__seg_col {
	FF__COL_FIRST,	  /* first_ms, delta-encoded */
	FF__COL_LAST,	  /* last_ms as zigzag(last_ms - first_ms) */
	FF__COL_BYTES,
	FF__COL_PACKETS,
	FF__COL_FLOWS,
	FF__COL_SRC_ADDR, /* 16 raw bytes, or IPv4 as an integer */
	FF__COL_DST_ADDR, /* 16 raw bytes, or IPv4 as an integer */
	FF__COL_EXPORTER, /* index into the exporter dictionary */
	FF__COL_SRC_AS,
	FF__COL_DST_AS,
	FF__COL_IN_IF,
	FF__COL_OUT_IF,
	FF__COL_SAMPLING,
	FF__COL_WILDCARDS,
	FF__COL_AGENT,	  /* index into the agent dictionary */
	FF__COL_SRC_PORT,
	FF__COL_DST_PORT,
	FF__COL_PROTO,
	FF__COL_TCP_FLAGS,
	FF__COL_TOS,
	FF__COL_COUNT,
	/* Sections that are not row columns. */
	FF__SEC_AGENTS = 200,
	FF__SEC_EXPORTERS = 201,
	FF__SEC_BATCHES = 202,
};

enum ff__seg_encoding {
	FF__ENC_BYTES = 0, /* opaque bytes (sections) or fixed 16-byte values */
	FF__ENC_FOR = 1,   /* value - min, `width` bytes each */
	FF__ENC_DELTA = 2, /* first: value - min; then zigzag(v[i] - v[i-1]) */
	FF__ENC_V4 = 3,	   /* addresses, all v4-mapped: the IPv4 integer, as FOR */
	FF__ENC_DURATION = 4, /* last_ms: zigzag(last - first) as is; min/max of last_ms */
};

/* Every enum ff_field bit: what a rollup may keep. */
#define FF__SEG_ROLLUP_KEYS ((uint32_t)FF_FIELD_TCP_FLAGS * 2 - 1)

enum ff__seg_comp { FF__COMP_NONE = 0, FF__COMP_LZ4 = 1 };

#define FF__SEG_BATCH_LEN 48

/* A directory entry, decoded. */
typedef struct ff__seg_entry {
	uint8_t column;
	uint8_t encoding;
	uint8_t width;
	uint8_t compression;
	uint32_t rows;
	uint32_t raw_len;
	uint32_t stored_len;
	uint64_t offset;
	uint64_t min;
	uint64_t max;
	uint32_t crc;
	uint8_t shuffle; /* 1: values' bytes stored by significance (version 2) */
} ff__seg_entry;

static inline uint64_t ff__zigzag(uint64_t d)
{
	return (d << 1) ^ (uint64_t)-(int64_t)(d >> 63);
}

static inline uint64_t ff__unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
}

/* CRC-32 (IEEE, zlib's crc32) of `len` bytes. */
uint32_t ff__seg_crc(const uint8_t *p, size_t len);

/* True for the two address columns. */
static inline bool ff__seg_is_addr(int col)
{
	return col == FF__COL_SRC_ADDR || col == FF__COL_DST_ADDR;
}

/* Directory entries to and from their 48 bytes. */
void ff__seg_entry_put(uint8_t *p, const ff__seg_entry *e);
void ff__seg_entry_get(const uint8_t *p, ff__seg_entry *e);

#endif
