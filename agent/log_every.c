#include "log_every.h"

#include <stdio.h>
#include <string.h>

void ff_log_every_init(ff_log_every *l, uint64_t period_ms)
{
	memset(l, 0, sizeof *l);
	l->period_ms = period_ms;
}

/* The slot holding key, else a free one, else the one whose last line is oldest. */
static ff_log_every_slot *ff_log_every_slot_for(ff_log_every *l, const char *key, bool *fresh)
{
	ff_log_every_slot *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < FF_LOG_EVERY_SLOTS; i++) {
		ff_log_every_slot *s = &l->slot[i];
		if (!s->used) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (strncmp(s->key, key, FF_LOG_EVERY_KEYLEN - 1) == 0) {
			*fresh = false;
			return s;
		}
		if (oldest == NULL || s->last_ms < oldest->last_ms)
			oldest = s;
	}
	ff_log_every_slot *s = free_slot != NULL ? free_slot : oldest;
	memset(s, 0, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	s->used = true;
	*fresh = true;
	return s;
}

bool ff_log_every_due(ff_log_every *l, const char *key, uint64_t now_ms, uint64_t *suppressed)
{
	bool fresh = false;
	ff_log_every_slot *s = ff_log_every_slot_for(l, key, &fresh);
	if (!fresh && now_ms - s->last_ms < l->period_ms) {
		s->suppressed++;
		return false;
	}
	*suppressed = s->suppressed;
	s->suppressed = 0;
	s->last_ms = now_ms;
	return true;
}
