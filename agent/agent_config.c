#include "agent_config.h"

#include "agent_trust.h"
#include "ff_batch.h"
#include "ff_log.h"
#include "sampling.h"
#include "udp_listener.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FF_LABEL_KEY_MAX   64
#define FF_LABEL_VALUE_MAX 256

/* Used when no --listen-udp is given: NetFlow v5/v9, IPFIX, sFlow (DESIGN.md). */
static const char *const ff_agent_default_listen[] = {"0.0.0.0:2055", "0.0.0.0:4739",
						      "0.0.0.0:6343"};

static int ff_agent_id_validate(const char *value, char *err, size_t err_len)
{
	if (ff_agent_id_valid(value))
		return 0;
	snprintf(err, err_len,
		 "'%s' is not a valid agent id (1-%d characters of A-Z a-z 0-9 . _ -)", value,
		 FF_AGENT_ID_MAX);
	return -1;
}

static int ff_agent_listen_validate(const char *value, char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	unsigned len;
	if (ff_udp_parse_addr(value, &ss, &len) == 0)
		return 0;
	snprintf(err, err_len, "'%s' is not ADDR:PORT (e.g. 127.0.0.1:2055 or [::]:2055)", value);
	return -1;
}

static int ff_agent_level_validate(const char *value, char *err, size_t err_len)
{
	enum ff_log_level l;
	if (ff_log_level_parse(value, &l) == 0)
		return 0;
	snprintf(err, err_len, "'%s' is not one of error, warn, info, debug", value);
	return -1;
}

static int ff_agent_override_validate(const char *value, char *err, size_t err_len)
{
	uint8_t addr[FF_ADDR_LEN];
	uint32_t rate;
	return ff_sampling_parse_override(value, addr, &rate, err, err_len);
}

static int ff_agent_server_key_validate(const char *value, char *err, size_t err_len)
{
	char z85[FF_CURVE_Z85_LEN + 1];
	if (ff_curve_key_parse(value, z85) == 0)
		return 0;
	snprintf(err, err_len,
		 "not a CurveZMQ public key (40 Z85 characters, as flowfleet-aggregator "
		 "--show-key prints)");
	return -1;
}

static bool ff_label_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Checks a label "KEY=VALUE": key of [A-Za-z0-9._-], value printable. Returns 0 or -1. */
static int ff_agent_label_validate(const char *value, char *err, size_t err_len)
{
	const char *eq = strchr(value, '=');
	size_t klen = eq != NULL ? (size_t)(eq - value) : 0;
	bool ok = eq != NULL && klen > 0 && klen <= FF_LABEL_KEY_MAX &&
		  strlen(eq + 1) <= FF_LABEL_VALUE_MAX;
	for (size_t i = 0; ok && i < klen; i++)
		ok = ff_label_key_char(value[i]);
	for (const char *p = eq ? eq + 1 : ""; ok && *p != '\0'; p++)
		ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (ok)
		return 0;
	snprintf(err, err_len,
		 "'%s' is not KEY=VALUE (key: 1-%d of A-Z a-z 0-9 . _ -; value: up to %d "
		 "printable characters)",
		 value, FF_LABEL_KEY_MAX, FF_LABEL_VALUE_MAX);
	return -1;
}

#define FF_OFF(f) offsetof(ff_agent_config, f)

static const ff_option ff_agent_options[] = {
    {"id", 0, FF_OPT_STRING, FF_OFF(id), NULL, 0, 0, ff_agent_id_validate, "ID",
     "agent id sent with every batch (default: the hostname)"},
    {"aggregator", 0, FF_OPT_STRING, FF_OFF(aggregator), FF_AGENT_DEFAULT_AGGREGATOR, 0, 0, NULL,
     "ENDPOINT", "ZeroMQ endpoint of flowfleet-aggregator"},
    {"listen-udp", 0, FF_OPT_LIST, FF_OFF(listen_udp), NULL, 0, 0, ff_agent_listen_validate,
     "ADDR:PORT", "receive flow exports here (default: 0.0.0.0:2055, 0.0.0.0:4739, 0.0.0.0:6343)"},
    {"metrics", 0, FF_OPT_STRING, FF_OFF(metrics), NULL, 0, 0, ff_agent_listen_validate,
     "ADDR:PORT",
     "serve GET /metrics (Prometheus) here, e.g. 127.0.0.1:9477; off by default, no token: "
     "bind it to loopback or a management network"},
    {"state-dir", 0, FF_OPT_STRING, FF_OFF(state_dir), NULL, 0, 0, NULL, "DIR",
     "keep epoch, sequence, the spool of unacked batches, templates and sampler tables here"},
    {"interval", 0, FF_OPT_DURATION, FF_OFF(interval_ms), "10s", 1000, 3600000, NULL, "DURATION",
     "summarize over this interval, then send one batch"},
    {"label", 0, FF_OPT_LIST, FF_OFF(labels), NULL, 0, 0, ff_agent_label_validate, "KEY=VALUE",
     "label sent in Hello"},
    {"heartbeat", 0, FF_OPT_DURATION, FF_OFF(heartbeat_ms), "5s", 100, 600000, NULL, "DURATION",
     "send Hello (with counters) this often"},
    {"retry", 0, FF_OPT_DURATION, FF_OFF(retry_ms), "2s", 100, 600000, NULL, "DURATION",
     "resend a batch not acknowledged within this time"},
    {"shutdown-wait", 0, FF_OPT_DURATION, FF_OFF(shutdown_wait_ms), "5s", 0, 600000, NULL,
     "DURATION",
     "on SIGTERM/SIGINT, wait this long for the last acks"},
    {"max-clock-skew", 0, FF_OPT_DURATION, FF_OFF(max_clock_skew_ms), "1h", 0,
     36500ull * 86400 * 1000, NULL, "DURATION",
     "count records stamped further than this from the agent's clock as "
     "records.clock_skewed per exporter (kept as they are); 0 for no check"},
    {"spool-max", 0, FF_OPT_SIZE, FF_OFF(spool_max), "64M", 4096, 1ull << 40, NULL, "SIZE",
     "bound on unacked batches kept, in memory and in the spool (oldest dropped beyond it)"},
    {"max-keys", 0, FF_OPT_UINT, FF_OFF(max_keys), "131072", 16, 1ull << 26, NULL, "N",
     "summarize at most N keys; when full, send them early as a batch of the interval"},
    {"batch-max-records", 0, FF_OPT_UINT, FF_OFF(batch_max_records), "65536", 1,
     FF_BATCH_MAX_RECORDS, NULL, "N", "records a batch at most; a larger flush is several"},
    {"batch-max-bytes", 0, FF_OPT_SIZE, FF_OFF(batch_max_bytes), "4M", 4096, 32ull << 20, NULL,
     "SIZE", "about this many encoded bytes a batch at most"},
    {"wire-version", 0, FF_OPT_UINT, FF_OFF(wire_version), "3", 1, 3, NULL, "1|2|3",
     "FlowBatch layout to send: 3 coded columns, 2 columns (for an aggregator older than 3), "
     "1 records (older than 2)"},
    {"rcvbuf", 0, FF_OPT_SIZE, FF_OFF(rcvbuf), "8M", 4096, 1ull << 30, NULL, "SIZE",
     "UDP socket receive buffer to ask for"},
    {"receive-threads", 0, FF_OPT_UINT, FF_OFF(receive_threads), "0", 0, 64, NULL, "N",
     "threads receiving and decoding, each with its own socket per address (SO_REUSEPORT); "
     "0: one per core, at most 2"},
    {"handoff-records", 0, FF_OPT_UINT, FF_OFF(handoff_records), "262144", 1024, 1u << 26, NULL,
     "N", "decoded records each receive thread can hand to the summarizer ahead of it (beyond: "
     "counted as handoff.drops)"},
    {"log-level", 0, FF_OPT_STRING, FF_OFF(log_level), "info", 0, 0, ff_agent_level_validate,
     "LEVEL", "error, warn, info or debug"},
    {"hostname", 0, FF_OPT_STRING, FF_OFF(hostname), NULL, 0, 0, NULL, "NAME",
     "hostname sent in Hello (default: this machine's)"},
    {"sampling-default", 0, FF_OPT_UINT, FF_OFF(sampling_default), "1", 1, UINT32_MAX, NULL, "N",
     "sampling rate (1 in N) for exporters that announce none; bytes and packets are scaled"},
    {"sampling-override", 0, FF_OPT_LIST, FF_OFF(sampling_overrides), NULL, 0, 0,
     ff_agent_override_validate, "EXPORTER=N",
     "use rate N for every record of EXPORTER, whatever it announces (repeatable)"},
    {"server-key", 0, FF_OPT_STRING, FF_OFF(server_key), NULL, 0, 0, ff_agent_server_key_validate,
     "KEY",
     "the aggregator's CurveZMQ public key (Z85, from flowfleet-aggregator --show-key); the "
     "agent talks only to a server proving it"},
    {"server-key-file", 0, FF_OPT_STRING, FF_OFF(server_key_file), NULL, 0, 0, NULL, "FILE",
     "read the aggregator's public key from FILE (a copy of its DATA/server.pub)"},
    {"enroll-token", 0, FF_OPT_STRING, FF_OFF(enroll_token_file), NULL, 0, 0, NULL, "FILE",
     "send the enrolment token in FILE (one line) in every Hello: an aggregator holding it "
     "accepts this agent's key at once"},
    {"insecure-plaintext", 0, FF_OPT_BOOL, FF_OFF(insecure_plaintext), "false", 0, 0, NULL, NULL,
     "no CurveZMQ: flows, ids and labels cross the network in clear and anyone can pose as "
     "the aggregator (loopback tests only)"},
};

static const ff_config_table ff_agent_table = {
    .program = "flowfleet-agent",
    .opts = ff_agent_options,
    .n_opts = sizeof ff_agent_options / sizeof ff_agent_options[0],
    .synopsis = "[-c FILE] [--id ID] [--aggregator ENDPOINT] [--listen-udp ADDR:PORT]... "
		"[--state-dir DIR] [--interval SECONDS] [--label KEY=VALUE]... "
		"(--server-key KEY | --server-key-file FILE) [--enroll-token FILE] "
		"| --insecure-plaintext",
    .description = "Receives NetFlow/IPFIX/sFlow exports on this host, summarizes them per "
		   "interval and delivers the batches to flowfleet-aggregator.",
};

static int ff_agent_config_derive(ff_agent_config *cfg, char *err, size_t err_len)
{
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		strcpy(host, "localhost");
	if (cfg->hostname == NULL && (cfg->hostname = strdup(host)) == NULL)
		goto nomem;
	if (cfg->id == NULL) {
		if (!ff_agent_id_valid(host)) {
			snprintf(err, err_len,
				 "hostname '%s' is not a valid agent id: give one with --id", host);
			return FF_CONFIG_ERROR;
		}
		if ((cfg->id = strdup(host)) == NULL)
			goto nomem;
	}
	/* A list default cannot live in the table: a file's entries would add to it. */
	if (cfg->listen_udp.n == 0) {
		for (size_t i = 0; i < 3; i++)
			if (ff_strlist_add(&cfg->listen_udp, ff_agent_default_listen[i]) != 0)
				goto nomem;
	}
	return FF_CONFIG_OK;
nomem:
	snprintf(err, err_len, "out of memory");
	return FF_CONFIG_ERROR;
}

/* Without CURVE: nothing that would only make sense, or leak, over a secure link. */
static int ff_agent_config_plaintext(const ff_agent_config *cfg, char *err, size_t err_len)
{
	if (cfg->server_key != NULL || cfg->server_key_file != NULL) {
		snprintf(err, err_len,
			 "--insecure-plaintext and --server-key%s contradict each other: give one",
			 cfg->server_key != NULL ? "" : "-file");
		return FF_CONFIG_ERROR;
	}
	if (cfg->enroll_token_file != NULL) {
		snprintf(err, err_len,
			 "--enroll-token with --insecure-plaintext would send the token in clear: "
			 "use CURVE (--server-key or --server-key-file)");
		return FF_CONFIG_ERROR;
	}
	return FF_CONFIG_OK;
}

/*
 * CURVE (the default): the aggregator's key, a state dir for our own key
 * pair (a key made afresh per start would be a stranger to the aggregator
 * every time) and the token, read now so a bad file stops the start.
 */
static int ff_agent_config_curve(ff_agent_config *cfg, char *err, size_t err_len)
{
	if (cfg->server_key == NULL && cfg->server_key_file == NULL) {
		snprintf(err, err_len,
			 "no aggregator key: give --server-key KEY or --server-key-file FILE (on "
			 "the aggregator, `flowfleet-aggregator --show-key` prints it; DATA/"
			 "server.pub holds it), or --insecure-plaintext to send in clear");
		return FF_CONFIG_ERROR;
	}
	if (cfg->server_key != NULL && cfg->server_key_file != NULL) {
		snprintf(err, err_len, "--server-key and --server-key-file: give only one");
		return FF_CONFIG_ERROR;
	}
	if (cfg->state_dir == NULL) {
		snprintf(err, err_len,
			 "CURVE needs --state-dir DIR: the agent keeps its key pair there (its "
			 "identity at the aggregator)");
		return FF_CONFIG_ERROR;
	}
	if (ff_agent_server_key(cfg->server_key, cfg->server_key_file, cfg->server_public, err,
				err_len) != 0)
		return FF_CONFIG_ERROR;
	if (cfg->enroll_token_file != NULL &&
	    ff_agent_token_read(cfg->enroll_token_file, &cfg->enroll_token, err, err_len) != 0)
		return FF_CONFIG_ERROR;
	return FF_CONFIG_OK;
}

int ff_agent_config_load(ff_agent_config *cfg, int argc, char **argv, char *err, size_t err_len)
{
	memset(cfg, 0, sizeof *cfg);
	int first_arg = 0;
	int rc = ff_config_load(&ff_agent_table, cfg, argc, argv, &first_arg, err, err_len);
	if (rc != FF_CONFIG_OK)
		return rc;
	if (first_arg < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", argv[first_arg]);
		return FF_CONFIG_ERROR;
	}
	rc = ff_agent_config_derive(cfg, err, err_len);
	if (rc != FF_CONFIG_OK)
		return rc;
	return cfg->insecure_plaintext ? ff_agent_config_plaintext(cfg, err, err_len)
				       : ff_agent_config_curve(cfg, err, err_len);
}

void ff_agent_config_free(ff_agent_config *cfg)
{
	ff_config_free(&ff_agent_table, cfg);
	free(cfg->enroll_token);
	cfg->enroll_token = NULL;
}
