#include "ff_test.h"

#include "agent_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(const char *text, enum ff_agent_state_kind kind, uint64_t *v)
{
	return ff_agent_state_parse(text, strlen(text), kind, v);
}

static void parse_valid(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(parse("42\n", FF_STATE_KIND_SEQUENCE, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse("7", FF_STATE_KIND_SEQUENCE, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse("18446744073709551614\n", FF_STATE_KIND_SEQUENCE, &v), 0);
	assert_true(v == UINT64_MAX - 1);
	assert_int_equal(parse("00000000deadBEEF\n", FF_STATE_KIND_EPOCH, &v), 0);
	assert_true(v == 0xdeadbeefu);
	assert_int_equal(parse("ffffffffffffffff\n", FF_STATE_KIND_EPOCH, &v), 0);
	assert_true(v == UINT64_MAX);
}

/* The reported case: "-5" was read as 2^64-5. */
static void parse_negative(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_int_equal(parse("-5\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("-5", FF_STATE_KIND_EPOCH, &v), -EINVAL);
	assert_int_equal(parse("+5\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(v, 99);
}

static void parse_non_numeric(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_int_equal(parse("abc\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("xyz\n", FF_STATE_KIND_EPOCH, &v), -EINVAL);
	assert_int_equal(parse("0x10\n", FF_STATE_KIND_EPOCH, &v), -EINVAL);
	assert_int_equal(parse("", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse(" 5\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(ff_agent_state_parse("5\0", 2, FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(v, 99);
}

static void parse_overflow(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_int_equal(parse("18446744073709551616\n", FF_STATE_KIND_SEQUENCE, &v), -ERANGE);
	assert_int_equal(parse("99999999999999999999999\n", FF_STATE_KIND_SEQUENCE, &v), -ERANGE);
	assert_int_equal(parse("10000000000000000\n", FF_STATE_KIND_EPOCH, &v), -ERANGE);
	assert_int_equal(v, 99);
}

static void parse_trailing_garbage(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_int_equal(parse("5x\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("5\n\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("5\r\n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("5 \n", FF_STATE_KIND_SEQUENCE, &v), -EINVAL);
	assert_int_equal(parse("12ab\n7\n", FF_STATE_KIND_EPOCH, &v), -EINVAL);
	assert_int_equal(v, 99);
}

/* 0 is never written, and the last sequence would leave no successor. */
static void parse_zero_and_last(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_int_equal(parse("0\n", FF_STATE_KIND_SEQUENCE, &v), -ERANGE);
	assert_int_equal(parse("0000000000000000\n", FF_STATE_KIND_EPOCH, &v), -ERANGE);
	assert_int_equal(parse("18446744073709551615\n", FF_STATE_KIND_SEQUENCE, &v), -ERANGE);
	assert_int_equal(v, 99);
}

static char *make_state(const char *epoch, const char *sequence)
{
	char *dir = strdup("/tmp/ff_state_XXXXXX");
	assert_non_null(mkdtemp(dir));
	const char *names[2] = {"epoch", "sequence"}, *texts[2] = {epoch, sequence};
	for (int i = 0; i < 2; i++) {
		if (texts[i] == NULL)
			continue;
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(texts[i], f);
		fclose(f);
	}
	return dir;
}

static void remove_state(char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* Refused at start, the message naming the file, its value and the remedy. */
static void open_refuses_negative_sequence(void **state)
{
	(void)state;
	char *dir = make_state("00000000000000aa\n", "-5\n");
	ff_agent_state st;
	char err[1024];
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), -1);
	char want[300];
	snprintf(want, sizeof want, "state file %s/sequence holds \"-5\\x0a\"", dir);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "remove"));
	/* Nothing was rewritten: the operator sees the same file. */
	char path[300];
	snprintf(path, sizeof path, "%s/sequence", dir);
	FILE *f = fopen(path, "r");
	char line[16] = {0};
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "-5\n");
	remove_state(dir);
}

static void open_refuses_bad_epoch(void **state)
{
	(void)state;
	const char *bad[] = {"-1\n",	     "0x12\n", "zz\n", "10000000000000000\n",
			     "12 garbage\n", "0\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *dir = make_state(bad[i], "10\n");
		ff_agent_state st;
		char err[1024];
		assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), -1);
		assert_non_null(strstr(err, "/epoch holds"));
		assert_non_null(strstr(err, "not an epoch"));
		remove_state(dir);
	}
}

static void open_refuses_oversized_file(void **state)
{
	(void)state;
	char big[FF_AGENT_STATE_FILE_MAX + 8];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char *dir = make_state("00000000000000aa\n", big);
	ff_agent_state st;
	char err[1024];
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "/sequence cannot be read (larger than"));
	remove_state(dir);
}

/* Good files load as they are; one missing starts a new epoch, the sequence kept. */
static void open_good_and_missing(void **state)
{
	(void)state;
	char *dir = make_state("00000000000000aa\n", "12345\n");
	ff_agent_state st;
	char err[1024];
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_true(st.epoch == 0xaa);
	assert_int_equal(st.next_seq, 12345);
	ff_agent_state_close(&st);
	char path[300];
	snprintf(path, sizeof path, "%s/epoch", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ff_agent_state_open(&st, dir, err, sizeof err), 0);
	assert_true(st.epoch != 0xaa && st.epoch != 0);
	assert_int_equal(st.next_seq, 12345);
	ff_agent_state_close(&st);
	remove_state(dir);
}

static const struct CMUnitTest agent_state_tests[] = {
    cmocka_unit_test(parse_valid),
    cmocka_unit_test(parse_negative),
    cmocka_unit_test(parse_non_numeric),
    cmocka_unit_test(parse_overflow),
    cmocka_unit_test(parse_trailing_garbage),
    cmocka_unit_test(parse_zero_and_last),
    cmocka_unit_test(open_refuses_negative_sequence),
    cmocka_unit_test(open_refuses_bad_epoch),
    cmocka_unit_test(open_refuses_oversized_file),
    cmocka_unit_test(open_good_and_missing),
};

FF_TEST_MAIN(agent_state_tests)
