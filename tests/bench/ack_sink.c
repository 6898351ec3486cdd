/*
 * ack_sink ENDPOINT: the least an aggregator can do. It binds a ZeroMQ
 * ROUTER (plaintext) on ENDPOINT, answers every FlowBatch with an Ack OK at
 * once and counts what it acknowledged; nothing is decoded past the
 * batch's header fields and nothing is stored. bench_ingest.sh sends the
 * agent's output here to measure the agent alone, as nfcapd is measured
 * alone, on a machine too small to also run the aggregator at full speed.
 * On SIGTERM or SIGINT it prints "batches N records M" and exits.
 */
#include "ff_frame.h"
#include "flowfleet.pb-c.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static volatile sig_atomic_t ack_sink_stop;

static void ack_sink_on_signal(int sig)
{
	(void)sig;
	ack_sink_stop = 1;
}

/* Records a batch carries, in either layout. */
static uint64_t ack_sink_records(const Flowfleet__FlowBatch *b)
{
	return b->n_records > 0 ? b->n_records : b->record_count;
}

/* Sends [identity][Ack frame]; returns 0 or -1. */
static int ack_sink_reply(void *sock, zmq_msg_t *ident, const Flowfleet__FlowBatch *b)
{
	Flowfleet__Ack ack = FLOWFLEET__ACK__INIT;
	ack.agent_id = b->agent_id;
	ack.epoch = b->epoch;
	ack.sequence = b->sequence;
	ack.status = FLOWFLEET__ACK__STATUS__OK;
	uint8_t buf[512];
	size_t len = flowfleet__ack__get_packed_size(&ack);
	if (len > sizeof buf)
		return -1;
	flowfleet__ack__pack(&ack, buf);
	uint8_t *frame = NULL;
	size_t flen = 0;
	if (ff_frame_encode(FF_MSG_ACK, buf, len, &frame, &flen) != 0)
		return -1;
	int rc = zmq_msg_send(ident, sock, ZMQ_SNDMORE) < 0 || zmq_send(sock, frame, flen, 0) < 0;
	free(frame);
	return rc ? -1 : 0;
}

/* Handles one [identity][frame] message; counts acknowledged batches and records. */
static void ack_sink_one(void *sock, uint64_t *batches, uint64_t *records)
{
	zmq_msg_t ident, body;
	zmq_msg_init(&ident);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&ident, sock, 0) < 0 || !zmq_msg_more(&ident) ||
	    zmq_msg_recv(&body, sock, 0) < 0)
		goto out;
	ff_frame_header h;
	uint8_t *payload = NULL;
	size_t plen = 0;
	if (ff_frame_decode(zmq_msg_data(&body), zmq_msg_size(&body), &h, &payload, &plen) != 0)
		goto out;
	if (h.type == FF_MSG_BATCH) {
		Flowfleet__FlowBatch *b = flowfleet__flow_batch__unpack(NULL, plen, payload);
		if (b != NULL && b->agent_id != NULL && ack_sink_reply(sock, &ident, b) == 0) {
			(*batches)++;
			*records += ack_sink_records(b);
		}
		if (b != NULL)
			flowfleet__flow_batch__free_unpacked(b, NULL);
	}
	free(payload);
out:
	zmq_msg_close(&ident);
	zmq_msg_close(&body);
}

int main(int argc, char **argv)
{
	if (argc != 2 || strncmp(argv[1], "tcp://127.0.0.1:", 16) != 0) {
		fprintf(stderr, "usage: ack_sink tcp://127.0.0.1:PORT\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = ack_sink_on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	void *ctx = zmq_ctx_new();
	void *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
	int linger = 0;
	if (sock == NULL || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
	    zmq_bind(sock, argv[1]) != 0) {
		fprintf(stderr, "ack_sink: cannot bind %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
		return 1;
	}
	uint64_t batches = 0, records = 0;
	while (!ack_sink_stop) {
		zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 200) > 0)
			ack_sink_one(sock, &batches, &records);
	}
	printf("batches %llu records %llu\n", (unsigned long long)batches,
	       (unsigned long long)records);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return 0;
}
