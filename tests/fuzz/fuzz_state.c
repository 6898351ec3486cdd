/*
 * libFuzzer target for the agent's state-file loaders. The first byte picks
 * the file, the rest is its content:
 *   0  `templates` (ff_template_cache_load): whatever loads must save within
 *      FF_TPL_STATE_MAX and load back whole, under the same bounds;
 *   1  `epoch` and 2 `sequence` (ff_agent_state_parse): a value parsed must
 *      print back as the same digits (nothing reinterpreted);
 *   3  `samplers` (ff_sampling_load);
 *   4, 5  `templates`, `samplers` with the XXH64 trailer appended here, so
 *      mutations reach the entry parsers instead of stopping at the checksum.
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include "agent_state.h"
#include "ff_log.h"
#include "sampling.h"
#include "template_cache.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_templates(const uint8_t *data, size_t size)
{
	ff_template_cache *tc = ff_template_cache_new(), *back = ff_template_cache_new();
	if (tc == NULL || back == NULL)
		goto out;
	int n = ff_template_cache_load(tc, data, size, NULL, NULL);
	if (n < 0 && ff_template_cache_count(tc) == 0)
		goto out;
	if (ff_template_cache_bytes(tc) > FF_TPL_MAX_BYTES)
		abort();
	uint8_t *buf = NULL;
	size_t len = 0;
	if (ff_template_cache_save(tc, &buf, &len) != 0)
		goto out;
	size_t refused = 0, evicted = 0;
	int m = ff_template_cache_load(back, buf, len, &refused, &evicted);
	/* What was saved loads back, all of it, under the same bounds. */
	if (len > FF_TPL_STATE_MAX || m < 0 || (size_t)m != ff_template_cache_count(tc) ||
	    refused != 0 || evicted != 0 ||
	    ff_template_cache_bytes(back) != ff_template_cache_bytes(tc))
		abort();
	free(buf);
out:
	ff_template_cache_free(tc);
	ff_template_cache_free(back);
}

static void fuzz_number(const uint8_t *data, size_t size, enum ff_agent_state_kind kind)
{
	uint64_t v = 0;
	if (ff_agent_state_parse((const char *)data, size, kind, &v) != 0)
		return;
	/* Accepted: digits only (leading zeros allowed), optional final newline, same value. */
	char line[32];
	snprintf(line, sizeof line, kind == FF_STATE_KIND_EPOCH ? "%" PRIx64 : "%" PRIu64, v);
	size_t n = size > 0 && data[size - 1] == '\n' ? size - 1 : size;
	size_t lead = 0;
	while (lead + 1 < n && data[lead] == '0')
		lead++;
	size_t digits = n - lead;
	if (v == 0 || digits != strlen(line) ||
	    strncasecmp((const char *)data + lead, line, digits))
		abort();
}

static void fuzz_samplers(const uint8_t *data, size_t size)
{
	ff_sampling *s = ff_sampling_new();
	if (s != NULL)
		(void)ff_sampling_load(s, data, size);
	ff_sampling_free(s);
}

/* `data` with the little-endian XXH64 (seed 0) of it appended, as the savers write it. */
static uint8_t *fuzz_checksummed(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 8);
	if (buf == NULL)
		return NULL;
	if (size > 0)
		memcpy(buf, data, size);
	uint64_t h = XXH64(data, size, 0);
	for (int i = 0; i < 8; i++)
		buf[size + (size_t)i] = (uint8_t)(h >> (8 * i));
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ff_log_init("fuzz", FF_LOG_ERROR);
	if (size < 1)
		return 0;
	uint8_t *fixed = NULL;
	switch (data[0] % 6) {
	case 0:
		fuzz_templates(data + 1, size - 1);
		break;
	case 1:
		fuzz_number(data + 1, size - 1, FF_STATE_KIND_EPOCH);
		break;
	case 2:
		fuzz_number(data + 1, size - 1, FF_STATE_KIND_SEQUENCE);
		break;
	case 3:
		fuzz_samplers(data + 1, size - 1);
		break;
	case 4:
		if ((fixed = fuzz_checksummed(data + 1, size - 1)) != NULL)
			fuzz_templates(fixed, size - 1 + 8);
		break;
	default:
		if ((fixed = fuzz_checksummed(data + 1, size - 1)) != NULL)
			fuzz_samplers(fixed, size - 1 + 8);
		break;
	}
	free(fixed);
	return 0;
}
