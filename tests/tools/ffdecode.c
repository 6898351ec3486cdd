/*
 * ffdecode: replays the flow exports in capture or payload files through the
 * agent's own decoders and prints what they made of them, as one JSON line.
 * The corpus test compares that line with tshark's decoding of the same file.
 *
 * Datagrams take the agent's path exactly: one ff_decoder_ctx for the whole
 * run (so templates learnt from one datagram or file decode the next),
 * ff_decode_dispatch() per datagram with the datagram's source address as
 * the exporter, and ff_exporter_stats counting what the agent would count.
 *
 * Input files are pcap/pcapng captures (every UDP datagram, or only those to
 * --port) or raw payload files: .dat/.bin/.dump/.ipfix files are export
 * messages without any headers, sometimes several concatenated, which are
 * split where the protocol says how long a message is (see raw_next_len).
 */

#include "decoder.h"
#include "exporter_stats.h"
#include "ff_flow.h"
#include "pcap_reader.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where raw payload files "come from": the same values the corpus's derived pcaps use. */
#define RAW_EXPORTER "192.0.2.1"
#define RAW_FIRST_MS 1000000000000ull
#define RAW_STEP_MS 1000u
/* Raw files are small test vectors; anything larger is not one. */
#define RAW_MAX_FILE (64u << 20)
#define MAX_EXPORTERS 4096
/* Exit status when a capture's link type is not one the reader parses. */
#define EXIT_LINK 3
/* Exit status when a capture is corrupt part-way: what came before was decoded. */
#define EXIT_CORRUPT 4

enum proto { P_NF5, P_NF9, P_IPFIX, P_SFLOW, P_OTHER, P_N };
static const char *const proto_names[P_N] = {"netflow5", "netflow9", "ipfix", "sflow5", "other"};

struct totals {
	uint64_t datagrams;
	uint64_t records;
	uint64_t bytes;
	uint64_t packets;
	uint64_t bytes_unscaled;
	uint64_t packets_unscaled;
};

struct ffdecode {
	ff_decoder_ctx dctx;
	ff_exporter_stats *stats;
	int only_port;	/* -1: every datagram */
	bool records;	/* print each record */
	const char *seeds; /* directory for fuzz seeds, NULL: none */
	int file_no;	   /* index of the input file being read */
	uint64_t seed_no;
	enum proto cur; /* the protocol of the datagram being decoded */
	struct totals all;
	struct totals per[P_N];
	uint64_t skipped_port;
	ff_pcap_counts pcap;
	json_t *files;
};

/* Classifies a datagram the way the dispatcher does: by its leading version field. */
static enum proto proto_of(const uint8_t *p, size_t len)
{
	if (len < 4)
		return P_OTHER;
	unsigned v16 = (unsigned)p[0] << 8 | p[1];
	if (v16 == 5)
		return P_NF5;
	if (v16 == 9)
		return P_NF9;
	if (v16 == 10)
		return P_IPFIX;
	if (v16 == 0 && p[2] == 0 && p[3] == 5)
		return P_SFLOW;
	return P_OTHER;
}

static void print_record(const ff_flow *f)
{
	char src[FF_ADDR_STRLEN], dst[FF_ADDR_STRLEN], exp[FF_ADDR_STRLEN];
	json_t *o = json_pack(
	    "{s:I,s:I,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "first_ms",
	    (json_int_t)f->first_ms, "last_ms", (json_int_t)f->last_ms, "src",
	    ff_addr_format(f->src_addr, src), "dst", ff_addr_format(f->dst_addr, dst), "sport",
	    f->src_port, "dport", f->dst_port, "proto", f->proto, "tcp_flags", f->tcp_flags, "tos",
	    f->tos, "in_if", (json_int_t)f->in_if, "out_if", (json_int_t)f->out_if, "src_as",
	    (json_int_t)f->src_as, "dst_as", (json_int_t)f->dst_as, "bytes", (json_int_t)f->bytes,
	    "packets", (json_int_t)f->packets, "flows", (json_int_t)f->flows, "sampling_rate",
	    (json_int_t)f->sampling_rate, "exporter", ff_addr_format(f->exporter, exp));
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

static void totals_add(struct totals *t, const ff_flow *f)
{
	/*
	 * Decoders scale counters by the sampling rate; the unscaled sums are
	 * what the exporter sent, which is what tshark shows.
	 */
	uint64_t rate = f->sampling_rate > 1 ? f->sampling_rate : 1;
	t->records++;
	t->bytes += f->bytes;
	t->packets += f->packets;
	t->bytes_unscaled += f->bytes / rate;
	t->packets_unscaled += f->packets / rate;
}

/* The decoder's sink. Records held for a template count with the datagram that released them. */
static void on_record(void *arg, const ff_flow *f)
{
	struct ffdecode *d = arg;
	totals_add(&d->all, f);
	totals_add(&d->per[d->cur], f);
	if (d->records)
		print_record(f);
}

/*
 * Writes a datagram as a fuzz seed in the layout of its fuzz target
 * (tests/fuzz/): v5 and sFlow take one datagram per input; v9 and IPFIX take
 * a stream of datagrams, each behind a 2-byte big-endian length, so their
 * seeds are one file per capture holding its datagrams in order (templates
 * first, as the exporter sent them).
 */
static void seed_write(struct ffdecode *d, enum proto p, const uint8_t *pkt, size_t len)
{
	static const char *const dirs[P_N] = {"nf5", "nf9", "ipfix", "sflow", NULL};
	if (d->seeds == NULL || dirs[p] == NULL || len > 0xffff)
		return;
	bool stream = p == P_NF9 || p == P_IPFIX;
	char path[4096];
	if (stream)
		snprintf(path, sizeof path, "%s/%s/f%04d", d->seeds, dirs[p], d->file_no);
	else
		snprintf(path, sizeof path, "%s/%s/f%04d-%llu", d->seeds, dirs[p], d->file_no,
			 (unsigned long long)d->seed_no++);
	FILE *f = fopen(path, stream ? "ab" : "wb");
	if (f == NULL) {
		fprintf(stderr, "ffdecode: cannot write seed %s: %s\n", path, strerror(errno));
		return;
	}
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	if ((stream && fwrite(hdr, 1, 2, f) != 2) || fwrite(pkt, 1, len, f) != len)
		fprintf(stderr, "ffdecode: short write to seed %s\n", path);
	fclose(f);
}

static void feed(struct ffdecode *d, const uint8_t *pkt, size_t len,
		 const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	seed_write(d, proto_of(pkt, len), pkt, len);
	d->cur = proto_of(pkt, len);
	d->all.datagrams++;
	d->per[d->cur].datagrams++;
	int rc = ff_decode_dispatch(&d->dctx, pkt, len, exporter, now_ms);
	ff_exporter_stats_count(d->stats, exporter, rc, now_ms);
}

static int feed_pcap(struct ffdecode *d, const char *path, json_t *info)
{
	char err[512];
	ff_pcap_reader *r;
	int orc = ff_pcap_open(path, &r, err, sizeof err);
	if (orc != 0) {
		fprintf(stderr, "ffdecode: %s\n", err);
		return orc == FF_PCAP_ELINK ? EXIT_LINK : -1;
	}
	json_object_set_new(info, "linktype", json_string(ff_pcap_linktype(r)));
	ff_pcap_udp u;
	int rc;
	while ((rc = ff_pcap_next(r, &u)) == 1) {
		if (d->only_port >= 0 && u.dst_port != d->only_port) {
			d->skipped_port++;
			continue;
		}
		feed(d, u.payload, u.len, u.src, u.ts_us / 1000);
	}
	if (rc < 0) {
		fprintf(stderr, "ffdecode: %s: %s\n", path, ff_pcap_error(r));
		json_object_set_new(info, "error", json_string(ff_pcap_error(r)));
	}
	const ff_pcap_counts *c = ff_pcap_counters(r);
	d->pcap.frames += c->frames;
	d->pcap.udp += c->udp;
	d->pcap.not_udp += c->not_udp;
	d->pcap.not_ip += c->not_ip;
	d->pcap.fragments += c->fragments;
	d->pcap.truncated += c->truncated;
	ff_pcap_close(r);
	return rc < 0 ? EXIT_CORRUPT : 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The length of an sFlow v5 datagram, found by walking its samples (the
 * header has no length field): version, agent address (type 1: 4 bytes,
 * 2: 16), sub-agent, sequence, uptime, sample count, then each sample's
 * type and length. 0 when the walk leaves the buffer.
 */
static size_t sflow_len(const uint8_t *p, size_t avail)
{
	if (avail < 8)
		return 0;
	uint32_t atype = be32(p + 4);
	size_t off = 8 + (atype == 2 ? 16u : atype == 1 ? 4u : 0u);
	if (off == 8 || off + 16 > avail)
		return 0;
	uint32_t n = be32(p + off + 12);
	off += 16;
	for (uint32_t i = 0; i < n; i++) {
		if (off + 8 > avail)
			return 0;
		uint64_t next = off + 8 + (uint64_t)be32(p + off + 4);
		if (next > avail)
			return 0;
		off = (size_t)next;
	}
	return off;
}

/*
 * How long the message at `p` is, where its own header says so: IPFIX by
 * its length field (RFC 7011 3.1), NetFlow v5 by 24 + 48 * count, sFlow by
 * walking its samples. NetFlow v9 has no message length (its count is of
 * records and templates), and a length that does not fit is a corrupt
 * message: both take the rest of the file, so the decoder sees the bytes
 * and judges them.
 */
static size_t raw_next_len(const uint8_t *p, size_t avail)
{
	size_t n = 0;
	switch (proto_of(p, avail)) {
	case P_IPFIX:
		n = (size_t)p[2] << 8 | p[3];
		n = n >= 16 ? n : 0;
		break;
	case P_NF5:
		n = 24 + 48 * (size_t)((unsigned)p[2] << 8 | p[3]);
		break;
	case P_SFLOW:
		n = sflow_len(p, avail);
		break;
	default:
		break;
	}
	return n > 0 && n <= avail ? n : avail;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "ffdecode: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	uint8_t *buf = malloc(RAW_MAX_FILE);
	size_t n = buf != NULL ? fread(buf, 1, RAW_MAX_FILE, f) : 0;
	bool too_big = n == RAW_MAX_FILE;
	fclose(f);
	if (buf == NULL || too_big) {
		fprintf(stderr, "ffdecode: %s: %s\n", path,
			too_big ? "too large for a raw payload file" : "out of memory");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int feed_raw(struct ffdecode *d, const char *path, uint64_t *clock_ms, json_t *info)
{
	size_t len = 0;
	uint8_t *buf = slurp(path, &len);
	if (buf == NULL)
		return -1;
	uint8_t exporter[FF_ADDR_LEN];
	ff_addr_parse(RAW_EXPORTER, exporter);
	size_t off = 0, messages = 0;
	while (off < len) {
		size_t n = raw_next_len(buf + off, len - off);
		feed(d, buf + off, n, exporter, *clock_ms);
		*clock_ms += RAW_STEP_MS;
		off += n;
		messages++;
	}
	json_object_set_new(info, "messages", json_integer((json_int_t)messages));
	free(buf);
	return 0;
}

/* pcap (either byte order, usec or nsec) and pcapng by their magic numbers. */
static bool is_capture(const char *path)
{
	uint8_t m[4] = {0};
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	if (n < 4)
		return false;
	uint32_t v = be32(m);
	return v == 0xa1b2c3d4 || v == 0xd4c3b2a1 || v == 0xa1b23c4d || v == 0x4d3cb2a1 ||
	       v == 0x0a0d0d0a;
}

static json_t *totals_json(const struct totals *t)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "datagrams", (json_int_t)t->datagrams,
			 "records", (json_int_t)t->records, "bytes", (json_int_t)t->bytes, "packets",
			 (json_int_t)t->packets, "bytes_unscaled", (json_int_t)t->bytes_unscaled,
			 "packets_unscaled", (json_int_t)t->packets_unscaled);
}

/* Non-zero decoder events (no template, templates learnt, ...) summed over exporters. */
static json_t *events_json(const struct ffdecode *d)
{
	uint64_t by[FF_EV_N] = {0};
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while ((e = ff_exporter_stats_next(d->stats, &cursor)) != NULL)
		for (int i = 0; i < FF_EV_N; i++)
			by[i] += e->events[i];
	json_t *o = json_object();
	for (int i = 0; i < FF_EV_N; i++)
		if (by[i] != 0)
			json_object_set_new(o, ff_exporter_event_name((enum ff_exporter_event)i),
					    json_integer((json_int_t)by[i]));
	return o;
}

/* Malformed datagrams by reason, summed over exporters, as the agent counts them. */
static json_t *malformed_json(const struct ffdecode *d, uint64_t *total)
{
	uint64_t by[FF_MAL_N] = {0};
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while ((e = ff_exporter_stats_next(d->stats, &cursor)) != NULL)
		for (int i = 0; i < FF_MAL_N; i++)
			by[i] += e->malformed[i];
	json_t *o = json_object();
	*total = 0;
	for (int i = 0; i < FF_MAL_N; i++) {
		if (by[i] == 0)
			continue;
		*total += by[i];
		json_object_set_new(o, ff_malformed_name((enum ff_malformed_reason)i),
				    json_integer((json_int_t)by[i]));
	}
	return o;
}

static json_t *pcap_json(const ff_pcap_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "frames", (json_int_t)c->frames, "udp",
			 (json_int_t)c->udp, "not_udp", (json_int_t)c->not_udp, "not_ip",
			 (json_int_t)c->not_ip, "fragments", (json_int_t)c->fragments, "truncated",
			 (json_int_t)c->truncated);
}

static void print_summary(struct ffdecode *d, const char *first_file)
{
	uint64_t mal_total;
	json_t *protos = json_object();
	for (int p = 0; p < P_N; p++)
		if (d->per[p].datagrams != 0 || d->per[p].records != 0)
			json_object_set_new(protos, proto_names[p], totals_json(&d->per[p]));
	json_t *o = totals_json(&d->all);
	json_object_set_new(o, "file", json_string(first_file));
	json_object_set_new(o, "files", json_incref(d->files));
	json_object_set_new(o, "protocols", protos);
	json_object_set_new(o, "malformed", malformed_json(d, &mal_total));
	json_object_set_new(o, "malformed_total", json_integer((json_int_t)mal_total));
	json_object_set_new(o, "events", events_json(d));
	json_object_set_new(o, "skipped_port", json_integer((json_int_t)d->skipped_port));
	json_object_set_new(o, "pcap", pcap_json(&d->pcap));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ffdecode [--port P] [--records] FILE...\n"
		"Feeds every UDP datagram of pcap/pcapng FILEs (or the messages of raw\n"
		".dat/.bin/.dump/.ipfix payload files) through the agent's decoders, with\n"
		"one decoder state across all FILEs, and prints one JSON summary line.\n\n"
		"  -p, --port P    only datagrams sent to UDP port P (captures only)\n"
		"  -r, --records   also print every decoded record as a JSON line\n"
		"  -s, --seeds DIR also write each datagram as a fuzz seed under\n"
		"                  DIR/{nf5,nf9,ipfix,sflow}/ (the directories must exist)\n"
		"  -h, --help      this text\n\n"
		"Exit status: 0, 1 when a file could not be read, 3 when a capture's link\n"
		"type is not supported, 4 when a capture is corrupt part-way (what came\n"
		"before is in the summary), 2 for bad usage.\n");
}

static int parse_args(struct ffdecode *d, int argc, char **argv)
{
	static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
					     {"records", no_argument, NULL, 'r'},
					     {"seeds", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "p:rs:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p':
			d->only_port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || d->only_port < 0 || d->only_port > 65535) {
				fprintf(stderr, "ffdecode: --port %s: not a port number\n", optarg);
				return 2;
			}
			break;
		case 'r':
			d->records = true;
			break;
		case 's':
			d->seeds = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int run(struct ffdecode *d, int argc, char **argv)
{
	uint64_t raw_clock = RAW_FIRST_MS;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		d->file_no = i - optind;
		json_t *info = json_pack("{s:s}", "path", argv[i]);
		bool cap = is_capture(argv[i]);
		json_object_set_new(info, "kind", json_string(cap ? "capture" : "raw"));
		int rc = cap ? feed_pcap(d, argv[i], info) : feed_raw(d, argv[i], &raw_clock, info);
		if (rc != 0 && status != 1)
			status = rc < 0 ? 1 : rc;
		json_array_append_new(d->files, info);
	}
	print_summary(d, argv[optind]);
	return status;
}

int main(int argc, char **argv)
{
	struct ffdecode d = {.only_port = -1};
	int rc = parse_args(&d, argc, argv);
	if (rc != 0)
		return rc;
	d.stats = ff_exporter_stats_new(MAX_EXPORTERS);
	d.files = json_array();
	if (d.stats == NULL || d.files == NULL ||
	    ff_decoder_ctx_init(&d.dctx, on_record, &d) != 0) {
		fprintf(stderr, "ffdecode: out of memory\n");
		return 1;
	}
	d.dctx.stats = d.stats;
	rc = run(&d, argc, argv);
	/* Data still held for a template at the end is what the agent would expire. */
	ff_decoder_expire(&d.dctx, UINT64_MAX / 2);
	ff_decoder_ctx_release(&d.dctx);
	json_decref(d.files);
	ff_exporter_stats_free(d.stats);
	return rc;
}
