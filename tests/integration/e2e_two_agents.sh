#!/bin/bash
# Two agents, one aggregator, a known set of flows per agent: every statistic,
# fleet-wide and per agent, must equal the generator's ground truth exactly.
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_A=$(ff_free_port)
UDP_B=$(ff_free_port)
ff_start_agent node-a "$UDP_A"
AGENT_A=$FF_LAST_PID
ff_start_agent node-b "$UDP_B"
AGENT_B=$FF_LAST_PID
ff_wait_agents 2

ff_log "sending two seeded streams"
ff_run_bounded 60 "$FF_GEN" --seed 11 --flows 30000 --keys 800 --rate 20000 \
	--dest "127.0.0.1:$UDP_A" --truth "$FF_TMP/a.csv"
ff_run_bounded 60 "$FF_GEN" --seed 22 --flows 20000 --keys 3000 --zipf 0.9 --rate 20000 \
	--dest "127.0.0.1:$UDP_B" --truth "$FF_TMP/b.csv"

ff_wait_truth 45 srcip/bytes -- "$FF_TMP/a.csv" "$FF_TMP/b.csv"
ff_log "store complete; comparing every element"
for el in srcip dstip ip srcport dstport port proto; do
	ff_assert_truth "$el/bytes" -- "$FF_TMP/a.csv" "$FF_TMP/b.csv"
	ff_assert_truth "$el/bytes" --agent node-a -- "$FF_TMP/a.csv"
	ff_assert_truth "$el/bytes" --agent node-b -- "$FF_TMP/b.csv"
done
ff_assert_truth srcip/flows -- "$FF_TMP/a.csv" "$FF_TMP/b.csv"
ff_assert_truth dstport/packets --agent node-a -- "$FF_TMP/a.csv"

# The agent element: one row per agent carrying exactly its own stream.
ff_cli top -s agent/bytes -n 0 -o json >"$FF_TMP/agents.json"
for pair in "node-a:a" "node-b:b"; do
	id=${pair%%:*}
	want=$(ff_truth totals --truth "$FF_TMP/${pair#*:}.csv")
	got=$(jq -r --arg id "$id" \
		'.rows[] | select(.key == $id) | "\(.flows) \(.packets) \(.bytes)"' "$FF_TMP/agents.json")
	[ "$got" = "$want" ] || ff_fail "top -s agent: $id has '$got', truth '$want'"
done

# The HTTP API itself, as docs/api.md describes it, gives the same answer.
curl -fsS "$FF_SERVER/api/v1/top?stat=dstip/packets&n=0&agent=node-b" >"$FF_TMP/http.json" ||
	ff_fail "GET /api/v1/top failed"
ff_truth compare --truth "$FF_TMP/b.csv" -s dstip/packets --json "$FF_TMP/http.json" >&2 ||
	ff_fail "GET /api/v1/top differs from the ground truth"

# Both agents are listed with what the aggregator stored for them.
ff_agents_json >"$FF_TMP/agents-list.json"
for id in node-a node-b; do
	jq -e --arg id "$id" '.agents[] | select(.id == $id)
		| .records > 0 and .batches > 0 and .address == "127.0.0.1" and (.hostname | length > 0)' \
		"$FF_TMP/agents-list.json" >/dev/null || ff_fail "flowfleet agents: $id missing or empty"
done

# Both agents flush, wait for their acks and exit 0; so does the aggregator.
ff_stop "$AGENT_A"
ff_stop "$AGENT_B"
ff_stop "$FF_AGG_PID"
ff_log "ok"
