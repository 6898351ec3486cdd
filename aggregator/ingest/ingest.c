#include "ingest.h"

#include "ingest_conns.h"

#include "ff_curve_key.h"
#include "ff_frame.h"
#include "ff_log.h"
#include "ff_time.h"
#include "flowfleet.pb-c.h"
#include "trust_zap.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zmq.h>

/* The message property naming the peer (a stable property; its macro is draft API). */
#define FF_INGEST_PEER_ADDRESS "Peer-Address"
/* The property the ZAP handler set: the client's public key in Z85. */
#define FF_INGEST_USER_ID "User-Id"
/* Labels of a Hello handed to the trust, as the session registry keeps. */
#define FF_INGEST_MAX_LABELS FF_SESSION_MAX_LABELS
/* How long the thread waits for a message before it looks at the stop flag. */
#define FF_INGEST_POLL_MS 100
/* Messages handled per wakeup before the stop flag is looked at again. */
#define FF_INGEST_BURST 64
/* At most one warning per reason in this many milliseconds. */
#define FF_INGEST_WARN_EVERY_MS 10000
/* A frame is at most a header plus an lz4 block of the largest payload. */
#define FF_INGEST_MAX_MSG ((int64_t)FF_FRAME_MAX_PAYLOAD + (FF_FRAME_MAX_PAYLOAD / 255) + 64)

/* The reasons a message is refused, each warned about at its own rate. */
enum ff_ingest_reason {
	FF_INGEST_R_FRAME,
	FF_INGEST_R_ENVELOPE,
	FF_INGEST_R_HELLO,
	FF_INGEST_R_BATCH,
	FF_INGEST_R_STORE,
	FF_INGEST_R_TYPE,
	FF_INGEST_R_POLICY_ACK,
	FF_INGEST_R_CONFLICT,
	FF_INGEST_R_AGENTS,
	FF_INGEST_R_COUNT
};

typedef struct ff_ingest_warn {
	uint64_t last_ms;
	uint64_t suppressed;
} ff_ingest_warn;

/* Counters written by the ingest thread and read by the HTTP thread. */
typedef struct ff_ingest_counters {
	_Atomic uint64_t messages, hellos, batches_stored, batches_duplicate, batches_rejected;
	_Atomic uint64_t batches_conflicting;
	_Atomic uint64_t bad_frame, bad_hello, bad_batch, store_errors, unknown_type, send_errors;
	_Atomic uint64_t policy_acks, bad_policy_ack, untrusted;
	_Atomic uint64_t refused[FF_INGEST_REFUSED_COUNT];
} ff_ingest_counters;

struct ff_ingest {
	ff_ingest_deps deps;
	char curve_secret[FF_CURVE_Z85_LEN + 1];
	void *sock;
	ff_ingest_conns *conns; /* with the socket */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	atomic_bool store_ok;
	ff_ingest_counters n;
	ff_ingest_warn warn[FF_INGEST_R_COUNT]; /* ingest thread only */
};

static void ff_ingest_bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void ff_ingest_warn_about(ff_ingest *ing, enum ff_ingest_reason r, const char *fmt, ...)
    FF_PRINTF(3, 4);

/* Logs a refusal unless one for the same reason was logged recently. */
static void ff_ingest_warn_about(ff_ingest *ing, enum ff_ingest_reason r, const char *fmt, ...)
{
	ff_ingest_warn *w = &ing->warn[r];
	uint64_t now = ff_time_now_ms();
	if (w->last_ms != 0 && now - w->last_ms < FF_INGEST_WARN_EVERY_MS) {
		w->suppressed++;
		return;
	}
	if (w->suppressed > 0)
		ff_log_warn("ingest: %" PRIu64 " similar refusals not logged", w->suppressed);
	w->last_ms = now;
	w->suppressed = 0;
	va_list ap;
	va_start(ap, fmt);
	ff_log_v(FF_LOG_WARN, 0, fmt, ap);
	va_end(ap);
}

ff_ingest *ff_ingest_new(const ff_ingest_deps *deps)
{
	ff_ingest *ing = calloc(1, sizeof *ing);
	if (ing == NULL)
		return NULL;
	ing->deps = *deps;
	if (deps->curve_secret != NULL)
		snprintf(ing->curve_secret, sizeof ing->curve_secret, "%s", deps->curve_secret);
	ing->deps.curve_secret = NULL;
	atomic_init(&ing->stop, false);
	atomic_init(&ing->store_ok, true);
	return ing;
}

/* --- answers --------------------------------------------------------------- */

static void ff_ingest_ack_init(Flowfleet__Ack *ack, const char *agent_id, uint64_t epoch,
			       uint64_t seq, Flowfleet__Ack__Status status, const char *reason)
{
	flowfleet__ack__init(ack);
	ack->agent_id = (char *)agent_id;
	ack->epoch = epoch;
	ack->sequence = seq;
	ack->status = status;
	ack->reason = (char *)(reason != NULL ? reason : "");
}

static void ff_ingest_ack_encode(const Flowfleet__Ack *ack, uint8_t **reply, size_t *reply_len)
{
	uint8_t buf[512];
	size_t len = flowfleet__ack__get_packed_size(ack);
	if (len > sizeof buf)
		return; /* an agent id and a short reason always fit */
	flowfleet__ack__pack(ack, buf);
	if (ff_frame_encode(FF_MSG_ACK, buf, len, reply, reply_len) != 0)
		*reply = NULL;
}

/* --- Hello ------------------------------------------------------------------ */

/*
 * Who sent the message being handled: its routing identity (NULL when
 * unknown, in tests), its key (User-Id; NULL without CURVE) and the fd of
 * its connection (-1 when unknown).
 */
typedef struct ff_ingest_ident {
	const uint8_t *data;
	size_t len;
	const char *key;
	int fd;
} ff_ingest_ident;

/* --- trust ------------------------------------------------------------------ */

/* Asks the trust about a message naming `agent_id`; OK without a trust. */
static enum ff_trust_verdict ff_ingest_trust(ff_ingest *ing, const ff_ingest_ident *ident,
					     const char *peer, const char *agent_id,
					     const Flowfleet__Hello *h)
{
	if (ing->deps.trust == NULL)
		return FF_TRUST_OK;
	const char *keys[FF_INGEST_MAX_LABELS], *values[FF_INGEST_MAX_LABELS];
	ff_trust_claim c = {.key = ident->key, .agent_id = agent_id, .peer = peer, .fd = ident->fd};
	if (h != NULL) {
		c.hello = true;
		c.hostname = h->hostname;
		c.token = h->enroll_token;
		for (size_t i = 0; i < h->n_labels && i < FF_INGEST_MAX_LABELS; i++) {
			keys[i] = h->labels[i]->key;
			values[i] = h->labels[i]->value;
			c.n_labels = i + 1;
		}
		c.label_keys = keys;
		c.label_values = values;
	}
	enum ff_trust_verdict v = ff_trust_check(ing->deps.trust, &c, ff_time_now_ms());
	if (v != FF_TRUST_OK)
		ff_ingest_bump(&ing->n.untrusted);
	return v;
}

/* Whether a message of agent `id` may add it to the registry; logs a refusal (rate-limited). */
static bool ff_ingest_admit(ff_ingest *ing, const char *id, const char *peer)
{
	if (ff_sessions_admit(ing->deps.sessions, id))
		return true;
	ff_ingest_warn_about(ing, FF_INGEST_R_AGENTS,
			     "ingest: agent %s from %s refused: the aggregator holds --max-agents "
			     "agents already (%" PRIu64 " refused so far)",
			     id, peer ? peer : "?", ff_sessions_refused(ing->deps.sessions));
	return false;
}

static void ff_ingest_on_hello(ff_ingest *ing, const uint8_t *p, size_t len, const char *peer,
			       const ff_ingest_ident *ident, uint8_t **reply, size_t *reply_len)
{
	Flowfleet__Hello *h = flowfleet__hello__unpack(NULL, len, p);
	if (h == NULL || h->agent_id == NULL || !ff_agent_id_valid(h->agent_id)) {
		ff_ingest_bump(&ing->n.bad_hello);
		ff_ingest_warn_about(ing, FF_INGEST_R_HELLO, "ingest: Hello from %s refused: %s",
				     peer ? peer : "?",
				     h == NULL ? "invalid protobuf" : "invalid agent id");
		flowfleet__hello__free_unpacked(h, NULL);
		return;
	}
	/* Versions 1 and 2 differ only in the FlowBatch layout, and both are decoded. */
	if (h->protocol_version < FF_PROTOCOL_VERSION_MIN ||
	    h->protocol_version > FF_PROTOCOL_VERSION)
		ff_ingest_warn_about(ing, FF_INGEST_R_HELLO,
				     "ingest: agent %s speaks protocol %" PRIu32 ", we speak %d..%d; "
				     "accepted, newer fields are ignored",
				     h->agent_id, h->protocol_version, FF_PROTOCOL_VERSION_MIN,
				     FF_PROTOCOL_VERSION);
	/* Not accepted (yet): no session and no policy; the trust counted and logged it. */
	if (ff_ingest_trust(ing, ident, peer, h->agent_id, h) != FF_TRUST_OK) {
		flowfleet__hello__free_unpacked(h, NULL);
		return;
	}
	if (!ff_ingest_admit(ing, h->agent_id, peer)) {
		flowfleet__hello__free_unpacked(h, NULL);
		return;
	}
	if (ff_sessions_hello(ing->deps.sessions, h, peer, ff_time_now_ms()) < 0)
		ff_log_error("ingest: out of memory recording the Hello of %s", h->agent_id);
	if (ing->deps.push != NULL)
		ff_policy_push_hello(ing->deps.push, h, ident->data, ident->len, reply, reply_len);
	ff_ingest_bump(&ing->n.hellos);
	flowfleet__hello__free_unpacked(h, NULL);
}

/* --- FlowBatch -------------------------------------------------------------- */

/*
 * A batch that did not decode is answered REJECTED if its agent id and
 * sequence can still be read (e.g. one record is malformed), so the agent
 * learns why; otherwise there is nobody to answer and it is only counted.
 * The claim was read without decoding: nothing more is allocated here.
 */
static void ff_ingest_refuse_batch(ff_ingest *ing, const ff_batch_claim *c, const char *peer,
				   const ff_ingest_ident *ident, int err, uint8_t **reply,
				   size_t *reply_len)
{
	enum ff_ingest_refusal r = ff_ingest_refusal_of_batch(err);
	ff_ingest_bump(&ing->n.bad_batch);
	ff_ingest_bump(&ing->n.refused[r]);
	bool answerable = c->agent_id[0] != '\0';
	ff_ingest_warn_about(ing, FF_INGEST_R_BATCH,
			     "ingest: batch from %s (agent %s%s%s) refused, %s: %s%s",
			     peer ? peer : "?", answerable ? c->agent_id : "?",
			     ident->key != NULL ? ", key " : "", ident->key != NULL ? ident->key : "",
			     ff_ingest_refusal_name(r), ff_strerror(err),
			     answerable ? ", answered REJECTED" : ", dropped");
	if (answerable) {
		Flowfleet__Ack ack;
		ff_ingest_ack_init(&ack, c->agent_id, c->epoch, c->sequence,
				   FLOWFLEET__ACK__STATUS__REJECTED, ff_strerror(err));
		ff_ingest_ack_encode(&ack, reply, reply_len);
		ff_ingest_bump(&ing->n.batches_rejected);
	}
}

/*
 * A batch whose identity was stored with other content: kept (it is new
 * data), said, counted, and the agent told to take a new epoch.
 */
static void ff_ingest_conflict(ff_ingest *ing, const ff_batch *b, const char *peer)
{
	ff_ingest_bump(&ing->n.batches_conflicting);
	ff_sessions_state_conflict(ing->deps.sessions, b->agent_id);
	ff_ingest_warn_about(ing, FF_INGEST_R_CONFLICT,
			     "ingest: agent %s (from %s) sent batch %016" PRIx64 "/%" PRIu64
			     " with other content than the one stored under that identity: its "
			     "state was restored or cloned; both are kept and it is told to take "
			     "a new epoch",
			     b->agent_id, peer ? peer : "?", b->epoch, b->sequence);
}

/*
 * Stores a decoded batch unless it is a duplicate; returns the ack status.
 * `digest` is its content's (the decompressed payload's); *new_epoch is set
 * when the identity repeated with other content.
 */
static Flowfleet__Ack__Status ff_ingest_store(ff_ingest *ing, const ff_batch *b, uint64_t digest,
					      const char *peer, const char **reason,
					      bool *new_epoch)
{
	uint64_t now = ff_time_now_ms();
	enum ff_dedup_verdict v =
	    ff_dedup_check(ing->deps.dedup, b->agent_id, b->epoch, b->sequence, digest);
	if (v == FF_DEDUP_DUPLICATE) {
		ff_sessions_batch(ing->deps.sessions, b, true, peer, now);
		ff_ingest_bump(&ing->n.batches_duplicate);
		return FLOWFLEET__ACK__STATUS__DUPLICATE;
	}
	int rc = ff_store_append(ing->deps.store, b);
	if (rc != 0) {
		atomic_store(&ing->store_ok, false);
		ff_ingest_bump(&ing->n.store_errors);
		ff_ingest_bump(&ing->n.batches_rejected);
		ff_ingest_warn_about(ing, FF_INGEST_R_STORE,
				     "ingest: batch %s/%016" PRIx64 "/%" PRIu64
				     " not stored (%s), answered REJECTED",
				     b->agent_id, b->epoch, b->sequence, ff_strerror(rc));
		*reason = ff_strerror(rc);
		return FLOWFLEET__ACK__STATUS__REJECTED;
	}
	atomic_store(&ing->store_ok, true);
	if (v == FF_DEDUP_CONFLICT) {
		ff_ingest_conflict(ing, b, peer);
		*new_epoch = true;
	}
	/* The batch is durable; failing to remember it only risks storing a resend twice. */
	if (ff_dedup_mark_digest(ing->deps.dedup, b->agent_id, b->epoch, b->sequence, digest) != 0)
		ff_log_error("ingest: out of memory marking batch %s/%" PRIu64 " stored",
			     b->agent_id, b->sequence);
	ff_sessions_batch(ing->deps.sessions, b, false, peer, now);
	ff_ingest_bump(&ing->n.batches_stored);
	return FLOWFLEET__ACK__STATUS__OK;
}

/* The answer to a batch the trust did not admit; false: no answer (the key is refused). */
static bool ff_ingest_untrusted_status(enum ff_trust_verdict v, const char **reason)
{
	if (v == FF_TRUST_PENDING)
		*reason = "pending enrolment: this agent's key is not accepted yet; the batch is "
			  "kept by the agent";
	else if (v == FF_TRUST_SPOOFED)
		*reason = "agent id does not match the key";
	return v == FF_TRUST_PENDING || v == FF_TRUST_SPOOFED;
}

/* `frame` is the whole message, `p` its decompressed payload. */
static void ff_ingest_on_batch(ff_ingest *ing, const uint8_t *frame, size_t frame_len,
			       const uint8_t *p, size_t len, const char *peer,
			       const ff_ingest_ident *ident, uint8_t **reply, size_t *reply_len)
{
	ff_batch b;
	ff_batch_claim claim;
	int rc = ff_batch_decode_received(p, len, &b, &claim);
	if (rc != 0) {
		ff_ingest_refuse_batch(ing, &claim, peer, ident, rc, reply, reply_len);
		return;
	}
	/* The journal keeps the agent's own bytes: no second encoding of every batch. */
	b.wire_frame = frame;
	b.wire_frame_len = frame_len;
	const char *reason = NULL;
	Flowfleet__Ack__Status status = FLOWFLEET__ACK__STATUS__REJECTED;
	enum ff_trust_verdict v = ff_ingest_trust(ing, ident, peer, b.agent_id, NULL);
	bool new_epoch = false;
	if (v == FF_TRUST_OK && !ff_ingest_admit(ing, b.agent_id, peer)) {
		reason = "the aggregator holds --max-agents agents already; the batch is kept by the "
			 "agent";
		ff_ingest_bump(&ing->n.batches_rejected);
	} else if (v == FF_TRUST_OK) {
		status = ff_ingest_store(ing, &b, XXH3_64bits(p, len), peer, &reason, &new_epoch);
	} else if (!ff_ingest_untrusted_status(v, &reason)) {
		ff_batch_release(&b);
		return;
	} else {
		ff_ingest_bump(&ing->n.batches_rejected);
	}
	Flowfleet__Ack ack;
	ff_ingest_ack_init(&ack, b.agent_id, b.epoch, b.sequence, status, reason);
	ack.new_epoch = new_epoch;
	ff_ingest_ack_encode(&ack, reply, reply_len);
	ff_batch_release(&b);
}

/* A PolicyAck's agent id, for the trust; false when it does not decode. */
static bool ff_ingest_policy_ack_trusted(ff_ingest *ing, const uint8_t *p, size_t len,
					 const char *peer, const ff_ingest_ident *ident,
					 bool *decoded)
{
	if (ing->deps.trust == NULL)
		return true;
	Flowfleet__PolicyAck *a = flowfleet__policy_ack__unpack(NULL, len, p);
	*decoded = a != NULL && a->agent_id != NULL && ff_agent_id_valid(a->agent_id);
	bool ok = *decoded && ff_ingest_trust(ing, ident, peer, a->agent_id, NULL) == FF_TRUST_OK;
	flowfleet__policy_ack__free_unpacked(a, NULL);
	return ok;
}

static void ff_ingest_on_policy_ack(ff_ingest *ing, const uint8_t *p, size_t len, const char *peer,
				    const ff_ingest_ident *ident)
{
	if (ing->deps.push == NULL) {
		ff_ingest_bump(&ing->n.unknown_type);
		return;
	}
	bool decoded = true;
	if (!ff_ingest_policy_ack_trusted(ing, p, len, peer, ident, &decoded) && decoded)
		return; /* the trust counted and logged it */
	if (!decoded || ff_policy_push_ack(ing->deps.push, p, len) != 0) {
		ff_ingest_bump(&ing->n.bad_policy_ack);
		ff_ingest_warn_about(ing, FF_INGEST_R_POLICY_ACK,
				     "ingest: PolicyAck from %s dropped: invalid protobuf or agent id",
				     peer ? peer : "?");
		return;
	}
	ff_ingest_bump(&ing->n.policy_acks);
}

static void ff_ingest_handle_from(ff_ingest *ing, const uint8_t *frame, size_t len,
				  const char *peer, const ff_ingest_ident *ident, uint8_t **reply,
				  size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	ff_ingest_bump(&ing->n.messages);
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int rc = ff_frame_decode(frame, len, &h, &payload, &plen);
	if (rc != 0) {
		enum ff_ingest_refusal r = ff_ingest_refusal_of_frame(rc);
		ff_ingest_bump(&ing->n.bad_frame);
		ff_ingest_bump(&ing->n.refused[r]);
		ff_ingest_warn_about(ing, FF_INGEST_R_FRAME,
				     "ingest: %zu-byte message from %s%s%s%s dropped, %s: %s", len,
				     peer ? peer : "?", ident->key != NULL ? " (key " : "",
				     ident->key != NULL ? ident->key : "", ident->key != NULL ? ")" : "",
				     ff_ingest_refusal_name(r), ff_strerror(rc));
		return;
	}
	if (h.type == FF_MSG_HELLO) {
		ff_ingest_on_hello(ing, payload, plen, peer, ident, reply, reply_len);
	} else if (h.type == FF_MSG_BATCH) {
		ff_ingest_on_batch(ing, frame, len, payload, plen, peer, ident, reply, reply_len);
	} else if (h.type == FF_MSG_POLICY_ACK) {
		ff_ingest_on_policy_ack(ing, payload, plen, peer, ident);
	} else {
		/* Newer peers may add types; ignoring them keeps the link up. */
		ff_ingest_bump(&ing->n.unknown_type);
		ff_ingest_warn_about(ing, FF_INGEST_R_TYPE,
				     "ingest: message type %u from %s ignored", h.type,
				     peer ? peer : "?");
	}
	free(payload);
}

void ff_ingest_handle(ff_ingest *ing, const uint8_t *frame, size_t len, const char *peer,
		      uint8_t **reply, size_t *reply_len)
{
	ff_ingest_ident none = {NULL, 0, NULL, -1};
	ff_ingest_handle_from(ing, frame, len, peer, &none, reply, reply_len);
}

/* --- the socket and its thread ------------------------------------------- */

static void ff_ingest_free_frame(void *data, void *hint)
{
	free(data);
}

/* Sends [identity][delimiter?][reply]; takes ownership of `reply`. */
static void ff_ingest_send(ff_ingest *ing, zmq_msg_t *identity, bool delimiter, uint8_t *reply,
			   size_t len)
{
	zmq_msg_t body;
	if (zmq_msg_init_data(&body, reply, len, ff_ingest_free_frame, NULL) != 0) {
		free(reply);
		ff_ingest_bump(&ing->n.send_errors);
		return;
	}
	int rc = zmq_msg_send(identity, ing->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	if (rc >= 0 && delimiter)
		rc = zmq_send(ing->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	if (rc >= 0)
		rc = zmq_msg_send(&body, ing->sock, ZMQ_DONTWAIT);
	if (rc < 0) {
		/* The agent went away; it resends the batch after reconnecting. */
		ff_ingest_bump(&ing->n.send_errors);
		zmq_msg_close(&body);
	}
}

/*
 * Receives every frame of one message: [identity][payload], or
 * [identity][empty delimiter][payload] from REQ-style peers. Returns the
 * number of frames kept in parts[] (at most 3), 0 when nothing was waiting,
 * or -1 for a message of another shape (its frames are discarded).
 */
static int ff_ingest_recv_parts(ff_ingest *ing, zmq_msg_t parts[3])
{
	int n = 0, total = 0;
	for (;;) {
		zmq_msg_t extra;
		zmq_msg_t *m = n < 3 ? &parts[n] : &extra;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, ing->sock, total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(m);
			break;
		}
		total++;
		bool more = zmq_msg_more(m);
		if (m == &extra)
			zmq_msg_close(m);
		else
			n++;
		if (!more)
			break;
	}
	bool ok = total == n && (n == 2 || (n == 3 && zmq_msg_size(&parts[1]) == 0));
	if (total == 0 || ok)
		return n;
	for (int i = 0; i < n; i++)
		zmq_msg_close(&parts[i]);
	return -1;
}

/* Handles one waiting message; returns 0, or 1 when none was waiting. */
static int ff_ingest_recv_one(ff_ingest *ing)
{
	zmq_msg_t parts[3];
	int n = ff_ingest_recv_parts(ing, parts);
	if (n == 0)
		return 1;
	if (n < 0) {
		ff_ingest_bump(&ing->n.messages);
		ff_ingest_bump(&ing->n.bad_frame);
		ff_ingest_bump(&ing->n.refused[FF_INGEST_REFUSED_FRAME_ENVELOPE]);
		ff_ingest_warn_about(ing, FF_INGEST_R_ENVELOPE,
				     "ingest: message with an unexpected frame layout dropped");
		return 0;
	}
	zmq_msg_t *body = &parts[n - 1];
	const char *peer = zmq_msg_gets(body, FF_INGEST_PEER_ADDRESS);
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	ff_ingest_ident ident = {zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), NULL, -1};
	ident.fd = zmq_msg_get(body, ZMQ_SRCFD);
	ff_ingest_conns_heard(ing->conns, ident.fd);
	if (ing->deps.trust != NULL)
		ident.key = zmq_msg_gets(body, FF_INGEST_USER_ID);
	ff_ingest_handle_from(ing, zmq_msg_data(body), zmq_msg_size(body), peer, &ident, &reply,
			      &reply_len);
	if (reply != NULL)
		ff_ingest_send(ing, &parts[0], n == 3, reply, reply_len);
	for (int i = 0; i < n; i++)
		zmq_msg_close(&parts[i]);
	return 0;
}

/* Sends a pushed Policy to an agent by its routing identity; takes ownership of `frame`. */
static void ff_ingest_send_to(void *arg, const uint8_t *ident, size_t ident_len, uint8_t *frame,
			      size_t len)
{
	ff_ingest *ing = arg;
	zmq_msg_t id;
	if (zmq_msg_init_size(&id, ident_len) != 0) {
		free(frame);
		ff_ingest_bump(&ing->n.send_errors);
		return;
	}
	memcpy(zmq_msg_data(&id), ident, ident_len);
	ff_ingest_send(ing, &id, false, frame, len);
	zmq_msg_close(&id);
}

static void *ff_ingest_main(void *arg)
{
	ff_ingest *ing = arg;
	while (!atomic_load(&ing->stop)) {
		/* A policy stored by the HTTP thread is pushed from here, the socket's owner. */
		if (ing->deps.push != NULL)
			ff_policy_push_check(ing->deps.push, ff_ingest_send_to, ing);
		zmq_pollitem_t it[2] = {
		    {.socket = ing->sock, .events = ZMQ_POLLIN},
		    {.socket = ff_ingest_conns_socket(ing->conns), .events = ZMQ_POLLIN}};
		int rc = zmq_poll(it, 2, FF_INGEST_POLL_MS);
		if (rc < 0 && zmq_errno() == ETERM)
			break;
		if (rc == 0)
			(void)ff_store_tick(ing->deps.store); /* the store logs and counts failures */
		if (rc <= 0)
			continue;
		/* Connections first: a flood of them is cut before its messages are read. */
		if (it[1].revents & ZMQ_POLLIN)
			ff_ingest_conns_drain(ing->conns);
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		for (int i = 0; i < FF_INGEST_BURST && !atomic_load(&ing->stop); i++) {
			if (ff_ingest_recv_one(ing) != 0)
				break;
		}
	}
	return NULL;
}

/* The CURVE server side: our secret key and the ZAP domain. */
static int ff_ingest_curve(ff_ingest *ing)
{
	int one = 1;
	if (zmq_setsockopt(ing->sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(ing->sock, ZMQ_CURVE_SECRETKEY, ing->curve_secret,
			   FF_CURVE_Z85_LEN + 1) != 0 ||
	    zmq_setsockopt(ing->sock, ZMQ_ZAP_DOMAIN, FF_TRUST_ZAP_DOMAIN,
			   strlen(FF_TRUST_ZAP_DOMAIN)) != 0) {
		ff_log_error("ingest: cannot make the socket a CURVE server: %s",
			     zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

/*
 * Connections that never finish their handshake are dropped after
 * --handshake-timeout; heartbeats drop a peer silent for three of them
 * (a dead host, a cut link), so neither holds a descriptor for long.
 */
static int ff_ingest_timeouts(ff_ingest *ing)
{
	int handshake = (int)ing->deps.handshake_ms, ivl = (int)ing->deps.heartbeat_ms;
	int timeout = 3 * ivl, ttl = timeout;
	if (handshake > 0 &&
	    zmq_setsockopt(ing->sock, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake) != 0)
		return -1;
	if (ivl > 0 && (zmq_setsockopt(ing->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) != 0 ||
			zmq_setsockopt(ing->sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout,
				       sizeof timeout) != 0 ||
			zmq_setsockopt(ing->sock, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl) != 0))
		return -1;
	return 0;
}

/* The port the socket is bound to, from its last endpoint ("tcp://ADDR:PORT"); 0 if none. */
static uint16_t ff_ingest_bound_port(void *sock)
{
	char ep[256];
	size_t len = sizeof ep;
	if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
		return 0;
	ep[sizeof ep - 1] = '\0';
	const char *colon = strrchr(ep, ':');
	unsigned long port = colon != NULL ? strtoul(colon + 1, NULL, 10) : 0;
	return port <= 0xffff ? (uint16_t)port : 0;
}

static void ff_ingest_close_socket(ff_ingest *ing)
{
	if (ing->sock != NULL)
		zmq_close(ing->sock);
	ing->sock = NULL;
	ff_ingest_conns_free(ing->conns);
	ing->conns = NULL;
}

static int ff_ingest_socket(ff_ingest *ing, void *zmq_ctx, const char *endpoint)
{
	int zero = 0, one = 1;
	int64_t max_msg = FF_INGEST_MAX_MSG;
	ing->sock = zmq_socket(zmq_ctx, ZMQ_ROUTER);
	if (ing->sock == NULL) {
		ff_log_error("ingest: zmq_socket(ROUTER) failed: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	/* Unsent acks are worthless after close: the agent resends their batches. */
	zmq_setsockopt(ing->sock, ZMQ_LINGER, &zero, sizeof zero);
	/* Report an ack to a vanished agent as an error instead of dropping it silently. */
	zmq_setsockopt(ing->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	/* A peer cannot make us buffer a message larger than any valid frame. */
	zmq_setsockopt(ing->sock, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
	if (ff_ingest_timeouts(ing) != 0) {
		ff_log_error("ingest: cannot set the handshake timeout or heartbeats: %s",
			     zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (ing->deps.trust != NULL && ff_ingest_curve(ing) != 0)
		goto fail;
	ing->conns = ff_ingest_conns_new(zmq_ctx, ing->sock, ing->deps.max_connections,
					 ing->deps.trust);
	if (ing->conns == NULL)
		goto fail;
	if (zmq_bind(ing->sock, endpoint) != 0) {
		ff_log_error("ingest: zmq_bind(%s) failed: %s", endpoint,
			     zmq_strerror(zmq_errno()));
		goto fail;
	}
	ff_ingest_conns_set_port(ing->conns, ff_ingest_bound_port(ing->sock));
	return 0;
fail:
	ff_ingest_close_socket(ing);
	return -1;
}

int ff_ingest_start(ff_ingest *ing, void *zmq_ctx, const char *endpoint)
{
	if (ff_ingest_socket(ing, zmq_ctx, endpoint) != 0)
		return -1;
	int rc = pthread_create(&ing->thread, NULL, ff_ingest_main, ing);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, rc, "ingest: pthread_create failed");
		ff_ingest_close_socket(ing);
		return -1;
	}
	ing->running = true;
	return 0;
}

void ff_ingest_stop(ff_ingest *ing)
{
	if (ing == NULL)
		return;
	atomic_store(&ing->stop, true);
	if (ing->running) {
		pthread_join(ing->thread, NULL);
		ing->running = false;
	}
	ff_ingest_close_socket(ing);
}

void ff_ingest_free(ff_ingest *ing)
{
	if (ing == NULL)
		return;
	ff_ingest_stop(ing);
	explicit_bzero(ing->curve_secret, sizeof ing->curve_secret);
	free(ing);
}

bool ff_ingest_store_ok(const ff_ingest *ing)
{
	return atomic_load(&ing->store_ok);
}

static uint64_t ff_ingest_read(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void ff_ingest_get_stats(const ff_ingest *ing, ff_ingest_stats *out)
{
	const ff_ingest_counters *n = &ing->n;
	out->messages = ff_ingest_read(&n->messages);
	out->hellos = ff_ingest_read(&n->hellos);
	out->batches_stored = ff_ingest_read(&n->batches_stored);
	out->batches_duplicate = ff_ingest_read(&n->batches_duplicate);
	out->batches_conflicting = ff_ingest_read(&n->batches_conflicting);
	out->batches_rejected = ff_ingest_read(&n->batches_rejected);
	out->bad_frame = ff_ingest_read(&n->bad_frame);
	out->bad_hello = ff_ingest_read(&n->bad_hello);
	out->bad_batch = ff_ingest_read(&n->bad_batch);
	out->store_errors = ff_ingest_read(&n->store_errors);
	out->unknown_type = ff_ingest_read(&n->unknown_type);
	out->send_errors = ff_ingest_read(&n->send_errors);
	out->policy_acks = ff_ingest_read(&n->policy_acks);
	out->bad_policy_ack = ff_ingest_read(&n->bad_policy_ack);
	out->untrusted = ff_ingest_read(&n->untrusted);
	for (int r = 0; r < FF_INGEST_REFUSED_COUNT; r++)
		out->refused[r] = ff_ingest_read(&n->refused[r]);
	memset(&out->conns, 0, sizeof out->conns);
	if (ing->conns != NULL)
		ff_ingest_conns_get_stats(ing->conns, &out->conns);
}
