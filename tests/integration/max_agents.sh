#!/usr/bin/env bash
# Sessions are bounded: with --max-agents 2, a third agent id is refused (its
# batches answered REJECTED, kept by the agent, nothing stored), counted in
# /api/v1/agents agents_refused and logged at most once a minute; the first
# two agents' totals stay exact. (The bug: 20,916 ids from one socket grew
# /api/v1/agents to 36 MB.)
source "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data" --max-agents 2
for id in a1 a2 a3; do
	port=$(ff_free_port)
	ff_start_agent "$id" "$port"
	eval "UDP_$id=$port"
	if [ "$id" != a3 ]; then
		ff_wait_until 10 sh -c "\"$FF_CLI\" --server \"$FF_SERVER\" agents -o json | jq -e '.agents[] | select(.id == \"$id\")' >/dev/null" ||
			ff_fail "agent $id did not register"
	fi
done
for id in a1 a2 a3; do
	eval "port=\$UDP_$id"
	ff_run_bounded 60 "$FF_GEN" --seed "$((50 + ${id#a}))" --flows 2000 --keys 200 --rate 4000 \
		--dest "127.0.0.1:$port" --truth "$FF_TMP/truth-$id.csv" --quiet
done
sleep 3
n=$(ff_agents_json | jq '.agents | length')
[ "$n" -eq 2 ] || ff_fail "$n agents registered with --max-agents 2"
ff_agents_json | jq -e '.agents[] | select(.id == "a3")' >/dev/null && ff_fail "a3 was registered"
refused=$(ff_agents_json | jq '.agents_refused')
[ "$refused" -ge 1 ] || ff_fail "agents_refused is $refused"
[ "$(grep -c "agent a3 from .* refused: the aggregator holds --max-agents" "$FF_TMP/aggregator.log")" -le 2 ] ||
	ff_fail "the refusal is logged more than once a minute"
grep -q "max-agents" "$FF_TMP/agent-a3.log" || ff_fail "agent a3 was not told why"
for id in a1 a2; do
	got=$(ff_cli top -s agent/flows -n 0 -o json | jq -r --arg id "$id" '.rows[] | select(.key == $id) | .flows')
	want=$(ff_truth totals --truth "$FF_TMP/truth-$id.csv" | cut -d' ' -f1)
	[ "$got" = "$want" ] || ff_fail "agent $id stored $got flows, truth $want"
done
ff_log "PASS: a3 refused ($refused times), a1 and a2 exact"
