#include "cli_http_body.h"

#include <stdlib.h>
#include <string.h>

void ff_cli_http_body_init(struct ff_cli_http_body *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

/* Room for `need` bytes and the final NUL, doubling so appends stay linear. */
static int ff_cli_http_body_reserve(struct ff_cli_http_body *b, size_t need)
{
	size_t cap = b->cap != 0 ? b->cap : 4096;
	char *p;

	while (cap < need + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int ff_cli_http_body_append(struct ff_cli_http_body *b, const void *data, size_t n)
{
	if (n > b->max - b->len) {
		b->too_large = true;
		return -1;
	}
	if (ff_cli_http_body_reserve(b, b->len + n) != 0) {
		b->out_of_memory = true;
		return -1;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *ff_cli_http_body_take(struct ff_cli_http_body *b, size_t *len)
{
	char *data = b->data;

	if (data == NULL && (data = calloc(1, 1)) == NULL)
		return NULL;
	*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return data;
}

void ff_cli_http_body_free(struct ff_cli_http_body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
