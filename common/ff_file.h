#ifndef FF_FILE_H
#define FF_FILE_H

/*
 * Small durable-file helpers for state and key files of both daemons. Every
 * write goes to a temporary name, is fsync'd, renamed over the target and
 * the directory fsync'd, so after a crash a file is either the old or the
 * new version, never a torn one.
 */

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

/* Creates `path` and missing parents (mode 0700). Returns 0 or -errno. */
int ff_file_mkdirs(const char *path);

/*
 * Durably replaces dir/name with `len` bytes of `data`, the file's mode set
 * to `mode` whatever the umask (0600 for secrets and state). Returns 0 or
 * -errno.
 */
int ff_file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
			 mode_t mode);

/*
 * Reads a whole file of at most `max` bytes into a malloc'd buffer (the
 * caller frees it with free(); NUL-terminated for convenience, the NUL not
 * counted in *len). Returns 0, -ENOENT if absent, -EFBIG if larger than
 * `max`, or another -errno.
 */
int ff_file_read(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
