#ifndef FF_QUERY_SELECT_H
#define FF_QUERY_SELECT_H

/*
 * Whether a stored record belongs to a query's answer: nfdump's -t test on
 * its window (since_ms <= first_ms, last_ms <= until_ms; until 0 is no upper
 * bound) and the query's filter. Shared by the engines that count whole
 * records (top-N, the flow listing); a series counts by first_ms alone.
 */

#include "ff_filter.h"
#include "ff_flow.h"

#include <stdbool.h>
#include <stdint.h>

static inline bool ff__query_selects(uint64_t since_ms, uint64_t until_ms, const ff_filter *filter,
				     const ff_flow *f)
{
	if (f->first_ms < since_ms || (until_ms != 0 && f->last_ms > until_ms))
		return false;
	return filter == NULL || ff_filter_match(filter, f);
}

#endif
