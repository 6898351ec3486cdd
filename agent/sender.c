#include "sender.h"

#include "ack_latency.h"
#include "log_every.h"

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
/*
 * libzmq 4.3 gives up an endpoint for good after a protocol error in the
 * handshake (a refused key, another mechanism): the sender dials it again
 * itself, after this long, doubling up to FF_SENDER_REDIAL_MAX_MS.
 */
#define FF_SENDER_REDIAL_MS	1000
#define FF_SENDER_REDIAL_MAX_MS 10000
/* Repeated refusals (rejections, failed handshakes) are logged this often at most. */
#define FF_SENDER_LOG_EVERY_MS 60000

/* Ack reasons that refuse the whole agent for now (the aggregator's words, issue 13). */
static const char *const ff_sender_hold_reasons[] = {"pending enrolment",
						     "agent id does not match the key"};

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
	bool connected;		/* handshake done: messages flow */
	/* The connection being set up: TCP is up, the handshake not yet done. */
	bool tcp_up;
	bool attempt_failed; /* this connection's failure is already counted */
	uint64_t tcp_up_ms;
	uint64_t redial_ms;		       /* current redial delay, 0 after a good handshake */
	uint64_t redial_due_ms;		       /* 0: no redial planned */
	char server_key[FF_CURVE_Z85_LEN + 1]; /* copies of the opts' keys */
	ff_curve_keypair keys;
	char server_fp[FF_CURVE_FP_LEN + 1]; /* "" in plaintext */
	char own_fp[FF_CURVE_FP_LEN + 1];
	ff_log_every limit;
	/* Held queue (the aggregator refuses the agent for now): one probe per hold_ms. */
	bool held;
	bool probe_out; /* a probe was sent and has no answer yet */
	uint64_t hold_ms;
	uint64_t probe_due_ms;
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

/* Sends one queued batch and counts it. Returns what ff_sender_send_frame() returned. */
static int ff_sender_send_item(ff_sender *s, ff_send_item *it, uint64_t now)
{
	int rc = ff_sender_send_frame(s, it->frame, it->len);
	if (rc != 0)
		return rc;
	if (it->last_send_ms == 0) {
		s->c->batches_sent++;
		s->c->records_sent += it->n_records;
		s->c->bytes_sent += it->len;
	} else {
		s->c->batches_resent++;
	}
	it->last_send_ms = now;
	return 0;
}

/*
 * A held queue sends only its oldest batch, once per hold interval (or at
 * once after a reconnect): the answer tells whether the agent is accepted
 * yet, without resending the whole spool every retry.
 */
static void ff_sender_pump_held(ff_sender *s, uint64_t now)
{
	ff_send_item *it = ff_send_queue_at(s->q, 0);
	if (it == NULL || (now < s->probe_due_ms && !s->resend_all))
		return;
	if (ff_sender_send_item(s, it, now) != 0)
		return;
	s->probe_out = true;
	s->probe_due_ms = now + s->hold_ms;
	s->resend_all = false;
}

/* Sends what is due: the Hello, then unacked batches oldest first, until zmq pushes back. */
static void ff_sender_pump(ff_sender *s)
{
	uint64_t now = ff_time_mono_ms();
	ff_sender_send_hello(s, now);
	if (s->held) {
		ff_sender_pump_held(s, now);
		return;
	}
	ff_send_item *it;
	for (size_t i = 0; (it = ff_send_queue_at(s->q, i)) != NULL; i++) {
		if (!ff_sender_due(s, it, now))
			continue;
		if (ff_sender_send_item(s, it, now) != 0)
			return;
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

/* "" or "; N more since the last such line", for lines logged once a minute. */
static const char *ff_sender_more(uint64_t held_back, char *buf, size_t len)
{
	if (held_back == 0)
		return "";
	snprintf(buf, len, "; %" PRIu64 " more since the last such line", held_back);
	return buf;
}

bool ff_sender_reason_holds(const char *reason)
{
	for (size_t i = 0; i < sizeof ff_sender_hold_reasons / sizeof ff_sender_hold_reasons[0];
	     i++) {
		const char *r = ff_sender_hold_reasons[i];
		if (strncmp(reason, r, strlen(r)) == 0)
			return true;
	}
	return false;
}

/*
 * The aggregator refuses the agent as a whole: hold the queue. The first
 * probe waits one retry interval; each probe refused again doubles the wait
 * up to FF_SENDER_HOLD_MAX_MS. Rejections of batches sent before the hold
 * began only count.
 */
static void ff_sender_hold(ff_sender *s, uint64_t now)
{
	if (!s->held) {
		s->held = true;
		s->hold_ms = s->o.retry_ms;
	} else if (s->probe_out) {
		s->hold_ms =
		    s->hold_ms * 2 < FF_SENDER_HOLD_MAX_MS ? s->hold_ms * 2 : FF_SENDER_HOLD_MAX_MS;
		if (s->hold_ms < s->o.retry_ms)
			s->hold_ms = s->o.retry_ms;
	} else {
		return;
	}
	s->probe_out = false;
	s->probe_due_ms = now + s->hold_ms;
}

/* An Ack OK/DUPLICATE: the aggregator takes our batches (again), so send them all now. */
static void ff_sender_release(ff_sender *s)
{
	if (!s->held)
		return;
	ff_log_info("the aggregator at %s accepts this agent's batches again; sending the %zu "
		    "kept",
		    s->endpoint, ff_send_queue_len(s->q));
	s->held = false;
	s->probe_out = false;
	s->resend_all = true;
}

static void ff_sender_rejected(ff_sender *s, const Flowfleet__Ack *ack)
{
	uint64_t now = ff_time_mono_ms(), held_back = 0;
	const char *reason =
	    ack->reason != NULL && ack->reason[0] != '\0' ? ack->reason : "no reason given";
	bool holds = ff_sender_reason_holds(reason);
	s->c->batches_rejected++;
	if (holds)
		ff_sender_hold(s, now);
	if (!ff_log_every_due(&s->limit, reason, now, &held_back))
		return;
	char more[64];
	if (holds)
		ff_log_warn("the aggregator at %s refuses this agent for now (%s; key fingerprint "
			    "%s): %zu batches kept, the oldest retried every %" PRIu64 " to %d s%s",
			    s->endpoint, reason, s->own_fp[0] ? s->own_fp : "none (plaintext)",
			    ff_send_queue_len(s->q), s->hold_ms / 1000,
			    FF_SENDER_HOLD_MAX_MS / 1000,
			    ff_sender_more(held_back, more, sizeof more));
	else
		ff_log_warn("aggregator rejected batch %" PRIu64 " (%s); kept for a later retry%s",
			    ack->sequence, reason, ff_sender_more(held_back, more, sizeof more));
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
		ff_sender_rejected(s, ack);
	} else {
		ff_sender_release(s);
		if (ack->new_epoch && s->o.on_new_epoch != NULL)
			s->o.on_new_epoch(s->o.epoch_arg, ack->epoch);
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

/* Why a handshake failed, in words, for the log line. */
static void ff_sender_failure_text(const ff_sender *s, uint16_t event, uint32_t value, char *out,
				   size_t len)
{
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
	    value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
		snprintf(out, len, "it speaks another security mechanism%s",
			 s->server_fp[0] ? ", e.g. plaintext" : ", e.g. CURVE");
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
		snprintf(out, len, "protocol error 0x%" PRIx32 " in the handshake", value);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		snprintf(out, len, "handshake failed: %s", zmq_strerror((int)value));
	else if (event == ZMQ_EVENT_DISCONNECTED)
		snprintf(out, len, "it closed the connection during the handshake%s",
			 s->server_fp[0] ? ", as a server holding another key does" : "");
	else
		snprintf(out, len, "no handshake within %d s", FF_SENDER_HANDSHAKE_WAIT_MS / 1000);
}

/* The aggregator's ZAP handler said no (400: our key is rejected or revoked there). */
static void ff_sender_refused(ff_sender *s, uint32_t status, uint64_t now)
{
	uint64_t held_back = 0;
	s->c->handshake_refused++;
	if (!ff_log_every_due(&s->limit, "handshake refused", now, &held_back))
		return;
	char more[64];
	ff_log_error("the aggregator at %s refuses this agent's key %s (status %" PRIu32
		     ": rejected or revoked there, see `flowfleet agents`); %zu batches kept, "
		     "retrying%s",
		     s->endpoint, s->own_fp[0] ? s->own_fp : "(plaintext: no key)", status,
		     ff_send_queue_len(s->q), ff_sender_more(held_back, more, sizeof more));
}

/* Plans dialing the endpoint again: zmq will not after this failure. */
static void ff_sender_plan_redial(ff_sender *s, uint64_t now)
{
	if (s->redial_ms == 0)
		s->redial_ms = FF_SENDER_REDIAL_MS;
	else if (s->redial_ms < FF_SENDER_REDIAL_MAX_MS)
		s->redial_ms = s->redial_ms * 2 < FF_SENDER_REDIAL_MAX_MS ? s->redial_ms * 2
									  : FF_SENDER_REDIAL_MAX_MS;
	s->redial_due_ms = now + s->redial_ms;
}

/* Drops the given-up endpoint and connects it again (in the background, as at start). */
static void ff_sender_redial(ff_sender *s)
{
	uint64_t now = ff_time_mono_ms();
	if (s->redial_due_ms == 0 || now < s->redial_due_ms)
		return;
	s->redial_due_ms = 0;
	s->tcp_up = false;
	/* ENOENT when zmq already forgot it: nothing to drop. */
	zmq_disconnect(s->sock, s->endpoint);
	if (zmq_connect(s->sock, s->endpoint) != 0) {
		ff_log_errno(FF_LOG_ERROR, errno, "connecting to aggregator %s again failed",
			     s->endpoint);
		ff_sender_plan_redial(s, now);
	}
}

/* A connection's handshake failed or never completed: counted once per connection. */
static void ff_sender_handshake_failed(ff_sender *s, uint16_t event, uint32_t value)
{
	uint64_t now = ff_time_mono_ms(), held_back = 0;
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
	    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
		ff_sender_plan_redial(s, now);
	if (s->attempt_failed)
		return;
	s->attempt_failed = true;
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
		ff_sender_refused(s, value, now);
		return;
	}
	s->c->handshake_failures++;
	if (!ff_log_every_due(&s->limit, "handshake failed", now, &held_back))
		return;
	char why[128], more[64];
	ff_sender_failure_text(s, event, value, why, sizeof why);
	if (s->server_fp[0])
		ff_log_error("the aggregator at %s did not prove server key %s (%s); nothing is "
			     "sent to it, retrying%s",
			     s->endpoint, s->server_fp, why,
			     ff_sender_more(held_back, more, sizeof more));
	else
		ff_log_error("the handshake with the aggregator at %s failed (%s): an aggregator "
			     "using CURVE needs --server-key, not --insecure-plaintext; retrying%s",
			     s->endpoint, why, ff_sender_more(held_back, more, sizeof more));
}

static void ff_sender_on_connected(ff_sender *s)
{
	s->tcp_up = true;
	s->attempt_failed = false;
	s->tcp_up_ms = ff_time_mono_ms();
}

static void ff_sender_on_handshake(ff_sender *s)
{
	ff_log_info("connected to aggregator %s%s%s; %zu unacked batches to send", s->endpoint,
		    s->server_fp[0] ? ", which proved server key " : " (plaintext)", s->server_fp,
		    ff_send_queue_len(s->q));
	s->tcp_up = false;
	s->redial_ms = 0;
	s->redial_due_ms = 0;
	s->connected = true;
	s->resend_all = true;
	s->last_hello_ms = 0;
}

static void ff_sender_on_disconnected(ff_sender *s)
{
	if (s->tcp_up)
		ff_sender_handshake_failed(s, ZMQ_EVENT_DISCONNECTED, 0);
	s->tcp_up = false;
	if (!s->connected)
		return;
	ff_log_warn("lost the connection to aggregator %s; batches are kept and resent "
		    "on reconnect",
		    s->endpoint);
	s->connected = false;
}

static void ff_sender_on_monitor_event(ff_sender *s, uint16_t event, uint32_t value)
{
	ff_log_debug("socket monitor: event 0x%04x value 0x%" PRIx32, event, value);
	switch (event) {
	case ZMQ_EVENT_CONNECTED:
		ff_sender_on_connected(s);
		break;
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		ff_sender_on_handshake(s);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		ff_sender_handshake_failed(s, event, value);
		break;
	case ZMQ_EVENT_DISCONNECTED:
		ff_sender_on_disconnected(s);
		break;
	default:
		break;
	}
}

/* TCP is up but the handshake has not completed in time: a server that never proves its key. */
static void ff_sender_check_handshake(ff_sender *s)
{
	if (s->tcp_up && !s->attempt_failed &&
	    ff_time_mono_ms() - s->tcp_up_ms >= FF_SENDER_HANDSHAKE_WAIT_MS)
		ff_sender_handshake_failed(s, 0, 0);
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
		if (zmq_msg_size(&msg) >= 6 && more) {
			uint16_t event;
			uint32_t value;
			memcpy(&event, zmq_msg_data(&msg), sizeof event);
			memcpy(&value, (const uint8_t *)zmq_msg_data(&msg) + 2, sizeof value);
			ff_sender_on_monitor_event(s, event, value);
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
	ff_sender_check_handshake(s);
	ff_sender_redial(s);
	ff_sender_run(s);
}

static int ff_sender_setopt_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

/*
 * Makes the DEALER a CurveZMQ client of the server key. A failure here
 * stops the start: the socket must never fall back to the NULL mechanism.
 */
static int ff_sender_set_curve(ff_sender *s, char *err, size_t err_len)
{
	const ff_curve_keypair *k = s->o.keys;
	if (!zmq_has("curve")) {
		snprintf(err, err_len,
			 "this libzmq has no CURVE support: install one built with libsodium, or "
			 "use --insecure-plaintext");
		return -1;
	}
	if (k == NULL ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, s->o.server_key, FF_CURVE_Z85_LEN + 1) !=
		0 ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, k->public_z85, FF_CURVE_Z85_LEN + 1) !=
		0 ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, k->secret_z85, FF_CURVE_Z85_LEN + 1) !=
		0) {
		snprintf(err, err_len, "setting the CurveZMQ keys failed: %s",
			 k == NULL ? "no agent key pair" : zmq_strerror(errno));
		return -1;
	}
	int mech = 0;
	size_t mlen = sizeof mech;
	if (zmq_getsockopt(s->sock, ZMQ_MECHANISM, &mech, &mlen) != 0 || mech != ZMQ_CURVE) {
		snprintf(err, err_len, "the socket did not switch to CURVE");
		return -1;
	}
	return 0;
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
	    ff_sender_setopt_int(s->sock, ZMQ_RECONNECT_IVL_MAX, FF_SENDER_RECONNECT_MAX_MS) != 0 ||
	    ff_sender_setopt_int(s->sock, ZMQ_HANDSHAKE_IVL, FF_SENDER_HANDSHAKE_WAIT_MS) != 0)
		goto fail;
	if (s->o.server_key != NULL && ff_sender_set_curve(s, err, err_len) != 0)
		return -1;
	int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
		     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
		     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
	if (zmq_socket_monitor(s->sock, mon_addr, events) != 0 ||
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

/* Keeps the CURVE keys (the caller's may go) and their fingerprints for the log lines. */
static int ff_sender_copy_keys(ff_sender *s, const ff_sender_opts *o, char *err, size_t err_len)
{
	if (o->keys == NULL || ff_curve_key_parse(o->server_key, s->server_key) != 0 ||
	    ff_curve_key_fingerprint(s->server_key, s->server_fp) != 0 ||
	    ff_curve_key_fingerprint(o->keys->public_z85, s->own_fp) != 0) {
		snprintf(err, err_len, "the aggregator's key or the agent's key pair is not Z85");
		return -1;
	}
	s->keys = *o->keys;
	s->o.server_key = s->server_key;
	s->o.keys = &s->keys;
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
	ff_log_every_init(&s->limit, FF_SENDER_LOG_EVERY_MS);
	if (o->server_key != NULL && ff_sender_copy_keys(s, o, err, err_len) != 0) {
		ff_sender_free(s);
		return NULL;
	}
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
	/* The secret key should not linger in freed memory. */
	explicit_bzero(&s->keys, sizeof s->keys);
	free(s);
}
