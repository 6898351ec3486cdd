#ifndef FF_LOG_EVERY_H
#define FF_LOG_EVERY_H

/*
 * "At most one line per period per reason" for messages an aggregator can
 * trigger once per batch or per reconnect (a pending enrolment answers
 * every batch with REJECTED; a wrong server key fails every reconnect):
 * the first occurrence is logged, later ones within the period are only
 * counted, and the next line says how many were held back.
 *
 * A fixed table of reasons keeps memory bounded whatever the aggregator
 * sends; when it is full the reason seen longest ago gives its slot up.
 */

#include <stdbool.h>
#include <stdint.h>

#define FF_LOG_EVERY_SLOTS  8
#define FF_LOG_EVERY_KEYLEN 96 /* longer reasons are told apart by this prefix */

typedef struct ff_log_every_slot {
	char key[FF_LOG_EVERY_KEYLEN];
	uint64_t last_ms;    /* when a line for key was last due */
	uint64_t suppressed; /* occurrences since then that were not logged */
	bool used;
} ff_log_every_slot;

typedef struct ff_log_every {
	uint64_t period_ms;
	ff_log_every_slot slot[FF_LOG_EVERY_SLOTS];
} ff_log_every;

void ff_log_every_init(ff_log_every *l, uint64_t period_ms);

/*
 * Counts one occurrence of `key` at `now_ms`. Returns true when a line is
 * due (the first for key, or the period has passed since the last line);
 * *suppressed then gets how many occurrences were held back since that
 * last line, and the count restarts.
 */
bool ff_log_every_due(ff_log_every *l, const char *key, uint64_t now_ms, uint64_t *suppressed);

#endif
