#ifndef FF_TEMPLATE_QUOTA_H
#define FF_TEMPLATE_QUOTA_H

/*
 * How the template cache (template_cache.h) shares its memory among
 * exporters. Internal to template_cache.c.
 *
 * Every template is charged its cost (FF_TPL_COST) to its exporter. Each
 * exporter keeps its templates in a list, least recently sent first, and
 * the exporters sit in a max-heap by bytes held, so the exporter holding the
 * most is found in O(1) and every change costs O(log exporters): no scan
 * of all templates on the receive path.
 *
 * ff__tpl_quota_victim() is the admission policy. Before a template of
 * `cost` bytes is added for an exporter, it names the templates to evict
 * first, one at a time, or refuses:
 *  - an exporter at its own quota (FF_TPL_EXPORTER_MAX_TEMPLATES or
 *    FF_TPL_EXPORTER_MAX_BYTES) makes room from its own least recently sent
 *    template;
 *  - when the whole cache is at FF_TPL_MAX_BYTES, an exporter that would
 *    stay within its fair share (FF_TPL_MAX_BYTES divided by the number of
 *    exporters holding templates, itself included) takes the room from the
 *    exporter holding the most; one beyond its fair share makes room from
 *    its own templates;
 *  - an exporter beyond its fair share with no template of its own to give
 *    is refused.
 * So no exporter, nor a crowd of spoofed ones, can keep another from its
 * fair share: a crowd of N sources limits each exporter to 1/(N+1) of the
 * cache, never to nothing while it sends templates smaller than that.
 */

#include "template_cache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ff__tpl_owner;

/* One cached template: the hash chain and the owner's list are intrusive. */
typedef struct ff__tpl_entry {
	ff_tpl_key key;
	ff_template *t;
	size_t cost;
	struct ff__tpl_entry *hnext;	   /* the cache's hash chain */
	struct ff__tpl_entry *prev, *next; /* the owner's list, least recently sent first */
	struct ff__tpl_owner *owner;
} ff__tpl_entry;

/* One exporter holding templates; freed when it holds none. */
typedef struct ff__tpl_owner {
	uint8_t addr[FF_ADDR_LEN];
	size_t count;
	size_t bytes;
	ff__tpl_entry *oldest, *newest;
	size_t heap_at;
	struct ff__tpl_owner *hnext;
} ff__tpl_owner;

typedef struct ff__tpl_quota {
	ff__tpl_owner **buckets; /* by address; power-of-two count */
	size_t n_buckets;
	ff__tpl_owner **heap; /* max-heap by bytes */
	size_t n_owners;
	size_t heap_cap;
	size_t bytes; /* every owner's bytes */
	size_t count; /* every owner's templates */
} ff__tpl_quota;

/* Returns 0 or -ENOMEM. */
int ff__tpl_quota_init(ff__tpl_quota *q);

/* Frees the owners (not their entries, which the cache frees). */
void ff__tpl_quota_free(ff__tpl_quota *q);

/* The owner of `addr`, created empty if absent and `create`; NULL if absent or no memory. */
ff__tpl_owner *ff__tpl_quota_owner(ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN], bool create);

/* The owner of `addr`, or NULL. */
const ff__tpl_owner *ff__tpl_quota_find(const ff__tpl_quota *q, const uint8_t addr[FF_ADDR_LEN]);

/* Frees `o` if it holds nothing (an owner created for a template then refused). */
void ff__tpl_quota_forget_if_empty(ff__tpl_quota *q, ff__tpl_owner *o);

/* Charges `e` (e->cost set) to `o` as its most recently sent template. */
void ff__tpl_quota_add(ff__tpl_quota *q, ff__tpl_owner *o, ff__tpl_entry *e);

/* Uncharges `e` from its owner, freeing the owner when it holds nothing more. */
void ff__tpl_quota_remove(ff__tpl_quota *q, ff__tpl_entry *e);

/* Makes `e` its owner's most recently sent template. */
void ff__tpl_quota_touch(ff__tpl_entry *e);

/*
 * The next template to evict before one of `cost` bytes is added for `o`,
 * with why in *reason; NULL with *reason 0 when it fits, or NULL with
 * *reason -ENOSPC when it is refused (see the policy above).
 */
ff__tpl_entry *ff__tpl_quota_victim(const ff__tpl_quota *q, const ff__tpl_owner *o, size_t cost,
				    int *reason);

#endif
