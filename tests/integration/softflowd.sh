#!/bin/bash
# A real exporter: softflowd reads tests/data/traffic.pcap and exports
# NetFlow v5 through a UDP tee to both an agent and nfcapd; both must have
# received flows, and flowfleet's top talkers must equal nfdump's on the
# same export.
. "$(dirname "$0")/lib.sh"

# exporter_counter AGENT NAME: the agent's counter NAME summed over its exporters.
exporter_counter() {
	ff_agents_json | jq --arg id "$1" --arg c "$2" \
		'[.agents[] | select(.id == $id) | .exporters[]?.counters[$c] // 0] | add // 0'
}

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_AGENT=$(ff_free_port)
UDP_NFCAPD=$(ff_free_port)
UDP_TEE=$(ff_free_port)
ff_start_agent node-a "$UDP_AGENT"
AGENT=$FF_LAST_PID
ff_nfcapd nfcapd "$FF_TMP/nfcapd" "$UDP_NFCAPD"
ff_wait_agents 1

# softflowd exports to one collector only; the tee copies every datagram.
ff_spawn tee "$FF_PY" "$FF_SRC/tests/tools/udp_tee.py" --listen "127.0.0.1:$UDP_TEE" --to "127.0.0.1:$UDP_AGENT" \
	--to "127.0.0.1:$UDP_NFCAPD" --idle 2 --timeout 60 --ready "$FF_TMP/tee.ready"
TEE=$FF_LAST_PID
ff_wait_until 10 test -e "$FF_TMP/tee.ready" || ff_fail "udp_tee did not start"

# The capture moved to the present, so the flows look live; and never -c
# with -r: softflowd would wait on its control socket forever.
ff_run_bounded 20 "$FF_PY" "$FF_SRC/tests/tools/pcap_retime.py" \
	"$FF_SRC/tests/data/traffic.pcap" "$FF_TMP/traffic.pcap"
ff_run_bounded 60 softflowd -r "$FF_TMP/traffic.pcap" -n "127.0.0.1:$UDP_TEE" \
	-v 5 -d -p "$FF_TMP/softflowd.pid"
ff_wait_exit "$TEE" 20 || ff_fail "udp_tee did not finish"
wait "$TEE" || ff_fail "udp_tee failed"

ff_stop "$FF_NFCAPD_PID"
# Equal tables prove nothing if softflowd exported nothing: nfcapd must have
# stored flows, and the agent decoded records from them, none malformed.
nf_flows=$(nfdump -R "$FF_TMP/nfcapd" -I | awk '$1 == "Flows:" { print $2 }') || true
[ "${nf_flows:-0}" -gt 0 ] || ff_fail "nfcapd stored no flow from softflowd"
ff_wait_until 10 test "$(exporter_counter node-a records)" -gt 0 ||
	ff_fail "agent node-a decoded no record"
for reason in short_header bad_count truncated unsupported_version; do
	n=$(exporter_counter node-a "malformed.$reason")
	[ "$n" = 0 ] || ff_fail "agent node-a counted $n malformed.$reason datagrams"
done
ff_log "nfcapd stored $nf_flows flows, the agent decoded $(exporter_counter node-a records) records"
ff_wait_nfdump 30 srcip/bytes "$FF_TMP/nfcapd"
ff_assert_nfdump srcip/bytes 10 "$FF_TMP/nfcapd"
ff_assert_nfdump dstport/bytes 10 "$FF_TMP/nfcapd"
ff_assert_nfdump proto/flows 10 "$FF_TMP/nfcapd"
ff_assert_nfdump dstip/packets 10 "$FF_TMP/nfcapd"

ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
