#include "ffgen_v5.h"

#include <string.h>
#include <time.h>

static void ffgen_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void ffgen_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void ffgen_v5_init(struct ffgen_v5_writer *w, uint8_t engine_type, uint8_t engine_id)
{
	memset(w, 0, sizeof(*w));
	w->engine_type = engine_type;
	w->engine_id = engine_id;
}

void ffgen_v5_begin(struct ffgen_v5_writer *w, uint32_t uptime_ms)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	w->count = 0;
	w->uptime = uptime_ms;
	w->unix_secs = (uint32_t)now.tv_sec;
	w->unix_nsecs = (uint32_t)now.tv_nsec;
}

void ffgen_v5_add(struct ffgen_v5_writer *w, uint32_t key_index, const struct ffgen_key *k,
		  uint32_t packets, uint32_t bytes, uint32_t age_ms, uint32_t dur_ms,
		  uint8_t tcp_flags)
{
	uint8_t *p = w->buf + FFGEN_V5_HEADER_LEN + w->count * FFGEN_V5_RECORD_LEN;
	/* Flows end shortly before the export, never before the exporter booted. */
	uint32_t last = w->uptime > age_ms ? w->uptime - age_ms : 0;
	uint32_t first = last > dur_ms ? last - dur_ms : 0;
	memset(p, 0, FFGEN_V5_RECORD_LEN);
	ffgen_put32(p + 0, k->src);
	ffgen_put32(p + 4, k->dst);
	ffgen_put32(p + 8, 0); /* nexthop */
	ffgen_put16(p + 12, k->in_if);
	ffgen_put16(p + 14, k->out_if);
	ffgen_put32(p + 16, packets);
	ffgen_put32(p + 20, bytes);
	ffgen_put32(p + 24, first);
	ffgen_put32(p + 28, last);
	ffgen_put16(p + 32, k->sport);
	ffgen_put16(p + 34, k->dport);
	p[37] = tcp_flags;
	p[38] = k->proto;
	p[39] = k->tos;
	/* src_as, dst_as, masks and padding stay zero. */
	p[44] = 16;
	p[45] = 16;
	w->key_index[w->count] = key_index;
	w->packets[w->count] = packets;
	w->bytes[w->count] = bytes;
	w->count++;
}

static void ffgen_v5_header(uint8_t *p, uint16_t count, uint32_t uptime, uint32_t secs,
			    uint32_t nsecs, uint32_t seq, uint8_t etype, uint8_t eid)
{
	ffgen_put16(p + 0, 5);
	ffgen_put16(p + 2, count);
	ffgen_put32(p + 4, uptime);
	ffgen_put32(p + 8, secs);
	ffgen_put32(p + 12, nsecs);
	ffgen_put32(p + 16, seq);
	p[20] = etype;
	p[21] = eid;
	ffgen_put16(p + 22, 0); /* sampling: none */
}

size_t ffgen_v5_finish(struct ffgen_v5_writer *w)
{
	ffgen_v5_header(w->buf, (uint16_t)w->count, w->uptime, w->unix_secs, w->unix_nsecs,
			w->sequence, w->engine_type, w->engine_id);
	w->sequence += (uint32_t)w->count;
	return FFGEN_V5_HEADER_LEN + w->count * FFGEN_V5_RECORD_LEN;
}

uint8_t ffgen_v5_tcp_flags(struct ffgen_rng *r, uint8_t proto)
{
	static const uint8_t flags[] = {0x02, 0x12, 0x18, 0x1b, 0x19, 0x11, 0x1f};
	if (proto != 6)
		return 0;
	return flags[ffgen_rng_below(r, sizeof(flags))];
}

static void ffgen_fill_random(struct ffgen_rng *r, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)ffgen_rng_next(r);
}

size_t ffgen_v5_malformed(const char *kind, struct ffgen_rng *r, uint32_t uptime_ms, uint8_t *buf,
			  size_t cap)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (cap < FFGEN_V5_MAX_LEN)
		return 0;
	if (strcmp(kind, "random") == 0) {
		/* Noise whose first word is no NetFlow/IPFIX version (5, 9, 10). */
		size_t len = 64 + (size_t)ffgen_rng_below(r, 400);
		ffgen_fill_random(r, buf, len);
		buf[0] = 0xa5;
		return len;
	}
	if (strcmp(kind, "short") == 0) {
		/* Says version 5, then ends inside the 24-byte header. */
		ffgen_v5_header(buf, 1, uptime_ms, (uint32_t)now.tv_sec, 0, 0, 0, 0);
		return 10;
	}
	if (strcmp(kind, "lying-count") == 0) {
		/* Announces 30 records, carries 2. */
		ffgen_fill_random(r, buf, FFGEN_V5_HEADER_LEN + 2 * FFGEN_V5_RECORD_LEN);
		ffgen_v5_header(buf, 30, uptime_ms, (uint32_t)now.tv_sec, 0, 0, 0, 0);
		return FFGEN_V5_HEADER_LEN + 2 * FFGEN_V5_RECORD_LEN;
	}
	if (strcmp(kind, "bad-count") == 0) {
		/* A whole header announcing zero records: no exporter sends that. */
		ffgen_v5_header(buf, 0, uptime_ms, (uint32_t)now.tv_sec, 0, 0, 0, 0);
		return FFGEN_V5_HEADER_LEN;
	}
	if (strcmp(kind, "bad-version") == 0) {
		ffgen_fill_random(r, buf, FFGEN_V5_HEADER_LEN + FFGEN_V5_RECORD_LEN);
		ffgen_v5_header(buf, 1, uptime_ms, (uint32_t)now.tv_sec, 0, 0, 0, 0);
		ffgen_put16(buf, 7);
		return FFGEN_V5_HEADER_LEN + FFGEN_V5_RECORD_LEN;
	}
	return 0;
}
