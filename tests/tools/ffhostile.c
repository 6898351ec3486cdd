/*
 * ffhostile: sends the aggregator frames built to cost it (issue 12's
 * first finding), in plaintext, as agent "hostile", and prints how many
 * were answered and how:
 *   v1-empty    a version 1 batch of 800,000 empty records (1.6 MB)
 *   v1-sparse   a version 1 batch of 500,000 4-byte records (3 MB)
 *   v1-huge     a version 1 batch of 1,100,000 records of 16 bytes (20 MB)
 *   v2-count    a version 2 batch claiming 2,100,000 records in 40 bytes
 *   v2-empty    a version 2 batch claiming 1,000,000 records without a flows column
 *   lz4-ratio   a 16 KiB lz4 body claiming 64 MiB
 *   too-large   a 1 MiB lz4 body claiming 133 MiB
 * Usage: ffhostile --connect ENDPOINT --kind KIND [--count N] [--wait SECONDS]
 * Prints "sent N" then "answered A rejected R" (acks within --wait). Exit 0,
 * 2 on usage, 1 on a socket error.
 */
#include "ff_frame.h"
#include "ff_time.h"
#include "flowfleet.pb-c.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* A batch frame header claiming `claim` bytes, then `len` bytes of `body` (NULL: 0xff). */
static uint8_t *ffh_frame(const uint8_t *body, size_t len, uint32_t claim, bool lz4,
			  size_t *out_len)
{
	uint8_t *f = malloc(FF_FRAME_HEADER_LEN + len);
	if (f == NULL)
		return NULL;
	memset(f, 0, FF_FRAME_HEADER_LEN);
	f[0] = FF_FRAME_MAGIC0;
	f[1] = FF_FRAME_MAGIC1;
	f[2] = FF_FRAME_VERSION;
	f[3] = FF_MSG_BATCH;
	f[4] = lz4 ? FF_COMP_LZ4 : FF_COMP_NONE;
	memcpy(f + 8, &claim, 4); /* little-endian hosts only: a test tool */
	if (body != NULL)
		memcpy(f + FF_FRAME_HEADER_LEN, body, len);
	else
		memset(f + FF_FRAME_HEADER_LEN, 0xff, len);
	*out_len = FF_FRAME_HEADER_LEN + len;
	return f;
}

/* A packed FlowBatch of agent "hostile" with `n` copies of `rec`, or the v2 fields. */
static uint8_t *ffh_batch(Flowfleet__FlowRecord *rec, size_t n, uint32_t count, bool flows,
			  size_t *len)
{
	static const uint8_t all_one[] = {0x00, 0x01};
	Flowfleet__FlowBatch m = FLOWFLEET__FLOW_BATCH__INIT;
	m.agent_id = (char *)"hostile";
	m.epoch = 7;
	m.sequence = 1;
	Flowfleet__FlowRecord **recs = calloc(n ? n : 1, sizeof *recs);
	if (recs == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		recs[i] = rec;
	m.n_records = n;
	m.records = recs;
	m.record_count = count;
	if (flows) {
		m.flows.data = (uint8_t *)all_one;
		m.flows.len = sizeof all_one;
	}
	*len = flowfleet__flow_batch__get_packed_size(&m);
	uint8_t *p = malloc(*len ? *len : 1);
	if (p != NULL)
		flowfleet__flow_batch__pack(&m, p);
	free(recs);
	return p;
}

/* The frame of `kind`, malloc'd; NULL for an unknown kind. */
static uint8_t *ffh_make(const char *kind, size_t *flen)
{
	Flowfleet__FlowRecord rec = FLOWFLEET__FLOW_RECORD__INIT;
	size_t len = 0;
	uint8_t *p = NULL, *f = NULL;
	if (strcmp(kind, "v1-empty") == 0) {
		p = ffh_batch(&rec, 800000, 0, false, &len);
	} else if (strcmp(kind, "v1-sparse") == 0) {
		rec.flows = 1;
		rec.proto = 6;
		p = ffh_batch(&rec, 500000, 0, false, &len);
	} else if (strcmp(kind, "v1-huge") == 0) {
		rec.flows = 1;
		rec.first_ms = rec.last_ms = 1700000000000ull;
		p = ffh_batch(&rec, 1100000, 0, false, &len);
	} else if (strcmp(kind, "v2-count") == 0) {
		p = ffh_batch(NULL, 0, 2100000, true, &len);
	} else if (strcmp(kind, "v2-empty") == 0) {
		p = ffh_batch(NULL, 0, 1000000, false, &len);
	} else if (strcmp(kind, "lz4-ratio") == 0) {
		return ffh_frame(NULL, 16u << 10, 64u << 20, true, flen);
	} else if (strcmp(kind, "too-large") == 0) {
		return ffh_frame(NULL, 1u << 20, 133u << 20, true, flen);
	} else {
		return NULL;
	}
	if (p != NULL)
		f = ffh_frame(p, len, (uint32_t)len, false, flen);
	free(p);
	return f;
}

/* Counts the acks coming within `wait_ms`: all of them, and the REJECTED ones. */
static void ffh_count_acks(void *s, uint64_t wait_ms, unsigned *answered, unsigned *rejected)
{
	uint64_t start = ff_time_mono_ms();
	while (ff_time_mono_ms() - start < wait_ms) {
		zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		zmq_msg_t m;
		zmq_msg_init(&m);
		ff_frame_header h;
		uint8_t *payload = NULL;
		size_t plen = 0;
		if (zmq_msg_recv(&m, s, 0) >= 0 &&
		    ff_frame_decode(zmq_msg_data(&m), zmq_msg_size(&m), &h, &payload, &plen) == 0 &&
		    h.type == FF_MSG_ACK) {
			Flowfleet__Ack *a = flowfleet__ack__unpack(NULL, plen, payload);
			(*answered)++;
			*rejected += a != NULL && a->status == FLOWFLEET__ACK__STATUS__REJECTED;
			flowfleet__ack__free_unpacked(a, NULL);
		}
		free(payload);
		zmq_msg_close(&m);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"connect", 1, NULL, 'c'}, {"kind", 1, NULL, 'k'},
					   {"count", 1, NULL, 'n'},   {"wait", 1, NULL, 'w'},
					   {NULL, 0, NULL, 0}};
	const char *connect = NULL, *kind = NULL;
	unsigned long count = 1, wait_s = 3;
	for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		if (c == 'c')
			connect = optarg;
		else if (c == 'k')
			kind = optarg;
		else if (c == 'n')
			count = strtoul(optarg, NULL, 10);
		else if (c == 'w')
			wait_s = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	size_t flen = 0;
	uint8_t *frame = connect != NULL && kind != NULL ? ffh_make(kind, &flen) : NULL;
	if (frame == NULL) {
		fprintf(stderr, "Usage: ffhostile --connect ENDPOINT --kind KIND [--count N] "
				"[--wait SECONDS] (KIND: see the source)\n");
		return 2;
	}
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
	int zero = 0, rc = 1;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_connect(s, connect) == 0) {
		unsigned long sent = 0;
		while (sent < count && zmq_send(s, frame, flen, 0) == (int)flen)
			sent++;
		printf("sent %lu (%zu bytes each)\n", sent, flen);
		unsigned answered = 0, rejected = 0;
		ffh_count_acks(s, wait_s * 1000, &answered, &rejected);
		printf("answered %u rejected %u\n", answered, rejected);
		rc = sent == count ? 0 : 1;
	}
	free(frame);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}
