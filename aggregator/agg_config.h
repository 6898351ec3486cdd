#ifndef FF_AGG_CONFIG_H
#define FF_AGG_CONFIG_H

/*
 * The settings of flowfleet-aggregator, described once as an ff_option
 * table (common/ff_config.h) that yields the config file keys, the long
 * options and --help. A flag overrides the file.
 */

#include "ff_config.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ff_agg_config {
	char *data_dir;	 /* where the store lives */
	char *store;	 /* the store backend, one of ff_store_backends() */
	char *listen;	 /* ZeroMQ endpoint agents connect to */
	char *http;	 /* ADDR:PORT of the HTTP API */
	char *http_cert; /* PEM certificate chain: the API speaks HTTPS only; NULL: HTTP */
	char *http_key;	 /* PEM private key of http_cert; given with it or not at all */
	bool http_public_read; /* reads need no token even beyond loopback */
	char *log_level; /* error, warn, info or debug */
	uint64_t segment_window_ms; /* columnar store: length of a window */
	uint64_t retain_ms;	    /* columnar store: keep segments this long; 0 forever */
	uint64_t max_disk;	    /* columnar store: bytes on disk at most; 0 no bound */
	char *rollup_keys;	    /* key fields rollups keep: "all", "none" or a list */
	uint64_t retain_minute_ms;  /* minute rollups: keep this long; 0 forever */
	uint64_t retain_hour_ms;    /* hour rollups: keep this long; 0 forever */
	uint64_t max_clock_skew_ms; /* files stamped further from their writing are aged by it */
	uint64_t query_memory;	    /* bytes a top-N query's group tables may use */
	uint64_t query_threads;	    /* threads that run queries, 1..64 */
	uint64_t query_queue;	    /* queries that may wait for one of them */
	uint64_t query_timeout_ms;  /* a query not answered by then gets 503; 0 for none */
	uint64_t window_max_records; /* columnar store: records the open window holds at most */
	uint64_t window_max_bytes;   /* columnar store: record memory of the open window at most */
	bool insecure_plaintext;     /* no CURVE: the ZMQ NULL mechanism, no keys checked */
	bool show_key;		     /* print the server's public key and exit */
	char *enroll_token;	     /* file of enrolment tokens; NULL for none */
	uint64_t max_pending;	     /* unknown keys held as pending at most */
	uint64_t metrics_max_series; /* /metrics series per agent at most */
	uint64_t max_agents;	     /* agent ids a live connection may add at most (0: none) */
} ff_agg_config;

/*
 * Fills *c from defaults, the -c file and the flags. Returns FF_CONFIG_OK,
 * FF_CONFIG_EXIT (--help or --version printed) or FF_CONFIG_ERROR with the
 * message (naming file, line and key, or the flag) in `err`.
 * The strings in *c are freed by ff_agg_config_free().
 */
int ff_agg_config_load(ff_agg_config *c, int argc, char **argv, char *err, size_t err_len);

/*
 * Logs a warning for each retention setting that removes data younger
 * than an hour (a careless --retain 30s, --max-disk 50): allowed, but said.
 */
void ff_agg_config_warn(const ff_agg_config *c);

void ff_agg_config_free(ff_agg_config *c);

/* The ff_field bits of a --rollup-keys value (0 for "none"); -1 with a message when bad. */
int ff_agg_rollup_keys(const char *text, uint32_t *keys, char *err, size_t err_len);

#endif
