#!/bin/bash
# Records stamped far from the agent's clock (2106, 1970) beside honest ones,
# under a retention of 15 s: the agent counts them per exporter as
# records.clock_skewed and sends them unchanged; the aggregator stores them
# (queryable by their stamps), yet a 2106 record in every window keeps no
# segment or rollup past its time (it kept every one, pinned to 2106), and a
# window of 1970 records is not removed the moment it is sealed (it was).
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data" --segment-window 2s \
	--retain 15s --retain-minute 15s --retain-hour 15s
UDP=$(ff_free_port)
ff_start_agent node-s "$UDP"
AGENT=$FF_LAST_PID
ff_wait_agents 1

# send_v5 UNIX_SECS SRC_PREFIX N: one v5 datagram of N records from SRC_PREFIX.1..N,
# exported at UNIX_SECS, each flow lasting the second before the export.
send_v5() {
	"$FF_PY" - "$UDP" "$@" <<'PY'
import socket, struct, sys
port, secs, prefix, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
uptime = 100000
pkt = struct.pack("!HHIIIIBBH", 5, n, uptime, secs, 0, 0, 0, 0, 0)
for i in range(1, n + 1):
    src = socket.inet_aton("%s.%d" % (prefix, i))
    pkt += src + socket.inet_aton("192.0.2.1") + bytes(4)
    pkt += struct.pack("!HHIIIIHHBBBBHHBBH", 1, 2, 2, 1000, uptime - 1000, uptime,
                       40000, 443, 0, 0x10, 6, 0, 0, 0, 0, 0, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(pkt, ("127.0.0.1", port))
PY
}

columnar() {
	ff_agents_json | jq -r --arg c "$1" '.store.columnar[$c] // 0'
}
skewed() {
	ff_agents_json | jq -r '[.agents[] | select(.id == "node-s") | .exporters[]?
		| .counters["records.clock_skewed"] // 0] | add // 0'
}
# top_flows SINCE_MS UNTIL_MS: the flows stored wholly inside the window.
top_flows() {
	curl -fsS "$FF_SERVER/api/v1/top?stat=srcip/flows&n=0&since=$1&until=$2" |
		jq -r '[.rows[]?.flows] | add // 0'
}
FUTURE_SECS=4294967000 # February 2106
FUTURE_MS=$((FUTURE_SECS * 1000 - 10000))
future_flows() { top_flows "$FUTURE_MS" $((FUTURE_MS + 2000000)); }
past_flows() { top_flows 0 200000; }

# Three windows with honest records and one stamped 2106 each (the attack).
for w in 1 2 3; do
	send_v5 "$(date +%s)" 10.1.$w 5
	send_v5 "$FUTURE_SECS" 10.2.$w 1
	sleep 2.2
done
# Then a window of records from 1970 alone.
send_v5 100 10.3.0 4
sealed() { [ "$(columnar seals)" -ge 4 ] && [ "$(past_flows)" -ge 4 ]; }
ff_wait_until 20 sealed || ff_fail "the windows were not sealed ($(columnar seals) seals)"
sleep 3 # the 1970 window's own seal, should a window boundary have split an earlier one

# Stored as stamped, and the 1970 window did not vanish when sealed.
[ "$(past_flows)" -eq 4 ] || ff_fail "1970 records: $(past_flows) flows, want 4"
[ "$(future_flows)" -eq 3 ] ||
	ff_fail "2106 records: $(future_flows) flows, want 3"
[ "$(columnar expired)" -eq 0 ] || ff_fail "$(columnar expired) files expired at once"
skewed_reported() { [ "$(skewed)" -ge 7 ]; }
ff_wait_until 10 skewed_reported ||
	ff_fail "records.clock_skewed is $(skewed), want 7 (3 from 2106, 4 from 1970)"
grep -q "records.clock_skewed" "$FF_TMP/agent-node-s.log" ||
	ff_fail "the agent did not log the clock-skewed records"

# Nothing new: 18 s on, every file is past its 15 s, raw segments and rollups alike
# (the hour rollup was last rewritten at the last seal). Retention runs at seals and
# at start: a restart applies it. None may be pinned by its 2106 record.
ff_stop "$AGENT"
sleep 18
files=$(($(columnar segments) + $(columnar rollup_minute) + $(columnar rollup_hour)))
ff_stop "$FF_AGG_PID"
ff_start_aggregator aggregator "$FF_TMP/data" --segment-window 2s \
	--retain 15s --retain-minute 15s --retain-hour 15s
expired=$(columnar expired)
left=$(($(columnar segments) + $(columnar rollup_minute) + $(columnar rollup_hour)))
[ "$(past_flows)" -eq 0 ] && [ "$(future_flows)" -eq 0 ] && [ "$left" -eq 0 ] ||
	ff_fail "after retention: $(past_flows) flows from 1970, $(future_flows) from 2106," \
		"$left of $files files left"
[ "$expired" -eq "$files" ] || ff_fail "$expired files expired, want $files"
ff_log "$expired of $files files expired; clock_skewed was 7"
ff_stop "$FF_AGG_PID"
ff_log "ok"
