#!/bin/bash
# Bad datagrams are counted per exporter and reason, and skipped: the agent
# keeps running and a valid burst after them still arrives whole.
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP=$(ff_free_port)
ff_start_agent node-m "$UDP"
AGENT=$FF_LAST_PID
ff_wait_agents 1

for kind in random short lying-count bad-count bad-version random; do
	ff_run_bounded 10 "$FF_GEN" --malformed "$kind" --seed 3 --dest "127.0.0.1:$UDP"
done
sleep 0.5
kill -0 "$AGENT" 2>/dev/null || ff_fail "the agent died on malformed input"

ff_run_bounded 30 "$FF_GEN" --seed 9 --flows 3000 --keys 300 --rate 20000 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth.csv"
ff_wait_truth 30 srcip/bytes -- "$FF_TMP/truth.csv"
ff_assert_truth dstport/packets -- "$FF_TMP/truth.csv"

# The counters reach the aggregator with the agent's heartbeat.
counter() {
	ff_agents_json | jq -r --arg c "$1" '[.agents[] | select(.id == "node-m") | .exporters[]?
		| select(.address == "127.0.0.1") | .counters[$c] // 0] | add // 0'
}
counters_reported() {
	[ "$(counter malformed.short_header)" -ge 1 ] &&
		[ "$(counter malformed.truncated)" -ge 1 ] &&
		[ "$(counter malformed.bad_count)" -ge 1 ] &&
		[ "$(counter malformed.unsupported_version)" -ge 3 ]
}
if ! ff_wait_until 20 counters_reported; then
	ff_agents_json | jq '.agents[] | select(.id == "node-m")' >&2
	ff_fail "malformed counters missing or wrong"
fi
for c in short_header truncated bad_count unsupported_version; do
	ff_log "malformed.$c = $(counter "malformed.$c")"
done

kill -0 "$AGENT" 2>/dev/null || ff_fail "the agent is gone"
ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
