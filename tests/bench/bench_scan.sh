#!/bin/bash
# bench_scan.sh BUILD_DIR WORK_DIR [distinct|pooled] [MILLION_RECORDS]
#
# The three top-N queries of bench_query.sh over data kept between runs, so
# one data set can time several builds (docs/benchmarks.md, Top-N queries):
#   1. once per WORK_DIR: ffgen sends the records to nfcapd (distinct: every
#      record a new key, hosts Zipf 1.1 over 100,000 per side, ffgen
#      --distinct; pooled: 200,000 keys), and bench_load writes exactly the
#      records nfcapd stored into WORK_DIR/data (a segment per 5 minutes of
#      record time, default rollups);
#   2. every run: an aggregator of BUILD_DIR serves WORK_DIR/data; each query
#      runs three times with `flowfleet top` and with `nfdump -R`, best wall
#      time, and nfdump's best CPU time (user + sys); then, the aggregator
#      stopped (the data dir is locked while it runs), bench_topn times the
#      engine alone (wall and CPU seconds), and with WINDOW=1 also over the
#      same records held in an open window (bench_topn --window: about 1.3 GB
#      of RAM and 10 s of loading per 10 M records, per query).
# Run by hand, never by ctest; about 1 GB of WORK_DIR per 10 M records.
# Only 127.0.0.1 is used.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_scan.sh BUILD_DIR WORK_DIR [distinct|pooled] [MILLIONS]}" && pwd)
WORK=${2:?usage: bench_scan.sh BUILD_DIR WORK_DIR [distinct|pooled] [MILLIONS]}
SHAPE=${3:-distinct}
MILLIONS=${4:-10}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ ! -d "$WORK/data" ]; then
	mkdir -p "$WORK/nf"
	port=$(free_port)
	nfcapd -b 127.0.0.1 -p "$port" -w "$WORK/nf" -t 86400 -B 4194304 -y >"$WORK/nfcapd.log" 2>&1 &
	nfcapd_pid=$!
	sleep 1
	keys=(--keys 200000)
	[ "$SHAPE" = distinct ] && keys=(--distinct --hosts 100000)
	"$BUILD/tests/tools/ffgen" --seed 42 --flows $((MILLIONS * 1000000)) "${keys[@]}" --zipf 1.1 \
		--rate 1500000 --span 7200 --dest "127.0.0.1:$port" --quiet
	kill -TERM "$nfcapd_pid"
	wait "$nfcapd_pid" || true
	nfdump -R "$WORK/nf" -q -N -o "fmt:%tsr,%td,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%in,%out,%sas,%das,%tos" |
		"$BUILD/tests/bench/bench_load" "$WORK/data" 2>"$WORK/load.log"
	grep '^bench_load: [0-9]' "$WORK/load.log"
fi

http=$(free_port)
"$BUILD/aggregator/flowfleet-aggregator" --data-dir "$WORK/data" --listen "tcp://127.0.0.1:$(free_port)" \
	--http "127.0.0.1:$http" --log-level error --insecure-plaintext &
agg=$!
trap 'kill "$agg" 2>/dev/null; wait "$agg" || true' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# nfdump's best CPU seconds (user + sys) of three runs.
cpu_best_of3() {
	local best="" t
	for _ in 1 2 3; do
		t=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
		if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
	done
	echo "$best"
}

best_of3() {
	local best="" a b t
	for _ in 1 2 3; do
		a=$(date +%s%N)
		"$@" >/dev/null
		b=$(date +%s%N)
		t=$(((b - a) / 1000000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}

echo "$SHAPE, $(uptime | sed 's/.*load/load/')"
for q in "srcip/bytes|" "dstport/packets|" "srcip/bytes|proto tcp and dst port 443"; do
	stat=${q%%|*} filter=${q#*|}
	args=(-s "$stat" -n 10)
	[ -n "$filter" ] && args+=("$filter")
	tf=$(best_of3 "$BUILD/aggregator/cli/flowfleet" --server "http://127.0.0.1:$http" --timeout 600 top "${args[@]}")
	tn=$(best_of3 nfdump -R "$WORK/nf" "${args[@]}")
	cn=$(cpu_best_of3 nfdump -R "$WORK/nf" "${args[@]}")
	printf '%-45s nfdump %5d ms (cpu %5.3f s)  flowfleet %5d ms  %5.1fx\n' \
		"-s $stat ${filter:+'$filter'}" "$tn" "$cn" "$tf" "$(awk "BEGIN { print $tn / $tf }")"
done
kill "$agg"
wait "$agg" || true
for q in "srcip/bytes|" "dstport/packets|" "srcip/bytes|proto tcp and dst port 443"; do
	printf 'bench_topn -s %-32s ' "${q%%|*} ${q#*|}"
	"$BUILD/tests/bench/bench_topn" "$WORK/data" "${q%%|*}" "${q#*|}" 5 2>/dev/null | grep '^best'
done
if [ "${WINDOW:-0}" = 1 ]; then
	for q in "srcip/bytes|" "dstport/packets|" "srcip/bytes|proto tcp and dst port 443"; do
		printf 'bench_topn --window -s %-23s ' "${q%%|*} ${q#*|}"
		"$BUILD/tests/bench/bench_topn" --window "$WORK/data" "${q%%|*}" "${q#*|}" 5 2>/dev/null |
			grep '^best'
	done
fi
