#ifndef FF_IF_RATES_H
#define FF_IF_RATES_H

/*
 * Rates between two samples of one interface's sFlow generic interface
 * counters (sflow_version_5.txt "struct if_counters"), over the time
 * between them as the agent received them.
 *
 * Octet counters are 64 bits: they never wrap in practice, so one that went
 * down means the counters were reset (the device or its line card
 * restarted) and no rate is given. Packet, error and discard counters are 32
 * bits and wrap within hours at line rate, so one of them lower than before
 * while the octets did not go down has wrapped, and its delta is taken
 * modulo 2^32.
 */

#include <stdint.h>

/* One sample: the counters that rates are taken of. */
typedef struct ff_if_sample {
	uint64_t in_octets, out_octets;
	uint32_t in_ucast, in_mcast, in_bcast, in_discards, in_errors;
	uint32_t out_ucast, out_mcast, out_bcast, out_discards, out_errors;
	uint64_t updated_ms; /* when the agent received it (its clock) */
} ff_if_sample;

/* Why there is no rate, or FF_IF_RATES_OK. */
enum ff_if_rates_status {
	FF_IF_RATES_OK = 0,
	FF_IF_RATES_FIRST,   /* one sample only */
	FF_IF_RATES_NO_TIME, /* the later sample is not later */
	FF_IF_RATES_RESET,   /* an octet counter went down */
};

/* Per second, between two samples; packets sum unicast, multicast and broadcast. */
typedef struct ff_if_rates {
	double seconds; /* between the samples */
	double in_bytes, out_bytes;
	double in_packets, out_packets;
	double in_errors, out_errors;
	double in_discards, out_discards;
} ff_if_rates;

/*
 * The rates from `prev` to `cur` in *r (zeroed unless FF_IF_RATES_OK);
 * `prev` NULL means there is no earlier sample. Returns an
 * ff_if_rates_status.
 */
int ff_if_rates_compute(const ff_if_sample *prev, const ff_if_sample *cur, ff_if_rates *r);

/* "ok", "first_sample", "no_time", "counter_reset": the status as the API shows it. */
const char *ff_if_rates_status_name(int status);

/* The delta of a 32-bit counter from `prev` to `cur`, wrapped modulo 2^32. */
uint32_t ff_if_delta32(uint32_t prev, uint32_t cur);

#endif
