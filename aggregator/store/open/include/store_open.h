#ifndef FF_STORE_OPEN_H
#define FF_STORE_OPEN_H

/*
 * Opens the store backend a configuration names (the aggregator's `store`
 * setting). This is the only code that knows the backends; everything else
 * sees the role (store.h). Each backend's settings have their own member.
 */

#include "store.h"
#include "store_columnar.h"

#include <stdbool.h>

/* The backend names, for --help and errors; FF_STORE_DEFAULT_BACKEND first. */
#define FF_STORE_BACKENDS	 "columnar"
#define FF_STORE_DEFAULT_BACKEND "columnar"

typedef struct ff_store_config {
	const char *backend; /* one of FF_STORE_BACKENDS; NULL: the default (borrowed) */
	ff_store_columnar_config columnar;
} ff_store_config;

/* The valid backend names, comma-separated (FF_STORE_BACKENDS). */
const char *ff_store_backends(void);

/* Whether `name` is a backend ff_store_open() can open. */
bool ff_store_backend_known(const char *name);

/*
 * Opens (creating if needed) the backend cfg->backend names, replaying
 * every stored batch to `replay` (store.h). Returns 0 with *out set,
 * FF_STORE_EBACKEND for an unknown name, or the backend's error (common/ff_err.h).
 */
int ff_store_open(const ff_store_config *cfg, ff_store_replay_fn replay, void *arg, ff_store **out);

#endif
