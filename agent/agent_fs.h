#ifndef FF_AGENT_FS_H
#define FF_AGENT_FS_H

/*
 * Small durable-file helpers for the agent's state directory. Every write
 * goes to a temporary name, is fsync'd, renamed over the target and the
 * directory fsync'd, so after a crash a file is either the old or the new
 * version, never a torn one.
 */

#include <stddef.h>
#include <stdint.h>

/* Creates `path` and missing parents (mode 0700). Returns 0 or -errno. */
int ff_agent_mkdirs(const char *path);

/* Durably replaces dir/name with `len` bytes of `data`. Returns 0 or -errno. */
int ff_agent_write_atomic(const char *dir, const char *name, const void *data, size_t len);

/*
 * Reads a whole file of at most `max` bytes into a malloc'd buffer (the
 * caller frees it with free(); NUL-terminated for convenience, the NUL not
 * counted in *len). Returns 0, -ENOENT if absent, -EFBIG if larger than
 * `max`, or another -errno.
 */
int ff_agent_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
