#include "segment_format.h"

#include "ff_bytes.h"

#include <zlib.h>

uint32_t ff__seg_crc(const uint8_t *p, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	/* zlib takes uInt lengths; feed large inputs in pieces. */
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

void ff__seg_entry_put(uint8_t *p, const ff__seg_entry *e)
{
	p[0] = e->column;
	p[1] = e->encoding;
	p[2] = e->width;
	p[3] = e->compression;
	ff_put_le32(p + 4, e->rows);
	ff_put_le32(p + 8, e->raw_len);
	ff_put_le32(p + 12, e->stored_len);
	ff_put_le64(p + 16, e->offset);
	ff_put_le64(p + 24, e->min);
	ff_put_le64(p + 32, e->max);
	ff_put_le32(p + 40, e->crc);
	ff_put_le32(p + 44, e->shuffle); /* version 1 wrote 0 here: no shuffle */
}

void ff__seg_entry_get(const uint8_t *p, ff__seg_entry *e)
{
	e->column = p[0];
	e->encoding = p[1];
	e->width = p[2];
	e->compression = p[3];
	e->rows = ff_get_le32(p + 4);
	e->raw_len = ff_get_le32(p + 8);
	e->stored_len = ff_get_le32(p + 12);
	e->offset = ff_get_le64(p + 16);
	e->min = ff_get_le64(p + 24);
	e->max = ff_get_le64(p + 32);
	e->crc = ff_get_le32(p + 40);
	/* Bytes 45..47 are reserved zero; a nonzero one makes the value invalid. */
	uint32_t x = ff_get_le32(p + 44);
	e->shuffle = x > 0xff ? 0xff : (uint8_t)x;
}
