#!/usr/bin/env bash
# Revocation: the live connection of a revoked key is cut within 5 s (the
# TCP connection really goes), its later batches store nothing, and once
# accepted again the batches it kept arrive exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trust_lib.sh"

DATA=$FF_TMP/data
trust_start_aggregator aggregator "$DATA"
fp=$(trust_fingerprint "$FF_TMP/keys-a")
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 1 >/dev/null || ff_fail "no answer"
ff_cli agents accept "$fp" >/dev/null || ff_fail "accept failed"

# The client sends, gets its ack, then holds the connection and reports when it drops.
ff_spawn wire trust_wire "$FF_TMP/keys-a" node-a --hello --batches 2 --watch 20
WIRE_PID=$FF_LAST_PID
ff_wait_until 10 grep -q '^ack 2 OK' "$FF_TMP/wire.log" || ff_fail "the accepted client got no acks"
established() { ss -Htn state established "( sport = :$FF_ZMQ_PORT )" | grep -c . || true; }
[ "$(established)" -ge 1 ] || ff_fail "no established connection to the aggregator"
records=$(trust_records node-a)
[ "$records" -eq 6 ] || ff_fail "expected 6 records before the revocation, found $records"

ff_log "revoking $fp"
start=$(date +%s%N)
ff_cli agents revoke node-a --why "test" | grep -q "is revoked" || ff_fail "revoke failed"
ff_wait_until 5 grep -q '^event disconnected' "$FF_TMP/wire.log" ||
	ff_fail "the revoked key's connection was not cut within 5 s"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
ff_log "connection cut ${elapsed_ms} ms after the revocation"
# ZeroMQ reports "disconnected" when the TCP connection closed under it; the
# client did not close it (it exits only after that event).
wait "$WIRE_PID" || ff_fail "the client did not see its connection drop"
grep -q "connection of key $fp (agent node-a) was cut" "$FF_TMP/aggregator.log" ||
	ff_fail "the cut is not logged"

# Reconnecting is refused at the handshake: nothing is acknowledged or stored.
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 2 --first-seq 3 --wait 3 >"$FF_TMP/after.out" &&
	ff_fail "a revoked key got acks"
grep -q '^ack' "$FF_TMP/after.out" && ff_fail "a revoked key got acks"
[ "$(trust_records node-a)" -eq "$records" ] || ff_fail "a revoked key stored records"
[ "$(trust_refused revoked)" -ge 1 ] || ff_fail "revoked not counted"
ff_cli agents keys | grep -q "^$fp  node-a .* revoked .*test" || ff_fail "keys does not show the revocation"
ff_cli agents revoke node-a 2>"$FF_TMP/err" && ff_fail "revoked twice"
grep -q "HTTP 404" "$FF_TMP/err" || ff_fail "a second revoke is not 404"

# Accepted again: the kept batches (3 and 4) arrive, once.
ff_cli agents accept "$fp" --why "back" | grep -q "is accepted" || ff_fail "re-accept failed"
trust_wire "$FF_TMP/keys-a" node-a --hello --batches 2 --first-seq 3 >"$FF_TMP/back.out" ||
	ff_fail "no acks after the re-accept"
trust_expect_acks "$FF_TMP/back.out" 2 OK
[ "$(trust_records node-a)" -eq $((records + 6)) ] || ff_fail "the kept batches did not arrive once"
[ "$(grep -c '"fingerprint":"'"$fp"'"' "$DATA/trust.log")" -eq 4 ] ||
	ff_fail "trust.log should hold pending-seen, accepted, revoked, accepted for $fp"
ff_log "PASS"
