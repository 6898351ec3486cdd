#ifndef FF_HTTP_RATELOG_H
#define FF_HTTP_RATELOG_H

/*
 * At most one log line a minute per peer for the HTTP API's refusals: a
 * client retrying a wrong token in a loop is counted, not allowed to flood
 * the log. Remembers the last FF__HTTP_RATELOG_PEERS peers; a new one takes
 * the slot of the peer heard from longest ago. Not thread-safe: each user
 * calls it from one thread (the event loop).
 */

#include <stdbool.h>
#include <stdint.h>

#define FF__HTTP_RATELOG_PEERS 64
#define FF__HTTP_RATELOG_MS    60000

typedef struct ff__http_ratelog {
	struct {
		char peer[64];
		uint64_t last_ms; /* monotonic time of the last line logged */
		uint64_t held;	  /* refusals not logged since */
		bool used;
	} slot[FF__HTTP_RATELOG_PEERS];
} ff__http_ratelog;

/*
 * True when a line about `peer` may be logged at `now_ms` (monotonic);
 * *held is then how many were held back since the last one. False when it
 * is held back (and counted) instead.
 */
bool ff__http_ratelog_may(ff__http_ratelog *r, const char *peer, uint64_t now_ms, uint64_t *held);

#endif
