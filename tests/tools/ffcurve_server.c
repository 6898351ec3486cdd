/*
 * ffcurve_server: a stand-in for the aggregator's ZeroMQ side, for the
 * agent's CurveZMQ tests (tests/integration/agent_curve_*.sh). A ROUTER
 * that is a CURVE server with a key pair it makes at start (or, with
 * --plaintext, a NULL-mechanism server), so a test can put "another key on
 * the aggregator's port" or "the key the agent was given" there.
 *
 *   ffcurve_server --listen ENDPOINT [--key-out FILE] [--plaintext] [--ack]
 *                  [--pending-while FILE] [--refuse]
 *
 * --key-out writes the public key (one Z85 line, as DATA/server.pub) once
 * the socket is bound: the test waits for the file. Every message received
 * is counted and one line per message goes to stdout as it arrives (a
 * Hello's agent id, hostname and token; a batch's epoch, sequence, records
 * and their flow, packet and byte sums), and at SIGTERM/SIGINT the totals. With --ack each batch is
 * answered Ack OK, or, while the file named by --pending-while exists,
 * Ack REJECTED "pending enrolment" as the aggregator answers a key it has
 * not accepted yet. Without --refuse there is no ZAP handler, so libzmq lets
 * every client key in; --refuse runs one (RFC 27) that answers 400 to every
 * key, as the aggregator does for a rejected or revoked one.
 */
#include "ff_batch.h"
#include "ff_curve_key.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

typedef struct ffcs_opts {
	const char *listen;
	const char *key_out;
	const char *pending_while;
	bool plaintext;
	bool ack;
	bool refuse;
} ffcs_opts;

typedef struct ffcs_totals {
	uint64_t messages, hellos, batches, other, bad, acked, rejected, refused;
} ffcs_totals;

static volatile sig_atomic_t ffcs_stop;

static void ffcs_on_signal(int sig)
{
	(void)sig;
	ffcs_stop = 1;
}

static void ffcs_usage(FILE *out)
{
	fprintf(out, "usage: ffcurve_server --listen ENDPOINT [--key-out FILE] [--plaintext] "
		     "[--ack] [--pending-while FILE] [--refuse]\n");
}

static int ffcs_parse(int argc, char **argv, ffcs_opts *o)
{
	static const struct option lo[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"key-out", required_argument, NULL, 'k'},
	    {"plaintext", no_argument, NULL, 'p'},
	    {"ack", no_argument, NULL, 'a'},
	    {"pending-while", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {"refuse", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'k':
			o->key_out = optarg;
			break;
		case 'p':
			o->plaintext = true;
			break;
		case 'a':
			o->ack = true;
			break;
		case 'r':
			o->refuse = true;
			break;
		case 'w':
			o->pending_while = optarg;
			break;
		case 'h':
			ffcs_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return o->listen != NULL && optind == argc ? 0 : -1;
}

/* Writes the public key under a temporary name first: a reader never sees half a key. */
static int ffcs_write_key(const char *path, const char *public_z85)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	int rc = fprintf(f, "%s\n", public_z85) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	return rc;
}

/* Makes the ROUTER a CURVE server with a fresh key pair; prints its fingerprint. */
static int ffcs_curve(void *sock, const ffcs_opts *o)
{
	char pub[41], sec[41], fp[FF_CURVE_FP_LEN + 1];
	int one = 1;
	if (zmq_curve_keypair(pub, sec) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, sizeof sec) != 0 ||
	    ff_curve_key_fingerprint(pub, fp) != 0) {
		fprintf(stderr, "ffcurve_server: CURVE setup failed: %s\n", zmq_strerror(errno));
		return -1;
	}
	printf("server key %s fingerprint %s\n", pub, fp);
	if (o->key_out != NULL && ffcs_write_key(o->key_out, pub) != 0) {
		fprintf(stderr, "ffcurve_server: cannot write %s\n", o->key_out);
		return -1;
	}
	return 0;
}

/* Answers one batch: OK, or REJECTED "pending enrolment" while the file exists. */
static void ffcs_ack(void *sock, zmq_msg_t *rid, const ff_batch *b, const ffcs_opts *o,
		     ffcs_totals *t)
{
	bool pending = o->pending_while != NULL && access(o->pending_while, F_OK) == 0;
	Flowfleet__Ack ack = FLOWFLEET__ACK__INIT;
	ack.agent_id = (char *)b->agent_id;
	ack.epoch = b->epoch;
	ack.sequence = b->sequence;
	ack.status = pending ? FLOWFLEET__ACK__STATUS__REJECTED : FLOWFLEET__ACK__STATUS__OK;
	ack.reason = pending ? (char *)"pending enrolment: key not accepted yet" : (char *)"";
	uint8_t packed[256], *frame = NULL;
	size_t plen = flowfleet__ack__get_packed_size(&ack), flen = 0;
	if (plen > sizeof packed)
		return;
	flowfleet__ack__pack(&ack, packed);
	if (ff_frame_encode(FF_MSG_ACK, packed, plen, &frame, &flen) != 0)
		return;
	if (zmq_send(sock, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE) >= 0 &&
	    zmq_send(sock, frame, flen, 0) >= 0) {
		if (pending)
			t->rejected++;
		else
			t->acked++;
	}
	free(frame);
}

static void ffcs_hello(const uint8_t *payload, size_t len, ffcs_totals *t)
{
	Flowfleet__Hello *h = flowfleet__hello__unpack(NULL, len, payload);
	if (h == NULL) {
		t->bad++;
		printf("message %" PRIu64 ": undecodable hello\n", t->messages);
		return;
	}
	t->hellos++;
	printf("message %" PRIu64 ": hello agent_id=%s hostname=%s enroll_token=%s\n", t->messages,
	       h->agent_id, h->hostname, h->enroll_token);
	flowfleet__hello__free_unpacked(h, NULL);
}

static void ffcs_batch(void *sock, zmq_msg_t *rid, const uint8_t *payload, size_t len,
		       const ffcs_opts *o, ffcs_totals *t)
{
	ff_batch b;
	if (ff_batch_decode(payload, len, &b) != 0) {
		t->bad++;
		printf("message %" PRIu64 ": undecodable batch\n", t->messages);
		return;
	}
	t->batches++;
	uint64_t flows = 0, packets = 0, bytes = 0;
	for (size_t i = 0; i < b.n_records; i++) {
		flows += b.records[i].flows;
		packets += b.records[i].packets;
		bytes += b.records[i].bytes;
	}
	printf("message %" PRIu64 ": batch agent_id=%s epoch=%016" PRIx64 " seq=%" PRIu64
	       " records=%zu flows=%" PRIu64 " packets=%" PRIu64 " bytes=%" PRIu64 "\n",
	       t->messages, b.agent_id, b.epoch, b.sequence, b.n_records, flows, packets, bytes);
	if (o->ack)
		ffcs_ack(sock, rid, &b, o, t);
	ff_batch_release(&b);
}

/* One message: the routing id, then the frame (any parts between are skipped). */
static void ffcs_handle(void *sock, const ffcs_opts *o, ffcs_totals *t)
{
	zmq_msg_t rid, part;
	zmq_msg_init(&rid);
	zmq_msg_init(&part);
	if (zmq_msg_recv(&rid, sock, ZMQ_DONTWAIT) < 0)
		goto out;
	for (bool more = zmq_msg_more(&rid); more; more = zmq_msg_more(&part)) {
		zmq_msg_close(&part);
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, sock, 0) < 0)
			goto out;
	}
	t->messages++;
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen = 0;
	if (ff_frame_decode(zmq_msg_data(&part), zmq_msg_size(&part), &h, &payload, &plen) != 0) {
		t->bad++;
		printf("message %" PRIu64 ": %zu bytes, not a frame\n", t->messages,
		       zmq_msg_size(&part));
	} else if (h.type == FF_MSG_HELLO) {
		ffcs_hello(payload, plen, t);
	} else if (h.type == FF_MSG_BATCH) {
		ffcs_batch(sock, &rid, payload, plen, o, t);
	} else {
		t->other++;
		printf("message %" PRIu64 ": type %u, %zu bytes\n", t->messages, h.type, plen);
	}
	free(payload);
out:
	zmq_msg_close(&part);
	zmq_msg_close(&rid);
}

/*
 * One ZAP request (RFC 27: version, request id, domain, address, identity,
 * mechanism, credentials...) answered 400. Frames beyond the eighth are
 * drained unread.
 */
static void ffcs_zap(void *zap, ffcs_totals *t)
{
	zmq_msg_t part[8];
	int n = 0;
	bool more = true;
	while (more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, zap, 0) < 0) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		if (n < 8)
			part[n++] = m;
		else
			zmq_msg_close(&m);
	}
	if (n >= 2) {
		char fp[FF_CURVE_FP_LEN + 1] = "unknown";
		if (n >= 7 && zmq_msg_size(&part[6]) == 32)
			ff_curve_key_fingerprint_raw(zmq_msg_data(&part[6]), fp);
		zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(zap, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), ZMQ_SNDMORE);
		zmq_send(zap, "400", 3, ZMQ_SNDMORE);
		zmq_send(zap, "refused by the stand-in", 23, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, 0);
		t->refused++;
		printf("zap: refused key %s (400)\n", fp);
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
}

/* The ZAP handler must be bound before the server socket sees its first client. */
static void *ffcs_zap_open(void *ctx)
{
	void *zap = zmq_socket(ctx, ZMQ_REP);
	int zero = 0;
	if (zap == NULL || zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
	    zmq_bind(zap, "inproc://zeromq.zap.01") != 0) {
		fprintf(stderr, "ffcurve_server: ZAP handler: %s\n", zmq_strerror(errno));
		if (zap != NULL)
			zmq_close(zap);
		return NULL;
	}
	return zap;
}

static int ffcs_run(const ffcs_opts *o)
{
	void *ctx = zmq_ctx_new();
	void *sock = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL, *zap = NULL;
	int zero = 0, rc = 1;
	ffcs_totals t = {0};
	if (sock == NULL || zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0)
		goto out;
	if (o->refuse && ((zap = ffcs_zap_open(ctx)) == NULL ||
			  zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "flowfleet", 9) != 0))
		goto out;
	if (!o->plaintext && ffcs_curve(sock, o) != 0)
		goto out;
	if (zmq_bind(sock, o->listen) != 0) {
		fprintf(stderr, "ffcurve_server: bind %s: %s\n", o->listen, zmq_strerror(errno));
		goto out;
	}
	if (o->plaintext && o->key_out != NULL && ffcs_write_key(o->key_out, "plaintext") != 0)
		goto out;
	printf("listening on %s (%s)\n", o->listen, o->plaintext ? "plaintext" : "CURVE");
	while (!ffcs_stop) {
		zmq_pollitem_t it[2] = {{.socket = sock, .events = ZMQ_POLLIN},
					{.socket = zap, .events = ZMQ_POLLIN}};
		int n = zmq_poll(it, zap != NULL ? 2 : 1, 100);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (it[0].revents & ZMQ_POLLIN))
			ffcs_handle(sock, o, &t);
		if (n > 0 && zap != NULL && (it[1].revents & ZMQ_POLLIN))
			ffcs_zap(zap, &t);
	}
	printf("received %" PRIu64 " messages: %" PRIu64 " hello, %" PRIu64 " batch, %" PRIu64
	       " other, %" PRIu64 " undecodable; acked %" PRIu64 ", rejected %" PRIu64
	       ", keys refused %" PRIu64 "\n",
	       t.messages, t.hellos, t.batches, t.other, t.bad, t.acked, t.rejected, t.refused);
	rc = 0;
out:
	if (zap != NULL)
		zmq_close(zap);
	if (sock != NULL)
		zmq_close(sock);
	if (ctx != NULL)
		zmq_ctx_term(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	ffcs_opts o = {0};
	if (ffcs_parse(argc, argv, &o) != 0) {
		ffcs_usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = ffcs_on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return ffcs_run(&o);
}
