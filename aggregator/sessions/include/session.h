#ifndef FF_SESSION_H
#define FF_SESSION_H

/*
 * The registry of agents the aggregator has heard from: who they are (from
 * their Hello), where they connect from, and what we stored for them.
 * `batches`, `duplicates` and `records` are the aggregator's own counts and
 * are rebuilt from the store at start; the agent's counters and exporters
 * are whatever its last Hello (heartbeat) said.
 *
 * Thread-safe: the ingest thread updates it while HTTP handlers read it.
 * Every string from the wire is bounded and made printable before it is
 * kept, so a hostile Hello costs bounded memory and yields valid JSON.
 */

#include "ff_batch.h"
#include "flowfleet.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what one Hello may make us keep. */
#define FF_SESSION_MAX_TEXT	 255
#define FF_SESSION_MAX_LABELS	 64
#define FF_SESSION_MAX_COUNTERS	 256
#define FF_SESSION_MAX_EXPORTERS 1024
/*
 * sFlow interfaces kept per agent, each with two samples (about 300 bytes):
 * a switch stack's worth, 1.2 MB an agent at most. Past it new interfaces
 * are refused, counted in flowfleet_agent_sflow_interfaces_refused.
 */
#define FF_SESSION_MAX_INTERFACES 4096

typedef struct ff_sessions ff_sessions;

/* What an update did, so the caller can log it. */
enum ff_session_change {
	FF_SESSION_SAME = 0,
	FF_SESSION_NEW = 1,   /* first time we hear from this agent id */
	FF_SESSION_EPOCH = 2, /* the agent restarted without its state */
};

/* A new, empty registry (NULL when out of memory). Free with ff_sessions_free(). */
ff_sessions *ff_sessions_new(void);
void ff_sessions_free(ff_sessions *r);

/*
 * Bounds the agents a live connection may add (0: no bound). Agents found
 * in the store at start always count (their data is there); past the bound a
 * new agent id is refused by ff_sessions_admit(), so one socket claiming
 * thousands of ids cannot grow the registry and /api/v1/agents without end.
 */
void ff_sessions_set_max(ff_sessions *r, size_t max);

/* True when `id` is known or may be added; false (counted) when the registry is full. */
bool ff_sessions_admit(ff_sessions *r, const char *id);

/* New agent ids refused since the start because the registry was full. */
uint64_t ff_sessions_refused(ff_sessions *r);

/*
 * Records a Hello from `peer` (the address ZeroMQ reports, may be NULL).
 * The agent id must already be valid (ff_agent_id_valid). Returns an
 * ff_session_change, or -1 when out of memory.
 */
int ff_sessions_hello(ff_sessions *r, const Flowfleet__Hello *h, const char *peer, uint64_t now_ms);

/*
 * Records a batch that was stored (duplicate false) or acknowledged as a
 * duplicate. An agent heard from for the first time through a batch is
 * registered with what the batch tells. Returns an ff_session_change or -1.
 */
int ff_sessions_batch(ff_sessions *r, const ff_batch *b, bool duplicate, const char *peer,
		      uint64_t now_ms);

/*
 * Counts, for agent `id`, a batch whose identity (epoch, sequence) was
 * already stored with other content: the agent's state restored or cloned.
 */
void ff_sessions_state_conflict(ff_sessions *r, const char *id);

/*
 * Counts a batch found in the store at start. first/last seen are set from
 * the batch's interval, the best evidence of when the agent was alive.
 */
int ff_sessions_replay(ff_sessions *r, const ff_batch *b);

/*
 * Records the policy state of agent `id` (created if unknown): the version
 * it applies, the version that applies to it (0: none) and, when it refused
 * that one, why (NULL otherwise). Returns 0, or -1 when out of memory.
 */
int ff_sessions_policy(ff_sessions *r, const char *id, uint64_t applied, uint64_t expected,
		       const char *refused_reason);

size_t ff_sessions_count(ff_sessions *r);

/*
 * The "agents" array of GET /api/v1/agents (docs/api.md), sorted by id.
 * Returns a new reference the caller json_decref()s, or NULL when out of memory.
 */
json_t *ff_sessions_to_json(ff_sessions *r);

/*
 * The "interfaces" array of GET /api/v1/interfaces (docs/api.md): every
 * agent's sFlow interface counters, or only agent `agent`'s (NULL: all),
 * sorted by agent, exporter and ifIndex. Returns a new reference the caller
 * json_decref()s, or NULL when out of memory.
 */
json_t *ff_sessions_interfaces_json(ff_sessions *r, const char *agent);

/*
 * The "exporters" array of GET /api/v1/exporters (docs/api.md): every
 * exporter of every agent, or of agent `agent` only (NULL: all), sorted by
 * agent then address, each with its diagnosis at `now_ms` (the
 * aggregator's clock; docs/operations.md). Returns a new reference the
 * caller json_decref()s, or NULL when out of memory.
 */
json_t *ff_sessions_exporters_json(ff_sessions *r, const char *agent, uint64_t now_ms);

struct ff_prom;

/*
 * Adds the registry to a /metrics scrape (docs/metrics.md): the agents
 * known, and per agent what the aggregator counts and what its last Hello
 * said of itself and its exporters, at most `max_series` series an agent
 * (the rest counted in flowfleet_metrics_series_dropped). Returns 0 or a
 * negative errno (ff_prom.h).
 */
int ff_sessions_metrics(ff_sessions *r, struct ff_prom *p, uint64_t now_ms, size_t max_series);

/* The default per-agent series bound: ten exporters of every counter fit in it. */
#define FF_SESSIONS_METRICS_MAX_SERIES 2000

#endif
