#!/bin/bash
# bench_query.sh BUILD_DIR [MILLION_RECORDS] [KEYS]
# (environment: SPAN seconds the records are stamped over, default 7200)
#
# Query speed and bytes on disk, flowfleet against Debian's nfdump 1.7.1 on
# the same flows in the same run:
#   1. ffgen sends MILLION_RECORDS (default 10) million v5 records to nfcapd
#      (-y: lz4 files, 8 MiB socket buffer), their clocks spread over the
#      last SPAN seconds as if exported live at that rate;
#   2. bench_load writes exactly the records nfcapd stored into a flowfleet
#      data dir through the store interface (ffgen -> agent -> aggregator
#      would summarize them and take minutes), sealing a segment per 5
#      minutes of record time, with the aggregator's default rollups;
#   3. an aggregator serves that dir; each query runs three times in each
#      tool and the best wall time counts: `flowfleet top` as a user runs it
#      (CLI start and HTTP round trip included) against `nfdump -R DIR -s ...
#      -n 10`. The answers are compared row for row as well.
# Run by hand, never by ctest: it loads both cores for a few minutes and
# needs about 1 GB of temp space per 10 M records. Only 127.0.0.1 is used.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_query.sh BUILD_DIR [MILLION_RECORDS] [KEYS]}" && pwd)
MILLIONS=${2:-10}
KEYS=${3:-200000}
SPAN=${SPAN:-7200}
RECORDS=$((MILLIONS * 1000000))

export FF_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export FF_AGENT=${FF_AGENT:-$BUILD/agent/flowfleet-agent}
export FF_AGGREGATOR=${FF_AGGREGATOR:-$BUILD/aggregator/flowfleet-aggregator}
export FF_CLI=${FF_CLI:-$BUILD/aggregator/cli/flowfleet} FF_GEN=${FF_GEN:-$BUILD/tests/tools/ffgen}
LOAD=${FF_BENCH_LOAD:-$BUILD/tests/bench/bench_load}
FF_LOG_LEVEL=warn
# lib.sh gives the temp dir, free ports, spawning and the cleanup trap.
. "$FF_SRC/tests/integration/lib.sh"

NFDIR=$FF_TMP/nfcapd
DATA=$FF_TMP/data

# 1. The flows, into nfcapd's lz4 files.
port=$(ff_free_port)
mkdir -p "$NFDIR"
ff_spawn nfcapd nfcapd -b 127.0.0.1 -p "$port" -w "$NFDIR" -t 86400 -B 4194304 -y
NFCAPD=$FF_LAST_PID
ff_wait_ready "$NFCAPD" ff_udp_bound "$port" || ff_fail "nfcapd did not start"
ff_log "sending $RECORDS records ($KEYS keys) to nfcapd"
# 1.5 M/s stays below nfcapd's measured loss-free ceiling (PEERS.md).
"$FF_GEN" --seed 42 --flows "$RECORDS" --keys "$KEYS" --zipf 1.1 --rate 1500000 \
	--span "$SPAN" --dest "127.0.0.1:$port" --quiet
ff_stop "$NFCAPD" 60
stored=$(nfdump -R "$NFDIR" -q -N -s proto/flows -n 0 -o csv | awk -F, 'NR > 1 && $6 ~ /^[0-9]+$/ { s += $6 } END { print s + 0 }')
ff_log "nfcapd stored $stored records"

# 2. The same records into a flowfleet data dir.
t0=$(date +%s.%N)
nfdump -R "$NFDIR" -q -N -o "fmt:%tsr,%td,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%in,%out,%sas,%das,%tos" |
	"$LOAD" "$DATA" 2>"$FF_TMP/load.log"
t1=$(date +%s.%N)
ff_log "$(grep '^bench_load: [0-9]' "$FF_TMP/load.log") in $(awk "BEGIN { print $t1 - $t0 }") s"

# 3. Queries.
ff_start_aggregator aggregator "$DATA"

# best_of3 COMMAND...: the least wall time of three runs, in seconds.
best_of3() {
	local best="" i a b t
	for i in 1 2 3; do
		a=$(date +%s%N)
		"$@" >/dev/null
		b=$(date +%s%N)
		t=$(((b - a) / 1000000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	printf '%d.%03d' $((best / 1000)) $((best % 1000))
}

results=()
query() {
	local stat=$1 filter=${2:-}
	local args=(-s "$stat" -n 10)
	[ -n "$filter" ] && args+=("$filter")
	nfdump -R "$NFDIR" "${args[@]}" -o csv >"$FF_TMP/nf.csv"
	ff_cli top "${args[@]}" -o json >"$FF_TMP/ff.json"
	ff_truth nfdump -q --csv "$FF_TMP/nf.csv" --json "$FF_TMP/ff.json" -s "$stat" -n 10 ||
		ff_fail "top ${args[*]} differs from nfdump"
	local tn tf
	tn=$(best_of3 nfdump -R "$NFDIR" "${args[@]}")
	tf=$(best_of3 "$FF_CLI" --server "$FF_SERVER" --timeout 600 top "${args[@]}")
	results+=("$(printf '%-42s nfdump %7s s  flowfleet %7s s  speed-up %5.1fx' \
		"-s $stat ${filter:+'$filter'}" "$tn" "$tf" "$(awk "BEGIN { print $tn / $tf }")")")
	ff_log "${results[-1]}"
}
query srcip/bytes
query dstport/packets
query srcip/bytes "proto tcp and dst port 443"

nf_bytes=$(du -sb "$NFDIR" | cut -f1)
ff_bytes=$(du -sb "$DATA/segments" | cut -f1)
ff_roll=$(du -sb "$DATA/rollups" | cut -f1)
ff_stop "$FF_AGG_PID"

echo
echo "records: $stored (ffgen sent $RECORDS, $KEYS keys, over $SPAN s)"
for r in "${results[@]}"; do echo "$r"; done
awk -v n="$nf_bytes" -v f="$ff_bytes" -v g="$ff_roll" -v r="$stored" \
	'BEGIN { printf "bytes/record: nfcapd lz4 %.1f  flowfleet segments %.1f (%.2fx), with rollups %.1f (%.2fx)\n",
		n / r, f / r, f / n, (f + g) / r, (f + g) / n }'
