#!/bin/bash
# Item 4 of issue 12: 1,000 spoofed sources flood the agent's template cache
# with 512-field v9 templates (more than its 16 MiB); a real exporter sent
# afterwards still gets its template and its records decoded, the flood's
# evictions are counted per exporter and reach `flowfleet agents`, and the
# `templates` state file stays within its bound and loads after a restart:
# the real exporter's data then decodes without a new template.
. "$(dirname "$0")/lib.sh"

SEND=("$FF_PY" "$FF_SRC/tests/tools/v9_templates.py")
ff_start_aggregator aggregator "$FF_TMP/data"
udp=$(ff_free_port)
# One receive thread: every source lands in the one cache under test.
ff_start_agent node "$udp" --receive-threads 1
agent=$FF_LAST_PID
ff_wait_agents 1

ff_run_bounded 60 "${SEND[@]}" flood "$udp" 1000 3
ff_run_bounded 10 "${SEND[@]}" real "$udp" 127.0.0.2 300

# counter NAME [EXPORTER]: summed over the agent's exporters, or that one's.
counter() {
	ff_agents_json | jq --arg e "${2:-}" --arg c "$1" \
		'[.agents[0].exporters[]? | select($e == "" or .address == $e) | .counters[$c] // 0] | add // 0'
}
# counter_at_least NAME EXPORTER N: for ff_wait_until, which runs its command again each time.
counter_at_least() { [ "$(counter "$1" "$2")" -ge "$3" ]; }
ff_wait_until 20 counter_at_least records 127.0.0.2 10 ||
	ff_fail "the real exporter's records were not decoded after the flood ($(counter records 127.0.0.2))"
ff_wait_until 10 counter_at_least template.evicted "" 1 ||
	ff_fail "the flood evicted nothing: it did not fill the cache"
[ "$(counter template.refused 127.0.0.2)" = 0 ] || ff_fail "the real exporter's template was refused"
[ "$(counter no_template 127.0.0.2)" = 0 ] || ff_fail "the real exporter's data lacked its template"
grep -q "template .* of exporter 127\.1\..* evicted" "$FF_TMP/agent-node.log" ||
	ff_fail "no log line names an exporter whose template was evicted"
ff_log "flood: $(counter templates) templates learnt, $(counter template.evicted) evicted"

ff_stop "$agent"
size=$(stat -c %s "$FF_TMP/state-node/templates")
max=$((16 * 1024 * 1024 + 20))
[ "$size" -le "$max" ] || ff_fail "templates state file is $size bytes, above its bound $max"
lines=$(wc -l <"$FF_TMP/agent-node.log")
ff_start_agent node "$udp" --receive-threads 1
# since_restart: the restarted agent's log lines.
since_restart() { tail -n +"$((lines + 1))" "$FF_TMP/agent-node.log"; }
restarted_log_has() { since_restart | grep -q "$1"; }
ff_wait_until 10 restarted_log_has "reloaded [0-9]* templates" ||
	ff_fail "the restarted agent reloaded no templates"
! restarted_log_has "larger than\|corrupt" || ff_fail "the saved templates file was refused at load"
ff_run_bounded 10 "${SEND[@]}" data "$udp" 127.0.0.2 300
# Data only, no template: its 10 records are decoded only with the reloaded template.
ff_wait_until 20 restarted_log_has "batch [0-9]*: 10 records" ||
	ff_fail "after the restart the real exporter's data did not decode with the reloaded template"
ff_log "templates file $size bytes (bound $max), reloaded and used"
