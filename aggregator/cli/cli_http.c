#include "cli_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cli_http_body.h"
#include "cli_http_url.h"

/* What is sent beyond the URL: a POST body and its bearer token, or nothing (GET). */
struct ff_cli_http_payload {
	const char *body;   /* NULL: GET */
	const char *bearer; /* NULL: no Authorization header */
};

/* One transfer: the handle, its headers and where the answer goes. */
struct ff_cli_http_call {
	CURL *h;
	struct curl_slist *headers;
	struct ff_cli_http_body body;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t ff_cli_http_on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ff_cli_http_body *b = arg;

	/* Returning less than was given makes curl stop with CURLE_WRITE_ERROR. */
	return ff_cli_http_body_append(b, data, size * nmemb) == 0 ? size * nmemb : 0;
}

static int ff_cli_http_add_header(struct ff_cli_http_call *call, const char *line)
{
	struct curl_slist *l = curl_slist_append(call->headers, line);

	if (l == NULL)
		return -1;
	call->headers = l;
	return 0;
}

/* A token with CR or LF in it would add header lines of its own. */
static int ff_cli_http_token_ok(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			return -1;
	return 0;
}

static int ff_cli_http_set_payload(struct ff_cli_http_call *call,
				   const struct ff_cli_http_payload *p)
{
	char auth[1024];

	if (ff_cli_http_add_header(call, "Accept: application/json") != 0)
		return -1;
	if (p->bearer != NULL) {
		/* A cut token would be refused as wrong; say it cannot be sent instead. */
		if (snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->bearer) >=
		    (int)sizeof auth)
			return -1;
		if (ff_cli_http_add_header(call, auth) != 0)
			return -1;
	}
	if (p->body == NULL)
		return 0;
	/* "Expect:" off: curl would otherwise wait for a "100 Continue" on big bodies. */
	if (ff_cli_http_add_header(call, "Content-Type: application/json") != 0 ||
	    ff_cli_http_add_header(call, "Expect:") != 0)
		return -1;
	if (curl_easy_setopt(call->h, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body)) != CURLE_OK)
		return -1;
	return curl_easy_setopt(call->h, CURLOPT_POSTFIELDS, p->body) == CURLE_OK ? 0 : -1;
}

/*
 * Everything but the payload. The timeout bounds the whole request, so a
 * server that accepts and never answers fails after `timeout_s` like one
 * that never accepts. No proxy, even from $http_proxy: the aggregator is an
 * internal service the CLI has always reached directly, and a proxy set for
 * package downloads must not silently carry queries and the API token.
 */
static int ff_cli_http_set_transfer(struct ff_cli_http_call *call, const char *url,
				    const struct ff_cli_http_opts *opts)
{
	CURL *h = call->h;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)opts->timeout_s) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)opts->timeout_s) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "flowfleet/" FF_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, call->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ff_cli_http_on_data) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &call->body) != CURLE_OK;
	/* Refuses an announced Content-Length past the bound before reading it. */
	bad |=
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)call->body.max) != CURLE_OK;
	if (opts->cacert != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, opts->cacert) != CURLE_OK;
	return bad ? -1 : 0;
}

/* Why a connect failed, from the errno of the one attempt curl made. */
static const char *ff_cli_http_connect_reason(CURL *h, const char *errbuf)
{
	long os_errno = 0;

	if (curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK || os_errno == 0)
		return errbuf;
	if (os_errno == ECONNREFUSED)
		return "connection refused";
	return strerror((int)os_errno);
}

/* Names why a request got no answer, in `out`. */
static void ff_cli_http_reason(CURL *h, CURLcode code, const char *errbuf, int timeout_s, char *out,
			       size_t len)
{
	curl_off_t connected_us = 0;

	if (errbuf[0] == '\0')
		errbuf = curl_easy_strerror(code);
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected_us);
		snprintf(out, len,
			 connected_us > 0 ? "timed out: connected, but no answer within %d s"
					  : "timed out: no connection established within %d s",
			 timeout_s);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(out, len, "%s", ff_cli_http_connect_reason(h, errbuf));
		break;
	case CURLE_GOT_NOTHING:
		snprintf(out, len, "connection closed without a response");
		break;
	default:
		snprintf(out, len, "%s", errbuf);
	}
	/* Some of curl's messages end in a space or a newline. */
	for (size_t n = strlen(out); n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\n'); n--)
		out[n - 1] = '\0';
}

/* TLS failures name what to do; NULL for any other failure. */
static const char *ff_cli_http_tls_hint(CURLcode code, const char *server_url)
{
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return "the server's TLS certificate is not trusted; pass --ca-file FILE with "
		       "that certificate or the CA that signed it";
	case CURLE_SSL_CACERT_BADFILE:
		return "the --ca-file cannot be read as PEM certificates";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed; is the server serving https?";
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		/* A TLS-only aggregator drops a plain-http request unanswered. */
		return strncasecmp(server_url, "http:", 5) == 0
			   ? "if the aggregator serves HTTPS (--http-cert), use an https:// URL"
			   : NULL;
	default:
		return NULL;
	}
}

/* Turns a failed transfer into the message the caller prints. */
static void ff_cli_http_explain(struct ff_cli_http_call *call, CURLcode code,
				const char *server_url, const char *url, int timeout_s, char *err,
				size_t err_len)
{
	char reason[CURL_ERROR_SIZE + 64];

	if (call->body.too_large || code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, err_len, "the answer of %s is larger than %u MiB, the most read", url,
			 FF_CLI_HTTP_MAX_BODY >> 20);
		return;
	}
	if (call->body.out_of_memory || code == CURLE_OUT_OF_MEMORY) {
		snprintf(err, err_len, "out of memory reading the answer of %s", url);
		return;
	}
	ff_cli_http_reason(call->h, code, call->errbuf, timeout_s, reason, sizeof reason);
	const char *hint = ff_cli_http_tls_hint(code, server_url);
	snprintf(err, err_len, "cannot reach flowfleet-aggregator at %s: %s%s%s", server_url,
		 reason, hint != NULL ? "; " : "", hint != NULL ? hint : "");
}

/* Runs the set-up transfer and fills `out` from its answer. */
static int ff_cli_http_perform(struct ff_cli_http_call *call, const char *server_url,
			       const char *url, int timeout_s, struct ff_cli_http_response *out,
			       char *err, size_t err_len)
{
	CURLcode code = curl_easy_perform(call->h);
	long status = 0;

	if (code != CURLE_OK) {
		ff_cli_http_explain(call, code, server_url, url, timeout_s, err, err_len);
		return -1;
	}
	if (curl_easy_getinfo(call->h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status == 0) {
		snprintf(err, err_len, "%s sent no HTTP status", url);
		return -1;
	}
	out->body = ff_cli_http_body_take(&call->body, &out->body_len);
	if (out->body == NULL) {
		snprintf(err, err_len, "out of memory reading the answer of %s", url);
		return -1;
	}
	out->status = (int)status;
	return 0;
}

static int ff_cli_http_request(const char *server_url, const char *path_query,
			       const struct ff_cli_http_payload *payload,
			       const struct ff_cli_http_opts *opts,
			       struct ff_cli_http_response *out, char *err, size_t err_len)
{
	struct ff_cli_http_call call = {.h = NULL};
	char *url = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	ff_cli_http_body_init(&call.body, FF_CLI_HTTP_MAX_BODY);
	if (ff_cli_http_url(server_url, path_query, &url, err, err_len) != 0)
		goto out;
	if (payload->bearer != NULL && ff_cli_http_token_ok(payload->bearer) != 0) {
		snprintf(err, err_len, "the API token holds a control character; not sent");
		goto out;
	}
	call.h = curl_easy_init();
	if (call.h == NULL || ff_cli_http_set_transfer(&call, url, opts) != 0 ||
	    ff_cli_http_set_payload(&call, payload) != 0 ||
	    curl_easy_setopt(call.h, CURLOPT_HTTPHEADER, call.headers) != CURLE_OK) {
		snprintf(err, err_len, "cannot set up an HTTP request to %s", server_url);
		goto out;
	}
	rc = ff_cli_http_perform(&call, server_url, url, opts->timeout_s, out, err, err_len);
out:
	if (call.h != NULL)
		curl_easy_cleanup(call.h);
	curl_slist_free_all(call.headers);
	ff_cli_http_body_free(&call.body);
	free(url);
	if (rc != 0)
		ff_cli_http_response_free(out);
	return rc;
}

int ff_cli_http_get(const char *server_url, const char *path_query,
		    const struct ff_cli_http_opts *opts, struct ff_cli_http_response *out,
		    char *err, size_t err_len)
{
	const struct ff_cli_http_payload none = {NULL, opts->bearer};

	return ff_cli_http_request(server_url, path_query, &none, opts, out, err, err_len);
}

int ff_cli_http_post(const char *server_url, const char *path, const char *body, const char *bearer,
		     const struct ff_cli_http_opts *opts, struct ff_cli_http_response *out,
		     char *err, size_t err_len)
{
	const struct ff_cli_http_payload p = {body, bearer != NULL ? bearer : opts->bearer};

	return ff_cli_http_request(server_url, path, &p, opts, out, err, err_len);
}

void ff_cli_http_response_free(struct ff_cli_http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}
