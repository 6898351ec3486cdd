#!/bin/bash
# bench_wire.sh BUILD_DIR: wire bytes per record, version 1 against version 2,
# for ffgen's two shapes (pooled keys, and distinct keys as in a flood) and
# for softflowd's real exports of the test capture (NetFlow v5, and v9 with
# IPv6), which tcpdump records on loopback while softflowd replays it.
# Run by hand (docs/benchmarks.md); only 127.0.0.1 is used.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_wire.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WIRE=$BUILD/tests/bench/bench_wire
TMP=$(mktemp -d /tmp/ff-bench-wire.XXXXXX)
trap 'pkill -INT -f "tcpdump -i lo -w $TMP" 2>/dev/null || true; rm -rf "$TMP"' EXIT

"$WIRE" --records "${RECORDS:-500000}"
echo "the same records kept apart (the agent without a merging policy):"
"$WIRE" --records "${RECORDS:-500000}" --apart

# capture VERSION PORT [softflowd args...]: softflowd's export of the capture, as a pcap.
capture() {
	local v=$1 port=$2
	shift 2
	tcpdump -i lo -w "$TMP/v$v.pcap" "udp port $port" 2>/dev/null &
	local dump=$!
	sleep 1
	python3 "$SRC/tests/tools/pcap_retime.py" "$SRC/tests/data/traffic.pcap" "$TMP/traffic.pcap"
	# Never -c with -r: softflowd would wait on its control socket forever.
	timeout 60 softflowd -r "$TMP/traffic.pcap" -n "127.0.0.1:$port" -v "$v" -d \
		-p "$TMP/softflowd.pid" "$@" >/dev/null 2>&1
	sleep 1
	kill -INT "$dump"
	wait "$dump" || true
}

port=$((20000 + RANDOM % 20000))
capture 5 "$port"
capture 9 $((port + 1)) -6
echo "softflowd exports of tests/data/traffic.pcap:"
"$WIRE" --records 0 --pcap "$TMP/v5.pcap" | grep -F "$TMP" | sed "s#$TMP/v\([59]\).pcap#softflowd -v \1 export#"
"$WIRE" --records 0 --pcap "$TMP/v9.pcap" | grep -F "$TMP" | sed "s#$TMP/v\([59]\).pcap#softflowd -v \1 export#"
echo "the same exports kept apart:"
"$WIRE" --records 0 --apart --pcap "$TMP/v5.pcap" | grep -F "$TMP" | sed "s#$TMP/v\([59]\).pcap#softflowd -v \1 export#"
"$WIRE" --records 0 --apart --pcap "$TMP/v9.pcap" | grep -F "$TMP" | sed "s#$TMP/v\([59]\).pcap#softflowd -v \1 export#"
