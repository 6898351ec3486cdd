/*
 * ffsegseed: writes small valid segment files, the seeds of the segment
 * reader's fuzz target (tests/fuzz/fuzz_segment.c).
 *
 *   ffsegseed DIR
 *
 * Into DIR (which must exist), with this build's ff_segment_write: raw
 * segments of IPv4 rows and of rows with IPv6 addresses, a minute and an
 * hour rollup, an empty segment, one of wide random counters (plain widths
 * 5 to 8, shuffled 4), and a version 1 file made from a small
 * version 2 one (the 88-byte header, the directory moved up; its blocks keep
 * their version 2 encodings, which the reader does not tell apart). Each is
 * one row group of a few thousand rows at most, under 64 KB, so the fuzzer
 * mutates it quickly. Rows come from a fixed generator: the seeds are the
 * same on every run.
 */
#include "ffgen_rng.h"
#include "segment.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The tools' seeded PRNG (tests/tools/ffgen_rng.h): the same stream on every machine. */
static struct ffgen_rng seed_rng;
static bool seed_rng_seeded;

static uint64_t seed_rnd(void)
{
	if (!seed_rng_seeded) {
		ffgen_rng_seed(&seed_rng, 1);
		seed_rng_seeded = true;
	}
	return ffgen_rng_next(&seed_rng);
}

/* What a seed's rows look like beyond the common ones. */
enum seed_flags {
	SEED_V6 = 1,   /* some IPv6 sources: 16-byte address blocks */
	SEED_WIDE = 2, /* random wide counters: plain widths 5 to 8, shuffled 4 */
};

/* Row i: counters of several widths (a few past 4 GB), some last < first. */
static void seed_row(ff_flow *f, size_t i, size_t n_agents, unsigned flags)
{
	memset(f, 0, sizeof *f);
	f->first_ms = 1795430000000ull + seed_rnd() % 300000;
	f->last_ms = i % 40 == 0 ? f->first_ms - seed_rnd() % 50 : f->first_ms + seed_rnd() % 20000;
	f->bytes = 40 + seed_rnd() % 1500 + (i % 9 == 0 ? 1ull << (32 + i % 20) : 0);
	f->packets = 1 + seed_rnd() % 70000;
	f->flows = 1 + i % 2;
	ff_addr_from_v4(f->src_addr, 0x0a000000u + (uint32_t)(seed_rnd() % 500));
	ff_addr_from_v4(f->dst_addr, 0xc0a80000u + (uint32_t)(seed_rnd() % 40));
	if (flags & SEED_V6 && i % 7 == 0) {
		f->src_addr[0] = 0x20;
		f->src_addr[1] = 0x01;
		for (int k = 2; k < FF_ADDR_LEN; k++)
			f->src_addr[k] = (uint8_t)seed_rnd();
	}
	ff_addr_from_v4(f->exporter, 0x7f000001u + (uint32_t)(i % 3));
	f->src_as = (uint32_t)(seed_rnd() % 70000);
	f->dst_as = i % 2 ? 4200000000u : 0;
	f->in_if = (uint32_t)(i % 5);
	f->out_if = (uint32_t)(i % 6);
	f->sampling_rate = i % 17 == 0 ? 1000 : 1;
	f->wildcards = i % 23 == 0 ? FF_FIELD_SRC_PORT | FF_FIELD_TOS : 0;
	f->agent_ref = (uint32_t)(i % n_agents);
	f->src_port = (uint16_t)seed_rnd();
	f->dst_port = i % 3 ? 443 : 53;
	f->proto = i % 3 ? 6 : 17;
	f->tcp_flags = (uint8_t)(i % 64);
	f->tos = (uint8_t)(i % 4);
	if (flags & SEED_WIDE) {
		f->bytes = seed_rnd();				/* 8 random bytes: plain */
		f->packets = seed_rnd() % (1ull << 40);		/* 5 random bytes: plain */
		f->flows = seed_rnd() % (1ull << 48);		/* 6 */
		f->in_if = (uint32_t)(seed_rnd() % (1u << 25)); /* a near-constant top byte */
	}
}

static const char *const seed_agents[] = {"node-a", "node-b.example", "n"};

/* Writes one segment of n generated rows; returns 0 or a negative code (ff_err.h). */
static int seed_write(const char *dir, ff_segment_input in, size_t n, unsigned flags)
{
	ff_flow *rows = calloc(n ? n : 1, sizeof *rows);
	if (rows == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		seed_row(&rows[i], i, in.n_agents, flags);
	ff_segment_batch batches[3];
	for (size_t b = 0; b < 3; b++)
		batches[b] = (ff_segment_batch){.agent = (uint32_t)(b % in.n_agents),
						.interval_len_ms = 10000,
						.epoch = 7 + b,
						.sequence = 100 * b + 1,
						.interval_start_ms = 1795430000000ull + 10000 * b,
						.policy_version = b,
						.n_records = (uint32_t)(n / 3)};
	in.rows = rows;
	in.n_rows = n;
	in.agents = seed_agents;
	in.batches = batches;
	in.n_batches = in.n_agents < 3 ? in.n_agents : 3;
	int rc = ff_segment_write(dir, &in);
	free(rows);
	if (rc != 0)
		fprintf(stderr, "ffsegseed: segment %llu: %s\n", (unsigned long long)in.id,
			ff_strerror(rc));
	return rc;
}

static uint32_t seed_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void seed_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Version 2 to version 1 in place: keeps header bytes 0..79, drops the
 * rollup fields (80..119 become 80..87: reserved, CRC), moves everything
 * after the header 32 bytes up and every block offset with it.
 */
static size_t seed_to_v1(uint8_t *f, size_t len)
{
	enum { V2 = 120, V1 = 88 };
	size_t n_dir = seed_get32(f + 28);
	memmove(f + V1, f + V2, len - V2);
	len -= V2 - V1;
	for (size_t i = 0; i < n_dir; i++) {
		uint8_t *e = f + V1 + 48 * i;
		uint64_t off = seed_get32(e + 16) | (uint64_t)seed_get32(e + 20) << 32;
		seed_put(e + 16, off - (V2 - V1), 8);
	}
	seed_put(f + 4, 1, 2);
	seed_put(f + 6, V1, 2);
	seed_put(f + 76, crc32(0, f + V1, (uInt)(n_dir * 48)), 4);
	seed_put(f + 80, 0, 4);
	seed_put(f + 84, crc32(0, f, 84), 4);
	return len;
}

/* Reads segment `id` of dir and writes it as version 1 to dir/v1-<id>.ffs. */
static int seed_v1(const char *dir, uint64_t id)
{
	char src[4096], dst[4096];
	static uint8_t buf[1 << 17];
	if (ff_segment_path(dir, id, src, sizeof src) != 0 ||
	    snprintf(dst, sizeof dst, "%s/v1-%llu.ffs", dir, (unsigned long long)id) >=
		(int)sizeof dst)
		return -1;
	FILE *in = fopen(src, "rb");
	size_t len = in != NULL ? fread(buf, 1, sizeof buf, in) : 0;
	if (in != NULL)
		fclose(in);
	if (len < 120 || len == sizeof buf)
		return -1;
	len = seed_to_v1(buf, len);
	FILE *out = fopen(dst, "wb");
	if (out == NULL)
		return -1;
	size_t put = fwrite(buf, 1, len, out);
	return fclose(out) == 0 && put == len ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ffsegseed DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	int rc = 0;
	rc |= seed_write(dir, (ff_segment_input){.id = 1, .n_agents = 2}, 2000, 0);
	rc |= seed_write(dir, (ff_segment_input){.id = 2, .n_agents = 3}, 1500, SEED_V6);
	rc |= seed_write(dir,
			 (ff_segment_input){.id = 3,
					    .n_agents = 2,
					    .kind = FF_SEGMENT_MINUTE,
					    .rollup_keys = FF_FIELD_SRC_ADDR | FF_FIELD_DST_PORT,
					    .bin_ms = 60000,
					    .covers_first = 3,
					    .covers_last = 3},
			 400, 0);
	rc |= seed_write(dir,
			 (ff_segment_input){.id = 4,
					    .n_agents = 1,
					    .kind = FF_SEGMENT_HOUR,
					    .rollup_keys = 0x7ff,
					    .bin_ms = 3600000,
					    .covers_first = 1,
					    .covers_last = 12},
			 60, SEED_V6);
	rc |= seed_write(dir, (ff_segment_input){.id = 5, .n_agents = 1}, 0, 0);
	rc |= seed_write(dir, (ff_segment_input){.id = 6, .n_agents = 3}, 200, SEED_V6);
	rc |= seed_write(dir, (ff_segment_input){.id = 7, .n_agents = 2}, 1000, SEED_WIDE);
	if (rc == 0 && seed_v1(dir, 6) != 0) {
		fprintf(stderr, "ffsegseed: version 1 copy of segment 6 failed\n");
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
