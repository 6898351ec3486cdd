#ifndef FF_SEQLOSS_H
#define FF_SEQLOSS_H

/*
 * Loss accounting from the exporters' sequence numbers, per (exporter,
 * domain, kind). Each protocol numbers something different: NetFlow v5
 * counts flows, v9 export packets, IPFIX data records, sFlow datagrams (per
 * agent and sub-agent) and samples (per source). A domain is whatever the
 * protocol scopes its counter by: v5 engine type/id, v9 source id, IPFIX
 * observation domain, sFlow sub-agent id or source id.
 *
 * A gap forward is counted as lost. A number behind the expected one within
 * FF_SEQLOSS_LATE_WINDOW is a late (reordered) packet: what it carries is
 * taken back from the loss counted for its gap. Anything further away is an
 * exporter restart or a counter reset: it is counted as a reset and the
 * accounting resynchronises without counting loss. The table is bounded;
 * beyond FF_SEQLOSS_MAX entries new streams are not tracked.
 */

#include "ff_flow.h"

#include <stddef.h>
#include <stdint.h>

#define FF_SEQLOSS_MAX	       65536
#define FF_SEQLOSS_LATE_WINDOW 1024u
/* Larger forward jumps are taken as a restart, not as loss. */
#define FF_SEQLOSS_MAX_GAP (1u << 24)

enum ff_seq_kind {
	FF_SEQ_V5_FLOWS,
	FF_SEQ_V9_PACKETS,
	FF_SEQ_IPFIX_RECORDS,
	FF_SEQ_SFLOW_DATAGRAMS,
	FF_SEQ_SFLOW_SAMPLES,
	FF_SEQ_N,
};

/* Passed as `increment` when a packet's contribution is unknown (e.g. a data set without template).
 */
#define FF_SEQ_INCREMENT_UNKNOWN UINT32_MAX

typedef struct ff_seqloss ff_seqloss;

typedef struct ff_seqloss_entry {
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t domain;
	uint32_t kind;	   /* enum ff_seq_kind */
	uint32_t expected; /* next sequence number expected */
	uint32_t synced;   /* 0 until a packet with a known increment was seen */
	uint64_t received; /* units seen (sum of increments) */
	uint64_t lost;	   /* units missing, net of late arrivals */
	uint64_t resets;   /* restarts and jumps beyond the gap bound */
} ff_seqloss_entry;

/* An empty table, or NULL when out of memory. */
ff_seqloss *ff_seqloss_new(void);
void ff_seqloss_free(ff_seqloss *t);

/*
 * Observes sequence number `seq` carrying `increment` units on the stream
 * (exporter, domain, kind). Returns the change to the stream's loss: > 0 for
 * newly missing units, < 0 when a late packet fills part of a counted gap.
 * FF_SEQ_INCREMENT_UNKNOWN desynchronises the stream: the next packet
 * restarts the accounting instead of being compared.
 */
int64_t ff_seqloss_observe(ff_seqloss *t, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
			   enum ff_seq_kind kind, uint32_t seq, uint32_t increment);

/* Iterates: *cursor starts at 0; returns the next entry (borrowed) or NULL at the end. */
const ff_seqloss_entry *ff_seqloss_next(const ff_seqloss *t, size_t *cursor);

#endif
