#ifndef FF_AGENT_HELLO_H
#define FF_AGENT_HELLO_H

/*
 * Builds the agent's Hello (proto/flowfleet.proto): who it is and what it
 * has counted, sent at start and every heartbeat so a restarted aggregator
 * learns about it without waiting for a batch.
 */

#include "agent_counters.h"
#include "exporter_stats.h"
#include "ff_config.h"
#include "sflow_counters.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ff_agent_hello {
	const char *agent_id;
	const char *hostname;
	const ff_strlist *labels; /* "key=value" entries, already validated */
	uint64_t epoch;
	uint64_t started_ms;
	uint64_t policy_version; /* the policy applied now, 0 for none */
	const ff_agent_counters *counters;
	const ff_exporter_stats *exporters; /* may be NULL */
	uint32_t protocol_version;	    /* the FlowBatch layout sent; 0: FF_PROTOCOL_VERSION */
	const char *enroll_token;	    /* NULL: none (the field stays empty) */
	const ff_sflow_counters *interfaces; /* sFlow interface counters; may be NULL */
	uint64_t now_ms; /* the agent's clock (unix ms), sent as Hello.sent_ms */
} ff_agent_hello;

/*
 * Encodes `h` (borrowed) as a framed FF_MSG_HELLO. On success *frame is
 * malloc'd and the caller frees it with free(). Returns 0, -ENOMEM or
 * FF_FRAME_ETOOBIG.
 */
int ff_agent_hello_encode(const ff_agent_hello *h, uint8_t **frame, size_t *len);

#endif
