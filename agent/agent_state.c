#include "agent_state.h"

#include "agent_fs.h"
#include "ff_err.h"
#include "ff_log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FF_STATE_EPOCH	  "epoch"
#define FF_STATE_SEQUENCE "sequence"

static uint64_t ff_agent_random_epoch(void)
{
	uint64_t e = 0;
	if (getrandom(&e, sizeof e, 0) != (ssize_t)sizeof e) {
		/* Without entropy, time and pid still make a collision unlikely. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		e = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
		    (uint64_t)getpid() << 32;
	}
	return e == 0 ? 1 : e;
}

/* Reads one number (hex for the epoch, decimal for the sequence) from dir/name. */
static int ff_agent_read_number(const char *dir, const char *name, int base, uint64_t *out)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return -ENAMETOOLONG;
	uint8_t *buf = NULL;
	size_t len;
	int rc = ff_agent_read_file(path, 64, &buf, &len);
	if (rc != 0)
		return rc;
	char *end;
	errno = 0;
	unsigned long long v = strtoull((char *)buf, &end, base);
	bool ok = errno == 0 && end != (char *)buf && (*end == '\n' || *end == '\0');
	free(buf);
	if (!ok)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The epoch is written in hex (it is a random bit pattern), the sequence in decimal. */
static int ff_agent_write_number(const char *dir, const char *name, bool hex, uint64_t v)
{
	char line[32];
	int n = hex ? snprintf(line, sizeof line, "%016" PRIx64 "\n", v)
		    : snprintf(line, sizeof line, "%" PRIu64 "\n", v);
	return ff_agent_write_atomic(dir, name, line, (size_t)n);
}

/* Starts a new epoch in `dir`, sequence kept at st->next_seq. */
static int ff_agent_state_new_epoch(ff_agent_state *st)
{
	st->epoch = ff_agent_random_epoch();
	int rc = ff_agent_write_number(st->dir, FF_STATE_SEQUENCE, false, st->next_seq);
	if (rc == 0)
		rc = ff_agent_write_number(st->dir, FF_STATE_EPOCH, true, st->epoch);
	return rc;
}

static int ff_agent_state_load(ff_agent_state *st, char *err, size_t err_len)
{
	uint64_t epoch = 0, seq = 0;
	int re = ff_agent_read_number(st->dir, FF_STATE_EPOCH, 16, &epoch);
	int rs = ff_agent_read_number(st->dir, FF_STATE_SEQUENCE, 10, &seq);
	if (re == 0 && rs == 0 && epoch != 0 && seq != 0) {
		st->epoch = epoch;
		st->next_seq = seq;
		return 0;
	}
	if (re != -ENOENT || rs != -ENOENT)
		ff_log_warn("state %s: epoch or sequence file unreadable (%s), starting a new "
			    "epoch",
			    st->dir,
			    ff_strerror(re != 0	  ? re
					: rs != 0 ? rs
						  : -EINVAL));
	st->next_seq = seq != 0 ? seq : 1;
	int rc = ff_agent_state_new_epoch(st);
	if (rc != 0) {
		snprintf(err, err_len, "state %s: cannot write epoch: %s", st->dir,
			 ff_strerror(rc));
		return -1;
	}
	return 0;
}

int ff_agent_state_open(ff_agent_state *st, const char *dir, char *err, size_t err_len)
{
	memset(st, 0, sizeof *st);
	st->next_seq = 1;
	if (dir == NULL) {
		st->epoch = ff_agent_random_epoch();
		return 0;
	}
	char spool[PATH_MAX];
	if (snprintf(spool, sizeof spool, "%s/spool", dir) >= (int)sizeof spool) {
		snprintf(err, err_len, "state dir %s: path too long", dir);
		return -1;
	}
	int rc = ff_agent_mkdirs(spool);
	if (rc != 0) {
		snprintf(err, err_len, "state dir %s: cannot create: %s", dir, ff_strerror(rc));
		return -1;
	}
	st->dir = strdup(dir);
	st->spool_dir = strdup(spool);
	if (st->dir == NULL || st->spool_dir == NULL) {
		snprintf(err, err_len, "out of memory");
		ff_agent_state_close(st);
		return -1;
	}
	if (ff_agent_state_load(st, err, err_len) != 0) {
		ff_agent_state_close(st);
		return -1;
	}
	return 0;
}

static int ff_agent_state_store_seq(ff_agent_state *st, uint64_t next)
{
	if (st->dir != NULL) {
		int rc = ff_agent_write_number(st->dir, FF_STATE_SEQUENCE, false, next);
		if (rc != 0)
			return rc;
	}
	st->next_seq = next;
	return 0;
}

int ff_agent_state_take_seq(ff_agent_state *st, uint64_t *seq)
{
	uint64_t s = st->next_seq;
	int rc = ff_agent_state_store_seq(st, s + 1);
	if (rc != 0)
		return rc;
	*seq = s;
	return 0;
}

int ff_agent_state_ensure_above(ff_agent_state *st, uint64_t seen)
{
	if (st->next_seq > seen)
		return 0;
	return ff_agent_state_store_seq(st, seen + 1);
}

void ff_agent_state_close(ff_agent_state *st)
{
	free(st->dir);
	free(st->spool_dir);
	st->dir = NULL;
	st->spool_dir = NULL;
}

int ff_agent_state_renew_epoch(ff_agent_state *st)
{
	if (st->dir == NULL) {
		st->epoch = ff_agent_random_epoch();
		return 0;
	}
	return ff_agent_state_new_epoch(st);
}
