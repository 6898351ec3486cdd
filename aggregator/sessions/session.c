#include "session_impl.h"

#include "ff_flow.h"
#include "ff_log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ff_sessions *ff_sessions_new(void)
{
	ff_sessions *r = calloc(1, sizeof *r);
	if (r != NULL)
		pthread_mutex_init(&r->mu, NULL);
	return r;
}

static void ff_session_free(ff_session *s)
{
	json_decref(s->labels);
	json_decref(s->counters);
	json_decref(s->exporters);
	ff__session_ifs_free(s->ifs);
	ff__session_exps_free(s->exps);
	free(s);
}

void ff_sessions_free(ff_sessions *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		ff_session_free(r->v[i]);
	free(r->v);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Copies untrusted text, bounded, with anything but printable ASCII as '?'. */
static void ff_session_copy_text(char *dst, const char *src)
{
	size_t i = 0;
	for (; src != NULL && src[i] != '\0' && i < FF_SESSION_MAX_TEXT; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

static json_t *ff_session_text(const char *src)
{
	char buf[FF_SESSION_MAX_TEXT + 1];
	ff_session_copy_text(buf, src);
	return json_string(buf);
}

/* Index of the session `id`, or of where it would be inserted (*found false). */
static size_t ff_sessions_search(const ff_sessions *r, const char *id, bool *found)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->v[mid]->id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* The session for `id`, created if absent (*created set); NULL when out of memory. */
static ff_session *ff_sessions_get(ff_sessions *r, const char *id, bool *created)
{
	bool found;
	size_t i = ff_sessions_search(r, id, &found);
	*created = !found;
	if (found)
		return r->v[i];
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		ff_session **v = realloc(r->v, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	ff_session *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	snprintf(s->id, sizeof s->id, "%s", id);
	memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof *r->v);
	r->v[i] = s;
	r->n++;
	return s;
}

/* Notes the epoch; returns the change it makes to a known session. */
static int ff_session_set_epoch(ff_session *s, uint64_t epoch)
{
	bool changed = s->epoch_known && s->epoch != epoch;
	s->epoch = epoch;
	s->epoch_known = true;
	return changed ? FF_SESSION_EPOCH : FF_SESSION_SAME;
}

static void ff_session_seen(ff_session *s, const char *peer, uint64_t now_ms)
{
	if (s->first_seen_ms == 0 || now_ms < s->first_seen_ms)
		s->first_seen_ms = now_ms;
	if (now_ms > s->last_seen_ms)
		s->last_seen_ms = now_ms;
	if (peer != NULL)
		ff_session_copy_text(s->address, peer);
}

static json_t *ff_session_labels(const Flowfleet__Hello *h)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < h->n_labels && i < FF_SESSION_MAX_LABELS; i++) {
		char key[FF_SESSION_MAX_TEXT + 1];
		ff_session_copy_text(key, h->labels[i]->key);
		json_object_set_new(o, key, ff_session_text(h->labels[i]->value));
	}
	return o;
}

static json_t *ff_session_counters(Flowfleet__Counter **c, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < n && i < FF_SESSION_MAX_COUNTERS; i++) {
		char name[FF_SESSION_MAX_TEXT + 1];
		ff_session_copy_text(name, c[i]->name);
		json_object_set_new(o, name, json_integer((json_int_t)c[i]->value));
	}
	return o;
}

static json_t *ff_session_exporters(const Flowfleet__Hello *h)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < h->n_exporters && i < FF_SESSION_MAX_EXPORTERS; i++) {
		const Flowfleet__ExporterStats *e = h->exporters[i];
		char addr[FF_ADDR_STRLEN] = "?";
		if (e->address.len == FF_ADDR_LEN)
			ff_addr_format(e->address.data, addr);
		json_array_append_new(a,
				      json_pack("{s:s, s:o}", "address", addr, "counters",
						ff_session_counters(e->counters, e->n_counters)));
	}
	return a;
}

static void ff_session_replace(json_t **slot, json_t *v)
{
	json_decref(*slot);
	*slot = v;
}

/* Keeps the Hello's interface counters; a Hello without any changes nothing. */
static void ff_session_interfaces(ff_session *s, const Flowfleet__Hello *h, uint64_t now_ms)
{
	if (h->n_interfaces == 0)
		return;
	if (s->ifs == NULL && (s->ifs = ff__session_ifs_new(FF_SESSION_MAX_INTERFACES)) == NULL) {
		ff_log_warn("agent %s: out of memory for its interface counters, not kept", s->id);
		return;
	}
	if (ff__session_ifs_update(s->ifs, h->interfaces, h->n_interfaces, now_ms) != 0)
		ff_log_warn("agent %s: out of memory for its interface counters, partly kept",
			    s->id);
}

/* Keeps the Hello's exporters and a history of their counters for the diagnosis. */
static void ff_session_exps(ff_session *s, const Flowfleet__Hello *h, uint64_t now_ms)
{
	if (s->exps == NULL && (s->exps = ff__session_exps_new(FF_SESSION_MAX_EXPORTERS)) == NULL) {
		ff_log_warn("agent %s: out of memory for its exporters' diagnosis, not kept",
			    s->id);
		return;
	}
	if (ff__session_exps_update(s->exps, h, now_ms) != 0)
		ff_log_warn("agent %s: out of memory for its exporters' diagnosis, partly kept",
			    s->id);
}

static void ff_session_log_change(const ff_session *s, int change)
{
	if (change == FF_SESSION_NEW)
		ff_log_info("agent %s: new session from %s, epoch %016" PRIx64, s->id,
			    s->address[0] ? s->address : "?", s->epoch);
	else if (change == FF_SESSION_EPOCH)
		ff_log_info("agent %s: new epoch %016" PRIx64 " (restarted without its state)",
			    s->id, s->epoch);
}

int ff_sessions_hello(ff_sessions *r, const Flowfleet__Hello *h, const char *peer, uint64_t now_ms)
{
	pthread_mutex_lock(&r->mu);
	bool created;
	int change = -1;
	ff_session *s = ff_sessions_get(r, h->agent_id, &created);
	if (s != NULL) {
		change = ff_session_set_epoch(s, h->epoch);
		if (created)
			change = FF_SESSION_NEW;
		ff_session_seen(s, peer, now_ms);
		ff_session_copy_text(s->hostname, h->hostname);
		ff_session_copy_text(s->version, h->software_version);
		s->protocol_version = h->protocol_version;
		s->policy_applied = h->policy_version;
		ff_session_replace(&s->labels, ff_session_labels(h));
		ff_session_replace(&s->counters, ff_session_counters(h->counters, h->n_counters));
		ff_session_replace(&s->exporters, ff_session_exporters(h));
		ff_session_interfaces(s, h, now_ms);
		ff_session_exps(s, h, now_ms);
		ff_session_log_change(s, change);
	}
	pthread_mutex_unlock(&r->mu);
	return change;
}

int ff_sessions_batch(ff_sessions *r, const ff_batch *b, bool duplicate, const char *peer,
		      uint64_t now_ms)
{
	pthread_mutex_lock(&r->mu);
	bool created;
	int change = -1;
	ff_session *s = ff_sessions_get(r, b->agent_id, &created);
	if (s != NULL) {
		change = ff_session_set_epoch(s, b->epoch);
		if (created)
			change = FF_SESSION_NEW;
		ff_session_seen(s, peer, now_ms);
		if (duplicate) {
			s->duplicates++;
		} else {
			s->batches++;
			s->records += b->n_records;
		}
		ff_session_log_change(s, change);
	}
	pthread_mutex_unlock(&r->mu);
	return change;
}

void ff_sessions_state_conflict(ff_sessions *r, const char *id)
{
	pthread_mutex_lock(&r->mu);
	bool created;
	ff_session *s = ff_sessions_get(r, id, &created);
	if (s != NULL)
		s->state_conflicts++;
	pthread_mutex_unlock(&r->mu);
}

int ff_sessions_replay(ff_sessions *r, const ff_batch *b)
{
	pthread_mutex_lock(&r->mu);
	bool created;
	ff_session *s = ff_sessions_get(r, b->agent_id, &created);
	if (s != NULL) {
		ff_session_set_epoch(s, b->epoch);
		uint64_t start = b->interval_start_ms;
		ff_session_seen(s, NULL, start);
		ff_session_seen(s, NULL, start + b->interval_len_ms);
		s->batches++;
		s->records += b->n_records;
	}
	pthread_mutex_unlock(&r->mu);
	return s != NULL ? 0 : -1;
}

int ff_sessions_policy(ff_sessions *r, const char *id, uint64_t applied, uint64_t expected,
		       const char *refused_reason)
{
	pthread_mutex_lock(&r->mu);
	bool created;
	ff_session *s = ff_sessions_get(r, id, &created);
	if (s != NULL) {
		s->policy_applied = applied;
		s->policy_expected = expected;
		ff_session_copy_text(s->policy_error, refused_reason != NULL ? refused_reason : "");
	}
	pthread_mutex_unlock(&r->mu);
	return s != NULL ? 0 : -1;
}

size_t ff_sessions_count(ff_sessions *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* A copy, so the caller's document never shares nodes with the registry. */
static json_t *ff_session_copy_or(const json_t *v, json_t *fallback)
{
	if (v == NULL)
		return fallback;
	json_decref(fallback);
	return json_deep_copy(v);
}

/* The policy fields of an agent (docs/api.md); `o` may be NULL. */
static json_t *ff_session_policy_json(json_t *o, const ff_session *s)
{
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "state_conflicts", json_integer((json_int_t)s->state_conflicts));
	json_object_set_new(o, "policy_version", json_integer((json_int_t)s->policy_applied));
	json_object_set_new(o, "policy_expected", json_integer((json_int_t)s->policy_expected));
	json_object_set_new(o, "policy_current",
			    json_boolean(s->policy_applied == s->policy_expected));
	json_object_set_new(o, "policy_error",
			    s->policy_error[0] ? json_string(s->policy_error) : json_null());
	return o;
}

/* How many sFlow interfaces are kept for the agent, and refused of its last Hello; `o` may be NULL. */
static json_t *ff_session_ifs_fields(json_t *o, const ff_session *s)
{
	if (o == NULL)
		return NULL;
	size_t n = s->ifs != NULL ? ff__session_ifs_count(s->ifs) : 0;
	size_t refused = s->ifs != NULL ? ff__session_ifs_refused(s->ifs) : 0;
	json_object_set_new(o, "interfaces", json_integer((json_int_t)n));
	json_object_set_new(o, "interfaces_refused", json_integer((json_int_t)refused));
	return o;
}

static json_t *ff_session_to_json(const ff_session *s)
{
	char epoch[17];
	snprintf(epoch, sizeof epoch, "%016" PRIx64, s->epoch);
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
			 "id", s->id, "hostname", s->hostname, "address", s->address, "labels",
			 ff_session_copy_or(s->labels, json_object()), "epoch", epoch,
			 "protocol_version", (json_int_t)s->protocol_version, "version", s->version,
			 "first_seen_ms", (json_int_t)s->first_seen_ms, "last_seen_ms",
			 (json_int_t)s->last_seen_ms, "batches", (json_int_t)s->batches,
			 "duplicates", (json_int_t)s->duplicates, "records", (json_int_t)s->records,
			 "counters", ff_session_copy_or(s->counters, json_object()), "exporters",
			 ff_session_copy_or(s->exporters, json_array()));
	return ff_session_ifs_fields(ff_session_policy_json(o, s), s);
}

void ff_sessions_set_max(ff_sessions *r, size_t max)
{
	pthread_mutex_lock(&r->mu);
	r->max = max;
	pthread_mutex_unlock(&r->mu);
}

bool ff_sessions_admit(ff_sessions *r, const char *id)
{
	pthread_mutex_lock(&r->mu);
	bool found;
	(void)ff_sessions_search(r, id, &found);
	bool ok = found || r->max == 0 || r->n < r->max;
	if (!ok)
		r->refused++;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

uint64_t ff_sessions_refused(ff_sessions *r)
{
	pthread_mutex_lock(&r->mu);
	uint64_t n = r->refused;
	pthread_mutex_unlock(&r->mu);
	return n;
}

json_t *ff_sessions_to_json(ff_sessions *r)
{
	json_t *a = json_array();
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; a != NULL && i < r->n; i++) {
		if (json_array_append_new(a, ff_session_to_json(r->v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return a;
}

json_t *ff_sessions_interfaces_json(ff_sessions *r, const char *agent)
{
	json_t *a = json_array();
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; a != NULL && i < r->n; i++) {
		const ff_session *s = r->v[i];
		if (s->ifs == NULL || (agent != NULL && strcmp(agent, s->id) != 0))
			continue;
		if (ff__session_ifs_json(s->ifs, s->id, a) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return a;
}

json_t *ff_sessions_exporters_json(ff_sessions *r, const char *agent, uint64_t now_ms)
{
	json_t *a = json_array();
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; a != NULL && i < r->n; i++) {
		const ff_session *s = r->v[i];
		if (s->exps == NULL || (agent != NULL && strcmp(agent, s->id) != 0))
			continue;
		if (ff__session_exps_json(s->exps, s->id, now_ms, a) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return a;
}
