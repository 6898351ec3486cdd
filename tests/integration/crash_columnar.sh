#!/bin/bash
# The columnar store under crashes: kill -9 the aggregator four times while
# three agents stream, with one-second segment windows so that crashes land
# before, during and after seals (journal appends, segment writes, journal
# resets). After the last restart the totals equal the generators' ground
# truth: nothing acknowledged was lost, nothing was counted twice, and the
# flows are served from sealed segments as well as from the journal.
. "$(dirname "$0")/lib.sh"

DATA=$FF_TMP/data

# As ff_start_aggregator, with the columnar store's settings for this test.
start_aggregator() {
	local name=$1
	FF_ZMQ_PORT=${FF_ZMQ_PORT:-$(ff_free_port)}
	FF_HTTP_PORT=${FF_HTTP_PORT:-$(ff_free_port)}
	FF_SERVER="http://127.0.0.1:$FF_HTTP_PORT"
	mkdir -p "$DATA"
	ff_spawn "$name" "$FF_AGGREGATOR" --data-dir "$DATA" \
		--segment-window 1s --listen "tcp://127.0.0.1:$FF_ZMQ_PORT" \
		--http "127.0.0.1:$FF_HTTP_PORT" --log-level "${FF_LOG_LEVEL:-info}" --insecure-plaintext
	FF_AGG_PID=$FF_LAST_PID
	ff_wait_ready "$FF_AGG_PID" curl -fsS "$FF_SERVER/healthz" ||
		ff_fail "aggregator $name did not answer /healthz on port $FF_HTTP_PORT"
}

start_aggregator aggregator
AGENTS=()
for id in node-a node-b node-c; do
	port=$(ff_free_port)
	eval "UDP_${id#node-}=$port"
	ff_start_agent "$id" "$port"
	AGENTS+=("$FF_LAST_PID")
done
ff_wait_agents 3

ff_log "streaming for about 7 s"
GENS=()
ff_spawn gen-a "$FF_GEN" --seed 11 --flows 30000 --keys 2000 --rate 4500 \
	--dest "127.0.0.1:$UDP_a" --truth "$FF_TMP/a.csv"
GENS+=("$FF_LAST_PID")
ff_spawn gen-b "$FF_GEN" --seed 22 --flows 24000 --keys 1500 --rate 3500 \
	--dest "127.0.0.1:$UDP_b" --truth "$FF_TMP/b.csv"
GENS+=("$FF_LAST_PID")
ff_spawn gen-c "$FF_GEN" --seed 33 --flows 20000 --keys 800 --rate 3000 \
	--dest "127.0.0.1:$UDP_c" --truth "$FF_TMP/c.csv"
GENS+=("$FF_LAST_PID")

# Four crashes at different points of the agents' 1 s flush cycle and of
# the 1 s segment windows, each with a different downtime.
for round in 1 2 3 4; do
	sleep 1.$((round * 2 + 1))
	ff_log "kill -9 aggregator (round $round)"
	ff_kill9 "$FF_AGG_PID"
	sleep 0.$((round * 2))
	start_aggregator "aggregator-restart$round"
done

for pid in "${GENS[@]}"; do
	ff_wait_exit "$pid" 30 || ff_fail "ffgen $pid still running"
	wait "$pid" || ff_fail "ffgen $pid failed"
done

ALL=("$FF_TMP/a.csv" "$FF_TMP/b.csv" "$FF_TMP/c.csv")
ff_wait_truth 60 srcip/bytes -- "${ALL[@]}"
ff_assert_truth dstport/flows -- "${ALL[@]}"
ff_assert_truth proto/packets --agent node-a -- "$FF_TMP/a.csv"
ff_assert_truth srcip/bytes --agent node-b -- "$FF_TMP/b.csv"
ff_assert_truth dstip/packets --agent node-c -- "$FF_TMP/c.csv"

segments=$(find "$DATA/segments" -name 'seg-*.ffs' | wc -l)
ff_log "$segments sealed segments"
[ "$segments" -ge 2 ] || ff_fail "expected sealed segments in $DATA/segments, found $segments"
if grep -h "is damaged\|damaged bytes\|does not decode" "$FF_TMP"/aggregator*.log >&2; then
	ff_fail "a crash left a damaged file behind"
fi

# A restart that finds everything sealed or journaled still gives the truth.
ff_stop "$FF_AGG_PID"
start_aggregator aggregator-final
ff_assert_truth srcip/bytes -- "${ALL[@]}"

for pid in "${AGENTS[@]}"; do ff_stop "$pid"; done
ff_stop "$FF_AGG_PID"
ff_log "ok"
