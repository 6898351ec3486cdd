/*
 * `flowfleet interfaces`: the sFlow interface counters the agents reported,
 * from GET /api/v1/interfaces, as an aligned table of speed, status and the
 * rates between the latest two samples, or passed through as JSON.
 */

#include <inttypes.h>
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
#include "ff_time.h"

enum { FF_CLI_IFS_COLS = 11 };
#define FF_CLI_IFS_CELL 64

struct ff_cli_ifs_line {
	char cell[FF_CLI_IFS_COLS][FF_CLI_IFS_CELL];
};

static const char *const ff_cli_ifs_head[FF_CLI_IFS_COLS] = {
    "AGENT",   "EXPORTER", "IFINDEX", "SPEED",	    "STATUS",  "IN bps",
    "OUT bps", "IN pps",   "OUT pps", "ERR in/out", "UPDATED",
};

static void ff_cli_ifs_usage(FILE *out)
{
	fprintf(out, "Usage: flowfleet [--server URL] interfaces [--agent ID] [-o table|json]\n"
		     "\n"
		     "The sFlow interface counters the agents reported (generic interface\n"
		     "counters of sFlow counter samples): per agent, exporter (the sFlow agent\n"
		     "address) and ifIndex, the speed, the admin/oper status, the rates in bits\n"
		     "and packets per second between the latest two samples ('-' until there\n"
		     "are two, or after a counter reset), the error counts and when the latest\n"
		     "sample came.\n"
		     "\n"
		     "  -a, --agent ID       only this agent's interfaces\n"
		     "  -o, --output FORMAT  table (default) or json (every counter and rate)\n"
		     "      --server URL     aggregator HTTP API, as the global option\n"
		     "  -h, --help           this help\n"
		     "\n"
		     "Exit status: 0 ok, 1 server or network error, 2 usage error.\n");
}

/* A rate of the "rates" object scaled by `scale`, nfdump-style, or "-" without rates. */
static void ff_cli_ifs_rate(char *buf, const json_t *rates, const char *name, double scale)
{
	const json_t *v = json_object_get(rates, name);
	if (!json_is_number(v)) {
		snprintf(buf, FF_CLI_IFS_CELL, "-");
		return;
	}
	double r = json_number_value(v) * scale;
	ff_cli_fmt_number(buf, FF_CLI_IFS_CELL, r > 0 ? (uint64_t)(r + 0.5) : 0, false, false);
}

static const char *ff_cli_ifs_status(const json_t *i)
{
	if (!json_is_true(json_object_get(i, "admin_up")))
		return "admin down";
	return json_is_true(json_object_get(i, "oper_up")) ? "up" : "down";
}

static void ff_cli_ifs_fill(const json_t *i, uint64_t now_ms, struct ff_cli_ifs_line *l)
{
	const json_t *rates = json_object_get(i, "rates");
	char speed[FF_CLI_NUM_LEN];
	uint64_t updated = ff_cli_json_u64(i, "received_ms");

	snprintf(l->cell[0], FF_CLI_IFS_CELL, "%s", ff_cli_json_str(i, "agent", "?"));
	snprintf(l->cell[1], FF_CLI_IFS_CELL, "%s", ff_cli_json_str(i, "exporter", "?"));
	snprintf(l->cell[2], FF_CLI_IFS_CELL, "%" PRIu64, ff_cli_json_u64(i, "if_index"));
	ff_cli_fmt_number(speed, sizeof speed, ff_cli_json_u64(i, "speed_bps"), false, false);
	snprintf(l->cell[3], FF_CLI_IFS_CELL, "%s", speed);
	snprintf(l->cell[4], FF_CLI_IFS_CELL, "%s", ff_cli_ifs_status(i));
	ff_cli_ifs_rate(l->cell[5], rates, "in_bytes_per_s", 8);
	ff_cli_ifs_rate(l->cell[6], rates, "out_bytes_per_s", 8);
	ff_cli_ifs_rate(l->cell[7], rates, "in_packets_per_s", 1);
	ff_cli_ifs_rate(l->cell[8], rates, "out_packets_per_s", 1);
	snprintf(l->cell[9], FF_CLI_IFS_CELL, "%" PRIu64 "/%" PRIu64,
		 ff_cli_json_u64(json_object_get(i, "in"), "errors"),
		 ff_cli_json_u64(json_object_get(i, "out"), "errors"));
	ff_cli_fmt_age(l->cell[10], FF_CLI_IFS_CELL, now_ms > updated ? now_ms - updated : 0);
}

/* Names and status left aligned, numbers right aligned. */
static void ff_cli_ifs_print_line(const char *const cell[FF_CLI_IFS_COLS],
				  const int width[FF_CLI_IFS_COLS])
{
	for (int c = 0; c < FF_CLI_IFS_COLS; c++) {
		bool left = c < 2 || c == 4 || c == FF_CLI_IFS_COLS - 1;
		const char *sep = c + 1 < FF_CLI_IFS_COLS ? "  " : "\n";
		if (left)
			printf("%-*s%s", c + 1 < FF_CLI_IFS_COLS ? width[c] : 0, cell[c], sep);
		else
			printf("%*s%s", width[c], cell[c], sep);
	}
}

static int ff_cli_ifs_print_table(const json_t *doc)
{
	const json_t *ifs = json_object_get(doc, "interfaces");
	size_t n = json_array_size(ifs);
	uint64_t now_ms = json_object_get(doc, "now_ms") != NULL ? ff_cli_json_u64(doc, "now_ms")
								 : ff_time_now_ms();
	int width[FF_CLI_IFS_COLS];
	const char *cell[FF_CLI_IFS_COLS];

	if (!json_is_array(ifs)) {
		fprintf(stderr,
			"flowfleet interfaces: the server's answer has no 'interfaces' array\n");
		return FF_CLI_ESERVER;
	}
	struct ff_cli_ifs_line *lines = calloc(n ? n : 1, sizeof *lines);
	if (lines == NULL) {
		fprintf(stderr, "flowfleet interfaces: out of memory for %zu interfaces\n", n);
		return FF_CLI_ESERVER;
	}
	for (int c = 0; c < FF_CLI_IFS_COLS; c++)
		width[c] = (int)strlen(ff_cli_ifs_head[c]);
	for (size_t i = 0; i < n; i++) {
		ff_cli_ifs_fill(json_array_get(ifs, i), now_ms, &lines[i]);
		for (int c = 0; c < FF_CLI_IFS_COLS; c++) {
			int len = (int)strlen(lines[i].cell[c]);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	ff_cli_ifs_print_line(ff_cli_ifs_head, width);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < FF_CLI_IFS_COLS; c++)
			cell[c] = lines[i].cell[c];
		ff_cli_ifs_print_line(cell, width);
	}
	free(lines);
	return FF_CLI_OK;
}

int ff_cli_interfaces(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_agent_opts o;
	struct ff_cli_ctx c = *ctx;
	json_t *doc = NULL;
	char *path = strdup("/api/v1/interfaces");
	bool help;

	int rc = path == NULL ? FF_CLI_ESERVER
			      : ff_cli_agent_opts_parse("interfaces", ff_cli_ifs_usage, argc, argv,
							&o, &help);
	if (rc != FF_CLI_OK || help) {
		free(path);
		return rc;
	}
	if (o.server != NULL)
		c.server = o.server;
	if (o.agent != NULL && ff_cli_query_add(&path, "agent", o.agent) != 0) {
		fprintf(stderr, "flowfleet interfaces: out of memory\n");
		free(path);
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_api_get(&c, path, &doc);
	if (rc == FF_CLI_OK && o.json)
		rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	else if (rc == FF_CLI_OK)
		rc = ff_cli_ifs_print_table(doc);
	json_decref(doc);
	free(path);
	return rc;
}
