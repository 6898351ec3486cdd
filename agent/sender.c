#include "sender.h"

#include "ack_latency.h"

#include "ff_frame.h"
#include "ff_log.h"
#include "ff_time.h"
#include "flowfleet.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/*
 * ZMQ_FD is edge-triggered: it signals only a change of ZMQ_EVENTS, and a
 * zmq_send/zmq_recv can consume the change. So the socket is drained after
 * every send and receive, and a short safety timer drains and pumps anyway.
 */
#define FF_SENDER_TICK_MS	   100
#define FF_SENDER_RECONNECT_MS	   200
#define FF_SENDER_RECONNECT_MAX_MS 2000

struct ff_sender {
	struct event_base *base;
	void *zctx;
	void *sock;
	void *mon; /* PAIR socket receiving the DEALER's connect/disconnect events */
	struct event *ev_sock, *ev_mon, *ev_tick;
	ff_send_queue *q;
	ff_agent_counters *c;
	ff_ack_latency lat; /* send-to-ack times of the last acks */
	ff_sender_opts o;
	char *endpoint;
	uint64_t last_hello_ms; /* 0: a Hello is due now */
	bool resend_all;	/* a connection just completed: resend every batch */
	bool connected;
};

static int ff_sender_events(void *sock)
{
	int ev = 0;
	size_t len = sizeof ev;
	if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) != 0)
		return 0;
	return ev;
}

/*
 * Sends one frame without blocking. Returns 0, 1 when zmq would block, -1 on
 * error. zmq_send() copies: the queue keeps the frame for a resend and may
 * free it on an ack while zmq still holds its message, so handing the buffer
 * over with zmq_msg_init_data() would need reference counting for little gain
 * at one batch per interval.
 */
static int ff_sender_send_frame(ff_sender *s, const uint8_t *frame, size_t len)
{
	if (zmq_send(s->sock, frame, len, ZMQ_DONTWAIT) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EINTR)
		return 1;
	ff_log_errno(FF_LOG_WARN, errno, "zmq_send to %s failed, will retry", s->endpoint);
	return -1;
}

static void ff_sender_send_hello(ff_sender *s, uint64_t now)
{
	if (s->last_hello_ms != 0 && now - s->last_hello_ms < s->o.heartbeat_ms)
		return;
	uint8_t *frame = NULL;
	size_t len = 0;
	if (s->o.hello(s->o.hello_arg, &frame, &len) != 0) {
		ff_log_error("cannot build Hello, skipped this heartbeat");
		s->last_hello_ms = now;
		return;
	}
	if (ff_sender_send_frame(s, frame, len) == 0)
		s->last_hello_ms = now;
	free(frame);
}

static bool ff_sender_due(const ff_sender *s, const ff_send_item *it, uint64_t now)
{
	return it->last_send_ms == 0 || s->resend_all || now - it->last_send_ms >= s->o.retry_ms;
}

/* Sends what is due: the Hello, then unacked batches oldest first, until zmq pushes back. */
static void ff_sender_pump(ff_sender *s)
{
	uint64_t now = ff_time_mono_ms();
	ff_sender_send_hello(s, now);
	ff_send_item *it;
	for (size_t i = 0; (it = ff_send_queue_at(s->q, i)) != NULL; i++) {
		if (!ff_sender_due(s, it, now))
			continue;
		if (ff_sender_send_frame(s, it->frame, it->len) != 0)
			return;
		if (it->last_send_ms == 0) {
			s->c->batches_sent++;
			s->c->records_sent += it->n_records;
			s->c->bytes_sent += it->len;
		} else {
			s->c->batches_resent++;
		}
		it->last_send_ms = now;
	}
	s->resend_all = false;
}

/* Records the send-to-ack time of batch (epoch, seq) if it is still queued. */
static void ff_sender_time_ack(ff_sender *s, uint64_t epoch, uint64_t seq)
{
	ff_send_item *it;
	for (size_t i = 0; (it = ff_send_queue_at(s->q, i)) != NULL; i++) {
		if (it->epoch != epoch || it->seq != seq || it->last_send_ms == 0)
			continue;
		ff_ack_latency_add(&s->lat, ff_time_mono_ms() - it->last_send_ms);
		ff_ack_latency_summary(&s->lat, &s->c->ack_latency_p50_ms,
				       &s->c->ack_latency_p99_ms, &s->c->ack_latency_max_ms);
		return;
	}
}

static void ff_sender_handle_ack(ff_sender *s, const uint8_t *payload, size_t len)
{
	Flowfleet__Ack *ack = flowfleet__ack__unpack(NULL, len, payload);
	if (ack == NULL) {
		s->c->frames_bad++;
		ff_log_warn("undecodable Ack from the aggregator, ignored");
		return;
	}
	if (ack->status == FLOWFLEET__ACK__STATUS__REJECTED) {
		s->c->batches_rejected++;
		ff_log_warn("aggregator rejected batch %" PRIu64 " (%s); kept for a later retry",
			    ack->sequence, ack->reason ? ack->reason : "no reason given");
	} else {
		ff_sender_time_ack(s, ack->epoch, ack->sequence);
		if (ff_send_queue_ack(s->q, ack->epoch, ack->sequence) == 0) {
			s->c->batches_acked++;
			ff_log_debug("batch %" PRIu64 " acked (%s)", ack->sequence,
				     ack->status == FLOWFLEET__ACK__STATUS__OK ? "ok"
									       : "duplicate");
		} else {
			/* A second ack of a batch we resent: harmless. */
			ff_log_debug("ack for batch %" PRIu64 " not pending, ignored",
				     ack->sequence);
		}
	}
	flowfleet__ack__free_unpacked(ack, NULL);
}

static void ff_sender_handle_frame(ff_sender *s, const uint8_t *data, size_t len)
{
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int rc = ff_frame_decode(data, len, &h, &payload, &plen);
	if (rc != 0) {
		s->c->frames_bad++;
		ff_log_warn("malformed frame from the aggregator (%s), ignored", ff_strerror(rc));
		return;
	}
	if (h.type == FF_MSG_ACK) {
		ff_sender_handle_ack(s, payload, plen);
	} else if (h.type == FF_MSG_POLICY && s->o.on_policy != NULL) {
		s->o.on_policy(s->o.policy_arg, payload, plen);
	} else {
		s->c->frames_bad++;
		ff_log_warn("unexpected message type %u from the aggregator, ignored", h.type);
	}
	free(payload);
}

/*
 * Receives one message. The last part carries the frame; leading parts (an
 * empty envelope delimiter, should a peer add one) are skipped.
 */
static bool ff_sender_recv_one(ff_sender *s)
{
	zmq_msg_t msg;
	bool got = false, more = true;
	while (more) {
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, s->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return got;
		}
		got = true;
		more = zmq_msg_more(&msg);
		if (!more)
			ff_sender_handle_frame(s, zmq_msg_data(&msg), zmq_msg_size(&msg));
		zmq_msg_close(&msg);
	}
	return true;
}

static void ff_sender_drain(ff_sender *s)
{
	while ((ff_sender_events(s->sock) & ZMQ_POLLIN) && ff_sender_recv_one(s))
		;
}

static void ff_sender_run(ff_sender *s)
{
	ff_sender_drain(s);
	ff_sender_pump(s);
	ff_sender_drain(s);
}

static void ff_sender_on_monitor_event(ff_sender *s, uint16_t event)
{
	if (event == ZMQ_EVENT_CONNECTED) {
		ff_log_info("connected to aggregator %s; %zu unacked batches to send", s->endpoint,
			    ff_send_queue_len(s->q));
		s->connected = true;
		s->resend_all = true;
		s->last_hello_ms = 0;
	} else if (event == ZMQ_EVENT_DISCONNECTED && s->connected) {
		ff_log_warn("lost the connection to aggregator %s; batches are kept and resent "
			    "on reconnect",
			    s->endpoint);
		s->connected = false;
	}
}

/* Monitor messages are two parts: 6 bytes (uint16 event, uint32 value), then the address. */
static void ff_sender_drain_monitor(ff_sender *s)
{
	while (ff_sender_events(s->mon) & ZMQ_POLLIN) {
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, s->mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return;
		}
		bool more = zmq_msg_more(&msg);
		if (zmq_msg_size(&msg) >= 2 && more) {
			uint16_t event;
			memcpy(&event, zmq_msg_data(&msg), sizeof event);
			ff_sender_on_monitor_event(s, event);
		}
		zmq_msg_close(&msg);
	}
}

static void ff_sender_on_sock(evutil_socket_t fd, short what, void *arg)
{
	ff_sender_run(arg);
}

static void ff_sender_on_mon(evutil_socket_t fd, short what, void *arg)
{
	ff_sender *s = arg;
	ff_sender_drain_monitor(s);
	ff_sender_run(s);
}

static void ff_sender_on_tick(evutil_socket_t fd, short what, void *arg)
{
	ff_sender *s = arg;
	ff_sender_drain_monitor(s);
	ff_sender_run(s);
}

static int ff_sender_setopt_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

/* Creates the DEALER socket and its connection monitor. */
static int ff_sender_open_sockets(ff_sender *s, char *err, size_t err_len)
{
	char mon_addr[64];
	snprintf(mon_addr, sizeof mon_addr, "inproc://ff-agent-monitor-%p", (void *)s);
	if ((s->zctx = zmq_ctx_new()) == NULL ||
	    (s->sock = zmq_socket(s->zctx, ZMQ_DEALER)) == NULL)
		goto fail;
	if (ff_sender_setopt_int(s->sock, ZMQ_IMMEDIATE, 1) != 0 ||
	    ff_sender_setopt_int(s->sock, ZMQ_LINGER, 0) != 0 ||
	    ff_sender_setopt_int(s->sock, ZMQ_RECONNECT_IVL, FF_SENDER_RECONNECT_MS) != 0 ||
	    ff_sender_setopt_int(s->sock, ZMQ_RECONNECT_IVL_MAX, FF_SENDER_RECONNECT_MAX_MS) != 0)
		goto fail;
	if (zmq_socket_monitor(s->sock, mon_addr, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) !=
		0 ||
	    (s->mon = zmq_socket(s->zctx, ZMQ_PAIR)) == NULL ||
	    ff_sender_setopt_int(s->mon, ZMQ_LINGER, 0) != 0 || zmq_connect(s->mon, mon_addr) != 0)
		goto fail;
	if (zmq_connect(s->sock, s->endpoint) != 0) {
		snprintf(err, err_len, "aggregator endpoint '%s': %s", s->endpoint,
			 zmq_strerror(errno));
		return -1;
	}
	return 0;
fail:
	snprintf(err, err_len, "zmq setup failed: %s", zmq_strerror(errno));
	return -1;
}

static struct event *ff_sender_fd_event(ff_sender *s, void *sock, event_callback_fn cb)
{
	int fd;
	size_t len = sizeof fd;
	if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0)
		return NULL;
	struct event *ev = event_new(s->base, fd, EV_READ | EV_PERSIST, cb, s);
	if (ev != NULL && event_add(ev, NULL) != 0) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

static int ff_sender_register(ff_sender *s, char *err, size_t err_len)
{
	struct timeval tick = {0, FF_SENDER_TICK_MS * 1000};
	s->ev_sock = ff_sender_fd_event(s, s->sock, ff_sender_on_sock);
	s->ev_mon = ff_sender_fd_event(s, s->mon, ff_sender_on_mon);
	s->ev_tick = event_new(s->base, -1, EV_PERSIST, ff_sender_on_tick, s);
	if (s->ev_sock == NULL || s->ev_mon == NULL || s->ev_tick == NULL ||
	    event_add(s->ev_tick, &tick) != 0) {
		snprintf(err, err_len, "cannot register the zmq socket with the event loop");
		return -1;
	}
	return 0;
}

ff_sender *ff_sender_new(struct event_base *base, const ff_sender_opts *o, ff_send_queue *q,
			 ff_agent_counters *counters, char *err, size_t err_len)
{
	ff_sender *s = calloc(1, sizeof *s);
	if (s == NULL || (s->endpoint = strdup(o->endpoint)) == NULL) {
		snprintf(err, err_len, "out of memory");
		free(s);
		return NULL;
	}
	s->base = base;
	s->o = *o;
	s->o.endpoint = s->endpoint;
	s->q = q;
	s->c = counters;
	if (ff_sender_open_sockets(s, err, err_len) != 0 ||
	    ff_sender_register(s, err, err_len) != 0) {
		ff_sender_free(s);
		return NULL;
	}
	return s;
}

int ff_sender_submit(ff_sender *s, uint64_t epoch, uint64_t seq, uint64_t n_records, uint8_t *frame,
		     size_t len)
{
	int rc = ff_send_queue_push(s->q, epoch, seq, n_records, frame, len);
	ff_sender_run(s);
	return rc;
}

int ff_sender_send_now(ff_sender *s, const uint8_t *frame, size_t len)
{
	return ff_sender_send_frame(s, frame, len) == 0 ? 0 : -1;
}

size_t ff_sender_pending(const ff_sender *s)
{
	return ff_send_queue_len(s->q);
}

void ff_sender_free(ff_sender *s)
{
	if (s == NULL)
		return;
	if (s->ev_sock != NULL)
		event_free(s->ev_sock);
	if (s->ev_mon != NULL)
		event_free(s->ev_mon);
	if (s->ev_tick != NULL)
		event_free(s->ev_tick);
	if (s->sock != NULL) {
		zmq_socket_monitor(s->sock, NULL, 0);
		zmq_close(s->sock);
	}
	if (s->mon != NULL)
		zmq_close(s->mon);
	if (s->zctx != NULL)
		zmq_ctx_term(s->zctx);
	free(s->endpoint);
	free(s);
}
