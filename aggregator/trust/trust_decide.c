/*
 * The operator's decisions (accept, reject, revoke a key by fingerprint or
 * agent id) and the JSON the API shows of decided keys.
 */
#include "trust_impl.h"

#include "ff_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ff_trust_state_word(enum ff__trust_state s)
{
	return s == FF__TRUST_ACCEPTED	 ? "accepted"
	       : s == FF__TRUST_REJECTED ? "rejected"
					 : "revoked";
}

json_t *ff__trust_key_json(const ff__trust_key *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "fingerprint", k->fp, "key",
			 k->key, "agent_id", k->agent_id, "state", ff_trust_state_word(k->state),
			 "since_ms", (json_int_t)k->since_ms, "by", k->by, "why", k->why, "events",
			 (json_int_t)k->events);
}

/* The decided key with fingerprint `which`, else the latest in `state` bound to id `which`. */
static ff__trust_key *ff_trust_key_lookup(ff_trust *t, const char *which, int state, bool not )
{
	ff__trust_key *best = NULL;
	for (size_t i = 0; i < t->n_keys; i++) {
		ff__trust_key *k = t->keys[i];
		bool in_state = not ? (int)k->state != state : (int)k->state == state;
		if (in_state && strcmp(k->fp, which) == 0)
			return k;
		if (in_state && strcmp(k->agent_id, which) == 0 &&
		    (best == NULL || k->since_ms > best->since_ms))
			best = k;
	}
	return best;
}

/* Writes the decision; the key table follows the log. Caller holds mu. */
static int ff_trust_write_decision(ff_trust *t, const char *op, const char *key, const char *fp,
				   const char *id, const char *who, const char *why,
				   uint64_t now_ms, ff__trust_key **out, char *err, size_t err_len)
{
	int rc;
	*out = ff__trust_record(t, op, key, fp, id, now_ms, who, why, &rc);
	if (*out == NULL) {
		snprintf(err, err_len, "the allow-list %s could not be written; nothing changed",
			 t->path);
		return FF_TRUST_EWRITE;
	}
	ff__trust_pending_remove(t, key);
	ff_log_info("trust: key %s %s as agent %s by %s%s%s", fp, op, id, who, why[0] ? ": " : "",
		    why);
	return 0;
}

static int ff_trust_ambiguous(size_t matches, const char *which, char *err, size_t err_len)
{
	snprintf(err, err_len, "%zu pending keys claim agent id '%s'; name one by its fingerprint",
		 matches, which);
	return FF_TRUST_ECONFLICT;
}

static int ff_trust_accept(ff_trust *t, const char *which, const char *who, const char *why,
			   uint64_t now_ms, ff__trust_key **out, char *err, size_t err_len)
{
	size_t matches;
	ff__trust_pending *p = ff__trust_pending_lookup(t, which, &matches);
	if (matches > 1)
		return ff_trust_ambiguous(matches, which, err, err_len);
	ff__trust_key *k =
	    p == NULL ? ff_trust_key_lookup(t, which, FF__TRUST_ACCEPTED, true) : NULL;
	if (p == NULL && k == NULL) {
		ff__trust_key *a = ff_trust_key_lookup(t, which, FF__TRUST_ACCEPTED, false);
		if (a != NULL) {
			snprintf(err, err_len, "key %s is accepted already (agent %s)", a->fp,
				 a->agent_id);
			return FF_TRUST_ECONFLICT;
		}
		snprintf(err, err_len,
			 "no pending, rejected or revoked key has fingerprint or agent id '%s'",
			 which);
		return FF_TRUST_ENOTFOUND;
	}
	const char *key = p != NULL ? p->key : k->key, *fp = p != NULL ? p->fp : k->fp;
	char id[FF_AGENT_ID_MAX + 1];
	snprintf(id, sizeof id, "%s", p != NULL ? p->agent_id : k->agent_id);
	ff__trust_key *bound = ff__trust_bound(t, id);
	if (bound != NULL) {
		snprintf(err, err_len, "agent id '%s' is bound to key %s; revoke that key first",
			 id, bound->fp);
		return FF_TRUST_ECONFLICT;
	}
	char key_copy[FF_CURVE_Z85_LEN + 1], fp_copy[FF_CURVE_FP_LEN + 1];
	snprintf(key_copy, sizeof key_copy, "%s", key);
	snprintf(fp_copy, sizeof fp_copy, "%s", fp);
	return ff_trust_write_decision(t, "accepted", key_copy, fp_copy, id, who, why, now_ms, out,
				       err, err_len);
}

/* reject (a pending or accepted key) and revoke (an accepted key); both cut the connection. */
static int ff_trust_refuse(ff_trust *t, enum ff_trust_op op, const char *which, const char *who,
			   const char *why, uint64_t now_ms, ff__trust_key **out, char *err,
			   size_t err_len)
{
	size_t matches = 0;
	ff__trust_pending *p =
	    op == FF_TRUST_REJECT ? ff__trust_pending_lookup(t, which, &matches) : NULL;
	if (matches > 1)
		return ff_trust_ambiguous(matches, which, err, err_len);
	ff__trust_key *k =
	    p == NULL ? ff_trust_key_lookup(t, which, FF__TRUST_ACCEPTED, false) : NULL;
	if (p == NULL && k == NULL) {
		snprintf(err, err_len, "no %s key has fingerprint or agent id '%s'",
			 op == FF_TRUST_REJECT ? "pending or accepted" : "accepted", which);
		return FF_TRUST_ENOTFOUND;
	}
	char key[FF_CURVE_Z85_LEN + 1], fp[FF_CURVE_FP_LEN + 1], id[FF_AGENT_ID_MAX + 1];
	snprintf(key, sizeof key, "%s", p != NULL ? p->key : k->key);
	snprintf(fp, sizeof fp, "%s", p != NULL ? p->fp : k->fp);
	snprintf(id, sizeof id, "%s", p != NULL ? p->agent_id : k->agent_id);
	int rc = ff_trust_write_decision(t, op == FF_TRUST_REJECT ? "rejected" : "revoked", key, fp,
					 id, who, why, now_ms, out, err, err_len);
	if (rc == 0 && ff__trust_conn_cut(&(*out)->conn))
		ff_log_info("trust: the connection of key %s (agent %s) was cut", fp, id);
	return rc;
}

int ff_trust_decide(ff_trust *t, enum ff_trust_op op, const char *which, const char *who,
		    const char *why, uint64_t now_ms, json_t **record, char *err, size_t err_len)
{
	ff__trust_key *k = NULL;
	*record = NULL;
	pthread_mutex_lock(&t->mu);
	int rc = op == FF_TRUST_ACCEPT
		     ? ff_trust_accept(t, which, who, why, now_ms, &k, err, err_len)
		     : ff_trust_refuse(t, op, which, who, why, now_ms, &k, err, err_len);
	if (rc == 0)
		*record = ff__trust_key_json(k);
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static int ff_trust_by_id(const void *a, const void *b)
{
	const ff__trust_key *const *x = a, *const *y = b;
	int c = strcmp((*x)->agent_id, (*y)->agent_id);
	return c != 0 ? c : strcmp((*x)->fp, (*y)->fp);
}

json_t *ff_trust_keys_json(ff_trust *t)
{
	json_t *a = json_array();
	pthread_mutex_lock(&t->mu);
	ff__trust_key **v = calloc(t->n_keys + 1, sizeof *v);
	if (v != NULL && t->n_keys > 0) {
		memcpy(v, t->keys, t->n_keys * sizeof *v);
		qsort(v, t->n_keys, sizeof *v, ff_trust_by_id);
	}
	for (size_t i = 0; a != NULL && v != NULL && i < t->n_keys; i++)
		if (json_array_append_new(a, ff__trust_key_json(v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	pthread_mutex_unlock(&t->mu);
	if (v == NULL) {
		json_decref(a);
		a = NULL;
	}
	free(v);
	return a;
}

size_t ff_trust_accepted_count(ff_trust *t)
{
	pthread_mutex_lock(&t->mu);
	size_t n = 0;
	for (size_t i = 0; i < t->n_keys; i++)
		n += t->keys[i]->state == FF__TRUST_ACCEPTED;
	pthread_mutex_unlock(&t->mu);
	return n;
}
