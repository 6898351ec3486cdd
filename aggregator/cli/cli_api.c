#include "cli_api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli_http.h"

/*
 * jansson refuses integers beyond INT64_MAX, and the API prints counters up
 * to 2^64 - 1 as bare numbers (aggregator/http/http_json.h). Such a literal
 * is read as a string of its digits instead, which ff_cli_json_u64() takes.
 */
static char *ff_cli_json_quote_big(const char *body, size_t len, size_t *out_len)
{
	char *out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	size_t w = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (in_string) {
			out[w++] = c;
			if (c == '\\' && i + 1 < len)
				out[w++] = body[++i];
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
			out[w++] = c;
			continue;
		}
		bool starts = c >= '0' && c <= '9' && (i == 0 || strchr(":,[ \t\n\r", body[i - 1]));
		size_t n = 0;
		while (starts && i + n < len && body[i + n] >= '0' && body[i + n] <= '9')
			n++;
		bool plain_end = i + n >= len || strchr(".eE", body[i + n]) == NULL;
		/* 19 digits may exceed INT64_MAX, 20 always do (if they fit 64 bits at all). */
		if (starts && plain_end && (n > 19 || (n == 19 && strncmp(body + i, "9223372036854775807", 19) > 0))) {
			out[w++] = '"';
			memcpy(out + w, body + i, n);
			w += n;
			out[w++] = '"';
			i += n - 1;
			continue;
		}
		out[w++] = c;
	}
	out[w] = '\0';
	*out_len = w;
	return out;
}

json_t *ff_cli_json_parse(const char *body, size_t len, json_error_t *err)
{
	size_t qlen = 0;
	char *quoted = ff_cli_json_quote_big(body, len, &qlen);
	if (quoted == NULL)
		return json_loadb(body, len, 0, err);
	json_t *doc = json_loadb(quoted, qlen, 0, err);
	free(quoted);
	return doc;
}

/* Prints the server's own words for a failed request when it sent some. */
static void ff_cli_api_report(const struct ff_cli_ctx *ctx, const char *path_query,
			      const struct ff_cli_http_response *resp)
{
	json_t *doc = ff_cli_json_parse(resp->body, resp->body_len, NULL);
	const char *msg = ff_cli_json_str(doc, "error", NULL);

	if (msg != NULL)
		fprintf(stderr, "flowfleet: server refused %s (HTTP %d): %s\n", path_query,
			resp->status, msg);
	else
		fprintf(stderr, "flowfleet: server %s answered HTTP %d to %s\n", ctx->server,
			resp->status, path_query);
	json_decref(doc);
}

int ff_cli_api_get(const struct ff_cli_ctx *ctx, const char *path_query, json_t **doc)
{
	struct ff_cli_http_response resp;
	json_error_t jerr;
	char err[512];
	int rc = FF_CLI_ESERVER;

	*doc = NULL;
	if (ff_cli_http_get(ctx->server, path_query, &ctx->http, &resp, err, sizeof err) != 0) {
		fprintf(stderr, "flowfleet: %s\n", err);
		return FF_CLI_ESERVER;
	}
	if (resp.status != 200) {
		ff_cli_api_report(ctx, path_query, &resp);
		rc = resp.status == 400 ? FF_CLI_EUSAGE : FF_CLI_ESERVER;
		goto out;
	}
	*doc = ff_cli_json_parse(resp.body, resp.body_len, &jerr);
	if (*doc == NULL) {
		fprintf(stderr,
			"flowfleet: server %s sent an answer to %s that is not JSON "
			"(line %d: %s)\n",
			ctx->server, path_query, jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(*doc)) {
		fprintf(stderr,
			"flowfleet: server %s sent an answer to %s that is not a JSON "
			"object\n",
			ctx->server, path_query);
		json_decref(*doc);
		*doc = NULL;
		goto out;
	}
	rc = FF_CLI_OK;
out:
	ff_cli_http_response_free(&resp);
	return rc;
}

uint64_t ff_cli_json_u64(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0)
		return (uint64_t)json_real_value(v);
	/* A counter beyond INT64_MAX, kept as its digits by ff_cli_json_parse(). */
	if (json_is_string(v)) {
		char *end;
		errno = 0;
		unsigned long long u = strtoull(json_string_value(v), &end, 10);
		if (errno == 0 && *end == '\0' && end != json_string_value(v))
			return u;
	}
	return 0;
}

const char *ff_cli_json_str(const json_t *obj, const char *name, const char *fallback)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_string(v) ? json_string_value(v) : fallback;
}

int ff_cli_json_print(const json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_INDENT(2)) != 0)
		return -1;
	return fputc('\n', stdout) == EOF ? -1 : 0;
}

int ff_cli_query_add(char **path, const char *name, const char *value)
{
	/* Since curl 7.82 the handle is ignored; encoding needs no transfer. */
	char *enc = curl_easy_escape(NULL, value, 0);
	if (enc == NULL)
		return -1;
	size_t len = strlen(*path) + strlen(name) + strlen(enc) + 3;
	char *p = realloc(*path, len);
	if (p == NULL) {
		curl_free(enc);
		return -1;
	}
	size_t used = strlen(p);
	snprintf(p + used, len - used, "%c%s=%s", strchr(p, '?') ? '&' : '?', name, enc);
	curl_free(enc);
	*path = p;
	return 0;
}

int ff_cli_query_add_u64(char **path, const char *name, uint64_t value)
{
	char text[32];
	snprintf(text, sizeof text, "%" PRIu64, value);
	return ff_cli_query_add(path, name, text);
}

char *ff_cli_join_words(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = malloc(len);
	if (text == NULL)
		return NULL;
	text[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	return text;
}

int ff_cli_query_add_scope(char **path, const char *agent, uint64_t since_ms, uint64_t until_ms,
			   const char *filter)
{
	int rc = 0;
	if (agent != NULL)
		rc = ff_cli_query_add(path, "agent", agent);
	if (rc == 0 && since_ms != 0)
		rc = ff_cli_query_add_u64(path, "since", since_ms);
	if (rc == 0 && until_ms != 0)
		rc = ff_cli_query_add_u64(path, "until", until_ms);
	if (rc == 0 && filter != NULL)
		rc = ff_cli_query_add(path, "filter", filter);
	return rc;
}
