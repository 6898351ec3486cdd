#ifndef FF_POLICY_STORE_H
#define FF_POLICY_STORE_H

/*
 * Central policies, durable with their whole history (docs/policy.md).
 * Every policy ever stored is one JSON line of DATA_DIR/policies.log,
 * appended and fsync'd before ff_policy_store_add() returns; versions are
 * 1, 2, 3, ... in the order of storing. The current policy of a target is
 * the latest one stored for that exact target text.
 *
 * Which policy applies to an agent: among the current policies whose target
 * matches the agent's labels, the most specific (most label pairs; a target
 * of every agent counts 0) wins, and among equally specific ones the latest.
 *
 * Thread-safe: the HTTP thread adds and lists while the ingest thread
 * selects. ff_policy_store_generation() changes after every add, so the
 * ingest thread can notice a change without a lock.
 */

#include "ff_policy.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_policy_store ff_policy_store;

/* The file under the data directory. */
#define FF_POLICY_STORE_FILE "policies.log"

/*
 * Opens (creating) DATA_DIR/policies.log and reads its history. A last line
 * cut short by a crash (no final newline) is dropped and cut off the file;
 * any other line that does not parse is an error naming file and line, as
 * skipping it could silently bring back an older policy. Returns the store,
 * or NULL with the reason in `err`.
 */
ff_policy_store *ff_policy_store_open(const char *data_dir, char *err, size_t err_len);

void ff_policy_store_close(ff_policy_store *s);

/*
 * Validates `p` (ff_policy_validate), gives it the next version and
 * created_ms = now_ms, and appends it durably. `p` is borrowed; on success
 * p->version and p->created_ms are set. Returns 0; -1 with the validation
 * message in `err` when the policy is refused (nothing stored); -2 with the
 * reason when it could not be written (nothing stored either).
 */
int ff_policy_store_add(ff_policy_store *s, ff_policy_spec *p, uint64_t now_ms, char *err,
			size_t err_len);

/*
 * The policy that applies to an agent with labels keys[i]=values[i], deep
 * copied into *out (caller clears it with ff_policy_spec_clear()). Returns
 * 1 when one applies, 0 when none does, -1 when out of memory.
 */
int ff_policy_store_select(ff_policy_store *s, const char *const *keys, const char *const *values,
			   size_t n, ff_policy_spec *out);

/* Changes after every successful add; readable without the lock. */
uint64_t ff_policy_store_generation(const ff_policy_store *s);

/* One policy as the API shows it (docs/api.md). A new reference, NULL when out of memory. */
json_t *ff_policy_spec_to_json(const ff_policy_spec *p);

/*
 * The current policy of every target, sorted by target ("" first)
 * (current true), or the whole history, oldest first (current false).
 * A new JSON array reference; NULL when out of memory.
 */
json_t *ff_policy_store_list_json(ff_policy_store *s, bool current);

#endif
