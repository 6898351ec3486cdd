#ifndef FF_EXPORTER_DIAG_H
#define FF_EXPORTER_DIAG_H

/*
 * Why an exporter's data is missing: the rules that turn what an agent's
 * Hellos said of one exporter into states with one sentence each that a
 * person can act on (docs/operations.md lists each rule, its threshold and
 * what to do). Pure: no clock, no lock, no allocation; session_exps.c
 * feeds it the latest Hello and the counters' deltas over the window.
 *
 * Several states may apply; they come ordered by severity, the first is the
 * exporter's state, and `ok` only when none applies.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The thresholds (docs/operations.md, "Thresholds"). */
#define FF_DIAG_WINDOW_MS	300000 /* loss, drops, malformed: the last 5 minutes */
#define FF_DIAG_SEQ_LOSS_PCT	1.0    /* sequence loss above this share of what was sent */
#define FF_DIAG_SILENT_FACTOR	10     /* silent after this many usual intervals ... */
#define FF_DIAG_SILENT_MIN_MS	60000  /* ... and never sooner than this */
#define FF_DIAG_MALFORMED_MIN	1      /* malformed datagrams in the window that count */
#define FF_DIAG_TOP_REASONS	3      /* malformed reasons named in the sentence */
#define FF_DIAG_TEMPLATES_NAMED 3      /* missing template ids named in the sentence */
#define FF_DIAG_MISSING_MAX	8      /* missing template ids kept (as the agent sends) */

/* Ordered by severity: a lower value is worse. */
enum ff_diag_state {
	FF_DIAG_SILENT,
	FF_DIAG_MALFORMED,
	FF_DIAG_WAITING_TEMPLATE,
	FF_DIAG_SEQUENCE_LOSS,
	FF_DIAG_NO_SAMPLING,
	FF_DIAG_CLOCK_SKEW,
	FF_DIAG_OK,
	FF_DIAG_N,
};

/* "ok", "waiting for template", ... as the API and the CLI show them. */
const char *ff_diag_state_name(enum ff_diag_state s);

/* One reason per malformed.* counter of the agent (agent/exporter_stats.h). */
enum { FF_DIAG_MAL_N = 7 };
extern const char *const ff_diag_malformed_names[FF_DIAG_MAL_N]; /* "short_header", ... */

/* The exporter's counters that the rules read: totals, or deltas over the window. */
typedef struct ff_diag_counts {
	uint64_t packets, records;
	uint64_t lost_records; /* seq.lost of v5 flows, IPFIX records, sFlow samples */
	uint64_t lost_packets; /* seq.lost of v9 packets, sFlow datagrams */
	uint64_t no_template;  /* data sets dropped for want of a template */
	uint64_t clock_skewed;
	uint64_t malformed[FF_DIAG_MAL_N];
} ff_diag_counts;

typedef struct ff_diag_missing {
	uint32_t domain;
	uint32_t template_id;
	uint64_t data_sets;
} ff_diag_missing;

/* Sampling sources, as the wire's SamplingSource numbers them. */
enum {
	FF_DIAG_SAMPLING_UNKNOWN,
	FF_DIAG_SAMPLING_ANNOUNCED,
	FF_DIAG_SAMPLING_DEFAULT,
	FF_DIAG_SAMPLING_OVERRIDE
};

typedef struct ff_diag_input {
	ff_diag_counts delta;	  /* over the window */
	uint64_t window_ms;	  /* how long the delta covers */
	bool has_times;		  /* the agent sends the fields below (newer agents) */
	uint64_t datagram_age_ms; /* since the last datagram; valid with has_times */
	uint64_t interval_ms;	  /* usual gap between datagrams; 0 unknown */
	bool template_ever;	  /* a template came from this exporter */
	uint64_t template_age_ms;
	const ff_diag_missing *missing; /* borrowed */
	size_t n_missing;
	uint64_t missing_unlisted; /* data sets of pairs beyond the list */
	uint64_t held;		   /* data sets held now for a template */
	uint32_t sampling_rate;
	int sampling_source;
	int64_t clock_offset_ms; /* largest recent offset of skewed records, 0: none */
} ff_diag_input;

#define FF_DIAG_SENTENCE 320

typedef struct ff_diag_finding {
	enum ff_diag_state state;
	char sentence[FF_DIAG_SENTENCE];
} ff_diag_finding;

/*
 * Applies every rule to `in` and fills `out` with the states that apply,
 * most severe first, or a single FF_DIAG_OK. Returns how many (1..FF_DIAG_N-1).
 */
size_t ff_diag_run(const ff_diag_input *in, ff_diag_finding out[FF_DIAG_N]);

/* "3m 20s", "2h 5m", "450 ms": a duration as the sentences write it. */
void ff_diag_duration(char *buf, size_t len, uint64_t ms);

#endif
