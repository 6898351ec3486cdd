#ifndef FF_POLICY_H
#define FF_POLICY_H

/*
 * A central policy as every component sees it (docs/policy.md): which
 * records leave an agent (an nfdump filter), which key fields survive
 * summarization (the rest become wildcards), the interval, an optional
 * top-K per interval, and an optional 1-in-N record sampling. The aggregator
 * validates a policy with these functions before it stores or pushes it,
 * the CLI before it sends it, and the agent before it applies it, so all
 * three refuse the same policies with the same words.
 *
 * Targets select agents by their labels: "" (every agent) or
 * "key=value[,key=value...]", matching an agent that has every pair.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The record's key fields a policy can keep or wildcard (enum ff_field bits). */
#define FF_POLICY_KEY_FIELDS 0x7ffu
/* Bounds a policy must stay in; beyond them it is refused, never clamped. */
#define FF_POLICY_MAX_INTERVAL_S   86400u
#define FF_POLICY_MAX_TOPK	   10000000u
#define FF_POLICY_MAX_SAMPLE	   1000000u
#define FF_POLICY_MAX_TARGET	   255u
#define FF_POLICY_MAX_TARGET_PAIRS 16u

typedef struct ff_policy_spec {
	uint64_t version;    /* assigned by the aggregator's store; 0 before */
	uint64_t created_ms; /* when the aggregator stored it */
	char *target;	     /* owned; "" for every agent */
	char *filter;	     /* owned; nfdump syntax, "" matches every record */
	uint32_t keys;	     /* kept key fields (enum ff_field bits) */
	uint32_t interval_s; /* 0: the agent's own --interval */
	uint32_t topk;	     /* 0: every record of an interval */
	uint32_t sample;     /* 0 or 1: every record; N: 1 in N, counters scaled by N */
	bool merge;	     /* merge the records of one key per interval (keys or topk imply it) */
} ff_policy_spec;

/*
 * Parses a comma-separated key list ("srcip,dstip,proto,dstport") into
 * enum ff_field bits. Names: srcip dstip srcport dstport proto tos inif
 * outif srcas dstas exporter; "all" or an empty list keeps every key.
 * Returns 0, or -1 with a message naming the bad word and the valid ones.
 */
int ff_policy_keys_parse(const char *text, uint32_t *keys, char *err, size_t err_len);

/* Writes the key list of `keys` in canonical order ("all" for every key). Returns buf. */
char *ff_policy_keys_format(uint32_t keys, char *buf, size_t len);

/*
 * How specifically `target` selects an agent with the labels
 * keys[i]=values[i]: -1 when it does not, 0 for a target of every agent,
 * otherwise the number of pairs it matched (all of them).
 */
int ff_policy_target_match(const char *target, const char *const *keys, const char *const *values,
			   size_t n);

/*
 * Checks everything a policy says: target, filter (compiled once and
 * thrown away, so its error points at the column), keys and bounds.
 * Returns 0 or -1 with the first problem in `err`.
 */
int ff_policy_validate(const ff_policy_spec *p, char *err, size_t err_len);

/*
 * Deep-copies `src` into `dst` (which must not hold strings). Returns 0, or
 * -1 when out of memory (dst is then empty).
 */
int ff_policy_spec_copy(ff_policy_spec *dst, const ff_policy_spec *src);

/* Frees the strings of `p` and zeroes it. */
void ff_policy_spec_clear(ff_policy_spec *p);

#endif
