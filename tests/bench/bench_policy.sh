#!/bin/bash
# bench_policy.sh BUILD_DIR [SECONDS] [RATE] [KEYS] [INTERVAL]
#
# What a realistic central policy does to what an agent sends: the same
# ffgen stream (RATE records/s for SECONDS, drawn from KEYS distinct flows)
# goes to one agent twice, once with no policy (every flow is sent, one
# record per flow per interval) and once under
#   filter 'not port 53', keys srcip,dstip,proto,dstport, top-K 1000
# and the agent's own counters are compared: records.sent and bytes.sent
# (frame bytes on the wire, after lz4) per second, and records.filtered.
# Run by hand, never by ctest. Only 127.0.0.1 is used.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_policy.sh BUILD_DIR [SECONDS] [RATE] [KEYS] [INTERVAL]}" && pwd)
SECS=${2:-10}
RATE=${3:-20000}
KEYS=${4:-50000}
INTERVAL=${5:-1}

export FF_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export FF_AGENT=${FF_AGENT:-$BUILD/agent/flowfleet-agent}
export FF_AGGREGATOR=${FF_AGGREGATOR:-$BUILD/aggregator/flowfleet-aggregator}
export FF_CLI=${FF_CLI:-$BUILD/aggregator/cli/flowfleet} FF_GEN=${FF_GEN:-$BUILD/tests/tools/ffgen}
FF_LOG_LEVEL=info
. "$FF_SRC/tests/integration/lib.sh"

# counter NAME LOG: the value of NAME in the agent's exit line.
counter() {
	sed -n "s/.*exiting: .*$1 \([0-9]*\).*/\1/p" "$2" | tail -n 1
}

# run MODE: one fresh aggregator and agent; prints "MODE records/s bytes/s filtered".
run() {
	local mode=$1 udp
	unset FF_ZMQ_PORT FF_HTTP_PORT
	ff_start_aggregator "agg-$mode" "$FF_TMP/data-$mode"
	if [ "$mode" = policy ]; then
		FLOWFLEET_TOKEN=$(cat "$FF_TMP/data-$mode/api.token") ff_cli policy set \
			--filter 'not port 53' --keys srcip,dstip,proto,dstport --topk 1000 >&2
	fi
	udp=$(ff_free_port)
	FF_TMP_AGENT="$FF_TMP/agent-$mode.log"
	"$FF_AGENT" --id "bench-$mode" --aggregator "tcp://127.0.0.1:$FF_ZMQ_PORT" \
		--listen-udp "127.0.0.1:$udp" --interval "${INTERVAL}s" --heartbeat 1s --insecure-plaintext \
		>"$FF_TMP_AGENT" 2>&1 &
	local agent=$!
	FF_PIDS+=("$agent")
	ff_wait_ready "$agent" ff_udp_bound "$udp" || ff_fail "agent did not start"
	if [ "$mode" = policy ]; then
		ff_wait_until 15 grep -q "policy 1 applied" "$FF_TMP_AGENT" ||
			ff_fail "the agent did not apply the policy"
	fi
	"$FF_GEN" --seed 5 --flows $((RATE * SECS)) --keys "$KEYS" --rate "$RATE" \
		--dest "127.0.0.1:$udp" --quiet
	ff_stop "$agent" 20
	ff_stop "$FF_AGG_PID"
	local recs bytes filtered
	recs=$(counter records.sent "$FF_TMP_AGENT")
	bytes=$(counter bytes.sent "$FF_TMP_AGENT")
	filtered=$(counter records.filtered "$FF_TMP_AGENT")
	echo "$mode $((recs / SECS)) $((bytes / SECS)) $filtered"
}

echo "# $SECS s at $RATE records/s from $KEYS keys, interval ${INTERVAL}s"
echo "# mode records.sent/s bytes.sent/s records.filtered"
run none
run policy
