/*
 * `flowfleet stats`: the aggregator's own counters from GET /api/v1/stats
 * as "section.name value" lines (the query pool, the HTTP and agent
 * connections, what the agents' port received and refused by reason), or
 * the document itself as JSON.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_api.h"

static void ff_cli_stats_usage(FILE *out)
{
	fprintf(out, "Usage: flowfleet [--server URL] stats [-o text|json]\n"
		     "\n"
		     "The aggregator's own counters since it started, one 'name value' a line:\n"
		     "queries (the query pool), connections (HTTP: open, refused, closed idle\n"
		     "or slow), ingest (messages, batches stored and rejected, refusals by\n"
		     "reason such as ingest.refused.batch.empty_records) and\n"
		     "ingest.connections (the agents' connections).\n"
		     "\n"
		     "  -o, --output FORMAT  text (default) or json\n"
		     "      --server URL     aggregator HTTP API, as the global option\n"
		     "  -h, --help           this help\n"
		     "\n"
		     "Exit status: 0 ok, 1 server or network error, 2 usage error.\n");
}

static const struct option ff_cli_stats_longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"server", required_argument, NULL, 'S'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints every number below `v` as "prefix.name value", depth first. */
static void ff_cli_stats_print(const char *prefix, const json_t *v)
{
	if (json_is_object(v)) {
		const char *name;
		json_t *member;
		json_object_foreach((json_t *)v, name, member)
		{
			char path[256];
			snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", name);
			ff_cli_stats_print(path, member);
		}
	} else if (json_is_integer(v)) {
		printf("%s %" JSON_INTEGER_FORMAT "\n", prefix, json_integer_value(v));
	} else if (json_is_string(v)) {
		/* Counters past INT64_MAX arrive as their digits (ff_cli_json_parse). */
		printf("%s %s\n", prefix, json_string_value(v));
	} else if (json_is_boolean(v)) {
		printf("%s %s\n", prefix, json_is_true(v) ? "true" : "false");
	}
}

static int ff_cli_stats_parse(int argc, char **argv, const char **server, bool *json,
			      bool *help)
{
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:hS:", ff_cli_stats_longopts, NULL)) != -1) {
		if (opt == 'h') {
			*help = true;
		} else if (opt == 'S') {
			*server = optarg;
		} else if (opt == 'o' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)) {
			*json = strcmp(optarg, "json") == 0;
		} else {
			fprintf(stderr, "flowfleet stats: bad option or value (-o takes text or json)\n"
					"Try 'flowfleet stats --help'.\n");
			return FF_CLI_EUSAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowfleet stats: unexpected argument '%s'\n", argv[optind]);
		return FF_CLI_EUSAGE;
	}
	return FF_CLI_OK;
}

int ff_cli_stats(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	const char *server = NULL;
	bool json = false, help = false;
	int rc = ff_cli_stats_parse(argc, argv, &server, &json, &help);
	if (rc != FF_CLI_OK || help) {
		if (help)
			ff_cli_stats_usage(stdout);
		return rc;
	}
	struct ff_cli_ctx c = *ctx;
	if (server != NULL)
		c.server = server;
	json_t *doc = NULL;
	if ((rc = ff_cli_api_get(&c, "/api/v1/stats", &doc)) != FF_CLI_OK)
		return rc;
	if (json)
		rc = ff_cli_json_print(doc);
	else
		ff_cli_stats_print("", doc);
	json_decref(doc);
	return rc;
}
