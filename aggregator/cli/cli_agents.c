/*
 * `flowfleet agents`: every agent the aggregator has heard from, from
 * GET /api/v1/agents, as an aligned table (with -v, each agent's own
 * counters and its exporters' counters below it) or passed through as JSON.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "cli_agents_trust.h"
#include "cli_api.h"
#include "cli_format.h"
#include "ff_time.h"

enum { FF_CLI_AGENTS_COLS = 8, FF_CLI_AGENTS_POLICY_COL = 7 };

/* Cells longer than this are cut: a table row stays readable. */
#define FF_CLI_CELL_LEN 96

struct ff_cli_agents_opts {
	bool verbose;
	bool json;
	const char *server; /* --server given after the command, overrides the global one */
};

/* One table line, already formatted, so widths can be measured first. */
struct ff_cli_agents_line {
	char cell[FF_CLI_AGENTS_COLS][FF_CLI_CELL_LEN];
};

static const char *const ff_cli_agents_head[FF_CLI_AGENTS_COLS] = {
    "ID", "HOST", "ADDRESS", "LAST SEEN", "BATCHES", "RECORDS", "DUPS", "POLICY",
};

static void ff_cli_agents_usage(FILE *out)
{
	fprintf(out, "Usage: flowfleet [--server URL] agents [-v] [-o table|json]\n"
		     "       flowfleet agents pending|keys|accept|reject|revoke ... (see\n"
		     "       'flowfleet agents pending --help')\n"
		     "\n"
		     "Every agent the aggregator has heard from: id, host, address, when it was\n"
		     "last seen, and the batches, records and duplicate batches the aggregator\n"
		     "stored for it, and the policy version it applies ('stale' when another\n"
		     "one applies to it, 'refused' when it refused that one).\n"
		     "\n"
		     "A last line tells the transport: CURVE with the keys accepted and\n"
		     "pending, or a warning when the aggregator runs --insecure-plaintext.\n"
		     "\n"
		     "  -v, --verbose        also show each agent's own counters and the\n"
		     "                       counters of every exporter it collects from\n"
		     "  -o, --output FORMAT  table (default) or json\n"
		     "      --server URL     aggregator HTTP API, as the global option\n"
		     "  -h, --help           this help\n"
		     "\n"
		     "Exit status: 0 ok, 1 server or network error, 2 usage error.\n");
}

static const struct option ff_cli_agents_longopts[] = {
    {"verbose", no_argument, NULL, 'v'},
    {"output", required_argument, NULL, 'o'},
    {"server", required_argument, NULL, 'S'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_agents_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet agents: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet agents --help'.\n");
	return FF_CLI_EUSAGE;
}

static int ff_cli_agents_set_output(struct ff_cli_agents_opts *o, const char *word)
{
	if (strcmp(word, "json") == 0)
		o->json = true;
	else if (strcmp(word, "table") == 0)
		o->json = false;
	else
		return ff_cli_agents_usage_error("unknown output format '%s'; valid: table, json",
						 word);
	return FF_CLI_OK;
}

static int ff_cli_agents_parse(int argc, char **argv, struct ff_cli_agents_opts *o, bool *help)
{
	int opt, rc;

	*o = (struct ff_cli_agents_opts){0};
	*help = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vo:hS:", ff_cli_agents_longopts, NULL)) != -1) {
		if (opt == 'v')
			o->verbose = true;
		else if (opt == 'S')
			o->server = optarg;
		else if (opt == 'h')
			*help = true;
		else if (opt == 'o' && (rc = ff_cli_agents_set_output(o, optarg)) != FF_CLI_OK)
			return rc;
		else if (opt == ':')
			return ff_cli_agents_usage_error("option '%s' needs a value",
							 argv[optind - 1]);
		else if (opt == '?')
			return ff_cli_agents_usage_error("unknown option '%s'", argv[optind - 1]);
	}
	if (*help) {
		ff_cli_agents_usage(stdout);
		return FF_CLI_OK;
	}
	if (optind < argc)
		return ff_cli_agents_usage_error("unexpected argument '%s'", argv[optind]);
	return FF_CLI_OK;
}

static uint64_t ff_cli_now_ms(const json_t *doc)
{
	/* The server's clock, when given, keeps "3s ago" right across clock skew. */
	if (json_object_get(doc, "now_ms") != NULL)
		return ff_cli_json_u64(doc, "now_ms");
	return ff_time_now_ms();
}

static void ff_cli_agents_last_seen(char *buf, size_t len, uint64_t seen_ms, uint64_t now_ms)
{
	char age[FF_CLI_NUM_LEN], when[FF_CLI_NUM_LEN];

	if (seen_ms == 0) {
		snprintf(buf, len, "never");
		return;
	}
	ff_cli_fmt_age(age, sizeof age, now_ms > seen_ms ? now_ms - seen_ms : 0);
	ff_cli_fmt_time(when, sizeof when, seen_ms, false);
	snprintf(buf, len, "%s (%s UTC)", age, when);
}

/* "3" when the agent runs the policy that applies to it, else what is wrong. */
static void ff_cli_agents_policy(char *buf, size_t len, const json_t *agent)
{
	uint64_t applied = ff_cli_json_u64(agent, "policy_version");
	uint64_t expected = ff_cli_json_u64(agent, "policy_expected");
	const char *error = ff_cli_json_str(agent, "policy_error", NULL);
	char ver[24] = "-";

	if (applied != 0)
		snprintf(ver, sizeof ver, "%" PRIu64, applied);
	if (json_is_true(json_object_get(agent, "policy_current")) || expected == 0)
		snprintf(buf, len, "%s", ver);
	else if (error != NULL)
		snprintf(buf, len, "%s refused %" PRIu64, ver, expected);
	else
		snprintf(buf, len, "%s stale (%" PRIu64 " pending)", ver, expected);
}

static void ff_cli_agents_fill(const json_t *agent, uint64_t now_ms, struct ff_cli_agents_line *l)
{
	snprintf(l->cell[0], FF_CLI_CELL_LEN, "%s", ff_cli_json_str(agent, "id", "?"));
	snprintf(l->cell[1], FF_CLI_CELL_LEN, "%s", ff_cli_json_str(agent, "hostname", "-"));
	snprintf(l->cell[2], FF_CLI_CELL_LEN, "%s", ff_cli_json_str(agent, "address", "-"));
	ff_cli_agents_last_seen(l->cell[3], FF_CLI_CELL_LEN, ff_cli_json_u64(agent, "last_seen_ms"),
				now_ms);
	snprintf(l->cell[4], FF_CLI_CELL_LEN, "%" PRIu64, ff_cli_json_u64(agent, "batches"));
	snprintf(l->cell[5], FF_CLI_CELL_LEN, "%" PRIu64, ff_cli_json_u64(agent, "records"));
	snprintf(l->cell[6], FF_CLI_CELL_LEN, "%" PRIu64, ff_cli_json_u64(agent, "duplicates"));
	ff_cli_agents_policy(l->cell[FF_CLI_AGENTS_POLICY_COL], FF_CLI_CELL_LEN, agent);
}

/* Text columns are left aligned, counters right aligned, as ls -l and ps do. */
static void ff_cli_agents_print_line(const char *const cell[FF_CLI_AGENTS_COLS],
				     const int width[FF_CLI_AGENTS_COLS])
{
	for (int c = 0; c < FF_CLI_AGENTS_COLS; c++) {
		const char *sep = c + 1 < FF_CLI_AGENTS_COLS ? "  " : "\n";
		if (c < 4 || c == FF_CLI_AGENTS_POLICY_COL)
			printf("%-*s%s", c + 1 < FF_CLI_AGENTS_COLS ? width[c] : 0, cell[c], sep);
		else
			printf("%*s%s", width[c], cell[c], sep);
	}
}

/* A counters object as indented "name  value" lines, in the server's order. */
static void ff_cli_agents_print_counters(const json_t *counters, const char *indent)
{
	const char *name;
	json_t *value;
	int w = 0;

	json_object_foreach((json_t *)counters, name, value)
	{
		int len = (int)strlen(name);
		w = len > w ? len : w;
	}
	json_object_foreach((json_t *)counters, name, value)
	{
		char *text = json_dumps(value, JSON_ENCODE_ANY);
		printf("%s%-*s  %s\n", indent, w, name, text ? text : "?");
		free(text);
	}
}

static void ff_cli_agents_print_labels(const json_t *labels)
{
	const char *name;
	json_t *value;
	const char *sep = "";

	if (json_object_size(labels) == 0)
		return;
	printf("    labels: ");
	json_object_foreach((json_t *)labels, name, value)
	{
		printf("%s%s=%s", sep, name,
		       json_is_string(value) ? json_string_value(value) : "?");
		sep = ", ";
	}
	printf("\n");
}

static void ff_cli_agents_print_details(const json_t *agent)
{
	const json_t *exporters = json_object_get(agent, "exporters");
	char first[FF_CLI_NUM_LEN + 4];
	size_t i;
	json_t *ex;

	ff_cli_agents_print_labels(json_object_get(agent, "labels"));
	if (ff_cli_json_u64(agent, "first_seen_ms") == 0) {
		snprintf(first, sizeof first, "-");
	} else {
		ff_cli_fmt_time(first, sizeof first, ff_cli_json_u64(agent, "first_seen_ms"),
				false);
		strcat(first, " UTC");
	}
	if (ff_cli_json_str(agent, "policy_error", NULL) != NULL)
		printf("    policy %" PRIu64 " refused: %s\n",
		       ff_cli_json_u64(agent, "policy_expected"),
		       ff_cli_json_str(agent, "policy_error", ""));
	printf("    epoch %s, protocol %" PRIu64 ", version %s, first seen %s\n",
	       ff_cli_json_str(agent, "epoch", "-"), ff_cli_json_u64(agent, "protocol_version"),
	       ff_cli_json_str(agent, "version", "-"), first);
	if (json_object_size(json_object_get(agent, "counters")) == 0)
		printf("    counters: none reported yet\n");
	else {
		printf("    counters:\n");
		ff_cli_agents_print_counters(json_object_get(agent, "counters"), "      ");
	}
	json_array_foreach(exporters, i, ex)
	{
		printf("    exporter %s:\n", ff_cli_json_str(ex, "address", "?"));
		ff_cli_agents_print_counters(json_object_get(ex, "counters"), "      ");
	}
}

/* The transport line under the table (absent from older aggregators' answers). */
static void ff_cli_agents_print_transport(const json_t *doc)
{
	const char *t = ff_cli_json_str(doc, "transport", NULL);
	const json_t *trust = json_object_get(doc, "trust");
	if (t != NULL && strcmp(t, "insecure-plaintext") == 0)
		printf("transport: INSECURE PLAINTEXT (--insecure-plaintext): agents are neither "
		       "encrypted nor authenticated\n");
	else if (t != NULL)
		printf("transport: %s, %" PRIu64 " keys accepted, %" PRIu64
		       " pending ('flowfleet agents pending')\n",
		       t, ff_cli_json_u64(trust, "accepted"), ff_cli_json_u64(trust, "pending"));
}

static int ff_cli_agents_print_table(const json_t *doc, bool verbose)
{
	const json_t *agents = json_object_get(doc, "agents");
	size_t n = json_array_size(agents);
	struct ff_cli_agents_line *lines;
	const char *cell[FF_CLI_AGENTS_COLS];
	int width[FF_CLI_AGENTS_COLS];
	uint64_t now_ms = ff_cli_now_ms(doc);

	if (!json_is_array(agents)) {
		fprintf(stderr, "flowfleet agents: the server's answer has no 'agents' array\n");
		return FF_CLI_ESERVER;
	}
	lines = calloc(n ? n : 1, sizeof *lines);
	if (lines == NULL) {
		fprintf(stderr, "flowfleet agents: out of memory for %zu agents\n", n);
		return FF_CLI_ESERVER;
	}
	for (int c = 0; c < FF_CLI_AGENTS_COLS; c++)
		width[c] = (int)strlen(ff_cli_agents_head[c]);
	for (size_t i = 0; i < n; i++) {
		ff_cli_agents_fill(json_array_get(agents, i), now_ms, &lines[i]);
		for (int c = 0; c < FF_CLI_AGENTS_COLS; c++) {
			int len = (int)strlen(lines[i].cell[c]);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	ff_cli_agents_print_line(ff_cli_agents_head, width);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < FF_CLI_AGENTS_COLS; c++)
			cell[c] = lines[i].cell[c];
		ff_cli_agents_print_line(cell, width);
		if (verbose)
			ff_cli_agents_print_details(json_array_get(agents, i));
	}
	free(lines);
	ff_cli_agents_print_transport(doc);
	return FF_CLI_OK;
}

int ff_cli_agents(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_agents_opts o;
	struct ff_cli_ctx c = *ctx;
	json_t *doc = NULL;
	bool help;
	int rc;

	if (argc > 1 && ff_cli_agents_trust_sub(argv[1]))
		return ff_cli_agents_trust(ctx, argc - 1, argv + 1);
	rc = ff_cli_agents_parse(argc, argv, &o, &help);
	if (rc != FF_CLI_OK || help)
		return rc;
	if (o.server != NULL)
		c.server = o.server;
	rc = ff_cli_api_get(&c, "/api/v1/agents", &doc);
	if (rc == FF_CLI_OK && o.json)
		rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	else if (rc == FF_CLI_OK)
		rc = ff_cli_agents_print_table(doc, o.verbose);
	json_decref(doc);
	return rc;
}
