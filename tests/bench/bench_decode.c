/*
 * bench_decode: in-process decode throughput of the agent's decoders, in
 * records per second on one core.
 *
 * Each protocol gets a ring of prebuilt datagrams in memory (synthetic ones
 * shaped like softflowd's and a switch's exports: NetFlow v5, v9 and IPFIX
 * with a template refreshed once per ring, sFlow v5 flow samples with raw
 * Ethernet/IPv4/TCP headers), or the UDP datagrams of a capture (--pcap).
 * The ring is fed through ff_decode_dispatch() for --seconds; the sink only
 * sums counters, so the figure is the decoder's cost, not the summarizer's.
 * No socket is involved: bench_ingest.sh measures the whole path.
 */

#include "decoder.h"
#include "ff_flow.h"
#include "pcap_reader.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 64
#define MAX_DGRAM 2048
#define NF5_RECS 30
#define NF9_RECS 30
#define IPFIX_RECS 25
#define SFLOW_SAMPLES 10
/* A capture ring holds at most this many datagrams. */
#define PCAP_RING 4096

struct ring {
	uint8_t *buf[PCAP_RING];
	size_t len[PCAP_RING];
	uint8_t exporter[PCAP_RING][FF_ADDR_LEN];
	size_t n;
};

struct sink {
	uint64_t records;
	uint64_t bytes; /* read so the compiler cannot drop the records */
};

static void on_record(void *arg, const ff_flow *f)
{
	struct sink *s = arg;
	s->records++;
	s->bytes += f->bytes;
}

/* Big-endian writers over a cursor. */
static uint8_t *w8(uint8_t *p, unsigned v)
{
	*p = (uint8_t)v;
	return p + 1;
}

static uint8_t *w16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *w32(uint8_t *p, uint32_t v)
{
	p = w16(p, v >> 16);
	return w16(p, v & 0xffff);
}

static uint8_t *w64(uint8_t *p, uint64_t v)
{
	p = w32(p, (uint32_t)(v >> 32));
	return w32(p, (uint32_t)v);
}

/* Flow keys vary per record so nothing downstream could cache them. */
static uint32_t key_src(unsigned d, unsigned i)
{
	return 0x0a000000u | (d << 8) | i;
}

static uint32_t key_dst(unsigned d, unsigned i)
{
	return 0xc0a80000u | ((d * 7 + i) & 0xffff);
}

static size_t build_nf5(unsigned d, uint8_t *buf)
{
	uint8_t *p = w16(w16(buf, 5), NF5_RECS);
	p = w32(w32(w32(p, 100000), 1700000000), 0);
	p = w32(p, d * NF5_RECS);
	p = w16(p, 0);
	p = w16(p, 0);
	for (unsigned i = 0; i < NF5_RECS; i++) {
		p = w32(w32(w32(p, key_src(d, i)), key_dst(d, i)), 0);
		p = w16(w16(p, 1), 2);
		p = w32(w32(p, 10 + i), 1500 * (10 + i));
		p = w32(w32(p, 90000), 99000);
		p = w16(w16(p, 1024 + i), 443);
		p = w8(w8(w8(w8(p, 0), 0x1b), 6), 0);
		p = w16(w16(p, 64500), 64501);
		p = w8(w8(p, 24), 24);
		p = w16(p, 0);
	}
	return (size_t)(p - buf);
}

/* Template fields shared by the v9 and IPFIX rings: (element id, length). */
static const uint16_t tmpl_v9[][2] = {{8, 4},  {12, 4}, {7, 2}, {11, 2}, {4, 1},
				      {6, 1},  {5, 1},	{10, 4}, {14, 4}, {1, 4},
				      {2, 4},  {22, 4}, {21, 4}};
static const uint16_t tmpl_ipfix[][2] = {{8, 4},  {12, 4}, {7, 2},   {11, 2},	{4, 1},
					 {6, 1},  {5, 1},  {10, 4},  {14, 4},	{1, 8},
					 {2, 8},  {152, 8}, {153, 8}};
#define TMPL_FIELDS 13

static uint8_t *put_template(uint8_t *p, unsigned set_id, const uint16_t (*t)[2])
{
	p = w16(w16(p, set_id), 8 + TMPL_FIELDS * 4);
	p = w16(w16(p, 256), TMPL_FIELDS);
	for (int i = 0; i < TMPL_FIELDS; i++)
		p = w16(w16(p, t[i][0]), t[i][1]);
	return p;
}

static uint8_t *put_keys(uint8_t *p, unsigned d, unsigned i)
{
	p = w32(w32(p, key_src(d, i)), key_dst(d, i));
	p = w16(w16(p, 1024 + i), 443);
	p = w8(w8(w8(p, 6), 0x1b), 0);
	return w32(w32(p, 1), 2);
}

static size_t build_nf9(unsigned d, uint8_t *buf)
{
	/* Version and count go in last, once the count is known. */
	uint8_t *p = w32(w32(buf + 4, 100000), 1700000000);
	p = w32(w32(p, d), 1);
	unsigned count = NF9_RECS;
	if (d == 0) {
		p = put_template(p, 0, tmpl_v9);
		count++;
	}
	uint8_t *set = p;
	p += 4;
	for (unsigned i = 0; i < NF9_RECS; i++)
		p = w32(w32(w32(w32(put_keys(p, d, i), 10 + i), 1500 * (10 + i)), 90000), 99000);
	while ((p - set) % 4)
		p = w8(p, 0);
	w16(w16(set, 256), (unsigned)(p - set));
	w16(w16(buf, 9), count);
	return (size_t)(p - buf);
}

static size_t build_ipfix(unsigned d, uint8_t *buf)
{
	uint8_t *p = w32(w32(w32(buf + 4, 1700000000), d * IPFIX_RECS), 1);
	if (d == 0)
		p = put_template(p, 2, tmpl_ipfix);
	uint8_t *set = p;
	p += 4;
	for (unsigned i = 0; i < IPFIX_RECS; i++) {
		p = w64(w64(put_keys(p, d, i), 10 + i), 1500 * (10 + i));
		p = w64(w64(p, 1700000000000ull), 1700000009000ull);
	}
	w16(w16(set, 256), (unsigned)(p - set));
	w16(w16(buf, 10), (unsigned)(p - buf));
	return (size_t)(p - buf);
}

/* A 54-byte Ethernet/IPv4/TCP header as a switch samples it. */
static uint8_t *put_sampled_header(uint8_t *p, unsigned d, unsigned i)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	memcpy(p, mac, 12);
	p = w16(p + 12, 0x0800);
	p = w16(w8(w8(p, 0x45), 0), 1500);
	p = w32(w32(p, 0), 0x40060000);
	p = w32(w32(p, key_src(d, i)), key_dst(d, i));
	p = w16(w16(p, 1024 + i), 443);
	p = w32(w32(p, 1), 0);
	p = w16(w16(p, 0x5010), 65535);
	p = w32(p, 0);
	return w16(p, 0); /* pad the 54 header bytes to 56 (XDR alignment) */
}

static size_t build_sflow(unsigned d, uint8_t *buf)
{
	uint8_t *p = w32(w32(w32(buf, 5), 1), 0xc0000201);
	p = w32(w32(w32(w32(p, 0), d), 100000), SFLOW_SAMPLES);
	for (unsigned i = 0; i < SFLOW_SAMPLES; i++) {
		p = w32(w32(p, 1), 32 + 8 + 16 + 56);
		p = w32(w32(w32(p, d * SFLOW_SAMPLES + i), 3), 512);
		p = w32(w32(w32(p, 512 * (d * SFLOW_SAMPLES + i)), 0), 3);
		p = w32(w32(p, 4), 1);
		p = w32(w32(p, 1), 16 + 56);
		p = w32(w32(w32(w32(p, 1), 1514), 4), 54);
		p = put_sampled_header(p, d, i);
	}
	return (size_t)(p - buf);
}

static int ring_synthetic(struct ring *r, size_t (*build)(unsigned, uint8_t *))
{
	r->n = 0;
	for (unsigned d = 0; d < RING; d++) {
		r->buf[d] = calloc(1, MAX_DGRAM);
		if (r->buf[d] == NULL)
			return -1;
		r->len[d] = build(d, r->buf[d]);
		ff_addr_from_v4(r->exporter[d], 0x7f000001);
		r->n++;
	}
	return 0;
}

static int ring_pcap(struct ring *r, const char *path, int port)
{
	char err[512];
	ff_pcap_reader *pr;
	if (ff_pcap_open(path, &pr, err, sizeof err) != 0) {
		fprintf(stderr, "bench_decode: %s\n", err);
		return -1;
	}
	ff_pcap_udp u;
	r->n = 0;
	while (r->n < PCAP_RING && ff_pcap_next(pr, &u) == 1) {
		if (port >= 0 && u.dst_port != port)
			continue;
		if ((r->buf[r->n] = malloc(u.len ? u.len : 1)) == NULL)
			break;
		memcpy(r->buf[r->n], u.payload, u.len);
		r->len[r->n] = u.len;
		memcpy(r->exporter[r->n], u.src, FF_ADDR_LEN);
		r->n++;
	}
	ff_pcap_close(pr);
	return r->n > 0 ? 0 : -1;
}

static void ring_free(struct ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->buf[i]);
	r->n = 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Loops the ring for `seconds`, checking the clock once per ring pass.
 * Prints one line; returns -1 when the decoder rejected the first datagrams
 * (no decoder for the protocol yet).
 */
static int bench_ring(const char *name, const struct ring *r, double seconds)
{
	struct sink s = {0};
	ff_decoder_ctx ctx;
	if (ff_decoder_ctx_init(&ctx, on_record, &s) != 0)
		return -1;
	uint64_t dgrams = 0, rejected = 0;
	double t0 = now_s(), t;
	do {
		for (size_t i = 0; i < r->n; i++) {
			int rc = ff_decode_dispatch(&ctx, r->buf[i], r->len[i], r->exporter[i], 0);
			rejected += rc < 0;
		}
		dgrams += r->n;
		t = now_s() - t0;
	} while (t < seconds && s.records > 0);
	ff_decoder_ctx_release(&ctx);
	if (s.records == 0) {
		printf("%-8s no records decoded (%llu of %zu datagrams rejected): no decoder yet?\n",
		       name, (unsigned long long)rejected, r->n);
		return -1;
	}
	printf("%-8s %12.0f records/s %10.0f datagrams/s %7.1f ns/record  (%llu records, "
	       "%.2f s, %llu rejected)\n",
	       name, (double)s.records / t, (double)dgrams / t, t * 1e9 / (double)s.records,
	       (unsigned long long)s.records, t, (unsigned long long)rejected);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench_decode [--seconds S] [--proto nf5,nf9,ipfix,sflow]\n"
		     "       bench_decode [--seconds S] --pcap FILE [--port P]\n"
		     "Decode throughput of the agent's decoders on one core, in records/s.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'}, {"proto", required_argument, NULL, 'P'},
	    {"pcap", required_argument, NULL, 'f'},    {"port", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0}};
	double seconds = 2.0;
	const char *protos = "nf5,nf9,ipfix,sflow", *pcap = NULL;
	int port = -1, c;
	while ((c = getopt_long(argc, argv, "s:P:f:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'P':
			protos = optarg;
			break;
		case 'f':
			pcap = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	static struct ring r;
	if (pcap != NULL) {
		if (ring_pcap(&r, pcap, port) != 0)
			return 1;
		int rc = bench_ring("pcap", &r, seconds);
		ring_free(&r);
		return rc == 0 ? 0 : 1;
	}
	static const struct {
		const char *name;
		size_t (*build)(unsigned, uint8_t *);
	} all[] = {{"nf5", build_nf5}, {"nf9", build_nf9}, {"ipfix", build_ipfix}, {"sflow", build_sflow}};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strstr(protos, all[i].name) == NULL)
			continue;
		if (ring_synthetic(&r, all[i].build) == 0)
			bench_ring(all[i].name, &r, seconds);
		ring_free(&r);
	}
	return 0;
}
