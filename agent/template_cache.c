#include "template_cache.h"

#include "ff_bytes.h"
#include "field_map.h"
#include "template_quota.h"

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

/* Chains per bucket beyond which the index doubles. */
#define FF_TC_FIRST_BUCKETS 64

/*
 * FF_TPL_COST must cover what a template really takes, so the byte bound is
 * a memory bound, and what it takes in the file, so a saved file stays
 * within FF_TPL_STATE_MAX. The base covers an entry, the template header,
 * an index bucket and a whole exporter record (an exporter may hold one).
 */
_Static_assert(sizeof(ff__tpl_entry) + sizeof(ff_template) + sizeof(ff__tpl_entry *) +
		       sizeof(ff__tpl_owner) + sizeof(ff__tpl_owner *) * 2 <=
		   FF_TPL_COST_BASE,
	       "FF_TPL_COST_BASE below a template's fixed memory");
_Static_assert(sizeof(ff_tpl_field) <= FF_TPL_COST_FIELD, "FF_TPL_COST_FIELD below a field");
_Static_assert(FF_TC_ENTRY <= FF_TPL_COST_BASE && FF_TC_FIELD <= FF_TPL_COST_FIELD,
	       "a saved entry larger than its cost: FF_TPL_STATE_MAX would not hold");
_Static_assert(FF_TC_HEAD + 8 <= FF_TPL_STATE_MAX - FF_TPL_MAX_BYTES, "FF_TPL_STATE_MAX head");

struct ff_template_cache {
	ff__tpl_entry **buckets; /* key -> entry, chained; power-of-two count */
	size_t n_buckets;
	ff__tpl_quota quota; /* owners, their lists and the bytes charged */
	bool dirty;
	/* Held data sets in arrival order; a FIFO compacted on removal. */
	ff_pending_set pending[FF_PENDING_MAX_SETS];
	size_t n_pending;
	size_t pending_bytes;
};

const char *ff_tpl_evict_reason_text(enum ff_tpl_evict_reason why)
{
	switch (why) {
	case FF_TPL_EVICT_OWN_QUOTA:
		return "its exporter's quota (templates or bytes) was full and it was the "
		       "exporter's least recently sent";
	case FF_TPL_EVICT_OWN_SHARE:
		return "the template cache was full and its exporter at its fair share; "
		       "it was the exporter's least recently sent";
	case FF_TPL_EVICT_FOR_OTHER:
		return "the template cache was full and its exporter held the most: "
		       "room for an exporter under its fair share";
	}
	return "unknown reason";
}

ff_template_cache *ff_template_cache_new(void)
{
	ff_template_cache *tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return NULL;
	tc->buckets = calloc(FF_TC_FIRST_BUCKETS, sizeof *tc->buckets);
	tc->n_buckets = FF_TC_FIRST_BUCKETS;
	if (tc->buckets == NULL || ff__tpl_quota_init(&tc->quota) != 0) {
		free(tc->buckets);
		free(tc);
		return NULL;
	}
	return tc;
}

void ff_template_cache_free(ff_template_cache *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->n_buckets; i++)
		for (ff__tpl_entry *e = tc->buckets[i], *next; e != NULL; e = next) {
			next = e->hnext;
			free(e->t);
			free(e);
		}
	free(tc->buckets);
	ff__tpl_quota_free(&tc->quota);
	for (size_t i = 0; i < tc->n_pending; i++)
		free(tc->pending[i].data);
	free(tc);
}

static size_t ff_tc_bucket(const ff_template_cache *tc, const ff_tpl_key *k)
{
	return (size_t)XXH3_64bits(k, sizeof *k) & (tc->n_buckets - 1);
}

static ff__tpl_entry **ff_tc_slot(const ff_template_cache *tc, const ff_tpl_key *k)
{
	ff__tpl_entry **p = &tc->buckets[ff_tc_bucket(tc, k)];
	while (*p != NULL && memcmp(&(*p)->key, k, sizeof *k) != 0)
		p = &(*p)->hnext;
	return p;
}

/* Doubles the buckets when entries outnumber them; a failure only lengthens chains. */
static void ff_tc_grow(ff_template_cache *tc)
{
	size_t n = tc->n_buckets * 2, old_n = tc->n_buckets;
	ff__tpl_entry **b = calloc(n, sizeof *b), **old = tc->buckets;
	if (b == NULL)
		return;
	tc->buckets = b;
	tc->n_buckets = n;
	for (size_t i = 0; i < old_n; i++)
		for (ff__tpl_entry *e = old[i], *next; e != NULL; e = next) {
			next = e->hnext;
			size_t at = ff_tc_bucket(tc, &e->key);
			e->hnext = b[at];
			b[at] = e;
		}
	free(old);
}

/* Unindexes, uncharges and frees `e`. */
static void ff_tc_drop(ff_template_cache *tc, ff__tpl_entry *e)
{
	ff__tpl_entry **p = ff_tc_slot(tc, &e->key);
	*p = e->hnext;
	ff__tpl_quota_remove(&tc->quota, e);
	free(e->t);
	free(e);
	tc->dirty = true;
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

/* Evicts what the policy asks for before `cost` bytes join `o`; returns 0 or -ENOSPC. */
static int ff_tc_make_room(ff_template_cache *tc, ff__tpl_owner *o, size_t cost,
			   ff_tpl_evict_fn evicted, void *arg)
{
	int why;
	ff__tpl_entry *v;
	while ((v = ff__tpl_quota_victim(&tc->quota, o, cost, &why)) != NULL) {
		if (evicted != NULL)
			evicted(arg, &v->key, (enum ff_tpl_evict_reason)why);
		ff_tc_drop(tc, v);
	}
	return why < 0 ? why : 0;
}

/* Adds a template for a key the cache lacks. Returns FF_TPL_NEW or -ENOSPC / -ENOMEM. */
static int ff_tc_insert(ff_template_cache *tc, const ff_tpl_key *key, ff_template *t,
			ff_tpl_evict_fn evicted, void *arg)
{
	size_t cost = FF_TPL_COST(t->n_fields);
	ff__tpl_owner *o = ff__tpl_quota_owner(&tc->quota, key->exporter, true);
	ff__tpl_entry *e = o != NULL ? calloc(1, sizeof *e) : NULL;
	int rc = e == NULL ? -ENOMEM : ff_tc_make_room(tc, o, cost, evicted, arg);
	if (rc != 0) {
		if (o != NULL)
			ff__tpl_quota_forget_if_empty(&tc->quota, o);
		free(e);
		free(t);
		return rc;
	}
	e->key = *key;
	e->t = t;
	e->cost = cost;
	ff__tpl_entry **p = &tc->buckets[ff_tc_bucket(tc, key)];
	e->hnext = *p;
	*p = e;
	ff__tpl_quota_add(&tc->quota, o, e);
	if (tc->quota.count > tc->n_buckets)
		ff_tc_grow(tc);
	tc->dirty = true;
	return FF_TPL_NEW;
}

int ff_template_cache_put(ff_template_cache *tc, const ff_tpl_key *key, ff_template *t,
			  ff_tpl_evict_fn evicted, void *arg)
{
	t->stamp = atomic_fetch_add_explicit(&ff_tc_clock, 1, memory_order_relaxed) + 1;
	ff__tpl_entry *e = *ff_tc_slot(tc, key);
	if (e != NULL && ff_template_same(e->t, t)) {
		/* The common case: a periodic refresh, same layout, same cost. */
		free(e->t);
		e->t = t;
		ff__tpl_quota_touch(e);
		return FF_TPL_REFRESHED;
	}
	if (e != NULL)
		ff_tc_drop(tc, e);
	int rc = ff_tc_insert(tc, key, t, evicted, arg);
	return rc == FF_TPL_NEW && e != NULL ? FF_TPL_REPLACED : rc;
}

const ff_template *ff_template_cache_get(const ff_template_cache *tc, const ff_tpl_key *key)
{
	const ff__tpl_entry *e = *ff_tc_slot(tc, key);
	return e != NULL ? e->t : NULL;
}

int ff_template_cache_withdraw(ff_template_cache *tc, const ff_tpl_key *key)
{
	ff__tpl_entry *e = *ff_tc_slot(tc, key);
	if (e == NULL)
		return 0;
	ff_tc_drop(tc, e);
	return 1;
}

static bool ff_tpl_same_domain(const ff_tpl_key *a, const ff_tpl_key *b)
{
	return a->domain == b->domain && a->proto == b->proto &&
	       memcmp(a->exporter, b->exporter, FF_ADDR_LEN) == 0;
}

int ff_template_cache_withdraw_all(ff_template_cache *tc, const ff_tpl_key *key, bool options)
{
	ff__tpl_owner *o = ff__tpl_quota_owner(&tc->quota, key->exporter, false);
	int n = 0;
	/* Only this exporter's templates are looked at; dropping its last frees `o`. */
	for (ff__tpl_entry *e = o != NULL ? o->oldest : NULL, *next; e != NULL; e = next) {
		next = e->next;
		if (!ff_tpl_same_domain(&e->key, key) || e->t->options != options)
			continue;
		ff_tc_drop(tc, e);
		n++;
	}
	return n;
}

size_t ff_template_cache_count(const ff_template_cache *tc)
{
	return tc->quota.count;
}

size_t ff_template_cache_bytes(const ff_template_cache *tc)
{
	return tc->quota.bytes;
}

size_t ff_template_cache_exporter_usage(const ff_template_cache *tc,
					const uint8_t exporter[FF_ADDR_LEN], size_t *bytes)
{
	const ff__tpl_owner *o = ff__tpl_quota_find(&tc->quota, exporter);
	if (bytes != NULL)
		*bytes = o != NULL ? o->bytes : 0;
	return o != NULL ? o->count : 0;
}

size_t ff_template_cache_exporters(const ff_template_cache *tc)
{
	return tc->quota.n_owners;
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
	const ff__tpl_quota *q = &tc->quota;
	size_t size = FF_TC_HEAD + 8;
	for (size_t i = 0; i < q->n_owners; i++)
		for (const ff__tpl_entry *e = q->heap[i]->oldest; e != NULL; e = e->next)
			size += FF_TC_ENTRY + (size_t)e->t->n_fields * FF_TC_FIELD;
	/* Cannot happen while the costs cover the entries (checked above): the loader's bound. */
	if (size > FF_TPL_STATE_MAX)
		return -EFBIG;
	uint8_t *out = malloc(size), *p = out;
	if (out == NULL)
		return -ENOMEM;
	p = ff_put_le_n(p, FF_TC_MAGIC, 4);
	p = ff_put_le_n(p, FF_TC_VERSION, 4);
	p = ff_put_le_n(p, q->count, 4);
	/* Oldest first per exporter, so a reload keeps which go first. */
	for (size_t i = 0; i < q->n_owners; i++)
		for (const ff__tpl_entry *e = q->heap[i]->oldest; e != NULL; e = e->next)
			p = ff_tc_write_entry(p, &e->key, e->t);
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

static void ff_tc_count_evicted(void *arg, const ff_tpl_key *victim, enum ff_tpl_evict_reason why)
{
	(void)victim;
	(void)why;
	(*(size_t *)arg)++;
}

int ff_template_cache_load(ff_template_cache *tc, const uint8_t *buf, size_t len, size_t *refused,
			   size_t *evicted)
{
	size_t n_refused = 0, n_evicted = 0;
	if (refused != NULL)
		*refused = 0;
	if (evicted != NULL)
		*evicted = 0;
	int64_t count = ff_tc_check(buf, len);
	if (count < 0)
		return (int)count;
	size_t off = FF_TC_HEAD, end = len - 8;
	int loaded = 0, err = 0;
	for (int64_t i = 0; i < count && err == 0; i++) {
		ff_tpl_key k;
		int bad = 0;
		ff_template *t = ff_tc_read_entry(buf, end, &off, &k, &bad);
		if (t == NULL) {
			err = bad;
			break;
		}
		int rc = ff_template_cache_put(tc, &k, t, ff_tc_count_evicted, &n_evicted);
		if (rc == -ENOSPC) {
			n_refused++;
			continue;
		}
		if (rc < 0) {
			err = rc;
			break;
		}
		t->stamp = 0; /* older than anything an exporter sends from now on */
		loaded++;
	}
	if (refused != NULL)
		*refused = n_refused;
	if (evicted != NULL)
		*evicted = n_evicted;
	tc->dirty = false;
	if (err != 0)
		return err;
	return off == end ? loaded : -EINVAL;
}

void ff_template_cache_mark_saved(ff_template_cache *tc)
{
	tc->dirty = false;
}

/* Copies `t` into `dst` unless `dst` holds it as fresh. Returns 0 or -ENOMEM. */
static int ff_tc_merge_one(ff_template_cache *dst, const ff_tpl_key *k, const ff_template *t)
{
	const ff_template *have = ff_template_cache_get(dst, k);
	if (have != NULL && have->stamp >= t->stamp)
		return 0;
	size_t size = sizeof *t + (size_t)t->n_fields * sizeof t->fields[0];
	ff_template *copy = malloc(size);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, t, size);
	int rc = ff_template_cache_put(dst, k, copy, NULL, NULL);
	if (rc == -ENOSPC)
		return 0; /* left out: the sum keeps the bounds a loader reads with */
	if (rc < 0)
		return rc;
	copy->stamp = t->stamp;
	return 0;
}

int ff_template_cache_merge(ff_template_cache *dst, const ff_template_cache *src)
{
	const ff__tpl_quota *q = &src->quota;
	for (size_t i = 0; i < q->n_owners; i++)
		for (const ff__tpl_entry *e = q->heap[i]->oldest; e != NULL; e = e->next) {
			int rc = ff_tc_merge_one(dst, &e->key, e->t);
			if (rc != 0)
				return rc;
		}
	return 0;
}
