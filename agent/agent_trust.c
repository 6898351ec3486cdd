#include "agent_trust.h"

#include "ff_err.h"
#include "ff_log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads up to size-1 bytes of fd into buf (NUL-terminated); *len gets the count. */
static int ff_agent_read_fd(int fd, char *buf, size_t size, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + *len, size - 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ff_err_errno(errno);
		if (r == 0)
			break;
		*len += (size_t)r;
		if (*len == size - 1)
			break;
	}
	buf[*len] = '\0';
	return 0;
}

/* Trims surrounding white space in place; returns the start. */
static char *ff_agent_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Checks a trimmed token: length bounds, printable, no white space. Returns 0 or -EINVAL. */
static int ff_agent_token_check(const char *path, const char *t, size_t raw_len, char *err,
				size_t err_len)
{
	size_t n = strlen(t);
	if (raw_len >= FF_AGENT_TOKEN_MAX + 64 || n > FF_AGENT_TOKEN_MAX) {
		snprintf(err, err_len, "enrolment token file %s: longer than %d characters", path,
			 FF_AGENT_TOKEN_MAX);
		return -EINVAL;
	}
	if (n == 0) {
		snprintf(err, err_len, "enrolment token file %s is empty", path);
		return -EINVAL;
	}
	for (const char *p = t; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p)) {
			snprintf(err, err_len,
				 "enrolment token file %s: one line of one token expected (no "
				 "white space or control characters inside)",
				 path);
			return -EINVAL;
		}
	if (n < FF_AGENT_TOKEN_MIN) {
		snprintf(err, err_len,
			 "enrolment token file %s: %zu characters, the aggregator needs at least "
			 "%d",
			 path, n, FF_AGENT_TOKEN_MIN);
		return -EINVAL;
	}
	return 0;
}

int ff_agent_token_read(const char *path, char **token, char *err, size_t err_len)
{
	*token = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = ff_err_errno(errno);
		snprintf(err, err_len, "enrolment token file %s: %s", path, ff_strerror(rc));
		return rc;
	}
	/* Room to tell an overlong file from a long token with blanks around it. */
	char buf[FF_AGENT_TOKEN_MAX + 64];
	size_t len = 0;
	int rc = ff_agent_read_fd(fd, buf, sizeof buf, &len);
	close(fd);
	if (rc < 0) {
		snprintf(err, err_len, "enrolment token file %s: %s", path, ff_strerror(rc));
		return rc;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, err_len, "enrolment token file %s: not text", path);
		return -EINVAL;
	}
	const char *t = ff_agent_trim(buf);
	if ((rc = ff_agent_token_check(path, t, len + 1, err, err_len)) < 0)
		return rc;
	if ((*token = strdup(t)) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int ff_agent_server_key(const char *text, const char *path, char out[FF_CURVE_Z85_LEN + 1],
			char *err, size_t err_len)
{
	if (path != NULL) {
		char why[512];
		int rc = ff_curve_key_read_public(path, out, why, sizeof why);
		if (rc < 0)
			snprintf(err, err_len, "--server-key-file %s", why);
		return rc;
	}
	if (text == NULL || ff_curve_key_parse(text, out) < 0) {
		snprintf(err, err_len,
			 "--server-key: not a CurveZMQ public key (40 Z85 characters, as "
			 "flowfleet-aggregator --show-key prints)");
		return -EINVAL;
	}
	return 0;
}

int ff_agent_keys_open(const char *state_dir, ff_curve_keypair *kp, char *err, size_t err_len)
{
	bool created = false;
	char why[1024];
	int rc = ff_curve_key_load_or_create(state_dir, FF_AGENT_KEY_NAME, kp, &created, why,
					     sizeof why);
	if (rc < 0) {
		snprintf(err, err_len, "agent key pair: %s", why);
		return rc;
	}
	char fp[FF_CURVE_FP_LEN + 1];
	if ((rc = ff_curve_key_fingerprint(kp->public_z85, fp)) < 0) {
		snprintf(err, err_len, "agent key pair in %s: the public key is not Z85",
			 state_dir);
		return rc;
	}
	if (created)
		ff_log_info("created the agent's key pair %s/%s.key (secret, 0600) and %s.pub",
			    state_dir, FF_AGENT_KEY_NAME, FF_AGENT_KEY_NAME);
	ff_log_info("agent public key %s, fingerprint %s (the aggregator lists it as pending "
		    "until `flowfleet agents accept %s`, or an --enroll-token is accepted)",
		    kp->public_z85, fp, fp);
	return 0;
}
