#include "policy.h"

#include "ff_file.h"
#include "ff_frame.h"
#include "ff_policy.h"
#include "flowfleet.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stored policy is a filter of at most FF_FILTER_MAX_LEN plus a little. */
#define FF_AGENT_POLICY_MAX_FILE (FF_FILTER_MAX_LEN + 64u * 1024u)

/* Joins the repeated key names and parses them with the shared key words. */
static int ff_agent_policy_keys(const Flowfleet__Policy *m, uint32_t *keys, char *err,
				size_t err_len)
{
	uint32_t mask = 0;
	for (size_t i = 0; i < m->n_keys; i++) {
		uint32_t bit = 0;
		if (m->keys[i] == NULL || m->keys[i][0] == '\0' ||
		    ff_policy_keys_parse(m->keys[i], &bit, err, err_len) != 0) {
			if (m->keys[i] == NULL || m->keys[i][0] == '\0')
				snprintf(err, err_len, "empty key name");
			return -1;
		}
		mask |= bit;
	}
	*keys = mask != 0 ? mask : FF_POLICY_KEY_FIELDS;
	return 0;
}

static int ff_agent_policy_from_msg(const Flowfleet__Policy *m, ff_agent_policy *out, char *err,
				    size_t err_len)
{
	ff_policy_spec spec = {.version = m->version,
			       .target = m->target,
			       .filter = m->filter,
			       .interval_s = m->interval_s,
			       .topk = m->topk,
			       .sample = m->sample,
			       .merge = m->merge};
	if (m->version == 0) {
		snprintf(err, err_len, "policy version 0 is reserved for 'no policy'");
		return -1;
	}
	if (ff_agent_policy_keys(m, &spec.keys, err, err_len) != 0 ||
	    ff_policy_validate(&spec, err, err_len) != 0)
		return -1;
	if (ff_filter_compile(m->filter, &out->filter, err, err_len) != 0)
		return -1;
	out->version = m->version;
	out->wildcards = FF_POLICY_KEY_FIELDS & ~spec.keys;
	out->interval_s = m->interval_s;
	out->topk = m->topk;
	out->sample = m->sample;
	out->merge = m->merge;
	return 0;
}

bool ff_agent_policy_merges(const ff_agent_policy *p)
{
	return p->merge || p->wildcards != 0 || p->topk != 0;
}

int ff_agent_policy_decode(const uint8_t *payload, size_t len, ff_agent_policy *out,
			   uint64_t *version, char *err, size_t err_len)
{
	memset(out, 0, sizeof *out);
	*version = 0;
	Flowfleet__Policy *m = flowfleet__policy__unpack(NULL, len, payload);
	if (m == NULL) {
		snprintf(err, err_len, "undecodable Policy message");
		return -1;
	}
	*version = m->version;
	int rc = ff_agent_policy_from_msg(m, out, err, err_len);
	flowfleet__policy__free_unpacked(m, NULL);
	if (rc == 0 && (out->packed = malloc(len ? len : 1)) == NULL) {
		snprintf(err, err_len, "out of memory");
		rc = -1;
	}
	if (rc != 0) {
		ff_agent_policy_release(out);
		return -1;
	}
	memcpy(out->packed, payload, len);
	out->packed_len = len;
	return 0;
}

void ff_agent_policy_release(ff_agent_policy *p)
{
	ff_filter_free(p->filter);
	free(p->packed);
	memset(p, 0, sizeof *p);
}

void ff_agent_policy_move(ff_agent_policy *dst, ff_agent_policy *src)
{
	ff_agent_policy_release(dst);
	*dst = *src;
	memset(src, 0, sizeof *src);
}

/* Zeroes the key fields named in `bits` and marks them as wildcards. */
static void ff_agent_policy_wildcard(ff_flow *f, uint32_t bits)
{
	if (bits & FF_FIELD_SRC_ADDR)
		memset(f->src_addr, 0, FF_ADDR_LEN);
	if (bits & FF_FIELD_DST_ADDR)
		memset(f->dst_addr, 0, FF_ADDR_LEN);
	if (bits & FF_FIELD_EXPORTER)
		memset(f->exporter, 0, FF_ADDR_LEN);
	if (bits & FF_FIELD_SRC_PORT)
		f->src_port = 0;
	if (bits & FF_FIELD_DST_PORT)
		f->dst_port = 0;
	if (bits & FF_FIELD_PROTO)
		f->proto = 0;
	if (bits & FF_FIELD_TOS)
		f->tos = 0;
	if (bits & FF_FIELD_IN_IF)
		f->in_if = 0;
	if (bits & FF_FIELD_OUT_IF)
		f->out_if = 0;
	if (bits & FF_FIELD_SRC_AS)
		f->src_as = 0;
	if (bits & FF_FIELD_DST_AS)
		f->dst_as = 0;
	f->wildcards |= bits;
}

bool ff_agent_policy_admit(ff_agent_policy *p, ff_flow *f)
{
	if (p->filter != NULL && !ff_filter_match(p->filter, f))
		return false;
	if (p->sample > 1) {
		/* Deterministic 1-in-N keeps tests exact; exporters already randomize. */
		if (p->sample_seen++ % p->sample != 0)
			return false;
		f->bytes *= p->sample;
		f->packets *= p->sample;
		f->flows *= p->sample;
	}
	if (p->wildcards != 0)
		ff_agent_policy_wildcard(f, p->wildcards);
	return true;
}

static int ff_agent_policy_by_bytes(const void *a, const void *b)
{
	const ff_flow *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return 0;
}

size_t ff_agent_policy_topk(const ff_agent_policy *p, ff_flow *recs, size_t n)
{
	if (p->topk == 0 || n <= p->topk)
		return n;
	qsort(recs, n, sizeof *recs, ff_agent_policy_by_bytes);
	ff_flow *other = &recs[p->topk];
	ff_agent_policy_wildcard(other, FF_POLICY_KEY_FIELDS);
	for (size_t i = p->topk + 1; i < n; i++)
		ff_flow_merge(other, &recs[i]);
	return (size_t)p->topk + 1;
}

int ff_agent_policy_save(const ff_agent_policy *p, const char *dir)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	if (ff_frame_encode(FF_MSG_POLICY, p->packed, p->packed_len, &frame, &len) != 0)
		return -ENOMEM;
	int rc = ff_file_write_atomic(dir, FF_AGENT_POLICY_FILE, frame, len, 0600);
	free(frame);
	return rc;
}

int ff_agent_policy_load(const char *dir, ff_agent_policy *out, char *err, size_t err_len)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	uint64_t version;
	ff_frame_header h;
	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "%s/%s", dir, FF_AGENT_POLICY_FILE);
	int rc = ff_file_read(path, FF_AGENT_POLICY_MAX_FILE, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		snprintf(err, err_len, "%s: %s", path, ff_strerror(rc));
		return -1;
	}
	rc = ff_frame_decode(buf, len, &h, &payload, &plen);
	free(buf);
	if (rc != 0 || h.type != FF_MSG_POLICY) {
		snprintf(err, err_len, "%s: not a policy file (%s)", path,
			 rc != 0 ? ff_strerror(rc) : "wrong message type");
		free(payload);
		return -1;
	}
	char why[512];
	rc = ff_agent_policy_decode(payload, plen, out, &version, why, sizeof why);
	free(payload);
	if (rc != 0) {
		snprintf(err, err_len, "%s: %s", path, why);
		return -1;
	}
	return 1;
}

int ff_agent_policy_ack_encode(const char *agent_id, uint64_t version, bool applied,
			       const char *reason, uint8_t **frame, size_t *len)
{
	Flowfleet__PolicyAck ack = FLOWFLEET__POLICY_ACK__INIT;
	ack.agent_id = (char *)agent_id;
	ack.version = version;
	ack.applied = applied;
	ack.reason = (char *)(reason != NULL ? reason : "");
	size_t plen = flowfleet__policy_ack__get_packed_size(&ack);
	uint8_t *packed = malloc(plen ? plen : 1);
	if (packed == NULL)
		return -ENOMEM;
	flowfleet__policy_ack__pack(&ack, packed);
	int rc = ff_frame_encode(FF_MSG_POLICY_ACK, packed, plen, frame, len);
	free(packed);
	return rc;
}
