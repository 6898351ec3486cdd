/*
 * `flowfleet top`: nfdump's `-s ELEMENT/ORDER -n N` statistic over everything
 * the aggregator stored, fetched from GET /api/v1/top and printed as nfdump
 * prints it (table or csv), or passed through as JSON.
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
#include "cli_api.h"
#include "cli_format.h"
#include "cli_time.h"
#include "ff_config.h"
#include "ff_element.h"
#include "ff_time.h"

enum ff_cli_top_output { FF_CLI_TOP_TABLE, FF_CLI_TOP_JSON, FF_CLI_TOP_CSV };

/* nfdump takes several -s in one call, each answered in turn. */
#define FF_CLI_TOP_MAX_STATS 16

struct ff_cli_top_opts {
	const char *stats[FF_CLI_TOP_MAX_STATS]; /* as given, each validated when run */
	size_t n_stats;				 /* 0: srcip/flows */
	enum ff_element el;			 /* the statistic being run */
	enum ff_order order;
	uint64_t n;
	const char *agent; /* NULL: the whole fleet */
	const char *filter; /* -f EXPR; NULL: none (or in filter_words) */
	char *filter_words; /* trailing words joined, owned; NULL: none */
	uint64_t since_ms; /* 0: no lower bound */
	uint64_t until_ms; /* 0: no upper bound */
	enum ff_cli_top_output output;
	bool plain;	    /* nfdump -N */
	bool quiet;	    /* nfdump -q */
	bool full_v6;	    /* nfdump -6 */
	const char *server; /* --server given after the command, overrides the global one */
};

/* The rows of one answer; keys borrowed from the JSON document. */
struct ff_cli_top_answer {
	struct ff_cli_top_row *rows;
	size_t n_rows;
	struct ff_cli_top_total total;
};

static void ff_cli_top_usage(FILE *out)
{
	fprintf(out,
		"Usage: flowfleet [--server URL] top [-s ELEMENT[/ORDER]] [-n N] [--agent ID]\n"
		"                 [--since WHEN] [--until WHEN] [-t WINDOW]\n"
		"                 [-o table|json|csv] [-N] [-q] [-6] [-f FILTER | FILTER...]\n"
		"\n"
		"Top-N statistic over the flows the aggregator stored, as nfdump -s prints it.\n"
		"\n"
		"  -s, --stat ELEMENT[/ORDER]  statistic (default srcip/flows); several -s, as\n"
		"                              nfdump takes them, are answered one after another\n"
		"                              (-o json: an array of the answers)\n"
		"                              elements: %s\n"
		"                              orders: %s\n"
		"  -n, --count N               rows to show, 0 for all (default 10)\n"
		"      --agent ID              only flows collected by this agent\n"
		"      --since WHEN            only flows that start at or after WHEN: a duration\n"
		"                              before now (90s, 1h, 7d), 2026-11-23T10:00[:SS] or\n"
		"                              2026/11/23.10:00:00 (local time; append Z for UTC)\n"
		"      --until WHEN            only flows that end at or before WHEN\n"
		"  -t WINDOW                   nfdump's yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss]\n"
		"  -f, --filter FILTER         only flows the filter matches (nfdump's language,\n"
		"                              docs/filters.md); or give it as the last words\n"
		"  -o, --output FORMAT         table (default), json or csv\n"
		"  -N, --plain                 print plain numbers, not 1.2 M (as nfdump -N)\n"
		"  -q, --quiet                 table without title, header and summary\n"
		"  -6, --full-ipv6             full IPv6 addresses in the table (as nfdump -6)\n"
		"      --server URL            aggregator HTTP API, as the global option\n"
		"  -h, --help                  this help\n"
		"\n"
		"Without a time window top covers everything stored. A flow is in a window\n"
		"when it starts and ends inside it, as with nfdump -t.\n"
		"Exit status: 0 ok, 1 server or network error, 2 usage error.\n",
		ff_element_list(), ff_order_list());
}

static int ff_cli_top_set_output(struct ff_cli_top_opts *o, const char *word)
{
	if (strcmp(word, "table") == 0)
		o->output = FF_CLI_TOP_TABLE;
	else if (strcmp(word, "json") == 0)
		o->output = FF_CLI_TOP_JSON;
	else if (strcmp(word, "csv") == 0)
		o->output = FF_CLI_TOP_CSV;
	else {
		fprintf(stderr,
			"flowfleet top: unknown output format '%s'; valid: table, json, csv\n",
			word);
		return FF_CLI_EUSAGE;
	}
	return FF_CLI_OK;
}

static int ff_cli_top_set_count(struct ff_cli_top_opts *o, const char *text)
{
	/* The bound only keeps the number printable in "Top %d"; 0 means all rows. */
	if (ff_parse_uint(text, &o->n) != 0 || o->n > 100000000) {
		fprintf(stderr, "flowfleet top: -n wants a number of rows (0 for all), not '%s'\n",
			text);
		return FF_CLI_EUSAGE;
	}
	return FF_CLI_OK;
}

static int ff_cli_top_bad_option(char **argv, int opt)
{
	if (opt == ':')
		fprintf(stderr, "flowfleet top: option '%s' needs a value\n", argv[optind - 1]);
	else if (optopt != 0)
		fprintf(stderr, "flowfleet top: unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "flowfleet top: unknown option '%s'\n", argv[optind - 1]);
	fprintf(stderr, "Try 'flowfleet top --help'.\n");
	return FF_CLI_EUSAGE;
}

enum {
	FF_CLI_TOP_OPT_AGENT = 256,
	FF_CLI_TOP_OPT_SINCE,
	FF_CLI_TOP_OPT_UNTIL,
	FF_CLI_TOP_OPT_SERVER,
};

static const struct option ff_cli_top_longopts[] = {
    {"stat", required_argument, NULL, 's'},
    {"count", required_argument, NULL, 'n'},
    {"agent", required_argument, NULL, FF_CLI_TOP_OPT_AGENT},
    {"output", required_argument, NULL, 'o'},
    {"plain", no_argument, NULL, 'N'},
    {"quiet", no_argument, NULL, 'q'},
    {"full-ipv6", no_argument, NULL, '6'},
    {"filter", required_argument, NULL, 'f'},
    {"since", required_argument, NULL, FF_CLI_TOP_OPT_SINCE},
    {"until", required_argument, NULL, FF_CLI_TOP_OPT_UNTIL},
    {"server", required_argument, NULL, FF_CLI_TOP_OPT_SERVER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_top_set_time(struct ff_cli_top_opts *o, int opt, const char *text)
{
	int rc;
	if (opt == 't')
		rc = ff_cli_time_window(text, &o->since_ms, &o->until_ms);
	else
		rc = ff_cli_time_parse(text, ff_time_now_ms(),
				       opt == FF_CLI_TOP_OPT_SINCE ? &o->since_ms : &o->until_ms);
	if (rc == 0)
		return FF_CLI_OK;
	if (opt == 't')
		fprintf(stderr, "flowfleet top: -t wants yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss] "
				"(later parts may be left out), not '%s'\n",
			text);
	else
		fprintf(stderr, "flowfleet top: --%s wants a duration before now (90s, 1h, 7d), "
				"now, or a time such as 2026-11-23T10:00, not '%s'\n",
			opt == FF_CLI_TOP_OPT_SINCE ? "since" : "until", text);
	return FF_CLI_EUSAGE;
}

/* One option; returns FF_CLI_OK to go on, or the exit code to stop with. */
static int ff_cli_top_option(struct ff_cli_top_opts *o, int opt, char **argv, bool *help)
{
	switch (opt) {
	case 's':
		if (o->n_stats == FF_CLI_TOP_MAX_STATS) {
			fprintf(stderr, "flowfleet top: at most %d -s in one call\n",
				FF_CLI_TOP_MAX_STATS);
			return FF_CLI_EUSAGE;
		}
		o->stats[o->n_stats++] = optarg;
		return FF_CLI_OK;
	case 'n':
		return ff_cli_top_set_count(o, optarg);
	case FF_CLI_TOP_OPT_AGENT:
		o->agent = optarg;
		return FF_CLI_OK;
	case 'o':
		return ff_cli_top_set_output(o, optarg);
	case 'N':
		o->plain = true;
		return FF_CLI_OK;
	case 'q':
		o->quiet = true;
		return FF_CLI_OK;
	case '6':
		o->full_v6 = true;
		return FF_CLI_OK;
	case 'f':
		o->filter = optarg;
		return FF_CLI_OK;
	case 't':
	case FF_CLI_TOP_OPT_SINCE:
	case FF_CLI_TOP_OPT_UNTIL:
		return ff_cli_top_set_time(o, opt, optarg);
	case FF_CLI_TOP_OPT_SERVER:
		o->server = optarg;
		return FF_CLI_OK;
	case 'h':
		*help = true;
		return FF_CLI_OK;
	default:
		return ff_cli_top_bad_option(argv, opt);
	}
}

/* Fills `o` from the command line; `*help` is set when --help was printed. */
static int ff_cli_top_parse(int argc, char **argv, struct ff_cli_top_opts *o, bool *help)
{
	char err[256];
	int opt, rc;

	*o = (struct ff_cli_top_opts){.n = 10};
	*help = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:n:o:Nq6f:t:h", ff_cli_top_longopts, NULL)) !=
	       -1) {
		rc = ff_cli_top_option(o, opt, argv, help);
		if (rc != FF_CLI_OK)
			return rc;
	}
	if (*help) {
		ff_cli_top_usage(stdout);
		return FF_CLI_OK;
	}
	if (optind < argc && o->filter != NULL) {
		fprintf(stderr, "flowfleet top: a filter given twice: -f and trailing words\n");
		return FF_CLI_EUSAGE;
	}
	if (optind < argc) {
		o->filter_words = ff_cli_join_words(argc - optind, argv + optind);
		if (o->filter_words == NULL) {
			fprintf(stderr, "flowfleet top: out of memory\n");
			return FF_CLI_ESERVER;
		}
		o->filter = o->filter_words;
	}
	if (o->n_stats == 0)
		o->stats[o->n_stats++] = "srcip/flows";
	/* Every statistic is checked before the first is asked for. */
	for (size_t i = 0; i < o->n_stats; i++) {
		if (ff_element_parse_stat(o->stats[i], &o->el, &o->order, err, sizeof err) != 0) {
			fprintf(stderr, "flowfleet top: -s %s: %s\n", o->stats[i], err);
			return FF_CLI_EUSAGE;
		}
	}
	if (o->until_ms != 0 && o->until_ms < o->since_ms) {
		fprintf(stderr, "flowfleet top: the window ends before it starts\n");
		return FF_CLI_EUSAGE;
	}
	return FF_CLI_OK;
}

/* "/api/v1/top?stat=E%2FO&n=N[&agent=ID][&since=MS][&until=MS][&filter=F]"; caller frees. */
static char *ff_cli_top_path(const struct ff_cli_top_opts *o)
{
	char stat[64];
	char *path = strdup("/api/v1/top");
	int rc = path != NULL ? 0 : -1;

	/* The order is spelled out so the server never applies a default of its own. */
	snprintf(stat, sizeof stat, "%s/%s", ff_element_name(o->el), ff_order_name(o->order));
	if (rc == 0)
		rc = ff_cli_query_add(&path, "stat", stat);
	if (rc == 0)
		rc = ff_cli_query_add_u64(&path, "n", o->n);
	if (rc == 0)
		rc = ff_cli_query_add_scope(&path, o->agent, o->since_ms, o->until_ms, o->filter);
	if (rc != 0) {
		free(path);
		return NULL;
	}
	return path;
}

static void ff_cli_top_read_row(const json_t *j, struct ff_cli_top_row *r)
{
	const json_t *key = json_object_get(j, "key");

	r->key = json_is_string(key) ? json_string_value(key) : "?";
	r->flows = ff_cli_json_u64(j, "flows");
	r->packets = ff_cli_json_u64(j, "packets");
	r->bytes = ff_cli_json_u64(j, "bytes");
	r->first_ms = ff_cli_json_u64(j, "first_ms");
	r->last_ms = ff_cli_json_u64(j, "last_ms");
	/* Prefer the server's rates; derive them as nfdump does if it sent none. */
	ff_cli_rates(r->packets, r->bytes, r->last_ms > r->first_ms ? r->last_ms - r->first_ms : 0,
		     &r->pps, &r->bps, &r->bpp);
	if (json_object_get(j, "pps") != NULL)
		r->pps = ff_cli_json_u64(j, "pps");
	if (json_object_get(j, "bps") != NULL)
		r->bps = ff_cli_json_u64(j, "bps");
	if (json_object_get(j, "bpp") != NULL)
		r->bpp = ff_cli_json_u64(j, "bpp");
}

/*
 * The summary needs the time span of everything covered. The server may send
 * it in `total`; otherwise the returned rows' span is the best estimate.
 */
static void ff_cli_top_read_total(const json_t *doc, struct ff_cli_top_answer *a)
{
	const json_t *total = json_object_get(doc, "total");

	a->total.flows = ff_cli_json_u64(total, "flows");
	a->total.packets = ff_cli_json_u64(total, "packets");
	a->total.bytes = ff_cli_json_u64(total, "bytes");
	a->total.first_ms = ff_cli_json_u64(total, "first_ms");
	a->total.last_ms = ff_cli_json_u64(total, "last_ms");
	if (json_object_get(total, "first_ms") != NULL && json_object_get(total, "last_ms") != NULL)
		return;
	a->total.first_ms = a->n_rows ? UINT64_MAX : 0;
	a->total.last_ms = 0;
	for (size_t i = 0; i < a->n_rows; i++) {
		if (a->rows[i].first_ms < a->total.first_ms)
			a->total.first_ms = a->rows[i].first_ms;
		if (a->rows[i].last_ms > a->total.last_ms)
			a->total.last_ms = a->rows[i].last_ms;
	}
}

static int ff_cli_top_read(const json_t *doc, struct ff_cli_top_answer *a)
{
	const json_t *rows = json_object_get(doc, "rows");

	memset(a, 0, sizeof *a);
	if (!json_is_array(rows)) {
		fprintf(stderr, "flowfleet top: the server's answer has no 'rows' array\n");
		return FF_CLI_ESERVER;
	}
	a->n_rows = json_array_size(rows);
	a->rows = calloc(a->n_rows ? a->n_rows : 1, sizeof *a->rows);
	if (a->rows == NULL) {
		fprintf(stderr, "flowfleet top: out of memory for %zu rows\n", a->n_rows);
		return FF_CLI_ESERVER;
	}
	for (size_t i = 0; i < a->n_rows; i++)
		ff_cli_top_read_row(json_array_get(rows, i), &a->rows[i]);
	ff_cli_top_read_total(doc, a);
	return FF_CLI_OK;
}

static bool ff_cli_top_is_address(enum ff_element el)
{
	return el == FF_EL_SRCIP || el == FF_EL_DSTIP || el == FF_EL_IP || el == FF_EL_EXPORTER;
}

static void ff_cli_top_title(const struct ff_cli_top_opts *o)
{
	if (o->n != 0)
		printf("Top %" PRIu64 " ", o->n);
	else
		printf("Top ");
	printf("%s ordered by %s", ff_element_title(o->el), ff_order_name(o->order));
	if (o->agent != NULL)
		printf(" (agent %s)", o->agent);
	printf(":\n");
}

/*
 * A '*' key is traffic whose element an agent's policy summarized away (its
 * keys left the field out, or it is a top-K "other" record): say so, since
 * nfdump users never see a '*' row.
 */
static void ff_cli_top_note_wildcards(const struct ff_cli_top_opts *o,
				      const struct ff_cli_top_answer *a)
{
	for (size_t i = 0; i < a->n_rows; i++) {
		if (strcmp(a->rows[i].key, "*") == 0) {
			printf("Note: '*' is traffic whose %s the agents' policy summarized away "
			       "(not among its keys, or beyond its top-K); see flowfleet policy "
			       "show.\n",
			       ff_element_name(o->el));
			return;
		}
	}
}

static void ff_cli_top_print_table(const struct ff_cli_top_opts *o,
				   const struct ff_cli_top_answer *a)
{
	struct ff_cli_table_style style = {.plain = o->plain,
					   .proto_column = o->el == FF_EL_PROTO,
					   .address_keys = ff_cli_top_is_address(o->el),
					   .v6_layout = o->full_v6 && ff_cli_top_is_address(o->el)};
	char line[1024];

	if (!o->quiet) {
		ff_cli_top_title(o);
		ff_cli_table_header(line, sizeof line, ff_element_title(o->el), &style);
		fputs(line, stdout);
	}
	for (size_t i = 0; i < a->n_rows; i++) {
		ff_cli_table_row(line, sizeof line, &a->rows[i], &a->total, &style);
		fputs(line, stdout);
	}
	/* nfdump ends the rows with an empty line even when quiet. */
	printf("\n");
	if (!o->quiet) {
		ff_cli_table_summary(line, sizeof line, &a->total, o->plain);
		fputs(line, stdout);
		ff_cli_top_note_wildcards(o, a);
	}
}

static void ff_cli_top_print_csv(const struct ff_cli_top_opts *o, const struct ff_cli_top_answer *a)
{
	char line[1024];

	fputs(ff_cli_csv_header(), stdout);
	for (size_t i = 0; i < a->n_rows; i++) {
		ff_cli_csv_row(line, sizeof line, &a->rows[i], &a->total, o->el == FF_EL_PROTO);
		fputs(line, stdout);
	}
}

static int ff_cli_top_print(const struct ff_cli_top_opts *o, const json_t *doc)
{
	struct ff_cli_top_answer a;
	int rc;

	if (o->output == FF_CLI_TOP_JSON)
		return ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	rc = ff_cli_top_read(doc, &a);
	if (rc == FF_CLI_OK && o->output == FF_CLI_TOP_CSV)
		ff_cli_top_print_csv(o, &a);
	else if (rc == FF_CLI_OK)
		ff_cli_top_print_table(o, &a);
	free(a.rows);
	return rc;
}

/* Asks for the statistic in o->el/o->order; *doc is the answer (a new reference). */
static int ff_cli_top_get(const struct ff_cli_ctx *c, const struct ff_cli_top_opts *o,
			  json_t **doc)
{
	char *path = ff_cli_top_path(o);
	if (path == NULL) {
		fprintf(stderr, "flowfleet top: out of memory building the request\n");
		return FF_CLI_ESERVER;
	}
	int rc = ff_cli_api_get(c, path, doc);
	free(path);
	return rc;
}

/* Each statistic in turn; with -o json and several, one array of the answers. */
static int ff_cli_top_run(const struct ff_cli_ctx *c, struct ff_cli_top_opts *o)
{
	bool array = o->output == FF_CLI_TOP_JSON && o->n_stats > 1;
	json_t *all = array ? json_array() : NULL;
	int rc = array && all == NULL ? FF_CLI_ESERVER : FF_CLI_OK;
	for (size_t i = 0; rc == FF_CLI_OK && i < o->n_stats; i++) {
		char err[256];
		json_t *doc = NULL;
		(void)ff_element_parse_stat(o->stats[i], &o->el, &o->order, err, sizeof err);
		rc = ff_cli_top_get(c, o, &doc);
		if (rc == FF_CLI_OK && array)
			rc = json_array_append(all, doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
		else if (rc == FF_CLI_OK)
			rc = ff_cli_top_print(o, doc);
		json_decref(doc);
	}
	if (rc == FF_CLI_OK && array)
		rc = ff_cli_json_print(all) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	json_decref(all);
	return rc;
}

int ff_cli_top(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_top_opts o;
	struct ff_cli_ctx c = *ctx;
	bool help;
	int rc = ff_cli_top_parse(argc, argv, &o, &help);
	if (rc == FF_CLI_OK && !help) {
		if (o.server != NULL)
			c.server = o.server;
		rc = ff_cli_top_run(&c, &o);
	}
	free(o.filter_words);
	return rc;
}
