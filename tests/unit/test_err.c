#include "ff_test.h"

#include "ff_err.h"

#include <stdio.h>
#include <string.h>

/* Every code ff_err.h names; a new code is added here too. */
static const int ff_named_codes[] = {
    FF_FRAME_ESHORT,	FF_FRAME_EMAGIC,   FF_FRAME_EVERSION,	 FF_FRAME_ECOMP,
    FF_FRAME_ETOOBIG,	FF_FRAME_ECORRUPT, FF_FRAME_ERATIO, FF_BATCH_EPROTO,	 FF_BATCH_EAGENT,
    FF_BATCH_ERECORD,	FF_BATCH_ECOLUMN, FF_BATCH_ETOOMANY, FF_BATCH_ENORECORDS, FF_BATCH_EEMPTY, FF_BATCH_ESPARSE,	FF_DECODE_ESHORT,  FF_DECODE_EBADCOUNT,	 FF_DECODE_ETRUNC,
    FF_DECODE_EVERSION, FF_DECODE_EBADSET, FF_DECODE_EBADRECORD, FF_DECODE_EBADTEMPLATE,
    FF_EMAGIC,		FF_EVERSION,	   FF_ECHECKSUM,	 FF_ETRUNCATED,
    FF_EBLOCK,		FF_EFORMAT,	   FF_STORE_ELOCKED,	 FF_STORE_ETOOBIG,
    FF_STORE_EBACKEND,
};

#define FF_N_NAMED (sizeof ff_named_codes / sizeof ff_named_codes[0])

/* Own codes lie below the -errno range and no two share a value. */
static void codes_distinct_and_negative(void **state)
{
	(void)state;
	for (size_t i = 0; i < FF_N_NAMED; i++) {
		assert_true(ff_named_codes[i] <= FF_ERR_OWN_FIRST);
		assert_false(ff_err_is_errno(ff_named_codes[i]));
		for (size_t j = i + 1; j < FF_N_NAMED; j++)
			assert_int_not_equal(ff_named_codes[i], ff_named_codes[j]);
	}
}

/* Each named code has its own phrase, never the fallback. */
static void named_codes_have_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < FF_N_NAMED; i++) {
		const char *m = ff_strerror(ff_named_codes[i]);
		assert_non_null(m);
		assert_true(strlen(m) > 3);
		assert_null(strstr(m, "unknown error"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(m, ff_strerror(ff_named_codes[j]));
	}
	assert_string_equal(ff_strerror(0), "success");
}

static void errno_gives_system_text(void **state)
{
	(void)state;
	const int errs[] = {ENOMEM, EIO, EINVAL, EAGAIN, ETIMEDOUT, EBUSY, ENOENT, EACCES};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		char want[256];
		snprintf(want, sizeof want, "%s", strerror(errs[i])); /* one thread here */
		assert_string_equal(ff_strerror(-errs[i]), want);
		assert_true(ff_err_is_errno(-errs[i]));
	}
	assert_true(ff_err_is_errno(-4095));
	assert_false(ff_err_is_errno(0));
}

static void unknown_code_names_its_number(void **state)
{
	(void)state;
	assert_string_equal(ff_strerror(-5000), "unknown error -5000");
	assert_string_equal(ff_strerror(FF_ERR_OWN_FIRST - 15), "unknown error -4111");
	assert_string_equal(ff_strerror(7), "unknown error 7");
}

/* A failed call's errno becomes its code; a call that set none is an i/o error. */
static void errno_to_code(void **state)
{
	(void)state;
	assert_int_equal(ff_err_errno(ENOSPC), -ENOSPC);
	assert_int_equal(ff_err_errno(0), -EIO);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(codes_distinct_and_negative),
    cmocka_unit_test(named_codes_have_messages),
    cmocka_unit_test(errno_gives_system_text),
    cmocka_unit_test(unknown_code_names_its_number),
    cmocka_unit_test(errno_to_code),
};

FF_TEST_MAIN(tests)
