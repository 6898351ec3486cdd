#include "sampling.h"

#include "ff_bytes.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* "FFSM", format version 1: see docs/fields.md ("State files"). */
#define FF_SM_MAGIC   0x4d534646u
#define FF_SM_VERSION 1u
#define FF_SM_HEAD    12
#define FF_SM_ENTRY   44

struct ff_sampler_key {
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t domain;
	uint32_t kind;
	uint64_t id;
};

struct ff_sampler_val {
	uint64_t sysinit_ms;
	uint32_t rate;
	/* When last learned, on a counter shared by every table (0: reloaded); see merge. */
	uint32_t stamp;
};

static _Atomic uint32_t ff_sampling_clock;

static uint32_t ff_sampling_tick(void)
{
	return atomic_fetch_add_explicit(&ff_sampling_clock, 1, memory_order_relaxed) + 1;
}

struct ff_sampling {
	ff_hmap *learned;   /* ff_sampler_key -> ff_sampler_val */
	ff_hmap *overrides; /* exporter address -> uint32_t rate */
	uint32_t default_rate;
	bool dirty;
};

ff_sampling *ff_sampling_new(void)
{
	ff_sampling *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->learned = ff_hmap_new(sizeof(struct ff_sampler_key), sizeof(struct ff_sampler_val), 16);
	s->overrides = ff_hmap_new(FF_ADDR_LEN, sizeof(uint32_t), 4);
	if (s->learned == NULL || s->overrides == NULL) {
		ff_sampling_free(s);
		return NULL;
	}
	s->default_rate = 1;
	return s;
}

void ff_sampling_free(ff_sampling *s)
{
	if (s == NULL)
		return;
	ff_hmap_free(s->learned);
	ff_hmap_free(s->overrides);
	free(s);
}

void ff_sampling_set_default(ff_sampling *s, uint32_t rate)
{
	s->default_rate = rate ? rate : 1;
}

int ff_sampling_set_override(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t rate)
{
	int created = 0;
	uint32_t *v = ff_hmap_upsert(s->overrides, exporter, &created);
	if (v == NULL)
		return -ENOMEM;
	*v = rate ? rate : 1;
	return 0;
}

int ff_sampling_parse_override(const char *text, uint8_t exporter[FF_ADDR_LEN], uint32_t *rate,
			       char *err, size_t err_len)
{
	const char *eq = strrchr(text, '=');
	char addr[FF_ADDR_STRLEN];
	size_t alen = eq != NULL ? (size_t)(eq - text) : 0;
	char *end = NULL;
	unsigned long long n = 0;
	if (eq != NULL && alen > 0 && alen < sizeof addr && eq[1] >= '0' && eq[1] <= '9') {
		memcpy(addr, text, alen);
		addr[alen] = '\0';
		errno = 0;
		n = strtoull(eq + 1, &end, 10);
		if (errno == 0 && *end == '\0' && n >= 1 && n <= UINT32_MAX &&
		    ff_addr_parse(addr, exporter) == 0) {
			*rate = (uint32_t)n;
			return 0;
		}
	}
	snprintf(err, err_len, "'%s' is not EXPORTER=N (an IPv4 or IPv6 address, N from 1 to %u)",
		 text, UINT32_MAX);
	return -1;
}

static void ff_sampler_key_set(struct ff_sampler_key *k, const uint8_t exporter[FF_ADDR_LEN],
			       uint32_t domain, enum ff_sampler_kind kind, uint64_t id)
{
	memset(k, 0, sizeof *k);
	memcpy(k->exporter, exporter, FF_ADDR_LEN);
	k->domain = domain;
	k->kind = (uint32_t)kind;
	k->id = id;
}

static struct ff_sampler_val *ff_sampler_slot(ff_sampling *s, const struct ff_sampler_key *k,
					      int *err)
{
	struct ff_sampler_val *v = ff_hmap_find(s->learned, k);
	if (v != NULL)
		return v;
	if (ff_hmap_count(s->learned) >= FF_SAMPLING_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	int created = 0;
	if ((v = ff_hmap_upsert(s->learned, k, &created)) == NULL)
		*err = -ENOMEM;
	return v;
}

int ff_sampling_learn(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
		      enum ff_sampler_kind kind, uint64_t id, uint32_t rate)
{
	if (rate == 0)
		return 0;
	struct ff_sampler_key k;
	ff_sampler_key_set(&k, exporter, domain, kind, id);
	int err = 0;
	struct ff_sampler_val *v = ff_sampler_slot(s, &k, &err);
	if (v == NULL)
		return err;
	if (v->rate != rate)
		s->dirty = true;
	v->rate = rate;
	v->stamp = ff_sampling_tick();
	return 0;
}

int ff_sampling_set_sysinit(ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN], uint32_t domain,
			    uint64_t sysinit_ms)
{
	struct ff_sampler_key k;
	ff_sampler_key_set(&k, exporter, domain, FF_SAMPLER_DOMAIN, 0);
	int err = 0;
	struct ff_sampler_val *v = ff_sampler_slot(s, &k, &err);
	if (v == NULL)
		return err;
	if (v->sysinit_ms != sysinit_ms)
		s->dirty = true;
	v->sysinit_ms = sysinit_ms;
	v->stamp = ff_sampling_tick();
	return 0;
}

static const struct ff_sampler_val *ff_sampler_find(const ff_sampling *s,
						    const uint8_t exporter[FF_ADDR_LEN],
						    uint32_t domain, enum ff_sampler_kind kind,
						    uint64_t id)
{
	if (s == NULL || ff_hmap_count(s->learned) == 0)
		return NULL;
	struct ff_sampler_key k;
	ff_sampler_key_set(&k, exporter, domain, kind, id);
	return ff_hmap_find(s->learned, &k);
}

uint32_t ff_sampling_lookup(const ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN],
			    uint32_t domain, enum ff_sampler_kind kind, uint64_t id)
{
	const struct ff_sampler_val *v = ff_sampler_find(s, exporter, domain, kind, id);
	return v != NULL ? v->rate : 0;
}

uint64_t ff_sampling_sysinit(const ff_sampling *s, const uint8_t exporter[FF_ADDR_LEN],
			     uint32_t domain)
{
	const struct ff_sampler_val *v = ff_sampler_find(s, exporter, domain, FF_SAMPLER_DOMAIN, 0);
	return v != NULL ? v->sysinit_ms : 0;
}

static uint64_t ff_scale(uint64_t v, uint32_t rate)
{
	return v > UINT64_MAX / rate ? UINT64_MAX : v * rate;
}

enum ff_sampling_source ff_sampling_apply(const ff_sampling *s, ff_flow *f)
{
	uint32_t rate = f->sampling_rate;
	enum ff_sampling_source src = FF_SAMPLING_ANNOUNCED;
	const uint32_t *o = NULL;
	if (s != NULL && ff_hmap_count(s->overrides) > 0)
		o = ff_hmap_find(s->overrides, f->exporter);
	if (o != NULL) {
		rate = *o;
		src = FF_SAMPLING_OVERRIDE;
	} else if (rate == 0) {
		rate = s != NULL ? s->default_rate : 1;
		src = FF_SAMPLING_DEFAULT;
	}
	f->sampling_rate = rate;
	if (rate > 1) {
		f->bytes = ff_scale(f->bytes, rate);
		f->packets = ff_scale(f->packets, rate);
	}
	return src;
}

bool ff_sampling_dirty(const ff_sampling *s)
{
	return s->dirty;
}

int ff_sampling_save(ff_sampling *s, uint8_t **buf, size_t *len)
{
	size_t n = ff_hmap_count(s->learned);
	size_t size = FF_SM_HEAD + n * FF_SM_ENTRY + 8;
	uint8_t *out = malloc(size), *p = out;
	if (out == NULL)
		return -ENOMEM;
	p = ff_put_le_n(p, FF_SM_MAGIC, 4);
	p = ff_put_le_n(p, FF_SM_VERSION, 4);
	p = ff_put_le_n(p, n, 4);
	size_t cursor = 0;
	const void *kp;
	void *vp;
	while (ff_hmap_next(s->learned, &cursor, &kp, &vp)) {
		const struct ff_sampler_key *k = kp;
		const struct ff_sampler_val *v = vp;
		memcpy(p, k->exporter, FF_ADDR_LEN);
		p = ff_put_le_n(p + FF_ADDR_LEN, k->domain, 4);
		p = ff_put_le_n(p, k->kind, 4);
		p = ff_put_le_n(p, k->id, 8);
		p = ff_put_le_n(p, v->rate, 4);
		p = ff_put_le_n(p, v->sysinit_ms, 8);
	}
	p = ff_put_le_n(p, XXH64(out, (size_t)(p - out), 0), 8);
	*buf = out;
	*len = size;
	s->dirty = false;
	return 0;
}

int ff_sampling_load(ff_sampling *s, const uint8_t *buf, size_t len)
{
	if (len < FF_SM_HEAD + 8 || ff_get_le_n(buf, 4) != FF_SM_MAGIC ||
	    ff_get_le_n(buf + 4, 4) != FF_SM_VERSION ||
	    ff_get_le_n(buf + len - 8, 8) != XXH64(buf, len - 8, 0))
		return -EINVAL;
	uint64_t n = ff_get_le_n(buf + 8, 4);
	if (n > FF_SAMPLING_MAX || len != FF_SM_HEAD + n * FF_SM_ENTRY + 8)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = buf + FF_SM_HEAD + i * FF_SM_ENTRY;
		uint32_t kind = (uint32_t)ff_get_le_n(p + 20, 4);
		if (kind > FF_SAMPLER_SELECTOR)
			return -EINVAL;
		struct ff_sampler_key k;
		ff_sampler_key_set(&k, p, (uint32_t)ff_get_le_n(p + 16, 4),
				   (enum ff_sampler_kind)kind, ff_get_le_n(p + 24, 8));
		int err = 0;
		struct ff_sampler_val *v = ff_sampler_slot(s, &k, &err);
		if (v == NULL)
			return err;
		v->rate = (uint32_t)ff_get_le_n(p + 32, 4);
		v->sysinit_ms = ff_get_le_n(p + 36, 8);
		v->stamp = 0;
	}
	s->dirty = false;
	return (int)n;
}

void ff_sampling_mark_saved(ff_sampling *s)
{
	s->dirty = false;
}

int ff_sampling_merge(ff_sampling *dst, const ff_sampling *src)
{
	size_t cursor = 0;
	const void *kp;
	void *vp;
	while (ff_hmap_next(src->learned, &cursor, &kp, &vp)) {
		const struct ff_sampler_val *v = vp;
		struct ff_sampler_val *d = ff_hmap_find(dst->learned, kp);
		if (d != NULL && d->stamp >= v->stamp)
			continue;
		int err = 0;
		if (d == NULL && (d = ff_sampler_slot(dst, kp, &err)) == NULL)
			return err;
		*d = *v;
		dst->dirty = true;
	}
	return 0;
}
