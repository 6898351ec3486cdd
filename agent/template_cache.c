#include "template_cache.h"

#include "ff_bytes.h"
#include "field_map.h"
#include "ff_hmap.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* "FFTC", format version 1: see docs/fields.md ("State files"). */
#define FF_TC_MAGIC   0x43544646u
#define FF_TC_VERSION 1u
#define FF_TC_HEAD    12 /* magic, version, count */
#define FF_TC_ENTRY   30 /* fixed part of one template entry */
#define FF_TC_FIELD   8

struct ff_template_cache {
	ff_hmap *map; /* ff_tpl_key -> ff_template *, NULL once withdrawn */
	size_t n_templates;
	bool dirty;
	/* Held data sets in arrival order; a FIFO compacted on removal. */
	ff_pending_set pending[FF_PENDING_MAX_SETS];
	size_t n_pending;
	size_t pending_bytes;
};

ff_template_cache *ff_template_cache_new(void)
{
	ff_template_cache *tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return NULL;
	tc->map = ff_hmap_new(sizeof(ff_tpl_key), sizeof(ff_template *), 64);
	if (tc->map == NULL) {
		free(tc);
		return NULL;
	}
	return tc;
}

void ff_template_cache_free(ff_template_cache *tc)
{
	if (tc == NULL)
		return;
	size_t cursor = 0;
	const void *k;
	void *v;
	while (ff_hmap_next(tc->map, &cursor, &k, &v))
		free(*(ff_template **)v);
	ff_hmap_free(tc->map);
	for (size_t i = 0; i < tc->n_pending; i++)
		free(tc->pending[i].data);
	free(tc);
}

ff_template *ff_template_alloc(uint16_t n_fields)
{
	return calloc(1, sizeof(ff_template) + (size_t)n_fields * sizeof(ff_tpl_field));
}

int ff_template_finish(ff_template *t)
{
	uint32_t min = 0;
	t->has_varlen = 0;
	for (uint16_t i = 0; i < t->n_fields; i++) {
		ff_tpl_field *f = &t->fields[i];
		bool v9_scope = t->proto == 9 && t->options && i < t->n_scope;
		f->action = v9_scope ? FF_FA_SKIP
				     : (uint8_t)ff_field_action_of(f->enterprise, f->id, f->len);
		if (f->len == FF_TPL_VARLEN) {
			t->has_varlen = 1;
			min += 1;
		} else {
			min += f->len;
		}
	}
	t->min_len = min;
	/* A record of zero bytes would never advance through a set. */
	if (t->n_fields == 0 || min == 0 || min > 65535)
		return -EINVAL;
	return 0;
}

/* Field by field: the struct's padding bytes are not part of the layout. */
static bool ff_template_same(const ff_template *a, const ff_template *b)
{
	if (a->n_fields != b->n_fields || a->n_scope != b->n_scope || a->options != b->options)
		return false;
	for (uint16_t i = 0; i < a->n_fields; i++)
		if (a->fields[i].id != b->fields[i].id || a->fields[i].len != b->fields[i].len ||
		    a->fields[i].enterprise != b->fields[i].enterprise)
			return false;
	return true;
}

/* Orders template arrivals across every cache (one per receive thread). */
static _Atomic uint64_t ff_tc_clock;

int ff_template_cache_put(ff_template_cache *tc, const ff_tpl_key *key, ff_template *t)
{
	t->stamp = atomic_fetch_add_explicit(&ff_tc_clock, 1, memory_order_relaxed) + 1;
	ff_template **slot = ff_hmap_find(tc->map, key);
	if (slot == NULL) {
		if (ff_hmap_count(tc->map) >= FF_TPL_MAX_TEMPLATES) {
			free(t);
			return -ENOSPC;
		}
		int created = 0;
		if ((slot = ff_hmap_upsert(tc->map, key, &created)) == NULL) {
			free(t);
			return -ENOMEM;
		}
	}
	int rc = FF_TPL_NEW;
	if (*slot != NULL) {
		rc = ff_template_same(*slot, t) ? FF_TPL_REFRESHED : FF_TPL_REPLACED;
		free(*slot);
	} else {
		tc->n_templates++;
	}
	*slot = t;
	if (rc != FF_TPL_REFRESHED)
		tc->dirty = true;
	return rc;
}

const ff_template *ff_template_cache_get(const ff_template_cache *tc, const ff_tpl_key *key)
{
	ff_template **slot = ff_hmap_find(tc->map, key);
	return slot != NULL ? *slot : NULL;
}

int ff_template_cache_withdraw(ff_template_cache *tc, const ff_tpl_key *key)
{
	ff_template **slot = ff_hmap_find(tc->map, key);
	if (slot == NULL || *slot == NULL)
		return 0;
	free(*slot);
	*slot = NULL;
	tc->n_templates--;
	tc->dirty = true;
	return 1;
}

static bool ff_tpl_same_domain(const ff_tpl_key *a, const ff_tpl_key *b)
{
	return a->domain == b->domain && a->proto == b->proto &&
	       memcmp(a->exporter, b->exporter, FF_ADDR_LEN) == 0;
}

int ff_template_cache_withdraw_all(ff_template_cache *tc, const ff_tpl_key *key, bool options)
{
	size_t cursor = 0;
	const void *k;
	void *v;
	int n = 0;
	while (ff_hmap_next(tc->map, &cursor, &k, &v)) {
		ff_template **slot = v;
		if (*slot == NULL || !ff_tpl_same_domain(k, key) || (*slot)->options != options)
			continue;
		free(*slot);
		*slot = NULL;
		tc->n_templates--;
		n++;
	}
	if (n > 0)
		tc->dirty = true;
	return n;
}

size_t ff_template_cache_count(const ff_template_cache *tc)
{
	return tc->n_templates;
}

/* Drops the held set at index i, keeping arrival order. */
static void ff_pending_remove(ff_template_cache *tc, size_t i)
{
	tc->pending_bytes -= tc->pending[i].len;
	free(tc->pending[i].data);
	memmove(&tc->pending[i], &tc->pending[i + 1],
		(tc->n_pending - i - 1) * sizeof tc->pending[0]);
	tc->n_pending--;
}

int ff_template_cache_hold(ff_template_cache *tc, const ff_tpl_key *key, const ff_export_hdr *hdr,
			   const uint8_t *data, size_t len, uint64_t now_ms,
			   void (*dropped)(void *arg, const ff_pending_set *p), void *arg)
{
	if (len > FF_PENDING_MAX_BYTES)
		return -E2BIG;
	while (tc->n_pending > 0 && (tc->n_pending == FF_PENDING_MAX_SETS ||
				     tc->pending_bytes + len > FF_PENDING_MAX_BYTES)) {
		if (dropped != NULL)
			dropped(arg, &tc->pending[0]);
		ff_pending_remove(tc, 0);
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, data, len);
	tc->pending[tc->n_pending++] = (ff_pending_set){
	    .key = *key, .hdr = *hdr, .arrived_ms = now_ms, .data = copy, .len = len};
	tc->pending_bytes += len;
	return 0;
}

size_t ff_template_cache_release(ff_template_cache *tc, const ff_tpl_key *key,
				 void (*fn)(void *arg, const ff_pending_set *p), void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < tc->n_pending;) {
		if (memcmp(&tc->pending[i].key, key, sizeof *key) != 0) {
			i++;
			continue;
		}
		fn(arg, &tc->pending[i]);
		ff_pending_remove(tc, i);
		n++;
	}
	return n;
}

size_t ff_template_cache_expire(ff_template_cache *tc, uint64_t now_ms,
				void (*fn)(void *arg, const ff_pending_set *p), void *arg)
{
	size_t n = 0;
	/* Arrival order: the oldest are first, but a clock step may break that, so scan all. */
	for (size_t i = 0; i < tc->n_pending;) {
		uint64_t at = tc->pending[i].arrived_ms;
		if (now_ms >= at && now_ms - at < FF_PENDING_MAX_AGE_MS) {
			i++;
			continue;
		}
		if (fn != NULL)
			fn(arg, &tc->pending[i]);
		ff_pending_remove(tc, i);
		n++;
	}
	return n;
}

size_t ff_template_cache_pending(const ff_template_cache *tc)
{
	return tc->n_pending;
}

bool ff_template_cache_dirty(const ff_template_cache *tc)
{
	return tc->dirty;
}

static uint8_t *ff_tc_write_entry(uint8_t *p, const ff_tpl_key *k, const ff_template *t)
{
	memcpy(p, k->exporter, FF_ADDR_LEN);
	p += FF_ADDR_LEN;
	p = ff_put_le_n(p, k->domain, 4);
	p = ff_put_le_n(p, k->id, 2);
	p = ff_put_le_n(p, k->proto, 1);
	p = ff_put_le_n(p, t->options, 1);
	p = ff_put_le_n(p, t->n_scope, 2);
	p = ff_put_le_n(p, t->n_fields, 2);
	p = ff_put_le_n(p, 0, 2); /* reserved */
	for (uint16_t i = 0; i < t->n_fields; i++) {
		p = ff_put_le_n(p, t->fields[i].id, 2);
		p = ff_put_le_n(p, t->fields[i].len, 2);
		p = ff_put_le_n(p, t->fields[i].enterprise, 4);
	}
	return p;
}

int ff_template_cache_save(ff_template_cache *tc, uint8_t **buf, size_t *len)
{
	size_t cursor = 0, size = FF_TC_HEAD + 8;
	const void *k;
	void *v;
	while (ff_hmap_next(tc->map, &cursor, &k, &v))
		if (*(ff_template **)v != NULL)
			size += FF_TC_ENTRY + (size_t)(*(ff_template **)v)->n_fields * FF_TC_FIELD;
	uint8_t *out = malloc(size), *p = out;
	if (out == NULL)
		return -ENOMEM;
	p = ff_put_le_n(p, FF_TC_MAGIC, 4);
	p = ff_put_le_n(p, FF_TC_VERSION, 4);
	p = ff_put_le_n(p, tc->n_templates, 4);
	cursor = 0;
	while (ff_hmap_next(tc->map, &cursor, &k, &v))
		if (*(ff_template **)v != NULL)
			p = ff_tc_write_entry(p, k, *(ff_template **)v);
	p = ff_put_le_n(p, XXH64(out, (size_t)(p - out), 0), 8);
	*buf = out;
	*len = size;
	tc->dirty = false;
	return 0;
}

/* Parses one entry at *off; returns the finished template or NULL (bad layout or no memory). */
static ff_template *ff_tc_read_entry(const uint8_t *buf, size_t end, size_t *off, ff_tpl_key *k,
				     int *err)
{
	const uint8_t *p = buf + *off;
	*err = -EINVAL;
	if (end - *off < FF_TC_ENTRY)
		return NULL;
	memset(k, 0, sizeof *k);
	memcpy(k->exporter, p, FF_ADDR_LEN);
	k->domain = (uint32_t)ff_get_le_n(p + 16, 4);
	k->id = (uint16_t)ff_get_le_n(p + 20, 2);
	k->proto = p[22];
	uint16_t n = (uint16_t)ff_get_le_n(p + 26, 2);
	if ((k->proto != 9 && k->proto != 10) || n > FF_TPL_MAX_FIELDS ||
	    end - *off - FF_TC_ENTRY < (size_t)n * FF_TC_FIELD)
		return NULL;
	ff_template *t = ff_template_alloc(n);
	if (t == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	t->id = k->id;
	t->proto = k->proto;
	t->options = p[23] ? 1 : 0;
	t->n_scope = (uint16_t)ff_get_le_n(p + 24, 2);
	t->n_fields = n;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *fp = p + FF_TC_ENTRY + (size_t)i * FF_TC_FIELD;
		t->fields[i].id = (uint16_t)ff_get_le_n(fp, 2);
		t->fields[i].len = (uint16_t)ff_get_le_n(fp + 2, 2);
		t->fields[i].enterprise = (uint32_t)ff_get_le_n(fp + 4, 4);
	}
	*off += FF_TC_ENTRY + (size_t)n * FF_TC_FIELD;
	if (t->n_scope > n || ff_template_finish(t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* Checks the frame of a saved buffer; returns the entry count or -EINVAL. */
static int64_t ff_tc_check(const uint8_t *buf, size_t len)
{
	if (len < FF_TC_HEAD + 8 || ff_get_le_n(buf, 4) != FF_TC_MAGIC ||
	    ff_get_le_n(buf + 4, 4) != FF_TC_VERSION ||
	    ff_get_le_n(buf + len - 8, 8) != XXH64(buf, len - 8, 0))
		return -EINVAL;
	return (int64_t)ff_get_le_n(buf + 8, 4);
}

int ff_template_cache_load(ff_template_cache *tc, const uint8_t *buf, size_t len)
{
	int64_t count = ff_tc_check(buf, len);
	if (count < 0)
		return (int)count;
	size_t off = FF_TC_HEAD, end = len - 8;
	int loaded = 0, err = 0;
	for (int64_t i = 0; i < count; i++) {
		ff_tpl_key k;
		ff_template *t = ff_tc_read_entry(buf, end, &off, &k, &err);
		if (t == NULL)
			return err;
		int rc = ff_template_cache_put(tc, &k, t);
		if (rc < 0)
			return rc;
		t->stamp = 0; /* older than anything an exporter sends from now on */
		loaded++;
	}
	tc->dirty = false;
	return off == end ? loaded : -EINVAL;
}

void ff_template_cache_mark_saved(ff_template_cache *tc)
{
	tc->dirty = false;
}

int ff_template_cache_merge(ff_template_cache *dst, const ff_template_cache *src)
{
	size_t cursor = 0;
	const void *k;
	void *v;
	while (ff_hmap_next(src->map, &cursor, &k, &v)) {
		const ff_template *t = *(ff_template **)v;
		if (t == NULL)
			continue;
		const ff_template *have = ff_template_cache_get(dst, k);
		if (have != NULL && have->stamp >= t->stamp)
			continue;
		size_t size = sizeof *t + (size_t)t->n_fields * sizeof t->fields[0];
		ff_template *copy = malloc(size);
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, t, size);
		int rc = ff_template_cache_put(dst, k, copy);
		if (rc < 0)
			return rc;
		copy->stamp = t->stamp;
	}
	return 0;
}
