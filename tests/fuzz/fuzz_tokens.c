/*
 * libFuzzer target for the HTTP API's token handling: any bytes as an
 * api.tokens file must load or be refused with a message naming the line,
 * and any bytes as an Authorization header (they come from the network)
 * must be answered with a decision, never crash.
 */
#include "ff_log.h"
#include "http_auth.h"
#include "http_tokens.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ff_fuzz_dir[] = "/tmp/ff-fuzz-tokens.XXXXXX";

/* The token files go with the run. */
static void ff_fuzz_cleanup(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/" FF_HTTP_TOKEN_FILE, ff_fuzz_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/" FF_HTTP_READ_TOKEN_FILE, ff_fuzz_dir);
	unlink(path);
	rmdir(ff_fuzz_dir);
}

/* One auth for the whole run: its token files are written once into a temp dir. */
static ff_http_auth *ff_fuzz_auth(void)
{
	static ff_http_auth *auth;
	char err[512];
	if (auth == NULL && mkdtemp(ff_fuzz_dir) != NULL) {
		atexit(ff_fuzz_cleanup);
		auth = ff_http_auth_new(ff_fuzz_dir, "0.0.0.0", false, err, sizeof err);
	}
	return auth;
}

static void ff_fuzz_header(const uint8_t *data, size_t size)
{
	ff_http_auth *a = ff_fuzz_auth();
	char *h = malloc(size + 1);
	if (a == NULL || h == NULL) {
		free(h);
		return;
	}
	memcpy(h, data, size);
	h[size] = '\0';
	const char *label;
	(void)ff_http_auth_check(a, h, FF_HTTP_SCOPE_READ, &label);
	(void)ff_http_auth_check(a, h, FF_HTTP_SCOPE_ADMIN, NULL);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	char err[512];
	ff_http_tokens *t = ff_http_tokens_new();
	if (t == NULL)
		return 0;
	if (ff_http_tokens_parse(t, (const char *)data, size, "api.tokens", err, sizeof err) != 0 &&
	    strncmp(err, "api.tokens:", 11) != 0)
		abort();
	ff_http_tokens_free(t);
	ff_fuzz_header(data, size);
	return 0;
}
