#!/bin/bash
# bench_ingest.sh BUILD_DIR [SECONDS_PER_STEP] [RATES...]
#
# The highest NetFlow v5 send rate (records/s) each collector takes without
# losing a record, for each shape of traffic (SHAPES, default both):
#   pooled   - ffgen's key pool (20,000 keys): the summarizer merges most records
#   distinct - ffgen --distinct: nearly every record a new key, as in a flood
# measured in one run on this machine:
#   agent  - flowfleet-agent decoding, summarizing and sending to an aggregator
#            on the same two cores (the aggregator's work counts against it)
#   agent1 - the agent alone: sending to ack_sink, which acks every batch unread
#            (as nfcapd runs alone; in a deployment the aggregator has its own host)
#   nfcapd - Debian's nfcapd with an 8 MiB socket buffer (-B 4194304)
#   sink   - udp_sink: recvmmsg and count, nothing else (the ceiling)
# Each step sends ffgen --rate R for a few seconds to one collector at a time
# (one sender, one receiver: the machine has two cores), lets it drain, stops
# it and reads how many records it got; for the agent also its peak RSS
# (VmHWM) and, at the end, the aggregator's. Run by hand, never by ctest: it loads
# both cores for a minute or two. Only 127.0.0.1 is used.
#
# CURVE=1 runs the agent to the aggregator over CurveZMQ (enrolled by a token)
# beside the same agent in plaintext (agentpt), for the cost of encryption.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_ingest.sh BUILD_DIR [SECONDS] [RATES...]}" && pwd)
SECS=${2:-3}
shift $(($# > 1 ? 2 : 1))
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(200000 500000 1000000 2000000 3000000 4000000 5000000 6000000)
read -r -a SHAPES <<<"${SHAPES:-pooled distinct}"

export FF_SRC=$(cd "$(dirname "$0")/../.." && pwd)
# Any binary can come from elsewhere through the environment (FF_AGENT=...);
# AGENT_ARGS="--wire-version 2" adds flags to every agent started.
export FF_AGENT=${FF_AGENT:-$BUILD/agent/flowfleet-agent}
export FF_AGGREGATOR=${FF_AGGREGATOR:-$BUILD/aggregator/flowfleet-aggregator}
export FF_CLI=${FF_CLI:-$BUILD/aggregator/cli/flowfleet} FF_GEN=${FF_GEN:-$BUILD/tests/tools/ffgen}
SINK=${FF_SINK:-$BUILD/tests/bench/udp_sink}
ACK_SINK=${FF_ACK_SINK:-$BUILD/tests/bench/ack_sink}
# The agent states its records.decoded and handoff.drops in its exit line, at level info.
FF_LOG_LEVEL=info
# lib.sh gives the temp dir, free ports, spawning and the cleanup trap.
. "$FF_SRC/tests/integration/lib.sh"

# send PORT RATE: prints the records ffgen handed to the kernel.
send() {
	local flows=$(($2 * SECS))
	local shape_args=(--keys 20000)
	[ "$SHAPE" = distinct ] && shape_args=(--distinct --hosts 100000)
	timeout --kill-after=5 $((SECS * 4 + 30)) "$FF_GEN" --seed 7 --flows "$flows" "${shape_args[@]}" \
		--rate "$2" --dest "127.0.0.1:$1" 2>"$FF_TMP/ffgen.err" || true
	sed -n 's/.*: \([0-9]*\) records,.*/\1/p' "$FF_TMP/ffgen.err"
}

# Each collector: start it, send, stop it; leaves SENT and GOT (records).
run_agent() {
	local port rate=$1
	port=$(ff_free_port)
	local extra=()
	read -r -a extra <<<"${AGENT_ARGS:-}"
	ff_start_agent bench "$port" --interval "${INTERVAL:-10}s" "${AGENT_TRUST[@]}" "${extra[@]}"
	local pid=$FF_LAST_PID
	SENT=$(send "$port" "$rate")
	sleep 1
	RSS=$(peak_rss_mb "$pid")
	ff_stop "$pid" 30
	# Kept: decoded and handed to the summarizer (a full hand-off ring drops after decoding).
	local decoded drops
	decoded=$(sed -n 's/.*records\.decoded \([0-9]*\).*/\1/p' "$FF_TMP/agent-bench.log" | tail -1)
	drops=$(sed -n 's/.*handoff\.drops \([0-9]*\).*/\1/p' "$FF_TMP/agent-bench.log" | tail -1)
	GOT=$((${decoded:-0} - ${drops:-0}))
	rm -rf "$FF_TMP/state-bench" "$FF_TMP/agent-bench.log"
}

# The agent alone: its batches go to ack_sink instead of the aggregator.
run_agent1() {
	local zport saved=$FF_ZMQ_PORT
	zport=$(ff_free_port)
	ff_spawn acksink "$ACK_SINK" "tcp://127.0.0.1:$zport"
	local sink_pid=$FF_LAST_PID
	FF_ZMQ_PORT=$zport
	run_agent "$1"
	FF_ZMQ_PORT=$saved
	ff_stop "$sink_pid" 10
	rm -f "$FF_TMP/acksink.log"
}

# The agent to the aggregator in plaintext, beside the CURVE one (CURVE=1).
run_agentpt() {
	local saved_trust=("${AGENT_TRUST[@]}") saved_port=$FF_ZMQ_PORT
	AGENT_TRUST=()
	FF_ZMQ_PORT=$PT_ZMQ_PORT
	FF_CURVE=0 run_agent "$1"
	FF_ZMQ_PORT=$saved_port
	AGENT_TRUST=("${saved_trust[@]}")
}

run_nfcapd() {
	local port rate=$1 dir=$FF_TMP/nfcapd.$1
	port=$(ff_free_port)
	ff_nfcapd nfcapd "$dir" "$port"
	SENT=$(send "$port" "$rate")
	sleep 1
	ff_stop "$FF_NFCAPD_PID" 30
	GOT=$(nfdump -R "$dir" -I | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' | head -1)
	rm -rf "$dir"
}

run_sink() {
	local port rate=$1
	port=$(ff_free_port)
	ff_spawn sink "$SINK" "$port" 8388608
	local pid=$FF_LAST_PID
	ff_wait_ready "$pid" ff_udp_bound "$port" || ff_fail "udp_sink did not bind $port"
	SENT=$(send "$port" "$rate")
	sleep 1
	ff_stop "$pid" 10
	GOT=$(sed -n 's/^datagrams [0-9]* records \([0-9]*\)/\1/p' "$FF_TMP/sink.log" | tail -1)
	rm -f "$FF_TMP/sink.log"
}

# peak_rss_mb PID: the process's peak resident set (VmHWM), in MB.
peak_rss_mb() {
	awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

for SHAPE in "${SHAPES[@]}"; do
# A fresh aggregator per shape, so its peak RSS is this shape's.
unset FF_ZMQ_PORT FF_HTTP_PORT
rm -rf "$FF_TMP/data"
COLLECTORS=(sink nfcapd agent1 agent)
[ -n "${ONLY:-}" ] && read -r -a COLLECTORS <<<"$ONLY"
AGENT_TRUST=()
if [ "${CURVE:-0}" = 1 ]; then
	# A plaintext aggregator for agentpt, then the CURVE one the agent enrols with.
	rm -rf "$FF_TMP/data-pt"
	FF_CURVE=0 ff_start_aggregator aggregator-pt "$FF_TMP/data-pt"
	PT_ZMQ_PORT=$FF_ZMQ_PORT PT_AGG_PID=$FF_AGG_PID
	unset FF_ZMQ_PORT FF_HTTP_PORT
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$FF_TMP/enroll.token"
	export FF_CURVE=1
	ff_start_aggregator aggregator "$FF_TMP/data" --enroll-token "$FF_TMP/enroll.token"
	AGENT_TRUST=(--server-key-file "$FF_TMP/data/server.pub" --enroll-token "$FF_TMP/enroll.token")
	COLLECTORS=(agentpt agent)
else
	ff_start_aggregator aggregator "$FF_TMP/data"
fi
declare -A best=([agent]=0 [agent1]=0 [agentpt]=0 [nfcapd]=0 [sink]=0)
declare -A done_=([agent]=0 [agent1]=0 [agentpt]=0 [nfcapd]=0 [sink]=0)
agent_rss=0
echo "shape: $SHAPE"
printf '%-8s %10s %10s %12s %12s %8s %8s\n' collector rate achieved sent received lost rss_mb
for rate in "${RATES[@]}"; do
	for c in "${COLLECTORS[@]}"; do
		[ "${done_[$c]}" = 1 ] && continue
		SENT=0 GOT=0 RSS=-
		run_$c "$rate"
		sent=${SENT:-0} got=${GOT:-0}
		lost=$((sent - got))
		# What ffgen reached: at high rates the sender, not the receiver, is the limit.
		achieved=$(sed -n 's/.*(\([0-9]*\) records\/s).*/\1/p' "$FF_TMP/ffgen.err")
		printf '%-8s %10d %10d %12d %12d %8d %8s\n' "$c" "$rate" "${achieved:-0}" "$sent" "$got" \
			"$lost" "$RSS"
		if [ "${c#agent}" != "$c" ] && [ "$RSS" -gt "$agent_rss" ]; then agent_rss=$RSS; fi
		# ffgen may not reach the asked rate: a loss-free step counts at the rate it reached.
		if [ "$lost" -eq 0 ] && [ "$sent" -eq $((rate * SECS)) ]; then
			[ "${achieved:-0}" -gt "${best[$c]}" ] && best[$c]=${achieved:-0}
		else
			done_[$c]=1
		fi
	done
done

echo "highest lossless rate reached, $SHAPE keys (records/s, ${SECS}s steps):"
for c in "${COLLECTORS[@]}"; do printf '  %-7s %10d\n' "$c" "${best[$c]}"; done
if [ "${CURVE:-0}" = 1 ]; then
	echo "CURVE/plaintext $(ratio "${best[agent]}" "${best[agentpt]}")"
	ff_stop "$PT_AGG_PID" 60
fi
echo "agent alone: agent1/nfcapd $(ratio "${best[agent1]}" "${best[nfcapd]}")  agent1/sink $(ratio "${best[agent1]}" "${best[sink]}")"
echo "with the aggregator on the same cores: agent/nfcapd $(ratio "${best[agent]}" "${best[nfcapd]}")  agent/sink $(ratio "${best[agent]}" "${best[sink]}")  nfcapd/sink $(ratio "${best[nfcapd]}" "${best[sink]}")"
echo "agent peak RSS ${agent_rss} MB, aggregator peak RSS $(peak_rss_mb "$FF_AGG_PID") MB"
echo
ff_stop "$FF_AGG_PID" 60
done
