/*
 * ffwire_client: a minimal agent for the trust tests. It speaks the wire
 * protocol (docs/protocol.md) as a DEALER, over CURVE with a key pair it
 * makes or loads (DIR/client.key), or in plaintext: sends a Hello, N
 * batches and optionally a PolicyAck, and prints what comes back, one line
 * each:
 *   key Z85 FINGERPRINT            (first, when CURVE)
 *   ack SEQ OK|DUPLICATE|REJECTED REASON
 *   policy VERSION
 *   event handshake-failed|disconnected MS   (MS since the start of --watch)
 * Exit status: 0 every batch acknowledged (and, with --watch, the
 * connection dropped in time); 3 some batch not acknowledged within --wait;
 * 4 no disconnection within --watch; 2 usage; 1 other failure.
 */
#include "ff_batch.h"
#include "ff_curve_key.h"
#include "ff_frame.h"
#include "ff_time.h"
#include "flowfleet.pb-c.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define FFW_MONITOR "inproc://ffwire-monitor"

struct ffw_opts {
	const char *connect, *id, *server_key, *key_dir, *token, *hostname;
	bool plaintext, hello, print_key;
	uint64_t batches, first_seq, epoch, records, policy_ack, wait_s, watch_s;
};

static void ffw_usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: ffwire_client --connect ENDPOINT --id ID [--server-key Z85|FILE]\n"
	    "         [--key-dir DIR | --plaintext] [--hello] [--token T] [--hostname H]\n"
	    "         [--batches N] [--first-seq S] [--epoch E] [--records R]\n"
	    "         [--policy-ack VERSION] [--wait SECONDS] [--watch SECONDS] [--print-key]\n");
}

static int ffw_u64(const char *s, uint64_t *out)
{
	char *end;
	*out = strtoull(s, &end, 0);
	return *s != '\0' && *end == '\0' ? 0 : -1;
}

static int ffw_parse(int argc, char **argv, struct ffw_opts *o)
{
	static const struct option lo[] = {
	    {"connect", 1, NULL, 'c'},	  {"id", 1, NULL, 'i'},	   {"server-key", 1, NULL, 's'},
	    {"key-dir", 1, NULL, 'k'},	  {"token", 1, NULL, 't'}, {"hostname", 1, NULL, 'H'},
	    {"plaintext", 0, NULL, 'p'},  {"hello", 0, NULL, 'h'}, {"batches", 1, NULL, 'n'},
	    {"first-seq", 1, NULL, 'f'},  {"epoch", 1, NULL, 'e'}, {"records", 1, NULL, 'r'},
	    {"policy-ack", 1, NULL, 'a'}, {"wait", 1, NULL, 'w'},  {"watch", 1, NULL, 'W'},
	    {"print-key", 0, NULL, 'P'},  {NULL, 0, NULL, 0}};
	*o = (struct ffw_opts){
	    .first_seq = 1, .epoch = 0x1234, .records = 3, .wait_s = 5, .hostname = "ffwire"};
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		uint64_t *num = c == 'n'   ? &o->batches
				: c == 'f' ? &o->first_seq
				: c == 'e' ? &o->epoch
				: c == 'r' ? &o->records
				: c == 'a' ? &o->policy_ack
				: c == 'w' ? &o->wait_s
				: c == 'W' ? &o->watch_s
					   : NULL;
		if (num != NULL)
			bad |= ffw_u64(optarg, num);
		else if (c == 'c')
			o->connect = optarg;
		else if (c == 'i')
			o->id = optarg;
		else if (c == 's')
			o->server_key = optarg;
		else if (c == 'k')
			o->key_dir = optarg;
		else if (c == 't')
			o->token = optarg;
		else if (c == 'H')
			o->hostname = optarg;
		else if (c == 'p')
			o->plaintext = true;
		else if (c == 'h')
			o->hello = true;
		else if (c == 'P')
			o->print_key = true;
		else
			bad = 1;
	}
	bool curve_ok = o->plaintext || (o->key_dir != NULL && (o->server_key || o->print_key));
	if (bad || optind < argc || !curve_ok || (!o->print_key && (!o->connect || !o->id))) {
		ffw_usage(stderr);
		return -1;
	}
	return 0;
}

/* The server key: Z85 text, or a file holding it. */
static int ffw_server_key(const char *arg, char out[FF_CURVE_Z85_LEN + 1])
{
	char err[256];
	if (ff_curve_key_parse(arg, out) == 0)
		return 0;
	if (ff_curve_key_read_public(arg, out, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "ffwire_client: --server-key: %s\n", err);
	return -1;
}

static int ffw_socket_curve(void *s, const struct ffw_opts *o)
{
	ff_curve_keypair kp;
	char err[512], fp[FF_CURVE_FP_LEN + 1], server[FF_CURVE_Z85_LEN + 1];
	bool created;
	if (ff_curve_key_load_or_create(o->key_dir, "client", &kp, &created, err, sizeof err) !=
	    0) {
		fprintf(stderr, "ffwire_client: %s\n", err);
		return -1;
	}
	ff_curve_key_fingerprint(kp.public_z85, fp);
	printf("key %s %s\n", kp.public_z85, fp);
	fflush(stdout);
	if (o->print_key)
		return 1;
	if (ffw_server_key(o->server_key, server) != 0)
		return -1;
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, FF_CURVE_Z85_LEN + 1) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, kp.public_z85, FF_CURVE_Z85_LEN + 1) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, kp.secret_z85, FF_CURVE_Z85_LEN + 1) != 0) {
		fprintf(stderr, "ffwire_client: CURVE options: %s\n", zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

static int ffw_send(void *s, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t *frame = NULL;
	size_t flen = 0;
	if (ff_frame_encode(type, payload, len, &frame, &flen) != 0)
		return -1;
	int rc = zmq_send(s, frame, flen, 0) == (int)flen ? 0 : -1;
	free(frame);
	return rc;
}

static int ffw_hello(void *s, const struct ffw_opts *o)
{
	Flowfleet__Hello h = FLOWFLEET__HELLO__INIT;
	Flowfleet__Label l = FLOWFLEET__LABEL__INIT, *labels[] = {&l};
	l.key = (char *)"rack";
	l.value = (char *)"r1";
	h.protocol_version = FF_PROTOCOL_VERSION;
	h.agent_id = (char *)o->id;
	h.hostname = (char *)o->hostname;
	h.labels = labels;
	h.n_labels = 1;
	h.epoch = o->epoch;
	h.software_version = (char *)"ffwire_client";
	h.started_ms = ff_time_now_ms();
	h.enroll_token = (char *)(o->token != NULL ? o->token : "");
	uint8_t buf[1024];
	size_t len = flowfleet__hello__get_packed_size(&h);
	if (len > sizeof buf)
		return -1;
	flowfleet__hello__pack(&h, buf);
	return ffw_send(s, FF_MSG_HELLO, buf, len);
}

/* Batch `seq`: `records` TCP flows 10.1.0.x -> 10.2.0.1:443 of 1000 bytes each. */
static int ffw_batch(void *s, const struct ffw_opts *o, uint64_t seq)
{
	ff_batch b = {.epoch = o->epoch, .sequence = seq, .interval_len_ms = 1000};
	snprintf(b.agent_id, sizeof b.agent_id, "%s", o->id);
	b.interval_start_ms = ff_time_now_ms() / 1000 * 1000 - 1000;
	b.n_records = (size_t)o->records;
	b.records = calloc(b.n_records ? b.n_records : 1, sizeof *b.records);
	if (b.records == NULL)
		return -1;
	for (size_t i = 0; i < b.n_records; i++) {
		ff_flow *f = &b.records[i];
		f->first_ms = b.interval_start_ms;
		f->last_ms = b.interval_start_ms + 500;
		f->bytes = 1000;
		f->packets = 10;
		f->flows = 1;
		ff_addr_from_v4(f->src_addr, 0x0a010000u + (uint32_t)(i % 250) + 1);
		ff_addr_from_v4(f->dst_addr, 0x0a020001u);
		ff_addr_from_v4(f->exporter, 0x7f000001u);
		f->src_port = (uint16_t)(40000 + i % 1000);
		f->dst_port = 443;
		f->proto = 6;
	}
	uint8_t *frame = NULL;
	size_t flen = 0;
	int rc = ff_batch_encode(&b, &frame, &flen);
	free(b.records);
	if (rc != 0)
		return -1;
	rc = zmq_send(s, frame, flen, 0) == (int)flen ? 0 : -1;
	free(frame);
	return rc;
}

static int ffw_policy_ack(void *s, const struct ffw_opts *o)
{
	Flowfleet__PolicyAck a = FLOWFLEET__POLICY_ACK__INIT;
	a.agent_id = (char *)o->id;
	a.version = o->policy_ack;
	a.applied = true;
	a.reason = (char *)"";
	uint8_t buf[512];
	size_t len = flowfleet__policy_ack__get_packed_size(&a);
	if (len > sizeof buf)
		return -1;
	flowfleet__policy_ack__pack(&a, buf);
	return ffw_send(s, FF_MSG_POLICY_ACK, buf, len);
}

static const char *ffw_status(Flowfleet__Ack__Status st)
{
	return st == FLOWFLEET__ACK__STATUS__OK		 ? "OK"
	       : st == FLOWFLEET__ACK__STATUS__DUPLICATE ? "DUPLICATE"
							 : "REJECTED";
}

/* Prints one received frame; returns 1 when it was an ack. */
static int ffw_on_frame(const uint8_t *data, size_t len)
{
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int acks = 0;
	if (ff_frame_decode(data, len, &h, &payload, &plen) != 0) {
		printf("bad-frame %zu\n", len);
		return 0;
	}
	if (h.type == FF_MSG_ACK) {
		Flowfleet__Ack *a = flowfleet__ack__unpack(NULL, plen, payload);
		if (a != NULL) {
			printf("ack %llu %s %s\n", (unsigned long long)a->sequence,
			       ffw_status(a->status), a->reason ? a->reason : "");
			acks = 1;
		}
		flowfleet__ack__free_unpacked(a, NULL);
	} else if (h.type == FF_MSG_POLICY) {
		Flowfleet__Policy *p = flowfleet__policy__unpack(NULL, plen, payload);
		printf("policy %llu\n", p != NULL ? (unsigned long long)p->version : 0ull);
		flowfleet__policy__free_unpacked(p, NULL);
	}
	free(payload);
	fflush(stdout);
	return acks;
}

/* Prints a monitor event; returns true for a disconnection. */
static bool ffw_on_event(void *mon, uint64_t since_ms)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	bool more = true, disconnected = false;
	for (int part = 0; more; part++) {
		if (zmq_msg_recv(&m, mon, 0) < 0)
			break;
		if (part == 0 && zmq_msg_size(&m) >= 2) {
			uint16_t ev;
			memcpy(&ev, zmq_msg_data(&m), sizeof ev);
			uint64_t ms = ff_time_mono_ms() - since_ms;
			if (ev == ZMQ_EVENT_DISCONNECTED) {
				printf("event disconnected %llu\n", (unsigned long long)ms);
				disconnected = true;
			} else {
				printf("event handshake-failed %llu\n", (unsigned long long)ms);
			}
			fflush(stdout);
		}
		more = zmq_msg_more(&m);
	}
	zmq_msg_close(&m);
	return disconnected;
}

/*
 * Waits until `want` acks came (want > 0), or a disconnection (want == 0),
 * or `limit_ms` passed. Returns true when the wait was met.
 */
static bool ffw_wait(void *s, void *mon, uint64_t want, uint64_t limit_ms)
{
	uint64_t start = ff_time_mono_ms(), got = 0;
	while (ff_time_mono_ms() - start < limit_ms) {
		zmq_pollitem_t it[2] = {{.socket = s, .events = ZMQ_POLLIN},
					{.socket = mon, .events = ZMQ_POLLIN}};
		if (zmq_poll(it, 2, 100) < 0)
			return false;
		if (it[0].revents & ZMQ_POLLIN) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, 0) >= 0)
				got += (uint64_t)ffw_on_frame(zmq_msg_data(&m), zmq_msg_size(&m));
			zmq_msg_close(&m);
		}
		if ((it[1].revents & ZMQ_POLLIN) && ffw_on_event(mon, start) && want == 0)
			return true;
		if (want > 0 && got >= want)
			return true;
	}
	return false;
}

static int ffw_run(void *ctx, const struct ffw_opts *o)
{
	int zero = 0;
	void *s = zmq_socket(ctx, ZMQ_DEALER), *mon = zmq_socket(ctx, ZMQ_PAIR);
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
	int rc = o->plaintext ? 0 : ffw_socket_curve(s, o);
	if (rc != 0) {
		rc = rc > 0 ? 0 : 1; /* --print-key stops after printing */
		goto out;
	}
	rc = 1;
	if (zmq_socket_monitor(s, FFW_MONITOR,
			       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
				   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				   ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
	    zmq_connect(mon, FFW_MONITOR) != 0 || zmq_connect(s, o->connect) != 0) {
		fprintf(stderr, "ffwire_client: connect: %s\n", zmq_strerror(zmq_errno()));
		goto out;
	}
	if (o->hello && ffw_hello(s, o) != 0)
		goto out;
	for (uint64_t i = 0; i < o->batches; i++)
		if (ffw_batch(s, o, o->first_seq + i) != 0)
			goto out;
	if (o->policy_ack != 0 && ffw_policy_ack(s, o) != 0)
		goto out;
	rc = 0;
	if (o->batches > 0 && !ffw_wait(s, mon, o->batches, o->wait_s * 1000))
		rc = 3;
	else if (o->batches == 0 && o->wait_s > 0 && o->watch_s == 0)
		ffw_wait(s, mon, UINT64_MAX, o->wait_s * 1000); /* print what comes */
	if (rc == 0 && o->watch_s > 0 && !ffw_wait(s, mon, 0, o->watch_s * 1000))
		rc = 4;
out:
	zmq_close(mon);
	zmq_close(s);
	return rc < 0 ? 1 : rc;
}

int main(int argc, char **argv)
{
	struct ffw_opts o;
	if (ffw_parse(argc, argv, &o) != 0)
		return 2;
	void *ctx = zmq_ctx_new();
	int rc = ffw_run(ctx, &o);
	zmq_ctx_term(ctx);
	return rc;
}
