#ifndef FF_AGENT_TRUST_H
#define FF_AGENT_TRUST_H

/*
 * What the agent needs to talk CurveZMQ to the aggregator (issue 13,
 * docs/security.md): the aggregator's public key, given by the operator
 * (--server-key or --server-key-file), the agent's own key pair, kept as
 * "agent" in its state dir (common/ff_curve_key.h), and an optional
 * enrolment token (--enroll-token FILE) sent in every Hello so the
 * aggregator can accept a new key at once.
 */

#include "ff_curve_key.h"

#include <stdbool.h>
#include <stddef.h>

/* The aggregator takes tokens of at least 16 characters; an agent's file holds one. */
#define FF_AGENT_TOKEN_MIN 16
#define FF_AGENT_TOKEN_MAX 256

/* The key pair's name in the state dir: STATE/agent.key, STATE/agent.pub. */
#define FF_AGENT_KEY_NAME "agent"

/*
 * Reads an enrolment token file: one line (a trailing newline, CR and
 * surrounding blanks are ignored) of FF_AGENT_TOKEN_MIN..FF_AGENT_TOKEN_MAX
 * printable characters without white space. Refuses a missing, empty,
 * multi-line or overlong file, naming the file and what is wrong. On
 * success *token is malloc'd. Returns 0 or a negative ff_err code.
 */
int ff_agent_token_read(const char *path, char **token, char *err, size_t err_len);

/*
 * The aggregator's public key from --server-key (`text`) or
 * --server-key-file (`path`), exactly one of them non-NULL. Returns 0 or a
 * negative code with the option and the reason in err.
 */
int ff_agent_server_key(const char *text, const char *path, char out[FF_CURVE_Z85_LEN + 1],
			char *err, size_t err_len);

/*
 * Loads (or at first start creates) the agent's key pair in `state_dir` and
 * logs its public key and fingerprint at info, as every start does, so the
 * operator can compare it with `flowfleet agents pending`. Returns 0 or a
 * negative code with the reason in err.
 */
int ff_agent_keys_open(const char *state_dir, ff_curve_keypair *kp, char *err, size_t err_len);

#endif
