#include "if_rates.h"

#include <string.h>

uint32_t ff_if_delta32(uint32_t prev, uint32_t cur)
{
	/* Unsigned arithmetic is modulo 2^32: a wrapped counter's delta comes out right. */
	return cur - prev;
}

static double ff_if_per_s(uint64_t delta, double seconds)
{
	return (double)delta / seconds;
}

/* The three packet counters' deltas, each wrapped on its own. */
static uint64_t ff_if_packets(uint32_t pu, uint32_t pm, uint32_t pb, uint32_t cu, uint32_t cm,
			      uint32_t cb)
{
	return (uint64_t)ff_if_delta32(pu, cu) + ff_if_delta32(pm, cm) + ff_if_delta32(pb, cb);
}

int ff_if_rates_compute(const ff_if_sample *prev, const ff_if_sample *cur, ff_if_rates *r)
{
	memset(r, 0, sizeof *r);
	if (prev == NULL)
		return FF_IF_RATES_FIRST;
	if (cur->updated_ms <= prev->updated_ms)
		return FF_IF_RATES_NO_TIME;
	if (cur->in_octets < prev->in_octets || cur->out_octets < prev->out_octets)
		return FF_IF_RATES_RESET;
	double s = (double)(cur->updated_ms - prev->updated_ms) / 1000.0;
	r->seconds = s;
	r->in_bytes = ff_if_per_s(cur->in_octets - prev->in_octets, s);
	r->out_bytes = ff_if_per_s(cur->out_octets - prev->out_octets, s);
	r->in_packets = ff_if_per_s(ff_if_packets(prev->in_ucast, prev->in_mcast, prev->in_bcast,
						  cur->in_ucast, cur->in_mcast, cur->in_bcast),
				    s);
	r->out_packets =
	    ff_if_per_s(ff_if_packets(prev->out_ucast, prev->out_mcast, prev->out_bcast,
				      cur->out_ucast, cur->out_mcast, cur->out_bcast),
			s);
	r->in_errors = ff_if_per_s(ff_if_delta32(prev->in_errors, cur->in_errors), s);
	r->out_errors = ff_if_per_s(ff_if_delta32(prev->out_errors, cur->out_errors), s);
	r->in_discards = ff_if_per_s(ff_if_delta32(prev->in_discards, cur->in_discards), s);
	r->out_discards = ff_if_per_s(ff_if_delta32(prev->out_discards, cur->out_discards), s);
	return FF_IF_RATES_OK;
}

const char *ff_if_rates_status_name(int status)
{
	switch (status) {
	case FF_IF_RATES_OK:
		return "ok";
	case FF_IF_RATES_FIRST:
		return "first_sample";
	case FF_IF_RATES_NO_TIME:
		return "no_time";
	case FF_IF_RATES_RESET:
		return "counter_reset";
	}
	return "unknown";
}
