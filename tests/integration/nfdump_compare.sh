#!/bin/bash
# The same v5 datagrams go to an agent and to Debian's nfcapd; nfdump's
# statistics and flowfleet's must agree record for record.
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_AGENT=$(ff_free_port)
UDP_NFCAPD=$(ff_free_port)
ff_start_agent node-a "$UDP_AGENT"
AGENT=$FF_LAST_PID
ff_nfcapd nfcapd "$FF_TMP/nfcapd" "$UDP_NFCAPD"
ff_wait_agents 1

# ffgen sends every datagram to both destinations: one stream, two collectors.
ff_run_bounded 60 "$FF_GEN" --seed 5 --flows 40000 --keys 5000 --zipf 1.0 --rate 20000 \
	--dest "127.0.0.1:$UDP_AGENT" --dest "127.0.0.1:$UDP_NFCAPD" --truth "$FF_TMP/truth.csv"
ff_wait_truth 45 srcip/bytes -- "$FF_TMP/truth.csv"

# nfcapd renames its current file only when it stops.
ff_stop "$FF_NFCAPD_PID"
ff_assert_nfdump srcip/bytes 10 "$FF_TMP/nfcapd"
ff_assert_nfdump dstport/packets 10 "$FF_TMP/nfcapd"
ff_assert_nfdump proto/flows 10 "$FF_TMP/nfcapd"
ff_assert_nfdump dstip/flows 10 "$FF_TMP/nfcapd"
ff_assert_nfdump ip/bytes 20 "$FF_TMP/nfcapd"
ff_assert_nfdump port/packets 10 "$FF_TMP/nfcapd"

ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
