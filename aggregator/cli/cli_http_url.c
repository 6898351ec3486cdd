#include "cli_http_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/*
 * curl's own parser decides, so what is accepted here is exactly what the
 * transfer will understand. Only http and https are ours: curl speaks many
 * more protocols, and a typo such as "ftp://" must not reach any of them.
 */
static int ff_cli_http_url_check(const char *server_url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, server_url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if ((strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) &&
	    host[0] != '\0')
		rc = 0;
out:
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

int ff_cli_http_url(const char *server_url, const char *path_query, char **url, char *err,
		    size_t err_len)
{
	size_t base_len = strlen(server_url);
	size_t len;

	*url = NULL;
	/* A query or fragment in the base would end up before the API path. */
	if (strpbrk(server_url, "?#") != NULL || ff_cli_http_url_check(server_url) != 0) {
		snprintf(err, err_len,
			 "bad server URL '%s': expected http://HOST[:PORT] or "
			 "https://HOST[:PORT]",
			 server_url);
		return -1;
	}
	while (base_len > 0 && server_url[base_len - 1] == '/')
		base_len--;
	len = base_len + strlen(path_query) + 1;
	*url = malloc(len);
	if (*url == NULL) {
		snprintf(err, err_len, "out of memory building a request to %s", server_url);
		return -1;
	}
	snprintf(*url, len, "%.*s%s", (int)base_len, server_url, path_query);
	return 0;
}
