#ifndef FF_CLI_HTTP_BODY_H
#define FF_CLI_HTTP_BODY_H

/*
 * A response body collected as it arrives, up to a bound: the server is
 * trusted to answer, not to answer forever.
 */

#include <stdbool.h>
#include <stddef.h>

struct ff_cli_http_body {
	char *data; /* NULL until the first byte, then NUL-terminated */
	size_t len;
	size_t cap;
	size_t max;	/* bytes accepted in all */
	bool too_large; /* more than `max` bytes arrived */
	bool out_of_memory;
};

/* An empty body that accepts at most `max` bytes. */
void ff_cli_http_body_init(struct ff_cli_http_body *b, size_t max);

/*
 * Appends `n` bytes. Returns 0, or -1 with `too_large` or `out_of_memory`
 * set; the body then keeps what it had.
 */
int ff_cli_http_body_append(struct ff_cli_http_body *b, const void *data, size_t n);

/*
 * Hands the NUL-terminated data over (an empty string when nothing arrived)
 * with its length; the caller frees it. Returns NULL when out of memory. The
 * body is empty afterwards.
 */
char *ff_cli_http_body_take(struct ff_cli_http_body *b, size_t *len);

void ff_cli_http_body_free(struct ff_cli_http_body *b);

#endif
