#!/bin/bash
# An upgrade in progress: one agent still speaks wire version 1 (a FlowRecord
# message per record), one version 2 (columns), one version 3 (coded columns),
# all to one aggregator.
# Every statistic, per agent and fleet-wide, equals the ground truth.
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_OLD=$(ff_free_port)
UDP_MID=$(ff_free_port)
UDP_NEW=$(ff_free_port)
ff_start_agent old "$UDP_OLD" --wire-version 1
OLD=$FF_LAST_PID
ff_start_agent mid "$UDP_MID" --wire-version 2
MID=$FF_LAST_PID
ff_start_agent new "$UDP_NEW" --wire-version 3
NEW=$FF_LAST_PID
ff_wait_agents 3

ff_run_bounded 60 "$FF_GEN" --seed 41 --flows 20000 --keys 2000 --rate 20000 \
	--dest "127.0.0.1:$UDP_OLD" --truth "$FF_TMP/old.csv"
ff_run_bounded 60 "$FF_GEN" --seed 42 --distinct --flows 20000 --rate 20000 \
	--dest "127.0.0.1:$UDP_NEW" --truth "$FF_TMP/new.csv"
ff_run_bounded 60 "$FF_GEN" --seed 43 --flows 20000 --keys 3000 --rate 20000 \
	--dest "127.0.0.1:$UDP_MID" --truth "$FF_TMP/mid.csv"

ff_wait_truth 45 srcip/bytes -- "$FF_TMP/old.csv" "$FF_TMP/mid.csv" "$FF_TMP/new.csv"
for el in srcip dstip srcport dstport proto; do
	ff_assert_truth "$el/bytes" -- "$FF_TMP/old.csv" "$FF_TMP/mid.csv" "$FF_TMP/new.csv"
	ff_assert_truth "$el/packets" --agent old -- "$FF_TMP/old.csv"
	ff_assert_truth "$el/packets" --agent mid -- "$FF_TMP/mid.csv"
	ff_assert_truth "$el/flows" --agent new -- "$FF_TMP/new.csv"
done

# Each agent said which version it speaks, and the aggregator shows it.
ff_agents_json >"$FF_TMP/agents.json"
for pair in old:1 mid:2 new:3; do
	v=$(jq -r --arg id "${pair%%:*}" '.agents[] | select(.id == $id) | .protocol_version' \
		"$FF_TMP/agents.json")
	[ "$v" = "${pair#*:}" ] || ff_fail "agent ${pair%%:*}: protocol_version '$v', want ${pair#*:}"
done

ff_stop "$OLD"
ff_stop "$MID"
ff_stop "$NEW"
ff_stop "$FF_AGG_PID"
ff_log "ok"
