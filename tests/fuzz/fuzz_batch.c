/*
 * libFuzzer target for the FlowBatch decoder the aggregator runs on every
 * batch an agent sends (ff_batch_decode, both wire versions): any bytes must
 * decode or be refused with an FF_BATCH_E* code, never crash or allocate
 * beyond the payload's bound. A decoded batch is re-encoded in version 2
 * and must decode again to the same number of records.
 */
#include "ff_log.h"
#include "ff_batch.h"
#include "ff_frame.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	ff_batch b;
	if (ff_batch_decode(data, size, &b) != 0)
		return 0;
	uint8_t *frame = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	ff_frame_header h;
	if (b.n_records <= FF_BATCH_MAX_RECORDS &&
	    ff_batch_encode_wire(&b, FF_BATCH_WIRE_COLUMNS, &frame, &len) == 0 &&
	    ff_frame_decode(frame, len, &h, &payload, &plen) == 0) {
		ff_batch again;
		if (ff_batch_decode(payload, plen, &again) != 0 || again.n_records != b.n_records)
			abort();
		ff_batch_release(&again);
	}
	free(payload);
	free(frame);
	ff_batch_release(&b);
	return 0;
}
