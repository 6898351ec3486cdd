#ifndef FF_CLI_TIME_H
#define FF_CLI_TIME_H

/*
 * The time words of `flowfleet top`, turned into unix milliseconds for the
 * HTTP API's since/until:
 * - --since/--until WHEN: a duration before now ("90s", "1h", "7d"), "now",
 *   or a date and time "2026-11-23T10:00[:SS]", "2026/11/23.10:00:00",
 *   "2026-11-23" (local time; a trailing 'Z' means UTC);
 * - -t WINDOW as nfdump: "yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss]", any
 *   trailing parts omitted count as zero ("2026/11/23" is that midnight);
 *   without an end the window is open. The end is inclusive, as nfdump's.
 */

#include <stdint.h>

/* Parses WHEN at `now_ms`; returns 0 with *out set, or -1. */
int ff_cli_time_parse(const char *text, uint64_t now_ms, uint64_t *out);

/* Parses a -t WINDOW; *until is 0 when it has no end. Returns 0 or -1. */
int ff_cli_time_window(const char *text, uint64_t *since, uint64_t *until);

#endif
