#include "receiver.h"

#include "decoder.h"
#include "ff_log.h"
#include "sampling.h"
#include "sflow_counters.h"
#include "template_cache.h"
#include "udp_listener.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct ff_receiver {
	ff_receivers *group;
	pthread_t thread;
	bool started;
	/* Guards everything below but the ring, against the main thread. */
	pthread_mutex_t lock;
	struct event_base *base;
	struct event *ev_stop;
	int stop_fd;
	ff_udp_listener **listeners;
	size_t n_listeners;
	ff_decoder_ctx dctx;
	ff_exporter_stats *exporters;
	ff_agent_counters counters;
	ff_handoff_ring *ring;
} ff_receiver;

struct ff_receivers {
	ff_receiver *rx;
	size_t n;
	size_t max_exporters;
	ff_handoff_fn on_record;
	void *arg;
	int wake_fd; /* eventfd: records wait in a ring */
	struct event *ev_wake;
	atomic_bool woken; /* the main thread was signalled and has not drained since */
	bool save_failed;  /* merged state to be written again even if nothing changed */
};

/* Receive thread: called per decoded record, under the thread's lock. */
static void ff_receiver_on_record(void *arg, const ff_flow *f)
{
	ff_receiver *r = arg;
	r->counters.records_decoded++;
	if (!ff_handoff_ring_push(r->ring, f))
		r->counters.handoff_drops++;
}

/*
 * Wakes the main thread once per drain: the exchange orders this thread's
 * pushes before the main thread's next look at the ring (ff_receivers_on_wake).
 */
static void ff_receivers_signal(ff_receivers *g)
{
	if (atomic_exchange(&g->woken, true))
		return;
	uint64_t one = 1;
	if (write(g->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		ff_log_errno(FF_LOG_WARN, errno, "waking the main thread failed");
}

static void ff_receiver_on_datagram(void *arg, const uint8_t *pkt, size_t len,
				    const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	ff_receiver *r = arg;
	uint64_t before = r->counters.records_decoded;
	int rc = ff_decode_dispatch(&r->dctx, pkt, len, exporter, now_ms);
	ff_exporter_stats_count_protocol(r->exporters, exporter, r->dctx.protocol, rc, now_ms);
	/* Counted, not rc: held data sets decoded now emit records too. */
	if (r->counters.records_decoded != before)
		ff_receivers_signal(r->group);
}

static void ff_receiver_on_stop(evutil_socket_t fd, short what, void *arg)
{
	ff_receiver *r = arg;
	event_base_loopbreak(r->base);
}

static void *ff_receiver_main(void *arg)
{
	ff_receiver *r = arg;
	if (event_base_dispatch(r->base) < 0)
		ff_log_error("a receive thread's event loop failed: no longer receiving");
	return NULL;
}

/* Main thread: drains every ring. */
static void ff_receivers_on_wake(evutil_socket_t fd, short what, void *arg)
{
	ff_receivers *g = arg;
	uint64_t v;
	if (read(g->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
		ff_log_errno(FF_LOG_WARN, errno, "reading the receive threads' eventfd failed");
	ff_receivers_drain(g);
}

size_t ff_receivers_drain(ff_receivers *g)
{
	/* Cleared before looking, so a push after the look signals again. */
	atomic_exchange(&g->woken, false);
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		n += ff_handoff_ring_drain(g->rx[i].ring, g->on_record, g->arg, SIZE_MAX);
	return n;
}

static int ff_receiver_sampling(ff_receiver *r, const ff_receivers_opts *o, char *err,
				size_t err_len)
{
	ff_sampling_set_default(r->dctx.sampling, o->sampling_default);
	for (size_t i = 0; o->sampling_overrides != NULL && i < o->sampling_overrides->n; i++) {
		uint8_t addr[FF_ADDR_LEN];
		uint32_t rate = 0;
		if (ff_sampling_parse_override(o->sampling_overrides->v[i], addr, &rate, err,
					       err_len) != 0)
			return -1;
		if (ff_sampling_set_override(r->dctx.sampling, addr, rate) != 0) {
			snprintf(err, err_len, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int ff_receiver_init(ff_receivers *g, ff_receiver *r, const ff_receivers_opts *o, char *err,
			    size_t err_len)
{
	r->group = g;
	r->stop_fd = -1;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		snprintf(err, err_len, "cannot create a mutex");
		return -1;
	}
	r->listeners = calloc(o->listen->n + 1, sizeof *r->listeners);
	r->ring = ff_handoff_ring_new(o->handoff_records);
	r->exporters = ff_exporter_stats_new(o->max_exporters);
	r->base = event_base_new();
	if (r->listeners == NULL || r->ring == NULL || r->exporters == NULL || r->base == NULL ||
	    ff_decoder_ctx_init(&r->dctx, ff_receiver_on_record, r) != 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	r->dctx.stats = r->exporters;
	r->dctx.max_clock_skew_ms = o->max_clock_skew_ms;
	r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->ev_stop =
	    r->stop_fd < 0 ? NULL : event_new(r->base, r->stop_fd, EV_READ, ff_receiver_on_stop, r);
	if (r->ev_stop == NULL || event_add(r->ev_stop, NULL) != 0) {
		snprintf(err, err_len, "cannot set up a receive thread's stop event");
		return -1;
	}
	return ff_receiver_sampling(r, o, err, err_len);
}

/* One socket per thread on `addr`, the later ones joining the first's SO_REUSEPORT group. */
static int ff_receivers_listen(ff_receivers *g, const ff_receivers_opts *o, const char *addr,
			       char *err, size_t err_len)
{
	const ff_udp_listener *first = NULL;
	for (size_t t = 0; t < g->n; t++) {
		ff_receiver *r = &g->rx[t];
		ff_udp_listener_opts lo = {
		    .addr_port = addr,
		    .rcvbuf = o->rcvbuf,
		    .reuseport = g->n > 1,
		    .group = first,
		    .lock = &r->lock,
		    .cb = ff_receiver_on_datagram,
		    .arg = r,
		    .counters = &r->counters,
		};
		ff_udp_listener *l = ff_udp_listener_new(r->base, &lo, err, err_len);
		if (l == NULL)
			return -1;
		r->listeners[r->n_listeners++] = l;
		if (first == NULL)
			first = l;
	}
	return 0;
}

static size_t ff_receivers_pick_count(unsigned asked)
{
	if (asked > 0) {
		if (asked > 1 && !ff_udp_reuseport_supported()) {
			ff_log_warn(
			    "SO_REUSEPORT is not available: one receive thread instead of %u",
			    asked);
			return 1;
		}
		return asked;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cores > 1 ? (size_t)cores : 1;
	if (n > FF_RECEIVERS_AUTO_MAX)
		n = FF_RECEIVERS_AUTO_MAX;
	return n > 1 && !ff_udp_reuseport_supported() ? 1 : n;
}

static int ff_receivers_open_wake(ff_receivers *g, struct event_base *main_base, char *err,
				  size_t err_len)
{
	g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->wake_fd >= 0)
		g->ev_wake =
		    event_new(main_base, g->wake_fd, EV_READ | EV_PERSIST, ff_receivers_on_wake, g);
	if (g->ev_wake == NULL || event_add(g->ev_wake, NULL) != 0) {
		snprintf(err, err_len, "cannot set up the receive threads' eventfd: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

ff_receivers *ff_receivers_new(struct event_base *main_base, const ff_receivers_opts *o, char *err,
			       size_t err_len)
{
	ff_receivers *g = calloc(1, sizeof *g);
	if (g == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	g->wake_fd = -1;
	g->on_record = o->on_record;
	g->arg = o->arg;
	g->max_exporters = o->max_exporters;
	atomic_init(&g->woken, false);
	size_t n = ff_receivers_pick_count(o->threads);
	if ((g->rx = calloc(n, sizeof *g->rx)) == NULL) {
		snprintf(err, err_len, "out of memory");
		free(g);
		return NULL;
	}
	for (; g->n < n; g->n++)
		if (ff_receiver_init(g, &g->rx[g->n], o, err, err_len) != 0) {
			g->n++; /* partly set up: freed with the others */
			goto fail;
		}
	if (ff_receivers_open_wake(g, main_base, err, err_len) != 0)
		goto fail;
	for (size_t i = 0; i < o->listen->n; i++)
		if (ff_receivers_listen(g, o, o->listen->v[i], err, err_len) != 0)
			goto fail;
	return g;
fail:
	ff_receivers_free(g);
	return NULL;
}

int ff_receivers_start(ff_receivers *g, char *err, size_t err_len)
{
	/* Signals stay with the main thread's loop: the threads block them all. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = 0;
	for (size_t i = 0; i < g->n && rc == 0; i++) {
		rc = pthread_create(&g->rx[i].thread, NULL, ff_receiver_main, &g->rx[i]);
		g->rx[i].started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, err_len, "cannot start a receive thread: %s", strerror(rc));
		return -1;
	}
	return 0;
}

void ff_receivers_stop(ff_receivers *g)
{
	for (size_t i = 0; i < g->n; i++) {
		uint64_t one = 1;
		if (g->rx[i].started && write(g->rx[i].stop_fd, &one, sizeof one) < 0)
			ff_log_errno(FF_LOG_ERROR, errno, "cannot stop receive thread %zu", i);
	}
	for (size_t i = 0; i < g->n; i++) {
		if (!g->rx[i].started)
			continue;
		pthread_join(g->rx[i].thread, NULL);
		g->rx[i].started = false;
	}
}

size_t ff_receivers_count(const ff_receivers *g)
{
	return g->n;
}

void ff_receivers_add_counters(ff_receivers *g, ff_agent_counters *dst)
{
	for (size_t i = 0; i < g->n; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		ff_agent_counters_add(dst, &g->rx[i].counters);
		pthread_mutex_unlock(&g->rx[i].lock);
	}
}

ff_exporter_stats *ff_receivers_exporters(ff_receivers *g)
{
	/* Room for every thread's table, so the sum never overflows into "::". */
	ff_exporter_stats *sum = ff_exporter_stats_new(g->max_exporters * g->n + 1);
	for (size_t i = 0; sum != NULL && i < g->n; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		int rc = ff_exporter_stats_merge(sum, g->rx[i].exporters);
		pthread_mutex_unlock(&g->rx[i].lock);
		if (rc != 0) {
			ff_exporter_stats_free(sum);
			sum = NULL;
		}
	}
	return sum;
}

ff_sflow_counters *ff_receivers_interfaces(ff_receivers *g)
{
	ff_sflow_counters *sum = ff_sflow_counters_new(FF_SFLOW_COUNTERS_MAX_IFS);
	for (size_t i = 0; sum != NULL && i < g->n; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		int rc = ff_sflow_counters_merge(sum, g->rx[i].dctx.sflow_counters);
		pthread_mutex_unlock(&g->rx[i].lock);
		if (rc != 0) {
			ff_sflow_counters_free(sum);
			sum = NULL;
		}
	}
	return sum;
}

void ff_receivers_expire(ff_receivers *g, uint64_t now_ms)
{
	for (size_t i = 0; i < g->n; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		ff_decoder_expire(&g->rx[i].dctx, now_ms);
		pthread_mutex_unlock(&g->rx[i].lock);
	}
}

static bool ff_receivers_dirty(ff_receivers *g)
{
	bool dirty = g->save_failed;
	for (size_t i = 0; i < g->n && !dirty; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		dirty = ff_decoder_ctx_dirty(&g->rx[i].dctx);
		pthread_mutex_unlock(&g->rx[i].lock);
	}
	return dirty;
}

/* Merges every thread's templates and samplers into `sum`, counting them saved. */
static int ff_receivers_merge_state(ff_receivers *g, ff_decoder_ctx *sum)
{
	int rc = 0;
	for (size_t i = 0; i < g->n && rc == 0; i++) {
		pthread_mutex_lock(&g->rx[i].lock);
		rc = ff_decoder_ctx_merge_state(sum, &g->rx[i].dctx);
		pthread_mutex_unlock(&g->rx[i].lock);
	}
	return rc;
}

int ff_receivers_save(ff_receivers *g, const char *dir)
{
	if (!ff_receivers_dirty(g))
		return 0;
	ff_decoder_ctx sum;
	int rc = ff_decoder_ctx_init(&sum, NULL, NULL);
	if (rc == 0 && (rc = ff_receivers_merge_state(g, &sum)) == 0)
		rc = ff_decoder_ctx_save(&sum, dir);
	ff_decoder_ctx_release(&sum);
	/* The threads' tables now count as saved: a failure must still be retried. */
	g->save_failed = rc != 0;
	return rc;
}

int ff_receivers_load(ff_receivers *g, const char *dir)
{
	/* Read once (one log line for a bad file), then copied to the other threads. */
	pthread_mutex_lock(&g->rx[0].lock);
	int n = ff_decoder_ctx_load(&g->rx[0].dctx, dir);
	pthread_mutex_unlock(&g->rx[0].lock);
	for (size_t i = 1; i < g->n; i++) {
		ff_decoder_ctx *dst = &g->rx[i].dctx;
		pthread_mutex_lock(&g->rx[0].lock);
		pthread_mutex_lock(&g->rx[i].lock);
		int rc = ff_decoder_ctx_merge_state(dst, &g->rx[0].dctx);
		/* What was copied is what the file holds: nothing new to save. */
		ff_template_cache_mark_saved(dst->templates);
		ff_sampling_mark_saved(dst->sampling);
		pthread_mutex_unlock(&g->rx[i].lock);
		pthread_mutex_unlock(&g->rx[0].lock);
		if (rc != 0)
			ff_log_errno(
			    FF_LOG_WARN, -rc,
			    "copying the loaded templates to receive thread %zu failed: it "
			    "relearns them from the exporters",
			    i);
	}
	return n;
}

static void ff_receiver_release(ff_receiver *r)
{
	for (size_t i = 0; i < r->n_listeners; i++)
		ff_udp_listener_free(r->listeners[i]);
	free(r->listeners);
	if (r->ev_stop != NULL)
		event_free(r->ev_stop);
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	if (r->base != NULL)
		event_base_free(r->base);
	ff_decoder_ctx_release(&r->dctx);
	ff_exporter_stats_free(r->exporters);
	ff_handoff_ring_free(r->ring);
	pthread_mutex_destroy(&r->lock);
}

void ff_receivers_free(ff_receivers *g)
{
	if (g == NULL)
		return;
	ff_receivers_stop(g);
	for (size_t i = 0; i < g->n; i++)
		ff_receiver_release(&g->rx[i]);
	if (g->ev_wake != NULL)
		event_free(g->ev_wake);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	free(g->rx);
	free(g);
}
