/*
 * The agent's side of issue 13 that needs no network: the transport
 * options (CURVE by default, --insecure-plaintext on request), the
 * enrolment token file, the once-a-minute limiter of refusal lines, the
 * Ack reasons that hold the queue, and the token in the Hello.
 */
#include "ff_test.h"

#include "agent_config.h"
#include "agent_hello.h"
#include "agent_trust.h"
#include "ff_frame.h"
#include "flowfleet.pb-c.h"
#include "log_every.h"
#include "sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* Writes `text` (len bytes) to a fresh temp file; the caller unlinks and frees the path. */
static char *write_tmp_n(const char *text, size_t len)
{
	char *path = strdup("/tmp/ff_test_trust_XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *write_tmp(const char *text)
{
	return write_tmp_n(text, strlen(text));
}

static void drop_tmp(char *path)
{
	unlink(path);
	free(path);
}

/* Reads the token of a file holding `text`; returns the code, *token set on success. */
static int token_of(const char *text, char **token, char *err)
{
	char *path = write_tmp(text);
	int rc = ff_agent_token_read(path, token, err, 512);
	drop_tmp(path);
	return rc;
}

static void token_read_trims_one_line(void **state)
{
	(void)state;
	char err[512], *tok = NULL;
	assert_int_equal(token_of("  0123456789abcdef-token\r\n", &tok, err), 0);
	assert_string_equal(tok, "0123456789abcdef-token");
	free(tok);
	assert_int_equal(token_of("0123456789abcdef", &tok, err), 0);
	assert_string_equal(tok, "0123456789abcdef");
	free(tok);
}

static void token_read_refuses_missing_and_empty(void **state)
{
	(void)state;
	char err[512], *tok = (char *)"x";
	assert_true(ff_agent_token_read("/nonexistent/ff-token", &tok, err, sizeof err) < 0);
	assert_null(tok);
	assert_non_null(strstr(err, "/nonexistent/ff-token"));
	assert_true(token_of("", &tok, err) < 0);
	assert_non_null(strstr(err, "empty"));
	assert_true(token_of(" \n\n", &tok, err) < 0);
	assert_non_null(strstr(err, "empty"));
	assert_null(tok);
}

static void token_read_refuses_overlong(void **state)
{
	(void)state;
	char err[512], *tok = NULL;
	char big[FF_AGENT_TOKEN_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_true(token_of(big, &tok, err) < 0);
	assert_non_null(strstr(err, "longer than"));
	/* Exactly the bound is fine. */
	big[FF_AGENT_TOKEN_MAX] = '\0';
	assert_int_equal(token_of(big, &tok, err), 0);
	assert_int_equal(strlen(tok), FF_AGENT_TOKEN_MAX);
	free(tok);
	/* A huge file is refused without reading it all. */
	size_t n = 1 << 20;
	char *huge = malloc(n + 1);
	assert_non_null(huge);
	memset(huge, 'b', n);
	huge[n] = '\0';
	tok = NULL;
	assert_true(token_of(huge, &tok, err) < 0);
	assert_null(tok);
	free(huge);
}

static void token_read_refuses_lines_blanks_and_short(void **state)
{
	(void)state;
	char err[512], *tok = NULL;
	assert_true(token_of("0123456789abcdef\n0123456789abcdef\n", &tok, err) < 0);
	assert_non_null(strstr(err, "one line"));
	assert_true(token_of("0123456789 abcdef\n", &tok, err) < 0);
	assert_true(token_of("short-token\n", &tok, err) < 0);
	assert_non_null(strstr(err, "at least 16"));
	char *path = write_tmp_n("0123456789abcdef\0zz", 19);
	assert_true(ff_agent_token_read(path, &tok, err, sizeof err) < 0);
	drop_tmp(path);
	assert_null(tok);
}

static void log_every_limits_per_reason(void **state)
{
	(void)state;
	ff_log_every l;
	uint64_t held = 99;
	ff_log_every_init(&l, 60000);
	assert_true(ff_log_every_due(&l, "pending enrolment", 1000, &held));
	assert_int_equal(held, 0);
	for (int i = 0; i < 5; i++)
		assert_false(ff_log_every_due(&l, "pending enrolment", 2000 + (uint64_t)i, &held));
	/* Another reason has its own minute. */
	assert_true(ff_log_every_due(&l, "storage full", 3000, &held));
	assert_false(ff_log_every_due(&l, "pending enrolment", 60999, &held));
	assert_true(ff_log_every_due(&l, "pending enrolment", 61000, &held));
	assert_int_equal(held, 6);
	assert_false(ff_log_every_due(&l, "pending enrolment", 61001, &held));
}

static void log_every_table_stays_bounded(void **state)
{
	(void)state;
	ff_log_every l;
	uint64_t held = 0;
	char key[32];
	ff_log_every_init(&l, 60000);
	/* More reasons than slots: each new one is logged, the oldest slot is reused. */
	for (int i = 0; i < FF_LOG_EVERY_SLOTS * 3; i++) {
		snprintf(key, sizeof key, "reason %d", i);
		assert_true(ff_log_every_due(&l, key, 1000 + (uint64_t)i, &held));
	}
	/* The newest reason is still remembered. */
	snprintf(key, sizeof key, "reason %d", FF_LOG_EVERY_SLOTS * 3 - 1);
	assert_false(ff_log_every_due(&l, key, 5000, &held));
}

static void hold_reasons(void **state)
{
	(void)state;
	assert_true(ff_sender_reason_holds("pending enrolment"));
	assert_true(ff_sender_reason_holds("pending enrolment: key 1234 not accepted"));
	assert_true(ff_sender_reason_holds("agent id does not match the key"));
	assert_false(ff_sender_reason_holds("batch did not decode"));
	assert_false(ff_sender_reason_holds(""));
}

/* Loads the agent's config from argv (NULL-terminated, without the program name). */
static int load(ff_agent_config *cfg, const char **args, char *err)
{
	char *argv[32] = {"flowfleet-agent", "--id", "node-t"};
	int argc = 3;
	for (; *args != NULL && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return ff_agent_config_load(cfg, argc, argv, err, 1024);
}

static void server_key(char pub[41])
{
	char sec[41];
	assert_int_equal(zmq_curve_keypair(pub, sec), 0);
}

static void config_refuses_no_key(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024];
	const char *args[] = {"--state-dir", "/tmp", NULL};
	assert_int_equal(load(&cfg, args, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "--server-key KEY"));
	assert_non_null(strstr(err, "--server-key-file FILE"));
	assert_non_null(strstr(err, "flowfleet-aggregator --show-key"));
	assert_non_null(strstr(err, "--insecure-plaintext"));
	ff_agent_config_free(&cfg);
}

static void config_plaintext(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024];
	const char *args[] = {"--insecure-plaintext", NULL};
	assert_int_equal(load(&cfg, args, err), FF_CONFIG_OK);
	assert_true(cfg.insecure_plaintext);
	assert_string_equal(cfg.server_public, "");
	assert_null(cfg.enroll_token);
	ff_agent_config_free(&cfg);
}

static void config_server_key_and_token(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024], pub[41];
	server_key(pub);
	char *tok = write_tmp("enrol-0123456789abcdef\n");
	const char *args[] = {"--state-dir", "/tmp", "--server-key", pub, "--enroll-token",
			      tok,	     NULL};
	assert_int_equal(load(&cfg, args, err), FF_CONFIG_OK);
	assert_false(cfg.insecure_plaintext);
	assert_string_equal(cfg.server_public, pub);
	assert_string_equal(cfg.enroll_token, "enrol-0123456789abcdef");
	ff_agent_config_free(&cfg);
	drop_tmp(tok);
}

static void config_server_key_file_and_config_keys(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024], pub[41], line[64];
	server_key(pub);
	snprintf(line, sizeof line, "%s\n", pub);
	char *keyfile = write_tmp(line);
	char *tok = write_tmp("file-token-0123456789\n");
	char conf_text[1024];
	snprintf(conf_text, sizeof conf_text,
		 "state-dir = /tmp\nserver-key-file = %s\nenroll-token = %s\n", keyfile, tok);
	char *conf = write_tmp(conf_text);
	const char *args[] = {"-c", conf, NULL};
	assert_int_equal(load(&cfg, args, err), FF_CONFIG_OK);
	assert_string_equal(cfg.server_public, pub);
	assert_string_equal(cfg.enroll_token, "file-token-0123456789");
	ff_agent_config_free(&cfg);
	/* The same file with the token made empty stops the start, naming the file. */
	char *empty = write_tmp("");
	snprintf(conf_text, sizeof conf_text,
		 "state-dir = /tmp\nserver-key-file = %s\nenroll-token = %s\n", keyfile, empty);
	char *conf2 = write_tmp(conf_text);
	const char *args2[] = {"-c", conf2, NULL};
	assert_int_equal(load(&cfg, args2, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, empty));
	ff_agent_config_free(&cfg);
	drop_tmp(keyfile);
	drop_tmp(tok);
	drop_tmp(conf);
	drop_tmp(empty);
	drop_tmp(conf2);
}

static void config_refuses_bad_keys(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024];
	const char *bad[] = {"--state-dir", "/tmp", "--server-key", "not-a-key", NULL};
	assert_int_equal(load(&cfg, bad, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "server-key"));
	ff_agent_config_free(&cfg);
	char *garbage = write_tmp("hello world\n");
	const char *badfile[] = {"--state-dir", "/tmp", "--server-key-file", garbage, NULL};
	assert_int_equal(load(&cfg, badfile, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, garbage));
	ff_agent_config_free(&cfg);
	drop_tmp(garbage);
	const char *missing[] = {"--state-dir", "/tmp", "--server-key-file", "/nonexistent/k",
				 NULL};
	assert_int_equal(load(&cfg, missing, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "/nonexistent/k"));
	ff_agent_config_free(&cfg);
}

static void config_refuses_contradictions(void **state)
{
	(void)state;
	ff_agent_config cfg;
	char err[1024], pub[41];
	server_key(pub);
	char *tok = write_tmp("enrol-0123456789abcdef\n");
	const char *both[] = {"--insecure-plaintext", "--server-key", pub, NULL};
	assert_int_equal(load(&cfg, both, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "contradict"));
	ff_agent_config_free(&cfg);
	const char *clear_token[] = {"--insecure-plaintext", "--enroll-token", tok, NULL};
	assert_int_equal(load(&cfg, clear_token, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "in clear"));
	ff_agent_config_free(&cfg);
	const char *two_keys[] = {"--state-dir", "/tmp", "--server-key", pub, "--server-key-file",
				  tok,		 NULL};
	assert_int_equal(load(&cfg, two_keys, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "only one"));
	ff_agent_config_free(&cfg);
	/* CURVE keeps the agent's key pair in the state dir: none, no start. */
	const char *no_state[] = {"--server-key", pub, NULL};
	assert_int_equal(load(&cfg, no_state, err), FF_CONFIG_ERROR);
	assert_non_null(strstr(err, "--state-dir"));
	ff_agent_config_free(&cfg);
	drop_tmp(tok);
}

static void keys_persist_in_state_dir(void **state)
{
	(void)state;
	char dir[] = "/tmp/ff_test_trust_dir_XXXXXX", err[1024], path[128];
	assert_non_null(mkdtemp(dir));
	ff_curve_keypair a, b;
	assert_int_equal(ff_agent_keys_open(dir, &a, err, sizeof err), 0);
	assert_int_equal(ff_agent_keys_open(dir, &b, err, sizeof err), 0);
	assert_string_equal(a.public_z85, b.public_z85);
	snprintf(path, sizeof path, "%s/agent.key", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	unlink(path);
	snprintf(path, sizeof path, "%s/agent.pub", dir);
	unlink(path);
	rmdir(dir);
}

static void hello_carries_token(void **state)
{
	(void)state;
	ff_agent_counters c = {0};
	ff_agent_hello h = {
	    .agent_id = "node-t", .counters = &c, .enroll_token = "tok-0123456789abcdef"};
	uint8_t *frame, *payload;
	size_t len, plen;
	ff_frame_header fh;
	assert_int_equal(ff_agent_hello_encode(&h, &frame, &len), 0);
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	Flowfleet__Hello *m = flowfleet__hello__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_string_equal(m->enroll_token, "tok-0123456789abcdef");
	int seen = 0;
	for (size_t i = 0; i < m->n_counters; i++)
		seen += strcmp(m->counters[i]->name, "handshake.failures") == 0 ||
			strcmp(m->counters[i]->name, "handshake.refused") == 0;
	assert_int_equal(seen, 2);
	flowfleet__hello__free_unpacked(m, NULL);
	free(payload);
	free(frame);
	/* Without a token the field stays empty. */
	h.enroll_token = NULL;
	assert_int_equal(ff_agent_hello_encode(&h, &frame, &len), 0);
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	m = flowfleet__hello__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_string_equal(m->enroll_token, "");
	flowfleet__hello__free_unpacked(m, NULL);
	free(payload);
	free(frame);
}

static const struct CMUnitTest agent_trust_tests[] = {
    cmocka_unit_test(token_read_trims_one_line),
    cmocka_unit_test(token_read_refuses_missing_and_empty),
    cmocka_unit_test(token_read_refuses_overlong),
    cmocka_unit_test(token_read_refuses_lines_blanks_and_short),
    cmocka_unit_test(log_every_limits_per_reason),
    cmocka_unit_test(log_every_table_stays_bounded),
    cmocka_unit_test(hold_reasons),
    cmocka_unit_test(config_refuses_no_key),
    cmocka_unit_test(config_plaintext),
    cmocka_unit_test(config_server_key_and_token),
    cmocka_unit_test(config_server_key_file_and_config_keys),
    cmocka_unit_test(config_refuses_bad_keys),
    cmocka_unit_test(config_refuses_contradictions),
    cmocka_unit_test(keys_persist_in_state_dir),
    cmocka_unit_test(hello_carries_token),
};

FF_TEST_MAIN(agent_trust_tests)
