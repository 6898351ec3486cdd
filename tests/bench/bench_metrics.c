/*
 * bench_metrics: what a /metrics scrape costs for a fleet: AGENTS agents
 * (default 100), each with EXPORTERS exporters (default 10) reporting every
 * counter an agent has (every malformed reason and event non-zero, the worst
 * case), registered through Hellos as the ingest does; times building the
 * scrape (ff_sessions_metrics, which also diagnoses every exporter) and
 * rendering it, best of 20.
 *   bench_metrics [AGENTS [EXPORTERS]]
 */
#include "ff_log.h"
#include "ff_prom.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The counter names an agent's Hello carries (agent_counters.c, exporter_stats.c). */
static const char *const bench_agent_counters[] = {
    "udp.datagrams",	  "udp.bytes",		 "udp.drops",
    "udp.errors",	  "records.decoded",	 "batches.flushed",
    "batches.sent",	  "batches.acked",	 "batches.resent",
    "batches.dropped",	  "batches.rejected",	 "batches.pending",	"spool.bytes",
    "records.sent",	  "frames.bad",		 "records.filtered",
    "bytes.sent",	  "handoff.drops",	 "summarizer.early_flushes",
    "handshake.failures", "handshake.refused",	 "state.epoch_renewals",
    "ack_latency.p50_ms", "ack_latency.p99_ms", "ack_latency.max_ms"};

static const char *const bench_exporter_counters[] = {
    "packets",		     "records",		       "malformed.short_header",
    "malformed.bad_count",   "malformed.truncated",    "malformed.unsupported_version",
    "malformed.bad_set_length", "malformed.bad_record", "malformed.bad_template",
    "no_template",	     "templates",	       "template.replaced",
    "template.withdrawn",    "pending.held",	       "pending.decoded",
    "pending.expired",	     "options_records",	       "seq.lost.v9_packets",
    "sflow.counter_samples", "template.refused",       "template.evicted",
    "records.implausible",   "records.clock_skewed"};

#define N_AC (sizeof bench_agent_counters / sizeof bench_agent_counters[0])
#define N_EC (sizeof bench_exporter_counters / sizeof bench_exporter_counters[0])

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_counters(Flowfleet__Counter *c, Flowfleet__Counter **cp,
			   const char *const *names, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++) {
		flowfleet__counter__init(&c[i]);
		c[i].name = (char *)names[i];
		c[i].value = base + i * 1000;
		cp[i] = &c[i];
	}
}

/* One agent's Hello with `n_exp` exporters, registered in `r`. */
static int bench_hello(ff_sessions *r, size_t agent, size_t n_exp, uint64_t now_ms)
{
	char id[32];
	snprintf(id, sizeof id, "node-%04zu", agent);
	Flowfleet__Hello h = FLOWFLEET__HELLO__INIT;
	Flowfleet__Counter ac[N_AC], *acp[N_AC];
	bench_counters(ac, acp, bench_agent_counters, N_AC, agent);
	h.protocol_version = 3;
	h.agent_id = id;
	h.hostname = id;
	h.software_version = "bench";
	h.epoch = 0x1000 + agent;
	h.counters = acp;
	h.n_counters = N_AC;
	Flowfleet__ExporterStats *es = calloc(n_exp, sizeof *es), **esp = calloc(n_exp, sizeof *esp);
	Flowfleet__Counter *ec = calloc(n_exp * N_EC, sizeof *ec);
	Flowfleet__Counter **ecp = calloc(n_exp * N_EC, sizeof *ecp);
	uint8_t(*addr)[16] = calloc(n_exp, sizeof *addr);
	if (es == NULL || esp == NULL || ec == NULL || ecp == NULL || addr == NULL)
		return -1;
	for (size_t e = 0; e < n_exp; e++) {
		flowfleet__exporter_stats__init(&es[e]);
		addr[e][10] = addr[e][11] = 0xff;
		addr[e][12] = 10, addr[e][13] = (uint8_t)(agent >> 8), addr[e][14] = (uint8_t)agent;
		addr[e][15] = (uint8_t)e;
		es[e].address.data = addr[e];
		es[e].address.len = 16;
		bench_counters(&ec[e * N_EC], &ecp[e * N_EC], bench_exporter_counters, N_EC, e);
		es[e].counters = &ecp[e * N_EC];
		es[e].n_counters = N_EC;
		esp[e] = &es[e];
	}
	h.exporters = esp;
	h.n_exporters = n_exp;
	int rc = ff_sessions_hello(r, &h, "127.0.0.1", now_ms);
	free(es);
	free(esp);
	free(ec);
	free(ecp);
	free(addr);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	size_t agents = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	size_t exporters = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
	ff_log_init("bench_metrics", FF_LOG_WARN);
	ff_sessions *r = ff_sessions_new();
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	for (size_t a = 0; r != NULL && a < agents; a++) {
		if (bench_hello(r, a, exporters, now_ms) != 0) {
			fprintf(stderr, "bench_metrics: registering agent %zu failed\n", a);
			return 1;
		}
	}
	double best = 1e9;
	size_t samples = 0, bytes = 0;
	for (int run = 0; run < 20; run++) {
		double t0 = bench_now();
		ff_prom *p = ff_prom_new();
		if (p == NULL || ff_sessions_metrics(r, p, now_ms + 1000,
						     FF_SESSIONS_METRICS_MAX_SERIES) != 0) {
			fprintf(stderr, "bench_metrics: the scrape failed\n");
			return 1;
		}
		char *text = ff_prom_render(p, &bytes);
		double dt = bench_now() - t0;
		samples = ff_prom_samples(p);
		free(text);
		ff_prom_free(p);
		if (dt < best)
			best = dt;
	}
	printf("%zu agents x %zu exporters: %zu samples, %zu bytes, built and rendered in "
	       "%.1f ms (best of 20)\n",
	       agents, exporters, samples, bytes, best * 1000);
	ff_sessions_free(r);
	return 0;
}
