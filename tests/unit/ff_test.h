#ifndef FF_TEST_H
#define FF_TEST_H

/*
 * Shared main() for the cmocka unit tests: `test_x CASE` runs only the case
 * named CASE (ctest registers one entry per case); no argument runs all.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FF_TEST_MAIN(group)                                                        \
	int main(int argc, char **argv)                                            \
	{                                                                          \
		if (argc > 1)                                                      \
			cmocka_set_test_filter(argv[1]);                           \
		return cmocka_run_group_tests_name(#group, group, NULL, NULL);     \
	}

#endif
