#!/bin/bash
# sFlow interface counters end to end: a test exporter (tests/tools/
# sflow_counters_gen.py) sends two rounds of counter samples for two
# interfaces (and a flow sample) to an agent and writes the same datagrams
# to a pcap; what GET /api/v1/interfaces and GET /metrics say equals tshark's
# decoding of that pcap for the last sample of each interface (the agent's
# own --metrics too), and the rates
# are the differences over the time between the samples as the agent saw
# them. Then a real capture with counter samples from the corpus
# (../shared/corpus, when present) is replayed to a second agent and checked
# the same way, latest values only.
. "$(dirname "$0")/lib.sh"

command -v tshark >/dev/null || { ff_log "tshark not installed: skipped"; exit 77; }
GEN="$FF_SRC/tests/tools/sflow_counters_gen.py"
CHECK="$FF_SRC/tests/tools/sflow_ifs_check.py"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP=$(ff_free_port)
AGENT_METRICS=$(ff_free_port)
ff_start_agent node-a "$UDP" --metrics "127.0.0.1:$AGENT_METRICS"
AGENT_A=$FF_LAST_PID
ff_wait_agents 1

# ifs_where JQ: true once some interface of the answer satisfies JQ for all of them.
ifs_json() { curl -fsS "$FF_SERVER/api/v1/interfaces?agent=$1"; }
ifs_all() {
	[ "$(ifs_json "$1" | jq "[.interfaces[] | select($2)] | length")" = "$3" ]
}

"$FF_PY" "$GEN" --round 1 --dest "127.0.0.1:$UDP" --pcap "$FF_TMP/counters.pcap" >&2
ff_wait_until 20 ifs_all node-a '.samples == 1' 2 ||
	ff_fail "the first round did not reach /api/v1/interfaces: $(ifs_json node-a)"
# Seconds apart, so the rates divide by a time the capture can confirm.
sleep 2
"$FF_PY" "$GEN" --round 2 --dest "127.0.0.1:$UDP" --pcap "$FF_TMP/counters.pcap" >&2
ff_wait_until 20 ifs_all node-a '.rates_status == "ok"' 2 ||
	ff_fail "the second round gave no rates: $(ifs_json node-a)"

curl -fsS "$FF_SERVER/api/v1/interfaces" >"$FF_TMP/ifs.json" || ff_fail "GET /api/v1/interfaces failed"
curl -fsS "$FF_SERVER/metrics" >"$FF_TMP/metrics.txt" || ff_fail "GET /metrics failed"
"$FF_PY" "$CHECK" --pcap "$FF_TMP/counters.pcap" --api "$FF_TMP/ifs.json" \
	--metrics "$FF_TMP/metrics.txt" --agent node-a --rates --interfaces 2 >&2 ||
	ff_fail "flowfleet's interface counters differ from tshark's"
# The agent's own --metrics shows the same series.
curl -fsS "http://127.0.0.1:$AGENT_METRICS/metrics" >"$FF_TMP/agent-metrics.txt" ||
	ff_fail "GET /metrics on the agent failed"
"$FF_PY" "$CHECK" --pcap "$FF_TMP/counters.pcap" --api "$FF_TMP/ifs.json" \
	--metrics "$FF_TMP/agent-metrics.txt" --agent node-a --interfaces 2 >&2 ||
	ff_fail "the agent's own /metrics differs from tshark's"
# The wrap of ifIndex 7's inbound unicast counter from round 1 to 2 is a rate, not a reset.
[ "$(jq '[.interfaces[] | select(.if_index == 7) | .rates.in_packets_per_s > 0] | .[0]' \
	"$FF_TMP/ifs.json")" = true ] || ff_fail "the wrapped counter gave no rate"
if command -v promtool >/dev/null; then
	for m in metrics agent-metrics; do
		promtool check metrics <"$FF_TMP/$m.txt" >"$FF_TMP/promtool.txt" 2>&1 ||
			{ cat "$FF_TMP/promtool.txt" >&2; ff_fail "promtool check metrics failed on $m"; }
	done
fi
# Bad ids are refused; an agent without interfaces has none.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$FF_SERVER/api/v1/interfaces?agent=a%20b")" = 400 ] ||
	ff_fail "a malformed agent id was not refused"
[ "$(ifs_json node-z | jq '.interfaces | length')" = 0 ] || ff_fail "node-z has interfaces"
# The CLI shows the same: a header and one line per interface, or the JSON.
ff_cli interfaces --agent node-a >"$FF_TMP/cli.txt" || ff_fail "flowfleet interfaces failed"
cat "$FF_TMP/cli.txt" >&2
[ "$(wc -l <"$FF_TMP/cli.txt")" = 3 ] && grep -q '^node-a  *192\.0\.2\.10  *7 .* down ' "$FF_TMP/cli.txt" ||
	ff_fail "flowfleet interfaces: not the 2 interfaces"
ff_cli interfaces -o json | jq -e '.interfaces | length == 2' >/dev/null ||
	ff_fail "flowfleet interfaces -o json differs"
ff_log "generated counters: /api/v1/interfaces and /metrics equal tshark's, rates too"

CORPUS="$FF_SRC/../shared/corpus/tcpdump/sflow/sflow-print-v6.pcap"
if [ -f "$CORPUS" ]; then
	UDP_B=$(ff_free_port)
	ff_start_agent node-b "$UDP_B"
	AGENT_B=$FF_LAST_PID
	ff_run_bounded 30 "$FF_PY" "$FF_SRC/tests/tools/pcap_udp_replay.py" --pcap "$CORPUS" \
		--dest "127.0.0.1:$UDP_B" --port 6343 >&2
	WANT=$(tshark -r "$CORPUS" -T fields -e sflow_245.ifindex 2>/dev/null | tr ',' '\n' |
		grep -c . || true)
	ff_log "corpus: $(basename "$CORPUS"), $WANT interface counter records"
	corpus_ok() {
		curl -fsS "$FF_SERVER/api/v1/interfaces" >"$FF_TMP/ifs-b.json" &&
			curl -fsS "$FF_SERVER/metrics" >"$FF_TMP/metrics-b.txt" &&
			"$FF_PY" "$CHECK" --pcap "$CORPUS" --api "$FF_TMP/ifs-b.json" \
				--metrics "$FF_TMP/metrics-b.txt" --agent node-b
	}
	if ! ff_wait_until 20 corpus_ok; then
		corpus_ok >&2 || true
		ff_fail "the corpus capture's interface counters differ from tshark's"
	fi
	corpus_ok >&2
	ff_stop "$AGENT_B"
else
	ff_log "no corpus at $CORPUS: the replay check is skipped"
fi

ff_stop "$AGENT_A"
ff_stop "$FF_AGG_PID"
ff_log "ok"
