#!/bin/bash
# bench_query.sh BUILD_DIR [MILLION_RECORDS] [KEYS]
#
# Top-N query speed and bytes on disk: flowfleet against Debian's nfdump 1.7.1
# and ClickHouse 18.16 on the same records, for each key shape in one run.
#
# Environment:
#   SHAPES     "pooled distinct" (default) or one of them:
#              pooled   - ffgen's key pool: KEYS distinct 5-tuples (default 200000)
#              distinct - ffgen --distinct: every record a new key, addresses
#                         Zipf over HOSTS hosts a side (default 100000), ports per record
#   ZIPF       skew of keys, hosts and ports (ffgen --zipf, default 1.1)
#   SPAN       seconds the records are stamped over (ffgen --span, default 7200)
#   LIVE_RATE  records/s ffgen sends to the agent (default 500000)
#   NFCAPD_RATE  records/s ffgen sends to nfcapd (default 500000: at 1.5 M/s it lost
#              0.8% here while other builds ran); a loss in either fails the run
#   WINDOW_MAX_RECORDS  the live aggregator's --window-max-records (default: its own,
#              500000); a larger value also raises --window-max-bytes to hold it
#   CLICKHOUSE 1: required, 0: skipped, auto (default): when clickhouse-server is installed
#
# For each shape:
#   1. ffgen sends MILLION_RECORDS million v5 records (default 10; decimals allowed)
#      to nfcapd (-y lz4, 8 MiB socket buffer) at NFCAPD_RATE; then the same
#      records again (same seed: same keys, counters and order; only the clocks
#      differ) at LIVE_RATE to a flowfleet agent whose aggregator (a fresh data
#      dir, default window bounds) stores them live. One at a time: sent to
#      both at once, nfcapd lost records here while the agent and aggregator
#      shared its two cores.
#   2. Open window: as soon as the aggregator holds every record (and a window
#      it had just handed to its sealer is a segment: about a second), the
#      three queries run against it. The aggregator keeps what it received since
#      its last seal in its open window: the journal on disk plus the rows in RAM,
#      not yet a segment, scanned from memory by queries. A window is sealed when
#      its 5 minutes of wall clock end or, earlier, when one more batch would take
#      it past window-max-records (500000 rows) or window-max-bytes (64 MB, 128
#      bytes a row). The agent merges the records of one key within its 1 s
#      interval, so the store holds rows, fewer than the records on the pooled
#      shape. The run reports how many rows were in the open window, in a window
#      being sealed and in sealed segments when the queries started and when they
#      ended (from the aggregator's debug log and /api/v1/agents).
#   3. Sealed: bench_load writes exactly the records nfcapd stored into a second
#      data dir through the store interface, a segment per 5 minutes of record
#      time, with the default rollups (each only where it pays); an aggregator
#      serves it.
#   4. ClickHouse (if run): the same records from nfcapd's files, loaded over
#      HTTP into a MergeTree ordered by (time, source), FixedString(16) addresses.
# Each query runs three times in each tool and the best wall time counts:
# `flowfleet top` as a user runs it (CLI start and HTTP round trip included),
# `nfdump -R DIR -s ... -n 10`, and curl POSTing the GROUP BY to ClickHouse's
# HTTP port. Every answer is compared row for row with nfdump's (ff_truth.py
# nfdump: the keys, their order and flows, packets, bytes, and the rates over
# the sealed records; the open window and ClickHouse on the counters only) and
# the run fails if one differs. nfdump has no open window: its files are readable only once nfcapd
# closes them, so its times are over the closed files in both cases.
#
# Run by hand, never by ctest: it loads both cores for minutes and needs about
# 1.5 GB of temp space per 10 M records (each shape's files are removed when it
# is done). Only 127.0.0.1 is used; every process it starts is stopped at exit.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_query.sh BUILD_DIR [MILLION_RECORDS] [KEYS]}" && pwd)
MILLIONS=${2:-10}
KEYS=${3:-200000}
RECORDS=$(awk -v m="$MILLIONS" 'BEGIN { printf "%d", m * 1000000 }')
read -r -a SHAPES <<<"${SHAPES:-pooled distinct}"
HOSTS=${HOSTS:-100000}
ZIPF=${ZIPF:-1.1}
SPAN=${SPAN:-7200}
LIVE_RATE=${LIVE_RATE:-500000}
NFCAPD_RATE=${NFCAPD_RATE:-500000}
CLICKHOUSE=${CLICKHOUSE:-auto}

export FF_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export FF_AGENT=${FF_AGENT:-$BUILD/agent/flowfleet-agent}
export FF_AGGREGATOR=${FF_AGGREGATOR:-$BUILD/aggregator/flowfleet-aggregator}
export FF_CLI=${FF_CLI:-$BUILD/aggregator/cli/flowfleet} FF_GEN=${FF_GEN:-$BUILD/tests/tools/ffgen}
LOAD=${FF_BENCH_LOAD:-$BUILD/tests/bench/bench_load}
FF_LOG_LEVEL=warn
# lib.sh gives the temp dir, free ports, spawning and the cleanup trap.
. "$FF_SRC/tests/integration/lib.sh"
. "$FF_SRC/tests/bench/bench_clickhouse.sh"

case "$CLICKHOUSE" in
auto) command -v clickhouse-server >/dev/null && CLICKHOUSE=1 || CLICKHOUSE=0 ;;
1) command -v clickhouse-server >/dev/null || ff_fail "CLICKHOUSE=1 but no clickhouse-server (make bench-deps)" ;;
esac
WINDOW_ARGS=()
if [ -n "${WINDOW_MAX_RECORDS:-}" ]; then
	# 128 bytes a record is what the byte bound counts (agg_config.c), plus slack.
	WINDOW_ARGS=(--window-max-records "$WINDOW_MAX_RECORDS"
		--window-max-bytes "$((WINDOW_MAX_RECORDS * 160 > 1048576 ? WINDOW_MAX_RECORDS * 160 : 1048576))B")
fi

# The three queries: statistic, optional filter, and the same in ClickHouse's terms.
Q_STAT=(srcip/bytes dstport/packets srcip/bytes)
Q_FILTER=("" "" "proto tcp and dst port 443")
Q_CH=("src bytes" "dp packets" "src bytes")
Q_WHERE=("" "" "proto = 6 AND dp = 443")
NFDUMP_FMT="fmt:%tsr,%td,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%in,%out,%sas,%das,%tos"

declare -A R # results: R[shape,what] (times in s, sizes in bytes, counts)

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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.1f", a / b; else print "n/a" }'; }

gen_args() {
	case "$1" in
	pooled) echo "--keys $KEYS --zipf $ZIPF" ;;
	distinct) echo "--distinct --hosts $HOSTS --zipf $ZIPF" ;;
	*) ff_fail "unknown shape '$1' (pooled or distinct)" ;;
	esac
}

nf_args() { # nf_args I: the -s/-n/filter words of query I, as both nfdump and flowfleet take them
	NF_ARGS=(-s "${Q_STAT[$1]}" -n 10)
	[ -n "${Q_FILTER[$1]}" ] && NF_ARGS+=("${Q_FILTER[$1]}")
	return 0
}

# flowfleet_query SHAPE CASE I: compares query I with nfdump's answer, times it,
# and keeps the rows the store handed out and the files it read.
flowfleet_query() {
	local shape=$1 case_=$2 i=$3 out=$FF_TMP/ff.json
	nf_args "$i"
	ff_cli --timeout 600 top "${NF_ARGS[@]}" -o json >"$out"
	# The live records were sent again, so their clocks are not nfcapd's to the
	# millisecond: the rates (pps, bps) differ in the last digits, the counters not.
	local rates=()
	[ "$case_" = window ] && rates=(--no-rates)
	ff_truth nfdump "${rates[@]}" --csv "$FF_TMP/nf-$i.csv" --json "$out" -s "${Q_STAT[$i]}" -n 10 >&2 ||
		ff_fail "$shape $case_: top ${NF_ARGS[*]} differs from nfdump"
	R[$shape,$case_,$i]=$(best_of3 "$FF_CLI" --server "$FF_SERVER" --timeout 600 top "${NF_ARGS[@]}")
	# total.records: rows the store handed out that the query covered (after the
	# filter: rows the filter rejected are not counted anywhere); read: files.
	R[$shape,$case_,$i,rows]=$(jq -r 'if .total.records == null then "not exposed" else
		"\(.total.records) rows covered, from \(.read.segments // "?") segments, \(.read.minute_rollups // "?") minute and \(.read.hour_rollups // "?") hour rollups\(if $c == "window" then " and the windows in memory" else "" end)" end' \
		--arg c "$case_" "$out")
	ff_log "$shape $case_: ${NF_ARGS[*]}: ${R[$shape,$case_,$i]} s (${R[$shape,$case_,$i,rows]})"
}

# The live aggregator's state: rows in its open window, being sealed and sealed.
window_state() {
	local log=$1 doc handed windows seals total
	doc=$(curl -fsS "$FF_SERVER/api/v1/agents")
	total=$(jq -r '.store.records' <<<"$doc")
	seals=$(jq -r '.store.columnar.seals // 0' <<<"$doc")
	# "window of segment N (R records) handed to the sealer[, early: ...]" at debug level.
	windows=$(grep -c 'handed to the sealer' "$log" || true)
	handed=$(sed -n 's/.*window of segment [0-9]* (\([0-9]*\) records) handed to the sealer.*/\1/p' "$log" |
		awk '{ s += $1 } END { print s + 0 }')
	local early
	early=$(grep -c 'handed to the sealer, early' "$log" || true)
	local sealing=0
	if [ "$seals" -lt "$windows" ]; then
		sealing=$(sed -n 's/.*(\([0-9]*\) records) handed to the sealer.*/\1/p' "$log" | tail -1)
	fi
	echo "$((total - handed)) in the open window, $sealing in a window being sealed, $((handed - sealing)) in $seals sealed segments ($early of $windows windows sealed early at the bound); $total rows stored (the agent merges a key's records within its 1 s interval)"
}

# dir_bytes DIR GLOB: bytes of the files matching GLOB under DIR (0 when none).
dir_bytes() {
	local n
	n=$(find "$1" -path "$1/$2" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	echo "$n"
}

# 1: the records into nfcapd's lz4 files, and nfdump's answers. A send that
# lost records (other work on the machine can starve a receiver for a moment)
# is made again at half the rate, up to three times.
run_nfcapd() {
	local shape=$1 rate=$NFCAPD_RATE try
	for try in 1 2 3; do
		nfcapd_attempt "$shape" "$rate" && break
		[ "$try" -lt 3 ] || ff_fail "$shape: nfcapd lost records three times (lower NFCAPD_RATE)"
		ff_log "$shape: nfcapd stored ${R[$shape,stored]} of $RECORDS records; again at $((rate /= 2))/s"
	done
	R[$shape,nfcapd_rate]=$rate
	for i in 0 1 2; do
		nf_args "$i"
		nfdump -R "$FF_TMP/$shape/nfcapd" "${NF_ARGS[@]}" -o csv >"$FF_TMP/nf-$i.csv"
	done
}

nfcapd_attempt() {
	local shape=$1 rate=$2 dir=$FF_TMP/$1/nfcapd port
	port=$(ff_free_port)
	rm -rf "$dir"
	mkdir -p "$dir"
	ff_spawn "nfcapd-$shape" nfcapd -b 127.0.0.1 -p "$port" -w "$dir" -t 86400 -B 4194304 -y
	local nfcapd=$FF_LAST_PID
	ff_wait_ready "$nfcapd" ff_udp_bound "$port" || ff_fail "nfcapd did not start"
	ff_log "$shape: sending $RECORDS records at $rate/s to nfcapd"
	# shellcheck disable=SC2046 # gen_args gives separate words
	"$FF_GEN" --seed 42 --flows "$RECORDS" $(gen_args "$shape") --rate "$rate" \
		--span "$SPAN" --dest "127.0.0.1:$port" --quiet
	ff_stop "$nfcapd" 60
	R[$shape,stored]=$(nfdump -R "$dir" -q -N -s proto/flows -n 0 -o csv |
		awk -F, 'NR > 1 && $6 ~ /^[0-9]+$/ { s += $6 } END { print s + 0 }')
	[ "${R[$shape,stored]}" = "$RECORDS" ]
}

# 2: the same records (same seed) live to an agent and its aggregator; the open
# window queried. A lossy send is made again as nfcapd's is.
run_live() {
	local shape=$1 rate=$LIVE_RATE try
	for try in 1 2 3; do
		live_attempt "$shape" "$rate" && break
		[ "$try" -lt 3 ] || ff_fail "$shape: the agent lost records three times (lower LIVE_RATE)"
		ff_log "$shape: the aggregator holds $(live_flows) of $RECORDS flows; again at $((rate /= 2))/s"
		live_stop "$shape"
	done
	R[$shape,live_rate]=$rate
	# A window handed to the sealer just before is still read from memory; the
	# queries wait for its segment (about a second) so all three see one state.
	ff_wait_until 30 sealer_idle "$FF_TMP/live-$shape.log" || ff_fail "$shape: the sealer did not finish"
	R[$shape,window]=$(window_state "$FF_TMP/live-$shape.log")
	ff_log "$shape: queries start with ${R[$shape,window]}"
	for i in 0 1 2; do flowfleet_query "$shape" window "$i"; done
	R[$shape,window_after]=$(window_state "$FF_TMP/live-$shape.log")
	local dir=$FF_TMP/$shape/live
	live_stop "$shape"
	R[$shape,live_seg]=$(dir_bytes "$dir" 'segments/*')
	R[$shape,live_roll]=$(dir_bytes "$dir" 'rollups/*')
	R[$shape,live_jnl]=$(dir_bytes "$dir" 'journal*')
	rm -rf "$dir"
}

live_attempt() {
	local shape=$1 rate=$2 udp
	udp=$(ff_free_port)
	rm -rf "$FF_TMP/$shape/live" "$FF_TMP/state-$shape" "$FF_TMP/live-$shape.log"
	unset FF_ZMQ_PORT FF_HTTP_PORT
	FF_LOG_LEVEL=debug ff_start_aggregator "live-$shape" "$FF_TMP/$shape/live" "${WINDOW_ARGS[@]}"
	ff_start_agent "$shape" "$udp"
	LIVE_AGENT=$FF_LAST_PID
	ff_log "$shape: sending $RECORDS records at $rate/s to the agent"
	# shellcheck disable=SC2046
	"$FF_GEN" --seed 42 --flows "$RECORDS" $(gen_args "$shape") --rate "$rate" \
		--span "$SPAN" --dest "127.0.0.1:$udp" --quiet
	live_arrived
}

# True once the aggregator holds every record; false once its count stood still
# for 5 s short of it (a lost record never comes; the agent sends an interval a
# second after it ends) or after 60 s.
live_arrived() {
	local was=-1 now since=$SECONDS deadline=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$deadline" ]; do
		now=$(live_flows)
		[ "$now" = "$RECORDS" ] && return 0
		[ "$now" != "$was" ] && since=$SECONDS was=$now
		[ $((SECONDS - since)) -lt 5 ] || return 1
		sleep 0.5
	done
	return 1
}

live_stop() {
	ff_stop "$LIVE_AGENT" 30
	ff_stop "$FF_AGG_PID" 120
	rm -rf "$FF_TMP/state-$1"
}

sealer_idle() {
	local seals
	seals=$(curl -fsS "$FF_SERVER/api/v1/agents" | jq -r '.store.columnar.seals // 0')
	[ "$seals" -ge "$(grep -c 'handed to the sealer' "$1" || true)" ]
}
live_flows() { ff_cli top -s proto/flows -n 0 -o json | jq -r '.total.flows'; }

# 3: the same records, sealed by bench_load; nfdump timed here.
run_sealed() {
	local shape=$1 dir=$FF_TMP/$1 t0 t1
	t0=$(date +%s.%N)
	nfdump -R "$dir/nfcapd" -q -N -o "$NFDUMP_FMT" | "$LOAD" "$dir/sealed" 2>"$FF_TMP/load.log"
	t1=$(date +%s.%N)
	R[$shape,load]="$(grep '^bench_load: [0-9]' "$FF_TMP/load.log") in $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }") s"
	ff_log "$shape: ${R[$shape,load]}"
	unset FF_ZMQ_PORT FF_HTTP_PORT
	ff_start_aggregator "sealed-$shape" "$dir/sealed"
	for i in 0 1 2; do
		flowfleet_query "$shape" sealed "$i"
		nf_args "$i"
		R[$shape,nfdump,$i]=$(best_of3 nfdump -R "$dir/nfcapd" "${NF_ARGS[@]}")
	done
	ff_stop "$FF_AGG_PID" 60
	R[$shape,nf_bytes]=$(dir_bytes "$dir/nfcapd" '*')
	R[$shape,seg]=$(dir_bytes "$dir/sealed" 'segments/*')
	R[$shape,roll]=$(dir_bytes "$dir/sealed" 'rollups/*')
	rm -rf "$dir/sealed"
}

# 4: ClickHouse over the same records.
run_clickhouse() {
	local shape=$1 dir=$FF_TMP/$1 t=flows_$1 t0 t1 sql
	[ -n "${CH_PID:-}" ] || ch_start "$FF_TMP/clickhouse"
	t0=$(date +%s.%N)
	nfdump -R "$dir/nfcapd" -q -N -o "$NFDUMP_FMT" | ch_load "$t"
	t1=$(date +%s.%N)
	R[$shape,ch_rows]=$(ch_sql "SELECT count() FROM $t")
	R[$shape,ch_load]=$(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }")
	[ "${R[$shape,ch_rows]}" = "${R[$shape,stored]}" ] ||
		ff_fail "clickhouse holds ${R[$shape,ch_rows]} rows, nfcapd stored ${R[$shape,stored]}"
	for i in 0 1 2; do
		# shellcheck disable=SC2086 # Q_CH holds the key and the order column
		sql=$(ch_top "$t" ${Q_CH[$i]} "${Q_WHERE[$i]}")
		R[$shape,ch,$i,rows]="$(ch_answer "$sql" "$FF_TMP/ch.json") rows read"
		ff_truth nfdump --no-rates --csv "$FF_TMP/nf-$i.csv" --json "$FF_TMP/ch.json" \
			-s "${Q_STAT[$i]}" -n 10 >&2 || ff_fail "$shape clickhouse: '$sql' differs from nfdump"
		R[$shape,ch,$i]=$(best_of3 curl -sS --fail-with-body --data-binary "$sql" "$CH_URL/")
		ff_log "$shape clickhouse: ${Q_STAT[$i]} ${Q_FILTER[$i]}: ${R[$shape,ch,$i]} s (${R[$shape,ch,$i,rows]})"
	done
	R[$shape,ch_bytes]=$(ch_bytes "$t")
	ch_sql "DROP TABLE $t"
}

report() {
	local shape=$1 n=${R[$1,stored]} i q
	echo
	echo "shape $shape: $n records ($(gen_args "$shape"), over $SPAN s; sent at ${R[$shape,nfcapd_rate]}/s to nfcapd, ${R[$shape,live_rate]}/s to the agent)"
	echo "  open window when the queries started: ${R[$shape,window]}"
	echo "  and when they ended:                  ${R[$shape,window_after]}"
	printf '  %-46s %8s %8s %6s %8s %6s %9s %8s\n' query nfdump sealed x window x clickhouse sealed/ch
	for i in 0 1 2; do
		q="-s ${Q_STAT[$i]}${Q_FILTER[$i]:+ '${Q_FILTER[$i]}'}"
		printf '  %-46s %8s %8s %6s %8s %6s %9s %8s\n' "$q" "${R[$shape,nfdump,$i]}" \
			"${R[$shape,sealed,$i]}" "$(ratio "${R[$shape,nfdump,$i]}" "${R[$shape,sealed,$i]}")" \
			"${R[$shape,window,$i]}" "$(ratio "${R[$shape,nfdump,$i]}" "${R[$shape,window,$i]}")" \
			"${R[$shape,ch,$i]:--}" "$(ratio "${R[$shape,ch,$i]:-}" "${R[$shape,sealed,$i]}")"
	done
	for i in 0 1 2; do
		echo "  rows, -s ${Q_STAT[$i]}${Q_FILTER[$i]:+ '${Q_FILTER[$i]}'}:"
		echo "    sealed: ${R[$shape,sealed,$i,rows]}"
		echo "    window: ${R[$shape,window,$i,rows]}"
		echo "    clickhouse: ${R[$shape,ch,$i,rows]:--}"
	done
	local ch_load="not run"
	[ -n "${R[$shape,ch_load]:-}" ] && ch_load="${R[$shape,ch_load]} s"
	echo "  loading: ${R[$shape,load]}; clickhouse $ch_load"
	awk -v n="$n" -v nf="${R[$shape,nf_bytes]}" -v s="${R[$shape,seg]}" -v r="${R[$shape,roll]}" \
		-v ls="${R[$shape,live_seg]}" -v lr="${R[$shape,live_roll]}" -v lj="${R[$shape,live_jnl]}" -v ch="${R[$shape,ch_bytes]:-}" 'BEGIN {
		printf "  bytes/record: nfcapd lz4 %.1f | sealed: segments %.1f (%.2fx), rollups %.1f, together %.1f (%.2fx)\n",
			nf / n, s / n, s / nf, r / n, (s + r) / n, (s + r) / nf
		printf "                live store after its stop: segments %.1f, rollups %.1f, journal %.1f\n", ls / n, lr / n, lj / n
		if (ch != "") printf "                clickhouse %.1f (%.2fx)\n", ch / n, ch / nf
	}'
}

for shape in "${SHAPES[@]}"; do
	gen_args "$shape" >/dev/null
	run_nfcapd "$shape"
	run_live "$shape"
	run_sealed "$shape"
	[ "$CLICKHOUSE" = 1 ] && run_clickhouse "$shape"
	rm -rf "${FF_TMP:?}/$shape"
done
[ -n "${CH_PID:-}" ] && ch_stop

echo
echo "bench_query: $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in "${SHAPES[@]}"; do report "$shape"; done
