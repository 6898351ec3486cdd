#ifndef FF_TRUST_IMPL_H
#define FF_TRUST_IMPL_H

/*
 * What the trust's files share (trust_store.c reads and appends the log,
 * trust_check.c decides messages, trust_decide.c the operator's decisions,
 * trust_conn.c remembers and cuts connections). Not an interface: ff__ names.
 */

#include "ff_batch.h"
#include "ff_curve_key.h"
#include "trust.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FF_TRUST_MAX_TEXT 255
/* One refusal log line per key in this many milliseconds at most. */
#define FF_TRUST_LOG_EVERY_MS 60000

enum ff__trust_state { FF__TRUST_ACCEPTED, FF__TRUST_REJECTED, FF__TRUST_REVOKED };

/* The TCP connection a key's last message came over: both ends identify it. */
typedef struct ff__trust_conn {
	int fd; /* -1: none known */
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;
} ff__trust_conn;

/* A decided key: its latest accepted/rejected/revoked line. */
typedef struct ff__trust_key {
	char key[FF_CURVE_Z85_LEN + 1];
	char fp[FF_CURVE_FP_LEN + 1];
	enum ff__trust_state state;
	char agent_id[FF_AGENT_ID_MAX + 1]; /* bound when accepted; the last binding otherwise */
	uint64_t since_ms;
	char by[FF_TRUST_MAX_TEXT + 1];
	char why[FF_TRUST_MAX_TEXT + 1];
	uint64_t events; /* lines of this key in the log */
	ff__trust_conn conn;
	uint64_t last_log_ms;
} ff__trust_key;

/* A key seen but never decided; memory only. */
typedef struct ff__trust_pending {
	char key[FF_CURVE_Z85_LEN + 1];
	char fp[FF_CURVE_FP_LEN + 1];
	char agent_id[FF_AGENT_ID_MAX + 1];
	char hostname[FF_TRUST_MAX_TEXT + 1];
	char address[FF_TRUST_MAX_TEXT + 1];
	const char *reason; /* "unknown key", "id conflict", "bad token" */
	json_t *labels;	    /* owned */
	uint64_t first_ms, last_ms, count, last_log_ms;
} ff__trust_pending;

struct ff_trust {
	pthread_mutex_t mu;
	int fd; /* O_APPEND */
	char path[PATH_MAX];
	off_t size;	      /* bytes of whole lines */
	ff__trust_key **keys; /* sorted by key */
	size_t n_keys, cap_keys;
	ff__trust_pending *pending; /* in order of arrival */
	size_t n_pending, max_pending;
	ff_trust_tokens *tokens;
	uint64_t full_log_ms, nokey_log_ms;
	_Atomic uint64_t refused[FF_TRUST_R_COUNT];
};

/* trust_store.c */

/* Parses a whole log held in buf[0..len) into t (the loader, also fuzzed). */
int ff__trust_load_buffer(ff_trust *t, char *buf, size_t len, size_t *whole, char *err,
			  size_t err_len);

/* An empty trust without a file, for ff__trust_load_buffer (fuzzing). */
ff_trust *ff__trust_new(size_t max_pending);

/* The decided key `key` (Z85), or NULL. Caller holds mu. */
ff__trust_key *ff__trust_find(ff_trust *t, const char *key);

/* The accepted key bound to `agent_id`, or NULL. Caller holds mu. */
ff__trust_key *ff__trust_bound(ff_trust *t, const char *agent_id);

/*
 * Appends the event durably, then applies it to the key table (creating
 * the key) unless op is "pending-seen". Caller holds mu. Returns the key
 * (NULL for pending-seen) or NULL with *rc < 0 (nothing changed).
 */
ff__trust_key *ff__trust_record(ff_trust *t, const char *op, const char *key, const char *fp,
				const char *agent_id, uint64_t now_ms, const char *by,
				const char *why, int *rc);

/* Copies untrusted text, bounded, with anything but printable ASCII as '?'. */
void ff__trust_copy_text(char *dst, size_t dst_len, const char *src);

/* trust_conn.c */

/* Remembers the connection of fd (looked up only when fd changes). */
void ff__trust_conn_note(ff__trust_conn *c, int fd);

/* Cuts the remembered connection if fd still is that connection; returns true if cut. */
bool ff__trust_conn_cut(ff__trust_conn *c);

/* trust_check.c */

/* Removes the pending entry of `key`, if any. Caller holds mu. */
void ff__trust_pending_remove(ff_trust *t, const char *key);

/*
 * The pending entry whose fingerprint is `which`, else the first whose
 * claimed id is; *matches counts the entries that match. Caller holds mu.
 */
ff__trust_pending *ff__trust_pending_lookup(ff_trust *t, const char *which, size_t *matches);

/* trust_decide.c */
json_t *ff__trust_key_json(const ff__trust_key *k);

#endif
