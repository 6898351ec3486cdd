#include "http_ratelog.h"

#include <stdio.h>
#include <string.h>

/* The peer's slot, or the one to give it: free, else the least recently logged. */
static size_t ff_ratelog_slot(const ff__http_ratelog *r, const char *peer, bool *found)
{
	size_t oldest = 0;
	for (size_t i = 0; i < FF__HTTP_RATELOG_PEERS; i++) {
		if (r->slot[i].used && strcmp(r->slot[i].peer, peer) == 0) {
			*found = true;
			return i;
		}
		if (!r->slot[i].used)
			oldest = i;
		else if (r->slot[oldest].used && r->slot[i].last_ms < r->slot[oldest].last_ms)
			oldest = i;
	}
	*found = false;
	return oldest;
}

bool ff__http_ratelog_may(ff__http_ratelog *r, const char *peer, uint64_t now_ms, uint64_t *held)
{
	bool found;
	size_t i = ff_ratelog_slot(r, peer, &found);
	*held = 0;
	if (found && now_ms - r->slot[i].last_ms < FF__HTTP_RATELOG_MS) {
		r->slot[i].held++;
		return false;
	}
	if (found)
		*held = r->slot[i].held;
	snprintf(r->slot[i].peer, sizeof r->slot[i].peer, "%s", peer);
	r->slot[i].last_ms = now_ms;
	r->slot[i].held = 0;
	r->slot[i].used = true;
	return true;
}
