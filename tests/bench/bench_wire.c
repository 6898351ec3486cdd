/*
 * bench_wire: wire bytes a record (frames after lz4, as the agent sends
 * them) of protocol version 1 and version 2 side by side, for records shaped
 * as ffgen makes them (a pool of keys, and --distinct's flood where nearly
 * every record is a new key), summarized by the agent's summarizer over a
 * 10 s interval and cut into 65536-record batches, and for a capture
 * decoded by the agent's decoders.
 *   bench_wire [--records N] [--pcap FILE]
 *   bench_wire --seeds DIR   writes small FlowBatch payloads (every version)
 *                            as seeds for fuzz_batch
 */
#include "decoder.h"
#include "ff_batch.h"
#include "ff_frame.h"
#include "ffgen_flood.h"
#include "ffgen_keys.h"
#include "pcap_reader.h"
#include "summarizer.h"
#include "flowfleet.pb-c.h"

#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_START_MS 1795430000000ull
#define BENCH_BATCH    65536

/* One record as ffgen's v5 writer shapes it, for key `k`, exported at `now`. */
static ff_flow bench_record(const struct ffgen_key *k, struct ffgen_rng *r, uint64_t now)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	ff_addr_from_v4(f.src_addr, k->src);
	ff_addr_from_v4(f.dst_addr, k->dst);
	ff_addr_from_v4(f.exporter, 0x7f000001u);
	f.src_port = k->sport;
	f.dst_port = k->dport;
	f.proto = k->proto;
	f.tos = k->tos;
	f.in_if = k->in_if;
	f.out_if = k->out_if;
	f.packets = 1 + ffgen_rng_below(r, 1000);
	f.bytes = f.packets * (40 + ffgen_rng_below(r, 1461));
	f.last_ms = now - ffgen_rng_below(r, 2000);
	f.first_ms = f.last_ms - ffgen_rng_below(r, 5000);
	f.tcp_flags = k->proto == 6 ? (uint8_t)(0x02 | ffgen_rng_below(r, 0x20)) : 0;
	f.flows = 1;
	return f;
}

typedef struct bench_walk {
	const ff_summarizer *s;
	size_t cursor;
} bench_walk;

static const ff_flow *bench_next(void *arg)
{
	bench_walk *w = arg;
	return ff_summarizer_next(w->s, &w->cursor);
}

/* Bytes a record of each version 2 field before lz4, with --columns. */
static bool bench_columns;
/* --apart: records kept apart as the agent does without a merging policy. */
static bool bench_apart;
static size_t bench_field_bytes[32], bench_field_lz4[32];

/* Bytes of `len` bytes at `p` alone through lz4 (what the column would cost by itself). */
static size_t bench_lz4_len(const uint8_t *p, size_t len)
{
	int bound = LZ4_compressBound((int)len);
	char *out = malloc((size_t)bound + 1);
	int n = out ? LZ4_compress_default((const char *)p, out, (int)len, bound) : 0;
	free(out);
	return n > 0 && (size_t)n < len ? (size_t)n : len;
}

static uint64_t bench_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (unsigned s = 0; *p < end && s < 64; s += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (b < 0x80)
			break;
	}
	return v;
}

static void bench_count_fields(const uint8_t *frame, size_t len)
{
	ff_frame_header h;
	uint8_t *payload;
	size_t plen;
	if (ff_frame_decode(frame, len, &h, &payload, &plen) != 0)
		return;
	/* Walks the top-level fields: every version 2 column is length-delimited. */
	const uint8_t *p = payload, *end = payload + plen;
	while (p < end) {
		uint64_t key = bench_varint(&p, end), type = key & 7, field = key >> 3;
		if (type == 0)
			bench_varint(&p, end);
		else if (type == 1)
			p += 8;
		else if (type == 5)
			p += 4;
		else {
			uint64_t v = bench_varint(&p, end);
			if (field < 32 && v <= (uint64_t)(end - p)) {
				bench_field_bytes[field] += v;
				bench_field_lz4[field] += bench_lz4_len(p, (size_t)v);
			}
			p += v;
		}
	}
	free(payload);
}

/* Frame bytes of the summarizer's table in `wire`, cut as the agent cuts it. */
static size_t bench_encode(ff_summarizer *s, unsigned wire, size_t *records)
{
	ff_batch head = {.epoch = 1, .interval_start_ms = BENCH_START_MS, .interval_len_ms = 10000};
	strcpy(head.agent_id, "bench");
	bench_walk w = {.s = s};
	ff_summarizer_begin(s, &w.cursor);
	size_t total = 0;
	*records = 0;
	for (;;) {
		uint8_t *frame;
		size_t len, taken;
		if (ff_batch_encode_stream(&head, bench_next, &w, BENCH_BATCH, 4u << 20, wire,
					   &frame, &len, &taken) != 0) {
			fprintf(stderr, "bench_wire: encoding failed\n");
			exit(1);
		}
		if (bench_columns && wire == FF_BATCH_WIRE_CODED)
			bench_count_fields(frame, len);
		free(frame);
		if (taken == 0)
			break;
		total += len;
		*records += taken;
	}
	return total;
}

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_report(const char *name, ff_summarizer *s)
{
	size_t n1, n2, n3;
	double t0 = bench_now();
	size_t b1 = bench_encode(s, FF_BATCH_WIRE_RECORDS, &n1);
	double t1 = bench_now();
	size_t b2 = bench_encode(s, FF_BATCH_WIRE_COLUMNS, &n2);
	double t2 = bench_now();
	size_t b3 = bench_encode(s, FF_BATCH_WIRE_CODED, &n3);
	double t3 = bench_now();
	if (n1 == 0) {
		printf("%-28s no records\n", name);
		return;
	}
	printf("%-28s %9zu records  v1 %6.2f  v2 %6.2f  v3 %6.2f B/record  (%.1fx)\n", name, n1,
	       (double)b1 / (double)n1, (double)b2 / (double)n2, (double)b3 / (double)n3,
	       (double)b1 / (double)b3);
	printf("%-28s encode (framed, lz4): v1 %.0f  v2 %.0f  v3 %.0f ns/record\n", "",
	       (t1 - t0) * 1e9 / (double)n1, (t2 - t1) * 1e9 / (double)n2,
	       (t3 - t2) * 1e9 / (double)n3);
	for (unsigned f = 8; bench_columns && f < 32; f++) {
		if (bench_field_bytes[f] != 0)
			printf("  field %2u: %6.2f B/record before lz4, %6.2f alone through lz4\n",
			       f, (double)bench_field_bytes[f] / (double)n2,
			       (double)bench_field_lz4[f] / (double)n2);
		bench_field_bytes[f] = bench_field_lz4[f] = 0;
	}
}

/* `n` records over one 10 s interval, from a pool of keys or flood-shaped. */
static ff_summarizer *bench_generate(size_t n, bool distinct)
{
	struct ffgen_rng r;
	ffgen_rng_seed(&r, 1);
	struct ffgen_keytab kt = {0};
	struct ffgen_flood fl;
	struct ffgen_zipf pick = {0};
	if (distinct ? ffgen_flood_init(&fl, 100000, 1.1) != 0
		     : ffgen_keytab_build(&kt, &r, 200000, 1.1) != 0 ||
			   ffgen_zipf_init(&pick, 200000, 1.1) != 0) {
		fprintf(stderr, "bench_wire: out of memory\n");
		exit(1);
	}
	ff_summarizer *s = ff_summarizer_new(n);
	if (s != NULL && bench_apart)
		ff_summarizer_set_merge(s, false);
	for (size_t i = 0; s != NULL && i < n; i++) {
		struct ffgen_key k;
		if (distinct)
			ffgen_flood_draw(&fl, &r, &k);
		else
			k = kt.keys[ffgen_zipf_draw(&pick, &r)];
		ff_flow f = bench_record(&k, &r, BENCH_START_MS + i * 10000 / n);
		if (ff_summarizer_add(s, &f) != 0)
			exit(1);
	}
	if (distinct)
		ffgen_flood_free(&fl);
	else {
		ffgen_keytab_free(&kt);
		ffgen_zipf_free(&pick);
	}
	return s;
}

static void bench_on_record(void *arg, const ff_flow *f)
{
	ff_summarizer_add(arg, f);
}

/* The capture decoded as the agent decodes it, all of it in one interval. */
static ff_summarizer *bench_pcap(const char *path)
{
	ff_summarizer *s = ff_summarizer_new(4096);
	if (s != NULL && bench_apart)
		ff_summarizer_set_merge(s, false);
	ff_decoder_ctx d;
	ff_pcap_reader *r;
	char err[256];
	if (s == NULL || ff_decoder_ctx_init(&d, bench_on_record, s) != 0 ||
	    ff_pcap_open(path, &r, err, sizeof err) != 0) {
		fprintf(stderr, "bench_wire: %s: cannot decode\n", path);
		exit(1);
	}
	ff_pcap_udp u;
	while (ff_pcap_next(r, &u) == 1) {
		uint8_t exporter[FF_ADDR_LEN];
		memcpy(exporter, u.src, FF_ADDR_LEN);
		ff_decode_dispatch(&d, u.payload, u.len, exporter, u.ts_us / 1000);
	}
	ff_pcap_close(r);
	ff_decoder_expire(&d, UINT64_MAX / 2);
	ff_decoder_ctx_release(&d);
	return s;
}

/* Writes the de-framed payload of `b` in `wire` to DIR/NAME-vWIRE. */
static void bench_seed(const char *dir, const char *name, const ff_batch *b, unsigned wire)
{
	uint8_t *frame, *payload;
	size_t len, plen;
	ff_frame_header h;
	if (ff_batch_encode_wire(b, wire, &frame, &len) != 0 ||
	    ff_frame_decode(frame, len, &h, &payload, &plen) != 0)
		exit(1);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-v%u", dir, name, wire);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(payload, 1, plen, f) != plen || fclose(f) != 0) {
		fprintf(stderr, "bench_wire: cannot write %s\n", path);
		exit(1);
	}
	free(payload);
	free(frame);
}

static int bench_seeds(const char *dir)
{
	struct ffgen_rng r;
	ffgen_rng_seed(&r, 7);
	struct ffgen_flood fl;
	if (ffgen_flood_init(&fl, 1000, 1.1) != 0)
		return 1;
	ff_flow recs[40];
	for (size_t i = 0; i < 40; i++) {
		struct ffgen_key k;
		ffgen_flood_draw(&fl, &r, &k);
		recs[i] = bench_record(&k, &r, BENCH_START_MS + 5000);
	}
	ffgen_flood_free(&fl);
	ff_batch b = {.epoch = 9,
		      .sequence = 3,
		      .interval_start_ms = BENCH_START_MS,
		      .interval_len_ms = 10000,
		      .records = recs,
		      .n_records = 40};
	strcpy(b.agent_id, "seed");
	for (unsigned v = 1; v <= 3; v++)
		bench_seed(dir, "v4", &b, v);
	ff_addr_parse("2001:db8::7", recs[3].src_addr);
	ff_addr_parse("fe80::1", recs[5].exporter);
	memset(recs[7].dst_addr, 0, FF_ADDR_LEN);
	recs[7].wildcards = FF_FIELD_DST_ADDR | FF_FIELD_TOS;
	recs[9].sampling_rate = 100;
	for (unsigned v = 1; v <= 3; v++)
		bench_seed(dir, "mixed", &b, v);
	b.n_records = 1;
	bench_seed(dir, "one", &b, 2);
	b.n_records = 0;
	bench_seed(dir, "empty", &b, 2);
	/* Skewed ports and protocols, so that version 3 codes them. */
	for (size_t i = 0; i < 40; i++) {
		recs[i].dst_port = i % 5 ? 443 : (uint16_t)(1000 + i);
		recs[i].proto = i % 4 ? 6 : 17;
	}
	b.n_records = 40;
	bench_seed(dir, "coded", &b, 3);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 500000;
	const char *pcap = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
			return bench_seeds(argv[++i]);
		if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--columns") == 0)
			bench_columns = true;
		else if (strcmp(argv[i], "--apart") == 0)
			bench_apart = true;
		else if (strcmp(argv[i], "--pcap") == 0 && i + 1 < argc)
			pcap = argv[++i];
		else {
			fprintf(stderr,
				"usage: bench_wire [--records N] [--apart] [--columns] [--pcap FILE] | "
				"--seeds DIR\n");
			return 2;
		}
	}
	ff_summarizer *s = bench_generate(n, false);
	bench_report("pooled (200k keys)", s);
	ff_summarizer_free(s);
	s = bench_generate(n, true);
	bench_report("distinct (flood, 100k hosts)", s);
	ff_summarizer_free(s);
	if (pcap != NULL) {
		s = bench_pcap(pcap);
		bench_report(pcap, s);
		ff_summarizer_free(s);
	}
	return 0;
}
