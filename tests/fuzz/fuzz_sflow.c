/*
 * libFuzzer target for the sFlow v5 path: the dispatcher and the sFlow
 * decoder with its sampled-header parser, sequence accounting and counter
 * table, as the agent runs them on every datagram. The context lives across
 * inputs, as it does in the agent, so the bounded tables are exercised too.
 * Every emitted record is read in full so ASan sees any out-of-bounds source.
 */
#include "ff_log.h"
#include "decoder.h"
#include "sflow_counters.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	static const uint8_t exporter[FF_ADDR_LEN] = {
	    [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
	static ff_decoder_ctx ctx;
	static uint64_t sum;
	if (ctx.emit == NULL && ff_decoder_ctx_init(&ctx, fuzz_emit, &sum) != 0)
		abort();
	ff_decode_dispatch(&ctx, data, size, exporter, 1000);
	ff_decoder_sflow.decode(&ctx, data, size, exporter, 1000);
	return 0;
}
