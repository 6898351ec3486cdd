/*
 * `flowfleet exporters`: every exporter of every agent with its state and a
 * sentence saying what to do (GET /api/v1/exporters; the rules in
 * docs/operations.md), as a table of agent, exporter, state and sentence,
 * or passed through as JSON.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_agent_opts.h"
#include "cli_api.h"
#include "cli_format.h"
#include "ff_batch.h"

static void ff_cli_exps_usage(FILE *out)
{
	fprintf(out, "Usage: flowfleet [--server URL] exporters [--agent ID] [-o table|json]\n"
		     "\n"
		     "Every exporter of every agent with its state and one sentence saying why\n"
		     "its data may be missing and what to do: ok, silent, malformed, waiting for\n"
		     "template, sequence loss, no sampling rate, clock skew (docs/operations.md).\n"
		     "When several apply, the most severe is the state and the others follow\n"
		     "the sentence as 'also: ...'.\n"
		     "\n"
		     "  -a, --agent ID       only this agent's exporters\n"
		     "  -o, --output FORMAT  table (default) or json (every finding and the\n"
		     "                       counters of the window they were judged on)\n"
		     "      --server URL     aggregator HTTP API, as the global option\n"
		     "  -h, --help           this help\n"
		     "\n"
		     "Exit status: 0 ok, 1 server or network error, 2 usage error.\n");
}

/* The width of the widest value of `key` among the exporters, at least `min`. */
static int ff_cli_exps_width(const json_t *exps, const char *key, int min)
{
	size_t i;
	const json_t *e;
	int w = min;
	json_array_foreach(exps, i, e)
	{
		int len = (int)strlen(ff_cli_json_str(e, key, "?"));
		w = len > w ? len : w;
	}
	return w;
}

/* The sentence, then the other states that apply: "...; also: sequence loss". */
static void ff_cli_exps_print_row(const json_t *e, const int w[3])
{
	printf("%-*s  %-*s  %-*s  %s", w[0], ff_cli_json_str(e, "agent", "?"), w[1],
	       ff_cli_json_str(e, "exporter", "?"), w[2], ff_cli_json_str(e, "state", "?"),
	       ff_cli_json_str(e, "sentence", ""));
	const json_t *f = json_object_get(e, "findings");
	for (size_t k = 1; k < json_array_size(f); k++)
		printf("%s%s", k == 1 ? "; also: " : ", ",
		       ff_cli_json_str(json_array_get(f, k), "state", "?"));
	printf("\n");
}

static int ff_cli_exps_print_table(const json_t *doc)
{
	const json_t *exps = json_object_get(doc, "exporters");
	if (!json_is_array(exps)) {
		fprintf(stderr,
			"flowfleet exporters: the server's answer has no 'exporters' array\n");
		return FF_CLI_ESERVER;
	}
	int w[3] = {ff_cli_exps_width(exps, "agent", 5), ff_cli_exps_width(exps, "exporter", 8),
		    ff_cli_exps_width(exps, "state", 5)};
	printf("%-*s  %-*s  %-*s  %s\n", w[0], "AGENT", w[1], "EXPORTER", w[2], "STATE",
	       "SENTENCE");
	size_t i;
	const json_t *e;
	json_array_foreach(exps, i, e) ff_cli_exps_print_row(e, w);
	return FF_CLI_OK;
}

int ff_cli_exporters(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_agent_opts o;
	struct ff_cli_ctx c = *ctx;
	json_t *doc = NULL;
	char *path = strdup("/api/v1/exporters");
	bool help;

	int rc = path == NULL ? FF_CLI_ESERVER
			      : ff_cli_agent_opts_parse("exporters", ff_cli_exps_usage, argc, argv,
							&o, &help);
	if (rc != FF_CLI_OK || help) {
		free(path);
		return rc;
	}
	if (o.server != NULL)
		c.server = o.server;
	if (o.agent != NULL && ff_cli_query_add(&path, "agent", o.agent) != 0) {
		fprintf(stderr, "flowfleet exporters: out of memory\n");
		free(path);
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_api_get(&c, path, &doc);
	if (rc == FF_CLI_OK && o.json)
		rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	else if (rc == FF_CLI_OK)
		rc = ff_cli_exps_print_table(doc);
	json_decref(doc);
	free(path);
	return rc;
}
