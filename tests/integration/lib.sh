# Shared helpers of the integration tests; sourced, never run.
#
# Every test starts real daemons on loopback ports picked here, keeps their
# pids and logs under one temp dir, and leaves nothing behind: the EXIT trap
# stops every process it started (SIGTERM, then SIGKILL after a bound) and
# removes the dir. Every wait is bounded; a failure prints the daemons' logs.
#
# Environment (set by ctest, see CMakeLists.txt): FF_AGENT, FF_AGGREGATOR,
# FF_CLI, FF_GEN, FF_SRC.

set -euo pipefail

: "${FF_AGENT:?}" "${FF_AGGREGATOR:?}" "${FF_CLI:?}" "${FF_GEN:?}" "${FF_SRC:?}"
FF_PY=/usr/bin/python3
FF_TEST_NAME=$(basename "$0" .sh)
FF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ff-$FF_TEST_NAME.XXXXXX")
FF_PIDS=()
FF_USED_PORTS=" "

# The ground-truth tool (tests/tools/ff_truth.py).
ff_truth() { "$FF_PY" "$FF_SRC/tests/tools/ff_truth.py" "$@"; }

ff_log() { printf '[%s %s] %s\n' "$FF_TEST_NAME" "$(date +%T)" "$*" >&2; }

ff_dump_logs() {
	local f
	for f in "$FF_TMP"/*.log; do
		[ -e "$f" ] || continue
		echo "----- $(basename "$f") (last 40 lines) -----" >&2
		tail -n 40 "$f" >&2
	done
}

ff_cleanup() {
	local rc=$? pid
	for pid in "${FF_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${FF_PIDS[@]}"; do
		ff_wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ]; then
		ff_dump_logs
		ff_log "FAILED (exit $rc); FF_KEEP_TMP=1 keeps $FF_TMP"
	fi
	# FF_KEEP_TMP=1 keeps the data dirs and logs of a failed run for a closer look.
	if [ "$rc" -eq 0 ] || [ -z "${FF_KEEP_TMP:-}" ]; then
		rm -rf "$FF_TMP"
	fi
	exit "$rc"
}
trap ff_cleanup EXIT
trap 'exit 130' INT TERM

ff_fail() {
	ff_log "FAIL: $*"
	exit 1
}

# True once the process is gone; waits at most $2 seconds.
ff_wait_exit() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
}

# ff_wait_until SECONDS COMMAND...: runs COMMAND every 0.25 s until it succeeds.
ff_wait_until() {
	local limit=$1 deadline
	shift
	deadline=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.25
	done
}

# Prints a port free for both TCP and UDP on 127.0.0.1, never the same twice in one test.
ff_free_port() {
	local port
	while :; do
		port=$($FF_PY - <<'EOF'
import socket
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0))
port = t.getsockname()[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
print(port)
EOF
) || continue
		case "$FF_USED_PORTS" in *" $port "*) continue ;; esac
		FF_USED_PORTS="$FF_USED_PORTS$port "
		echo "$port"
		return 0
	done
}

# ff_spawn NAME COMMAND...: starts COMMAND in the background, its output in NAME.log.
# The pid is left in FF_LAST_PID and remembered for the cleanup.
ff_spawn() {
	local name=$1
	shift
	"$@" >>"$FF_TMP/$name.log" 2>&1 &
	FF_LAST_PID=$!
	FF_PIDS+=("$FF_LAST_PID")
}

# ff_stop PID [SECONDS]: SIGTERM and wait for the exit; fails unless it exits 0 in time.
ff_stop() {
	local pid=$1 limit=${2:-15} rc=0
	kill -TERM "$pid" 2>/dev/null || return 0
	ff_wait_exit "$pid" "$limit" || ff_fail "pid $pid did not exit within ${limit}s of SIGTERM"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || ff_fail "pid $pid exited $rc after SIGTERM"
}

# ff_kill9 PID: the crash the restart test simulates.
ff_kill9() {
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# ff_start_aggregator NAME DATA_DIR [EXTRA ARGS...]: listens on fresh ports, or on
# FF_ZMQ_PORT/FF_HTTP_PORT when they are set (a restart on the same ports).
# Plaintext (--insecure-plaintext) unless FF_CURVE=1: the trust tests set it.
ff_start_aggregator() {
	local name=$1 dir=$2 mode=(--insecure-plaintext)
	shift 2
	[ "${FF_CURVE:-0}" = 1 ] && mode=()
	FF_ZMQ_PORT=${FF_ZMQ_PORT:-$(ff_free_port)}
	FF_HTTP_PORT=${FF_HTTP_PORT:-$(ff_free_port)}
	FF_SERVER="http://127.0.0.1:$FF_HTTP_PORT"
	mkdir -p "$dir"
	ff_spawn "$name" "$FF_AGGREGATOR" --data-dir "$dir" \
		--listen "tcp://127.0.0.1:$FF_ZMQ_PORT" --http "127.0.0.1:$FF_HTTP_PORT" \
		--log-level "${FF_LOG_LEVEL:-info}" "${mode[@]}" "$@"
	FF_AGG_PID=$FF_LAST_PID
	ff_wait_ready "$FF_AGG_PID" curl -fsS "$FF_SERVER/healthz" ||
		ff_fail "aggregator $name did not answer /healthz on port $FF_HTTP_PORT"
}

# ff_start_agent ID UDP_PORT [EXTRA ARGS...]: an agent sending to the aggregator
# started last, flushing every second. Its pid is left in FF_LAST_PID. In
# plaintext (--insecure-plaintext) unless FF_CURVE=1: then the test gives the
# server key (--server-key or --server-key-file) in the extra args.
ff_start_agent() {
	local id=$1 udp=$2 mode=(--insecure-plaintext)
	shift 2
	[ "${FF_CURVE:-0}" = 1 ] && mode=()
	mkdir -p "$FF_TMP/state-$id"
	ff_spawn "agent-$id" "$FF_AGENT" --id "$id" --aggregator "tcp://127.0.0.1:$FF_ZMQ_PORT" \
		--listen-udp "127.0.0.1:$udp" --state-dir "$FF_TMP/state-$id" \
		--interval 1s --heartbeat 1s --log-level "${FF_LOG_LEVEL:-info}" "${mode[@]}" "$@"
	ff_wait_ready "$FF_LAST_PID" ff_udp_bound "$udp" || ff_fail "agent $id did not bind UDP port $udp"
}

# ff_wait_ready PID COMMAND...: until COMMAND succeeds; fails at once if PID exits first.
ff_wait_ready() {
	local pid=$1
	shift
	ff_wait_until 20 ff_ready_or_dead "$pid" "$@" && kill -0 "$pid" 2>/dev/null
}

ff_ready_or_dead() {
	local pid=$1
	shift
	! kill -0 "$pid" 2>/dev/null || "$@"
}

# True once something listens on the UDP port (the agent is ready for exports).
ff_udp_bound() {
	ss -H -uln "sport = :$1" | grep -q .
}

# The CLI against the aggregator started last.
ff_cli() {
	"$FF_CLI" --server "$FF_SERVER" "$@"
}

# ff_agents_json: the `flowfleet agents -v -o json` document.
ff_agents_json() {
	ff_cli agents -v -o json
}

# ff_wait_agents N: until the aggregator knows N agents.
ff_wait_agents() {
	ff_wait_until 30 ff_has_agents "$1" || ff_fail "the aggregator did not see $1 agents"
}

ff_has_agents() {
	[ "$(ff_agents_json | jq '.agents | length')" -ge "$1" ]
}

# ff_matches_truth STAT [--agent ID] -- TRUTH...: flowfleet's full top-N equals the truth.
ff_matches_truth() {
	local stat=$1 out
	shift
	local cli_args=() truth_args=()
	while [ "$1" != "--" ]; do
		cli_args+=("$1")
		shift
	done
	shift
	for f in "$@"; do truth_args+=(--truth "$f"); done
	out="$FF_TMP/top-$$.json"
	ff_cli top -s "$stat" -n 0 -o json "${cli_args[@]}" >"$out" || return 1
	ff_truth compare "${FF_QUIET[@]}" "${truth_args[@]}" -s "$stat" --json "$out"
}

# ff_wait_truth SECONDS STAT [--agent ID] -- TRUTH...: until the store holds exactly the truth.
ff_wait_truth() {
	local limit=$1
	shift
	FF_QUIET=(-q)
	if ! ff_wait_until "$limit" ff_matches_truth "$@"; then
		FF_QUIET=()
		ff_matches_truth "$@" >&2 || true
		ff_fail "the store did not reach the ground truth ($*) within ${limit}s"
	fi
	FF_QUIET=()
}
FF_QUIET=()

# ff_assert_truth STAT [--agent ID] -- TRUTH...: one comparison, diffs shown on failure.
ff_assert_truth() {
	ff_matches_truth "$@" >&2 || ff_fail "top $1 ($*) differs from the ground truth"
}

# ff_nfcapd NAME DIR PORT: Debian's collector as the reference.
ff_nfcapd() {
	local name=$1 dir=$2 port=$3
	mkdir -p "$dir"
	ff_spawn "$name" nfcapd -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 -B 4194304
	FF_NFCAPD_PID=$FF_LAST_PID
	ff_wait_ready "$FF_NFCAPD_PID" ff_udp_bound "$port" || ff_fail "nfcapd did not bind UDP port $port"
}

# ff_nfdump_matches STAT N DIR [--agent ID]: nfdump and flowfleet agree record for record.
# FF_NFDUMP_RATES=0 leaves pps/bps/bpp out (for exports whose durations nfdump misreads).
ff_nfdump_matches() {
	local stat=$1 n=$2 dir=$3 rates=()
	shift 3
	[ "${FF_NFDUMP_RATES:-1}" = 0 ] && rates=(--no-rates)
	nfdump -R "$dir" -s "$stat" -n "$n" -o csv >"$FF_TMP/nfdump.csv" || return 1
	ff_cli top -s "$stat" -n "$n" -o json "$@" >"$FF_TMP/flowfleet.json" || return 1
	ff_truth nfdump "${FF_QUIET[@]}" "${rates[@]}" --csv "$FF_TMP/nfdump.csv" \
		--json "$FF_TMP/flowfleet.json" -s "$stat" -n "$n"
}

# ff_assert_nfdump STAT N DIR [--agent ID]: one comparison, diffs shown on failure.
ff_assert_nfdump() {
	ff_nfdump_matches "$@" >&2 || ff_fail "nfdump and flowfleet disagree on $1 -n $2"
}

# ff_wait_nfdump SECONDS STAT DIR: until flowfleet's whole table equals nfdump's.
ff_wait_nfdump() {
	local limit=$1 stat=$2 dir=$3
	FF_QUIET=(-q)
	if ! ff_wait_until "$limit" ff_nfdump_matches "$stat" 0 "$dir"; then
		FF_QUIET=()
		ff_nfdump_matches "$stat" 0 "$dir" >&2 || true
		ff_fail "flowfleet did not reach nfdump's $stat table within ${limit}s"
	fi
	FF_QUIET=()
}

# ff_run_bounded SECONDS COMMAND...: a foreground step that must end in time and succeed.
ff_run_bounded() {
	local limit=$1
	shift
	timeout --kill-after=5 "$limit" "$@" || ff_fail "'$*' failed or ran over ${limit}s"
}

ff_log "temp dir $FF_TMP"
