/*
 * libFuzzer target for the two trust files an operator or a crash can damage:
 * the allow-list loader (DATA_DIR/trust.log, aggregator/trust/trust_store.c)
 * and the enrolment token parser (--enroll-token FILE). The first byte picks
 * the parser; the rest is the file. Any bytes must load or be refused with a
 * message naming a line, never crash or leak.
 */
#include "ff_log.h"
#include "trust_impl.h"
#include "trust_token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ff_fuzz_allow_list(const uint8_t *data, size_t size)
{
	ff_trust *t = ff__trust_new(4);
	char *buf = malloc(size + 1);
	if (t != NULL && buf != NULL) {
		memcpy(buf, data, size);
		buf[size] = '\0';
		char err[512];
		size_t whole = 0;
		int rc = ff__trust_load_buffer(t, buf, size, &whole, err, sizeof err);
		if (rc == 0 && whole > size)
			abort(); /* the loader must never claim more than it was given */
		json_t *keys = ff_trust_keys_json(t);
		json_decref(keys);
	}
	free(buf);
	ff_trust_close(t);
}

static void ff_fuzz_tokens(const uint8_t *data, size_t size)
{
	ff_trust_token *v = NULL;
	size_t n = 0;
	char err[512];
	if (ff_trust_tokens_parse((const char *)data, size, "fuzz", &v, &n, err, sizeof err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strlen(v[i].text) < FF_TRUST_TOKEN_MIN)
				abort(); /* a short token must have been refused */
		free(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	if (size == 0)
		return 0;
	if (data[0] & 1)
		ff_fuzz_tokens(data + 1, size - 1);
	else
		ff_fuzz_allow_list(data + 1, size - 1);
	return 0;
}
