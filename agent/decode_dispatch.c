#include "decoder.h"
#include <inttypes.h>
#include "ff_time.h"

#include "ff_file.h"
#include "decode_template.h"
#include "exporter_stats.h"
#include "ff_bytes.h"
#include "ff_log.h"
#include "sampling.h"
#include "seqloss.h"
#include "sflow_counters.h"
#include "template_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Larger samplers files are not ours: sampler tables stay far below this.
 * The templates file has its own bound, FF_TPL_STATE_MAX, the one its saver
 * keeps (template_cache.h).
 */
#define FF_DECODER_SAMPLERS_MAX (64u << 20)

int ff_decoder_ctx_init(ff_decoder_ctx *ctx, ff_decode_emit_fn emit, void *emit_arg)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->emit = emit;
	ctx->emit_arg = emit_arg;
	ctx->templates = ff_template_cache_new();
	ctx->sampling = ff_sampling_new();
	ctx->seqloss = ff_seqloss_new();
	ctx->sflow_counters = ff_sflow_counters_new(FF_SFLOW_COUNTERS_MAX_IFS);
	if (ctx->templates == NULL || ctx->sampling == NULL || ctx->seqloss == NULL ||
	    ctx->sflow_counters == NULL) {
		ff_decoder_ctx_release(ctx);
		return -ENOMEM;
	}
	return 0;
}

void ff_decoder_ctx_release(ff_decoder_ctx *ctx)
{
	ff_template_cache_free(ctx->templates);
	ff_sampling_free(ctx->sampling);
	ff_seqloss_free(ctx->seqloss);
	ff_sflow_counters_free(ctx->sflow_counters);
	ctx->sflow_counters = NULL;
	ctx->templates = NULL;
	ctx->sampling = NULL;
	ctx->seqloss = NULL;
}

/*
 * NetFlow v5/v9 and IPFIX (10) start with a 16-bit version; sFlow starts
 * with a 32-bit version (5), whose first 16 bits are therefore zero.
 */
static const ff_decoder *ff_decode_pick(const uint8_t *pkt)
{
	unsigned version = ff_get_be16(pkt);
	switch (version) {
	case 5:
		return &ff_decoder_nf5;
	case 9:
		return &ff_decoder_nf9;
	case 10:
		return &ff_decoder_ipfix;
	case 0:
		return pkt[2] == 0 && pkt[3] == 5 ? &ff_decoder_sflow : NULL;
	default:
		return NULL;
	}
}

int ff_decode_dispatch(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		       const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	if (len < 4)
		return FF_DECODE_ESHORT;
	ctx->protocol = -1;
	const ff_decoder *d = ff_decode_pick(pkt);
	if (d == NULL)
		return FF_DECODE_EVERSION;
	ctx->protocol = d == &ff_decoder_nf5	 ? 0
			: d == &ff_decoder_nf9	 ? 1
			: d == &ff_decoder_ipfix ? 2
						 : 3;
	ctx->now_ms = now_ms;
	ctx->emit_source = FF_SAMPLING_UNKNOWN;
	int rc = d->decode(ctx, pkt, len, exporter, now_ms);
	if (ctx->emit_source != FF_SAMPLING_UNKNOWN)
		ff_exporter_stats_sampling(ctx->stats, exporter, ctx->emit_rate, ctx->emit_source);
	return rc;
}

/* Counts and (once a minute at most) logs a record dropped as implausible. */
static void ff_decoder_implausible(ff_decoder_ctx *ctx, const ff_flow *f)
{
	if (ctx->stats != NULL)
		ff_exporter_stats_add(ctx->stats, f->exporter, FF_EV_IMPLAUSIBLE, 1);
	uint64_t now = ff_time_mono_ms();
	if (ctx->implausible_log_ms != 0 && now - ctx->implausible_log_ms < 60000) {
		ctx->implausible_unlogged++;
		return;
	}
	char exp[FF_ADDR_STRLEN];
	ff_log_warn("exporter %s: record of %" PRIu64 " bytes in %" PRIu64
		    " packets dropped: more than %u bytes a packet (records.implausible; %" PRIu64
		    " more since the last such line)",
		    ff_addr_format(f->exporter, exp), f->bytes, f->packets,
		    FF_DECODE_MAX_PACKET_BYTES, ctx->implausible_unlogged);
	ctx->implausible_log_ms = now;
	ctx->implausible_unlogged = 0;
}

/* Whether `t` lies more than `skew` from `now`, either way. */
static bool ff_decoder_skewed(uint64_t t, uint64_t now, uint64_t skew)
{
	return t > now ? t - now > skew : now - t > skew;
}

/*
 * Counts and (once a minute at most) logs a record stamped far from the
 * agent's clock. It is kept as it is: the exporter's clock may be the one
 * that is right, and dropping would hide its traffic; the aggregator's
 * retention ages such records by when they were stored instead.
 */
static void ff_decoder_clock_skewed(ff_decoder_ctx *ctx, const ff_flow *f)
{
	int64_t first = (int64_t)(f->first_ms - ctx->now_ms);
	int64_t last = (int64_t)(f->last_ms - ctx->now_ms);
	bool first_larger = (first < 0 ? -first : first) >= (last < 0 ? -last : last);
	ff_exporter_stats_skewed(ctx->stats, f->exporter, first_larger ? first : last, ctx->now_ms);
	uint64_t now = ff_time_mono_ms();
	if (ctx->skew_log_ms != 0 && now - ctx->skew_log_ms < 60000) {
		ctx->skew_unlogged++;
		return;
	}
	char exp[FF_ADDR_STRLEN];
	ff_log_warn("exporter %s: record stamped first %" PRIu64 " ms, last %" PRIu64
		    " ms (unix) arrived at %" PRIu64 " ms: more than %" PRIu64
		    " s off this agent's clock (--max-clock-skew); kept as it is, counted as "
		    "records.clock_skewed (%" PRIu64 " more since the last such line)",
		    ff_addr_format(f->exporter, exp), f->first_ms, f->last_ms, ctx->now_ms,
		    ctx->max_clock_skew_ms / 1000, ctx->skew_unlogged);
	ctx->skew_log_ms = now;
	ctx->skew_unlogged = 0;
}

void ff_decoder_emit(ff_decoder_ctx *ctx, ff_flow *f)
{
	if (f->packets > 0 && f->bytes / f->packets > FF_DECODE_MAX_PACKET_BYTES) {
		ff_decoder_implausible(ctx, f);
		return;
	}
	uint64_t skew = ctx->max_clock_skew_ms;
	if (skew != 0 && ctx->now_ms != 0 &&
	    (ff_decoder_skewed(f->first_ms, ctx->now_ms, skew) ||
	     ff_decoder_skewed(f->last_ms, ctx->now_ms, skew)))
		ff_decoder_clock_skewed(ctx, f);
	ctx->emit_source = (uint8_t)ff_sampling_apply(ctx->sampling, f);
	ctx->emit_rate = f->sampling_rate;
	ctx->emit(ctx->emit_arg, f);
}

void ff_decoder_event(ff_decoder_ctx *ctx, const uint8_t exporter[FF_ADDR_LEN], int ev, uint64_t n,
		      uint64_t now_ms)
{
	(void)now_ms;
	if (n > 0)
		ff_exporter_stats_add(ctx->stats, exporter, (enum ff_exporter_event)ev, (int64_t)n);
}

/* The exporter counter each sequence kind's loss is reported under. */
static const enum ff_exporter_event ff_seq_event[FF_SEQ_N] = {
    [FF_SEQ_V5_FLOWS] = FF_EV_SEQ_LOST_V5_FLOWS,
    [FF_SEQ_V9_PACKETS] = FF_EV_SEQ_LOST_V9_PACKETS,
    [FF_SEQ_IPFIX_RECORDS] = FF_EV_SEQ_LOST_IPFIX_RECORDS,
    [FF_SEQ_SFLOW_DATAGRAMS] = FF_EV_SEQ_LOST_SFLOW_DATAGRAMS,
    [FF_SEQ_SFLOW_SAMPLES] = FF_EV_SEQ_LOST_SFLOW_SAMPLES,
};

void ff_decoder_seq(ff_decoder_ctx *ctx, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
		    int kind, uint32_t seq, uint32_t increment, uint64_t now_ms)
{
	(void)now_ms;
	if (ctx->seqloss == NULL || kind < 0 || kind >= FF_SEQ_N)
		return;
	int64_t lost = ff_seqloss_observe(ctx->seqloss, exporter, domain, (enum ff_seq_kind)kind,
					  seq, increment);
	if (lost != 0)
		ff_exporter_stats_add(ctx->stats, exporter, ff_seq_event[kind], lost);
}

void ff_decoder_expire(ff_decoder_ctx *ctx, uint64_t now_ms)
{
	ff__tpl_expire(ctx, now_ms);
}

int ff_decoder_ctx_save(ff_decoder_ctx *ctx, const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;
	if (ctx->templates != NULL && ff_template_cache_dirty(ctx->templates)) {
		if ((rc = ff_template_cache_save(ctx->templates, &buf, &len)) != 0)
			return rc;
		rc = ff_file_write_atomic(dir, "templates", buf, len, 0600);
		free(buf);
		if (rc != 0)
			return rc;
	}
	if (ctx->sampling != NULL && ff_sampling_dirty(ctx->sampling)) {
		if ((rc = ff_sampling_save(ctx->sampling, &buf, &len)) != 0)
			return rc;
		rc = ff_file_write_atomic(dir, "samplers", buf, len, 0600);
		free(buf);
	}
	return rc;
}

/* Reads dir/name, at most `max` bytes; returns 0 with the bytes, or 1 when it is not to be loaded.
 */
static int ff_decoder_read_state(const char *dir, const char *name, size_t max, uint8_t **buf,
				 size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int rc = ff_file_read(path, max, buf, len);
	if (rc == -ENOENT)
		return 1;
	if (rc == -EFBIG)
		ff_log_warn(
		    "%s is larger than the %zu bytes this agent ever writes there (an older "
		    "version's or not ours): not loaded, left in place and replaced at the "
		    "next save; %s are relearned from the exporters",
		    path, max, name);
	else if (rc != 0)
		ff_log_errno(FF_LOG_WARN, -rc,
			     "reading %s failed: not loaded; %s are relearned from the exporters",
			     path, name);
	return rc == 0 ? 0 : 1;
}

static int ff_decoder_load_templates(ff_template_cache *tc, const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0, refused = 0, evicted = 0;
	if (ff_decoder_read_state(dir, "templates", FF_TPL_STATE_MAX, &buf, &len) != 0)
		return 0;
	int rc = ff_template_cache_load(tc, buf, len, &refused, &evicted);
	free(buf);
	if (rc < 0) {
		ff_log_warn(
		    "%s/templates is corrupt (%s): %zu templates read before the damage kept, "
		    "the others are relearned from the exporters' next refresh",
		    dir, ff_strerror(rc), ff_template_cache_count(tc));
		return (int)ff_template_cache_count(tc);
	}
	if (refused > 0 || evicted > 0)
		ff_log_warn("%s/templates holds more than the template bounds: %zu templates not "
			    "loaded, %zu evicted by the fair-share policy; they are relearned from "
			    "the exporters",
			    dir, refused, evicted);
	return rc;
}

static int ff_decoder_load_samplers(ff_sampling *s, const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (ff_decoder_read_state(dir, "samplers", FF_DECODER_SAMPLERS_MAX, &buf, &len) != 0)
		return 0;
	int rc = ff_sampling_load(s, buf, len);
	free(buf);
	if (rc < 0) {
		ff_log_warn(
		    "%s/samplers is corrupt (%s): ignored, sampling rates are relearned from "
		    "the exporters' options records",
		    dir, ff_strerror(rc));
		return 0;
	}
	return rc;
}

int ff_decoder_ctx_load(ff_decoder_ctx *ctx, const char *dir)
{
	int n = 0;
	if (ctx->templates != NULL)
		n += ff_decoder_load_templates(ctx->templates, dir);
	if (ctx->sampling != NULL)
		n += ff_decoder_load_samplers(ctx->sampling, dir);
	return n;
}
bool ff_decoder_ctx_dirty(const ff_decoder_ctx *ctx)
{
	return (ctx->templates != NULL && ff_template_cache_dirty(ctx->templates)) ||
	       (ctx->sampling != NULL && ff_sampling_dirty(ctx->sampling));
}

int ff_decoder_ctx_merge_state(ff_decoder_ctx *dst, ff_decoder_ctx *src)
{
	int rc = 0;
	if (dst->templates != NULL && src->templates != NULL &&
	    (rc = ff_template_cache_merge(dst->templates, src->templates)) != 0)
		return rc;
	if (dst->sampling != NULL && src->sampling != NULL &&
	    (rc = ff_sampling_merge(dst->sampling, src->sampling)) != 0)
		return rc;
	if (src->templates != NULL)
		ff_template_cache_mark_saved(src->templates);
	if (src->sampling != NULL)
		ff_sampling_mark_saved(src->sampling);
	return 0;
}
