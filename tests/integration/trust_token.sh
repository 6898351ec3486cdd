#!/usr/bin/env bash
# Enrolment tokens: a valid token is accepted at once (logged), an expired
# or unknown one leaves the key pending and is counted (bad_token); the file
# is re-read when it changes; a bad token file or a damaged allow-list stops
# the aggregator at start naming file and line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trust_lib.sh"

DATA=$FF_TMP/data
TOKENS=$FF_TMP/tokens
cat >"$TOKENS" <<TOK
# enrolment tokens for the test
valid-token-0123456789 2099-01-01T00:00:00Z
old-token-0123456789ab 2001-01-01T00:00:00Z
forever-token-01234567
TOK
chmod 600 "$TOKENS"
trust_start_aggregator aggregator "$DATA" --enroll-token "$TOKENS"

ff_log "a valid token: accepted with its first Hello"
trust_wire "$FF_TMP/keys-a" node-a --hello --token valid-token-0123456789 --batches 2 \
	>"$FF_TMP/a.out" || ff_fail "no acks with a valid token"
trust_expect_acks "$FF_TMP/a.out" 2 OK
[ "$(trust_records node-a)" -eq 6 ] || ff_fail "the enrolled agent's batches were not stored"
grep -q "accepted as agent node-a by its enrolment token" "$FF_TMP/aggregator.log" ||
	ff_fail "the enrolment is not logged"
grep -q '"op":"accepted".*"by":"enroll-token"' "$DATA/trust.log" || ff_fail "trust.log lacks the enrolment"

ff_log "an expired token and an unknown one: pending"
trust_wire "$FF_TMP/keys-b" node-b --hello --token old-token-0123456789ab --batches 1 >"$FF_TMP/b.out" ||
	ff_fail "no answer with an expired token"
trust_expect_acks "$FF_TMP/b.out" 1 REJECTED "pending enrolment"
trust_wire "$FF_TMP/keys-c" node-c --hello --token no-such-token-0123456 --batches 1 >"$FF_TMP/c.out" ||
	ff_fail "no answer with a bad token"
trust_expect_acks "$FF_TMP/c.out" 1 REJECTED "pending enrolment"
[ "$(trust_records node-b)" -eq 0 ] && [ "$(trust_records node-c)" -eq 0 ] ||
	ff_fail "a bad token stored batches"
[ "$(trust_refused bad_token)" -eq 2 ] || ff_fail "bad_token counts $(trust_refused bad_token), want 2"
trust_pending_json | jq -e '[.pending[] | .reason] | sort == ["bad token", "expired token"]' \
	>/dev/null || ff_fail "pending reasons: $(trust_pending_json)"

ff_log "a token cannot take over an id bound to another key"
trust_wire "$FF_TMP/keys-d" node-a --hello --token forever-token-01234567 --batches 1 >"$FF_TMP/d.out" ||
	ff_fail "no answer to the conflicting key"
trust_expect_acks "$FF_TMP/d.out" 1 REJECTED "pending enrolment"
[ "$(trust_refused id_conflict)" -ge 1 ] || ff_fail "id_conflict not counted"

ff_log "rotation: the file is re-read when it changes"
sleep 1.1
printf 'rotated-token-0123456789\n' >"$TOKENS"
ff_wait_until 15 eval 'trust_wire "$FF_TMP/keys-e" node-e --hello --token rotated-token-0123456789 \
	--batches 1 --first-seq 9 | grep -q "^ack 9 OK"' || ff_fail "the rotated token was not accepted"
grep -q "enrolment tokens re-read from $TOKENS: 1 tokens" "$FF_TMP/aggregator.log" ||
	ff_fail "the re-read is not logged"
trust_wire "$FF_TMP/keys-f" node-f --hello --token forever-token-01234567 --batches 1 >"$FF_TMP/f.out" ||
	ff_fail "no answer with a removed token"
trust_expect_acks "$FF_TMP/f.out" 1 REJECTED "pending enrolment"
ff_stop "$FF_AGG_PID"

ff_log "a bad token file stops the start, naming file and line"
printf 'good-token-0123456789\nshort\n' >"$FF_TMP/bad-tokens"
if "$FF_AGGREGATOR" --data-dir "$DATA" --listen "tcp://127.0.0.1:$(ff_free_port)" \
	--http "127.0.0.1:$(ff_free_port)" --enroll-token "$FF_TMP/bad-tokens" >"$FF_TMP/bad.out" 2>&1; then
	ff_fail "the aggregator started with a bad token file"
fi
grep -q "bad-tokens:2:" "$FF_TMP/bad.out" || ff_fail "the error does not name line 2: $(cat "$FF_TMP/bad.out")"

ff_log "a damaged allow-list line stops the start; a torn last line is dropped"
cp "$DATA/trust.log" "$FF_TMP/trust.good"
lines=$(wc -l <"$DATA/trust.log")
printf '{"op":"accepted","key":"broken' >>"$DATA/trust.log"
trust_start_aggregator aggregator2 "$DATA"
grep -q "cutting a torn last line" "$FF_TMP/aggregator2.log" || ff_fail "the torn line is not reported"
trust_wire "$FF_TMP/keys-a" node-a --batches 1 --first-seq 50 >"$FF_TMP/a2.out" || ff_fail "no ack after the torn tail"
trust_expect_acks "$FF_TMP/a2.out" 1 OK
ff_stop "$FF_AGG_PID"
cp "$FF_TMP/trust.good" "$DATA/trust.log"
sed -i '2s/"op":"[a-z-]*"/"op":"approved"/' "$DATA/trust.log"
if "$FF_AGGREGATOR" --data-dir "$DATA" --listen "tcp://127.0.0.1:$(ff_free_port)" \
	--http "127.0.0.1:$(ff_free_port)" >"$FF_TMP/damaged.out" 2>&1; then
	ff_fail "the aggregator started with a damaged allow-list"
fi
grep -q "trust.log:2: unknown op" "$FF_TMP/damaged.out" ||
	ff_fail "the error does not name trust.log line 2: $(cat "$FF_TMP/damaged.out")"
[ "$lines" -ge 3 ] || ff_fail "the allow-list should hold at least 3 lines"
ff_log "PASS"
