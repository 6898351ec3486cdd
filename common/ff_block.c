#include "ff_block.h"

#include <string.h>

/* Fills one address column: v4 integers when every row is IPv4, else 16-byte rows. */
static void ff_block_addr(const ff_flow *rows, size_t n, size_t off, uint32_t *v4,
			  uint8_t (*addr)[FF_ADDR_LEN], const uint32_t **out_v4,
			  const uint8_t **out_addr)
{
	bool all_v4 = true;
	for (size_t i = 0; i < n && all_v4; i++)
		all_v4 = ff_addr_is_v4((const uint8_t *)&rows[i] + off);
	if (all_v4) {
		for (size_t i = 0; i < n; i++)
			v4[i] = ff_addr_v4((const uint8_t *)&rows[i] + off);
		*out_v4 = v4;
		return;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(addr[i], (const uint8_t *)&rows[i] + off, FF_ADDR_LEN);
	*out_addr = &addr[0][0];
}

/* One loop per column: transposing runs for every record of an open window a query reads. */
#define FF_BLOCK_COPY(flag, field, dst)                          \
	do {                                                     \
		if (fields & (flag)) {                           \
			for (size_t i = 0; i < n; i++)           \
				buf->dst[i] = rows[i].field;     \
			out->dst = buf->dst;                     \
		}                                                \
	} while (0)

void ff_block_from_rows(const ff_flow *rows, size_t n, uint32_t fields, ff_block_buf *buf,
			ff_block *out)
{
	if (fields == 0)
		fields = FF_BLOCK_F_ALL;
	*out = (ff_block){.n = n};
	FF_BLOCK_COPY(FF_BLOCK_F_TIMES, first_ms, first_ms);
	FF_BLOCK_COPY(FF_BLOCK_F_TIMES, last_ms, last_ms);
	FF_BLOCK_COPY(FF_BLOCK_F_COUNTERS, bytes, bytes);
	FF_BLOCK_COPY(FF_BLOCK_F_COUNTERS, packets, packets);
	FF_BLOCK_COPY(FF_BLOCK_F_COUNTERS, flows, flows);
	FF_BLOCK_COPY(FF_BLOCK_F_SRC_AS, src_as, src_as);
	FF_BLOCK_COPY(FF_BLOCK_F_DST_AS, dst_as, dst_as);
	FF_BLOCK_COPY(FF_BLOCK_F_IN_IF, in_if, in_if);
	FF_BLOCK_COPY(FF_BLOCK_F_OUT_IF, out_if, out_if);
	FF_BLOCK_COPY(FF_BLOCK_F_SAMPLING, sampling_rate, sampling);
	FF_BLOCK_COPY(FF_BLOCK_F_SRC_PORT, src_port, src_port);
	FF_BLOCK_COPY(FF_BLOCK_F_DST_PORT, dst_port, dst_port);
	FF_BLOCK_COPY(FF_BLOCK_F_PROTO, proto, proto);
	FF_BLOCK_COPY(FF_BLOCK_F_TCP_FLAGS, tcp_flags, tcp_flags);
	FF_BLOCK_COPY(FF_BLOCK_F_TOS, tos, tos);
	if (fields & FF_BLOCK_F_SRC_ADDR)
		ff_block_addr(rows, n, offsetof(ff_flow, src_addr), buf->src_v4, buf->src_addr,
			      &out->src_v4, &out->src_addr);
	if (fields & FF_BLOCK_F_DST_ADDR)
		ff_block_addr(rows, n, offsetof(ff_flow, dst_addr), buf->dst_v4, buf->dst_addr,
			      &out->dst_v4, &out->dst_addr);
	if (fields & FF_BLOCK_F_EXPORTER) {
		for (size_t i = 0; i < n; i++)
			memcpy(buf->exporter[i], rows[i].exporter, FF_ADDR_LEN);
		out->exporter = &buf->exporter[0][0];
	}
	uint32_t any = 0;
	for (size_t i = 0; i < n; i++)
		any |= buf->wildcards[i] = rows[i].wildcards;
	out->wildcards = buf->wildcards;
	out->any_wildcards = any;
}
#undef FF_BLOCK_COPY

/* Address i of a column held either way, into a 16-byte record field. */
static void ff_block_addr_row(const uint32_t *v4, const uint8_t *addr, size_t i, uint8_t *out)
{
	if (v4 != NULL)
		ff_addr_from_v4(out, v4[i]);
	else if (addr != NULL)
		memcpy(out, addr + i * FF_ADDR_LEN, FF_ADDR_LEN);
}

#define FF_BLOCK_GET(src, field)                \
	do {                                    \
		if (b->src != NULL)             \
			out->field = b->src[i]; \
	} while (0)

void ff_block_row(const ff_block *b, size_t i, ff_flow *out)
{
	memset(out, 0, sizeof *out);
	FF_BLOCK_GET(first_ms, first_ms);
	FF_BLOCK_GET(last_ms, last_ms);
	FF_BLOCK_GET(bytes, bytes);
	FF_BLOCK_GET(packets, packets);
	FF_BLOCK_GET(flows, flows);
	FF_BLOCK_GET(src_as, src_as);
	FF_BLOCK_GET(dst_as, dst_as);
	FF_BLOCK_GET(in_if, in_if);
	FF_BLOCK_GET(out_if, out_if);
	FF_BLOCK_GET(sampling, sampling_rate);
	FF_BLOCK_GET(src_port, src_port);
	FF_BLOCK_GET(dst_port, dst_port);
	FF_BLOCK_GET(proto, proto);
	FF_BLOCK_GET(tcp_flags, tcp_flags);
	FF_BLOCK_GET(tos, tos);
	FF_BLOCK_GET(wildcards, wildcards);
	ff_block_addr_row(b->src_v4, b->src_addr, i, out->src_addr);
	ff_block_addr_row(b->dst_v4, b->dst_addr, i, out->dst_addr);
	ff_block_addr_row(NULL, b->exporter, i, out->exporter);
}
#undef FF_BLOCK_GET

/* Advances one column pointer by `skip` values of `size` bytes; NULL stays NULL. */
#define FF_BLOCK_SKIP(col, size)                                                     \
	do {                                                                         \
		out->col = b->col != NULL ? (const void *)((const uint8_t *)b->col + \
							   skip * (size))            \
					  : NULL;                                    \
	} while (0)

void ff_block_advance(const ff_block *b, size_t skip, size_t n, ff_block *out)
{
	*out = *b;
	out->n = n;
	out->base = b->base + skip;
	FF_BLOCK_SKIP(first_ms, 8);
	FF_BLOCK_SKIP(last_ms, 8);
	FF_BLOCK_SKIP(bytes, 8);
	FF_BLOCK_SKIP(packets, 8);
	FF_BLOCK_SKIP(flows, 8);
	FF_BLOCK_SKIP(src_v4, 4);
	FF_BLOCK_SKIP(dst_v4, 4);
	FF_BLOCK_SKIP(src_addr, FF_ADDR_LEN);
	FF_BLOCK_SKIP(dst_addr, FF_ADDR_LEN);
	FF_BLOCK_SKIP(exporter, FF_ADDR_LEN);
	FF_BLOCK_SKIP(src_as, 4);
	FF_BLOCK_SKIP(dst_as, 4);
	FF_BLOCK_SKIP(in_if, 4);
	FF_BLOCK_SKIP(out_if, 4);
	FF_BLOCK_SKIP(sampling, 4);
	FF_BLOCK_SKIP(src_port, 2);
	FF_BLOCK_SKIP(dst_port, 2);
	FF_BLOCK_SKIP(proto, 1);
	FF_BLOCK_SKIP(tcp_flags, 1);
	FF_BLOCK_SKIP(tos, 1);
	FF_BLOCK_SKIP(wildcards, 4);
}
#undef FF_BLOCK_SKIP

/* Takes one column from `adv` when it has it. */
#define FF_BLOCK_TAKE(col)                      \
	do {                                    \
		if (adv.col != NULL)            \
			b->col = adv.col;       \
	} while (0)

void ff_block_adopt(ff_block *b, const ff_block *from, size_t skip)
{
	ff_block adv;
	ff_block_advance(from, skip, b->n, &adv);
	FF_BLOCK_TAKE(first_ms);
	FF_BLOCK_TAKE(last_ms);
	FF_BLOCK_TAKE(bytes);
	FF_BLOCK_TAKE(packets);
	FF_BLOCK_TAKE(flows);
	FF_BLOCK_TAKE(src_v4);
	FF_BLOCK_TAKE(dst_v4);
	FF_BLOCK_TAKE(src_addr);
	FF_BLOCK_TAKE(dst_addr);
	FF_BLOCK_TAKE(exporter);
	FF_BLOCK_TAKE(src_as);
	FF_BLOCK_TAKE(dst_as);
	FF_BLOCK_TAKE(in_if);
	FF_BLOCK_TAKE(out_if);
	FF_BLOCK_TAKE(sampling);
	FF_BLOCK_TAKE(src_port);
	FF_BLOCK_TAKE(dst_port);
	FF_BLOCK_TAKE(proto);
	FF_BLOCK_TAKE(tcp_flags);
	FF_BLOCK_TAKE(tos);
	FF_BLOCK_TAKE(wildcards);
}
#undef FF_BLOCK_TAKE
