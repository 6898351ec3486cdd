/*
 * The order records take in a version 2 batch: by source address, then
 * destination address, then first time, so that equal addresses sit next
 * to each other (lz4 finds them) and time deltas stay small. The order is
 * only there to compress well (the batch is a set), so it sorts on a 64-bit
 * key of each address's last four bytes (the whole of an IPv4 address,
 * whose first twelve are the v4-mapped prefix) and does it by radix: a
 * comparison sort calling memcmp on 16-byte addresses cost a third of the
 * agent's time under a flood.
 */
#include "ff_batch_impl.h"

#include "ff_bytes.h"

#include <errno.h>
#include <stdlib.h>

typedef struct ff_batch_ordered {
	uint64_t key;
	uint64_t first_ms;
	const ff_flow *f;
} ff_batch_ordered;

static uint64_t ff_batch_order_key(const ff_flow *f)
{
	return (uint64_t)ff_get_be32(f->src_addr + 12) << 32 | ff_get_be32(f->dst_addr + 12);
}

/*
 * One stable counting pass over byte `shift / 8` of `field(x)`, from `in`
 * to `out`; skipped (returns false) when every element has the same byte.
 */
static bool ff_batch_radix_pass(const ff_batch_ordered *in, ff_batch_ordered *out, size_t n,
				bool by_time, unsigned shift)
{
	size_t count[257] = {0};
	for (size_t i = 0; i < n; i++)
		count[((by_time ? in[i].first_ms : in[i].key) >> shift & 0xff) + 1]++;
	for (size_t d = 0; d < 256; d++)
		if (count[d + 1] == n)
			return false;
	for (size_t d = 1; d < 257; d++)
		count[d] += count[d - 1];
	for (size_t i = 0; i < n; i++)
		out[count[(by_time ? in[i].first_ms : in[i].key) >> shift & 0xff]++] = in[i];
	return true;
}

int ff_batch_order(const ff_flow **recs, size_t n)
{
	if (n < 2)
		return 0;
	ff_batch_ordered *a = malloc(2 * n * sizeof *a);
	if (a == NULL)
		return -ENOMEM;
	ff_batch_ordered *b = a + n;
	for (size_t i = 0; i < n; i++)
		a[i] = (ff_batch_ordered){ff_batch_order_key(recs[i]), recs[i]->first_ms, recs[i]};
	/*
	 * Least significant digit first: the low bytes of first_ms (the
	 * tie-break; a batch spans far less than 2^32 ms), then the key.
	 */
	for (unsigned pass = 0; pass < 12; pass++) {
		bool by_time = pass < 4;
		unsigned shift = by_time ? pass * 8 : (pass - 4) * 8;
		if (ff_batch_radix_pass(a, b, n, by_time, shift)) {
			ff_batch_ordered *t = a;
			a = b;
			b = t;
		}
	}
	for (size_t i = 0; i < n; i++)
		recs[i] = a[i].f;
	free(a < b ? a : b);
	return 0;
}
