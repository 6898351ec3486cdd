#include "agent_counters.h"

void ff_agent_counters_list(const ff_agent_counters *c, ff_counter_ref out[FF_AGENT_N_COUNTERS])
{
	const ff_counter_ref list[FF_AGENT_N_COUNTERS] = {
	    {"udp.datagrams", c->udp_datagrams},
	    {"udp.bytes", c->udp_bytes},
	    {"udp.drops", c->udp_drops},
	    {"udp.errors", c->udp_errors},
	    {"records.decoded", c->records_decoded},
	    {"batches.flushed", c->batches_flushed},
	    {"batches.sent", c->batches_sent},
	    {"batches.acked", c->batches_acked},
	    {"batches.resent", c->batches_resent},
	    {"batches.dropped", c->batches_dropped},
	    {"batches.rejected", c->batches_rejected},
	    {"batches.pending", c->batches_pending},
	    {"records.sent", c->records_sent},
	    {"frames.bad", c->frames_bad},
	    {"records.filtered", c->records_filtered},
	    {"bytes.sent", c->bytes_sent},
	    {"ack_latency.p50_ms", c->ack_latency_p50_ms},
	    {"ack_latency.p99_ms", c->ack_latency_p99_ms},
	    {"ack_latency.max_ms", c->ack_latency_max_ms},
	};
	for (size_t i = 0; i < FF_AGENT_N_COUNTERS; i++)
		out[i] = list[i];
}
