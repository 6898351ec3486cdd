#ifndef FF_ERR_H
#define FF_ERR_H

/*
 * The one error space of flowfleet. A function that can fail returns 0 (or
 * a count) on success and a negative code on failure, and every module
 * draws its codes from here, so a code keeps its meaning wherever it
 * travels (a journal error returned by the store, a frame error returned by
 * a batch decode) and ff_strerror() names any of them:
 *
 *   0                success
 *   -1 .. -4095      -errno (-ENOMEM, -EIO, -EINVAL, -EAGAIN, ...): used
 *                    whenever the system has a word for the failure; a
 *                    failed system call returns its own errno negated
 *   -4096 and below  flowfleet's own codes, listed below with fixed values
 *
 * The values of flowfleet's codes never change (tests and logs name them);
 * a new code takes the next free value of its group. Each group starts on a
 * multiple of 16 below -4096, so a group can grow without renumbering.
 */

#include <errno.h>
#include <stdbool.h>

/* The first of flowfleet's own codes; every code above it (up to -1) is -errno. */
#define FF_ERR_OWN_FIRST (-4096)

/* Wire framing of ZeroMQ messages (common/ff_frame.h). */
enum ff_frame_error {
	FF_FRAME_ESHORT = -4096,   /* shorter than the frame header */
	FF_FRAME_EMAGIC = -4097,   /* does not start with "FF" */
	FF_FRAME_EVERSION = -4098, /* a framing version we do not speak */
	FF_FRAME_ECOMP = -4099,	   /* unknown compression */
	FF_FRAME_ETOOBIG = -4100,  /* declared length above FF_FRAME_MAX_PAYLOAD */
	FF_FRAME_ECORRUPT = -4101, /* payload does not decompress to the declared length */
	FF_FRAME_ERATIO = -4102,   /* lz4 body claims more than FF_FRAME_MAX_RATIO expansion */
};

/* Flow batches on the wire (common/ff_batch.h). */
enum ff_batch_error {
	FF_BATCH_EPROTO = -4112,  /* not a valid FlowBatch protobuf */
	FF_BATCH_EAGENT = -4113,  /* missing or invalid agent id */
	FF_BATCH_ERECORD = -4114, /* a record with a malformed field */
	FF_BATCH_ECOLUMN = -4115, /* a column whose length is not the record count's */
	FF_BATCH_ETOOMANY = -4116, /* more records than FF_BATCH_MAX_RECORDS */
	FF_BATCH_ENORECORDS = -4117, /* a received batch of no records */
	FF_BATCH_EEMPTY = -4118,     /* a record of zero flows (an empty record) */
	FF_BATCH_ESPARSE = -4119,    /* fewer payload bytes than its record count needs */
};

/*
 * Why a datagram was rejected by a decoder (agent/decoder.h). Each one is
 * counted per exporter under its own reason (agent/exporter_stats.c).
 */
enum ff_decode_error {
	FF_DECODE_ESHORT = -4128,    /* shorter than the protocol's header */
	FF_DECODE_EBADCOUNT = -4129, /* record count outside what the protocol allows */
	FF_DECODE_ETRUNC = -4130,    /* the header promises more than the packet holds */
	FF_DECODE_EVERSION = -4131,  /* a version no decoder handles (in this context) */
	FF_DECODE_EBADSET = -4132,   /* a set/sample length is impossible or runs past the packet */
	FF_DECODE_EBADRECORD = -4133,	/* a record runs past its set or sample */
	FF_DECODE_EBADTEMPLATE = -4134, /* an unusable template definition */
};

/*
 * Files on disk that fail their checks: segments, rollups and the journal
 * share these (aggregator/store/columnar/segment.h and journal.h name them
 * for their files). Any of them means the file is damaged, never that the
 * system failed: the store quarantines it.
 */
enum ff_file_error {
	FF_EMAGIC = -4160,     /* not a file of the expected kind (bad magic) */
	FF_EVERSION = -4161,   /* a layout version this build does not read */
	FF_ECHECKSUM = -4162,  /* the header or directory fails its CRC */
	FF_ETRUNCATED = -4163, /* the file is shorter than its directory says */
	FF_EBLOCK = -4164,     /* a data block fails its CRC or does not decode */
	FF_EFORMAT = -4165,    /* intact checksums around contents that make no sense */
};

/* The flow store (aggregator/store/include/store.h). */
enum ff_store_error {
	FF_STORE_ELOCKED = -4192,  /* another process uses the data dir */
	FF_STORE_ETOOBIG = -4193,  /* a batch too large for one journal entry */
	FF_STORE_EBACKEND = -4194, /* no store backend of that name (ff_store_open) */
};

/*
 * The text of any code: "success" for 0, the system's text for -errno, a
 * fixed phrase for flowfleet's codes, "unknown error N" for anything else.
 * Thread-safe; the string is static, or for text made up on the fly, lives
 * in a per-thread buffer until the calling thread's next call.
 */
const char *ff_strerror(int err);

/* -errnum for a failed system call; -EIO when errnum is 0 (a short write sets none). */
static inline int ff_err_errno(int errnum)
{
	return errnum > 0 ? -errnum : -EIO;
}

/* True for a -errno code (the system failed), false for 0 and for flowfleet's own codes. */
static inline bool ff_err_is_errno(int err)
{
	return err < 0 && err > FF_ERR_OWN_FIRST;
}

#endif
