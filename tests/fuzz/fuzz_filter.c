/*
 * libFuzzer target for the filter compiler: policy filters arrive over HTTP
 * and query filters from users, so any bytes must compile or be refused with
 * a message, never crash. A compiled filter is also evaluated and its
 * normalized text recompiled, which must succeed.
 */
#include "ff_log.h"
#include "ff_filter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	char *expr = malloc(size + 1);
	if (expr == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	char err[256];
	ff_filter *f = NULL;
	if (ff_filter_compile(expr, &f, err, sizeof err) == 0) {
		ff_flow flow;
		memset(&flow, 0, sizeof flow);
		flow.last_ms = 1000;
		flow.packets = 3;
		flow.bytes = 1500;
		(void)ff_filter_match(f, &flow);
		flow.wildcards = 0xfff;
		(void)ff_filter_match(f, &flow);
		ff_filter *g = NULL;
		if (ff_filter_compile(ff_filter_source(f), &g, err, sizeof err) != 0)
			abort();
		ff_filter_free(g);
		ff_filter_free(f);
	}
	free(expr);
	return 0;
}
