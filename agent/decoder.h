#ifndef FF_DECODER_H
#define FF_DECODER_H

/*
 * The decoder interface: one implementation per export protocol (NetFlow v5,
 * NetFlow v9, IPFIX, sFlow v5), picked by ff_decode_dispatch() from the
 * datagram's version field. A decoder turns one datagram into canonical
 * ff_flow records and hands each to ff_decoder_emit(); it never keeps a
 * pointer to the packet (a template-based decoder that holds a data set for
 * a template yet to come keeps its own copy).
 *
 * How to use it (for every caller: the agent, tests, tools):
 *
 *     ff_decoder_ctx ctx;
 *     if (ff_decoder_ctx_init(&ctx, my_emit, my_arg) != 0) ... out of memory
 *     ctx.stats = stats_table;          optional, see below
 *     ff_decode_dispatch(&ctx, pkt, len, exporter, now_ms);   per datagram
 *     ...
 *     ff_decoder_ctx_release(&ctx);
 *
 * A zero-initialised context with only `emit` set still decodes the
 * stateless protocols (v5, sFlow); NetFlow v9 and IPFIX need the template
 * cache that ff_decoder_ctx_init() creates, and without it are rejected as
 * FF_DECODE_EVERSION (no decoder for them in that context).
 *
 * Return convention of every decode function: the number of records emitted
 * (>= 0), or an ff_decode_error when the packet was rejected before anything
 * was emitted. A template-based packet can be partly good: records of sets
 * before a malformed set are kept (as nfdump does), the rest of the packet
 * is skipped, and the malformation is counted through ctx->stats with
 * ff_exporter_stats_add(); the return value is then the count of records
 * kept. So each datagram is counted exactly once by the caller:
 * ff_exporter_stats_count(stats, exporter, rc, now_ms).
 *
 * For decoder authors: emit every flow through ff_decoder_emit() (never
 * ctx->emit directly) so sampling is applied in one place; count events
 * (counter samples, no template, ...) with ff_decoder_event() and sequence
 * numbers with ff_decoder_seq(). All three accept a context without stats,
 * sampling or sequence tables.
 */

#include "ff_err.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ff_exporter_stats;
struct ff_template_cache;
struct ff_sampling;
struct ff_seqloss;
struct ff_sflow_counters;
struct ff_sflow_counters;

/*
 * Why a packet was rejected: enum ff_decode_error, FF_DECODE_ESHORT ..
 * FF_DECODE_EBADTEMPLATE, in common/ff_err.h (one error space for all
 * modules); exporter_stats maps each to its malformed.* counter.
 */

/* Receives each decoded record; `f` is borrowed for the duration of the call. */
typedef void (*ff_decode_emit_fn)(void *arg, const ff_flow *f);

/*
 * Per-listener decoding context. `emit`/`emit_arg` are the sink; `stats` is
 * borrowed and optional (NULL: events are not counted); the four tables
 * (templates, sampling, seqloss, sflow_counters) are owned, created by
 * ff_decoder_ctx_init() and freed by ff_decoder_ctx_release(); a zeroed
 * context leaves them NULL, and decoders then skip what they would keep
 * there. Not thread-safe: one context per thread.
 */
typedef struct ff_decoder_ctx {
	ff_decode_emit_fn emit;
	void *emit_arg;
	struct ff_exporter_stats *stats;	  /* borrowed, may be NULL */
	struct ff_template_cache *templates;	  /* v9/IPFIX templates and held data sets */
	struct ff_sampling *sampling;		  /* sampler tables, override and default rates */
	struct ff_seqloss *seqloss;		  /* sequence-number loss per exporter and domain */
	struct ff_sflow_counters *sflow_counters; /* sFlow counter samples (sflow_counters.h) */
	uint64_t implausible_log_ms; /* when an implausible record was last logged */
	uint64_t implausible_unlogged; /* implausible records since, not logged */
	/*
	 * Records whose first or last time lies further than this from the
	 * datagram's arrival are counted as records.clock_skewed (and kept as
	 * they are); 0: not checked. Set by the caller after init.
	 */
	uint64_t max_clock_skew_ms;
	uint64_t now_ms;	  /* arrival of the datagram being decoded (unix ms) */
	uint64_t skew_log_ms;	  /* when a clock-skewed record was last logged */
	uint64_t skew_unlogged;	  /* clock-skewed records since, not logged */
	/*
	 * The rate applied to the datagram's last record and its source (enum
	 * ff_sampling_source, 0: no record): noted once per datagram in the
	 * exporter's diagnosis, not once per record.
	 */
	uint32_t emit_rate;
	uint8_t emit_source;
	/* The decoder the last datagram went to (exporter_stats.h protocol), -1: none. */
	int protocol;
} ff_decoder_ctx;

/*
 * The most bytes one packet carries: an IP datagram's length field is 16 bits
 * (IPv6 jumbograms aside, which no flow exporter reports). A record claiming
 * more bytes a packet is damaged or forged (an 8-byte byte count near 2^64
 * once hid the busiest host) and is dropped, counted per exporter as
 * records.implausible.
 */
#define FF_DECODE_MAX_PACKET_BYTES 65535


/* Creates the owned tables and sets the sink. Returns 0, or -ENOMEM with nothing left allocated. */
int ff_decoder_ctx_init(ff_decoder_ctx *ctx, ff_decode_emit_fn emit, void *emit_arg);

/* Frees what ff_decoder_ctx_init() created (not `stats`); safe on a zeroed context. */
void ff_decoder_ctx_release(ff_decoder_ctx *ctx);

/*
 * Drops data sets held longer than their bound for a template that never
 * came (counted as no_template). Call now and then, e.g. once per interval.
 */
void ff_decoder_expire(ff_decoder_ctx *ctx, uint64_t now_ms);

/*
 * Persists the learned templates and sampler tables in `dir` (files
 * `templates` and `samplers`, written atomically; only when changed).
 * Returns 0 or -errno.
 */
int ff_decoder_ctx_save(ff_decoder_ctx *ctx, const char *dir);

/*
 * Reloads what ff_decoder_ctx_save() wrote. A missing file is not an error;
 * a corrupt one is skipped (its templates come again with the exporter's
 * next refresh). Returns the number of templates and samplers loaded, or
 * -errno for an unreadable directory.
 */
int ff_decoder_ctx_load(ff_decoder_ctx *ctx, const char *dir);

/* Whether templates or sampler tables changed since the last save or merge. */
bool ff_decoder_ctx_dirty(const ff_decoder_ctx *ctx);

/*
 * Merges the templates and sampler tables of `src` into `dst`, the
 * freshest copy of each winning, and counts `src` as saved: with several
 * receive threads, one context per thread, `dst` is what is saved.
 * Returns 0 or a negative errno.
 */
int ff_decoder_ctx_merge_state(ff_decoder_ctx *dst, ff_decoder_ctx *src);

typedef struct ff_decoder {
	const char *name;
	/*
	 * Decodes one datagram from `exporter` (16-byte address, v4-mapped for
	 * IPv4) received at `now_ms` (unix ms). Returns the number of records
	 * emitted (>= 0) or an ff_decode_error (see the convention above).
	 */
	int (*decode)(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		      const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms);
} ff_decoder;

extern const ff_decoder ff_decoder_nf5;	  /* decode_nf5.c */
extern const ff_decoder ff_decoder_nf9;	  /* decode_nf9.c */
extern const ff_decoder ff_decoder_ipfix; /* decode_ipfix.c */
extern const ff_decoder ff_decoder_sflow; /* decode_sflow.c */

/*
 * Picks the decoder by the datagram's leading version field and runs it
 * (decode_dispatch.c). Same return convention as ff_decoder.decode.
 */
int ff_decode_dispatch(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		       const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms);

/*
 * Hands one decoded flow to the sink after sampling: `f->sampling_rate`
 * holds the rate the exporter announced for it (0: none announced). The
 * rate applied is the per-exporter override if one is configured, else the
 * announced rate, else the configured default (1 unless set); it is stored
 * in f->sampling_rate and bytes and packets are multiplied by it. `f` is
 * modified in place. A record whose first_ms or last_ms lies more than
 * ctx->max_clock_skew_ms from ctx->now_ms is counted as records.clock_skewed
 * (and logged at most once a minute), then handed on unchanged.
 */
void ff_decoder_emit(ff_decoder_ctx *ctx, ff_flow *f);

/*
 * Counts `n` occurrences of event `ev` (an enum ff_exporter_event of
 * exporter_stats.h, e.g. FF_EV_COUNTER_SAMPLES) for `exporter`.
 */
void ff_decoder_event(ff_decoder_ctx *ctx, const uint8_t exporter[FF_ADDR_LEN], int ev, uint64_t n,
		      uint64_t now_ms);

/*
 * Feeds one sequence number to the loss accounting (seqloss.h): `kind` is an
 * enum ff_seq_kind, `domain` the source id / observation domain / sFlow
 * sub-agent, `increment` what this packet adds to the sequence (1 for
 * counters of packets or datagrams, the record count for v5 and IPFIX).
 * Newly detected losses are added to the exporter's counters.
 */
void ff_decoder_seq(ff_decoder_ctx *ctx, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
		    int kind, uint32_t seq, uint32_t increment, uint64_t now_ms);

#endif
