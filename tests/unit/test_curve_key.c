#include "ff_test.h"

#include "ff_curve_key.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char ff_dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(ff_dir, sizeof ff_dir, "/tmp/ff-curve-key.XXXXXX");
	return mkdtemp(ff_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", ff_dir);
	return system(cmd);
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", ff_dir, name);
}

/* The first start creates the pair (secret 0600); the next loads the same keys. */
static void create_then_load(void **state)
{
	(void)state;
	ff_curve_keypair a, b;
	bool created = false;
	char err[512];
	assert_int_equal(ff_curve_key_load_or_create(ff_dir, "agent", &a, &created, err, sizeof err), 0);
	assert_true(created);
	char p[128];
	struct stat st;
	path_of(p, sizeof p, "agent.key");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ff_curve_key_load_or_create(ff_dir, "agent", &b, &created, err, sizeof err), 0);
	assert_false(created);
	assert_string_equal(a.public_z85, b.public_z85);
	assert_string_equal(a.secret_z85, b.secret_z85);
	char pub[FF_CURVE_Z85_LEN + 1];
	path_of(p, sizeof p, "agent.pub");
	assert_int_equal(ff_curve_key_read_public(p, pub, err, sizeof err), 0);
	assert_string_equal(pub, a.public_z85);
}

/* A secret that others can read stops the daemon with the chmod to run. */
static void world_readable_secret_refused(void **state)
{
	(void)state;
	ff_curve_keypair k;
	bool created;
	char err[512], p[128];
	assert_int_equal(ff_curve_key_load_or_create(ff_dir, "srv", &k, &created, err, sizeof err), 0);
	path_of(p, sizeof p, "srv.key");
	assert_int_equal(chmod(p, 0644), 0);
	assert_true(ff_curve_key_load_or_create(ff_dir, "srv", &k, &created, err, sizeof err) < 0);
	assert_non_null(strstr(err, "chmod 600"));
}

/* A damaged secret file is refused, never replaced by a new key. */
static void damaged_secret_refused(void **state)
{
	(void)state;
	char p[128], err[512];
	path_of(p, sizeof p, "bad.key");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(chmod(p, 0600), 0);
	ff_curve_keypair k;
	bool created = true;
	assert_true(ff_curve_key_load_or_create(ff_dir, "bad", &k, &created, err, sizeof err) < 0);
	assert_false(created);
	assert_non_null(strstr(err, "not a CurveZMQ secret key"));
}

/* Keys parse with white space around them; wrong lengths and alphabets do not. */
static void parse_and_fingerprint(void **state)
{
	(void)state;
	ff_curve_keypair k;
	bool created;
	char err[512];
	assert_int_equal(ff_curve_key_load_or_create(ff_dir, "fp", &k, &created, err, sizeof err), 0);
	char text[64], out[FF_CURVE_Z85_LEN + 1];
	snprintf(text, sizeof text, "  %s\n", k.public_z85);
	assert_int_equal(ff_curve_key_parse(text, out), 0);
	assert_string_equal(out, k.public_z85);
	assert_int_equal(ff_curve_key_parse("short", out), -EINVAL);
	assert_int_equal(ff_curve_key_parse("~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", out), -EINVAL);
	char fp[FF_CURVE_FP_LEN + 1], fp2[FF_CURVE_FP_LEN + 1];
	assert_int_equal(ff_curve_key_fingerprint(k.public_z85, fp), 0);
	assert_int_equal(strlen(fp), FF_CURVE_FP_LEN);
	assert_int_equal(ff_curve_key_fingerprint(text, fp2), 0);
	assert_string_equal(fp, fp2);
	assert_int_equal(ff_curve_key_fingerprint("nope", fp2), -EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(create_then_load, setup, teardown),
    cmocka_unit_test_setup_teardown(world_readable_secret_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(damaged_secret_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(parse_and_fingerprint, setup, teardown),
};

FF_TEST_MAIN(tests)
