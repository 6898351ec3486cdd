#include "template_quota.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define FF_TPLQ_FIRST_BUCKETS 16

int ff__tpl_quota_init(ff__tpl_quota *q)
{
	memset(q, 0, sizeof *q);
	q->buckets = calloc(FF_TPLQ_FIRST_BUCKETS, sizeof *q->buckets);
	if (q->buckets == NULL)
		return -ENOMEM;
	q->n_buckets = FF_TPLQ_FIRST_BUCKETS;
	return 0;
}

void ff__tpl_quota_free(ff__tpl_quota *q)
{
	for (size_t i = 0; i < q->n_owners; i++)
		free(q->heap[i]);
	free(q->heap);
	free(q->buckets);
	memset(q, 0, sizeof *q);
}

static size_t ff_tplq_bucket(const ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN])
{
	return (size_t)XXH3_64bits(addr, FF_ADDR_LEN) & (q->n_buckets - 1);
}

/* Doubles the buckets when owners outnumber them; a failure only lengthens chains. */
static void ff_tplq_grow(ff__tpl_quota *q)
{
	size_t n = q->n_buckets * 2;
	ff__tpl_owner **b = calloc(n, sizeof *b);
	if (b == NULL)
		return;
	ff__tpl_owner **old = q->buckets;
	size_t old_n = q->n_buckets;
	q->buckets = b;
	q->n_buckets = n;
	for (size_t i = 0; i < old_n; i++)
		for (ff__tpl_owner *o = old[i], *next; o != NULL; o = next) {
			next = o->hnext;
			size_t at = ff_tplq_bucket(q, o->addr);
			o->hnext = b[at];
			b[at] = o;
		}
	free(old);
}

static void ff_tplq_swap(ff__tpl_quota *q, size_t a, size_t b)
{
	ff__tpl_owner *t = q->heap[a];
	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->heap_at = a;
	q->heap[b]->heap_at = b;
}

static void ff_tplq_sift_up(ff__tpl_quota *q, size_t i)
{
	while (i > 0 && q->heap[(i - 1) / 2]->bytes < q->heap[i]->bytes) {
		ff_tplq_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void ff_tplq_sift_down(ff__tpl_quota *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, max = i;
		if (l < q->n_owners && q->heap[l]->bytes > q->heap[max]->bytes)
			max = l;
		if (r < q->n_owners && q->heap[r]->bytes > q->heap[max]->bytes)
			max = r;
		if (max == i)
			return;
		ff_tplq_swap(q, i, max);
		i = max;
	}
}

static int ff_tplq_heap_push(ff__tpl_quota *q, ff__tpl_owner *o)
{
	if (q->n_owners == q->heap_cap) {
		size_t cap = q->heap_cap ? q->heap_cap * 2 : 16;
		ff__tpl_owner **h = realloc(q->heap, cap * sizeof *h);
		if (h == NULL)
			return -ENOMEM;
		q->heap = h;
		q->heap_cap = cap;
	}
	o->heap_at = q->n_owners;
	q->heap[q->n_owners++] = o;
	ff_tplq_sift_up(q, o->heap_at);
	return 0;
}

static void ff_tplq_heap_remove(ff__tpl_quota *q, ff__tpl_owner *o)
{
	size_t i = o->heap_at, last = --q->n_owners;
	if (i == last)
		return;
	ff_tplq_swap(q, i, last);
	ff_tplq_sift_up(q, i);
	ff_tplq_sift_down(q, i);
}

static ff__tpl_owner *ff_tplq_lookup(const ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN])
{
	for (ff__tpl_owner *o = q->buckets[ff_tplq_bucket(q, addr)]; o != NULL; o = o->hnext)
		if (memcmp(o->addr, addr, FF_ADDR_LEN) == 0)
			return o;
	return NULL;
}

const ff__tpl_owner *ff__tpl_quota_find(const ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN])
{
	return ff_tplq_lookup(q, addr);
}

ff__tpl_owner *ff__tpl_quota_owner(ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN], bool create)
{
	ff__tpl_owner *o = ff_tplq_lookup(q, addr);
	if (o != NULL || !create)
		return o;
	size_t at = ff_tplq_bucket(q, addr);
	o = calloc(1, sizeof *o);
	if (o == NULL)
		return NULL;
	memcpy(o->addr, addr, FF_ADDR_LEN);
	if (ff_tplq_heap_push(q, o) != 0) {
		free(o);
		return NULL;
	}
	o->hnext = q->buckets[at];
	q->buckets[at] = o;
	if (q->n_owners > q->n_buckets)
		ff_tplq_grow(q);
	return o;
}

void ff__tpl_quota_forget_if_empty(ff__tpl_quota *q, ff__tpl_owner *o)
{
	if (o->count > 0)
		return;
	ff__tpl_owner **p = &q->buckets[ff_tplq_bucket(q, o->addr)];
	while (*p != o)
		p = &(*p)->hnext;
	*p = o->hnext;
	ff_tplq_heap_remove(q, o);
	free(o);
}

static void ff_tplq_unlink(ff__tpl_entry *e)
{
	ff__tpl_owner *o = e->owner;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		o->oldest = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		o->newest = e->prev;
	e->prev = e->next = NULL;
}

static void ff_tplq_link_newest(ff__tpl_owner *o, ff__tpl_entry *e)
{
	e->owner = o;
	e->next = NULL;
	e->prev = o->newest;
	if (o->newest != NULL)
		o->newest->next = e;
	else
		o->oldest = e;
	o->newest = e;
}

void ff__tpl_quota_add(ff__tpl_quota *q, ff__tpl_owner *o, ff__tpl_entry *e)
{
	ff_tplq_link_newest(o, e);
	o->count++;
	o->bytes += e->cost;
	q->count++;
	q->bytes += e->cost;
	ff_tplq_sift_up(q, o->heap_at);
}

void ff__tpl_quota_remove(ff__tpl_quota *q, ff__tpl_entry *e)
{
	ff__tpl_owner *o = e->owner;
	ff_tplq_unlink(e);
	e->owner = NULL;
	o->count--;
	o->bytes -= e->cost;
	q->count--;
	q->bytes -= e->cost;
	ff_tplq_sift_down(q, o->heap_at);
	ff__tpl_quota_forget_if_empty(q, o);
}

void ff__tpl_quota_touch(ff__tpl_entry *e)
{
	ff__tpl_owner *o = e->owner;
	if (o->newest == e)
		return;
	ff_tplq_unlink(e);
	ff_tplq_link_newest(o, e);
}

/* The owner's own least recently sent template, or a refusal when it has none. */
static ff__tpl_entry *ff_tplq_own(const ff__tpl_owner *o, int why, int *reason)
{
	*reason = o->oldest != NULL ? why : -ENOSPC;
	return o->oldest;
}

ff__tpl_entry *ff__tpl_quota_victim(const ff__tpl_quota *q, const ff__tpl_owner *o, size_t cost,
				    int *reason)
{
	*reason = 0;
	if (o->count + 1 > FF_TPL_EXPORTER_MAX_TEMPLATES ||
	    o->bytes + cost > FF_TPL_EXPORTER_MAX_BYTES)
		return ff_tplq_own(o, FF_TPL_EVICT_OWN_QUOTA, reason);
	if (q->bytes + cost <= FF_TPL_MAX_BYTES)
		return NULL;
	/* The owner is in the heap already, so n_owners counts it. */
	size_t fair = FF_TPL_MAX_BYTES / q->n_owners;
	if (o->bytes + cost > fair)
		return ff_tplq_own(o, FF_TPL_EVICT_OWN_SHARE, reason);
	/*
	 * The heaviest holds at least the average, which exceeds what `o` holds
	 * (the cache is full and `o` is below its share); the check keeps a
	 * rounding corner from evicting `o` for itself.
	 */
	const ff__tpl_owner *top = q->heap[0];
	if (top == o || top->oldest == NULL)
		return ff_tplq_own(o, FF_TPL_EVICT_OWN_SHARE, reason);
	*reason = FF_TPL_EVICT_FOR_OTHER;
	return top->oldest;
}
