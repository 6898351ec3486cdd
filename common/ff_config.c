#include "ff_config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FF_CONFIG_OPT_BASE 256

int ff_strlist_add(ff_strlist *l, const char *s)
{
	char *copy = strdup(s);
	char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (copy == NULL || v == NULL) {
		free(copy);
		if (v != NULL)
			l->v = v;
		return -1;
	}
	v[l->n++] = copy;
	l->v = v;
	return 0;
}

void ff_strlist_clear(ff_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int ff_parse_uint(const char *text, uint64_t *out)
{
	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Splits "123unit" into the number and the unit; the number must not overflow. */
static int ff_parse_scaled(const char *text, uint64_t *num, const char **unit)
{
	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	*num = v;
	*unit = end;
	return 0;
}

static int ff_mul_checked(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int ff_parse_duration_ms(const char *text, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"", 1000},	  {"s", 1000},	       {"ms", 1},
		     {"m", 60 * 1000},	  {"h", 3600 * 1000},  {"d", 86400ull * 1000},
		     {"w", 7 * 86400ull * 1000}};
	uint64_t n;
	const char *unit;
	if (ff_parse_scaled(text, &n, &unit) != 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(unit, units[i].unit) == 0)
			return ff_mul_checked(n, units[i].ms, out);
	}
	return -1;
}

int ff_parse_size(const char *text, uint64_t *out)
{
	uint64_t n;
	const char *unit;
	if (ff_parse_scaled(text, &n, &unit) != 0)
		return -1;
	uint64_t mult;
	if (unit[0] == '\0' || strcmp(unit, "B") == 0 || strcmp(unit, "b") == 0)
		mult = 1;
	else if (strcasecmp(unit, "k") == 0)
		mult = 1ull << 10;
	else if (strcasecmp(unit, "m") == 0)
		mult = 1ull << 20;
	else if (strcasecmp(unit, "g") == 0)
		mult = 1ull << 30;
	else if (strcasecmp(unit, "t") == 0)
		mult = 1ull << 40;
	else
		return -1;
	return ff_mul_checked(n, mult, out);
}

static int ff_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const ff_option *ff_config_find(const ff_config_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_opts; i++) {
		if (strcmp(t->opts[i].name, name) == 0)
			return &t->opts[i];
	}
	return NULL;
}

static int ff_config_fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ff_config_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return FF_CONFIG_ERROR;
}

/* True for a value of digits only (but 0): a duration or size that forgot its unit. */
static bool ff_config_bare_number(const char *value)
{
	/* 0 is 0 in every unit ("0 keeps all", "0 for no bound"). */
	if (*value == '\0' || strcmp(value, "0") == 0)
		return false;
	for (const char *p = value; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* A duration bound as text in the largest unit that divides it (ms, s, m, h, d). */
static void ff_config_format_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"d", 86400000ull}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (ms % units[i].ms == 0 || units[i].ms == 1) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ms / units[i].ms),
				 units[i].unit);
			return;
		}
}

/* A size bound as text in the largest binary unit that divides it (B, k, M, G, T). */
static void ff_config_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"T", "G", "M", "k"};
	for (int i = 0; i < 4; i++) {
		uint64_t m = 1ull << (10 * (4 - i));
		if (bytes != 0 && bytes % m == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(bytes / m), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%lluB", (unsigned long long)bytes);
}

static void ff_config_format_bound(const ff_option *o, uint64_t v, char *buf, size_t len)
{
	if (o->type == FF_OPT_DURATION)
		ff_config_format_duration(v, buf, len);
	else if (o->type == FF_OPT_SIZE)
		ff_config_format_size(v, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int ff_config_range_error(const ff_option *o, const char *value, uint64_t v, char *err,
				 size_t err_len)
{
	char lo[32], hi[32];
	ff_config_format_bound(o, o->min, lo, sizeof lo);
	ff_config_format_bound(o, o->max, hi, sizeof hi);
	if (v < o->min && o->max == 0)
		return ff_config_fail(err, err_len, "'%s' is out of range: at least %s", value, lo);
	return ff_config_fail(err, err_len, "'%s' is out of range: %s to %s", value, lo, hi);
}

/*
 * A bare number is refused for durations and sizes: "--max-disk 50" meant
 * 50 gigabytes to its writer and 50 bytes to the parser, and deleted every
 * segment as soon as it was sealed. The message shows how to write it.
 */
static int ff_config_unit_error(const ff_option *o, const char *value, char *err, size_t err_len)
{
	if (o->type == FF_OPT_DURATION)
		return ff_config_fail(err, err_len,
				      "'%s' has no unit: write %ss, %sm, %sh or %sd "
				      "(%sms for milliseconds)",
				      value, value, value, value, value, value);
	return ff_config_fail(err, err_len,
			      "'%s' has no unit: write %sG, %sM or %sk (%sB for bytes)", value,
			      value, value, value, value);
}

static int ff_config_set_number(const ff_option *o, void *field, const char *value, char *err,
				size_t err_len)
{
	static const char *const what[] = {
		[FF_OPT_UINT] = "a non-negative integer",
		[FF_OPT_DURATION] = "a duration such as 10s, 500ms, 5m, 2h or 7d",
		[FF_OPT_SIZE] = "a size such as 64k, 256M, 2G or 4096B",
	};
	if (o->type != FF_OPT_UINT && ff_config_bare_number(value))
		return ff_config_unit_error(o, value, err, err_len);
	uint64_t v;
	int rc = o->type == FF_OPT_UINT	      ? ff_parse_uint(value, &v)
		 : o->type == FF_OPT_DURATION ? ff_parse_duration_ms(value, &v)
					      : ff_parse_size(value, &v);
	if (rc != 0)
		return ff_config_fail(err, err_len, "'%s' is not %s", value, what[o->type]);
	if (v < o->min || (o->max != 0 && v > o->max))
		return ff_config_range_error(o, value, v, err, err_len);
	memcpy(field, &v, sizeof v);
	return FF_CONFIG_OK;
}

static int ff_config_set_opt(const ff_option *o, void *target, const char *value, char *err,
			     size_t err_len)
{
	void *field = (char *)target + o->offset;
	if (o->validate != NULL && o->validate(value, err, err_len) != 0)
		return FF_CONFIG_ERROR;
	switch (o->type) {
	case FF_OPT_STRING: {
		char *copy = strdup(value);
		if (copy == NULL)
			return ff_config_fail(err, err_len, "out of memory");
		char **slot = field;
		free(*slot);
		*slot = copy;
		return FF_CONFIG_OK;
	}
	case FF_OPT_BOOL:
		if (ff_parse_bool(value, field) != 0)
			return ff_config_fail(err, err_len, "'%s' is not a boolean (true/false)",
					      value);
		return FF_CONFIG_OK;
	case FF_OPT_LIST:
		if (ff_strlist_add(field, value) != 0)
			return ff_config_fail(err, err_len, "out of memory");
		return FF_CONFIG_OK;
	default:
		return ff_config_set_number(o, field, value, err, err_len);
	}
}

static int ff_config_defaults(const ff_config_table *t, void *target, char *err, size_t err_len)
{
	for (size_t i = 0; i < t->n_opts; i++) {
		const ff_option *o = &t->opts[i];
		if (o->defval == NULL)
			continue;
		char why[256];
		if (ff_config_set_opt(o, target, o->defval, why, sizeof why) != 0)
			return ff_config_fail(err, err_len, "default of %s: %s", o->name, why);
	}
	return FF_CONFIG_OK;
}

struct ff_config_file_ctx {
	const ff_config_table *t;
	void *target;
	FILE *f;
	int line;      /* lines read so far: the handler's current line */
	int fail_line; /* line of the first refused key, 0 if none */
	int *key_line; /* per option: the line that set it, 0 if none yet */
	char msg[512];
};

/*
 * libinih's line reader, counting lines so that a refused key is reported on
 * its own line even when a syntax error came earlier (ini_parse only returns
 * the first error's line).
 */
static char *ff_config_ini_reader(char *str, int num, void *stream)
{
	struct ff_config_file_ctx *c = stream;
	char *r = fgets(str, num, c->f);
	if (r != NULL)
		c->line++;
	return r;
}

/* libinih callback: returning 0 makes ini_parse() report this line. */
static int ff_config_ini_handler(void *user, const char *section, const char *name,
				 const char *value)
{
	struct ff_config_file_ctx *c = user;
	if (c->fail_line != 0)
		return 1; /* keep the first error only */
	const ff_option *o = ff_config_find(c->t, name);
	char why[256];
	if (section[0] != '\0') {
		snprintf(c->msg, sizeof c->msg, "section [%s] is not used: write plain key = value lines",
			 section);
	} else if (o == NULL) {
		snprintf(c->msg, sizeof c->msg, "unknown key '%s'", name);
	} else if (o->type != FF_OPT_LIST && c->key_line[o - c->t->opts] != 0) {
		/* Which of two lines wins is a guess the reader should not have to make. */
		snprintf(c->msg, sizeof c->msg, "key '%s' is set twice: here and on line %d", name,
			 c->key_line[o - c->t->opts]);
	} else if (ff_config_set_opt(o, c->target, value, why, sizeof why) != 0) {
		snprintf(c->msg, sizeof c->msg, "key '%s': %s", name, why);
	} else {
		c->key_line[o - c->t->opts] = c->line;
		return 1;
	}
	c->fail_line = c->line;
	return 0;
}

static int ff_config_file(const ff_config_table *t, void *target, const char *path, char *err,
			  size_t err_len)
{
	struct ff_config_file_ctx c = {.t = t, .target = target};
	c.key_line = calloc(t->n_opts + 1, sizeof *c.key_line);
	if (c.key_line == NULL)
		return ff_config_fail(err, err_len, "%s: out of memory while reading", path);
	c.f = fopen(path, "r");
	if (c.f == NULL) {
		free(c.key_line);
		return ff_config_fail(err, err_len, "%s: cannot open: %s", path, strerror(errno));
	}
	int rc = ini_parse_stream(ff_config_ini_reader, &c, ff_config_ini_handler, &c);
	fclose(c.f);
	free(c.key_line);
	if (rc == 0)
		return FF_CONFIG_OK;
	if (rc < 0)
		return ff_config_fail(err, err_len, "%s: out of memory while reading", path);
	/* rc is the first bad line: a syntax error unless our handler refused it. */
	if (c.fail_line != rc)
		return ff_config_fail(err, err_len, "%s:%d: syntax error: expected 'key = value'",
				      path, rc);
	return ff_config_fail(err, err_len, "%s:%d: %s", path, rc, c.msg);
}

/* A flag given on the command line, applied after the file. */
struct ff_config_arg {
	const ff_option *opt;
	const char *value;
};

static struct option *ff_config_longopts(const ff_config_table *t, char *shortopts)
{
	struct option *lo = calloc(t->n_opts + 4, sizeof *lo);
	if (lo == NULL)
		return NULL;
	char *s = shortopts;
	*s++ = '+'; /* stop at the first non-option: subcommands keep their flags */
	s += sprintf(s, "c:hV");
	for (size_t i = 0; i < t->n_opts; i++) {
		const ff_option *o = &t->opts[i];
		int has = o->type == FF_OPT_BOOL ? optional_argument : required_argument;
		lo[i] = (struct option){o->name, has, NULL, FF_CONFIG_OPT_BASE + (int)i};
		if (o->short_opt != 0) {
			*s++ = o->short_opt;
			if (has == required_argument)
				*s++ = ':';
		}
	}
	*s = '\0';
	lo[t->n_opts] = (struct option){"config", required_argument, NULL, 'c'};
	lo[t->n_opts + 1] = (struct option){"help", no_argument, NULL, 'h'};
	lo[t->n_opts + 2] = (struct option){"version", no_argument, NULL, 'V'};
	return lo;
}

static const ff_option *ff_config_by_short(const ff_config_table *t, int c)
{
	for (size_t i = 0; i < t->n_opts; i++) {
		if (t->opts[i].short_opt == c)
			return &t->opts[i];
	}
	return NULL;
}

/* Applies the flags; a list given by flag replaces the file's list. */
static int ff_config_apply_args(const ff_config_table *t, void *target,
				const struct ff_config_arg *args, size_t n, char *err,
				size_t err_len)
{
	for (size_t i = 0; i < n; i++) {
		const ff_option *o = args[i].opt;
		if (o->type == FF_OPT_LIST) {
			bool first = true;
			for (size_t j = 0; j < i; j++)
				first = first && args[j].opt != o;
			if (first)
				ff_strlist_clear((ff_strlist *)((char *)target + o->offset));
		}
		char why[256];
		const char *v = args[i].value;
		if (ff_config_set_opt(o, target, v, why, sizeof why) != 0)
			return ff_config_fail(err, err_len, "option --%s: %s", o->name, why);
	}
	return FF_CONFIG_OK;
}

/* Prints --help for the table. */
static void ff_config_usage(const ff_config_table *t, const char *prog, FILE *out);

int ff_config_load(const ff_config_table *t, void *target, int argc, char **argv,
		   int *first_arg, char *err, size_t err_len)
{
	int rc = FF_CONFIG_ERROR;
	char shortopts[2 * 64 + 8];
	const char *file = NULL;
	size_t n_args = 0;
	struct ff_config_arg *args = calloc((size_t)argc + 1, sizeof *args);
	struct option *lo = t->n_opts < 64 ? ff_config_longopts(t, shortopts) : NULL;
	if (args == NULL || lo == NULL) {
		ff_config_fail(err, err_len, "out of memory");
		goto out;
	}
	opterr = 0;
	optind = 1;
	int c, idx;
	while ((c = getopt_long(argc, argv, shortopts, lo, &idx)) != -1) {
		const ff_option *o = c >= FF_CONFIG_OPT_BASE ? &t->opts[c - FF_CONFIG_OPT_BASE]
							    : ff_config_by_short(t, c);
		if (c == 'h' && o == NULL) {
			ff_config_usage(t, argv[0], stdout);
			rc = FF_CONFIG_EXIT;
			goto out;
		} else if (c == 'V' && o == NULL) {
			printf("%s %s\n", t->program, FF_VERSION);
			rc = FF_CONFIG_EXIT;
			goto out;
		} else if (c == 'c' && o == NULL) {
			file = optarg;
		} else if (o != NULL) {
			args[n_args++] = (struct ff_config_arg){o, optarg ? optarg : "true"};
		} else {
			const char *bad = argv[optind - 1];
			if (optopt != 0 && optopt < FF_CONFIG_OPT_BASE)
				ff_config_fail(err, err_len, "option -%c: %s", optopt,
					       strchr(shortopts, optopt) ? "needs a value"
									 : "unknown option");
			else
				ff_config_fail(err, err_len, "option %s: %s", bad,
					       c == ':' || strchr(bad, '=') == NULL
						       ? "unknown option or missing value"
						       : "unknown option");
			goto out;
		}
	}
	*first_arg = optind;
	if ((rc = ff_config_defaults(t, target, err, err_len)) != 0)
		goto out;
	if (file != NULL && (rc = ff_config_file(t, target, file, err, err_len)) != 0)
		goto out;
	rc = ff_config_apply_args(t, target, args, n_args, err, err_len);
out:
	free(lo);
	free(args);
	return rc;
}

static void ff_config_usage_line(const ff_option *o, FILE *out)
{
	char left[64];
	const char *mv = o->metavar ? o->metavar : "";
	if (o->short_opt != 0)
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_opt, o->name, *mv ? " " : "",
			 mv);
	else
		snprintf(left, sizeof left, "    --%s%s%s", o->name, *mv ? " " : "", mv);
	fprintf(out, "  %-30s %s", left, o->help ? o->help : "");
	if (o->defval != NULL && o->defval[0] != '\0')
		fprintf(out, " (default: %s)", o->defval);
	if (o->type == FF_OPT_LIST)
		fprintf(out, " [repeatable]");
	fputc('\n', out);
}

static void ff_config_usage(const ff_config_table *t, const char *prog, FILE *out)
{
	const char *base = strrchr(prog, '/');
	fprintf(out, "Usage: %s %s\n\n", base ? base + 1 : prog, t->synopsis ? t->synopsis : "");
	if (t->description != NULL)
		fprintf(out, "%s\n\n", t->description);
	fprintf(out, "Options (each is also a 'key = value' line in the -c file):\n");
	for (size_t i = 0; i < t->n_opts; i++)
		ff_config_usage_line(&t->opts[i], out);
	fprintf(out, "  %-30s %s\n", "-c, --config FILE",
		 "read settings from FILE; flags given here override it");
	fprintf(out, "  %-30s %s\n", "-h, --help", "show this help and exit");
	fprintf(out, "  %-30s %s\n", "-V, --version", "show the version and exit");
}

void ff_config_free(const ff_config_table *t, void *target)
{
	for (size_t i = 0; i < t->n_opts; i++) {
		void *field = (char *)target + t->opts[i].offset;
		if (t->opts[i].type == FF_OPT_STRING) {
			char **s = field;
			free(*s);
			*s = NULL;
		} else if (t->opts[i].type == FF_OPT_LIST) {
			ff_strlist_clear(field);
		}
	}
}
