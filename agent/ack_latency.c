#include "ack_latency.h"

#include <stdlib.h>
#include <string.h>

void ff_ack_latency_add(ff_ack_latency *l, uint64_t ms)
{
	l->ms[l->next] = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	l->next = (l->next + 1) % FF_ACK_LATENCY_WINDOW;
	if (l->n < FF_ACK_LATENCY_WINDOW)
		l->n++;
}

static int ff_ack_latency_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The value at quantile q (nearest rank) of n sorted values. */
static uint64_t ff_ack_latency_rank(const uint32_t *v, size_t n, unsigned q)
{
	size_t k = (n * q + 99) / 100;
	return v[k > 0 ? k - 1 : 0];
}

void ff_ack_latency_summary(const ff_ack_latency *l, uint64_t *p50, uint64_t *p99, uint64_t *max)
{
	*p50 = *p99 = *max = 0;
	if (l->n == 0)
		return;
	uint32_t v[FF_ACK_LATENCY_WINDOW];
	memcpy(v, l->ms, l->n * sizeof v[0]);
	qsort(v, l->n, sizeof v[0], ff_ack_latency_cmp);
	*p50 = ff_ack_latency_rank(v, l->n, 50);
	*p99 = ff_ack_latency_rank(v, l->n, 99);
	*max = v[l->n - 1];
}
