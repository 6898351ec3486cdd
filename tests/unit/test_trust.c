#include "ff_test.h"

#include "ff_curve_key.h"
#include "ff_time.h"
#include "trust.h"
#include "trust_impl.h"
#include "trust_token.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

struct fixture {
	char dir[64];
	char key[3][FF_CURVE_Z85_LEN + 1];
	char fp[3][FF_CURVE_FP_LEN + 1];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ff-test-trust.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	for (int i = 0; i < 3; i++) {
		char secret[FF_CURVE_Z85_LEN + 1];
		if (zmq_curve_keypair(fx->key[i], secret) != 0 ||
		    ff_curve_key_fingerprint(fx->key[i], fx->fp[i]) != 0)
			return -1;
	}
	*state = fx;
	return 0;
}

static void fx_path(const struct fixture *fx, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", fx->dir, name);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	fx_path(fx, FF_TRUST_FILE, path, sizeof path);
	unlink(path);
	fx_path(fx, "tokens", path, sizeof path);
	unlink(path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static ff_trust *open_ok(const char *dir, size_t max_pending, ff_trust_tokens *tokens)
{
	char err[512] = "";
	ff_trust *t = ff_trust_open(dir, max_pending, tokens, err, sizeof err);
	if (t == NULL)
		fail_msg("open: %s", err);
	return t;
}

static enum ff_trust_verdict say(ff_trust *t, const char *key, const char *id, const char *token)
{
	ff_trust_claim c = {.key = key, .agent_id = id, .peer = "192.0.2.1", .fd = -1};
	if (token != NULL) {
		c.hello = true;
		c.hostname = "host";
		c.token = token;
	}
	return ff_trust_check(t, &c, ff_time_now_ms());
}

static void decide_ok(ff_trust *t, enum ff_trust_op op, const char *which)
{
	char err[256] = "";
	json_t *rec = NULL;
	if (ff_trust_decide(t, op, which, "test", "why", 2000, &rec, err, sizeof err) != 0)
		fail_msg("decide %s: %s", which, err);
	json_decref(rec);
}

static int decide_rc(ff_trust *t, enum ff_trust_op op, const char *which)
{
	char err[256] = "";
	json_t *rec = NULL;
	int rc = ff_trust_decide(t, op, which, "test", "", 2000, &rec, err, sizeof err);
	json_decref(rec);
	return rc;
}

static uint64_t counter(ff_trust *t, const char *name)
{
	json_t *c = ff_trust_counters_json(t);
	uint64_t v = (uint64_t)json_integer_value(json_object_get(c, name));
	json_decref(c);
	return v;
}

/* Accepted, rejected and revoked keys come back after a reopen, with their history. */
static void history_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	ff_trust *t = open_ok(fx->dir, 16, NULL);
	assert_int_equal(say(t, fx->key[0], "node-a", ""), FF_TRUST_PENDING);
	assert_int_equal(say(t, fx->key[1], "node-b", ""), FF_TRUST_PENDING);
	decide_ok(t, FF_TRUST_ACCEPT, fx->fp[0]);
	decide_ok(t, FF_TRUST_ACCEPT, "node-b");
	decide_ok(t, FF_TRUST_REVOKE, "node-b");
	ff_trust_close(t);

	t = open_ok(fx->dir, 16, NULL);
	assert_int_equal(ff_trust_accepted_count(t), 1);
	assert_int_equal(ff_trust_pending_count(t), 0);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_OK);
	assert_false(ff_trust_zap_allows(t, fx->key[1]));
	assert_true(ff_trust_zap_allows(t, fx->key[2])); /* unknown keys may handshake */
	json_t *keys = ff_trust_keys_json(t);
	assert_int_equal(json_array_size(keys), 2);
	json_t *b = json_array_get(keys, 1);
	assert_string_equal(json_string_value(json_object_get(b, "state")), "revoked");
	/* pending-seen is history, not state: node-b has seen, accepted, revoked. */
	assert_int_equal(json_integer_value(json_object_get(b, "events")), 2);
	json_decref(keys);
	ff_trust_close(t);
	char path[128];
	fx_path(fx, FF_TRUST_FILE, path, sizeof path);
	FILE *f = fopen(path, "r");
	int lines = 0, ch;
	while ((ch = fgetc(f)) != EOF)
		lines += ch == '\n';
	fclose(f);
	assert_int_equal(lines, 5); /* 2 pending-seen, 2 accepted, 1 revoked */
}

static void append(const struct fixture *fx, const char *text)
{
	char path[128];
	fx_path(fx, FF_TRUST_FILE, path, sizeof path);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* A torn last line is dropped and cut; a damaged whole line is refused with file:line. */
static void torn_tail_cut_damage_refused(void **state)
{
	struct fixture *fx = *state;
	ff_trust *t = open_ok(fx->dir, 16, NULL);
	say(t, fx->key[0], "node-a", "");
	decide_ok(t, FF_TRUST_ACCEPT, fx->fp[0]);
	ff_trust_close(t);
	append(fx, "{\"op\":\"revoked\",\"key\":");
	t = open_ok(fx->dir, 16, NULL);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_OK);
	decide_ok(t, FF_TRUST_REVOKE, "node-a"); /* line 3, right after the cut */
	ff_trust_close(t);
	t = open_ok(fx->dir, 16, NULL);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_REFUSED);
	ff_trust_close(t);

	append(fx, "not json\n");
	char err[512] = "";
	assert_null(ff_trust_open(fx->dir, 16, NULL, err, sizeof err));
	if (strstr(err, "trust.log:4: not JSON") == NULL)
		fail_msg("error '%s' does not name line 4", err);
}

/* Every field is checked: a fingerprint that is not the key's is damage. */
static void damaged_fields_refused(void **state)
{
	struct fixture *fx = *state;
	char line[512], err[512];
	snprintf(line, sizeof line,
		 "{\"op\":\"accepted\",\"key\":\"%s\",\"fingerprint\":\"%s\",\"agent_id\":\"a\","
		 "\"time_ms\":1,\"by\":\"x\",\"why\":\"\"}\n",
		 fx->key[0], fx->fp[1]);
	append(fx, line);
	assert_null(ff_trust_open(fx->dir, 16, NULL, err, sizeof err));
	if (strstr(err, "trust.log:1: fingerprint") == NULL)
		fail_msg("error '%s'", err);
	ff_trust *t = ff__trust_new(4);
	char *cases[] = {
	    "{\"op\":\"accepted\"}\n",
	    "{\"op\":\"maybe\",\"key\":\"k\",\"fingerprint\":\"f\",\"agent_id\":\"a\",\"time_ms\":"
	    "1,"
	    "\"by\":\"x\",\"why\":\"\"}\n",
	    "[]\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[512];
		size_t whole;
		snprintf(buf, sizeof buf, "%s", cases[i]);
		assert_int_equal(
		    ff__trust_load_buffer(t, buf, strlen(buf), &whole, err, sizeof err), -1);
	}
	ff_trust_close(t);
}

/* Accept, spoof, conflict, reject, revoke, accept again: what each message gets. */
static void transitions(void **state)
{
	struct fixture *fx = *state;
	ff_trust *t = open_ok(fx->dir, 16, NULL);
	assert_int_equal(say(t, fx->key[0], "node-a", ""), FF_TRUST_PENDING);
	assert_int_equal(decide_rc(t, FF_TRUST_REVOKE, fx->fp[0]), FF_TRUST_ENOTFOUND);
	decide_ok(t, FF_TRUST_ACCEPT, "node-a");
	assert_int_equal(decide_rc(t, FF_TRUST_ACCEPT, fx->fp[0]), FF_TRUST_ECONFLICT);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_OK);
	assert_int_equal(say(t, fx->key[0], "node-b", NULL), FF_TRUST_SPOOFED);
	assert_int_equal(counter(t, "spoofed_id"), 1);

	/* Two keys claiming one bound id: conflicts, never a takeover. */
	assert_int_equal(say(t, fx->key[1], "node-a", ""), FF_TRUST_PENDING);
	assert_int_equal(say(t, fx->key[2], "node-a", ""), FF_TRUST_PENDING);
	assert_int_equal(counter(t, "id_conflict"), 2);
	assert_int_equal(decide_rc(t, FF_TRUST_ACCEPT, "node-a"),
			 FF_TRUST_ECONFLICT); /* ambiguous */
	assert_int_equal(decide_rc(t, FF_TRUST_ACCEPT, fx->fp[1]), FF_TRUST_ECONFLICT); /* bound */
	json_t *p = ff_trust_pending_json(t);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "reason")),
			    "id conflict");
	json_decref(p);
	decide_ok(t, FF_TRUST_REJECT, fx->fp[2]);
	assert_false(ff_trust_zap_allows(t, fx->key[2]));
	assert_int_equal(say(t, fx->key[2], "node-a", NULL), FF_TRUST_REFUSED);
	assert_int_equal(counter(t, "rejected"), 2);

	/* Revoke node-a; then key 1 can have the id. */
	decide_ok(t, FF_TRUST_REVOKE, "node-a");
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_REFUSED);
	assert_int_equal(counter(t, "revoked"), 1);
	decide_ok(t, FF_TRUST_ACCEPT, fx->fp[1]);
	assert_int_equal(say(t, fx->key[1], "node-a", NULL), FF_TRUST_OK);
	/* The revoked key comes back only once node-a is free again. */
	assert_int_equal(decide_rc(t, FF_TRUST_ACCEPT, fx->fp[0]), FF_TRUST_ECONFLICT);
	decide_ok(t, FF_TRUST_REVOKE, fx->fp[1]);
	decide_ok(t, FF_TRUST_ACCEPT, fx->fp[0]);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_OK);
	assert_int_equal(say(t, NULL, "node-a", NULL), FF_TRUST_REFUSED);
	ff_trust_close(t);
}

/* The pending table is bounded; refusals beyond it are counted. */
static void pending_bounded(void **state)
{
	struct fixture *fx = *state;
	ff_trust *t = open_ok(fx->dir, 2, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(say(t, fx->key[i], "node", ""), FF_TRUST_PENDING);
	assert_int_equal(say(t, fx->key[0], "node", NULL), FF_TRUST_PENDING); /* refreshed */
	assert_int_equal(ff_trust_pending_count(t), 2);
	assert_int_equal(counter(t, "pending_full"), 1);
	assert_int_equal(counter(t, "unknown_key"), 4);
	json_t *p = ff_trust_pending_json(t);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 0), "count")), 2);
	json_decref(p);
	ff_trust_close(t);
}

static void write_tokens(const struct fixture *fx, const char *text)
{
	char path[128];
	fx_path(fx, "tokens", path, sizeof path);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Token lines: comments, expiry, bounds; errors name the line. */
static void token_file_parse(void **state)
{
	(void)state;
	ff_trust_token *v = NULL;
	size_t n = 0;
	char err[256];
	const char *ok =
	    "# c\n\n  tok-0123456789abcdef  \nexp-0123456789abcdef 2030-02-28T12:00:00Z";
	assert_int_equal(ff_trust_tokens_parse(ok, strlen(ok), "f", &v, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].text, "tok-0123456789abcdef");
	assert_int_equal(v[0].expires_ms, 0);
	assert_int_equal(v[1].expires_ms, 1898510400000ull);
	free(v);
	const char *bad[] = {"good-0123456789abc\nshort\n",
			     "x-0123456789abcdefg 2030-02-31T00:00:00Z\n",
			     "x-0123456789abcdefg tomorrow\n", "a-0123456789abcdefg b c\n"};
	const char *where[] = {"f:2:", "f:1:", "f:1:", "f:1:"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(
		    ff_trust_tokens_parse(bad[i], strlen(bad[i]), "f", &v, &n, err, sizeof err),
		    -1);
		if (strncmp(err, where[i], strlen(where[i])) != 0)
			fail_msg("'%s' for case %zu", err, i);
	}
}

/* A valid token enrols at once; expired and unknown ones count; the file is re-read. */
static void token_enrols_and_rotates(void **state)
{
	struct fixture *fx = *state;
	char path[128], err[256];
	write_tokens(fx, "good-0123456789abcdef\nold-0123456789abcdef 2001-01-01T00:00:00Z\n");
	fx_path(fx, "tokens", path, sizeof path);
	ff_trust_tokens *tok = ff_trust_tokens_open(path, err, sizeof err);
	assert_non_null(tok);
	ff_trust *t = open_ok(fx->dir, 16, tok);
	assert_int_equal(say(t, fx->key[0], "node-a", "old-0123456789abcdef"), FF_TRUST_PENDING);
	assert_int_equal(say(t, fx->key[1], "node-b", "nope-0123456789abcdef"), FF_TRUST_PENDING);
	assert_int_equal(counter(t, "bad_token"), 2);
	assert_int_equal(say(t, fx->key[0], "node-a", "good-0123456789abcdef"), FF_TRUST_OK);
	assert_int_equal(say(t, fx->key[0], "node-a", NULL), FF_TRUST_OK);
	/* A valid token never takes over a bound id. */
	assert_int_equal(say(t, fx->key[2], "node-a", "good-0123456789abcdef"), FF_TRUST_PENDING);
	assert_int_equal(counter(t, "id_conflict"), 1);
	ff_trust_close(t);

	tok = ff_trust_tokens_open(path, err, sizeof err);
	assert_int_equal(ff_trust_tokens_check(tok, "good-0123456789abcdef", 0),
			 FF_TRUST_TOKEN_VALID);
	write_tokens(fx, "new-0123456789abcdef\n");
	sleep(1);
	struct timespec ts[2] = {{.tv_sec = 1},
				 {.tv_sec = 1}}; /* another mtime, whatever the clock */
	utimensat(AT_FDCWD, path, ts, 0);
	sleep(1); /* past the once-a-second look */
	assert_int_equal(ff_trust_tokens_check(tok, "good-0123456789abcdef", 0),
			 FF_TRUST_TOKEN_NONE);
	assert_int_equal(ff_trust_tokens_check(tok, "new-0123456789abcdef", 0),
			 FF_TRUST_TOKEN_VALID);
	/* A bad new version keeps the tokens read before. */
	write_tokens(fx, "short\n");
	sleep(1);
	assert_int_equal(ff_trust_tokens_check(tok, "new-0123456789abcdef", 0),
			 FF_TRUST_TOKEN_VALID);
	ff_trust_tokens_free(tok);
}

static const struct CMUnitTest trust_tests[] = {
    cmocka_unit_test_setup_teardown(history_survives_reopen, setup, teardown),
    cmocka_unit_test_setup_teardown(torn_tail_cut_damage_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(damaged_fields_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(transitions, setup, teardown),
    cmocka_unit_test_setup_teardown(pending_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(token_file_parse, setup, teardown),
    cmocka_unit_test_setup_teardown(token_enrols_and_rotates, setup, teardown),
};

FF_TEST_MAIN(trust_tests)
