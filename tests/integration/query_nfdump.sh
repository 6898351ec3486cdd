#!/bin/bash
# Differential test of the query engine against Debian's nfdump 1.7.1: the
# same v5 datagrams go to an agent and to nfcapd, then top-N for every
# element and order both tools share must agree, unfiltered, filtered and
# inside a time window (-t), and the raw listing must hold the same traffic.
#
# Without a policy the agent keeps every exporter flow its own record, so
# per-flow predicates (bytes > 10000) judge the flows nfdump judges; ffgen's
# pool repeats keys within an interval, so a merged record would show it.
# The traffic comes in two bursts far enough apart that no record of one
# burst can share a window edge with the other: each window holds a whole
# burst, in both tools.
. "$(dirname "$0")/lib.sh"

# -t and the listing's times are local time in both tools: pin it.
export TZ=UTC

ELEMENTS="srcip dstip ip srcport dstport port proto srcas dstas inif outif"
ORDERS="flows packets bytes pps bps bpp"
FILTERS=("proto tcp and dst port 443" "not port 53" "net 10.0.0.0/16")
# nfdump's per-flow predicates: each judges one exporter flow.
PER_FLOW=("bytes > 10000" "bytes < 20000" "bytes > 1k" "packets > 10"
	"packets > 5 and bytes > 5000" "duration > 1000" "bpp > 700" "flags S")

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_AGENT=$(ff_free_port)
UDP_NFCAPD=$(ff_free_port)
ff_start_agent node-a "$UDP_AGENT"
AGENT=$FF_LAST_PID
ff_nfcapd nfcapd "$FF_TMP/nfcapd" "$UDP_NFCAPD"
ff_wait_agents 1

# ffgen's records end up to 2 s before they are sent and last up to 5 s.
burst() {
	ff_run_bounded 30 "$FF_GEN" --seed "$1" --flows 6000 --keys 1500 --zipf 1.0 --rate 20000 \
		--dest "127.0.0.1:$UDP_AGENT" --dest "127.0.0.1:$UDP_NFCAPD" --truth "$FF_TMP/truth-$1.csv"
}
A_START=$(date +%s)
burst 11
A_END=$(date +%s)
# Burst B's earliest record starts 7 s before it is sent: 10 s keep it clear of A.
sleep 10
burst 12
ff_wait_truth 45 srcip/bytes -- "$FF_TMP/truth-11.csv" "$FF_TMP/truth-12.csv"
ff_stop "$FF_NFCAPD_PID"

nft() { date -u -d "@$1" +%Y/%m/%d.%H:%M:%S; }
WINDOW_A="$(nft $((A_START - 10)))-$(nft $((A_END + 1)))"
WINDOW_B="$(nft $((A_END + 2)))"

# compare STAT N [-t WINDOW] [FILTER]: one statistic in both tools.
COMPARED=0
compare() {
	local stat=$1 n=$2
	shift 2
	local tw=() filter=()
	if [ "${1:-}" = -t ]; then
		tw=(-t "$2")
		shift 2
	fi
	[ $# -gt 0 ] && filter=("$1")
	nfdump -R "$FF_TMP/nfcapd" -s "$stat" -n "$n" -o csv "${tw[@]}" "${filter[@]}" \
		>"$FF_TMP/nfdump.csv" || ff_fail "nfdump -s $stat ${tw[*]} ${filter[*]} failed"
	ff_cli top -s "$stat" -n "$n" -o json "${tw[@]}" "${filter[@]}" >"$FF_TMP/ff.json" ||
		ff_fail "flowfleet top -s $stat ${tw[*]} ${filter[*]} failed"
	ff_truth nfdump -q --csv "$FF_TMP/nfdump.csv" --json "$FF_TMP/ff.json" -s "$stat" -n "$n" || {
		ff_truth nfdump --csv "$FF_TMP/nfdump.csv" --json "$FF_TMP/ff.json" -s "$stat" \
			-n "$n" >&2 || true
		ff_fail "top -s $stat -n $n ${tw[*]} '${filter[*]}' differs from nfdump"
	}
	COMPARED=$((COMPARED + 1))
}

# Every element with every order, over everything.
for el in $ELEMENTS; do
	for order in $ORDERS; do
		compare "$el/$order" 10
	done
done
ff_log "every element and order agrees ($COMPARED statistics)"

# Each filter and each window with every element, the orders taken in turn.
i=0
for el in $ELEMENTS; do
	order=$(echo $ORDERS | cut -d' ' -f$((i % 6 + 1)))
	for f in "${FILTERS[@]}"; do
		compare "$el/$order" 10 "$f"
	done
	compare "$el/$order" 10 -t "$WINDOW_A"
	compare "$el/$order" 10 -t "$WINDOW_B" "${FILTERS[$((i % 3))]}"
	i=$((i + 1))
done
ff_log "filters and windows agree ($COMPARED statistics in all)"

# Per-flow predicates through the stored records, with the orders taken in turn.
i=0
for f in "${PER_FLOW[@]}"; do
	compare "srcip/$(echo $ORDERS | cut -d' ' -f$((i % 6 + 1)))" 0 "$f"
	compare "dstport/bytes" 10 "$f"
	i=$((i + 1))
done
ff_log "per-flow predicates agree ($COMPARED statistics in all)"

# Several -s in one call, as nfdump: each answered as if asked alone.
ff_cli top -s srcip/bytes -s dstport/packets -n 5 -o json >"$FF_TMP/multi.json" ||
	ff_fail "top with two -s failed"
ff_cli top -s dstport/packets -n 5 -o json >"$FF_TMP/one.json"
[ "$(jq length "$FF_TMP/multi.json")" = 2 ] || ff_fail "two -s did not give two answers"
[ "$(jq -c '.[1].rows' "$FF_TMP/multi.json")" = "$(jq -c '.rows' "$FF_TMP/one.json")" ] ||
	ff_fail "the second -s of two differs from the same statistic asked alone"
[ "$(ff_cli top -s srcip/bytes -s proto/flows -n 3 | grep -c 'ordered by')" = 2 ] ||
	ff_fail "two -s did not print two tables"

# A window holds one burst: its totals are that burst's ground truth.
ff_cli top -s proto/flows -n 0 -o json -t "$WINDOW_A" >"$FF_TMP/a.json"
[ "$(jq '.total.flows' "$FF_TMP/a.json")" = "$(ff_truth totals --truth "$FF_TMP/truth-11.csv" | cut -d' ' -f1)" ] ||
	ff_fail "window A does not hold exactly burst A"

# A bad filter is refused with the column of the error, exit 2, nothing printed.
rc=0
ff_cli top -s srcip/bytes 'proto tcp and port 44x' >"$FF_TMP/bad.out" 2>"$FF_TMP/bad.err" || rc=$?
[ "$rc" -eq 2 ] || ff_fail "a bad filter exited $rc, not 2"
grep -q "filter:1:20: expected a port number" "$FF_TMP/bad.err" ||
	ff_fail "a bad filter's message does not point at its column: $(cat "$FF_TMP/bad.err")"
[ ! -s "$FF_TMP/bad.out" ] || ff_fail "a bad filter printed an answer"

# The listing holds the same traffic: its csv summary equals nfdump's over a filter.
F="proto tcp and dst port 443"
ff_cli flows -c 0 -o csv "$F" >"$FF_TMP/flows.csv"
nfdump -R "$FF_TMP/nfcapd" -o csv "$F" >"$FF_TMP/nfdump-flows.csv"
ours=$(grep -A2 '^Summary' "$FF_TMP/flows.csv" | tail -n 1 | cut -d, -f1-3)
theirs=$(grep -A2 '^Summary' "$FF_TMP/nfdump-flows.csv" | tail -n 1 | cut -d, -f1-3)
[ -n "$ours" ] && [ "$ours" = "$theirs" ] ||
	ff_fail "flows csv summary '$ours' differs from nfdump's '$theirs'"
# Same columns as nfdump's csv, and every listed flow matches the filter.
[ "$(head -n 1 "$FF_TMP/flows.csv")" = "$(head -n 1 "$FF_TMP/nfdump-flows.csv")" ] ||
	ff_fail "flows csv header differs from nfdump's"
awk -F, '/^[0-9]{4}-/ && ($8 != "TCP" || $7 != 443) { bad++ } END { exit bad > 0 }' \
	"$FF_TMP/flows.csv" || ff_fail "flows listed a record the filter does not match"
# Ordered by start time, and -c cuts the listing to the oldest.
grep -E '^[0-9]{4}-' "$FF_TMP/flows.csv" | cut -d, -f1 | sort -c ||
	ff_fail "flows are not ordered by start time"
[ "$(ff_cli flows -c 5 -q "$F" | wc -l)" -eq 5 ] || ff_fail "flows -c 5 -q did not print 5 lines"

ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
