#include "ff_frame.h"

#include "ff_bytes.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>

/* Below this, the lz4 call costs more than the bytes it could save. */
#define FF_FRAME_COMPRESS_MIN 256

static void ff_frame_put_header(uint8_t *p, uint8_t version, uint8_t type, uint8_t comp,
				uint32_t raw_len)
{
	p[0] = FF_FRAME_MAGIC0;
	p[1] = FF_FRAME_MAGIC1;
	p[2] = version;
	p[3] = type;
	p[4] = comp;
	p[5] = p[6] = p[7] = 0;
	ff_put_le32(p + 8, raw_len);
}

int ff_frame_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t **out,
		    size_t *out_len)
{
	return ff_frame_encode_version(FF_FRAME_VERSION, type, payload, len, out, out_len);
}

int ff_frame_encode_version(uint8_t version, uint8_t type, const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *out_len)
{
	if (version < FF_FRAME_VERSION || version > FF_FRAME_VERSION_MAX)
		return FF_FRAME_EVERSION;
	if (len > FF_FRAME_MAX_PAYLOAD)
		return FF_FRAME_ETOOBIG;
	size_t bound = len >= FF_FRAME_COMPRESS_MIN ? (size_t)LZ4_compressBound((int)len) : 0;
	size_t cap = FF_FRAME_HEADER_LEN + (bound > len ? bound : len);
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	uint8_t comp = FF_COMP_NONE;
	size_t body = len;
	if (bound > 0) {
		int n = LZ4_compress_default(
		    (const char *)payload, (char *)buf + FF_FRAME_HEADER_LEN, (int)len, (int)bound);
		/*
		 * A body past the receiver's expansion bound would be refused:
		 * such a payload (nearly one repeated byte) goes uncompressed.
		 */
		if (n > 0 && (size_t)n < len && (uint64_t)n * FF_FRAME_MAX_RATIO >= len) {
			comp = FF_COMP_LZ4;
			body = (size_t)n;
		}
	}
	if (comp == FF_COMP_NONE && len > 0)
		memcpy(buf + FF_FRAME_HEADER_LEN, payload, len);
	ff_frame_put_header(buf, version, type, comp, (uint32_t)len);
	*out = buf;
	*out_len = FF_FRAME_HEADER_LEN + body;
	return 0;
}

static int ff_frame_parse_max(const uint8_t *buf, size_t len, uint32_t max, ff_frame_header *h)
{
	if (len < FF_FRAME_HEADER_LEN)
		return FF_FRAME_ESHORT;
	if (buf[0] != FF_FRAME_MAGIC0 || buf[1] != FF_FRAME_MAGIC1)
		return FF_FRAME_EMAGIC;
	if (buf[2] < FF_FRAME_VERSION || buf[2] > FF_FRAME_VERSION_MAX)
		return FF_FRAME_EVERSION;
	h->version = buf[2];
	h->type = buf[3];
	h->compression = buf[4];
	h->raw_len = ff_get_le32(buf + 8);
	if (h->compression != FF_COMP_NONE && h->compression != FF_COMP_LZ4)
		return FF_FRAME_ECOMP;
	if (h->raw_len > max)
		return FF_FRAME_ETOOBIG;
	if (h->compression == FF_COMP_NONE && h->raw_len != len - FF_FRAME_HEADER_LEN)
		return FF_FRAME_ECORRUPT;
	if (h->compression == FF_COMP_LZ4 &&
	    h->raw_len > (uint64_t)FF_FRAME_MAX_RATIO * (len - FF_FRAME_HEADER_LEN))
		return FF_FRAME_ERATIO;
	return 0;
}

int ff_frame_parse_header(const uint8_t *buf, size_t len, ff_frame_header *h)
{
	return ff_frame_parse_max(buf, len, FF_FRAME_MAX_PAYLOAD, h);
}

static int ff_frame_decode_max(const uint8_t *buf, size_t len, uint32_t max, ff_frame_header *h,
			       uint8_t **payload, size_t *payload_len)
{
	int rc = ff_frame_parse_max(buf, len, max, h);
	if (rc != 0)
		return rc;
	/* +1 so an empty payload still yields a pointer the caller can free. */
	uint8_t *out = malloc((size_t)h->raw_len + 1);
	if (out == NULL)
		return -ENOMEM;
	const uint8_t *body = buf + FF_FRAME_HEADER_LEN;
	size_t body_len = len - FF_FRAME_HEADER_LEN;
	if (h->compression == FF_COMP_NONE) {
		memcpy(out, body, body_len);
	} else {
		if (body_len > (size_t)LZ4_compressBound((int)max)) {
			free(out);
			return FF_FRAME_ECORRUPT;
		}
		int n = LZ4_decompress_safe((const char *)body, (char *)out, (int)body_len,
					    (int)h->raw_len);
		if (n < 0 || (uint32_t)n != h->raw_len) {
			free(out);
			return FF_FRAME_ECORRUPT;
		}
	}
	*payload = out;
	*payload_len = h->raw_len;
	return 0;
}

int ff_frame_decode(const uint8_t *buf, size_t len, ff_frame_header *h, uint8_t **payload,
		    size_t *payload_len)
{
	return ff_frame_decode_max(buf, len, FF_FRAME_MAX_PAYLOAD, h, payload, payload_len);
}

int ff_frame_decode_stored(const uint8_t *buf, size_t len, ff_frame_header *h, uint8_t **payload,
			   size_t *payload_len)
{
	return ff_frame_decode_max(buf, len, FF_FRAME_MAX_STORED, h, payload, payload_len);
}
