#include "session_exps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct ff_exp_sample {
	uint64_t at_ms;
	ff_diag_counts c;
} ff_exp_sample;

/* What is kept of one exporter: its latest Hello and the history of its counters. */
typedef struct ff_exp {
	uint8_t addr[FF_ADDR_LEN];
	uint64_t gen;			     /* the update that last saw it */
	ff_exp_sample hist[FF_EXPS_HISTORY]; /* ring, oldest at `head` */
	uint32_t head, n_hist;
	uint64_t started_ms;  /* the agent's start, as its Hello said */
	uint64_t sent_ms;     /* the latest Hello's clock (agent, or ours for old agents) */
	uint64_t received_ms; /* our clock when it came */
	bool has_times;
	uint64_t last_datagram_ms, interval_ms, last_template_ms;
	ff_diag_missing missing[FF_DIAG_MISSING_MAX];
	size_t n_missing;
	uint64_t missing_unlisted, held;
	uint32_t sampling_rate;
	int sampling_source;
	int64_t clock_offset_ms;
} ff_exp;

struct ff__session_exps {
	ff_exp **v; /* sorted by address */
	size_t n, max;
	uint64_t gen;
};

ff__session_exps *ff__session_exps_new(size_t max)
{
	ff__session_exps *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->max = max;
	t->v = calloc(max ? max : 1, sizeof *t->v);
	if (t->v == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void ff__session_exps_free(ff__session_exps *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t);
}

size_t ff__session_exps_count(const ff__session_exps *t)
{
	return t->n;
}

/* The exporter of `addr`, created in order when there is room; NULL when full or out of memory. */
static ff_exp *ff_exps_get(ff__session_exps *t, const uint8_t *addr, int *err)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(t->v[mid]->addr, addr, FF_ADDR_LEN);
		if (c == 0)
			return t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->n >= t->max)
		return NULL;
	ff_exp *e = calloc(1, sizeof *e);
	if (e == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(e->addr, addr, FF_ADDR_LEN);
	memmove(t->v + lo + 1, t->v + lo, (t->n - lo) * sizeof *t->v);
	t->v[lo] = e;
	t->n++;
	return e;
}

/* Adds one Hello counter to the sample's field it feeds; others are not read. */
static void ff_exps_counter(ff_diag_counts *c, int64_t *held, const char *name, uint64_t v)
{
	static const char mal[] = "malformed.";
	if (strcmp(name, "packets") == 0)
		c->packets = v;
	else if (strcmp(name, "records") == 0)
		c->records = v;
	else if (strcmp(name, "no_template") == 0)
		c->no_template = v;
	else if (strcmp(name, "records.clock_skewed") == 0)
		c->clock_skewed = v;
	else if (strcmp(name, "seq.lost.v5_flows") == 0 ||
		 strcmp(name, "seq.lost.ipfix_records") == 0 ||
		 strcmp(name, "seq.lost.sflow_samples") == 0)
		c->lost_records += v;
	else if (strcmp(name, "seq.lost.v9_packets") == 0 ||
		 strcmp(name, "seq.lost.sflow_datagrams") == 0)
		c->lost_packets += v;
	else if (strcmp(name, "pending.held") == 0)
		*held += (int64_t)v;
	else if (strcmp(name, "pending.decoded") == 0 || strcmp(name, "pending.expired") == 0)
		*held -= (int64_t)v;
	else if (strncmp(name, mal, sizeof mal - 1) == 0)
		for (int r = 0; r < FF_DIAG_MAL_N; r++)
			if (strcmp(name + sizeof mal - 1, ff_diag_malformed_names[r]) == 0)
				c->malformed[r] = v;
}

/* Whether any counter of `b` is below `a`'s: the agent's counters started again. */
static bool ff_exps_went_back(const ff_diag_counts *a, const ff_diag_counts *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	for (size_t i = 0; i < sizeof *a / sizeof(uint64_t); i++)
		if (y[i] < x[i])
			return true;
	return false;
}

static ff_exp_sample *ff_exps_hist(ff_exp *e, uint32_t i)
{
	return &e->hist[(e->head + i) % FF_EXPS_HISTORY];
}

static const ff_exp_sample *ff_exps_hist_c(const ff_exp *e, uint32_t i)
{
	return &e->hist[(e->head + i) % FF_EXPS_HISTORY];
}

/*
 * Keeps `s` as the newest sample: it replaces the newest while that is less
 * than FF_EXPS_SPACING_MS after the one before, else it is appended (the
 * oldest going when the ring is full).
 */
static void ff_exps_push(ff_exp *e, const ff_exp_sample *s)
{
	if (e->n_hist >= 2 &&
	    s->at_ms < ff_exps_hist(e, e->n_hist - 2)->at_ms + FF_EXPS_SPACING_MS) {
		*ff_exps_hist(e, e->n_hist - 1) = *s;
		return;
	}
	if (e->n_hist == FF_EXPS_HISTORY) {
		e->head = (e->head + 1) % FF_EXPS_HISTORY;
		e->n_hist--;
	}
	*ff_exps_hist(e, e->n_hist++) = *s;
}

static void ff_exps_missing(ff_exp *e, const Flowfleet__ExporterStats *x)
{
	e->n_missing = 0;
	for (size_t i = 0; i < x->n_missing_templates && e->n_missing < FF_DIAG_MISSING_MAX; i++) {
		const Flowfleet__MissingTemplate *m = x->missing_templates[i];
		e->missing[e->n_missing++] = (ff_diag_missing){
		    .domain = m->domain, .template_id = m->template_id, .data_sets = m->data_sets};
	}
	/* Beyond our bound (a newer or hostile agent), the rest are only counted. */
	e->missing_unlisted = x->missing_templates_unlisted;
	for (size_t i = FF_DIAG_MISSING_MAX; i < x->n_missing_templates; i++)
		e->missing_unlisted += x->missing_templates[i]->data_sets;
}

static void ff_exps_take(ff_exp *e, const Flowfleet__Hello *h, const Flowfleet__ExporterStats *x,
			 uint64_t now_ms)
{
	ff_exp_sample s = {.at_ms = h->sent_ms != 0 ? h->sent_ms : now_ms};
	int64_t held = 0;
	for (size_t i = 0; i < x->n_counters; i++)
		if (x->counters[i] != NULL && x->counters[i]->name != NULL)
			ff_exps_counter(&s.c, &held, x->counters[i]->name, x->counters[i]->value);
	bool restarted =
	    e->n_hist > 0 &&
	    (e->started_ms != h->started_ms || s.at_ms < ff_exps_hist(e, e->n_hist - 1)->at_ms ||
	     ff_exps_went_back(&ff_exps_hist(e, e->n_hist - 1)->c, &s.c));
	if (restarted)
		e->n_hist = e->head = 0;
	ff_exps_push(e, &s);
	e->started_ms = h->started_ms;
	e->sent_ms = s.at_ms;
	e->received_ms = now_ms;
	e->has_times = h->sent_ms != 0;
	e->last_datagram_ms = x->last_datagram_ms;
	e->interval_ms = x->datagram_interval_ms;
	e->last_template_ms = x->last_template_ms;
	e->held = held > 0 ? (uint64_t)held : 0;
	e->sampling_rate = x->sampling_rate;
	e->sampling_source = (int)x->sampling_source;
	e->clock_offset_ms = x->clock_offset_ms;
	ff_exps_missing(e, x);
}

/* Drops the exporters the last update did not see. */
static void ff_exps_sweep(ff__session_exps *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i]->gen == t->gen)
			t->v[k++] = t->v[i];
		else
			free(t->v[i]);
	}
	t->n = k;
}

int ff__session_exps_update(ff__session_exps *t, const Flowfleet__Hello *h, uint64_t now_ms)
{
	int err = 0;
	t->gen++;
	for (size_t i = 0; i < h->n_exporters && err == 0; i++) {
		const Flowfleet__ExporterStats *x = h->exporters[i];
		if (x == NULL || x->address.len != FF_ADDR_LEN)
			continue;
		ff_exp *e = ff_exps_get(t, x->address.data, &err);
		if (e == NULL)
			continue;
		e->gen = t->gen;
		ff_exps_take(e, h, x, now_ms);
	}
	if (err == 0)
		ff_exps_sweep(t);
	return err;
}

static void ff_exps_delta(const ff_diag_counts *a, const ff_diag_counts *b, ff_diag_counts *d)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t *z = (uint64_t *)d;
	for (size_t i = 0; i < sizeof *d / sizeof(uint64_t); i++)
		z[i] = y[i] >= x[i] ? y[i] - x[i] : 0;
}

/*
 * The window's start: the newest sample at least FF_DIAG_WINDOW_MS before
 * the latest; else the agent's start (all counters zero) when it started
 * within the window; else the oldest sample there is.
 */
static ff_exp_sample ff_exps_baseline(const ff_exp *e)
{
	uint64_t at = e->sent_ms;
	for (uint32_t i = e->n_hist; i-- > 0;) {
		const ff_exp_sample *s = ff_exps_hist_c(e, i);
		if (s->at_ms + FF_DIAG_WINDOW_MS <= at)
			return *s;
	}
	ff_exp_sample zero = {.at_ms = e->started_ms};
	if (e->started_ms != 0 && e->started_ms <= at && at - e->started_ms <= FF_DIAG_WINDOW_MS)
		return zero;
	return *ff_exps_hist_c(e, 0);
}

static uint64_t ff_exps_age(uint64_t agent_now, uint64_t then)
{
	return agent_now > then ? agent_now - then : 0;
}

void ff__session_exps_input(const ff__session_exps *t, size_t i, uint64_t now_ms, ff_diag_input *in,
			    uint8_t addr[FF_ADDR_LEN])
{
	const ff_exp *e = t->v[i];
	memcpy(addr, e->addr, FF_ADDR_LEN);
	memset(in, 0, sizeof *in);
	ff_exp_sample base = ff_exps_baseline(e);
	ff_exps_delta(&base.c, &ff_exps_hist_c(e, e->n_hist - 1)->c, &in->delta);
	in->window_ms = e->sent_ms > base.at_ms ? e->sent_ms - base.at_ms : 0;
	/* The agent's clock now, as far as we can tell: its last Hello plus our time since. */
	uint64_t agent_now = e->sent_ms + (now_ms > e->received_ms ? now_ms - e->received_ms : 0);
	in->has_times = e->has_times;
	in->datagram_age_ms =
	    ff_exps_age(agent_now, e->last_datagram_ms ? e->last_datagram_ms : e->started_ms);
	in->interval_ms = e->interval_ms;
	in->template_ever = e->last_template_ms != 0;
	in->template_age_ms = ff_exps_age(agent_now, e->last_template_ms);
	in->missing = e->missing;
	in->n_missing = e->n_missing;
	in->missing_unlisted = e->missing_unlisted;
	in->held = e->held;
	in->sampling_rate = e->sampling_rate;
	in->sampling_source = e->sampling_source;
	in->clock_offset_ms = e->clock_offset_ms;
}
