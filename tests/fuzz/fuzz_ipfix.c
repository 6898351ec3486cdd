/*
 * libFuzzer target for IPFIX, the template cache behind it and the parsers
 * of the state files that persist templates and sampler tables. The input
 * is cut into datagrams (a 2-byte big-endian length before each), so
 * templates learnt from one datagram shape the decoding of the next, as on
 * a live socket: held data sets, withdrawals and releases all get
 * exercised. Every emitted record is read in full so ASan sees a bad source.
 */
#include "decoder.h"
#include "exporter_stats.h"
#include "ff_log.h"
#include "sampling.h"
#include "template_cache.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_emit(void *arg, const ff_flow *f)
{
	uint64_t *sum = arg;
	const uint8_t *p = (const uint8_t *)f;
	for (size_t i = 0; i < sizeof *f; i++)
		*sum += p[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t exporter[FF_ADDR_LEN] = {
	    [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
	uint64_t sum = 0;
	/* Malformed-datagram warnings would cost more than the decoding. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	ff_decoder_ctx ctx;
	if (ff_decoder_ctx_init(&ctx, fuzz_emit, &sum) != 0)
		return 0;
	ctx.stats = ff_exporter_stats_new(4);
	/* The state files are untrusted input too: a disk may hand back anything. */
	ff_template_cache_load(ctx.templates, data, size, NULL, NULL);
	ff_sampling_load(ctx.sampling, data, size);
	size_t off = 0;
	uint64_t now = 1700000000000ull;
	while (size - off >= 2) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		int rc = ff_decoder_ipfix.decode(&ctx, data + off, len, exporter, now);
		if (ctx.stats != NULL)
			ff_exporter_stats_count(ctx.stats, exporter, rc, now);
		off += len;
		now += 20000;
		ff_decoder_expire(&ctx, now);
	}
	ff_decoder_ctx_release(&ctx);
	ff_exporter_stats_free(ctx.stats);
	return 0;
}
