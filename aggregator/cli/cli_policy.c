/*
 * `flowfleet policy set|show|history`: writes and reads the central policies
 * through the aggregator's /api/v1/policy endpoints (docs/policy.md). A
 * policy is checked here first with the same code the aggregator and the
 * agents use (common/ff_policy.c), so a bad filter or key is refused with
 * its column before anything is sent.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_api.h"
#include "cli_format.h"
#include "cli_http.h"
#include "ff_config.h"
#include "ff_policy.h"

/* A token file holds one line; a longer one is not a token file. */
#define FF_CLI_TOKEN_MAX 256

struct ff_cli_policy_opts {
	ff_policy_spec spec; /* strings borrowed from argv */
	const char *token_file;
	const char *server;
	bool json;
	bool help;
};

static void ff_cli_policy_usage(FILE *out)
{
	fprintf(out,
		"Usage: flowfleet policy set [--target LABEL=VALUE[,LABEL=VALUE]] [--filter EXPR]\n"
		"                            [--keys LIST] [--interval DURATION] [--topk N]\n"
		"                            [--sample N] [--merge] [--token-file FILE]\n"
		"       flowfleet policy show [-o table|json]\n"
		"       flowfleet policy history [-o table|json]\n"
		"\n"
		"Central policy pushed to the agents: which records leave an agent (an nfdump\n"
		"filter), which key fields survive summarization (the others become '*'), the\n"
		"interval, and a top-K per interval with the rest merged into one record.\n"
		"A label-targeted policy beats one for every agent; see docs/policy.md.\n"
		"\n"
		"  -t, --target SELECTOR  agents whose labels match (default: every agent)\n"
		"  -f, --filter EXPR      nfdump filter of the records to keep (default: all)\n"
		"  -k, --keys LIST        key fields kept: srcip,dstip,srcport,dstport,proto,tos,\n"
		"                         inif,outif,srcas,dstas,exporter (default: all)\n"
		"  -i, --interval DUR     summarization interval, e.g. 10s (default: the agent's)\n"
		"  -K, --topk N           at most N records per interval, by bytes (0: no bound)\n"
		"      --sample N         keep 1 in N records, counters scaled by N (0: all)\n"
		"      --merge            merge the records of one key per interval into one\n"
		"                         (fewer bytes; per-flow filters then judge merged\n"
		"                         records). Without it every exporter flow stays its\n"
		"                         own record unless --keys drops keys or --topk is set\n"
		"      --token-file FILE  the aggregator's DATA_DIR/api.token (default:\n"
		"                         $FLOWFLEET_TOKEN holds the token itself)\n"
		"  -o, --output FORMAT    table (default) or json\n"
		"      --server URL       aggregator HTTP API, as the global option\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 ok, 1 server or network error, 2 usage error or refused policy.\n");
}

static int ff_cli_policy_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet policy: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet policy --help'.\n");
	return FF_CLI_EUSAGE;
}

enum { FF_CLI_OPT_TOKEN_FILE = 256, FF_CLI_OPT_SAMPLE, FF_CLI_OPT_SERVER, FF_CLI_OPT_MERGE };

static const struct option ff_cli_policy_longopts[] = {
    {"target", required_argument, NULL, 't'},
    {"filter", required_argument, NULL, 'f'},
    {"keys", required_argument, NULL, 'k'},
    {"interval", required_argument, NULL, 'i'},
    {"topk", required_argument, NULL, 'K'},
    {"sample", required_argument, NULL, FF_CLI_OPT_SAMPLE},
    {"merge", no_argument, NULL, FF_CLI_OPT_MERGE},
    {"token-file", required_argument, NULL, FF_CLI_OPT_TOKEN_FILE},
    {"output", required_argument, NULL, 'o'},
    {"server", required_argument, NULL, FF_CLI_OPT_SERVER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_policy_u32(const char *name, const char *text, uint32_t *out)
{
	uint64_t v;

	if (ff_parse_uint(text, &v) != 0 || v > UINT32_MAX) {
		fprintf(stderr, "flowfleet policy: %s wants a non-negative integer, not '%s'\n",
			name, text);
		return FF_CLI_EUSAGE;
	}
	*out = (uint32_t)v;
	return FF_CLI_OK;
}

/* "10s", "1m", or plain seconds; whole seconds only, as agents count in seconds. */
static int ff_cli_policy_interval(const char *text, uint32_t *out)
{
	uint64_t ms;

	if (ff_parse_uint(text, &ms) == 0 && ms <= UINT32_MAX) {
		*out = (uint32_t)ms;
		return FF_CLI_OK;
	}
	if (ff_parse_duration_ms(text, &ms) != 0 || ms % 1000 != 0 || ms / 1000 > UINT32_MAX)
		return ff_cli_policy_usage_error(
		    "--interval wants whole seconds such as 10s, 1m or 30, not '%s'", text);
	*out = (uint32_t)(ms / 1000);
	return FF_CLI_OK;
}

static int ff_cli_policy_output(struct ff_cli_policy_opts *o, const char *word)
{
	if (strcmp(word, "json") == 0 || strcmp(word, "table") == 0) {
		o->json = strcmp(word, "json") == 0;
		return FF_CLI_OK;
	}
	return ff_cli_policy_usage_error("unknown output format '%s'; valid: table, json", word);
}

/* One option of getopt; returns FF_CLI_OK or an exit code. */
static int ff_cli_policy_option(struct ff_cli_policy_opts *o, int opt, char **argv)
{
	char err[512];

	switch (opt) {
	case 't':
		o->spec.target = strcmp(optarg, "all") == 0 ? (char *)"" : optarg;
		return FF_CLI_OK;
	case 'f':
		o->spec.filter = optarg;
		return FF_CLI_OK;
	case 'k':
		if (ff_policy_keys_parse(optarg, &o->spec.keys, err, sizeof err) != 0)
			return ff_cli_policy_usage_error("--keys: %s", err);
		return FF_CLI_OK;
	case 'i':
		return ff_cli_policy_interval(optarg, &o->spec.interval_s);
	case 'K':
		return ff_cli_policy_u32("--topk", optarg, &o->spec.topk);
	case FF_CLI_OPT_SAMPLE:
		return ff_cli_policy_u32("--sample", optarg, &o->spec.sample);
	case FF_CLI_OPT_MERGE:
		o->spec.merge = true;
		return FF_CLI_OK;
	case FF_CLI_OPT_TOKEN_FILE:
		o->token_file = optarg;
		return FF_CLI_OK;
	case FF_CLI_OPT_SERVER:
		o->server = optarg;
		return FF_CLI_OK;
	case 'o':
		return ff_cli_policy_output(o, optarg);
	case 'h':
		o->help = true;
		return FF_CLI_OK;
	case ':':
		return ff_cli_policy_usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return ff_cli_policy_usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

/* argv[0] is the subcommand word ("set", "show", "history"). */
static int ff_cli_policy_parse(int argc, char **argv, struct ff_cli_policy_opts *o)
{
	int opt, rc;

	*o = (struct ff_cli_policy_opts){0};
	o->spec.target = (char *)"";
	o->spec.filter = (char *)"";
	o->spec.keys = FF_POLICY_KEY_FIELDS;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:f:k:i:K:o:h", ff_cli_policy_longopts, NULL)) !=
	       -1)
		if ((rc = ff_cli_policy_option(o, opt, argv)) != FF_CLI_OK)
			return rc;
	if (o->help) {
		ff_cli_policy_usage(stdout);
		return FF_CLI_OK;
	}
	if (optind < argc)
		return ff_cli_policy_usage_error("unexpected argument '%s'", argv[optind]);
	return FF_CLI_OK;
}

/* The token: from --token-file when given, else $FLOWFLEET_TOKEN. */
static int ff_cli_policy_token(const struct ff_cli_policy_opts *o, char *out, size_t len)
{
	const char *env = getenv("FLOWFLEET_TOKEN");
	FILE *f;

	if (o->token_file == NULL) {
		if (env == NULL || env[0] == '\0') {
			fprintf(stderr, "flowfleet policy: writing a policy needs the aggregator's "
					"token: set FLOWFLEET_TOKEN or give --token-file "
					"DATA_DIR/api.token\n");
			return FF_CLI_EUSAGE;
		}
		snprintf(out, len, "%s", env);
		return FF_CLI_OK;
	}
	f = fopen(o->token_file, "r");
	if (f == NULL || fgets(out, (int)len, f) == NULL) {
		fprintf(stderr, "flowfleet policy: cannot read the token file %s\n", o->token_file);
		if (f != NULL)
			fclose(f);
		return FF_CLI_EUSAGE;
	}
	fclose(f);
	out[strcspn(out, " \t\r\n")] = '\0';
	return FF_CLI_OK;
}

/* Whether a stored policy's agents merge records of one key (as ff_agent_policy_merges). */
static const char *ff_cli_policy_records(const json_t *p)
{
	bool merge = json_is_true(json_object_get(p, "merge"));
	const char *keys = ff_cli_json_str(p, "keys", "all");
	return merge || ff_cli_json_u64(p, "topk") != 0 || strcmp(keys, "all") != 0 ? "merged"
										    : "apart";
}

/* Prints one policy as "version  target  keys  interval  topk  records  filter". */
static void ff_cli_policy_print_row(const json_t *p)
{
	const char *target = ff_cli_json_str(p, "target", "");
	char when[FF_CLI_NUM_LEN], interval[32];
	uint64_t iv = ff_cli_json_u64(p, "interval_s");

	ff_cli_fmt_time(when, sizeof when, ff_cli_json_u64(p, "created_ms"), false);
	if (iv == 0)
		snprintf(interval, sizeof interval, "agent");
	else
		snprintf(interval, sizeof interval, "%" PRIu64 "s", iv);
	printf("%7" PRIu64 "  %-19s  %-16s  %-32s  %8s  %6" PRIu64 "  %-7s  %s\n",
	       ff_cli_json_u64(p, "version"), when, target[0] ? target : "all",
	       ff_cli_json_str(p, "keys", "?"), interval, ff_cli_json_u64(p, "topk"),
	       ff_cli_policy_records(p),
	       ff_cli_json_str(p, "filter", "")[0] ? ff_cli_json_str(p, "filter", "") : "any");
}

static int ff_cli_policy_print(const json_t *doc, const char *member, bool json)
{
	const json_t *list = json_object_get(doc, member);
	size_t i;
	json_t *p;

	if (json)
		return ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	if (!json_is_array(list)) {
		fprintf(stderr, "flowfleet policy: the server's answer has no '%s' array\n",
			member);
		return FF_CLI_ESERVER;
	}
	if (json_array_size(list) == 0) {
		printf("no policy stored: agents send every record with every key, unmerged\n");
		return FF_CLI_OK;
	}
	printf("%7s  %-19s  %-16s  %-32s  %8s  %6s  %-7s  %s\n", "VERSION", "CREATED (UTC)",
	       "TARGET", "KEYS", "INTERVAL", "TOP-K", "RECORDS", "FILTER");
	json_array_foreach(list, i, p) ff_cli_policy_print_row(p);
	return FF_CLI_OK;
}

static json_t *ff_cli_policy_body(const ff_policy_spec *s)
{
	char keys[160];

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "target", s->target, "filter",
			 s->filter, "keys", ff_policy_keys_format(s->keys, keys, sizeof keys),
			 "interval_s", (json_int_t)s->interval_s, "topk", (json_int_t)s->topk,
			 "sample", (json_int_t)s->sample, "merge", s->merge);
}

/* Turns the server's answer to the POST into an exit code and a message. */
static int ff_cli_policy_answer(const struct ff_cli_http_response *resp, bool json)
{
	json_t *doc = ff_cli_json_parse(resp->body, resp->body_len, NULL);
	const json_t *p = json_object_get(doc, "policy");
	int rc = FF_CLI_OK;

	if (resp->status == 201 && json_is_object(p)) {
		if (json)
			rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
		else
			printf("stored policy %" PRIu64 "; pushed to the agents it targets, "
			       "applied at their next interval boundary\n",
			       ff_cli_json_u64(p, "version"));
	} else {
		fprintf(stderr, "flowfleet policy: server refused the policy (HTTP %d): %s\n",
			resp->status, ff_cli_json_str(doc, "error", "no reason given"));
		rc = resp->status == 400 || resp->status == 401 ? FF_CLI_EUSAGE : FF_CLI_ESERVER;
	}
	json_decref(doc);
	return rc;
}

static int ff_cli_policy_set(const struct ff_cli_ctx *ctx, const struct ff_cli_policy_opts *o)
{
	struct ff_cli_http_response resp;
	char err[1024], token[FF_CLI_TOKEN_MAX + 1];
	int rc;

	if (ff_policy_validate(&o->spec, err, sizeof err) != 0) {
		fprintf(stderr, "flowfleet policy: %s\n", err);
		return FF_CLI_EUSAGE;
	}
	/* The global --token-file (or $FLOWFLEET_TOKEN) unless this command has its own. */
	if (o->token_file == NULL && ctx->http.bearer != NULL)
		snprintf(token, sizeof token, "%s", ctx->http.bearer);
	else if ((rc = ff_cli_policy_token(o, token, sizeof token)) != FF_CLI_OK)
		return rc;
	json_t *body = ff_cli_policy_body(&o->spec);
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		fprintf(stderr, "flowfleet policy: out of memory\n");
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_http_post(ctx->server, "/api/v1/policy", text, token, &ctx->http, &resp, err,
			      sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "flowfleet: %s\n", err);
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_policy_answer(&resp, o->json);
	ff_cli_http_response_free(&resp);
	return rc;
}

static int ff_cli_policy_get(const struct ff_cli_ctx *ctx, const char *path, const char *member,
			     bool json)
{
	json_t *doc = NULL;
	int rc = ff_cli_api_get(ctx, path, &doc);

	if (rc == FF_CLI_OK)
		rc = ff_cli_policy_print(doc, member, json);
	json_decref(doc);
	return rc;
}

int ff_cli_policy(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_policy_opts o;
	struct ff_cli_ctx c = *ctx;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int rc;

	if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		ff_cli_policy_usage(sub != NULL ? stdout : stderr);
		return sub != NULL ? FF_CLI_OK : FF_CLI_EUSAGE;
	}
	if (strcmp(sub, "set") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "history") != 0)
		return ff_cli_policy_usage_error(
		    "unknown subcommand '%s'; valid: set, show, history", sub);
	rc = ff_cli_policy_parse(argc - 1, argv + 1, &o);
	if (rc != FF_CLI_OK || o.help)
		return rc;
	if (o.server != NULL)
		c.server = o.server;
	if (strcmp(sub, "set") == 0)
		return ff_cli_policy_set(&c, &o);
	if (strcmp(sub, "show") == 0)
		return ff_cli_policy_get(&c, "/api/v1/policy", "policies", o.json);
	return ff_cli_policy_get(&c, "/api/v1/policy/history", "history", o.json);
}
