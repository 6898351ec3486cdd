/*
 * `flowfleet flows`: the raw listing, nfdump's `-c LIMIT -o line|long|csv|json`
 * over the flows the aggregator stored, fetched from GET /api/v1/flows and
 * printed in nfdump 1.7.1's layouts (checked against the Debian build), so a
 * script that reads nfdump's listing reads ours. Rows come ordered by time.
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
#include "ff_flow.h"
#include "cli_format.h"
#include "cli_time.h"
#include "ff_config.h"
#include "ff_time.h"

/* Without -c a listing is a page: nfdump users pipe it, and the store may be huge. */
#define FF_CLI_FLOWS_DEFAULT_LIMIT 1000
/* The server's bound (query_flows.h): -c 0 asks for that many. */
#define FF_CLI_FLOWS_MAX_LIMIT 1000000

enum ff_cli_flows_output { FF_CLI_FLOWS_LINE, FF_CLI_FLOWS_LONG, FF_CLI_FLOWS_CSV, FF_CLI_FLOWS_JSON };

struct ff_cli_flows_opts {
	uint64_t limit;
	bool newest_first;
	const char *agent;
	const char *filter;
	char *filter_words; /* trailing words joined, owned */
	uint64_t since_ms, until_ms;
	enum ff_cli_flows_output output;
	bool plain;
	bool quiet;
	const char *server;
};

/* One listed flow, strings borrowed from the JSON document or from `num`. */
struct ff_cli_flow {
	const char *agent, *src, *dst, *exporter;
	char num[9][24]; /* src_port dst_port proto tcp_flags tos in_if out_if src_as dst_as */
	bool wild[9];
	uint64_t first_ms, last_ms, packets, bytes, flows;
};

enum { FF_F_SPORT, FF_F_DPORT, FF_F_PROTO, FF_F_FLAGS, FF_F_TOS, FF_F_IN, FF_F_OUT, FF_F_SAS, FF_F_DAS };

static const char *const ff_cli_flow_nums[9] = {"src_port", "dst_port", "proto", "tcp_flags", "tos",
						"in_if",    "out_if",	"src_as", "dst_as"};

static void ff_cli_flows_usage(FILE *out)
{
	fprintf(out,
		"Usage: flowfleet [--server URL] flows [-c LIMIT] [-o line|long|csv|json]\n"
		"                 [--agent ID] [--since WHEN] [--until WHEN] [-t WINDOW]\n"
		"                 [--order asc|desc] [-N] [-q] [-f FILTER | FILTER...]\n"
		"\n"
		"The stored flows themselves, ordered by start time, as nfdump lists them.\n"
		"\n"
		"  -c, --count LIMIT       at most LIMIT flows (default %d; 0: up to %d)\n"
		"  -o, --output FORMAT     line (default), long, csv or json, as nfdump -o\n"
		"  -f, --filter FILTER     only flows the filter matches (nfdump's language,\n"
		"                          docs/filters.md); or give it as the last words\n"
		"      --agent ID          only flows collected by this agent\n"
		"      --since WHEN        only flows that start at or after WHEN (as top)\n"
		"      --until WHEN        only flows that end at or before WHEN\n"
		"  -t WINDOW               nfdump's yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss]\n"
		"      --order asc|desc    oldest first (default) or newest first\n"
		"  -N, --plain             plain numbers, not 1.2 M (as nfdump -N)\n"
		"  -q, --quiet             no header and no summary\n"
		"      --server URL        aggregator HTTP API, as the global option\n"
		"  -h, --help              this help\n"
		"\n"
		"Exit status: 0 ok, 1 server or network error, 2 usage error.\n",
		FF_CLI_FLOWS_DEFAULT_LIMIT, FF_CLI_FLOWS_MAX_LIMIT);
}

enum {
	FF_CLI_FLOWS_OPT_AGENT = 256,
	FF_CLI_FLOWS_OPT_SINCE,
	FF_CLI_FLOWS_OPT_UNTIL,
	FF_CLI_FLOWS_OPT_ORDER,
	FF_CLI_FLOWS_OPT_SERVER,
};

static const struct option ff_cli_flows_longopts[] = {
    {"count", required_argument, NULL, 'c'},
    {"output", required_argument, NULL, 'o'},
    {"filter", required_argument, NULL, 'f'},
    {"agent", required_argument, NULL, FF_CLI_FLOWS_OPT_AGENT},
    {"since", required_argument, NULL, FF_CLI_FLOWS_OPT_SINCE},
    {"until", required_argument, NULL, FF_CLI_FLOWS_OPT_UNTIL},
    {"order", required_argument, NULL, FF_CLI_FLOWS_OPT_ORDER},
    {"plain", no_argument, NULL, 'N'},
    {"quiet", no_argument, NULL, 'q'},
    {"server", required_argument, NULL, FF_CLI_FLOWS_OPT_SERVER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_flows_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet flows: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet flows --help'.\n");
	return FF_CLI_EUSAGE;
}

static int ff_cli_flows_set_output(struct ff_cli_flows_opts *o, const char *word)
{
	static const char *const names[] = {"line", "long", "csv", "json"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(word, names[i]) == 0) {
			o->output = (enum ff_cli_flows_output)i;
			return FF_CLI_OK;
		}
	}
	return ff_cli_flows_usage_error("unknown output format '%s'; valid: line, long, csv, json",
					word);
}

static int ff_cli_flows_set_time(struct ff_cli_flows_opts *o, int opt, const char *text)
{
	if (opt == 't') {
		if (ff_cli_time_window(text, &o->since_ms, &o->until_ms) == 0)
			return FF_CLI_OK;
		return ff_cli_flows_usage_error(
		    "-t wants yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss], not '%s'", text);
	}
	uint64_t *dst = opt == FF_CLI_FLOWS_OPT_SINCE ? &o->since_ms : &o->until_ms;
	if (ff_cli_time_parse(text, ff_time_now_ms(), dst) == 0)
		return FF_CLI_OK;
	return ff_cli_flows_usage_error("--since/--until want a duration before now (90s, 1h, "
					"7d), now, or a time such as 2026-11-23T10:00, not '%s'",
					text);
}

static int ff_cli_flows_set_order(struct ff_cli_flows_opts *o, const char *word)
{
	if (strcmp(word, "asc") != 0 && strcmp(word, "desc") != 0)
		return ff_cli_flows_usage_error("--order wants asc or desc, not '%s'", word);
	o->newest_first = strcmp(word, "desc") == 0;
	return FF_CLI_OK;
}

static int ff_cli_flows_option(struct ff_cli_flows_opts *o, int opt, char **argv, bool *help)
{
	switch (opt) {
	case 'c':
		if (ff_parse_uint(optarg, &o->limit) != 0 || o->limit > FF_CLI_FLOWS_MAX_LIMIT)
			return ff_cli_flows_usage_error("-c wants a number of flows up to 1000000 "
							"(0 for the most), not '%s'",
							optarg);
		return FF_CLI_OK;
	case 'o':
		return ff_cli_flows_set_output(o, optarg);
	case 'f':
		o->filter = optarg;
		return FF_CLI_OK;
	case FF_CLI_FLOWS_OPT_AGENT:
		o->agent = optarg;
		return FF_CLI_OK;
	case 't':
	case FF_CLI_FLOWS_OPT_SINCE:
	case FF_CLI_FLOWS_OPT_UNTIL:
		return ff_cli_flows_set_time(o, opt, optarg);
	case FF_CLI_FLOWS_OPT_ORDER:
		return ff_cli_flows_set_order(o, optarg);
	case 'N':
		o->plain = true;
		return FF_CLI_OK;
	case 'q':
		o->quiet = true;
		return FF_CLI_OK;
	case FF_CLI_FLOWS_OPT_SERVER:
		o->server = optarg;
		return FF_CLI_OK;
	case 'h':
		*help = true;
		return FF_CLI_OK;
	case ':':
		return ff_cli_flows_usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return ff_cli_flows_usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

static int ff_cli_flows_trailing_filter(struct ff_cli_flows_opts *o, int argc, char **argv)
{
	if (optind >= argc)
		return FF_CLI_OK;
	if (o->filter != NULL)
		return ff_cli_flows_usage_error("%s", "a filter given twice: -f and trailing words");
	o->filter_words = ff_cli_join_words(argc - optind, argv + optind);
	if (o->filter_words == NULL) {
		fprintf(stderr, "flowfleet flows: out of memory\n");
		return FF_CLI_ESERVER;
	}
	o->filter = o->filter_words;
	return FF_CLI_OK;
}

static int ff_cli_flows_parse(int argc, char **argv, struct ff_cli_flows_opts *o, bool *help)
{
	int opt, rc;

	*o = (struct ff_cli_flows_opts){.limit = FF_CLI_FLOWS_DEFAULT_LIMIT};
	*help = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:o:f:t:Nqh", ff_cli_flows_longopts, NULL)) != -1) {
		rc = ff_cli_flows_option(o, opt, argv, help);
		if (rc != FF_CLI_OK)
			return rc;
	}
	if (*help) {
		ff_cli_flows_usage(stdout);
		return FF_CLI_OK;
	}
	if (o->until_ms != 0 && o->until_ms < o->since_ms)
		return ff_cli_flows_usage_error("%s", "the window ends before it starts");
	return ff_cli_flows_trailing_filter(o, argc, argv);
}

static char *ff_cli_flows_path(const struct ff_cli_flows_opts *o)
{
	char *path = strdup("/api/v1/flows");
	int rc = path != NULL ? 0 : -1;
	if (rc == 0)
		rc = ff_cli_query_add_u64(&path, "limit", o->limit);
	if (rc == 0)
		rc = ff_cli_query_add(&path, "order", o->newest_first ? "desc" : "asc");
	if (rc == 0)
		rc = ff_cli_query_add_scope(&path, o->agent, o->since_ms, o->until_ms, o->filter);
	if (rc != 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* --- reading the answer --------------------------------------------------------- */

static void ff_cli_flow_read(const json_t *j, struct ff_cli_flow *f)
{
	memset(f, 0, sizeof *f);
	f->agent = ff_cli_json_str(j, "agent", "?");
	f->src = ff_cli_json_str(j, "src", "?");
	f->dst = ff_cli_json_str(j, "dst", "?");
	f->exporter = ff_cli_json_str(j, "exporter", "?");
	for (int i = 0; i < 9; i++) {
		const json_t *v = json_object_get(j, ff_cli_flow_nums[i]);
		f->wild[i] = !json_is_integer(v);
		if (f->wild[i])
			snprintf(f->num[i], sizeof f->num[i], "*");
		else
			snprintf(f->num[i], sizeof f->num[i], "%" PRIu64,
				 ff_cli_json_u64(j, ff_cli_flow_nums[i]));
	}
	f->first_ms = ff_cli_json_u64(j, "first_ms");
	f->last_ms = ff_cli_json_u64(j, "last_ms");
	f->packets = ff_cli_json_u64(j, "packets");
	f->bytes = ff_cli_json_u64(j, "bytes");
	f->flows = ff_cli_json_u64(j, "flows");
}

static uint64_t ff_cli_flow_u(const struct ff_cli_flow *f, int i)
{
	return f->wild[i] ? 0 : strtoull(f->num[i], NULL, 10);
}

static bool ff_cli_flow_icmp(const struct ff_cli_flow *f)
{
	uint64_t p = ff_cli_flow_u(f, FF_F_PROTO);
	return !f->wild[FF_F_PROTO] && (p == 1 || p == 58);
}

/* nfdump's TCP flags column: CEUAPRSF, a dot for each flag not set. */
static void ff_cli_flow_flags(const struct ff_cli_flow *f, char out[9])
{
	static const char names[] = "CEUAPRSF";
	uint64_t v = ff_cli_flow_u(f, FF_F_FLAGS);
	if (f->wild[FF_F_FLAGS]) {
		snprintf(out, 9, "%8s", "*");
		return;
	}
	for (int i = 0; i < 8; i++)
		out[i] = v & (0x80u >> i) ? names[i] : '.';
	out[8] = '\0';
}

/* The destination port, or ICMP's "type.code" as nfdump prints it there. */
static void ff_cli_flow_dport(const struct ff_cli_flow *f, char *out, size_t len)
{
	uint64_t v = ff_cli_flow_u(f, FF_F_DPORT);
	if (ff_cli_flow_icmp(f) && !f->wild[FF_F_DPORT])
		snprintf(out, len, "%u.%u", (unsigned)(v >> 8), (unsigned)(v & 0xff));
	else
		snprintf(out, len, "%s", f->num[FF_F_DPORT]);
}

/* --- line and long ------------------------------------------------------------- */

/* "ADDR:PORT" in nfdump's column: address right-aligned in 16, IPv6 condensed with '.'. */
static void ff_cli_flow_endpoint(const char *addr, const char *port, char *out, size_t len)
{
	char a[FF_CLI_NUM_LEN + 24];
	bool v6 = strchr(addr, ':') != NULL;
	ff_cli_condense_v6(a, sizeof a, addr);
	snprintf(out, len, "%16s%c%-5s", a, v6 ? '.' : ':', port);
}

static void ff_cli_flow_print_line(const struct ff_cli_flow *f, bool long_fmt, bool plain)
{
	char first[40], dur[40], src[96], dst[96], dport[24], pk[FF_CLI_NUM_LEN],
	    by[FF_CLI_NUM_LEN], flags[9];
	const char *proto = f->wild[FF_F_PROTO] ? "*" : ff_cli_proto_name(f->num[FF_F_PROTO]);

	ff_cli_fmt_time(first, sizeof first, f->first_ms, true);
	ff_cli_fmt_duration(dur, sizeof dur, f->last_ms > f->first_ms ? f->last_ms - f->first_ms : 0);
	ff_cli_flow_dport(f, dport, sizeof dport);
	ff_cli_flow_endpoint(f->src, f->num[FF_F_SPORT], src, sizeof src);
	ff_cli_flow_endpoint(f->dst, dport, dst, sizeof dst);
	ff_cli_fmt_number(pk, sizeof pk, f->packets, true, plain);
	ff_cli_fmt_number(by, sizeof by, f->bytes, true, plain);
	printf("%s %s %-5s %s -> %s ", first, dur, proto, src, dst);
	if (long_fmt) {
		ff_cli_flow_flags(f, flags);
		printf("%s %3s ", flags, f->num[FF_F_TOS]);
	}
	printf("%8s %8s %5" PRIu64 "\n", pk, by, f->flows);
}

static void ff_cli_flows_totals(const struct ff_cli_flow *rows, size_t n,
				struct ff_cli_top_total *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		ff_counter_add(&t->flows, rows[i].flows);
		ff_counter_add(&t->packets, rows[i].packets);
		ff_counter_add(&t->bytes, rows[i].bytes);
		if (i == 0 || rows[i].first_ms < t->first_ms)
			t->first_ms = rows[i].first_ms;
		if (rows[i].last_ms > t->last_ms)
			t->last_ms = rows[i].last_ms;
	}
}

static void ff_cli_flows_print_lines(const struct ff_cli_flows_opts *o,
				     const struct ff_cli_flow *rows, size_t n, uint64_t matched)
{
	bool long_fmt = o->output == FF_CLI_FLOWS_LONG;
	struct ff_cli_top_total t;
	char line[512], a[40], b[40];

	if (!o->quiet)
		printf("Date first seen             Duration     Proto      Src IP Addr:Port      "
		       "    Dst IP Addr:Port %s  Packets    Bytes Flows\n",
		       long_fmt ? "    Flags Tos" : "");
	for (size_t i = 0; i < n; i++)
		ff_cli_flow_print_line(&rows[i], long_fmt, o->plain);
	if (o->quiet)
		return;
	ff_cli_flows_totals(rows, n, &t);
	ff_cli_table_summary(line, sizeof line, &t, o->plain);
	fputs(line, stdout);
	ff_cli_fmt_time(a, sizeof a, t.first_ms, false);
	ff_cli_fmt_time(b, sizeof b, t.last_ms, false);
	printf("Time window: %s - %s\n", n ? a : "<unknown>", n ? b : "<unknown>");
	printf("Total flows matched: %" PRIu64 ", shown: %zu\n", matched, n);
}

/* --- csv ---------------------------------------------------------------------- */

/*
 * nfdump 1.7.1's csv columns, all of them, so scripts index them alike.
 * Columns flowfleet does not keep (masks, next hops, VLANs, MACs, MPLS,
 * latencies, the receive time) hold nfdump's own "not present" values.
 */
static const char ff_cli_flows_csv_header[] =
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,"
    "mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n";

static void ff_cli_flow_print_csv(const struct ff_cli_flow *f)
{
	char ts[40], te[40], flags[9];
	ff_cli_fmt_time(ts, sizeof ts, f->first_ms, false);
	ff_cli_fmt_time(te, sizeof te, f->last_ms, false);
	ff_cli_flow_flags(f, flags);
	printf("%s,%s,%.3f,%s,%s,%s,%s,%s,%s,0,%s,%" PRIu64 ",%" PRIu64 ",0,0,%s,%s,%s,%s,"
	       "0,0,0,0,0.0.0.0,0.0.0.0,0,0,",
	       ts, te, (double)(f->last_ms > f->first_ms ? f->last_ms - f->first_ms : 0) / 1000.0,
	       f->src, f->dst, f->num[FF_F_SPORT], f->num[FF_F_DPORT],
	       f->wild[FF_F_PROTO] ? "*" : ff_cli_proto_name(f->num[FF_F_PROTO]), flags,
	       f->num[FF_F_TOS], f->packets, f->bytes, f->num[FF_F_IN], f->num[FF_F_OUT],
	       f->num[FF_F_SAS], f->num[FF_F_DAS]);
	for (int i = 0; i < 4; i++)
		printf("00:00:00:00:00:00,");
	for (int i = 0; i < 10; i++)
		printf("0-0-0,");
	printf("    0.000,    0.000,    0.000,%s,0/0,0,1970-01-01 00:00:00.000\n", f->exporter);
}

static void ff_cli_flows_print_csv(const struct ff_cli_flows_opts *o,
				   const struct ff_cli_flow *rows, size_t n)
{
	struct ff_cli_top_total t;
	uint64_t pps, bps, bpp;

	fputs(ff_cli_flows_csv_header, stdout);
	for (size_t i = 0; i < n; i++)
		ff_cli_flow_print_csv(&rows[i]);
	if (o->quiet)
		return;
	ff_cli_flows_totals(rows, n, &t);
	ff_cli_rates(t.packets, t.bytes, t.last_ms > t.first_ms ? t.last_ms - t.first_ms : 0, &pps,
		     &bps, &bpp);
	printf("Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n%" PRIu64 ",%" PRIu64
	       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
	       t.flows, t.bytes, t.packets, bps, pps, bpp);
}

/* --- json --------------------------------------------------------------------- */

static void ff_cli_flow_json_time(json_t *obj, const char *name, uint64_t ms)
{
	char text[40];
	ff_cli_fmt_time(text, sizeof text, ms, true);
	text[10] = 'T'; /* nfdump's ISO 8601 form: 2026-11-23T20:15:19.720 */
	json_object_set_new(obj, name, json_string(text));
}

/* An address under nfdump's family-specific name; wildcards leave it out, as nfdump does. */
static void ff_cli_flow_json_addr(json_t *obj, const char *v4_name, const char *v6_name,
				  const char *addr)
{
	if (strcmp(addr, "*") != 0)
		json_object_set_new(obj, strchr(addr, ':') ? v6_name : v4_name, json_string(addr));
}

static void ff_cli_flow_json_num(json_t *obj, const char *name, const struct ff_cli_flow *f,
				 int i)
{
	if (!f->wild[i])
		json_object_set_new(obj, name, json_integer((json_int_t)ff_cli_flow_u(f, i)));
}

static void ff_cli_flow_json_ports(json_t *obj, const struct ff_cli_flow *f)
{
	char flags[9];
	if (ff_cli_flow_icmp(f) && !f->wild[FF_F_DPORT]) {
		uint64_t v = ff_cli_flow_u(f, FF_F_DPORT);
		json_object_set_new(obj, "icmp_type", json_integer((json_int_t)(v >> 8)));
		json_object_set_new(obj, "icmp_code", json_integer((json_int_t)(v & 0xff)));
		return;
	}
	ff_cli_flow_flags(f, flags);
	if (!f->wild[FF_F_FLAGS])
		json_object_set_new(obj, "tcp_flags", json_string(flags));
	ff_cli_flow_json_num(obj, "src_port", f, FF_F_SPORT);
	ff_cli_flow_json_num(obj, "dst_port", f, FF_F_DPORT);
}

/* nfdump's -o json record, in its key order, plus flowfleet's flows and agent. */
static json_t *ff_cli_flow_json(const struct ff_cli_flow *f)
{
	json_t *obj = json_object();
	if (obj == NULL)
		return NULL;
	json_object_set_new(obj, "type", json_string("FLOW"));
	ff_cli_flow_json_time(obj, "first", f->first_ms);
	ff_cli_flow_json_time(obj, "last", f->last_ms);
	json_object_set_new(obj, "in_packets", json_integer((json_int_t)f->packets));
	json_object_set_new(obj, "in_bytes", json_integer((json_int_t)f->bytes));
	ff_cli_flow_json_num(obj, "proto", f, FF_F_PROTO);
	ff_cli_flow_json_ports(obj, f);
	ff_cli_flow_json_num(obj, "src_tos", f, FF_F_TOS);
	ff_cli_flow_json_addr(obj, "src4_addr", "src6_addr", f->src);
	ff_cli_flow_json_addr(obj, "dst4_addr", "dst6_addr", f->dst);
	ff_cli_flow_json_num(obj, "input_snmp", f, FF_F_IN);
	ff_cli_flow_json_num(obj, "output_snmp", f, FF_F_OUT);
	ff_cli_flow_json_num(obj, "src_as", f, FF_F_SAS);
	ff_cli_flow_json_num(obj, "dst_as", f, FF_F_DAS);
	ff_cli_flow_json_addr(obj, "ip4_router", "ip6_router", f->exporter);
	json_object_set_new(obj, "flows", json_integer((json_int_t)f->flows));
	json_object_set_new(obj, "agent", json_string(f->agent));
	return obj;
}

static int ff_cli_flows_print_json(const struct ff_cli_flow *rows, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, ff_cli_flow_json(&rows[i]));
	int rc = arr != NULL ? json_dumpf(arr, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : -1;
	json_decref(arr);
	if (rc != 0) {
		fprintf(stderr, "flowfleet flows: out of memory printing JSON\n");
		return FF_CLI_ESERVER;
	}
	printf("\n");
	return FF_CLI_OK;
}

/* --- the command ----------------------------------------------------------------- */

static int ff_cli_flows_print(const struct ff_cli_flows_opts *o, const json_t *doc)
{
	const json_t *rows = json_object_get(doc, "rows");
	if (!json_is_array(rows)) {
		fprintf(stderr, "flowfleet flows: the server's answer has no 'rows' array\n");
		return FF_CLI_ESERVER;
	}
	size_t n = json_array_size(rows);
	struct ff_cli_flow *f = calloc(n ? n : 1, sizeof *f);
	if (f == NULL) {
		fprintf(stderr, "flowfleet flows: out of memory for %zu flows\n", n);
		return FF_CLI_ESERVER;
	}
	for (size_t i = 0; i < n; i++)
		ff_cli_flow_read(json_array_get(rows, i), &f[i]);
	int rc = FF_CLI_OK;
	if (o->output == FF_CLI_FLOWS_JSON)
		rc = ff_cli_flows_print_json(f, n);
	else if (o->output == FF_CLI_FLOWS_CSV)
		ff_cli_flows_print_csv(o, f, n);
	else
		ff_cli_flows_print_lines(o, f, n, ff_cli_json_u64(doc, "matched"));
	free(f);
	return rc;
}

int ff_cli_flows(const struct ff_cli_ctx *ctx, int argc, char **argv)
{
	struct ff_cli_flows_opts o;
	struct ff_cli_ctx c = *ctx;
	json_t *doc = NULL;
	char *path = NULL;
	bool help;

	int rc = ff_cli_flows_parse(argc, argv, &o, &help);
	if (rc == FF_CLI_OK && !help) {
		path = ff_cli_flows_path(&o);
		if (path == NULL) {
			fprintf(stderr, "flowfleet flows: out of memory building the request\n");
			rc = FF_CLI_ESERVER;
		}
	}
	if (path != NULL) {
		if (o.server != NULL)
			c.server = o.server;
		rc = ff_cli_api_get(&c, path, &doc);
		if (rc == FF_CLI_OK)
			rc = ff_cli_flows_print(&o, doc);
	}
	json_decref(doc);
	free(path);
	free(o.filter_words);
	return rc;
}
