#ifndef FF_CONFIG_H
#define FF_CONFIG_H

/*
 * Declarative configuration shared by the daemons and the CLI: a program
 * describes its settings once, as a table of ff_option (name, type, bounds,
 * default, target field, validate hook, help), and gets from it the config
 * file parser (INI `key = value` lines, via libinih), the long command-line
 * options (getopt_long), defaults and --help. A flag overrides the file.
 *
 * A bad value is refused with the file, line and key (or the flag) named,
 * never clamped: a duration or size without its unit, a value outside the
 * option's bounds (the message gives them), a key set twice in one file
 * (both lines named; list options are meant to repeat). Strings and lists stored into the target struct are owned
 * by it and freed by ff_config_free().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ff_opt_type {
	FF_OPT_STRING,	 /* char *, strdup'd */
	FF_OPT_UINT,	 /* uint64_t within [min, max] */
	FF_OPT_BOOL,	 /* bool: true/false/yes/no/on/off/1/0; a flag without value sets true */
	FF_OPT_DURATION, /* uint64_t milliseconds: "10s", "500ms", "5m", "2h", "7d" (a unit always) */
	FF_OPT_SIZE,	 /* uint64_t bytes: "4096B", "64k", "256M", "2G" (a unit always) */
	FF_OPT_LIST,	 /* ff_strlist, one entry per occurrence */
};

/* A repeatable string option, e.g. --label or --listen-udp. */
typedef struct ff_strlist {
	char **v;
	size_t n;
} ff_strlist;

typedef struct ff_option {
	const char *name; /* config key and long option, e.g. "state-dir" */
	char short_opt;	  /* optional single-letter flag, 0 for none */
	enum ff_opt_type type;
	size_t offset; /* of the field in the target struct */
	const char *defval; /* default as text, NULL for none */
	uint64_t min, max;  /* bounds for UINT/DURATION/SIZE; max 0 means no bound */
	/* Optional extra check of the text value; writes a reason and returns -1 to refuse. */
	int (*validate)(const char *value, char *err, size_t err_len);
	const char *metavar; /* e.g. "DIR"; NULL for BOOL */
	const char *help;
} ff_option;

typedef struct ff_config_table {
	const char *program; /* e.g. "flowfleet-agent", for --version and --help */
	const ff_option *opts;
	size_t n_opts;
	const char *synopsis; /* usage line after the program name */
	const char *description;
} ff_config_table;

enum ff_config_result {
	FF_CONFIG_OK = 0,
	FF_CONFIG_EXIT = 1, /* --help or --version was printed: exit 0 */
	FF_CONFIG_ERROR = -1,
};

/*
 * Fills `target` from defaults, then the file named by -c/--config (if any),
 * then the command line. Non-option arguments are left in argv from
 * *first_arg on (it is set to argc when there are none). On error writes the
 * message (file:line: key ... / option ...) into `err`.
 */
int ff_config_load(const ff_config_table *t, void *target, int argc, char **argv,
		   int *first_arg, char *err, size_t err_len);

/* Frees the strings and lists stored in `target`. */
void ff_config_free(const ff_config_table *t, void *target);

/* Parsers behind the types, exposed for other command-line words. */
int ff_parse_duration_ms(const char *text, uint64_t *out);
int ff_parse_size(const char *text, uint64_t *out);
int ff_parse_uint(const char *text, uint64_t *out);

/* Appends a copy of `s` to the list; returns 0 or -1 when out of memory. */
int ff_strlist_add(ff_strlist *l, const char *s);
void ff_strlist_clear(ff_strlist *l);

#endif
