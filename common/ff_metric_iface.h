#ifndef FF_METRIC_IFACE_H
#define FF_METRIC_IFACE_H

/*
 * The sFlow interface families of /metrics (flowfleet_interface_*,
 * docs/metrics.md), rendered alike by the aggregator (every agent's
 * interfaces, from their Hellos) and by the agent's own --metrics, so one
 * series means one thing in every scrape. The values are the exporter's
 * counters as it sent them (generic interface counters, sFlow 0:1).
 */

#include "ff_flow.h"
#include "ff_prom.h"

#include <stddef.h>
#include <stdint.h>

/* One interface's latest counters; index 0 is "in", 1 "out". */
typedef struct ff_metric_iface {
	uint8_t exporter[FF_ADDR_LEN]; /* the sFlow agent address */
	uint32_t if_index;
	uint32_t if_status; /* bit 0 admin up, bit 1 oper up */
	uint64_t if_speed;  /* bits per second */
	uint64_t octets[2];
	uint32_t ucast[2], mcast[2], bcast[2], errors[2], discards[2];
} ff_metric_iface;

/* The series one interface adds. */
#define FF_METRIC_IFACE_SERIES 15

/* Declares the flowfleet_interface_* families. Returns 0 or ff_prom's error. */
int ff_metric_iface_declare(ff_prom *p);

/*
 * Adds the series of `m` (borrowed), labelled agent=`agent`, exporter and
 * if_index. With `budget` non-NULL each series takes one from *budget, and
 * one past it is left out and counted in *dropped. Returns 0 or ff_prom's
 * error.
 */
int ff_metric_iface_add(ff_prom *p, const char *agent, const ff_metric_iface *m, size_t *budget,
			size_t *dropped);

#endif
