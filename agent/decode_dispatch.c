#include "decoder.h"

/*
 * NetFlow v5/v9 and IPFIX (10) start with a 16-bit version; sFlow starts
 * with a 32-bit version (5), whose first 16 bits are therefore zero. Only v5
 * has a decoder yet: the others are recognised so they are counted as
 * "unsupported version" rather than mistaken for garbage, and their decoders
 * slot into this table.
 */
static const ff_decoder *ff_decode_pick(const uint8_t *pkt)
{
	unsigned version = (unsigned)pkt[0] << 8 | pkt[1];
	switch (version) {
	case 5:
		return &ff_decoder_nf5;
	default:
		return NULL;
	}
}

int ff_decode_dispatch(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		       const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	if (len < 4)
		return FF_DECODE_ESHORT;
	const ff_decoder *d = ff_decode_pick(pkt);
	if (d == NULL)
		return FF_DECODE_EVERSION;
	return d->decode(ctx, pkt, len, exporter, now_ms);
}
