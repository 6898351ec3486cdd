#!/bin/bash
# The HTTP API's tokens with --http on 127.0.0.1: reads are open, writes need
# an admin token (DATA_DIR/api.token or an admin line of api.tokens), a read
# token is refused 403, no token or an unknown one 401; every refusal is
# counted by reason in /api/v1/stats and logged at most once a minute per
# peer. A damaged or readable api.tokens stops the daemon at start, naming
# the file (and line).
. "$(dirname "$0")/lib.sh"

DATA=$FF_TMP/data
OPS=ops-0123456789abcdef0123456789abcdef
DASH=dash-0123456789abcdef0123456789abcdef
mkdir -p "$DATA"
printf '# operators\n%s admin ops team\n\n%s read grafana\n' "$OPS" "$DASH" >"$DATA/api.tokens"
chmod 600 "$DATA/api.tokens"

ff_start_aggregator aggregator "$DATA"
ADMIN=$(cat "$DATA/api.token")
READ=$(cat "$DATA/api.read-token")
for f in api.token api.read-token; do
	[ "$(stat -c %a "$DATA/$f")" = 600 ] || ff_fail "$f is not mode 0600"
done
[ "$ADMIN" != "$READ" ] || ff_fail "the admin and the read token are the same"
grep -q 'API on http://127.0.0.1:.*reads open (loopback only)' "$FF_TMP/aggregator.log" ||
	ff_fail "the start-up log does not say reads are open on loopback"

# http_code [CURL ARGS...]: the status; the body is left in $FF_TMP/body.json.
http_code() { curl -sS -o "$FF_TMP/body.json" -w '%{http_code}' "$@"; }

# post_policy TOKEN: POST a policy with TOKEN ("" for none); prints the status.
post_policy() {
	local auth=()
	[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
	http_code -X POST "${auth[@]}" -d '{"filter":"any"}' "$FF_SERVER/api/v1/policy"
}

expect() {
	local got=$1 want=$2 what=$3 text=${4:-}
	[ "$got" = "$want" ] || ff_fail "$what answered $got, want $want: $(cat "$FF_TMP/body.json")"
	[ -z "$text" ] || grep -q "$text" "$FF_TMP/body.json" ||
		ff_fail "$what: the answer lacks '$text': $(cat "$FF_TMP/body.json")"
}

ff_log "reads open on loopback"
for path in /healthz /api/v1/top /api/v1/agents /api/v1/stats /api/v1/policy /api/v1/policy/history; do
	expect "$(http_code "$FF_SERVER$path")" 200 "GET $path without a token"
done
env -u FLOWFLEET_TOKEN "$FF_CLI" --server "$FF_SERVER" top -s srcip >/dev/null ||
	ff_fail "flowfleet top without a token failed"

ff_log "writes: no token 401, unknown 401, read tokens 403, admin tokens 201"
expect "$(post_policy "")" 401 "no token" "no token sent"
expect "$(post_policy "not-a-token-of-this-aggregator")" 401 "an unknown token" "not one of this"
expect "$(post_policy "$READ")" 403 "api.read-token" "has scope read"
expect "$(post_policy "$DASH")" 403 "the read line of api.tokens" "(grafana) has scope read"
expect "$(post_policy "$ADMIN")" 201 "api.token"
expect "$(post_policy "$OPS")" 201 "the admin line of api.tokens"
curl -sS -D "$FF_TMP/headers" -o /dev/null -X POST -H "Authorization: Bearer $READ" -d '{}' \
	"$FF_SERVER/api/v1/policy"
grep -qi '^WWW-Authenticate: Bearer .*insufficient_scope' "$FF_TMP/headers" ||
	ff_fail "a 403 without WWW-Authenticate insufficient_scope: $(cat "$FF_TMP/headers")"
expect "$(http_code -X DELETE -H "Authorization: Bearer $ADMIN" "$FF_SERVER/api/v1/top")" 405 \
	"DELETE /api/v1/top with the admin token"

ff_log "the CLI: a read token cannot write, the admin token file can"
out=$(FLOWFLEET_TOKEN=$READ ff_cli policy set --filter 'proto udp' 2>&1) &&
	ff_fail "policy set with the read token accepted"
grep -q 'HTTP 403' <<<"$out" || ff_fail "policy set with the read token: $out"
ff_cli --token-file "$DATA/api.token" policy set --filter 'proto tcp' >/dev/null ||
	ff_fail "policy set with --token-file api.token failed"
ff_cli --token-file "$DATA/api.read-token" policy show >/dev/null ||
	ff_fail "policy show with the read token failed"
[ "$(curl -fsS "$FF_SERVER/api/v1/policy/history" | jq '.history | length')" = 3 ] ||
	ff_fail "history is not the three admin writes"

ff_log "refusals counted by reason, logged once a minute per peer"
refused=$(curl -fsS "$FF_SERVER/api/v1/stats" | jq -c '.auth.refused')
[ "$refused" = '{"no_token":1,"bad_token":1,"scope":4}' ] || ff_fail "refusals counted as $refused"
n=$(grep -c 'http: refused .* from 127.0.0.1' "$FF_TMP/aggregator.log" || true)
[ "$n" = 1 ] || ff_fail "$n log lines for 6 refusals from one peer within a minute, want 1"
grep -q 'http: refused POST /api/v1/policy from 127.0.0.1: no token (401)' "$FF_TMP/aggregator.log" ||
	ff_fail "the refusal's log line does not name method, path, peer and reason"
ff_stop "$FF_AGG_PID"

# start_refused WANT: the aggregator exits non-zero at start with WANT on stderr.
start_refused() {
	local rc=0
	timeout 20 "$FF_AGGREGATOR" --data-dir "$DATA" --listen "tcp://127.0.0.1:$FF_ZMQ_PORT" \
		--http "127.0.0.1:$FF_HTTP_PORT" 2>"$FF_TMP/refused.log" || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || ff_fail "started (exit $rc) despite: $1"
	grep -qF "$1" "$FF_TMP/refused.log" || ff_fail "start refused without '$1': $(cat "$FF_TMP/refused.log")"
}

ff_log "a damaged api.tokens stops the daemon with file and line"
printf '%s admin\n%s reads\n' "$OPS" "$DASH" >"$DATA/api.tokens"
start_refused "$DATA/api.tokens:2: an unknown scope"
printf '%s admin\n' "$OPS" >"$DATA/api.tokens"
chmod 640 "$DATA/api.tokens"
start_refused "$DATA/api.tokens: readable by group or others (mode 0640)"
ff_log "ok"
