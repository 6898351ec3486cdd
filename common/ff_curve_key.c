#include "ff_curve_key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "ff_err.h"
#include "ff_file.h"

/* A key file is one line; more than this is not ours. */
#define FF_CURVE_FILE_MAX 256

int ff_curve_key_parse(const char *text, char out[FF_CURVE_Z85_LEN + 1])
{
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n != FF_CURVE_Z85_LEN)
		return -EINVAL;
	char z85[FF_CURVE_Z85_LEN + 1];
	memcpy(z85, text, n);
	z85[n] = '\0';
	uint8_t raw[32];
	if (zmq_z85_decode(raw, z85) == NULL)
		return -EINVAL;
	memcpy(out, z85, sizeof z85);
	return 0;
}

void ff_curve_key_fingerprint_raw(const uint8_t key[32], char out[FF_CURVE_FP_LEN + 1])
{
	uint8_t digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, key, 32);
	for (int i = 0; i < FF_CURVE_FP_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

int ff_curve_key_fingerprint(const char *public_z85, char out[FF_CURVE_FP_LEN + 1])
{
	char z85[FF_CURVE_Z85_LEN + 1];
	uint8_t raw[32];
	if (ff_curve_key_parse(public_z85, z85) < 0 || zmq_z85_decode(raw, z85) == NULL)
		return -EINVAL;
	ff_curve_key_fingerprint_raw(raw, out);
	return 0;
}

/* Reads a small file into buf (NUL-terminated). Returns 0 or -errno. */
static int ff_curve_read_small(int fd, char *buf, size_t size)
{
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ff_err_errno(errno);
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == size - 1)
			return -EFBIG;
	}
	buf[len] = '\0';
	return 0;
}

int ff_curve_key_read_public(const char *path, char out[FF_CURVE_Z85_LEN + 1], char *err,
			     size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = ff_err_errno(errno);
		snprintf(err, err_len, "%s: %s", path, ff_strerror(rc));
		return rc;
	}
	char buf[FF_CURVE_FILE_MAX];
	int rc = ff_curve_read_small(fd, buf, sizeof buf);
	close(fd);
	if (rc == 0 && (rc = ff_curve_key_parse(buf, out)) < 0)
		snprintf(err, err_len, "%s: not a CurveZMQ public key (one line of 40 Z85 characters)",
			 path);
	else if (rc < 0)
		snprintf(err, err_len, "%s: %s", path, ff_strerror(rc));
	return rc;
}

static int ff_curve_create(const char *dir, const char *name, const char *key_path,
			   ff_curve_keypair *out, char *err, size_t err_len)
{
	char key_name[NAME_MAX + 1], pub_name[NAME_MAX + 1];
	snprintf(key_name, sizeof key_name, "%s.key", name);
	snprintf(pub_name, sizeof pub_name, "%s.pub", name);
	if (zmq_curve_keypair(out->public_z85, out->secret_z85) != 0) {
		snprintf(err, err_len, "cannot make a CurveZMQ key pair: %s", zmq_strerror(errno));
		return ff_err_errno(errno);
	}
	char line[FF_CURVE_Z85_LEN + 2];
	snprintf(line, sizeof line, "%s\n", out->secret_z85);
	int rc = ff_file_write_atomic(dir, key_name, line, strlen(line), 0600);
	if (rc == 0) {
		snprintf(line, sizeof line, "%s\n", out->public_z85);
		rc = ff_file_write_atomic(dir, pub_name, line, strlen(line), 0644);
	}
	if (rc < 0)
		snprintf(err, err_len, "cannot write the key pair %s: %s", key_path,
			 ff_strerror(rc));
	return rc;
}

static int ff_curve_load(int fd, const char *key_path, const char *pub_path,
			 ff_curve_keypair *out, char *err, size_t err_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, err_len, "%s: %s", key_path, strerror(errno));
		return ff_err_errno(errno);
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, err_len,
			 "%s: the secret key is readable by group or others (mode %04o); "
			 "run chmod 600 %s and consider it leaked",
			 key_path, (unsigned)(st.st_mode & 07777), key_path);
		return -EPERM;
	}
	char buf[FF_CURVE_FILE_MAX];
	int rc = ff_curve_read_small(fd, buf, sizeof buf);
	if (rc == 0)
		rc = ff_curve_key_parse(buf, out->secret_z85);
	if (rc == 0 && zmq_curve_public(out->public_z85, out->secret_z85) != 0)
		rc = -EINVAL;
	if (rc < 0) {
		snprintf(err, err_len,
			 "%s: not a CurveZMQ secret key (one line of 40 Z85 characters); "
			 "move it away to make a new key pair (%s goes with it)",
			 key_path, pub_path);
		return rc;
	}
	return 0;
}

int ff_curve_key_load_or_create(const char *dir, const char *name, ff_curve_keypair *out,
				bool *created, char *err, size_t err_len)
{
	char key_path[PATH_MAX], pub_path[PATH_MAX];
	if (snprintf(key_path, sizeof key_path, "%s/%s.key", dir, name) >= (int)sizeof key_path ||
	    snprintf(pub_path, sizeof pub_path, "%s/%s.pub", dir, name) >= (int)sizeof pub_path) {
		snprintf(err, err_len, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	memset(out, 0, sizeof *out);
	*created = false;
	int fd = open(key_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*created = true;
		return ff_curve_create(dir, name, key_path, out, err, err_len);
	}
	if (fd < 0) {
		int rc = ff_err_errno(errno);
		snprintf(err, err_len, "%s: %s", key_path, ff_strerror(rc));
		return rc;
	}
	int rc = ff_curve_load(fd, key_path, pub_path, out, err, err_len);
	close(fd);
	return rc;
}
