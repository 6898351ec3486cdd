#ifndef FF_RETENTION_H
#define FF_RETENTION_H

/*
 * Retention of sealed segments, by age (--retain) and by disk size
 * (--max-disk), oldest first. A pure decision over a list the store hands
 * in, so the policy is tested without files; the store deletes what it
 * says.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff_retention_policy {
	uint64_t retain_ms; /* drop segments whose newest record is older; 0: keep forever */
	uint64_t max_bytes; /* keep the store's bytes at or below this; 0: no bound */
} ff_retention_policy;

typedef struct ff_retention_item {
	uint64_t newest_ms; /* the latest last_ms of its records, as ff_retention_trusted_ms() has it */
	uint64_t bytes;	    /* the segment file's size */
	uint64_t retain_ms; /* this item's age limit; 0: the policy's retain_ms */
} ff_retention_item;

/*
 * The time a file is aged by: `t` (its newest record's last_ms) when that
 * lies within `skew_ms` of `written_ms`, when the file was written; else
 * `written_ms`. Records stamped by a wrong or forged clock (2106, 1970) so
 * neither keep a file forever nor make it go at once: such a file lives as
 * long as one written at the same time with honest stamps. Records that
 * arrive late (an agent's spool after an outage longer than the window) are
 * aged from when they were stored, like those. `written_ms` or `skew_ms`
 * 0 (not known, no window): `t`.
 */
uint64_t ff_retention_trusted_ms(uint64_t t, uint64_t written_ms, uint64_t skew_ms);

/*
 * Decides which of `items` (sorted oldest first) go: drop[i] is set for
 * each. `other_bytes` is what the store holds beside these segments (the
 * journal), counted against max_bytes but never dropped here. Age first:
 * every segment whose newest record is older than now minus its retain_ms (the
 * item's, else the policy's; 0 keeps it); then,
 * while the total is above max_bytes, the oldest remaining ones.
 * Returns how many were marked.
 */
size_t ff_retention_select(const ff_retention_policy *p, const ff_retention_item *items, size_t n,
			   uint64_t other_bytes, uint64_t now_ms, bool *drop);

#endif
