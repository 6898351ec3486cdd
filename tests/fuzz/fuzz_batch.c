/*
 * libFuzzer target for the FlowBatch decoder the aggregator runs on every
 * batch an agent sends (ff_batch_decode, both wire versions): any bytes must
 * decode or be refused with an FF_BATCH_E* code, never crash or allocate
 * beyond the payload's bound. A decoded batch is re-encoded in versions 2
 * and 3 (coded columns) and must decode again to the same number of records.
 */
#include "ff_batch.h"
#include "ff_frame.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ff_batch b;
	if (ff_batch_decode(data, size, &b) != 0)
		return 0;
	for (unsigned wire = FF_BATCH_WIRE_COLUMNS; wire <= FF_BATCH_WIRE_CODED; wire++) {
		uint8_t *frame = NULL, *payload = NULL;
		size_t len = 0, plen = 0;
		ff_frame_header h;
		if (b.n_records <= FF_BATCH_MAX_RECORDS &&
		    ff_batch_encode_wire(&b, wire, &frame, &len) == 0 &&
		    ff_frame_decode(frame, len, &h, &payload, &plen) == 0) {
			ff_batch again;
			if (ff_batch_decode(payload, plen, &again) != 0 ||
			    again.n_records != b.n_records)
				abort();
			ff_batch_release(&again);
		}
		free(payload);
		free(frame);
	}
	ff_batch_release(&b);
	return 0;
}
