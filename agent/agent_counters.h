#ifndef FF_AGENT_COUNTERS_H
#define FF_AGENT_COUNTERS_H

/*
 * The agent's own counters, totals since start. One struct owned by the
 * agent's context and one per receive thread (receiver.c), summed for the
 * Hello and the exit log; modules that count borrow a pointer to one. The names
 * (ff_agent_counters_list) are what Hello.counters and the exit log carry.
 */

#include <stddef.h>
#include <stdint.h>

typedef struct ff_agent_counters {
	uint64_t udp_datagrams;
	uint64_t udp_bytes;
	uint64_t udp_drops;  /* dropped by the kernel, from SO_RXQ_OVFL */
	uint64_t udp_errors; /* receive errors and datagrams truncated by the slab */
	uint64_t records_decoded;
	uint64_t batches_flushed;
	uint64_t batches_sent;
	uint64_t batches_acked;
	uint64_t batches_resent;
	uint64_t batches_dropped;  /* oldest batches dropped by the spool bound */
	uint64_t batches_rejected; /* REJECTED acks: kept and retried */
	uint64_t batches_pending;  /* current, not a total: kept until acked */
	uint64_t spool_bytes;	   /* current: frame bytes of those batches (memory and spool) */
	uint64_t records_sent;
	uint64_t frames_bad;	   /* malformed or unknown frames from the aggregator */
	uint64_t records_filtered; /* decoded records the policy's filter (or sampler) dropped */
	uint64_t bytes_sent;	   /* frame bytes of batches sent the first time */
	uint64_t handoff_drops;	   /* decoded records lost: a receive thread's hand-off was full */
	uint64_t early_flushes;	   /* batches sent before the interval ended: --max-keys full */
	/* Connections whose handshake failed: the server did not prove --server-key (or spoke
	 * another mechanism), or never finished the handshake. */
	uint64_t handshake_failures;
	/* Handshakes the aggregator refused (ZAP 400): our key is rejected or revoked there. */
	uint64_t handshake_refused;
	/* Epochs renewed because the aggregator found this state restored or cloned. */
	uint64_t epoch_renewals;
	/* Current, not totals: send-to-ack time of the last acks (ack_latency.h). */
	uint64_t ack_latency_p50_ms;
	uint64_t ack_latency_p99_ms;
	uint64_t ack_latency_max_ms;
} ff_agent_counters;

typedef struct ff_counter_ref {
	const char *name;
	uint64_t value;
} ff_counter_ref;

#define FF_AGENT_N_COUNTERS 25

/* Fills `out` (FF_AGENT_N_COUNTERS entries) with every counter's name and value. */
void ff_agent_counters_list(const ff_agent_counters *c, ff_counter_ref out[FF_AGENT_N_COUNTERS]);

/* Adds every counter of `src` to `dst` (a receive thread's counters to the agent's). */
void ff_agent_counters_add(ff_agent_counters *dst, const ff_agent_counters *src);

#endif
