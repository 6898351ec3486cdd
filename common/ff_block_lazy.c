/*
 * Blocks of records held as rows whose columns beyond those a reader
 * selects rows by come lazily (ff_block.h): a filtered scan of an open
 * window reads the filter's fields of every record and the rest only for
 * the records the filter kept. Records are 128 bytes, two cache lines, and
 * a filter's fields (ports, protocol, wildcards) lie in the second while
 * counters, times and addresses lie in the first: a filter keeping one row
 * in ten leaves most first lines unread.
 */
#include "ff_block.h"

#include <string.h>

/* Gathers one column for rows base + sel[j] and points v at it. */
#define FF_BLOCK_GATHER(flag, field, dst)                                                          \
	do {                                                                                       \
		if (late & (flag)) {                                                               \
			for (size_t j = 0; j < m; j++) {                                           \
				size_t i = base + sel[j];                                          \
				buf->dst[i] = rows[i].field;                                       \
			}                                                                          \
			v.dst = buf->dst;                                                          \
		}                                                                                  \
	} while (0)

/* One address column of rows base + sel[j]: v4 integers when all of those are IPv4. */
static void ff_block_gather_addr(const ff_flow *rows, size_t base, const uint16_t *sel, size_t m,
				 size_t off, uint32_t *v4, uint8_t (*addr)[FF_ADDR_LEN],
				 const uint32_t **out_v4, const uint8_t **out_addr)
{
	bool all_v4 = true;
	for (size_t j = 0; j < m && all_v4; j++)
		all_v4 = ff_addr_is_v4((const uint8_t *)&rows[base + sel[j]] + off);
	for (size_t j = 0; j < m; j++) {
		size_t i = base + sel[j];
		const uint8_t *a = (const uint8_t *)&rows[i] + off;
		if (all_v4)
			v4[i] = ff_addr_v4(a);
		else
			memcpy(addr[i], a, FF_ADDR_LEN);
	}
	if (all_v4)
		*out_v4 = v4;
	else
		*out_addr = &addr[0][0];
}

/* ff_block's load for blocks of rows: the late fields of the chosen rows. */
static int ff_block_rows_load(void *ctx, ff_block *b, const uint16_t *sel, size_t m)
{
	const ff_block_rows_lazy *z = ctx;
	const ff_flow *rows = z->rows;
	ff_block_buf *buf = z->buf;
	uint32_t late = z->late;
	size_t base = b->base;
	ff_block v = {.n = b->n};
	FF_BLOCK_GATHER(FF_BLOCK_F_TIMES, first_ms, first_ms);
	FF_BLOCK_GATHER(FF_BLOCK_F_TIMES, last_ms, last_ms);
	FF_BLOCK_GATHER(FF_BLOCK_F_COUNTERS, bytes, bytes);
	FF_BLOCK_GATHER(FF_BLOCK_F_COUNTERS, packets, packets);
	FF_BLOCK_GATHER(FF_BLOCK_F_COUNTERS, flows, flows);
	FF_BLOCK_GATHER(FF_BLOCK_F_SRC_AS, src_as, src_as);
	FF_BLOCK_GATHER(FF_BLOCK_F_DST_AS, dst_as, dst_as);
	FF_BLOCK_GATHER(FF_BLOCK_F_IN_IF, in_if, in_if);
	FF_BLOCK_GATHER(FF_BLOCK_F_OUT_IF, out_if, out_if);
	FF_BLOCK_GATHER(FF_BLOCK_F_SAMPLING, sampling_rate, sampling);
	FF_BLOCK_GATHER(FF_BLOCK_F_SRC_PORT, src_port, src_port);
	FF_BLOCK_GATHER(FF_BLOCK_F_DST_PORT, dst_port, dst_port);
	FF_BLOCK_GATHER(FF_BLOCK_F_PROTO, proto, proto);
	FF_BLOCK_GATHER(FF_BLOCK_F_TCP_FLAGS, tcp_flags, tcp_flags);
	FF_BLOCK_GATHER(FF_BLOCK_F_TOS, tos, tos);
	if (late & FF_BLOCK_F_SRC_ADDR)
		ff_block_gather_addr(rows, base, sel, m, offsetof(ff_flow, src_addr), buf->src_v4,
				     buf->src_addr, &v.src_v4, &v.src_addr);
	if (late & FF_BLOCK_F_DST_ADDR)
		ff_block_gather_addr(rows, base, sel, m, offsetof(ff_flow, dst_addr), buf->dst_v4,
				     buf->dst_addr, &v.dst_v4, &v.dst_addr);
	if (late & FF_BLOCK_F_EXPORTER) {
		for (size_t j = 0; j < m; j++)
			memcpy(buf->exporter[base + sel[j]], rows[base + sel[j]].exporter,
			       FF_ADDR_LEN);
		v.exporter = &buf->exporter[0][0];
	}
	ff_block_adopt(b, &v, base);
	return 0;
}
#undef FF_BLOCK_GATHER

void ff_block_from_rows_lazy(const ff_flow *rows, size_t n, uint32_t fields, uint32_t early,
			     ff_block_buf *buf, ff_block_rows_lazy *lazy, ff_block *out)
{
	if (fields == 0)
		fields = FF_BLOCK_F_ALL;
	uint32_t late = early == 0 ? 0 : fields & ~early;
	ff_block_from_rows(rows, n, late != 0 ? fields & early : fields, buf, out);
	if (late == 0)
		return;
	*lazy = (ff_block_rows_lazy){.rows = rows, .buf = buf, .late = late};
	out->lazy = true;
	out->load = ff_block_rows_load;
	out->load_ctx = lazy;
}
