#ifndef FF_FILTER_H
#define FF_FILTER_H

/*
 * nfdump's filter language (as in nfdump 1.7.1), compiled once and evaluated
 * against canonical flow records. The agent applies a policy's filter to
 * every decoded record and the aggregator applies a query's filter to stored
 * records, so the same text means the same thing everywhere; docs/filters.md
 * lists the language and the few places where flowfleet differs.
 *
 * A compiled filter is immutable: one ff_filter may be evaluated from several
 * threads at once. Evaluation never allocates and never fails.
 */

#include "ff_flow.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ff_filter ff_filter;

/* Longest filter text accepted, in bytes; longer text is refused with an error. */
#define FF_FILTER_MAX_LEN (256u * 1024u)

/*
 * Compiles `expr` (NUL-terminated; borrowed, not kept). An empty expression,
 * or one holding only whitespace and comments, matches every record, as in
 * nfdump.
 *
 * Returns 0 and stores a new filter in *out (caller frees with
 * ff_filter_free()), or -1 with *out set to NULL and a one-line message in
 * `err` that names the line and column of the problem and what was expected,
 * e.g. "filter:1:14: expected a port number after 'port'". `err` may be NULL
 * when err_len is 0. -1 is also returned when memory runs out.
 */
int ff_filter_compile(const char *expr, ff_filter **out, char *err, size_t err_len);

/*
 * True when `flow` matches. A primitive that tests a field the record has
 * wildcarded (ff_flow.wildcards) is false: a summarized-away port is no port,
 * so "port 53" does not match it and "not port 53" does.
 */
bool ff_filter_match(const ff_filter *filter, const ff_flow *flow);

/*
 * The filter in a normalized form: keywords lower case, one space between
 * words, every `and`/`or`/`not` group in parentheses. Compiling the
 * normalized text gives a filter with the same meaning. Owned by the filter.
 */
const char *ff_filter_source(const ff_filter *filter);

/* Frees a filter from ff_filter_compile(); NULL is allowed. */
void ff_filter_free(ff_filter *filter);

#endif
