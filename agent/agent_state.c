#include "agent_state.h"

#include "ff_file.h"
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

int ff_agent_state_parse(const char *text, size_t len, enum ff_agent_state_kind kind, uint64_t *out)
{
	bool hex = kind == FF_STATE_KIND_EPOCH;
	size_t n = len > 0 && text[len - 1] == '\n' ? len - 1 : len;
	uint64_t v = 0;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL; /* a sign, a space, a prefix or anything after the digits */
		unsigned base = hex ? 16 : 10;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	/* 0 is never written; the last sequence would leave no successor to persist. */
	if (v == 0 || (kind == FF_STATE_KIND_SEQUENCE && v == UINT64_MAX))
		return -ERANGE;
	*out = v;
	return 0;
}

/* The file's bytes for a message: printable ASCII as is, the rest as \xNN, cut at 40. */
static void ff_agent_state_quote(const uint8_t *buf, size_t len, char *out, size_t out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && i < 40 && o + 5 < out_len; i++) {
		unsigned char c = buf[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", c);
	}
	if (len > 40 && o + 4 < out_len)
		o += (size_t)snprintf(out + o, out_len - o, "...");
	out[o] = '\0';
}

static const char *ff_agent_state_expect(enum ff_agent_state_kind kind)
{
	return kind == FF_STATE_KIND_EPOCH
		   ? "an epoch: 1 to 16 hex digits, not all zero, then a newline"
		   : "a batch sequence: decimal digits, 1 to 18446744073709551614, then a newline";
}

/*
 * Reads dir/name strictly. Returns 0, -ENOENT when absent, or another
 * -errno with a message in `err` naming the file, its value and the remedy.
 */
static int ff_agent_read_number(const char *dir, const char *name, enum ff_agent_state_kind kind,
				uint64_t *out, char *err, size_t err_len)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return -ENAMETOOLONG;
	uint8_t *buf = NULL;
	size_t len;
	int rc = ff_file_read(path, FF_AGENT_STATE_FILE_MAX, &buf, &len);
	if (rc == -ENOENT)
		return rc;
	if (rc != 0) {
		snprintf(err, err_len,
			 "state file %s cannot be read (%s): fix it, or remove it and its "
			 "companion (%s/%s and %s/%s) to start a new epoch",
			 path, rc == -EFBIG ? "larger than a state file can be" : ff_strerror(rc),
			 dir, FF_STATE_EPOCH, dir, FF_STATE_SEQUENCE);
		return rc;
	}
	rc = ff_agent_state_parse((const char *)buf, len, kind, out);
	if (rc != 0) {
		char q[200];
		ff_agent_state_quote(buf, len, q, sizeof q);
		snprintf(err, err_len,
			 "state file %s holds \"%s\", which is not %s; the agent does not guess "
			 "(a wrong sequence repeats or skips batches): restore the file from the "
			 "copy it was taken with, or remove %s/%s and %s/%s to start a new epoch "
			 "(always safe)",
			 path, q, ff_agent_state_expect(kind), dir, FF_STATE_EPOCH, dir,
			 FF_STATE_SEQUENCE);
	}
	free(buf);
	return rc;
}

/* The epoch is written in hex (it is a random bit pattern), the sequence in decimal. */
static int ff_agent_write_number(const char *dir, const char *name, bool hex, uint64_t v)
{
	char line[32];
	int n = hex ? snprintf(line, sizeof line, "%016" PRIx64 "\n", v)
		    : snprintf(line, sizeof line, "%" PRIu64 "\n", v);
	return ff_file_write_atomic(dir, name, line, (size_t)n, 0600);
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
	int re = ff_agent_read_number(st->dir, FF_STATE_EPOCH, FF_STATE_KIND_EPOCH, &epoch, err,
				      err_len);
	if (re != 0 && re != -ENOENT)
		return -1;
	int rs = ff_agent_read_number(st->dir, FF_STATE_SEQUENCE, FF_STATE_KIND_SEQUENCE, &seq, err,
				      err_len);
	if (rs != 0 && rs != -ENOENT)
		return -1;
	if (re == 0 && rs == 0) {
		st->epoch = epoch;
		st->next_seq = seq;
		return 0;
	}
	/* One of the two missing: a new epoch cannot collide with what the aggregator holds. */
	if (re == 0 || rs == 0)
		ff_log_warn("state %s: %s is missing, starting a new epoch", st->dir,
			    re == 0 ? FF_STATE_SEQUENCE : FF_STATE_EPOCH);
	st->next_seq = rs == 0 ? seq : 1;
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
	int rc = ff_file_mkdirs(spool);
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
	if (s == UINT64_MAX)
		return -EOVERFLOW;
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
	if (seen >= UINT64_MAX - 1)
		return -EOVERFLOW;
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
