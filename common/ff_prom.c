#include "ff_prom.h"

#include "ff_hmap.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer names than this are refused: ours are far shorter, and the map's keys are fixed. */
#define FF_PROM_NAME_MAX 128

/* A growable text buffer; `p` owned. */
typedef struct ff_prom_buf {
	char *p;
	size_t len, cap;
} ff_prom_buf;

typedef struct ff_prom_family {
	char name[FF_PROM_NAME_MAX];
	enum ff_prom_type type;
	char *help; /* owned */
	ff_prom_buf lines;
	size_t samples;
} ff_prom_family;

struct ff_prom {
	ff_prom_family *fam; /* owned, in declaration order */
	size_t n, cap;
	ff_hmap *by_name; /* name (zero-padded) -> index into fam */
	size_t samples;
};

static int ff_prom_reserve(ff_prom_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int ff_prom_put(ff_prom_buf *b, const char *s, size_t n)
{
	if (ff_prom_reserve(b, n) != 0)
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int ff_prom_puts(ff_prom_buf *b, const char *s)
{
	return ff_prom_put(b, s, strlen(s));
}

ff_prom *ff_prom_new(void)
{
	ff_prom *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->by_name = ff_hmap_new(FF_PROM_NAME_MAX, sizeof(size_t), 64);
	if (p->by_name == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void ff_prom_free(ff_prom *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->fam[i].help);
		free(p->fam[i].lines.p);
	}
	free(p->fam);
	ff_hmap_free(p->by_name);
	free(p);
}

int ff_prom_name_valid(const char *name)
{
	if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (const char *c = name; *c != '\0'; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == ':';
		if (!ok)
			return 0;
	}
	return 1;
}

/* Label names may not hold ':' and may not begin with "__" (reserved). */
static bool ff_prom_label_name_valid(const char *name)
{
	return ff_prom_name_valid(name) && strchr(name, ':') == NULL && strncmp(name, "__", 2) != 0;
}

static ff_prom_family *ff_prom_find(const ff_prom *p, const char *name)
{
	char key[FF_PROM_NAME_MAX] = {0};
	if (strlen(name) >= sizeof key)
		return NULL;
	memcpy(key, name, strlen(name));
	const size_t *i = ff_hmap_find(p->by_name, key);
	return i != NULL ? &p->fam[*i] : NULL;
}

static int ff_prom_grow(ff_prom *p)
{
	if (p->n < p->cap)
		return 0;
	size_t cap = p->cap ? p->cap * 2 : 32;
	ff_prom_family *f = realloc(p->fam, cap * sizeof *f);
	if (f == NULL)
		return -ENOMEM;
	p->fam = f;
	p->cap = cap;
	return 0;
}

int ff_prom_declare(ff_prom *p, const char *name, enum ff_prom_type type, const char *help)
{
	if (!ff_prom_name_valid(name) || strlen(name) >= FF_PROM_NAME_MAX)
		return -EINVAL;
	ff_prom_family *old = ff_prom_find(p, name);
	if (old != NULL)
		return old->type == type ? 0 : -EINVAL;
	if (ff_prom_grow(p) != 0)
		return -ENOMEM;
	ff_prom_family *f = &p->fam[p->n];
	memset(f, 0, sizeof *f);
	memcpy(f->name, name, strlen(name));
	f->type = type;
	if ((f->help = strdup(help != NULL ? help : "")) == NULL)
		return -ENOMEM;
	int created = 0;
	size_t *slot = ff_hmap_upsert(p->by_name, f->name, &created);
	if (slot == NULL) {
		free(f->help);
		return -ENOMEM;
	}
	*slot = p->n++;
	return 0;
}

/* Appends `v` escaped as the format wants: backslash, double quote and newline. */
static int ff_prom_put_escaped(ff_prom_buf *b, const char *v, bool quote)
{
	for (const char *c = v; *c != '\0'; c++) {
		const char *esc = *c == '\\' ? "\\\\" : *c == '\n' ? "\\n"
					 : (quote && *c == '"') ? "\\\"" : NULL;
		int rc = esc != NULL ? ff_prom_puts(b, esc) : ff_prom_put(b, c, 1);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int ff_prom_put_labels(ff_prom_buf *b, const ff_prom_label *labels, size_t n)
{
	if (n == 0)
		return 0;
	int rc = ff_prom_puts(b, "{");
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!ff_prom_label_name_valid(labels[i].name))
			return -EINVAL;
		rc = ff_prom_puts(b, i > 0 ? "," : "");
		if (rc == 0)
			rc = ff_prom_puts(b, labels[i].name);
		if (rc == 0)
			rc = ff_prom_puts(b, "=\"");
		if (rc == 0)
			rc = ff_prom_put_escaped(b, labels[i].value, true);
		if (rc == 0)
			rc = ff_prom_puts(b, "\"");
	}
	return rc == 0 ? ff_prom_puts(b, "}") : rc;
}

/* One sample line whose value is already text. Leaves the buffer as it was on failure. */
static int ff_prom_line(ff_prom *p, const char *family, const char *suffix,
			const ff_prom_label *labels, size_t n_labels, const char *value)
{
	ff_prom_family *f = ff_prom_find(p, family);
	if (f == NULL)
		return -ENOENT;
	size_t mark = f->lines.len;
	int rc = ff_prom_puts(&f->lines, f->name);
	if (rc == 0)
		rc = ff_prom_puts(&f->lines, suffix != NULL ? suffix : "");
	if (rc == 0)
		rc = ff_prom_put_labels(&f->lines, labels, n_labels);
	if (rc == 0)
		rc = ff_prom_puts(&f->lines, " ");
	if (rc == 0)
		rc = ff_prom_puts(&f->lines, value);
	if (rc == 0)
		rc = ff_prom_puts(&f->lines, "\n");
	if (rc != 0) {
		f->lines.len = mark;
		if (f->lines.p != NULL)
			f->lines.p[mark] = '\0';
		return rc;
	}
	f->samples++;
	p->samples++;
	return 0;
}

static void ff_prom_format_double(char *out, size_t len, double v)
{
	if (isnan(v))
		snprintf(out, len, "NaN");
	else if (isinf(v))
		snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
	else {
		/* The shortest text that reads back as the same double: 0.452, not 0.45200000000000001. */
		snprintf(out, len, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, len, "%.17g", v);
	}
}

int ff_prom_add(ff_prom *p, const char *family, const char *suffix, const ff_prom_label *labels,
		size_t n_labels, double value)
{
	char text[40];
	ff_prom_format_double(text, sizeof text, value);
	return ff_prom_line(p, family, suffix, labels, n_labels, text);
}

int ff_prom_add_u64(ff_prom *p, const char *family, const char *suffix,
		    const ff_prom_label *labels, size_t n_labels, uint64_t value)
{
	char text[24];
	snprintf(text, sizeof text, "%" PRIu64, value);
	return ff_prom_line(p, family, suffix, labels, n_labels, text);
}

/* Room for the caller's labels plus "le"; more labels than this are refused. */
#define FF_PROM_MAX_LABELS 15

int ff_prom_add_histogram(ff_prom *p, const char *family, const ff_prom_label *labels,
			  size_t n_labels, const double *le, const uint64_t *cumulative, size_t n,
			  uint64_t count, double sum)
{
	if (n_labels > FF_PROM_MAX_LABELS)
		return -EINVAL;
	ff_prom_label with_le[FF_PROM_MAX_LABELS + 1];
	if (n_labels > 0) /* labels may be NULL then: memcpy() wants a pointer even for 0 bytes */
		memcpy(with_le, labels, n_labels * sizeof *labels);
	char bound[40];
	with_le[n_labels] = (ff_prom_label){"le", bound};
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		ff_prom_format_double(bound, sizeof bound, le[i]);
		rc = ff_prom_add_u64(p, family, "_bucket", with_le, n_labels + 1, cumulative[i]);
	}
	snprintf(bound, sizeof bound, "+Inf");
	if (rc == 0)
		rc = ff_prom_add_u64(p, family, "_bucket", with_le, n_labels + 1, count);
	if (rc == 0)
		rc = ff_prom_add(p, family, "_sum", labels, n_labels, sum);
	if (rc == 0)
		rc = ff_prom_add_u64(p, family, "_count", labels, n_labels, count);
	return rc;
}

size_t ff_prom_samples(const ff_prom *p)
{
	return p->samples;
}

static const char *ff_prom_type_name(enum ff_prom_type t)
{
	return t == FF_PROM_COUNTER ? "counter" : t == FF_PROM_GAUGE ? "gauge" : "histogram";
}

/* HELP, TYPE and the samples of one family; a family without samples is left out. */
static int ff_prom_render_family(ff_prom_buf *out, const ff_prom_family *f)
{
	if (f->samples == 0)
		return 0;
	int rc = ff_prom_puts(out, "# HELP ");
	if (rc == 0)
		rc = ff_prom_puts(out, f->name);
	if (rc == 0)
		rc = ff_prom_puts(out, " ");
	if (rc == 0)
		rc = ff_prom_put_escaped(out, f->help, false);
	if (rc == 0)
		rc = ff_prom_puts(out, "\n# TYPE ");
	if (rc == 0)
		rc = ff_prom_puts(out, f->name);
	if (rc == 0)
		rc = ff_prom_puts(out, " ");
	if (rc == 0)
		rc = ff_prom_puts(out, ff_prom_type_name(f->type));
	if (rc == 0)
		rc = ff_prom_puts(out, "\n");
	if (rc == 0)
		rc = ff_prom_put(out, f->lines.p, f->lines.len);
	return rc;
}

char *ff_prom_render(const ff_prom *p, size_t *len)
{
	ff_prom_buf out = {0};
	if (ff_prom_reserve(&out, 0) != 0)
		return NULL;
	out.p[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		if (ff_prom_render_family(&out, &p->fam[i]) != 0) {
			free(out.p);
			return NULL;
		}
	}
	if (len != NULL)
		*len = out.len;
	return out.p;
}
