#!/bin/bash
# The demo behind `make run`: one aggregator and two agents on loopback, fed
# by softflowd (real NetFlow v5 to one, v9 with IPv6 flows to the other, from
# tests/data/traffic.pcap) and by the
# project's generator, then the fleet-wide and per-agent top talkers.
#
#   deploy/demo.sh BUILD_DIR
#
# Everything it starts is stopped on exit; the data and the daemons' logs
# stay in ./run/demo/ for a look afterwards. Only 127.0.0.1 is used, on free
# ports, so a real aggregator on the default ports is not disturbed.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
AGENT=$BUILD/agent/flowfleet-agent
AGGREGATOR=$BUILD/aggregator/flowfleet-aggregator
CLI=$BUILD/aggregator/cli/flowfleet
GEN=$BUILD/tests/tools/ffgen
PCAP=$SRC/tests/data/traffic.pcap
INTERVAL=2
RUN=$SRC/run/demo
PIDS=()

say() { printf '\033[1m%s\033[0m\n' "$*"; }
step() { printf '  - %s\n' "$*"; }
die() {
	echo "demo: $*" >&2
	echo "demo: daemon logs are in $RUN" >&2
	exit 1
}

for bin in "$AGENT" "$AGGREGATOR" "$CLI" "$GEN"; do
	[ -x "$bin" ] || die "$bin is missing: build first (make build)"
done
command -v softflowd >/dev/null || die "softflowd is not installed (make deps)"

stop_all() {
	local rc=$? pid i
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
	/usr/bin/python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p)); print(p)'
}

spawn() {
	local name=$1
	shift
	"$@" >"$RUN/$name.log" 2>&1 &
	PIDS+=("$!")
}

# wait_until SECONDS COMMAND...: bounded polling.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.25
	done
}

cli() { "$CLI" --server "http://127.0.0.1:$HTTP_PORT" "$@"; }

# Total flows stored per agent, e.g. "node-a=20416 node-b=15408".
stored() {
	cli top -s agent/flows -n 0 -o json |
		/usr/bin/python3 -c 'import json,sys; print(" ".join(
			"%s=%s" % (r["key"], r["flows"]) for r in json.load(sys.stdin)["rows"]))'
}

# True once both agents' flows are stored and nothing changed for two intervals.
settled() {
	local now
	now=$(stored)
	case "$now" in *node-a=*node-b=* | *node-b=*node-a=*) ;; *) return 1 ;; esac
	if [ "$now" = "${LAST_STORED:-}" ] && [ $((SECONDS - LAST_CHANGE)) -ge $((2 * INTERVAL)) ]; then
		return 0
	fi
	[ "$now" = "${LAST_STORED:-}" ] || LAST_CHANGE=$SECONDS
	LAST_STORED=$now
	return 1
}

rm -rf "$RUN"
mkdir -p "$RUN"
ZMQ_PORT=$(free_port)
HTTP_PORT=$(free_port)
UDP_A=$(free_port)
UDP_B=$(free_port)

say "flowfleet demo: one aggregator, two agents, real NetFlow from softflowd"
step "aggregator: agents on tcp://127.0.0.1:$ZMQ_PORT, HTTP on 127.0.0.1:$HTTP_PORT, data in run/demo/data"
# CurveZMQ with enrolment, as in a deployment: the agents get the aggregator's
# public key and an enrolment token, so they are accepted at their first Hello.
mkdir -p "$RUN/data"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN/enroll.token"
chmod 600 "$RUN/enroll.token"
spawn aggregator "$AGGREGATOR" --data-dir "$RUN/data" --listen "tcp://127.0.0.1:$ZMQ_PORT" \
	--http "127.0.0.1:$HTTP_PORT" --enroll-token "$RUN/enroll.token"
wait_until 20 curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" || die "the aggregator did not start"
step "CurveZMQ: agents take the aggregator's key $(cut -c1-8 "$RUN/data/server.pub")... and enrol with a token"

for pair in "node-a:$UDP_A" "node-b:$UDP_B"; do
	id=${pair%%:*}
	port=${pair#*:}
	step "agent $id: NetFlow on udp 127.0.0.1:$port, one batch every ${INTERVAL}s"
	mkdir -p "$RUN/state-$id"
	spawn "agent-$id" "$AGENT" --id "$id" --aggregator "tcp://127.0.0.1:$ZMQ_PORT" \
		--listen-udp "127.0.0.1:$port" --state-dir "$RUN/state-$id" \
		--interval "${INTERVAL}s" --heartbeat 1s --label site=demo \
		--server-key-file "$RUN/data/server.pub" --enroll-token "$RUN/enroll.token"
	wait_until 20 sh -c "ss -H -uln 'sport = :$port' | grep -q ." ||
		die "agent $id did not start"
done

step "softflowd replays tests/data/traffic.pcap to each agent (NetFlow v5 to node-a, v9 with IPv6 to node-b)"
# A copy moved to the present, so its flows read as live traffic.
/usr/bin/python3 "$SRC/tests/tools/pcap_retime.py" "$PCAP" "$RUN/traffic.pcap" ||
	die "cannot retime $PCAP"
for export in "$UDP_A -v 5" "$UDP_B -v 9 -6"; do
	# softflowd reads the capture, exports every flow and exits; never -c with -r.
	# shellcheck disable=SC2086 # "PORT -v N [-6]" splits into softflowd's arguments
	set -- $export
	port=$1
	shift
	timeout 60 softflowd -r "$RUN/traffic.pcap" -n "127.0.0.1:$port" "$@" -d -p "$RUN/softflowd.pid" \
		>>"$RUN/softflowd.log" 2>&1 || die "softflowd failed (see run/demo/softflowd.log)"
done
step "ffgen adds generated load: 5000 small flow records to node-a, 3000 to node-b"
"$GEN" --seed 1 --flows 5000 --keys 2000 --max-packets 3 --rate 40000 --dest "127.0.0.1:$UDP_A" \
	>>"$RUN/ffgen.log" 2>&1 || die "ffgen failed"
"$GEN" --seed 2 --flows 3000 --keys 1500 --max-packets 3 --rate 40000 --dest "127.0.0.1:$UDP_B" \
	>>"$RUN/ffgen.log" 2>&1 || die "ffgen failed"

step "waiting for the agents' flushes to be stored"
LAST_CHANGE=$SECONDS
wait_until 60 settled || die "the agents' batches did not arrive"

echo
say "Top 10 source addresses by bytes, whole fleet (flowfleet top -s srcip/bytes -n 10)"
cli top -s srcip/bytes -n 10
for id in node-a node-b; do
	echo
	say "Top 10 source addresses by bytes, agent $id (--agent $id)"
	cli top -s srcip/bytes -n 10 --agent "$id"
done
echo
say "Agents (flowfleet agents)"
cli agents

cat <<EOF

Done; every process the demo started is being stopped. Data and logs: run/demo/.

To run flowfleet for real (see README.md and deploy/):
  flowfleet-aggregator -c deploy/aggregator.conf      # --data-dir DIR --listen tcp://*:7470 --http 127.0.0.1:7480
  flowfleet-agent -c deploy/agent.conf                # --id ID --aggregator tcp://HOST:7470 --listen-udp 0.0.0.0:2055 --interval 10s
  softflowd -i eth0 -n 127.0.0.1:2055 -v 9            # or any NetFlow v5/v9, IPFIX (4739) or sFlow (6343) exporter
  flowfleet --server http://127.0.0.1:7480 top -s srcip/bytes -n 10
  flowfleet agents
systemd units: deploy/flowfleet-aggregator.service, deploy/flowfleet-agent.service.
EOF
