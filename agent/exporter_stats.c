#include "exporter_stats.h"

#include "decoder.h"
#include "ff_hmap.h"
#include "ff_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ff_exporter_stats {
	ff_hmap *map; /* address -> ff_exporter_counters */
	size_t max;
	bool overflow_warned;
};

static const char *const ff_malformed_names[FF_MAL_N] = {
    [FF_MAL_SHORT_HEADER] = "malformed.short_header",
    [FF_MAL_BAD_COUNT] = "malformed.bad_count",
    [FF_MAL_TRUNCATED] = "malformed.truncated",
    [FF_MAL_UNSUPPORTED_VERSION] = "malformed.unsupported_version",
    [FF_MAL_BAD_SET_LENGTH] = "malformed.bad_set_length",
    [FF_MAL_BAD_RECORD] = "malformed.bad_record",
    [FF_MAL_BAD_TEMPLATE] = "malformed.bad_template",
};

static const char *const ff_event_names[FF_EV_N] = {
    [FF_EV_NO_TEMPLATE] = "no_template",
    [FF_EV_TEMPLATES] = "templates",
    [FF_EV_TEMPLATE_REPLACED] = "template.replaced",
    [FF_EV_TEMPLATE_WITHDRAWN] = "template.withdrawn",
    [FF_EV_PENDING_HELD] = "pending.held",
    [FF_EV_PENDING_DECODED] = "pending.decoded",
    [FF_EV_PENDING_EXPIRED] = "pending.expired",
    [FF_EV_OPTIONS_RECORDS] = "options_records",
    [FF_EV_SEQ_LOST_V5_FLOWS] = "seq.lost.v5_flows",
    [FF_EV_SEQ_LOST_V9_PACKETS] = "seq.lost.v9_packets",
    [FF_EV_SEQ_LOST_IPFIX_RECORDS] = "seq.lost.ipfix_records",
    [FF_EV_SEQ_LOST_SFLOW_DATAGRAMS] = "seq.lost.sflow_datagrams",
    [FF_EV_SEQ_LOST_SFLOW_SAMPLES] = "seq.lost.sflow_samples",
    [FF_EV_COUNTER_SAMPLES] = "sflow.counter_samples",
    [FF_EV_TEMPLATE_REFUSED] = "template.refused",
    [FF_EV_TEMPLATE_EVICTED] = "template.evicted",
    [FF_EV_IMPLAUSIBLE] = "records.implausible",
    [FF_EV_CLOCK_SKEWED] = "records.clock_skewed",
    [FF_EV_DATAGRAMS_V5] = "datagrams.netflow5",
    [FF_EV_DATAGRAMS_V9] = "datagrams.netflow9",
    [FF_EV_DATAGRAMS_IPFIX] = "datagrams.ipfix",
    [FF_EV_DATAGRAMS_SFLOW] = "datagrams.sflow5",
    [FF_EV_RECORDS_V5] = "decoded.netflow5",
    [FF_EV_RECORDS_V9] = "decoded.netflow9",
    [FF_EV_RECORDS_IPFIX] = "decoded.ipfix",
    [FF_EV_RECORDS_SFLOW] = "decoded.sflow5",
};

const char *ff_exporter_event_name(enum ff_exporter_event ev)
{
	return (unsigned)ev < FF_EV_N ? ff_event_names[ev] : "event.unknown";
}

const char *ff_malformed_name(enum ff_malformed_reason r)
{
	return (unsigned)r < FF_MAL_N ? ff_malformed_names[r] : "malformed.unknown";
}

ff_exporter_stats *ff_exporter_stats_new(size_t max_exporters)
{
	ff_exporter_stats *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->max = max_exporters ? max_exporters : 1;
	s->map = ff_hmap_new(FF_ADDR_LEN, sizeof(ff_exporter_counters), 16);
	if (s->map == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void ff_exporter_stats_free(ff_exporter_stats *s)
{
	if (s == NULL)
		return;
	ff_hmap_free(s->map);
	free(s);
}

/* The entry of `addr`, or the shared overflow entry once the table is full. */
static ff_exporter_counters *ff_exporter_entry(ff_exporter_stats *s,
					       const uint8_t addr[FF_ADDR_LEN])
{
	static const uint8_t overflow[FF_ADDR_LEN];
	ff_exporter_counters *e = ff_hmap_find(s->map, addr);
	if (e != NULL)
		return e;
	const uint8_t *key = addr;
	if (ff_hmap_count(s->map) >= s->max) {
		if (!s->overflow_warned) {
			ff_log_warn("exporter table full (%zu addresses): further exporters are "
				    "counted together under ::",
				    s->max);
			s->overflow_warned = true;
		}
		key = overflow;
		if ((e = ff_hmap_find(s->map, key)) != NULL)
			return e;
	}
	int created = 0;
	e = ff_hmap_upsert(s->map, key, &created);
	if (e != NULL && created)
		memcpy(e->addr, key, FF_ADDR_LEN);
	return e;
}

static int ff_malformed_reason_of(int decode_rc)
{
	switch (decode_rc) {
	case FF_DECODE_ESHORT:
		return FF_MAL_SHORT_HEADER;
	case FF_DECODE_EBADCOUNT:
		return FF_MAL_BAD_COUNT;
	case FF_DECODE_ETRUNC:
		return FF_MAL_TRUNCATED;
	case FF_DECODE_EBADSET:
		return FF_MAL_BAD_SET_LENGTH;
	case FF_DECODE_EBADRECORD:
		return FF_MAL_BAD_RECORD;
	case FF_DECODE_EBADTEMPLATE:
		return FF_MAL_BAD_TEMPLATE;
	default:
		return FF_MAL_UNSUPPORTED_VERSION;
	}
}

static void ff_exporter_log_malformed(ff_exporter_counters *e, int reason, uint64_t now_ms)
{
	if (e->last_log_ms != 0 && now_ms - e->last_log_ms < FF_EXPORTER_LOG_MS) {
		e->suppressed++;
		return;
	}
	char a[FF_ADDR_STRLEN];
	ff_log_warn("malformed datagram from %s (%s), skipped; %" PRIu64
		    " similar complaints suppressed since the last line",
		    ff_addr_format(e->addr, a), ff_malformed_name((enum ff_malformed_reason)reason),
		    e->suppressed);
	e->last_log_ms = now_ms;
	e->suppressed = 0;
}

/* The smoothed gap between datagrams: 1/8 weight, as TCP smooths its RTT (RFC 6298). */
static void ff_exporter_note_datagram(ff_exporter_diag *d, uint64_t now_ms)
{
	if (d->last_datagram_ms != 0 && now_ms >= d->last_datagram_ms) {
		uint64_t gap = now_ms - d->last_datagram_ms;
		if (!d->has_interval)
			d->interval_ms = gap;
		else
			d->interval_ms = (uint64_t)((int64_t)d->interval_ms +
						    ((int64_t)gap - (int64_t)d->interval_ms) / 8);
		d->has_interval = true;
	}
	if (now_ms > d->last_datagram_ms)
		d->last_datagram_ms = now_ms;
}

void ff_exporter_stats_count(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN], int decode_rc,
			     uint64_t now_ms)
{
	ff_exporter_stats_count_protocol(s, addr, -1, decode_rc, now_ms);
}

void ff_exporter_stats_count_protocol(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				      int protocol, int decode_rc, uint64_t now_ms)
{
	ff_exporter_counters *e = ff_exporter_entry(s, addr);
	if (e == NULL)
		return; /* out of memory: statistics are best effort, the flows are not */
	ff_exporter_note_datagram(&e->diag, now_ms);
	e->packets++;
	if (protocol >= 0 && protocol < FF_DECODE_PROTOCOLS)
		e->events[FF_EV_DATAGRAMS_V5 + protocol]++;
	if (decode_rc >= 0) {
		e->records += (uint64_t)decode_rc;
		if (protocol >= 0 && protocol < FF_DECODE_PROTOCOLS)
			e->events[FF_EV_RECORDS_V5 + protocol] += (uint64_t)decode_rc;
		return;
	}
	int reason = ff_malformed_reason_of(decode_rc);
	e->malformed[reason]++;
	ff_exporter_log_malformed(e, reason, now_ms);
}

void ff_exporter_stats_add(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
			   enum ff_exporter_event ev, int64_t n)
{
	if (s == NULL || (unsigned)ev >= FF_EV_N)
		return;
	ff_exporter_counters *e = ff_exporter_entry(s, addr);
	if (e == NULL)
		return;
	if (n >= 0)
		e->events[ev] += (uint64_t)n;
	else
		e->events[ev] -= (uint64_t)-n < e->events[ev] ? (uint64_t)-n : e->events[ev];
}

void ff_exporter_stats_malformed(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				 int decode_err, uint64_t now_ms)
{
	if (s == NULL)
		return;
	ff_exporter_counters *e = ff_exporter_entry(s, addr);
	if (e == NULL)
		return;
	int reason = ff_malformed_reason_of(decode_err);
	e->malformed[reason]++;
	ff_exporter_log_malformed(e, reason, now_ms);
}

void ff_exporter_stats_template_lost(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				     enum ff_exporter_event ev, uint16_t template_id,
				     const char *why, uint64_t now_ms)
{
	if (s == NULL)
		return;
	ff_exporter_counters *e = ff_exporter_entry(s, addr);
	if (e == NULL)
		return;
	e->events[ev == FF_EV_TEMPLATE_REFUSED ? FF_EV_TEMPLATE_REFUSED : FF_EV_TEMPLATE_EVICTED]++;
	if (e->tpl_last_log_ms != 0 && now_ms - e->tpl_last_log_ms < FF_EXPORTER_LOG_MS) {
		e->tpl_suppressed++;
		return;
	}
	char a[FF_ADDR_STRLEN];
	ff_log_warn("template %u of exporter %s %s: %s; its data counts as no_template until it "
		    "is sent again; %" PRIu64 " similar since the last line",
		    template_id, ff_addr_format(addr, a),
		    ev == FF_EV_TEMPLATE_REFUSED ? "refused" : "evicted", why, e->tpl_suppressed);
	e->tpl_last_log_ms = now_ms;
	e->tpl_suppressed = 0;
}

static ff_missing_template *ff_missing_find(ff_exporter_diag *d, uint32_t domain, uint16_t id)
{
	for (uint32_t i = 0; i < d->n_missing; i++)
		if (d->missing[i].domain == domain && d->missing[i].template_id == id)
			return &d->missing[i];
	return NULL;
}

/* Adds `sets` data sets of a pair to the list, or to the unlisted count once it is full. */
static void ff_missing_add(ff_exporter_diag *d, const ff_missing_template *m)
{
	ff_missing_template *x = ff_missing_find(d, m->domain, m->template_id);
	if (x == NULL && d->n_missing == FF_EXPORTER_MAX_MISSING) {
		uint64_t sum = (uint64_t)d->missing_unlisted + m->data_sets;
		d->missing_unlisted = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
		return;
	}
	if (x == NULL) {
		d->missing[d->n_missing++] = *m;
		return;
	}
	x->data_sets += m->data_sets;
	if (m->first_ms < x->first_ms)
		x->first_ms = m->first_ms;
	if (m->last_ms > x->last_ms)
		x->last_ms = m->last_ms;
}

void ff_exporter_stats_missing_template(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
					uint32_t domain, uint16_t template_id, uint64_t now_ms)
{
	ff_exporter_counters *e = s != NULL ? ff_exporter_entry(s, addr) : NULL;
	if (e == NULL)
		return;
	ff_missing_template m = {.domain = domain,
				 .template_id = template_id,
				 .data_sets = 1,
				 .first_ms = now_ms,
				 .last_ms = now_ms};
	ff_missing_add(&e->diag, &m);
}

void ff_exporter_stats_template_learned(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
					uint32_t domain, uint16_t template_id, uint64_t now_ms)
{
	ff_exporter_counters *e = s != NULL ? ff_exporter_entry(s, addr) : NULL;
	if (e == NULL)
		return;
	ff_exporter_diag *d = &e->diag;
	if (now_ms > d->last_template_ms)
		d->last_template_ms = now_ms;
	ff_missing_template *x = ff_missing_find(d, domain, template_id);
	if (x != NULL)
		*x = d->missing[--d->n_missing];
	d->missing_unlisted = 0;
}

void ff_exporter_stats_sampling(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
				uint32_t rate, int source)
{
	ff_exporter_counters *e = s != NULL ? ff_exporter_entry(s, addr) : NULL;
	if (e == NULL)
		return;
	e->diag.sampling_rate = rate;
	e->diag.sampling_source = (uint8_t)source;
}

static uint64_t ff_abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static int64_t ff_larger_offset(int64_t a, int64_t b)
{
	return ff_abs64(a) >= ff_abs64(b) ? a : b;
}

/* Moves the windows on to `now_ms`: a window over is the previous one, two over are forgotten. */
static void ff_skew_roll(ff_exporter_diag *d, uint64_t now_ms)
{
	uint64_t w = FF_EXPORTER_SKEW_WINDOW_MS;
	if (d->skew_window_ms == 0 || now_ms < d->skew_window_ms + w)
		return;
	d->skew_prev = now_ms < d->skew_window_ms + 2 * w ? d->skew_cur : 0;
	d->skew_cur = 0;
	d->skew_window_ms = now_ms;
}

void ff_exporter_stats_skewed(ff_exporter_stats *s, const uint8_t addr[FF_ADDR_LEN],
			      int64_t offset_ms, uint64_t now_ms)
{
	ff_exporter_counters *e = s != NULL ? ff_exporter_entry(s, addr) : NULL;
	if (e == NULL)
		return;
	ff_exporter_diag *d = &e->diag;
	e->events[FF_EV_CLOCK_SKEWED]++;
	ff_skew_roll(d, now_ms);
	if (d->skew_window_ms == 0)
		d->skew_window_ms = now_ms;
	d->skew_cur = ff_larger_offset(d->skew_cur, offset_ms);
}

int64_t ff_exporter_clock_offset(const ff_exporter_counters *e, uint64_t now_ms)
{
	ff_exporter_diag d = e->diag;
	ff_skew_roll(&d, now_ms);
	return ff_larger_offset(d.skew_cur, d.skew_prev);
}

const ff_exporter_counters *ff_exporter_stats_next(const ff_exporter_stats *s, size_t *cursor)
{
	const void *key;
	void *val;
	if (!ff_hmap_next(s->map, cursor, &key, &val))
		return NULL;
	return val;
}

size_t ff_exporter_stats_count_exporters(const ff_exporter_stats *s)
{
	return ff_hmap_count(s->map);
}

/*
 * One exporter's diagnosis as several receive threads saw it (usually one
 * thread sees it all): the latest datagram's thread tells the interval and
 * the sampling, the missing lists are joined within their bound.
 */
static void ff_exporter_diag_merge(ff_exporter_diag *d, const ff_exporter_diag *e)
{
	if (e->last_datagram_ms > d->last_datagram_ms) {
		d->last_datagram_ms = e->last_datagram_ms;
		d->interval_ms = e->interval_ms;
		d->has_interval = e->has_interval;
		if (e->sampling_source != 0) {
			d->sampling_rate = e->sampling_rate;
			d->sampling_source = e->sampling_source;
		}
	}
	if (d->sampling_source == 0) {
		d->sampling_rate = e->sampling_rate;
		d->sampling_source = e->sampling_source;
	}
	if (e->last_template_ms > d->last_template_ms)
		d->last_template_ms = e->last_template_ms;
	for (uint32_t i = 0; i < e->n_missing; i++)
		ff_missing_add(d, &e->missing[i]);
	uint64_t unlisted = (uint64_t)d->missing_unlisted + e->missing_unlisted;
	d->missing_unlisted = unlisted > UINT32_MAX ? UINT32_MAX : (uint32_t)unlisted;
	d->skew_cur = ff_larger_offset(d->skew_cur, e->skew_cur);
	d->skew_prev = ff_larger_offset(d->skew_prev, e->skew_prev);
	if (e->skew_window_ms > d->skew_window_ms)
		d->skew_window_ms = e->skew_window_ms;
}

int ff_exporter_stats_merge(ff_exporter_stats *dst, const ff_exporter_stats *src)
{
	size_t cursor = 0;
	const ff_exporter_counters *e;
	while ((e = ff_exporter_stats_next(src, &cursor)) != NULL) {
		ff_exporter_counters *d = ff_exporter_entry(dst, e->addr);
		if (d == NULL)
			return -ENOMEM;
		d->packets += e->packets;
		d->records += e->records;
		for (int r = 0; r < FF_MAL_N; r++)
			d->malformed[r] += e->malformed[r];
		for (int v = 0; v < FF_EV_N; v++)
			d->events[v] += e->events[v];
		ff_exporter_diag_merge(&d->diag, &e->diag);
	}
	return 0;
}

size_t ff_exporter_counters_list(const ff_exporter_counters *e,
				 ff_counter_ref out[FF_EXPORTER_MAX_COUNTERS])
{
	size_t n = 0;
	out[n++] = (ff_counter_ref){"packets", e->packets};
	out[n++] = (ff_counter_ref){"records", e->records};
	for (int r = 0; r < FF_MAL_N; r++)
		if (e->malformed[r] != 0)
			out[n++] = (ff_counter_ref){ff_malformed_name((enum ff_malformed_reason)r),
						    e->malformed[r]};
	for (int v = 0; v < FF_EV_N; v++)
		if (e->events[v] != 0)
			out[n++] = (ff_counter_ref){ff_exporter_event_name((enum ff_exporter_event)v),
						    e->events[v]};
	return n;
}
