/*
 * flowfleet-aggregator: the central daemon. The main thread runs libevent
 * (HTTP API and signals), whose queries run on the HTTP API's query threads;
 * the ingest thread runs the ZeroMQ ROUTER socket. They share the store and
 * the agent sessions, which lock for themselves.
 */
#include "agg_config.h"
#include "dedup.h"
#include "ff_curve_key.h"
#include "ff_log.h"
#include "http_server.h"
#include "http_policy.h"
#include "ingest.h"
#include "policy_push.h"
#include "policy_store.h"
#include "session.h"
#include "store.h"
#include "store_open.h"
#include "trust.h"
#include "trust_zap.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <malloc.h>
#include <sys/resource.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

/* Everything the daemon runs, passed explicitly: there is no global state. */
typedef struct ff_agg {
	ff_agg_config cfg;
	struct event_base *base;
	struct event *sig_term;
	struct event *sig_int;
	ff_store *store;
	ff_dedup *dedup;
	ff_sessions *sessions;
	ff_policy_store *policies;
	ff_policy_push *push;
	ff_http_auth *http_auth;
	ff_http_policy *http_policy;
	ff_curve_keypair server_key; /* unused with --insecure-plaintext */
	ff_trust *trust;	     /* NULL with --insecure-plaintext */
	ff_trust_zap *zap;
	void *zmq;
	ff_ingest *ingest;
	ff_http *http;
	uint64_t replayed_batches;
} ff_agg;

/* The store hands back every stored batch at open: rebuild what derives from it. */
static void ff_agg_replay(void *arg, const ff_batch *b)
{
	ff_agg *a = arg;
	if (ff_dedup_mark(a->dedup, b->agent_id, b->epoch, b->sequence) != 0 ||
	    ff_sessions_replay(a->sessions, b) != 0)
		ff_log_error("replay: out of memory at batch %s/%" PRIu64, b->agent_id,
			     b->sequence);
	a->replayed_batches++;
}

static void ff_agg_on_signal(evutil_socket_t sig, short events, void *arg)
{
	ff_agg *a = arg;
	ff_log_info("%s received, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(a->base);
}

/* Policies and the API tokens live beside the store, so they share its durability. */
static int ff_agg_open_policies(ff_agg *a)
{
	char err[1024];
	a->policies = ff_policy_store_open(a->cfg.data_dir, err, sizeof err);
	if (a->policies == NULL) {
		ff_log_error("cannot open the policies: %s", err);
		return -1;
	}
	char addr[256];
	uint16_t port;
	/* Checked when the config was read; whether reads need a token depends on ADDR. */
	if (ff_http_parse_listen(a->cfg.http, addr, sizeof addr, &port) != 0) {
		ff_log_error("--http '%s' is not ADDR:PORT", a->cfg.http);
		return -1;
	}
	a->http_auth =
	    ff_http_auth_new(a->cfg.data_dir, addr, a->cfg.http_public_read, err, sizeof err);
	if (a->http_auth == NULL) {
		ff_log_error("%s", err);
		return -1;
	}
	a->http_policy = ff_http_policy_new(a->policies, a->http_auth, err, sizeof err);
	if (a->http_policy == NULL) {
		ff_log_error("%s", err);
		return -1;
	}
	if ((a->push = ff_policy_push_new(a->policies, a->sessions)) == NULL) {
		ff_log_error("out of memory");
		return -1;
	}
	return 0;
}

static int ff_agg_open_store(ff_agg *a)
{
	a->dedup = ff_dedup_new();
	a->sessions = ff_sessions_new();
	if (a->dedup == NULL || a->sessions == NULL) {
		ff_log_error("out of memory");
		return -1;
	}
	uint32_t keys = 0;
	char err[512];
	/* Checked when the config was read; this only converts. */
	if (ff_agg_rollup_keys(a->cfg.rollup_keys, &keys, err, sizeof err) != 0) {
		ff_log_error("--rollup-keys: %s", err);
		return -1;
	}
	ff_store_config sc = {.backend = a->cfg.store,
			      .columnar = {.data_dir = a->cfg.data_dir,
					   .window_ms = a->cfg.segment_window_ms,
					   .retain_ms = a->cfg.retain_ms,
					   .max_bytes = a->cfg.max_disk,
					   .rollup_keys = keys,
					   .retain_minute_ms = a->cfg.retain_minute_ms,
					   .retain_hour_ms = a->cfg.retain_hour_ms,
					   .max_clock_skew_ms = a->cfg.max_clock_skew_ms,
					   .window_max_records = a->cfg.window_max_records,
					   .window_max_bytes = a->cfg.window_max_bytes}};
	int rc = ff_store_open(&sc, ff_agg_replay, a, &a->store);
	if (rc != 0) {
		ff_log_error("cannot open the %s store in %s: %s", a->cfg.store, a->cfg.data_dir,
			     ff_strerror(rc));
		return -1;
	}
	return 0;
}

/* The server key pair in the data dir, made at the first start. */
static int ff_agg_load_key(const ff_agg_config *c, ff_curve_keypair *kp)
{
	char err[1024], fp[FF_CURVE_FP_LEN + 1];
	bool created = false;
	/* The store makes the dir too, but --show-key may come first. */
	if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
		ff_log_errno(FF_LOG_ERROR, errno, "cannot create the data dir %s", c->data_dir);
		return -1;
	}
	int rc = ff_curve_key_load_or_create(c->data_dir, "server", kp, &created, err, sizeof err);
	if (rc != 0) {
		ff_log_error("server key: %s", err);
		return -1;
	}
	ff_curve_key_fingerprint(kp->public_z85, fp);
	ff_log_info("%s the server key %s/server.key: fingerprint %s, public key %s",
		    created ? "created" : "loaded", c->data_dir, fp, kp->public_z85);
	return 0;
}

/* CURVE: the server key, the allow-list and its enrolment tokens, then the ZAP handler. */
static int ff_agg_open_trust(ff_agg *a)
{
	char err[1024];
	if (a->cfg.insecure_plaintext) {
		ff_log_warn("--insecure-plaintext: agents connect without encryption or keys, and "
			    "any of them may claim any agent id; use this on loopback only");
		if (a->cfg.enroll_token != NULL)
			ff_log_warn("--enroll-token %s ignored: there are no keys to enrol without "
				    "CURVE",
				    a->cfg.enroll_token);
		return 0;
	}
	if (ff_agg_load_key(&a->cfg, &a->server_key) != 0)
		return -1;
	ff_trust_tokens *tokens = NULL;
	if (a->cfg.enroll_token != NULL &&
	    (tokens = ff_trust_tokens_open(a->cfg.enroll_token, err, sizeof err)) == NULL) {
		ff_log_error("--enroll-token: %s", err);
		return -1;
	}
	a->trust = ff_trust_open(a->cfg.data_dir, (size_t)a->cfg.max_pending, tokens, err,
				 sizeof err);
	if (a->trust == NULL) {
		ff_log_error("cannot open the allow-list: %s", err);
		return -1;
	}
	ff_log_info("CURVE on: %zu agent keys accepted; unknown keys wait as pending (at most "
		    "%" PRIu64 ")%s",
		    ff_trust_accepted_count(a->trust), a->cfg.max_pending,
		    tokens != NULL ? "; enrolment tokens accepted" : "");
	return 0;
}

/*
 * Signal handlers are installed first; SIGTERM and SIGINT are then blocked
 * while the ZeroMQ and ingest threads are created (they inherit the mask),
 * so a signal always reaches the main thread and its event loop.
 */
static int ff_agg_start_threads(ff_agg *a)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int rc = -1;
	a->zmq = zmq_ctx_new();
	ff_ingest_deps deps = {.store = a->store,
			       .dedup = a->dedup,
			       .sessions = a->sessions,
			       .push = a->push,
			       .trust = a->trust,
			       .curve_secret = a->trust != NULL ? a->server_key.secret_z85 : NULL,
			       .max_connections = (size_t)a->cfg.max_connections,
			       .handshake_ms = a->cfg.handshake_timeout_ms,
			       .heartbeat_ms = a->cfg.heartbeat_ms};
	if (a->zmq == NULL)
		ff_log_error("zmq_ctx_new failed: %s", zmq_strerror(zmq_errno()));
	else if (a->trust != NULL && (a->zap = ff_trust_zap_start(a->zmq, a->trust)) == NULL)
		; /* logged */
	else if ((a->ingest = ff_ingest_new(&deps)) == NULL)
		ff_log_error("out of memory");
	else
		rc = ff_ingest_start(a->ingest, a->zmq, a->cfg.listen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int ff_agg_start(ff_agg *a)
{
	signal(SIGPIPE, SIG_IGN);
	a->base = event_base_new();
	if (a->base == NULL) {
		ff_log_error("event_base_new failed");
		return -1;
	}
	a->sig_term = evsignal_new(a->base, SIGTERM, ff_agg_on_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, ff_agg_on_signal, a);
	if (a->sig_term == NULL || a->sig_int == NULL || evsignal_add(a->sig_term, NULL) != 0 ||
	    evsignal_add(a->sig_int, NULL) != 0) {
		ff_log_error("cannot install signal handlers");
		return -1;
	}
	if (ff_agg_open_store(a) != 0)
		return -1;
	/* After the replay: the agents the store holds always count. */
	ff_sessions_set_max(a->sessions, (size_t)a->cfg.max_agents);
	if (ff_agg_open_policies(a) != 0 ||
	    ff_agg_open_trust(a) != 0 || ff_agg_start_threads(a) != 0)
		return -1;
	ff_http_deps hd = {.store = a->store,
			   .sessions = a->sessions,
			   .ingest = a->ingest,
			   .auth = a->http_auth,
			   .policy = a->http_policy,
			   .trust = a->trust,
			   .tls_cert = a->cfg.http_cert,
			   .tls_key = a->cfg.http_key,
			   .query_memory = a->cfg.query_memory,
			   .query_threads = (size_t)a->cfg.query_threads,
			   .query_queue = (size_t)a->cfg.query_queue,
			   .query_timeout_ms = a->cfg.query_timeout_ms,
			   .max_connections = (size_t)a->cfg.http_max_connections,
			   .request_timeout_ms = a->cfg.http_request_timeout_ms,
			   .idle_timeout_ms = a->cfg.http_idle_timeout_ms,
			   .metrics_max_series = (size_t)a->cfg.metrics_max_series};
	a->http = ff_http_start(a->base, a->cfg.http, &hd);
	return a->http != NULL ? 0 : -1;
}

/* The backend's own counters as "name value, ..." (empty when it has none). */
static void ff_agg_backend_counters(ff_store *s, char *buf, size_t len)
{
	buf[0] = '\0';
	json_t *own = s->ops->backend_stats != NULL ? s->ops->backend_stats(s) : NULL;
	const char *name;
	json_t *v;
	size_t used = 0;
	json_object_foreach(own, name, v)
	{
		int n = snprintf(buf + used, len - used, "%s%s %" JSON_INTEGER_FORMAT,
				 used > 0 ? ", " : "", name, json_integer_value(v));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	json_decref(own);
}

/*
 * Agents, HTTP clients, segments and rollups each hold a descriptor: at the
 * common soft limit of 1,024 an ordinary fleet exhausts it (and a seal then
 * fails with EMFILE). The soft limit goes up to the hard one.
 */
static rlim_t ff_agg_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return RLIM_INFINITY;
	rlim_t was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			ff_log_errno(FF_LOG_WARN, errno, "cannot raise the descriptor limit from %llu",
				     (unsigned long long)was);
			return was;
		}
	}
	if (rl.rlim_cur < 4096)
		ff_log_warn("descriptor limit %llu (hard limit): a large fleet may run out; raise it "
			    "(LimitNOFILE= in the systemd unit, ulimit -n)",
			    (unsigned long long)rl.rlim_cur);
	else if (was != rl.rlim_cur)
		ff_log_info("descriptor limit raised from %llu to %llu", (unsigned long long)was,
			    (unsigned long long)rl.rlim_cur);
	return rl.rlim_cur;
}

/*
 * Descriptors kept for what the connection caps do not count: the store's
 * segments, rollups and journal while a seal or a query reads them, ZeroMQ's
 * own, logs. Sealing must never fail for lack of one.
 */
#define FF_AGG_FD_RESERVE 256

/*
 * Caps that add up to more descriptors than the process may open are caps
 * in name only: the accept()s fail first. They are lowered to fit, a quarter
 * of what is left to HTTP, and the start says so with the options to set.
 */
static void ff_agg_fit_caps(ff_agg_config *cfg, rlim_t limit)
{
	if (limit == RLIM_INFINITY || cfg->max_connections + cfg->http_max_connections +
					      FF_AGG_FD_RESERVE <= (uint64_t)limit)
		return;
	uint64_t room = (uint64_t)limit > FF_AGG_FD_RESERVE + 64 ? (uint64_t)limit - FF_AGG_FD_RESERVE
								  : 64;
	uint64_t http = cfg->http_max_connections < room / 4 ? cfg->http_max_connections : room / 4;
	uint64_t agents = cfg->max_connections < room - http ? cfg->max_connections : room - http;
	ff_log_warn("descriptor limit %llu: --max-connections %" PRIu64
		    " and --http-max-connections %" PRIu64 " would not fit beside the store's "
		    "files; using %" PRIu64 " and %" PRIu64 " (raise the limit: LimitNOFILE=, "
		    "ulimit -n)",
		    (unsigned long long)limit, cfg->max_connections, cfg->http_max_connections,
		    agents, http);
	cfg->max_connections = agents;
	cfg->http_max_connections = http;
}

static void ff_agg_log_started(ff_agg *a)
{
	ff_store_stats st;
	ff_store_get_stats(a->store, &st);
	char own[1024];
	ff_agg_backend_counters(a->store, own, sizeof own);
	ff_log_info("started %s: %s store in %s (replayed %" PRIu64 " batches, %" PRIu64
		    " records, %zu agents%s%s), agents on %s (%s), HTTP on %s",
		    FF_VERSION, a->store->ops->name, a->cfg.data_dir, a->replayed_batches,
		    st.records, ff_sessions_count(a->sessions), own[0] != '\0' ? "; " : "", own,
		    a->cfg.listen, a->trust != NULL ? "CURVE" : "insecure plaintext", a->cfg.http);
}

static void ff_agg_log_stopped(ff_agg *a)
{
	ff_ingest_stats s;
	ff_ingest_get_stats(a->ingest, &s);
	ff_log_info("stopped: this run stored %" PRIu64 " batches, acknowledged %" PRIu64
		    " duplicates, rejected %" PRIu64 ", dropped %" PRIu64 " bad frames and %" PRIu64
		    " bad hellos; %" PRIu64 " acks not deliverable; %" PRIu64
		    " batches stored though their identity was (state restored or cloned)",
		    s.batches_stored, s.batches_duplicate, s.batches_rejected, s.bad_frame,
		    s.bad_hello, s.send_errors, s.batches_conflicting);
}

/* Stops in dependency order: no new queries, no new batches, then the store. */
static void ff_agg_shutdown(ff_agg *a)
{
	ff_http_free(a->http);
	ff_ingest_stop(a->ingest);
	if (a->ingest != NULL && a->store != NULL)
		ff_agg_log_stopped(a);
	ff_ingest_free(a->ingest);
	ff_trust_zap_stop(a->zap);
	ff_trust_close(a->trust);
	explicit_bzero(&a->server_key, sizeof a->server_key);
	ff_policy_push_free(a->push);
	ff_http_policy_free(a->http_policy);
	ff_http_auth_free(a->http_auth);
	ff_policy_store_close(a->policies);
	if (a->zmq != NULL)
		zmq_ctx_term(a->zmq);
	ff_store_close(a->store);
	ff_sessions_free(a->sessions);
	ff_dedup_free(a->dedup);
	if (a->sig_term != NULL)
		event_free(a->sig_term);
	if (a->sig_int != NULL)
		event_free(a->sig_int);
	if (a->base != NULL)
		event_base_free(a->base);
	ff_agg_config_free(&a->cfg);
}

int main(int argc, char **argv)
{
	ff_agg a = {0};
	char err[1024];
	ff_log_init("flowfleet-aggregator", FF_LOG_INFO);
	/*
	 * Batches, windows and seals use buffers of several MB, freed when done:
	 * kept in the heap rather than given back to the kernel they are reused
	 * instead of coming back as fresh pages zeroed by page faults. Their peak
	 * is bounded by the window and batch bounds.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 64 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 128 << 20);
	int rc = ff_agg_config_load(&a.cfg, argc, argv, err, sizeof err);
	if (rc != FF_CONFIG_OK) {
		if (rc == FF_CONFIG_ERROR)
			fprintf(stderr, "flowfleet-aggregator: %s\n", err);
		ff_agg_config_free(&a.cfg);
		return rc == FF_CONFIG_EXIT ? 0 : 2;
	}
	enum ff_log_level level = FF_LOG_INFO;
	ff_log_level_parse(a.cfg.log_level, &level);
	ff_log_init("flowfleet-aggregator", level);
	if (a.cfg.show_key) {
		int shown = ff_agg_load_key(&a.cfg, &a.server_key);
		if (shown == 0)
			printf("%s\n", a.server_key.public_z85);
		explicit_bzero(&a.server_key, sizeof a.server_key);
		ff_agg_config_free(&a.cfg);
		return shown == 0 && fflush(stdout) == 0 ? 0 : 1;
	}
	ff_agg_config_warn(&a.cfg);
	ff_agg_fit_caps(&a.cfg, ff_agg_raise_nofile());
	int status = 1;
	if (ff_agg_start(&a) == 0) {
		ff_agg_log_started(&a);
		event_base_dispatch(a.base);
		status = 0;
	}
	ff_agg_shutdown(&a);
	return status;
}
