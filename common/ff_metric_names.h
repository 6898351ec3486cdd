#ifndef FF_METRIC_NAMES_H
#define FF_METRIC_NAMES_H

/*
 * The Prometheus names of the agent's counters (docs/metrics.md): the
 * agent's own ("udp.datagrams") and its exporters' ("malformed.truncated"),
 * as both the aggregator's /metrics (what each agent's Hello said) and the
 * agent's own --metrics show them, so one name means one thing in every
 * scrape. A table, not a rule: a name the table does not know (a newer
 * agent) maps to flowfleet_{agent,exporter}_other_events_total{counter=NAME}.
 */

#include "ff_prom.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ff_metric_scope { FF_METRIC_AGENT, FF_METRIC_EXPORTER };

/* Declares every family the agent's and exporters' counters map to. Returns 0 or -errno. */
int ff_metric_names_declare(ff_prom *p);

/*
 * What one counter becomes: its family, the labels its name adds after the
 * caller's (a reason, an event; values borrowed from `counter` or held in
 * `text`, so the struct is used where it was filled), its value in base
 * units. Not copied: `extra` may point into `text`.
 */
typedef struct ff_metric_sample {
	const char *family;
	ff_prom_label extra[2];
	size_t n_extra;
	bool is_double; /* value (a scaled gauge, seconds), else count */
	double value;
	uint64_t count;
	char text[2][32];
} ff_metric_sample;

/* Maps counter `counter` of `scope` with value `v` into *out. */
void ff_metric_names_map(enum ff_metric_scope scope, const char *counter, uint64_t v,
			 ff_metric_sample *out);

/*
 * Adds the sample to its (declared) family, `labels` (n of them, at most
 * 4) first. Returns what ff_prom_add() returns.
 */
int ff_metric_sample_add(ff_prom *p, const ff_metric_sample *s, const ff_prom_label *labels,
			 size_t n);

#endif
