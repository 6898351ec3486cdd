#ifndef FF_PROM_H
#define FF_PROM_H

/*
 * A scrape in the Prometheus text exposition format (version 0.0.4), built
 * in memory and rendered once: both daemons' /metrics. Samples may be added
 * in any order (an agent's counters one agent at a time); rendering groups
 * them by family, which the format requires, each family with its HELP and
 * TYPE lines once, families in the order they were declared.
 *
 * Names are checked against the format's grammar and label values escaped
 * here, so a hostile agent id or exporter name cannot break the scrape.
 * Not thread-safe: one scrape, one builder.
 */

#include <stddef.h>
#include <stdint.h>

typedef struct ff_prom ff_prom;

enum ff_prom_type { FF_PROM_COUNTER, FF_PROM_GAUGE, FF_PROM_HISTOGRAM };

/* Labels of one sample: `n` name/value pairs; values may hold any bytes but NUL. */
typedef struct ff_prom_label {
	const char *name;
	const char *value;
} ff_prom_label;

/* A new, empty scrape, or NULL when out of memory. Free with ff_prom_free(). */
ff_prom *ff_prom_new(void);
void ff_prom_free(ff_prom *p);

/*
 * Declares family `name` (a counter's name ends in _total) with its type
 * and help text. Declaring a family again with the same type is a no-op.
 * Returns 0, -EINVAL for a name the format does not allow or a type that
 * differs from the first declaration, or -ENOMEM.
 */
int ff_prom_declare(ff_prom *p, const char *name, enum ff_prom_type type, const char *help);

/*
 * Adds one sample of declared family `family`: `suffix` is "" or, for a
 * histogram, "_bucket", "_sum" or "_count". Returns 0, -ENOENT for an
 * undeclared family, -EINVAL for a bad label name, or -ENOMEM.
 */
int ff_prom_add(ff_prom *p, const char *family, const char *suffix, const ff_prom_label *labels,
		size_t n_labels, double value);

/* The same for an integer value, printed exactly (a double loses counts past 2^53). */
int ff_prom_add_u64(ff_prom *p, const char *family, const char *suffix,
		    const ff_prom_label *labels, size_t n_labels, uint64_t value);

/*
 * The histogram `family` (declared FF_PROM_HISTOGRAM): `n` cumulative
 * counts for upper bounds `le` (seconds, ascending), the +Inf bucket being
 * `count`, and the sum. Returns what ff_prom_add() returns.
 */
int ff_prom_add_histogram(ff_prom *p, const char *family, const ff_prom_label *labels,
			  size_t n_labels, const double *le, const uint64_t *cumulative, size_t n,
			  uint64_t count, double sum);

/* Samples added so far, in all families. */
size_t ff_prom_samples(const ff_prom *p);

/*
 * Renders the scrape into a malloc'd, NUL-terminated text the caller frees
 * with free(). Returns NULL when out of memory.
 */
char *ff_prom_render(const ff_prom *p, size_t *len);

/* True when `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int ff_prom_name_valid(const char *name);

#endif
