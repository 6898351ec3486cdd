#include "store_open.h"

#include <string.h>

static int ff_store_open_columnar(const ff_store_config *cfg, ff_store_replay_fn replay, void *arg,
				  ff_store **out)
{
	return ff_store_columnar_open(&cfg->columnar, replay, arg, out);
}

/* Every backend, in the order of FF_STORE_BACKENDS. */
static const struct {
	const char *name;
	int (*open)(const ff_store_config *cfg, ff_store_replay_fn replay, void *arg,
		    ff_store **out);
} ff_store_backend_table[] = {
    {"columnar", ff_store_open_columnar},
};

#define FF_STORE_N_BACKENDS (sizeof ff_store_backend_table / sizeof ff_store_backend_table[0])

const char *ff_store_backends(void)
{
	return FF_STORE_BACKENDS;
}

static size_t ff_store_backend_find(const char *name)
{
	size_t i = 0;
	while (i < FF_STORE_N_BACKENDS && strcmp(ff_store_backend_table[i].name, name) != 0)
		i++;
	return i;
}

bool ff_store_backend_known(const char *name)
{
	return name != NULL && ff_store_backend_find(name) < FF_STORE_N_BACKENDS;
}

int ff_store_open(const ff_store_config *cfg, ff_store_replay_fn replay, void *arg, ff_store **out)
{
	const char *name = cfg->backend != NULL ? cfg->backend : FF_STORE_DEFAULT_BACKEND;
	size_t i = ff_store_backend_find(name);
	if (i == FF_STORE_N_BACKENDS)
		return FF_STORE_EBACKEND;
	return ff_store_backend_table[i].open(cfg, replay, arg, out);
}
