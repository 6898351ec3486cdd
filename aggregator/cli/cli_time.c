#include "cli_time.h"

#include "ff_config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* Reads 1..max decimal digits at *p. */
static int ff_cli_time_num(const char **p, int max, int *out)
{
	int v = 0, n = 0;
	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0 ? 0 : -1;
}

/* "hh[:mm[:ss]]" into tm; missing parts stay zero, as nfdump's. */
static int ff_cli_time_clock(const char **p, struct tm *tm)
{
	if (ff_cli_time_num(p, 2, &tm->tm_hour) != 0)
		return -1;
	if (**p == ':' && ((*p)++, ff_cli_time_num(p, 2, &tm->tm_min) != 0))
		return -1;
	if (**p == ':' && ((*p)++, ff_cli_time_num(p, 2, &tm->tm_sec) != 0))
		return -1;
	return tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec < 61 ? 0 : -1;
}

/* A date, optionally ".hh:mm:ss" or "Thh:mm:ss", optionally 'Z'; up to `end`. */
static int ff_cli_time_abs(const char *p, const char *end, uint64_t *out)
{
	struct tm tm = {0};
	int year, mon;
	char sep;
	if (ff_cli_time_num(&p, 4, &year) != 0 || (*p != '/' && *p != '-'))
		return -1;
	sep = *p++;
	if (ff_cli_time_num(&p, 2, &mon) != 0 || *p++ != sep ||
	    ff_cli_time_num(&p, 2, &tm.tm_mday) != 0)
		return -1;
	if (p < end && (*p == '.' || *p == 'T') && (p++, ff_cli_time_clock(&p, &tm) != 0))
		return -1;
	bool utc = p < end && *p == 'Z';
	p += utc;
	if (p != end || year < 1970 || mon < 1 || mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t < 0)
		return -1;
	*out = (uint64_t)t * 1000;
	return 0;
}

int ff_cli_time_parse(const char *text, uint64_t now_ms, uint64_t *out)
{
	uint64_t d;
	size_t digits = strspn(text, "0123456789");
	if (strcmp(text, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	/* A bare number is refused: seconds or milliseconds would be a guess. */
	if (digits > 0 && isalpha((unsigned char)text[digits]) &&
	    ff_parse_duration_ms(text, &d) == 0) {
		if (d > now_ms)
			return -1;
		*out = now_ms - d;
		return 0;
	}
	return ff_cli_time_abs(text, text + strlen(text), out);
}

int ff_cli_time_window(const char *text, uint64_t *since, uint64_t *until)
{
	const char *dash = strchr(text, '-');
	const char *end = dash != NULL ? dash : text + strlen(text);
	*until = 0;
	if (ff_cli_time_abs(text, end, since) != 0)
		return -1;
	if (dash == NULL)
		return 0;
	if (ff_cli_time_abs(dash + 1, dash + 1 + strlen(dash + 1), until) != 0)
		return -1;
	return *until >= *since ? 0 : -1;
}
