/*
 * The HTTP API's tokens and access rule: the api.tokens parser (every
 * damaged line named by file and line), the token files of a data dir, the
 * scope decision and the loopback rule, and the once-a-minute log limiter.
 */
#include "ff_test.h"

#include "http_auth.h"
#include "http_ratelog.h"
#include "http_tokens.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_T "0123456789abcdef-admin"
#define READ_T	"0123456789abcdef-read"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ff-test-auth.XXXXXX");
	if (fx == NULL || mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static void rm_in(const char *dir, const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	rm_in(fx->dir, FF_HTTP_TOKEN_FILE);
	rm_in(fx->dir, FF_HTTP_READ_TOKEN_FILE);
	rm_in(fx->dir, FF_HTTP_TOKENS_FILE);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static ff_http_tokens *parsed(const char *text)
{
	char err[256] = "";
	ff_http_tokens *t = ff_http_tokens_new();
	assert_non_null(t);
	if (ff_http_tokens_parse(t, text, strlen(text), "api.tokens", err, sizeof err) != 0)
		fail_msg("parse: %s", err);
	return t;
}

static void tokens_parse_lines(void **state)
{
	(void)state;
	ff_http_tokens *t = parsed("# operators\n"
				   "\n" ADMIN_T " admin  ops team  \r\n"
				   "   " READ_T "\tread\n"
				   "0123456789abcdef-write write\n"
				   "0123456789abcdef-last read grafana");
	const char *label;
	assert_int_equal(ff_http_tokens_count(t), 4);
	assert_int_equal(ff_http_tokens_lookup(t, ADMIN_T, &label), FF_HTTP_SCOPE_ADMIN);
	assert_string_equal(label, "ops team");
	assert_int_equal(ff_http_tokens_lookup(t, READ_T, &label), FF_HTTP_SCOPE_READ);
	assert_string_equal(label, "");
	assert_int_equal(ff_http_tokens_lookup(t, "0123456789abcdef-write", &label),
			 FF_HTTP_SCOPE_ADMIN);
	assert_int_equal(ff_http_tokens_lookup(t, "0123456789abcdef-last", &label),
			 FF_HTTP_SCOPE_READ);
	assert_string_equal(label, "grafana");
	ff_http_tokens_free(t);
}

/* Each damaged text is refused with its line, and nothing of it is added. */
static void tokens_parse_damaged(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {ADMIN_T " admin\nshort read\n", "api.tokens:2: a token of 5 characters"},
	    {ADMIN_T "\n", "api.tokens:1: no scope"},
	    {ADMIN_T " rw\n", "api.tokens:1: an unknown scope"},
	    {ADMIN_T " readers\n", "api.tokens:1: an unknown scope"},
	    {ADMIN_T " admin\n# x\n" ADMIN_T " read\n", "api.tokens:3: the same token as another"},
	    {ADMIN_T " admin bad\x01label\n", "api.tokens:1: the label holds a byte 0x01"},
	    {"0123456789abcdef\x7f admin\n", "api.tokens:1: the token holds a byte 0x7f"},
	    {ADMIN_T " admin "
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	     "api.tokens:1: a label longer than 64"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "";
		ff_http_tokens *t = ff_http_tokens_new();
		assert_int_equal(ff_http_tokens_parse(t, cases[i].text, strlen(cases[i].text),
						      "api.tokens", err, sizeof err),
				 -1);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err, cases[i].want);
		assert_int_equal(ff_http_tokens_count(t), 0);
		ff_http_tokens_free(t);
	}
	/* A NUL byte inside the text: the length is given, so it is seen. */
	char err[256] = "";
	ff_http_tokens *t = ff_http_tokens_new();
	static const char nul[] = ADMIN_T " admin\n" READ_T "\0 read\n";
	assert_int_equal(ff_http_tokens_parse(t, nul, sizeof nul - 1, "f", err, sizeof err), -1);
	assert_string_equal(err, "f:2: a NUL byte (not a text file)");
	assert_int_equal(ff_http_tokens_count(t), 0);
	ff_http_tokens_free(t);
}

static void tokens_lookup_exact(void **state)
{
	(void)state;
	ff_http_tokens *t = parsed(ADMIN_T " admin\n" READ_T " read\n");
	const char *label;
	assert_int_equal(ff_http_tokens_lookup(t, NULL, &label), FF_HTTP_SCOPE_NONE);
	assert_int_equal(ff_http_tokens_lookup(t, "", &label), FF_HTTP_SCOPE_NONE);
	assert_int_equal(ff_http_tokens_lookup(t, "0123456789abcdef-admi", &label),
			 FF_HTTP_SCOPE_NONE);
	assert_int_equal(ff_http_tokens_lookup(t, ADMIN_T "x", &label), FF_HTTP_SCOPE_NONE);
	assert_int_equal(ff_http_tokens_lookup(t, "0123456789ABCDEF-admin", &label),
			 FF_HTTP_SCOPE_NONE);
	assert_string_equal(label, "");
	ff_http_tokens_free(t);
}

static void read_file(const char *dir, const char *name, char *out, size_t len, mode_t *mode)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)len, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(stat(path, &st), 0);
	*mode = st.st_mode & 07777;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* First start creates both token files 0600; the next start reads the same ones. */
static void tokens_dir_created_then_read(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "", admin[300], reader[300];
	mode_t ma, mr;
	ff_http_tokens *t = ff_http_tokens_new();
	if (ff_http_tokens_load_dir(t, fx->dir, err, sizeof err) != 0)
		fail_msg("load: %s", err);
	ff_http_tokens_free(t);
	read_file(fx->dir, FF_HTTP_TOKEN_FILE, admin, sizeof admin, &ma);
	read_file(fx->dir, FF_HTTP_READ_TOKEN_FILE, reader, sizeof reader, &mr);
	assert_int_equal(ma, 0600);
	assert_int_equal(mr, 0600);
	assert_int_equal(strlen(admin), 64);
	assert_int_equal(strspn(admin, "0123456789abcdef"), 64);
	assert_string_not_equal(admin, reader);

	write_file(fx->dir, FF_HTTP_TOKENS_FILE, ADMIN_T " read dashboards\n", 0600);
	t = ff_http_tokens_new();
	if (ff_http_tokens_load_dir(t, fx->dir, err, sizeof err) != 0)
		fail_msg("reload: %s", err);
	const char *label;
	assert_int_equal(ff_http_tokens_count(t), 3);
	assert_int_equal(ff_http_tokens_lookup(t, admin, &label), FF_HTTP_SCOPE_ADMIN);
	assert_string_equal(label, FF_HTTP_TOKEN_FILE);
	assert_int_equal(ff_http_tokens_lookup(t, reader, &label), FF_HTTP_SCOPE_READ);
	assert_int_equal(ff_http_tokens_lookup(t, ADMIN_T, &label), FF_HTTP_SCOPE_READ);
	assert_string_equal(label, "dashboards");
	ff_http_tokens_free(t);
}

static void tokens_dir_refuses_bad_file(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "", want[256];
	ff_http_tokens *t = ff_http_tokens_new();
	write_file(fx->dir, FF_HTTP_TOKENS_FILE, ADMIN_T " read\n", 0644);
	assert_true(ff_http_tokens_load_dir(t, fx->dir, err, sizeof err) < 0);
	snprintf(want, sizeof want,
		 "%s/" FF_HTTP_TOKENS_FILE ": readable by group or others (mode 0644)", fx->dir);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	ff_http_tokens_free(t);

	t = ff_http_tokens_new();
	write_file(fx->dir, FF_HTTP_TOKENS_FILE, ADMIN_T " read\n" ADMIN_T " admin\n", 0600);
	assert_true(ff_http_tokens_load_dir(t, fx->dir, err, sizeof err) < 0);
	snprintf(want, sizeof want, "%s/" FF_HTTP_TOKENS_FILE ":2: the same token", fx->dir);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	ff_http_tokens_free(t);

	/* An empty api.token is damage, not a token. */
	t = ff_http_tokens_new();
	write_file(fx->dir, FF_HTTP_TOKENS_FILE, "", 0600);
	write_file(fx->dir, FF_HTTP_TOKEN_FILE, "\n", 0600);
	assert_true(ff_http_tokens_load_dir(t, fx->dir, err, sizeof err) < 0);
	assert_non_null(strstr(err, "api.token: empty file"));
	ff_http_tokens_free(t);
}

static ff_http_auth *auth_on(const char *dir, const char *addr, bool public_read)
{
	char err[512] = "";
	write_file(dir, FF_HTTP_TOKEN_FILE, ADMIN_T "\n", 0600);
	write_file(dir, FF_HTTP_READ_TOKEN_FILE, READ_T "\n", 0600);
	ff_http_auth *a = ff_http_auth_new(dir, addr, public_read, err, sizeof err);
	if (a == NULL)
		fail_msg("auth: %s", err);
	return a;
}

/* Beyond loopback: every read needs a token; admin implies read. */
static void auth_scopes_beyond_loopback(void **state)
{
	struct fixture *fx = *state;
	ff_http_auth *a = auth_on(fx->dir, "0.0.0.0", false);
	const char *label;
	assert_true(ff_http_auth_reads_need_token(a));
	assert_int_equal(ff_http_auth_check(a, NULL, FF_HTTP_SCOPE_NONE, NULL), FF_HTTP_AUTH_OK);
	assert_int_equal(ff_http_auth_check(a, NULL, FF_HTTP_SCOPE_READ, NULL),
			 FF_HTTP_AUTH_NO_TOKEN);
	assert_int_equal(ff_http_auth_check(a, "", FF_HTTP_SCOPE_READ, NULL),
			 FF_HTTP_AUTH_NO_TOKEN);
	assert_int_equal(ff_http_auth_check(a, "Bearer " READ_T, FF_HTTP_SCOPE_READ, &label),
			 FF_HTTP_AUTH_OK);
	assert_string_equal(label, FF_HTTP_READ_TOKEN_FILE);
	assert_int_equal(ff_http_auth_check(a, "Bearer " READ_T, FF_HTTP_SCOPE_ADMIN, NULL),
			 FF_HTTP_AUTH_SCOPE);
	assert_int_equal(ff_http_auth_check(a, "Bearer " ADMIN_T, FF_HTTP_SCOPE_READ, NULL),
			 FF_HTTP_AUTH_OK);
	assert_int_equal(ff_http_auth_check(a, "bearer   " ADMIN_T "  ", FF_HTTP_SCOPE_ADMIN, NULL),
			 FF_HTTP_AUTH_OK);
	assert_int_equal(ff_http_auth_check(a, "Bearer nope", FF_HTTP_SCOPE_READ, NULL),
			 FF_HTTP_AUTH_BAD_TOKEN);
	assert_int_equal(ff_http_auth_check(a, "Basic " ADMIN_T, FF_HTTP_SCOPE_READ, NULL),
			 FF_HTTP_AUTH_BAD_TOKEN);
	assert_int_equal(ff_http_auth_check(a, "Bearer ", FF_HTTP_SCOPE_ADMIN, NULL),
			 FF_HTTP_AUTH_BAD_TOKEN);
	ff_http_auth_free(a);
}

/* On loopback, and with --http-public-read, reads are open; writes never are. */
static void auth_reads_open(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *addr;
		bool public_read;
	} open_on[] = {{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", true}};
	for (size_t i = 0; i < sizeof open_on / sizeof open_on[0]; i++) {
		ff_http_auth *a = auth_on(fx->dir, open_on[i].addr, open_on[i].public_read);
		assert_false(ff_http_auth_reads_need_token(a));
		assert_int_equal(ff_http_auth_check(a, NULL, FF_HTTP_SCOPE_READ, NULL),
				 FF_HTTP_AUTH_OK);
		assert_int_equal(ff_http_auth_check(a, NULL, FF_HTTP_SCOPE_ADMIN, NULL),
				 FF_HTTP_AUTH_NO_TOKEN);
		assert_int_equal(ff_http_auth_check(a, "Bearer " READ_T, FF_HTTP_SCOPE_ADMIN, NULL),
				 FF_HTTP_AUTH_SCOPE);
		assert_int_equal(
		    ff_http_auth_check(a, "Bearer " ADMIN_T, FF_HTTP_SCOPE_ADMIN, NULL),
		    FF_HTTP_AUTH_OK);
		ff_http_auth_free(a);
	}
}

static void loopback_addresses(void **state)
{
	(void)state;
	static const char *const loop[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1",
					   "0:0:0:0:0:0:0:1"};
	static const char *const beyond[] = {
	    "0.0.0.0",	       "::",	  "10.0.0.1", "192.168.1.1", "128.0.0.1", "localhost", "",
	    "::ffff:10.0.0.1", "fe80::1", "*",	      "127.0.0.1x"};
	for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++) {
		if (!ff_http_addr_is_loopback(loop[i]))
			fail_msg("%s should be loopback", loop[i]);
		assert_false(ff_http_reads_need_token(loop[i], false));
	}
	for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
		if (ff_http_addr_is_loopback(beyond[i]))
			fail_msg("'%s' should not be loopback", beyond[i]);
		assert_true(ff_http_reads_need_token(beyond[i], false));
		assert_false(ff_http_reads_need_token(beyond[i], true));
	}
}

static void ratelog_once_a_minute(void **state)
{
	(void)state;
	ff__http_ratelog *r = calloc(1, sizeof *r);
	uint64_t held;
	assert_true(ff__http_ratelog_may(r, "10.0.0.1", 1000, &held));
	assert_int_equal(held, 0);
	assert_false(ff__http_ratelog_may(r, "10.0.0.1", 2000, &held));
	assert_false(ff__http_ratelog_may(r, "10.0.0.1", 60999, &held));
	assert_true(ff__http_ratelog_may(r, "10.0.0.2", 2000, &held));
	assert_true(ff__http_ratelog_may(r, "10.0.0.1", 61000, &held));
	assert_int_equal(held, 2);
	/* More peers than slots: the one logged longest ago is forgotten first. */
	char peer[32];
	for (int i = 0; i < FF__HTTP_RATELOG_PEERS; i++) {
		snprintf(peer, sizeof peer, "192.0.2.%d", i);
		assert_true(ff__http_ratelog_may(r, peer, 62000 + (uint64_t)i, &held));
	}
	assert_true(ff__http_ratelog_may(r, "10.0.0.2", 63000, &held));
	assert_false(ff__http_ratelog_may(r, "192.0.2.63", 63000, &held));
	free(r);
}

static const struct CMUnitTest http_auth_tests[] = {
    cmocka_unit_test(tokens_parse_lines),
    cmocka_unit_test(tokens_parse_damaged),
    cmocka_unit_test(tokens_lookup_exact),
    cmocka_unit_test_setup_teardown(tokens_dir_created_then_read, setup, teardown),
    cmocka_unit_test_setup_teardown(tokens_dir_refuses_bad_file, setup, teardown),
    cmocka_unit_test_setup_teardown(auth_scopes_beyond_loopback, setup, teardown),
    cmocka_unit_test_setup_teardown(auth_reads_open, setup, teardown),
    cmocka_unit_test(loopback_addresses),
    cmocka_unit_test(ratelog_once_a_minute),
};

FF_TEST_MAIN(http_auth_tests)
