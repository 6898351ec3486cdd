#include "ff_test.h"

#include "handoff_ring.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Records are told apart by their byte count. */
static ff_flow rec(uint64_t i)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	f.bytes = i;
	f.flows = 1;
	return f;
}

typedef struct seen {
	uint64_t next; /* the byte count the next record must carry */
	uint64_t n;
	int out_of_order;
} seen;

static void check_order(void *arg, const ff_flow *f)
{
	seen *s = arg;
	if (f->bytes != s->next)
		s->out_of_order++;
	s->next = f->bytes + 1;
	s->n++;
}

static void order_kept(void **state)
{
	(void)state;
	ff_handoff_ring *r = ff_handoff_ring_new(16);
	assert_non_null(r);
	for (uint64_t i = 0; i < 10; i++) {
		ff_flow f = rec(i);
		assert_true(ff_handoff_ring_push(r, &f));
	}
	seen s = {0};
	assert_int_equal(ff_handoff_ring_drain(r, check_order, &s, 4), 4);
	assert_int_equal(ff_handoff_ring_drain(r, check_order, &s, SIZE_MAX), 6);
	assert_int_equal(ff_handoff_ring_drain(r, check_order, &s, SIZE_MAX), 0);
	assert_int_equal(s.n, 10);
	assert_int_equal(s.out_of_order, 0);
	ff_handoff_ring_free(r);
}

static void bound_respected_and_counted(void **state)
{
	(void)state;
	ff_handoff_ring *r = ff_handoff_ring_new(1000); /* rounded up to 1024 */
	assert_non_null(r);
	assert_int_equal(ff_handoff_ring_capacity(r), 1024);
	size_t accepted = 0;
	for (uint64_t i = 0; i < 1500; i++) {
		ff_flow f = rec(i);
		accepted += ff_handoff_ring_push(r, &f);
	}
	assert_int_equal(accepted, 1024);
	assert_int_equal(ff_handoff_ring_drops(r), 1500 - 1024);
	seen s = {0};
	assert_int_equal(ff_handoff_ring_drain(r, check_order, &s, SIZE_MAX), 1024);
	assert_int_equal(s.out_of_order, 0); /* the first 1024 kept, the rest refused */
	ff_flow f = rec(0);
	assert_true(ff_handoff_ring_push(r, &f)); /* room again once drained */
	ff_handoff_ring_free(r);
}

static void wraparound(void **state)
{
	(void)state;
	ff_handoff_ring *r = ff_handoff_ring_new(8);
	assert_non_null(r);
	seen s = {0};
	uint64_t i = 0;
	/* 5 in, 3 out, many times over: positions pass the end of the slots often. */
	for (int round = 0; round < 1000; round++) {
		for (int k = 0; k < 5; k++) {
			ff_flow f = rec(i);
			if (ff_handoff_ring_push(r, &f))
				i++;
		}
		ff_handoff_ring_drain(r, check_order, &s, 3);
	}
	ff_handoff_ring_drain(r, check_order, &s, SIZE_MAX);
	assert_int_equal(s.n, i);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(ff_handoff_ring_drops(r), 5000 - i);
	ff_handoff_ring_free(r);
}

#define FF_THREADED_N 2000000

static void *producer(void *arg)
{
	ff_handoff_ring *r = arg;
	uint64_t i = 0;
	/* Pushes until every record got in, so the consumer sees each exactly once. */
	while (i < FF_THREADED_N) {
		ff_flow f = rec(i);
		if (ff_handoff_ring_push(r, &f))
			i++;
	}
	return NULL;
}

static void two_threads_keep_order(void **state)
{
	(void)state;
	ff_handoff_ring *r = ff_handoff_ring_new(4096);
	assert_non_null(r);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
	seen s = {0};
	while (s.n < FF_THREADED_N)
		ff_handoff_ring_drain(r, check_order, &s, 1000);
	pthread_join(t, NULL);
	assert_int_equal(s.n, FF_THREADED_N);
	assert_int_equal(s.out_of_order, 0);
	ff_handoff_ring_free(r);
}

static const struct CMUnitTest handoff_ring_tests[] = {
    cmocka_unit_test(order_kept),
    cmocka_unit_test(bound_respected_and_counted),
    cmocka_unit_test(wraparound),
    cmocka_unit_test(two_threads_keep_order),
};

FF_TEST_MAIN(handoff_ring_tests)
