#!/bin/bash
# Differential test of the filter language against Debian's nfdump 1.7.1.
#
# One record set, from ffgen (NetFlow v5) and from softflowd exporting
# tests/data/traffic.pcap, goes datagram for datagram to nfcapd and to
# fffilter, which decodes it with the agent's decoders. For every expression
# of filter_cases.txt, nfdump's matching records (count, bytes, packets from
# its summary) must equal flowfleet's evaluator on its own decoding.
. "$(dirname "$0")/lib.sh"

: "${FF_FILTER_TOOL:?}"
CASES="$FF_SRC/tests/integration/filter_cases.txt"
UDP_NFCAPD=$(ff_free_port)
UDP_FF=$(ff_free_port)

ff_nfcapd nfcapd "$FF_TMP/nfcapd" "$UDP_NFCAPD"
# --idle 0: fffilter reads until SIGTERM, so the exporters can run in turn.
"$FF_FILTER_TOOL" --listen "127.0.0.1:$UDP_FF" --cases "$CASES" --idle 0 --timeout 100 \
	--ready "$FF_TMP/fffilter.ready" >"$FF_TMP/flowfleet.out" 2>>"$FF_TMP/fffilter.log" &
FFF=$!
FF_PIDS+=("$FFF")
ff_wait_until 10 test -e "$FF_TMP/fffilter.ready" || ff_fail "fffilter did not start"

# 1. The generator: every datagram to both collectors.
ff_run_bounded 60 "$FF_GEN" --seed 7 --flows 20000 --keys 3000 --rate 40000 --quiet \
	--dest "127.0.0.1:$UDP_NFCAPD" --dest "127.0.0.1:$UDP_FF"

# softflowd_export VERSION [ARGS...]: softflowd reads the capture (moved to the
# present) and exports through a tee to both collectors.
softflowd_export() {
	local version=$1 tee_port
	shift
	tee_port=$(ff_free_port)
	rm -f "$FF_TMP/tee.ready"
	ff_spawn "tee-v$version" "$FF_PY" "$FF_SRC/tests/tools/udp_tee.py" \
		--listen "127.0.0.1:$tee_port" --to "127.0.0.1:$UDP_NFCAPD" --to "127.0.0.1:$UDP_FF" \
		--idle 2 --timeout 60 --ready "$FF_TMP/tee.ready"
	local tee=$FF_LAST_PID
	ff_wait_until 10 test -e "$FF_TMP/tee.ready" || ff_fail "udp_tee did not start"
	# Never -c with -r: softflowd would wait on its control socket forever.
	ff_run_bounded 60 softflowd -r "$FF_TMP/traffic.pcap" -n "127.0.0.1:$tee_port" \
		-v "$version" "$@" -d -p "$FF_TMP/softflowd.pid"
	ff_wait_exit "$tee" 20 || ff_fail "udp_tee did not finish"
	wait "$tee" || ff_fail "udp_tee failed"
}

# 2. A real exporter on a real capture.
ff_run_bounded 20 "$FF_PY" "$FF_SRC/tests/tools/pcap_retime.py" \
	"$FF_SRC/tests/data/traffic.pcap" "$FF_TMP/traffic.pcap"
softflowd_export 5

# 3. IPv6 records: softflowd's NetFlow v9 export with -6.
softflowd_export 9 -6

kill -TERM "$FFF"
ff_wait_exit "$FFF" 30 || ff_fail "fffilter did not finish"
wait "$FFF" || ff_fail "fffilter failed: $(cat "$FF_TMP/fffilter.log")"
ff_stop "$FF_NFCAPD_PID"
ff_log "$(tail -n 1 "$FF_TMP/fffilter.log")"
grep -q '(0 rejected)' "$FF_TMP/fffilter.log" || ff_fail "fffilter rejected datagrams"

# nfdump's summary line: flows,bytes,packets,... (flows = records here: each counts 1).
nfdump_counts() {
	nfdump -R "$FF_TMP/nfcapd" -s proto -n 0 -o csv "$1" | tail -n 1 |
		awk -F, '{ print $1, $2, $3 }'
}

total=$(head -n 1 "$FF_TMP/flowfleet.out" | cut -f1 | cut -d' ' -f1)
[ "$total" -gt 20000 ] || ff_fail "only $total records arrived"
cases=0 failed=0 partial=0
while IFS=$'\t' read -r ours expr; do
	theirs=$(nfdump_counts "$expr") || ff_fail "nfdump refused '$expr'"
	cases=$((cases + 1))
	count=${ours%% *}
	if [ "$count" -gt 0 ] && [ "$count" -lt "$total" ]; then
		partial=$((partial + 1))
	fi
	if [ "$ours" != "$theirs" ]; then
		ff_log "MISMATCH '$expr': nfdump $theirs, flowfleet $ours (records bytes packets)"
		failed=$((failed + 1))
	fi
done <"$FF_TMP/flowfleet.out"

expected=$(grep -v '^[[:space:]]*#' "$CASES" | grep -c '[^[:space:]]')
[ "$cases" -eq "$expected" ] || ff_fail "compared $cases of $expected expressions"
[ "$failed" -eq 0 ] || ff_fail "$failed of $cases expressions differ from nfdump"
# A table where everything matches all or nothing would prove little.
[ "$partial" -ge 60 ] || ff_fail "only $partial expressions select a proper subset"
ff_log "ok: $cases expressions over $total records agree with nfdump ($partial select a proper subset)"
