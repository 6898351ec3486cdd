#ifndef FF_AGENT_CONFIG_H
#define FF_AGENT_CONFIG_H

/*
 * flowfleet-agent's settings: one ff_option table gives the -c file keys,
 * the long options and --help. Strings and lists are owned by the struct
 * and freed by ff_agent_config_free().
 */

#include "ff_config.h"
#include "ff_curve_key.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#define FF_AGENT_DEFAULT_AGGREGATOR "tcp://127.0.0.1:7470"

typedef struct ff_agent_config {
	char *id;	  /* defaults to the hostname when that is a valid id */
	char *aggregator; /* ZeroMQ endpoint */
	ff_strlist listen_udp;
	char *state_dir; /* NULL: random epoch per start, no spool */
	char *metrics;	 /* --metrics ADDR:PORT; NULL: no /metrics */
	uint64_t interval_ms;
	ff_strlist labels; /* KEY=VALUE */
	uint64_t heartbeat_ms;
	uint64_t retry_ms;
	uint64_t shutdown_wait_ms;
	uint64_t max_clock_skew_ms; /* records.clock_skewed beyond it; 0: no check */
	uint64_t spool_max;
	uint64_t rcvbuf;
	uint64_t receive_threads; /* 0: one per core, at most 2 */
	uint64_t handoff_records; /* hand-off ring per receive thread */
	char *log_level;
	char *hostname; /* sent in Hello; defaults to gethostname() */
	uint64_t sampling_default;     /* rate for exporters that announce none */
	ff_strlist sampling_overrides; /* EXPORTER=N */
	uint64_t max_keys;	       /* summarizer bound; full: an early batch */
	uint64_t batch_max_records;    /* records a batch at most */
	uint64_t batch_max_bytes;      /* about this many encoded bytes a batch at most */
	uint64_t wire_version;	       /* FlowBatch layout sent: 1 records, 2 columns, 3 coded */
	char *server_key;	       /* --server-key: the aggregator's public key, Z85 */
	char *server_key_file;	       /* --server-key-file: a file holding it */
	bool insecure_plaintext;       /* no CURVE: everything in clear */
	char *enroll_token_file;       /* --enroll-token FILE */
	/* Derived at load: the key CURVE checks ("" in plaintext), the token (NULL: none). */
	char server_public[FF_CURVE_Z85_LEN + 1];
	char *enroll_token;
} ff_agent_config;

/*
 * Loads defaults, the -c file and the flags, then fills the derived
 * defaults (id, hostname, listen addresses) and settles the transport:
 * CURVE needs the aggregator's key and a state dir (for the agent's own
 * key pair) and reads the enrolment token file; --insecure-plaintext
 * excludes both. Returns FF_CONFIG_OK,
 * FF_CONFIG_EXIT (--help/--version printed) or FF_CONFIG_ERROR with a
 * message in `err`.
 */
int ff_agent_config_load(ff_agent_config *cfg, int argc, char **argv, char *err, size_t err_len);

void ff_agent_config_free(ff_agent_config *cfg);

#endif
