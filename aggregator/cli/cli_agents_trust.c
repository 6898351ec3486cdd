/*
 * `flowfleet agents pending|keys|accept|reject|revoke`: the agent keys the
 * aggregator trusts (docs/security.md), over /api/v1/agents/{pending,keys}
 * and POST /api/v1/agents/{accept,reject,revoke} with the API token.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_agents_trust.h"
#include "cli_api.h"
#include "cli_format.h"
#include "ff_time.h"

/* A token file holds one line; a longer one is not a token file. */
#define FF_CLI_TRUST_TOKEN_MAX 256

struct ff_cli_trust_opts {
	bool json, help;
	const char *server, *token_file, *why, *which;
};

static void ff_cli_trust_usage(FILE *out)
{
	fprintf(out,
		"Usage: flowfleet agents pending [-o table|json]\n"
		"       flowfleet agents keys [-o table|json]\n"
		"       flowfleet agents accept|reject|revoke ID|FINGERPRINT [--why TEXT]\n"
		"                                [--token-file FILE]\n"
		"\n"
		"The agent keys the aggregator trusts (CurveZMQ; docs/security.md).\n"
		"  pending  keys that connected but were never accepted: the agent id, host,\n"
		"           labels and address they claim, their fingerprint, and why they\n"
		"           wait ('unknown key', 'id conflict', 'bad token', 'expired token')\n"
		"  keys     every accepted, rejected or revoked key and since when\n"
		"  accept   admit a pending key (bound to the agent id it claims) or accept a\n"
		"           rejected or revoked key again; its kept batches then arrive\n"
		"  reject   refuse a pending key (or an accepted one) from now on\n"
		"  revoke   refuse an accepted key from now on; its connection is cut\n"
		"An agent id names the key when one key alone matches it; a fingerprint\n"
		"(16 hex digits, as 'pending' shows and the agent logs) always does.\n"
		"\n"
		"  -o, --output FORMAT  table (default) or json\n"
		"      --why TEXT       the reason, kept in the allow-list's history\n"
		"      --token-file FILE  the aggregator's DATA_DIR/api.token (default:\n"
		"                       $FLOWFLEET_TOKEN holds the token itself)\n"
		"      --server URL     aggregator HTTP API, as the global option\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 ok, 1 server or network error, 2 usage error or refused\n"
		"(no such key, ambiguous id, id bound to another key, bad token).\n");
}

static int ff_cli_trust_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet agents: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet agents --help'.\n");
	return FF_CLI_EUSAGE;
}

enum { FF_CLI_TRUST_WHY = 256, FF_CLI_TRUST_TOKEN_FILE };

static const struct option ff_cli_trust_longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"server", required_argument, NULL, 'S'},
    {"why", required_argument, NULL, FF_CLI_TRUST_WHY},
    {"token-file", required_argument, NULL, FF_CLI_TRUST_TOKEN_FILE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_trust_option(struct ff_cli_trust_opts *o, int opt, char **argv)
{
	if (opt == 'S')
		o->server = optarg;
	else if (opt == FF_CLI_TRUST_WHY)
		o->why = optarg;
	else if (opt == FF_CLI_TRUST_TOKEN_FILE)
		o->token_file = optarg;
	else if (opt == 'h')
		o->help = true;
	else if (opt == 'o' && strcmp(optarg, "json") == 0)
		o->json = true;
	else if (opt == 'o' && strcmp(optarg, "table") == 0)
		o->json = false;
	else if (opt == 'o')
		return ff_cli_trust_usage_error("unknown output format '%s'; valid: table, json",
						optarg);
	else if (opt == ':')
		return ff_cli_trust_usage_error("option '%s' needs a value", argv[optind - 1]);
	else
		return ff_cli_trust_usage_error("unknown option '%s'", argv[optind - 1]);
	return FF_CLI_OK;
}

/* argv[0] is the subcommand; a decision wants exactly one ID|FINGERPRINT. */
static int ff_cli_trust_parse(int argc, char **argv, bool decision, struct ff_cli_trust_opts *o)
{
	int opt, rc;
	*o = (struct ff_cli_trust_opts){.why = ""};
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:hS:", ff_cli_trust_longopts, NULL)) != -1)
		if ((rc = ff_cli_trust_option(o, opt, argv)) != FF_CLI_OK)
			return rc;
	if (o->help) {
		ff_cli_trust_usage(stdout);
		return FF_CLI_OK;
	}
	if (decision && optind >= argc)
		return ff_cli_trust_usage_error("%s needs the agent's ID or key FINGERPRINT",
						argv[0]);
	if (decision)
		o->which = argv[optind++];
	if (optind < argc)
		return ff_cli_trust_usage_error("unexpected argument '%s'", argv[optind]);
	return FF_CLI_OK;
}

/* The token: from --token-file when given, else $FLOWFLEET_TOKEN. */
static int ff_cli_trust_token(const struct ff_cli_trust_opts *o, char *out, size_t len)
{
	const char *env = getenv("FLOWFLEET_TOKEN");
	if (o->token_file == NULL) {
		if (env == NULL || env[0] == '\0') {
			fprintf(stderr,
				"flowfleet agents: deciding on a key needs the aggregator's "
				"token: set FLOWFLEET_TOKEN or give --token-file "
				"DATA_DIR/api.token\n");
			return FF_CLI_EUSAGE;
		}
		snprintf(out, len, "%s", env);
		return FF_CLI_OK;
	}
	FILE *f = fopen(o->token_file, "r");
	if (f == NULL || fgets(out, (int)len, f) == NULL) {
		fprintf(stderr, "flowfleet agents: cannot read the token file %s\n", o->token_file);
		if (f != NULL)
			fclose(f);
		return FF_CLI_EUSAGE;
	}
	fclose(f);
	out[strcspn(out, " \t\r\n")] = '\0';
	return FF_CLI_OK;
}

static void ff_cli_trust_age(char *buf, size_t len, uint64_t seen_ms, uint64_t now_ms)
{
	char age[FF_CLI_NUM_LEN];
	ff_cli_fmt_age(age, sizeof age, now_ms > seen_ms ? now_ms - seen_ms : 0);
	snprintf(buf, len, "%s", seen_ms != 0 ? age : "never");
}

static int ff_cli_trust_print_pending(const json_t *doc)
{
	const json_t *list = json_object_get(doc, "pending");
	uint64_t now = json_object_get(doc, "now_ms") != NULL ? ff_cli_json_u64(doc, "now_ms")
							      : ff_time_now_ms();
	size_t i;
	json_t *p;
	if (!json_is_array(list)) {
		fprintf(stderr, "flowfleet agents: the server's answer has no 'pending' array\n");
		return FF_CLI_ESERVER;
	}
	if (strcmp(ff_cli_json_str(doc, "transport", ""), "insecure-plaintext") == 0)
		printf("the aggregator runs with --insecure-plaintext: agents have no keys\n");
	else if (json_array_size(list) == 0)
		printf("no pending keys\n");
	else
		printf("%-16s  %-24s  %-20s  %-16s  %-9s  %8s  %s\n", "FINGERPRINT", "AGENT ID",
		       "HOST", "ADDRESS", "LAST SEEN", "MESSAGES", "WHY PENDING");
	json_array_foreach(list, i, p)
	{
		char age[FF_CLI_NUM_LEN];
		ff_cli_trust_age(age, sizeof age, ff_cli_json_u64(p, "last_seen_ms"), now);
		printf("%-16s  %-24s  %-20s  %-16s  %-9s  %8" PRIu64 "  %s\n",
		       ff_cli_json_str(p, "fingerprint", "?"), ff_cli_json_str(p, "agent_id", "?"),
		       ff_cli_json_str(p, "hostname", "-"), ff_cli_json_str(p, "address", "-"), age,
		       ff_cli_json_u64(p, "count"), ff_cli_json_str(p, "reason", "?"));
	}
	return FF_CLI_OK;
}

static int ff_cli_trust_print_keys(const json_t *doc)
{
	const json_t *list = json_object_get(doc, "keys");
	size_t i;
	json_t *k;
	if (!json_is_array(list)) {
		fprintf(stderr, "flowfleet agents: the server's answer has no 'keys' array\n");
		return FF_CLI_ESERVER;
	}
	if (json_array_size(list) == 0)
		printf("no key accepted, rejected or revoked yet\n");
	else
		printf("%-16s  %-24s  %-8s  %-19s  %s\n", "FINGERPRINT", "AGENT ID", "STATE",
		       "SINCE (UTC)", "BY, WHY");
	json_array_foreach(list, i, k)
	{
		char when[FF_CLI_NUM_LEN];
		const char *why = ff_cli_json_str(k, "why", "");
		ff_cli_fmt_time(when, sizeof when, ff_cli_json_u64(k, "since_ms"), false);
		printf("%-16s  %-24s  %-8s  %-19s  %s%s%s\n",
		       ff_cli_json_str(k, "fingerprint", "?"), ff_cli_json_str(k, "agent_id", "?"),
		       ff_cli_json_str(k, "state", "?"), when, ff_cli_json_str(k, "by", ""),
		       why[0] ? ": " : "", why);
	}
	return FF_CLI_OK;
}

static int ff_cli_trust_list(const struct ff_cli_ctx *ctx, const char *sub,
			     const struct ff_cli_trust_opts *o)
{
	bool pending = strcmp(sub, "pending") == 0;
	json_t *doc = NULL;
	int rc =
	    ff_cli_api_get(ctx, pending ? "/api/v1/agents/pending" : "/api/v1/agents/keys", &doc);
	if (rc == FF_CLI_OK && o->json)
		rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
	else if (rc == FF_CLI_OK)
		rc = pending ? ff_cli_trust_print_pending(doc) : ff_cli_trust_print_keys(doc);
	json_decref(doc);
	return rc;
}

/* The server's answer to a decision as an exit code and a message. */
static int ff_cli_trust_answer(const char *sub, const struct ff_cli_http_response *resp, bool json)
{
	json_t *doc = ff_cli_json_parse(resp->body, resp->body_len, NULL);
	const json_t *k = json_object_get(doc, "key");
	int rc = FF_CLI_OK;
	if (resp->status == 200 && json_is_object(k)) {
		if (json)
			rc = ff_cli_json_print(doc) == 0 ? FF_CLI_OK : FF_CLI_ESERVER;
		else
			printf("key %s of agent %s is %s\n", ff_cli_json_str(k, "fingerprint", "?"),
			       ff_cli_json_str(k, "agent_id", "?"),
			       ff_cli_json_str(k, "state", "?"));
	} else {
		fprintf(stderr, "flowfleet agents %s: server refused (HTTP %d): %s\n", sub,
			resp->status, ff_cli_json_str(doc, "error", "no reason given"));
		rc = resp->status >= 400 && resp->status < 500 ? FF_CLI_EUSAGE : FF_CLI_ESERVER;
	}
	json_decref(doc);
	return rc;
}

static int ff_cli_trust_decide(const struct ff_cli_ctx *ctx, const char *sub,
			       const struct ff_cli_trust_opts *o)
{
	char token[FF_CLI_TRUST_TOKEN_MAX + 1], path[64], err[1024];
	struct ff_cli_http_response resp;
	int rc = ff_cli_trust_token(o, token, sizeof token);
	if (rc != FF_CLI_OK)
		return rc;
	json_t *body = json_pack("{s:s, s:s}", "agent", o->which, "why", o->why);
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		fprintf(stderr, "flowfleet agents: out of memory\n");
		return FF_CLI_ESERVER;
	}
	snprintf(path, sizeof path, "/api/v1/agents/%s", sub);
	rc = ff_cli_http_post(ctx->server, path, text, token, &ctx->http, &resp, err, sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "flowfleet: %s\n", err);
		return FF_CLI_ESERVER;
	}
	rc = ff_cli_trust_answer(sub, &resp, o->json);
	ff_cli_http_response_free(&resp);
	return rc;
}

bool ff_cli_agents_trust_sub(const char *word)
{
	static const char *const subs[] = {"pending", "keys", "accept", "reject", "revoke"};
	for (size_t i = 0; word != NULL && i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(word, subs[i]) == 0)
			return true;
	return false;
}

int ff_cli_agents_trust(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_trust_opts o;
	struct ff_cli_ctx c = *ctx;
	const char *sub = argv[0];
	bool decision = strcmp(sub, "pending") != 0 && strcmp(sub, "keys") != 0;
	int rc = ff_cli_trust_parse(argc, argv, decision, &o);
	if (rc != FF_CLI_OK || o.help)
		return rc;
	if (o.server != NULL)
		c.server = o.server;
	return decision ? ff_cli_trust_decide(&c, sub, &o) : ff_cli_trust_list(&c, sub, &o);
}
