/*
 * libFuzzer target for the FlowBatch decoder the aggregator runs on every
 * batch an agent sends (ff_batch_decode, both wire versions): any bytes must
 * decode or be refused with an FF_BATCH_E* code, never crash or allocate
 * beyond the payload's bound. A decoded batch is re-encoded in versions 2
 * and 3 (coded columns) and must decode again to the same number of records.
 * The receiver's checked decode (ff_batch_decode_received) must agree:
 * whatever it admits decodes plainly to as many records as its claim said.
 */
#include "ff_log.h"
#include "ff_batch.h"
#include "ff_frame.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The received decode admits a subset of what the plain decode does. */
static void ff_fuzz_received(const uint8_t *data, size_t size, const ff_batch *plain, int plain_rc)
{
	ff_batch r;
	ff_batch_claim c;
	if (ff_batch_decode_received(data, size, &r, &c) != 0)
		return;
	uint64_t claimed = c.v1_records > 0 ? c.v1_records : c.v2_records;
	if (plain_rc != 0 || r.n_records != plain->n_records || r.n_records != claimed)
		abort();
	ff_batch_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	ff_batch b;
	int rc = ff_batch_decode(data, size, &b);
	ff_fuzz_received(data, size, &b, rc);
	if (rc != 0)
		return 0;
	for (unsigned wire = FF_BATCH_WIRE_COLUMNS; wire <= FF_BATCH_WIRE_CODED; wire++) {
		uint8_t *frame = NULL, *payload = NULL;
		size_t len = 0, plen = 0;
		ff_frame_header h;
		/* Past what an agent sends in one batch the receiver refuses it anyway
		 * (ff_batch_decode_received); re-encoding 2^20 records would only slow the run. */
		if (b.n_records <= 65536 &&
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
