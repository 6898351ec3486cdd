#!/bin/bash
# bench_soak.sh BUILD_DIR [SECONDS] [RATE] [SHAPE]: one agent streams to one
# aggregator at RATE records/s for SECONDS (default 600 s at 250,000/s of the
# distinct shape, as in a flood); prints the aggregator's peak RSS, what it
# stored, and the agent's loss and acknowledgement latency. Run by hand
# (docs/benchmarks.md); only 127.0.0.1 is used.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_soak.sh BUILD_DIR [SECONDS] [RATE] [pooled|distinct]}" && pwd)
SECS=${2:-600}
RATE=${3:-250000}
SHAPE=${4:-distinct}
export FF_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export FF_AGENT=${FF_AGENT:-$BUILD/agent/flowfleet-agent}
export FF_AGGREGATOR=${FF_AGGREGATOR:-$BUILD/aggregator/flowfleet-aggregator}
export FF_CLI=${FF_CLI:-$BUILD/aggregator/cli/flowfleet} FF_GEN=${FF_GEN:-$BUILD/tests/tools/ffgen}
FF_LOG_LEVEL=info
. "$FF_SRC/tests/integration/lib.sh"

peak_rss_mb() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

# FF_AGG_ARGS: extra aggregator options, e.g. "--window-max-records 500000".
# shellcheck disable=SC2086
ff_start_aggregator aggregator "$FF_TMP/data" ${FF_AGG_ARGS:-}
UDP=$(ff_free_port)
ff_start_agent soak "$UDP" --interval 10s
AGENT=$FF_LAST_PID
ff_wait_agents 1
shape_args=(--keys 200000)
[ "$SHAPE" = distinct ] && shape_args=(--distinct --hosts 100000)
echo "soak: $SHAPE keys, $RATE records/s for $SECS s"
timeout $((SECS + 120)) "$FF_GEN" --seed 9 "${shape_args[@]}" --rate "$RATE" \
	--flows $((RATE * SECS)) --dest "127.0.0.1:$UDP" 2>"$FF_TMP/ffgen.err" &
gen=$!
peak=0
while kill -0 "$gen" 2>/dev/null; do
	sleep 10
	r=$(peak_rss_mb "$FF_AGG_PID")
	echo "  t+$((SECONDS)) s: aggregator peak RSS $r MB, agent peak RSS $(peak_rss_mb "$AGENT") MB"
done
wait "$gen" || true
sleep 12
agg_rss=$(peak_rss_mb "$FF_AGG_PID")
agent_rss=$(peak_rss_mb "$AGENT")
ff_stop "$AGENT" 60
stored=$(ff_cli top -s agent/flows -n 0 -o json | jq -r '.rows[0].flows // 0')
ff_stop "$FF_AGG_PID" 120
sent=$(sed -n 's/.*: \([0-9]*\) records,.*/\1/p' "$FF_TMP/ffgen.err")
echo "sent $sent records; stored $stored flows"
grep -o 'records\.decoded [0-9]*\|handoff\.drops [0-9]*\|udp\.drops [0-9]*\|ack_latency p50/p99/max [0-9/]* ms' \
	"$FF_TMP/agent-soak.log" | tr '\n' ' '
echo
echo "aggregator peak RSS $agg_rss MB, agent peak RSS $agent_rss MB"
