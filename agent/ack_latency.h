#ifndef FF_ACK_LATENCY_H
#define FF_ACK_LATENCY_H

/*
 * Ack latency of the agent's batches: the time from a batch's (last) send
 * to its ack, kept for the last FF_ACK_LATENCY_WINDOW acks so p50, p99 and
 * max describe the present, not the whole run. Fixed size, no allocation.
 */

#include <stddef.h>
#include <stdint.h>

#define FF_ACK_LATENCY_WINDOW 256

typedef struct ff_ack_latency {
	uint32_t ms[FF_ACK_LATENCY_WINDOW];
	size_t n, next;
} ff_ack_latency;

/* Records one ack's latency (capped at UINT32_MAX ms). */
void ff_ack_latency_add(ff_ack_latency *l, uint64_t ms);

/* p50, p99 and max of the recorded latencies, in ms (0 with none). */
void ff_ack_latency_summary(const ff_ack_latency *l, uint64_t *p50, uint64_t *p99, uint64_t *max);

#endif
