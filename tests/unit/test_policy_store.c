#include "ff_test.h"

#include "ff_frame.h"
#include "policy_push.h"
#include "policy_store.h"
#include "session.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ff-test-pstore.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	snprintf(path, sizeof path, "%s/%s", fx->dir, FF_POLICY_STORE_FILE);
	unlink(path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static ff_policy_spec spec(const char *target, const char *filter, uint32_t keys)
{
	return (ff_policy_spec){.target = (char *)target, .filter = (char *)filter, .keys = keys};
}

static ff_policy_store *open_ok(const char *dir)
{
	char err[512] = "";
	ff_policy_store *s = ff_policy_store_open(dir, err, sizeof err);
	if (s == NULL)
		fail_msg("open: %s", err);
	return s;
}

static void add_ok(ff_policy_store *s, ff_policy_spec p, uint64_t want_version)
{
	char err[512] = "";
	if (ff_policy_store_add(s, &p, 1000 + want_version, err, sizeof err) != 0)
		fail_msg("add: %s", err);
	assert_int_equal(p.version, want_version);
}

static void history_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	ff_policy_store *s = open_ok(fx->dir);
	uint64_t gen = ff_policy_store_generation(s);
	add_ok(s, spec("", "not port 53", FF_POLICY_KEY_FIELDS), 1);
	add_ok(s, spec("rack=r1", "proto tcp", FF_FIELD_SRC_ADDR | FF_FIELD_DST_ADDR), 2);
	add_ok(s, spec("", "any", FF_POLICY_KEY_FIELDS), 3);
	assert_true(ff_policy_store_generation(s) != gen);
	ff_policy_store_close(s);

	s = open_ok(fx->dir);
	json_t *hist = ff_policy_store_list_json(s, false);
	json_t *cur = ff_policy_store_list_json(s, true);
	assert_int_equal(json_array_size(hist), 3);
	assert_int_equal(json_array_size(cur), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "filter")),
			    "proto tcp");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "keys")),
			    "srcip,dstip");
	/* The current one of target "" is the latest stored for it. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(cur, 0), "version")), 3);
	json_decref(hist);
	json_decref(cur);
	add_ok(s, spec("role=db", "", FF_POLICY_KEY_FIELDS), 4);
	ff_policy_store_close(s);
}

static void bad_policy_stores_nothing(void **state)
{
	struct fixture *fx = *state;
	ff_policy_store *s = open_ok(fx->dir);
	char err[512];
	ff_policy_spec bad[] = {
	    spec("", "port 53 and", FF_POLICY_KEY_FIELDS),
	    spec("rack", "", FF_POLICY_KEY_FIELDS),
	    spec("", "", 0),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(ff_policy_store_add(s, &bad[i], 1, err, sizeof err), -1);
	json_t *hist = ff_policy_store_list_json(s, false);
	assert_int_equal(json_array_size(hist), 0);
	json_decref(hist);
	ff_policy_store_close(s);
}

static void torn_tail_cut_damage_refused(void **state)
{
	struct fixture *fx = *state;
	ff_policy_store *s = open_ok(fx->dir);
	add_ok(s, spec("", "any", FF_POLICY_KEY_FIELDS), 1);
	ff_policy_store_close(s);
	char path[128], err[512];
	snprintf(path, sizeof path, "%s/%s", fx->dir, FF_POLICY_STORE_FILE);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(write(fd, "{\"version\":2,", 13) == 13);
	close(fd);
	/* A torn last line is a write cut short: dropped, and the next version is 2. */
	s = open_ok(fx->dir);
	add_ok(s, spec("", "proto udp", FF_POLICY_KEY_FIELDS), 2);
	ff_policy_store_close(s);
	/* A whole line that does not parse is damage: refused, naming file and line. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(write(fd, "garbage\n", 8) == 8);
	close(fd);
	assert_null(ff_policy_store_open(fx->dir, err, sizeof err));
	if (strstr(err, "policies.log:3:") == NULL)
		fail_msg("error '%s' does not name line 3", err);
}

static int select_version(ff_policy_store *s, const char *const *k, const char *const *v, size_t n)
{
	ff_policy_spec out;
	int rc = ff_policy_store_select(s, k, v, n, &out);
	uint64_t version = rc == 1 ? out.version : 0;
	if (rc == 1)
		ff_policy_spec_clear(&out);
	return (int)version;
}

static void target_matching(void **state)
{
	struct fixture *fx = *state;
	ff_policy_store *s = open_ok(fx->dir);
	const char *k[] = {"rack", "role"}, *v1[] = {"r1", "db"}, *v2[] = {"r2", "web"};
	assert_int_equal(select_version(s, k, v1, 2), 0);
	add_ok(s, spec("rack=r1", "", FF_POLICY_KEY_FIELDS), 1);
	assert_int_equal(select_version(s, k, v1, 2), 1);
	assert_int_equal(select_version(s, k, v2, 2), 0);
	/* A later policy for every agent does not beat a label-targeted one. */
	add_ok(s, spec("", "", FF_POLICY_KEY_FIELDS), 2);
	assert_int_equal(select_version(s, k, v1, 2), 1);
	assert_int_equal(select_version(s, k, v2, 2), 2);
	assert_int_equal(select_version(s, NULL, NULL, 0), 2);
	/* Two pairs are more specific than one. */
	add_ok(s, spec("rack=r1,role=db", "", FF_POLICY_KEY_FIELDS), 3);
	add_ok(s, spec("rack=r1", "proto tcp", FF_POLICY_KEY_FIELDS), 4);
	assert_int_equal(select_version(s, k, v1, 2), 3);
	const char *v3[] = {"r1", "web"};
	assert_int_equal(select_version(s, k, v3, 2), 4);
	ff_policy_store_close(s);
	assert_int_equal(ff_policy_target_match("rack=r1,role=db", k, v3, 2), -1);
	assert_int_equal(ff_policy_target_match("all", k, v3, 2), 0);
}

/* A Hello with labels; the push answers with the Policy that applies. */
static void push_follows_hello_and_ack(void **state)
{
	struct fixture *fx = *state;
	ff_policy_store *s = open_ok(fx->dir);
	ff_sessions *sessions = ff_sessions_new();
	ff_policy_push *p = ff_policy_push_new(s, sessions);
	add_ok(s, spec("rack=r1", "not port 53", FF_FIELD_SRC_ADDR), 1);

	Flowfleet__Label l = FLOWFLEET__LABEL__INIT, *lp = &l;
	l.key = "rack";
	l.value = "r1";
	Flowfleet__Hello h = FLOWFLEET__HELLO__INIT;
	h.agent_id = "n1";
	h.labels = &lp;
	h.n_labels = 1;
	uint8_t *frame = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	ff_frame_header fh;
	ff_policy_push_hello(p, &h, (const uint8_t *)"id", 2, &frame, &len);
	assert_non_null(frame);
	assert_int_equal(ff_frame_decode(frame, len, &fh, &payload, &plen), 0);
	assert_int_equal(fh.type, FF_MSG_POLICY);
	Flowfleet__Policy *m = flowfleet__policy__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_int_equal(m->version, 1);
	assert_string_equal(m->filter, "not port 53");
	assert_int_equal(m->n_keys, 1);
	assert_string_equal(m->keys[0], "srcip");
	flowfleet__policy__free_unpacked(m, NULL);
	free(payload);
	free(frame);

	/* The agent refuses it: not pushed again, and the reason is shown. */
	Flowfleet__PolicyAck ack = FLOWFLEET__POLICY_ACK__INIT;
	ack.agent_id = "n1";
	ack.version = 1;
	ack.reason = "cannot";
	uint8_t buf[128];
	size_t alen = flowfleet__policy_ack__pack(&ack, buf);
	assert_int_equal(ff_policy_push_ack(p, buf, alen), 0);
	ff_policy_push_hello(p, &h, (const uint8_t *)"id", 2, &frame, &len);
	assert_null(frame);
	json_t *agents = ff_sessions_to_json(sessions);
	json_t *a = json_array_get(agents, 0);
	assert_string_equal(json_string_value(json_object_get(a, "policy_error")), "cannot");
	assert_false(json_is_true(json_object_get(a, "policy_current")));
	json_decref(agents);

	/* Running the version that applies: nothing to send, and current. */
	h.policy_version = 1;
	ff_policy_push_hello(p, &h, (const uint8_t *)"id", 2, &frame, &len);
	assert_null(frame);
	assert_int_equal(ff_policy_push_ack(p, (const uint8_t *)"\xff\xff", 2), -1);
	ff_policy_push_free(p);
	ff_sessions_free(sessions);
	ff_policy_store_close(s);
}

static const struct CMUnitTest policy_store_tests[] = {
    cmocka_unit_test_setup_teardown(history_survives_reopen, setup, teardown),
    cmocka_unit_test_setup_teardown(bad_policy_stores_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(torn_tail_cut_damage_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(target_matching, setup, teardown),
    cmocka_unit_test_setup_teardown(push_follows_hello_and_ack, setup, teardown),
};

FF_TEST_MAIN(policy_store_tests)
