#ifndef FF_CURVE_KEY_H
#define FF_CURVE_KEY_H

/*
 * CurveZMQ key pairs on disk, shared by the agent (its client key, in its
 * state dir) and the aggregator (its server key, in its data dir).
 *
 * A key pair named NAME in DIR is two files:
 *   DIR/NAME.key  the secret key, one line of 40 Z85 characters, mode 0600;
 *   DIR/NAME.pub  the public key, one line of 40 Z85 characters, mode 0644.
 * The public file is a convenience for operators (copy it to the other
 * side); the public key is always derived again from the secret one, so a
 * stale or edited .pub file cannot make a daemon claim another key.
 *
 * A key's fingerprint is what operators compare and type: the first 8 bytes
 * of SHA-256 over the 32 raw key bytes, as 16 lowercase hex digits. Finding
 * another key with a given fingerprint costs about 2^64 tries.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_CURVE_Z85_LEN 40 /* characters of one key in Z85 */
#define FF_CURVE_FP_LEN 16  /* hex digits of a fingerprint */

typedef struct ff_curve_keypair {
	char public_z85[FF_CURVE_Z85_LEN + 1];
	char secret_z85[FF_CURVE_Z85_LEN + 1];
} ff_curve_keypair;

/*
 * Loads DIR/NAME.key, or when it does not exist creates a new key pair
 * (DIR/NAME.key 0600, then DIR/NAME.pub), each written to a temporary name,
 * fsync'd and renamed, so a crash leaves no half key. *created says which.
 * Refuses (error, with the path and what to do, in err) a secret file that
 * group or others can read, one that is not one line of Z85, and a DIR
 * that does not exist. Returns 0 or a negative ff_err code.
 */
int ff_curve_key_load_or_create(const char *dir, const char *name, ff_curve_keypair *out,
				bool *created, char *err, size_t err_len);

/*
 * Checks `text` is a Z85 public key (40 characters, surrounding white space
 * ignored) and copies it, trimmed, to out. Returns 0 or -EINVAL.
 */
int ff_curve_key_parse(const char *text, char out[FF_CURVE_Z85_LEN + 1]);

/* Reads a public key file (one line of Z85). Returns 0 or a negative code; err says why. */
int ff_curve_key_read_public(const char *path, char out[FF_CURVE_Z85_LEN + 1], char *err,
			     size_t err_len);

/* The fingerprint of a Z85 public key. Returns 0, or -EINVAL when the key is not Z85. */
int ff_curve_key_fingerprint(const char *public_z85, char out[FF_CURVE_FP_LEN + 1]);

/* The fingerprint of 32 raw key bytes (as ZAP hands them over). */
void ff_curve_key_fingerprint_raw(const uint8_t key[32], char out[FF_CURVE_FP_LEN + 1]);

#endif
