#include "agg_config.h"
#include <inttypes.h>

#include "ff_log.h"
#include "ff_policy.h"
#include "store_columnar.h"
#include "http_server.h"
#include "store_open.h"

#include <stdio.h>
#include <string.h>

static int ff_agg_check_level(const char *v, char *err, size_t err_len)
{
	enum ff_log_level l;
	if (ff_log_level_parse(v, &l) == 0)
		return 0;
	snprintf(err, err_len, "'%s' is not a log level (error, warn, info, debug)", v);
	return -1;
}

static int ff_agg_check_http(const char *v, char *err, size_t err_len)
{
	char addr[256];
	uint16_t port;
	if (ff_http_parse_listen(v, addr, sizeof addr, &port) == 0)
		return 0;
	snprintf(err, err_len, "'%s' is not ADDR:PORT (e.g. 127.0.0.1:7480 or [::1]:7480)", v);
	return -1;
}

static int ff_agg_check_endpoint(const char *v, char *err, size_t err_len)
{
	if (strstr(v, "://") != NULL)
		return 0;
	snprintf(err, err_len, "'%s' is not a ZeroMQ endpoint (e.g. tcp://*:7470)", v);
	return -1;
}

static int ff_agg_check_store(const char *v, char *err, size_t err_len)
{
	if (ff_store_backend_known(v))
		return 0;
	snprintf(err, err_len, "'%s' is not a store backend (%s)", v, ff_store_backends());
	return -1;
}

int ff_agg_rollup_keys(const char *text, uint32_t *keys, char *err, size_t err_len)
{
	if (strcmp(text, "none") == 0) {
		*keys = 0;
		return 0;
	}
	if (ff_policy_keys_parse(text, keys, err, err_len) != 0)
		return -1;
	*keys &= FF_ROLLUP_KEYS_ALL;
	return 0;
}

static int ff_agg_check_rollup_keys(const char *v, char *err, size_t err_len)
{
	uint32_t keys;
	char why[512];
	if (ff_agg_rollup_keys(v, &keys, why, sizeof why) == 0)
		return 0;
	snprintf(err, err_len, "%s (or none)", why);
	return -1;
}

static const ff_option ff_agg_options[] = {
    {.name = "data-dir",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, data_dir),
     .defval = "/var/lib/flowfleet",
     .metavar = "DIR",
     .help = "directory of the store (created if missing)"},
    {.name = "store",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, store),
     .defval = FF_STORE_DEFAULT_BACKEND,
     .validate = ff_agg_check_store,
     .metavar = "BACKEND",
     .help = "store backend: " FF_STORE_BACKENDS},
    {.name = "listen",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, listen),
     .defval = "tcp://*:7470",
     .validate = ff_agg_check_endpoint,
     .metavar = "ENDPOINT",
     .help = "ZeroMQ endpoint agents connect to"},
    {.name = "http",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, http),
     .defval = "127.0.0.1:7480",
     .validate = ff_agg_check_http,
     .metavar = "ADDR:PORT",
     .help = "address of the HTTP API; beyond loopback, reads need a read token"},
    {.name = "http-cert",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, http_cert),
     .metavar = "FILE",
     .help = "PEM certificate (chain) of the HTTP API: it then speaks HTTPS only "
	     "(with --http-key)"},
    {.name = "http-key",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, http_key),
     .metavar = "FILE",
     .help = "PEM private key of --http-cert, not readable by others"},
    {.name = "http-public-read",
     .type = FF_OPT_BOOL,
     .offset = offsetof(ff_agg_config, http_public_read),
     .defval = "false",
     .help = "let anyone who reaches --http read without a token, even beyond loopback"},
    {.name = "log-level",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, log_level),
     .defval = "info",
     .validate = ff_agg_check_level,
     .metavar = "LEVEL",
     .help = "error, warn, info or debug"},
    {.name = "segment-window",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, segment_window_ms),
     .defval = "5m",
     .min = 1000,
     .max = 24ull * 3600 * 1000,
     .metavar = "DURATION",
     .help = "time covered by one segment, like nfcapd's rotation (1s..24h)"},
    {.name = "retain",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, retain_ms),
     .defval = "0",
     .max = 36500ull * 86400 * 1000,
     .metavar = "DURATION",
     .help = "remove segments whose newest flow is older, e.g. 7d; 0 keeps all"},
    {.name = "max-disk",
     .type = FF_OPT_SIZE,
     .offset = offsetof(ff_agg_config, max_disk),
     .defval = "0",
     .metavar = "SIZE",
     .help = "remove the oldest files above this size (raw segments before rollups), "
	     "e.g. 50G; 0 for no bound"},
    {.name = "rollup-keys",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, rollup_keys),
     .defval = "all",
     .validate = ff_agg_check_rollup_keys,
     .metavar = "KEYS",
     .help = "key fields the per-minute and per-hour rollups keep: all, none, or a "
	     "list such as srcip,dstip,dstport,proto"},
    {.name = "retain-minute",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, retain_minute_ms),
     .defval = "0",
     .max = 36500ull * 86400 * 1000,
     .metavar = "DURATION",
     .help = "remove minute rollups whose newest flow is older, e.g. 30d; 0 keeps all"},
    {.name = "retain-hour",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, retain_hour_ms),
     .defval = "0",
     .max = 36500ull * 86400 * 1000,
     .metavar = "DURATION",
     .help = "remove hour rollups whose newest flow is older, e.g. 400d; 0 keeps all"},
    {.name = "max-clock-skew",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, max_clock_skew_ms),
     .defval = "1h",
     .min = 60ull * 1000,
     .max = 36500ull * 86400 * 1000,
     .metavar = "DURATION",
     .help = "a segment or rollup whose newest flow is stamped further than this from when "
	     "it was written (a wrong or forged clock: 2106, 1970) is aged by --retain* from "
	     "when it was written instead (1m..36500d)"},
    {.name = "query-memory",
     .type = FF_OPT_SIZE,
     .offset = offsetof(ff_agg_config, query_memory),
     .defval = "512M",
     .min = 1u << 20,
     .max = 64ull << 30,
     .metavar = "SIZE",
     .help = "memory a top-N query groups keys in; more keys are answered in partitions"},
    {.name = "query-threads",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, query_threads),
     .defval = "2",
     .min = 1,
     .max = 64,
     .metavar = "N",
     .help = "threads that run queries (top, flows, series) beside the HTTP loop (1..64)"},
    {.name = "query-queue",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, query_queue),
     .defval = "8",
     .max = 4096,
     .metavar = "N",
     .help = "queries that may wait for a query thread; more are answered 503 with "
	     "Retry-After (0..4096)"},
    {.name = "query-timeout",
     .type = FF_OPT_DURATION,
     .offset = offsetof(ff_agg_config, query_timeout_ms),
     .defval = "30s",
     .max = 3600ull * 1000,
     .metavar = "DURATION",
     .help = "a query not answered this long after it arrived is stopped and answered 503; "
	     "0 for no bound"},
    {.name = "metrics-max-series",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, metrics_max_series),
     .defval = "2000",
     .min = 16,
     .max = 1000000,
     .metavar = "N",
     .help = "series one agent may add to /metrics at most; the rest are counted in "
	     "flowfleet_metrics_series_dropped (16..1000000)"},
    {.name = "window-max-records",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, window_max_records),
     .defval = "500000",
     .min = 1,
     .max = UINT32_MAX,
     .metavar = "N",
     .help = "records the open window holds at most; a fuller window is sealed early"},
    {.name = "window-max-bytes",
     .type = FF_OPT_SIZE,
     .offset = offsetof(ff_agg_config, window_max_bytes),
     .defval = "64M",
     .min = 1u << 20,
     .max = 16ull << 30,
     .metavar = "SIZE",
     .help = "record memory of the open window at most (128 bytes a record); a fuller "
	     "window is sealed early"},
    {.name = "insecure-plaintext",
     .type = FF_OPT_BOOL,
     .offset = offsetof(ff_agg_config, insecure_plaintext),
     .defval = "false",
     .help = "no CurveZMQ: agents connect in plaintext, unauthenticated, with any id "
	     "(loopback tests only; warned at every start)"},
    {.name = "show-key",
     .type = FF_OPT_BOOL,
     .offset = offsetof(ff_agg_config, show_key),
     .defval = "false",
     .help = "print the public key of DATA_DIR/server.key (made if missing) and exit; "
	     "agents take it as --server-key"},
    {.name = "enroll-token",
     .type = FF_OPT_STRING,
     .offset = offsetof(ff_agg_config, enroll_token),
     .metavar = "FILE",
     .help = "enrolment tokens, one 'TOKEN [EXPIRES]' a line: an agent presenting one is "
	     "accepted at once (re-read when the file changes)"},
    {.name = "max-pending",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, max_pending),
     .defval = "1024",
     .min = 1,
     .max = 1000000,
     .metavar = "N",
     .help = "unknown agent keys held as pending at most; more are refused and counted"},
    {.name = "max-agents",
     .type = FF_OPT_UINT,
     .offset = offsetof(ff_agg_config, max_agents),
     .defval = "10000",
     .max = 10000000,
     .metavar = "N",
     .help = "agent ids known at most (those in the store always count); a new id beyond is "
	     "refused and counted; 0 for no bound"},
};

static const ff_config_table ff_agg_table = {
    .opts = ff_agg_options,
    .n_opts = sizeof ff_agg_options / sizeof ff_agg_options[0],
    .program = "flowfleet-aggregator",
    .synopsis = "[-c FILE] [--data-dir DIR] [--listen ENDPOINT] [--http ADDR:PORT]",
    .description = "The central flowfleet daemon: takes flow batches from agents over "
		   "ZeroMQ, stores them\nand answers fleet-wide queries over HTTP "
		   "(see docs/api.md).\nAgents connect over CurveZMQ and are enrolled by key "
		   "(docs/security.md).",
};

int ff_agg_config_load(ff_agg_config *c, int argc, char **argv, char *err, size_t err_len)
{
	int first_arg = argc;
	memset(c, 0, sizeof *c);
	int rc = ff_config_load(&ff_agg_table, c, argc, argv, &first_arg, err, err_len);
	if (rc == FF_CONFIG_OK && first_arg < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", argv[first_arg]);
		rc = FF_CONFIG_ERROR;
	}
	if (rc == FF_CONFIG_OK && (c->http_cert == NULL) != (c->http_key == NULL)) {
		snprintf(err, err_len,
			 "--http-cert and --http-key go together: give both for "
			 "HTTPS, or neither");
		rc = FF_CONFIG_ERROR;
	}
	return rc;
}

/* One retention setting that removes data younger than an hour, said at start. */
static void ff_agg_warn_short(const char *opt, uint64_t ms, const char *what)
{
	if (ms == 0 || ms >= 3600ull * 1000)
		return;
	ff_log_warn("--%s %" PRIu64 "s: %s older than %" PRIu64
		    " seconds are removed; is that meant (for example --%s 30d)?",
		    opt, ms / 1000, what, ms / 1000, opt);
}

void ff_agg_config_warn(const ff_agg_config *c)
{
	ff_agg_warn_short("retain", c->retain_ms, "raw segments");
	ff_agg_warn_short("retain-minute", c->retain_minute_ms, "minute rollups");
	ff_agg_warn_short("retain-hour", c->retain_hour_ms, "hour rollups");
	if (c->max_disk != 0 && c->max_disk < (64ull << 20))
		ff_log_warn("--max-disk %" PRIu64 " bytes: the oldest files go as soon as the store "
			    "holds more, which may be within minutes; is that meant (for example "
			    "--max-disk 50G)?",
			    c->max_disk);
}

void ff_agg_config_free(ff_agg_config *c)
{
	ff_config_free(&ff_agg_table, c);
}
