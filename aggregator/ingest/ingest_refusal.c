/*
 * The reasons a message from an agent is refused, named as /api/v1/stats
 * and the log show them, and which error code counts as which.
 */
#include "ingest.h"

#include "ff_err.h"

static const char *const ff_ingest_refusal_names[FF_INGEST_REFUSED_COUNT] = {
    [FF_INGEST_REFUSED_FRAME_SHORT] = "frame.short",
    [FF_INGEST_REFUSED_FRAME_MAGIC] = "frame.bad_magic",
    [FF_INGEST_REFUSED_FRAME_VERSION] = "frame.bad_version",
    [FF_INGEST_REFUSED_FRAME_COMPRESSION] = "frame.bad_compression",
    [FF_INGEST_REFUSED_FRAME_TOO_LARGE] = "frame.too_large",
    [FF_INGEST_REFUSED_FRAME_CORRUPT] = "frame.corrupt",
    [FF_INGEST_REFUSED_FRAME_RATIO] = "frame.bad_ratio",
    [FF_INGEST_REFUSED_FRAME_ENVELOPE] = "frame.envelope",
    [FF_INGEST_REFUSED_FRAME_MEMORY] = "frame.no_memory",
    [FF_INGEST_REFUSED_BATCH_DECODE] = "batch.decode_failed",
    [FF_INGEST_REFUSED_BATCH_AGENT] = "batch.bad_agent",
    [FF_INGEST_REFUSED_BATCH_RECORD] = "batch.bad_record",
    [FF_INGEST_REFUSED_BATCH_COLUMN] = "batch.bad_column",
    [FF_INGEST_REFUSED_BATCH_TOO_MANY] = "batch.too_many_records",
    [FF_INGEST_REFUSED_BATCH_NO_RECORDS] = "batch.no_records",
    [FF_INGEST_REFUSED_BATCH_EMPTY] = "batch.empty_records",
    [FF_INGEST_REFUSED_BATCH_SPARSE] = "batch.too_sparse",
    [FF_INGEST_REFUSED_BATCH_MEMORY] = "batch.no_memory",
};

const char *ff_ingest_refusal_name(enum ff_ingest_refusal r)
{
	return (unsigned)r < FF_INGEST_REFUSED_COUNT ? ff_ingest_refusal_names[r] : "unknown";
}

enum ff_ingest_refusal ff_ingest_refusal_of_frame(int err)
{
	/* The frame codes are consecutive from FF_FRAME_ESHORT down (common/ff_err.h). */
	if (err <= FF_FRAME_ESHORT && err >= FF_FRAME_ERATIO)
		return (enum ff_ingest_refusal)(FF_INGEST_REFUSED_FRAME_SHORT +
						(FF_FRAME_ESHORT - err));
	return FF_INGEST_REFUSED_FRAME_MEMORY;
}

enum ff_ingest_refusal ff_ingest_refusal_of_batch(int err)
{
	/* So are the batch codes from FF_BATCH_EPROTO down. */
	if (err <= FF_BATCH_EPROTO && err >= FF_BATCH_ESPARSE)
		return (enum ff_ingest_refusal)(FF_INGEST_REFUSED_BATCH_DECODE +
						(FF_BATCH_EPROTO - err));
	return FF_INGEST_REFUSED_BATCH_MEMORY;
}
