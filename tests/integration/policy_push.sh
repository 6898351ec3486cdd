#!/bin/bash
# Central policy end to end: three agents with different labels, a policy for
# one label only, a change of policy while traffic flows, and an agent
# restarted while the aggregator is down. The stored totals of every agent
# must equal the generator's truth minus exactly what its policy filters out
# (`not dst port 53`, computed from the truth CSV): no interval lost or
# counted twice across a policy change or a restart.
. "$(dirname "$0")/lib.sh"

FILTER='not dst port 53'

# totals_of FILTERED TRUTH...: "flows packets bytes" of the truth, without dst port 53 if FILTERED=1.
totals_of() {
	local filtered=$1
	shift
	"$FF_PY" - "$filtered" "$@" <<'EOF'
import csv, sys
f = p = b = 0
for path in sys.argv[2:]:
    for r in csv.DictReader(open(path)):
        if sys.argv[1] == "1" and r["dport"] == "53":
            continue
        f += int(r["flows"]); p += int(r["packets"]); b += int(r["bytes"])
print(f, p, b)
EOF
}

# stored_totals AGENT: "flows packets bytes" the aggregator stored for it.
stored_totals() {
	ff_cli top -s proto/bytes -n 0 -o json --agent "$1" |
		jq -r '"\(.total.flows) \(.total.packets) \(.total.bytes)"'
}

totals_equal() { [ "$(stored_totals "$1")" = "$2" ]; }

# wait_totals AGENT WANT: until the store holds exactly WANT for AGENT.
wait_totals() {
	ff_wait_until 30 totals_equal "$1" "$2" ||
		ff_fail "agent $1 stored '$(stored_totals "$1")', want '$2'"
}

# policy_of AGENT: "applied current" as GET /api/v1/agents shows it.
policy_of() {
	ff_agents_json | jq -r --arg id "$1" \
		'.agents[] | select(.id == $id) | "\(.policy_version) \(.policy_current)"'
}

policy_is() { [ "$(policy_of "$1")" = "$2" ]; }

set_policy() {
	FLOWFLEET_TOKEN=$TOKEN ff_cli policy set "$@" >&2 || ff_fail "policy set $* failed"
}

ff_start_aggregator aggregator "$FF_TMP/data"
TOKEN=$(cat "$FF_TMP/data/api.token")
[ "$(stat -c %a "$FF_TMP/data/api.token")" = 600 ] || ff_fail "api.token is not mode 0600"
declare -A UDP PID
for i in 1 2 3; do
	UDP[$i]=$(ff_free_port)
	ff_start_agent "n$i" "${UDP[$i]}" --label "rack=r$i" --label role=test
	PID[$i]=$FF_LAST_PID
done
ff_wait_agents 3

ff_log "refusals: bad filter, bad key, no token, wrong token; nothing stored"
out=$(FLOWFLEET_TOKEN=$TOKEN ff_cli policy set --filter 'dst port' 2>&1) && ff_fail "bad filter accepted"
grep -q "filter:1:9: expected a port number after 'port'" <<<"$out" || ff_fail "filter error: $out"
FLOWFLEET_TOKEN=$TOKEN ff_cli policy set --keys srcip,mac 2>/dev/null && ff_fail "bad key accepted"
env -u FLOWFLEET_TOKEN "$FF_CLI" --server "$FF_SERVER" policy set --filter any 2>/dev/null &&
	ff_fail "policy set without a token accepted"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer nope' \
	-d '{"filter":"any"}' "$FF_SERVER/api/v1/policy")
[ "$code" = 401 ] || ff_fail "wrong token answered $code, want 401"
code=$(curl -sS -o "$FF_TMP/400.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-d '{"filter":"proto tcp and","keys":"srcip"}' "$FF_SERVER/api/v1/policy")
[ "$code" = 400 ] && grep -q 'filter:1:' "$FF_TMP/400.json" || ff_fail "bad filter over HTTP: $code"
[ "$(curl -fsS "$FF_SERVER/api/v1/policy/history" | jq '.history | length')" = 0 ] ||
	ff_fail "a refused policy was stored"

ff_log "policy 1 for rack=r1 only"
set_policy --target rack=r1 --filter "$FILTER" --keys srcip,dstip,proto,dstport
ff_wait_until 10 policy_is n1 "1 true" || ff_fail "n1 runs policy '$(policy_of n1)', want 1"
for i in 2 3; do
	policy_is "n$i" "0 true" || ff_fail "n$i runs policy '$(policy_of "n$i")', want none"
done

ff_log "phase 1: the same stream to all three agents"
ff_run_bounded 30 "$FF_GEN" --seed 11 --flows 20000 --keys 800 --rate 20000 --quiet \
	--dest "127.0.0.1:${UDP[1]}" --dest "127.0.0.1:${UDP[2]}" --dest "127.0.0.1:${UDP[3]}" \
	--truth "$FF_TMP/t1.csv"
wait_totals n1 "$(totals_of 1 "$FF_TMP/t1.csv")"
wait_totals n2 "$(totals_of 0 "$FF_TMP/t1.csv")"
wait_totals n3 "$(totals_of 0 "$FF_TMP/t1.csv")"
[ "$(totals_of 1 "$FF_TMP/t1.csv")" != "$(totals_of 0 "$FF_TMP/t1.csv")" ] ||
	ff_fail "the stream has no dst port 53: the filter is not tested"
ff_cli top -s dstport/flows -n 0 -o json --agent n1 >"$FF_TMP/n1-dport.json"
jq -e '[.rows[] | select(.key == "53")] | length == 0' "$FF_TMP/n1-dport.json" >/dev/null ||
	ff_fail "n1 stored dst port 53 despite its filter"
ff_cli top -s dstport/flows -n 0 -o json --agent n2 | jq -e '[.rows[] | select(.key == "53")] | length == 1' \
	>/dev/null || ff_fail "n2 lost dst port 53 although no policy targets it"
# Source ports are not among n1's keys: one '*' row, with the CLI's note.
ff_cli top -s srcport/bytes -n 0 -o json --agent n1 | jq -e '[.rows[].key] == ["*"]' >/dev/null ||
	ff_fail "n1's source ports were not summarized away"
ff_cli top -s srcport/bytes --agent n1 | grep -q "^Note: '\*' is traffic whose srcport" ||
	ff_fail "flowfleet top does not explain the '*' row"

ff_log "phase 2: policies change while traffic flows"
ff_spawn gen2 "$FF_GEN" --seed 22 --flows 40000 --keys 3000 --rate 10000 --quiet \
	--dest "127.0.0.1:${UDP[1]}" --dest "127.0.0.1:${UDP[2]}" --dest "127.0.0.1:${UDP[3]}" \
	--truth "$FF_TMP/t2.csv"
GEN2=$FF_LAST_PID
sleep 1.5
set_policy --target rack=r1 --filter "$FILTER" --keys proto,dstport --topk 5
set_policy --target all --keys srcip,dstip,proto --interval 2s --topk 50
# Pushed at once, applied at the next boundary, reported by the next heartbeat.
ff_wait_until 4 policy_is n1 "2 true" || ff_fail "n1 runs '$(policy_of n1)' 4s after policy 2"
ff_wait_until 4 policy_is n2 "3 true" || ff_fail "n2 runs '$(policy_of n2)' 4s after policy 3"
ff_wait_until 4 policy_is n3 "3 true" || ff_fail "n3 runs '$(policy_of n3)' 4s after policy 3"
ff_wait_exit "$GEN2" 20 || ff_fail "the phase 2 generator did not finish"
wait "$GEN2" || ff_fail "the phase 2 generator failed"
wait_totals n1 "$(totals_of 1 "$FF_TMP/t1.csv" "$FF_TMP/t2.csv")"
wait_totals n2 "$(totals_of 0 "$FF_TMP/t1.csv" "$FF_TMP/t2.csv")"
wait_totals n3 "$(totals_of 0 "$FF_TMP/t1.csv" "$FF_TMP/t2.csv")"
ff_cli policy show -o json | jq -e '[.policies[].version] == [3, 2]' >/dev/null ||
	ff_fail "policy show does not list the current policy of each target"
ff_cli policy history -o json | jq -e '[.history[].version] == [1, 2, 3]' >/dev/null ||
	ff_fail "policy history is not 1, 2, 3"

ff_log "agent n1 restarts while the aggregator is down"
ff_stop "$FF_AGG_PID"
ff_stop "${PID[1]}" 20
ff_start_agent n1 "${UDP[1]}" --label rack=r1 --label role=test
grep -q "policy 2 reloaded" "$FF_TMP/agent-n1.log" || ff_fail "n1 did not reload policy 2"
ff_run_bounded 30 "$FF_GEN" --seed 33 --flows 10000 --keys 500 --rate 20000 --quiet \
	--dest "127.0.0.1:${UDP[1]}" --truth "$FF_TMP/t3.csv"
sleep 1.5
ff_start_aggregator aggregator "$FF_TMP/data"
wait_totals n1 "$(totals_of 1 "$FF_TMP/t1.csv" "$FF_TMP/t2.csv" "$FF_TMP/t3.csv")"
ff_wait_until 5 policy_is n1 "2 true" || ff_fail "after the restarts n1 runs '$(policy_of n1)'"
ff_cli agents | grep -E '^n1 .* 2$' >/dev/null || ff_fail "flowfleet agents does not show n1 at policy 2"

ff_log "ok"
