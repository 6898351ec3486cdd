#!/bin/bash
# An agent refuses a server that does not prove the key it was given: a
# stand-in CURVE server with another key on the aggregator's port, then a
# plaintext one. The agent logs "did not prove server key FINGERPRINT" once
# (not per reconnect), counts every failed handshake, keeps retrying, and
# the stand-in receives not one message; the batches stay in the spool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/standin.sh"
export FF_CURVE=1

# The key the agent trusts belongs to a server that is gone; its fingerprint is what the agent names.
ff_start_standin genuine
ff_stop "$FF_STANDIN_PID"
WANT_FP=$FF_STANDIN_FP
ff_start_standin impostor
[ "$FF_STANDIN_FP" != "$WANT_FP" ] || ff_fail "two stand-ins made the same key"
IMPOSTOR=$FF_STANDIN_PID

UDP=$(ff_free_port)
ff_start_agent node-w "$UDP" --server-key-file "$FF_TMP/genuine.pub" --retry 1s
AGENT=$FF_LAST_PID
LOG=$FF_TMP/agent-node-w.log
ff_run_bounded 60 "$FF_GEN" --seed 3 --flows 2000 --keys 100 --rate 2000 \
	--dest "127.0.0.1:$UDP" --quiet
ff_wait_until 20 grep -q "the aggregator at tcp://127.0.0.1:$FF_ZMQ_PORT did not prove server key $WANT_FP" "$LOG" ||
	ff_fail "the agent did not report the unproven server key"
ff_wait_until 20 grep -q "^.*batch 2:" "$LOG" || ff_fail "the agent flushed no batches"
sleep 3 # reconnects go on meanwhile
ff_stop "$AGENT" 20
failures=$(ff_agent_counter "$LOG" handshake.failures)
[ "${failures:-0}" -ge 3 ] || ff_fail "handshake.failures is '$failures', expected several (retrying)"
[ "$(grep -c "did not prove server key" "$LOG")" -eq 1 ] ||
	ff_fail "the error was logged more than once within a minute"
[ "$(ff_agent_counter "$LOG" batches.acked)" = 0 ] || ff_fail "batches were acked by an impostor"
grep -q "batches left unacknowledged: they stay in the spool" "$LOG" ||
	ff_fail "the agent did not keep its batches"
kept=$(find "$FF_TMP/state-node-w/spool" -name '*.batch' | wc -l)
[ "$kept" -ge 2 ] || ff_fail "the spool holds $kept batches, expected the unsent ones"
ff_stop "$IMPOSTOR"
grep -q "^received 0 messages" "$FF_TMP/impostor.log" || ff_fail "the impostor received messages"

# A plaintext server on the port proves nothing either; the spooled batches stay put.
ff_start_standin clear --plaintext
CLEAR=$FF_STANDIN_PID
ff_start_agent node-w "$UDP" --server-key-file "$FF_TMP/genuine.pub" --retry 1s
AGENT=$FF_LAST_PID
# The log is appended to: the second start's line is the second one.
ff_proven_twice() { [ "$(grep -c "did not prove server key $WANT_FP" "$LOG")" -ge 2 ]; }
ff_wait_until 20 ff_proven_twice || ff_fail "the agent did not report the plaintext server"
sleep 3
ff_stop "$AGENT" 20
failures=$(ff_agent_counter "$LOG" handshake.failures)
# libzmq gives an endpoint up after a mechanism mismatch: the agent must dial again itself.
[ "${failures:-0}" -ge 3 ] || ff_fail "against plaintext, handshake.failures is '$failures': no retrying"
ff_stop "$CLEAR"
grep -q "^received 0 messages" "$FF_TMP/clear.log" || ff_fail "the plaintext server received messages"
[ "$(find "$FF_TMP/state-node-w/spool" -name '*.batch' | wc -l)" -ge "$kept" ] ||
	ff_fail "spooled batches were lost"
ff_log "ok"
