/*
 * libFuzzer target for the NetFlow v5 path: the dispatcher (version sniff)
 * and the v5 decoder, as the agent runs them on every datagram. Every
 * emitted record is read in full so ASan sees any out-of-bounds source.
 */
#include "ff_log.h"
#include "decoder.h"

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
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	static const uint8_t exporter[FF_ADDR_LEN] = {
	    [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
	uint64_t sum = 0;
	ff_decoder_ctx ctx = {.emit = fuzz_emit, .emit_arg = &sum};
	ff_decode_dispatch(&ctx, data, size, exporter, 0);
	ff_decoder_nf5.decode(&ctx, data, size, exporter, 0);
	return 0;
}
