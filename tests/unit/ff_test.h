#ifndef FF_TEST_H
#define FF_TEST_H

/*
 * Shared main() for the cmocka unit tests: `test_x CASE` runs only the case
 * named CASE (ctest registers one entry per case); no argument runs all.
 * The name is looked up exactly rather than handed to cmocka's test filter:
 * a filter that matches nothing runs nothing and exits 0, so a ctest entry
 * whose case was renamed or removed would pass without testing anything.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Index of the case called name in tests[0..n), or -1 when there is none. */
static inline ptrdiff_t ff_test_find(const struct CMUnitTest *tests, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (tests[i].name != NULL && strcmp(tests[i].name, name) == 0)
			return (ptrdiff_t)i;
	return -1;
}

#define FF_TEST_MAIN(group)                                                                        \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		if (argc < 2)                                                                      \
			return cmocka_run_group_tests_name(#group, group, NULL, NULL);             \
		if (argc > 2) {                                                                    \
			fprintf(stderr, "usage: %s [CASE]\n", argv[0]);                            \
			return 2;                                                                  \
		}                                                                                  \
		ptrdiff_t ff_i = ff_test_find(group, sizeof(group) / sizeof((group)[0]), argv[1]); \
		if (ff_i < 0) {                                                                    \
			fprintf(stderr, "%s: no test case named %s in %s\n", argv[0], argv[1],     \
				#group);                                                           \
			return 1;                                                                  \
		}                                                                                  \
		const struct CMUnitTest ff_one[] = {group[ff_i]};                                  \
		return cmocka_run_group_tests_name(#group, ff_one, NULL, NULL);                    \
	}

#endif
