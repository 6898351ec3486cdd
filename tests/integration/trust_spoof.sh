#!/usr/bin/env bash
# Identity is the key: an accepted key claiming another agent's id stores
# nothing and is counted (spoofed_id); a second key claiming a bound id is a
# conflict shown as pending, and accepting it is refused (no takeover).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trust_lib.sh"

DATA=$FF_TMP/data
trust_start_aggregator aggregator "$DATA"
fp_a=$(trust_fingerprint "$FF_TMP/keys-a")
fp_b=$(trust_fingerprint "$FF_TMP/keys-b")
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 1 >/dev/null || ff_fail "no answer to node-a"
ff_cli agents accept node-a >/dev/null || ff_fail "accepting node-a by id failed"
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 2 >"$FF_TMP/a.out" || ff_fail "no acks for node-a"
trust_expect_acks "$FF_TMP/a.out" 2 OK
trust_wire "$FF_TMP/keys-b" node-b --hello --batches 1 >/dev/null || ff_fail "no answer to node-b"
ff_cli agents accept "$fp_b" >/dev/null || ff_fail "accepting node-b failed"
trust_wire "$FF_TMP/keys-b" node-b --hello --batches 1 --first-seq 2 >"$FF_TMP/b.out" ||
	ff_fail "no acks for node-b"
trust_expect_acks "$FF_TMP/b.out" 1 OK
records_a=$(trust_records node-a)
[ "$records_a" -eq 6 ] || ff_fail "node-a should hold 6 records, holds $records_a"

ff_log "key A ($fp_a) claims node-b: Hello, batches and a PolicyAck"
trust_wire "$FF_TMP/keys-a" node-b --hello --hostname spoofhost --batches 3 --first-seq 100 --policy-ack 1 \
	>"$FF_TMP/spoof.out" || ff_fail "no answer to the spoofed batches"
trust_expect_acks "$FF_TMP/spoof.out" 3 REJECTED "agent id does not match the key"
[ "$(trust_records node-b)" -eq 3 ] || ff_fail "batches spoofing node-b were stored"
[ "$(trust_records node-a)" -eq "$records_a" ] || ff_fail "node-a's records changed"
[ "$(trust_refused spoofed_id)" -ge 5 ] || ff_fail "spoofed_id counts $(trust_refused spoofed_id), want >= 5"
[ "$(ff_cli agents -o json | jq -r '.agents[] | select(.id == "node-b") | .hostname')" = ffwire ] ||
	ff_fail "the spoofed Hello changed node-b's session"

ff_log "a third key claims node-a, bound to key A"
fp_c=$(trust_fingerprint "$FF_TMP/keys-c")
trust_wire "$FF_TMP/keys-c" node-a --hello --batches 2 --first-seq 200 >"$FF_TMP/conflict.out" ||
	ff_fail "no answer to the conflicting key"
trust_expect_acks "$FF_TMP/conflict.out" 2 REJECTED "pending enrolment"
[ "$(trust_records node-a)" -eq "$records_a" ] || ff_fail "the conflicting key stored batches"
trust_pending_json | jq -e --arg fp "$fp_c" '.pending[] | select(.fingerprint == $fp) |
	.agent_id == "node-a" and .reason == "id conflict"' >/dev/null ||
	ff_fail "the conflict is not pending: $(trust_pending_json)"
[ "$(trust_refused id_conflict)" -ge 3 ] || ff_fail "id_conflict not counted"
ff_cli agents accept "$fp_c" 2>"$FF_TMP/err" && ff_fail "a second key took over node-a"
grep -q "HTTP 409.*bound to key $fp_a" "$FF_TMP/err" || ff_fail "the takeover refusal does not name key A: $(cat "$FF_TMP/err")"
# Key A still works as node-a.
trust_wire "$FF_TMP/keys-a" node-a --batches 1 --first-seq 3 >"$FF_TMP/a2.out" || ff_fail "node-a lost"
trust_expect_acks "$FF_TMP/a2.out" 1 OK
# The conflicting key can be rejected; it is then refused at the handshake.
ff_cli agents reject "$fp_c" --why "not ours" | grep -q "is rejected" || ff_fail "reject failed"
trust_wire "$FF_TMP/keys-c" node-a --batches 1 --first-seq 300 --wait 2 >"$FF_TMP/rej.out" &&
	ff_fail "a rejected key got an ack"
ff_wait_until 10 test "$(trust_refused handshake_failed)" -ge 1 || ff_fail "handshake_failed not counted"
[ "$(trust_refused rejected)" -ge 1 ] || ff_fail "rejected not counted"
grep -q "spoofed id" "$FF_TMP/aggregator.log" || ff_fail "the spoofing is not logged"
[ "$(grep -c "claimed agent id node-b" "$FF_TMP/aggregator.log")" -eq 1 ] ||
	ff_fail "the spoofing is logged more than once a minute"
ff_log "PASS"
