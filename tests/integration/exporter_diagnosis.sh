#!/bin/bash
# Exporter diagnosis end to end (docs/operations.md): a NetFlow v9 exporter
# whose templates are withheld shows `waiting for template` naming the
# template id and observation domain, then `ok` once they are sent; a v5
# exporter announcing no sampling interval shows `no sampling rate`; a v5
# generator withholding 10% of its datagrams shows the loss it injected,
# record for record. Through the CLI, GET /api/v1/exporters and /metrics.
. "$(dirname "$0")/lib.sh"

ff_start_aggregator aggregator "$FF_TMP/data"
UDP=$(ff_free_port)
V9=127.0.0.21
V5=127.0.0.22
# One source port for the v9 exporter, as a real one keeps: the agent's
# receive threads share the UDP port by source address and port.
SPORT=$(ff_free_port)
# The v9 exporter does not sample: the override says so, so `ok` can show.
ff_start_agent node-d "$UDP" --sampling-override "$V9=1"
ff_wait_agents 1

exps() { ff_cli exporters --agent node-d -o json; }
# field EXPORTER JQ: a jq expression on the exporter's object.
field() { exps | jq -r --arg e "$1" ".exporters[] | select(.exporter == \$e) | $2"; }
state_is() { [ "$(field "$1" .state)" = "$2" ]; }
metric() { curl -fsS "$FF_SERVER/metrics" | grep -F "flowfleet_exporter_state{$1} 1"; }

# 1. Data of template 260 (source id 1) without its template.
"$FF_PY" "$FF_SRC/tests/tools/v9_templates.py" data "$UDP" "$V9:$SPORT" 260
ff_wait_until 15 state_is "$V9" "waiting for template" ||
	ff_fail "v9 exporter: state '$(field "$V9" .state)', want 'waiting for template'"
[ "$(field "$V9" '.missing_templates | map("\(.domain)/\(.template_id)") | join(",")')" = 1/260 ] ||
	ff_fail "missing templates: $(field "$V9" .missing_templates)"
sentence=$(field "$V9" .sentence)
case "$sentence" in
*"template 260 of observation domain 1 (1 data sets)"*"1 held"*"no template ever came"*) ;;
*) ff_fail "v9 sentence: $sentence" ;;
esac
ff_cli exporters | grep -E "^node-d +$V9 +waiting for template +data without its template: template 260" >/dev/null ||
	ff_fail "the CLI table does not show it: $(ff_cli exporters)"
metric "agent=\"node-d\",exporter=\"$V9\",state=\"waiting for template\"" >/dev/null ||
	ff_fail "/metrics has no waiting-for-template state for $V9"
ff_log "v9 withheld: $sentence"

# Then the template (and more data) comes: the held data is decoded, the state is ok.
"$FF_PY" "$FF_SRC/tests/tools/v9_templates.py" real "$UDP" "$V9:$SPORT" 260
ff_wait_until 15 state_is "$V9" ok ||
	ff_fail "v9 exporter after its template: '$(field "$V9" .state)': $(field "$V9" .sentence)"
[ "$(field "$V9" .window.records)" -eq 20 ] || ff_fail "v9 records: $(field "$V9" .window)"
ff_log "v9 with template: $(field "$V9" .sentence)"

# 2. A v5 exporter whose header says no sampling interval (0).
"$FF_PY" - "$UDP" "$V5" <<'PY'
import socket, struct, sys, time
port, src = int(sys.argv[1]), sys.argv[2]
uptime, n = 100000, 3
pkt = struct.pack("!HHIIIIBBH", 5, n, uptime, int(time.time()), 0, 0, 0, 0, 0)
for i in range(1, n + 1):
    pkt += socket.inet_aton("10.5.0.%d" % i) + socket.inet_aton("192.0.2.1") + bytes(4)
    pkt += struct.pack("!HHIIIIHHBBBBHHBBH", 1, 2, 2, 1000, uptime - 1000, uptime,
                       40000, 443, 0, 0x10, 6, 0, 0, 0, 0, 0, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.sendto(pkt, ("127.0.0.1", port))
PY
ff_wait_until 15 state_is "$V5" "no sampling rate" ||
	ff_fail "v5 exporter: '$(field "$V5" .state)', want 'no sampling rate'"
case "$(field "$V5" .sentence)" in
*"counted as 1 in 1"*"--sampling-override"*) ;;
*) ff_fail "v5 sentence: $(field "$V5" .sentence)" ;;
esac
[ "$(field "$V5" .sampling.source)" = default ] || ff_fail "v5 sampling: $(field "$V5" .sampling)"
curl -fsS "$FF_SERVER/metrics" | grep -qF "flowfleet_exporter_sampling_rate{agent=\"node-d\",exporter=\"$V5\",source=\"default\"} 1" ||
	ff_fail "/metrics has no default sampling rate 1 for $V5"
ff_log "v5 unsampled: $(field "$V5" .sentence)"

# 3. ffgen (from 127.0.0.1) withholding about 10% of its datagrams.
LO=127.0.0.1
"$FF_GEN" --dest "127.0.0.1:$UDP" --flows 15000 --rate 15000 --seed 7 --skip-pct 10 \
	2>"$FF_TMP/ffgen.err" || ff_fail "ffgen failed: $(cat "$FF_TMP/ffgen.err")"
skipped=$(sed -n 's/.* \([0-9]*\) records skipped in flow_sequence.*/\1/p' "$FF_TMP/ffgen.err")
[ -n "$skipped" ] && [ "$skipped" -gt 0 ] || ff_fail "ffgen skipped nothing: $(cat "$FF_TMP/ffgen.err")"
want=$(awk -v l="$skipped" 'BEGIN { printf "%.1f%%", 100 * l / (l + 15000) }')
received() { [ "$(field "$LO" .window.records)" -eq 15000 ] && state_is "$LO" "sequence loss"; }
ff_wait_until 15 received ||
	ff_fail "ffgen exporter: '$(field "$LO" .state)', window $(field "$LO" .window)"
[ "$(field "$LO" .window.lost_records)" -eq "$skipped" ] ||
	ff_fail "lost $(field "$LO" .window.lost_records) records, ffgen skipped $skipped"
case "$(field "$LO" .sentence)" in
"$want lost over the last "*"($skipped of $((skipped + 15000)) records"*) ;;
*) ff_fail "loss sentence: '$(field "$LO" .sentence)', want $want" ;;
esac
[ "$(field "$LO" '.findings | map(.state) | join(",")')" = "sequence loss,no sampling rate" ] ||
	ff_fail "ffgen findings: $(field "$LO" .findings)"
metric "agent=\"node-d\",exporter=\"$LO\",state=\"sequence loss\"" >/dev/null ||
	ff_fail "/metrics has no sequence-loss state for $LO"
ff_log "ffgen with gaps: $(field "$LO" .sentence)"
# State label values hold spaces: still valid exposition format.
if command -v promtool >/dev/null; then
	curl -fsS "$FF_SERVER/metrics" | promtool check metrics >"$FF_TMP/promtool.txt" 2>&1 ||
		ff_fail "promtool check metrics: $(cat "$FF_TMP/promtool.txt")"
fi
ff_cli exporters >&2
ff_log "ok"
