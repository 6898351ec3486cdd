#include "ff_test.h"

#include "ff_frame.h"
#include "ff_policy.h"
#include "flowfleet.pb-c.h"
#include "policy.h"
#include "summarizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ff_flow flow(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto,
		    uint64_t bytes)
{
	ff_flow f;
	memset(&f, 0, sizeof f);
	ff_addr_from_v4(f.src_addr, src);
	ff_addr_from_v4(f.dst_addr, dst);
	ff_addr_from_v4(f.exporter, 0x7f000001);
	f.src_port = sport;
	f.dst_port = dport;
	f.proto = proto;
	f.tos = 4;
	f.in_if = 3;
	f.out_if = 7;
	f.src_as = 64500;
	f.dst_as = 64501;
	f.first_ms = 1000;
	f.last_ms = 2000;
	f.bytes = bytes;
	f.packets = bytes / 100 + 1;
	f.flows = 1;
	return f;
}

/* A packed Policy message as the aggregator sends it; caller frees. */
static uint8_t *policy_msg(uint64_t version, const char *filter, char **keys, size_t n_keys,
			   uint32_t topk, size_t *len)
{
	Flowfleet__Policy m = FLOWFLEET__POLICY__INIT;
	m.version = version;
	m.filter = (char *)filter;
	m.keys = keys;
	m.n_keys = n_keys;
	m.topk = topk;
	*len = flowfleet__policy__get_packed_size(&m);
	uint8_t *buf = malloc(*len + 1);
	flowfleet__policy__pack(&m, buf);
	return buf;
}

static void decode_ok(ff_agent_policy *p, uint64_t version, const char *filter, char **keys,
		      size_t n_keys, uint32_t topk)
{
	size_t len;
	uint64_t got = 0;
	char err[256] = "";
	uint8_t *buf = policy_msg(version, filter, keys, n_keys, topk, &len);
	int rc = ff_agent_policy_decode(buf, len, p, &got, err, sizeof err);
	free(buf);
	if (rc != 0)
		fail_msg("decode failed: %s", err);
	assert_int_equal(got, version);
}

static void key_mask_wildcards_the_rest(void **state)
{
	(void)state;
	char *keys[] = {"srcip", "dstport"};
	ff_agent_policy p;
	decode_ok(&p, 3, "", keys, 2, 0);
	ff_flow f = flow(0x0a000001, 0x0a000002, 1234, 443, 6, 5000);
	assert_true(ff_agent_policy_admit(&p, &f));
	assert_int_equal(f.wildcards,
			 FF_POLICY_KEY_FIELDS & ~(FF_FIELD_SRC_ADDR | FF_FIELD_DST_PORT));
	assert_int_equal(ff_addr_v4(f.src_addr), 0x0a000001);
	assert_int_equal(f.dst_port, 443);
	uint8_t zero[FF_ADDR_LEN] = {0};
	assert_memory_equal(f.dst_addr, zero, FF_ADDR_LEN);
	assert_memory_equal(f.exporter, zero, FF_ADDR_LEN);
	assert_int_equal(f.src_port + f.proto + f.tos + f.in_if + f.out_if, 0);
	assert_int_equal(f.src_as + f.dst_as, 0);
	assert_int_equal(f.bytes, 5000);

	/* Records that differ only in wildcarded fields merge into one. */
	ff_summarizer *s = ff_summarizer_new(4);
	ff_flow g = flow(0x0a000001, 0x0a0000ff, 999, 443, 17, 700);
	assert_true(ff_agent_policy_admit(&p, &g));
	assert_int_equal(ff_summarizer_add(s, &f), 0);
	assert_int_equal(ff_summarizer_add(s, &g), 0);
	assert_int_equal(ff_summarizer_count(s), 1);
	ff_summarizer_free(s);
	ff_agent_policy_release(&p);
}

static void topk_other_preserves_totals(void **state)
{
	(void)state;
	ff_agent_policy p;
	decode_ok(&p, 1, "", NULL, 0, 3);
	ff_flow recs[10];
	uint64_t bytes = 0, packets = 0;
	for (int i = 0; i < 10; i++) {
		recs[i] = flow(0x0a000000 + (uint32_t)i, 0x0a010000, 1000, 80, 6,
			       (uint64_t)(i + 1) * 1000);
		bytes += recs[i].bytes;
		packets += recs[i].packets;
	}
	size_t n = ff_agent_policy_topk(&p, recs, 10);
	assert_int_equal(n, 4);
	/* The three largest, by bytes, then the rest merged. */
	assert_int_equal(recs[0].bytes, 10000);
	assert_int_equal(recs[1].bytes, 9000);
	assert_int_equal(recs[2].bytes, 8000);
	assert_int_equal(recs[0].wildcards, 0);
	assert_int_equal(recs[3].wildcards, FF_POLICY_KEY_FIELDS);
	assert_int_equal(recs[3].flows, 7);
	assert_int_equal(recs[3].bytes, 28000);
	uint64_t got_bytes = 0, got_packets = 0;
	for (size_t i = 0; i < n; i++) {
		got_bytes += recs[i].bytes;
		got_packets += recs[i].packets;
	}
	assert_int_equal(got_bytes, bytes);
	assert_int_equal(got_packets, packets);
	/* At or below K nothing changes. */
	assert_int_equal(ff_agent_policy_topk(&p, recs, 3), 3);
	ff_agent_policy_release(&p);
}

static void filter_drops_before_summarizing(void **state)
{
	(void)state;
	ff_agent_policy p;
	decode_ok(&p, 2, "not dst port 53 and proto udp", NULL, 0, 0);
	ff_flow dns = flow(0x0a000001, 0x0a000002, 5353, 53, 17, 100);
	ff_flow ntp = flow(0x0a000001, 0x0a000002, 5353, 123, 17, 100);
	ff_flow web = flow(0x0a000001, 0x0a000002, 5353, 443, 6, 100);
	assert_false(ff_agent_policy_admit(&p, &dns));
	assert_true(ff_agent_policy_admit(&p, &ntp));
	assert_false(ff_agent_policy_admit(&p, &web));
	assert_int_equal(ntp.wildcards, 0);
	ff_agent_policy_release(&p);

	/* No policy (version 0, zeroed) admits everything unchanged. */
	ff_agent_policy none = {0};
	ff_flow copy = dns;
	assert_true(ff_agent_policy_admit(&none, &dns));
	assert_memory_equal(&copy, &dns, sizeof dns);
}

static void refuses_bad_policy(void **state)
{
	(void)state;
	struct {
		uint64_t version;
		const char *filter;
		char *key;
		const char *want;
	} cases[] = {
	    {4, "port 53 and", NULL, "filter:1:12"},
	    {5, "", "srcmac", "unknown key 'srcmac'"},
	    {6, "port", NULL, "expected a port number after 'port'"},
	    {0, "", NULL, "version 0"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *keys[] = {cases[i].key};
		size_t len;
		uint8_t *buf = policy_msg(cases[i].version, cases[i].filter, keys,
					  cases[i].key ? 1 : 0, 0, &len);
		ff_agent_policy p;
		uint64_t v = 99;
		char err[256] = "";
		assert_int_equal(ff_agent_policy_decode(buf, len, &p, &v, err, sizeof err), -1);
		assert_int_equal(v, cases[i].version);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].want);
		assert_null(p.filter);
		free(buf);
	}
	ff_agent_policy p;
	uint64_t v;
	char err[256];
	const uint8_t junk[] = {0xff, 0xff, 0xff};
	assert_int_equal(ff_agent_policy_decode(junk, sizeof junk, &p, &v, err, sizeof err), -1);
}

static void persists_across_restart(void **state)
{
	(void)state;
	char dir[] = "/tmp/ff-test-policy.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *keys[] = {"srcip", "dstip", "proto", "dstport"};
	ff_agent_policy p, q;
	char err[512];
	assert_int_equal(ff_agent_policy_load(dir, &q, err, sizeof err), 0);
	decode_ok(&p, 7, "not port 53", keys, 4, 1000);
	assert_int_equal(ff_agent_policy_save(&p, dir), 0);
	assert_int_equal(ff_agent_policy_load(dir, &q, err, sizeof err), 1);
	assert_int_equal(q.version, 7);
	assert_int_equal(q.topk, 1000);
	assert_int_equal(q.wildcards, p.wildcards);
	assert_string_equal(ff_filter_source(q.filter), ff_filter_source(p.filter));
	ff_agent_policy_release(&q);

	/* A damaged file is refused with its name, never half-applied. */
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, FF_AGENT_POLICY_FILE);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fputc('X', f);
	fclose(f);
	assert_int_equal(ff_agent_policy_load(dir, &q, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(q.version, 0);
	unlink(path);
	rmdir(dir);
	ff_agent_policy_release(&p);
}

static void ack_encodes(void **state)
{
	(void)state;
	uint8_t *frame = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	ff_frame_header h;
	assert_int_equal(ff_agent_policy_ack_encode("n1", 9, false, "bad key", &frame, &len), 0);
	assert_int_equal(ff_frame_decode(frame, len, &h, &payload, &plen), 0);
	assert_int_equal(h.type, FF_MSG_POLICY_ACK);
	Flowfleet__PolicyAck *m = flowfleet__policy_ack__unpack(NULL, plen, payload);
	assert_non_null(m);
	assert_string_equal(m->agent_id, "n1");
	assert_int_equal(m->version, 9);
	assert_false(m->applied);
	assert_string_equal(m->reason, "bad key");
	flowfleet__policy_ack__free_unpacked(m, NULL);
	free(payload);
	free(frame);
}

static const struct CMUnitTest policy_tests[] = {
    cmocka_unit_test(key_mask_wildcards_the_rest),
    cmocka_unit_test(topk_other_preserves_totals),
    cmocka_unit_test(filter_drops_before_summarizing),
    cmocka_unit_test(refuses_bad_policy),
    cmocka_unit_test(persists_across_restart),
    cmocka_unit_test(ack_encodes),
};

FF_TEST_MAIN(policy_tests)
