#include "ff_metric_iface.h"

#include <stdbool.h>
#include <stdio.h>

static const struct {
	const char *family;
	enum ff_prom_type type;
	const char *help;
} ff_mi_families[] = {
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
};

int ff_metric_iface_declare(ff_prom *p)
{
	for (size_t i = 0; i < sizeof ff_mi_families / sizeof ff_mi_families[0]; i++) {
		int rc = ff_prom_declare(p, ff_mi_families[i].family, ff_mi_families[i].type,
					 ff_mi_families[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* One interface's scrape in progress: labels agent, exporter, if_index and two more. */
typedef struct ff_mi_scrape {
	ff_prom *p;
	ff_prom_label l[5];
	size_t *budget, *dropped;
} ff_mi_scrape;

/* Whether the budget has room for one more series; counts the one left out when not. */
static bool ff_mi_take(ff_mi_scrape *s)
{
	if (s->budget == NULL)
		return true;
	if (*s->budget == 0) {
		(*s->dropped)++;
		return false;
	}
	(*s->budget)--;
	return true;
}

/* One sample with up to two extra labels (a NULL name: none), within the budget. */
static int ff_mi_add(ff_mi_scrape *s, const char *family, const char *k1, const char *v1,
		     const char *k2, const char *v2, uint64_t v)
{
	if (!ff_mi_take(s))
		return 0;
	size_t n = 3;
	if (k1 != NULL)
		s->l[n++] = (ff_prom_label){k1, v1};
	if (k2 != NULL)
		s->l[n++] = (ff_prom_label){k2, v2};
	return ff_prom_add_u64(s->p, family, "", s->l, n, v);
}

/* The speed: exact bytes when the bits divide by 8 (they do for every real speed). */
static int ff_mi_speed(ff_mi_scrape *s, uint64_t bits)
{
	if (!ff_mi_take(s))
		return 0;
	const char *f = "flowfleet_interface_speed_bytes";
	if (bits % 8 == 0)
		return ff_prom_add_u64(s->p, f, "", s->l, 3, bits / 8);
	return ff_prom_add(s->p, f, "", s->l, 3, (double)bits / 8.0);
}

static int ff_mi_direction(ff_mi_scrape *s, const ff_metric_iface *m, int d)
{
	const char *dir = d == 0 ? "in" : "out", *pk = "flowfleet_interface_packets_total";
	int rc = ff_mi_add(s, "flowfleet_interface_bytes_total", "direction", dir, NULL, NULL,
			   m->octets[d]);
	if (rc == 0)
		rc = ff_mi_add(s, pk, "direction", dir, "cast", "unicast", m->ucast[d]);
	if (rc == 0)
		rc = ff_mi_add(s, pk, "direction", dir, "cast", "multicast", m->mcast[d]);
	if (rc == 0)
		rc = ff_mi_add(s, pk, "direction", dir, "cast", "broadcast", m->bcast[d]);
	if (rc == 0)
		rc = ff_mi_add(s, "flowfleet_interface_errors_total", "direction", dir, NULL, NULL,
			       m->errors[d]);
	if (rc == 0)
		rc = ff_mi_add(s, "flowfleet_interface_discards_total", "direction", dir, NULL,
			       NULL, m->discards[d]);
	return rc;
}

int ff_metric_iface_add(ff_prom *p, const char *agent, const ff_metric_iface *m, size_t *budget,
			size_t *dropped)
{
	char exporter[FF_ADDR_STRLEN], if_index[12];
	ff_addr_format(m->exporter, exporter);
	snprintf(if_index, sizeof if_index, "%u", m->if_index);
	ff_mi_scrape s = {.p = p, .budget = budget, .dropped = dropped};
	s.l[0] = (ff_prom_label){"agent", agent};
	s.l[1] = (ff_prom_label){"exporter", exporter};
	s.l[2] = (ff_prom_label){"if_index", if_index};
	int rc = ff_mi_direction(&s, m, 0);
	if (rc == 0)
		rc = ff_mi_direction(&s, m, 1);
	if (rc == 0)
		rc = ff_mi_speed(&s, m->if_speed);
	if (rc == 0)
		rc = ff_mi_add(&s, "flowfleet_interface_up", "kind", "admin", NULL, NULL,
			       (m->if_status & 1) != 0);
	if (rc == 0)
		rc = ff_mi_add(&s, "flowfleet_interface_up", "kind", "oper", NULL, NULL,
			       (m->if_status & 2) != 0);
	return rc;
}
