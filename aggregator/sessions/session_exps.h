#ifndef FF_SESSION_EXPS_H
#define FF_SESSION_EXPS_H

/*
 * One agent's exporters as its Hellos described them, with a short history
 * of their counters so the diagnosis (exporter_diag.h) can take deltas over
 * the last FF_DIAG_WINDOW_MS: sequence loss, drops, malformed datagrams.
 *
 * Bounded: at most `max` exporters an agent (the rest of a Hello is not
 * kept), FF_EXPS_HISTORY samples each, spaced at least FF_EXPS_SPACING_MS
 * apart but for the newest (which each Hello replaces until it is that far
 * from the one before), so the history reaches back past the window: about
 * 2.3 KB an exporter, 2.3 MB for an agent of 1,024. An exporter the agent
 * stops reporting (it restarted) goes; a restart of the agent (another
 * start time) or a counter going back clears the history. Times are the
 * agent's clock (Hello.sent_ms), the aggregator's clock only for agents
 * that send none. Not thread-safe: the registry's lock guards it.
 */

#include "exporter_diag.h"
#include "ff_flow.h"
#include "flowfleet.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_EXPS_HISTORY	   18
#define FF_EXPS_SPACING_MS 20000

typedef struct ff__session_exps ff__session_exps;
struct ff_prom;

/* An empty table of at most `max` exporters, or NULL when out of memory. */
ff__session_exps *ff__session_exps_new(size_t max);
void ff__session_exps_free(ff__session_exps *t);

/*
 * Takes the exporters of one Hello (borrowed), received at `now_ms` by the
 * aggregator's clock. Returns 0, or -ENOMEM with the table partly updated.
 */
int ff__session_exps_update(ff__session_exps *t, const Flowfleet__Hello *h, uint64_t now_ms);

size_t ff__session_exps_count(const ff__session_exps *t);

/*
 * The diagnosis input of exporter `i` (0 .. count-1, sorted by address) at
 * `now_ms` (the aggregator's clock); `in->missing` points into the table
 * until the next update. Sets `addr` to the exporter's address.
 */
void ff__session_exps_input(const ff__session_exps *t, size_t i, uint64_t now_ms, ff_diag_input *in,
			    uint8_t addr[FF_ADDR_LEN]);

/*
 * Appends one object per exporter (docs/api.md, GET /api/v1/exporters),
 * sorted by address, each naming `agent`, to array `a`. Returns 0 or -ENOMEM.
 */
int ff__session_exps_json(const ff__session_exps *t, const char *agent, uint64_t now_ms, json_t *a);

/* Declares flowfleet_exporter_state (docs/metrics.md). Returns 0 or ff_prom's error. */
int ff__session_exps_declare(struct ff_prom *p);

/*
 * Adds flowfleet_exporter_state{agent,exporter,state} 1 for every state that
 * applies to each exporter, while *budget lasts; each series added takes one
 * from *budget, each left out adds one to *dropped. Returns 0 or ff_prom's error.
 */
int ff__session_exps_metrics(const ff__session_exps *t, struct ff_prom *p, const char *agent,
			     uint64_t now_ms, size_t *budget, size_t *dropped);

#endif
