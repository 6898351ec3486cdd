#!/bin/bash
# What a user sees when something is wrong: exit codes and messages of the
# CLI and the daemons' command lines and config files.
. "$(dirname "$0")/lib.sh"

# expect_exit CODE OUTFILE COMMAND...: runs COMMAND (bounded), stdout and stderr to OUTFILE.
expect_exit() {
	local want=$1 out=$2 rc=0
	shift 2
	timeout 20 "$@" >"$out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$out" >&2; ff_fail "'$*' exited $rc, expected $want"; }
}

expect_text() {
	grep -qF -- "$2" "$1" || { cat "$1" >&2; ff_fail "output of the last command lacks '$2'"; }
}

# Unknown words are refused before any request, with the valid ones listed.
DEAD=$(ff_free_port)
expect_exit 2 "$FF_TMP/out" "$FF_CLI" --server "http://127.0.0.1:$DEAD" top -s nosuch
for word in nosuch srcip dstip ip srcport dstport port proto agent exporter; do
	expect_text "$FF_TMP/out" "$word"
done
expect_exit 2 "$FF_TMP/out" "$FF_CLI" --server "http://127.0.0.1:$DEAD" top -s srcip/nosuch
for word in nosuch flows packets bytes; do
	expect_text "$FF_TMP/out" "$word"
done

# Nothing listens on DEAD: a network error is exit 1 and names the server.
expect_exit 1 "$FF_TMP/out" "$FF_CLI" --server "http://127.0.0.1:$DEAD" top -s srcip/bytes
expect_text "$FF_TMP/out" "127.0.0.1:$DEAD"
expect_exit 1 "$FF_TMP/out" "$FF_CLI" --server "http://127.0.0.1:$DEAD" agents
expect_text "$FF_TMP/out" "127.0.0.1:$DEAD"

for bin in "$FF_AGENT" "$FF_AGGREGATOR" "$FF_CLI"; do
	expect_exit 0 "$FF_TMP/out" "$bin" --help
	expect_text "$FF_TMP/out" "--help"
	expect_exit 0 "$FF_TMP/out" "$bin" --version
	grep -qE '[0-9]+\.[0-9]+\.[0-9]+' "$FF_TMP/out" || ff_fail "$bin --version shows no version"
done

# A bad config file names file, line and key, and the daemon does not start.
printf 'bogus-key = 1\n' >"$FF_TMP/agent.conf"
expect_exit_nonzero() {
	local out=$1 rc=0
	shift
	timeout 20 "$@" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		cat "$out" >&2
		ff_fail "'$*' exited $rc, expected a failure"
	fi
}
expect_exit_nonzero "$FF_TMP/out" "$FF_AGENT" -c "$FF_TMP/agent.conf"
expect_text "$FF_TMP/out" "$FF_TMP/agent.conf"
expect_text "$FF_TMP/out" ":1:"
expect_text "$FF_TMP/out" "bogus-key"

printf '# an agent\nid = node-x\ninterval = banana\n' >"$FF_TMP/agent2.conf"
expect_exit_nonzero "$FF_TMP/out" "$FF_AGENT" -c "$FF_TMP/agent2.conf"
expect_text "$FF_TMP/out" "$FF_TMP/agent2.conf:3:"
expect_text "$FF_TMP/out" "interval"

printf '\n\nbogus-key = 1\n' >"$FF_TMP/aggregator.conf"
expect_exit_nonzero "$FF_TMP/out" "$FF_AGGREGATOR" -c "$FF_TMP/aggregator.conf"
expect_text "$FF_TMP/out" "$FF_TMP/aggregator.conf:3:"
expect_text "$FF_TMP/out" "bogus-key"

# An unknown flag is a usage error, not a crash.
expect_exit_nonzero "$FF_TMP/out" "$FF_AGENT" --no-such-flag
expect_text "$FF_TMP/out" "no-such-flag"

# An unknown store backend is refused at config load, naming the key and the valid names.
expect_exit_nonzero "$FF_TMP/out" "$FF_AGGREGATOR" --data-dir "$FF_TMP/nope-store" --store nope
expect_text "$FF_TMP/out" "--store"
expect_text "$FF_TMP/out" "'nope'"
expect_text "$FF_TMP/out" "columnar"
[ ! -e "$FF_TMP/nope-store" ] || ff_fail "--store nope created the data dir"
printf 'data-dir = %s\nstore = nope\n' "$FF_TMP/nope-store" >"$FF_TMP/store.conf"
expect_exit_nonzero "$FF_TMP/out" "$FF_AGGREGATOR" -c "$FF_TMP/store.conf"
expect_text "$FF_TMP/out" "$FF_TMP/store.conf:2:"
expect_text "$FF_TMP/out" "'store'"
ff_log "ok"
