#include "ff_batch.h"

#include "ff_batch_impl.h"
#include "ff_frame.h"

#include <stdlib.h>
#include <string.h>

bool ff_agent_id_valid(const char *id)
{
	size_t n = 0;
	for (const char *p = id; *p != '\0'; p++, n++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= FF_AGENT_ID_MAX)
			return false;
	}
	return n > 0;
}

static void ff_batch_record_to_pb(const ff_flow *f, Flowfleet__FlowRecord *r)
{
	flowfleet__flow_record__init(r);
	r->first_ms = f->first_ms;
	r->last_ms = f->last_ms;
	/* protobuf-c only reads through these pointers while packing. */
	r->src_addr.data = (uint8_t *)f->src_addr;
	r->src_addr.len = FF_ADDR_LEN;
	r->dst_addr.data = (uint8_t *)f->dst_addr;
	r->dst_addr.len = FF_ADDR_LEN;
	r->exporter.data = (uint8_t *)f->exporter;
	r->exporter.len = FF_ADDR_LEN;
	r->src_port = f->src_port;
	r->dst_port = f->dst_port;
	r->proto = f->proto;
	r->tcp_flags = f->tcp_flags;
	r->tos = f->tos;
	r->in_if = f->in_if;
	r->out_if = f->out_if;
	r->src_as = f->src_as;
	r->dst_as = f->dst_as;
	r->bytes = f->bytes;
	r->packets = f->packets;
	r->flows = f->flows;
	r->sampling_rate = f->sampling_rate;
	r->wildcards = f->wildcards;
}

void ff_batch_head_to_pb(const ff_batch *head, Flowfleet__FlowBatch *msg)
{
	/* protobuf-c only reads through this pointer while packing. */
	msg->agent_id = (char *)head->agent_id;
	msg->epoch = head->epoch;
	msg->sequence = head->sequence;
	msg->interval_start_ms = head->interval_start_ms;
	msg->interval_len_ms = head->interval_len_ms;
	msg->policy_version = head->policy_version;
}

int ff_batch_pack_frame(const Flowfleet__FlowBatch *msg, uint8_t frame_version, uint8_t **frame,
			size_t *frame_len)
{
	size_t len = flowfleet__flow_batch__get_packed_size(msg);
	if (len > FF_FRAME_MAX_PAYLOAD)
		return FF_FRAME_ETOOBIG;
	uint8_t *packed = malloc(len ? len : 1);
	if (packed == NULL)
		return -ENOMEM;
	flowfleet__flow_batch__pack(msg, packed);
	int rc =
	    ff_frame_encode_version(frame_version, FF_MSG_BATCH, packed, len, frame, frame_len);
	free(packed);
	return rc;
}

int ff_batch_build_records(const ff_batch *head, const ff_flow *const *recs, size_t n,
			   uint8_t **frame, size_t *frame_len)
{
	int rc = -ENOMEM;
	Flowfleet__FlowRecord *pb = calloc(n ? n : 1, sizeof *pb);
	Flowfleet__FlowRecord **ptrs = calloc(n ? n : 1, sizeof *ptrs);
	if (pb == NULL || ptrs == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ff_batch_record_to_pb(recs[i], &pb[i]);
		ptrs[i] = &pb[i];
	}
	Flowfleet__FlowBatch msg = FLOWFLEET__FLOW_BATCH__INIT;
	ff_batch_head_to_pb(head, &msg);
	msg.n_records = n;
	msg.records = ptrs;
	rc = ff_batch_pack_frame(&msg, FF_FRAME_VERSION, frame, frame_len);
out:
	free(ptrs);
	free(pb);
	return rc;
}

/* Walks the array of a batch for ff_batch_encode_stream(). */
typedef struct ff_batch_array_it {
	const ff_flow *recs;
	size_t n, next;
} ff_batch_array_it;

static const ff_flow *ff_batch_array_next(void *arg)
{
	ff_batch_array_it *it = arg;
	return it->next < it->n ? &it->recs[it->next++] : NULL;
}

int ff_batch_encode_wire(const ff_batch *b, unsigned wire, uint8_t **frame, size_t *frame_len)
{
	ff_batch_array_it it = {.recs = b->records, .n = b->n_records};
	size_t taken = 0;
	int rc = ff_batch_encode_stream(b, ff_batch_array_next, &it, 0, 0, wire, frame, frame_len,
					&taken);
	if (rc == 0 && taken != b->n_records) {
		free(*frame);
		*frame = NULL;
		return FF_BATCH_ETOOMANY;
	}
	return rc;
}

int ff_batch_encode(const ff_batch *b, uint8_t **frame, size_t *frame_len)
{
	/* What an old agent sent (and the journal re-frames) may exceed the version 2 bound. */
	unsigned wire =
	    b->n_records > FF_BATCH_MAX_RECORDS ? FF_BATCH_WIRE_RECORDS : FF_PROTOCOL_VERSION;
	return ff_batch_encode_wire(b, wire, frame, frame_len);
}

static int ff_batch_copy_addr(uint8_t dst[FF_ADDR_LEN], const ProtobufCBinaryData *src)
{
	/* An absent address (wildcarded away) travels as zero bytes. */
	if (src->len == 0) {
		memset(dst, 0, FF_ADDR_LEN);
		return 0;
	}
	if (src->len != FF_ADDR_LEN)
		return -1;
	memcpy(dst, src->data, FF_ADDR_LEN);
	return 0;
}

static int ff_batch_record_from_pb(const Flowfleet__FlowRecord *r, ff_flow *f)
{
	memset(f, 0, sizeof *f);
	if (r->src_port > 0xffff || r->dst_port > 0xffff || r->proto > 0xff ||
	    r->tcp_flags > 0xff || r->tos > 0xff)
		return -1;
	if (ff_batch_copy_addr(f->src_addr, &r->src_addr) != 0 ||
	    ff_batch_copy_addr(f->dst_addr, &r->dst_addr) != 0 ||
	    ff_batch_copy_addr(f->exporter, &r->exporter) != 0)
		return -1;
	f->first_ms = r->first_ms;
	f->last_ms = r->last_ms;
	f->src_port = (uint16_t)r->src_port;
	f->dst_port = (uint16_t)r->dst_port;
	f->proto = (uint8_t)r->proto;
	f->tcp_flags = (uint8_t)r->tcp_flags;
	f->tos = (uint8_t)r->tos;
	f->in_if = r->in_if;
	f->out_if = r->out_if;
	f->src_as = r->src_as;
	f->dst_as = r->dst_as;
	f->bytes = r->bytes;
	f->packets = r->packets;
	f->flows = r->flows;
	f->sampling_rate = r->sampling_rate;
	f->wildcards = r->wildcards;
	return 0;
}

/* True when any version 2 column is present. */
static bool ff_batch_has_columns(Flowfleet__FlowBatch *m)
{
	if (m->record_count || m->src_addr_width || m->src_addrs.len || m->dst_addr_width ||
	    m->dst_addrs.len || m->exporter_dict.len || m->time_anchor)
		return true;
	for (int c = 0; c < FF_C_N; c++)
		if (ff_batch_col_field(m, (enum ff_batch_col)c)->len > 0)
			return true;
	return false;
}

static int ff_batch_decode_records(const Flowfleet__FlowBatch *msg, ff_flow **out, size_t *n)
{
	ff_flow *recs = calloc(msg->n_records ? msg->n_records : 1, sizeof *recs);
	if (recs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < msg->n_records; i++) {
		if (ff_batch_record_from_pb(msg->records[i], &recs[i]) != 0) {
			free(recs);
			return FF_BATCH_ERECORD;
		}
	}
	*out = recs;
	*n = msg->n_records;
	return 0;
}

int ff_batch_decode(const uint8_t *payload, size_t len, ff_batch *out)
{
	Flowfleet__FlowBatch *msg = flowfleet__flow_batch__unpack(NULL, len, payload);
	if (msg == NULL)
		return FF_BATCH_EPROTO;
	ff_flow *recs = NULL;
	size_t n = 0;
	int rc = FF_BATCH_EAGENT;
	if (msg->agent_id == NULL || !ff_agent_id_valid(msg->agent_id))
		goto out;
	/* A batch is one layout or the other; both at once is nobody's encoding. */
	if (msg->n_records > 0 && ff_batch_has_columns(msg))
		rc = FF_BATCH_ECOLUMN;
	else if (msg->n_records > 0)
		rc = ff_batch_decode_records(msg, &recs, &n);
	else
		rc = ff_batch_decode_columns(msg, &recs, &n);
	if (rc != 0)
		goto out;
	memset(out, 0, sizeof *out);
	strcpy(out->agent_id, msg->agent_id);
	out->epoch = msg->epoch;
	out->sequence = msg->sequence;
	out->interval_start_ms = msg->interval_start_ms;
	out->interval_len_ms = msg->interval_len_ms;
	out->policy_version = msg->policy_version;
	out->records = recs;
	out->n_records = n;
out:
	flowfleet__flow_batch__free_unpacked(msg, NULL);
	return rc;
}

void ff_batch_release(ff_batch *b)
{
	free(b->records);
	b->records = NULL;
	b->n_records = 0;
}
