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
#include <stdint.h>

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
 * The rows of a column block (ff_block.h) that `filter` matches: narrows
 * sel[0 .. m), ascending row indexes of `b`, to those rows in place and
 * returns how many remain. The answer is ff_filter_match()'s on each row;
 * the block needs the columns ff_filter_fields() names (a block without
 * them, or a program too long for the block way, is judged row by row).
 */
struct ff_block;
size_t ff_filter_select(const ff_filter *filter, const struct ff_block *b, uint16_t *sel,
			size_t m);

/*
 * The filter in a normalized form: keywords lower case, one space between
 * words, every `and`/`or`/`not` group in parentheses. Compiling the
 * normalized text gives a filter with the same meaning. Owned by the filter.
 */
const char *ff_filter_source(const ff_filter *filter);

/* Frees a filter from ff_filter_compile(); NULL is allowed. */
void ff_filter_free(ff_filter *filter);

/*
 * ---- What a filter reads (ff_filter_fields.c) ----
 *
 * Lets a store decode only the columns a filter tests and skip row groups
 * whose column bounds no matching record can lie in.
 */

/*
 * Bits beside enum ff_field (bits 0..15 stay free for it): the filter tests
 * packets, bytes or flows (packets, bytes, flows, bpp, pps, bps), or the
 * times first_ms/last_ms (duration, pps, bps).
 */
#define FF_FILTER_READS_COUNTERS (1u << 20)
#define FF_FILTER_READS_TIMES (1u << 21)

/*
 * The enum ff_field bits of every key field some test of `filter` reads,
 * plus FF_FILTER_READS_COUNTERS / FF_FILTER_READS_TIMES. `inet`/`inet6`
 * read both addresses; a host, net, port, as or if test without a side
 * reads both fields of the pair; a flags test also reads the protocol (it
 * implies TCP). 0 for a filter that reads nothing (empty, `any`) and for
 * NULL. Walks the compiled program: cheap, but not meant per record.
 */
uint32_t ff_filter_fields(const ff_filter *filter);

/* The values of one integer field in a group of records, both ends inclusive. */
typedef struct ff_filter_range {
	uint64_t min;
	uint64_t max;
} ff_filter_range;

/*
 * What a store knows about a group of records (a segment, a row group).
 * A range whose bit is not in `known` may hold anything: it is not read.
 * A known range must hold the field's value of every record of the group
 * that does not wildcard the field (it may also cover the zero stored for
 * wildcarded ones); min > max says no record has the field unwildcarded.
 * FF_FILTER_READS_COUNTERS in `known` sets packets, bytes and flows at once.
 * Addresses, times and the exporter have no bounds here.
 */
typedef struct ff_filter_bounds {
	uint32_t known;		     /* enum ff_field bits, FF_FILTER_READS_COUNTERS */
	uint32_t wildcards_possible; /* ff_field bits some record may wildcard; ~0u if unknown */
	ff_filter_range src_port, dst_port;
	ff_filter_range proto, tos, tcp_flags;
	ff_filter_range src_as, dst_as;
	ff_filter_range in_if, out_if;
	ff_filter_range packets, bytes, flows;
} ff_filter_bounds;

/*
 * False only when no record lying within `bounds` can match `filter`, so the
 * group may be skipped unread; true otherwise (conservative: a group may
 * still hold no match). Every test is judged never / always / maybe true
 * over the bounds and the verdicts are carried through and/or/not, so `not
 * port 53` rules out a group whose ports are all exactly 53 when no port is
 * wildcarded. NULL filter: true. Thread-safe, as ff_filter_match(); it
 * allocates only for programs of over a few hundred tests, and answers true
 * if that allocation fails.
 */
bool ff_filter_may_match(const ff_filter *filter, const ff_filter_bounds *bounds);

#endif
