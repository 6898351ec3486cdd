#!/bin/bash
# kill -9 the aggregator three times while two agents stream, restart it on the same
# data dir and ports: the final totals equal the ground truth, so nothing was
# lost (agents kept and resent unacked batches) and nothing was counted twice
# (the aggregator de-duplicated what it had stored but not acked).
. "$(dirname "$0")/lib.sh"

DATA=$FF_TMP/data
ff_start_aggregator aggregator "$DATA"
UDP_A=$(ff_free_port)
UDP_B=$(ff_free_port)
ff_start_agent node-a "$UDP_A"
AGENT_A=$FF_LAST_PID
ff_start_agent node-b "$UDP_B"
AGENT_B=$FF_LAST_PID
ff_wait_agents 2

ff_log "streaming for about 7 s"
ff_spawn gen-a "$FF_GEN" --seed 101 --flows 35000 --keys 2000 --rate 5000 \
	--dest "127.0.0.1:$UDP_A" --truth "$FF_TMP/a.csv"
GEN_A=$FF_LAST_PID
ff_spawn gen-b "$FF_GEN" --seed 202 --flows 28000 --keys 1500 --rate 4000 \
	--dest "127.0.0.1:$UDP_B" --truth "$FF_TMP/b.csv"
GEN_B=$FF_LAST_PID

# Three crashes at different points of the agents' 1 s flush cycle, each
# with a different downtime, so some batches wait in the agents and some
# may be stored but not yet acknowledged.
for round in 1 2 3; do
	sleep 1.$((round * 3))
	ff_log "kill -9 aggregator (round $round)"
	ff_kill9 "$FF_AGG_PID"
	sleep 0.$((round * 3))
	ff_start_aggregator "aggregator-restart$round" "$DATA"
done

for pid in "$GEN_A" "$GEN_B"; do
	ff_wait_exit "$pid" 30 || ff_fail "ffgen $pid still running"
	wait "$pid" || ff_fail "ffgen $pid failed"
done

ff_wait_truth 60 srcip/bytes -- "$FF_TMP/a.csv" "$FF_TMP/b.csv"
ff_assert_truth dstport/flows -- "$FF_TMP/a.csv" "$FF_TMP/b.csv"
ff_assert_truth proto/packets --agent node-a -- "$FF_TMP/a.csv"
ff_assert_truth srcip/bytes --agent node-b -- "$FF_TMP/b.csv"
ff_agents_json | jq -c '.agents[] | {id, batches, duplicates, records,
	resent: .counters["batches.resent"]}' >&2

ff_stop "$AGENT_A"
ff_stop "$AGENT_B"
ff_stop "$FF_AGG_PID"
ff_log "ok"
