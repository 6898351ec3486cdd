#ifndef FF_CLI_AGENTS_TRUST_H
#define FF_CLI_AGENTS_TRUST_H

/* `flowfleet agents pending|keys|accept|reject|revoke` (cli_agents_trust.c). */

#include "cli.h"

#include <stdbool.h>

/* True when `word` is one of those subcommands. */
bool ff_cli_agents_trust_sub(const char *word);

/* Runs one; argv[0] is the subcommand. Returns an ff_cli_exit code. */
int ff_cli_agents_trust(const struct ff_cli_ctx *ctx, int argc, char **argv);

#endif
