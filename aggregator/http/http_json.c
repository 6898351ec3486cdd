#include "http_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The marker as stored (a control character, then "u64:") and as json_dumps writes it. */
#define FF_HJ_MARK "\001u64:"
#define FF_HJ_MARK_DUMPED "\"\\u0001u64:"

json_t *ff_http_json_u64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	char text[32];
	snprintf(text, sizeof text, FF_HJ_MARK "%" PRIu64, v);
	return json_string(text);
}

char *ff_http_json_dumps(const json_t *doc, size_t flags)
{
	char *text = json_dumps(doc, flags);
	if (text == NULL || strstr(text, FF_HJ_MARK_DUMPED) == NULL)
		return text;
	/* In place: every marked string "\u0001u64:DIGITS" becomes DIGITS, which is shorter. */
	const size_t mlen = strlen(FF_HJ_MARK_DUMPED);
	char *r = text, *w = text;
	while (*r != '\0') {
		if (strncmp(r, FF_HJ_MARK_DUMPED, mlen) == 0) {
			const char *d = r + mlen;
			size_t n = strspn(d, "0123456789");
			if (n > 0 && d[n] == '"') {
				memmove(w, d, n);
				w += n;
				r = (char *)d + n + 1;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return text;
}
