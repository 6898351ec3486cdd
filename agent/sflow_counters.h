#ifndef FF_SFLOW_COUNTERS_H
#define FF_SFLOW_COUNTERS_H

/*
 * What sFlow counter samples carry, kept apart from flows: counter samples
 * describe interfaces and hosts, never traffic between addresses, so they
 * must not reach the summarizer. Every counter sample and counter record is
 * counted; generic interface counters (sFlow v5 format 0:1) are kept, the
 * latest per (agent address, ifIndex), for interface metrics.
 *
 * The interface table is bounded: once it holds `max_ifs` entries, samples
 * for new interfaces are counted in `ifs_dropped` instead of stored, so a
 * flood of crafted datagrams cannot grow it without limit. The agent
 * address is the one inside the datagram (an sFlow agent may send from any
 * source address), v4-mapped for IPv4.
 */

#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

/* Generic interface counters, sflow_version_5.txt "struct if_counters" (0:1). */
typedef struct ff_sflow_if_counters {
	uint8_t agent[FF_ADDR_LEN];
	uint32_t if_index;
	uint32_t if_type;
	uint64_t if_speed;     /* bits per second */
	uint32_t if_direction; /* 0 unknown, 1 full duplex, 2 half, 3 in, 4 out */
	uint32_t if_status;    /* bit 0 admin up, bit 1 oper up */
	uint64_t in_octets;
	uint32_t in_ucast_pkts;
	uint32_t in_multicast_pkts;
	uint32_t in_broadcast_pkts;
	uint32_t in_discards;
	uint32_t in_errors;
	uint32_t in_unknown_protos;
	uint64_t out_octets;
	uint32_t out_ucast_pkts;
	uint32_t out_multicast_pkts;
	uint32_t out_broadcast_pkts;
	uint32_t out_discards;
	uint32_t out_errors;
	uint32_t promiscuous_mode;
	uint64_t samples;    /* how many samples updated this entry */
	uint64_t updated_ms; /* when the latest one arrived */
} ff_sflow_if_counters;

/* Totals over every agent. */
typedef struct ff_sflow_counter_totals {
	uint64_t samples;     /* counter samples, compact and expanded */
	uint64_t records;     /* counter records in them, of every format */
	uint64_t if_records;  /* of which generic interface counters */
	uint64_t ifs_dropped; /* interface records not kept: the table was full */
} ff_sflow_counter_totals;

typedef struct ff_sflow_counters ff_sflow_counters;

/*
 * The interfaces one decoder context keeps, dozens of large switches'
 * worth; also the bound of the merged table the Hello carries, every
 * heartbeat (about 110 bytes an interface: 4,096 make a 450 KB Hello), and
 * the aggregator's per-agent bound (FF_SESSION_MAX_INTERFACES).
 */
#define FF_SFLOW_COUNTERS_MAX_IFS 4096

/* A table of at most `max_ifs` interfaces; NULL when out of memory. */
ff_sflow_counters *ff_sflow_counters_new(size_t max_ifs);
void ff_sflow_counters_free(ff_sflow_counters *c);

/* Counts one counter sample holding `n_records` records. */
void ff_sflow_counters_count_sample(ff_sflow_counters *c, uint32_t n_records);

/*
 * Keeps `v` (copied) as the latest counters of (v->agent, v->if_index),
 * received at `now_ms`; its samples and updated_ms fields are set here.
 * Returns 0, or -1 when the table is full (counted) or out of memory.
 */
int ff_sflow_counters_put_if(ff_sflow_counters *c, const ff_sflow_if_counters *v, uint64_t now_ms);

/* The entry of (agent, if_index) (borrowed until the next put), or NULL. */
const ff_sflow_if_counters *ff_sflow_counters_find(const ff_sflow_counters *c,
						   const uint8_t agent[FF_ADDR_LEN],
						   uint32_t if_index);

/* Iterates: *cursor starts at 0; returns the next entry (borrowed) or NULL at the end. */
const ff_sflow_if_counters *ff_sflow_counters_next(const ff_sflow_counters *c, size_t *cursor);

ff_sflow_counter_totals ff_sflow_counters_totals(const ff_sflow_counters *c);

/* Interfaces held. */
size_t ff_sflow_counters_count(const ff_sflow_counters *c);

/*
 * Merges `src` (borrowed, unchanged) into `dst`: with one table per receive
 * thread, the Hello carries the merge. Of an interface both hold, the entry
 * with the later updated_ms wins (dst on a tie) and `samples` is the sum;
 * totals are added. An interface that finds `dst` full is counted in its
 * ifs_dropped. Returns 0, or -ENOMEM with `dst` partly merged.
 */
int ff_sflow_counters_merge(ff_sflow_counters *dst, const ff_sflow_counters *src);

#endif
