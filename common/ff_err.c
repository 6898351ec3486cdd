#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns its text */
#endif

#include "ff_err.h"

#include <stdio.h>
#include <string.h>

/* Room for "unknown error -2147483648" and for glibc's longest message. */
#define FF_ERR_BUF 128

typedef struct ff_err_text {
	int code;
	const char *text;
} ff_err_text;

/* Short phrases: they end up in log lines, counters and ack reasons. */
static const ff_err_text ff_err_texts[] = {
    {FF_FRAME_ESHORT, "short frame"},
    {FF_FRAME_EMAGIC, "bad frame magic"},
    {FF_FRAME_EVERSION, "unsupported framing version"},
    {FF_FRAME_ECOMP, "unknown frame compression"},
    {FF_FRAME_ETOOBIG, "frame payload too big"},
    {FF_FRAME_ECORRUPT, "corrupt frame payload"},
    {FF_FRAME_ERATIO, "compressed frame claims an implausible expansion"},

    {FF_BATCH_EPROTO, "invalid protobuf"},
    {FF_BATCH_EAGENT, "invalid agent id"},
    {FF_BATCH_ERECORD, "malformed record"},
    {FF_BATCH_ECOLUMN, "column length does not match the record count"},
    {FF_BATCH_ETOOMANY, "too many records in one batch"},
    {FF_BATCH_ENORECORDS, "a batch of no records"},
    {FF_BATCH_EEMPTY, "records of zero flows (empty records)"},
    {FF_BATCH_ESPARSE, "fewer bytes than its record count needs"},

    {FF_DECODE_ESHORT, "datagram shorter than its header"},
    {FF_DECODE_EBADCOUNT, "record count out of range"},
    {FF_DECODE_ETRUNC, "datagram shorter than its header says"},
    {FF_DECODE_EVERSION, "unsupported export version"},
    {FF_DECODE_EBADSET, "impossible set or sample length"},
    {FF_DECODE_EBADRECORD, "record runs past its set or sample"},
    {FF_DECODE_EBADTEMPLATE, "unusable template"},

    {FF_EMAGIC, "not a file of the expected kind (bad magic)"},
    {FF_EVERSION, "unsupported file layout version"},
    {FF_ECHECKSUM, "header or directory checksum mismatch"},
    {FF_ETRUNCATED, "truncated file"},
    {FF_EBLOCK, "block checksum mismatch or undecodable block"},
    {FF_EFORMAT, "inconsistent file layout"},

    {FF_STORE_ELOCKED, "data dir in use by another process"},
    {FF_STORE_ETOOBIG, "batch too large to store"},
    {FF_STORE_EBACKEND, "no such store backend"},
};

#define FF_ERR_N_TEXTS (sizeof ff_err_texts / sizeof ff_err_texts[0])

static const char *ff_err_own_text(int err)
{
	for (size_t i = 0; i < FF_ERR_N_TEXTS; i++)
		if (ff_err_texts[i].code == err)
			return ff_err_texts[i].text;
	return NULL;
}

const char *ff_strerror(int err)
{
	/* Per thread: strerror() itself shares one buffer between threads. */
	static _Thread_local char buf[FF_ERR_BUF];
	if (err == 0)
		return "success";
	if (ff_err_is_errno(err))
		return strerror_r(-err, buf, sizeof buf);
	const char *text = err < 0 ? ff_err_own_text(err) : NULL;
	if (text != NULL)
		return text;
	snprintf(buf, sizeof buf, "unknown error %d", err);
	return buf;
}
