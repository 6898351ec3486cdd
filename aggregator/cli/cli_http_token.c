/* The API token of a file, for the CLI's requests (cli_http.h). */
#include "cli_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ff_cli_http_token_read(const char *path, char *out, size_t len, char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, err_len, "cannot read the token file %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(out, 1, len - 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, err_len, "cannot read the token file %s", path);
		return -1;
	}
	out[n] = '\0';
	size_t skip = strspn(out, " \t\r\n");
	memmove(out, out + skip, n - skip + 1);
	out[strcspn(out, " \t\r\n")] = '\0';
	if (out[0] == '\0') {
		snprintf(err, err_len, "the token file %s holds no token", path);
		return -1;
	}
	return 0;
}
