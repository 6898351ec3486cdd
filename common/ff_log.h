#ifndef FF_LOG_H
#define FF_LOG_H

/*
 * A tiny logger shared by every binary: one line per event on stderr, with
 * a timestamp, the program name and a level. The level threshold and the
 * program name are the only process-wide state (set once at start).
 *
 * ff_log_errno() appends the text of `err` as ": reason", like err(3):
 * `err` is an errno value (positive, as errno holds it) or any negative
 * code of common/ff_err.h; 0 appends nothing.
 */

#include <stdarg.h>

enum ff_log_level {
	FF_LOG_ERROR = 0,
	FF_LOG_WARN = 1,
	FF_LOG_INFO = 2,
	FF_LOG_DEBUG = 3,
};

#define FF_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Sets the program name shown on every line and the most verbose level shown. */
void ff_log_init(const char *progname, enum ff_log_level level);

/* Parses "error", "warn", "info", "debug"; returns 0 or -1 for an unknown word. */
int ff_log_level_parse(const char *word, enum ff_log_level *out);

void ff_log(enum ff_log_level level, const char *fmt, ...) FF_PRINTF(2, 3);
void ff_log_errno(enum ff_log_level level, int err, const char *fmt, ...) FF_PRINTF(3, 4);
void ff_log_v(enum ff_log_level level, int err, const char *fmt, va_list ap);

#define ff_log_error(...) ff_log(FF_LOG_ERROR, __VA_ARGS__)
#define ff_log_warn(...) ff_log(FF_LOG_WARN, __VA_ARGS__)
#define ff_log_info(...) ff_log(FF_LOG_INFO, __VA_ARGS__)
#define ff_log_debug(...) ff_log(FF_LOG_DEBUG, __VA_ARGS__)

#endif
