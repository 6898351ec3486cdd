/*
 * ffgen: a deterministic NetFlow v5 generator for tests and benchmarks.
 *
 * A seed fixes everything that matters to a comparison: the table of
 * distinct keys, the order in which records pick them and their counters.
 * Only the header and record timestamps follow the wall clock, so two runs
 * with one seed send the same flows in the same order. The ground truth of
 * what was actually handed to the kernel is written per key as CSV, which
 * is what the integration tests compare the whole pipeline against.
 *
 * Traffic only ever goes to 127.0.0.0/8: the tool refuses anything else.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ffgen_flood.h"
#include "ffgen_rng.h"
#include "ffgen_v5.h"

#define FFGEN_MAX_DEST 4

struct ffgen_opts {
	uint64_t seed;
	uint64_t flows;
	uint64_t rate;
	uint32_t keys;
	uint32_t hosts; /* --distinct: host population */
	bool distinct;
	double zipf;
	uint32_t uptime_ms;
	uint32_t max_packets;
	uint32_t span_s;
	uint32_t skip_bp; /* --skip-pct in hundredths of a percent */
	uint8_t engine_type;
	uint8_t engine_id;
	const char *truth;
	const char *malformed;
	struct sockaddr_in dest[FFGEN_MAX_DEST];
	size_t n_dest;
	bool quiet;
};

/* Per-key totals of what was sent: the ground truth. */
struct ffgen_tally {
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
};

static void ffgen_usage(FILE *out)
{
	fprintf(out,
		"usage: ffgen [options] --dest 127.0.0.1:PORT\n"
		"Sends a deterministic stream of NetFlow v5 datagrams to loopback.\n\n"
		"  --dest ADDR:PORT       destination, 127.x only; repeat (up to %d) to send\n"
		"                         every datagram to each destination\n"
		"  --seed N               PRNG seed (default 1)\n"
		"  --flows N              v5 records to send (default 10000)\n"
		"  --rate N               records per second, 0 = as fast as possible (default 0)\n"
		"  --keys N               distinct keys (5-tuple + ToS) to draw from (default 1000)\n"
		"  --distinct             flood shape instead of a key pool: every record draws a\n"
		"                         new key (addresses Zipf over --hosts, source port uniform,\n"
		"                         destination port a service or any), so almost no two\n"
		"                         records share a key; --keys is ignored\n"
		"  --hosts N              --distinct: hosts per side, 1..%u (default 100000)\n"
		"  --zipf S               popularity skew of keys, addresses and ports (default 1.1)\n"
		"  --max-packets N        packets per record are 1..N (default 1000)\n"
		"  --truth FILE           write the ground truth per key as CSV\n"
		"  --exporter-uptime MS   sys_uptime of the first datagram (default 3600000)\n"
		"  --span SECONDS         stamp the records as if exported over the last SECONDS:\n"
		"                         header clock and uptime advance evenly with the records\n"
		"                         sent (default 0: the real clock)\n"
		"  --engine-id N          engine_id in every header (default 0)\n"
		"  --skip-pct P           withhold each datagram after the first with probability\n"
		"                         P%% (0..50, seeded): its records are not sent and not in\n"
		"                         the truth, but flow_sequence skips them, as if the\n"
		"                         network lost them; the summary says how many\n"
		"  --malformed KIND       send one bad datagram and exit; KIND is random, short,\n"
		"                         lying-count, bad-count or bad-version\n"
		"  --quiet                no summary on stderr\n"
		"  --help                 this text\n",
		FFGEN_MAX_DEST, FFGEN_FLOOD_MAX_HOSTS);
}

/* Parses "127.x.y.z:PORT"; any other address is refused on purpose. */
static int ffgen_parse_dest(const char *arg, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	char *end = NULL;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return -1;
	if ((ntohl(out->sin_addr.s_addr) >> 24) != 127)
		return -2;
	return 0;
}

static int ffgen_parse_u64(const char *name, const char *arg, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || *end != '\0' || arg[0] == '-' || v > max) {
		fprintf(stderr, "ffgen: --%s: bad number '%s' (0..%llu)\n", name, arg,
			(unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	OPT_DEST = 256,
	OPT_SEED,
	OPT_FLOWS,
	OPT_RATE,
	OPT_KEYS,
	OPT_DISTINCT,
	OPT_HOSTS,
	OPT_ZIPF,
	OPT_MAX_PACKETS,
	OPT_TRUTH,
	OPT_UPTIME,
	OPT_SPAN,
	OPT_ENGINE,
	OPT_MALFORMED,
	OPT_QUIET,
	OPT_SKIP,
	OPT_HELP,
};

static const struct option ffgen_long_opts[] = {
	{"dest", required_argument, NULL, OPT_DEST},
	{"seed", required_argument, NULL, OPT_SEED},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"rate", required_argument, NULL, OPT_RATE},
	{"keys", required_argument, NULL, OPT_KEYS},
	{"distinct", no_argument, NULL, OPT_DISTINCT},
	{"hosts", required_argument, NULL, OPT_HOSTS},
	{"zipf", required_argument, NULL, OPT_ZIPF},
	{"max-packets", required_argument, NULL, OPT_MAX_PACKETS},
	{"truth", required_argument, NULL, OPT_TRUTH},
	{"exporter-uptime", required_argument, NULL, OPT_UPTIME},
	{"span", required_argument, NULL, OPT_SPAN},
	{"engine-id", required_argument, NULL, OPT_ENGINE},
	{"malformed", required_argument, NULL, OPT_MALFORMED},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"skip-pct", required_argument, NULL, OPT_SKIP},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static int ffgen_add_dest(struct ffgen_opts *o, const char *arg)
{
	if (o->n_dest == FFGEN_MAX_DEST) {
		fprintf(stderr, "ffgen: at most %d --dest\n", FFGEN_MAX_DEST);
		return -1;
	}
	int rc = ffgen_parse_dest(arg, &o->dest[o->n_dest]);
	if (rc == -2) {
		fprintf(stderr, "ffgen: --dest %s: only 127.0.0.0/8 is allowed\n", arg);
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "ffgen: --dest %s: expected 127.x.y.z:PORT\n", arg);
		return -1;
	}
	o->n_dest++;
	return 0;
}

static int ffgen_set_opt(struct ffgen_opts *o, int c, const char *arg)
{
	uint64_t v = 0;
	switch (c) {
	case OPT_DEST:
		return ffgen_add_dest(o, arg);
	case OPT_SEED:
		return ffgen_parse_u64("seed", arg, UINT64_MAX, &o->seed);
	case OPT_FLOWS:
		return ffgen_parse_u64("flows", arg, UINT64_MAX / 2, &o->flows);
	case OPT_RATE:
		return ffgen_parse_u64("rate", arg, 1000000000, &o->rate);
	case OPT_KEYS:
		if (ffgen_parse_u64("keys", arg, 1u << 24, &v) < 0 || v == 0)
			return -1;
		o->keys = (uint32_t)v;
		return 0;
	case OPT_DISTINCT:
		o->distinct = true;
		return 0;
	case OPT_HOSTS:
		if (ffgen_parse_u64("hosts", arg, FFGEN_FLOOD_MAX_HOSTS, &v) < 0 || v == 0)
			return -1;
		o->hosts = (uint32_t)v;
		return 0;
	case OPT_ZIPF: {
		char *end = NULL;
		o->zipf = strtod(arg, &end);
		if (*end != '\0' || !(o->zipf >= 0.0 && o->zipf <= 5.0)) {
			fprintf(stderr, "ffgen: --zipf: expected 0..5, got '%s'\n", arg);
			return -1;
		}
		return 0;
	}
	case OPT_MAX_PACKETS:
		/* Bounded so that packets * 1500 still fits v5's 32-bit dOctets. */
		if (ffgen_parse_u64("max-packets", arg, 1000000, &v) < 0 || v == 0)
			return -1;
		o->max_packets = (uint32_t)v;
		return 0;
	case OPT_TRUTH:
		o->truth = arg;
		return 0;
	case OPT_UPTIME:
		if (ffgen_parse_u64("exporter-uptime", arg, UINT32_MAX / 2, &v) < 0)
			return -1;
		o->uptime_ms = (uint32_t)v;
		return 0;
	case OPT_SPAN:
		/* Bounded so that the uptime stays within v5's 32-bit milliseconds. */
		if (ffgen_parse_u64("span", arg, 30 * 86400, &v) < 0)
			return -1;
		o->span_s = (uint32_t)v;
		return 0;
	case OPT_ENGINE:
		if (ffgen_parse_u64("engine-id", arg, 255, &v) < 0)
			return -1;
		o->engine_id = (uint8_t)v;
		return 0;
	case OPT_MALFORMED:
		o->malformed = arg;
		return 0;
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_SKIP: {
		char *end = NULL;
		double pct = strtod(arg, &end);
		if (*end != '\0' || !(pct >= 0.0 && pct <= 50.0)) {
			fprintf(stderr, "ffgen: --skip-pct: expected 0..50, got '%s'\n", arg);
			return -1;
		}
		o->skip_bp = (uint32_t)(pct * 100.0 + 0.5);
		return 0;
	}
	default:
		return -1;
	}
}

/* Returns 0 to run, 1 after --help, -1 on a bad command line. */
static int ffgen_parse_args(struct ffgen_opts *o, int argc, char **argv)
{
	*o = (struct ffgen_opts){
		.seed = 1, .flows = 10000, .keys = 1000, .hosts = 100000, .zipf = 1.1, .uptime_ms = 3600000,
		.max_packets = 1000,
	};
	int c;
	while ((c = getopt_long(argc, argv, "", ffgen_long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			ffgen_usage(stdout);
			return 1;
		}
		if (c == '?' || ffgen_set_opt(o, c, optarg) < 0) {
			fprintf(stderr, "ffgen: try --help\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ffgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->n_dest == 0) {
		fprintf(stderr, "ffgen: --dest 127.0.0.1:PORT is required\n");
		return -1;
	}
	return 0;
}

static double ffgen_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Unix time in seconds: the base of --span's simulated export clock. */
static double ffgen_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Sends one datagram to every destination. A full socket buffer (EAGAIN,
 * ENOBUFS) is retried after a short pause so the truth never counts a
 * datagram the kernel refused. Returns 0 or -1 on a hard error.
 */
static int ffgen_send(int fd, const struct ffgen_opts *o, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < o->n_dest; i++) {
		for (int tries = 0;; tries++) {
			ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)&o->dest[i],
					   sizeof(o->dest[i]));
			if (n == (ssize_t)len)
				break;
			if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) &&
			    tries < 1000) {
				struct timespec pause = {0, 1000000};
				nanosleep(&pause, NULL);
				continue;
			}
			perror("ffgen: sendto");
			return -1;
		}
	}
	return 0;
}

/* Sleeps until `records` records are due at the target rate. */
static void ffgen_pace(const struct ffgen_opts *o, double start, uint64_t records)
{
	if (o->rate == 0)
		return;
	double due = start + (double)records / (double)o->rate;
	double now = ffgen_now();
	if (due <= now)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double wait = due - now;
	ts.tv_sec += (time_t)wait;
	ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int ffgen_write_truth(const char *path, const struct ffgen_key *keys, uint32_t n_keys,
			     const struct ffgen_tally *tally)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "ffgen: cannot write truth %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "src,dst,sport,dport,proto,tos,flows,packets,bytes\n");
	for (uint32_t i = 0; i < n_keys; i++) {
		if (tally[i].flows == 0)
			continue;
		const struct ffgen_key *k = &keys[i];
		fprintf(f, "%u.%u.%u.%u,%u.%u.%u.%u,%u,%u,%u,%u,%llu,%llu,%llu\n",
			k->src >> 24, (k->src >> 16) & 255, (k->src >> 8) & 255, k->src & 255,
			k->dst >> 24, (k->dst >> 16) & 255, (k->dst >> 8) & 255, k->dst & 255,
			k->sport, k->dport, k->proto, k->tos,
			(unsigned long long)tally[i].flows, (unsigned long long)tally[i].packets,
			(unsigned long long)tally[i].bytes);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "ffgen: writing truth %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct ffgen_stats {
	uint64_t records, packets, bytes, datagrams;
	uint64_t skipped; /* records withheld by --skip-pct */
};

/*
 * Whether --skip-pct withholds the datagram just built. Never the first:
 * the receiver needs one sequence number to measure gaps from. Its own
 * generator, so the records drawn are the same with or without skipping.
 */
static bool ffgen_skip(const struct ffgen_opts *o, struct ffgen_rng *r, const struct ffgen_stats *st)
{
	return o->skip_bp > 0 && st->datagrams > 0 && ffgen_rng_below(r, 10000) < o->skip_bp;
}

/*
 * Where records get their keys: the pooled table (a Zipf draw of a key
 * index) or the flood shape (a fresh key per record, indexed in `seen`
 * only when the truth is wanted). The tally grows with the keys it counts.
 */
struct ffgen_source {
	struct ffgen_keytab kt;
	struct ffgen_zipf kz;
	struct ffgen_flood flood;
	struct ffgen_keyset seen;
	bool distinct, truth;
	struct ffgen_tally *tally; /* owned, cap entries */
	uint32_t cap;
};

static int ffgen_source_init(struct ffgen_source *src, const struct ffgen_opts *o,
			     struct ffgen_rng *rng)
{
	memset(src, 0, sizeof(*src));
	src->distinct = o->distinct;
	src->truth = o->truth != NULL;
	if (o->distinct)
		return ffgen_flood_init(&src->flood, o->hosts, o->zipf);
	if (ffgen_keytab_build(&src->kt, rng, o->keys, o->zipf) < 0 ||
	    ffgen_zipf_init(&src->kz, src->kt.n, o->zipf) < 0)
		return -1;
	src->tally = calloc(src->kt.n, sizeof(*src->tally));
	src->cap = src->kt.n;
	return src->tally ? 0 : -1;
}

static void ffgen_source_free(struct ffgen_source *src)
{
	free(src->tally);
	ffgen_zipf_free(&src->kz);
	ffgen_keytab_free(&src->kt);
	ffgen_flood_free(&src->flood);
	ffgen_keyset_free(&src->seen);
}

/* Makes room in the tally for key index `i`. Returns 0 or -1 when out of memory. */
static int ffgen_source_room(struct ffgen_source *src, uint32_t i)
{
	if (i < src->cap)
		return 0;
	uint32_t cap = src->seen.cap > i ? src->seen.cap : i + 1;
	struct ffgen_tally *t = realloc(src->tally, (size_t)cap * sizeof(*t));
	if (!t)
		return -1;
	memset(t + src->cap, 0, (size_t)(cap - src->cap) * sizeof(*t));
	src->tally = t;
	src->cap = cap;
	return 0;
}

/* The next record's key and its index in the truth. Returns 0 or -1 when out of memory. */
static int ffgen_source_draw(struct ffgen_source *src, struct ffgen_rng *rng,
			     struct ffgen_key *key, uint32_t *index)
{
	if (!src->distinct) {
		*index = ffgen_zipf_draw(&src->kz, rng);
		*key = src->kt.keys[*index];
		return 0;
	}
	ffgen_flood_draw(&src->flood, rng, key);
	*index = 0;
	if (!src->truth)
		return 0;
	if (ffgen_keyset_add(&src->seen, key, index) < 0)
		return -1;
	return ffgen_source_room(src, *index);
}

/* Builds one datagram of up to FFGEN_V5_MAX_RECORDS records; returns its length, 0 when out of memory. */
static size_t ffgen_fill(struct ffgen_v5_writer *w, struct ffgen_rng *rng,
			 struct ffgen_source *src, uint64_t count, uint32_t uptime,
			 uint32_t max_packets, double clock)
{
	ffgen_v5_begin(w, uptime);
	if (clock > 0) {
		w->unix_secs = (uint32_t)clock;
		w->unix_nsecs = (uint32_t)((clock - (double)w->unix_secs) * 1e9);
	}
	for (uint64_t r = 0; r < count; r++) {
		struct ffgen_key key;
		uint32_t ki;
		if (ffgen_source_draw(src, rng, &key, &ki) < 0)
			return 0;
		uint32_t packets = 1 + (uint32_t)ffgen_rng_below(rng, max_packets);
		uint32_t bytes = packets * (40 + (uint32_t)ffgen_rng_below(rng, 1461));
		uint32_t age = (uint32_t)ffgen_rng_below(rng, 2000);
		uint32_t dur = (uint32_t)ffgen_rng_below(rng, 5000);
		uint8_t flags = ffgen_v5_tcp_flags(rng, key.proto);
		ffgen_v5_add(w, ki, &key, packets, bytes, age, dur, flags);
	}
	return ffgen_v5_finish(w);
}

/* Counts a datagram's records into the truth once the kernel has taken it. */
static void ffgen_commit(const struct ffgen_v5_writer *w, struct ffgen_source *src,
			 struct ffgen_stats *st)
{
	for (size_t r = 0; r < w->count; r++) {
		if (src->tally) {
			struct ffgen_tally *t = &src->tally[w->key_index[r]];
			t->flows++;
			t->packets += w->packets[r];
			t->bytes += w->bytes[r];
		}
		st->packets += w->packets[r];
		st->bytes += w->bytes[r];
	}
	st->records += w->count;
	st->datagrams++;
}

static int ffgen_write_source_truth(const char *path, const struct ffgen_source *src)
{
	if (src->distinct)
		return ffgen_write_truth(path, src->seen.keys, src->seen.n, src->tally);
	return ffgen_write_truth(path, src->kt.keys, src->kt.n, src->tally);
}

static int ffgen_stream(int fd, const struct ffgen_opts *o)
{
	int rc = -1;
	struct ffgen_rng rng, skip_rng;
	struct ffgen_source src;
	struct ffgen_stats st = {0};
	struct ffgen_v5_writer w;

	ffgen_rng_seed(&rng, o->seed);
	ffgen_rng_seed(&skip_rng, o->seed ^ 0x5e9u);
	if (ffgen_source_init(&src, o, &rng) < 0) {
		fprintf(stderr, "ffgen: out of memory building the keys\n");
		goto out;
	}
	ffgen_v5_init(&w, o->engine_type, o->engine_id);

	double start = ffgen_now(), wall_start = ffgen_wall();
	while (st.records < o->flows) {
		uint64_t count = o->flows - st.records;
		if (count > FFGEN_V5_MAX_RECORDS)
			count = FFGEN_V5_MAX_RECORDS;
		ffgen_pace(o, start, st.records);
		double elapsed = ffgen_now() - start, clock = 0;
		if (o->span_s > 0) {
			/* Simulated time: where this datagram falls in the span, by records sent. */
			elapsed = (double)o->span_s * (double)st.records / (double)o->flows;
			clock = wall_start - (double)o->span_s + elapsed;
		}
		uint32_t uptime = o->uptime_ms + (uint32_t)(elapsed * 1000.0);
		size_t len = ffgen_fill(&w, &rng, &src, count, uptime, o->max_packets, clock);
		if (len == 0) {
			fprintf(stderr, "ffgen: out of memory keeping the truth\n");
			break;
		}
		if (ffgen_skip(o, &skip_rng, &st)) {
			st.skipped += w.count;
			continue;
		}
		if (ffgen_send(fd, o, w.buf, len) < 0)
			break;
		ffgen_commit(&w, &src, &st);
	}
	double secs = ffgen_now() - start;
	if (!o->quiet)
		fprintf(stderr,
			"ffgen: seed %llu: %llu records, %llu packets, %llu bytes, %llu datagrams "
			"in %.3f s (%.0f records/s)%s\n",
			(unsigned long long)o->seed, (unsigned long long)st.records,
			(unsigned long long)st.packets, (unsigned long long)st.bytes,
			(unsigned long long)st.datagrams, secs,
			secs > 0 ? (double)st.records / secs : 0.0,
			o->distinct ? ", distinct keys" : "");
	if (!o->quiet && o->skip_bp > 0)
		fprintf(stderr, "ffgen: %llu records skipped in flow_sequence (%.2f%% lost)\n",
			(unsigned long long)st.skipped,
			100.0 * (double)st.skipped / (double)(st.skipped + st.records));
	rc = st.records == o->flows ? 0 : -1;
	if (o->truth && ffgen_write_source_truth(o->truth, &src) < 0)
		rc = -1;
out:
	ffgen_source_free(&src);
	return rc;
}

static int ffgen_malformed(int fd, const struct ffgen_opts *o)
{
	uint8_t buf[FFGEN_V5_MAX_LEN];
	struct ffgen_rng rng;
	ffgen_rng_seed(&rng, o->seed);
	size_t len = ffgen_v5_malformed(o->malformed, &rng, o->uptime_ms, buf, sizeof(buf));
	if (len == 0) {
		fprintf(stderr,
			"ffgen: --malformed %s: unknown kind (random, short, lying-count, "
			"bad-count, bad-version)\n",
			o->malformed);
		return -1;
	}
	if (ffgen_send(fd, o, buf, len) < 0)
		return -1;
	if (!o->quiet)
		fprintf(stderr, "ffgen: sent one %s datagram of %zu bytes\n", o->malformed, len);
	return 0;
}

int main(int argc, char **argv)
{
	struct ffgen_opts o;
	int rc = ffgen_parse_args(&o, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("ffgen: socket");
		return 1;
	}
	/* A deep send buffer absorbs bursts when pacing is off. */
	int sndbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	rc = o.malformed ? ffgen_malformed(fd, &o) : ffgen_stream(fd, &o);
	close(fd);
	return rc == 0 ? 0 : 1;
}
