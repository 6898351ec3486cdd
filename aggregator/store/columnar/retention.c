#include "retention.h"

uint64_t ff_retention_trusted_ms(uint64_t t, uint64_t written_ms, uint64_t skew_ms)
{
	if (written_ms == 0 || skew_ms == 0)
		return t;
	uint64_t off = t > written_ms ? t - written_ms : written_ms - t;
	return off <= skew_ms ? t : written_ms;
}

static size_t ff_retention_by_age(const ff_retention_policy *p, const ff_retention_item *items,
				  size_t n, uint64_t now_ms, bool *drop)
{
	size_t marked = 0;
	/*
	 * Every segment is judged by its own newest record rather than stopping
	 * at the first young one: a late batch can make an older segment id hold
	 * newer data than the next one.
	 */
	for (size_t i = 0; i < n; i++) {
		uint64_t retain = items[i].retain_ms ? items[i].retain_ms : p->retain_ms;
		if (retain != 0 && now_ms >= retain && items[i].newest_ms < now_ms - retain) {
			drop[i] = true;
			marked++;
		}
	}
	return marked;
}

size_t ff_retention_select(const ff_retention_policy *p, const ff_retention_item *items, size_t n,
			   uint64_t other_bytes, uint64_t now_ms, bool *drop)
{
	for (size_t i = 0; i < n; i++)
		drop[i] = false;
	size_t marked = ff_retention_by_age(p, items, n, now_ms, drop);
	if (p->max_bytes == 0)
		return marked;
	uint64_t total = other_bytes;
	for (size_t i = 0; i < n; i++)
		total += drop[i] ? 0 : items[i].bytes;
	for (size_t i = 0; i < n && total > p->max_bytes; i++) {
		if (drop[i])
			continue;
		drop[i] = true;
		total -= items[i].bytes;
		marked++;
	}
	return marked;
}
