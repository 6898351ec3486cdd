#include "ff_log.h"

#include "ff_err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The only process-wide mutable state besides a daemon's signal flags. */
static const char *ff_log_prog = "flowfleet";
static enum ff_log_level ff_log_threshold = FF_LOG_INFO;

static const char *const ff_log_names[] = {"error", "warn", "info", "debug"};

void ff_log_init(const char *progname, enum ff_log_level level)
{
	ff_log_prog = progname;
	ff_log_threshold = level;
}

int ff_log_level_parse(const char *word, enum ff_log_level *out)
{
	for (int i = 0; i <= FF_LOG_DEBUG; i++) {
		if (strcmp(word, ff_log_names[i]) == 0) {
			*out = (enum ff_log_level)i;
			return 0;
		}
	}
	return -1;
}

void ff_log_v(enum ff_log_level level, int err, const char *fmt, va_list ap)
{
	if (level > ff_log_threshold)
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%s]: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, ff_log_prog, ff_log_names[level]);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m > 0)
		n = (size_t)(n + m) >= sizeof line ? (int)sizeof line - 1 : n + m;
	if (err != 0)
		snprintf(line + n, sizeof line - (size_t)n, ": %s",
			 ff_strerror(err > 0 ? -err : err));
	/* One fputs per line keeps lines from threads whole. */
	fprintf(stderr, "%s\n", line);
}

void ff_log(enum ff_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ff_log_v(level, 0, fmt, ap);
	va_end(ap);
}

void ff_log_errno(enum ff_log_level level, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ff_log_v(level, err, fmt, ap);
	va_end(ap);
}
