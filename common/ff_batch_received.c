/*
 * What a FlowBatch received from a peer may cost. protobuf-c allocates one
 * FlowRecord message per version 1 record before any check of ours runs,
 * and a version 2 count of records is an allocation of that many rows, so
 * the payload is read first without decoding it (no allocation): its
 * identity, how many records it claims and how many bytes they take. A
 * claim no agent makes is refused from those alone.
 */
#include "ff_batch.h"

#include "ff_batch_bits.h"
#include "ff_batch_impl.h"
#include "ff_bytes.h"

#include <string.h>

/* FlowBatch field numbers (proto/flowfleet.proto). */
enum {
	FF_PB_AGENT_ID = 1,
	FF_PB_EPOCH = 2,
	FF_PB_SEQUENCE = 3,
	FF_PB_RECORDS = 6,
	FF_PB_FLOWS = 27,
	FF_PB_RECORD_COUNT = 30,
};

/* Protobuf wire types (protobuf encoding: varint, 64-bit, length-delimited, 32-bit). */
enum { FF_PB_VARINT = 0, FF_PB_I64 = 1, FF_PB_LEN = 2, FF_PB_I32 = 5 };

/*
 * Every flowfleet agent of protocol 1 sends a record's three addresses as
 * 16 bytes each (54 bytes with their tags); a record of fewer than 16 bytes
 * is no flow of ours, and 16 bounds what protobuf-c allocates per payload
 * byte.
 */
#define FF_BATCH_V1_MIN_RECORD 16
/* FF_BATCH_V2_FREE_RECORDS: ff_batch_impl.h, where the encoder keeps to it too. */

static void ff_batch_claim_agent(ff_batch_claim *c, const uint8_t *p, uint64_t len)
{
	c->agent_id[0] = '\0';
	if (len == 0 || len > FF_AGENT_ID_MAX)
		return;
	memcpy(c->agent_id, p, (size_t)len);
	c->agent_id[len] = '\0';
	if (strlen(c->agent_id) != len || !ff_agent_id_valid(c->agent_id))
		c->agent_id[0] = '\0';
}

/* Notes one length-delimited field of the batch. */
static void ff_batch_claim_len(ff_batch_claim *c, uint64_t field, const uint8_t *p, uint64_t len)
{
	if (field == FF_PB_AGENT_ID) {
		ff_batch_claim_agent(c, p, len);
	} else if (field == FF_PB_RECORDS) {
		c->v1_records++;
		if (c->v1_records == 1 || len < c->v1_min_record)
			c->v1_min_record = (size_t)len;
	} else if (field == FF_PB_FLOWS) {
		c->flows_column = len > 0;
	}
}

/* Reads the field at *p; returns false when it runs past `end` or is of no known type. */
static bool ff_batch_claim_field(ff_batch_claim *c, const uint8_t **p, const uint8_t *end)
{
	uint64_t tag, v;
	if (!ff_varint_get(p, end, &tag))
		return false;
	uint64_t field = tag >> 3;
	switch (tag & 7) {
	case FF_PB_VARINT:
		if (!ff_varint_get(p, end, &v))
			return false;
		if (field == FF_PB_SEQUENCE)
			c->sequence = v;
		else if (field == FF_PB_RECORD_COUNT)
			c->v2_records = v;
		return true;
	case FF_PB_I64:
		if (end - *p < 8)
			return false;
		if (field == FF_PB_EPOCH)
			c->epoch = ff_get_le64(*p);
		*p += 8;
		return true;
	case FF_PB_LEN:
		if (!ff_varint_get(p, end, &v) || v > (uint64_t)(end - *p))
			return false;
		ff_batch_claim_len(c, field, *p, v);
		*p += v;
		return true;
	case FF_PB_I32:
		if (end - *p < 4)
			return false;
		*p += 4;
		return true;
	default:
		return false;
	}
}

int ff_batch_claim_read(const uint8_t *payload, size_t len, ff_batch_claim *c)
{
	memset(c, 0, sizeof *c);
	const uint8_t *p = payload, *end = payload + len;
	while (p < end)
		if (!ff_batch_claim_field(c, &p, end))
			return FF_BATCH_EPROTO;
	return 0;
}

int ff_batch_claim_check(const ff_batch_claim *c, size_t len)
{
	/* Both layouts at once is refused by the decoder (FF_BATCH_ECOLUMN). */
	uint64_t n = c->v1_records > 0 ? c->v1_records : c->v2_records;
	if (n == 0)
		return FF_BATCH_ENORECORDS;
	if (n > FF_BATCH_MAX_RECORDS)
		return FF_BATCH_ETOOMANY;
	if (c->v1_records > 0 && c->v1_min_record == 0)
		return FF_BATCH_EEMPTY;
	if (c->v1_records > 0)
		return c->v1_min_record < FF_BATCH_V1_MIN_RECORD ? FF_BATCH_ESPARSE : 0;
	/* An empty flows column says every record counts zero flows. */
	if (!c->flows_column)
		return FF_BATCH_EEMPTY;
	return n > FF_BATCH_V2_FREE_RECORDS && n > len ? FF_BATCH_ESPARSE : 0;
}

static int ff_batch_check_flows(const ff_batch *b)
{
	for (size_t i = 0; i < b->n_records; i++)
		if (b->records[i].flows == 0)
			return FF_BATCH_EEMPTY;
	return 0;
}

int ff_batch_decode_received(const uint8_t *payload, size_t len, ff_batch *out,
			     ff_batch_claim *claim)
{
	int rc = ff_batch_claim_read(payload, len, claim);
	if (rc == 0)
		rc = ff_batch_claim_check(claim, len);
	if (rc == 0)
		rc = ff_batch_decode(payload, len, out);
	if (rc != 0)
		return rc;
	if ((rc = ff_batch_check_flows(out)) != 0)
		ff_batch_release(out);
	return rc;
}
