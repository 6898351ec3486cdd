#include "decode_template.h"

#include "exporter_stats.h"
#include "field_map.h"
#include "sampling.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ff__tpl_packet_init(ff__tpl_packet *pk, ff_decoder_ctx *ctx,
			 const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms, uint8_t proto,
			 uint32_t domain, const ff_export_hdr *hdr)
{
	memset(pk, 0, sizeof *pk);
	pk->ctx = ctx;
	pk->exporter = exporter;
	pk->now_ms = now_ms;
	memcpy(pk->key.exporter, exporter, FF_ADDR_LEN);
	pk->key.proto = proto;
	pk->key.domain = domain;
	pk->hdr = *hdr;
}

static void ff_tpl_event(ff__tpl_packet *pk, enum ff_exporter_event ev, int64_t n)
{
	ff_exporter_stats_add(pk->ctx->stats, pk->exporter, ev, n);
}

/* The sampler table entry a flow record names, else the domain's rate. */
static uint32_t ff_tpl_table_rate(const ff__tpl_packet *pk, const ff_field_values *v,
				  uint32_t domain_rate)
{
	const ff_sampling *s = pk->ctx->sampling;
	uint32_t r = 0;
	if (ff_field_has(v, FF_FA_SAMPLER_ID))
		r = ff_sampling_lookup(s, pk->exporter, pk->key.domain, FF_SAMPLER_ID,
				       v->v[FF_FA_SAMPLER_ID]);
	else if (ff_field_has(v, FF_FA_SELECTOR_ID))
		r = ff_sampling_lookup(s, pk->exporter, pk->key.domain, FF_SAMPLER_SELECTOR,
				       v->v[FF_FA_SELECTOR_ID]);
	return r ? r : domain_rate;
}

/* An options record: its sampler rate and boot time go to the tables. */
static void ff_tpl_options_record(ff__tpl_packet *pk, const ff_field_values *v)
{
	ff_sampling *s = pk->ctx->sampling;
	ff_tpl_event(pk, FF_EV_OPTIONS_RECORDS, 1);
	if (s == NULL)
		return;
	uint32_t rate = ff_field_map_rate(v);
	const uint8_t *ex = pk->exporter;
	uint32_t dom = pk->key.domain;
	/* Table full or out of memory: the rate is not learned and the default applies. */
	if (ff_field_has(v, FF_FA_SAMPLER_ID))
		(void)ff_sampling_learn(s, ex, dom, FF_SAMPLER_ID, v->v[FF_FA_SAMPLER_ID], rate);
	else if (ff_field_has(v, FF_FA_SELECTOR_ID))
		(void)ff_sampling_learn(s, ex, dom, FF_SAMPLER_SELECTOR, v->v[FF_FA_SELECTOR_ID],
					rate);
	else
		(void)ff_sampling_learn(s, ex, dom, FF_SAMPLER_DOMAIN, 0, rate);
	if (ff_field_has(v, FF_FA_SYSINIT_MS))
		(void)ff_sampling_set_sysinit(s, ex, dom, v->v[FF_FA_SYSINIT_MS]);
}

/*
 * Decodes the records of one data set with its template. What is left
 * after the last whole record and shorter than a record is padding
 * (RFC 3954 section 5.3, RFC 7011 section 3.3.1).
 */
static int ff_tpl_records(ff__tpl_packet *pk, const ff_template *t, const ff_export_hdr *hdr,
			  const uint8_t *body, size_t len, uint32_t *n_records)
{
	const uint8_t *ex = pk->exporter;
	uint32_t dom = pk->key.domain;
	uint64_t sysinit = ff_sampling_sysinit(pk->ctx->sampling, ex, dom);
	uint32_t domain_rate = ff_sampling_lookup(pk->ctx->sampling, ex, dom, FF_SAMPLER_DOMAIN, 0);
	size_t off = 0;
	while (len - off >= t->min_len) {
		ff_field_values v;
		size_t used = ff_field_map_record(t, body + off, len - off, &v);
		if (used == 0)
			return FF_DECODE_EBADRECORD;
		off += used;
		(*n_records)++;
		if (t->options) {
			ff_tpl_options_record(pk, &v);
			continue;
		}
		ff_field_map_flow(&v, hdr, sysinit, ff_tpl_table_rate(pk, &v, domain_rate));
		memcpy(v.flow.exporter, ex, FF_ADDR_LEN);
		ff_decoder_emit(pk->ctx, &v.flow);
		pk->records++;
	}
	return 0;
}

static void ff_tpl_dropped(void *arg, const ff_pending_set *p)
{
	ff_decoder_ctx *ctx = arg;
	ff_exporter_stats_add(ctx->stats, p->key.exporter, FF_EV_PENDING_EXPIRED, 1);
	ff_exporter_stats_add(ctx->stats, p->key.exporter, FF_EV_NO_TEMPLATE, 1);
}

int ff__tpl_data_set(ff__tpl_packet *pk, uint16_t id, const uint8_t *body, size_t len)
{
	pk->key.id = id;
	const ff_template *t = ff_template_cache_get(pk->ctx->templates, &pk->key);
	if (t != NULL)
		return ff_tpl_records(pk, t, &pk->hdr, body, len, &pk->data_records);
	pk->unknown = 1;
	ff_exporter_stats_missing_template(pk->ctx->stats, pk->exporter, pk->key.domain, id,
					   pk->now_ms);
	if (ff_template_cache_hold(pk->ctx->templates, &pk->key, &pk->hdr, body, len, pk->now_ms,
				   ff_tpl_dropped, pk->ctx) == 0)
		ff_tpl_event(pk, FF_EV_PENDING_HELD, 1);
	else
		ff_tpl_event(pk, FF_EV_NO_TEMPLATE, 1);
	return 0;
}

/* Decodes a held set now that its template is known (its own export header applies). */
static void ff_tpl_release_one(void *arg, const ff_pending_set *p)
{
	ff__tpl_packet *pk = arg;
	const ff_template *t = ff_template_cache_get(pk->ctx->templates, &p->key);
	uint32_t n = 0;
	ff_tpl_event(pk, FF_EV_PENDING_DECODED, 1);
	if (t != NULL && ff_tpl_records(pk, t, &p->hdr, p->data, p->len, &n) != 0)
		ff_exporter_stats_malformed(pk->ctx->stats, pk->exporter, FF_DECODE_EBADRECORD,
					    pk->now_ms);
}

/* Another exporter's (or this one's) template made room for this packet's. */
static void ff_tpl_evicted(void *arg, const ff_tpl_key *victim, enum ff_tpl_evict_reason why)
{
	ff__tpl_packet *pk = arg;
	ff_exporter_stats_template_lost(pk->ctx->stats, victim->exporter, FF_EV_TEMPLATE_EVICTED,
					victim->id, ff_tpl_evict_reason_text(why), pk->now_ms);
}

void ff__tpl_refused(ff__tpl_packet *pk, uint16_t id, int err)
{
	ff_exporter_stats_template_lost(
	    pk->ctx->stats, pk->exporter, FF_EV_TEMPLATE_REFUSED, id,
	    err == -ENOSPC ? "the template cache is full and this exporter holds its fair "
			     "share of it, with no template of its own to give"
			   : "out of memory",
	    pk->now_ms);
}

int ff__tpl_learn(ff__tpl_packet *pk, ff_template *t)
{
	pk->key.id = t->id;
	if (ff_template_finish(t) != 0) {
		free(t);
		return FF_DECODE_EBADTEMPLATE;
	}
	uint16_t id = t->id;
	int rc = ff_template_cache_put(pk->ctx->templates, &pk->key, t, ff_tpl_evicted, pk);
	if (rc < 0) {
		/* Its data will count as no_template. */
		ff__tpl_refused(pk, id, rc);
		return 0;
	}
	ff_tpl_event(pk, FF_EV_TEMPLATES, 1);
	ff_exporter_stats_template_learned(pk->ctx->stats, pk->exporter, pk->key.domain, id,
					   pk->now_ms);
	if (rc == FF_TPL_REPLACED)
		ff_tpl_event(pk, FF_EV_TEMPLATE_REPLACED, 1);
	if (ff_template_cache_pending(pk->ctx->templates) > 0)
		ff_template_cache_release(pk->ctx->templates, &pk->key, ff_tpl_release_one, pk);
	return 0;
}

void ff__tpl_withdraw(ff__tpl_packet *pk, uint16_t set_id, uint16_t id)
{
	int n;
	pk->key.id = id;
	/* RFC 7011 section 8.1: the set's own id as template id withdraws all of that kind. */
	if (id == set_id)
		n = ff_template_cache_withdraw_all(pk->ctx->templates, &pk->key, set_id == 3);
	else
		n = ff_template_cache_withdraw(pk->ctx->templates, &pk->key);
	ff_tpl_event(pk, FF_EV_TEMPLATE_WITHDRAWN, n);
}

int ff__tpl_packet_end(ff__tpl_packet *pk, int err)
{
	if (err == 0)
		return pk->records;
	if (pk->records == 0)
		return err;
	ff_exporter_stats_malformed(pk->ctx->stats, pk->exporter, err, pk->now_ms);
	return pk->records;
}

void ff__tpl_expire(ff_decoder_ctx *ctx, uint64_t now_ms)
{
	if (ctx->templates != NULL)
		ff_template_cache_expire(ctx->templates, now_ms, ff_tpl_dropped, ctx);
}
