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
	    {"spool.bytes", c->spool_bytes},
	    {"records.sent", c->records_sent},
	    {"frames.bad", c->frames_bad},
	    {"records.filtered", c->records_filtered},
	    {"bytes.sent", c->bytes_sent},
	    {"handoff.drops", c->handoff_drops},
	    {"summarizer.early_flushes", c->early_flushes},
	    {"handshake.failures", c->handshake_failures},
	    {"handshake.refused", c->handshake_refused},
	    {"state.epoch_renewals", c->epoch_renewals},
	    {"ack_latency.p50_ms", c->ack_latency_p50_ms},
	    {"ack_latency.p99_ms", c->ack_latency_p99_ms},
	    {"ack_latency.max_ms", c->ack_latency_max_ms},
	};
	for (size_t i = 0; i < FF_AGENT_N_COUNTERS; i++)
		out[i] = list[i];
}

void ff_agent_counters_add(ff_agent_counters *dst, const ff_agent_counters *src)
{
	dst->udp_datagrams += src->udp_datagrams;
	dst->udp_bytes += src->udp_bytes;
	dst->udp_drops += src->udp_drops;
	dst->udp_errors += src->udp_errors;
	dst->records_decoded += src->records_decoded;
	dst->batches_flushed += src->batches_flushed;
	dst->batches_sent += src->batches_sent;
	dst->batches_acked += src->batches_acked;
	dst->batches_resent += src->batches_resent;
	dst->batches_dropped += src->batches_dropped;
	dst->batches_rejected += src->batches_rejected;
	dst->batches_pending += src->batches_pending;
	dst->spool_bytes += src->spool_bytes;
	dst->records_sent += src->records_sent;
	dst->frames_bad += src->frames_bad;
	dst->records_filtered += src->records_filtered;
	dst->bytes_sent += src->bytes_sent;
	dst->handoff_drops += src->handoff_drops;
	dst->early_flushes += src->early_flushes;
	dst->handshake_failures += src->handshake_failures;
	dst->handshake_refused += src->handshake_refused;
	dst->epoch_renewals += src->epoch_renewals;
}
