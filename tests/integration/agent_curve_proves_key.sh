#!/bin/bash
# The agent talks CURVE to a server that proves the key it was given: the
# stand-in decrypts its Hello (id, hostname, enrolment token). While the
# stand-in answers "pending enrolment" the agent keeps its batches, logs the
# refusal once and probes with one batch at a growing interval instead of
# resending everything every --retry; once accepted, every batch is acked
# exactly once and the acked batches carry the generator's totals. A server
# that refuses the agent's key (ZAP 400, as for a revoked key) gets no
# message; the agent says so once, keeps retrying and keeps its batches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/standin.sh"
export FF_CURVE=1

TOKEN=enrol-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN" >"$FF_TMP/token"
touch "$FF_TMP/pending"
ff_start_standin server --ack --pending-while "$FF_TMP/pending"
SERVER=$FF_STANDIN_PID
UDP=$(ff_free_port)
ff_start_agent node-c "$UDP" --server-key "$(cat "$FF_TMP/server.pub")" --retry 1s \
	--enroll-token "$FF_TMP/token" --hostname curve-host-1 --label rack=r9
AGENT=$FF_LAST_PID
LOG=$FF_TMP/agent-node-c.log
SLOG=$FF_TMP/server.log
ff_wait_until 20 grep -q "hello agent_id=node-c hostname=curve-host-1 enroll_token=$TOKEN\$" "$SLOG" ||
	ff_fail "the stand-in did not receive (decrypt) the agent's Hello with its token"
grep -q "connected to aggregator tcp://127.0.0.1:$FF_ZMQ_PORT, which proved server key $FF_STANDIN_FP" "$LOG" ||
	ff_fail "the agent did not log the proven server key"

ff_log "pending enrolment: batches are refused"
ff_run_bounded 60 "$FF_GEN" --seed 7 --flows 6000 --keys 400 --rate 1000 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth.csv" --quiet
ff_wait_until 20 grep -q "batch 6:" "$LOG" || ff_fail "the agent flushed fewer than 6 batches"
sleep 2
pending_sent=$(ff_standin_count server batch)
ff_log "$pending_sent batch messages reached the stand-in while pending"
# Without the hold, 6+ batches resent every second would be dozens by now.
[ "$pending_sent" -le 8 ] || ff_fail "$pending_sent batch messages while pending: the agent hammers"
[ "$(grep -c "refuses this agent for now (pending enrolment" "$LOG")" -eq 1 ] ||
	ff_fail "the pending rejection was not logged exactly once"

ff_log "accepted: the kept batches go out"
rm "$FF_TMP/pending"
ff_wait_until 30 grep -q "accepts this agent's batches again" "$LOG" ||
	ff_fail "the agent did not resume after the acceptance"
sleep 3
ff_stop "$AGENT" 20
flushed=$(ff_agent_counter "$LOG" batches.flushed)
acked=$(ff_agent_counter "$LOG" batches.acked)
[ -n "$flushed" ] && [ "$flushed" -ge 6 ] && [ "$acked" = "$flushed" ] ||
	ff_fail "batches.flushed $flushed, batches.acked $acked: not every batch acked exactly once"
! grep -q "left unacknowledged" "$LOG" || ff_fail "batches were left unacknowledged"
[ "$(find "$FF_TMP/state-node-c/spool" -name '*.batch' | wc -l)" -eq 0 ] || ff_fail "the spool is not empty"
ff_stop "$SERVER"
# Each (epoch, sequence) counted once, whatever was resent: the generator's totals.
got=$(awk '/^message [0-9]*: batch /{k=$5" "$6; if(!(k in s)){s[k]=1; for(i=8;i<=10;i++){split($i,a,"="); t[i]+=a[2]}}}
	END{printf "%.0f %.0f %.0f\n", t[8], t[9], t[10]}' "$SLOG")
want=$(ff_truth totals --truth "$FF_TMP/truth.csv")
[ "$got" = "$want" ] || ff_fail "the acked batches carry '$got', the generator sent '$want'"
ff_log "totals $got match"

ff_log "a server refusing the agent's key (ZAP 400)"
unset FF_ZMQ_PORT
ff_start_standin refuser --refuse --ack
REFUSER=$FF_STANDIN_PID
ff_start_agent node-c "$UDP" --server-key-file "$FF_TMP/refuser.pub" --retry 1s
AGENT=$FF_LAST_PID
ff_run_bounded 60 "$FF_GEN" --seed 8 --flows 1000 --keys 50 --rate 1000 \
	--dest "127.0.0.1:$UDP" --quiet
ff_wait_until 20 grep -q "refuses this agent's key .* (status 400" "$LOG" ||
	ff_fail "the agent did not report its key refused"
sleep 4
ff_stop "$AGENT" 20
refused=$(ff_agent_counter "$LOG" handshake.refused)
[ "${refused:-0}" -ge 2 ] || ff_fail "handshake.refused is '$refused': the agent stopped retrying"
[ "$(grep -c "refuses this agent's key" "$LOG")" -eq 1 ] || ff_fail "the refusal was logged more than once"
grep -q "batches left unacknowledged: they stay in the spool" "$LOG" ||
	ff_fail "the refused agent did not keep its batches"
ff_stop "$REFUSER"
grep -q "^received 0 messages" "$FF_TMP/refuser.log" || ff_fail "the refusing server received messages"
ff_log "ok"
