#ifndef FF_BLOCK_H
#define FF_BLOCK_H

/*
 * A column block: up to FF_BLOCK_ROWS stored records of one agent held
 * column by column, only the columns a reader asked for. Scans that
 * aggregate (top-N) read blocks instead of ff_flow records, so they touch
 * the bytes of a few fields per row instead of a 128-byte record, and run
 * one tight loop per column instead of a call per row.
 *
 * The columnar store decodes its segments straight into blocks; records
 * held as rows (an open window, a test's store) are transposed into them
 * with ff_block_from_rows(), so readers have one path.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Rows of a block at most: the columns a top-N reads of 2,048 rows (about
 * 100 KB) stay in a core's L2 cache from decoding to aggregating.
 */
#define FF_BLOCK_ROWS 2048

/* The record fields of a block, by column group (store.h's FF_STORE_F_* are these). */
enum ff_block_field {
	FF_BLOCK_F_TIMES = 1u << 0,    /* first_ms, last_ms */
	FF_BLOCK_F_COUNTERS = 1u << 1, /* bytes, packets, flows */
	FF_BLOCK_F_SRC_ADDR = 1u << 2,
	FF_BLOCK_F_DST_ADDR = 1u << 3,
	FF_BLOCK_F_EXPORTER = 1u << 4,
	FF_BLOCK_F_SRC_AS = 1u << 5,
	FF_BLOCK_F_DST_AS = 1u << 6,
	FF_BLOCK_F_IN_IF = 1u << 7,
	FF_BLOCK_F_OUT_IF = 1u << 8,
	FF_BLOCK_F_SAMPLING = 1u << 9,
	FF_BLOCK_F_SRC_PORT = 1u << 10,
	FF_BLOCK_F_DST_PORT = 1u << 11,
	FF_BLOCK_F_PROTO = 1u << 12,
	FF_BLOCK_F_TCP_FLAGS = 1u << 13,
	FF_BLOCK_F_TOS = 1u << 14,
	FF_BLOCK_F_ALL = (1u << 15) - 1,
};

/*
 * A view of one block; every array holds n values and is borrowed (it
 * lives until the callback that got the block returns). A column not asked
 * for is NULL. An address column is either src_v4/dst_v4 (every row IPv4:
 * host-order integers) or src_addr/dst_addr (16 bytes per row, IPv4
 * v4-mapped), never both. wildcards is always there.
 */
typedef struct ff_block {
	size_t n;
	const char *agent_id; /* every row's agent */
	const uint64_t *first_ms, *last_ms;
	const uint64_t *bytes, *packets, *flows;
	const uint32_t *src_v4, *dst_v4;
	const uint8_t *src_addr, *dst_addr, *exporter;
	const uint32_t *src_as, *dst_as, *in_if, *out_if, *sampling;
	const uint16_t *src_port, *dst_port;
	const uint8_t *proto, *tcp_flags, *tos;
	const uint32_t *wildcards; /* enum ff_field bits */
	uint32_t any_wildcards;	   /* the OR of wildcards[]: 0 lets readers skip them */
	/*
	 * Columns a store decodes only for the rows a reader chose (a scan's
	 * columns beyond those it selects rows by): while `lazy`, they are NULL
	 * here, and ff_block_load() brings them. `base` is the view's first row
	 * in what `load` decoded (ff_block_advance() moves it).
	 */
	bool lazy;
	size_t base;
	int (*load)(void *ctx, struct ff_block *b, const uint16_t *sel, size_t m);
	void *load_ctx;
} ff_block;

/*
 * Decodes the lazy columns of `b` for rows sel[0 .. m) and points `b` at
 * them (values of other rows are unspecified). Returns 0, or the store's
 * negative error (a block that does not decode).
 */
static inline int ff_block_load(ff_block *b, const uint16_t *sel, size_t m)
{
	if (!b->lazy)
		return 0;
	b->lazy = false;
	return b->load(b->load_ctx, b, sel, m);
}

/* Room for every column of one block, owned by whoever fills blocks (one per thread). */
typedef struct ff_block_buf {
	uint64_t first_ms[FF_BLOCK_ROWS], last_ms[FF_BLOCK_ROWS];
	uint64_t bytes[FF_BLOCK_ROWS], packets[FF_BLOCK_ROWS], flows[FF_BLOCK_ROWS];
	uint32_t src_v4[FF_BLOCK_ROWS], dst_v4[FF_BLOCK_ROWS];
	uint8_t src_addr[FF_BLOCK_ROWS][FF_ADDR_LEN], dst_addr[FF_BLOCK_ROWS][FF_ADDR_LEN];
	uint8_t exporter[FF_BLOCK_ROWS][FF_ADDR_LEN];
	uint32_t src_as[FF_BLOCK_ROWS], dst_as[FF_BLOCK_ROWS];
	uint32_t in_if[FF_BLOCK_ROWS], out_if[FF_BLOCK_ROWS], sampling[FF_BLOCK_ROWS];
	uint32_t wildcards[FF_BLOCK_ROWS], agent[FF_BLOCK_ROWS];
	uint16_t src_port[FF_BLOCK_ROWS], dst_port[FF_BLOCK_ROWS];
	uint8_t proto[FF_BLOCK_ROWS], tcp_flags[FF_BLOCK_ROWS], tos[FF_BLOCK_ROWS];
} ff_block_buf;

/*
 * Transposes rows[0 .. n) (n <= FF_BLOCK_ROWS, borrowed) into `buf` and
 * points `out` at the columns of `fields` (FF_BLOCK_F_* bits; 0 for all).
 * Address columns come as v4 integers when every row's address is IPv4.
 * out->agent_id is left for the caller.
 */
void ff_block_from_rows(const ff_flow *rows, size_t n, uint32_t fields, ff_block_buf *buf,
			ff_block *out);

/* What the lazy columns of a block of rows are loaded from (ff_block_from_rows_lazy()). */
typedef struct ff_block_rows_lazy {
	const ff_flow *rows;
	ff_block_buf *buf;
	uint32_t late; /* FF_BLOCK_F_* bits */
} ff_block_rows_lazy;

/*
 * As ff_block_from_rows() for the fields of `fields` in `early` only (0:
 * all of them, nothing lazy); the others come lazily, ff_block_load()
 * transposing them for the rows a reader chose. `lazy` (the caller's) and
 * the rows must live as long as `out` is read.
 */
void ff_block_from_rows_lazy(const ff_flow *rows, size_t n, uint32_t fields, uint32_t early,
			     ff_block_buf *buf, ff_block_rows_lazy *lazy, ff_block *out);

/*
 * Row i of `b` as a record: the fields `b` holds, the rest zero. For
 * readers that must evaluate something per row (an uncompiled filter).
 */
void ff_block_row(const ff_block *b, size_t i, ff_flow *out);

/* Rows [skip, skip + n) of `b` (skip + n <= b->n): a view of the same arrays. */
void ff_block_advance(const ff_block *b, size_t skip, size_t n, ff_block *out);

/* Points `b` at every column `from` holds, advanced by `skip` rows: for loaders of lazy columns. */
void ff_block_adopt(ff_block *b, const ff_block *from, size_t skip);

#endif
