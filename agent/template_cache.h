#ifndef FF_TEMPLATE_CACHE_H
#define FF_TEMPLATE_CACHE_H

/*
 * NetFlow v9 and IPFIX templates, kept per (exporter address, protocol,
 * source id / observation domain, template id), and the data sets that
 * arrived before their template.
 *
 * Templates: a definition for a known key with the same layout is a
 * refresh; with another layout it replaces the old one (a router reusing
 * the id after a reconfiguration), reported so it can be counted. IPFIX
 * withdraws one template or all of a domain (RFC 7011 section 8.1).
 *
 * Held data sets: a copy of a data set whose template is unknown, with the
 * header fields its times need, is kept until the template arrives, for at
 * most FF_PENDING_MAX_AGE_MS, FF_PENDING_MAX_SETS sets and
 * FF_PENDING_MAX_BYTES bytes altogether (the oldest go first when full):
 * routers refresh templates every minute or so, and an agent restarted
 * without its state must not grow without bound meanwhile.
 *
 * Memory is shared fairly (template_quota.h has the policy): each template
 * costs FF_TPL_COST(n_fields) bytes, charged to its exporter; one cache
 * holds at most FF_TPL_MAX_BYTES (16 MiB), one exporter at most
 * FF_TPL_EXPORTER_MAX_TEMPLATES (4096) templates and
 * FF_TPL_EXPORTER_MAX_BYTES (1 MiB). An exporter at its quota makes room
 * from its own least recently sent template; when the cache is full, an
 * exporter under its fair share (FF_TPL_MAX_BYTES / exporters holding
 * templates) evicts from the exporter holding the most, and one beyond its
 * fair share from its own. A template is refused only when its exporter is
 * beyond its fair share with nothing of its own to give. Each eviction is
 * reported through the put's callback and each refusal by its return value,
 * so the decoder counts both per exporter. None of this scans the cache:
 * a put is a hash lookup plus O(log exporters) when the cache is full.
 * There is one cache per receive thread, so the agent's bound is
 * FF_TPL_MAX_BYTES times its receive threads.
 *
 * Persistence: ff_template_cache_save() serialises every template (not the
 * held sets) so a restarted agent decodes at once; the format is in
 * docs/fields.md ("State files"). A saved entry is never larger than the
 * cost of its template, so a saved file is never larger than
 * FF_TPL_STATE_MAX, the bound the loader reads with: what was saved loads.
 *
 * Not thread-safe. Templates returned are borrowed: valid until the next
 * call that adds, replaces or withdraws templates.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_TPL_MAX_FIELDS 512
#define FF_TPL_VARLEN	  65535 /* IPFIX: the field's length precedes it in the record */
/*
 * What a template costs against the bounds: its entry, its fields and its
 * share of the hash tables and of its exporter's record (template_cache.c
 * checks at compile time that these cover the real sizes and the saved
 * entry's size).
 */
#define FF_TPL_COST_BASE  192u
#define FF_TPL_COST_FIELD 12u
#define FF_TPL_COST(n)	  (FF_TPL_COST_BASE + (size_t)(n)*FF_TPL_COST_FIELD)
/* Sized for a small node: a busy exporter sends tens of templates, not thousands. */
#define FF_TPL_MAX_BYTES	      (16u << 20)
#define FF_TPL_EXPORTER_MAX_BYTES     (1u << 20)
#define FF_TPL_EXPORTER_MAX_TEMPLATES 4096u
/* The largest templates file: its head and checksum (20 bytes) and entries costing at most the
 * bound. */
#define FF_TPL_STATE_MAX      ((size_t)FF_TPL_MAX_BYTES + 20u)
#define FF_PENDING_MAX_SETS   256
#define FF_PENDING_MAX_BYTES  (1u << 20)
#define FF_PENDING_MAX_AGE_MS 60000

typedef struct ff_tpl_field {
	uint16_t id;	     /* information element id, enterprise bit removed */
	uint16_t len;	     /* bytes, or FF_TPL_VARLEN */
	uint32_t enterprise; /* 0: IANA / Cisco v9 */
	uint8_t action;	     /* enum ff_field_action (field_map.h), set by the cache */
} ff_tpl_field;

typedef struct ff_template {
	uint16_t id;
	uint16_t n_fields;
	uint16_t n_scope; /* options templates: the first n_scope fields are scope */
	uint8_t options;  /* 1: options template (its data feeds sampler tables) */
	uint8_t has_varlen;
	uint8_t proto;	  /* 9 or 10: v9 scope field types are not element ids */
	uint32_t min_len; /* shortest record: fixed lengths plus one byte per varlen field */
	/*
	 * When the exporter last sent it, on a counter shared by every cache
	 * (0: reloaded from a state file), so ff_template_cache_merge() keeps
	 * the freshest of several threads' copies.
	 */
	uint64_t stamp;
	ff_tpl_field fields[];
} ff_template;

/* Where a template lives. Protocol is 9 or 10. */
typedef struct ff_tpl_key {
	uint8_t exporter[FF_ADDR_LEN];
	uint32_t domain;
	uint16_t id;
	uint8_t proto;
	uint8_t zero; /* keeps the key free of padding: hashed bytewise */
} ff_tpl_key;

/* The header fields flow times are computed from. */
typedef struct ff_export_hdr {
	uint64_t export_ms;  /* v9: unix secs * 1000; IPFIX: export time * 1000 */
	uint32_t sys_uptime; /* v9 only: ms since the exporter booted */
	uint8_t has_uptime;
} ff_export_hdr;

/* A held data set, borrowed by the callback of ff_template_cache_release(). */
typedef struct ff_pending_set {
	ff_tpl_key key;
	ff_export_hdr hdr;
	uint64_t arrived_ms;
	uint8_t *data; /* the set body, after its 4-byte header */
	size_t len;
} ff_pending_set;

enum ff_tpl_put_result {
	FF_TPL_NEW = 0,
	FF_TPL_REFRESHED = 1,
	FF_TPL_REPLACED = 2,
};

/* Why a template was evicted (template_quota.h). */
enum ff_tpl_evict_reason {
	FF_TPL_EVICT_OWN_QUOTA = 1, /* its exporter's count or bytes quota was full */
	FF_TPL_EVICT_OWN_SHARE = 2, /* the cache was full and its exporter at its fair share */
	FF_TPL_EVICT_FOR_OTHER = 3, /* the cache was full: room for an exporter under its share */
};

/* One sentence saying why, for log lines. */
const char *ff_tpl_evict_reason_text(enum ff_tpl_evict_reason why);

/* Told of each template evicted to make room (the victim is borrowed for the call). */
typedef void (*ff_tpl_evict_fn)(void *arg, const ff_tpl_key *victim, enum ff_tpl_evict_reason why);

typedef struct ff_template_cache ff_template_cache;

ff_template_cache *ff_template_cache_new(void);
void ff_template_cache_free(ff_template_cache *tc);

/* A zeroed template with room for `n_fields`; caller frees with free() unless given to _put. */
ff_template *ff_template_alloc(uint16_t n_fields);

/*
 * Computes min_len, has_varlen and each field's action (v9 scope fields
 * have none: their types 1-5 mean System, Interface, ... not element ids);
 * returns 0, or
 * -EINVAL when the template can never describe a record (no field, a
 * shortest record of 0 bytes or beyond 65535 bytes).
 */
int ff_template_finish(ff_template *t);

/*
 * Stores `t` (finished; ownership taken in every case) under `key`,
 * evicting what the sharing policy above says, each reported to `evicted`
 * (may be NULL). A redefinition replaces the old layout, which is gone even
 * when the new one is refused (its data would be misread). Returns an
 * ff_tpl_put_result, or with `t` freed -ENOMEM, or -ENOSPC (refused: the
 * cache is full and the exporter beyond its fair share with nothing of its
 * own to evict).
 */
int ff_template_cache_put(ff_template_cache *tc, const ff_tpl_key *key, ff_template *t,
			  ff_tpl_evict_fn evicted, void *arg);

/* The template under `key`, or NULL. */
const ff_template *ff_template_cache_get(const ff_template_cache *tc, const ff_tpl_key *key);

/* Removes the template under `key`; returns 1 if there was one, else 0. */
int ff_template_cache_withdraw(ff_template_cache *tc, const ff_tpl_key *key);

/*
 * Removes every template (options != 0: every options template) of
 * (exporter, proto, domain) given by `key` (its id ignored); returns how many.
 */
int ff_template_cache_withdraw_all(ff_template_cache *tc, const ff_tpl_key *key, bool options);

size_t ff_template_cache_count(const ff_template_cache *tc);

/* The bytes charged for every template (at most FF_TPL_MAX_BYTES). */
size_t ff_template_cache_bytes(const ff_template_cache *tc);

/* How many templates, and their bytes, `exporter` holds; 0 when none. */
size_t ff_template_cache_exporter_usage(const ff_template_cache *tc,
					const uint8_t exporter[FF_ADDR_LEN], size_t *bytes);

/* How many exporters hold templates. */
size_t ff_template_cache_exporters(const ff_template_cache *tc);

/*
 * Holds a copy of a data set body for `key` (its template id is the set
 * id). Makes room by dropping the oldest sets, reporting each through
 * `dropped` (may be NULL). Returns 0, or -ENOMEM / -E2BIG (larger than the
 * byte bound) when not held.
 */
int ff_template_cache_hold(ff_template_cache *tc, const ff_tpl_key *key, const ff_export_hdr *hdr,
			   const uint8_t *data, size_t len, uint64_t now_ms,
			   void (*dropped)(void *arg, const ff_pending_set *p), void *arg);

/*
 * Hands every held set for `key` to `fn` in arrival order, then forgets
 * them. Returns how many.
 */
size_t ff_template_cache_release(ff_template_cache *tc, const ff_tpl_key *key,
				 void (*fn)(void *arg, const ff_pending_set *p), void *arg);

/* Drops held sets older than FF_PENDING_MAX_AGE_MS, reporting each. Returns how many. */
size_t ff_template_cache_expire(ff_template_cache *tc, uint64_t now_ms,
				void (*fn)(void *arg, const ff_pending_set *p), void *arg);

size_t ff_template_cache_pending(const ff_template_cache *tc);

/* True when templates changed since the last save or load. */
bool ff_template_cache_dirty(const ff_template_cache *tc);

/* Clears the dirty flag: what it holds was saved by other means (a merge). */
void ff_template_cache_mark_saved(ff_template_cache *tc);

/*
 * Copies into `dst` every template of `src` that `dst` lacks or holds with
 * an older stamp: one cache of what several receive threads learned, to be
 * saved. `dst` keeps its bounds: what the sharing policy refuses is left
 * out (and the sum stays loadable). Returns 0 or -ENOMEM.
 */
int ff_template_cache_merge(ff_template_cache *dst, const ff_template_cache *src);

/*
 * Serialises every template, each exporter's least recently sent first,
 * into a malloc'd buffer (caller frees) of at most FF_TPL_STATE_MAX bytes.
 * Returns 0 or -ENOMEM.
 */
int ff_template_cache_save(ff_template_cache *tc, uint8_t **buf, size_t *len);

/*
 * Adds the templates of a buffer written by ff_template_cache_save(), under
 * the same sharing policy (a file this cache saved always fits; one from
 * elsewhere may not: what did not fit is counted in *refused, evictions in
 * *evicted; either may be NULL). Returns how many were loaded, or -EINVAL
 * (bad magic, version or checksum: nothing loaded; a bad entry behind a
 * good checksum: those before it stay) or -ENOMEM.
 */
int ff_template_cache_load(ff_template_cache *tc, const uint8_t *buf, size_t len, size_t *refused,
			   size_t *evicted);

#endif
