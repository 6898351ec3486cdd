#ifndef FF_AGENT_METRICS_H
#define FF_AGENT_METRICS_H

/*
 * The agent's own GET /metrics (--metrics ADDR:PORT, off by default), for
 * sites that scrape every node: the counters its Hello carries, under the
 * names the aggregator's /metrics gives them (common/ff_metric_names.h,
 * docs/metrics.md). Served by evhttp on the agent's main event loop, the
 * thread that owns the counters it reads; nothing but /metrics is served.
 */

#include "agent_counters.h"
#include "exporter_stats.h"
#include "sflow_counters.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* What one scrape shows, filled by the agent when a scrape comes. */
typedef struct ff_agent_metrics_view {
	const char *agent_id, *hostname;
	uint64_t epoch, policy_version, started_ms;
	ff_agent_counters counters;
	ff_exporter_stats *exporters; /* owned by the view: freed after the scrape; may be NULL */
	ff_sflow_counters *interfaces; /* sFlow interface counters, owned likewise; may be NULL */
} ff_agent_metrics_view;

typedef void (*ff_agent_metrics_fill_fn)(void *arg, ff_agent_metrics_view *out);

typedef struct ff_agent_metrics ff_agent_metrics;

/*
 * Listens on `listen` ("ADDR:PORT", "[v6]:PORT") on `base`. Returns the
 * server, or NULL with the reason in err.
 */
ff_agent_metrics *ff_agent_metrics_start(struct event_base *base, const char *listen,
					 ff_agent_metrics_fill_fn fill, void *arg, char *err,
					 size_t err_len);

/* Stops listening and frees; NULL is accepted. */
void ff_agent_metrics_free(ff_agent_metrics *m);

/*
 * The scrape text of `v` (malloc'd, the caller frees it), or NULL when out
 * of memory. Exposed for tests.
 */
char *ff_agent_metrics_render(const ff_agent_metrics_view *v, size_t *len);

#endif
