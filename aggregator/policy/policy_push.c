#include "policy_push.h"

#include "ff_frame.h"
#include "ff_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ZeroMQ routing identities are at most 255 bytes. */
#define FF_PUSH_MAX_IDENT 255
/* Labels beyond these bounds cannot be matched by any valid target anyway. */
#define FF_PUSH_MAX_LABELS 64
#define FF_PUSH_MAX_LABEL  FF_POLICY_MAX_TARGET
#define FF_PUSH_MAX_REASON 256

typedef struct ff_push_agent {
	char id[FF_AGENT_ID_MAX + 1];
	uint8_t ident[FF_PUSH_MAX_IDENT];
	size_t ident_len; /* 0: no connection known */
	char *keys[FF_PUSH_MAX_LABELS];
	char *values[FF_PUSH_MAX_LABELS];
	size_t n_labels;
	uint64_t applied;  /* what the agent last reported */
	uint64_t expected; /* what applies to it now; 0 none */
	uint64_t refused;  /* a version it refused; not pushed again */
	char reason[FF_PUSH_MAX_REASON];
} ff_push_agent;

struct ff_policy_push {
	ff_policy_store *store;
	ff_sessions *sessions;
	ff_push_agent **v;
	size_t n, cap;
	uint64_t generation; /* of the store, when we last pushed */
};

ff_policy_push *ff_policy_push_new(ff_policy_store *store, ff_sessions *sessions)
{
	ff_policy_push *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->store = store;
	p->sessions = sessions;
	p->generation = ff_policy_store_generation(store);
	return p;
}

static void ff_push_agent_clear_labels(ff_push_agent *a)
{
	for (size_t i = 0; i < a->n_labels; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	a->n_labels = 0;
}

void ff_policy_push_free(ff_policy_push *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		ff_push_agent_clear_labels(p->v[i]);
		free(p->v[i]);
	}
	free(p->v);
	free(p);
}

static ff_push_agent *ff_policy_push_find(ff_policy_push *p, const char *id, bool create)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i]->id, id) == 0)
			return p->v[i];
	if (!create)
		return NULL;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		ff_push_agent **v = realloc(p->v, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	ff_push_agent *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	snprintf(a->id, sizeof a->id, "%s", id);
	p->v[p->n++] = a;
	return a;
}

/* Keeps the Hello's labels; ones too long to match any target are left out. */
static void ff_push_agent_labels(ff_push_agent *a, const Flowfleet__Hello *h)
{
	ff_push_agent_clear_labels(a);
	for (size_t i = 0; i < h->n_labels && a->n_labels < FF_PUSH_MAX_LABELS; i++) {
		const char *k = h->labels[i]->key, *v = h->labels[i]->value;
		if (k == NULL || v == NULL || strlen(k) > FF_PUSH_MAX_LABEL ||
		    strlen(v) > FF_PUSH_MAX_LABEL)
			continue;
		char *kc = strdup(k), *vc = strdup(v);
		if (kc == NULL || vc == NULL) {
			free(kc);
			free(vc);
			continue;
		}
		a->keys[a->n_labels] = kc;
		a->values[a->n_labels++] = vc;
	}
}

static void ff_push_agent_mirror(ff_policy_push *p, const ff_push_agent *a)
{
	bool refused = a->refused != 0 && a->refused == a->expected;
	ff_sessions_policy(p->sessions, a->id, a->applied, a->expected, refused ? a->reason : NULL);
}

static int ff_policy_push_keys(uint32_t keys, char *buf, size_t len, char **names, size_t *n)
{
	*n = 0;
	if ((keys & FF_POLICY_KEY_FIELDS) == FF_POLICY_KEY_FIELDS)
		return 0; /* no names: every key */
	ff_policy_keys_format(keys, buf, len);
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL && *n < 16;
	     w = strtok_r(NULL, ",", &save))
		names[(*n)++] = w;
	return 0;
}

/*
 * Encodes `spec` as a framed Policy message (*frame malloc'd, caller frees).
 * Returns 0 or a negative ff_frame_error.
 */
static int ff_policy_push_encode(const ff_policy_spec *spec, uint8_t **frame, size_t *len)
{
	Flowfleet__Policy m = FLOWFLEET__POLICY__INIT;
	char buf[160], *names[16];
	m.version = spec->version;
	m.filter = spec->filter;
	m.target = spec->target;
	m.interval_s = spec->interval_s;
	m.topk = spec->topk;
	m.merge = spec->merge;
	m.sample = spec->sample;
	ff_policy_push_keys(spec->keys, buf, sizeof buf, names, &m.n_keys);
	m.keys = names;
	size_t plen = flowfleet__policy__get_packed_size(&m);
	uint8_t *packed = malloc(plen ? plen : 1);
	if (packed == NULL)
		return -ENOMEM;
	flowfleet__policy__pack(&m, packed);
	int rc = ff_frame_encode(FF_MSG_POLICY, packed, plen, frame, len);
	free(packed);
	return rc;
}

/*
 * Works out which policy applies to `a` now and, when the agent does not
 * run it yet and has not refused it, encodes it into *frame.
 */
static void ff_push_agent_due(ff_policy_push *p, ff_push_agent *a, uint8_t **frame, size_t *len)
{
	ff_policy_spec spec = {0};
	*frame = NULL;
	int rc = ff_policy_store_select(p->store, (const char *const *)a->keys,
					(const char *const *)a->values, a->n_labels, &spec);
	if (rc < 0) {
		ff_log_error("policy push: out of memory selecting the policy of %s", a->id);
		return;
	}
	a->expected = rc > 0 ? spec.version : 0;
	ff_push_agent_mirror(p, a);
	if (rc > 0 && spec.version != a->applied && spec.version != a->refused &&
	    ff_policy_push_encode(&spec, frame, len) != 0) {
		ff_log_error("policy push: cannot encode policy %" PRIu64, spec.version);
		*frame = NULL;
	}
	ff_policy_spec_clear(&spec);
}

void ff_policy_push_hello(ff_policy_push *p, const Flowfleet__Hello *h, const uint8_t *ident,
			  size_t ident_len, uint8_t **frame, size_t *len)
{
	*frame = NULL;
	ff_push_agent *a = ff_policy_push_find(p, h->agent_id, true);
	if (a == NULL) {
		ff_log_error("policy push: out of memory tracking agent %s", h->agent_id);
		return;
	}
	if (ident != NULL && ident_len > 0 && ident_len <= FF_PUSH_MAX_IDENT) {
		memcpy(a->ident, ident, ident_len);
		a->ident_len = ident_len;
	}
	ff_push_agent_labels(a, h);
	a->applied = h->policy_version;
	ff_push_agent_due(p, a, frame, len);
	if (*frame != NULL)
		ff_log_info("policy push: agent %s runs policy %" PRIu64 ", sending %" PRIu64,
			    a->id, a->applied, a->expected);
}

static void ff_push_agent_on_ack(ff_push_agent *a, const Flowfleet__PolicyAck *m)
{
	if (m->applied) {
		a->applied = m->version;
		ff_log_info("policy push: agent %s applied policy %" PRIu64, a->id, m->version);
		return;
	}
	a->refused = m->version;
	snprintf(a->reason, sizeof a->reason, "%s", m->reason != NULL ? m->reason : "");
	for (char *c = a->reason; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	ff_log_warn("policy push: agent %s refused policy %" PRIu64 ": %s", a->id, m->version,
		    a->reason);
}

int ff_policy_push_ack(ff_policy_push *p, const uint8_t *payload, size_t len)
{
	Flowfleet__PolicyAck *m = flowfleet__policy_ack__unpack(NULL, len, payload);
	if (m == NULL || m->agent_id == NULL || !ff_agent_id_valid(m->agent_id)) {
		flowfleet__policy_ack__free_unpacked(m, NULL);
		return -1;
	}
	ff_push_agent *a = ff_policy_push_find(p, m->agent_id, true);
	if (a != NULL) {
		ff_push_agent_on_ack(a, m);
		ff_push_agent_mirror(p, a);
	}
	flowfleet__policy_ack__free_unpacked(m, NULL);
	return 0;
}

void ff_policy_push_check(ff_policy_push *p, ff_policy_push_send_fn send, void *arg)
{
	uint64_t gen = ff_policy_store_generation(p->store);
	if (gen == p->generation)
		return;
	p->generation = gen;
	for (size_t i = 0; i < p->n; i++) {
		ff_push_agent *a = p->v[i];
		uint8_t *frame = NULL;
		size_t len = 0;
		ff_push_agent_due(p, a, &frame, &len);
		if (frame == NULL)
			continue;
		if (a->ident_len == 0) {
			free(frame);
			continue;
		}
		ff_log_info("policy push: sending policy %" PRIu64 " to agent %s", a->expected,
			    a->id);
		send(arg, a->ident, a->ident_len, frame, len);
	}
}
