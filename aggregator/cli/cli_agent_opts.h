#ifndef FF_CLI_AGENT_OPTS_H
#define FF_CLI_AGENT_OPTS_H

/*
 * The options of the CLI's per-agent listings (`flowfleet exporters`,
 * `flowfleet interfaces`): -a/--agent ID, -o/--output table|json,
 * --server URL, -h/--help. One parser, so both refuse the same mistakes
 * with the same words.
 */

#include <stdbool.h>
#include <stdio.h>

struct ff_cli_agent_opts {
	bool json;
	const char *agent;  /* NULL: every agent */
	const char *server; /* --server given after the command */
};

/*
 * Parses argv into *o for command `cmd` ("exporters"); prints `usage` for
 * --help (*help set). Returns FF_CLI_OK or FF_CLI_EUSAGE with the mistake
 * on stderr.
 */
int ff_cli_agent_opts_parse(const char *cmd, void (*usage)(FILE *), int argc, char **argv,
			    struct ff_cli_agent_opts *o, bool *help);

#endif
