#ifndef FF_CLI_H
#define FF_CLI_H

/*
 * What the subcommands of the `flowfleet` CLI share: the global options and
 * the exit codes every command uses.
 *
 * Exit codes: 0 success; 1 the server could not be reached or failed
 * (message on stderr); 2 the command line was wrong, or the server refused
 * the request as invalid (HTTP 400).
 */

#include "cli_http.h"

enum ff_cli_exit {
	FF_CLI_OK = 0,
	FF_CLI_ESERVER = 1,
	FF_CLI_EUSAGE = 2,
};

/* Global options, parsed before the subcommand; strings borrowed from argv/env. */
struct ff_cli_ctx {
	const char *server;	      /* base URL of the aggregator's HTTP API */
	struct ff_cli_http_opts http; /* timeout and CA bundle of every request */
};

/* `flowfleet top ...`: argv[0] is "top". Returns an ff_cli_exit code. */
int ff_cli_top(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet flows ...`: argv[0] is "flows". Returns an ff_cli_exit code. */
int ff_cli_flows(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet agents ...`: argv[0] is "agents". Returns an ff_cli_exit code. */
int ff_cli_agents(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet stats ...`: argv[0] is "stats". Returns an ff_cli_exit code. */
int ff_cli_stats(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet interfaces ...`: argv[0] is "interfaces". Returns an ff_cli_exit code. */
int ff_cli_interfaces(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet exporters ...`: argv[0] is "exporters". Returns an ff_cli_exit code. */
int ff_cli_exporters(const struct ff_cli_ctx *ctx, int argc, char **argv);

/* `flowfleet policy set|show|history ...`: argv[0] is "policy". Returns an ff_cli_exit code. */
int ff_cli_policy(const struct ff_cli_ctx *ctx, int argc, char **argv);

#endif
