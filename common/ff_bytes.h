#ifndef FF_BYTES_H
#define FF_BYTES_H

/*
 * Integers in byte buffers, without alignment or host byte order
 * assumptions. Big-endian is the wire order of NetFlow, IPFIX and sFlow;
 * little-endian is the order of flowfleet's own formats (frames, segments,
 * journals, state files). Static inline: decoders and segment readers call
 * them per field. The caller checks that the bytes are there.
 */

#include <stddef.h>
#include <stdint.h>

static inline uint16_t ff_get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t ff_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ff_get_be64(const uint8_t *p)
{
	return (uint64_t)ff_get_be32(p) << 32 | ff_get_be32(p + 4);
}

/* An unsigned big-endian integer of `n` bytes (0 to 8), as IPFIX reduced-size encoding sends. */
static inline uint64_t ff_get_be_n(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void ff_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t ff_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t ff_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ff_get_le64(const uint8_t *p)
{
	return (uint64_t)ff_get_le32(p) | (uint64_t)ff_get_le32(p + 4) << 32;
}

/* An unsigned little-endian integer of `n` bytes (0 to 8). */
static inline uint64_t ff_get_le_n(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static inline void ff_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ff_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void ff_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes the low `n` bytes (0 to 8) of `v` little-endian; returns the byte after them. */
static inline uint8_t *ff_put_le_n(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + n;
}

#endif
