/*
 * `flowfleet`: the command-line client of flowfleet-aggregator's HTTP API.
 * This file owns the global options and hands the rest of the command line
 * to one subcommand.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "ff_config.h"

#define FF_CLI_DEFAULT_SERVER	 "http://127.0.0.1:7480"
#define FF_CLI_DEFAULT_TIMEOUT_S 10

struct ff_cli_command {
	const char *name;
	int (*run)(const struct ff_cli_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct ff_cli_command ff_cli_commands[] = {
    {"top", ff_cli_top, "top-N statistic over all stored flows, as nfdump -s"},
    {"flows", ff_cli_flows, "the stored flows themselves, as nfdump -o line|long|csv|json"},
    {"agents", ff_cli_agents, "the agents the aggregator knows and their counters"},
    {"interfaces", ff_cli_interfaces, "sFlow interface counters: speed, status, rates"},
    {"exporters", ff_cli_exporters, "every exporter's state: why its data may be missing"},
    {"policy", ff_cli_policy, "set, show and list the central policy pushed to agents"},
    {"stats", ff_cli_stats, "the aggregator's own counters: queries, connections, refusals"},
};

static void ff_cli_usage(FILE *out)
{
	fprintf(out, "Usage: flowfleet [--server URL] [--timeout SECONDS] [--ca-file FILE]\n"
		     "                 [--token-file FILE] COMMAND [ARGS]\n"
		     "\n"
		     "Query a flowfleet-aggregator: fleet-wide flow statistics in nfdump's terms.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof ff_cli_commands / sizeof ff_cli_commands[0]; i++)
		fprintf(out, "  %-10s %s\n", ff_cli_commands[i].name, ff_cli_commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -S, --server URL       aggregator HTTP API, http:// or https:// (default:\n"
		"                         $FLOWFLEET_SERVER, then " FF_CLI_DEFAULT_SERVER ")\n"
		"      --timeout SECONDS  per request, connecting included (default %d)\n"
		"      --ca-file FILE     PEM CA certificates (or the server's self-signed\n"
		"                         certificate) to verify an https server with\n"
		"                         (default: the system's); --cacert is the same\n"
		"      --token-file FILE  API token sent with every request: DATA_DIR/api.token\n"
		"                         (admin) or api.read-token (read) of the aggregator\n"
		"                         (default: $FLOWFLEET_TOKEN holds the token itself)\n"
		"  -h, --help             this help; 'flowfleet COMMAND --help' for a command\n"
		"  -V, --version          print the version\n"
		"\n"
		"Exit status: 0 ok, 1 server or network error, 2 usage error.\n",
		FF_CLI_DEFAULT_TIMEOUT_S);
}

static int ff_cli_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet --help'.\n");
	return FF_CLI_EUSAGE;
}

static int ff_cli_set_timeout(struct ff_cli_ctx *ctx, const char *text)
{
	uint64_t v;

	/* An hour is far beyond any answer; the bound keeps the value an int. */
	if (ff_parse_uint(text, &v) != 0 || v == 0 || v > 3600)
		return ff_cli_usage_error("--timeout wants seconds between 1 and 3600, not '%s'",
					  text);
	ctx->http.timeout_s = (int)v;
	return FF_CLI_OK;
}

enum { FF_CLI_OPT_TIMEOUT = 256, FF_CLI_OPT_CACERT, FF_CLI_OPT_TOKEN_FILE };

/* The most of a token file read; the aggregator's tokens are 256 characters at most. */
#define FF_CLI_TOKEN_MAX 1024

static const struct option ff_cli_longopts[] = {
    {"server", required_argument, NULL, 'S'},
    {"timeout", required_argument, NULL, FF_CLI_OPT_TIMEOUT},
    {"ca-file", required_argument, NULL, FF_CLI_OPT_CACERT},
    {"cacert", required_argument, NULL, FF_CLI_OPT_CACERT},
    {"token-file", required_argument, NULL, FF_CLI_OPT_TOKEN_FILE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The token of every request: --token-file, else $FLOWFLEET_TOKEN, else none. */
static int ff_cli_set_token(struct ff_cli_ctx *ctx, const char *file, char *buf, size_t len)
{
	const char *env = getenv("FLOWFLEET_TOKEN");
	char err[512];

	if (file == NULL) {
		ctx->http.bearer = env != NULL && env[0] != '\0' ? env : NULL;
		return FF_CLI_OK;
	}
	if (ff_cli_http_token_read(file, buf, len, err, sizeof err) != 0)
		return ff_cli_usage_error("%s", err);
	ctx->http.bearer = buf;
	return FF_CLI_OK;
}

/*
 * Parses the options before the command. Returns FF_CLI_OK with `*done`
 * false to go on with argv[optind], or an exit code with `*done` true.
 * A --token-file is left in *token_file.
 */
static int ff_cli_parse_global(int argc, char **argv, struct ff_cli_ctx *ctx,
			       const char **token_file, int *done)
{
	int opt;

	*done = 1;
	opterr = 0;
	/* "+" stops at the command word: what follows belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+:S:hV", ff_cli_longopts, NULL)) != -1) {
		if (opt == 'S')
			ctx->server = optarg;
		else if (opt == FF_CLI_OPT_TIMEOUT && ff_cli_set_timeout(ctx, optarg) != FF_CLI_OK)
			return FF_CLI_EUSAGE;
		else if (opt == FF_CLI_OPT_CACERT)
			ctx->http.cacert = optarg;
		else if (opt == FF_CLI_OPT_TOKEN_FILE)
			*token_file = optarg;
		else if (opt == 'h') {
			ff_cli_usage(stdout);
			return FF_CLI_OK;
		} else if (opt == 'V') {
			printf("flowfleet " FF_VERSION "\n");
			return FF_CLI_OK;
		} else if (opt == ':')
			return ff_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		else if (opt == '?')
			return ff_cli_usage_error("unknown option '%s'", argv[optind - 1]);
	}
	if (optind >= argc)
		return ff_cli_usage_error(
		    "%s", "no command given (top, flows, agents, interfaces, exporters, policy)");
	*done = 0;
	return FF_CLI_OK;
}

static int ff_cli_dispatch(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof ff_cli_commands / sizeof ff_cli_commands[0]; i++) {
		if (strcmp(argv[0], ff_cli_commands[i].name) == 0)
			return ff_cli_commands[i].run(ctx, argc, argv);
	}
	return ff_cli_usage_error("unknown command '%s'; valid commands: top, flows, agents, "
				  "interfaces, exporters, policy",
				  argv[0]);
}

int main(int argc, char **argv)
{
	struct ff_cli_ctx ctx = {.http = {.timeout_s = FF_CLI_DEFAULT_TIMEOUT_S}};
	const char *env = getenv("FLOWFLEET_SERVER");
	const char *token_file = NULL;
	char token[FF_CLI_TOKEN_MAX];
	int done, rc;

	ctx.server = env != NULL && env[0] != '\0' ? env : FF_CLI_DEFAULT_SERVER;
	rc = ff_cli_parse_global(argc, argv, &ctx, &token_file, &done);
	if (done)
		return rc;
	if ((rc = ff_cli_set_token(&ctx, token_file, token, sizeof token)) != FF_CLI_OK)
		return rc;
	/* Once, before any handle: curl's global state is not set up lazily. */
	CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (code != CURLE_OK) {
		fprintf(stderr, "flowfleet: cannot initialise libcurl: %s\n",
			curl_easy_strerror(code));
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_dispatch(&ctx, argc - optind, argv + optind);
	curl_global_cleanup();
	if (fflush(stdout) != 0 && rc == FF_CLI_OK) {
		perror("flowfleet: writing the answer");
		rc = FF_CLI_ESERVER;
	}
	return rc;
}
