/*
 * flowfleet-agent: receives flow exports over UDP, decodes them into
 * canonical records, summarizes them per interval and delivers one batch
 * per interval to the aggregator (sender.c), keeping every batch until it
 * is acknowledged. Receiving and decoding run on their own threads
 * (receiver.c), handing decoded records over bounded rings, so a flush of
 * any size never stops the sockets being read; policy, summarizing,
 * flushing and sending run on the main thread's libevent loop. The context
 * struct below is the main thread's state.
 */
#include "agent_config.h"
#include "agent_counters.h"
#include "agent_hello.h"
#include "agent_state.h"
#include "agent_trust.h"
#include "agent_metrics.h"
#include "exporter_stats.h"
#include "ff_batch.h"
#include "ff_log.h"
#include "ff_time.h"
#include "ff_policy.h"
#include "policy.h"
#include "receiver.h"
#include "send_queue.h"
#include "sender.h"
#include "summarizer.h"

#include <event2/event.h>
#include <inttypes.h>
#include <malloc.h>
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
	ff_agent_counters counters; /* the main thread's; the receive threads keep their own */
	ff_summarizer *summ;
	ff_send_queue *queue;
	ff_sender *sender;
	ff_receivers *rx;
	ff_agent_metrics *metrics; /* --metrics; NULL when off */
	ff_curve_keypair keys; /* CURVE: ours, from the state dir */
	struct event *ev_flush, *ev_term, *ev_int, *ev_wait;
	uint64_t started_ms;
	uint64_t interval_start_ms;
	uint64_t shutdown_deadline_ms;
	/* The policy every record is admitted under, and one waiting for the next boundary. */
	ff_agent_policy policy, pending;
	bool stopping;
	bool oom_warned;
	bool early_failed; /* an early flush failed: no other until the interval ends */
} ff_agent;

static struct timeval ff_agent_tv(uint64_t ms)
{
	return (struct timeval){.tv_sec = (time_t)(ms / 1000),
				.tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* The interval in force: the policy's when it sets one, else the configured one. */
static uint64_t ff_agent_interval_ms(const ff_agent *a)
{
	return a->policy.interval_s != 0 ? (uint64_t)a->policy.interval_s * 1000
					 : a->cfg.interval_ms;
}

static void ff_agent_after_add(ff_agent *a);

static void ff_agent_on_record(void *arg, const ff_flow *f)
{
	ff_agent *a = arg;
	ff_flow admitted = *f;
	if (!ff_agent_policy_admit(&a->policy, &admitted)) {
		a->counters.records_filtered++;
		return;
	}
	if (ff_summarizer_add(a->summ, &admitted) != 0 && !a->oom_warned) {
		ff_log_error("out of memory in the summarizer: records are being lost");
		a->oom_warned = true;
	}
	ff_agent_after_add(a);
}

/* Keeps templates and sampler tables across restarts; a failure only costs a refresh wait. */
static void ff_agent_save_decoder(ff_agent *a)
{
	if (a->state.dir == NULL)
		return;
	int rc = ff_receivers_save(a->rx, a->state.dir);
	if (rc != 0)
		ff_log_errno(
		    FF_LOG_WARN, -rc,
		    "saving templates and sampler tables in %s failed; retried at the next "
		    "interval",
		    a->state.dir);
}

/* The main thread's counters plus every receive thread's. */
static ff_agent_counters ff_agent_counters_sum(const ff_agent *a)
{
	ff_agent_counters c = a->counters;
	if (a->rx != NULL)
		ff_receivers_add_counters(a->rx, &c);
	return c;
}

static int ff_agent_build_hello(void *arg, uint8_t **frame, size_t *len)
{
	ff_agent *a = arg;
	ff_agent_counters counters = ff_agent_counters_sum(a);
	ff_exporter_stats *exporters = a->rx != NULL ? ff_receivers_exporters(a->rx) : NULL;
	ff_sflow_counters *ifs = a->rx != NULL ? ff_receivers_interfaces(a->rx) : NULL;
	ff_agent_hello h = {
	    .agent_id = a->cfg.id,
	    .hostname = a->cfg.hostname,
	    .labels = &a->cfg.labels,
	    .epoch = a->state.epoch,
	    .started_ms = a->started_ms,
	    .policy_version = a->policy.version,
	    .counters = &counters,
	    .exporters = exporters,
	    .protocol_version = (uint32_t)a->cfg.wire_version,
	    .enroll_token = a->cfg.enroll_token,
	    .interfaces = ifs,
	};
	int rc = ff_agent_hello_encode(&h, frame, len);
	ff_exporter_stats_free(exporters);
	ff_sflow_counters_free(ifs);
	return rc;
}

/* A scrape of --metrics: what the Hello would carry now. */
static void ff_agent_metrics_fill(void *arg, ff_agent_metrics_view *v)
{
	ff_agent *a = arg;
	*v = (ff_agent_metrics_view){
	    .agent_id = a->cfg.id,
	    .hostname = a->cfg.hostname,
	    .epoch = a->state.epoch,
	    .policy_version = a->policy.version,
	    .started_ms = a->started_ms,
	    .counters = ff_agent_counters_sum(a),
	    .exporters = a->rx != NULL ? ff_receivers_exporters(a->rx) : NULL,
	    .interfaces = a->rx != NULL ? ff_receivers_interfaces(a->rx) : NULL,
	};
}

/* Puts records back after a failed flush, so the next batch carries them. */
static void ff_agent_requeue(ff_agent *a, const ff_flow *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ff_summarizer_add(a->summ, &recs[i]) != 0) {
			ff_log_error("out of memory putting back %zu records: they are lost",
				     n - i);
			return;
		}
}

/*
 * Takes a sequence, encodes one bounded batch from next(arg) and hands it to
 * the sender. Returns 0, or an error with nothing submitted (the iterator
 * may have moved: the caller rewinds it).
 */
static int ff_agent_send_stream(ff_agent *a, ff_batch *head, ff_batch_next_fn next, void *arg,
				size_t *taken)
{
	int rc = ff_agent_state_take_seq(&a->state, &head->sequence);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, -rc,
			     "persisting the batch sequence in %s failed; records kept for the "
			     "next interval",
			     a->state.dir);
		return rc;
	}
	uint8_t *frame = NULL;
	size_t len = 0;
	rc = ff_batch_encode_stream(head, next, arg, a->cfg.batch_max_records,
				    a->cfg.batch_max_bytes, (unsigned)a->cfg.wire_version, &frame,
				    &len, taken);
	if (rc != 0) {
		ff_log_error("encoding batch %" PRIu64 " failed: %s", head->sequence,
			     ff_strerror(rc));
		return rc;
	}
	a->counters.batches_flushed++;
	ff_log_info("batch %" PRIu64 ": %zu records, %zu bytes", head->sequence, *taken, len);
	ff_sender_submit(a->sender, head->epoch, head->sequence, *taken, frame, len);
	return 0;
}

/* The array a top-K policy leaves, walked for ff_batch_encode_stream(). */
typedef struct ff_agent_array_walk {
	const ff_flow *recs;
	size_t n, next;
} ff_agent_array_walk;

static const ff_flow *ff_agent_array_next(void *arg)
{
	ff_agent_array_walk *w = arg;
	return w->next < w->n ? &w->recs[w->next++] : NULL;
}

/* The summarizer's table walked in place: no copy of every record. */
typedef struct ff_agent_table_walk {
	const ff_summarizer *s;
	size_t cursor;
} ff_agent_table_walk;

static const ff_flow *ff_agent_table_next(void *arg)
{
	ff_agent_table_walk *w = arg;
	return ff_summarizer_next(w->s, &w->cursor);
}

/* After a failure mid-table: keeps only the records from `cursor` on. */
static void ff_agent_keep_from(ff_agent *a, size_t cursor)
{
	size_t n = ff_summarizer_count(a->summ), i = 0;
	ff_flow *rest = malloc((n ? n : 1) * sizeof *rest);
	if (rest == NULL) {
		ff_log_error("out of memory keeping the unsent records: the interval is lost");
		ff_summarizer_clear(a->summ);
		return;
	}
	const ff_flow *f;
	while ((f = ff_summarizer_next(a->summ, &cursor)) != NULL)
		rest[i++] = *f;
	ff_summarizer_clear(a->summ);
	ff_agent_requeue(a, rest, i);
	free(rest);
}

/* Sends the table as a stream of bounded batches. Returns 0, or -1 (unsent records kept). */
static int ff_agent_flush_table(ff_agent *a, ff_batch *head)
{
	ff_agent_table_walk w = {.s = a->summ};
	ff_summarizer_begin(a->summ, &w.cursor);
	for (;;) {
		size_t peek = w.cursor, mark = w.cursor, taken = 0;
		/* Looking ahead first, so no sequence is taken for an empty batch. */
		if (ff_summarizer_next(a->summ, &peek) == NULL)
			break;
		if (ff_agent_send_stream(a, head, ff_agent_table_next, &w, &taken) != 0) {
			if (mark != 0)
				ff_agent_keep_from(a, mark);
			return -1;
		}
	}
	ff_summarizer_clear(a->summ);
	return 0;
}

/* A top-K policy needs every record sorted: the array path, bounded by --max-keys. */
static int ff_agent_flush_topk(ff_agent *a, ff_batch *head)
{
	ff_flow *recs = NULL;
	size_t n = 0;
	if (ff_summarizer_flush(a->summ, &recs, &n) != 0) {
		ff_log_error("out of memory flushing the interval; retrying at the next one");
		return -1;
	}
	n = ff_agent_policy_topk(&a->policy, recs, n);
	ff_agent_array_walk w = {.recs = recs, .n = n};
	int rc = 0;
	while (w.next < w.n) {
		size_t mark = w.next, taken = 0;
		if (ff_agent_send_stream(a, head, ff_agent_array_next, &w, &taken) != 0) {
			ff_agent_requeue(a, recs + mark, n - mark);
			rc = -1;
			break;
		}
	}
	free(recs);
	return rc;
}

/*
 * Sends everything summarized since interval_start as one or more batches
 * of that interval, `len_ms` long. An empty table sends nothing. Returns 0,
 * or -1 when some records could not be sent (they stay in the table).
 */
static int ff_agent_flush_records(ff_agent *a, uint32_t len_ms)
{
	if (ff_summarizer_count(a->summ) == 0)
		return 0;
	ff_batch head = {.epoch = a->state.epoch,
			 .policy_version = a->policy.version,
			 .interval_start_ms = a->interval_start_ms,
			 .interval_len_ms = len_ms};
	snprintf(head.agent_id, sizeof head.agent_id, "%s", a->cfg.id);
	return a->policy.topk != 0 ? ff_agent_flush_topk(a, &head) : ff_agent_flush_table(a, &head);
}

static void ff_agent_flush(ff_agent *a, uint64_t end_ms)
{
	a->early_failed = false;
	ff_agent_flush_records(a, (uint32_t)(end_ms - a->interval_start_ms));
}

/*
 * The summarizer holds --max-keys keys: rather than grow, it sends them now
 * as batches of the current interval (same start, new sequences), so memory
 * stays bounded and totals exact. A failure waits for the interval's end.
 */
static void ff_agent_after_add(ff_agent *a)
{
	if (ff_summarizer_count_bound(a->summ) < a->cfg.max_keys || a->early_failed ||
	    ff_summarizer_count(a->summ) < a->cfg.max_keys)
		return;
	a->counters.early_flushes++;
	if (ff_agent_flush_records(a, (uint32_t)ff_agent_interval_ms(a)) != 0) {
		ff_log_warn("early flush of %zu keys failed; the table grows until the interval "
			    "ends",
			    ff_summarizer_count(a->summ));
		a->early_failed = true;
	}
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
 * Merging or keeping apart, as the policy in force says: without a policy
 * every exporter flow stays its own record, so stored records answer
 * per-flow predicates as nfdump does (docs/policy.md).
 */
static void ff_agent_summarize_under_policy(ff_agent *a)
{
	if (ff_summarizer_set_merge(a->summ, ff_agent_policy_merges(&a->policy)) != 0)
		ff_log_warn("out of memory rebuilding the summarizer's index: records of one key "
			    "held now may be sent as two records");
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
	ff_agent_summarize_under_policy(a);
	ff_log_info(
	    "policy %" PRIu64 " applied: filter '%s', keys %s, interval %" PRIu64
	    " ms, top-K %u, sampling %u, records %s",
	    a->policy.version, a->policy.filter ? ff_filter_source(a->policy.filter) : "",
	    ff_policy_keys_format(FF_POLICY_KEY_FIELDS & ~a->policy.wildcards, keys, sizeof keys),
	    ff_agent_interval_ms(a), a->policy.topk, a->policy.sample,
	    ff_agent_policy_merges(&a->policy) ? "merged per key" : "kept apart");
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

/* Batches of an old epoch may still be acked so: the epoch is renewed once, from the current. */
static void ff_agent_on_new_epoch(void *arg, uint64_t epoch)
{
	ff_agent *a = arg;
	if (epoch != a->state.epoch)
		return;
	int rc = ff_agent_state_renew_epoch(&a->state);
	a->counters.epoch_renewals++;
	ff_log_error("the aggregator already held another batch under epoch %016" PRIx64
		     ": this agent's state dir was restored or cloned. It stored the batch; "
		     "the next batches use the new epoch %016" PRIx64 "%s",
		     epoch, a->state.epoch,
		     rc == 0 ? "" : " (not saved in the state dir: it may be taken again)");
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
	/* Records received before the boundary belong to the interval that ends. */
	ff_receivers_drain(a->rx);
	uint64_t now = ff_time_now_ms(), iv = ff_agent_interval_ms(a);
	uint64_t boundary = now / iv * iv;
	ff_agent_flush(a, boundary > a->interval_start_ms ? boundary : now);
	a->interval_start_ms = boundary > a->interval_start_ms ? boundary : now;
	ff_agent_apply_pending(a);
	ff_receivers_expire(a->rx, now);
	ff_agent_save_decoder(a);
	ff_agent_schedule_flush(a);
}

static void ff_agent_on_wait(evutil_socket_t fd, short what, void *arg)
{
	ff_agent *a = arg;
	if (ff_sender_pending(a->sender) == 0 || ff_time_now_ms() >= a->shutdown_deadline_ms)
		event_base_loopexit(a->base, NULL);
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
	/* Everything received so far goes into the last batch. */
	ff_receivers_stop(a->rx);
	ff_receivers_drain(a->rx);
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

/*
 * The receive threads, their sockets and decoding state: sampling
 * configuration, then what the state dir kept of templates and samplers.
 */
static int ff_agent_open_receivers(ff_agent *a, char *err, size_t err_len)
{
	ff_receivers_opts o = {
	    .listen = &a->cfg.listen_udp,
	    .rcvbuf = a->cfg.rcvbuf,
	    .threads = (unsigned)a->cfg.receive_threads,
	    .handoff_records = (size_t)a->cfg.handoff_records,
	    .sampling_default = (uint32_t)a->cfg.sampling_default,
	    .sampling_overrides = &a->cfg.sampling_overrides,
	    .max_exporters = FF_AGENT_MAX_EXPORTERS,
	    .max_clock_skew_ms = a->cfg.max_clock_skew_ms,
	    .on_record = ff_agent_on_record,
	    .arg = a,
	};
	if ((a->rx = ff_receivers_new(a->base, &o, err, err_len)) == NULL)
		return -1;
	if (a->state.dir != NULL) {
		int n = ff_receivers_load(a->rx, a->state.dir);
		if (n > 0)
			ff_log_info("reloaded %d templates and sampler entries from %s", n,
				    a->state.dir);
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
	    (a->summ = ff_summarizer_new(4096)) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (ff_agent_open_queue(a, err, err_len) != 0)
		return -1;
	ff_agent_summarize_under_policy(a);
	bool curve = !a->cfg.insecure_plaintext;
	if (curve && ff_agent_keys_open(a->state.dir, &a->keys, err, err_len) != 0)
		return -1;
	ff_sender_opts so = {
	    .endpoint = a->cfg.aggregator,
	    .retry_ms = a->cfg.retry_ms,
	    .heartbeat_ms = a->cfg.heartbeat_ms,
	    .hello = ff_agent_build_hello,
	    .hello_arg = a,
	    .on_policy = ff_agent_on_policy,
	    .on_new_epoch = ff_agent_on_new_epoch,
	    .epoch_arg = a,
	    .policy_arg = a,
	    .server_key = curve ? a->cfg.server_public : NULL,
	    .keys = curve ? &a->keys : NULL,
	};
	if ((a->sender = ff_sender_new(a->base, &so, a->queue, &a->counters, err, err_len)) == NULL)
		return -1;
	if (ff_agent_open_receivers(a, err, err_len) != 0 || ff_agent_open_events(a, err, err_len) != 0)
		return -1;
	if (a->cfg.metrics != NULL &&
	    (a->metrics = ff_agent_metrics_start(a->base, a->cfg.metrics, ff_agent_metrics_fill, a,
						 err, err_len)) == NULL)
		return -1;
	return ff_receivers_start(a->rx, err, err_len);
}

static void ff_agent_log_start(const ff_agent *a)
{
	char listen[1024] = "";
	size_t off = 0;
	for (size_t i = 0; i < a->cfg.listen_udp.n && off < sizeof listen; i++)
		off += (size_t)snprintf(listen + off, sizeof listen - off, "%s%s", i ? "," : "",
					a->cfg.listen_udp.v[i]);
	ff_log_info("flowfleet-agent %s started: id %s, epoch %016" PRIx64
		    ", next sequence %" PRIu64 ", udp %s (%zu receive threads), aggregator %s, "
		    "interval %" PRIu64 " ms, state %s",
		    FF_VERSION, a->cfg.id, a->state.epoch, a->state.next_seq, listen,
		    ff_receivers_count(a->rx), a->cfg.aggregator, a->cfg.interval_ms,
		    a->state.dir ? a->state.dir : "(none: nothing kept across restarts)");
	char fp[FF_CURVE_FP_LEN + 1];
	if (a->cfg.insecure_plaintext)
		ff_log_warn("--insecure-plaintext: no CurveZMQ; flows, ids and labels cross the "
			    "network in clear and any server on %s can pose as the aggregator",
			    a->cfg.aggregator);
	else if (ff_curve_key_fingerprint(a->cfg.server_public, fp) == 0)
		ff_log_info("CurveZMQ to the aggregator: it must prove server key %s "
			    "(fingerprint %s)%s",
			    a->cfg.server_public, fp,
			    a->cfg.enroll_token ? "; an enrolment token goes with every Hello" : "");
}

/* Malformed datagrams over every exporter and reason, for the exit line. */
static uint64_t ff_agent_malformed_total(const ff_agent *a)
{
	uint64_t total = 0;
	size_t cursor = 0;
	const ff_exporter_counters *e;
	ff_exporter_stats *sum = ff_receivers_exporters(a->rx);
	while (sum != NULL && (e = ff_exporter_stats_next(sum, &cursor)) != NULL)
		for (int r = 0; r < FF_MAL_N; r++)
			total += e->malformed[r];
	ff_exporter_stats_free(sum);
	return total;
}

static void ff_agent_log_exit(const ff_agent *a)
{
	ff_agent_counters sum = ff_agent_counters_sum(a);
	const ff_agent_counters *c = &sum;
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
		    ", bytes.sent %" PRIu64 ", handoff.drops %" PRIu64 ", summarizer.early_flushes %" PRIu64
		    ", batches.rejected %" PRIu64 ", handshake.failures %" PRIu64
		    ", handshake.refused %" PRIu64
		    ", ack_latency p50/p99/max %" PRIu64 "/%" PRIu64 "/%" PRIu64 " ms",
		    c->udp_datagrams, c->udp_drops, ff_agent_malformed_total(a), c->records_decoded,
		    c->batches_flushed, c->batches_sent, c->batches_acked, c->batches_resent,
		    c->batches_dropped, c->records_sent, c->records_filtered, c->bytes_sent, c->handoff_drops,
		    c->early_flushes, c->batches_rejected, c->handshake_failures,
		    c->handshake_refused, c->ack_latency_p50_ms, c->ack_latency_p99_ms, c->ack_latency_max_ms);
}

static void ff_agent_close(ff_agent *a)
{
	ff_agent_metrics_free(a->metrics);
	ff_receivers_free(a->rx);
	ff_sender_free(a->sender);
	ff_send_queue_free(a->queue);
	ff_summarizer_free(a->summ);
	ff_agent_policy_release(&a->policy);
	ff_agent_policy_release(&a->pending);
	ff_agent_state_close(&a->state);
	struct event *evs[] = {a->ev_flush, a->ev_wait, a->ev_term, a->ev_int};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (a->base != NULL)
		event_base_free(a->base);
	ff_agent_config_free(&a->cfg);
	explicit_bzero(&a->keys, sizeof a->keys);
}

int main(int argc, char **argv)
{
	ff_agent a;
	memset(&a, 0, sizeof a);
	char err[1024];
	ff_log_init("flowfleet-agent", FF_LOG_INFO);
	/*
	 * Every flush encodes from buffers of several MB, freed at its end: left
	 * to glibc's defaults they go back to the kernel and come back as fresh
	 * pages, zeroed by a page fault each (a sixth of an encode under a
	 * flood). Kept in the heap instead, they are reused; the peak they can
	 * reach is bounded by --max-keys and the batch bounds.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 64 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 128 << 20);
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
