/*
 * flowfleet-agent: receives flow exports over UDP, decodes them into
 * canonical records, summarizes them per interval and delivers one batch
 * per interval to the aggregator (sender.c), keeping every batch until it
 * is acknowledged. Everything runs on one libevent loop; the context struct
 * below is the only state.
 */
#include "agent_config.h"
#include "agent_counters.h"
#include "agent_hello.h"
#include "agent_state.h"
#include "decoder.h"
#include "exporter_stats.h"
#include "ff_batch.h"
#include "ff_log.h"
#include "ff_time.h"
#include "ff_policy.h"
#include "policy.h"
#include "sampling.h"
#include "send_queue.h"
#include "sender.h"
#include "summarizer.h"
#include "udp_listener.h"

#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Beyond this many exporter addresses, new ones are counted together. */
#define FF_AGENT_MAX_EXPORTERS 4096
/* How often the shutdown wait checks whether every batch has been acked. */
#define FF_AGENT_WAIT_POLL_MS 50

typedef struct ff_agent {
	struct event_base *base;
	ff_agent_config cfg;
	ff_agent_state state;
	ff_agent_counters counters;
	ff_exporter_stats *exporters;
	ff_summarizer *summ;
	ff_send_queue *queue;
	ff_sender *sender;
	ff_udp_listener **listeners;
	size_t n_listeners;
	ff_decoder_ctx dctx;
	struct event *ev_flush, *ev_term, *ev_int, *ev_wait;
	uint64_t started_ms;
	uint64_t interval_start_ms;
	uint64_t shutdown_deadline_ms;
	/* The policy every record is admitted under, and one waiting for the next boundary. */
	ff_agent_policy policy, pending;
	bool stopping;
	bool oom_warned;
} ff_agent;

static struct timeval ff_agent_tv(uint64_t ms)
{
	return (struct timeval){.tv_sec = (time_t)(ms / 1000),
				.tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* The interval in force: the policy's when it sets one, else the configured one. */
static uint64_t ff_agent_interval_ms(const ff_agent *a)
{
	return a->policy.interval_s != 0 ? (uint64_t)a->policy.interval_s * 1000 : a->cfg.interval_ms;
}

static void ff_agent_on_record(void *arg, const ff_flow *f)
{
	ff_agent *a = arg;
	a->counters.records_decoded++;
	ff_flow admitted = *f;
	if (!ff_agent_policy_admit(&a->policy, &admitted)) {
		a->counters.records_filtered++;
		return;
	}
	if (ff_summarizer_add(a->summ, &admitted) != 0 && !a->oom_warned) {
		ff_log_error("out of memory in the summarizer: records are being lost");
		a->oom_warned = true;
	}
}

/* Keeps templates and sampler tables across restarts; a failure only costs a refresh wait. */
static void ff_agent_save_decoder(ff_agent *a)
{
	if (a->state.dir == NULL)
		return;
	int rc = ff_decoder_ctx_save(&a->dctx, a->state.dir);
	if (rc != 0)
		ff_log_errno(FF_LOG_WARN, -rc,
			     "saving templates and sampler tables in %s failed; retried at the next "
			     "interval",
			     a->state.dir);
}

static void ff_agent_on_datagram(void *arg, const uint8_t *pkt, size_t len,
				 const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	ff_agent *a = arg;
	int rc = ff_decode_dispatch(&a->dctx, pkt, len, exporter, now_ms);
	ff_exporter_stats_count(a->exporters, exporter, rc, now_ms);
}

static int ff_agent_build_hello(void *arg, uint8_t **frame, size_t *len)
{
	ff_agent *a = arg;
	ff_agent_hello h = {
	    .agent_id = a->cfg.id,
	    .hostname = a->cfg.hostname,
	    .labels = &a->cfg.labels,
	    .epoch = a->state.epoch,
	    .started_ms = a->started_ms,
	    .policy_version = a->policy.version,
	    .counters = &a->counters,
	    .exporters = a->exporters,
	};
	return ff_agent_hello_encode(&h, frame, len);
}

/* Puts records back after a failed flush, so the next interval's batch carries them. */
static void ff_agent_requeue(ff_agent *a, ff_flow *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ff_summarizer_add(a->summ, &recs[i]);
	free(recs);
}

static int ff_agent_send_batch(ff_agent *a, ff_batch *b)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	int rc = ff_batch_encode(b, &frame, &len);
	if (rc != 0) {
		ff_log_error("encoding batch %" PRIu64 " failed: %s", b->sequence, ff_strerror(rc));
		return rc;
	}
	a->counters.batches_flushed++;
	ff_log_info("batch %" PRIu64 ": %zu records, %zu bytes", b->sequence, b->n_records, len);
	ff_sender_submit(a->sender, b->epoch, b->sequence, b->n_records, frame, len);
	return 0;
}

/* Turns everything summarized since interval_start into one batch. An empty interval sends nothing.
 */
static void ff_agent_flush(ff_agent *a, uint64_t end_ms)
{
	ff_batch b = {.epoch = a->state.epoch,
		      .policy_version = a->policy.version,
		      .interval_start_ms = a->interval_start_ms,
		      .interval_len_ms = (uint32_t)(end_ms - a->interval_start_ms)};
	snprintf(b.agent_id, sizeof b.agent_id, "%s", a->cfg.id);
	if (ff_summarizer_flush(a->summ, &b.records, &b.n_records) != 0) {
		ff_log_error("out of memory flushing the interval; retrying at the next one");
		return;
	}
	if (b.n_records == 0)
		return;
	int rc = ff_agent_state_take_seq(&a->state, &b.sequence);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, -rc,
			     "persisting the batch sequence in %s failed; records kept for the "
			     "next interval",
			     a->state.dir);
		ff_agent_requeue(a, b.records, b.n_records);
		return;
	}
	b.n_records = ff_agent_policy_topk(&a->policy, b.records, b.n_records);
	if (ff_agent_send_batch(a, &b) != 0) {
		ff_agent_requeue(a, b.records, b.n_records);
		return;
	}
	free(b.records);
}

/* Intervals are aligned to multiples of their length, as nfcapd's files are. */
static void ff_agent_schedule_flush(ff_agent *a)
{
	uint64_t now = ff_time_now_ms(), iv = ff_agent_interval_ms(a);
	uint64_t next = (now / iv + 1) * iv;
	struct timeval tv = ff_agent_tv(next - now);
	evtimer_add(a->ev_flush, &tv);
}

/* Best effort: a lost PolicyAck is repaired by the next Hello and push. */
static void ff_agent_send_policy_ack(ff_agent *a, uint64_t version, bool applied,
				     const char *reason)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	if (ff_agent_policy_ack_encode(a->cfg.id, version, applied, reason, &frame, &len) != 0) {
		ff_log_error("cannot encode the PolicyAck of version %" PRIu64, version);
		return;
	}
	if (ff_sender_send_now(a->sender, frame, len) != 0)
		ff_log_debug("PolicyAck %" PRIu64 " not sent now; the next Hello reports it",
			     version);
	free(frame);
}

/*
 * Makes the pending policy current. Called between two intervals, after the
 * old interval was flushed under the old policy, so no interval mixes two.
 */
static void ff_agent_apply_pending(ff_agent *a)
{
	if (a->pending.version == 0)
		return;
	char keys[128];
	ff_agent_policy_move(&a->policy, &a->pending);
	ff_log_info("policy %" PRIu64 " applied: filter '%s', keys %s, interval %" PRIu64
		    " ms, top-K %u, sampling %u",
		    a->policy.version, a->policy.filter ? ff_filter_source(a->policy.filter) : "",
		    ff_policy_keys_format(FF_POLICY_KEY_FIELDS & ~a->policy.wildcards, keys,
					  sizeof keys),
		    ff_agent_interval_ms(a), a->policy.topk, a->policy.sample);
	if (a->state.dir != NULL) {
		int rc = ff_agent_policy_save(&a->policy, a->state.dir);
		if (rc != 0)
			ff_log_errno(FF_LOG_WARN, -rc,
				     "saving policy %" PRIu64 " in %s failed; a restart before "
				     "the aggregator is back starts under the previous one",
				     a->policy.version, a->state.dir);
	}
	ff_agent_send_policy_ack(a, a->policy.version, true, NULL);
}

static void ff_agent_on_policy(void *arg, const uint8_t *payload, size_t len)
{
	ff_agent *a = arg;
	ff_agent_policy p;
	uint64_t version = 0;
	char err[512];
	if (ff_agent_policy_decode(payload, len, &p, &version, err, sizeof err) != 0) {
		ff_log_warn("policy %" PRIu64 " refused: %s", version, err);
		ff_agent_send_policy_ack(a, version, false, err);
		return;
	}
	if (version == a->policy.version) {
		/* The aggregator missed our ack (or the Hello raced it): say it again. */
		ff_agent_send_policy_ack(a, version, true, NULL);
		ff_agent_policy_release(&p);
		ff_agent_policy_release(&a->pending);
		return;
	}
	if (version != a->pending.version)
		ff_log_info("policy %" PRIu64 " received; applied at the next interval boundary",
			    version);
	ff_agent_policy_move(&a->pending, &p);
}

static void ff_agent_on_flush(evutil_socket_t fd, short what, void *arg)
{
	ff_agent *a = arg;
	uint64_t now = ff_time_now_ms(), iv = ff_agent_interval_ms(a);
	uint64_t boundary = now / iv * iv;
	ff_agent_flush(a, boundary > a->interval_start_ms ? boundary : now);
	a->interval_start_ms = boundary > a->interval_start_ms ? boundary : now;
	ff_agent_apply_pending(a);
	ff_decoder_expire(&a->dctx, now);
	ff_agent_save_decoder(a);
	ff_agent_schedule_flush(a);
}

static void ff_agent_on_wait(evutil_socket_t fd, short what, void *arg)
{
	ff_agent *a = arg;
	if (ff_sender_pending(a->sender) == 0 || ff_time_now_ms() >= a->shutdown_deadline_ms)
		event_base_loopexit(a->base, NULL);
}

static void ff_agent_stop_listeners(ff_agent *a)
{
	for (size_t i = 0; i < a->n_listeners; i++)
		ff_udp_listener_free(a->listeners[i]);
	a->n_listeners = 0;
}

static void ff_agent_on_signal(evutil_socket_t sig, short what, void *arg)
{
	ff_agent *a = arg;
	if (a->stopping) {
		ff_log_warn("second signal %d: exiting without waiting for acks", (int)sig);
		event_base_loopbreak(a->base);
		return;
	}
	a->stopping = true;
	ff_log_info("signal %d: flushing the open interval and waiting up to %" PRIu64
		    " ms for acks",
		    (int)sig, a->cfg.shutdown_wait_ms);
	ff_agent_stop_listeners(a);
	evtimer_del(a->ev_flush);
	ff_agent_flush(a, ff_time_now_ms());
	ff_agent_save_decoder(a);
	a->shutdown_deadline_ms = ff_time_now_ms() + a->cfg.shutdown_wait_ms;
	struct timeval tv = ff_agent_tv(FF_AGENT_WAIT_POLL_MS);
	if (ff_sender_pending(a->sender) == 0 || event_add(a->ev_wait, &tv) != 0)
		event_base_loopexit(a->base, NULL);
}

/* The last applied policy, so the agent works under it while the aggregator is away. */
static void ff_agent_load_policy(ff_agent *a)
{
	char err[1024];
	if (a->state.dir == NULL)
		return;
	int rc = ff_agent_policy_load(a->state.dir, &a->policy, err, sizeof err);
	if (rc < 0)
		ff_log_warn("%s; starting without a policy until the aggregator sends one", err);
	else if (rc > 0)
		ff_log_info("policy %" PRIu64 " reloaded from %s", a->policy.version, a->state.dir);
}

static int ff_agent_open_queue(ff_agent *a, char *err, size_t err_len)
{
	if (ff_agent_state_open(&a->state, a->cfg.state_dir, err, err_len) != 0)
		return -1;
	a->queue = ff_send_queue_new(a->state.spool_dir, a->cfg.spool_max, &a->counters);
	if (a->queue == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	uint64_t max_seq = 0;
	int n = ff_send_queue_load(a->queue, &max_seq);
	if (n < 0) {
		snprintf(err, err_len, "spool %s: %s", a->state.spool_dir, ff_strerror(n));
		return -1;
	}
	if (n > 0)
		ff_log_info("reloaded %d unacknowledged batches from %s", n, a->state.spool_dir);
	ff_agent_load_policy(a);
	/* A new epoch may restart at a sequence an old spooled batch still uses. */
	int rc = ff_agent_state_ensure_above(&a->state, max_seq);
	if (rc != 0) {
		snprintf(err, err_len, "state %s: %s", a->state.dir, ff_strerror(rc));
		return -1;
	}
	return 0;
}

/* Decoding state: sampling configuration, then what the state dir kept of templates and samplers. */
static int ff_agent_open_decoder(ff_agent *a, char *err, size_t err_len)
{
	if (ff_decoder_ctx_init(&a->dctx, ff_agent_on_record, a) != 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	a->dctx.stats = a->exporters;
	ff_sampling_set_default(a->dctx.sampling, (uint32_t)a->cfg.sampling_default);
	for (size_t i = 0; i < a->cfg.sampling_overrides.n; i++) {
		uint8_t addr[FF_ADDR_LEN];
		uint32_t rate = 0;
		if (ff_sampling_parse_override(a->cfg.sampling_overrides.v[i], addr, &rate, err,
					       err_len) != 0 ||
		    ff_sampling_set_override(a->dctx.sampling, addr, rate) != 0)
			return -1;
	}
	if (a->state.dir != NULL) {
		int n = ff_decoder_ctx_load(&a->dctx, a->state.dir);
		if (n > 0)
			ff_log_info("reloaded %d templates and sampler entries from %s", n,
				    a->state.dir);
	}
	return 0;
}

static int ff_agent_open_listeners(ff_agent *a, char *err, size_t err_len)
{
	a->listeners = calloc(a->cfg.listen_udp.n, sizeof *a->listeners);
	if (a->listeners == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < a->cfg.listen_udp.n; i++) {
		ff_udp_listener *l =
		    ff_udp_listener_new(a->base, a->cfg.listen_udp.v[i], a->cfg.rcvbuf,
					ff_agent_on_datagram, a, &a->counters, err, err_len);
		if (l == NULL)
			return -1;
		a->listeners[a->n_listeners++] = l;
	}
	return 0;
}

static int ff_agent_open_events(ff_agent *a, char *err, size_t err_len)
{
	a->ev_flush = evtimer_new(a->base, ff_agent_on_flush, a);
	a->ev_wait = event_new(a->base, -1, EV_PERSIST, ff_agent_on_wait, a);
	a->ev_term = evsignal_new(a->base, SIGTERM, ff_agent_on_signal, a);
	a->ev_int = evsignal_new(a->base, SIGINT, ff_agent_on_signal, a);
	if (a->ev_flush == NULL || a->ev_wait == NULL || a->ev_term == NULL || a->ev_int == NULL ||
	    evsignal_add(a->ev_term, NULL) != 0 || evsignal_add(a->ev_int, NULL) != 0) {
		snprintf(err, err_len, "cannot set up timers and signal handlers");
		return -1;
	}
	ff_agent_schedule_flush(a);
	return 0;
}

static int ff_agent_open(ff_agent *a, char *err, size_t err_len)
{
	a->started_ms = ff_time_now_ms();
	a->interval_start_ms = a->started_ms;
	if ((a->base = event_base_new()) == NULL ||
	    (a->exporters = ff_exporter_stats_new(FF_AGENT_MAX_EXPORTERS)) == NULL ||
	    (a->summ = ff_summarizer_new(4096)) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (ff_agent_open_queue(a, err, err_len) != 0 || ff_agent_open_decoder(a, err, err_len) != 0)
		return -1;
	ff_sender_opts so = {
	    .endpoint = a->cfg.aggregator,
	    .retry_ms = a->cfg.retry_ms,
	    .heartbeat_ms = a->cfg.heartbeat_ms,
	    .hello = ff_agent_build_hello,
	    .hello_arg = a,
	    .on_policy = ff_agent_on_policy,
	    .policy_arg = a,
	};
	if ((a->sender = ff_sender_new(a->base, &so, a->queue, &a->counters, err, err_len)) == NULL)
		return -1;
	if (ff_agent_open_listeners(a, err, err_len) != 0)
		return -1;
	return ff_agent_open_events(a, err, err_len);
}

static void ff_agent_log_start(const ff_agent *a)
{
	char listen[1024] = "";
	size_t off = 0;
	for (size_t i = 0; i < a->n_listeners && off < sizeof listen; i++)
		off += (size_t)snprintf(listen + off, sizeof listen - off, "%s%s", i ? "," : "",
					ff_udp_listener_name(a->listeners[i]));
	ff_log_info("flowfleet-agent %s started: id %s, epoch %016" PRIx64
		    ", next sequence %" PRIu64 ", udp %s, aggregator %s, interval %" PRIu64
		    " ms, state %s",
		    FF_VERSION, a->cfg.id, a->state.epoch, a->state.next_seq, listen,
		    a->cfg.aggregator, a->cfg.interval_ms,
		    a->state.dir ? a->state.dir : "(none: nothing kept across restarts)");
}

/* Malformed datagrams over every exporter and reason, for the exit line. */
static uint64_t ff_agent_malformed_total(const ff_agent *a)
{
	uint64_t total = 0;
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while ((e = ff_exporter_stats_next(a->exporters, &cursor)) != NULL)
		for (int r = 0; r < FF_MAL_N; r++)
			total += e->malformed[r];
	return total;
}

static void ff_agent_log_exit(const ff_agent *a)
{
	const ff_agent_counters *c = &a->counters;
	size_t left = ff_send_queue_len(a->queue);
	if (left > 0)
		ff_log_warn("%zu batches left unacknowledged%s", left,
			    a->state.spool_dir ? ": they stay in the spool and are resent at the "
						 "next start"
					       : " and lost (no --state-dir)");
	ff_log_info("exiting: udp.datagrams %" PRIu64 ", udp.drops %" PRIu64 ", malformed %" PRIu64
		    ", records.decoded %" PRIu64 ", batches.flushed %" PRIu64
		    ", batches.sent %" PRIu64 ", batches.acked %" PRIu64 ", batches.resent %" PRIu64
		    ", batches.dropped %" PRIu64 ", records.sent %" PRIu64 ", records.filtered %" PRIu64
		    ", bytes.sent %" PRIu64 ", ack_latency p50/p99/max %" PRIu64 "/%" PRIu64
		    "/%" PRIu64 " ms",
		    c->udp_datagrams, c->udp_drops, ff_agent_malformed_total(a), c->records_decoded,
		    c->batches_flushed, c->batches_sent, c->batches_acked, c->batches_resent,
		    c->batches_dropped, c->records_sent, c->records_filtered, c->bytes_sent,
		    c->ack_latency_p50_ms, c->ack_latency_p99_ms, c->ack_latency_max_ms);
}

static void ff_agent_close(ff_agent *a)
{
	ff_agent_stop_listeners(a);
	free(a->listeners);
	ff_sender_free(a->sender);
	ff_send_queue_free(a->queue);
	ff_summarizer_free(a->summ);
	ff_agent_policy_release(&a->policy);
	ff_agent_policy_release(&a->pending);
	ff_decoder_ctx_release(&a->dctx);
	ff_exporter_stats_free(a->exporters);
	ff_agent_state_close(&a->state);
	struct event *evs[] = {a->ev_flush, a->ev_wait, a->ev_term, a->ev_int};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (a->base != NULL)
		event_base_free(a->base);
	ff_agent_config_free(&a->cfg);
}

int main(int argc, char **argv)
{
	ff_agent a;
	memset(&a, 0, sizeof a);
	char err[1024];
	ff_log_init("flowfleet-agent", FF_LOG_INFO);
	int rc = ff_agent_config_load(&a.cfg, argc, argv, err, sizeof err);
	if (rc == FF_CONFIG_EXIT) {
		ff_agent_config_free(&a.cfg);
		return 0;
	}
	if (rc != FF_CONFIG_OK) {
		fprintf(stderr, "flowfleet-agent: %s\n", err);
		ff_agent_config_free(&a.cfg);
		return 2;
	}
	enum ff_log_level level = FF_LOG_INFO;
	ff_log_level_parse(a.cfg.log_level, &level);
	ff_log_init("flowfleet-agent", level);
	/* A vanished peer must surface as an error return, not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	int status = 0;
	if (ff_agent_open(&a, err, sizeof err) != 0) {
		ff_log_error("%s", err);
		status = 1;
	} else {
		ff_agent_log_start(&a);
		event_base_dispatch(a.base);
		ff_agent_log_exit(&a);
	}
	ff_agent_close(&a);
	return status;
}
