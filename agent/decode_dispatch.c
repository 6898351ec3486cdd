#include "decoder.h"

#include "agent_fs.h"
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

/* Larger state files are not ours: templates and samplers stay far below this. */
#define FF_DECODER_STATE_MAX (64u << 20)
/* sFlow interfaces whose counters are kept: a large switch fabric's worth. */
#define FF_DECODER_SFLOW_IFS 65536

int ff_decoder_ctx_init(ff_decoder_ctx *ctx, ff_decode_emit_fn emit, void *emit_arg)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->emit = emit;
	ctx->emit_arg = emit_arg;
	ctx->templates = ff_template_cache_new();
	ctx->sampling = ff_sampling_new();
	ctx->seqloss = ff_seqloss_new();
	ctx->sflow_counters = ff_sflow_counters_new(FF_DECODER_SFLOW_IFS);
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
	const ff_decoder *d = ff_decode_pick(pkt);
	if (d == NULL)
		return FF_DECODE_EVERSION;
	return d->decode(ctx, pkt, len, exporter, now_ms);
}

void ff_decoder_emit(ff_decoder_ctx *ctx, ff_flow *f)
{
	ff_sampling_apply(ctx->sampling, f);
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
		rc = ff_agent_write_atomic(dir, "templates", buf, len);
		free(buf);
		if (rc != 0)
			return rc;
	}
	if (ctx->sampling != NULL && ff_sampling_dirty(ctx->sampling)) {
		if ((rc = ff_sampling_save(ctx->sampling, &buf, &len)) != 0)
			return rc;
		rc = ff_agent_write_atomic(dir, "samplers", buf, len);
		free(buf);
	}
	return rc;
}

/* Reads dir/name into `load`; returns what it loaded, 0 when absent or corrupt. */
static int ff_decoder_load_file(const char *dir, const char *name, void *table,
				int (*load)(void *table, const uint8_t *buf, size_t len))
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int rc = ff_agent_read_file(path, FF_DECODER_STATE_MAX, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		ff_log_errno(FF_LOG_WARN, -rc,
			     "reading %s failed; it is rebuilt from the exporters", path);
		return 0;
	}
	rc = load(table, buf, len);
	free(buf);
	if (rc < 0) {
		ff_log_warn("%s is corrupt (%s); ignored, it is rebuilt from the exporters", path,
			    ff_strerror(rc));
		return 0;
	}
	return rc;
}

static int ff_decoder_load_templates(void *t, const uint8_t *buf, size_t len)
{
	return ff_template_cache_load(t, buf, len);
}

static int ff_decoder_load_samplers(void *s, const uint8_t *buf, size_t len)
{
	return ff_sampling_load(s, buf, len);
}

int ff_decoder_ctx_load(ff_decoder_ctx *ctx, const char *dir)
{
	int n = 0;
	if (ctx->templates != NULL)
		n += ff_decoder_load_file(dir, "templates", ctx->templates,
					  ff_decoder_load_templates);
	if (ctx->sampling != NULL)
		n += ff_decoder_load_file(dir, "samplers", ctx->sampling, ff_decoder_load_samplers);
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
