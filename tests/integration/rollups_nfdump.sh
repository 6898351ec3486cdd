#!/bin/bash
# Differential test of the rollups against Debian's nfdump 1.7.1. ffgen's
# records, their clocks spread over the last three hours, go to nfcapd;
# bench_load writes exactly the records nfcapd stored into a data dir,
# sealing a segment per 5 minutes of record time as a live aggregator
# would, so every segment gets a minute rollup (where it pays) and every 12
# an hour rollup. An aggregator serves that dir. Top-N over everything, over
# -t windows that cut through hours and segments, and with filters, must
# equal nfdump's answer over nfcapd's files; the answers say which files
# they read, so the test also checks that hour and minute rollups answered
# and that a filter rollups cannot answer read raw records only.
. "$(dirname "$0")/lib.sh"

export TZ=UTC

UDP=$(ff_free_port)
ff_nfcapd nfcapd "$FF_TMP/nfcapd" "$UDP"
NOW=$(date +%s)
SPAN=10800
ff_run_bounded 30 "$FF_GEN" --seed 7 --flows 30000 --keys 600 --zipf 1.1 --rate 30000 \
	--span "$SPAN" --dest "127.0.0.1:$UDP" --quiet
ff_stop "$FF_NFCAPD_PID"
nfdump -R "$FF_TMP/nfcapd" -q -N \
	-o "fmt:%tsr,%td,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%in,%out,%sas,%das,%tos" |
	"$FF_LOAD" "$FF_TMP/data" 300 2>"$FF_TMP/load.log" || ff_fail "bench_load failed: $(cat "$FF_TMP/load.log")"
ff_log "$(cat "$FF_TMP/load.log")"
hours=$(ls "$FF_TMP/data/rollups/hour" | wc -l)
minutes=$(ls "$FF_TMP/data/rollups/minute" | wc -l)
[ "$hours" -ge 2 ] && [ "$minutes" -ge 12 ] ||
	ff_fail "expected 2 or more hour and 12 or more minute rollups, found $hours and $minutes"

ff_start_aggregator aggregator "$FF_TMP/data"

nft() { date -u -d "@$1" +%Y/%m/%d.%H:%M:%S; }
# 23 minutes in to 2 h 37 min in: both edges cut a segment (and mostly a clock hour),
# and the 134 minutes between always hold one whole clock hour.
T0=$((NOW - SPAN))
WINDOW="$(nft $((T0 + 1380)))-$(nft $((T0 + 9420)))"

READ_HOURS=0 READ_MINUTES=0 READ_SEGMENTS=0 COMPARED=0
# compare STAT [-t WINDOW] [FILTER]: one top 10 in both tools; sums what was read.
compare() {
	local stat=$1
	shift
	local tw=() filter=()
	if [ "${1:-}" = -t ]; then
		tw=(-t "$2")
		shift 2
	fi
	[ $# -gt 0 ] && filter=("$1")
	nfdump -R "$FF_TMP/nfcapd" -s "$stat" -n 10 -o csv "${tw[@]}" "${filter[@]}" \
		>"$FF_TMP/nfdump.csv" || ff_fail "nfdump -s $stat ${tw[*]} ${filter[*]} failed"
	ff_cli top -s "$stat" -n 10 -o json "${tw[@]}" "${filter[@]}" >"$FF_TMP/ff.json" ||
		ff_fail "flowfleet top -s $stat ${tw[*]} ${filter[*]} failed"
	ff_truth nfdump -q --csv "$FF_TMP/nfdump.csv" --json "$FF_TMP/ff.json" -s "$stat" -n 10 ||
		ff_fail "top -s $stat ${tw[*]} '${filter[*]}' differs from nfdump"
	LAST_READ=$(jq -r '"\(.read.hour_rollups) \(.read.minute_rollups) \(.read.segments)"' "$FF_TMP/ff.json")
	read -r h m s <<<"$LAST_READ"
	READ_HOURS=$((READ_HOURS + h)) READ_MINUTES=$((READ_MINUTES + m)) READ_SEGMENTS=$((READ_SEGMENTS + s))
	COMPARED=$((COMPARED + 1))
}

ORDERS=(flows packets bytes pps bps bpp)
i=0
for el in srcip dstip ip srcport dstport port proto inif outif; do
	order=${ORDERS[$((i % 6))]}
	compare "$el/$order"
	compare "$el/$order" -t "$WINDOW"
	compare "$el/$order" "proto tcp and dst port 443"
	compare "$el/$order" -t "$WINDOW" "not port 53"
	i=$((i + 1))
done
ff_log "$COMPARED statistics agree; read $READ_HOURS hour rollups, $READ_MINUTES minute rollups, $READ_SEGMENTS segments"
[ "$READ_HOURS" -gt 0 ] && [ "$READ_MINUTES" -gt 0 ] && [ "$READ_SEGMENTS" -gt 0 ] ||
	ff_fail "the answers did not come from hour rollups, minute rollups and segments all"

# A windowed answer reads raw records only near the window's two edges (a segment
# ending just before the window's end may hold records that end after it).
compare srcip/bytes -t "$WINDOW"
read -r h m s <<<"$LAST_READ"
[ "$h" -ge 1 ] && [ "$s" -ge 1 ] && [ "$s" -le 4 ] ||
	ff_fail "a window cut in two places read $LAST_READ (hours minutes segments)"

# Per-record tests (bytes, flags) cannot be answered from sums: raw records only.
compare srcip/bytes "bytes > 100000"
read -r h m s <<<"$LAST_READ"
[ "$h" -eq 0 ] && [ "$m" -eq 0 ] && [ "$s" -gt 0 ] ||
	ff_fail "a filter on bytes read rollups: $LAST_READ (hours minutes segments)"

ff_stop "$FF_AGG_PID"
ff_log "ok"
