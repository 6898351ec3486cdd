/*
 * fffilter: flowfleet's side of the filter differential test. It receives
 * flow export datagrams on a loopback UDP port, decodes them with the agent's
 * own decoders (so its records are independent of nfdump's), and once the
 * exporter has gone quiet applies each filter of a cases file to every
 * record, printing per filter: matching records, bytes, packets, the filter.
 *
 *   fffilter --listen 127.0.0.1:PORT --cases FILE [--idle S] [--timeout S]
 *            [--ready FILE]
 *
 * It stops receiving `--idle` seconds after the last datagram, or, with
 * --idle 0, on SIGTERM (after reading what the socket still holds), so a
 * test with several exporters in turn decides when the input is complete.
 *   fffilter --check EXPR       compile only: print the normalized filter
 *                               or the error (exit 1)
 */
#include "decoder.h"
#include "ff_filter.h"
#include "ff_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fff_records {
	ff_flow *v;
	size_t n, cap;
	int oom;
};

struct fff_opts {
	const char *listen, *cases, *ready, *check;
	double idle, timeout;
};

static volatile sig_atomic_t fff_stop;

static void fff_on_term(int sig)
{
	(void)sig;
	fff_stop = 1;
}

static void fff_emit(void *arg, const ff_flow *f)
{
	struct fff_records *r = arg;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		ff_flow *v = realloc(r->v, cap * sizeof *v);
		if (v == NULL) {
			r->oom = 1;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *f;
}

static double fff_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Binds the loopback UDP endpoint "127.x.y.z:PORT"; returns the socket or -1. */
static int fff_bind(const char *endpoint)
{
	char host[64];
	const char *colon = strrchr(endpoint, ':');
	if (colon == NULL || (size_t)(colon - endpoint) >= sizeof host)
		return -1;
	memcpy(host, endpoint, (size_t)(colon - endpoint));
	host[colon - endpoint] = '\0';
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int buf = 8 << 20;
	if (fd < 0)
		return -1;
	/* A burst of export must not overflow the socket while nothing else reads it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receives until `idle` seconds pass without a datagram after the first, SIGTERM, or `timeout`. */
static int fff_receive(int fd, const struct fff_opts *o, struct fff_records *r)
{
	static uint8_t pkt[65536];
	ff_decoder_ctx ctx;
	/* The template cache of v9/IPFIX lives in the context, as in the agent. */
	if (ff_decoder_ctx_init(&ctx, fff_emit, r) != 0)
		return -1;
	double deadline = fff_now() + o->timeout, last = 0;
	size_t datagrams = 0, rejected = 0;
	for (;;) {
		double now = fff_now(), wait = deadline - now;
		if (o->idle > 0 && datagrams > 0 && last + o->idle - now < wait)
			wait = last + o->idle - now;
		if (wait <= 0)
			break;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (!fff_stop && poll(&pfd, 1, wait > 0.2 ? 200 : (int)(wait * 1000) + 1) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0 && fff_stop)
			break;
		if (n < 0)
			continue;
		uint8_t exporter[FF_ADDR_LEN];
		ff_addr_from_v4(exporter, ntohl(from.sin_addr.s_addr));
		datagrams++;
		last = fff_now();
		if (ff_decode_dispatch(&ctx, pkt, (size_t)n, exporter, ff_time_now_ms()) < 0)
			rejected++;
	}
	ff_decoder_ctx_release(&ctx);
	fprintf(stderr, "fffilter: %zu datagrams (%zu rejected), %zu records\n", datagrams,
		rejected, r->n);
	return r->oom ? -1 : 0;
}

/* Applies one filter to every record and prints "records bytes packets<TAB>filter". */
static int fff_apply(const struct fff_records *r, const char *expr)
{
	char err[256];
	ff_filter *f;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0) {
		printf("error\t%s\t%s\n", expr, err);
		return -1;
	}
	uint64_t count = 0, bytes = 0, packets = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (ff_filter_match(f, &r->v[i])) {
			count++;
			bytes += r->v[i].bytes;
			packets += r->v[i].packets;
		}
	}
	printf("%llu %llu %llu\t%s\n", (unsigned long long)count, (unsigned long long)bytes,
	       (unsigned long long)packets, expr);
	ff_filter_free(f);
	return 0;
}

/* One filter per line; blank lines and lines starting with '#' are skipped. */
static int fff_cases(const struct fff_records *r, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "fffilter: open(%s): %s\n", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int rc = 0;
	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (fff_apply(r, s) != 0)
			rc = -1;
	}
	fclose(fp);
	return rc;
}

static int fff_check(const char *expr)
{
	char err[256];
	ff_filter *f;
	if (ff_filter_compile(expr, &f, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s\n", ff_filter_source(f));
	ff_filter_free(f);
	return 0;
}

static void fff_usage(FILE *fp)
{
	fprintf(fp, "usage: fffilter --listen 127.0.0.1:PORT --cases FILE [--idle S] "
		    "[--timeout S] [--ready FILE]\n"
		    "       fffilter --check EXPR\n");
}

static int fff_parse(int argc, char **argv, struct fff_opts *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'}, {"cases", required_argument, NULL, 'c'},
	    {"idle", required_argument, NULL, 'i'},   {"timeout", required_argument, NULL, 't'},
	    {"ready", required_argument, NULL, 'r'},  {"check", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	*o = (struct fff_opts){.idle = 2, .timeout = 60};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'c': o->cases = optarg; break;
		case 'i': o->idle = atof(optarg); break;
		case 't': o->timeout = atof(optarg); break;
		case 'r': o->ready = optarg; break;
		case 'k': o->check = optarg; break;
		case 'h': fff_usage(stdout); exit(0);
		default: return -1;
		}
	}
	return o->check != NULL || (o->listen != NULL && o->cases != NULL) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct fff_opts o;
	if (fff_parse(argc, argv, &o) != 0) {
		fff_usage(stderr);
		return 2;
	}
	if (o.check != NULL)
		return fff_check(o.check);
	int fd = fff_bind(o.listen);
	if (fd < 0) {
		fprintf(stderr, "fffilter: cannot bind %s (loopback only)\n", o.listen);
		return 1;
	}
	if (o.ready != NULL) {
		FILE *fp = fopen(o.ready, "w");
		if (fp != NULL)
			fclose(fp);
	}
	struct sigaction sa = {.sa_handler = fff_on_term};
	sigaction(SIGTERM, &sa, NULL);
	struct fff_records r = {0};
	int rc = fff_receive(fd, &o, &r) == 0 && fff_cases(&r, o.cases) == 0 ? 0 : 1;
	close(fd);
	free(r.v);
	return rc;
}
