#ifndef FF_SESSION_IFS_H
#define FF_SESSION_IFS_H

/*
 * One agent's sFlow interface counters as its Hellos carried them: per
 * (exporter, ifIndex) the latest sample and the one before, so rates can
 * be taken between them (if_rates.h). A Hello repeats the agent's whole
 * table every heartbeat; an entry changes only when the agent received a
 * new counter sample for it (another updated_ms or sample count).
 *
 * Bounded: at most `max` interfaces; interfaces of a Hello that find the
 * table full, or come without a 16-byte exporter address, are not kept and
 * counted (in the last Hello). An interface the agent stops reporting keeps
 * its last values, with the time they came. Not thread-safe: the registry's
 * lock guards it.
 */

#include "ff_flow.h"
#include "flowfleet.pb-c.h"
#include "if_rates.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff__session_ifs ff__session_ifs;
struct ff_prom;

/* What is kept of one interface. */
typedef struct ff__if_entry {
	uint8_t exporter[FF_ADDR_LEN]; /* the sFlow agent address */
	uint32_t if_index;
	uint32_t if_type, if_direction, if_status, promiscuous, in_unknown_protos;
	uint64_t if_speed; /* bits per second */
	uint64_t samples;  /* counter samples the agent received for it */
	ff_if_sample cur, prev;
	bool has_prev;
	uint64_t received_ms; /* the aggregator's clock when `cur` came */
} ff__if_entry;

/* An empty table of at most `max` interfaces, or NULL when out of memory. */
ff__session_ifs *ff__session_ifs_new(size_t max);
void ff__session_ifs_free(ff__session_ifs *t);

/*
 * Takes the interfaces of one Hello (borrowed), received at `now_ms` by the
 * aggregator's clock. Returns 0, or -ENOMEM with the table partly updated.
 */
int ff__session_ifs_update(ff__session_ifs *t, Flowfleet__InterfaceCounters *const *v, size_t n,
			   uint64_t now_ms);

size_t ff__session_ifs_count(const ff__session_ifs *t);

/*
 * The entries sorted by exporter then ifIndex, in a malloc'd array the
 * caller frees with free() (entries borrowed until the next update); *n is
 * set. NULL with *n 0 for an empty table, NULL with *n set when out of memory.
 */
const ff__if_entry **ff__session_ifs_sorted(const ff__session_ifs *t, size_t *n);

/* Interfaces of the last Hello not kept: over the bound or malformed. */
size_t ff__session_ifs_refused(const ff__session_ifs *t);

/*
 * Appends one object per interface (docs/api.md, GET /api/v1/interfaces),
 * sorted by exporter then ifIndex, each naming `agent`, to array `a`.
 * Returns 0 or -ENOMEM.
 */
int ff__session_ifs_json(const ff__session_ifs *t, const char *agent, json_t *a);

/* Declares the flowfleet_interface_* families (docs/metrics.md). Returns 0 or ff_prom's error. */
int ff__session_ifs_declare(struct ff_prom *p);

/*
 * Adds the interfaces' series, labelled `agent`, while *budget lasts; each
 * series added takes one from *budget, each left out adds one to *dropped.
 * Returns 0 or ff_prom's error.
 */
int ff__session_ifs_metrics(const ff__session_ifs *t, struct ff_prom *p, const char *agent,
			    size_t *budget, size_t *dropped);

#endif
