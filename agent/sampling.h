#ifndef FF_SAMPLING_H
#define FF_SAMPLING_H

/*
 * Sampling rates: what exporters announce and what the user configures.
 *
 * Announced rates come from the packet (v5 header, sFlow sample, a v9/IPFIX
 * record's own samplingInterval) or from sampler tables learned from
 * options data: per (exporter, domain) a domain-wide rate, and per sampler
 * id (v9 FLOW_SAMPLER_ID 48, IPFIX samplerId 48) or selector id (IPFIX
 * selectorId 302) the rate of that sampler. The domain entry also keeps
 * the exporter's systemInitTimeMilliseconds (IE 160) when an options record
 * announces it, for sysUpTime-relative IPFIX times.
 *
 * Applied rate (ff_sampling_apply): a per-exporter override if configured,
 * else the announced rate, else the configured default (1 unless set).
 * Bytes and packets are multiplied by it, saturating at 2^64-1, and the
 * record carries it in sampling_rate. Why: docs/fields.md ("Sampling").
 *
 * Tables are bounded (FF_SAMPLING_MAX entries; further samplers are not
 * learned) and persisted by ff_sampling_save(). Not thread-safe.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_SAMPLING_MAX 65536

enum ff_sampler_kind {
	FF_SAMPLER_DOMAIN = 0,	 /* the domain-wide entry; id 0 */
	FF_SAMPLER_ID = 1,	 /* v9 FLOW_SAMPLER_ID / IPFIX samplerId */
	FF_SAMPLER_SELECTOR = 2, /* IPFIX selectorId */
};

typedef struct ff_sampling ff_sampling;

ff_sampling *ff_sampling_new(void);
void ff_sampling_free(ff_sampling *s);

/* Rate for exporters that announce none; 0 or 1: unsampled. */
void ff_sampling_set_default(ff_sampling *s, uint32_t rate);

/* Forces `rate` for every record of `exporter`. Returns 0 or -ENOMEM. */
int ff_sampling_set_override(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t rate);

/*
 * Parses "EXPORTER=N" (an IPv4 or IPv6 address, N in 1..2^32-1). Returns 0,
 * or -1 with a reason in `err`.
 */
int ff_sampling_parse_override(const char *text, uint8_t exporter[FF_ADDR_LEN], uint32_t *rate,
			       char *err, size_t err_len);

/* Records a sampler's rate (0 is ignored). Returns 0, -ENOSPC (table full) or -ENOMEM. */
int ff_sampling_learn(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
		      enum ff_sampler_kind kind, uint64_t id, uint32_t rate);

/* Records the exporter's boot time (unix ms) for a domain. Returns 0, -ENOSPC or -ENOMEM. */
int ff_sampling_set_sysinit(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
			    uint64_t sysinit_ms);

/* A learned rate, or 0 when unknown. `s` may be NULL. */
uint32_t ff_sampling_lookup(const ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN],
			    uint32_t domain, enum ff_sampler_kind kind, uint64_t id);

/* The domain's announced boot time, or 0 when unknown. `s` may be NULL. */
uint64_t ff_sampling_sysinit(const ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN],
			     uint32_t domain);

/*
 * Where an applied rate came from; the numbers are the wire's
 * SamplingSource (proto/flowfleet.proto).
 */
enum ff_sampling_source {
	FF_SAMPLING_UNKNOWN = 0,
	FF_SAMPLING_ANNOUNCED = 1, /* the packet or the exporter's sampler tables */
	FF_SAMPLING_DEFAULT = 2,   /* none announced: the configured default (1 unless set) */
	FF_SAMPLING_OVERRIDE = 3,  /* a per-exporter override */
};

/*
 * Chooses the rate for `f` (f->exporter set, f->sampling_rate the announced
 * rate or 0), stores it and scales bytes and packets. `s` may be NULL: the
 * announced rate applies, else 1. Returns where the rate came from.
 */
enum ff_sampling_source ff_sampling_apply(const ff_sampling *s, ff_flow *f);

/* True when the learned tables changed since the last save or load. */
bool ff_sampling_dirty(const ff_sampling *s);

/* Clears the dirty flag: what it holds was saved by other means (a merge). */
void ff_sampling_mark_saved(ff_sampling *s);

/*
 * Copies into `dst` every learned entry of `src` that `dst` lacks or learned
 * earlier (overrides and the default stay): one table of what several
 * receive threads learned, to be saved. Returns 0 or a negative errno.
 */
int ff_sampling_merge(ff_sampling *dst, const ff_sampling *src);

/* Serialises the learned tables (not the configuration). Caller frees *buf. Returns 0 or -ENOMEM.
 */
int ff_sampling_save(ff_sampling *s, uint8_t **buf, size_t *len);

/*
 * Adds the entries of a buffer written by ff_sampling_save(). Returns how
 * many, -EINVAL (bad magic, version, checksum or length: nothing loaded) or -ENOMEM.
 */
int ff_sampling_load(ff_sampling *s, const uint8_t *buf, size_t len);

#endif
