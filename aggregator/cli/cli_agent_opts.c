#include "cli_agent_opts.h"

#include "cli.h"
#include "ff_batch.h"

#include <getopt.h>
#include <string.h>

static const struct option ff_cli_agent_longopts[] = {
    {"agent", required_argument, NULL, 'a'},
    {"output", required_argument, NULL, 'o'},
    {"server", required_argument, NULL, 'S'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ff_cli_agent_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "flowfleet %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'flowfleet %s --help'.\n", cmd);
	return FF_CLI_EUSAGE;
}

static int ff_cli_agent_option(const char *cmd, struct ff_cli_agent_opts *o, int opt,
			       const char *arg, bool *help)
{
	if (opt == 'a' && !ff_agent_id_valid(arg))
		return ff_cli_agent_usage_error(cmd, "'%s' is not an agent id", arg);
	if (opt == 'a')
		o->agent = arg;
	else if (opt == 'S')
		o->server = arg;
	else if (opt == 'h')
		*help = true;
	else if (opt == 'o' && strcmp(arg, "json") == 0)
		o->json = true;
	else if (opt == 'o' && strcmp(arg, "table") != 0)
		return ff_cli_agent_usage_error(
		    cmd, "unknown output format '%s'; valid: table, json", arg);
	return FF_CLI_OK;
}

int ff_cli_agent_opts_parse(const char *cmd, void (*usage)(FILE *), int argc, char **argv,
			    struct ff_cli_agent_opts *o, bool *help)
{
	int opt, rc;

	*o = (struct ff_cli_agent_opts){0};
	*help = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":a:o:hS:", ff_cli_agent_longopts, NULL)) != -1) {
		if (opt == ':')
			return ff_cli_agent_usage_error(cmd, "option '%s' needs a value",
							argv[optind - 1]);
		if (opt == '?')
			return ff_cli_agent_usage_error(cmd, "unknown option '%s'",
							argv[optind - 1]);
		if ((rc = ff_cli_agent_option(cmd, o, opt, optarg, help)) != FF_CLI_OK)
			return rc;
	}
	if (*help)
		usage(stdout);
	else if (optind < argc)
		return ff_cli_agent_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return FF_CLI_OK;
}
