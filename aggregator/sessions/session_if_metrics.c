/*
 * One agent's sFlow interface counters in /metrics (docs/metrics.md): the
 * size of its table, then each interface's flowfleet_interface_* series
 * (common/ff_metric_iface.h, which the agent's own --metrics shares),
 * sorted by exporter and ifIndex, within the agent's series budget. Rates
 * are Prometheus' rate() of these; the API gives the rates between the
 * last two samples too.
 */
#include "session_ifs.h"

#include "ff_metric_iface.h"
#include "ff_prom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ff__session_ifs_declare(ff_prom *p)
{
	int rc = ff_metric_iface_declare(p);
	if (rc == 0)
		rc = ff_prom_declare(p, "flowfleet_agent_sflow_interfaces", FF_PROM_GAUGE,
				     "sFlow interfaces whose counters the aggregator keeps for the "
				     "agent.");
	if (rc == 0)
		rc = ff_prom_declare(p, "flowfleet_agent_sflow_interfaces_refused", FF_PROM_GAUGE,
				     "Interfaces of the agent's last Hello not kept: past the "
				     "per-agent bound, or malformed.");
	return rc;
}

/* A gauge of the agent's table (label agent only), within the budget. */
static int ff_if_agent_gauge(ff_prom *p, const char *agent, const char *family, uint64_t v,
			     size_t *budget, size_t *dropped)
{
	if (*budget == 0) {
		(*dropped)++;
		return 0;
	}
	(*budget)--;
	ff_prom_label l = {"agent", agent};
	return ff_prom_add_u64(p, family, "", &l, 1, v);
}

static void ff_if_entry_view(const ff__if_entry *e, ff_metric_iface *m)
{
	const ff_if_sample *c = &e->cur;
	*m = (ff_metric_iface){
	    .if_index = e->if_index,
	    .if_status = e->if_status,
	    .if_speed = e->if_speed,
	    .octets = {c->in_octets, c->out_octets},
	    .ucast = {c->in_ucast, c->out_ucast},
	    .mcast = {c->in_mcast, c->out_mcast},
	    .bcast = {c->in_bcast, c->out_bcast},
	    .errors = {c->in_errors, c->out_errors},
	    .discards = {c->in_discards, c->out_discards},
	};
	memcpy(m->exporter, e->exporter, FF_ADDR_LEN);
}

int ff__session_ifs_metrics(const ff__session_ifs *t, ff_prom *p, const char *agent, size_t *budget,
			    size_t *dropped)
{
	int rc = ff_if_agent_gauge(p, agent, "flowfleet_agent_sflow_interfaces",
				   ff__session_ifs_count(t), budget, dropped);
	if (rc == 0)
		rc = ff_if_agent_gauge(p, agent, "flowfleet_agent_sflow_interfaces_refused",
				       ff__session_ifs_refused(t), budget, dropped);
	size_t n = 0;
	const ff__if_entry **v = rc == 0 ? ff__session_ifs_sorted(t, &n) : NULL;
	if (rc == 0 && v == NULL && n > 0)
		rc = -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		ff_metric_iface m;
		ff_if_entry_view(v[i], &m);
		rc = ff_metric_iface_add(p, agent, &m, budget, dropped);
	}
	free(v);
	return rc;
}
