#!/usr/bin/env bash
# Enrolment over CURVE: an unknown key stores nothing and shows as pending;
# once accepted its kept batches arrive exactly once; the acceptance
# survives a restart; a plaintext client cannot talk to a CURVE aggregator.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trust_lib.sh"

DATA=$FF_TMP/data
trust_start_aggregator aggregator "$DATA"
[ "$(ff_cli agents -o json | jq -r .transport)" = curve ] || ff_fail "transport is not curve"
ff_cli agents | grep -q '^transport: curve' || ff_fail "flowfleet agents does not show the transport"

# --show-key prints the key the daemon uses (server.pub), one line.
[ "$("$FF_AGGREGATOR" --show-key --data-dir "$DATA" 2>/dev/null)" = "$(cat "$DATA/server.pub")" ] ||
	ff_fail "--show-key does not print DATA/server.pub"
[ "$(stat -c %a "$DATA/server.key")" = 600 ] || ff_fail "server.key is not mode 600"

# A policy exists: an accepted agent gets it with its Hello, a pending one never.
ff_cli policy set --filter 'proto tcp' >/dev/null || ff_fail "policy set failed"
fp=$(trust_fingerprint "$FF_TMP/keys-a")
ff_log "unknown key $fp sends 4 batches of 3 records"
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 4 --records 3 >"$FF_TMP/first.out" ||
	ff_fail "the client got no answer to its batches"
trust_expect_acks "$FF_TMP/first.out" 4 REJECTED "pending enrolment"
grep -q '^policy' "$FF_TMP/first.out" && ff_fail "a policy was pushed to a pending agent"
[ "$(trust_records node-a)" -eq 0 ] || ff_fail "a pending key's batches were stored"
[ "$(trust_refused unknown_key)" -ge 5 ] || ff_fail "unknown_key not counted per message"
trust_pending_json >"$FF_TMP/pending.json"
jq -e --arg fp "$fp" '.pending | length == 1 and .[0].fingerprint == $fp and
	.[0].agent_id == "node-a" and .[0].hostname == "ffwire" and .[0].labels.rack == "r1" and
	.[0].address == "127.0.0.1" and .[0].reason == "unknown key"' "$FF_TMP/pending.json" >/dev/null ||
	ff_fail "pending does not show the key as claimed: $(cat "$FF_TMP/pending.json")"
ff_cli agents pending | grep -q "^$fp  node-a" || ff_fail "flowfleet agents pending has no row for $fp"
[ "$(ff_cli agents -o json | jq '.agents | length')" -eq 0 ] || ff_fail "a pending agent has a session"

# Decisions need the token.
FLOWFLEET_TOKEN=wrong ff_cli agents accept "$fp" 2>"$FF_TMP/err" && ff_fail "accepted with a wrong token"
grep -q "HTTP 401" "$FF_TMP/err" || ff_fail "a wrong token is not answered 401"
ff_cli agents accept nosuchagent 2>"$FF_TMP/err" && ff_fail "accepted an unknown id"
grep -q "HTTP 404" "$FF_TMP/err" || ff_fail "an unknown id is not answered 404"

ff_cli agents accept "$fp" --why "rack r1 node" | grep -q "is accepted" || ff_fail "accept failed"
[ "$(trust_pending_json | jq '.pending | length')" -eq 0 ] || ff_fail "accepted key still pending"
# The agent resends what it kept: stored once, then duplicates.
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 4 --records 3 >"$FF_TMP/second.out" ||
	ff_fail "no acks after accept"
trust_expect_acks "$FF_TMP/second.out" 4 OK
grep -q '^policy 1$' "$FF_TMP/second.out" || ff_fail "the accepted agent did not get policy 1"
[ "$(trust_records node-a)" -eq 12 ] || ff_fail "expected 12 records, found $(trust_records node-a)"
trust_wire "$FF_TMP/keys-a" node-a --batches 4 --records 3 >"$FF_TMP/third.out" || ff_fail "no acks"
trust_expect_acks "$FF_TMP/third.out" 4 DUPLICATE
[ "$(trust_records node-a)" -eq 12 ] || ff_fail "a resend was stored twice"

# The allow-list is durable: after a restart the key is still accepted.
ff_stop "$FF_AGG_PID"
grep -q '"op":"accepted".*"why":"rack r1 node"' "$DATA/trust.log" || ff_fail "trust.log lacks the acceptance"
[ "$(stat -c %a "$DATA/trust.log")" = 600 ] || ff_fail "trust.log is not mode 600"
trust_start_aggregator aggregator2 "$DATA"
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 1 --first-seq 5 >"$FF_TMP/fourth.out" ||
	ff_fail "no ack after restart"
trust_expect_acks "$FF_TMP/fourth.out" 1 OK
ff_cli agents keys | grep -q "^$fp  node-a .* accepted" || ff_fail "flowfleet agents keys lacks $fp"

# A plaintext client cannot speak to the CURVE socket: no ack, nothing stored.
"$FF_WIRE" --connect "tcp://127.0.0.1:$FF_ZMQ_PORT" --plaintext --id node-p --hello --batches 1 \
	--wait 2 >"$FF_TMP/plain.out" && ff_fail "a plaintext client got an ack from a CURVE aggregator"
[ "$(trust_records node-p)" -eq 0 ] || ff_fail "a plaintext client's batch was stored"
ff_log "PASS"
