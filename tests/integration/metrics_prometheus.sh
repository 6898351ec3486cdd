#!/bin/bash
# GET /metrics passes promtool on the aggregator and on an agent's --metrics,
# and a real Prometheus scraping the aggregator finds what the test sent:
# records decoded per agent equal ffgen's ground truth, malformed datagrams
# per exporter equal what was sent, by reason.
. "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	{ ff_log "prometheus not installed: skipped"; exit 77; }

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_A=$(ff_free_port)
AGENT_METRICS=$(ff_free_port)
ff_start_agent node-a "$UDP_A" --metrics "127.0.0.1:$AGENT_METRICS"
AGENT_A=$FF_LAST_PID
UDP_B=$(ff_free_port)
ff_start_agent node-b "$UDP_B"
AGENT_B=$FF_LAST_PID
ff_wait_agents 2

PROM_PORT=$(ff_free_port)
mkdir -p "$FF_TMP/prom"
cat >"$FF_TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: flowfleet
    static_configs:
      - targets: ['127.0.0.1:$FF_HTTP_PORT']
EOF
ff_spawn prometheus prometheus --config.file="$FF_TMP/prom/prometheus.yml" \
	--storage.tsdb.path="$FF_TMP/prom/data" --web.listen-address="127.0.0.1:$PROM_PORT"
PROM=$FF_LAST_PID

ff_run_bounded 30 "$FF_GEN" --seed 4 --flows 4000 --keys 400 --rate 20000 \
	--dest "127.0.0.1:$UDP_A" --truth "$FF_TMP/truth-a.csv"
ff_run_bounded 30 "$FF_GEN" --seed 5 --flows 2500 --keys 250 --rate 20000 \
	--dest "127.0.0.1:$UDP_B" --truth "$FF_TMP/truth-b.csv"
# One datagram per run: 2 short, 3 of an unknown version, 1 claiming more records than it holds.
for kind in short short bad-version bad-version bad-version lying-count; do
	ff_run_bounded 10 "$FF_GEN" --malformed "$kind" --seed 3 --dest "127.0.0.1:$UDP_A"
done
ff_wait_truth 30 srcip/bytes --agent node-a -- "$FF_TMP/truth-a.csv"
ff_wait_truth 30 srcip/bytes --agent node-b -- "$FF_TMP/truth-b.csv"

# The exposition itself is valid and lint-clean.
curl -fsS "$FF_SERVER/metrics" >"$FF_TMP/metrics.txt" || ff_fail "GET /metrics failed"
promtool check metrics <"$FF_TMP/metrics.txt" >"$FF_TMP/promtool.txt" 2>&1 ||
	{ cat "$FF_TMP/promtool.txt" >&2; ff_fail "promtool check metrics failed"; }
ff_log "/metrics: $(grep -vc '^#' "$FF_TMP/metrics.txt") samples, promtool clean"
curl -fsS "http://127.0.0.1:$AGENT_METRICS/metrics" >"$FF_TMP/agent-metrics.txt" ||
	ff_fail "GET /metrics on the agent failed"
promtool check metrics <"$FF_TMP/agent-metrics.txt" >"$FF_TMP/promtool-agent.txt" 2>&1 ||
	{ cat "$FF_TMP/promtool-agent.txt" >&2; ff_fail "promtool check metrics failed on the agent"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AGENT_METRICS/other")" = 404 ] ||
	ff_fail "the agent's metrics port serves more than /metrics"
ff_log "agent /metrics: $(grep -vc '^#' "$FF_TMP/agent-metrics.txt") samples, promtool clean"

truth_flows() { awk -F, 'NR > 1 { n += $7 } END { print n }' "$1"; }
WANT_A=$(truth_flows "$FF_TMP/truth-a.csv")
WANT_B=$(truth_flows "$FF_TMP/truth-b.csv")

# promql EXPR: the value Prometheus has for EXPR now ("" when none).
promql() {
	curl -fsS --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		jq -r '.data.result[0].value[1] // ""'
}
expect() {
	[ "$(promql "$1")" = "$2" ]
}
check() {
	if ! ff_wait_until 30 expect "$1" "$2"; then
		ff_fail "Prometheus: $1 = '$(promql "$1")', expected $2"
	fi
	ff_log "Prometheus: $1 = $2"
}
grep -qx "flowfleet_agent_records_decoded_total{agent=\"node-a\"} $WANT_A" "$FF_TMP/agent-metrics.txt" ||
	ff_fail "the agent's own /metrics does not say $WANT_A records decoded"
grep -q '^flowfleet_exporter_malformed_datagrams_total{agent="node-a",exporter="127.0.0.1",reason="short_header"} 2$' \
	"$FF_TMP/agent-metrics.txt" || ff_fail "the agent's own /metrics lacks the malformed count"
check 'flowfleet_agent_records_decoded_total{agent="node-a"}' "$WANT_A"
check 'flowfleet_agent_records_decoded_total{agent="node-b"}' "$WANT_B"
check 'sum(flowfleet_exporter_records_total)' "$((WANT_A + WANT_B))"
check 'sum(flowfleet_exporter_protocol_records_total{protocol="netflow5"})' "$((WANT_A + WANT_B))"
M='flowfleet_exporter_malformed_datagrams_total{agent="node-a",exporter="127.0.0.1"'
check "$M,reason=\"short_header\"}" 2
check "$M,reason=\"unsupported_version\"}" 3
check "$M,reason=\"truncated\"}" 1
check 'count(flowfleet_exporter_malformed_datagrams_total{agent="node-b"})' ""
check 'flowfleet_agents' 2
# Everything acknowledged: nothing waits in the spool.
check 'flowfleet_agent_batches_unacknowledged{agent="node-a"}' 0
check 'flowfleet_agent_spool_bytes{agent="node-a"}' 0
check 'flowfleet_ingest_batches_total{result="rejected"}' 0
# What the aggregator stored for each agent, and its own scrapes, counted.
positive() {
	local v
	v=$(promql "$1")
	[ -n "$v" ] && [ "${v%%.*}" -gt 0 ]
}
for q in 'flowfleet_agent_stored_records_total{agent="node-a"}' \
	'sum(flowfleet_http_requests_total{path="/metrics",code="200"})' \
	'flowfleet_store_journal_append_seconds_count'; do
	ff_wait_until 30 positive "$q" || ff_fail "Prometheus: $q = '$(promql "$q")', expected > 0"
	ff_log "Prometheus: $q = $(promql "$q")"
done

ff_stop "$PROM"
ff_stop "$AGENT_A"
ff_stop "$AGENT_B"
ff_stop "$FF_AGG_PID"
ff_log "ok"
