#ifndef FF_SESSION_IMPL_H
#define FF_SESSION_IMPL_H

/* The registry's insides, shared by session.c and session_metrics.c. */

#include "session.h"
#include "session_exps.h"
#include "session_ifs.h"

#include <pthread.h>

typedef struct ff_session {
	char id[FF_AGENT_ID_MAX + 1];
	char hostname[FF_SESSION_MAX_TEXT + 1];
	char address[FF_SESSION_MAX_TEXT + 1];
	char version[FF_SESSION_MAX_TEXT + 1];
	uint64_t epoch;
	bool epoch_known;
	uint32_t protocol_version;
	uint64_t first_seen_ms;
	uint64_t last_seen_ms;
	uint64_t batches;
	uint64_t duplicates;
	uint64_t state_conflicts; /* batches whose identity repeated with other content */
	uint64_t records;
	/* The policy it applies (Hello, PolicyAck), the one that applies to it, a refusal. */
	uint64_t policy_applied;
	uint64_t policy_expected;
	char policy_error[FF_SESSION_MAX_TEXT + 1];
	/* From the last Hello; owned references. */
	json_t *labels;
	json_t *counters;
	json_t *exporters;
	ff__session_ifs *ifs; /* sFlow interface counters; NULL until a Hello carries some */
	ff__session_exps *exps; /* exporters and their counters' history; NULL until a Hello */
} ff_session;

struct ff_sessions {
	pthread_mutex_t mu;
	ff_session **v; /* sorted by id */
	size_t n, cap;
	size_t max;	  /* ff_sessions_set_max(); 0: none */
	uint64_t refused; /* new ids refused: the registry was full */
};

#endif
