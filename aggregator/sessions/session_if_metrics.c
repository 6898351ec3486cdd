/*
 * One agent's sFlow interface counters as flowfleet_interface_* families
 * (docs/metrics.md): the counters as the exporter last sent them, labelled
 * agent, exporter (the sFlow agent address), if_index and direction, within
 * the agent's series budget. Rates are Prometheus' rate() of these; the
 * API gives the rates between the last two samples too.
 */
#include "session_ifs.h"

#include "ff_prom.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
	const char *family;
	enum ff_prom_type type;
	const char *help;
} ff_if_families[] = {
    {"flowfleet_interface_bytes_total", FF_PROM_COUNTER,
     "Octets through the interface (sFlow ifInOctets, ifOutOctets), as its exporter last sent "
     "them."},
    {"flowfleet_interface_packets_total", FF_PROM_COUNTER,
     "Packets through the interface by cast (sFlow ifIn/OutUcast, Multicast, BroadcastPkts; 32 "
     "bits, they wrap)."},
    {"flowfleet_interface_errors_total", FF_PROM_COUNTER,
     "Packets with errors (sFlow ifInErrors, ifOutErrors; 32 bits)."},
    {"flowfleet_interface_discards_total", FF_PROM_COUNTER,
     "Packets discarded without an error (sFlow ifInDiscards, ifOutDiscards; 32 bits)."},
    {"flowfleet_interface_speed_bytes", FF_PROM_GAUGE,
     "The interface's speed in bytes per second (sFlow ifSpeed, bits per second, divided by 8)."},
    {"flowfleet_interface_up", FF_PROM_GAUGE,
     "1 when the interface is up: kind admin (ifAdminStatus) or oper (ifOperStatus)."},
    {"flowfleet_agent_sflow_interfaces", FF_PROM_GAUGE,
     "sFlow interfaces whose counters the aggregator keeps for the agent."},
    {"flowfleet_agent_sflow_interfaces_refused", FF_PROM_GAUGE,
     "Interfaces of the agent's last Hello not kept: past the per-agent bound, or malformed."},
};

int ff__session_ifs_declare(ff_prom *p)
{
	for (size_t i = 0; i < sizeof ff_if_families / sizeof ff_if_families[0]; i++) {
		int rc = ff_prom_declare(p, ff_if_families[i].family, ff_if_families[i].type,
					 ff_if_families[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* One interface's scrape in progress: labels agent, exporter, if_index and two more. */
typedef struct ff_if_scrape {
	ff_prom *p;
	ff_prom_label l[5];
	size_t *budget, *dropped;
} ff_if_scrape;

/* Whether the budget has room for one more series; counts the one left out when not. */
static bool ff_if_take(ff_if_scrape *s)
{
	if (*s->budget == 0) {
		(*s->dropped)++;
		return false;
	}
	(*s->budget)--;
	return true;
}

/* One sample with extra labels (name, value pairs; NULL name: none), within the budget. */
static int ff_if_add(ff_if_scrape *s, const char *family, const char *k1, const char *v1,
		     const char *k2, const char *v2, uint64_t v)
{
	if (!ff_if_take(s))
		return 0;
	size_t n = 3;
	if (k1 != NULL)
		s->l[n++] = (ff_prom_label){k1, v1};
	if (k2 != NULL)
		s->l[n++] = (ff_prom_label){k2, v2};
	return ff_prom_add_u64(s->p, family, "", s->l, n, v);
}

/* The speed: exact bytes when the bits divide by 8 (they do for every real speed). */
static int ff_if_speed(ff_if_scrape *s, uint64_t bits)
{
	if (!ff_if_take(s))
		return 0;
	const char *f = "flowfleet_interface_speed_bytes";
	if (bits % 8 == 0)
		return ff_prom_add_u64(s->p, f, "", s->l, 3, bits / 8);
	return ff_prom_add(s->p, f, "", s->l, 3, (double)bits / 8.0);
}

static int ff_if_direction(ff_if_scrape *s, const char *dir, uint64_t octets, uint32_t ucast,
			   uint32_t mcast, uint32_t bcast, uint32_t errors, uint32_t discards)
{
	const char *pk = "flowfleet_interface_packets_total";
	int rc =
	    ff_if_add(s, "flowfleet_interface_bytes_total", "direction", dir, NULL, NULL, octets);
	if (rc == 0)
		rc = ff_if_add(s, pk, "direction", dir, "cast", "unicast", ucast);
	if (rc == 0)
		rc = ff_if_add(s, pk, "direction", dir, "cast", "multicast", mcast);
	if (rc == 0)
		rc = ff_if_add(s, pk, "direction", dir, "cast", "broadcast", bcast);
	if (rc == 0)
		rc = ff_if_add(s, "flowfleet_interface_errors_total", "direction", dir, NULL, NULL,
			       errors);
	if (rc == 0)
		rc = ff_if_add(s, "flowfleet_interface_discards_total", "direction", dir, NULL,
			       NULL, discards);
	return rc;
}

static int ff_if_entry_metrics(ff_if_scrape *s, const ff__if_entry *e)
{
	char exporter[FF_ADDR_STRLEN], if_index[12];
	ff_addr_format(e->exporter, exporter);
	snprintf(if_index, sizeof if_index, "%u", e->if_index);
	s->l[1] = (ff_prom_label){"exporter", exporter};
	s->l[2] = (ff_prom_label){"if_index", if_index};
	const ff_if_sample *c = &e->cur;
	int rc = ff_if_direction(s, "in", c->in_octets, c->in_ucast, c->in_mcast, c->in_bcast,
				 c->in_errors, c->in_discards);
	if (rc == 0)
		rc = ff_if_direction(s, "out", c->out_octets, c->out_ucast, c->out_mcast,
				     c->out_bcast, c->out_errors, c->out_discards);
	if (rc == 0)
		rc = ff_if_speed(s, e->if_speed);
	if (rc == 0)
		rc = ff_if_add(s, "flowfleet_interface_up", "kind", "admin", NULL, NULL,
			       (e->if_status & 1) != 0);
	if (rc == 0)
		rc = ff_if_add(s, "flowfleet_interface_up", "kind", "oper", NULL, NULL,
			       (e->if_status & 2) != 0);
	return rc;
}

/* A gauge of the agent's table (label agent only), within the budget. */
static int ff_if_agent_gauge(ff_if_scrape *s, const char *family, uint64_t v)
{
	if (!ff_if_take(s))
		return 0;
	return ff_prom_add_u64(s->p, family, "", s->l, 1, v);
}

/* The agent's two gauges of its table, then each interface. */
int ff__session_ifs_metrics(const ff__session_ifs *t, ff_prom *p, const char *agent, size_t *budget,
			    size_t *dropped)
{
	ff_if_scrape s = {.p = p, .budget = budget, .dropped = dropped};
	s.l[0] = (ff_prom_label){"agent", agent};
	int rc =
	    ff_if_agent_gauge(&s, "flowfleet_agent_sflow_interfaces", ff__session_ifs_count(t));
	if (rc == 0)
		rc = ff_if_agent_gauge(&s, "flowfleet_agent_sflow_interfaces_refused",
				       ff__session_ifs_refused(t));
	size_t n = 0;
	const ff__if_entry **v = rc == 0 ? ff__session_ifs_sorted(t, &n) : NULL;
	if (rc == 0 && v == NULL && n > 0)
		rc = -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ff_if_entry_metrics(&s, v[i]);
	free(v);
	return rc;
}
