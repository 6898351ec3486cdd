/*
 * The per-message decision: the ZAP handler's yes/no for a key, and for
 * every Hello, batch and PolicyAck whether its key may speak for the agent
 * id it names. Unknown keys become pending entries here.
 */
#include "trust_impl.h"

#include "ff_log.h"
#include "ff_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Labels one pending Hello may make us keep, as the session registry. */
#define FF_TRUST_MAX_LABELS 64
/* When the pending table is full, an entry silent this long makes room. */
#define FF_TRUST_PENDING_STALE_MS (10 * 60 * 1000)

/* True when a refusal about this key may be logged now (at most once a minute). */
static bool ff_trust_may_log(uint64_t *last_ms, uint64_t now_ms)
{
	if (*last_ms != 0 && now_ms - *last_ms < FF_TRUST_LOG_EVERY_MS)
		return false;
	*last_ms = now_ms;
	return true;
}

static const char *ff_trust_state_name(enum ff__trust_state s)
{
	return s == FF__TRUST_ACCEPTED	 ? "accepted"
	       : s == FF__TRUST_REJECTED ? "rejected"
					 : "revoked";
}

bool ff_trust_zap_allows(ff_trust *t, const char *key)
{
	pthread_mutex_lock(&t->mu);
	ff__trust_key *k = ff__trust_find(t, key);
	bool ok = k == NULL || k->state == FF__TRUST_ACCEPTED;
	if (!ok) {
		ff_trust_count(t, k->state == FF__TRUST_REJECTED ? FF_TRUST_R_REJECTED
								 : FF_TRUST_R_REVOKED);
		uint64_t now = ff_time_now_ms();
		if (ff_trust_may_log(&k->last_log_ms, now))
			ff_log_warn("trust: handshake of %s key %s (agent %s) refused",
				    ff_trust_state_name(k->state), k->fp, k->agent_id);
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

static ff__trust_pending *ff_trust_pending_find(ff_trust *t, const char *key)
{
	for (size_t i = 0; i < t->n_pending; i++)
		if (strcmp(t->pending[i].key, key) == 0)
			return &t->pending[i];
	return NULL;
}

/* Removes the pending entry of `key`, if any. Caller holds mu. */
static void ff_trust_pending_drop(ff_trust *t, const char *key)
{
	ff__trust_pending *p = ff_trust_pending_find(t, key);
	if (p == NULL)
		return;
	size_t i = (size_t)(p - t->pending);
	json_decref(p->labels);
	memmove(p, p + 1, (t->n_pending - i - 1) * sizeof *p);
	t->n_pending--;
}

/* Makes room by dropping the entry silent longest, if it is stale. */
static bool ff_trust_pending_room(ff_trust *t, uint64_t now_ms)
{
	if (t->n_pending < t->max_pending)
		return true;
	size_t oldest = 0;
	for (size_t i = 1; i < t->n_pending; i++)
		if (t->pending[i].last_ms < t->pending[oldest].last_ms)
			oldest = i;
	if (t->n_pending == 0 || now_ms - t->pending[oldest].last_ms < FF_TRUST_PENDING_STALE_MS)
		return false;
	char key[FF_CURVE_Z85_LEN + 1];
	memcpy(key, t->pending[oldest].key, sizeof key);
	ff_trust_pending_drop(t, key);
	return true;
}

static json_t *ff_trust_labels(const ff_trust_claim *c)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < c->n_labels && i < FF_TRUST_MAX_LABELS; i++) {
		char k[FF_TRUST_MAX_TEXT + 1], v[FF_TRUST_MAX_TEXT + 1];
		ff__trust_copy_text(k, sizeof k, c->label_keys[i]);
		ff__trust_copy_text(v, sizeof v, c->label_values[i]);
		json_object_set_new(o, k, json_string(v));
	}
	return o;
}

/* A new pending entry (its pending-seen line written); NULL when there is no room. */
static ff__trust_pending *ff_trust_pending_add(ff_trust *t, const ff_trust_claim *c, const char *fp,
					       uint64_t now_ms)
{
	if (!ff_trust_pending_room(t, now_ms)) {
		ff_trust_count(t, FF_TRUST_R_PENDING_FULL);
		if (ff_trust_may_log(&t->full_log_ms, now_ms))
			ff_log_warn("trust: key %s (agent %s) from %s not recorded: %zu keys are "
				    "pending already (--max-pending); accept or reject some",
				    fp, c->agent_id, c->peer ? c->peer : "?", t->n_pending);
		return NULL;
	}
	ff__trust_pending *p = &t->pending[t->n_pending++];
	memset(p, 0, sizeof *p);
	snprintf(p->key, sizeof p->key, "%s", c->key);
	snprintf(p->fp, sizeof p->fp, "%s", fp);
	p->first_ms = now_ms;
	char why[FF_TRUST_MAX_TEXT + 1];
	snprintf(why, sizeof why, "first seen from %.64s", c->peer ? c->peer : "?");
	int rc;
	ff__trust_record(t, "pending-seen", c->key, fp, c->agent_id, now_ms, "ingest", why, &rc);
	return p;
}

/* Records or refreshes the pending entry of the claim's key. */
static void ff_trust_pending_note(ff_trust *t, const ff_trust_claim *c, const char *fp,
				  const char *reason, uint64_t now_ms)
{
	ff__trust_pending *p = ff_trust_pending_find(t, c->key);
	if (p == NULL && (p = ff_trust_pending_add(t, c, fp, now_ms)) == NULL)
		return;
	snprintf(p->agent_id, sizeof p->agent_id, "%s", c->agent_id);
	if (c->peer != NULL)
		ff__trust_copy_text(p->address, sizeof p->address, c->peer);
	if (c->hello) {
		ff__trust_copy_text(p->hostname, sizeof p->hostname, c->hostname);
		json_decref(p->labels);
		p->labels = ff_trust_labels(c);
	}
	/* A Hello says why best (its token); a batch only adds what it sees: a conflict. */
	if (c->hello || p->reason == NULL || strcmp(reason, "id conflict") == 0)
		p->reason = reason;
	p->last_ms = now_ms;
	p->count++;
	if (ff_trust_may_log(&p->last_log_ms, now_ms))
		ff_log_warn("trust: %s %s claims agent %s from %s (host %s): pending, nothing "
			    "stored; 'flowfleet agents accept %s' admits it",
			    reason, fp, p->agent_id, p->address[0] ? p->address : "?",
			    p->hostname[0] ? p->hostname : "?", fp);
}

static enum ff_trust_verdict ff_trust_known(ff_trust *t, ff__trust_key *k, const ff_trust_claim *c,
					    uint64_t now_ms)
{
	if (k->state == FF__TRUST_ACCEPTED && strcmp(k->agent_id, c->agent_id) == 0) {
		ff__trust_conn_note(&k->conn, c->fd);
		return FF_TRUST_OK;
	}
	if (k->state == FF__TRUST_ACCEPTED) {
		ff_trust_count(t, FF_TRUST_R_SPOOFED_ID);
		if (ff_trust_may_log(&k->last_log_ms, now_ms))
			ff_log_warn(
			    "trust: key %s of agent %s claimed agent id %s from %s: refused "
			    "(spoofed id)",
			    k->fp, k->agent_id, c->agent_id, c->peer ? c->peer : "?");
		return FF_TRUST_SPOOFED;
	}
	/* Its handshake predates the decision: the connection goes now. */
	ff_trust_count(t,
		       k->state == FF__TRUST_REJECTED ? FF_TRUST_R_REJECTED : FF_TRUST_R_REVOKED);
	ff__trust_conn once = {.fd = -1};
	ff__trust_conn_note(&once, c->fd);
	bool cut = ff__trust_conn_cut(&once);
	if (ff_trust_may_log(&k->last_log_ms, now_ms))
		ff_log_warn("trust: message of %s key %s (agent %s) from %s refused%s",
			    ff_trust_state_name(k->state), k->fp, c->agent_id,
			    c->peer ? c->peer : "?", cut ? ", connection cut" : "");
	return FF_TRUST_REFUSED;
}

/* A Hello's token: binds the key when valid and the id free; *reason says otherwise. */
static bool ff_trust_enrol(ff_trust *t, const ff_trust_claim *c, const char *fp, bool id_free,
			   uint64_t now_ms, const char **reason)
{
	if (!c->hello || c->token == NULL || c->token[0] == '\0')
		return false;
	enum ff_trust_token_result r = ff_trust_tokens_check(t->tokens, c->token, now_ms);
	if (r != FF_TRUST_TOKEN_VALID) {
		ff_trust_count(t, FF_TRUST_R_BAD_TOKEN);
		*reason = r == FF_TRUST_TOKEN_EXPIRED ? "expired token" : "bad token";
		return false;
	}
	if (!id_free)
		return false;
	char why[FF_TRUST_MAX_TEXT + 1];
	snprintf(why, sizeof why, "valid enrolment token, from %.64s host %.64s",
		 c->peer ? c->peer : "?", c->hostname ? c->hostname : "?");
	int rc;
	ff__trust_key *k = ff__trust_record(t, "accepted", c->key, fp, c->agent_id, now_ms,
					    "enroll-token", why, &rc);
	if (k == NULL)
		return false;
	ff_trust_pending_drop(t, c->key);
	ff__trust_conn_note(&k->conn, c->fd);
	ff_log_info("trust: key %s accepted as agent %s by its enrolment token (from %s)", fp,
		    c->agent_id, c->peer ? c->peer : "?");
	return true;
}

static enum ff_trust_verdict ff_trust_unknown(ff_trust *t, const ff_trust_claim *c, uint64_t now_ms)
{
	char fp[FF_CURVE_FP_LEN + 1];
	if (ff_curve_key_fingerprint(c->key, fp) != 0) {
		ff_trust_count(t, FF_TRUST_R_UNKNOWN_KEY);
		if (ff_trust_may_log(&t->nokey_log_ms, now_ms))
			ff_log_warn("trust: a message from %s carries no valid key: refused",
				    c->peer ? c->peer : "?");
		return FF_TRUST_REFUSED;
	}
	bool id_free = ff__trust_bound(t, c->agent_id) == NULL;
	const char *reason = id_free ? "unknown key" : "id conflict";
	if (ff_trust_enrol(t, c, fp, id_free, now_ms, &reason))
		return FF_TRUST_OK;
	if (!id_free)
		reason = "id conflict";
	ff_trust_count(t, id_free ? FF_TRUST_R_UNKNOWN_KEY : FF_TRUST_R_ID_CONFLICT);
	ff_trust_pending_note(t, c, fp, reason, now_ms);
	return FF_TRUST_PENDING;
}

enum ff_trust_verdict ff_trust_check(ff_trust *t, const ff_trust_claim *c, uint64_t now_ms)
{
	if (c->key == NULL) {
		ff_trust_count(t, FF_TRUST_R_UNKNOWN_KEY);
		return FF_TRUST_REFUSED;
	}
	pthread_mutex_lock(&t->mu);
	ff__trust_key *k = ff__trust_find(t, c->key);
	enum ff_trust_verdict v =
	    k != NULL ? ff_trust_known(t, k, c, now_ms) : ff_trust_unknown(t, c, now_ms);
	pthread_mutex_unlock(&t->mu);
	return v;
}

/* --- what the API shows --------------------------------------------------- */

static json_t *ff_trust_pending_entry_json(const ff__trust_pending *p)
{
	json_t *labels = p->labels != NULL ? json_deep_copy(p->labels) : json_object();
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:s}", "fingerprint", p->fp,
			 "key", p->key, "agent_id", p->agent_id, "hostname", p->hostname, "labels",
			 labels, "address", p->address, "first_seen_ms", (json_int_t)p->first_ms,
			 "last_seen_ms", (json_int_t)p->last_ms, "count", (json_int_t)p->count,
			 "reason", p->reason != NULL ? p->reason : "unknown key");
}

json_t *ff_trust_pending_json(ff_trust *t)
{
	json_t *a = json_array();
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; a != NULL && i < t->n_pending; i++)
		if (json_array_append_new(a, ff_trust_pending_entry_json(&t->pending[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	pthread_mutex_unlock(&t->mu);
	return a;
}

size_t ff_trust_pending_count(ff_trust *t)
{
	pthread_mutex_lock(&t->mu);
	size_t n = t->n_pending;
	pthread_mutex_unlock(&t->mu);
	return n;
}

void ff__trust_pending_remove(ff_trust *t, const char *key)
{
	ff_trust_pending_drop(t, key);
}

ff__trust_pending *ff__trust_pending_lookup(ff_trust *t, const char *which, size_t *matches)
{
	ff__trust_pending *hit = NULL;
	*matches = 0;
	for (size_t i = 0; i < t->n_pending; i++) {
		if (strcmp(t->pending[i].fp, which) == 0) {
			*matches = 1;
			return &t->pending[i];
		}
	}
	for (size_t i = 0; i < t->n_pending; i++)
		if (strcmp(t->pending[i].agent_id, which) == 0) {
			hit = hit != NULL ? hit : &t->pending[i];
			(*matches)++;
		}
	return hit;
}
